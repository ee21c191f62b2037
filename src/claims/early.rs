//! Claim checks: early (being written).
