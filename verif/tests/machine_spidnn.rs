//! The thesis prototype's mapping as a baseline (issue 12, item 4): the default digits model
//! mapped one neuron per core, one sample at a time, errors multicast to the whole layer
//! below, trained on a simulated SpiNN-5 board, equals the golden reference after every batch
//! (bit for bit in s16.15, loss included; within 1e−5 in f32) with no packet dropped, also
//! when the library's training loop (`fit`) drives it with the golden reference as observer;
//! a resumed baseline continues its momentum exactly; and a model it cannot map is refused
//! with an error saying why.

use ndarray::Array2;
use spinn_dl::machine::{Arith, Fixed, MachineOptions, SpidnnError, SpidnnNetwork, F32};
use spinn_dl::ops::{Conv, Flatten, Padding};
use spinn_dl::train::{fit, fit_epochs, MappingKind, Network, Silent};
use spinn_dl::{digits, Activation, Dataset, Loss, ModelSpec, NumericMode, Op};
use spinn_verif::golden::from_spec::{f32_graph, fixed_graph};
use spinn_verif::golden::s16_15::to_fixed;
use spinn_verif::golden::{GraphNetwork, Numeric};
use spinn_verif::training::{GoldenObserver, F32_TOLERANCE, FIXED_LIMITS};

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

/// The first `n` samples of the digits' training split, and 32 of its test split.
fn small_digits(n: usize) -> (Dataset, Dataset) {
    let data = digits().expect("the embedded digits");
    let (train_set, test_set) = data.split(0.2, 1).expect("a valid split");
    (
        train_set.subset(&(0..n).collect::<Vec<_>>()),
        test_set.subset(&(0..32).collect::<Vec<_>>()),
    )
}

/// The library's training loop drives the baseline as it drives the project's mapping
/// (`Network::spidnn`): with the golden reference as its observer, every batch of `fit`
/// (trained from the training set in the feeder chip's SDRAM) equals the reference, bit for
/// bit in s16.15 and within 1e−5 in f32; the report has the set's load, no drop and no stray
/// packet; and in s16.15 the baseline ends on the project's mapping's weights exactly.
#[test]
fn fit_drives_the_baseline_equal_to_the_golden_reference() {
    let (train_set, test_set) = small_digits(96);
    for numeric in [NumericMode::Fixed, NumericMode::F32] {
        let spec = ModelSpec::digits_default()
            .with_numeric(numeric)
            .expect("the default model");
        let weights = spec.init_weights();
        let options = MachineOptions::spinn5();
        let mut network =
            Network::spidnn(&spec, &weights, None, &options).expect("the digits MLP maps");
        assert_eq!(network.mapping_kind(), MappingKind::Spidnn);
        assert!(network.plan().is_none(), "the baseline has no plan");
        let mut golden = GoldenObserver::new(&spec, &weights).expect("the reference");
        let report = fit(&mut network, &train_set, Some(&test_set), 1, &mut golden)
            .unwrap_or_else(|e| panic!("{numeric:?}: {e}"));
        let check = golden.check();
        assert_eq!(check.batches_compared, 3);
        assert!(check.matches(numeric), "{numeric:?}: {check:?}");
        if numeric == NumericMode::Fixed {
            assert!(check.exact, "{check:?}");
        }
        let load = report.data_load.expect("the training set fits the SDRAM");
        assert_eq!((load.samples, load.chips), (96, 1));
        assert_eq!(load.bytes_per_chip, 96 * 4 * (64 + 10));
        assert_eq!(report.machine.dropped, 0, "{:?}", report.machine);
        assert_eq!(report.stray_packets, 0);
        assert_eq!(report.retries, Default::default());
        assert_eq!(report.machine.cores_used, 141);
        let (_, busy) = network.busiest_core().expect("a busiest core");
        assert!(busy > 0);
        assert_eq!(network.chip_loads().len(), 48);
        if numeric == NumericMode::Fixed {
            let mut blocks = Network::new(&spec, &weights, &options).expect("the project's");
            let theirs = fit(&mut blocks, &train_set, None, 1, &mut Silent).expect("trains");
            assert_eq!(
                network.parameters(),
                blocks.parameters(),
                "both mappings train to the same s16.15 parameters"
            );
            assert_eq!(report.epochs[0].loss, theirs.epochs[0].loss);
        }
    }
}

/// A baseline resumed from a checkpoint's weights and momentum velocities continues exactly
/// where it stopped: two batches, then a fresh network from their weights and velocities and
/// two more, equal bit for bit in s16.15 to four batches in one run.
#[test]
fn a_resumed_baseline_continues_its_momentum() {
    let (train_set, _) = small_digits(64);
    let spec = ModelSpec::builder(64)
        .dense(128, Activation::Relu)
        .dense(10, Activation::Softmax)
        .loss(Loss::CategoricalCrossEntropy)
        .sgd(0.1, 32)
        .momentum(0.9)
        .numeric(NumericMode::Fixed)
        .seed(1)
        .build()
        .expect("a valid model");
    let options = MachineOptions::spinn5();
    let mut whole = Network::spidnn(&spec, &spec.init_weights(), None, &options).expect("maps");
    fit_epochs(&mut whole, &train_set, None, 1..=2, &mut Silent).expect("trains");
    let mut first = Network::spidnn(&spec, &spec.init_weights(), None, &options).expect("maps");
    fit_epochs(&mut first, &train_set, None, 1..=1, &mut Silent).expect("trains");
    let velocities = first.velocities().expect("momentum has velocities");
    assert!(
        velocities
            .layers
            .iter()
            .any(|l| l.kernel.iter().any(|&v| v != 0.0)),
        "a batch moved the velocities"
    );
    let mut resumed =
        Network::spidnn(&spec, &first.weights(), Some(&velocities), &options).expect("maps");
    fit_epochs(&mut resumed, &train_set, None, 2..=2, &mut Silent).expect("trains");
    assert_eq!(resumed.parameters(), whole.parameters());
    assert_eq!(resumed.velocities(), whole.velocities());
}
