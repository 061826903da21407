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
    assert_eq!(
        copies,
        spinn_dl::machine::session::AUTO_REPLICAS_MAX,
        "{per_copy} cores each"
    );
    assert!(mapped.layout.graph.n_vertices() <= 48 * 17);
}
