//! Claim checks: landscape (being written).
