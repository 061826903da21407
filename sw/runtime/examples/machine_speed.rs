//! How fast the machine simulates: the game of life across a SpiNN-5 board (768 cores), timed
//! on the host, with what the machine did per host second. Both runs happen in this one
//! process, so the ratios hold however loaded the host is.
//!
//! Run with `cargo run --release -p spinn-runtime --example machine_speed [generations]`.

use spinn_arch::Machine as Topology;
use spinn_runtime::apps::life::LifeConfig;
use spinn_runtime::apps::run_life;
use spinn_runtime::{EngineKind, MachineConfig};
use std::time::Instant;

fn main() {
    let generations = std::env::args()
        .nth(1)
        .and_then(|g| g.parse().ok())
        .unwrap_or(20);
    println!(
        "{:>10} {:>9} {:>10} {:>10} {:>12} {:>12} {:>10}",
        "gap", "machine", "host", "host/mach", "deliveries", "traversals", "dumps"
    );
    for gap in [8_000, 2_000] {
        let config = LifeConfig {
            tiles_x: 24,
            tiles_y: 32,
            tile_width: 4,
            tile_height: 4,
            generations,
            seed: 2020,
            send_gap_cycles: gap,
        };
        let started = Instant::now();
        let out = run_life(
            &Topology::spinn5(),
            &config,
            MachineConfig::spinnaker(),
            EngineKind::Fast,
        )
        .expect("the game of life maps and runs");
        let host = started.elapsed().as_secs_f64();
        assert!(out.matches, "the machine's grid must equal the host's");
        let r = out.report;
        println!(
            "{:>10} {:>7.2}ms {:>9.2}s {:>10.0} {:>8.2}M/s {:>8.2}M/s {:>10}",
            gap,
            r.seconds * 1e3,
            host,
            host / r.seconds,
            r.delivered as f64 / host / 1e6,
            r.router_traversals as f64 / host / 1e6,
            r.dumped
        );
    }
}
