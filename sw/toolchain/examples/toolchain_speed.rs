//! Times each toolchain stage, with its peak memory, on a machine of `BOARDS` SpiNN-5 boards
//! with every application core filled: 17 vertices per chip, each sending one partition of
//! 64–256 keys to 8–20 targets, mostly nearby by vertex number with 15 % drawn from the whole
//! graph, from a seeded SplitMix64 generator.
//!
//! Run with
//! `cargo run --release -p spinn-toolchain --example toolchain_speed -- [BOARDS] [SEED] [digest]`.
//! One board is the SpiNN-5 board itself (48 chips); more are `Machine::multi_board(BOARDS)`,
//! whole triads on a torus (12 boards: 576 chips, 1,200 boards: 57,600 chips).
//! The stages are those `map` runs: routing fused with table building (`route_tables`), the
//! kept entries gathered per chip (`kept_tables`), minimisation (`minimise_kept`) and the
//! checker; each prints wall time, CPU time (on a shared machine wall time counts other
//! people's work too) and peak heap.
//! With `digest`, it also prints fixed hashes of the placements, key blocks, trees,
//! unminimised tables, final tables and check summary, to compare mappings between builds.
//! On a single board it also minimises once more to half the largest table, to time ordered
//! covering under pressure (that run may report that some table cannot fit).

use spinn_arch::{ChipCoord, Machine};
use spinn_model::rng::SplitMix64;
use spinn_toolchain::{
    allocate_keys, check, minimise, minimise_kept, place, route_tables, MachineGraph, MapConfig,
    MinimiseConfig, Partition, Resources, RouteConfig, Vertex, VertexId,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hash::{Hash, Hasher};
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
    /// CPU time of all the process's threads, user and system.
    cpu: Duration,
    peak_bytes: usize,
}

/// The CPU time the process has used so far, from `/proc/self/stat` (zero where there is no
/// such file): on a shared machine wall time also counts other people's work.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The command name may hold spaces, so count fields from the closing parenthesis:
    // utime and stime are fields 14 and 15, in ticks of (almost always) 1/100 s.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Runs `f` as the stage `name`, recording it in `stages`.
fn stage<T>(stages: &mut Vec<Stage>, name: &'static str, f: impl FnOnce() -> T) -> T {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let t = Instant::now();
    let cpu = cpu_time();
    let out = f();
    stages.push(Stage {
        name,
        time: t.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
        peak_bytes: PEAK.load(Ordering::Relaxed),
    });
    out
}

/// FNV-1a, a fixed hash, so digests of the same mapping agree from run to run and build to
/// build.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// The digest so far, starting afresh.
    fn take(&mut self) -> u64 {
        std::mem::take(self).0
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
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
    let want_digest = args.next().as_deref() == Some("digest");
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
    let mut routed = stage(&mut stages, "route", || {
        route_tables(
            &machine,
            &graph,
            &placements,
            &keys,
            RouteConfig {
                ner_radius: cfg.ner_radius,
            },
        )
        .expect("the machine is connected")
    });
    let kept = stage(&mut stages, "tables", || routed.kept_tables());
    let tables = stage(&mut stages, "minimise", || {
        minimise_kept(
            &kept,
            &routed.trees,
            &keys,
            MinimiseConfig {
                table_capacity: cfg.table_capacity,
            },
        )
        .expect("tables fit")
    });
    // `map` lets these go before checking too.
    drop(kept);
    let summary = stage(&mut stages, "check", || {
        check(&machine, &graph, &placements, &keys, &tables).expect("tables are right")
    });
    let t_total = total.elapsed();
    let peak_total = stages.iter().map(|s| s.peak_bytes).max().unwrap_or(0);

    let n_targets: usize = graph.partitions().map(|(_, p)| p.targets.len()).sum();
    let n_hops = routed.trees.n_hops();
    let sizes: Vec<_> = routed.unminimised_sizes().collect();
    println!(
        "{name}: {} chips, {} vertices, {} partitions, {} (partition, target) pairs, seed {seed}",
        machine.n_chips(),
        graph.n_vertices(),
        graph.n_partitions(),
        n_targets
    );
    println!("stage       time (ms)   CPU (ms)  peak (MB)");
    for s in &stages {
        println!(
            "{:<10} {} {} {}",
            s.name,
            ms(s.time),
            ms(s.cpu),
            mb(s.peak_bytes)
        );
    }
    let cpu_total = stages.iter().map(|s| s.cpu).sum();
    println!(
        "{:<10} {} {} {}",
        "total",
        ms(t_total),
        ms(cpu_total),
        mb(peak_total)
    );
    // The largest unminimised table, the lowest chip on ties.
    let (before_chip, before) = sizes
        .iter()
        .copied()
        .fold(
            None,
            |best: Option<(ChipCoord, usize)>, (chip, n)| match best {
                Some((_, b)) if b >= n => best,
                _ => Some((chip, n)),
            },
        )
        .expect("some chip routes");
    let (after_chip, after) = tables.largest().expect("some chip routes");
    println!("tree hops            {n_hops}");
    println!(
        "entries total        {} before, {} after minimisation",
        sizes.iter().map(|s| s.1).sum::<usize>(),
        tables.n_entries()
    );
    println!("largest table before {before} entries on chip {before_chip}");
    println!("largest table after  {after} entries on chip {after_chip}");
    println!(
        "check                {} partitions, {} lookups, {} deliveries",
        summary.n_partitions, summary.n_lookups, summary.n_deliveries
    );

    if want_digest {
        let mut h = Fnv::default();
        placements.iter().for_each(|p| p.hash(&mut h));
        let d_place = h.take();
        keys.iter()
            .for_each(|k| (k.0.index(), k.1.base, k.1.mask, k.1.n_keys).hash(&mut h));
        let d_keys = h.take();
        let trees = routed.trees.to_trees();
        for t in &trees {
            t.root().hash(&mut h);
            for (c, n) in t.nodes() {
                (c, n.arrival, n.route).hash(&mut h);
            }
        }
        let d_trees = h.take();
        drop(trees);
        for (c, t) in &routed.trees.unminimised(&keys).chips {
            c.hash(&mut h);
            for e in t {
                (e.key, e.mask, e.route, e.source).hash(&mut h);
            }
        }
        let d_unmin = h.take();
        for (c, t) in &tables.chips {
            (c, t).hash(&mut h);
        }
        let d_tables = h.take();
        (
            summary.n_partitions,
            summary.n_lookups,
            summary.n_deliveries,
        )
            .hash(&mut h);
        let d_check = h.take();
        println!(
            "digest place {d_place:016x} keys {d_keys:016x} trees {d_trees:016x} unminimised {d_unmin:016x} tables {d_tables:016x} check {d_check:016x}"
        );
    }
    if n_boards != 1 {
        return;
    }
    // Ordered covering under pressure: half the largest table.
    let capacity = before / 2;
    let unminimised = routed.trees.unminimised(&keys);
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
