//! Claim tests: early (being written).
