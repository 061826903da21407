//! The machine graph of a planned network: which cores exist, which partitions connect them
//! and how each core indexes each partition's keys.
//!
//! Vertices: the feeder and the live packet gatherer (pinned to the Ethernet chip, (0, 0)),
//! the loss core, and for each group of the [`Plan`] one tile core per tile and one block core
//! per (tile, blocked term, channel range). Partitions, each keyed by sample slot (see
//! [`super::ports`]):
//!
//! | From | To | Carries |
//! |---|---|---|
//! | feeder | every compute core | control: a batch starts (mode, size) |
//! | a tensor's producer (feeder or tile) | the cores that read its elements | values |
//! | feeder | loss core | labels |
//! | block | its tile | partial sums |
//! | tile | its blocked term's blocks | `δz` |
//! | a core that read a tensor | each producer of what it read | `δ` contributions |
//! | output tiles | loss core | output activations |
//! | loss core | each output tile | `δ` |
//! | cores that read the network input, loss core | feeder | credits: a slot is free |
//! | loss core | gatherer | the batch's mean loss |
//! | copies of one kernel (spatial tiles) | the first copy, and back | gradient sums |
//!
//! A producer sends each element of its output once: the elements with the same set of
//! readers form one multicast partition (for a dense layer, the activations an accumulator
//! shares with the next layer's row block; for a convolution, the rows and columns a tile
//! shares with each neighbour's halo). Each weight lives on one core per spatial copy, each
//! activation is multicast once to the cores that need it, and each `δ` goes back only to the
//! core that produced the element: no per-error broadcasts.

use super::plan::{Plan, Producer, TermKind, Tile};
use super::ports::{InPort, InPorts, Mode, OutPort, PortKind};
use crate::graph::{Graph, NodeId};
use crate::model::ModelSpec;
use spinn_arch::ChipCoord;
use spinn_toolchain::{
    GraphError, KeyAllocation, MachineGraph, Partition, PartitionId, Resources, Vertex, VertexId,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What a vertex is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Feeder,
    Gatherer,
    Loss,
    /// Tile `tile` (an index into `Group::tiles`) of group `group`.
    Tile {
        group: usize,
        tile: usize,
    },
    /// The block of blocked term `term` of tile `tile`, holding channel range `channels`.
    Block {
        group: usize,
        tile: usize,
        term: usize,
        channels: usize,
    },
}

/// What an outgoing partition is for, from its sender's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutKind {
    Control,
    /// A tensor's values (the feeder's inputs, a tile's outputs).
    Values,
    Labels,
    Partials,
    /// `δ` contributions for input stream `stream`.
    Contributions,
    /// `δz` to blocked term `stream`'s blocks, or the loss core's `δ` to a tile.
    Deltas,
    Credits,
    Results,
    GradientShare,
    GradientTotal,
}

#[derive(Debug, Clone)]
struct InSpec {
    partition: PartitionId,
    kind: PortKind,
    stream: u32,
    width: u32,
    words: u32,
    dst: Option<Arc<[u32]>>,
}

#[derive(Debug, Clone)]
struct OutSpec {
    partition: PartitionId,
    kind: OutKind,
    stream: u32,
    width: u32,
    words: u32,
    src: Option<Arc<[u32]>>,
}

/// Copies of one kernel slice (or bias range), the first being the root that sums their
/// gradients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reduction {
    pub members: Vec<VertexId>,
    /// Parameters each copy holds.
    pub width: u32,
}

/// Where the network's compute cores go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spread {
    /// Wherever the toolchain's placer puts them (it fills chips nearest (0, 0) first).
    Packed,
    /// Round-robin over these chips, one vertex per chip in turn (to exercise the fabric).
    Chips(Vec<ChipCoord>),
}

/// The graph and how every vertex's partitions are indexed.
#[derive(Debug, Clone)]
pub struct Layout {
    pub graph: MachineGraph,
    pub roles: Vec<Role>,
    pub feeder: VertexId,
    pub gatherer: VertexId,
    pub loss: VertexId,
    /// `[group][tile]`.
    pub tiles: Vec<Vec<VertexId>>,
    /// `[group][tile][term][channel range]` (empty for terms that are not blocked).
    pub blocks: Vec<Vec<Vec<Vec<VertexId>>>>,
    pub reductions: Vec<Reduction>,
    pub slots: u32,
    /// Samples the loss core's recording holds.
    pub record_capacity: u32,
    /// Sums' keys per element in the numeric mode.
    pub sum_keys: u32,
    ins: Vec<Vec<InSpec>>,
    outs: Vec<Vec<OutSpec>>,
    /// Distinct senders into each vertex (for pacing).
    senders: Vec<BTreeSet<u32>>,
    /// The reduction (index, member position) each vertex takes part in.
    member_of: Vec<Option<(usize, usize)>>,
}

/// A tensor's element positions in one core's buffer: sorted flat indices, a core's buffer
/// order.
#[derive(Debug, Clone)]
struct Region {
    vertex: VertexId,
    /// The receiver's stream (readers) or 0 (producers).
    stream: u32,
    indices: Vec<u32>,
    /// Each index's position in the core's buffer (`None`: its rank).
    positions: Option<Vec<u32>>,
    /// Whether this reader sends `δ` contributions back.
    sends_delta: bool,
    /// Its layer's position among the tensor's consumers (see `Term::reader`).
    reader: u32,
}

impl Region {
    /// The buffer position of flat index `flat`, if the region holds it.
    fn rank(&self, flat: u32) -> Option<u32> {
        let rank = self.indices.binary_search(&flat).ok()?;
        Some(self.positions.as_ref().map_or(rank as u32, |p| p[rank]))
    }

    /// The elements a reader receives of its input box `input` (in `grid`): the tapped rows
    /// and columns, `channels` of them, placed at their positions in the box.
    fn tapped(
        vertex: VertexId,
        stream: u32,
        grid: crate::shape::Grid,
        input: &super::plan::GridBox,
        [rows, cols]: [Vec<usize>; 2],
        (sends_delta, reader): (bool, usize),
    ) -> Region {
        let (width, nch) = (input.cols.len(), input.channels.len());
        let mut indices = Vec::with_capacity(rows.len() * cols.len() * nch);
        let mut positions = Vec::with_capacity(indices.capacity());
        for &r in &rows {
            for &c in &cols {
                let local = ((r - input.rows.start) * width + (c - input.cols.start)) * nch;
                for (k, ch) in input.channels.clone().enumerate() {
                    indices.push(grid.index(r, c, ch) as u32);
                    positions.push((local + k) as u32);
                }
            }
        }
        Region {
            vertex,
            stream,
            indices,
            positions: Some(positions),
            sends_delta,
            reader: reader as u32,
        }
    }
}

impl Layout {
    /// The machine graph of `spec` cut as `plan`.
    pub fn new(
        spec: &ModelSpec,
        plan: &Plan,
        sum_keys: u32,
        record_capacity: u32,
        spread: &Spread,
    ) -> Result<Layout, GraphError> {
        let graph = spec.graph();
        let slots = plan.config.slots as u32;
        let mut layout = Layout {
            graph: MachineGraph::new(),
            roles: Vec::new(),
            feeder: VertexId(0),
            gatherer: VertexId(0),
            loss: VertexId(0),
            tiles: Vec::new(),
            blocks: Vec::new(),
            reductions: Vec::new(),
            slots,
            record_capacity,
            sum_keys,
            ins: Vec::new(),
            outs: Vec::new(),
            senders: Vec::new(),
            member_of: Vec::new(),
        };
        let mut next_chip = 0usize;
        let mut place = || match spread {
            Spread::Packed => None,
            Spread::Chips(chips) => {
                let chip = chips[next_chip % chips.len()];
                next_chip += 1;
                Some(chip)
            }
        };
        let ethernet = Some(ChipCoord::new(0, 0));
        let memory = &plan.memory;
        let outputs = spec.outputs();
        layout.feeder = layout.vertex(
            Role::Feeder,
            "dl/feeder".into(),
            memory.feeder().total(),
            0,
            ethernet,
        );
        layout.gatherer = layout.vertex(Role::Gatherer, "dl/gatherer".into(), 1024, 0, ethernet);
        layout.loss = layout.vertex(
            Role::Loss,
            "dl/loss".into(),
            memory.loss(outputs as u64).total(),
            u64::from(record_capacity) * 4 * outputs as u64,
            place(),
        );
        for (g, group) in plan.groups.iter().enumerate() {
            let mut tiles = Vec::new();
            let mut blocks = Vec::new();
            for (t, tile) in group.tiles().iter().enumerate() {
                let dtcm = memory
                    .tile(&group.tile_size(graph, &tile.out, &tile.pre))
                    .total();
                tiles.push(layout.vertex(
                    Role::Tile { group: g, tile: t },
                    format!("dl/{}/tile[s{},f{}]", group.name, tile.spatial, tile.filter),
                    dtcm,
                    0,
                    place(),
                ));
                let mut terms = Vec::new();
                for (term_index, term) in group.terms.iter().enumerate() {
                    let mut ranges = Vec::new();
                    if let TermKind::Blocked { channel_groups } = &term.kind {
                        for (c, channels) in channel_groups.iter().enumerate() {
                            let size = group.block_size(graph, term_index, &tile.pre, channels);
                            ranges.push(layout.vertex(
                                Role::Block {
                                    group: g,
                                    tile: t,
                                    term: term_index,
                                    channels: c,
                                },
                                format!(
                                    "dl/{}/block[s{},f{},t{term_index},c{c}]",
                                    group.name, tile.spatial, tile.filter
                                ),
                                memory.block(&size).total(),
                                0,
                                place(),
                            ));
                        }
                    }
                    terms.push(ranges);
                }
                blocks.push(terms);
            }
            layout.tiles.push(tiles);
            layout.blocks.push(blocks);
        }
        layout.connect(spec, plan)?;
        Ok(layout)
    }

    fn vertex(
        &mut self,
        role: Role,
        name: String,
        dtcm: u64,
        sdram: u64,
        chip: Option<ChipCoord>,
    ) -> VertexId {
        let id = self.graph.add_vertex(Vertex {
            name,
            resources: Resources {
                dtcm_bytes: dtcm.min(u64::from(u32::MAX)) as u32,
                sdram_bytes: sdram,
            },
            chip,
        });
        self.roles.push(role);
        self.ins.push(Vec::new());
        self.outs.push(Vec::new());
        self.senders.push(BTreeSet::new());
        self.member_of.push(None);
        id
    }

    /// Adds a partition of `keys` keys from `source` to `targets`: the sender's `out` port and
    /// one `into` port per target (with its own positions).
    #[allow(clippy::too_many_arguments)]
    fn link(
        &mut self,
        source: VertexId,
        name: String,
        keys: u32,
        out: OutSpecTemplate,
        targets: Vec<(VertexId, InSpecTemplate)>,
    ) -> Result<(), GraphError> {
        let partition = self.graph.add_partition(Partition {
            source,
            name,
            n_keys: keys,
            targets: targets.iter().map(|(v, _)| *v).collect(),
        })?;
        self.outs[source.index()].push(OutSpec {
            partition,
            kind: out.kind,
            stream: out.stream,
            width: out.width,
            words: out.words,
            src: out.src,
        });
        for (target, spec) in targets {
            if spec.kind != PortKind::Control {
                self.senders[target.index()].insert(source.0);
            }
            self.ins[target.index()].push(InSpec {
                partition,
                kind: spec.kind,
                stream: spec.stream,
                width: out.width,
                words: out.words,
                dst: spec.dst,
            });
        }
        Ok(())
    }

    fn connect(&mut self, spec: &ModelSpec, plan: &Plan) -> Result<(), GraphError> {
        let graph = spec.graph();
        let slots = self.slots;
        let sum_keys = self.sum_keys;
        // Control to every compute core.
        let compute: Vec<VertexId> = std::iter::once(self.loss)
            .chain(self.tiles.iter().flatten().copied())
            .chain(self.blocks.iter().flatten().flatten().flatten().copied())
            .collect();
        let control_targets = compute
            .iter()
            .map(|&v| (v, InSpecTemplate::plain(PortKind::Control, 0)))
            .collect();
        self.link(
            self.feeder,
            "control".into(),
            Mode::COUNT,
            OutSpecTemplate::plain(OutKind::Control, 0, Mode::COUNT),
            control_targets,
        )?;
        // Each tensor's producers (pieces) and readers (needs).
        let n = graph.nodes().len();
        let mut pieces: Vec<Vec<Region>> = vec![Vec::new(); n];
        let mut readers: Vec<Vec<Region>> = vec![Vec::new(); n];
        pieces[0].push(Region {
            vertex: self.feeder,
            stream: 0,
            indices: (0..graph.input().shape.len() as u32).collect(),
            positions: None,
            sends_delta: false,
            reader: 0,
        });
        for (g, group) in plan.groups.iter().enumerate() {
            for (t, tile) in group.tiles().iter().enumerate() {
                let vertex = self.tiles[g][t];
                pieces[group.output.0].push(Region {
                    vertex,
                    stream: 0,
                    indices: tile.out.indices(group.out_grid),
                    positions: None,
                    sends_delta: false,
                    reader: 0,
                });
                for (term_index, term) in group.terms.iter().enumerate() {
                    let input = group.input_box(term_index, &tile.pre);
                    match &term.kind {
                        TermKind::Blocked { channel_groups } => {
                            for (c, channels) in channel_groups.iter().enumerate() {
                                readers[term.input.0].push(Region::tapped(
                                    self.blocks[g][t][term_index][c],
                                    0,
                                    term.input_grid,
                                    &input.with_channels(channels.clone()),
                                    group.tapped(term_index, &tile.pre),
                                    (term.sends_delta, term.reader),
                                ));
                            }
                        }
                        _ => readers[term.input.0].push(Region::tapped(
                            vertex,
                            term_index as u32,
                            term.input_grid,
                            &input,
                            group.tapped(term_index, &tile.pre),
                            (term.sends_delta, term.reader),
                        )),
                    }
                }
            }
        }
        for node in 0..n {
            if pieces[node].is_empty() || readers[node].is_empty() {
                continue;
            }
            let name = graph.node(NodeId(node)).name.clone();
            self.values(&name, &pieces[node], &readers[node], slots)?;
            self.contributions(&name, &pieces[node], &readers[node], slots, sum_keys)?;
        }
        self.loss_links(spec, plan, &pieces)?;
        self.block_links(plan, slots, sum_keys)?;
        self.credit_links(&readers[0])?;
        self.reduction_links(spec, plan, sum_keys)?;
        Ok(())
    }

    /// Each producer's elements, grouped by the set of readers that need them.
    fn values(
        &mut self,
        tensor: &str,
        pieces: &[Region],
        readers: &[Region],
        slots: u32,
    ) -> Result<(), GraphError> {
        for piece in pieces {
            // Per element of the piece, the readers that need it.
            let mut needed_by: Vec<Vec<u32>> = vec![Vec::new(); piece.indices.len()];
            for (r, reader) in readers.iter().enumerate() {
                for &flat in &reader.indices {
                    if let Some(rank) = piece.rank(flat) {
                        needed_by[rank as usize].push(r as u32);
                    }
                }
            }
            let mut atoms: BTreeMap<Vec<u32>, Vec<u32>> = BTreeMap::new();
            for (rank, set) in needed_by.into_iter().enumerate() {
                if !set.is_empty() {
                    atoms.entry(set).or_default().push(rank as u32);
                }
            }
            for (set, ranks) in atoms {
                // A partition reaches each core once: a core reading one tensor twice (an
                // add of x with itself) gets one partition per reading.
                let mut remaining = set;
                while !remaining.is_empty() {
                    let mut seen = BTreeSet::new();
                    let (now, later): (Vec<u32>, Vec<u32>) = remaining
                        .iter()
                        .partition(|&&r| seen.insert(readers[r as usize].vertex.0));
                    remaining = later;
                    let width = ranks.len() as u32;
                    let targets = now
                        .iter()
                        .map(|&r| {
                            let reader = &readers[r as usize];
                            let dst: Vec<u32> = ranks
                                .iter()
                                .map(|&rank| {
                                    reader
                                        .rank(piece.indices[rank as usize])
                                        .expect("invariant: the atom's elements are the reader's")
                                })
                                .collect();
                            (
                                reader.vertex,
                                InSpecTemplate {
                                    kind: PortKind::Values,
                                    stream: reader.stream,
                                    dst: Some(Arc::from(dst)),
                                },
                            )
                        })
                        .collect();
                    self.link(
                        piece.vertex,
                        format!("{tensor}[{}]#{}", ranks[0], self.graph.n_partitions()),
                        slots * width,
                        OutSpecTemplate {
                            kind: OutKind::Values,
                            stream: 0,
                            width,
                            words: 1,
                            src: Some(Arc::from(ranks.clone())),
                        },
                        targets,
                    )?;
                }
            }
        }
        Ok(())
    }

    /// `δ` contributions from each reader back to each producer of what it read.
    fn contributions(
        &mut self,
        tensor: &str,
        pieces: &[Region],
        readers: &[Region],
        slots: u32,
        sum_keys: u32,
    ) -> Result<(), GraphError> {
        for reader in readers.iter().filter(|r| r.sends_delta) {
            for piece in pieces {
                let (src, dst): (Vec<u32>, Vec<u32>) = reader
                    .indices
                    .iter()
                    .filter_map(|&flat| {
                        let held = reader
                            .rank(flat)
                            .expect("invariant: a reader holds its indices");
                        piece.rank(flat).map(|p| (held, p))
                    })
                    .unzip();
                if src.is_empty() {
                    continue;
                }
                let width = src.len() as u32;
                self.link(
                    reader.vertex,
                    format!("{tensor}-delta#{}", self.graph.n_partitions()),
                    slots * width * sum_keys,
                    OutSpecTemplate {
                        kind: OutKind::Contributions,
                        stream: reader.stream,
                        width,
                        words: sum_keys,
                        src: Some(Arc::from(src)),
                    },
                    vec![(
                        piece.vertex,
                        InSpecTemplate {
                            kind: PortKind::Contributions,
                            stream: reader.reader,
                            dst: Some(Arc::from(dst)),
                        },
                    )],
                )?;
            }
        }
        Ok(())
    }

    /// Output values to the loss core, its `δ` back, labels from the feeder, results to the
    /// gatherer.
    fn loss_links(
        &mut self,
        spec: &ModelSpec,
        plan: &Plan,
        pieces: &[Vec<Region>],
    ) -> Result<(), GraphError> {
        let graph = spec.graph();
        let slots = self.slots;
        let outputs = spec.outputs() as u32;
        let output = match plan.producer(graph, graph.output()) {
            Producer::Group(g) => plan.groups[g].output,
            _ => unreachable!("invariant: the network's output is a group's"),
        };
        for piece in pieces[output.0].clone() {
            let width = piece.indices.len() as u32;
            let flat: Arc<[u32]> = Arc::from(piece.indices.clone());
            self.link(
                piece.vertex,
                "outputs".into(),
                slots * width,
                OutSpecTemplate::plain(OutKind::Values, 0, width),
                vec![(
                    self.loss,
                    InSpecTemplate {
                        kind: PortKind::Values,
                        stream: 0,
                        dst: Some(flat.clone()),
                    },
                )],
            )?;
            self.link(
                self.loss,
                "deltas".into(),
                slots * width,
                OutSpecTemplate {
                    kind: OutKind::Deltas,
                    stream: 0,
                    width,
                    words: 1,
                    src: Some(flat),
                },
                vec![(piece.vertex, InSpecTemplate::plain(PortKind::Deltas, 0))],
            )?;
        }
        self.link(
            self.feeder,
            "labels".into(),
            slots * outputs,
            OutSpecTemplate::plain(OutKind::Labels, 0, outputs),
            vec![(self.loss, InSpecTemplate::plain(PortKind::Labels, 0))],
        )?;
        self.link(
            self.loss,
            "results".into(),
            2,
            OutSpecTemplate::plain(OutKind::Results, 0, 2),
            vec![(self.gatherer, InSpecTemplate::plain(PortKind::Values, 0))],
        )
    }

    /// Blocks' partial sums to their tile, and the tile's `δz` to its blocks.
    fn block_links(&mut self, plan: &Plan, slots: u32, sum_keys: u32) -> Result<(), GraphError> {
        for (g, group) in plan.groups.iter().enumerate() {
            for (t, tile) in group.tiles().iter().enumerate() {
                for (term, blocks) in self.blocks[g][t].clone().into_iter().enumerate() {
                    if blocks.is_empty() {
                        continue;
                    }
                    let width = tile.pre.len() as u32;
                    for &block in &blocks {
                        self.link(
                            block,
                            "partials".into(),
                            slots * width * sum_keys,
                            OutSpecTemplate::plain(OutKind::Partials, 0, width).words(sum_keys),
                            vec![(
                                self.tiles[g][t],
                                InSpecTemplate::plain(PortKind::Partials, term as u32),
                            )],
                        )?;
                    }
                    let targets = blocks
                        .iter()
                        .map(|&b| (b, InSpecTemplate::plain(PortKind::Deltas, 0)))
                        .collect();
                    self.link(
                        self.tiles[g][t],
                        "deltas".into(),
                        slots * width,
                        OutSpecTemplate::plain(OutKind::Deltas, term as u32, width),
                        targets,
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Credits to the feeder from every core reading the network input, and the loss core.
    fn credit_links(&mut self, input_readers: &[Region]) -> Result<(), GraphError> {
        let mut crediting: Vec<VertexId> = Vec::new();
        for reader in input_readers {
            if !crediting.contains(&reader.vertex) {
                crediting.push(reader.vertex);
            }
        }
        crediting.push(self.loss);
        for source in crediting {
            self.link(
                source,
                "credits".into(),
                self.slots,
                OutSpecTemplate::plain(OutKind::Credits, 0, 1),
                vec![(self.feeder, InSpecTemplate::plain(PortKind::Credits, 0))],
            )?;
        }
        Ok(())
    }

    /// The reductions between the spatial copies of every kernel slice and bias range.
    fn reduction_links(
        &mut self,
        spec: &ModelSpec,
        plan: &Plan,
        sum_keys: u32,
    ) -> Result<(), GraphError> {
        let graph = spec.graph();
        for (g, group) in plan.groups.iter().enumerate() {
            if group.n_spatial() < 2 {
                continue;
            }
            let tiles = group.tiles();
            let copies = |filter: usize| -> Vec<usize> {
                tiles
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.filter == filter)
                    .map(|(i, _)| i)
                    .collect()
            };
            for filter in 0..group.filter_groups.len() {
                let members = copies(filter);
                let first: &Tile = &tiles[members[0]];
                let width = tile_parameters(graph, plan, g, first) as u32;
                if width > 0 {
                    let vertices = members.iter().map(|&t| self.tiles[g][t]).collect();
                    self.reduction(vertices, width, sum_keys)?;
                }
                for (term, kind) in group.terms.iter().map(|t| &t.kind).enumerate() {
                    if let TermKind::Blocked { channel_groups } = kind {
                        for (c, channels) in channel_groups.iter().enumerate() {
                            let size = group.block_size(graph, term, &first.pre, channels);
                            let vertices = members
                                .iter()
                                .map(|&t| self.blocks[g][t][term][c])
                                .collect();
                            self.reduction(vertices, size.weights as u32, sum_keys)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn reduction(
        &mut self,
        members: Vec<VertexId>,
        width: u32,
        sum_keys: u32,
    ) -> Result<(), GraphError> {
        let index = self.reductions.len();
        let root = members[0];
        for (position, &member) in members.iter().enumerate() {
            self.member_of[member.index()] = Some((index, position));
        }
        for &member in &members[1..] {
            self.link(
                member,
                "gradient-share".into(),
                width * sum_keys,
                OutSpecTemplate::plain(OutKind::GradientShare, 0, width).words(sum_keys),
                vec![(root, InSpecTemplate::plain(PortKind::GradientShare, 0))],
            )?;
        }
        let targets = members[1..]
            .iter()
            .map(|&m| (m, InSpecTemplate::plain(PortKind::GradientTotal, 0)))
            .collect();
        self.link(
            root,
            "gradient-total".into(),
            width * sum_keys,
            OutSpecTemplate::plain(OutKind::GradientTotal, 0, width).words(sum_keys),
            targets,
        )?;
        self.reductions.push(Reduction { members, width });
        Ok(())
    }

    /// The vertex's receiving ports with the allocated keys.
    pub fn in_ports(&self, v: VertexId, keys: &KeyAllocation) -> InPorts {
        InPorts::new(
            self.ins[v.index()]
                .iter()
                .map(|s| {
                    let block = keys
                        .get(s.partition)
                        .expect("invariant: every partition has keys");
                    InPort {
                        base: block.base,
                        n_keys: block.n_keys,
                        kind: s.kind,
                        stream: s.stream,
                        width: s.width,
                        words: s.words,
                        dst: s.dst.clone(),
                    }
                })
                .collect(),
        )
    }

    /// The vertex's sending ports of `kind` for `stream`, in the order they were added.
    pub fn out_ports(
        &self,
        v: VertexId,
        kind: OutKind,
        stream: u32,
        keys: &KeyAllocation,
    ) -> Vec<OutPort> {
        self.outs[v.index()]
            .iter()
            .filter(|s| s.kind == kind && s.stream == stream)
            .map(|s| OutPort {
                base: keys
                    .get(s.partition)
                    .expect("invariant: every partition has keys")
                    .base,
                width: s.width,
                words: s.words,
                src: s.src.clone(),
            })
            .collect()
    }

    /// The vertex's single sending port of `kind`, if it has one.
    pub fn out_port(&self, v: VertexId, kind: OutKind, keys: &KeyAllocation) -> Option<OutPort> {
        let mut ports = self.out_ports(v, kind, 0, keys);
        debug_assert!(ports.len() <= 1, "invariant: at most one {kind:?} port");
        ports.pop()
    }

    /// The partition of the vertex's single sending port of `kind`.
    pub fn out_port_partition(&self, v: VertexId, kind: OutKind) -> PartitionId {
        self.outs[v.index()]
            .iter()
            .find(|s| s.kind == kind)
            .expect("invariant: the vertex has such a port")
            .partition
    }

    /// The reduction the vertex is a copy in, and its position (0: the root).
    pub fn membership(&self, v: VertexId) -> Option<(&Reduction, usize)> {
        self.member_of[v.index()].map(|(r, p)| (&self.reductions[r], p))
    }

    /// Core cycles a sender waits between packets so that its busiest receiver, taking
    /// packets from all its senders at once, keeps up: `receive_cycles` per packet each.
    pub fn send_gap(&self, v: VertexId, receive_cycles: u64, send_cycles: u64) -> u64 {
        let busiest = self.outs[v.index()]
            .iter()
            .filter(|s| s.kind != OutKind::Control)
            .flat_map(|s| self.graph.partition(s.partition).targets.iter())
            .map(|t| self.senders[t.index()].len() as u64)
            .max()
            .unwrap_or(1);
        (busiest * receive_cycles).saturating_sub(send_cycles)
    }
}

/// Parameters a tile holds: its inline kernels' slices and every weighted term's biases.
pub fn tile_parameters(graph: &Graph, plan: &Plan, group: usize, tile: &Tile) -> usize {
    let group = &plan.groups[group];
    let size = group.tile_size(graph, &tile.out, &tile.pre);
    (size.kernels + size.biases) as usize
}

/// A sending port before keys are allocated.
#[derive(Debug, Clone)]
struct OutSpecTemplate {
    kind: OutKind,
    stream: u32,
    width: u32,
    words: u32,
    src: Option<Arc<[u32]>>,
}

impl OutSpecTemplate {
    /// A port whose elements are the sender's positions `0..width`.
    fn plain(kind: OutKind, stream: u32, width: u32) -> OutSpecTemplate {
        OutSpecTemplate {
            kind,
            stream,
            width,
            words: 1,
            src: None,
        }
    }

    fn words(mut self, words: u32) -> OutSpecTemplate {
        self.words = words;
        self
    }
}

/// A receiving port before keys are allocated.
#[derive(Debug, Clone)]
struct InSpecTemplate {
    kind: PortKind,
    stream: u32,
    dst: Option<Arc<[u32]>>,
}

impl InSpecTemplate {
    /// A port whose elements land at the receiver's positions `0..width`.
    fn plain(kind: PortKind, stream: u32) -> InSpecTemplate {
        InSpecTemplate {
            kind,
            stream,
            dst: None,
        }
    }
}
