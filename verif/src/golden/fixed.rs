//! The s16.15 fixed-point mode ([`Fixed`]), bit-exact by construction
//! (`docs/numerics.md` §Fixed).
//!
//! Every weight, bias, activation, delta, label and optimiser constant is an `i32` holding
//! `value × 2^15` ([`S16_15`]).
//! Integer steps:
//! * Dense forward: `z_j = sat32(round_shift(Σ_i x_i·W_ij + (b_j << 15), 15))`, the sum exact
//!   in `i64` (so the order of the terms, and any block decomposition, is irrelevant).
//! * Dense backward: `δa_prev_i = sat32(round_shift(Σ_j W_ij·δz_j, 15))`, exact in `i64`.
//! * relu: `max(0, z)`, `δz = δa` if `z > 0` else 0. identity: `a = z`, `δz = δa`.
//! * sigmoid: `δz = mul(δa, mul(a, ONE − a))`. tanh: `δz = mul(δa, ONE − mul(a, a))`.
//! * softmax backward (any loss but CCE): `s = Σ_j p_j·δa_j` exact in `i64` (Q30),
//!   `δz_i = sat32(round_shift(p_i·((δa_i << 15) − s), 30))` exact in `i128`.
//! * Fused softmax + CCE: `δz = sat32(p − y)`. Fused sigmoid + BCE:
//!   `δz = sat32(round_div(a − y, n_units))`. MSE: `δa = sat32(round_div(2·(a − y), n_units))`.
//! * Batch gradients: `G_ij = Σ_samples x_i·δz_j` and `G_j = Σ_samples (δz_j << 15)`, both
//!   exact Q30 `i64`.
//! * Update: `step = sat32(round_div(lr·G, batch·2^30))`; plain `w ← sat32(w − step)`;
//!   momentum `v ← sat32(mul(μ, v) − step)`, `w ← sat32(w + v)`.
//!
//! Graphs (`docs/numerics.md` §Fixed, Graphs): a convolution's weighted sum is the dense rule
//! over its real taps; an add is `sat32(Σ x)` in `i64`; average pooling is
//! `sat32(round_div(Σ x, n))`; `δ` contributions are exact Q30 (`k·δz` products, `δ << 15`
//! for add, max pooling and flatten, `round_div(δy << 15, n)` for average pooling), and a
//! tensor's `δ` is `sat32(round_shift(Σ contributions, 15))` over all its consumers, rounded
//! once.
//!
//! Transcendental steps (sigmoid, tanh, softmax, and the δa of cross-entropy losses other than
//! the fused pairs) are evaluated by the [`F64`] definitions on `q / 2^15` and rounded back
//! with [`to_fixed`].
//! On an ARM968 these would be lookup tables; here both the reference and the simulated
//! machine call the same host libm through the same `f64` expressions, which is why the mode
//! can still be bit-exact.
//!
//! # Overflow bound
//! An `i64` sum of `n` products of magnitude at most `M²` cannot overflow while
//! `n·M² (+ M·2^15 for the bias) ≤ i64::MAX`.
//! With `M` the declared bound [`FixedLimits::max_abs`] on every operand of an accumulation
//! (layer inputs, weights, biases and `δz`), the constructor checks this for the forward sum
//! (`n_inputs` terms plus the bias), the backward sum (`n_units` terms) and, for softmax
//! layers, the Jacobian sum (`n_units` terms of `ONE·2^31`, since `δa` is only bounded by
//! `i32`), each described by the network as an [`Accumulation`] (a graph also describes every
//! tensor's `δ` sum over all its consumers); each batch checks `batch·M²` (times the output
//! positions of a convolution) for the gradient sums.
//! At run time every accumulation operand is checked against `M` before it is used, so a
//! value that would void the proof is reported as [`GoldenError::FixedOutOfRange`] instead of
//! wrapping silently.
//! For example `M = 2^24` (512.0) allows layers of up to 32767 inputs and batches of 32767.

use super::error::{GoldenError, Tensor};
use super::float::F64;
use super::model::{Activation, Loss, Sgd};
use super::numeric::{Accumulation, Numeric, Term};
use super::s16_15::{
    from_fixed, mul, round_div, round_shift, round_shift_wide, sat32, sat32_wide, to_fixed,
    FRAC_BITS, ONE, Q30, S16_15,
};
use ndarray::{Array1, ArrayView, ArrayView1, ArrayView2, Dimension, Zip};

/// The s16.15 fixed-point mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed;

/// The magnitude bound the fixed mode's overflow proof rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedLimits {
    /// Largest |value| (as s16.15, so `1 << 24` is 512.0) that any layer input, weight, bias
    /// or `δz` may take; must be at least [`ONE`].
    pub max_abs: S16_15,
}

/// The optimiser's constants in s16.15, and the declared bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedConstants {
    /// `to_fixed(lr)`, at least 1.
    pub learning_rate: S16_15,
    /// `to_fixed(μ)`, if the optimiser has momentum.
    pub momentum: Option<S16_15>,
    /// [`FixedLimits::max_abs`].
    pub max_abs: S16_15,
}

/// Whether a tensor is an operand of an `i64` accumulation, and so must respect the bound.
/// `z`, `δa`, labels and velocities only feed single products or subtractions formed in
/// `i64`, or (softmax `δa`) are covered by the constructor's `i32`-wide bound.
fn is_accumulation_operand(tensor: Tensor) -> bool {
    matches!(
        tensor,
        Tensor::Input | Tensor::Kernel | Tensor::Bias | Tensor::PreActivationDelta
    )
}

/// Converts s16.15 values to `f64` for the transcendental steps.
fn to_real(values: ArrayView1<'_, S16_15>) -> Array1<f64> {
    values.mapv(from_fixed)
}

/// The largest magnitude one term of this kind can have under the bound `max_abs`.
fn term_bound(term: Term, max_abs: i128) -> i128 {
    match term {
        Term::Product => max_abs * max_abs,
        Term::Shifted => max_abs << FRAC_BITS,
        Term::WideShifted => -i128::from(i32::MIN) << FRAC_BITS,
        // δa is only saturated to i32, not checked against the bound.
        Term::Probability => i128::from(ONE) * -i128::from(i32::MIN),
    }
}

/// The largest kernel-gradient sum of `batch` samples with `positions` products each.
fn gradient_worst_case(constants: &FixedConstants, batch: usize, positions: usize) -> i128 {
    let max_abs = i128::from(constants.max_abs);
    batch as i128 * positions as i128 * max_abs * max_abs
}

impl Numeric for Fixed {
    type Value = S16_15;
    type Grad = Q30;
    type Config = FixedLimits;
    type Constants = FixedConstants;
    const NAME: &'static str = "s16.15";

    fn constants(
        sgd: &Sgd,
        config: &FixedLimits,
        sums: &[Accumulation],
    ) -> Result<FixedConstants, GoldenError> {
        sgd.validate(Self::NAME)?;
        let lr_q15 = (sgd.learning_rate * f64::from(ONE)).round();
        if !(1.0..=f64::from(i32::MAX)).contains(&lr_q15) {
            return Err(GoldenError::FixedLearningRate {
                value: sgd.learning_rate,
                // Saturating cast: the error only reports which side the rate fell off.
                q15: lr_q15 as i64,
            });
        }
        if config.max_abs < ONE {
            return Err(GoldenError::FixedBoundTooSmall {
                max_abs: config.max_abs,
                one: ONE,
            });
        }
        let max_abs = i128::from(config.max_abs);
        for sum in sums {
            let bias = if sum.bias { max_abs << FRAC_BITS } else { 0 };
            let worst_case = sum
                .terms
                .iter()
                .map(|&(n, term)| n as i128 * term_bound(term, max_abs))
                .sum::<i128>()
                + bias;
            if worst_case > i128::from(i64::MAX) {
                return Err(GoldenError::FixedLayerOverflow {
                    layer: sum.layer,
                    pass: sum.pass,
                    terms: sum.n_terms(),
                    worst_case,
                });
            }
        }
        Ok(FixedConstants {
            learning_rate: to_fixed(sgd.learning_rate),
            momentum: sgd.momentum.map(to_fixed),
            max_abs: config.max_abs,
        })
    }

    fn check_batch(constants: &FixedConstants, batch: usize) -> Result<(), GoldenError> {
        // The kernel sum has `batch` products of at most M²; the bias sum's terms
        // (δz << 15) are smaller because M ≥ 2^15.
        let worst_case = gradient_worst_case(constants, batch, 1);
        if worst_case > i128::from(i64::MAX) {
            return Err(GoldenError::FixedBatchOverflow { batch, worst_case });
        }
        Ok(())
    }

    fn check_gradient_sum(
        constants: &FixedConstants,
        layer: usize,
        batch: usize,
        positions: usize,
    ) -> Result<(), GoldenError> {
        let worst_case = gradient_worst_case(constants, batch, positions);
        if worst_case > i128::from(i64::MAX) {
            return Err(GoldenError::FixedGradientOverflow {
                layer,
                batch,
                positions,
                worst_case,
            });
        }
        Ok(())
    }

    fn check_values<D: Dimension>(
        constants: &FixedConstants,
        layer: usize,
        tensor: Tensor,
        values: ArrayView<'_, S16_15, D>,
    ) -> Result<(), GoldenError> {
        if !is_accumulation_operand(tensor) {
            return Ok(());
        }
        let max_abs = constants.max_abs;
        let outside = |value: &S16_15| value.unsigned_abs() > max_abs.unsigned_abs();
        // A plain scan first: indexed iteration is slow, and only an offender needs its index.
        if !values.iter().any(outside) {
            return Ok(());
        }
        match values
            .into_dyn()
            .indexed_iter()
            .find(|(_, value)| outside(value))
        {
            None => Ok(()),
            Some((index, &value)) => Err(GoldenError::FixedOutOfRange {
                layer,
                tensor,
                index: index.slice().to_vec(),
                value: i64::from(value),
                max_abs,
            }),
        }
    }

    fn check_gradients<D: Dimension>(
        _layer: usize,
        _tensor: Tensor,
        _values: ArrayView<'_, Q30, D>,
    ) -> Result<(), GoldenError> {
        // Exact sums, bounded by `check_batch`.
        Ok(())
    }

    fn zero() -> S16_15 {
        0
    }

    fn dense_forward(
        kernel: ArrayView2<'_, S16_15>,
        bias: ArrayView1<'_, S16_15>,
        x: ArrayView1<'_, S16_15>,
    ) -> Array1<S16_15> {
        Array1::from_shape_fn(kernel.ncols(), |j| {
            let mut acc: i64 = i64::from(bias[j]) << FRAC_BITS;
            for i in 0..kernel.nrows() {
                acc += i64::from(x[i]) * i64::from(kernel[[i, j]]);
            }
            sat32(round_shift(acc, FRAC_BITS))
        })
    }

    fn activate(activation: Activation, z: ArrayView1<'_, S16_15>) -> Array1<S16_15> {
        match activation {
            Activation::Identity => z.to_owned(),
            Activation::Relu => z.mapv(|v| v.max(0)),
            Activation::Sigmoid | Activation::Tanh | Activation::Softmax => {
                F64::activate(activation, to_real(z).view()).mapv(to_fixed)
            }
        }
    }

    fn activation_backward(
        activation: Activation,
        z: ArrayView1<'_, S16_15>,
        a: ArrayView1<'_, S16_15>,
        delta_a: ArrayView1<'_, S16_15>,
    ) -> Array1<S16_15> {
        match activation {
            Activation::Identity => delta_a.to_owned(),
            Activation::Relu => Zip::from(&z)
                .and(&delta_a)
                .map_collect(|&z, &d| if z > 0 { d } else { 0 }),
            Activation::Sigmoid => Zip::from(&a)
                .and(&delta_a)
                .map_collect(|&a, &d| mul(d, mul(a, sat32(i64::from(ONE) - i64::from(a))))),
            Activation::Tanh => Zip::from(&a)
                .and(&delta_a)
                .map_collect(|&a, &d| mul(d, sat32(i64::from(ONE) - i64::from(mul(a, a))))),
            Activation::Softmax => {
                let dot: i64 = a
                    .iter()
                    .zip(delta_a.iter())
                    .map(|(&p, &d)| i64::from(p) * i64::from(d))
                    .sum();
                Zip::from(&a).and(&delta_a).map_collect(|&p, &d| {
                    let centred = (i128::from(d) << FRAC_BITS) - i128::from(dot);
                    sat32_wide(round_shift_wide(i128::from(p) * centred, 2 * FRAC_BITS))
                })
            }
        }
    }

    fn softmax_cce_delta(p: ArrayView1<'_, S16_15>, y: ArrayView1<'_, S16_15>) -> Array1<S16_15> {
        Zip::from(&p)
            .and(&y)
            .map_collect(|&p, &y| sat32(i64::from(p) - i64::from(y)))
    }

    fn sigmoid_bce_delta(a: ArrayView1<'_, S16_15>, y: ArrayView1<'_, S16_15>) -> Array1<S16_15> {
        let n_units = a.len() as i128;
        Zip::from(&a)
            .and(&y)
            .map_collect(|&a, &y| sat32_wide(round_div(i128::from(a) - i128::from(y), n_units)))
    }

    fn loss_gradient(
        loss: Loss,
        a: ArrayView1<'_, S16_15>,
        y: ArrayView1<'_, S16_15>,
    ) -> Array1<S16_15> {
        match loss {
            Loss::MeanSquaredError => {
                let n_units = a.len() as i128;
                Zip::from(&a).and(&y).map_collect(|&a, &y| {
                    sat32_wide(round_div(2 * (i128::from(a) - i128::from(y)), n_units))
                })
            }
            // Logarithmic losses have no integer form: the F64 formula on the fixed values.
            Loss::CategoricalCrossEntropy | Loss::BinaryCrossEntropy => {
                F64::loss_gradient(loss, to_real(a).view(), to_real(y).view()).mapv(to_fixed)
            }
        }
    }

    fn batch_loss(loss: Loss, a: ArrayView2<'_, S16_15>, y: ArrayView2<'_, S16_15>) -> f64 {
        F64::batch_loss(loss, a.mapv(from_fixed).view(), y.mapv(from_fixed).view())
    }

    fn dense_backward(
        kernel: ArrayView2<'_, S16_15>,
        delta_z: ArrayView1<'_, S16_15>,
    ) -> Array1<S16_15> {
        Array1::from_shape_fn(kernel.nrows(), |i| {
            let mut acc: i64 = 0;
            for j in 0..kernel.ncols() {
                acc += i64::from(kernel[[i, j]]) * i64::from(delta_z[j]);
            }
            sat32(round_shift(acc, FRAC_BITS))
        })
    }

    fn grad_zero() -> Q30 {
        0
    }

    fn kernel_term(x: S16_15, delta_z: S16_15) -> Q30 {
        i64::from(x) * i64::from(delta_z)
    }

    fn bias_term(delta_z: S16_15) -> Q30 {
        // Q15 → Q30, so the update treats kernel and bias sums alike.
        Self::lift(delta_z)
    }

    fn lift(value: S16_15) -> Q30 {
        i64::from(value) << FRAC_BITS
    }

    fn weighted_sum(sum: Q30, bias: S16_15) -> S16_15 {
        // Exact: the constructor's forward bound keeps the taps and the bias within i64.
        sat32(round_shift(sum + Self::lift(bias), FRAC_BITS))
    }

    fn finish_delta(sum: Q30) -> S16_15 {
        sat32(round_shift(sum, FRAC_BITS))
    }

    fn widen(value: S16_15) -> i64 {
        i64::from(value)
    }

    fn narrow(sum: i64) -> S16_15 {
        sat32(sum)
    }

    fn average(sum: i64, n: usize) -> S16_15 {
        sat32_wide(round_div(i128::from(sum), n as i128))
    }

    fn average_contribution(delta: S16_15, n: usize) -> Q30 {
        let contribution = round_div(i128::from(Self::lift(delta)), n as i128);
        // |δ << 15| / n ≤ 2^46, so the quotient fits.
        contribution as i64
    }

    fn grad_add(sum: Q30, term: Q30) -> Q30 {
        sum + term
    }

    fn finish_gradient(sum: Q30, _batch: usize) -> Q30 {
        // Kept as the exact sum: dividing here would round twice.
        sum
    }

    fn update(
        constants: &FixedConstants,
        param: S16_15,
        velocity: Option<&mut S16_15>,
        gradient: Q30,
        batch: usize,
    ) -> S16_15 {
        // lr (Q15) × G (Q30) is Q45; dividing by batch·2^30 gives the mean step in Q15.
        let scaled = i128::from(constants.learning_rate) * i128::from(gradient);
        let step = sat32_wide(round_div(scaled, (batch as i128) << (2 * FRAC_BITS)));
        match velocity {
            None => sat32(i64::from(param) - i64::from(step)),
            Some(velocity) => {
                let momentum = constants
                    .momentum
                    .expect("invariant: velocities exist only when momentum is configured");
                *velocity = sat32(i64::from(mul(momentum, *velocity)) - i64::from(step));
                sat32(i64::from(param) + i64::from(*velocity))
            }
        }
    }
}
