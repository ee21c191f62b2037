//! Claim checks: limits (being written).
