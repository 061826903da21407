//! The thesis prototype's mapping as a baseline (issue 12, item 4): the default digits model
//! mapped one neuron per core, one sample at a time, errors multicast to the whole layer
//! below, trained on a simulated SpiNN-5 board, equals the golden reference after every batch
//! (bit for bit in s16.15, loss included; within 1e−5 in f32) with no packet dropped; and a
//! model it cannot map is refused with an error saying why.

use ndarray::Array2;
use spinn_dl::machine::{Arith, Fixed, MachineOptions, SpidnnError, SpidnnNetwork, F32};
use spinn_dl::ops::{Conv, Flatten, Padding};
use spinn_dl::{digits, Activation, Dataset, Loss, ModelSpec, NumericMode, Op};
use spinn_verif::golden::from_spec::{f32_graph, fixed_graph};
use spinn_verif::golden::s16_15::to_fixed;
use spinn_verif::golden::{GraphNetwork, Numeric};
use spinn_verif::training::{F32_TOLERANCE, FIXED_LIMITS};

/// Batches each mode trains, of the model's 32 samples.
const BATCHES: usize = 3;

fn one_hot(set: &Dataset, indices: &[usize]) -> Vec<Vec<f32>> {
    let all = set.one_hot();
    let classes = all.len() / set.n_samples();
    indices
        .iter()
        .map(|&i| all[i * classes..(i + 1) * classes].to_vec())
        .collect()
}

/// Trains the baseline and the reference side by side on the first batches of the digits,
/// comparing every parameter and the batch loss after each; returns the worst relative
/// difference and whether all were bit-exact.
fn compare<A: Arith, M: Numeric<Value = A::Value>>(
    spec: &ModelSpec,
    golden: &mut GraphNetwork<M>,
    value: impl Fn(f32) -> M::Value,
    to_f64: impl Fn(A::Value) -> f64,
) -> (f64, bool, SpidnnNetwork<A>) {
    let data = digits().expect("the embedded digits");
    let (train_set, _) = data.split(0.2, 1).expect("a valid split");
    let mut machine =
        SpidnnNetwork::<A>::new(spec, &spec.init_weights(), &MachineOptions::spinn5())
            .expect("the digits MLP maps one neuron per core");
    let (mut worst, mut exact) = (0.0f64, true);
    let batch = spec.optimizer().batch_size();
    for b in 0..BATCHES {
        let chunk: Vec<usize> = (b * batch..(b + 1) * batch).collect();
        let x: Vec<&[f32]> = chunk.iter().map(|&i| train_set.sample(i)).collect();
        let ys = one_hot(&train_set, &chunk);
        let y: Vec<&[f32]> = ys.iter().map(Vec::as_slice).collect();
        let out = machine.train_batch(&x, &y).expect("the batch trains");
        let gx = Array2::from_shape_fn((batch, spec.inputs()), |(r, c)| value(x[r][c]));
        let gy = Array2::from_shape_fn((batch, spec.outputs()), |(r, c)| value(y[r][c]));
        let loss = golden
            .train_batch(gx.view(), gy.view())
            .expect("the reference trains");
        let machine_loss = out.loss.expect("a training batch has a loss");
        exact &= machine_loss.to_bits() == loss.to_bits();
        worst = worst.max((machine_loss - loss).abs() / loss.abs().max(1.0));
        for (m, g) in machine.parameters().iter().zip(golden.params()) {
            assert_eq!(m.name, g.name);
            let ms = m.kernel.iter().chain(&m.bias);
            let gs = g.kernel.iter().chain(&g.bias);
            for (&mv, &gv) in ms.zip(gs) {
                if mv != gv {
                    exact = false;
                    let (mv, gv) = (to_f64(mv), to_f64(gv));
                    worst = worst.max((mv - gv).abs() / gv.abs().max(1.0));
                }
            }
        }
        // Evaluation in between changes nothing and goes through the same cores.
        let eval = machine.evaluate_batch(&x, &y).expect("the batch evaluates");
        assert_eq!(eval.outputs.len(), batch);
    }
    (worst, exact, machine)
}

fn check_traffic<A: Arith>(machine: &SpidnnNetwork<A>) {
    let r = machine.report();
    assert_eq!(r.dropped, 0, "{r:?}");
    assert_eq!(r.send_failures + r.queue_overflows, 0, "{r:?}");
    assert_eq!(machine.stray_packets(), 0);
    assert_eq!(
        r.cores_used,
        128 + 10 + 3,
        "one core per neuron, the feeder, the loss core and the gatherer"
    );
    // Every error product goes to all 128 hidden neurons, which keep one in 128.
    assert!(machine.discarded_packets() > 0);
}

#[test]
fn fixed_point_baseline_is_bit_exact_after_every_batch() {
    let spec = ModelSpec::digits_default()
        .with_numeric(NumericMode::Fixed)
        .expect("the default model in s16.15");
    let mut golden = fixed_graph(&spec, &spec.init_weights(), FIXED_LIMITS).expect("reference");
    let (worst, exact, machine) = compare::<Fixed, _>(
        &spec,
        &mut golden,
        |v| to_fixed(f64::from(v)),
        |v| f64::from(v) / 32768.0,
    );
    assert!(exact, "s16.15 differs from the reference by {worst:e}");
    check_traffic(&machine);
}

#[test]
fn f32_baseline_is_within_1e5_after_every_batch() {
    let spec = ModelSpec::digits_default();
    let mut golden = f32_graph(&spec, &spec.init_weights()).expect("reference");
    let (worst, _, machine) = compare::<F32, _>(&spec, &mut golden, |v| v, f64::from);
    assert!(worst <= F32_TOLERANCE, "f32 differs by {worst:e}");
    check_traffic(&machine);
}

#[test]
fn models_the_baseline_cannot_map_are_refused_with_the_reason() {
    let options = MachineOptions::spinn5();
    let conv = ModelSpec::builder_for(spinn_dl::Shape::new(vec![8, 8, 1]))
        .layer(Op::Conv(Conv::conv2d(
            2,
            [3, 3],
            [1, 1],
            Padding::Valid,
            Activation::Relu,
        )))
        .layer(Op::Flatten(Flatten))
        .dense(10, Activation::Softmax)
        .loss(Loss::CategoricalCrossEntropy)
        .sgd(0.1, 32)
        .numeric(NumericMode::F32)
        .seed(1)
        .build()
        .expect("a valid model");
    let error = SpidnnNetwork::<F32>::new(&conv, &conv.init_weights(), &options)
        .err()
        .expect("a convolution is refused");
    assert!(
        matches!(error, SpidnnError::UnsupportedLayer { kind: "conv2d", .. }),
        "{error}"
    );
    assert!(error.to_string().contains("sequential dense"), "{error}");
    let wide = ModelSpec::builder(16)
        .dense(1000, Activation::Relu)
        .dense(10, Activation::Softmax)
        .loss(Loss::CategoricalCrossEntropy)
        .sgd(0.1, 32)
        .numeric(NumericMode::F32)
        .seed(1)
        .build()
        .expect("a valid model");
    let error = SpidnnNetwork::<F32>::new(&wide, &wide.init_weights(), &options)
        .err()
        .expect("more neurons than cores is refused");
    assert!(
        matches!(error, SpidnnError::TooManyNeurons { neurons: 1010, .. }),
        "{error}"
    );
    assert!(!error.to_string().contains('\n'), "one line: {error}");
}
