//! [`Instance`]: the unit every simulation and every claim check runs on — a dataset, an
//! initialisation (eq. (4): `w_j = lambda g_j`, `a_j = s_j |w_j|`, seeded) and a model (the
//! activation and its derivative at 0) — with the helpers that simulate it.
//!
//! [`crate::generators`] builds instances that satisfy the paper's assumptions;
//! [`crate::claims`] judges them. Neither is needed to make one of your own:
//!
//! ```
//! use reluflow::{Instance, data::Dataset};
//! // two orthonormal points in R^2, labels +1 and -0.5 (Assumption 2: |D+| != |D-|)
//! let data = Dataset::new(vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![1.0, -0.5]).unwrap();
//! let instance = Instance::balanced(data, 16, 1e-6, 7);
//! assert_eq!(instance.lambda(), 1e-6);
//! let sets = instance.sets().unwrap(); // S+,1 and S-,1 of eq. (4)'s draw
//! println!("Assumption 3: {}", sets.assumption_3());
//! ```

use crate::data::Dataset;
use crate::init::{InitKind, InitSpec, Initialisation, NeuronSets};
use crate::network::{Model, ValidModel};
use crate::solver::flow::{FlowConfig, run_flow};
use crate::solver::gd::{GdConfig, run_gd};
use crate::solver::{Run, SimulationError, StopRule};
use crate::trajectory::{Recorder, SampleSchedule, Trajectory};

/// Data, initialisation and model: everything a check needs to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// The training set.
    pub data: Dataset,
    /// How `theta(0)` is drawn (kind, width `m`, scale `lambda`, seed).
    pub init: InitSpec,
    /// The activation (ReLU with `relu'(0) = 0` in the paper).
    pub model: Model,
}

impl Instance {
    /// A balanced ReLU instance (the paper's setting).
    pub fn balanced(data: Dataset, width: usize, lambda: f64, seed: u64) -> Self {
        Self { data, init: InitSpec { kind: InitKind::Balanced, width, lambda, seed }, model: Model::relu() }
    }
    /// The same instance at another `lambda`: the same seed gives the same directions `g_j` and
    /// signs `s_j` (the "lambda ladder" of the limit claims).
    pub fn with_lambda(&self, lambda: f64) -> Self {
        Self { init: InitSpec { lambda, ..self.init }, ..self.clone() }
    }
    /// The same instance with another model (negative controls: leaky ReLU, `relu'(0) != 0`).
    pub fn with_model(&self, model: Model) -> Self {
        Self { model, ..self.clone() }
    }
    /// The same instance with another initialisation kind.
    pub fn with_init_kind(&self, kind: InitKind) -> Self {
        Self { init: InitSpec { kind, ..self.init }, ..self.clone() }
    }
    /// `lambda`.
    pub fn lambda(&self) -> f64 {
        self.init.lambda
    }
    /// `ln(lambda)`.
    pub fn ln_lambda(&self) -> f64 {
        self.init.lambda.ln()
    }
    /// The validated model.
    pub fn valid_model(&self) -> Result<ValidModel, SimulationError> {
        self.model.validate().map_err(|e| SimulationError::Config(e.to_string()))
    }
    /// `theta(0)` and `c`, `c_min`.
    pub fn initialisation(&self) -> Result<Initialisation, SimulationError> {
        let spec = self.init.validate().map_err(|e| SimulationError::Config(e.to_string()))?;
        Ok(spec.draw(self.data.d()))
    }
    /// `S+,1` and `S-,1`.
    pub fn sets(&self) -> Result<NeuronSets, SimulationError> {
        Ok(NeuronSets::of(&self.initialisation()?.params, &self.data))
    }
    /// Runs the gradient flow with a recorder.
    pub fn flow(&self, cfg: &FlowConfig, schedule: SampleSchedule) -> Result<(Run, Trajectory), SimulationError> {
        let init = self.initialisation()?;
        let mut rec = Recorder::new(&self.data, schedule);
        let run = run_flow(&self.data, self.valid_model()?, &init.params, cfg, &mut rec)?;
        Ok((run, rec.finish()))
    }
    /// Runs gradient descent with a recorder.
    pub fn gd(&self, cfg: &GdConfig, schedule: SampleSchedule) -> Result<(Run, Trajectory), SimulationError> {
        let init = self.initialisation()?;
        let mut rec = Recorder::new(&self.data, schedule);
        let run = run_gd(&self.data, self.valid_model()?, &init.params, cfg, &mut rec)?;
        Ok((run, rec.finish()))
    }
    /// The flow until `loss < until_loss` or `horizon`, whichever comes first, no recording.
    pub fn flow_to_convergence(&self, until_loss: f64, horizon: f64, rtol: f64) -> Result<Run, SimulationError> {
        let init = self.initialisation()?;
        let cfg = FlowConfig {
            rtol,
            stop: StopRule { until_loss: Some(until_loss), horizon: Some(horizon), ..Default::default() },
            ..Default::default()
        };
        run_flow(&self.data, self.valid_model()?, &init.params, &cfg, &mut crate::solver::NoObserver)
    }
}
