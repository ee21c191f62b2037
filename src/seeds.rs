//! Independent random streams, by construction.
//!
//! Every random draw in reluflow comes from a [`ChaCha8Rng`] made by [`rng`]`(seed, stream)`:
//! the key is expanded from the user's `seed` (as `ChaCha8Rng::seed_from_u64` does) and the
//! ChaCha stream id (the cipher's 64-bit nonce) is the [`Stream`] the draw is for. Two draws for
//! different purposes therefore never share a keystream, even when their seeds are equal: the data
//! drawn from `--data-seed 0` and the initialisation drawn from `--seed 0` are independent.
//!
//! Why this matters: with one shared stream, the first `d` normals of the Haar inputs (the first
//! column of the QR factor) and the first initial direction `g_0` were the same numbers, so with
//! equal seeds `w_0` was exactly parallel to `x_0` and `<w_0, x_k> ~ 1e-17` for every other `k`:
//! its activation on those points was decided by rounding (`tests/seeds.rs`).
//!
//! Stream ids are fixed forever (changing one changes every result drawn from it); a new purpose
//! gets a new id.
//!
//! ```
//! use rand::RngExt;
//! use reluflow::seeds::{Stream, rng};
//! let mut data = rng(0, Stream::DataInputs);
//! let mut init = rng(0, Stream::InitDirections);
//! // same seed, different purposes: different numbers
//! assert_ne!(data.random::<u64>(), init.random::<u64>());
//! // same seed and purpose: the same numbers, on every platform
//! assert_eq!(rng(7, Stream::DataLabels).random::<u64>(), rng(7, Stream::DataLabels).random::<u64>());
//! ```

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

/// What a random stream is for. The discriminant is the ChaCha stream id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum Stream {
    /// Inputs `x_k` of generated datasets (Haar orthonormal, Gaussian, positive-cone).
    DataInputs = 1,
    /// Labels `y_k` of generated datasets.
    DataLabels = 2,
    /// Initial directions `g_j` of eq. (4).
    InitDirections = 3,
    /// Signs `s_j` of a balanced initialisation, eq. (4).
    InitSigns = 4,
    /// Output weights `a_j / lambda` of an unbalanced initialisation (negative controls).
    InitOutputWeights = 5,
    /// The choices a generator makes to build an instance (`n`, `d`, `m`, `lambda`, sub-seeds).
    InstanceChoice = 6,
    /// The teacher network of Appendix A.2.
    Teacher = 7,
    /// Perturbations of inputs (nearly orthogonal data, rescaled inputs).
    InputPerturbation = 8,
    /// Parameter points and interpolators sampled by the landscape checks (L14, L15, P1).
    ParameterPoints = 9,
    /// Searches over initialisation seeds (e.g. for an initialisation violating Assumption 3).
    SeedSearch = 10,
}

/// The generator for `stream` under `seed`: `ChaCha8Rng::seed_from_u64(seed)` moved to the
/// stream id `stream as u64` (word position 0).
pub fn rng(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream as u64);
    r
}
