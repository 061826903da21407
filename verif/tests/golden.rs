//! Tests of the golden DL reference (`spinn_verif::golden`, definitions in `docs/numerics.md`):
//! finite-difference gradient checks for every activation × loss pair, hand-computed steps in
//! `f32` and s16.15, the fixed-point helpers' rounding and saturation, momentum, batch means,
//! the prior prototype's softmax and BCE mistakes, determinism, f32/fixed agreement and errors.

use ndarray::{array, Array1, Array2};
use proptest::prelude::*;
use spinn_verif::golden::s16_15::{from_fixed, mul, round_div, round_shift, sat32, to_fixed, ONE};
use spinn_verif::golden::{
    Activation, Dense, Fixed, FixedLimits, GoldenError, Loss, Network, Numeric, Sgd, Tensor, F32,
    F64,
};

const ACTIVATIONS: [Activation; 5] = [
    Activation::Identity,
    Activation::Relu,
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Softmax,
];

const LOSSES: [Loss; 3] = [
    Loss::MeanSquaredError,
    Loss::CategoricalCrossEntropy,
    Loss::BinaryCrossEntropy,
];

/// A bound wide enough for every test network: 512.0, allowing 32767-wide layers.
const LIMITS: FixedLimits = FixedLimits { max_abs: 1 << 24 };

const PLAIN: Sgd = Sgd {
    learning_rate: 0.1,
    momentum: None,
};

/// A seeded 64-bit linear congruential generator (Knuth's MMIX constants), so test data is
/// reproducible without another crate; the seed is printed in every failure message.
struct Lcg(u64);

impl Lcg {
    /// Uniform in [−1, 1).
    fn next_signed(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// Uniform in [0, 1).
    fn next_unit(&mut self) -> f64 {
        (self.next_signed() + 1.0) / 2.0
    }

    fn matrix(&mut self, rows: usize, cols: usize, scale: f64) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |_| scale * self.next_signed())
    }

    fn vector(&mut self, len: usize, offset: f64, scale: f64) -> Array1<f64> {
        Array1::from_shape_fn(len, |_| offset + scale * self.next_signed())
    }

    /// One-hot rows.
    fn one_hot(&mut self, rows: usize, cols: usize) -> Array2<f64> {
        let mut y = Array2::zeros((rows, cols));
        for mut row in y.rows_mut() {
            let class = ((self.next_unit() * cols as f64) as usize).min(cols - 1);
            row[class] = 1.0;
        }
        y
    }
}

fn network<M: Numeric>(
    layers: Vec<Dense<M::Value>>,
    loss: Loss,
    sgd: Sgd,
    config: M::Config,
) -> Network<M> {
    Network::new(layers, loss, sgd, config).expect("test network is valid")
}

fn to_f32_layers(layers: &[Dense<f64>]) -> Vec<Dense<f32>> {
    layers.iter().map(|layer| layer.map(|w| w as f32)).collect()
}

fn to_fixed_layers(layers: &[Dense<f32>]) -> Vec<Dense<i32>> {
    layers
        .iter()
        .map(|layer| layer.map(|w| to_fixed(f64::from(w))))
        .collect()
}

fn quantise(values: &Array2<f32>) -> Array2<i32> {
    values.mapv(|v| to_fixed(f64::from(v)))
}

/// Labels that suit the loss: one-hot for CCE, soft targets in [0.1, 0.9] for BCE, anything
/// for MSE.
fn labels(rng: &mut Lcg, loss: Loss, rows: usize, cols: usize) -> Array2<f64> {
    match loss {
        Loss::CategoricalCrossEntropy => rng.one_hot(rows, cols),
        Loss::BinaryCrossEntropy => rng.matrix(rows, cols, 0.4).mapv(|v| v + 0.5),
        Loss::MeanSquaredError => rng.matrix(rows, cols, 1.0),
    }
}

/// The smallest |z| over all relu layers: a finite difference across relu's kink at 0 would
/// measure a one-sided slope, so checks require this to exceed the perturbation's effect.
fn relu_margin(net: &Network<F64>, x: &Array2<f64>) -> f64 {
    let forward = net
        .forward(x.view())
        .expect("forward pass of a valid batch");
    net.layers()
        .iter()
        .zip(&forward)
        .filter(|(layer, _)| layer.activation == Activation::Relu)
        .flat_map(|(_, values)| values.z.iter().map(|z| z.abs()).collect::<Vec<_>>())
        .fold(f64::INFINITY, f64::min)
}

/// Compares every analytic batch gradient with a central finite difference of the batch loss,
/// all in f64. Returns the largest scaled error seen.
fn check_against_finite_differences(
    layers: &[Dense<f64>],
    loss: Loss,
    x: &Array2<f64>,
    y: &Array2<f64>,
    context: &str,
) -> f64 {
    let net = network::<F64>(layers.to_vec(), loss, PLAIN, ());
    let pass = net
        .forward_backward(x.view(), y.view())
        .expect("forward and backward pass of a valid batch");
    // A weight change of h moves every z by at most h·|x|·(product of downstream weights),
    // well below 1e-5 here; a relu z further than 1e-4 from 0 therefore never crosses the kink.
    assert!(
        relu_margin(&net, x) > 1e-4,
        "{context}: test data puts a relu pre-activation within 1e-4 of its kink"
    );
    let h = 1e-6;
    let loss_with = |layers: Vec<Dense<f64>>| {
        network::<F64>(layers, loss, PLAIN, ())
            .loss(x.view(), y.view())
            .expect("loss of a valid batch")
    };
    let mut worst: f64 = 0.0;
    let mut compare =
        |analytic: f64, plus: Vec<Dense<f64>>, minus: Vec<Dense<f64>>, what: String| {
            let numeric = (loss_with(plus) - loss_with(minus)) / (2.0 * h);
            let error = (numeric - analytic).abs() / (1.0 + analytic.abs());
            worst = worst.max(error);
            // Central differences err by h²·|L'''|/6 ≈ 1e-12·|L'''| plus f64 cancellation
            // ≈ 1e-16·|L|/h ≈ 1e-10 for these O(1) losses (largest seen: 2e-10); 1e-7 leaves a
            // ~500× margin while still catching any wrong factor or missing term (those are
            // O(1) relative errors).
            assert!(
                error <= 1e-7,
                "{context}: {what}: analytic {analytic}, finite difference {numeric}"
            );
        };
    for (l, layer) in layers.iter().enumerate() {
        for ((i, j), _) in layer.kernel.indexed_iter() {
            let mut plus = layers.to_vec();
            plus[l].kernel[[i, j]] += h;
            let mut minus = layers.to_vec();
            minus[l].kernel[[i, j]] -= h;
            let analytic = pass.backward[l].kernel_gradient[[i, j]];
            compare(analytic, plus, minus, format!("layer {l} kernel[{i},{j}]"));
        }
        for j in 0..layer.bias.len() {
            let mut plus = layers.to_vec();
            plus[l].bias[j] += h;
            let mut minus = layers.to_vec();
            minus[l].bias[j] -= h;
            let analytic = pass.backward[l].bias_gradient[j];
            compare(analytic, plus, minus, format!("layer {l} bias[{j}]"));
        }
    }
    worst
}

// ---------------------------------------------------------------------------------------------
// Gradients against finite differences
// ---------------------------------------------------------------------------------------------

#[test]
fn gradients_match_finite_differences_for_every_activation_and_loss() {
    let seed = 0x5eed_0001;
    let mut rng = Lcg(seed);
    let mut worst: f64 = 0.0;
    let mut checked = 0;
    for hidden in ACTIVATIONS {
        for output in ACTIVATIONS {
            for loss in LOSSES {
                let context =
                    format!("seed {seed:#x}, hidden {hidden:?}, output {output:?}, {loss:?}");
                // Output weights are small and centred on 0.5 so that identity, relu and tanh
                // outputs stay inside (0, 1), where the clipped logarithms of BCE and CCE are
                // smooth and the analytic gradient is the true one.
                let layers = vec![
                    Dense {
                        kernel: rng.matrix(3, 4, 0.8),
                        bias: rng.vector(4, 0.0, 0.3),
                        activation: hidden,
                    },
                    Dense {
                        kernel: rng.matrix(4, 3, 0.1),
                        bias: rng.vector(3, 0.5, 0.05),
                        activation: output,
                    },
                ];
                let x = rng.matrix(3, 3, 1.0);
                let y = labels(&mut rng, loss, 3, 3);
                let a = network::<F64>(layers.clone(), loss, PLAIN, ())
                    .predict(x.view())
                    .expect("forward pass of a valid batch");
                assert!(
                    a.iter().all(|&a| (0.05..0.95).contains(&a)),
                    "{context}: outputs {a} left (0.05, 0.95)"
                );
                worst = worst.max(check_against_finite_differences(
                    &layers, loss, &x, &y, &context,
                ));
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 75, "5 hidden × 5 output activations × 3 losses");
    // The per-parameter assertion already bounds this; asserting the maximum documents it.
    assert!(worst <= 1e-7, "largest scaled error {worst}");
}

#[test]
fn f32_gradients_equal_f64_gradients_to_f32_precision() {
    let seed = 0x5eed_0002;
    let mut rng = Lcg(seed);
    let layers = vec![
        Dense {
            kernel: rng.matrix(3, 5, 1.0),
            bias: rng.vector(5, 0.0, 0.5),
            activation: Activation::Tanh,
        },
        Dense {
            kernel: rng.matrix(5, 4, 1.0),
            bias: rng.vector(4, 0.0, 0.5),
            activation: Activation::Softmax,
        },
    ];
    let x = rng.matrix(4, 3, 1.0);
    let y = rng.one_hot(4, 4);
    let wide = network::<F64>(layers.clone(), Loss::CategoricalCrossEntropy, PLAIN, ())
        .forward_backward(x.view(), y.view())
        .expect("valid f64 pass");
    let narrow = network::<F32>(
        to_f32_layers(&layers),
        Loss::CategoricalCrossEntropy,
        PLAIN,
        (),
    )
    .forward_backward(x.mapv(|v| v as f32).view(), y.mapv(|v| v as f32).view())
    .expect("valid f32 pass");
    for (l, (w, n)) in wide.backward.iter().zip(&narrow.backward).enumerate() {
        for (g64, g32) in w.kernel_gradient.iter().zip(&n.kernel_gradient) {
            // Weights were rounded to f32 (relative 6e-8) and each of the ~10 operations on
            // the path rounds once more; 1e-5 is the machine's own f32 tolerance.
            let error = (f64::from(*g32) - g64).abs() / g64.abs().max(1.0);
            assert!(
                error <= 1e-5,
                "seed {seed:#x}, layer {l}: f32 {g32} vs f64 {g64}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-computed cases
// ---------------------------------------------------------------------------------------------

/// The 2-3-2 network of the hand calculation: relu hidden layer (one unit negative, so relu'
/// is exercised at 0), identity output, MSE, lr 0.5, one sample. Every number is a dyadic
/// rational with at most 7 fraction bits, so f32 and s16.15 both represent every
/// intermediate exactly and the expected values below hold exactly in both modes.
fn hand_layers() -> Vec<Dense<f32>> {
    vec![
        Dense {
            kernel: array![[0.5, -0.25, 1.0], [0.25, 0.5, -1.0]],
            bias: array![0.0, 0.5, 0.25],
            activation: Activation::Relu,
        },
        Dense {
            kernel: array![[1.0, -0.5], [0.5, 0.25], [-1.0, 2.0]],
            bias: array![0.25, -0.5],
            activation: Activation::Identity,
        },
    ]
}

const HAND_SGD: Sgd = Sgd {
    learning_rate: 0.5,
    momentum: None,
};

/// Hand calculation:
/// z1 = [1·0.5 + 2·0.25 + 0, 1·(−0.25) + 2·0.5 + 0.5, 1·1 + 2·(−1) + 0.25] = [1, 1.25, −0.75];
/// a1 = [1, 1.25, 0];
/// z2 = [1·1 + 1.25·0.5 + 0·(−1) + 0.25, 1·(−0.5) + 1.25·0.25 + 0·2 − 0.5] = [1.875, −0.6875];
/// y = [1, 0], so a2 − y = [0.875, −0.6875], loss = (0.765625 + 0.47265625)/2 = 0.619140625;
/// δa2 = 2(a2 − y)/2 = [0.875, −0.6875] = δz2 (identity);
/// δa1 = W2·δz2 = [0.875 + 0.34375, 0.4375 − 0.171875, −0.875 − 1.375] = [1.21875, 0.265625, −2.25];
/// δz1 = δa1 masked by z1 > 0 = [1.21875, 0.265625, 0];
/// ∂W1 = x ⊗ δz1, ∂W2 = a1 ⊗ δz2, biases = δz; the step is w − 0.5·g.
struct HandExpected {
    z1: Array2<f64>,
    a1: Array2<f64>,
    z2: Array2<f64>,
    delta_z2: Array2<f64>,
    delta_a1: Array2<f64>,
    delta_z1: Array2<f64>,
    kernel_gradient1: Array2<f64>,
    bias_gradient1: Array1<f64>,
    kernel_gradient2: Array2<f64>,
    bias_gradient2: Array1<f64>,
    kernel1: Array2<f64>,
    bias1: Array1<f64>,
    kernel2: Array2<f64>,
    bias2: Array1<f64>,
    loss: f64,
}

fn hand_expected() -> HandExpected {
    HandExpected {
        z1: array![[1.0, 1.25, -0.75]],
        a1: array![[1.0, 1.25, 0.0]],
        z2: array![[1.875, -0.6875]],
        delta_z2: array![[0.875, -0.6875]],
        delta_a1: array![[1.21875, 0.265625, -2.25]],
        delta_z1: array![[1.21875, 0.265625, 0.0]],
        kernel_gradient1: array![[1.21875, 0.265625, 0.0], [2.4375, 0.53125, 0.0]],
        bias_gradient1: array![1.21875, 0.265625, 0.0],
        kernel_gradient2: array![[0.875, -0.6875], [1.09375, -0.859375], [0.0, 0.0]],
        bias_gradient2: array![0.875, -0.6875],
        kernel1: array![[-0.109375, -0.3828125, 1.0], [-0.96875, 0.234375, -1.0]],
        bias1: array![-0.609375, 0.3671875, 0.25],
        kernel2: array![[0.5625, -0.15625], [-0.046875, 0.6796875], [-1.0, 2.0]],
        bias2: array![-0.1875, -0.15625],
        loss: 0.619140625,
    }
}

#[test]
fn hand_computed_2_3_2_step_in_f32_is_exact() {
    let expected = hand_expected();
    let f32s = |a: &Array2<f64>| a.mapv(|v| v as f32);
    let mut net = network::<F32>(hand_layers(), Loss::MeanSquaredError, HAND_SGD, ());
    let x = array![[1.0f32, 2.0]];
    let y = array![[1.0f32, 0.0]];
    let pass = net
        .train_batch_traced(x.view(), y.view())
        .expect("valid batch");
    // Exact equality: every value is a short dyadic rational, so no f32 operation rounds.
    assert_eq!(pass.loss, expected.loss);
    assert_eq!(pass.forward[0].z, f32s(&expected.z1));
    assert_eq!(pass.forward[0].a, f32s(&expected.a1));
    assert_eq!(pass.forward[1].input, f32s(&expected.a1));
    assert_eq!(pass.forward[1].z, f32s(&expected.z2));
    assert_eq!(pass.backward[1].delta_a, Some(f32s(&expected.delta_z2)));
    assert_eq!(pass.backward[1].delta_z, f32s(&expected.delta_z2));
    assert_eq!(pass.backward[0].delta_a, Some(f32s(&expected.delta_a1)));
    assert_eq!(pass.backward[0].delta_z, f32s(&expected.delta_z1));
    assert_eq!(
        pass.backward[0].kernel_gradient,
        f32s(&expected.kernel_gradient1)
    );
    assert_eq!(
        pass.backward[0].bias_gradient,
        expected.bias_gradient1.mapv(|v| v as f32)
    );
    assert_eq!(
        pass.backward[1].kernel_gradient,
        f32s(&expected.kernel_gradient2)
    );
    assert_eq!(
        pass.backward[1].bias_gradient,
        expected.bias_gradient2.mapv(|v| v as f32)
    );
    assert_eq!(net.layers()[0].kernel, f32s(&expected.kernel1));
    assert_eq!(net.layers()[0].bias, expected.bias1.mapv(|v| v as f32));
    assert_eq!(net.layers()[1].kernel, f32s(&expected.kernel2));
    assert_eq!(net.layers()[1].bias, expected.bias2.mapv(|v| v as f32));
}

#[test]
fn hand_computed_2_3_2_step_in_fixed_is_exact() {
    let expected = hand_expected();
    let q15 = |a: &Array2<f64>| a.mapv(to_fixed);
    let q30 = |v: f64| (v * f64::from(1u32 << 30)) as i64;
    let mut net = network::<Fixed>(
        to_fixed_layers(&hand_layers()),
        Loss::MeanSquaredError,
        HAND_SGD,
        LIMITS,
    );
    assert_eq!(net.constants().learning_rate, 16384, "0.5 in s16.15");
    let x = array![[ONE, 2 * ONE]];
    let y = array![[ONE, 0]];
    let pass = net
        .train_batch_traced(x.view(), y.view())
        .expect("valid batch");
    // No rounding step is inexact for these values, so every integer is the exact value × 2^15
    // (× 2^30 for gradients).
    assert_eq!(pass.loss, expected.loss);
    assert_eq!(pass.forward[0].z, array![[32768, 40960, -24576]]);
    assert_eq!(pass.forward[0].z, q15(&expected.z1));
    assert_eq!(pass.forward[0].a, q15(&expected.a1));
    assert_eq!(pass.forward[1].z, q15(&expected.z2));
    assert_eq!(pass.backward[1].delta_z, q15(&expected.delta_z2));
    assert_eq!(pass.backward[0].delta_a, Some(q15(&expected.delta_a1)));
    assert_eq!(pass.backward[0].delta_z, q15(&expected.delta_z1));
    assert_eq!(
        pass.backward[0].kernel_gradient,
        expected.kernel_gradient1.mapv(q30)
    );
    assert_eq!(
        pass.backward[0].bias_gradient,
        expected.bias_gradient1.mapv(q30)
    );
    assert_eq!(
        pass.backward[1].kernel_gradient,
        expected.kernel_gradient2.mapv(q30)
    );
    assert_eq!(
        pass.backward[1].bias_gradient,
        expected.bias_gradient2.mapv(q30)
    );
    assert_eq!(net.layers()[0].kernel, q15(&expected.kernel1));
    assert_eq!(net.layers()[0].bias, expected.bias1.mapv(to_fixed));
    assert_eq!(net.layers()[1].kernel, q15(&expected.kernel2));
    assert_eq!(net.layers()[1].bias, expected.bias2.mapv(to_fixed));
    assert_eq!(net.layers()[0].kernel[[0, 0]], -3584, "−0.109375 × 32768");
}

#[test]
fn hand_computed_fixed_step_rounds_the_batch_mean() {
    // 1-1 identity MSE, w = 0.5, b = 0, x = [1, 0.5, −0.25], y = 0, lr = 0.1 → 3277.
    // z = [16384, 8192, −4096], δz = 2(z − 0)/1 = [32768, 16384, −8192].
    // G_w = 32768² + 16384² + 8192² = 2^30 + 2^28 + 2^26 = 1409286144 (1.3125 in Q30).
    // G_b = (32768 + 16384 − 8192) << 15 = 1342177280 (1.25 in Q30).
    // step_w = round_div(3277 × G_w, 3 × 2^30) = round(3277 × 0.4375) = round(1433.6875) = 1434.
    // step_b = round_div(3277 × G_b, 3 × 2^30) = round(3277 × 1.25 / 3) = round(1365.42) = 1365.
    let layer = Dense {
        kernel: array![[16384]],
        bias: array![0],
        activation: Activation::Identity,
    };
    let sgd = Sgd {
        learning_rate: 0.1,
        momentum: None,
    };
    let mut net = network::<Fixed>(vec![layer], Loss::MeanSquaredError, sgd, LIMITS);
    assert_eq!(
        net.constants().learning_rate,
        3277,
        "0.1 × 32768 = 3276.8 rounds to 3277"
    );
    let x = array![[32768], [16384], [-8192]];
    let y = array![[0], [0], [0]];
    let pass = net
        .train_batch_traced(x.view(), y.view())
        .expect("valid batch");
    assert_eq!(pass.forward[0].z, array![[16384], [8192], [-4096]]);
    assert_eq!(pass.backward[0].delta_z, array![[32768], [16384], [-8192]]);
    assert_eq!(pass.backward[0].kernel_gradient, array![[1409286144]]);
    assert_eq!(pass.backward[0].bias_gradient, array![1342177280]);
    assert_eq!(net.layers()[0].kernel, array![[16384 - 1434]]);
    assert_eq!(net.layers()[0].bias, array![-1365]);
}

#[test]
fn hand_computed_fixed_sigmoid_bce_rounds_halves_away_from_zero() {
    // z = 1.0 → sigmoid = 0.7310585786 → × 32768 = 23955.16 → 23955 (odd, so halving rounds).
    // δz = round_div(a − y, 2) = [round_div(23955 − 32768, 2), round_div(23955, 2)]
    //    = [−4406.5 → −4407, 11977.5 → 11978] (halves away from zero).
    // With x = 1 and lr = 1 the step equals δz: w = 1 + 4407/32768 … as integers below.
    let layer = Dense {
        kernel: array![[ONE, ONE]],
        bias: array![0, 0],
        activation: Activation::Sigmoid,
    };
    let sgd = Sgd {
        learning_rate: 1.0,
        momentum: None,
    };
    let mut net = network::<Fixed>(vec![layer], Loss::BinaryCrossEntropy, sgd, LIMITS);
    let pass = net
        .train_batch_traced(array![[ONE]].view(), array![[ONE, 0]].view())
        .expect("valid batch");
    assert_eq!(pass.forward[0].a, array![[23955, 23955]]);
    assert_eq!(pass.backward[0].delta_a, None, "sigmoid + BCE is fused");
    assert_eq!(pass.backward[0].delta_z, array![[-4407, 11978]]);
    assert_eq!(net.layers()[0].kernel, array![[ONE + 4407, ONE - 11978]]);
    assert_eq!(net.layers()[0].bias, array![4407, -11978]);
}

// ---------------------------------------------------------------------------------------------
// Fixed-point helpers
// ---------------------------------------------------------------------------------------------

#[test]
fn round_shift_rounds_halves_up() {
    assert_eq!(round_shift(3, 1), 2, "1.5 → 2");
    assert_eq!(round_shift(-3, 1), -1, "−1.5 → −1 (up, not away from zero)");
    assert_eq!(round_shift(-5, 1), -2, "−2.5 → −2");
    assert_eq!(round_shift(5, 1), 3, "2.5 → 3");
    assert_eq!(round_shift(1 << 14, 15), 1, "0.5 → 1");
    assert_eq!(round_shift(-(1 << 14), 15), 0, "−0.5 → 0");
    assert_eq!(round_shift((1 << 14) - 1, 15), 0, "just below a half");
    assert_eq!(round_shift(-(1 << 14) - 1, 15), -1, "just below −0.5");
    assert_eq!(round_shift(7 << 30, 30), 7, "exact values are unchanged");
    // The i64 formula would overflow adding the half; the helper does not.
    assert_eq!(round_shift(i64::MAX, 15), 1 << 48);
    assert_eq!(round_shift(i64::MIN, 15), -(1 << 48));
}

#[test]
fn sat32_clamps_instead_of_wrapping() {
    assert_eq!(sat32(5), 5);
    assert_eq!(sat32(-5), -5);
    assert_eq!(sat32(i64::from(i32::MAX)), i32::MAX);
    assert_eq!(sat32(i64::from(i32::MAX) + 1), i32::MAX);
    assert_eq!(sat32(i64::from(i32::MIN) - 1), i32::MIN);
    assert_eq!(sat32(i64::MAX), i32::MAX);
    assert_eq!(sat32(i64::MIN), i32::MIN);
}

#[test]
fn round_div_rounds_halves_away_from_zero() {
    assert_eq!(round_div(5, 2), 3);
    assert_eq!(round_div(-5, 2), -3);
    assert_eq!(round_div(1, 2), 1);
    assert_eq!(round_div(-1, 2), -1);
    assert_eq!(round_div(7, 3), 2);
    assert_eq!(round_div(-7, 3), -2);
    assert_eq!(round_div(8, 3), 3);
    assert_eq!(round_div(-8, 3), -3);
    assert_eq!(round_div(1, 3), 0);
    assert_eq!(round_div(0, 5), 0);
    assert_eq!(round_div(6, 3), 2, "exact quotients are unchanged");
    assert_eq!(round_div(i128::from(i64::MAX) * 4, 4), i128::from(i64::MAX));
}

#[test]
fn mul_rounds_and_saturates() {
    assert_eq!(mul(ONE, ONE), ONE);
    assert_eq!(mul(ONE / 2, ONE / 2), ONE / 4);
    assert_eq!(mul(ONE / 2, 3), 2, "1.5 LSB rounds up to 2");
    assert_eq!(mul(-ONE / 2, 3), -1, "−1.5 LSB rounds up to −1");
    assert_eq!(mul(1, 1), 0, "2^−30 rounds to 0");
    assert_eq!(mul(i32::MAX, i32::MAX), i32::MAX);
    assert_eq!(mul(i32::MIN, i32::MIN), i32::MAX);
    assert_eq!(mul(i32::MIN, i32::MAX), i32::MIN);
    assert_eq!(
        mul(ONE, i32::MIN),
        i32::MIN,
        "1.0 × x is exact at the bottom of the range"
    );
}

#[test]
fn to_fixed_rounds_halves_away_from_zero_and_saturates() {
    assert_eq!(to_fixed(0.5), 16384);
    assert_eq!(to_fixed(-1.0), -ONE);
    assert_eq!(to_fixed(1.5 / 32768.0), 2);
    assert_eq!(
        to_fixed(-1.5 / 32768.0),
        -2,
        "away from zero, unlike round_shift"
    );
    assert_eq!(to_fixed(0.1), 3277);
    assert_eq!(to_fixed(1e10), i32::MAX);
    assert_eq!(to_fixed(-1e10), i32::MIN);
    assert_eq!(to_fixed(f64::INFINITY), i32::MAX);
    assert_eq!(to_fixed(f64::NAN), 0);
    assert_eq!(from_fixed(ONE), 1.0);
    assert_eq!(from_fixed(1), 2f64.powi(-15));
    assert_eq!(from_fixed(i32::MIN), -65536.0);
}

#[test]
fn fixed_transcendentals_are_f64_rounded_to_s16_15() {
    let z = array![-ONE, 0, ONE / 2];
    let sigmoid = Fixed::activate(Activation::Sigmoid, z.view());
    assert_eq!(sigmoid[1], ONE / 2, "sigmoid(0) = 0.5 exactly");
    assert_eq!(sigmoid[0], to_fixed(1.0 / (1.0 + 1f64.exp())));
    assert_eq!(sigmoid[0], 8813, "0.26894 × 32768 = 8812.8");
    let tanh = Fixed::activate(Activation::Tanh, z.view());
    assert_eq!(tanh[2], to_fixed(0.5f64.tanh()));
    let softmax = Fixed::activate(Activation::Softmax, array![0, 0].view());
    assert_eq!(softmax, array![ONE / 2, ONE / 2]);
}

// ---------------------------------------------------------------------------------------------
// Momentum
// ---------------------------------------------------------------------------------------------

fn one_by_one<A>(weight: A, bias: A) -> Vec<Dense<A>> {
    vec![Dense {
        kernel: array![[weight]],
        bias: array![bias],
        activation: Activation::Identity,
    }]
}

#[test]
fn momentum_matches_hand_unrolled_two_steps_in_f32() {
    // w = 1, b = 0, x = 2, y = 0, lr = 0.25, μ = 0.5, MSE on one unit: δz = 2z.
    // Step 1: z = 2, δz = 4, g = (8, 4); v = (−2, −1); w, b = (−1, −1).
    // Step 2: z = −3, δz = −6, g = (−12, −6); v = (0.5·−2 + 3, 0.5·−1 + 1.5) = (2, 1); w, b = (1, 0).
    let sgd = Sgd {
        learning_rate: 0.25,
        momentum: Some(0.5),
    };
    let mut net = network::<F32>(one_by_one(1.0f32, 0.0), Loss::MeanSquaredError, sgd, ());
    let x = array![[2.0f32]];
    let y = array![[0.0f32]];
    assert_eq!(net.train_batch(x.view(), y.view()), Ok(4.0));
    let velocity = &net.velocities().expect("momentum keeps velocities")[0];
    assert_eq!((velocity.kernel[[0, 0]], velocity.bias[0]), (-2.0, -1.0));
    assert_eq!(
        (net.layers()[0].kernel[[0, 0]], net.layers()[0].bias[0]),
        (-1.0, -1.0)
    );
    assert_eq!(net.train_batch(x.view(), y.view()), Ok(9.0));
    let velocity = &net.velocities().expect("momentum keeps velocities")[0];
    assert_eq!((velocity.kernel[[0, 0]], velocity.bias[0]), (2.0, 1.0));
    assert_eq!(
        (net.layers()[0].kernel[[0, 0]], net.layers()[0].bias[0]),
        (1.0, 0.0)
    );
}

#[test]
fn momentum_matches_hand_unrolled_two_steps_with_rounding_in_f32() {
    // Non-dyadic constants, so every operation rounds: the unrolled Keras formula in f32 must
    // give identical bits.
    let (lr, mu, x, y) = (0.1f32, 0.9f32, 0.7f32, 0.3f32);
    let (mut w, mut b, mut vw, mut vb) = (0.45f32, -0.2f32, 0.0f32, 0.0f32);
    let sgd = Sgd {
        learning_rate: 0.1,
        momentum: Some(0.9),
    };
    let mut net = network::<F32>(one_by_one(w, b), Loss::MeanSquaredError, sgd, ());
    for step in 0..2 {
        let z = (0.0 + x * w) + b;
        let delta = 2.0 * (z - y) / 1.0;
        let (gw, gb) = ((0.0 + x * delta) / 1.0, (0.0 + delta) / 1.0);
        vw = mu * vw - lr * gw;
        vb = mu * vb - lr * gb;
        w += vw;
        b += vb;
        net.train_batch(array![[x]].view(), array![[y]].view())
            .expect("valid batch");
        assert_eq!(
            (
                net.layers()[0].kernel[[0, 0]].to_bits(),
                net.layers()[0].bias[0].to_bits()
            ),
            (w.to_bits(), b.to_bits()),
            "after step {step}"
        );
    }
}

#[test]
fn momentum_matches_hand_unrolled_two_steps_in_fixed() {
    // Same network in s16.15 with lr = 0.1 → 3277 and μ = 0.9 → 29491, x = 2, w = 1, b = 0.
    // Step 1: z = 65536, δz = 131072; G = (2^33, 2^32); step = (3277·8, 3277·4) = (26216, 13108);
    //         v = (−26216, −13108); w, b = (6552, −13108).
    // Step 2: z = 2·6552 − 13108 = −4; δz = −8; G = (−524288, −262144);
    //         step = (round(−3277/2048), round(−3277/4096)) = (−1.60 → −2, −0.80 → −1);
    //         mul(29491, −26216) = round_shift(−773136056, 15) = −23594 (−23594.24);
    //         mul(29491, −13108) = round_shift(−386568028, 15) = −11797 (−11797.12);
    //         v = (−23594 + 2, −11797 + 1) = (−23592, −11796); w, b = (−17040, −24904).
    let sgd = Sgd {
        learning_rate: 0.1,
        momentum: Some(0.9),
    };
    let mut net = network::<Fixed>(one_by_one(ONE, 0), Loss::MeanSquaredError, sgd, LIMITS);
    assert_eq!(net.constants().momentum, Some(29491));
    let x = array![[2 * ONE]];
    let y = array![[0]];
    // The same two steps unrolled with the helpers, mirroring the definitions.
    let (lr, mu) = (3277i128, 29491);
    let (mut w, mut b, mut vw, mut vb) = (ONE, 0i32, 0i32, 0i32);
    for step in 0..2 {
        let z = sat32(round_shift(
            i64::from(2 * ONE) * i64::from(w) + (i64::from(b) << 15),
            15,
        ));
        let delta = sat32(round_div(2 * i128::from(z), 1) as i64);
        let gw = i64::from(2 * ONE) * i64::from(delta);
        let gb = i64::from(delta) << 15;
        let step_w = round_div(lr * i128::from(gw), 1 << 30) as i64;
        let step_b = round_div(lr * i128::from(gb), 1 << 30) as i64;
        vw = sat32(i64::from(mul(mu, vw)) - step_w);
        vb = sat32(i64::from(mul(mu, vb)) - step_b);
        w = sat32(i64::from(w) + i64::from(vw));
        b = sat32(i64::from(b) + i64::from(vb));
        net.train_batch(x.view(), y.view()).expect("valid batch");
        assert_eq!(
            (net.layers()[0].kernel[[0, 0]], net.layers()[0].bias[0]),
            (w, b),
            "after step {step}"
        );
        let velocity = &net.velocities().expect("momentum keeps velocities")[0];
        assert_eq!((velocity.kernel[[0, 0]], velocity.bias[0]), (vw, vb));
    }
    assert_eq!(
        (w, b, vw, vb),
        (-17040, -24904, -23592, -11796),
        "hand values"
    );
}

// ---------------------------------------------------------------------------------------------
// Batch means, the prior prototype's mistakes, determinism
// ---------------------------------------------------------------------------------------------

fn batch_case(seed: u64) -> (Vec<Dense<f64>>, Array2<f64>, Array2<f64>) {
    let mut rng = Lcg(seed);
    let layers = vec![
        Dense {
            kernel: rng.matrix(3, 4, 1.0),
            bias: rng.vector(4, 0.0, 0.5),
            activation: Activation::Tanh,
        },
        Dense {
            kernel: rng.matrix(4, 2, 1.0),
            bias: rng.vector(2, 0.0, 0.5),
            activation: Activation::Sigmoid,
        },
    ];
    let x = rng.matrix(5, 3, 1.0);
    let y = labels(&mut rng, Loss::BinaryCrossEntropy, 5, 2);
    (layers, x, y)
}

#[test]
fn f32_batch_gradient_is_the_mean_of_per_sample_gradients() {
    let seed = 0x5eed_0003;
    let (layers, x, y) = batch_case(seed);
    let net = network::<F32>(to_f32_layers(&layers), Loss::BinaryCrossEntropy, PLAIN, ());
    let (x, y) = (x.mapv(|v| v as f32), y.mapv(|v| v as f32));
    let batch = net
        .forward_backward(x.view(), y.view())
        .expect("valid batch");
    for layer in 0..2 {
        let mut kernel_sum = Array2::<f32>::zeros(batch.backward[layer].kernel_gradient.dim());
        let mut bias_sum = Array1::<f32>::zeros(batch.backward[layer].bias_gradient.dim());
        for sample in 0..x.nrows() {
            // Each sample run alone, as a batch of one.
            let single = net
                .forward_backward(
                    x.slice(ndarray::s![sample..=sample, ..]),
                    y.slice(ndarray::s![sample..=sample, ..]),
                )
                .expect("valid sample");
            kernel_sum += &single.backward[layer].kernel_gradient;
            bias_sum += &single.backward[layer].bias_gradient;
            // The pass's own per-sample view agrees with the single-sample run.
            let (kernel, bias) = batch.sample_gradient(layer, sample);
            assert_eq!(kernel, single.backward[layer].kernel_gradient);
            assert_eq!(bias, single.backward[layer].bias_gradient);
        }
        // Bit-exact: the batch gradient is defined as the in-order sum divided by the batch
        // size, and a batch of one divides by 1 exactly.
        assert_eq!(
            batch.backward[layer].kernel_gradient,
            kernel_sum / 5.0,
            "seed {seed:#x}"
        );
        assert_eq!(
            batch.backward[layer].bias_gradient,
            bias_sum / 5.0,
            "seed {seed:#x}"
        );
    }
}

#[test]
fn fixed_batch_gradient_is_the_exact_sum_of_per_sample_gradients() {
    let seed = 0x5eed_0004;
    let (layers, x, y) = batch_case(seed);
    let net = network::<Fixed>(
        to_fixed_layers(&to_f32_layers(&layers)),
        Loss::BinaryCrossEntropy,
        PLAIN,
        LIMITS,
    );
    let (x, y) = (x.mapv(to_fixed), y.mapv(to_fixed));
    let batch = net
        .forward_backward(x.view(), y.view())
        .expect("valid batch");
    for layer in 0..2 {
        let mut kernel_sum = Array2::<i64>::zeros(batch.backward[layer].kernel_gradient.dim());
        let mut bias_sum = Array1::<i64>::zeros(batch.backward[layer].bias_gradient.dim());
        for sample in 0..x.nrows() {
            let single = net
                .forward_backward(
                    x.slice(ndarray::s![sample..=sample, ..]),
                    y.slice(ndarray::s![sample..=sample, ..]),
                )
                .expect("valid sample");
            kernel_sum += &single.backward[layer].kernel_gradient;
            bias_sum += &single.backward[layer].bias_gradient;
        }
        assert_eq!(
            batch.backward[layer].kernel_gradient, kernel_sum,
            "seed {seed:#x}"
        );
        assert_eq!(
            batch.backward[layer].bias_gradient, bias_sum,
            "seed {seed:#x}"
        );
    }
    // And the step divides that sum once: a batch of 5 identical samples steps exactly as far
    // as one sample does (the mean of equal terms is the term, with one rounding either way).
    let repeated = Array2::from_shape_fn((5, 3), |(_, i)| x[[0, i]]);
    let repeated_y = Array2::from_shape_fn((5, 2), |(_, j)| y[[0, j]]);
    let mut five = net.clone();
    let mut one = net.clone();
    five.train_batch(repeated.view(), repeated_y.view())
        .expect("valid batch");
    one.train_batch(
        x.slice(ndarray::s![0..1, ..]),
        y.slice(ndarray::s![0..1, ..]),
    )
    .expect("valid batch");
    assert_eq!(five.layers(), one.layers());
}

#[test]
fn softmax_cce_gradient_is_p_minus_y() {
    let seed = 0x5eed_0005;
    let mut rng = Lcg(seed);
    let layer = Dense {
        kernel: rng.matrix(3, 4, 1.0).mapv(|v| v as f32),
        bias: rng.vector(4, 0.0, 0.5).mapv(|v| v as f32),
        activation: Activation::Softmax,
    };
    let x = rng.matrix(3, 3, 1.0).mapv(|v| v as f32);
    let y = rng.one_hot(3, 4).mapv(|v| v as f32);
    let net = network::<F32>(vec![layer], Loss::CategoricalCrossEntropy, PLAIN, ());
    let pass = net
        .forward_backward(x.view(), y.view())
        .expect("valid batch");
    // Exactly p − y, per sample, with no 1/n_units factor and no separate δa.
    assert_eq!(pass.backward[0].delta_a, None);
    assert_eq!(
        pass.backward[0].delta_z,
        &pass.forward[0].a - &y,
        "seed {seed:#x}"
    );
    for row in pass.backward[0].delta_z.rows() {
        // p − y sums to 0 because both p and a one-hot y sum to 1 (up to f32 rounding).
        assert!(
            row.sum().abs() < 1e-6,
            "seed {seed:#x}: δz row {row} does not sum to 0"
        );
    }
}

#[test]
fn softmax_with_mse_uses_the_full_jacobian_not_its_diagonal() {
    // p = softmax([0, ln 2, ln 3])... chosen via logits of a 1-input layer with x = 1:
    // p = [1/6, 2/6, 3/6]; y = 0 → δa = 2p/3.
    // Full: δz_i = p_i(δa_i − Σ p_j δa_j); diagonal (the prior prototype): p_i(1 − p_i)·δa_i.
    let layer = Dense {
        kernel: array![[0.0, 2f64.ln(), 3f64.ln()]],
        bias: array![0.0, 0.0, 0.0],
        activation: Activation::Softmax,
    };
    let net = network::<F64>(vec![layer], Loss::MeanSquaredError, PLAIN, ());
    let pass = net
        .forward_backward(array![[1.0]].view(), array![[0.0, 0.0, 0.0]].view())
        .expect("valid batch");
    let p = [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0];
    let delta_a = p.map(|p| 2.0 * p / 3.0);
    let dot: f64 = p.iter().zip(&delta_a).map(|(p, d)| p * d).sum();
    for i in 0..3 {
        let full = p[i] * (delta_a[i] - dot);
        let diagonal = p[i] * (1.0 - p[i]) * delta_a[i];
        let got = pass.backward[0].delta_z[[0, i]];
        // f64 rounding of a handful of operations on O(1) values: 1e-15 is ~10 ulps.
        assert!((got - full).abs() < 1e-15, "unit {i}: {got} vs full {full}");
        // The two rules differ by far more than rounding here, so this separates them.
        assert!(
            (got - diagonal).abs() > 1e-3,
            "unit {i}: {got} equals the diagonal rule"
        );
    }
}

#[test]
fn bce_value_and_gradient_match_the_definition() {
    // sigmoid(ln 4) = 0.8 on both units; y = [1, 0].
    // Loss = −mean(1·ln 0.8 + 0, 0 + 1·ln 0.2) = (0.2231436 + 1.6094379)/2 = 0.9162907 (positive;
    // the prior prototype flipped the sign of the (1 − y) term, which would give −0.693).
    // Fused δz = (a − y)/2 = [−0.1, 0.4].
    let layer = Dense {
        kernel: array![[0.0, 0.0]],
        bias: array![4f64.ln(), 4f64.ln()],
        activation: Activation::Sigmoid,
    };
    let net = network::<F64>(vec![layer.clone()], Loss::BinaryCrossEntropy, PLAIN, ());
    let (x, y) = (array![[1.0]], array![[1.0, 0.0]]);
    let pass = net
        .forward_backward(x.view(), y.view())
        .expect("valid batch");
    let expected_loss = -(0.8f64.ln() + 0.2f64.ln()) / 2.0;
    // sigmoid(ln 4) is 0.8 to within an ulp or two, which moves the logs by ~1e-16.
    assert!(
        (pass.loss - expected_loss).abs() < 1e-14,
        "loss {}",
        pass.loss
    );
    assert!((pass.loss - 0.916_290_731_874_155).abs() < 1e-14);
    let delta = &pass.backward[0].delta_z;
    assert!(
        (delta[[0, 0]] + 0.1).abs() < 1e-15 && (delta[[0, 1]] - 0.4).abs() < 1e-15,
        "{delta}"
    );
    // The same outputs from an identity layer (a = 0.8) give the same loss; its gradient goes
    // through the unfused rule δa = (a − y)/(a(1 − a))/n, which is also δz for identity.
    let identity = Dense {
        kernel: array![[0.0, 0.0]],
        bias: array![0.8, 0.8],
        activation: Activation::Identity,
    };
    let net = network::<F64>(vec![identity], Loss::BinaryCrossEntropy, PLAIN, ());
    let pass = net
        .forward_backward(x.view(), y.view())
        .expect("valid batch");
    let delta_a = pass.backward[0]
        .delta_a
        .as_ref()
        .expect("unfused pair has δa");
    assert!(
        (delta_a[[0, 0]] - (-0.2 / 0.16 / 2.0)).abs() < 1e-14,
        "{delta_a}"
    );
    assert!(
        (delta_a[[0, 1]] - (0.8 / 0.16 / 2.0)).abs() < 1e-14,
        "{delta_a}"
    );
    assert!(
        (pass.loss - expected_loss).abs() < 1e-14,
        "loss {}",
        pass.loss
    );
}

#[test]
fn training_is_deterministic_to_the_bit() {
    let seed = 0x5eed_0006;
    let (layers, x, y) = batch_case(seed);
    let sgd = Sgd {
        learning_rate: 0.3,
        momentum: Some(0.9),
    };
    let run_f32 = || {
        let mut net = network::<F32>(to_f32_layers(&layers), Loss::BinaryCrossEntropy, sgd, ());
        let passes: Vec<_> = (0..5)
            .map(|_| {
                net.train_batch_traced(x.mapv(|v| v as f32).view(), y.mapv(|v| v as f32).view())
                    .expect("valid batch")
            })
            .collect();
        (net, passes)
    };
    let run_fixed = || {
        let mut net = network::<Fixed>(
            to_fixed_layers(&to_f32_layers(&layers)),
            Loss::BinaryCrossEntropy,
            sgd,
            LIMITS,
        );
        let passes: Vec<_> = (0..5)
            .map(|_| {
                net.train_batch_traced(x.mapv(to_fixed).view(), y.mapv(to_fixed).view())
                    .expect("valid batch")
            })
            .collect();
        (net, passes)
    };
    let bits = |net: &Network<F32>| -> Vec<u32> {
        net.layers()
            .iter()
            .flat_map(|l| {
                l.kernel
                    .iter()
                    .chain(l.bias.iter())
                    .map(|w| w.to_bits())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (first, first_passes) = run_f32();
    let (second, second_passes) = run_f32();
    assert_eq!(bits(&first), bits(&second), "seed {seed:#x}");
    assert_eq!(first_passes, second_passes, "seed {seed:#x}");
    assert_eq!(run_fixed(), run_fixed(), "seed {seed:#x}");
    // The run did train: the weights moved.
    assert_ne!(first.layers(), to_f32_layers(&layers).as_slice());
}

// ---------------------------------------------------------------------------------------------
// f32 and fixed point agree
// ---------------------------------------------------------------------------------------------

#[test]
fn f32_and_fixed_agree_on_a_short_training_run() {
    let cases = [
        (
            Activation::Tanh,
            Activation::Softmax,
            Loss::CategoricalCrossEntropy,
            Some(0.9),
        ),
        (
            Activation::Relu,
            Activation::Sigmoid,
            Loss::BinaryCrossEntropy,
            None,
        ),
        (
            Activation::Sigmoid,
            Activation::Identity,
            Loss::MeanSquaredError,
            Some(0.5),
        ),
        (
            Activation::Relu,
            Activation::Softmax,
            Loss::MeanSquaredError,
            None,
        ),
        (
            Activation::Tanh,
            Activation::Sigmoid,
            Loss::CategoricalCrossEntropy,
            None,
        ),
    ];
    let seed = 0x5eed_0007;
    let mut rng = Lcg(seed);
    for (hidden, output, loss, momentum) in cases {
        let layers = vec![
            Dense {
                kernel: rng.matrix(3, 4, 1.0),
                bias: rng.vector(4, 0.0, 0.3),
                activation: hidden,
            },
            Dense {
                kernel: rng.matrix(4, 3, 1.0),
                bias: rng.vector(3, 0.0, 0.3),
                activation: output,
            },
        ];
        // Start both modes from the same, exactly representable, weights.
        let f32_layers: Vec<Dense<f32>> = to_fixed_layers(&to_f32_layers(&layers))
            .iter()
            .map(|l| l.map(|q| from_fixed(q) as f32))
            .collect();
        let sgd = Sgd {
            learning_rate: 0.1,
            momentum,
        };
        let mut float = network::<F32>(f32_layers.clone(), loss, sgd, ());
        let mut fixed = network::<Fixed>(to_fixed_layers(&f32_layers), loss, sgd, LIMITS);
        let steps = 10;
        for step in 0..steps {
            let x = rng
                .matrix(4, 3, 1.0)
                .mapv(|v| from_fixed(to_fixed(v)) as f32);
            let y = labels(&mut rng, loss, 4, 3).mapv(|v| from_fixed(to_fixed(v)) as f32);
            let float_loss = float
                .train_batch(x.view(), y.view())
                .expect("valid f32 batch");
            let fixed_loss = fixed
                .train_batch(quantise(&x).view(), quantise(&y).view())
                .expect("valid fixed batch");
            // Activations differ by a few 2^−16 roundings; the loss is O(1) with O(1) slope.
            assert!(
                (float_loss - fixed_loss).abs() < 1e-3,
                "seed {seed:#x}, {hidden:?}/{output:?}/{loss:?}, step {step}: loss f32 {float_loss} fixed {fixed_loss}"
            );
        }
        let mut worst: f64 = 0.0;
        for (f, q) in float.layers().iter().zip(fixed.layers()) {
            for (w, wq) in f
                .kernel
                .iter()
                .chain(&f.bias)
                .zip(q.kernel.iter().chain(&q.bias))
            {
                worst = worst.max((f64::from(*w) - from_fixed(*wq)).abs());
            }
        }
        // Each step the fixed update rounds once (≤ 2^−16) and its gradient carries a few LSB
        // of activation and delta rounding scaled by lr = 0.1 (and by up to 1/(1 − μ) = 10
        // with momentum), so 10 steps drift by at most ~10 × 10 × 3e-5 = 3e-3.
        assert!(
            worst <= 3e-3,
            "seed {seed:#x}, {hidden:?}/{output:?}/{loss:?}: weights differ by {worst}"
        );
        // The run moved the weights far more than the two modes disagree (this seed: 0.009 to
        // 0.48 moved against ≤ 3.2e-4 apart), so agreement is not just both standing still; the
        // prior prototype's tolerance was as large as its whole training signal.
        let moved = float.layers()[1]
            .kernel
            .iter()
            .zip(&f32_layers[1].kernel)
            .map(|(a, b)| f64::from((a - b).abs()))
            .fold(0.0, f64::max);
        assert!(
            moved > 5e-3 && moved > 20.0 * worst,
            "{hidden:?}/{output:?}/{loss:?}: weights moved {moved}, modes differ by {worst}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

fn f32_layer(inputs: usize, units: usize) -> Dense<f32> {
    Dense {
        kernel: Array2::from_elem((inputs, units), 0.5),
        bias: Array1::zeros(units),
        activation: Activation::Identity,
    }
}

#[test]
fn shape_errors_name_the_layer_and_shapes() {
    let mse = Loss::MeanSquaredError;
    assert_eq!(
        Network::<F32>::new(vec![], mse, PLAIN, ()),
        Err(GoldenError::NoLayers)
    );

    let mut bad_bias = f32_layer(3, 2);
    bad_bias.bias = Array1::zeros(3);
    let err = Network::<F32>::new(vec![f32_layer(2, 3), bad_bias], mse, PLAIN, ())
        .expect_err("invalid input is rejected");
    assert_eq!(
        err,
        GoldenError::BiasShape {
            layer: 1,
            kernel: (3, 2),
            bias: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "layer 1: bias length 3 does not match kernel shape (3, 2) (one bias per unit)"
    );

    let err = Network::<F32>::new(vec![f32_layer(2, 3), f32_layer(4, 2)], mse, PLAIN, ())
        .expect_err("invalid input is rejected");
    assert_eq!(
        err,
        GoldenError::LayerChain {
            layer: 1,
            kernel: (4, 2),
            previous_units: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "layer 1: kernel shape (4, 2) takes 4 inputs but the previous layer has 3 units"
    );

    let err = Network::<F32>::new(vec![f32_layer(0, 3)], mse, PLAIN, ())
        .expect_err("invalid input is rejected");
    assert_eq!(
        err,
        GoldenError::EmptyLayer {
            layer: 0,
            kernel: (0, 3)
        }
    );

    let net = network::<F32>(vec![f32_layer(2, 3), f32_layer(3, 2)], mse, PLAIN, ());
    let err = net
        .predict(Array2::zeros((4, 3)).view())
        .expect_err("invalid input is rejected");
    assert_eq!(
        err,
        GoldenError::InputShape {
            got: (4, 3),
            expected_features: 2
        }
    );
    assert_eq!(
        err.to_string(),
        "input batch shape (4, 3) does not fit layer 0, which takes 2 inputs"
    );
    assert_eq!(
        net.predict(Array2::zeros((0, 2)).view()),
        Err(GoldenError::EmptyBatch)
    );
    let err = net
        .forward_backward(Array2::zeros((4, 2)).view(), Array2::zeros((4, 3)).view())
        .expect_err("invalid input is rejected");
    assert_eq!(
        err,
        GoldenError::LabelShape {
            layer: 1,
            got: (4, 3),
            expected: (4, 2)
        }
    );
    assert_eq!(
        net.loss(Array2::zeros((4, 2)).view(), Array2::zeros((3, 2)).view()),
        Err(GoldenError::LabelShape {
            layer: 1,
            got: (3, 2),
            expected: (4, 2)
        })
    );
}

#[test]
fn non_finite_values_name_the_layer_and_tensor() {
    let mse = Loss::MeanSquaredError;
    let mut nan_kernel = f32_layer(3, 2);
    nan_kernel.kernel[[2, 1]] = f32::NAN;
    let err = Network::<F32>::new(vec![f32_layer(2, 3), nan_kernel], mse, PLAIN, ())
        .expect_err("invalid input is rejected");
    assert!(
        matches!(&err, GoldenError::NonFinite { layer: 1, tensor: Tensor::Kernel, index, .. } if index == &[2, 1]),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "layer 1: kernel W is not finite (NaN) at index [2, 1] in f32"
    );

    let net = network::<F32>(vec![f32_layer(2, 3), f32_layer(3, 2)], mse, PLAIN, ());
    let err = net
        .predict(array![[1.0, f32::INFINITY]].view())
        .expect_err("invalid input is rejected");
    assert!(
        matches!(&err, GoldenError::NonFinite { layer: 0, tensor: Tensor::Input, index, .. } if index == &[0, 1]),
        "{err:?}"
    );

    // 3e38 × 10 overflows f32: the forward pass names layer 0's pre-activation.
    let huge = vec![Dense {
        kernel: array![[3e38f32]],
        bias: array![0.0],
        activation: Activation::Identity,
    }];
    let mut net = network::<F32>(huge, mse, PLAIN, ());
    let err = net
        .train_batch(array![[10.0]].view(), array![[0.0]].view())
        .expect_err("invalid input is rejected");
    assert!(
        matches!(
            err,
            GoldenError::NonFinite {
                layer: 0,
                tensor: Tensor::PreActivation,
                ..
            }
        ),
        "{err:?}"
    );

    // A finite pass whose update overflows: δz = 2·1e38 is finite, the gradient 1e38·… and
    // lr·g are not representable, so the update is rejected and the weights are untouched.
    let layers = vec![Dense {
        kernel: array![[1e38f32]],
        bias: array![0.0],
        activation: Activation::Identity,
    }];
    let sgd = Sgd {
        learning_rate: 1e30,
        momentum: None,
    };
    let mut net = network::<F32>(layers.clone(), mse, sgd, ());
    let err = net
        .train_batch(array![[1.0]].view(), array![[0.0]].view())
        .expect_err("invalid input is rejected");
    assert!(
        matches!(
            err,
            GoldenError::NonFinite {
                layer: 0,
                tensor: Tensor::Kernel,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        net.layers(),
        layers.as_slice(),
        "a failed update leaves the weights unchanged"
    );
}

#[test]
fn invalid_hyper_parameters_are_rejected() {
    let layers = vec![f32_layer(2, 2)];
    let mse = Loss::MeanSquaredError;
    for rate in [0.0, -0.1, f64::NAN, f64::INFINITY, 1e-50] {
        let sgd = Sgd {
            learning_rate: rate,
            momentum: None,
        };
        let err = Network::<F32>::new(layers.clone(), mse, sgd, ())
            .expect_err("invalid input is rejected");
        // 1e-50 is a valid f64 rate but underflows to 0 in f32.
        assert!(
            matches!(err, GoldenError::InvalidLearningRate { mode: "f32", .. }),
            "rate {rate}: {err:?}"
        );
    }
    for momentum in [1.0, -0.1, f64::NAN] {
        let sgd = Sgd {
            learning_rate: 0.1,
            momentum: Some(momentum),
        };
        let err = Network::<F32>::new(layers.clone(), mse, sgd, ())
            .expect_err("invalid input is rejected");
        assert!(
            matches!(err, GoldenError::InvalidMomentum { .. }),
            "momentum {momentum}: {err:?}"
        );
    }
    // 1e-6 × 32768 = 0.03 rounds to 0 in s16.15, so the fixed network could never learn.
    let tiny = Sgd {
        learning_rate: 1e-6,
        momentum: None,
    };
    let fixed_layers = to_fixed_layers(&layers);
    assert_eq!(
        Network::<Fixed>::new(fixed_layers.clone(), mse, tiny, LIMITS),
        Err(GoldenError::FixedLearningRate {
            value: 1e-6,
            q15: 0
        })
    );
    let huge = Sgd {
        learning_rate: 1e6,
        momentum: None,
    };
    assert!(matches!(
        Network::<Fixed>::new(fixed_layers.clone(), mse, huge, LIMITS),
        Err(GoldenError::FixedLearningRate { .. })
    ));
    assert_eq!(
        Network::<Fixed>::new(fixed_layers, mse, PLAIN, FixedLimits { max_abs: ONE - 1 }),
        Err(GoldenError::FixedBoundTooSmall {
            max_abs: ONE - 1,
            one: ONE
        })
    );
}

#[test]
fn fixed_overflow_bounds_are_enforced() {
    let mse = Loss::MeanSquaredError;
    let layer = |inputs: usize, units: usize| Dense {
        kernel: Array2::from_elem((inputs, units), ONE),
        bias: Array1::zeros(units),
        activation: Activation::Identity,
    };
    // With every i32 allowed, one product reaches (2^31 − 1)² ≈ 2^62: two of them plus the
    // bias overflow i64 in the forward sum, three in the backward sum.
    let full = FixedLimits { max_abs: i32::MAX };
    let err = Network::<Fixed>::new(vec![layer(2, 1)], mse, PLAIN, full)
        .expect_err("invalid input is rejected");
    assert!(
        matches!(
            err,
            GoldenError::FixedLayerOverflow {
                layer: 0,
                pass: "forward",
                terms: 2,
                ..
            }
        ),
        "{err:?}"
    );
    // 2·(2^31 − 1)² = 2^63 − 2^33 + 2 still fits, so two units are fine backward.
    assert!(Network::<Fixed>::new(vec![layer(1, 2)], mse, PLAIN, full).is_ok());
    let err = Network::<Fixed>::new(vec![layer(1, 3)], mse, PLAIN, full)
        .expect_err("invalid input is rejected");
    assert!(
        matches!(
            err,
            GoldenError::FixedLayerOverflow {
                layer: 0,
                pass: "backward",
                terms: 3,
                ..
            }
        ),
        "{err:?}"
    );
    // M = 2^24: n·2^48 + 2^39 fits up to n = 32767 inputs.
    assert!(Network::<Fixed>::new(vec![layer(32767, 1)], mse, PLAIN, LIMITS).is_ok());
    assert!(matches!(
        Network::<Fixed>::new(vec![layer(32768, 1)], mse, PLAIN, LIMITS),
        Err(GoldenError::FixedLayerOverflow { terms: 32768, .. })
    ));

    // M = 2^30: the gradient sum of a batch fits 7·2^60 but not 8·2^60 = 2^63.
    let wide = FixedLimits { max_abs: 1 << 30 };
    let net = network::<Fixed>(vec![layer(1, 1)], mse, PLAIN, wide);
    let ok = net.forward_backward(Array2::zeros((7, 1)).view(), Array2::zeros((7, 1)).view());
    assert!(ok.is_ok(), "{ok:?}");
    assert_eq!(
        net.forward_backward(Array2::zeros((8, 1)).view(), Array2::zeros((8, 1)).view()),
        Err(GoldenError::FixedBatchOverflow {
            batch: 8,
            worst_case: 1 << 63
        })
    );

    // Values outside the declared bound void the proof and are reported.
    let net = network::<Fixed>(vec![layer(2, 1)], mse, PLAIN, LIMITS);
    let err = net
        .predict(array![[0, (1 << 24) + 1]].view())
        .expect_err("invalid input is rejected");
    assert_eq!(
        err,
        GoldenError::FixedOutOfRange {
            layer: 0,
            tensor: Tensor::Input,
            index: vec![0, 1],
            value: (1 << 24) + 1,
            max_abs: 1 << 24,
        }
    );
    assert_eq!(
        err.to_string(),
        "layer 0: input x value 16777217 at index [0, 1] exceeds the declared s16.15 bound ±16777216"
    );
}

// ---------------------------------------------------------------------------------------------
// Random shapes
// ---------------------------------------------------------------------------------------------

/// Random network shapes: 1–3 layers of 1–4 units on 1–4 inputs, batches of 1–4.
fn arb_shape() -> impl Strategy<Value = (Vec<usize>, usize, u64)> {
    (
        prop::collection::vec(1usize..=4, 2..=4),
        1usize..=4,
        any::<u64>(),
    )
}

/// Output activation and loss pairs whose outputs always lie strictly inside (0, 1) when a
/// logarithmic loss is used, so finite differences see the unclipped, smooth loss.
fn arb_output() -> impl Strategy<Value = (Activation, Loss)> {
    prop_oneof![
        prop::sample::select(ACTIVATIONS.to_vec()).prop_map(|a| (a, Loss::MeanSquaredError)),
        prop::sample::select(vec![Activation::Sigmoid, Activation::Softmax])
            .prop_map(|a| (a, Loss::CategoricalCrossEntropy)),
        prop::sample::select(vec![Activation::Sigmoid, Activation::Softmax])
            .prop_map(|a| (a, Loss::BinaryCrossEntropy)),
    ]
}

fn random_layers(
    widths: &[usize],
    hidden: &[Activation],
    output: Activation,
    rng: &mut Lcg,
) -> Vec<Dense<f64>> {
    (0..widths.len() - 1)
        .map(|l| Dense {
            kernel: rng.matrix(widths[l], widths[l + 1], 1.0),
            bias: rng.vector(widths[l + 1], 0.0, 0.5),
            activation: if l + 2 == widths.len() {
                output
            } else {
                hidden[l]
            },
        })
        .collect()
}

proptest! {
    #[test]
    fn random_shapes_match_finite_differences(
        (widths, batch, seed) in arb_shape(),
        hidden in prop::collection::vec(prop::sample::select(ACTIVATIONS.to_vec()), 3),
        (output, loss) in arb_output(),
    ) {
        let mut rng = Lcg(seed);
        let layers = random_layers(&widths, &hidden, output, &mut rng);
        let x = rng.matrix(batch, widths[0], 1.0);
        let y = labels(&mut rng, loss, batch, widths[widths.len() - 1]);
        let net = network::<F64>(layers.clone(), loss, PLAIN, ());
        // Data that lands next to a relu kink has no two-sided derivative; draw again.
        prop_assume!(relu_margin(&net, &x) > 1e-4);
        let context = format!("seed {seed:#x}, widths {widths:?}, batch {batch}, {hidden:?} → {output:?}, {loss:?}");
        let worst = check_against_finite_differences(&layers, loss, &x, &y, &context);
        prop_assert!(worst <= 1e-7, "{}: {}", context, worst);
    }

    #[test]
    fn random_shapes_fixed_batch_gradient_is_the_sum_of_sample_gradients(
        (widths, batch, seed) in arb_shape(),
        hidden in prop::collection::vec(prop::sample::select(ACTIVATIONS.to_vec()), 3),
        (output, loss) in arb_output(),
    ) {
        let mut rng = Lcg(seed);
        let layers = to_fixed_layers(&to_f32_layers(&random_layers(&widths, &hidden, output, &mut rng)));
        let x = rng.matrix(batch, widths[0], 1.0).mapv(to_fixed);
        let y = labels(&mut rng, loss, batch, widths[widths.len() - 1]).mapv(to_fixed);
        let net = network::<Fixed>(layers, loss, PLAIN, LIMITS);
        let pass = net.forward_backward(x.view(), y.view()).expect("valid batch");
        for layer in 0..widths.len() - 1 {
            let mut kernel = Array2::<i64>::zeros(pass.backward[layer].kernel_gradient.dim());
            let mut bias = Array1::<i64>::zeros(pass.backward[layer].bias_gradient.dim());
            for sample in 0..batch {
                let (k, b) = pass.sample_gradient(layer, sample);
                kernel += &k;
                bias += &b;
            }
            prop_assert_eq!(&pass.backward[layer].kernel_gradient, &kernel, "seed {:#x}, layer {}", seed, layer);
            prop_assert_eq!(&pass.backward[layer].bias_gradient, &bias, "seed {:#x}, layer {}", seed, layer);
        }
        // Determinism: an independent network from the same inputs gives the same pass.
        let again = network::<Fixed>(net.layers().to_vec(), loss, PLAIN, LIMITS)
            .forward_backward(x.view(), y.view())
            .expect("valid batch");
        prop_assert_eq!(pass, again, "seed {:#x}", seed);
    }
}
