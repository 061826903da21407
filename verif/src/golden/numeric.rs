//! The numeric-mode trait: one method per numeric definition of `docs/numerics.md`.
//!
//! [`Network`](super::Network) is written once against this trait and decides *what* is
//! computed (which layer, which sample, which fused loss rule); each mode ([`F32`](super::F32),
//! [`F64`](super::F64), [`Fixed`](super::Fixed)) decides *how* each step rounds.
//! Keeping the per-mode arithmetic in one `impl` per mode makes each `impl` a direct
//! transcription of its section of the numerics document, which is what the machine's
//! kernels are checked against.

use super::error::{GoldenError, Tensor};
use super::model::{Activation, Dense, Loss, Sgd};
use ndarray::{Array1, ArrayView, ArrayView1, ArrayView2, Dimension};
use std::fmt::Debug;

/// A numeric mode of the reference.
pub trait Numeric: Debug + Clone + PartialEq + 'static {
    /// Element of weights, activations and deltas (`f32`, `f64`, or s16.15 `i32`).
    type Value: Copy + PartialEq + Debug + 'static;
    /// Element of batch gradients (the float type itself, or an exact Q30 `i64` sum).
    type Grad: Copy + PartialEq + Debug + 'static;
    /// Mode-specific construction settings (`()` for floats, the value bound for fixed point).
    type Config: Clone + Debug;
    /// The optimiser's constants in this mode's representation, fixed at construction.
    type Constants: Copy + Debug + PartialEq;
    /// The mode's name in error messages.
    const NAME: &'static str;

    /// Converts and validates the hyper-parameters, and checks any mode-specific limits of
    /// the layer shapes (the fixed mode's overflow bound).
    fn constants(
        layers: &[Dense<Self::Value>],
        sgd: &Sgd,
        config: &Self::Config,
    ) -> Result<Self::Constants, GoldenError>;

    /// Checks that a batch of `batch` samples can be trained on.
    fn check_batch(constants: &Self::Constants, batch: usize) -> Result<(), GoldenError>;

    /// Checks a tensor of values: finiteness for floats, the declared bound for fixed point.
    fn check_values<D: Dimension>(
        constants: &Self::Constants,
        layer: usize,
        tensor: Tensor,
        values: ArrayView<'_, Self::Value, D>,
    ) -> Result<(), GoldenError>;

    /// Checks a tensor of gradients (finiteness for floats; fixed-point sums are exact).
    fn check_gradients<D: Dimension>(
        layer: usize,
        tensor: Tensor,
        values: ArrayView<'_, Self::Grad, D>,
    ) -> Result<(), GoldenError>;

    /// The value 0, used to initialise arrays and velocities.
    fn zero() -> Self::Value;

    /// One sample through a dense layer: `z_j = Σ_i x_i·W_ij + b_j`.
    fn dense_forward(
        kernel: ArrayView2<'_, Self::Value>,
        bias: ArrayView1<'_, Self::Value>,
        x: ArrayView1<'_, Self::Value>,
    ) -> Array1<Self::Value>;

    /// One sample's activation `a = f(z)`.
    fn activate(activation: Activation, z: ArrayView1<'_, Self::Value>) -> Array1<Self::Value>;

    /// One sample's `δz` from `δa` through the activation (`δz = f'(z)·δa`, or the softmax
    /// Jacobian-vector product).
    fn activation_backward(
        activation: Activation,
        z: ArrayView1<'_, Self::Value>,
        a: ArrayView1<'_, Self::Value>,
        delta_a: ArrayView1<'_, Self::Value>,
    ) -> Array1<Self::Value>;

    /// The fused softmax + categorical cross-entropy rule: `δz = p − y`.
    fn softmax_cce_delta(
        p: ArrayView1<'_, Self::Value>,
        y: ArrayView1<'_, Self::Value>,
    ) -> Array1<Self::Value>;

    /// The fused sigmoid + binary cross-entropy rule: `δz = (a − y) / n_units`.
    fn sigmoid_bce_delta(
        a: ArrayView1<'_, Self::Value>,
        y: ArrayView1<'_, Self::Value>,
    ) -> Array1<Self::Value>;

    /// One sample's loss gradient with respect to the output activation, `δa = ∂L/∂a`, for
    /// every (activation, loss) pair that is not fused.
    fn loss_gradient(
        loss: Loss,
        a: ArrayView1<'_, Self::Value>,
        y: ArrayView1<'_, Self::Value>,
    ) -> Array1<Self::Value>;

    /// The batch's mean loss (reported as `f64`; in float modes computed in the float type and
    /// widened exactly).
    fn batch_loss(
        loss: Loss,
        a: ArrayView2<'_, Self::Value>,
        y: ArrayView2<'_, Self::Value>,
    ) -> f64;

    /// One sample's `δa` of the layer below: `δa_prev_i = Σ_j W_ij·δz_j`.
    fn dense_backward(
        kernel: ArrayView2<'_, Self::Value>,
        delta_z: ArrayView1<'_, Self::Value>,
    ) -> Array1<Self::Value>;

    /// The empty gradient sum.
    fn grad_zero() -> Self::Grad;

    /// One sample's kernel-gradient term `x_i·δz_j`.
    fn kernel_term(x: Self::Value, delta_z: Self::Value) -> Self::Grad;

    /// One sample's bias-gradient term `δz_j` (in the same scale as [`Numeric::kernel_term`]).
    fn bias_term(delta_z: Self::Value) -> Self::Grad;

    /// Adds one sample's term to a running gradient sum (samples are added in order).
    fn grad_add(sum: Self::Grad, term: Self::Grad) -> Self::Grad;

    /// Turns a summed gradient into the batch gradient the mode reports: the mean for floats,
    /// the exact sum itself for fixed point (whose update divides by the batch size).
    fn finish_gradient(sum: Self::Grad, batch: usize) -> Self::Grad;

    /// One parameter's SGD update from its batch gradient. `velocity` is `Some` exactly when
    /// the optimiser has momentum, and is updated in place.
    fn update(
        constants: &Self::Constants,
        param: Self::Value,
        velocity: Option<&mut Self::Value>,
        gradient: Self::Grad,
        batch: usize,
    ) -> Self::Value;
}
