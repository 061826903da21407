//! The whole-board throughput benchmark (issue 12): the digits MLP (64-128-10) trained on a
//! simulated SpiN-5 board by the thesis prototype's mapping (the baseline: one neuron per
//! core, one sample at a time), by one copy of this project's mapping, and by the whole board
//! (`Replicas::Auto` copies), in both numeric modes. Prints, measured in this one run, per
//! mapping: machine training samples/s, the ratio to the baseline, packets delivered per
//! sample, dumps and drops, energy per sample, cores, the golden match, and the host time
//! against the golden reference's; then the roofline figures of `../shared/spec/performance.md`
//! for the same model.
//!
//! ```sh
//! cargo run --release -p spinn-verif --example throughput           # batch size 256
//! cargo run --release -p spinn-verif --example throughput -- 32     # another batch size
//! ```

use spinn_dl::machine::{Arith, Fixed};
use spinn_dl::machine::{MachineOptions, Replicas, SpidnnNetwork, F32};
use spinn_dl::train::Silent;
use spinn_dl::{digits, Dataset, ModelSpec, NumericMode};
use spinn_verif::training::{train, TrainingRun};
use std::time::Instant;

/// Machine samples/s of the baseline on `batches` batches of 32 (its speed does not depend on
/// the batch: it takes one sample at a time).
fn baseline<A: Arith>(spec: &ModelSpec, set: &Dataset, batches: usize) -> f64 {
    let spec = spec
        .with_training(
            spec.optimizer().with(None, Some(32)),
            spec.numeric(),
            spec.seed(),
        )
        .expect("valid");
    let mut network =
        SpidnnNetwork::<A>::new(&spec, &spec.init_weights(), &MachineOptions::spinn5())
            .expect("the baseline maps the digits MLP");
    let all = set.one_hot();
    let classes = all.len() / set.n_samples();
    let before = network.report();
    for b in 0..batches {
        let x: Vec<&[f32]> = (b * 32..(b + 1) * 32).map(|i| set.sample(i)).collect();
        let y: Vec<&[f32]> = (b * 32..(b + 1) * 32)
            .map(|i| &all[i * classes..(i + 1) * classes])
            .collect();
        network.train_batch(&x, &y).expect("the baseline trains");
    }
    let seconds = network.report().seconds - before.seconds;
    (batches * 32) as f64 / seconds
}

/// One line of figures for `spec` trained with `replicas` copies on `samples` samples.
fn measure(label: &str, spec: &ModelSpec, set: &Dataset, replicas: Replicas, base: f64) {
    let (train_set, test_set) = set.split(0.2, spec.seed()).expect("a valid split");
    let batch = spec.optimizer().batch_size();
    let samples = (4 * batch).min(train_set.n_samples());
    let train_set = train_set.subset(&(0..samples).collect::<Vec<_>>());
    let test_set = test_set.subset(&(0..32).collect::<Vec<_>>());
    let mut options = MachineOptions::spinn5();
    options.replicas = replicas;
    let run = TrainingRun {
        spec,
        weights: spec.init_weights(),
        train: &train_set,
        test: &test_set,
        epochs: 1,
        options,
        golden: true,
    };
    let started = Instant::now();
    let report = train(&run, &mut Silent).expect("training runs");
    let host = started.elapsed().as_secs_f64();
    let fit = &report.fit;
    let check = report.golden.expect("compared");
    let rate = fit.machine_samples_per_second();
    let trained = fit.samples_trained.max(1) as f64;
    println!(
        "  {label:<28} {rate:>8.0} samples/s ({:>5.1}x baseline), {:>6.0} packets/sample, {} dumped, {} dropped, {:.2} mJ/sample, {} cores, golden {}, host {:.1} s = {:.0}x golden's {:.3} s",
        rate / base,
        fit.machine.delivered as f64 / trained,
        fit.machine.dumped,
        fit.machine.dropped,
        1e3 * fit.machine.energy_joules / trained,
        fit.machine.cores_used,
        if check.matches(spec.numeric()) { "equal" } else { "DIFFERS" },
        host,
        fit.machine_host.as_secs_f64() / report.golden_host.as_secs_f64().max(1e-9),
        report.golden_host.as_secs_f64(),
    );
}

fn main() {
    let batch: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("a batch size"))
        .unwrap_or(256);
    let set = digits().expect("the embedded digits");
    println!("digits MLP 64-128-10 on SpiN-5, batch size {batch}, 4 batches per run");
    for numeric in [NumericMode::Fixed, NumericMode::F32] {
        let default = ModelSpec::digits_default();
        let spec = default
            .with_training(default.optimizer().with(None, Some(batch)), numeric, 1)
            .expect("the default model in either mode");
        let base = match numeric {
            NumericMode::Fixed => baseline::<Fixed>(&spec, &set, 4),
            NumericMode::F32 => baseline::<F32>(&spec, &set, 4),
        };
        println!("{}:", numeric.name());
        println!(
            "  {:<28} {base:>8.0} samples/s",
            "baseline (one neuron/core)"
        );
        measure("one copy", &spec, &set, Replicas::Count(1), base);
        measure(
            "whole board (replicas auto)",
            &spec,
            &set,
            Replicas::Auto,
            base,
        );
    }
    println!(
        "roofline (spec/performance.md §3-4, 64-128-10): compute f32 soft-float 55k-80k samples/s, s16.15 ~0.8M; core ingress (50 cycles/packet) 62.5k; link roof (broadcast) 61k"
    );
}
