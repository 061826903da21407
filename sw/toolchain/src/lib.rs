//! `spinn-toolchain`: maps a machine graph onto a SpiNNaker-1 machine (`spec/mapping.md`).
//!
//! The pipeline, each stage a plain function that [`map`] runs in order:
//!
//! 1. [`place()`]: vertices to (chip, core), breadth-first on both sides (§4.2);
//! 2. [`allocate_keys`]: an aligned power-of-two key block per partition (§3);
//! 3. [`route()`]: a NER multicast tree per partition, repaired onto live links (§5.1);
//! 4. [`build_tables`]: one entry per partition per chip its tree visits (§5.4);
//! 5. [`minimise()`]: default-route removal, then ordered covering where a table is too big (§6);
//! 6. [`check()`]: follows every key through the final tables and proves it reaches exactly its
//!    targets (§7).
//!
//! The crate is pure: no IO, no clock, no randomness, and no hash-map order reaching any
//! output, so the same machine, graph and config always give the same mapping.
//! Callers that want stage timings call the stage functions themselves, as the
//! `toolchain_speed` example does.

pub mod check;
pub mod error;
pub mod geometry;
pub mod graph;
pub mod keys;
pub mod minimise;
mod parallel;
pub mod place;
pub mod route;
pub mod tables;
pub mod ternary;

pub use check::{check, check_equivalent, CheckSummary};
pub use error::{
    CheckError, GraphError, KeyError, MapError, MemoryRegion, MinimiseError, PlaceError, RouteError,
};
pub use graph::{
    MachineGraph, Partition, PartitionId, Resources, Vertex, VertexId, MAX_KEYS_PER_PARTITION,
};
pub use keys::{allocate_keys, KeyAllocation, KeyBlock};
pub use minimise::{minimise, minimise_table, MinimiseConfig, SPINNAKER1_TABLE_CAPACITY};
pub use place::{place, Placement, Placements, DTCM_BYTES, SDRAM_BYTES};
pub use route::{route, RouteConfig, RoutingTree, TreeNode};
pub use tables::{build_tables, EntryTables, RoutingEntry, RoutingTables};

use spinn_arch::{ChipCoord, Machine};
use std::collections::BTreeMap;

/// The knobs of [`map`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapConfig {
    /// NER's search radius in hops (Rig's default is 20; 0 is longest-dimension-first).
    pub ner_radius: u32,
    /// The most routing entries a chip may hold.
    pub table_capacity: usize,
}

impl MapConfig {
    /// Rig's NER radius of 20 and the 1023 entries of a SpiNNaker-1 router.
    pub const SPINNAKER1: MapConfig = MapConfig {
        ner_radius: 20,
        table_capacity: SPINNAKER1_TABLE_CAPACITY,
    };
}

/// Everything [`map`] produced, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub placements: Placements,
    pub keys: KeyAllocation,
    /// Indexed by partition id.
    pub trees: Vec<RoutingTree>,
    /// The tables as generated from the trees.
    pub unminimised: EntryTables,
    /// The tables to load, in priority order.
    pub tables: RoutingTables,
    pub check: CheckSummary,
}

impl Mapping {
    /// Per chip that routes anything: (entries before minimisation, entries after).
    pub fn table_sizes(&self) -> BTreeMap<ChipCoord, (usize, usize)> {
        self.unminimised
            .chips
            .iter()
            .map(|(&chip, table)| (chip, (table.len(), self.tables.entries(chip).len())))
            .collect()
    }
}

/// Places, allocates keys, routes, builds and minimises tables, then checks them.
pub fn map(machine: &Machine, graph: &MachineGraph, cfg: MapConfig) -> Result<Mapping, MapError> {
    let placements = place(machine, graph)?;
    let keys = allocate_keys(graph)?;
    let trees = route(
        machine,
        graph,
        &placements,
        RouteConfig {
            ner_radius: cfg.ner_radius,
        },
    )?;
    let unminimised = build_tables(graph, &placements, &keys, &trees);
    let tables = minimise(
        &unminimised,
        MinimiseConfig {
            table_capacity: cfg.table_capacity,
        },
    )?;
    let check = check(machine, graph, &placements, &keys, &tables)?;
    Ok(Mapping {
        placements,
        keys,
        trees,
        unminimised,
        tables,
        check,
    })
}
