//! Claim tests: conservation (being written).
