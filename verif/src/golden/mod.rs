//! Golden reference for training networks, written for clarity in plain `ndarray` and flat
//! slices; the simulated machine's forward pass, backward pass and SGD updates must equal it
//! (bit-exact in fixed point, within 1e−5 relative in `f32`).
//!
//! The numeric definitions it implements are in `docs/numerics.md`; each mode's `impl` of
//! [`Numeric`] is a transcription of one section of that document:
//! * [`F32`] (and [`F64`], the same definitions in `f64` for finite-difference checks): plain
//!   IEEE arithmetic with every sum in a fixed, documented order.
//! * [`Fixed`]: s16.15 integers with exact `i64` accumulation and the rounding helpers of
//!   [`s16_15`]; see the [`fixed`] module doc for the rules and the overflow bound.
//!
//! Two networks, one set of structure-level steps (`shared.rs`: the output layer's `δ` rule,
//! the value checks, the SGD update with velocities):
//! * A [`Network`] is a stack of Keras-layout [`Dense`] layers (kernel (inputs, units), bias
//!   (units,)) with one [`Loss`] and plain or momentum [`Sgd`]: the simple dense reference
//!   that the graph network is cross-checked against.
//!   [`Network::train_batch`] returns the mean loss before the update; [`Network::layers`]
//!   gives the weights to compare after each batch; [`Network::forward_backward`] and
//!   [`Network::train_batch_traced`] return a [`Pass`] with every per-sample `z`, `a`, `δa`,
//!   `δz` and the per-layer batch gradients, so the machine can be compared layer by layer.
//! * A [`GraphNetwork`] trains a `spinn_dl::Graph` (dense, Conv1D/Conv2D, max, average and
//!   global average pooling, flatten, add) with one [`NodeParams`] per weighted node (kernel
//!   flat in Keras layout), the same losses and optimiser; [`GraphNetwork::forward_backward`]
//!   and [`GraphNetwork::train_batch_traced`] return a [`GraphPass`] with every node's
//!   per-sample `z`, `a`, finished `δ` and `δz`, and every weighted node's batch gradients.
//!   Each operation's forward pass and contribution to its inputs' `δ` live in [`ops`], one
//!   module per operation; a tensor's `δ` is finished once from all its consumers'
//!   contributions.
//!
//! [`from_spec`] builds either network from a `spinn_dl::ModelSpec` and its `Weights`.
//!
//! Architecture invariant: nothing here knows about the machine, packets or cores; the
//! reference sees whole tensors and the machine's block and tile decomposition is invisible to
//! it (which the fixed mode's exact, order-free integer sums make true bit for bit).

pub mod error;
pub mod fixed;
pub mod float;
pub mod from_spec;
pub mod graph;
pub mod model;
pub mod network;
pub mod numeric;
pub mod ops;
pub mod real;
pub mod s16_15;
pub(crate) mod shared;

pub use error::{GoldenError, Tensor};
pub use fixed::{Fixed, FixedConstants, FixedLimits};
pub use float::{Float, FloatConstants, F32, F64};
pub use graph::{GraphNetwork, GraphPass, NodeBackward, NodeForward, NodeParams};
pub use model::{Activation, Dense, Loss, Sgd};
pub use network::{LayerBackward, LayerForward, Network, Pass, Velocity};
pub use numeric::{Accumulation, Numeric, Term};
pub use real::Real;

/// A network in the machine's float mode.
pub type F32Network = Network<F32>;

/// A network in the s16.15 fixed-point mode.
pub type FixedNetwork = Network<Fixed>;

/// A graph network in the machine's float mode.
pub type F32Graph = GraphNetwork<F32>;

/// A graph network in the s16.15 fixed-point mode.
pub type FixedGraph = GraphNetwork<Fixed>;
