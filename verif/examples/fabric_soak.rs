//! Soak run of the fast-model/RTL equivalence: many more and longer random scenarios than the
//! test suite runs, on every RTL fabric. `cargo run --release -p spinn-verif --example
//! fabric_soak -- [scenarios per fabric] [cycles]` (defaults 300 and 1,000). Prints progress and
//! the first divergence, with its seed, if any; exits non-zero on a divergence.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use spinn_rtl::config::FabricKind;
use spinn_verif::fabric_equivalence::{compare, run_model, run_rtl};
use spinn_verif::strategies::arb_fabric_scenario;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let per_fabric: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(300);
    let cycles: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let started = std::time::Instant::now();
    let mut deliveries = 0;
    for kind in FabricKind::ALL {
        for seed in 0..per_fabric {
            let rng = TestRng::from_seed(
                RngAlgorithm::ChaCha,
                &[(seed as u8).wrapping_add(kind as u8 * 97); 32],
            );
            let mut runner = TestRunner::new_with_rng(Config::default(), rng);
            let mut scenario = arb_fabric_scenario(kind)
                .new_tree(&mut runner)
                .expect("a scenario")
                .current();
            scenario.cycles = cycles;
            let (model, rtl) = (run_model(&scenario), run_rtl(&scenario));
            if let Some(diff) = compare(&model, &rtl) {
                eprintln!("{} scenario {seed}: {diff}\n{scenario:#?}", kind.name());
                std::process::exit(1);
            }
            deliveries += model.deliveries.len();
        }
        println!(
            "{}: {per_fabric} scenarios of {cycles} cycles identical ({:.0} s so far)",
            kind.name(),
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "{deliveries} deliveries compared in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}
