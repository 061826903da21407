//! Training data on the machine (issue 12): the training set is written once into the SDRAM of
//! every chip that holds a feeder, and a batch of it passes only sample indices. Training from
//! the resident set is the same computation as streaming the same batches, bit for bit in both
//! numeric modes and in the same machine time; the load is counted once per chip; bad indices
//! are refused with an error naming them.

use spinn_dl::machine::{Arith, Fixed, F32};
use spinn_dl::machine::{MachineError, MachineOptions, OnMachine, Replicas};
use spinn_dl::train::one_hot;
use spinn_dl::{digits, Dataset, ModelSpec, NumericMode};

fn model(numeric: NumericMode) -> ModelSpec {
    let spec = ModelSpec::digits_default();
    spec.with_training(spec.optimizer().with(None, Some(24)), numeric, spec.seed())
        .expect("the default model in either mode")
}

fn training_set() -> Dataset {
    let data = digits().expect("the embedded digits");
    let (train, _) = data.split(0.2, 1).expect("a valid split");
    train.subset(&(0..96).collect::<Vec<_>>())
}

fn options(replicas: u32) -> MachineOptions {
    let mut options = MachineOptions::spinn5();
    options.replicas = Replicas::Count(replicas);
    options
}

/// Trains two batches streamed on one machine and from the resident set on another; both
/// must hold the same parameters and report the same outputs, losses and machine time.
fn resident_equals_streamed<A: Arith>(numeric: NumericMode) {
    let spec = model(numeric);
    let weights = spec.init_weights();
    let set = training_set();
    let all: Vec<usize> = (0..set.n_samples()).collect();
    let labels = one_hot(&set, &all);
    let x: Vec<&[f32]> = all.iter().map(|&i| set.sample(i)).collect();
    let y: Vec<&[f32]> = labels.iter().map(Vec::as_slice).collect();
    let batches: [Vec<usize>; 2] = [
        vec![
            5, 17, 3, 90, 44, 12, 61, 0, 33, 70, 8, 29, 95, 41, 2, 56, 19, 80, 64, 7, 38, 50, 11,
            23,
        ],
        (40..64).rev().collect(),
    ];
    let mut streamed = OnMachine::<A>::new(&spec, &weights, &options(3)).expect("loads");
    let mut resident = OnMachine::<A>::new(&spec, &weights, &options(3)).expect("loads");
    let load = resident
        .load_training_set(&x, &y)
        .expect("the set fits in SDRAM");
    assert_eq!(load.samples, 96);
    assert_eq!(load.bytes_per_chip, 96 * 4 * (64 + 10));
    assert!(load.chips >= 1 && load.chips <= 3, "{load:?}");
    assert!(load.host_link_seconds > 0.0);
    for batch in &batches {
        let bx: Vec<&[f32]> = batch.iter().map(|&i| x[i]).collect();
        let by: Vec<&[f32]> = batch.iter().map(|&i| y[i]).collect();
        let a = streamed
            .train_batch(&bx, &by)
            .expect("the streamed batch trains");
        let b = resident
            .train_resident(batch)
            .expect("the resident batch trains");
        assert_eq!(a.loss.map(f64::to_bits), b.loss.map(f64::to_bits));
        assert_eq!(a.outputs, b.outputs);
    }
    assert_eq!(streamed.parameters(), resident.parameters());
    assert_eq!(streamed.report().cycles, resident.report().cycles);
    assert_eq!(streamed.report().dropped, 0);
}

#[test]
fn f32_training_from_the_resident_set_equals_streaming_it() {
    resident_equals_streamed::<F32>(NumericMode::F32);
}

#[test]
fn fixed_point_training_from_the_resident_set_equals_streaming_it() {
    resident_equals_streamed::<Fixed>(NumericMode::Fixed);
}

#[test]
fn training_by_index_needs_a_set_and_indices_within_it() {
    let spec = model(NumericMode::F32);
    let mut machine =
        OnMachine::<F32>::new(&spec, &spec.init_weights(), &options(1)).expect("loads");
    assert_eq!(
        machine.train_resident(&[0, 1]).map(drop),
        Err(MachineError::NoTrainingSet)
    );
    assert_eq!(machine.data_load(), None);
    let set = training_set();
    let all: Vec<usize> = (0..set.n_samples()).collect();
    let labels = one_hot(&set, &all);
    let x: Vec<&[f32]> = all.iter().map(|&i| set.sample(i)).collect();
    let y: Vec<&[f32]> = labels.iter().map(Vec::as_slice).collect();
    let load = machine.load_training_set(&x, &y).expect("fits");
    assert_eq!(load.chips, 1);
    assert_eq!(machine.data_load(), Some(load));
    let error = machine.train_resident(&[3, 96]).map(drop).unwrap_err();
    assert_eq!(
        error,
        MachineError::SampleIndex {
            index: 96,
            samples: 96
        }
    );
    assert!(error.to_string().contains("sample 96"), "{error}");
    assert_eq!(
        machine.train_resident(&[]).map(drop),
        Err(MachineError::EmptyBatch)
    );
    // A set of the wrong shape is refused as a batch would be, and the old set stays.
    let short: Vec<&[f32]> = x.iter().map(|s| &s[..63]).collect();
    assert!(matches!(
        machine.load_training_set(&short, &y),
        Err(MachineError::Shape { what: "inputs", .. })
    ));
    assert_eq!(machine.data_load(), Some(load));
    // Loading a set again replaces it: the SDRAM it took is given back first.
    for _ in 0..3 {
        assert_eq!(machine.load_training_set(&x, &y).expect("fits again"), load);
    }
    machine.train_resident(&[95, 0]).expect("trains");
}
