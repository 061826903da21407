//! The DNN library, host side: what to train and on what, independent of the machine.
//!
//! * [`model`]: [`ModelSpec`], a validated sequential stack of dense layers with a loss, SGD
//!   (optionally with momentum), a numeric mode (`f32` or s16.15 fixed point) and a seed;
//!   built with [`ModelSpec::builder`]; [`ModelSpec::init_weights`] gives deterministic
//!   Glorot-uniform [`Weights`].
//! * [`model_file`]: the TOML model file ([`ModelSpec::from_toml`], [`ModelSpec::to_toml`],
//!   [`read_model_file`]); its format is documented there.
//! * [`npz`]: [`Weights`] in and out as NumPy `.npz` in Keras layout (`dense_{i}/kernel`,
//!   `dense_{i}/bias`), with a `.npy` codec of our own.
//! * [`data`]: [`Dataset`]s: the embedded 8×8 [`digits`], MNIST [`read_idx`] files, and a
//!   seeded [`Dataset::split`].
//!
//! * [`plan`]: how each layer's weight matrix is cut into 2-D blocks and accumulators that fit
//!   a core's DTCM ([`plan()`], [`PlanConfig::SPINNAKER1`]).
//!
//! The kernels that run the plan on the simulated machine (and its keys and routes) will build
//! on these types.
//!
//! Architecture invariants:
//! * This crate does not depend on `spinn-verif`: the golden reference converts *from*
//!   these description types, so the reference cannot shape the product's API.
//! * Bad input (model files, `.npz` archives, CSV and IDX files) is an `Err` naming the file,
//!   key, array or line at fault, never a panic.
//! * Everything random (initial weights, shuffles) comes from a seeded `SplitMix64`, so the
//!   same seed gives the same numbers on every platform.

pub mod data;
pub mod machine;
pub mod model;
pub mod model_file;
pub mod npz;
pub mod plan;

pub use data::{
    digits, parse_digits_csv, parse_idx, read_idx, shuffled_indices, DataError, Dataset,
};
pub use model::{
    Activation, DenseSpec, LayerWeights, Loss, ModelBuilder, ModelError, ModelSpec, NumericMode,
    Optimizer, Weights,
};
pub use model_file::{read_model_file, Location, ModelFileError};
pub use npz::{
    decode_npy, encode_npy, load_npz, read_npz, save_npz, write_npz, NpyArray, NpzError,
};
pub use plan::{plan, LayerPlan, Plan, PlanConfig, PlanError};
