//! Claim checks: saddles (being written).
