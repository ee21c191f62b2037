//! Claim tests: landscape (being written).
