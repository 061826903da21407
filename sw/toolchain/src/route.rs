//! Multicast routing trees: Rig's neighbour-exploring router (NER), then a repair that steers
//! every hop onto live links (`spec/mapping.md` §5.1).
//!
//! NER adds the sinks closest to the source first; each new sink is joined by a
//! longest-dimension-first path from the nearest chip already in the tree within `ner_radius`
//! hops of it (the source if there is none), cut short at the last chip of the path that is
//! already in the tree.
//! Radius 0 is therefore plain longest-dimension-first routing from the source.
//!
//! NER works on the geometry alone, so its tree may cross dead links or dead and absent chips.
//! The repair, like Rig's `avoid_dead_links`, cuts the tree at every such hop, dissolving dead
//! chips, and reattaches each cut-off part that still holds a sink along a path found by
//! breadth-first search over live links from the part's root to the nearest chip of the rooted
//! tree. Unlike Rig's greedy search this finds a shortest such path.
//! Path chips that already belong to a cut-off part are moved onto the path, which keeps the
//! result a tree; branches left without a sink are pruned at the end.

use crate::compact::{entry, ByChip, CompactTrees, Geometry, TreeChunk, TreeView};
use crate::error::RouteError;
#[cfg(test)]
use crate::geometry::{ldf_path, ring};
use crate::geometry::{ldf_path_into, shortest_vector, vector_length};
use crate::graph::MachineGraph;
use crate::keys::KeyAllocation;
use crate::parallel::{map_chunks, map_chunks_with};
use crate::place::Placements;
use crate::tables::{EntryTables, RoutingEntry};
use spinn_arch::{ChipCoord, LinkDir, Machine, OutputPort, RouteSet};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Mutex;

/// How routing trees are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteConfig {
    /// How far (in hops) from a new sink NER looks for a chip already in the tree to branch
    /// from; 0 routes every sink straight from the source.
    pub ner_radius: u32,
}

impl RouteConfig {
    /// Rig's default radius of 20.
    pub const RIG: RouteConfig = RouteConfig { ner_radius: 20 };
}

/// What one chip of a routing tree does with the partition's packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeNode {
    /// The link the packets arrive on, or `None` at the source chip, where a core sends them.
    pub arrival: Option<LinkDir>,
    /// Where the chip sends them: links to child chips and the cores of local targets.
    pub route: RouteSet,
}

/// The multicast tree of one partition: every chip it visits, once.
///
/// The nodes are one array sorted by chip, so a tree is a single allocation of 12 bytes per
/// chip (millions of trees are built on a large machine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingTree {
    root: ChipCoord,
    nodes: Vec<(ChipCoord, TreeNode)>,
}

impl RoutingTree {
    /// The first way the tree breaks its invariants on `machine`, given the cores `sinks`
    /// must reach on each chip, described; `None` if it keeps them all: the root has no arrival
    /// link, every hop is a live link whose far end records the matching arrival, every node
    /// is reached from the root exactly once, each node delivers to exactly its sink's cores,
    /// and no node is a dead end.
    pub fn violation(
        &self,
        machine: &Machine,
        sinks: &BTreeMap<ChipCoord, RouteSet>,
    ) -> Option<String> {
        if self.node(self.root).map(|n| n.arrival) != Some(None) {
            return Some(format!("the root {} has an arrival link", self.root));
        }
        let mut reached = vec![self.root];
        let mut i = 0;
        while i < reached.len() {
            let chip = reached[i];
            let node = self.node(chip)?;
            for port in node.route.iter() {
                let OutputPort::Link(link) = port else {
                    continue;
                };
                let Some(far) = machine.neighbour(chip, link) else {
                    return Some(format!("{chip} sends over dead or absent link {link}"));
                };
                if self.node(far).map(|n| n.arrival) != Some(Some(link.opposite())) {
                    return Some(format!("{far} does not record arriving from {chip}"));
                }
                reached.push(far);
            }
            i += 1;
        }
        let distinct: BTreeSet<ChipCoord> = reached.iter().copied().collect();
        if distinct.len() != reached.len() {
            return Some("a chip is reached twice".to_string());
        }
        if reached.len() != self.n_chips() {
            return Some("a node is not reached from the root".to_string());
        }
        for (chip, node) in self.nodes() {
            let cores = RouteSet::from_bits(node.route.bits() & !0x3f);
            if cores != sinks.get(&chip).copied().unwrap_or_default() {
                return Some(format!("{chip} delivers to the wrong cores"));
            }
            if node.route.is_empty() {
                return Some(format!("{chip} is a dead end"));
            }
        }
        None
    }

    /// A tree from its nodes, for callers that build trees by hand; `nodes` must hold `root`.
    pub fn new(root: ChipCoord, nodes: BTreeMap<ChipCoord, TreeNode>) -> RoutingTree {
        debug_assert!(nodes.contains_key(&root), "the root must be a node");
        RoutingTree {
            root,
            nodes: nodes.into_iter().collect(),
        }
    }

    /// The source chip.
    pub fn root(&self) -> ChipCoord {
        self.root
    }

    pub fn node(&self, chip: ChipCoord) -> Option<&TreeNode> {
        self.nodes
            .binary_search_by_key(&chip, |n| n.0)
            .ok()
            .map(|i| &self.nodes[i].1)
    }

    /// The chips of the tree and what each does, in coordinate order.
    pub fn nodes(&self) -> impl Iterator<Item = (ChipCoord, &TreeNode)> + '_ {
        self.nodes.iter().map(|(c, n)| (*c, n))
    }

    /// The number of chips the tree visits (and so of routing entries it needs).
    pub fn n_chips(&self) -> usize {
        self.nodes.len()
    }

    /// The number of chip-to-chip hops.
    pub fn n_hops(&self) -> usize {
        self.nodes.len() - 1
    }
}

/// Builds the routing tree of every partition of `graph`, indexed by partition id.
///
/// Trees are independent, so they are built on all cores; the trees and the error reported
/// (the first in partition order) are those of a run on one thread.
pub fn route(
    machine: &Machine,
    graph: &MachineGraph,
    placements: &Placements,
    cfg: RouteConfig,
) -> Result<Vec<RoutingTree>, RouteError> {
    let placed = |v| {
        placements.get(v).ok_or_else(|| RouteError::Unplaced {
            vertex: graph.vertex(v).name.clone(),
        })
    };
    let partitions: Vec<_> = graph.partitions().collect();
    let live = live_links(machine);
    let init = || NerScratch::new(machine, &live);
    // Each tree starts afresh in the scratch, so what earlier chunks left does not matter.
    let (chunks, _) = map_chunks_with(partitions.len(), ROUTE_CHUNK, init, |scratch, range| {
        partitions[range]
            .iter()
            .map(|&(id, partition)| {
                let source = placed(partition.source)?.chip;
                let mut sinks: BTreeMap<ChipCoord, RouteSet> = BTreeMap::new();
                for &target in &partition.targets {
                    let at = placed(target)?;
                    let cores = sinks.entry(at.chip).or_default();
                    *cores = cores.with(OutputPort::Core(at.core));
                }
                ner_tree_with(machine, source, &sinks, cfg.ner_radius, scratch).map_err(|to| {
                    RouteError::Unreachable {
                        partition: graph.partition_label(id),
                        from: source,
                        to,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()
    });
    let mut trees = Vec::with_capacity(partitions.len());
    for chunk in chunks {
        trees.extend(chunk?);
    }
    Ok(trees)
}

/// Partitions per unit of parallel work.
const ROUTE_CHUNK: usize = 256;

/// What the fused routing stage of [`crate::map`] produces: every tree, compactly, the size of
/// every chip's unminimised table, and the entries of those tables that default routing cannot
/// replace (the only ones a table that fits after default-route removal keeps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub trees: CompactTrees,
    /// Per box slot (x-major, so chip order), the number of unminimised entries.
    sizes: Vec<u32>,
    /// Per chunk of partitions, the entries that are not defaultable with their box slots,
    /// in partition order.
    kept: Vec<Vec<(u32, RoutingEntry)>>,
}

impl Routed {
    /// Per chip that routes anything, the size of its unminimised table, in chip order.
    pub fn unminimised_sizes(&self) -> impl Iterator<Item = (ChipCoord, usize)> + '_ {
        let geometry = *self.trees.geometry();
        self.sizes
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(move |(slot, &n)| (geometry.chip_of_slot(slot), n as usize))
    }

    /// The unminimised entries that default routing cannot replace, per chip, each table
    /// sorted by key as [`crate::build_tables`] sorts it: the tables default-route removal
    /// leaves when key blocks are disjoint. Each call after the first finds none.
    pub fn kept_tables(&mut self) -> EntryTables {
        let geometry = *self.trees.geometry();
        let mut counts = vec![0u32; geometry.n_slots()];
        for &(slot, _) in self.kept.iter().flatten() {
            counts[slot as usize] += 1;
        }
        let mut by_slot: Vec<Vec<RoutingEntry>> = counts
            .iter()
            .map(|&n| Vec::with_capacity(n as usize))
            .collect();
        // Chunk by chunk, so the chunks' memory goes as the tables fill.
        for chunk in std::mem::take(&mut self.kept) {
            for (slot, e) in chunk {
                by_slot[slot as usize].push(e);
            }
        }
        // Each slot's table is taken out once, by the thread sorting it.
        let by_slot: Vec<Mutex<Vec<RoutingEntry>>> = by_slot.into_iter().map(Mutex::new).collect();
        let sorted = map_chunks(by_slot.len(), 1024, |range| {
            let mut out = Vec::new();
            for slot in range {
                let mut table = std::mem::take(
                    &mut *by_slot[slot]
                        .lock()
                        .expect("invariant: no thread panics holding the lock"),
                );
                if !table.is_empty() {
                    table.sort_by_key(|e| (e.key, e.mask));
                    out.push((geometry.chip_of_slot(slot), table));
                }
            }
            out
        });
        EntryTables {
            chips: sorted.into_iter().flatten().collect(),
        }
    }
}

/// Routes every partition and, in the same pass, records what its tree needs in the tables:
/// [`route()`] and [`crate::build_tables`] fused, without holding either's full output.
///
/// The trees are those [`route()`] builds and the error is the one it reports.
///
/// # Panics
///
/// If a partition has no key block: [`crate::allocate_keys`] gives every partition one.
pub fn route_tables(
    machine: &Machine,
    graph: &MachineGraph,
    placements: &Placements,
    keys: &KeyAllocation,
    cfg: RouteConfig,
) -> Result<Routed, RouteError> {
    let placed = |v| {
        placements.get(v).ok_or_else(|| RouteError::Unplaced {
            vertex: graph.vertex(v).name.clone(),
        })
    };
    let geometry = Geometry::of(machine);
    let live = live_links(machine);
    let partitions: Vec<_> = graph.partitions().collect();
    let init = || {
        (
            NerScratch::new(machine, &live),
            Vec::new(),
            Vec::new(),
            vec![0u32; geometry.n_slots()],
        )
    };
    let (chunks, scratches) = map_chunks_with(partitions.len(), ROUTE_CHUNK, init, |s, range| {
        // Each tree starts afresh in the scratch, so what earlier chunks left does not matter;
        // the entry counts are summed over threads, whichever chunks each computed.
        let (scratch, stack, chip_stack, sizes) = s;
        let mut trees = TreeChunk::default();
        let mut kept = Vec::new();
        for &(id, partition) in &partitions[range] {
            let source = placed(partition.source)?;
            let mut sinks: BTreeMap<ChipCoord, RouteSet> = BTreeMap::new();
            for &target in &partition.targets {
                let at = placed(target)?;
                let cores = sinks.entry(at.chip).or_default();
                *cores = cores.with(OutputPort::Core(at.core));
            }
            let block = keys
                .get(id)
                .expect("invariant: every partition has a key block");
            let visit = |chip: ChipCoord, node: TreeNode| {
                let slot = geometry.slot(chip);
                sizes[slot] += 1;
                let e = entry(block.base, block.mask, source.core, node);
                if !e.is_defaultable() {
                    kept.push((slot as u32, e));
                }
            };
            scratch.grow(machine, source.chip, sinks.keys().copied(), cfg.ner_radius);
            if !scratch.has_broken_hops() {
                scratch.add_sink_cores(&sinks);
                let view = ByPosition {
                    nodes: &scratch.nodes,
                    routes: &scratch.links,
                    children: &scratch.children,
                };
                trees.push(&view, source.core, stack, visit);
            } else {
                // Rare (dead links or chips on the way): repair on the general, map-based form.
                let mut work = scratch.to_work();
                repair(machine, &mut work, source.chip, &sinks).map_err(|to| {
                    RouteError::Unreachable {
                        partition: graph.partition_label(id),
                        from: source.chip,
                        to,
                    }
                })?;
                let tree = tree_of_work(&work, source.chip, &sinks);
                let view = ByChip {
                    tree: &tree,
                    geometry: &geometry,
                };
                trees.push(&view, source.core, chip_stack, visit);
            }
        }
        Ok::<_, RouteError>((trees, kept))
    });
    let mut tree_chunks = Vec::with_capacity(chunks.len());
    let mut kept = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let (trees, entries) = chunk?;
        tree_chunks.push(trees);
        kept.push(entries);
    }
    let mut sizes = vec![0u32; geometry.n_slots()];
    for (.., thread_sizes) in scratches {
        for (total, n) in sizes.iter_mut().zip(thread_sizes) {
            *total += n;
        }
    }
    Ok(Routed {
        trees: CompactTrees::new(geometry, tree_chunks),
        sizes,
        kept,
    })
}

/// A chip of a tree under construction.
#[derive(Debug, Clone)]
struct WorkNode {
    /// The parent chip and the link it sends on to reach this chip.
    parent: Option<(ChipCoord, LinkDir)>,
    children: Vec<ChipCoord>,
}

type Work = BTreeMap<ChipCoord, WorkNode>;

/// The NER tree from `source` to the chips of `sinks`, each delivering to the cores given, over
/// live links only; `Err` names a sink chip no live path reaches.
pub fn ner_tree(
    machine: &Machine,
    source: ChipCoord,
    sinks: &BTreeMap<ChipCoord, RouteSet>,
    radius: u32,
) -> Result<RoutingTree, ChipCoord> {
    let live = live_links(machine);
    ner_tree_with(
        machine,
        source,
        sinks,
        radius,
        &mut NerScratch::new(machine, &live),
    )
}

/// [`ner_tree`] with working memory reused from tree to tree.
fn ner_tree_with(
    machine: &Machine,
    source: ChipCoord,
    sinks: &BTreeMap<ChipCoord, RouteSet>,
    radius: u32,
    scratch: &mut NerScratch,
) -> Result<RoutingTree, ChipCoord> {
    scratch.grow(machine, source, sinks.keys().copied(), radius);
    if !scratch.has_broken_hops() {
        return Ok(scratch.tree(source, sinks));
    }
    // Rare (dead links or chips on the way): repair on the general, map-based form.
    let mut work = scratch.to_work();
    repair(machine, &mut work, source, sinks)?;
    Ok(tree_of_work(&work, source, sinks))
}

/// The finished tree of a (repaired) map-based work tree.
fn tree_of_work(
    work: &Work,
    source: ChipCoord,
    sinks: &BTreeMap<ChipCoord, RouteSet>,
) -> RoutingTree {
    let nodes = work
        .iter()
        .map(|(&chip, node)| {
            let links = node.children.iter().fold(RouteSet::EMPTY, |acc, child| {
                let (_, link) = work[child]
                    .parent
                    .expect("invariant: children have parents");
                acc.with(OutputPort::Link(link))
            });
            let cores = sinks.get(&chip).copied().unwrap_or_default();
            (
                chip,
                TreeNode {
                    arrival: node.parent.map(|(_, link)| link.opposite()),
                    route: links.union(cores),
                },
            )
        })
        .collect();
    RoutingTree {
        root: source,
        nodes,
    }
}

/// A tree under construction by geometric NER, as a flat list of chips with an O(1)
/// membership test by box position, reused from tree to tree.
struct NerScratch<'a> {
    /// The chips in the order they joined the tree, each with its parent's position in this
    /// list and the link the parent sends on.
    nodes: Vec<(ChipCoord, Option<(u32, LinkDir)>)>,
    /// Per box slot `x * height + y`: the stamp of the tree holding the chip and its position
    /// in `nodes`.
    slots: Vec<(u32, u32)>,
    height: usize,
    /// Identifies the tree being built, so `slots` never needs clearing.
    stamp: u32,
    /// The sinks by distance from the source.
    order: Vec<(u32, ChipCoord)>,
    /// The path being added.
    path: Vec<(LinkDir, ChipCoord)>,
    geo: BoxGeometry,
    /// Per box slot, the machine's [`live_links`].
    live: &'a [u8],
    /// Per cell (x-major), the stamp of the tree and the latest of its nodes in the cell.
    cell_heads: Vec<(u32, u32)>,
    n_cells_y: usize,
    /// Per node, the previous node of the same cell, or [`NO_NODE`].
    cell_next: Vec<u32>,
    /// Per node, the links it sends on to its children.
    links: Vec<RouteSet>,
    /// Per node, its children's positions by link ([`NO_NODE`] for none).
    children: Vec<[u32; 6]>,
    /// Whether some hop lands on a dead or absent chip or crosses a dead link.
    broken: bool,
    /// Whether every chip of the box is live and every link between them too.
    perfect: bool,
}

/// Per box slot `x * height + y`, a bit per link (by link index) that is live and joins two
/// live chips: exactly the hops [`Machine::neighbour`] allows.
fn live_links(machine: &Machine) -> Vec<u8> {
    let mut out = Vec::with_capacity(usize::from(machine.width()) * usize::from(machine.height()));
    for x in 0..machine.width() {
        for y in 0..machine.height() {
            let chip = ChipCoord::new(x, y);
            out.push(LinkDir::ALL.into_iter().fold(0u8, |bits, link| {
                if machine.neighbour(chip, link).is_some() {
                    bits | 1 << link.index()
                } else {
                    bits
                }
            }));
        }
    }
    out
}

/// Whether every chip of `machine`'s box is live and so is every link the geometry has
/// between them (`live` being its [`live_links`]).
fn is_perfect(machine: &Machine, live: &[u8]) -> bool {
    let height = usize::from(machine.height());
    machine.n_chips() == usize::from(machine.width()) * height
        && (0..machine.width()).all(|x| {
            (0..machine.height()).all(|y| {
                let chip = ChipCoord::new(x, y);
                LinkDir::ALL.into_iter().all(|link| {
                    machine.step(chip, link).is_none()
                        || live[usize::from(x) * height + usize::from(y)] & (1 << link.index()) != 0
                })
            })
        })
}

/// One axis of the machine's box: its size and whether it wraps.
#[derive(Debug, Clone, Copy)]
struct Axis {
    size: i32,
    wraps: bool,
}

impl Axis {
    /// The coordinate `v` lands on, wrapped where the axis wraps, or `None` off its end.
    fn wrap(self, v: i32) -> Option<i32> {
        if (0..self.size).contains(&v) {
            Some(v)
        } else if self.wraps {
            Some(v.rem_euclid(self.size))
        } else {
            None
        }
    }

    /// The smallest magnitude of the candidate offsets for `direct`.
    fn nearest_offset(self, direct: i32) -> i32 {
        let d = direct.abs();
        if self.wraps {
            d.min(self.size - d)
        } else {
            d
        }
    }

    /// The candidate offsets from `from` to `to` (`direct = to - from`), as
    /// [`Machine::hop_distance`] takes them: the direct one and, on a wrapping axis, the one
    /// going round the other way.
    fn offsets(self, direct: i32) -> [Option<i32>; 2] {
        if self.wraps {
            let forward = if direct < 0 {
                direct + self.size
            } else {
                direct
            };
            [Some(forward), Some(forward - self.size)]
        } else {
            [Some(direct), None]
        }
    }
}

/// A tree grown in a [`NerScratch`], its nodes by joining position.
struct ByPosition<'a> {
    nodes: &'a [(ChipCoord, Option<(u32, LinkDir)>)],
    routes: &'a [RouteSet],
    children: &'a [[u32; 6]],
}

impl TreeView for ByPosition<'_> {
    type Node = u32;

    fn root(&self) -> u32 {
        0
    }

    fn chip(&self, node: u32) -> ChipCoord {
        self.nodes[node as usize].0
    }

    fn route(&self, node: u32) -> RouteSet {
        self.routes[node as usize]
    }

    fn child(&self, node: u32, link: LinkDir) -> u32 {
        self.children[node as usize][link.index()]
    }
}

/// Tree chips are also listed by square cells of `1 << CELL_SHIFT` chips a side, so the
/// nearest one to a sink is found among the few cells its radius reaches.
const CELL_SHIFT: u32 = 4;

/// The end of a cell's list of nodes.
const NO_NODE: u32 = u32::MAX;

/// The distinct cells along `axis` holding a coordinate within `r` of `centre` (wrapped
/// where the axis wraps), and how many there are.
///
/// An axis has at most [`spinn_arch::MAX_AXIS_CHIPS`] (256) chips, so at most 16 cells.
fn cells_near(axis: Axis, centre: i32, r: i32) -> ([i32; 16], usize) {
    const _: () = assert!(spinn_arch::MAX_AXIS_CHIPS >> CELL_SHIFT <= 16);
    let mut out = [0; 16];
    let mut n = 0;
    let mut add = |lo: i32, hi: i32| {
        for c in lo >> CELL_SHIFT..=hi >> CELL_SHIFT {
            if !out[..n].contains(&c) {
                out[n] = c;
                n += 1;
            }
        }
    };
    let (lo, hi) = (centre - r, centre + r);
    if !axis.wraps {
        add(lo.max(0), hi.min(axis.size - 1));
    } else if hi - lo + 1 >= axis.size {
        add(0, axis.size - 1);
    } else if lo < 0 {
        add(0, hi);
        add(lo + axis.size, axis.size - 1);
    } else if hi >= axis.size {
        add(lo, axis.size - 1);
        add(0, hi - axis.size);
    } else {
        add(lo, hi);
    }
    (out, n)
}

/// The machine's box, for distances without the general arithmetic of [`Machine`].
#[derive(Debug, Clone, Copy)]
struct BoxGeometry {
    x: Axis,
    y: Axis,
}

impl BoxGeometry {
    fn of(machine: &Machine) -> BoxGeometry {
        BoxGeometry {
            x: Axis {
                size: i32::from(machine.width()),
                wraps: machine.wrap().horizontal,
            },
            y: Axis {
                size: i32::from(machine.height()),
                wraps: machine.wrap().vertical,
            },
        }
    }

    /// [`Machine::hop_distance`].
    fn hop_distance(self, a: ChipCoord, b: ChipCoord) -> u32 {
        let dxs = self.x.offsets(i32::from(b.x) - i32::from(a.x));
        let dys = self.y.offsets(i32::from(b.y) - i32::from(a.y));
        let mut best = u32::MAX;
        for dx in dxs.into_iter().flatten() {
            for dy in dys.into_iter().flatten() {
                best = best.min(vector_length(dx, dy));
            }
        }
        best
    }
}

impl<'a> NerScratch<'a> {
    /// Working memory for trees on `machine`, whose [`live_links`] are `live`.
    fn new(machine: &Machine, live: &'a [u8]) -> NerScratch<'a> {
        let height = usize::from(machine.height());
        let n_cells_x = (usize::from(machine.width()) >> CELL_SHIFT) + 1;
        let n_cells_y = (height >> CELL_SHIFT) + 1;
        NerScratch {
            nodes: Vec::new(),
            slots: vec![(0, 0); usize::from(machine.width()) * height],
            height,
            stamp: 0,
            order: Vec::new(),
            path: Vec::new(),
            geo: BoxGeometry::of(machine),
            live,
            cell_heads: vec![(0, 0); n_cells_x * n_cells_y],
            n_cells_y,
            cell_next: Vec::new(),
            links: Vec::new(),
            children: Vec::new(),
            broken: false,
            perfect: is_perfect(machine, live),
        }
    }

    fn position(&self, chip: ChipCoord) -> Option<u32> {
        let (stamp, pos) = self.slots[usize::from(chip.x) * self.height + usize::from(chip.y)];
        (stamp == self.stamp).then_some(pos)
    }

    fn insert(&mut self, chip: ChipCoord, parent: Option<(u32, LinkDir)>) -> u32 {
        let pos = self.nodes.len() as u32;
        self.slots[usize::from(chip.x) * self.height + usize::from(chip.y)] = (self.stamp, pos);
        self.nodes.push((chip, parent));
        // What the finished tree needs of the new hop, recorded now rather than in passes
        // over the nodes afterwards.
        self.links.push(RouteSet::EMPTY);
        self.children.push([NO_NODE; 6]);
        if let Some((p, link)) = parent {
            // On a machine without dead links or chips every geometric hop is live.
            if !self.perfect {
                let from = self.nodes[p as usize].0;
                if self.live[usize::from(from.x) * self.height + usize::from(from.y)]
                    & (1 << link.index())
                    == 0
                {
                    self.broken = true;
                }
            }
            self.links[p as usize] = self.links[p as usize].with(OutputPort::Link(link));
            self.children[p as usize][link.index()] = pos;
        }
        let cell = self.cell_of(
            i32::from(chip.x) >> CELL_SHIFT,
            i32::from(chip.y) >> CELL_SHIFT,
        );
        let (stamp, head) = self.cell_heads[cell];
        self.cell_next
            .push(if stamp == self.stamp { head } else { NO_NODE });
        self.cell_heads[cell] = (self.stamp, pos);
        pos
    }

    fn cell_of(&self, cx: i32, cy: i32) -> usize {
        cx as usize * self.n_cells_y + cy as usize
    }

    /// The nearest tree chips to `sink` within `radius` hops as `(distance, chip)`, the least
    /// first: only nodes in the cells the radius reaches are looked at, since a node within it
    /// is within `radius` along each axis. With `any`, stops at the first one found.
    fn nearest_by_cells(
        &self,
        sink: ChipCoord,
        radius: u32,
        any: bool,
    ) -> Option<(u32, ChipCoord)> {
        let r = radius as i32;
        let (xs, n_xs) = cells_near(self.geo.x, i32::from(sink.x), r);
        let (ys, n_ys) = cells_near(self.geo.y, i32::from(sink.y), r);
        let mut best: Option<(u32, ChipCoord)> = None;
        for &cx in &xs[..n_xs] {
            for &cy in &ys[..n_ys] {
                let (stamp, mut at) = self.cell_heads[self.cell_of(cx, cy)];
                if stamp != self.stamp {
                    continue;
                }
                while at != NO_NODE {
                    let chip = self.nodes[at as usize].0;
                    at = self.cell_next[at as usize];
                    // A hop moves each coordinate by at most one, so a chip further than the
                    // radius along either axis is out of reach; most in the cells are.
                    let ax = self
                        .geo
                        .x
                        .nearest_offset(i32::from(sink.x) - i32::from(chip.x));
                    let ay = self
                        .geo
                        .y
                        .nearest_offset(i32::from(sink.y) - i32::from(chip.y));
                    if ax > r || ay > r {
                        continue;
                    }
                    let d = self.geo.hop_distance(chip, sink);
                    if d <= radius && best.is_none_or(|b| (d, chip) < b) {
                        best = Some((d, chip));
                        if any {
                            return best;
                        }
                    }
                }
            }
        }
        best
    }

    /// NER over the machine's geometry, ignoring dead links and dead or absent chips: the
    /// same tree as [`geometric_ner`] builds.
    fn grow(
        &mut self,
        machine: &Machine,
        source: ChipCoord,
        sinks: impl Iterator<Item = ChipCoord>,
        radius: u32,
    ) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            // Stamps wrapped round: forget every earlier tree.
            self.slots.fill((0, 0));
            self.cell_heads.fill((0, 0));
            self.stamp = 1;
        }
        self.nodes.clear();
        self.cell_next.clear();
        self.links.clear();
        self.children.clear();
        self.broken = false;
        self.insert(source, None);
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(
            sinks
                .filter(|&s| s != source)
                .map(|s| (machine.hop_distance(source, s), s)),
        );
        order.sort_unstable();
        for &(_, sink) in &order {
            if self.position(sink).is_some() {
                continue;
            }
            let near = self.nearest(sink, radius).unwrap_or(source);
            let mut path = std::mem::take(&mut self.path);
            ldf_path_into(
                machine,
                near,
                shortest_vector(machine, near, sink),
                &mut path,
            );
            // Branch from the last chip of the path already in the tree, so no chip is added
            // twice.
            let start = path
                .iter()
                .rposition(|(_, chip)| self.position(*chip).is_some())
                .map_or(0, |i| i + 1);
            let from_chip = if start == 0 { near } else { path[start - 1].1 };
            let mut from = self
                .position(from_chip)
                .expect("invariant: the path grows from a tree chip");
            for &(link, chip) in &path[start..] {
                from = self.insert(chip, Some((from, link)));
            }
            self.path = path;
        }
        self.order = order;
    }

    /// The tree chip closest to `sink` within `radius` hops, if any, chosen as
    /// [`nearest_in_tree`] chooses it.
    fn nearest(&self, sink: ChipCoord, radius: u32) -> Option<ChipCoord> {
        if radius == 0 {
            return None;
        }
        let n_ring_chips = 3 * u64::from(radius) * (u64::from(radius) + 1) + 1;
        if n_ring_chips < self.nodes.len() as u64 {
            // The rings find nothing when no tree chip is within the radius, which the cells
            // tell at less cost.
            self.nearest_by_cells(sink, radius, true)?;
            (1..=radius).find_map(|k| self.first_on_ring(sink, k))
        } else {
            // The map-based scan visits chips in coordinate order and keeps the first of the
            // nearest, so ties go to the lowest chip: the least (distance, chip).
            self.nearest_by_cells(sink, radius, false)
                .map(|(_, chip)| chip)
        }
    }

    /// The first chip of [`ring`]`(sink, k)`, in its order, that is in the tree; walked
    /// without building the ring.
    fn first_on_ring(&self, sink: ChipCoord, k: u32) -> Option<ChipCoord> {
        let k = k as i32;
        let (ex, ey) = LinkDir::E.delta();
        let (mut x, mut y) = (i32::from(sink.x) + k * ex, i32::from(sink.y) + k * ey);
        for corner in LinkDir::ALL {
            let (sx, sy) = corner.rotate(2).delta();
            for _ in 0..k {
                if let (Some(wx), Some(wy)) = (self.geo.x.wrap(x), self.geo.y.wrap(y)) {
                    let chip = ChipCoord::new(wx as u16, wy as u16);
                    if self.position(chip).is_some() {
                        return Some(chip);
                    }
                }
                x += sx;
                y += sy;
            }
        }
        None
    }

    /// Whether some hop lands on a dead or absent chip or crosses a dead link.
    fn has_broken_hops(&self) -> bool {
        self.broken
    }

    /// Adds the sinks' cores to the nodes' links: then `links` holds, per node in joining
    /// order, what the finished tree's chip sends to.
    fn add_sink_cores(&mut self, sinks: &BTreeMap<ChipCoord, RouteSet>) {
        for (&chip, &cores) in sinks {
            let pos = self
                .position(chip)
                .expect("invariant: every sink is in the tree");
            self.links[pos as usize] = self.links[pos as usize].union(cores);
        }
    }

    /// The finished tree: each chip sends to its children's links and its sink's cores.
    fn tree(&self, source: ChipCoord, sinks: &BTreeMap<ChipCoord, RouteSet>) -> RoutingTree {
        let mut routes: Vec<RouteSet> = vec![RouteSet::EMPTY; self.nodes.len()];
        for &(_, parent) in &self.nodes {
            if let Some((p, link)) = parent {
                routes[p as usize] = routes[p as usize].with(OutputPort::Link(link));
            }
        }
        let mut nodes: Vec<(ChipCoord, TreeNode)> = self
            .nodes
            .iter()
            .zip(routes)
            .map(|(&(chip, parent), links)| {
                let cores = sinks.get(&chip).copied().unwrap_or_default();
                (
                    chip,
                    TreeNode {
                        arrival: parent.map(|(_, link)| link.opposite()),
                        route: links.union(cores),
                    },
                )
            })
            .collect();
        nodes.sort_unstable_by_key(|n| n.0);
        RoutingTree {
            root: source,
            nodes,
        }
    }

    /// The tree as the map-based work tree the repair works on, children in joining order.
    fn to_work(&self) -> Work {
        let mut work = Work::new();
        for &(chip, parent) in &self.nodes {
            let parent = parent.map(|(p, link)| (self.nodes[p as usize].0, link));
            work.insert(
                chip,
                WorkNode {
                    parent,
                    children: Vec::new(),
                },
            );
            if let Some((p, _)) = parent {
                work.get_mut(&p)
                    .expect("invariant: parents join first")
                    .children
                    .push(chip);
            }
        }
        work
    }
}

/// NER over the machine's geometry, ignoring dead links and dead or absent chips, on the
/// map-based work tree: the reference [`NerScratch::grow`] is tested against.
#[cfg(test)]
fn geometric_ner(
    machine: &Machine,
    source: ChipCoord,
    sinks: impl Iterator<Item = ChipCoord>,
    radius: u32,
) -> Work {
    let mut work = Work::new();
    work.insert(
        source,
        WorkNode {
            parent: None,
            children: Vec::new(),
        },
    );
    let mut order: Vec<(u32, ChipCoord)> = sinks
        .filter(|&s| s != source)
        .map(|s| (machine.hop_distance(source, s), s))
        .collect();
    order.sort_unstable();
    for (_, sink) in order {
        if work.contains_key(&sink) {
            continue;
        }
        let near = nearest_in_tree(machine, &work, sink, radius).unwrap_or(source);
        let path = ldf_path(machine, near, shortest_vector(machine, near, sink));
        // Branch from the last chip of the path already in the tree, so no chip is added twice.
        let start = path
            .iter()
            .rposition(|(_, chip)| work.contains_key(chip))
            .map_or(0, |i| i + 1);
        let mut from = if start == 0 { near } else { path[start - 1].1 };
        for &(link, chip) in &path[start..] {
            work.insert(
                chip,
                WorkNode {
                    parent: Some((from, link)),
                    children: Vec::new(),
                },
            );
            work.get_mut(&from)
                .expect("invariant: the path grows from a tree chip")
                .children
                .push(chip);
            from = chip;
        }
    }
    work
}

/// The tree chip closest to `sink` within `radius` hops, if any.
///
/// Walking concentric rings out from the sink costs up to 3r(r+1)+1 probes, scanning the tree
/// costs one distance per node; like Rig, take whichever is smaller.
#[cfg(test)]
fn nearest_in_tree(
    machine: &Machine,
    work: &Work,
    sink: ChipCoord,
    radius: u32,
) -> Option<ChipCoord> {
    if radius == 0 {
        return None;
    }
    let n_ring_chips = 3 * u64::from(radius) * (u64::from(radius) + 1) + 1;
    if n_ring_chips < work.len() as u64 {
        (1..=radius).find_map(|k| {
            ring(machine, sink, k)
                .into_iter()
                .find(|chip| work.contains_key(chip))
        })
    } else {
        let mut best: Option<(u32, ChipCoord)> = None;
        for &chip in work.keys() {
            let d = machine.hop_distance(chip, sink);
            if d <= radius && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, chip));
            }
        }
        best.map(|(_, chip)| chip)
    }
}

/// The chips reachable from `start` through children, in breadth-first order.
fn subtree(work: &Work, start: ChipCoord) -> Vec<ChipCoord> {
    let mut out = vec![start];
    let mut i = 0;
    while i < out.len() {
        out.extend(work[&out[i]].children.iter().copied());
        i += 1;
    }
    out
}

/// Cuts `work` at every broken hop, reattaches the cut-off parts that hold sinks over live
/// links, then drops what is left unattached and every branch that ends without a sink.
fn repair(
    machine: &Machine,
    work: &mut Work,
    root: ChipCoord,
    sinks: &BTreeMap<ChipCoord, RouteSet>,
) -> Result<(), ChipCoord> {
    // Cut, in breadth-first order so the parts are reattached nearest the root first.
    let mut orphans = Vec::new();
    for chip in subtree(work, root) {
        let Some((parent, link)) = work[&chip].parent else {
            continue;
        };
        let live = machine.contains(chip);
        if live && machine.neighbour(parent, link) == Some(chip) {
            continue;
        }
        if let Some(p) = work.get_mut(&parent) {
            p.children.retain(|&c| c != chip);
        }
        work.get_mut(&chip)
            .expect("invariant: listed chips are nodes")
            .parent = None;
        // A dead chip's children keep it as their parent, so they are cut in turn when this
        // loop reaches them; the dead chip itself is dropped below.
        if live {
            orphans.push(chip);
        }
    }
    work.retain(|&chip, _| machine.contains(chip));

    let mut attached: BTreeSet<ChipCoord> = subtree(work, root).into_iter().collect();
    for orphan in orphans {
        if attached.contains(&orphan) {
            continue;
        }
        let part = subtree(work, orphan);
        let Some(&first_sink) = part.iter().find(|c| sinks.contains_key(c)) else {
            continue;
        };
        let hops = path_to_tree(machine, orphan, &attached).ok_or(first_sink)?;
        // The hops run from the orphan to an attached chip; hang them from that end, moving
        // any chip that already sits in a cut-off part.
        for i in (0..hops.len()).rev() {
            let child = if i == 0 { orphan } else { hops[i - 1].1 };
            let (link_in, parent) = hops[i];
            // The search walked from child to parent over `link_in`; packets go the other way.
            let link = link_in.opposite();
            if let Some((old_parent, _)) = work.get(&child).and_then(|n| n.parent) {
                work.get_mut(&old_parent)
                    .expect("invariant: parents are nodes")
                    .children
                    .retain(|&c| c != child);
            }
            work.entry(child)
                .or_insert_with(|| WorkNode {
                    parent: None,
                    children: Vec::new(),
                })
                .parent = Some((parent, link));
            work.get_mut(&parent)
                .expect("invariant: the path is hung from its attached end first")
                .children
                .push(child);
        }
        attached = subtree(work, root).into_iter().collect();
    }
    work.retain(|chip, _| attached.contains(chip));
    prune(work, root, sinks);
    Ok(())
}

/// A shortest path over live links from `from` to the nearest chip of `attached`, as the hops
/// (link taken, chip reached) after `from`; `from` itself must not be attached.
fn path_to_tree(
    machine: &Machine,
    from: ChipCoord,
    attached: &BTreeSet<ChipCoord>,
) -> Option<Vec<(LinkDir, ChipCoord)>> {
    let mut came_by: BTreeMap<ChipCoord, (LinkDir, ChipCoord)> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = BTreeSet::from([from]);
    while let Some(chip) = queue.pop_front() {
        if attached.contains(&chip) {
            let mut hops = Vec::new();
            let mut at = chip;
            while at != from {
                let (link, prev) = came_by[&at];
                hops.push((link, at));
                at = prev;
            }
            hops.reverse();
            return Some(hops);
        }
        for (link, far) in machine.links(chip) {
            if seen.insert(far) {
                came_by.insert(far, (link, chip));
                queue.push_back(far);
            }
        }
    }
    None
}

/// Removes, repeatedly, every leaf other than the root that holds no sink.
fn prune(work: &mut Work, root: ChipCoord, sinks: &BTreeMap<ChipCoord, RouteSet>) {
    let mut leaves: Vec<ChipCoord> = work
        .iter()
        .filter(|(chip, node)| {
            node.children.is_empty() && **chip != root && !sinks.contains_key(chip)
        })
        .map(|(chip, _)| *chip)
        .collect();
    while let Some(leaf) = leaves.pop() {
        let node = work.remove(&leaf).expect("invariant: leaves are nodes");
        let (parent, _) = node.parent.expect("invariant: only the root has no parent");
        let p = work.get_mut(&parent).expect("invariant: parents are nodes");
        p.children.retain(|&c| c != leaf);
        if p.children.is_empty() && parent != root && !sinks.contains_key(&parent) {
            leaves.push(parent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spinn_arch::{CoreId, Wrap};

    fn c(x: u16, y: u16) -> ChipCoord {
        ChipCoord::new(x, y)
    }

    fn sinks(chips: &[(u16, u16)]) -> BTreeMap<ChipCoord, RouteSet> {
        let core = CoreId::new(1).expect("valid core");
        chips
            .iter()
            .map(|&(x, y)| (c(x, y), RouteSet::core(core)))
            .collect()
    }

    fn assert_valid(machine: &Machine, tree: &RoutingTree, sinks: &BTreeMap<ChipCoord, RouteSet>) {
        assert_eq!(tree.violation(machine, sinks), None);
    }

    #[test]
    fn broken_trees_are_described() {
        let machine = Machine::torus(3, 3, spinn_arch::Wrap::BOTH).expect("a torus");
        let core = RouteSet::core(spinn_arch::CoreId::new(1).expect("a core"));
        let node = |arrival, route| TreeNode { arrival, route };
        let tree = |nodes: Vec<(ChipCoord, TreeNode)>| {
            RoutingTree::new(c(0, 0), nodes.into_iter().collect())
        };
        let sinks = BTreeMap::from([(c(1, 0), core)]);
        let good = tree(vec![
            (c(0, 0), node(None, RouteSet::link(LinkDir::E))),
            (c(1, 0), node(Some(LinkDir::W), core)),
        ]);
        assert_eq!(good.violation(&machine, &sinks), None);
        let wrong_arrival = tree(vec![
            (c(0, 0), node(None, RouteSet::link(LinkDir::E))),
            (c(1, 0), node(Some(LinkDir::N), core)),
        ]);
        assert_eq!(
            wrong_arrival.violation(&machine, &sinks).as_deref(),
            Some("(1, 0) does not record arriving from (0, 0)")
        );
        let wrong_cores = tree(vec![
            (c(0, 0), node(None, RouteSet::link(LinkDir::E).union(core))),
            (c(1, 0), node(Some(LinkDir::W), core)),
        ]);
        assert_eq!(
            wrong_cores.violation(&machine, &sinks).as_deref(),
            Some("(0, 0) delivers to the wrong cores")
        );
        let dead = machine
            .clone()
            .with_dead_link(c(0, 0), LinkDir::E)
            .expect("a live link");
        assert_eq!(
            good.violation(&dead, &sinks).as_deref(),
            Some("(0, 0) sends over dead or absent link E")
        );
    }

    #[test]
    fn ner_branches_from_the_nearest_tree_chip_and_radius_zero_from_the_source() {
        let machine = Machine::torus(10, 10, Wrap::NONE).unwrap();
        let sinks = sinks(&[(5, 0), (5, 3)]);
        // (5, 0) is closer, so it goes first: five hops east. (5, 3) is then three hops from
        // each of (2, 0)..(5, 0); the lowest, (2, 0), wins the tie and three NE hops join it.
        let ner = ner_tree(&machine, c(0, 0), &sinks, 20).expect("routes");
        assert_valid(&machine, &ner, &sinks);
        assert_eq!(ner.n_hops(), 8);
        let east_and_ne = RouteSet::link(LinkDir::E).with(OutputPort::Link(LinkDir::NE));
        assert_eq!(ner.node(c(2, 0)).map(|n| n.route), Some(east_and_ne));
        // Radius 0 routes (5, 3) from the source: three NE hops, then two E.
        let ldf = ner_tree(&machine, c(0, 0), &sinks, 0).expect("routes");
        assert_valid(&machine, &ldf, &sinks);
        assert_eq!(ldf.n_hops(), 10);
        assert_eq!(ldf.node(c(0, 0)).map(|n| n.route), Some(east_and_ne));
        assert!(ldf.node(c(3, 3)).is_some());
    }

    #[test]
    fn a_wrapped_route_uses_the_short_way_round() {
        let machine = Machine::torus(8, 8, Wrap::BOTH).unwrap();
        let sinks = sinks(&[(7, 7), (6, 0)]);
        let tree = ner_tree(&machine, c(0, 0), &sinks, 20).expect("routes");
        assert_valid(&machine, &tree, &sinks);
        assert_eq!(tree.n_hops(), 3);
        assert_eq!(
            tree.node(c(0, 0)).map(|n| n.route),
            Some(RouteSet::link(LinkDir::SW).with(OutputPort::Link(LinkDir::W)))
        );
    }

    #[test]
    fn a_dead_link_is_routed_around() {
        let machine = Machine::torus(4, 4, Wrap::NONE)
            .unwrap()
            .with_dead_link(c(1, 0), LinkDir::E)
            .unwrap();
        let sinks = sinks(&[(3, 0)]);
        let tree = ner_tree(&machine, c(0, 0), &sinks, 20).expect("routes");
        assert_valid(&machine, &tree, &sinks);
        assert_eq!(tree.n_hops(), 4, "as short as the shortest live path");
        assert_eq!(
            tree.node(c(1, 0)).map(|n| n.route),
            Some(RouteSet::link(LinkDir::NE))
        );
    }

    #[test]
    fn a_dead_chip_is_dissolved_and_its_subtree_reattached() {
        let machine = Machine::torus(5, 5, Wrap::NONE)
            .unwrap()
            .with_dead_chip(c(2, 2))
            .unwrap();
        let sinks = sinks(&[(4, 4), (3, 3)]);
        let tree = ner_tree(&machine, c(0, 0), &sinks, 20).expect("routes");
        assert_valid(&machine, &tree, &sinks);
        assert!(tree.node(c(2, 2)).is_none());
        assert_eq!(tree.n_hops(), 5);
        assert_eq!(machine.path_length(c(0, 0), c(4, 4)), Some(5));
    }

    #[test]
    fn a_cut_off_sink_is_unreachable() {
        let machine = Machine::torus(4, 1, Wrap::NONE)
            .unwrap()
            .with_dead_link(c(1, 0), LinkDir::E)
            .unwrap();
        assert_eq!(
            ner_tree(&machine, c(0, 0), &sinks(&[(1, 0), (3, 0)]), 20),
            Err(c(3, 0))
        );
    }

    #[test]
    fn a_sink_on_the_source_chip_needs_no_hops() {
        let machine = Machine::spinn3();
        let sinks = sinks(&[(0, 0)]);
        let tree = ner_tree(&machine, c(0, 0), &sinks, 20).expect("routes");
        assert_eq!(tree.n_chips(), 1);
        assert_eq!(
            tree.node(c(0, 0)).map(|n| n.route),
            sinks.get(&c(0, 0)).copied()
        );
    }

    #[test]
    fn the_flat_ner_builds_the_reference_trees() {
        // Random sink sets on tori and meshes, at radii that take both neighbour searches.
        let mut generator = spinn_model::rng::SplitMix64::new(7);
        let mut rng = move || generator.next_u64() as usize;
        for machine in [
            Machine::torus(24, 24, Wrap::BOTH).unwrap(),
            Machine::torus(13, 9, Wrap::NONE).unwrap(),
            Machine::spinn5(),
            // Several cells of the nearest-chip search along each axis, with and without wrap.
            Machine::torus(100, 70, Wrap::BOTH).unwrap(),
            Machine::torus(70, 45, Wrap::HORIZONTAL).unwrap(),
        ] {
            let chips: Vec<ChipCoord> = machine.chips().collect();
            let live = live_links(&machine);
            let mut scratch = NerScratch::new(&machine, &live);
            for case in 0..200 {
                let source = chips[rng() % chips.len()];
                let n_sinks = 1 + rng() % 40;
                let sinks: BTreeMap<ChipCoord, RouteSet> = (0..n_sinks)
                    .map(|_| {
                        let core = CoreId::new(1 + rng() % 17).expect("valid core");
                        (chips[rng() % chips.len()], RouteSet::core(core))
                    })
                    .collect();
                for radius in [0, 1, 3, 20] {
                    let reference = geometric_ner(&machine, source, sinks.keys().copied(), radius);
                    let want = tree_of_work(&reference, source, &sinks);
                    let got = ner_tree_with(&machine, source, &sinks, radius, &mut scratch)
                        .expect("all chips are live");
                    assert_eq!(got, want, "case {case}, radius {radius} on {machine:?}");
                }
            }
        }
    }
}
