//! `spinn-toolchain`: maps a machine graph onto a SpiNNaker-1 machine (`spec/mapping.md`).
//!
//! The pipeline, each stage a plain function that [`map`] runs in order:
//!
//! 1. [`place()`]: vertices to (chip, core), breadth-first on both sides (§4.2);
//! 2. [`allocate_keys`]: an aligned power-of-two key block per partition (§3);
//! 3. [`route()`]: a NER multicast tree per partition, repaired onto live links (§5.1);
//! 4. [`build_tables`]: one entry per partition per chip its tree visits (§5.4);
//! 5. [`minimise()`]: default-route removal, then disjoint merging and ordered covering where a
//!    table is too big (§6);
//! 6. [`check()`]: follows every key through the final tables and proves it reaches exactly its
//!    targets (§7).
//!
//! [`map`] runs steps 3–5 fused ([`route_tables`], [`Routed::kept_tables`], [`minimise_kept`])
//! with the same results, so that a machine of hundreds of millions of tree nodes never holds
//! all trees and unminimised tables in full.
//!
//! The crate is pure: no IO, no clock, no randomness, and no hash-map order reaching any
//! output, so the same machine, graph and config always give the same mapping.
//! Callers that want stage timings call the stage functions themselves, as the
//! `toolchain_speed` example does.

pub mod check;
pub mod compact;
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
pub use compact::CompactTrees;
pub use error::{
    CheckError, GraphError, KeyError, MapError, MemoryRegion, MinimiseError, PlaceError, RouteError,
};
pub use graph::{
    MachineGraph, Partition, PartitionId, Resources, Vertex, VertexId, MAX_KEYS_PER_PARTITION,
};
pub use keys::{allocate_keys, KeyAllocation, KeyBlock};
pub use minimise::{
    minimise, minimise_kept, minimise_table, MinimiseConfig, SPINNAKER1_TABLE_CAPACITY,
};
pub use place::{place, Placement, Placements, DTCM_BYTES, SDRAM_BYTES};
pub use route::{route, route_tables, RouteConfig, Routed, RoutingTree, TreeNode};
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
///
/// The trees are kept compactly and the unminimised tables only as their sizes (on a large
/// machine, both whole would need many gigabytes); [`Mapping::trees`] and
/// [`Mapping::unminimised`] rebuild them on request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub placements: Placements,
    pub keys: KeyAllocation,
    trees: CompactTrees,
    /// Per chip that routes anything, in chip order: the size of its unminimised table.
    unminimised_sizes: Vec<(ChipCoord, usize)>,
    /// The tables to load, in priority order.
    pub tables: RoutingTables,
    pub check: CheckSummary,
}

impl Mapping {
    /// The routing trees, indexed by partition id (rebuilt from the compact form).
    pub fn trees(&self) -> Vec<RoutingTree> {
        self.trees.to_trees()
    }

    /// The routing trees in their compact form.
    pub fn compact_trees(&self) -> &CompactTrees {
        &self.trees
    }

    /// The tables as generated from the trees (rebuilt on request).
    pub fn unminimised(&self) -> EntryTables {
        self.trees.unminimised(&self.keys)
    }

    /// The number of chip-to-chip hops of all trees together.
    pub fn n_hops(&self) -> usize {
        self.trees.n_hops()
    }

    /// Per chip that routes anything: (entries before minimisation, entries after).
    pub fn table_sizes(&self) -> BTreeMap<ChipCoord, (usize, usize)> {
        self.unminimised_sizes
            .iter()
            .map(|&(chip, n)| (chip, (n, self.tables.entries(chip).len())))
            .collect()
    }
}

/// Places, allocates keys, routes, builds and minimises tables, then checks them.
///
/// Routing and table building run fused ([`route_tables`]): trees are stored compactly as
/// they are built and only the entries default routing cannot replace are collected, so a
/// table is rebuilt whole only where it is still too big after default-route removal
/// ([`minimise_kept`]). The result is that of running [`route()`], [`build_tables`] and
/// [`minimise()`] in turn.
pub fn map(machine: &Machine, graph: &MachineGraph, cfg: MapConfig) -> Result<Mapping, MapError> {
    let placements = place(machine, graph)?;
    let keys = allocate_keys(graph)?;
    let mut routed = route_tables(
        machine,
        graph,
        &placements,
        &keys,
        RouteConfig {
            ner_radius: cfg.ner_radius,
        },
    )?;
    let kept = routed.kept_tables();
    let tables = minimise_kept(
        &kept,
        &routed.trees,
        &keys,
        MinimiseConfig {
            table_capacity: cfg.table_capacity,
        },
    )?;
    drop(kept);
    let check = check(machine, graph, &placements, &keys, &tables)?;
    let unminimised_sizes = routed.unminimised_sizes().collect();
    Ok(Mapping {
        placements,
        keys,
        trees: routed.trees,
        unminimised_sizes,
        tables,
        check,
    })
}
