//! Claim tests: regimes (being written).
