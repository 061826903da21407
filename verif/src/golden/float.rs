//! The float modes ([`F32`], and [`F64`] for finite differences): plain IEEE arithmetic in a
//! fixed evaluation order (`docs/numerics.md` §Float).
//!
//! Every sum runs over increasing index (inputs for the forward pass, units for the backward
//! pass and the softmax, samples for batch gradients and the batch loss), starting from 0.
//! Operations are written in the exact order and association used by the numerics document,
//! so an independent implementation following that document rounds the same way.

use super::error::{GoldenError, Tensor};
use super::model::{Activation, Loss, Sgd};
use super::numeric::{Accumulation, Numeric};
use super::real::Real;
use ndarray::{Array1, ArrayView, ArrayView1, ArrayView2, Dimension, Zip};
use std::marker::PhantomData;

/// The float mode over the float type `T`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Float<T>(PhantomData<T>);

/// The machine's float mode.
pub type F32 = Float<f32>;

/// The same definitions in `f64`, for finite-difference checks and for the fixed mode's
/// transcendental functions.
pub type F64 = Float<f64>;

/// The optimiser's constants converted to `T`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatConstants<T> {
    /// `lr` as `T`.
    pub learning_rate: T,
    /// `μ` as `T`, if the optimiser has momentum.
    pub momentum: Option<T>,
}

/// Probabilities are clipped to `[ε, 1 − ε]` with `ε = 1e−7` (Keras' `epsilon()`), both
/// bounds computed in `T`, before any logarithm or division by a probability.
pub(crate) fn clip_probability<T: Real>(p: T) -> T {
    let low = T::from_f64(1e-7);
    let high = T::ONE - low;
    if p < low {
        low
    } else if p > high {
        high
    } else {
        p
    }
}

/// The stable softmax: `m = max z`, `e_j = exp(z_j − m)`, `s = Σ_j e_j`, `p_j = e_j / s`.
pub(crate) fn softmax<T: Real>(z: ArrayView1<'_, T>) -> Array1<T> {
    let max = z
        .iter()
        .copied()
        .fold(z[0], |acc, v| if v > acc { v } else { acc });
    let exps = z.mapv(|v| (v - max).exp());
    let sum = exps.iter().copied().fold(T::ZERO, |acc, e| acc + e);
    exps.mapv(|e| e / sum)
}

/// Checks every element with `is_finite`, naming the first offender.
fn check_finite<T: Real, D: Dimension>(
    layer: usize,
    tensor: Tensor,
    values: ArrayView<'_, T, D>,
) -> Result<(), GoldenError> {
    // A plain scan first: indexed iteration is slow, and only an offender needs its index.
    if values.iter().all(|value| value.is_finite()) {
        return Ok(());
    }
    match values
        .into_dyn()
        .indexed_iter()
        .find(|(_, value)| !value.is_finite())
    {
        None => Ok(()),
        Some((index, value)) => Err(GoldenError::NonFinite {
            layer,
            tensor,
            index: index.slice().to_vec(),
            value: value.to_f64(),
            mode: T::NAME,
        }),
    }
}

impl<T: Real> Numeric for Float<T> {
    type Value = T;
    type Grad = T;
    type Config = ();
    type Constants = FloatConstants<T>;
    const NAME: &'static str = T::NAME;

    fn constants(
        sgd: &Sgd,
        _config: &(),
        _sums: &[Accumulation],
    ) -> Result<FloatConstants<T>, GoldenError> {
        sgd.validate(T::NAME)?;
        let learning_rate = T::from_f64(sgd.learning_rate);
        // A rate that is valid in f64 can still overflow to ∞ or underflow to 0 in f32.
        if !learning_rate.is_finite() || learning_rate <= T::ZERO {
            return Err(GoldenError::InvalidLearningRate {
                value: sgd.learning_rate,
                mode: T::NAME,
            });
        }
        Ok(FloatConstants {
            learning_rate,
            momentum: sgd.momentum.map(T::from_f64),
        })
    }

    fn check_batch(_constants: &FloatConstants<T>, _batch: usize) -> Result<(), GoldenError> {
        // Float sums cannot overflow silently: a too-large sum becomes ∞ and is caught by
        // `check_values`.
        Ok(())
    }

    fn check_gradient_sum(
        _constants: &FloatConstants<T>,
        _layer: usize,
        _batch: usize,
        _positions: usize,
    ) -> Result<(), GoldenError> {
        Ok(())
    }

    fn check_values<D: Dimension>(
        _constants: &FloatConstants<T>,
        layer: usize,
        tensor: Tensor,
        values: ArrayView<'_, T, D>,
    ) -> Result<(), GoldenError> {
        check_finite(layer, tensor, values)
    }

    fn check_gradients<D: Dimension>(
        layer: usize,
        tensor: Tensor,
        values: ArrayView<'_, T, D>,
    ) -> Result<(), GoldenError> {
        check_finite(layer, tensor, values)
    }

    fn zero() -> T {
        T::ZERO
    }

    fn dense_forward(
        kernel: ArrayView2<'_, T>,
        bias: ArrayView1<'_, T>,
        x: ArrayView1<'_, T>,
    ) -> Array1<T> {
        Array1::from_shape_fn(kernel.ncols(), |j| {
            let mut acc = T::ZERO;
            for i in 0..kernel.nrows() {
                acc = acc + x[i] * kernel[[i, j]];
            }
            // The bias is added after the dot product, as a matmul followed by a bias add.
            acc + bias[j]
        })
    }

    fn activate(activation: Activation, z: ArrayView1<'_, T>) -> Array1<T> {
        match activation {
            Activation::Identity => z.to_owned(),
            Activation::Relu => z.mapv(|v| if v > T::ZERO { v } else { T::ZERO }),
            Activation::Sigmoid => z.mapv(|v| T::ONE / (T::ONE + (-v).exp())),
            Activation::Tanh => z.mapv(T::tanh),
            Activation::Softmax => softmax(z),
        }
    }

    fn activation_backward(
        activation: Activation,
        z: ArrayView1<'_, T>,
        a: ArrayView1<'_, T>,
        delta_a: ArrayView1<'_, T>,
    ) -> Array1<T> {
        match activation {
            Activation::Identity => delta_a.to_owned(),
            Activation::Relu => {
                Zip::from(&z)
                    .and(&delta_a)
                    .map_collect(|&z, &d| if z > T::ZERO { d } else { T::ZERO })
            }
            Activation::Sigmoid => Zip::from(&a)
                .and(&delta_a)
                .map_collect(|&a, &d| d * (a * (T::ONE - a))),
            Activation::Tanh => Zip::from(&a)
                .and(&delta_a)
                .map_collect(|&a, &d| d * (T::ONE - a * a)),
            Activation::Softmax => {
                // The full Jacobian-vector product δz_i = p_i·(δa_i − Σ_j p_j·δa_j); the
                // prior prototype kept only the diagonal p_i(1 − p_i)·δa_i, which is wrong
                // whenever more than one unit carries an error.
                let mut dot = T::ZERO;
                for j in 0..a.len() {
                    dot = dot + a[j] * delta_a[j];
                }
                Zip::from(&a)
                    .and(&delta_a)
                    .map_collect(|&p, &d| p * (d - dot))
            }
        }
    }

    fn softmax_cce_delta(p: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> Array1<T> {
        // Per sample, so there is no division by the unit count: CCE sums over units.
        &p - &y
    }

    fn sigmoid_bce_delta(a: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> Array1<T> {
        let n_units = T::from_usize(a.len());
        Zip::from(&a)
            .and(&y)
            .map_collect(|&a, &y| (a - y) / n_units)
    }

    fn loss_gradient(loss: Loss, a: ArrayView1<'_, T>, y: ArrayView1<'_, T>) -> Array1<T> {
        let n_units = T::from_usize(a.len());
        match loss {
            Loss::MeanSquaredError => Zip::from(&a)
                .and(&y)
                .map_collect(|&a, &y| T::TWO * (a - y) / n_units),
            Loss::CategoricalCrossEntropy => Zip::from(&a)
                .and(&y)
                .map_collect(|&a, &y| -y / clip_probability(a)),
            Loss::BinaryCrossEntropy => Zip::from(&a).and(&y).map_collect(|&a, &y| {
                let a = clip_probability(a);
                (a - y) / (a * (T::ONE - a)) / n_units
            }),
        }
    }

    fn batch_loss(loss: Loss, a: ArrayView2<'_, T>, y: ArrayView2<'_, T>) -> f64 {
        let n_units = T::from_usize(a.ncols());
        let mut total = T::ZERO;
        for (a, y) in a.rows().into_iter().zip(y.rows()) {
            let mut sum = T::ZERO;
            for (&a, &y) in a.iter().zip(y.iter()) {
                let term = match loss {
                    Loss::MeanSquaredError => (a - y) * (a - y),
                    Loss::CategoricalCrossEntropy => y * clip_probability(a).ln(),
                    Loss::BinaryCrossEntropy => {
                        let a = clip_probability(a);
                        y * a.ln() + (T::ONE - y) * (T::ONE - a).ln()
                    }
                };
                sum = sum + term;
            }
            // Both cross-entropies are −Σ y log p: the minus makes the loss non-negative
            // (the prior prototype's BCE value had the sign of its second term flipped).
            let sample = match loss {
                Loss::MeanSquaredError => sum / n_units,
                Loss::CategoricalCrossEntropy => -sum,
                Loss::BinaryCrossEntropy => -sum / n_units,
            };
            total = total + sample;
        }
        (total / T::from_usize(a.nrows())).to_f64()
    }

    fn dense_backward(kernel: ArrayView2<'_, T>, delta_z: ArrayView1<'_, T>) -> Array1<T> {
        Array1::from_shape_fn(kernel.nrows(), |i| {
            let mut acc = T::ZERO;
            for j in 0..kernel.ncols() {
                acc = acc + kernel[[i, j]] * delta_z[j];
            }
            acc
        })
    }

    fn grad_zero() -> T {
        T::ZERO
    }

    fn kernel_term(x: T, delta_z: T) -> T {
        x * delta_z
    }

    fn bias_term(delta_z: T) -> T {
        delta_z
    }

    fn lift(value: T) -> T {
        value
    }

    fn weighted_sum(sum: T, bias: T) -> T {
        // The bias is added after the taps, as the dense forward adds it after the dot product.
        sum + bias
    }

    fn finish_delta(sum: T) -> T {
        sum
    }

    fn widen(value: T) -> T {
        value
    }

    fn narrow(sum: T) -> T {
        sum
    }

    fn average(sum: T, n: usize) -> T {
        sum / T::from_usize(n)
    }

    fn average_contribution(delta: T, n: usize) -> T {
        delta / T::from_usize(n)
    }

    fn grad_add(sum: T, term: T) -> T {
        sum + term
    }

    fn finish_gradient(sum: T, batch: usize) -> T {
        sum / T::from_usize(batch)
    }

    fn update(
        constants: &FloatConstants<T>,
        param: T,
        velocity: Option<&mut T>,
        gradient: T,
        _batch: usize,
    ) -> T {
        let lr = constants.learning_rate;
        match velocity {
            None => param - lr * gradient,
            Some(velocity) => {
                let momentum = constants
                    .momentum
                    .expect("invariant: velocities exist only when momentum is configured");
                *velocity = momentum * *velocity - lr * gradient;
                param + *velocity
            }
        }
    }
}
