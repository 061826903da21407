//! The training benchmark: models trained on a simulated machine with the golden reference
//! trained alongside on the same batches. Prints, measured in this one run, per model and
//! numeric mode: machine samples per second (simulated time), host seconds per epoch on the
//! machine and in the golden reference and their ratio (targets: at most 20, and at most 5 for
//! the simulation-speed issue), host time per delivery (target: at most 100 ns), deliveries per
//! sample, the golden match and test accuracy; then the peak memory. Each model runs twice: in
//! the plan `spinn train` uses by default (`--plan fastest`: candidate cuts timed on the first
//! batch, the fastest kept; the choice's host time is printed on its own) and in the
//! fewest-cores cut (`--plan fewest-cores`).
//!
//! ```sh
//! cargo run --release -p spinn-verif --example training_speed            # the default runs
//! cargo run --release -p spinn-verif --example training_speed -- 3 models/mnist-resnet.toml mnist
//! ```
//!
//! With no arguments: the default digits MLP in both modes for 2 epochs, and the MNIST
//! residual network (`models/mnist-resnet.toml`) for 1 epoch. With arguments: `EPOCHS
//! [MODEL DATA]...` (models relative to the workspace root, data as `spinn train --data`).

use spinn_dl::machine::{MachineOptions, PlanGoal};
use spinn_dl::train::{Network, Silent};
use spinn_dl::{DataSource, Dataset, ModelFile, ModelSpec, NumericMode};
use spinn_verif::bench::{peak_memory_mb, verdict};
use spinn_verif::training::{train, TrainingRun};
use std::path::Path;
use std::time::Instant;

/// Trains `spec` on `data` for `epochs` epochs in each plan, `spinn train`'s default first (the
/// simulation-speed targets are judged on it), and prints a line of figures per plan.
fn measure(label: &str, spec: &ModelSpec, machine: &str, data: &DataSource, epochs: usize) {
    let set = data.load().expect("the data set");
    let (train_set, test_set) = set.split(0.2, spec.seed()).expect("a valid split");
    let topology = match machine {
        "spinn5" => spinn_arch::Machine::spinn5(),
        other => panic!("the benchmark runs on spinn5, not {other}"),
    };
    for goal in [PlanGoal::Fastest, PlanGoal::FewestCores] {
        let data = (&train_set, &test_set);
        measure_plan(label, spec, &topology, data, epochs, goal);
    }
}

/// [`measure`]'s run in the plan `goal` chooses.
fn measure_plan(
    label: &str,
    spec: &ModelSpec,
    topology: &spinn_arch::Machine,
    (train_set, test_set): (&Dataset, &Dataset),
    epochs: usize,
    goal: PlanGoal,
) {
    let weights = spec.init_weights();
    let mut options = MachineOptions::on(topology.clone());
    let mut choice = String::new();
    if goal == PlanGoal::Fastest {
        let started = Instant::now();
        let (chosen, trials) =
            Network::fastest_on_first_batch(spec, (&weights, None), &options, train_set)
                .expect("a plan");
        options = chosen;
        choice = format!(
            " (chosen from {} trials in {:.2} s of host time)",
            trials.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let run = TrainingRun {
        spec,
        weights,
        train: train_set,
        test: test_set,
        epochs,
        options,
        golden: true,
    };
    let report = train(&run, &mut Silent).expect("training runs");
    let fit = &report.fit;
    let machine_host = fit.machine_host.as_secs_f64() / epochs as f64;
    let golden_host = report.golden_host.as_secs_f64() / epochs as f64;
    let check = report.golden.expect("compared");
    let samples = (fit.samples_trained + epochs * test_set.n_samples()) as u64;
    let match_text = match (check.matches(spec.numeric()), spec.numeric()) {
        (false, _) => "NO".to_string(),
        (true, NumericMode::Fixed) => "bit-exact".to_string(),
        (true, NumericMode::F32) => format!("max rel diff {:.1e}", check.worst_relative),
    };
    let ratio = machine_host / golden_host;
    let ns_per_delivery =
        fit.machine_host.as_secs_f64() * 1e9 / fit.machine.delivered.max(1) as f64;
    println!(
        "{label} ({}, --plan {}{choice}, {epochs} epochs of {} samples): machine {:.0} samples/s simulated ({:.3} s machine time per epoch); host {:.3} s/epoch on the machine vs {:.4} s/epoch golden = {:.1}x (<= 20x: {}; <= 5x: {}); {:.0} ns host per delivery (<= 100 ns: {}); {} deliveries/sample; {} cores; golden match: {match_text}; test accuracy {:.2}%; {} dropped",
        spec.numeric().name(),
        goal.name(),
        train_set.n_samples(),
        fit.machine_samples_per_second(),
        fit.training_machine_seconds / epochs as f64,
        machine_host,
        golden_host,
        ratio,
        verdict(ratio, 20.0),
        verdict(ratio, 5.0),
        ns_per_delivery,
        verdict(ns_per_delivery, 100.0),
        fit.machine.delivered / samples,
        fit.machine.cores_used,
        100.0
            * fit
                .final_epoch()
                .and_then(|e| e.test.as_ref())
                .expect("an evaluated epoch")
                .accuracy,
        fit.machine.dropped,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if args.is_empty() {
        for numeric in [NumericMode::F32, NumericMode::Fixed] {
            let spec = ModelSpec::digits_default()
                .with_numeric(numeric)
                .expect("the default model in either mode");
            measure("digits MLP", &spec, "spinn5", &DataSource::Digits, 2);
        }
        let file = ModelFile::read(&root.join("models/mnist-resnet.toml")).expect("the model");
        let machine = file.machine.unwrap_or_else(|| "spinn5".into());
        measure("mnist-resnet", &file.spec, &machine, &DataSource::Mnist, 1);
    } else {
        let epochs: usize = args[0].parse().expect("EPOCHS: a number");
        for pair in args[1..].chunks(2) {
            let [model, data] = pair else {
                panic!("arguments: EPOCHS [MODEL DATA]...");
            };
            let file = ModelFile::read(&root.join(model)).expect("the model");
            let data: DataSource = data.parse().expect("the data set");
            let machine = file.machine.unwrap_or_else(|| "spinn5".into());
            measure(model, &file.spec, &machine, &data, epochs);
        }
    }
    println!("peak memory: {:.0} MB", peak_memory_mb());
}
