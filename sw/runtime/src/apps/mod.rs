//! Example applications, each with a host side that builds its graph, maps it with the
//! toolchain, loads it, runs it and checks the machine's result against a host computation:
//! Conway's game of life across the machine ([`life`]) and a ring pipeline fed and drained by
//! the host ([`ring`]).

pub mod life;
pub mod ring;

use crate::host::{HostSource, LivePacketGatherer};
use crate::load::{load, EngineKind};
use crate::machine::{HostFlow, LoadError, MachineConfig, MachineReport, StopReason};
use crate::Application;
use life::{step_grid, LifeConfig, LifeTile, NeighbourKeys};
use ring::{RingConfig, RingStage, StageKeys};
use spinn_arch::ChipCoord;
use spinn_toolchain::{
    map, GraphError, MachineGraph, MapConfig, MapError, Mapping, Partition, PartitionId, Resources,
    Vertex, VertexId,
};
use std::collections::BTreeMap;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AppError {
    #[error("{what} must be {expected}, got {got}")]
    BadConfig {
        what: &'static str,
        expected: &'static str,
        got: String,
    },
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Map(#[from] MapError),
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// Machine time a run may take before it is stopped: a second of machine time.
const RUN_LIMIT_CYCLES: u64 = 133_333_333;

fn map_for(
    topology: &spinn_arch::Machine,
    graph: &MachineGraph,
    engine: EngineKind,
) -> Result<Mapping, MapError> {
    let capacity = match engine {
        EngineKind::Fast => MapConfig::SPINNAKER1.table_capacity,
        EngineKind::Rtl(_) => crate::rtl_engine::RTL_TABLE_ENTRIES,
    };
    map(
        topology,
        graph,
        MapConfig {
            table_capacity: capacity,
            ..MapConfig::SPINNAKER1
        },
    )
}

/// What a game of life on the machine produced.
#[derive(Debug, Clone, PartialEq)]
pub struct LifeOutcome {
    pub stop: StopReason,
    /// The lowest generation any tile reached (the configured count when all finished).
    pub generations_done: u32,
    /// Whether the final grid equals the host's.
    pub matches: bool,
    /// Live cells at the end.
    pub alive: usize,
    pub stray_packets: u64,
    pub n_tiles: usize,
    pub report: MachineReport,
}

/// Runs `config`'s game of life on `topology` and checks it against the host's.
/// The most cells one tile may have.
const MAX_TILE_CELLS: usize = 16384;

/// The longest gap between two sends: beyond it a generation's machine time would overflow
/// the cost model's millicycle arithmetic.
const MAX_SEND_GAP_CYCLES: u64 = 1_000_000_000;

pub fn run_life(
    topology: &spinn_arch::Machine,
    config: &LifeConfig,
    machine_config: MachineConfig,
    engine: EngineKind,
) -> Result<LifeOutcome, AppError> {
    for (what, value) in [
        ("tiles across", config.tiles_x),
        ("tiles down", config.tiles_y),
    ] {
        if value < 3 {
            return Err(AppError::BadConfig {
                what,
                expected: "at least 3",
                got: value.to_string(),
            });
        }
    }
    if config.tile_width == 0 || config.tile_height == 0 {
        return Err(AppError::BadConfig {
            what: "a tile",
            expected: "at least 1x1 cells",
            got: format!("{}x{}", config.tile_width, config.tile_height),
        });
    }
    // One tile per application core: a grid of more tiles cannot be placed, and its cells
    // would not fit the host's memory either.
    let cores = topology.n_chips() * (spinn_arch::CORES_PER_CHIP - 1);
    let tiles = config.tiles_x.checked_mul(config.tiles_y);
    if tiles.is_none_or(|t| t > cores) {
        return Err(AppError::BadConfig {
            what: "the tiles",
            expected: "at most one per application core of the machine",
            got: format!(
                "{}x{} tiles for {cores} application cores",
                config.tiles_x, config.tiles_y
            ),
        });
    }
    if config
        .tile_width
        .checked_mul(config.tile_height)
        .is_none_or(|cells| cells > MAX_TILE_CELLS)
    {
        return Err(AppError::BadConfig {
            what: "a tile",
            expected: "at most 16384 cells (a core's DTCM holds its cells and halo)",
            got: format!("{}x{} cells", config.tile_width, config.tile_height),
        });
    }
    if config.send_gap_cycles > MAX_SEND_GAP_CYCLES {
        return Err(AppError::BadConfig {
            what: "the send gap",
            expected: "at most 1000000000 core cycles (5 s at 200 MHz)",
            got: config.send_gap_cycles.to_string(),
        });
    }
    let (tx, ty) = (config.tiles_x, config.tiles_y);
    let tile = |x: usize, y: usize| y * tx + x;
    let neighbour_offsets = |x: usize, y: usize| {
        let mut by_tile: BTreeMap<usize, Vec<(isize, isize)>> = BTreeMap::new();
        for (dx, dy) in life::NEIGHBOURS {
            let nx = (x as isize + dx).rem_euclid(tx as isize) as usize;
            let ny = (y as isize + dy).rem_euclid(ty as isize) as usize;
            by_tile.entry(tile(nx, ny)).or_default().push((dx, dy));
        }
        by_tile
    };
    let mut graph = MachineGraph::new();
    let cells = config.cells_per_tile() as u64;
    let vertices: Vec<VertexId> = (0..tx * ty)
        .map(|t| {
            graph.add_vertex(Vertex {
                name: format!("life/tile({},{})", t % tx, t / tx),
                resources: Resources {
                    dtcm_bytes: (cells
                        + 2 * (config.tile_width as u64 + 2) * (config.tile_height as u64 + 2)
                        + 96) as u32,
                    sdram_bytes: 0,
                },
                chip: None,
            })
        })
        .collect();
    let mut partitions: Vec<PartitionId> = Vec::new();
    for t in 0..tx * ty {
        let targets = neighbour_offsets(t % tx, t / tx)
            .keys()
            .map(|&n| vertices[n])
            .collect();
        partitions.push(graph.add_partition(Partition {
            source: vertices[t],
            name: "cells".into(),
            n_keys: config.cells_per_tile() as u32,
            targets,
        })?);
    }
    let mapping = map_for(topology, &graph, engine)?;
    let grid = config.initial_grid();
    let width = config.width();
    let key_block = |t: usize| {
        mapping
            .keys
            .get(partitions[t])
            .expect("invariant: every partition has keys")
    };
    let apps: Vec<Box<dyn Application>> = (0..tx * ty)
        .map(|t| {
            let (x, y) = (t % tx, t / tx);
            let mut tile_cells = Vec::with_capacity(config.cells_per_tile());
            for cy in 0..config.tile_height {
                for cx in 0..config.tile_width {
                    let gx = x * config.tile_width + cx;
                    let gy = y * config.tile_height + cy;
                    tile_cells.push(grid[gy * width + gx]);
                }
            }
            let neighbours = neighbour_offsets(x, y)
                .into_iter()
                .map(|(n, offsets)| {
                    let block = key_block(n);
                    NeighbourKeys {
                        base: block.base,
                        mask: block.mask,
                        offsets,
                    }
                })
                .collect();
            Box::new(LifeTile::new(
                config,
                t,
                tile_cells,
                key_block(t).base,
                neighbours,
            )) as Box<dyn Application>
        })
        .collect();
    let mut machine = load(topology, &graph, &mapping, apps, machine_config, engine)?;
    let stop = machine.run(RUN_LIMIT_CYCLES);
    let mut expected = grid;
    for _ in 0..config.generations {
        expected = step_grid(&expected, width, config.height());
    }
    let mut result = vec![false; expected.len()];
    let mut generations_done = config.generations;
    let mut stray_packets = 0;
    for (t, (_, vertex)) in graph.vertices().enumerate() {
        let tile = machine
            .app::<LifeTile>(&vertex.name)
            .expect("invariant: every vertex runs a tile");
        generations_done = generations_done.min(tile.generation());
        stray_packets += tile.stray_packets();
        let (x, y) = (t % tx, t / tx);
        for (i, &alive) in tile.cells().iter().enumerate() {
            let gx = x * config.tile_width + i % config.tile_width;
            let gy = y * config.tile_height + i / config.tile_width;
            result[gy * width + gx] = alive;
        }
    }
    let report = machine.report();
    Ok(LifeOutcome {
        stop,
        generations_done,
        matches: generations_done == config.generations && result == expected,
        alive: result.iter().filter(|&&a| a).count(),
        stray_packets,
        n_tiles: tx * ty,
        report,
    })
}

/// What a ring run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RingOutcome {
    pub stop: StopReason,
    /// Tokens the host got back, and how many of those carried the right sum.
    pub returned: u32,
    pub correct: u32,
    /// Tokens that came back more than once (never, unless a packet was duplicated).
    pub duplicates: u32,
    /// Packets stages received that no partition of theirs sends (never, unless misrouted).
    pub stray_packets: u64,
    pub report: MachineReport,
}

const HOST_SOURCE: &str = "ring/host-source";
const GATHERER: &str = "ring/gatherer";

/// Runs `config`'s ring on `topology`: the host injects the tokens and waits for them all.
pub fn run_ring(
    topology: &spinn_arch::Machine,
    config: &RingConfig,
    machine_config: MachineConfig,
    engine: EngineKind,
) -> Result<RingOutcome, AppError> {
    if config.stages < 2 || config.tokens == 0 || config.laps == 0 {
        return Err(AppError::BadConfig {
            what: "a ring",
            expected: "at least 2 stages, 1 token and 1 lap",
            got: format!(
                "{} stages, {} tokens, {} laps",
                config.stages, config.tokens, config.laps
            ),
        });
    }
    let ethernet = ChipCoord::new(0, 0);
    let small = Resources {
        dtcm_bytes: 4 * config.tokens + 256,
        sdram_bytes: 0,
    };
    let mut graph = MachineGraph::new();
    let vertex = |graph: &mut MachineGraph, name: String, chip| {
        graph.add_vertex(Vertex {
            name,
            resources: small,
            chip,
        })
    };
    let source = vertex(&mut graph, HOST_SOURCE.into(), Some(ethernet));
    let stages: Vec<VertexId> = (0..config.stages)
        .map(|i| vertex(&mut graph, format!("ring/stage{i}"), None))
        .collect();
    let gatherer = vertex(&mut graph, GATHERER.into(), Some(ethernet));
    let partition = |graph: &mut MachineGraph, from, name: &str, to| {
        graph.add_partition(Partition {
            source: from,
            name: name.into(),
            n_keys: config.tokens,
            targets: vec![to],
        })
    };
    let tokens = partition(&mut graph, source, "tokens", stages[0])?;
    let onward: Vec<PartitionId> = (0..config.stages)
        .map(|i| {
            partition(
                &mut graph,
                stages[i],
                "onward",
                stages[(i + 1) % config.stages],
            )
        })
        .collect::<Result<_, _>>()?;
    let home = partition(&mut graph, stages[0], "home", gatherer)?;
    let mapping = map_for(topology, &graph, engine)?;
    let base = |p: PartitionId| {
        mapping
            .keys
            .get(p)
            .expect("invariant: every partition has keys")
            .base
    };
    let mut apps: Vec<Box<dyn Application>> = vec![Box::new(HostSource::new())];
    for i in 0..config.stages {
        let keys = StageKeys {
            from_host: (i == 0).then(|| base(tokens)),
            from_previous: base(onward[(i + config.stages - 1) % config.stages]),
            onward: base(onward[i]),
            home: (i == 0).then(|| base(home)),
        };
        apps.push(Box::new(RingStage::new(config, i, keys)));
    }
    apps.push(Box::new(LivePacketGatherer::new()));
    let mut machine = load(topology, &graph, &mapping, apps, machine_config, engine)?;
    let host_base = base(tokens);
    machine
        .app_mut::<HostSource>(HOST_SOURCE)
        .expect("invariant: the host source runs there")
        .push((0..config.tokens).map(|t| (host_base + t, Some(0))));
    machine.raise_user_event(HOST_SOURCE, 0, 0);
    let home_base = base(home);
    let mut seen = vec![0u32; config.tokens as usize];
    let (mut returned, mut correct, mut duplicates) = (0, 0, 0);
    let stop = machine.run_with_host(RUN_LIMIT_CYCLES, |packet| {
        let token = packet.key.wrapping_sub(home_base);
        if let Some(count) = seen.get_mut(token as usize) {
            *count += 1;
            if *count == 1 {
                returned += 1;
                correct += (packet.payload == Some(config.expected_payload(token))) as u32;
            } else {
                duplicates += 1;
            }
        }
        if returned == config.tokens {
            HostFlow::Stop
        } else {
            HostFlow::Continue
        }
    });
    let stray_packets = (0..config.stages)
        .map(|i| {
            machine
                .app::<RingStage>(&format!("ring/stage{i}"))
                .expect("invariant: every stage runs a ring stage")
                .stray_packets()
        })
        .sum();
    Ok(RingOutcome {
        stop,
        returned,
        correct,
        duplicates,
        stray_packets,
        report: machine.report(),
    })
}
