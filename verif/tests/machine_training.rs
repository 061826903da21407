//! The default digits model trained on a simulated SpiNN-5 board equals the golden reference
//! (issue 5): in fixed point every weight, bias and batch loss bit for bit after every batch of
//! an epoch; in f32 within 1e−5 (`max |m − g| / max(1, |g|)`) after every batch of an epoch.

use spinn_dl::machine::MachineOptions;
use spinn_dl::train::{BatchRecord, Network, Observer, Silent, Stop};
use spinn_dl::{digits, ModelSpec, NumericMode};
use spinn_verif::training::{train, TrainingRun, F32_TOLERANCE};

/// Counts the batches it sees.
struct Count(usize);

impl Observer for Count {
    fn batch(&mut self, _network: &Network, _record: &BatchRecord<'_>) -> Result<(), Stop> {
        self.0 += 1;
        Ok(())
    }
}

fn default_model(numeric: NumericMode) -> ModelSpec {
    ModelSpec::digits_default()
        .with_numeric(numeric)
        .expect("the default model in either mode")
}

fn one_epoch(numeric: NumericMode) {
    let data = digits().expect("the embedded digits");
    let (train_set, test_set) = data.split(0.2, 1).expect("a valid split");
    let spec = default_model(numeric);
    let run = TrainingRun {
        spec: &spec,
        weights: spec.init_weights(),
        train: &train_set,
        test: &test_set,
        epochs: 1,
        options: MachineOptions::spinn5(),
        golden: true,
    };
    let mut count = Count(0);
    let report = train(&run, &mut count).expect("training runs");
    let batches = count.0;
    assert_eq!(batches, train_set.n_samples().div_ceil(32));
    let check = report.golden.expect("compared with the reference");
    assert_eq!(check.batches_compared, batches);
    match numeric {
        NumericMode::Fixed => assert!(check.exact, "fixed point differs: {check:?}"),
        NumericMode::F32 => assert!(
            check.worst_relative <= F32_TOLERANCE,
            "f32 differs by {:e}",
            check.worst_relative
        ),
    }
    let r = &report.fit.machine;
    assert_eq!(r.dropped, 0, "{r:?}");
    assert_eq!(report.fit.stray_packets, 0);
    assert_eq!(
        r.cores_used, 8,
        "2 + 1 + 1 + 1 compute cores, loss, feeder, gatherer"
    );
    let epoch = report.fit.final_epoch().expect("one epoch");
    let test = epoch.test.as_ref().expect("evaluated");
    assert!(test.accuracy > 0.6, "{epoch:?}");
    assert!(epoch.loss.is_finite() && epoch.loss < 2.3, "{epoch:?}");
}

#[test]
fn fixed_point_training_is_bit_exact_after_every_batch_of_an_epoch() {
    one_epoch(NumericMode::Fixed);
}

#[test]
fn f32_training_is_within_1e5_after_every_batch_of_an_epoch() {
    one_epoch(NumericMode::F32);
}

#[test]
fn diverging_f32_training_ends_in_an_error_naming_the_sample() {
    use spinn_dl::machine::{MachineError, OnMachine, F32};
    use spinn_dl::{Activation, Loss};
    let spec = ModelSpec::builder(4)
        .dense(8, Activation::Identity)
        .dense(3, Activation::Identity)
        .loss(Loss::MeanSquaredError)
        .sgd(1e30, 4)
        .numeric(NumericMode::F32)
        .seed(3)
        .build()
        .expect("a valid model");
    let mut on = OnMachine::<F32>::new(&spec, &spec.init_weights(), &MachineOptions::spinn5())
        .expect("loads");
    let x: Vec<Vec<f32>> = (0..4)
        .map(|i| (0..4).map(|j| (i * 4 + j) as f32 / 8.0 - 1.0).collect())
        .collect();
    let y: Vec<Vec<f32>> = (0..4).map(|i| vec![i as f32, 1.0, -2.0]).collect();
    let xs: Vec<&[f32]> = x.iter().map(Vec::as_slice).collect();
    let ys: Vec<&[f32]> = y.iter().map(Vec::as_slice).collect();
    let error = (0..10)
        .find_map(|_| on.train_batch(&xs, &ys).err())
        .expect("a learning rate of 1e30 overflows within ten batches");
    assert!(
        matches!(error, MachineError::NonFinite { sample: 0 }),
        "{error}"
    );
    assert!(error.to_string().contains("not numbers"), "{error}");
}

/// Routers that sleep while blocked or idle are a host-speed optimisation of the fast fabric
/// model: ten batches of the default model with every router stepped every cycle end with the
/// same machine report (machine time, packets, energy) and the same weights, bit for bit.
#[test]
fn sleeping_routers_change_nothing_in_training() {
    let data = digits().expect("the embedded digits");
    let (train_set, test_set) = data.split(0.2, 1).expect("a valid split");
    let train_set = train_set.subset(&(0..320).collect::<Vec<_>>());
    let test_set = test_set.subset(&(0..64).collect::<Vec<_>>());
    let spec = default_model(NumericMode::Fixed);
    let run = |sleeping_routers: bool| {
        let mut options = MachineOptions::spinn5();
        options.machine.sleeping_routers = sleeping_routers;
        let run = TrainingRun {
            spec: &spec,
            weights: spec.init_weights(),
            train: &train_set,
            test: &test_set,
            epochs: 1,
            options,
            golden: false,
        };
        train(&run, &mut Silent).expect("training runs").fit
    };
    let (asleep, awake) = (run(true), run(false));
    assert_eq!(asleep.machine, awake.machine);
    assert_eq!(asleep.epochs, awake.epochs);
    assert_eq!(asleep.weights, awake.weights);
    assert!(asleep.machine.delivered > 100_000, "{:?}", asleep.machine);
}

/// A run stopped after an epoch and resumed from its weights and momentum velocities (what a
/// checkpoint holds) ends with the same weights, bit for bit, as a run that never stopped.
#[test]
fn a_run_resumed_from_its_optimiser_state_equals_an_uninterrupted_one() {
    use spinn_dl::train::fit_epochs;
    let data = digits().expect("the embedded digits");
    let (train_set, test_set) = data.split(0.2, 1).expect("a valid split");
    let train_set = train_set.subset(&(0..160).collect::<Vec<_>>());
    let test_set = test_set.subset(&(0..32).collect::<Vec<_>>());
    for numeric in [NumericMode::Fixed, NumericMode::F32] {
        let spec = spinn_dl::ModelSpec::builder(64)
            .dense(16, spinn_dl::Activation::Tanh)
            .dense(10, spinn_dl::Activation::Softmax)
            .loss(spinn_dl::Loss::CategoricalCrossEntropy)
            .sgd(0.1, 16)
            .momentum(0.9)
            .numeric(numeric)
            .seed(4)
            .build()
            .expect("a valid model");
        let options = MachineOptions::spinn5();
        let mut whole = Network::new(&spec, &spec.init_weights(), &options).expect("loads");
        fit_epochs(&mut whole, &train_set, Some(&test_set), 1..=2, &mut Silent).expect("trains");
        let mut first = Network::new(&spec, &spec.init_weights(), &options).expect("loads");
        fit_epochs(&mut first, &train_set, Some(&test_set), 1..=1, &mut Silent).expect("trains");
        let (weights, velocities) = (first.weights(), first.velocities());
        assert!(velocities.is_some(), "momentum has a state");
        let mut resumed =
            Network::resume(&spec, &weights, velocities.as_ref(), &options).expect("loads");
        assert_eq!(
            resumed.parameters(),
            first.parameters(),
            "{numeric:?} weights load"
        );
        assert_eq!(
            resumed.velocities(),
            first.velocities(),
            "{numeric:?} velocities load"
        );
        fit_epochs(
            &mut resumed,
            &train_set,
            Some(&test_set),
            2..=2,
            &mut Silent,
        )
        .expect("trains");
        assert_eq!(resumed.parameters(), whole.parameters(), "{numeric:?}");
        assert_eq!(resumed.velocities(), whole.velocities(), "{numeric:?}");
        assert_ne!(
            weights,
            whole.weights(),
            "the second epoch changed something"
        );
    }
}
