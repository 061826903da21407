//! The machine's arithmetic: what a block, accumulator or loss core computes on one sample's
//! values, in each numeric mode, transcribed from `docs/numerics.md` (the contract the golden
//! reference in `verif` implements independently).
//!
//! The machine sees a layer in pieces, so the structure differs from the reference's whole
//! matrices: a block computes a *partial* dot product over its rows, an accumulator adds the
//! partials of its column's blocks (in block order) and then the bias. In fixed point the
//! partials are exact `i64` sums, so the pieces add up to the reference bit for bit; in `f32`
//! they add up to it within rounding (and exactly when a layer has one row block and one
//! column block, since every sum then runs in the reference's order).
//!
//! Packets carry 32-bit words: a value is one word (its `f32` bits or its s16.15 `i32`). A sum
//! counts for [`Arith::SUM_WORDS`] words: an `f32` sum is one word; an `i64` sum is one signed
//! word when it fits an `i32` (on its own key, counting as both halves) or else its low and
//! high halves ([`Arith::sum_packets`]). Sums of words are linear in the words, so an
//! accumulator adds each word as it arrives and never pairs halves up ([`Arith::add_word`]).

use crate::model::{Loss, ModelSpec, NumericMode};
use crate::ops::Activation;
use spinn_runtime::{Context, Op};
use std::fmt::Debug;

/// A numeric mode of the machine's kernels.
pub trait Arith: Debug + Clone + Copy + Send + 'static {
    /// Weights, activations and deltas: `f32`, or s16.15 in an `i32`.
    type Value: Copy + Debug + PartialEq + Default + 'static;
    /// Partial dot products and gradient sums: `f32`, or an exact Q30 `i64`.
    type Sum: Copy + Debug + PartialEq + Default + 'static;
    /// The optimiser's constants in the mode.
    type Hyper: Copy + Debug + PartialEq;
    /// A per-sample loss as the mode sums it over a batch (`f32`, or `f64` for fixed point).
    type LossSum: Copy + Debug + PartialEq + Default + 'static;
    const NAME: &'static str;
    /// The model's numeric mode this arithmetic implements (checked against the model's when
    /// a network is loaded, so the two can never disagree).
    const MODE: NumericMode;
    /// Words a [`Arith::Sum`] counts for on arrival (see [`Arith::key_weight`]).
    const SUM_WORDS: u32;
    /// Keys per sum on the wire: one per way a word of it can be sent.
    const SUM_KEYS: u32;
    /// The cost of one multiply-accumulate.
    const MAC: Op;
    /// The cost of one exponential, logarithm or division.
    const TRANSCENDENTAL: Op;
    /// Whether accumulation operands carry a declared bound that the cores check at run time
    /// (fixed point's `±M`, docs/numerics.md "Overflow bound"); `f32` has none.
    const BOUNDED: bool;

    fn hyper(spec: &ModelSpec) -> Self::Hyper;
    /// A weight or data value from the host's `f32` (rounded with `to_fixed` in fixed point).
    fn from_f32(v: f32) -> Self::Value;
    /// Back to `f32` for export (exact from s16.15 for |v| < 2^8, otherwise rounded).
    fn to_f32(v: Self::Value) -> f32;
    fn to_word(v: Self::Value) -> u32;
    fn from_word(w: u32) -> Self::Value;
    /// The packets a sum is sent as, `(key index, word)`, and how many of the two are used.
    fn sum_packets(s: Self::Sum) -> ([(u32, u32); 2], usize);
    /// How many of a sum's [`Arith::SUM_WORDS`] a packet on key index `i` stands for.
    fn key_weight(i: u32) -> u32;
    /// Adds the word a packet on key index `i` carries into `s`.
    fn add_word(s: Self::Sum, i: u32, word: u32) -> Self::Sum;
    /// `s + a·b`.
    fn mac(s: Self::Sum, a: Self::Value, b: Self::Value) -> Self::Sum;
    fn add(a: Self::Sum, b: Self::Sum) -> Self::Sum;
    /// `z` from the sum of a unit's partials and its bias.
    fn forward_output(total: Self::Sum, bias: Self::Value) -> Self::Value;
    /// `δa` of the layer below from the sum of its partials.
    fn backward_output(total: Self::Sum) -> Self::Value;
    /// One sample's kernel-gradient term `x·δz`.
    fn kernel_term(x: Self::Value, delta_z: Self::Value) -> Self::Sum;
    /// One sample's bias-gradient term (Q30 in fixed point, like the kernel's).
    fn bias_term(delta_z: Self::Value) -> Self::Sum;
    /// One parameter's SGD step from its summed gradient over `batch` samples.
    fn update(
        hyper: &Self::Hyper,
        param: Self::Value,
        velocity: Option<&mut Self::Value>,
        gradient: Self::Sum,
        batch: u32,
    ) -> Self::Value;
    /// Charges what [`Arith::update`] costs a core for `n` parameters.
    fn charge_update(ctx: &mut Context, hyper: &Self::Hyper, batch: u32, n: u64);
    fn activate(activation: Activation, z: &[Self::Value]) -> Vec<Self::Value>;
    /// `δz` from `δa` through the activation, from the activation's output `a` alone (relu's
    /// derivative is 1 where `a > 0`, which is where `z > 0`), so cores keep `a` and not `z`.
    fn activation_backward(
        activation: Activation,
        a: &[Self::Value],
        delta_a: &[Self::Value],
    ) -> Vec<Self::Value>;
    /// The output layer's `δz` straight from `(a, y)` for the fused pairs (softmax + CCE,
    /// sigmoid + BCE), or `None` when the loss gives `δa` instead.
    fn fused_delta(
        activation: Activation,
        loss: Loss,
        a: &[Self::Value],
        y: &[Self::Value],
    ) -> Option<Vec<Self::Value>>;
    /// `δa = ∂L/∂a` for the pairs that are not fused.
    fn loss_gradient(loss: Loss, a: &[Self::Value], y: &[Self::Value]) -> Vec<Self::Value>;
    /// One sample's loss.
    fn sample_loss(loss: Loss, a: &[Self::Value], y: &[Self::Value]) -> Self::LossSum;
    fn loss_add(total: Self::LossSum, sample: Self::LossSum) -> Self::LossSum;
    /// The batch's mean loss.
    fn batch_loss(total: Self::LossSum, batch: u32) -> f64;
    /// A loss sum as the bits that travel in two words (one replica's loss core to the next).
    fn loss_sum_bits(total: Self::LossSum) -> u64;
    fn loss_sum_from_bits(bits: u64) -> Self::LossSum;
    /// Whether a value is a number (always, in fixed point).
    fn is_finite(v: Self::Value) -> bool;
    /// Whether `v` lies beyond the mode's declared bound (never, without one).
    fn beyond_bound(v: Self::Value) -> bool;
    /// The sum of an add's inputs, left to right (exact in `i64`, then saturated, in fixed
    /// point).
    fn sum_values(values: impl Iterator<Item = Self::Value>) -> Self::Value;
    /// A window's mean from its `n` real elements.
    fn average(values: impl Iterator<Item = Self::Value>, n: u32) -> Self::Value;
    /// What each of a window's `n` elements receives of its mean's `δ`, as a contribution.
    fn average_share(delta: Self::Value, n: u32) -> Self::Sum;
    /// Whether `a` is larger than `b` (max pooling; ties keep the first).
    fn greater(a: Self::Value, b: Self::Value) -> bool;
}

fn sgd(spec: &ModelSpec) -> (f64, Option<f64>) {
    let optimizer = spec.optimizer();
    (optimizer.learning_rate(), optimizer.momentum())
}

/// Is `(activation, loss)` one of the pairs whose `δz` comes straight from the loss?
pub fn is_fused(activation: Activation, loss: Loss) -> bool {
    matches!(
        (activation, loss),
        (Activation::Softmax, Loss::CategoricalCrossEntropy)
            | (Activation::Sigmoid, Loss::BinaryCrossEntropy)
    )
}

/// The float formulas, written once for `f32` (the float mode) and `f64` (the fixed mode's
/// transcendental steps).
trait Float:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    const ZERO: Self;
    const ONE: Self;
    const TWO: Self;
    fn of(v: f64) -> Self;
    fn count(n: usize) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
}

macro_rules! float {
    ($t:ty) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const TWO: Self = 2.0;
            fn of(v: f64) -> Self {
                v as $t
            }
            fn count(n: usize) -> Self {
                n as $t
            }
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
        }
    };
}
float!(f32);
float!(f64);

/// `p` clipped to `[ε, 1 − ε]`, `ε = 1e−7` in the float type.
fn clip<T: Float>(p: T) -> T {
    let low = T::of(1e-7);
    let high = T::ONE - low;
    if p < low {
        low
    } else if p > high {
        high
    } else {
        p
    }
}

fn activate_float<T: Float>(activation: Activation, z: &[T]) -> Vec<T> {
    match activation {
        Activation::Identity => z.to_vec(),
        Activation::Relu => z
            .iter()
            .map(|&v| if v > T::ZERO { v } else { T::ZERO })
            .collect(),
        Activation::Sigmoid => z.iter().map(|&v| T::ONE / (T::ONE + (-v).exp())).collect(),
        Activation::Tanh => z.iter().map(|&v| v.tanh()).collect(),
        Activation::Softmax => {
            let max = z
                .iter()
                .copied()
                .fold(z[0], |m, v| if v > m { v } else { m });
            let e: Vec<T> = z.iter().map(|&v| (v - max).exp()).collect();
            let sum = e.iter().copied().fold(T::ZERO, |s, v| s + v);
            e.iter().map(|&v| v / sum).collect()
        }
    }
}

fn loss_gradient_float<T: Float>(loss: Loss, a: &[T], y: &[T]) -> Vec<T> {
    let n = T::count(a.len());
    a.iter()
        .zip(y)
        .map(|(&a, &y)| match loss {
            Loss::MeanSquaredError => T::TWO * (a - y) / n,
            Loss::CategoricalCrossEntropy => -y / clip(a),
            Loss::BinaryCrossEntropy => {
                let a = clip(a);
                (a - y) / (a * (T::ONE - a)) / n
            }
        })
        .collect()
}

fn sample_loss_float<T: Float>(loss: Loss, a: &[T], y: &[T]) -> T {
    let mut sum = T::ZERO;
    for (&a, &y) in a.iter().zip(y) {
        sum = sum
            + match loss {
                Loss::MeanSquaredError => (a - y) * (a - y),
                Loss::CategoricalCrossEntropy => y * clip(a).ln(),
                Loss::BinaryCrossEntropy => {
                    let a = clip(a);
                    y * a.ln() + (T::ONE - y) * (T::ONE - a).ln()
                }
            };
    }
    let n = T::count(a.len());
    match loss {
        Loss::MeanSquaredError => sum / n,
        Loss::CategoricalCrossEntropy => -sum,
        Loss::BinaryCrossEntropy => -sum / n,
    }
}

/// The float mode: IEEE `f32`, as a soft-float library on the ARM968 computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct F32;

/// `lr` and `μ` rounded to `f32` once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct F32Hyper {
    pub learning_rate: f32,
    pub momentum: Option<f32>,
}

impl Arith for F32 {
    type Value = f32;
    type Sum = f32;
    type Hyper = F32Hyper;
    type LossSum = f32;
    const NAME: &'static str = "f32";
    const MODE: NumericMode = NumericMode::F32;
    const SUM_WORDS: u32 = 1;
    const SUM_KEYS: u32 = 1;
    const MAC: Op = Op::FloatMac;
    const TRANSCENDENTAL: Op = Op::FloatTranscendental;
    const BOUNDED: bool = false;

    fn hyper(spec: &ModelSpec) -> F32Hyper {
        let (lr, momentum) = sgd(spec);
        F32Hyper {
            learning_rate: lr as f32,
            momentum: momentum.map(|m| m as f32),
        }
    }
    fn from_f32(v: f32) -> f32 {
        v
    }
    fn to_f32(v: f32) -> f32 {
        v
    }
    fn to_word(v: f32) -> u32 {
        v.to_bits()
    }
    fn from_word(w: u32) -> f32 {
        f32::from_bits(w)
    }
    fn sum_packets(s: f32) -> ([(u32, u32); 2], usize) {
        ([(0, s.to_bits()), (0, 0)], 1)
    }
    fn key_weight(_i: u32) -> u32 {
        1
    }
    fn add_word(s: f32, _i: u32, word: u32) -> f32 {
        s + f32::from_bits(word)
    }
    fn mac(s: f32, a: f32, b: f32) -> f32 {
        s + a * b
    }
    fn add(a: f32, b: f32) -> f32 {
        a + b
    }
    fn forward_output(total: f32, bias: f32) -> f32 {
        total + bias
    }
    fn backward_output(total: f32) -> f32 {
        total
    }
    fn kernel_term(x: f32, delta_z: f32) -> f32 {
        x * delta_z
    }
    fn bias_term(delta_z: f32) -> f32 {
        delta_z
    }
    fn update(
        hyper: &F32Hyper,
        param: f32,
        velocity: Option<&mut f32>,
        gradient: f32,
        batch: u32,
    ) -> f32 {
        let mean = gradient / batch as f32;
        match (velocity, hyper.momentum) {
            (Some(v), Some(momentum)) => {
                *v = momentum * *v - hyper.learning_rate * mean;
                param + *v
            }
            _ => param - hyper.learning_rate * mean,
        }
    }
    fn charge_update(ctx: &mut Context, hyper: &F32Hyper, batch: u32, n: u64) {
        // The mean `g / B` is a soft-float division, or for a power-of-two batch a
        // multiplication by the exact reciprocal (the same real number, rounded once: the
        // same bits); then `lr × mean` and the subtraction, or with momentum `μ × v`, the
        // subtraction and the addition.
        let mean = if batch.is_power_of_two() {
            Op::FloatMul
        } else {
            Op::FloatDiv
        };
        ctx.charge(mean, n);
        ctx.charge(Op::FloatMul, n);
        match hyper.momentum {
            Some(_) => {
                ctx.charge(Op::FloatMul, n);
                ctx.charge(Op::FloatAdd, 2 * n);
            }
            None => ctx.charge(Op::FloatAdd, n),
        }
    }
    fn activate(activation: Activation, z: &[f32]) -> Vec<f32> {
        activate_float(activation, z)
    }
    fn activation_backward(activation: Activation, a: &[f32], d: &[f32]) -> Vec<f32> {
        match activation {
            Activation::Identity => d.to_vec(),
            Activation::Relu => a
                .iter()
                .zip(d)
                .map(|(&a, &d)| if a > 0.0 { d } else { 0.0 })
                .collect(),
            Activation::Sigmoid => a
                .iter()
                .zip(d)
                .map(|(&a, &d)| d * (a * (1.0 - a)))
                .collect(),
            Activation::Tanh => a.iter().zip(d).map(|(&a, &d)| d * (1.0 - a * a)).collect(),
            Activation::Softmax => {
                let mut dot = 0.0f32;
                for (&p, &d) in a.iter().zip(d) {
                    dot += p * d;
                }
                a.iter().zip(d).map(|(&p, &d)| p * (d - dot)).collect()
            }
        }
    }
    fn fused_delta(activation: Activation, loss: Loss, a: &[f32], y: &[f32]) -> Option<Vec<f32>> {
        match (activation, loss) {
            (Activation::Softmax, Loss::CategoricalCrossEntropy) => {
                Some(a.iter().zip(y).map(|(&p, &y)| p - y).collect())
            }
            (Activation::Sigmoid, Loss::BinaryCrossEntropy) => {
                let n = a.len() as f32;
                Some(a.iter().zip(y).map(|(&a, &y)| (a - y) / n).collect())
            }
            _ => None,
        }
    }
    fn loss_gradient(loss: Loss, a: &[f32], y: &[f32]) -> Vec<f32> {
        loss_gradient_float(loss, a, y)
    }
    fn sample_loss(loss: Loss, a: &[f32], y: &[f32]) -> f32 {
        sample_loss_float(loss, a, y)
    }
    fn loss_add(total: f32, sample: f32) -> f32 {
        total + sample
    }
    fn batch_loss(total: f32, batch: u32) -> f64 {
        f64::from(total / batch as f32)
    }
    fn loss_sum_bits(total: f32) -> u64 {
        u64::from(total.to_bits())
    }
    fn loss_sum_from_bits(bits: u64) -> f32 {
        f32::from_bits(bits as u32)
    }
    fn is_finite(v: f32) -> bool {
        v.is_finite()
    }
    fn beyond_bound(_v: f32) -> bool {
        false
    }
    fn sum_values(mut values: impl Iterator<Item = f32>) -> f32 {
        let first = values.next().unwrap_or(0.0);
        values.fold(first, |s, v| s + v)
    }
    fn average(values: impl Iterator<Item = f32>, n: u32) -> f32 {
        values.fold(0.0f32, |s, v| s + v) / n as f32
    }
    fn average_share(delta: f32, n: u32) -> f32 {
        delta / n as f32
    }
    fn greater(a: f32, b: f32) -> bool {
        a > b
    }
}

/// The s16.15 fixed-point mode with exact `i64` sums (`docs/numerics.md` §Fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed;

/// `lr` and `μ` in s16.15.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedHyper {
    pub learning_rate: i32,
    pub momentum: Option<i32>,
}

const FRAC: u32 = 15;
const ONE: i32 = 1 << FRAC;

/// `(v + 2^(s−1)) >> s`: nearest, halves towards +∞, formed in `i128`.
fn round_shift(v: i128, s: u32) -> i128 {
    (v + (1i128 << (s - 1))) >> s
}

/// Clamps into `i32`.
fn sat(v: i128) -> i32 {
    v.clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32
}

/// `a / b`, nearest, halves away from zero (`b > 0`).
fn round_div(a: i128, b: i128) -> i128 {
    let (q, r) = (a.abs() / b, a.abs() % b);
    let q = if 2 * r >= b { q + 1 } else { q };
    if a < 0 {
        -q
    } else {
        q
    }
}

/// The s16.15 product `sat(round_shift(a·b, 15))`.
fn mul(a: i32, b: i32) -> i32 {
    sat(round_shift(i128::from(a) * i128::from(b), FRAC))
}

/// `(x·2^15).round()`, saturating (NaN to 0).
pub fn to_fixed(x: f64) -> i32 {
    (x * f64::from(ONE)).round() as i32
}

pub fn from_fixed(q: i32) -> f64 {
    f64::from(q) / f64::from(ONE)
}

fn reals(v: &[i32]) -> Vec<f64> {
    v.iter().map(|&q| from_fixed(q)).collect()
}

fn fixed_of(v: Vec<f64>) -> Vec<i32> {
    v.into_iter().map(to_fixed).collect()
}

impl Arith for Fixed {
    type Value = i32;
    type Sum = i64;
    type Hyper = FixedHyper;
    type LossSum = f64;
    const NAME: &'static str = "s16.15";
    const MODE: NumericMode = NumericMode::Fixed;
    const SUM_WORDS: u32 = 2;
    const SUM_KEYS: u32 = 3;
    const MAC: Op = Op::Fixed32Mac;
    const TRANSCENDENTAL: Op = Op::FixedTranscendental;
    const BOUNDED: bool = true;

    fn hyper(spec: &ModelSpec) -> FixedHyper {
        let (lr, momentum) = sgd(spec);
        FixedHyper {
            learning_rate: to_fixed(lr),
            momentum: momentum.map(to_fixed),
        }
    }
    fn from_f32(v: f32) -> i32 {
        to_fixed(f64::from(v))
    }
    fn to_f32(v: i32) -> f32 {
        from_fixed(v) as f32
    }
    fn to_word(v: i32) -> u32 {
        v as u32
    }
    fn from_word(w: u32) -> i32 {
        w as i32
    }
    fn sum_packets(s: i64) -> ([(u32, u32); 2], usize) {
        // Most partial sums are below 2.0 in Q30 and fit one signed word (key 2); the others
        // go as their low (key 0) and high (key 1) words.
        match i32::try_from(s) {
            Ok(small) => ([(2, small as u32), (0, 0)], 1),
            Err(_) => ([(0, s as u32), (1, (s >> 32) as u32)], 2),
        }
    }
    fn key_weight(i: u32) -> u32 {
        if i == 2 {
            2
        } else {
            1
        }
    }
    fn add_word(s: i64, i: u32, word: u32) -> i64 {
        // v = (hi << 32) + lo with the low word unsigned and the high word signed, or the
        // whole value sign-extended. Adding words of several sums in wrapping arithmetic gives
        // their exact total whenever the total fits in i64, which the reference's overflow
        // bound guarantees.
        match i {
            0 => s.wrapping_add(i64::from(word)),
            1 => s.wrapping_add(i64::from(word as i32) << 32),
            _ => s.wrapping_add(i64::from(word as i32)),
        }
    }
    fn mac(s: i64, a: i32, b: i32) -> i64 {
        s + i64::from(a) * i64::from(b)
    }
    fn add(a: i64, b: i64) -> i64 {
        a + b
    }
    fn forward_output(total: i64, bias: i32) -> i32 {
        sat(round_shift(
            i128::from(total) + (i128::from(bias) << FRAC),
            FRAC,
        ))
    }
    fn backward_output(total: i64) -> i32 {
        sat(round_shift(i128::from(total), FRAC))
    }
    fn kernel_term(x: i32, delta_z: i32) -> i64 {
        i64::from(x) * i64::from(delta_z)
    }
    fn bias_term(delta_z: i32) -> i64 {
        i64::from(delta_z) << FRAC
    }
    fn update(
        hyper: &FixedHyper,
        param: i32,
        velocity: Option<&mut i32>,
        gradient: i64,
        batch: u32,
    ) -> i32 {
        let scaled = i128::from(hyper.learning_rate) * i128::from(gradient);
        let step = sat(round_div(scaled, i128::from(batch) << (2 * FRAC)));
        match (velocity, hyper.momentum) {
            (Some(v), Some(momentum)) => {
                *v = sat(i128::from(mul(momentum, *v)) - i128::from(step));
                sat(i128::from(param) + i128::from(*v))
            }
            _ => sat(i128::from(param) - i128::from(step)),
        }
    }
    fn charge_update(ctx: &mut Context, _hyper: &FixedHyper, _batch: u32, n: u64) {
        // The scaled step (a 64-bit multiply-accumulate and a rounding shift or division by
        // the batch) and the saturating update: two s16.15 MACs' worth.
        ctx.charge(Op::Fixed32Mac, 2 * n);
    }
    fn activate(activation: Activation, z: &[i32]) -> Vec<i32> {
        match activation {
            Activation::Identity => z.to_vec(),
            Activation::Relu => z.iter().map(|&v| v.max(0)).collect(),
            // On an ARM968 these are lookup tables; here the same f64 formulas as the
            // reference, rounded back to s16.15.
            _ => fixed_of(activate_float(activation, &reals(z))),
        }
    }
    fn activation_backward(activation: Activation, a: &[i32], d: &[i32]) -> Vec<i32> {
        let one = i128::from(ONE);
        match activation {
            Activation::Identity => d.to_vec(),
            Activation::Relu => a
                .iter()
                .zip(d)
                .map(|(&a, &d)| if a > 0 { d } else { 0 })
                .collect(),
            Activation::Sigmoid => a
                .iter()
                .zip(d)
                .map(|(&a, &d)| mul(d, mul(a, sat(one - i128::from(a)))))
                .collect(),
            Activation::Tanh => a
                .iter()
                .zip(d)
                .map(|(&a, &d)| mul(d, sat(one - i128::from(mul(a, a)))))
                .collect(),
            Activation::Softmax => {
                let dot: i64 = a
                    .iter()
                    .zip(d)
                    .map(|(&p, &d)| i64::from(p) * i64::from(d))
                    .sum();
                a.iter()
                    .zip(d)
                    .map(|(&p, &d)| {
                        let centred = (i128::from(d) << FRAC) - i128::from(dot);
                        sat(round_shift(i128::from(p) * centred, 2 * FRAC))
                    })
                    .collect()
            }
        }
    }
    fn fused_delta(activation: Activation, loss: Loss, a: &[i32], y: &[i32]) -> Option<Vec<i32>> {
        let diff = |(&a, &y): (&i32, &i32)| i128::from(a) - i128::from(y);
        match (activation, loss) {
            (Activation::Softmax, Loss::CategoricalCrossEntropy) => {
                Some(a.iter().zip(y).map(|p| sat(diff(p))).collect())
            }
            (Activation::Sigmoid, Loss::BinaryCrossEntropy) => {
                let n = a.len() as i128;
                Some(
                    a.iter()
                        .zip(y)
                        .map(|p| sat(round_div(diff(p), n)))
                        .collect(),
                )
            }
            _ => None,
        }
    }
    fn loss_gradient(loss: Loss, a: &[i32], y: &[i32]) -> Vec<i32> {
        match loss {
            Loss::MeanSquaredError => {
                let n = a.len() as i128;
                a.iter()
                    .zip(y)
                    .map(|(&a, &y)| sat(round_div(2 * (i128::from(a) - i128::from(y)), n)))
                    .collect()
            }
            _ => fixed_of(loss_gradient_float(loss, &reals(a), &reals(y))),
        }
    }
    fn sample_loss(loss: Loss, a: &[i32], y: &[i32]) -> f64 {
        sample_loss_float(loss, &reals(a), &reals(y))
    }
    fn loss_add(total: f64, sample: f64) -> f64 {
        total + sample
    }
    fn batch_loss(total: f64, batch: u32) -> f64 {
        total / f64::from(batch)
    }
    fn loss_sum_bits(total: f64) -> u64 {
        total.to_bits()
    }
    fn loss_sum_from_bits(bits: u64) -> f64 {
        f64::from_bits(bits)
    }
    fn is_finite(_v: i32) -> bool {
        true
    }
    fn beyond_bound(v: i32) -> bool {
        v.unsigned_abs() > crate::model::FIXED_MAX_ABS.unsigned_abs()
    }
    fn sum_values(values: impl Iterator<Item = i32>) -> i32 {
        sat(values.map(i128::from).sum())
    }
    fn average(values: impl Iterator<Item = i32>, n: u32) -> i32 {
        let sum: i128 = values.map(i128::from).sum();
        sat(round_div(sum, i128::from(n)))
    }
    fn average_share(delta: i32, n: u32) -> i64 {
        round_div(i128::from(delta) << FRAC, i128::from(n)) as i64
    }
    fn greater(a: i32, b: i32) -> bool {
        a > b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_helpers_round_as_documented() {
        assert_eq!(round_shift(3, 1), 2); // 1.5 → 2
        assert_eq!(round_shift(-3, 1), -1); // −1.5 → −1
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(7, 3), 2);
        assert_eq!(mul(ONE, ONE), ONE);
        assert_eq!(mul(i32::MAX, i32::MAX), i32::MAX);
        assert_eq!(to_fixed(0.5), ONE / 2);
    }

    #[test]
    fn fixed_sums_survive_the_wire_as_words_added_one_by_one() {
        let sums = [
            -(5i64 << 40) + 12345,
            987_654_321_012,
            -1,
            i64::from(i32::MIN) * 7,
        ];
        let total: i64 = sums.iter().sum();
        let (mut acc, mut weight, mut packets) = (0i64, 0, 0);
        for &s in &sums {
            let (words, n) = Fixed::sum_packets(s);
            for &(i, word) in &words[..n] {
                acc = Fixed::add_word(acc, i, word);
                weight += Fixed::key_weight(i);
                packets += 1;
            }
        }
        assert_eq!(acc, total);
        assert_eq!(weight, Fixed::SUM_WORDS * sums.len() as u32);
        assert_eq!(packets, 7, "-1 goes as one word, each of the others as two");
    }

    #[test]
    fn fixed_forward_output_adds_the_bias_before_rounding() {
        // 0.25 + 0.5 in Q30 plus a bias of 1.0 → 1.75.
        let total = (1i64 << 28) + (1i64 << 29);
        assert_eq!(Fixed::forward_output(total, ONE), ONE + ONE / 2 + ONE / 4);
        assert_eq!(Fixed::forward_output(i64::MAX / 2, 0), i32::MAX);
    }

    #[test]
    fn fused_pairs_are_the_two_documented_ones() {
        let fused: Vec<_> = Activation::ALL
            .into_iter()
            .flat_map(|a| Loss::ALL.into_iter().map(move |l| (a, l)))
            .filter(|&(a, l)| is_fused(a, l))
            .collect();
        assert_eq!(
            fused,
            [
                (Activation::Sigmoid, Loss::BinaryCrossEntropy),
                (Activation::Softmax, Loss::CategoricalCrossEntropy)
            ]
        );
        assert!(
            F32::fused_delta(Activation::Relu, Loss::MeanSquaredError, &[1.0], &[0.0]).is_none()
        );
    }
}
