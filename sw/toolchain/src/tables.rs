//! Routing tables from routing trees: one entry per partition per chip its tree visits
//! (`spec/mapping.md` §5.4), and the final per-chip tables in priority order.
//!
//! Each generated entry remembers where its packets come from (a link, or the source core), so
//! the minimiser can tell which entries default routing would handle anyway: exactly one source,
//! a link, and a route of exactly the opposite link (packets going straight through).

use crate::graph::MachineGraph;
use crate::keys::KeyAllocation;
use crate::place::Placements;
use crate::route::RoutingTree;
use crate::ternary::Pattern;
use spinn_arch::{ChipCoord, EntryError, InputPort, McEntry, McTable, RouteSet};
use std::collections::BTreeMap;

/// A routing entry before minimisation, with the port its packets arrive on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutingEntry {
    pub key: u32,
    pub mask: u32,
    pub route: RouteSet,
    /// Where the packets enter the router: a link, or at the source chip the sending core.
    pub source: InputPort,
}

impl RoutingEntry {
    /// Whether the router's default route would do what this entry does: packets arriving on
    /// a link leave by the opposite link and nowhere else.
    pub fn is_defaultable(&self) -> bool {
        match self.source {
            InputPort::Link(link) => self.route == RouteSet::link(link.opposite()),
            InputPort::Core(_) => false,
        }
    }

    pub fn pattern(&self) -> Pattern {
        Pattern::new(self.key, self.mask)
    }

    /// The hardware entry.
    pub fn to_mc_entry(&self) -> McEntry {
        McEntry::new(self.key, self.mask, self.route)
            .expect("invariant: generated keys lie inside their masks")
    }
}

/// The generated (unminimised) tables of every chip that routes anything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryTables {
    pub chips: BTreeMap<ChipCoord, Vec<RoutingEntry>>,
}

impl EntryTables {
    /// The size of the largest table, and its chip (the lowest such chip on ties).
    pub fn largest(&self) -> Option<(ChipCoord, usize)> {
        largest(self.chips.iter().map(|(c, t)| (*c, t.len())))
    }

    pub fn n_entries(&self) -> usize {
        self.chips.values().map(Vec::len).sum()
    }
}

/// Loadable routing tables: per chip, hardware entries in priority order (first match wins).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoutingTables {
    pub chips: BTreeMap<ChipCoord, Vec<McEntry>>,
}

impl RoutingTables {
    /// The entries of `chip`, empty if it routes nothing.
    pub fn entries(&self, chip: ChipCoord) -> &[McEntry] {
        self.chips.get(&chip).map_or(&[], Vec::as_slice)
    }

    /// The size of the largest table, and its chip (the lowest such chip on ties).
    pub fn largest(&self) -> Option<(ChipCoord, usize)> {
        largest(self.chips.iter().map(|(c, t)| (*c, t.len())))
    }

    pub fn n_entries(&self) -> usize {
        self.chips.values().map(Vec::len).sum()
    }

    /// The table of `chip` as a router's table of `capacity` entries, the unused ones cleared.
    pub fn mc_table(&self, chip: ChipCoord, capacity: usize) -> Result<McTable, EntryError> {
        let mut table = McTable::new(capacity);
        for (idx, entry) in self.entries(chip).iter().enumerate() {
            table.set(idx, *entry)?;
        }
        Ok(table)
    }
}

fn largest(sizes: impl Iterator<Item = (ChipCoord, usize)>) -> Option<(ChipCoord, usize)> {
    sizes.fold(None, |best, (chip, n)| match best {
        Some((_, b)) if b >= n => best,
        _ => Some((chip, n)),
    })
}

/// One entry per partition per chip of its tree, each table sorted by key.
///
/// `trees` and `keys` are indexed by partition id, as [`crate::route()`] and
/// [`crate::allocate_keys`] return them.
///
/// # Panics
///
/// If a partition has no key block or its source no placement: the earlier stages give every
/// partition and vertex one.
pub fn build_tables(
    graph: &MachineGraph,
    placements: &Placements,
    keys: &KeyAllocation,
    trees: &[RoutingTree],
) -> EntryTables {
    // Entries are gathered per chip by the box position of the chip (a flat array, not a map
    // lookup per tree node), in partition order, then moved into the map in chip order.
    let width = trees
        .iter()
        .flat_map(|t| t.nodes())
        .map(|(chip, _)| usize::from(chip.x) + 1)
        .max()
        .unwrap_or(0);
    let height = trees
        .iter()
        .flat_map(|t| t.nodes())
        .map(|(chip, _)| usize::from(chip.y) + 1)
        .max()
        .unwrap_or(0);
    let slot = |chip: ChipCoord| usize::from(chip.x) * height + usize::from(chip.y);
    let mut counts = vec![0usize; width * height];
    for tree in trees {
        for (chip, _) in tree.nodes() {
            counts[slot(chip)] += 1;
        }
    }
    let mut by_slot: Vec<Vec<RoutingEntry>> = counts.into_iter().map(Vec::with_capacity).collect();
    for ((id, partition), tree) in graph.partitions().zip(trees) {
        let block = keys
            .get(id)
            .expect("invariant: every partition has a key block");
        let source_core = placements
            .get(partition.source)
            .expect("invariant: every vertex is placed")
            .core;
        for (chip, node) in tree.nodes() {
            by_slot[slot(chip)].push(RoutingEntry {
                key: block.base,
                mask: block.mask,
                route: node.route,
                source: node
                    .arrival
                    .map_or(InputPort::Core(source_core), InputPort::Link),
            });
        }
    }
    // Slots run x-major, which is chip order.
    let mut chips: BTreeMap<ChipCoord, Vec<RoutingEntry>> = BTreeMap::new();
    for (s, mut table) in by_slot.into_iter().enumerate() {
        if table.is_empty() {
            continue;
        }
        table.sort_by_key(|e| (e.key, e.mask));
        let chip = ChipCoord::new(
            u16::try_from(s / height).expect("invariant: x came from a u16"),
            u16::try_from(s % height).expect("invariant: y came from a u16"),
        );
        chips.insert(chip, table);
    }
    EntryTables { chips }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Partition, Resources, Vertex};
    use crate::keys::allocate_keys;
    use crate::place::place;
    use crate::route::{route, RouteConfig};
    use spinn_arch::{CoreId, LinkDir, Machine, OutputPort, Wrap};

    fn c(x: u16, y: u16) -> ChipCoord {
        ChipCoord::new(x, y)
    }

    #[test]
    fn defaultable_means_straight_through_from_a_link() {
        let entry = |source, route| RoutingEntry {
            key: 0,
            mask: 0,
            route,
            source,
        };
        let east = RouteSet::link(LinkDir::E);
        assert!(entry(InputPort::Link(LinkDir::W), east).is_defaultable());
        assert!(!entry(InputPort::Link(LinkDir::SW), east).is_defaultable());
        let core = CoreId::new(1).expect("valid core");
        assert!(!entry(InputPort::Core(core), east).is_defaultable());
        let with_core = east.with(OutputPort::Core(core));
        assert!(!entry(InputPort::Link(LinkDir::W), with_core).is_defaultable());
    }

    #[test]
    fn a_straight_route_gives_one_entry_per_chip_with_its_arrival_link() {
        // Four chips in a row; the source on (0, 0) sends to a vertex on (3, 0).
        let machine = Machine::torus(4, 1, Wrap::NONE).unwrap();
        let mut graph = MachineGraph::new();
        let res = Resources {
            dtcm_bytes: 0,
            sdram_bytes: 0,
        };
        let src = graph.add_vertex(Vertex {
            name: "src".to_string(),
            resources: res,
            chip: Some(c(0, 0)),
        });
        let dst = graph.add_vertex(Vertex {
            name: "dst".to_string(),
            resources: res,
            chip: Some(c(3, 0)),
        });
        graph
            .add_partition(Partition {
                source: src,
                name: "out".to_string(),
                n_keys: 5,
                targets: vec![dst],
            })
            .expect("valid partition");
        let placements = place(&machine, &graph).expect("fits");
        let keys = allocate_keys(&graph).expect("fits");
        let trees = route(&machine, &graph, &placements, RouteConfig::RIG).expect("routes");
        let tables = build_tables(&graph, &placements, &keys, &trees);
        assert_eq!(tables.n_entries(), 4);
        let core1 = CoreId::new(1).expect("valid core");
        let only = |x| tables.chips[&c(x, 0)][0];
        assert_eq!(
            only(0),
            RoutingEntry {
                key: 0,
                mask: 0xffff_fff8,
                route: RouteSet::link(LinkDir::E),
                source: InputPort::Core(core1)
            }
        );
        assert!(only(1).is_defaultable() && only(2).is_defaultable());
        assert_eq!(only(3).route, RouteSet::core(core1));
        assert_eq!(only(3).source, InputPort::Link(LinkDir::W));
        assert_eq!(tables.largest(), Some((c(0, 0), 1)));
    }
}
