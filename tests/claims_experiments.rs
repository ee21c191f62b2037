//! Claim tests: experiments (being written).
