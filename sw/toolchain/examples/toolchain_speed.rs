//! Times each toolchain stage, with its peak memory, on a machine of `BOARDS` SpiNN-5 boards
//! with every application core filled: 17 vertices per chip, each sending one partition of
//! 64–256 keys to 8–20 targets, mostly nearby by vertex number with 15 % drawn from the whole
//! graph, from a seeded SplitMix64 generator.
//!
//! Run with
//! `cargo run --release -p spinn-toolchain --example toolchain_speed -- [BOARDS] [SEED]`.
//! One board is the SpiNN-5 board itself (48 chips); more are `Machine::multi_board(BOARDS)`,
//! whole triads on a torus (12 boards: 576 chips, 1,200 boards: 57,600 chips).
//! On a single board it also minimises once more to half the largest table, to time ordered
//! covering under pressure (that run may report that some table cannot fit).

use spinn_arch::Machine;
use spinn_model::rng::SplitMix64;
use spinn_toolchain::{
    allocate_keys, build_tables, check, minimise, place, route, MachineGraph, MapConfig,
    MinimiseConfig, Partition, Resources, RouteConfig, Vertex, VertexId,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The system allocator, counting the bytes live now and the most live since the last reset,
/// so each stage's peak memory can be read.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One stage's wall time and the most memory live while it ran (everything live, not only
/// what the stage allocated).
struct Stage {
    name: &'static str,
    time: Duration,
    peak_bytes: usize,
}

/// Runs `f` as the stage `name`, recording it in `stages`.
fn stage<T>(stages: &mut Vec<Stage>, name: &'static str, f: impl FnOnce() -> T) -> T {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let t = Instant::now();
    let out = f();
    stages.push(Stage {
        name,
        time: t.elapsed(),
        peak_bytes: PEAK.load(Ordering::Relaxed),
    });
    out
}

/// A value in `lo..=hi` from the workspace's seeded generator.
fn between(rng: &mut SplitMix64, lo: u64, hi: u64) -> u64 {
    lo + rng.below(hi - lo + 1)
}

/// Local targets are drawn from vertex numbers within this distance: about two chips' worth.
const LOCAL_SPAN: i64 = 34;
/// Percent of targets drawn from the whole graph instead.
const LONG_RANGE_PERCENT: u64 = 15;
/// Application cores per chip (core 0 is the monitor).
const APP_CORES: usize = 17;

fn build_graph(seed: u64, n_vertices: usize) -> MachineGraph {
    let mut rng = SplitMix64::new(seed);
    let mut graph = MachineGraph::new();
    let ids: Vec<VertexId> = (0..n_vertices)
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
                    between(&mut rng, 0, n_vertices as u64 - 1) as i64
                } else {
                    let offset = between(&mut rng, 0, 2 * LOCAL_SPAN as u64) as i64 - LOCAL_SPAN;
                    (i as i64 + offset).rem_euclid(n_vertices as i64)
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
    format!("{:10.1}", d.as_secs_f64() * 1e3)
}

fn mb(bytes: usize) -> String {
    format!("{:8.1}", bytes as f64 / 1e6)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n_boards: usize = args
        .next()
        .map(|s| s.parse().expect("BOARDS is a number"))
        .unwrap_or(1);
    let seed = args
        .next()
        .map(|s| s.parse().expect("the seed is a number"))
        .unwrap_or(2024);
    let (machine, name) = if n_boards == 1 {
        (Machine::spinn5(), "SpiNN-5".to_string())
    } else {
        let machine = Machine::multi_board(n_boards).expect("a machine of that many boards");
        let name = format!("{n_boards} boards");
        (machine, name)
    };
    let graph = build_graph(seed, APP_CORES * machine.n_chips());
    let cfg = MapConfig::SPINNAKER1;

    let mut stages = Vec::new();
    let total = Instant::now();
    let placements = stage(&mut stages, "place", || {
        place(&machine, &graph).expect("the graph fills the application cores exactly")
    });
    let keys = stage(&mut stages, "keys", || {
        allocate_keys(&graph).expect("keys fit")
    });
    let trees = stage(&mut stages, "route", || {
        route(
            &machine,
            &graph,
            &placements,
            RouteConfig {
                ner_radius: cfg.ner_radius,
            },
        )
        .expect("the machine is connected")
    });
    let unminimised = stage(&mut stages, "tables", || {
        build_tables(&graph, &placements, &keys, &trees)
    });
    let tables = stage(&mut stages, "minimise", || {
        minimise(
            &unminimised,
            MinimiseConfig {
                table_capacity: cfg.table_capacity,
            },
        )
        .expect("tables fit")
    });
    let summary = stage(&mut stages, "check", || {
        check(&machine, &graph, &placements, &keys, &tables).expect("tables are right")
    });
    let t_total = total.elapsed();
    let peak_total = stages.iter().map(|s| s.peak_bytes).max().unwrap_or(0);

    let n_targets: usize = graph.partitions().map(|(_, p)| p.targets.len()).sum();
    let n_hops: usize = trees.iter().map(|t| t.n_hops()).sum();
    println!(
        "{name}: {} chips, {} vertices, {} partitions, {} (partition, target) pairs, seed {seed}",
        machine.n_chips(),
        graph.n_vertices(),
        graph.n_partitions(),
        n_targets
    );
    println!("stage       time (ms)  peak (MB)");
    for s in &stages {
        println!("{:<10} {} {}", s.name, ms(s.time), mb(s.peak_bytes));
    }
    println!("{:<10} {} {}", "total", ms(t_total), mb(peak_total));
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

    if n_boards != 1 {
        return;
    }
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
