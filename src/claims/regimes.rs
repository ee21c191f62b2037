//! Claim checks: regimes (being written).
