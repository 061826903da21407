//! Probe: machine samples/s of the digits MLP with replicas (temporary measurement aid).
use spinn_dl::machine::{MachineOptions, Replicas};
use spinn_dl::train::Silent;
use spinn_dl::{digits, ModelSpec, NumericMode};
use spinn_verif::training::{train, TrainingRun};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numeric = if args.first().map(String::as_str) == Some("f32") {
        NumericMode::F32
    } else {
        NumericMode::Fixed
    };
    let batch: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(256);
    let replicas = match args.get(2).map(String::as_str) {
        Some("auto") | None => Replicas::Auto,
        Some(n) => Replicas::Count(n.parse().unwrap()),
    };
    let fan_in: u32 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(2);
    let dtcm: u64 = args
        .get(4)
        .and_then(|a| a.parse().ok())
        .unwrap_or(56 * 1024);
    let samples: usize = args
        .get(5)
        .and_then(|a| a.parse().ok())
        .unwrap_or(batch * 4);
    let spec0 = ModelSpec::digits_default();
    let spec = spec0
        .with_training(spec0.optimizer().with(None, Some(batch)), numeric, 1)
        .unwrap();
    let data = digits().unwrap();
    let (train_set, test_set) = data.split(0.2, 1).unwrap();
    let train_set = train_set.subset(&(0..samples.min(train_set.n_samples())).collect::<Vec<_>>());
    let test_set = test_set.subset(&(0..32).collect::<Vec<_>>());
    let mut options = MachineOptions::spinn5();
    options.replicas = replicas;
    options.reduction_fan_in = fan_in;
    options.plan.dtcm_bytes = dtcm;
    if let Some(rc) = args.get(6).and_then(|a| a.parse().ok()) {
        options.reduction_receive_cycles = rc;
    }
    let run = TrainingRun {
        spec: &spec,
        weights: spec.init_weights(),
        train: &train_set,
        test: &test_set,
        epochs: 1,
        options,
        golden: true,
    };
    let started = Instant::now();
    let report = match train(&run, &mut Silent) {
        Ok(r) => r,
        Err(e) => {
            let t = format!("{e:?}");
            let losses = t.find("losses:").map(|i| &t[i..]).unwrap_or("");
            println!("FAILED: {}... {}", &t[..t.len().min(400)], losses);
            return;
        }
    };
    let fit = &report.fit;
    let check = report.golden.unwrap();
    println!("{} batch {batch} fan-in {fan_in} dtcm {dtcm}: {:.0} samples/s, cores {}, dropped {}, dumped {}, match {}, host {:.1}s (machine {:.2}s golden {:.3}s), delivered/sample {}",
        numeric.name(), fit.machine_samples_per_second(), fit.machine.cores_used, fit.machine.dropped, fit.machine.dumped, check.matches(numeric),
        started.elapsed().as_secs_f64(), fit.machine_host.as_secs_f64(), report.golden_host.as_secs_f64(), fit.machine.delivered / fit.samples_trained.max(1) as u64);
}
