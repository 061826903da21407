//! Routing trees stored compactly, for the fused routing stage of [`crate::map`]
//! ([`crate::route_tables`]), and the unminimised tables rebuilt from them.
//!
//! On a large machine there are hundreds of millions of tree nodes, most of them packets going
//! straight through a chip. Kept as [`RoutingTree`]s (12 bytes a node) and as unminimised
//! tables (16 bytes an entry) they would not fit in memory, so `map` instead keeps each tree
//! as its nodes in depth-first order, one byte for a node that sends on one link only and four
//! for the rest: the chips follow from the root and the links, the arrival from the link the
//! parent sent on. The entries default routing cannot replace are collected as the trees are
//! built; the whole unminimised tables are rebuilt from the trees only where they are needed
//! (a table too big after default-route removal, or on request).

use crate::keys::KeyAllocation;
use crate::parallel::map_chunks;
use crate::route::{RoutingTree, TreeNode};
use crate::tables::{EntryTables, RoutingEntry};
use spinn_arch::{ChipCoord, CoreId, InputPort, LinkDir, Machine, OutputPort, RouteSet, Wrap};
use std::collections::BTreeMap;

/// Marks a node byte that sends on one link only, the link in the low bits.
const ONE_LINK: u8 = 0x80;
/// Marks a node written in full: the route's bits follow in three bytes, least significant
/// first.
const FULL: u8 = 0x40;

/// One partition's tree in a [`CompactTrees`] chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TreeHead {
    root: ChipCoord,
    /// The core the partition's packets leave, for the root's entry.
    source_core: CoreId,
    /// Where the tree's bytes end in the chunk.
    end: u32,
    n_nodes: u32,
}

/// A run of consecutive partitions' trees.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct TreeChunk {
    heads: Vec<TreeHead>,
    bytes: Vec<u8>,
}

impl TreeChunk {
    /// Appends `tree`, whose packets leave core `source_core` of its root, calling `visit` on
    /// every node in the order written.
    pub(crate) fn push<T: TreeView>(
        &mut self,
        tree: &T,
        source_core: CoreId,
        stack: &mut Vec<(T::Node, Option<LinkDir>)>,
        mut visit: impl FnMut(ChipCoord, TreeNode),
    ) {
        stack.clear();
        stack.push((tree.root(), None));
        let mut n_nodes = 0u32;
        while let Some((mut node, mut arrival)) = stack.pop() {
            let mut route = tree.route(node);
            let mut bits = route.bits();
            // Runs of one-link nodes (most of a tree) are followed without the stack: the one
            // child would be pushed and popped straight away.
            while bits & !0x3f == 0 && bits.count_ones() == 1 {
                self.bytes.push(ONE_LINK | bits.trailing_zeros() as u8);
                n_nodes += 1;
                visit(tree.chip(node), TreeNode { arrival, route });
                let link = LinkDir::from_index(bits.trailing_zeros() as usize)
                    .expect("invariant: link bits are 0-5");
                node = tree.child(node, link);
                arrival = Some(link.opposite());
                route = tree.route(node);
                bits = route.bits();
            }
            let links = bits & 0x3f;
            debug_assert!(bits < 1 << 24, "a route has 6 link and 18 core bits");
            self.bytes.push(FULL);
            self.bytes.extend_from_slice(&bits.to_le_bytes()[..3]);
            n_nodes += 1;
            visit(tree.chip(node), TreeNode { arrival, route });
            // Children pop in link order, as `walk` reads them back.
            let mut rest = links;
            while rest != 0 {
                let i = 31 - rest.leading_zeros();
                rest &= !(1 << i);
                let link = LinkDir::from_index(i as usize).expect("invariant: link bits are 0-5");
                stack.push((tree.child(node, link), Some(link.opposite())));
            }
        }
        self.heads.push(TreeHead {
            root: tree.chip(tree.root()),
            source_core,
            end: u32::try_from(self.bytes.len()).expect("a chunk's trees fit in 4 GB"),
            n_nodes,
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.heads.len()
    }

    /// Calls `visit` on every node of tree `i` of the chunk, in the order written.
    fn walk(
        &self,
        geometry: &Geometry,
        i: usize,
        stack: &mut Vec<(ChipCoord, Option<LinkDir>)>,
        mut visit: impl FnMut(ChipCoord, TreeNode),
    ) {
        let head = self.heads[i];
        let start = if i == 0 {
            0
        } else {
            self.heads[i - 1].end as usize
        };
        let mut bytes = self.bytes[start..head.end as usize].iter();
        let mut next = || {
            *bytes
                .next()
                .expect("invariant: a tree's bytes hold all its nodes")
        };
        stack.clear();
        stack.push((head.root, None));
        while let Some((mut chip, mut arrival)) = stack.pop() {
            let mut tag = next();
            // Runs of one-link nodes (most of a tree) are followed without the stack.
            while tag & ONE_LINK != 0 {
                let link = LinkDir::from_index(usize::from(tag & 0x7))
                    .expect("invariant: one-link bytes hold a link");
                visit(
                    chip,
                    TreeNode {
                        arrival,
                        route: RouteSet::link(link),
                    },
                );
                chip = geometry.step(chip, link);
                arrival = Some(link.opposite());
                tag = next();
            }
            let route = RouteSet::from_bits(u32::from_le_bytes([next(), next(), next(), 0]));
            visit(chip, TreeNode { arrival, route });
            push_children(geometry, chip, route, stack);
        }
    }
}

/// A tree being stored: its nodes, what each routes to and the child each link leads to.
pub(crate) trait TreeView {
    type Node: Copy;
    fn root(&self) -> Self::Node;
    fn chip(&self, node: Self::Node) -> ChipCoord;
    fn route(&self, node: Self::Node) -> RouteSet;
    /// The child `node` sends to over `link`, which its route holds.
    fn child(&self, node: Self::Node, link: LinkDir) -> Self::Node;
}

/// A [`RoutingTree`] as a [`TreeView`], children found by their chips.
pub(crate) struct ByChip<'a> {
    pub(crate) tree: &'a RoutingTree,
    pub(crate) geometry: &'a Geometry,
}

impl TreeView for ByChip<'_> {
    type Node = ChipCoord;

    fn root(&self) -> ChipCoord {
        self.tree.root()
    }

    fn chip(&self, node: ChipCoord) -> ChipCoord {
        node
    }

    fn route(&self, node: ChipCoord) -> RouteSet {
        self.tree
            .node(node)
            .expect("invariant: tree links lead to tree chips")
            .route
    }

    fn child(&self, node: ChipCoord, link: LinkDir) -> ChipCoord {
        self.geometry.step(node, link)
    }
}

/// Pushes `chip`'s children so they pop in link order, each with the link it arrives on.
fn push_children(
    geometry: &Geometry,
    chip: ChipCoord,
    route: RouteSet,
    stack: &mut Vec<(ChipCoord, Option<LinkDir>)>,
) {
    for link in LinkDir::ALL.into_iter().rev() {
        if route.contains(OutputPort::Link(link)) {
            stack.push((geometry.step(chip, link), Some(link.opposite())));
        }
    }
}

/// The machine's box and wrap, enough to walk a tree's links (every hop of a finished tree is
/// a live link, so the geometric step is the chip it reaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    width: u16,
    height: u16,
    wrap: Wrap,
}

impl Geometry {
    pub(crate) fn of(machine: &Machine) -> Geometry {
        Geometry {
            width: machine.width(),
            height: machine.height(),
            wrap: machine.wrap(),
        }
    }

    /// The chip one `link` step from `chip` on the box (wrapping where it wraps).
    pub(crate) fn step(&self, chip: ChipCoord, link: LinkDir) -> ChipCoord {
        let (dx, dy) = link.delta();
        let axis = |v: u16, d: i32, size: u16, wraps: bool| {
            u16::try_from(crate::geometry::axis_step(v, d, i32::from(size), wraps))
                .expect("invariant: tree hops stay inside the box")
        };
        ChipCoord::new(
            axis(chip.x, dx, self.width, self.wrap.horizontal),
            axis(chip.y, dy, self.height, self.wrap.vertical),
        )
    }

    /// The box position of `chip`, x-major, so slot order is chip order.
    pub(crate) fn slot(&self, chip: ChipCoord) -> usize {
        usize::from(chip.x) * usize::from(self.height) + usize::from(chip.y)
    }

    pub(crate) fn n_slots(&self) -> usize {
        usize::from(self.width) * usize::from(self.height)
    }

    pub(crate) fn chip_of_slot(&self, slot: usize) -> ChipCoord {
        let height = usize::from(self.height);
        ChipCoord::new(
            u16::try_from(slot / height).expect("invariant: x came from a u16"),
            u16::try_from(slot % height).expect("invariant: y came from a u16"),
        )
    }
}

/// Every partition's routing tree, indexed by partition id, in a compact form: see the
/// module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactTrees {
    geometry: Geometry,
    /// Consecutive runs of trees, as the routing stage's chunks built them.
    chunks: Vec<TreeChunk>,
}

impl CompactTrees {
    pub(crate) fn new(geometry: Geometry, chunks: Vec<TreeChunk>) -> CompactTrees {
        CompactTrees { geometry, chunks }
    }

    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The number of trees (partitions).
    pub fn len(&self) -> usize {
        self.chunks.iter().map(TreeChunk::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of chip-to-chip hops of all trees together.
    pub fn n_hops(&self) -> usize {
        self.chunks
            .iter()
            .flat_map(|c| &c.heads)
            .map(|h| h.n_nodes as usize - 1)
            .sum()
    }

    /// The trees as [`RoutingTree`]s, indexed by partition id.
    pub fn to_trees(&self) -> Vec<RoutingTree> {
        let mut stack = Vec::new();
        let mut out = Vec::with_capacity(self.len());
        for chunk in &self.chunks {
            for i in 0..chunk.len() {
                let mut nodes = BTreeMap::new();
                chunk.walk(&self.geometry, i, &mut stack, |chip, node| {
                    nodes.insert(chip, node);
                });
                out.push(RoutingTree::new(chunk.heads[i].root, nodes));
            }
        }
        out
    }

    /// Calls `visit` with every entry of the unminimised tables, in partition order, with
    /// its chip's box slot; `keys` must be the allocation the trees were routed for.
    pub(crate) fn for_each_entry(
        &self,
        chunk: usize,
        keys: &KeyAllocation,
        first_partition: usize,
        wanted: impl Fn(usize) -> bool,
        mut visit: impl FnMut(usize, RoutingEntry),
    ) {
        let mut stack = Vec::new();
        let c = &self.chunks[chunk];
        for i in 0..c.len() {
            let id = crate::graph::PartitionId(
                u32::try_from(first_partition + i).expect("partition ids fit in u32"),
            );
            let block = keys
                .get(id)
                .expect("invariant: every partition has a key block");
            let core = c.heads[i].source_core;
            c.walk(&self.geometry, i, &mut stack, |chip, node| {
                let slot = self.geometry.slot(chip);
                if wanted(slot) {
                    visit(slot, entry(block.base, block.mask, core, node));
                }
            });
        }
    }

    /// The whole unminimised tables of `chips` (others are left out), as
    /// [`crate::build_tables`] makes them.
    pub fn tables_of(
        &self,
        chips: &[ChipCoord],
        keys: &KeyAllocation,
    ) -> BTreeMap<ChipCoord, Vec<RoutingEntry>> {
        if chips.is_empty() {
            return BTreeMap::new();
        }
        let mut wanted = vec![false; self.geometry.n_slots()];
        for &chip in chips {
            wanted[self.geometry.slot(chip)] = true;
        }
        let mut firsts = Vec::with_capacity(self.chunks.len());
        let mut first = 0;
        for chunk in &self.chunks {
            firsts.push(first);
            first += chunk.len();
        }
        let found = map_chunks(self.chunks.len(), 1, |range| {
            let mut out = Vec::new();
            for chunk in range {
                self.for_each_entry(
                    chunk,
                    keys,
                    firsts[chunk],
                    |slot| wanted[slot],
                    |slot, e| out.push((slot, e)),
                );
            }
            out
        });
        let mut tables: BTreeMap<ChipCoord, Vec<RoutingEntry>> = BTreeMap::new();
        // Chunks in order, so each table is in partition order before the stable sort.
        for (slot, e) in found.into_iter().flatten() {
            tables
                .entry(self.geometry.chip_of_slot(slot))
                .or_default()
                .push(e);
        }
        for table in tables.values_mut() {
            table.sort_by_key(|e| (e.key, e.mask));
        }
        tables
    }

    /// The tables generated from the trees, as [`crate::build_tables`] makes them.
    pub fn unminimised(&self, keys: &KeyAllocation) -> EntryTables {
        let mut by_slot: BTreeMap<usize, Vec<RoutingEntry>> = BTreeMap::new();
        let mut first = 0;
        for chunk in 0..self.chunks.len() {
            self.for_each_entry(
                chunk,
                keys,
                first,
                |_| true,
                |slot, e| by_slot.entry(slot).or_default().push(e),
            );
            first += self.chunks[chunk].len();
        }
        EntryTables {
            chips: by_slot
                .into_iter()
                .map(|(slot, mut table)| {
                    table.sort_by_key(|e| (e.key, e.mask));
                    (self.geometry.chip_of_slot(slot), table)
                })
                .collect(),
        }
    }
}

/// The entry a tree node needs, as [`crate::build_tables`] writes it.
pub(crate) fn entry(key: u32, mask: u32, source_core: CoreId, node: TreeNode) -> RoutingEntry {
    RoutingEntry {
        key,
        mask,
        route: node.route,
        source: node
            .arrival
            .map_or(InputPort::Core(source_core), InputPort::Link),
    }
}
