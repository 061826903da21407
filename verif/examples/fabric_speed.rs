//! Benchmark of the fast fabric model, in one run:
//! * speed on an 8×8 torus with uniform single-destination (P2P) traffic at 0.005 (below
//!   saturation), 0.02, 0.05, 0.1 and 0.2 packets per chip per cycle, and on a SpiNN-5 board:
//!   simulated router-cycles per second and packet-hops (router traversals) per second, and
//!   host nanoseconds per traversal (the best of three runs, since other work on the host only
//!   ever slows a run down), each against issue 15's target where it sets one;
//! * the torus's saturation rate, measured as the highest accepted load of that sweep, and a
//!   run at twice it (the target there is 500 ns per traversal);
//! * the fast model against the hand-stepped RTL on a 3×3 torus with the same traffic;
//! * a SpiNN1M-size machine (1,200 boards, 57,600 chips) built and run with uniform traffic at
//!   0.001, with host nanoseconds per traversal and the process's peak memory;
//! * the time to build P2P next-hop tables for 2,304 chips (48 boards) and to set up the
//!   SpiNNaker1M fabric (whose routes are computed from the geometry).
//!
//! Run with `cargo run --release -p spinn-verif --example fabric_speed`. It prints what it
//! measures and asserts nothing.

use spinn_arch::{Machine, P2pRoute, RouteSet, RouterControl, Wrap};
use spinn_model::rng::SplitMix64;
use spinn_model::traffic::{coord_bits, next_hops, p2p_table, run_traffic, Pattern, TrafficConfig};
use spinn_model::LinkTiming;
use spinn_rtl::config::{FabricConfig, FabricKind};
use spinn_rtl::RouterParams;
use spinn_verif::bench::{peak_memory_mb, verdict};
use spinn_verif::fabric_equivalence::{run_model, run_rtl, FabricScenario, Injection};
use std::time::Instant;

fn config(rate: f64, cycles: u64) -> TrafficConfig {
    TrafficConfig {
        pattern: Pattern::Uniform,
        rate,
        cycles,
        seed: 7,
        timing: LinkTiming::SPINNAKER,
        control: RouterControl::SCAMP_BOOT,
        faults: None,
    }
}

/// Runs uniform traffic three times and prints the best run's speed, with `target` (host ns
/// per traversal) if there is one; returns the accepted load.
fn speed(name: &str, machine: &Machine, rate: f64, cycles: u64, target: Option<f64>) -> f64 {
    let r = (0..3)
        .map(|_| run_traffic(machine, &config(rate, cycles)).expect("valid traffic"))
        .min_by(|a, b| a.host_seconds.total_cmp(&b.host_seconds))
        .expect("three runs");
    let ns = r.host_seconds * 1e9 / r.router_traversals.max(1) as f64;
    let against_target = target.map_or(String::new(), |t| {
        format!("   (target <= {t:.0} ns: {})", verdict(ns, t))
    });
    println!(
        "{name:<12} rate {rate:<6.4} {:>7.1} M router-cycles/s {:>7.3} M traversals/s {:>8.0} ns/traversal   accepted {:.4} of {:.4}{against_target}",
        r.router_cycles as f64 / r.host_seconds / 1e6,
        r.router_traversals as f64 / r.host_seconds / 1e6,
        ns,
        r.accepted_load,
        r.offered_load
    );
    r.accepted_load
}

/// Uniform P2P traffic on an RTL fabric's topology as a scenario both engines run.
fn uniform_scenario(kind: FabricKind, rate: f64, cycles: u64) -> FabricScenario {
    let machine = kind.machine();
    let n = machine.n_chips();
    let hops = next_hops(&machine);
    assert_eq!(
        coord_bits(&machine).max(3),
        3,
        "the RTL fabric's P2P tables have 3 bits per axis"
    );
    let mut rng = SplitMix64::new(11);
    let mut injections = Vec::new();
    for cycle in 0..cycles {
        for chip in 0..n {
            if rng.unit() < rate {
                let mut dest = rng.below(n as u64 - 1) as usize;
                if dest >= chip {
                    dest += 1;
                }
                let (src, dst) = (machine.chip_at(chip), machine.chip_at(dest));
                let packet = spinn_arch::Packet::p2p(src.chip_id(), dst.chip_id(), 0).to_bus();
                injections.push(Injection {
                    cycle,
                    chip,
                    core: 1 + rng.below(17) as usize,
                    packet,
                });
            }
        }
    }
    FabricScenario {
        config: FabricConfig {
            kind,
            params: RouterParams::CLOCKWISE,
            short_transit: 19,
            long_transit: 33,
        },
        control: RouterControl::SCAMP_BOOT,
        tables: vec![Vec::new(); n],
        p2p: (0..n)
            .map(|c| {
                let table = p2p_table(&machine, &hops, c, 3);
                table
                    .iter()
                    .enumerate()
                    .filter(|(_, &code)| code != 6)
                    .map(|(i, &code)| (i, P2pRoute::from_code(code)))
                    .collect()
            })
            .collect(),
        fixed_routes: vec![RouteSet::EMPTY; n],
        dead_links: Vec::new(),
        injections,
        blocked_sinks: Vec::new(),
        cycles,
    }
}

fn main() {
    println!("fast fabric model, uniform P2P traffic, SpiNNaker link timing (19/33 cycles per 40/72-bit packet)");
    let torus = Machine::torus(8, 8, Wrap::BOTH).expect("8x8 torus");
    let below = Some(50.0);
    let saturation = [0.005, 0.02, 0.05, 0.1, 0.2]
        .into_iter()
        .map(|rate| {
            speed(
                "8x8 torus",
                &torus,
                rate,
                50_000,
                below.filter(|_| rate == 0.005),
            )
        })
        .fold(0.0, f64::max);
    println!("8x8 torus saturates at {saturation:.4} packets/chip/cycle (the sweep's highest accepted load)");
    speed("8x8 torus", &torus, 2.0 * saturation, 50_000, Some(500.0));
    for rate in [0.005, 0.05] {
        speed(
            "SpiNN-5",
            &Machine::spinn5(),
            rate,
            50_000,
            below.filter(|_| rate == 0.005),
        );
    }

    let cycles = 2_000;
    let scenario = uniform_scenario(FabricKind::Torus3x3, 0.01, cycles);
    let started = Instant::now();
    let model = run_model(&scenario);
    let model_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let rtl = run_rtl(&scenario);
    let rtl_seconds = started.elapsed().as_secs_f64();
    println!(
        "3x3 torus, {cycles} cycles of uniform traffic at 0.01: fast model {:.2} ms, RTL {:.2} s: fast/RTL speed ratio {:.0}x ({} deliveries each, identical: {})",
        model_seconds * 1e3,
        rtl_seconds,
        rtl_seconds / model_seconds,
        model.deliveries.len(),
        model == rtl
    );

    let started = Instant::now();
    let big = Machine::multi_board(1200).expect("1200 boards");
    let chips = big.n_chips();
    let r = run_traffic(
        &big,
        &TrafficConfig {
            seed: 3,
            ..config(0.001, 2_000)
        },
    )
    .expect("valid traffic");
    println!(
        "SpiNNaker1M geometry: {chips} chips, {} packets over 2000 cycles, {} delivered, {} router traversals, in {:.1} s: {:.0} ns/traversal (target <= 75 ns); peak memory {:.0} MB",
        r.injected,
        r.delivered,
        r.router_traversals,
        started.elapsed().as_secs_f64(),
        r.host_seconds * 1e9 / r.router_traversals.max(1) as f64,
        peak_memory_mb()
    );

    let boards48 = Machine::multi_board(48).expect("48 boards");
    let started = Instant::now();
    let hops = next_hops(&boards48);
    println!(
        "next-hop tables for {} chips (48 boards): {:.3} s ({} destinations)",
        boards48.n_chips(),
        started.elapsed().as_secs_f64(),
        hops.len()
    );
    drop(hops);
    let r = run_traffic(
        &big,
        &TrafficConfig {
            seed: 3,
            ..config(0.001, 1)
        },
    )
    .expect("valid traffic");
    println!(
        "SpiNNaker1M set-up (fabric, geometric routes) and one cycle: {:.3} s",
        r.host_seconds
    );
}
