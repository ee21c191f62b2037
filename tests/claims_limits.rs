//! Claim tests: limits (being written).
