//! The numeric-mode trait: one method per numeric definition of `docs/numerics.md`.
//!
//! [`Network`](super::Network), [`GraphNetwork`](super::GraphNetwork) and the operations of
//! [`ops`](super::ops) are written once against this trait and decide *what* is computed
//! (which layer, which sample, which terms in which order, which fused loss rule); each mode
//! ([`F32`](super::F32), [`F64`](super::F64), [`Fixed`](super::Fixed)) decides *how* each step
//! rounds.
//! [`Accumulation`] describes an integer sum's terms so the fixed mode can prove it cannot
//! overflow.
//! Keeping the per-mode arithmetic in one `impl` per mode makes each `impl` a direct
//! transcription of its section of the numerics document, which is what the machine's
//! kernels are checked against.

use super::error::{GoldenError, Tensor};
use super::model::{Activation, Loss, Sgd};
use ndarray::{Array1, ArrayView, ArrayView1, ArrayView2, Dimension};
use std::fmt::Debug;

/// What bounds one term of an integer accumulation, for the fixed mode's overflow check
/// (`docs/numerics.md` §Overflow bound); `M` is the declared bound
/// [`FixedLimits::max_abs`](super::FixedLimits::max_abs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// The product of two operands checked against `M`: at most `M²`.
    Product,
    /// An operand checked against `M`, shifted to Q30 (an add's `δz << 15`): at most `M·2^15`.
    Shifted,
    /// A `δ` bounded only by `i32`, shifted to Q30 (pooling and flatten contributions): at
    /// most `2^46`.
    WideShifted,
    /// A probability (at most `ONE`) times an `i32` `δa`, the softmax Jacobian sum: at most
    /// `ONE·2^31`.
    Probability,
}

/// One integer accumulation a layer performs, described by its terms so that a mode can check
/// it cannot overflow (float modes ignore it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accumulation {
    /// The layer that performs it (for a tensor's `δ` sum, the layer producing the tensor).
    pub layer: usize,
    /// Which sum: `forward`, `backward`, `softmax backward` or `delta`.
    pub pass: &'static str,
    /// Groups of terms: how many, and what bounds each.
    pub terms: Vec<(usize, Term)>,
    /// Whether a bias (`b << 15`, at most `M·2^15`) is added too; it is not counted among the
    /// terms.
    pub bias: bool,
}

impl Accumulation {
    /// The weighted sum of one output: `taps` products and the bias.
    pub fn forward(layer: usize, taps: usize) -> Accumulation {
        Accumulation {
            layer,
            pass: "forward",
            terms: vec![(taps, Term::Product)],
            bias: true,
        }
    }

    /// The layer's own contribution to one input element: `readers` products (the (output
    /// position, filter) pairs that read it; a dense layer's units).
    pub fn backward(layer: usize, readers: usize) -> Accumulation {
        Accumulation {
            layer,
            pass: "backward",
            terms: vec![(readers, Term::Product)],
            bias: false,
        }
    }

    /// The softmax Jacobian sum over `units` outputs.
    pub fn softmax(layer: usize, units: usize) -> Accumulation {
        Accumulation {
            layer,
            pass: "softmax backward",
            terms: vec![(units, Term::Probability)],
            bias: false,
        }
    }

    /// The number of terms (the bias not counted).
    pub fn n_terms(&self) -> usize {
        self.terms.iter().map(|(n, _)| n).sum()
    }
}

/// A numeric mode of the reference.
pub trait Numeric: Debug + Clone + PartialEq + 'static {
    /// Element of weights, activations and deltas (`f32`, `f64`, or s16.15 `i32`); ordered
    /// for max pooling.
    type Value: Copy + PartialEq + PartialOrd + Debug + 'static;
    /// Element of batch gradients, of `δ` contributions and of wide sums of values (the float
    /// type itself, or an exact `i64`: Q30 for products and contributions, Q15 for a
    /// [`Numeric::widen`]ed value).
    type Grad: Copy + PartialEq + Debug + 'static;
    /// Mode-specific construction settings (`()` for floats, the value bound for fixed point).
    type Config: Clone + Debug;
    /// The optimiser's constants in this mode's representation, fixed at construction.
    type Constants: Copy + Debug + PartialEq;
    /// The mode's name in error messages.
    const NAME: &'static str;

    /// Converts and validates the hyper-parameters, and checks any mode-specific limits of
    /// the network's accumulations (the fixed mode's overflow bound).
    fn constants(
        sgd: &Sgd,
        config: &Self::Config,
        sums: &[Accumulation],
    ) -> Result<Self::Constants, GoldenError>;

    /// Checks that a batch of `batch` samples can be trained on (a dense layer's gradient
    /// sums: `batch` terms per element).
    fn check_batch(constants: &Self::Constants, batch: usize) -> Result<(), GoldenError>;

    /// Checks that layer `layer`'s kernel-gradient sum over `batch` samples of `positions`
    /// output positions each cannot overflow.
    fn check_gradient_sum(
        constants: &Self::Constants,
        layer: usize,
        batch: usize,
        positions: usize,
    ) -> Result<(), GoldenError>;

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

    /// The product term `x·w`: a kernel-gradient term `x_i·δz_j`, a weighted sum's tap
    /// `x·k`, a weighted node's contribution `k·δz` (exact Q30 in fixed point).
    fn kernel_term(x: Self::Value, delta_z: Self::Value) -> Self::Grad;

    /// One sample's bias-gradient term `δz_j` (in the same scale as [`Numeric::kernel_term`]).
    fn bias_term(delta_z: Self::Value) -> Self::Grad;

    /// A value as a `δ` contribution, in the scale of [`Numeric::kernel_term`]: `v` in float
    /// modes, `v << 15` in fixed point (an add's `δz`, max pooling's `δy`, flatten's `δ`).
    fn lift(value: Self::Value) -> Self::Grad;

    /// A weighted sum's finishing step from the taps' products summed from
    /// [`Numeric::grad_zero`]: `sum + b` in float modes, `sat32(round_shift(sum + (b << 15),
    /// 15))` in fixed point.
    fn weighted_sum(sum: Self::Grad, bias: Self::Value) -> Self::Value;

    /// A tensor's `δ` from the sum of all its consumers' contributions: the sum itself in
    /// float modes, `sat32(round_shift(sum, 15))` in fixed point.
    fn finish_delta(sum: Self::Grad) -> Self::Value;

    /// A value as a term of a sum of values (add, average pooling): `v` in float modes, the
    /// `i64` `v` (Q15, not shifted) in fixed point.
    fn widen(value: Self::Value) -> Self::Grad;

    /// An add's result from its inputs' [`Numeric::widen`]ed sum: the sum in float modes,
    /// `sat32(sum)` in fixed point.
    fn narrow(sum: Self::Grad) -> Self::Value;

    /// Average pooling's result from the [`Numeric::widen`]ed sum of the window's `n` real
    /// elements: `sum / n` in float modes, `sat32(round_div(sum, n))` in fixed point.
    fn average(sum: Self::Grad, n: usize) -> Self::Value;

    /// Average pooling's contribution to each of a window's `n` real elements: `δy / n` in
    /// float modes, `round_div(δy << 15, n)` in fixed point.
    fn average_contribution(delta: Self::Value, n: usize) -> Self::Grad;

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
