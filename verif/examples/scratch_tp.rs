//! Scratch (not committed): throughput knobs.
use spinn_dl::machine::{MachineOptions, Replicas};
use spinn_dl::train::Silent;
use spinn_dl::{digits, ModelSpec, NumericMode};
use spinn_verif::training::{train, TrainingRun};
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let numeric = if a[1] == "f32" {
        NumericMode::F32
    } else {
        NumericMode::Fixed
    };
    let replicas: u32 = a[2].parse().unwrap();
    let fan_in: u32 = a[3].parse().unwrap();
    let recv: u64 = a[4].parse().unwrap();
    let batch: usize = a[5].parse().unwrap();
    let util: f64 = a.get(7).map(|s| s.parse().unwrap()).unwrap_or(0.75);
    let dtcm: u64 = a.get(6).map(|s| s.parse().unwrap()).unwrap_or(56 * 1024);
    let set = digits().unwrap();
    let default = ModelSpec::digits_default();
    let spec = default
        .with_training(default.optimizer().with(None, Some(batch)), numeric, 1)
        .unwrap();
    let (train_set, test_set) = set.split(0.2, spec.seed()).unwrap();
    let samples = (4 * batch).min(train_set.n_samples());
    let train_set = train_set.subset(&(0..samples).collect::<Vec<_>>());
    let test_set = test_set.subset(&(0..32).collect::<Vec<_>>());
    let mut options = MachineOptions::spinn5();
    options.replicas = if replicas == 0 {
        Replicas::Auto
    } else {
        Replicas::Count(replicas)
    };
    options.reduction_fan_in = fan_in;
    options.reduction_receive_cycles = recv;
    options.plan.dtcm_bytes = dtcm;
    options.reduction_utilisation = util;
    let run = TrainingRun {
        spec: &spec,
        weights: spec.init_weights(),
        train: &train_set,
        test: &test_set,
        epochs: 1,
        options,
        golden: true,
    };
    let t = Instant::now();
    let report = train(&run, &mut Silent).unwrap();
    let fit = &report.fit;
    let ok = report.golden.unwrap().matches(spec.numeric());
    println!("{:?} R={replicas} fan={fan_in} recv={recv} B={batch} dtcm={dtcm} u={util}: {:.0} samples/s, dumped {} dropped {}, cores {}, equal {ok}, host {:.1}s golden {:.3}s busy {:.3}",
        numeric, fit.machine_samples_per_second(), fit.machine.dumped, fit.machine.dropped, fit.machine.cores_used, t.elapsed().as_secs_f64(), report.golden_host.as_secs_f64(),
        fit.machine.core_busy_cycles as f64 / (fit.machine.cycles as f64 * fit.machine.cores_used as f64));
}
