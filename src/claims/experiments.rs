//! Claim checks: experiments (being written).
