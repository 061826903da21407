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
//! | loss core (the last replica's) | gatherer | the batch's mean loss |
//! | a replica's loss core | the next replica's | the batch's loss summed so far |
//! | copies of one kernel (spatial tiles, replicas) | their parent in a tree; the root to all | gradient sums |
//!
//! With replicas the whole network is built once per replica (its own feeder, loss core,
//! tiles and blocks, each replica taking a contiguous share of every batch); the gatherer is
//! shared, and every kernel slice's copies over spatial tiles and replicas are one reduction.
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
    LossCarry,
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

/// Copies of one kernel slice (or bias range) whose gradients are summed over a tree: member
/// 0 is the root, and member `p > 0` sends its subtree's sums to member `(p − 1) / fan_in`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reduction {
    pub members: Vec<VertexId>,
    /// Parameters each copy holds.
    pub width: u32,
    pub fan_in: u32,
}

impl Reduction {
    /// The member that member `p > 0` sends its sums to.
    pub fn parent(&self, p: usize) -> usize {
        (p - 1) / self.fan_in as usize
    }

    /// Levels below the root: the hops from the deepest member up to it.
    pub fn depth(&self) -> u32 {
        let mut p = self.members.len().saturating_sub(1);
        let mut levels = 0;
        while p > 0 {
            p = self.parent(p);
            levels += 1;
        }
        levels
    }

    /// Members whose sums come into member `p`.
    pub fn children(&self, p: usize) -> u32 {
        let first = p * self.fan_in as usize + 1;
        let n = self.members.len();
        (first..first + self.fan_in as usize)
            .filter(|&q| q < n)
            .count() as u32
    }
}

/// How many copies of the network run side by side, and the shape of their reductions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replication {
    pub replicas: u32,
    /// Children per node of a gradient reduction's tree.
    pub fan_in: u32,
}

/// One copy of the network's vertices.
#[derive(Debug, Clone)]
pub struct Replica {
    pub feeder: VertexId,
    pub loss: VertexId,
    /// `[group][tile]`.
    pub tiles: Vec<Vec<VertexId>>,
    /// `[group][tile][term][channel range]` (empty for terms that are not blocked).
    pub blocks: Vec<Vec<Vec<Vec<VertexId>>>>,
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
    /// Each vertex's replica (the gatherer's: 0).
    pub replica_of: Vec<u32>,
    pub gatherer: VertexId,
    /// Every copy of the network, in the order they take a batch's samples.
    pub replicas: Vec<Replica>,
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
    /// The machine graph of `spec` cut as `plan`, built `replication.replicas` times on
    /// `topology`.
    pub fn new(
        spec: &ModelSpec,
        plan: &Plan,
        (sum_keys, record_capacity): (u32, u32),
        (topology, spread): (&spinn_arch::Machine, &Spread),
        replication: Replication,
    ) -> Result<Layout, GraphError> {
        let slots = plan.config.slots as u32;
        let mut layout = Layout {
            graph: MachineGraph::new(),
            roles: Vec::new(),
            replica_of: Vec::new(),
            gatherer: VertexId(0),
            replicas: Vec::new(),
            reductions: Vec::new(),
            slots,
            record_capacity,
            sum_keys,
            ins: Vec::new(),
            outs: Vec::new(),
            senders: Vec::new(),
            member_of: Vec::new(),
        };
        let n = replication.replicas.max(1);
        let ethernet = Some(ChipCoord::new(0, 0));
        // With replicas, each copy is packed onto chips of its own (a copy's sample traffic
        // then stays inside its chips; only the reductions and the loss chain cross between
        // copies). One copy is left to the placer, as it always was.
        let per_replica = replica_vertices(plan);
        let mut packer = (n > 1 && *spread == Spread::Packed).then(|| ChipPacker::new(topology));
        let mut next_chip = 0usize;
        for r in 0..n {
            let mut chips = match packer.as_mut() {
                Some(p) => p.take(per_replica),
                None => Vec::new(),
            }
            .into_iter();
            if r == 0 {
                // The first replica's feeder takes its packed core on (0, 0) by its pin.
                chips.next();
            }
            let mut place = || match spread {
                Spread::Packed => chips.next().flatten(),
                Spread::Chips(list) => {
                    let chip = list[next_chip % list.len()];
                    next_chip += 1;
                    Some(chip)
                }
            };
            // The first replica's feeder sits on the Ethernet chip beside the gatherer; the
            // others stream from the SDRAM of the chips they are placed on.
            let feeder_chip = if r == 0 { ethernet } else { place() };
            let replica = layout.replica(spec, plan, (r, n), feeder_chip, &mut place);
            layout.replicas.push(replica);
            if r == 0 {
                layout.gatherer =
                    layout.vertex(Role::Gatherer, "dl/gatherer".into(), 1024, 0, ethernet);
            }
        }
        for r in 0..n as usize {
            layout.connect(spec, plan, r)?;
        }
        layout.loss_chain()?;
        layout.reduction_links(spec, plan, replication.fan_in.max(1))?;
        Ok(layout)
    }

    /// The first replica (the one the host reads parameters from).
    pub fn first(&self) -> &Replica {
        &self.replicas[0]
    }

    /// The vertices of replica `r` of `n`, named `dl/...` (`dl/r{r}/...` with replicas).
    fn replica(
        &mut self,
        spec: &ModelSpec,
        plan: &Plan,
        (r, n): (u32, u32),
        feeder_chip: Option<ChipCoord>,
        place: &mut impl FnMut() -> Option<ChipCoord>,
    ) -> Replica {
        let graph = spec.graph();
        let memory = &plan.memory;
        let prefix = if n == 1 {
            "dl".to_string()
        } else {
            format!("dl/r{r}")
        };
        let record = u64::from(self.record_capacity)
            * (4 * spec.outputs() as u64 + super::cores::loss::LOSS_BYTES);
        let feeder = self.vertex(
            Role::Feeder,
            format!("{prefix}/feeder"),
            memory.feeder().total(),
            memory.feeder_batch_buffer(u64::from(self.record_capacity)),
            feeder_chip,
        );
        let loss = self.vertex(
            Role::Loss,
            format!("{prefix}/loss"),
            memory.loss(spec.outputs() as u64).total(),
            record,
            place(),
        );
        let mut replica = Replica {
            feeder,
            loss,
            tiles: Vec::new(),
            blocks: Vec::new(),
        };
        for (g, group) in plan.groups.iter().enumerate() {
            let mut tiles = Vec::new();
            let mut blocks = Vec::new();
            for (t, tile) in group.tiles().iter().enumerate() {
                let dtcm = memory
                    .tile(&group.tile_size(graph, &tile.out, &tile.pre))
                    .total();
                tiles.push(self.vertex(
                    Role::Tile { group: g, tile: t },
                    format!(
                        "{prefix}/{}/tile[s{},f{}]",
                        group.name, tile.spatial, tile.filter
                    ),
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
                            ranges.push(self.vertex(
                                Role::Block {
                                    group: g,
                                    tile: t,
                                    term: term_index,
                                    channels: c,
                                },
                                format!(
                                    "{prefix}/{}/block[s{},f{},t{term_index},c{c}]",
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
            replica.tiles.push(tiles);
            replica.blocks.push(blocks);
        }
        replica
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
        self.replica_of.push(self.replicas.len() as u32);
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
            // Pacing counts the senders of the sample traffic: a reduction paces its own
            // words, and the control and loss-carry packets are one per batch.
            let sample_traffic = !matches!(
                spec.kind,
                PortKind::Control
                    | PortKind::GradientShare
                    | PortKind::GradientTotal
                    | PortKind::LossCarry
            );
            if sample_traffic {
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

    /// Replica `r`'s partitions.
    fn connect(&mut self, spec: &ModelSpec, plan: &Plan, r: usize) -> Result<(), GraphError> {
        let graph = spec.graph();
        let slots = self.slots;
        let sum_keys = self.sum_keys;
        let replica = self.replicas[r].clone();
        // Control to every compute core.
        let compute: Vec<VertexId> = std::iter::once(replica.loss)
            .chain(replica.tiles.iter().flatten().copied())
            .chain(replica.blocks.iter().flatten().flatten().flatten().copied())
            .collect();
        let control_targets = compute
            .iter()
            .map(|&v| (v, InSpecTemplate::plain(PortKind::Control, 0)))
            .collect();
        self.link(
            replica.feeder,
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
            vertex: replica.feeder,
            stream: 0,
            indices: (0..graph.input().shape.len() as u32).collect(),
            positions: None,
            sends_delta: false,
            reader: 0,
        });
        for (g, group) in plan.groups.iter().enumerate() {
            for (t, tile) in group.tiles().iter().enumerate() {
                let vertex = replica.tiles[g][t];
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
                                    replica.blocks[g][t][term_index][c],
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
        self.loss_links(spec, plan, &replica, &pieces)?;
        self.block_links(plan, &replica)?;
        self.credit_links(&replica, &readers[0])
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

    /// Output values to the loss core, its `δ` back, labels from the feeder.
    fn loss_links(
        &mut self,
        spec: &ModelSpec,
        plan: &Plan,
        replica: &Replica,
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
                    replica.loss,
                    InSpecTemplate {
                        kind: PortKind::Values,
                        stream: 0,
                        dst: Some(flat.clone()),
                    },
                )],
            )?;
            self.link(
                replica.loss,
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
            replica.feeder,
            "labels".into(),
            slots * outputs,
            OutSpecTemplate::plain(OutKind::Labels, 0, outputs),
            vec![(replica.loss, InSpecTemplate::plain(PortKind::Labels, 0))],
        )
    }

    /// The batch's loss summed replica after replica (so that it adds the samples in batch
    /// order, as one copy would), the last replica's mean to the gatherer.
    fn loss_chain(&mut self) -> Result<(), GraphError> {
        let losses: Vec<VertexId> = self.replicas.iter().map(|r| r.loss).collect();
        for pair in losses.windows(2) {
            self.link(
                pair[0],
                "loss-carry".into(),
                2,
                OutSpecTemplate::plain(OutKind::LossCarry, 0, 2),
                vec![(pair[1], InSpecTemplate::plain(PortKind::LossCarry, 0))],
            )?;
        }
        let last = *losses.last().expect("invariant: at least one replica");
        self.link(
            last,
            "results".into(),
            2,
            OutSpecTemplate::plain(OutKind::Results, 0, 2),
            vec![(self.gatherer, InSpecTemplate::plain(PortKind::Values, 0))],
        )
    }

    /// Blocks' partial sums to their tile, and the tile's `δz` to its blocks.
    fn block_links(&mut self, plan: &Plan, replica: &Replica) -> Result<(), GraphError> {
        let (slots, sum_keys) = (self.slots, self.sum_keys);
        for (g, group) in plan.groups.iter().enumerate() {
            for (t, tile) in group.tiles().iter().enumerate() {
                for (term, blocks) in replica.blocks[g][t].iter().enumerate() {
                    if blocks.is_empty() {
                        continue;
                    }
                    let width = tile.pre.len() as u32;
                    for &block in blocks {
                        self.link(
                            block,
                            "partials".into(),
                            slots * width * sum_keys,
                            OutSpecTemplate::plain(OutKind::Partials, 0, width).words(sum_keys),
                            vec![(
                                replica.tiles[g][t],
                                InSpecTemplate::plain(PortKind::Partials, term as u32),
                            )],
                        )?;
                    }
                    let targets = blocks
                        .iter()
                        .map(|&b| (b, InSpecTemplate::plain(PortKind::Deltas, 0)))
                        .collect();
                    self.link(
                        replica.tiles[g][t],
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
    fn credit_links(
        &mut self,
        replica: &Replica,
        input_readers: &[Region],
    ) -> Result<(), GraphError> {
        let mut crediting: Vec<VertexId> = Vec::new();
        for reader in input_readers {
            if !crediting.contains(&reader.vertex) {
                crediting.push(reader.vertex);
            }
        }
        crediting.push(replica.loss);
        for source in crediting {
            self.link(
                source,
                "credits".into(),
                self.slots,
                OutSpecTemplate::plain(OutKind::Credits, 0, 1),
                vec![(replica.feeder, InSpecTemplate::plain(PortKind::Credits, 0))],
            )?;
        }
        Ok(())
    }

    /// The reductions between the copies (spatial tiles × replicas) of every kernel slice
    /// and bias range.
    fn reduction_links(
        &mut self,
        spec: &ModelSpec,
        plan: &Plan,
        fan_in: u32,
    ) -> Result<(), GraphError> {
        let graph = spec.graph();
        let replicas = self.replicas.clone();
        // Every kernel slice's copies, replica by replica (spatial copies within each).
        let mut positions: Vec<(Vec<Vec<VertexId>>, u32)> = Vec::new();
        for (g, group) in plan.groups.iter().enumerate() {
            if group.n_spatial() < 2 && replicas.len() < 2 {
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
                    let per_replica = replicas
                        .iter()
                        .map(|r| members.iter().map(|&t| r.tiles[g][t]).collect())
                        .collect();
                    positions.push((per_replica, width));
                }
                for (term, kind) in group.terms.iter().map(|t| &t.kind).enumerate() {
                    if let TermKind::Blocked { channel_groups } = kind {
                        for (c, channels) in channel_groups.iter().enumerate() {
                            let size = group.block_size(graph, term, &first.pre, channels);
                            let per_replica = replicas
                                .iter()
                                .map(|r| members.iter().map(|&t| r.blocks[g][t][term][c]).collect())
                                .collect();
                            positions.push((per_replica, size.weights as u32));
                        }
                    }
                }
            }
        }
        // Replica 0 holds every root: spreading the roots over the replicas was measured to
        // dump more (the trees then cross more links).
        for (per_replica, width) in positions {
            let vertices = per_replica.into_iter().flatten().collect();
            self.reduction(vertices, width, fan_in)?;
        }
        Ok(())
    }

    fn reduction(
        &mut self,
        members: Vec<VertexId>,
        width: u32,
        fan_in: u32,
    ) -> Result<(), GraphError> {
        let sum_keys = self.sum_keys;
        let index = self.reductions.len();
        let reduction = Reduction {
            members,
            width,
            fan_in,
        };
        for (position, &member) in reduction.members.iter().enumerate() {
            self.member_of[member.index()] = Some((index, position));
        }
        for (position, &member) in reduction.members.iter().enumerate().skip(1) {
            let parent = reduction.members[reduction.parent(position)];
            self.link(
                member,
                "gradient-share".into(),
                width * sum_keys,
                OutSpecTemplate::plain(OutKind::GradientShare, 0, width).words(sum_keys),
                vec![(parent, InSpecTemplate::plain(PortKind::GradientShare, 0))],
            )?;
        }
        // The root multicasts the total to every other copy (measured faster than passing it
        // back down the chain, which doubles each chunk's latency and every copy's sends).
        let targets = reduction.members[1..]
            .iter()
            .map(|&m| (m, InSpecTemplate::plain(PortKind::GradientTotal, 0)))
            .collect();
        self.link(
            reduction.members[0],
            "gradient-total".into(),
            width * sum_keys,
            OutSpecTemplate::plain(OutKind::GradientTotal, 0, width).words(sum_keys),
            targets,
        )?;
        self.reductions.push(reduction);
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
        self.partition_of(v, kind)
            .expect("invariant: the vertex has such a port")
    }

    /// The partition of the vertex's first sending port of `kind`, if it has one.
    pub fn partition_of(&self, v: VertexId, kind: OutKind) -> Option<PartitionId> {
        self.outs[v.index()]
            .iter()
            .find(|s| s.kind == kind)
            .map(|s| s.partition)
    }

    /// The index in [`Layout::reductions`] of the reduction the vertex is a copy in.
    pub fn reduction_index(&self, v: VertexId) -> Option<usize> {
        self.member_of[v.index()].map(|(r, _)| r)
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

/// The vertices of one copy of the network: its feeder and loss core, and the plan's tile
/// and block cores.
pub fn replica_vertices(plan: &Plan) -> usize {
    2 + plan.n_cores()
}

/// The live application cores (not the monitor, not dead) of `chip`.
pub fn application_cores(topology: &spinn_arch::Machine, chip: ChipCoord) -> usize {
    (1..spinn_arch::CORES_PER_CHIP)
        .filter_map(spinn_arch::CoreId::new)
        .filter(|&core| topology.core_alive(chip, core))
        .count()
}

/// Hands out chips for whole copies of the network, nearest (0, 0) first: a copy that fits
/// in what is left of the current chip goes there, otherwise it starts on the next chip
/// (one larger than a chip continues over the chips that follow).
struct ChipPacker {
    /// Live chips by distance from (0, 0), with their free application cores.
    chips: Vec<(ChipCoord, usize)>,
    at: usize,
}

impl ChipPacker {
    fn new(topology: &spinn_arch::Machine) -> ChipPacker {
        let origin = ChipCoord::new(0, 0);
        let mut chips: Vec<(u32, ChipCoord, usize)> = topology
            .chips()
            .map(|chip| {
                let free = application_cores(topology, chip);
                let distance = if topology.contains(origin) {
                    topology.hop_distance(origin, chip)
                } else {
                    0
                };
                // One core of the Ethernet chip is the gatherer's.
                (
                    distance,
                    chip,
                    free - usize::from(chip == origin && free > 0),
                )
            })
            .collect();
        chips.sort_by_key(|&(d, c, _)| (d, c.x, c.y));
        ChipPacker {
            chips: walk(topology, chips),
            at: 0,
        }
    }

    /// Chips for `n` vertices in order (`None`s past the machine's end: the placer then
    /// reports that the graph does not fit).
    fn take(&mut self, n: usize) -> Vec<Option<ChipCoord>> {
        let Some(&(_, room)) = self.chips.get(self.at) else {
            return vec![None; n];
        };
        let capacity = self.chips.iter().map(|c| c.1).max().unwrap_or(0);
        if room < n && n <= capacity && room < capacity {
            self.at += 1;
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            while self.chips.get(self.at).is_some_and(|c| c.1 == 0) {
                self.at += 1;
            }
            match self.chips.get_mut(self.at) {
                Some(chip) => {
                    chip.1 -= 1;
                    out.push(Some(chip.0));
                }
                None => out.push(None),
            }
        }
        out
    }
}

/// The chips (sorted by distance from the origin) in the order of a walk from the first:
/// each next chip is the first unvisited neighbour of the last in that order, or where it has
/// none, the first unvisited chip nearest to it. Consecutive copies then sit on one chip or
/// on neighbours, so a reduction chain's hops each cross one link.
fn walk(
    topology: &spinn_arch::Machine,
    by_distance: Vec<(u32, ChipCoord, usize)>,
) -> Vec<(ChipCoord, usize)> {
    let mut left: Vec<(ChipCoord, usize)> =
        by_distance.into_iter().map(|(_, c, f)| (c, f)).collect();
    let mut out = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let next = match out.last() {
            None => 0,
            Some(&(last, _)) => left
                .iter()
                .enumerate()
                .min_by_key(|(i, (c, _))| (topology.hop_distance(last, *c), *i))
                .map(|(i, _)| i)
                .expect("invariant: chips are left"),
        };
        out.push(left.remove(next));
    }
    out
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
