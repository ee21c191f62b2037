//! Claim checks: conservation (being written).
