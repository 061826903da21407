//! The training benchmark (issue 5): the default digits model (Dense 64-128-10, relu, softmax
//! with cross-entropy, batch 32) trained on a simulated SpiNN-5 board in both numeric modes,
//! with the golden reference trained alongside on the same batches. Prints, measured in this
//! one run: machine samples per second (simulated time), host seconds per epoch on the machine
//! and in the golden reference and their ratio (target: at most 20), and the peak memory.
//!
//! Run with `cargo run --release -p spinn-verif --example training_speed [epochs]`.

use spinn_dl::machine::MachineOptions;
use spinn_dl::{digits, ModelSpec, NumericMode};
use spinn_verif::bench::peak_memory_mb;
use spinn_verif::training::{train, TrainingRun};

fn main() {
    let epochs = std::env::args()
        .nth(1)
        .map_or(2, |a| a.parse().expect("epochs: a number"));
    let data = digits().expect("the embedded digits");
    let (train_set, test_set) = data.split(0.2, 1).expect("a valid split");
    println!(
        "default digits model on a simulated SpiNN-5 board, {epochs} epochs of {} samples",
        train_set.n_samples()
    );
    for numeric in [NumericMode::F32, NumericMode::Fixed] {
        let spec = ModelSpec::digits_default()
            .with_numeric(numeric)
            .expect("the default model in either mode");
        let run = TrainingRun {
            spec: &spec,
            weights: spec.init_weights(),
            train: &train_set,
            test: &test_set,
            epochs,
            options: MachineOptions::spinn5(),
            golden: true,
        };
        let report = train(&run, |_| {}).expect("training runs");
        let machine = report.machine_host.as_secs_f64() / epochs as f64;
        let golden = report.golden_host.as_secs_f64() / epochs as f64;
        let check = report.golden.expect("compared");
        println!(
            "{:>6}: machine {:.0} samples/s simulated ({:.3} s machine time per epoch); host {:.3} s/epoch on the machine vs {:.4} s/epoch golden = {:.1}x (target <= 20x); {} deliveries/sample; golden match: {}; test accuracy {:.2}%",
            numeric.name(),
            report.machine_samples_per_second(),
            report.training_machine_seconds / epochs as f64,
            machine,
            golden,
            machine / golden,
            report.machine.delivered / (report.samples_trained + epochs * test_set.n_samples()) as u64,
            if check.matches(numeric) {
                if numeric == NumericMode::Fixed {
                    "bit-exact".to_string()
                } else {
                    format!("max rel diff {:.1e}", check.worst_relative)
                }
            } else {
                "NO".to_string()
            },
            100.0 * report.final_epoch().expect("an epoch").test_accuracy,
        );
    }
    println!("peak memory: {:.0} MB", peak_memory_mb());
}
