//! Golden reference for training dense networks, written for clarity in plain `ndarray`; the
//! simulated machine's forward pass, backward pass and SGD updates must equal it (bit-exact in
//! fixed point, within 1e−5 relative in `f32`).
//!
//! The numeric definitions it implements are in `docs/numerics.md`; each mode's `impl` of
//! [`Numeric`] is a transcription of one section of that document:
//! * [`F32`] (and [`F64`], the same definitions in `f64` for finite-difference checks): plain
//!   IEEE arithmetic with every sum in increasing index order.
//! * [`Fixed`]: s16.15 integers with exact `i64` accumulation and the rounding helpers of
//!   [`s16_15`]; see the [`fixed`] module doc for the rules and the overflow bound.
//!
//! A [`Network`] is a stack of Keras-layout [`Dense`] layers (kernel (inputs, units), bias
//! (units,)) with one [`Loss`] and plain or momentum [`Sgd`].
//! [`Network::train_batch`] returns the mean loss before the update; [`Network::layers`] gives
//! the weights to compare after each batch; [`Network::forward_backward`] and
//! [`Network::train_batch_traced`] return a [`Pass`] with every per-sample `z`, `a`, `δa`, `δz`
//! and the per-layer batch gradients, so the machine can be compared layer by layer.
//!
//! Architecture invariant: nothing here knows about the machine, packets or cores; the
//! reference sees whole matrices and the machine's block decomposition is invisible to it
//! (which the fixed mode's exact, order-free integer sums make true bit for bit).

pub mod error;
pub mod fixed;
pub mod float;
pub mod from_spec;
pub mod model;
pub mod network;
pub mod numeric;
pub mod real;
pub mod s16_15;

pub use error::{GoldenError, Tensor};
pub use fixed::{Fixed, FixedConstants, FixedLimits};
pub use float::{Float, FloatConstants, F32, F64};
pub use model::{Activation, Dense, Loss, Sgd};
pub use network::{LayerBackward, LayerForward, Network, Pass, Velocity};
pub use numeric::Numeric;
pub use real::Real;

/// A network in the machine's float mode.
pub type F32Network = Network<F32>;

/// A network in the s16.15 fixed-point mode.
pub type FixedNetwork = Network<Fixed>;
