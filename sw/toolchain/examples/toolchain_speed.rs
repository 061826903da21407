//! Times each toolchain stage on a full SpiNN-5 board: 816 vertices (all 17 application cores
//! of all 48 chips), each sending one partition of 64–256 keys to 8–20 targets, mostly nearby
//! by vertex number with some long-range, from a seeded SplitMix64 generator.
//!
//! Run with `cargo run --release -p spinn-toolchain --example toolchain_speed [seed]`.
//! It also minimises once more to half the largest table, to time ordered covering under
//! pressure (that run may report that some table cannot fit).

use spinn_arch::Machine;
use spinn_model::rng::SplitMix64;
use spinn_toolchain::{
    allocate_keys, build_tables, check, minimise, place, route, MachineGraph, MapConfig,
    MinimiseConfig, Partition, Resources, RouteConfig, Vertex, VertexId,
};
use std::time::{Duration, Instant};

/// A value in `lo..=hi` from the workspace's seeded generator.
fn between(rng: &mut SplitMix64, lo: u64, hi: u64) -> u64 {
    lo + rng.below(hi - lo + 1)
}

const N_VERTICES: usize = 816;
/// Local targets are drawn from vertex numbers within this distance: about two chips' worth.
const LOCAL_SPAN: i64 = 34;
/// Percent of targets drawn from the whole graph instead.
const LONG_RANGE_PERCENT: u64 = 15;

fn build_graph(seed: u64) -> MachineGraph {
    let mut rng = SplitMix64::new(seed);
    let mut graph = MachineGraph::new();
    let ids: Vec<VertexId> = (0..N_VERTICES)
        .map(|i| {
            graph.add_vertex(Vertex {
                name: format!("pop{i}"),
                resources: Resources {
                    dtcm_bytes: 32 * 1024,
                    sdram_bytes: 1 << 20,
                },
                chip: None,
            })
        })
        .collect();
    for (i, &source) in ids.iter().enumerate() {
        let n_targets = between(&mut rng, 8, 20);
        let targets = (0..n_targets)
            .map(|_| {
                let t = if between(&mut rng, 1, 100) <= LONG_RANGE_PERCENT {
                    between(&mut rng, 0, N_VERTICES as u64 - 1) as i64
                } else {
                    let offset = between(&mut rng, 0, 2 * LOCAL_SPAN as u64) as i64 - LOCAL_SPAN;
                    (i as i64 + offset).rem_euclid(N_VERTICES as i64)
                };
                ids[t as usize]
            })
            .collect();
        graph
            .add_partition(Partition {
                source,
                name: "spikes".to_string(),
                n_keys: between(&mut rng, 64, 256) as u32,
                targets,
            })
            .expect("generated partitions are valid");
    }
    graph
}

fn ms(d: Duration) -> String {
    format!("{:9.3}", d.as_secs_f64() * 1e3)
}

fn main() {
    let seed = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("the seed is a number"))
        .unwrap_or(2024);
    let machine = Machine::spinn5();
    let graph = build_graph(seed);
    let cfg = MapConfig::SPINNAKER1;

    let total = Instant::now();
    let t = Instant::now();
    let placements = place(&machine, &graph).expect("816 vertices fit a SpiNN-5 board");
    let t_place = t.elapsed();
    let t = Instant::now();
    let keys = allocate_keys(&graph).expect("keys fit");
    let t_keys = t.elapsed();
    let t = Instant::now();
    let trees = route(
        &machine,
        &graph,
        &placements,
        RouteConfig {
            ner_radius: cfg.ner_radius,
        },
    )
    .expect("a whole board is connected");
    let t_route = t.elapsed();
    let t = Instant::now();
    let unminimised = build_tables(&graph, &placements, &keys, &trees);
    let t_tables = t.elapsed();
    let t = Instant::now();
    let tables = minimise(
        &unminimised,
        MinimiseConfig {
            table_capacity: cfg.table_capacity,
        },
    )
    .expect("tables fit");
    let t_minimise = t.elapsed();
    let t = Instant::now();
    let summary = check(&machine, &graph, &placements, &keys, &tables).expect("tables are right");
    let t_check = t.elapsed();
    let t_total = total.elapsed();

    let n_targets: usize = graph.partitions().map(|(_, p)| p.targets.len()).sum();
    let n_hops: usize = trees.iter().map(|t| t.n_hops()).sum();
    println!(
        "SpiNN-5, {} chips, {} vertices, {} partitions, {} (partition, target) pairs, seed {seed}",
        machine.n_chips(),
        graph.n_vertices(),
        graph.n_partitions(),
        n_targets
    );
    println!("stage         time (ms)");
    for (name, d) in [
        ("place", t_place),
        ("keys", t_keys),
        ("route", t_route),
        ("tables", t_tables),
        ("minimise", t_minimise),
        ("check", t_check),
        ("total", t_total),
    ] {
        println!("{name:<10} {}", ms(d));
    }
    let (before_chip, before) = unminimised.largest().expect("some chip routes");
    let (after_chip, after) = tables.largest().expect("some chip routes");
    println!("tree hops            {n_hops}");
    println!(
        "entries total        {} before, {} after minimisation",
        unminimised.n_entries(),
        tables.n_entries()
    );
    println!("largest table before {before} entries on chip {before_chip}");
    println!("largest table after  {after} entries on chip {after_chip}");
    println!(
        "check                {} partitions, {} lookups, {} deliveries",
        summary.n_partitions, summary.n_lookups, summary.n_deliveries
    );

    // Ordered covering under pressure: half the largest table.
    let capacity = before / 2;
    let t = Instant::now();
    let squeezed = minimise(
        &unminimised,
        MinimiseConfig {
            table_capacity: capacity,
        },
    );
    let t_squeeze = t.elapsed();
    match squeezed {
        Ok(squeezed) => {
            let (chip, n) = squeezed.largest().expect("some chip routes");
            let t = Instant::now();
            check(&machine, &graph, &placements, &keys, &squeezed).expect("tables are right");
            println!(
                "minimise to {capacity}: {} ms, largest {n} on chip {chip}; check {} ms",
                ms(t_squeeze).trim(),
                ms(t.elapsed()).trim()
            );
        }
        Err(err) => println!("minimise to {capacity}: {} ms, {err}", ms(t_squeeze).trim()),
    }
}
