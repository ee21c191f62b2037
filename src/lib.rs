//! # reluflow
//!
//! Empirical, continuous verification of Boursier, Pillaud-Vivien and Flammarion,
//! *Gradient flow dynamics of shallow ReLU networks for square loss and orthogonal inputs*
//! (NeurIPS 2022). Claims are named by their IDs (L1, L6, T1, P1, ...): [`claims::catalogue`]
//! describes each (`reluflow claims` prints it; `docs/claims.md` is its Markdown).
//!
//! ## From a problem to a verdict
//!
//! **1. Data.** Inputs `x_1..x_n` in `R^d` and labels `y_k` ([`data::Dataset`]). The paper needs
//! orthonormal inputs (Assumption 1) and non-zero labels with `|D+| != |D-|` (Assumption 2);
//! [`data::generate::random_orthonormal`] draws such data, and [`data::Dataset::assumptions`]
//! reports, with numbers, whether any dataset satisfies them.
//!
//! **2. Initialisation.** Eq. (4): `w_j = lambda g_j`, `a_j = s_j |w_j|` ([`init::InitSpec`]),
//! seeded, so one seed fixes every draw. [`init::NeuronSets`] gives `S+,1` and `S-,1`
//! (Assumption 3).
//!
//! **3. Training.** [`solver::gd::run_gd`] (gradient descent, as in the paper's experiments) or
//! [`solver::flow::run_flow`] (the gradient flow (2), adaptive Dormand-Prince 5(4) with exact
//! event location on the activation boundaries). Both integrate `a` and `W` jointly from
//! eq. (3) and impose nothing the paper claims. A [`trajectory::Recorder`] keeps samples.
//!
//! **4. Theory.** [`theory`] holds the paper's closed forms: `D+`, `D-`, `r`, the minimum norm of
//! Proposition 1, the plateau loss of Fact 1, the phase times of Figure 1.
//!
//! ```
//! use reluflow::data::generate::random_orthonormal;
//! use reluflow::init::{InitKind, InitSpec};
//! use reluflow::network::Model;
//! use reluflow::solver::{flow::{run_flow, FlowConfig}, StopRule, NoObserver};
//! use reluflow::theory;
//!
//! // n = 4 orthonormal points in R^6, labels satisfying Assumption 2
//! let data = random_orthonormal(4, 6, &Default::default(), 1).unwrap();
//! let init = InitSpec { kind: InitKind::Balanced, width: 40, lambda: 1e-12, seed: 3 }
//!     .validate().unwrap().draw(data.d());
//! let cfg = FlowConfig {
//!     stop: StopRule { until_loss: Some(1e-10), max_steps: Some(1_000_000), ..Default::default() },
//!     ..Default::default()
//! };
//! let run = run_flow(&data, Model::relu().validate().unwrap(), &init.params, &cfg, &mut NoObserver).unwrap();
//! // Theorem 1: zero loss, and |theta|^2 tends to Proposition 1's minimum as lambda -> 0
//! // (the claim tests check that limit as a trend over a lambda ladder)
//! assert!(run.summary.final_loss < 1e-10);
//! let excess = run.final_params.norm_sq() / theory::min_norm_sq(&data).unwrap() - 1.0;
//! println!("relative norm excess at lambda = 1e-12: {excess:.2e}");
//! ```
//!
//! ## Checking a claim on your own instance
//!
//! An [`Instance`] is data, an initialisation and a model. [`claims::check`] tests the claim's
//! requirements on it first ([`claims::ClaimId::requirements`]: orthonormal inputs, Assumptions
//! 2-3, ...), skipping with the unmet one named, then produces the claim's evidence (a run, a
//! `lambda` ladder, parameter points) and judges it: a [`claims::Verdict`] with the measured
//! value, the bound, the margin and the statement, never a pass without evidence.
//!
//! ```no_run
//! use reluflow::claims::{check, ClaimId, Outcome};
//! use reluflow::{Dataset, Instance};
//! // four orthonormal points (the standard basis of R^4), labels with |D+| != |D-|
//! let x = (0..4).map(|k| (0..4).map(|i| if i == k { 1.0 } else { 0.0 }).collect()).collect();
//! let data = Dataset::new(x, vec![1.5, 1.0, -0.5, -0.8]).unwrap();
//! let instance = Instance::balanced(data, 64, 1e-300, 2);
//! match check(ClaimId::L7, &instance) {
//!     Outcome::Checked(v) => println!("L7 holds: {} ({})", v.holds(), v.statement()),
//!     other => println!("{other:?}"), // Skipped { reason } names the unmet requirement
//! }
//! ```
//!
//! ## Cargo feature `cli`
//! On by default. It gates the command line and what only the command line needs: the modules
//! `cli`, `plot` (SVG figures) and `reproduce` (the paper's experiments with figures), and the
//! crates clap, indicatif and plotters. A library user that only simulates and checks claims
//! can write `reluflow = { version = "0.1", default-features = false }`; everything else
//! (data, initialisation, training, theory, claims, timelines) is the same.
//!
//! ## Loss convention
//! `L = 1/(2n) sum_k (h(x_k) - y_k)^2`, the paper's. A torch `MSELoss` is `2L`.

#![warn(missing_docs)]

pub mod campaign;
pub mod claims;
#[cfg(feature = "cli")]
pub mod cli;
pub mod data;
pub mod experiments;
pub mod frontier;
pub mod generators;
pub mod init;
pub mod instance;
pub mod network;
pub mod numerics;
pub mod params;
#[cfg(feature = "cli")]
pub mod plot;
pub mod recorded;
#[cfg(feature = "cli")]
pub mod reproduce;
pub mod seeds;
pub mod solver;
pub mod sweep;
pub mod theory;
pub mod timeline;
pub mod trajectory;

pub use data::Dataset;
pub use instance::Instance;
pub use params::{Params, ScaledParams};
