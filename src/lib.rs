//! # reluflow
//!
//! Empirical, continuous verification of Boursier, Pillaud-Vivien and Flammarion,
//! *Gradient flow dynamics of shallow ReLU networks for square loss and orthogonal inputs*
//! (NeurIPS 2022).
//!
//! (Crate walkthrough: see the README; written in full once the modules settle.)

pub mod cli;
pub mod data;
pub mod init;
pub mod network;
pub mod params;
pub mod solver;
pub mod theory;
pub mod trajectory;

pub use data::Dataset;
pub use params::{Params, ScaledParams};
