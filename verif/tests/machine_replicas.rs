//! Data-parallel replicas (issue 12): several copies of the network, each taking a contiguous
//! share of every batch, their gradients summed over a reduction tree before the update, train
//! exactly as one copy on the same batches: bit for bit in s16.15, within 1e−5 in f32, checked
//! against the golden reference after every batch (weights, biases and the batch loss).

use spinn_dl::machine::{MachineOptions, Replicas};
use spinn_dl::train::{Network, Observer, Silent};
use spinn_dl::{digits, ModelSpec, NumericMode};
use spinn_verif::training::{train, TrainingRun, F32_TOLERANCE};

fn model(numeric: NumericMode, batch_size: usize) -> ModelSpec {
    let spec = ModelSpec::digits_default();
    spec.with_training(
        spec.optimizer().with(None, Some(batch_size)),
        numeric,
        spec.seed(),
    )
    .expect("the default model in either mode")
}

/// Trains `samples` training samples for one epoch with `replicas` copies; the golden check.
fn run_replicas(
    numeric: NumericMode,
    batch_size: usize,
    samples: usize,
    replicas: Replicas,
) -> (
    spinn_verif::training::GoldenCheck,
    usize,
    spinn_runtime::MachineReport,
) {
    let data = digits().expect("the embedded digits");
    let (train_set, test_set) = data.split(0.2, 1).expect("a valid split");
    let train_set = train_set.subset(&(0..samples).collect::<Vec<_>>());
    let test_set = test_set.subset(&(0..50).collect::<Vec<_>>());
    let spec = model(numeric, batch_size);
    let mut options = MachineOptions::spinn5();
    options.replicas = replicas;
    let run = TrainingRun {
        spec: &spec,
        weights: spec.init_weights(),
        train: &train_set,
        test: &test_set,
        epochs: 1,
        options,
        golden: true,
    };
    let mut copies = Copies(0);
    let report = train(&run, &mut copies).expect("training runs");
    let check = report.golden.expect("compared with the reference");
    (check, copies.0, report.fit.machine)
}

/// Records how many copies the network ran as.
struct Copies(usize);

impl Observer for Copies {
    fn batch(
        &mut self,
        network: &Network,
        _record: &spinn_dl::train::BatchRecord<'_>,
    ) -> Result<(), spinn_dl::train::Stop> {
        self.0 = network.replicas();
        Silent.batch(network, _record)
    }
}

#[test]
fn fixed_point_replicas_train_bit_exactly_as_one_copy() {
    // 7 copies over batches of 64 (shares of 10 and 9) and a last batch of 32 (shares of 5
    // and 4), every batch compared with the reference bit for bit.
    let (check, copies, report) = run_replicas(NumericMode::Fixed, 64, 224, Replicas::Count(7));
    assert_eq!(copies, 7);
    assert_eq!(check.batches_compared, 4);
    assert!(check.exact, "fixed point differs: {check:?}");
    assert_eq!(report.dropped, 0, "{report:?}");
}

#[test]
fn f32_replicas_train_within_1e5_of_one_copy() {
    let (check, copies, report) = run_replicas(NumericMode::F32, 64, 192, Replicas::Count(5));
    assert_eq!(copies, 5);
    assert_eq!(check.batches_compared, 3);
    assert!(
        check.worst_relative <= F32_TOLERANCE,
        "f32 differs by {:e}",
        check.worst_relative
    );
    assert_eq!(report.dropped, 0, "{report:?}");
}

#[test]
fn replicas_with_empty_shares_still_train_exactly() {
    // A batch of 3 over 5 copies: two copies take no sample but still join the reduction
    // and the loss chain.
    let (check, copies, _) = run_replicas(NumericMode::Fixed, 3, 9, Replicas::Count(5));
    assert_eq!(copies, 5);
    assert_eq!(check.batches_compared, 3);
    assert!(check.exact, "fixed point differs: {check:?}");
}

#[test]
fn auto_fills_the_board_with_copies() {
    let spec = model(NumericMode::Fixed, 256);
    let mut options = MachineOptions::spinn5();
    options.replicas = Replicas::Auto;
    let mapped = spinn_dl::machine::map_spec(&spec, &options).expect("maps");
    let copies = mapped.layout.replicas.len();
    let per_copy = (mapped.layout.graph.n_vertices() - 1) / copies;
    // 767 free cores hold 109 copies of 7; shares of 3 samples need only 86 of them.
    assert_eq!(copies, 86, "{per_copy} cores each");
    assert!(mapped.layout.graph.n_vertices() <= 48 * 17);
}

/// `--plan fastest`: every candidate cut (and number of samples in flight) is timed on a real
/// batch, the one kept is the fastest of them (so never slower than the fewest-cores cut, which is always tried), and
/// training with it equals the reference bit for bit in s16.15 like any other cut.
#[test]
fn the_fastest_plan_is_the_fastest_trial_and_trains_exactly() {
    let data = digits().expect("the embedded digits");
    let spec = model(NumericMode::Fixed, 64);
    let first: Vec<usize> = (0..64).collect();
    let labels = spinn_dl::train::one_hot(&data, &first);
    let x: Vec<&[f32]> = first.iter().map(|&i| data.sample(i)).collect();
    let y: Vec<&[f32]> = labels.iter().map(Vec::as_slice).collect();
    let options = MachineOptions::spinn5();
    let (chosen, trials) =
        Network::fastest(&spec, (&spec.init_weights(), None), &options, (&x, &y))
            .expect("the candidates are timed");
    assert!(trials.len() >= 2, "several cuts are tried: {trials:?}");
    let fewest = &trials[0];
    assert_eq!(fewest.dtcm_bytes, options.plan.dtcm_bytes, "{trials:?}");
    let best = trials
        .iter()
        .find(|t| t.timed(&chosen))
        .expect("the chosen cut, slots and copies were timed");
    // The samples in flight were searched too: 2, 4 and 8 on the fastest cut.
    for slots in [2, 4, 8] {
        assert!(
            trials
                .iter()
                .any(|t| t.slots == slots && t.dtcm_bytes == best.dtcm_bytes),
            "{slots} slots tried: {trials:?}"
        );
    }
    for t in &trials {
        assert!(
            best.cycles_per_sample() <= t.cycles_per_sample(),
            "{trials:?}"
        );
    }
    assert!(
        best.cores > fewest.cores,
        "more, smaller blocks win here: {trials:?}"
    );

    let (train_set, test_set) = data.split(0.2, 1).expect("a valid split");
    let run = TrainingRun {
        spec: &spec,
        weights: spec.init_weights(),
        train: &train_set.subset(&(0..128).collect::<Vec<_>>()),
        test: &test_set.subset(&(0..50).collect::<Vec<_>>()),
        epochs: 1,
        options: chosen,
        golden: true,
    };
    let report = train(&run, &mut Silent).expect("training runs");
    let check = report.golden.expect("compared with the reference");
    assert!(
        check.exact,
        "fixed point differs with the chosen cut: {check:?}"
    );
    assert_eq!(report.fit.machine.dropped, 0);
}
