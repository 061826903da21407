//! The DNN library: what to train and on what, and how it runs on the simulated machine.
//!
//! * [`shape`]: tensor [`Shape`]s, channels last, and the flat (row-major) element order every
//!   tensor is keyed in.
//! * [`ops`]: the operations, one module each ([`ops::Dense`], [`ops::Conv`],
//!   [`ops::Pool`], [`ops::GlobalPool`], [`ops::Flatten`], [`ops::Add`]) with their shape
//!   rules, parameters and lowering onto the machine.
//! * [`graph`]: a network as a [`Graph`] of named nodes, built from [`LayerSpec`]s with shape
//!   inference and validation whose errors name the layer.
//! * [`model`]: [`ModelSpec`], a graph with a loss, SGD (optionally with momentum), a numeric
//!   mode (`f32` or s16.15 fixed point) and a seed; [`ModelSpec::init_weights`] gives
//!   deterministic Glorot-uniform [`Weights`].
//! * [`model_file`]: the TOML model file ([`ModelSpec::from_toml`], [`ModelSpec::to_toml`],
//!   [`read_model_file`]); its format is documented there and in `docs/model-files.md`.
//! * [`npz`]: [`Weights`] in and out as NumPy `.npz` in Keras layout (`{layer}/kernel`,
//!   `{layer}/bias`), with a `.npy` codec of our own.
//! * [`data`]: [`Dataset`]s: the embedded 8×8 [`digits`], the embedded MNIST subset
//!   ([`mnist`]), MNIST-style [`read_idx`] files, and a seeded [`Dataset::split`].
//! * [`machine`]: the graph on the simulated machine: the plan (tiles, blocks, folds), the
//!   machine graph and keys, the core programs and the host side.
//! * [`train`]: the training loop ([`train::fit`], [`train::evaluate`], [`train::predict`])
//!   with an [`train::Observer`] called after every batch.
//!
//! Architecture invariants:
//! * This crate does not depend on `spinn-verif`: the golden reference converts *from*
//!   these description types, so the reference cannot shape the product's API.
//! * Bad input (model files, `.npz` archives, CSV and IDX files) is an `Err` naming the file,
//!   key, array or line at fault, never a panic.
//! * Everything random (initial weights, shuffles) comes from a seeded `SplitMix64`, so the
//!   same seed gives the same numbers on every platform.

pub mod checkpoint;
pub mod data;
pub mod graph;
pub mod machine;
pub mod model;
pub mod model_file;
pub mod npz;
pub mod ops;
pub mod shape;
pub mod train;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use data::{
    digits, mnist, parse_digits_csv, parse_idx, read_idx, shuffled_indices, DataError, DataSource,
    Dataset,
};
pub use graph::{Graph, GraphError, LayerSpec, Node, NodeId};
pub use model::{
    first_beyond, LayerWeights, Loss, ModelBuilder, ModelError, ModelSpec, NumericMode, Optimizer,
    Weights, FIXED_MAX_ABS, MAX_BATCH_SIZE,
};
pub use model_file::{read_model_file, Location, ModelFile, ModelFileError};
pub use npz::{
    decode_npy, encode_npy, load_npz, read_npz, save_npz, write_npz, NpyArray, NpzError,
};
pub use ops::{Activation, Op};
pub use shape::Shape;
