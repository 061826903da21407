//! The whole-board throughput benchmark (issue 12): models trained on a simulated SpiN-5 board
//! by the thesis prototype's mapping (the baseline: one neuron per core, one sample at a
//! time; dense models only), by one copy of this project's mapping, and by the whole board
//! (`Replicas::Auto` copies), each copy cut by the planner's fewest-cores plan and by the
//! fastest plan (`--plan fastest`: every candidate cut timed on the first batch). Prints,
//! measured in this one run, per mapping: machine training samples/s, the ratio to the
//! baseline, packets delivered per sample, dumps and drops, energy per sample, cores, the
//! golden match, and the host time against the golden reference's; then, per model, the
//! roofline figures of `../shared/spec/performance.md` §3 for the same model (compute, core
//! ingress, links).
//!
//! Models: the digits MLP 64-128-10 (both numeric modes), an MNIST MLP 784-256-10, a Conv1D
//! and a Conv2D model on the digits (s16.15).
//!
//! ```sh
//! cargo run --release -p spinn-verif --example throughput           # batch size 256
//! cargo run --release -p spinn-verif --example throughput -- 32     # another batch size
//! cargo run --release -p spinn-verif --example throughput -- 256 digits   # models by name
//! ```

use spinn_dl::machine::{Arith, Fixed};
use spinn_dl::machine::{MachineOptions, Replicas, Roofline, SpidnnNetwork, F32};
use spinn_dl::train::{one_hot, Network, Silent};
use spinn_dl::{digits, mnist, Dataset, ModelSpec, NumericMode};
use spinn_verif::training::{train, TrainingRun};
use std::time::Instant;

/// One model of the benchmark.
struct Bench {
    name: &'static str,
    spec: ModelSpec,
    data: Dataset,
    /// Batches timed per run.
    batches: usize,
}

/// The layers of a model file after its head (batch size set by the benchmark).
fn from_layers(input: &str, numeric: NumericMode, batch: usize, layers: &str) -> ModelSpec {
    let text = format!(
        "version = 2\ninput = {input}\nseed = 1\nnumeric = \"{}\"\nloss = \"categorical_crossentropy\"\n\n[optimizer.sgd]\nlearning_rate = 0.05\nbatch_size = {batch}\n\n{layers}",
        numeric.name()
    );
    ModelSpec::from_toml(&text, "throughput.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn benches(batch: usize) -> Vec<Bench> {
    let digits = digits().expect("the embedded digits");
    let mnist = mnist().expect("the embedded MNIST subset");
    let default = ModelSpec::digits_default();
    let mut out: Vec<Bench> = [NumericMode::Fixed, NumericMode::F32]
        .into_iter()
        .map(|numeric| Bench {
            name: if numeric == NumericMode::Fixed {
                "digits MLP 64-128-10, s16.15"
            } else {
                "digits MLP 64-128-10, f32"
            },
            spec: default
                .with_training(default.optimizer().with(None, Some(batch)), numeric, 1)
                .expect("the default model in either mode"),
            data: digits.clone(),
            batches: 4,
        })
        .collect();
    out.push(Bench {
        name: "MNIST MLP 784-256-10, s16.15",
        spec: from_layers(
            "[784]",
            NumericMode::Fixed,
            batch,
            "[[layers]]\ndense = 256\nactivation = \"relu\"\n\n[[layers]]\ndense = 10\nactivation = \"softmax\"\n",
        ),
        data: mnist,
        batches: 2,
    });
    out.push(Bench {
        name: "Conv1D on digits (8 steps x 8), s16.15",
        spec: from_layers(
            "[8, 8]",
            NumericMode::Fixed,
            batch,
            "[[layers]]\nconv1d = 16\nkernel_size = 3\npadding = \"same\"\nactivation = \"relu\"\n\n[[layers]]\nmax_pooling1d = 2\n\n[[layers]]\nflatten = true\n\n[[layers]]\ndense = 10\nactivation = \"softmax\"\n",
        ),
        data: digits.clone(),
        batches: 4,
    });
    out.push(Bench {
        name: "Conv2D on digits (8x8x1), s16.15",
        spec: from_layers(
            "[8, 8, 1]",
            NumericMode::Fixed,
            batch,
            "[[layers]]\nconv2d = 8\nkernel_size = 3\npadding = \"same\"\nactivation = \"relu\"\n\n[[layers]]\nmax_pooling2d = 2\n\n[[layers]]\nconv2d = 16\nkernel_size = 3\npadding = \"same\"\nactivation = \"relu\"\n\n[[layers]]\nmax_pooling2d = 2\n\n[[layers]]\nflatten = true\n\n[[layers]]\ndense = 10\nactivation = \"softmax\"\n",
        ),
        data: digits,
        batches: 4,
    });
    out
}

/// Machine samples/s of the baseline on `batches` batches of 32 (its speed does not depend on
/// the batch: it takes one sample at a time); `None` where it cannot map the model.
fn baseline<A: Arith>(spec: &ModelSpec, set: &Dataset, batches: usize) -> Option<f64> {
    let spec = spec
        .with_training(
            spec.optimizer().with(None, Some(32)),
            spec.numeric(),
            spec.seed(),
        )
        .expect("valid");
    let mut network =
        SpidnnNetwork::<A>::new(&spec, &spec.init_weights(), &MachineOptions::spinn5()).ok()?;
    let before = network.report();
    for b in 0..batches {
        let batch: Vec<usize> = (b * 32..(b + 1) * 32).collect();
        let labels = one_hot(set, &batch);
        let x: Vec<&[f32]> = batch.iter().map(|&i| set.sample(i)).collect();
        let y: Vec<&[f32]> = labels.iter().map(Vec::as_slice).collect();
        network.train_batch(&x, &y).expect("the baseline trains");
    }
    let seconds = network.report().seconds - before.seconds;
    Some((batches * 32) as f64 / seconds)
}

/// What one mapping measured.
struct Measured {
    rate: f64,
    link_hops_per_sample: f64,
    deliveries_per_sample: f64,
    roofline: Roofline,
}

/// One line of figures for `bench` trained with `replicas` copies, cut by the fewest-cores
/// plan or (`fastest`) the fastest one.
fn measure(
    label: &str,
    bench: &Bench,
    replicas: Replicas,
    fastest: bool,
    base: Option<f64>,
) -> Option<Measured> {
    let spec = &bench.spec;
    let (train_set, test_set) = bench.data.split(0.2, spec.seed()).expect("a valid split");
    let batch = spec.optimizer().batch_size();
    let samples = (bench.batches * batch).min(train_set.n_samples());
    let train_set = train_set.subset(&(0..samples).collect::<Vec<_>>());
    let test_set = test_set.subset(&(0..32).collect::<Vec<_>>());
    let mut options = MachineOptions::spinn5();
    options.replicas = replicas;
    let started = Instant::now();
    let mut trials = String::new();
    if fastest {
        let first: Vec<usize> = (0..batch.min(samples)).collect();
        let labels = one_hot(&train_set, &first);
        let x: Vec<&[f32]> = first.iter().map(|&i| train_set.sample(i)).collect();
        let y: Vec<&[f32]> = labels.iter().map(Vec::as_slice).collect();
        match Network::fastest(spec, (&spec.init_weights(), None), &options, (&x, &y)) {
            Ok((chosen, tried)) => {
                trials = format!(
                    ", cut for {} B of DTCM of {} tried",
                    chosen.plan.dtcm_bytes,
                    tried.len()
                );
                options = chosen;
            }
            Err(e) => {
                let text = e.to_string();
                let short: String = text.chars().take(160).collect();
                println!("  {label:<30} FAILED choosing: {short}");
                return None;
            }
        }
    }
    let choosing = started.elapsed().as_secs_f64();
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
    let report = match train(&run, &mut Silent) {
        Ok(report) => report,
        Err(e) => {
            let text = e.to_string();
            let short: String = text.chars().take(160).collect();
            println!("  {label:<30} FAILED{trials}: {short}");
            return None;
        }
    };
    let host = started.elapsed().as_secs_f64();
    let fit = &report.fit;
    let check = report.golden.expect("compared");
    let rate = fit.machine_samples_per_second();
    let trained = fit.samples_trained.max(1) as f64;
    println!(
        "  {label:<30} {rate:>8.0} samples/s ({}), {:>6.0} packets/sample, {} dumped, {} dropped, {:.2} mJ/sample, {} cores{trials}, data {} chips x {} KB in {:.2} s of host link, golden {}, host {host:.1} s (+{choosing:.1} s choosing) = {:.0}x golden's {:.3} s",
        match base {
            Some(b) => format!("{:>5.1}x baseline", rate / b),
            None => "no baseline".into(),
        },
        fit.training_deliveries as f64 / trained,
        fit.machine.dumped,
        fit.machine.dropped,
        1e3 * fit.machine.energy_joules / trained,
        fit.machine.cores_used,
        fit.data_load.map_or(0, |l| l.chips),
        fit.data_load.map_or(0, |l| l.bytes_per_chip.div_ceil(1024)),
        fit.data_load.map_or(0.0, |l| l.host_link_seconds),
        if check.matches(spec.numeric()) { "equal" } else { "DIFFERS" },
        fit.machine_host.as_secs_f64() / report.golden_host.as_secs_f64().max(1e-9),
        report.golden_host.as_secs_f64(),
    );
    Some(Measured {
        rate,
        link_hops_per_sample: fit.training_link_hops as f64 / trained,
        deliveries_per_sample: fit.training_deliveries as f64 / trained,
        roofline: fit.roofline(spec, &run.options.topology, &run.options.machine),
    })
}

/// `performance.md` §3's roofs for the model on SpiN-5 ([`Roofline`]: compute at the mode's
/// MAC cost, core ingress and links at the deliveries and link hops per sample the run's
/// training batches measured: the mapping's traffic, not a lower bound).
fn print_roofline(board: &Measured) {
    let roof = board.roofline;
    println!(
        "  roofline: compute {:.0} samples/s, core ingress {:.0} (at the board's {:.0} deliveries/sample), links {:.0} (at its {:.0} link hops/sample); the board reached {:.1} % of the lowest",
        roof.compute,
        roof.ingress,
        board.deliveries_per_sample,
        roof.links,
        board.link_hops_per_sample,
        100.0 * board.rate / roof.lowest()
    );
}

fn main() {
    let batch: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("a batch size"))
        .unwrap_or(256);
    let only: Vec<String> = std::env::args().skip(2).collect();
    println!("SpiN-5, batch size {batch}; machine time from the report");
    for bench in benches(batch) {
        if !only.is_empty() && !only.iter().any(|o| bench.name.contains(o.as_str())) {
            continue;
        }
        println!("{} ({} batches per run):", bench.name, bench.batches);
        let base = match bench.spec.numeric() {
            NumericMode::Fixed => baseline::<Fixed>(&bench.spec, &bench.data, 4),
            NumericMode::F32 => baseline::<F32>(&bench.spec, &bench.data, 4),
        };
        match base {
            Some(b) => println!("  {:<30} {b:>8.0} samples/s", "baseline (one neuron/core)"),
            None => println!("  baseline (one neuron/core)     not mapped: dense models only"),
        }
        measure(
            "one copy, fewest cores",
            &bench,
            Replicas::Count(1),
            false,
            base,
        );
        measure("one copy, fastest", &bench, Replicas::Count(1), true, base);
        measure(
            "board (auto), fewest cores",
            &bench,
            Replicas::Auto,
            false,
            base,
        );
        if let Some(board) = measure("board (auto), fastest", &bench, Replicas::Auto, true, base) {
            print_roofline(&board);
        }
    }
}
