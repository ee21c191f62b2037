//! Claim tests: saddles (being written).
