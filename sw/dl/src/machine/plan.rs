//! How a network's graph is cut into cores (DESIGN.md, "Deep learning on it").
//!
//! The graph's nodes are gathered into *groups*, each computed by a set of *tile* cores:
//!
//! `out = pool?(f(Σ_terms term(x) + biases))`
//!
//! where a term is a dense or convolution kernel applied to an input tensor, or an input added
//! as it is (an `Add`'s input), `f` the activation and `pool` an optional pooling of the
//! activations before they are sent. Every node with an output of its own heads a group; a
//! node is *folded* into another's group when that moves fewer packets:
//!
//! * a pooling whose windows do not overlap and whose input has no other consumer is computed
//!   by the cores of its input's group, which then send only the pooled values;
//! * a convolution or dense layer with no activation whose only consumer is an `Add` becomes
//!   one more term of the add's group, so its output never crosses the fabric;
//! * a `Flatten` is a view: it has no cores, its consumers read its input's producers (every
//!   tensor is keyed in flat order).
//!
//! The planner tries each possible fold and keeps it when the plan with it delivers fewer
//! packets per training sample ([`Plan::traffic`]); a fold that would not fit in DTCM is not
//! taken.
//!
//! A group's output is cut into spatial tiles × filter groups (channel ranges), one tile core
//! each; each tile receives the input region its receptive field covers, halo included. A
//! term's kernel is held by the tile itself (a convolution, whose kernel is small: every
//! spatial tile of a filter group holds a copy, and their gradient sums are added over the
//! tiles before every update so the copies never diverge) or, when it does not fit or the
//! layer is dense, by *block* cores, each holding the kernel for a range of input channels and
//! sending the tile its partial sums (a dense layer: row blocks × column blocks with an
//! accumulator per column block). The search takes, for each group, the fewest cores that fit
//! ([`super::memory`]), then the fewest input deliveries, then the fewest filter groups and
//! blocks; a softmax output stays on one tile, since it normalises over all its units.

use super::memory::{BlockSize, Dtcm, MemoryModel, TileSize};
use crate::graph::{Graph, NodeId};
use crate::model::ModelSpec;
use crate::ops::{Activation, Axis, Op, PoolKind};
use crate::shape::Grid;
use std::ops::Range;
use thiserror::Error;

/// What a plan must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanConfig {
    /// DTCM bytes a core may use for the network's data (the rest holds the runtime and stack).
    pub dtcm_bytes: u64,
    /// Samples a core holds buffers for, so that several samples are in flight at once.
    pub slots: u64,
}

impl PlanConfig {
    /// 64 KB of DTCM less 8 KB for the runtime and the stack, and four samples in flight.
    pub const SPINNAKER1: PlanConfig = PlanConfig {
        dtcm_bytes: 56 * 1024,
        slots: 4,
    };
}

/// Rows × columns × channels of a tensor's grid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GridBox {
    pub rows: Range<usize>,
    pub cols: Range<usize>,
    pub channels: Range<usize>,
}

impl GridBox {
    pub fn new(rows: Range<usize>, cols: Range<usize>, channels: Range<usize>) -> GridBox {
        GridBox {
            rows,
            cols,
            channels,
        }
    }

    /// The whole grid.
    pub fn all(grid: Grid) -> GridBox {
        GridBox {
            rows: 0..grid.rows,
            cols: 0..grid.cols,
            channels: 0..grid.channels,
        }
    }

    /// Positions (rows × cols).
    pub fn positions(&self) -> usize {
        self.rows.len() * self.cols.len()
    }

    pub fn len(&self) -> usize {
        self.positions() * self.channels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The flat indices of the box's elements in `grid`, in increasing order (which is the
    /// box's own row-major order).
    pub fn indices(&self, grid: Grid) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.len());
        for r in self.rows.clone() {
            for c in self.cols.clone() {
                let base = grid.index(r, c, 0);
                out.extend(self.channels.clone().map(|ch| (base + ch) as u32));
            }
        }
        out
    }

    /// The same positions with other channels.
    pub fn with_channels(&self, channels: Range<usize>) -> GridBox {
        GridBox {
            rows: self.rows.clone(),
            cols: self.cols.clone(),
            channels,
        }
    }
}

/// How a term's kernel is held.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TermKind {
    /// On the tile.
    Inline,
    /// On block cores, one per range of input channels, each sending the tile partial sums.
    Blocked { channel_groups: Vec<Range<usize>> },
    /// No kernel: the input is added as it is.
    Identity,
}

/// One term of a group's sum.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Term {
    /// The dense or convolution node whose kernel this is (`None` for an identity term).
    pub weighted: Option<NodeId>,
    /// The node that produces the tensor read (views resolved).
    pub input: NodeId,
    /// The input as the term reads it (a flatten's grid, for a dense layer after one).
    pub input_grid: Grid,
    /// The correlation window over the input (a 1 × 1 window for dense layers).
    pub axes: [Axis; 2],
    pub kind: TermKind,
    /// Whether the input's producer needs the input's `δ` (not for the network input).
    pub sends_delta: bool,
    /// The position, among the input's consumers in graph order, of the layer this term is
    /// (the flatten it reads through, if any): the producer adds its readers' `δ` in that
    /// order, as the reference does.
    pub reader: usize,
}

/// A pooling folded into a group, or a pooling group's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pooling {
    pub node: NodeId,
    pub kind: PoolKind,
    pub axes: [Axis; 2],
}

/// A set of nodes computed by one set of tile cores.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// The folded nodes' names joined by `+`.
    pub name: String,
    pub nodes: Vec<NodeId>,
    /// The node whose output the group sends.
    pub output: NodeId,
    /// The grid of the values before pooling (`z`, `a`).
    pub pre_grid: Grid,
    pub out_grid: Grid,
    pub terms: Vec<Term>,
    pub activation: Activation,
    pub pool: Option<Pooling>,
    /// A pooling of its own (identity term, no activation): `δ` contributions go straight back
    /// to the input without being finished on the tile.
    pub through: bool,
    /// The network's output: its `δ` comes from the loss core.
    pub is_output: bool,
    pub row_tiles: Vec<Range<usize>>,
    pub col_tiles: Vec<Range<usize>>,
    pub filter_groups: Vec<Range<usize>>,
}

/// One tile of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    /// The spatial tile (row-major over row tiles × column tiles).
    pub spatial: usize,
    pub filter: usize,
    /// Its part of the group's output.
    pub out: GridBox,
    /// Its part of the values before pooling.
    pub pre: GridBox,
}

/// Where a node's output comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Producer {
    /// The network input, streamed by the feeder.
    Feeder,
    /// A group's tiles.
    Group(usize),
    /// Computed inside a group and never sent (a folded node).
    Internal(usize),
    /// A flatten of another node's output.
    View(NodeId),
}

/// The whole network's cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub groups: Vec<Group>,
    /// Per graph node.
    pub producers: Vec<Producer>,
    pub memory: MemoryModel,
    pub config: PlanConfig,
    /// Folds considered and whether each was taken.
    pub folds: Vec<(Fold, bool)>,
}

/// A fold the planner considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// The pooling `pool` into its input's group.
    Pool { pool: NodeId },
    /// The kernel `weighted` into the add `add`'s group.
    Term { weighted: NodeId, add: NodeId },
}

/// Estimated deliveries per sample (every element a core needs, once per core that needs it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Traffic {
    pub forward: u64,
    pub backward: u64,
}

impl Traffic {
    pub fn total(&self) -> u64 {
        self.forward + self.backward
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    #[error(
        "layer \"{group}\": even its smallest cut (one output element per tile) needs a core of \
         {needed} bytes, more than the {budget} bytes of DTCM a core has for data"
    )]
    DoesNotFit {
        group: String,
        needed: u64,
        budget: u64,
    },
    #[error(
        "layer \"{group}\": a softmax over {units} units needs one core holding all of them, \
         {needed} bytes, more than the {budget} bytes of DTCM a core has for data"
    )]
    SoftmaxTooWide {
        group: String,
        units: usize,
        needed: u64,
        budget: u64,
    },
    #[error("a plan needs at least one sample slot")]
    NoSlots,
}

/// `0..n` cut into `parts` ranges as even as possible, larger ones first.
pub fn even_ranges(n: usize, parts: usize) -> Vec<Range<usize>> {
    let (base, extra) = (n / parts, n % parts);
    let mut start = 0;
    (0..parts)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}

/// The node a tensor really comes from: flattens followed to their input.
pub fn resolve(graph: &Graph, mut id: NodeId) -> NodeId {
    while let Op::Flatten(_) = graph.node(id).op {
        id = graph.node(id).inputs[0];
    }
    id
}

/// The correlation window of a dense or convolution node.
fn correlation_axes(graph: &Graph, id: NodeId) -> Option<[Axis; 2]> {
    let node = graph.node(id);
    match &node.op {
        Op::Dense(_) => Some([Axis::whole(1), Axis::whole(1)]),
        Op::Conv(conv) => {
            let input = &graph.node(node.inputs[0]).shape;
            Some(
                conv.axes(input)
                    .expect("invariant: a built graph's convolutions fit their inputs"),
            )
        }
        _ => None,
    }
}

/// Whether the node's kernel always lives on block cores (dense layers: DESIGN.md's weight
/// blocks and accumulators), rather than on the tiles when it fits.
fn kernel_on_blocks(graph: &Graph, id: NodeId) -> bool {
    matches!(graph.node(id).op, Op::Dense(_))
}

/// The pooling a pool or global-pool node applies.
fn pooling(graph: &Graph, id: NodeId) -> Option<Pooling> {
    let node = graph.node(id);
    let input = &graph.node(node.inputs[0]).shape;
    match &node.op {
        Op::Pool(pool) => Some(Pooling {
            node: id,
            kind: pool.kind,
            axes: pool
                .axes(input)
                .expect("invariant: a built graph's pools fit their inputs"),
        }),
        Op::GlobalPool(global) => Some(Pooling {
            node: id,
            kind: PoolKind::Average,
            axes: global.axes(input),
        }),
        _ => None,
    }
}

/// Every fold the graph allows, in graph order.
fn fold_candidates(graph: &Graph) -> Vec<Fold> {
    let mut folds = Vec::new();
    for (i, node) in graph.nodes().iter().enumerate() {
        let id = NodeId(i);
        match &node.op {
            Op::Pool(_) | Op::GlobalPool(_) => {
                let input = node.inputs[0];
                let producer = &graph.node(input).op;
                let heads = matches!(producer, Op::Dense(_) | Op::Conv(_) | Op::Add(_));
                let disjoint = pooling(graph, id)
                    .is_some_and(|p| p.axes[0].disjoint() && p.axes[1].disjoint());
                if heads && disjoint && graph.consumers(input) == [id] {
                    folds.push(Fold::Pool { pool: id });
                }
            }
            Op::Add(_) => {
                for &input in &node.inputs {
                    let weighted = matches!(graph.node(input).op, Op::Dense(_) | Op::Conv(_));
                    let once = node.inputs.iter().filter(|&&i| i == input).count() == 1;
                    if weighted
                        && once
                        && graph.node(input).op.activation() == Activation::Identity
                        && graph.consumers(input) == [id]
                    {
                        folds.push(Fold::Term {
                            weighted: input,
                            add: id,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    folds
}

/// The groups of `graph` with the folds `taken`, before tiling.
fn form_groups(graph: &Graph, taken: &[Fold]) -> (Vec<Group>, Vec<Producer>) {
    let n = graph.nodes().len();
    let mut producers = vec![Producer::Feeder; n];
    let folded_term = |id: NodeId| {
        taken
            .iter()
            .any(|f| matches!(f, Fold::Term { weighted, .. } if *weighted == id))
    };
    let folded_pool = |id: NodeId| {
        taken
            .iter()
            .any(|f| matches!(f, Fold::Pool { pool } if *pool == id))
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: Vec<Option<usize>> = vec![None; n];
    for (i, node) in graph.nodes().iter().enumerate() {
        let id = NodeId(i);
        let grid = node.shape.grid();
        let term_of = |input: NodeId, weighted: Option<NodeId>| {
            let source = resolve(graph, input);
            // The consumer of `source` this term reads it through.
            let mut consumer = weighted.unwrap_or(id);
            let mut read = input;
            while read != source {
                consumer = read;
                read = graph.node(read).inputs[0];
            }
            let reader = graph
                .consumers(source)
                .iter()
                .position(|&c| c == consumer)
                .expect("invariant: a term's layer consumes its input");
            let (axes, kind) = match weighted {
                Some(w) => (
                    correlation_axes(graph, w)
                        .expect("invariant: weighted terms are dense or conv"),
                    TermKind::Inline,
                ),
                None => ([Axis::whole(1), Axis::whole(1)], TermKind::Identity),
            };
            Term {
                weighted,
                input: source,
                input_grid: graph.node(input).shape.grid(),
                axes,
                kind,
                sends_delta: source != NodeId(0),
                reader,
            }
        };
        let new_group = |terms: Vec<Term>, activation, nodes: Vec<NodeId>| Group {
            name: nodes
                .iter()
                .map(|&n| graph.node(n).name.clone())
                .collect::<Vec<_>>()
                .join("+"),
            nodes,
            output: id,
            pre_grid: grid,
            out_grid: grid,
            terms,
            activation,
            pool: None,
            through: false,
            is_output: id == graph.output(),
            row_tiles: even_ranges(grid.rows, 1),
            col_tiles: even_ranges(grid.cols, 1),
            filter_groups: even_ranges(grid.channels, 1),
        };
        match &node.op {
            Op::Input => producers[i] = Producer::Feeder,
            Op::Flatten(_) => producers[i] = Producer::View(node.inputs[0]),
            Op::Dense(_) | Op::Conv(_) => {
                if folded_term(id) {
                    // Its add's group takes it when the add comes.
                    continue;
                }
                let g = groups.len();
                groups.push(new_group(
                    vec![term_of(node.inputs[0], Some(id))],
                    node.op.activation(),
                    vec![id],
                ));
                group_of[i] = Some(g);
                producers[i] = Producer::Group(g);
            }
            Op::Add(add) => {
                let mut nodes = Vec::new();
                let terms = node
                    .inputs
                    .iter()
                    .map(|&input| {
                        if folded_term(input) {
                            nodes.push(input);
                            term_of(graph.node(input).inputs[0], Some(input))
                        } else {
                            term_of(input, None)
                        }
                    })
                    .collect();
                nodes.push(id);
                let g = groups.len();
                for &n in &nodes {
                    producers[n.0] = Producer::Internal(g);
                    group_of[n.0] = Some(g);
                }
                groups.push(new_group(terms, add.activation, nodes));
                producers[i] = Producer::Group(g);
            }
            Op::Pool(_) | Op::GlobalPool(_) => {
                let pooling = pooling(graph, id).expect("invariant: a pooling node");
                let input = node.inputs[0];
                if folded_pool(id) {
                    let g =
                        group_of[input.0].expect("invariant: a folded pool's input heads a group");
                    let group = &mut groups[g];
                    group.pool = Some(pooling);
                    group.output = id;
                    group.out_grid = grid;
                    group.is_output = id == graph.output();
                    group.nodes.push(id);
                    group.name = format!("{}+{}", group.name, node.name);
                    group.row_tiles = even_ranges(grid.rows, 1);
                    group.col_tiles = even_ranges(grid.cols, 1);
                    group.filter_groups = even_ranges(grid.channels, 1);
                    producers[input.0] = Producer::Internal(g);
                    producers[i] = Producer::Group(g);
                    group_of[i] = Some(g);
                } else {
                    let g = groups.len();
                    let mut group =
                        new_group(vec![term_of(input, None)], Activation::Identity, vec![id]);
                    group.pre_grid = graph.node(input).shape.grid();
                    group.pool = Some(pooling);
                    group.through = true;
                    groups.push(group);
                    group_of[i] = Some(g);
                    producers[i] = Producer::Group(g);
                }
            }
        }
    }
    (groups, producers)
}

impl Group {
    /// Whether the group is a dense layer alone (its weighted terms dense, no pooling).
    pub fn is_dense(&self) -> bool {
        self.pool.is_none()
            && self.terms.iter().all(|t| {
                t.weighted.is_some()
                    && t.input_grid.rows * t.input_grid.cols == 1
                    && t.axes[0].size == 1
                    && self.pre_grid.rows * self.pre_grid.cols == 1
            })
    }

    /// The first (and, as even ranges put larger ones first, the largest) tile.
    pub fn first_tile(&self) -> Tile {
        let out = GridBox {
            rows: self.row_tiles[0].clone(),
            cols: self.col_tiles[0].clone(),
            channels: self.filter_groups[0].clone(),
        };
        Tile {
            spatial: 0,
            filter: 0,
            pre: self.pre_box(&out),
            out,
        }
    }

    /// Every tile, spatial tiles row-major, filter groups within each.
    pub fn tiles(&self) -> Vec<Tile> {
        let mut tiles = Vec::new();
        let mut spatial = 0;
        for rows in &self.row_tiles {
            for cols in &self.col_tiles {
                for (filter, channels) in self.filter_groups.iter().enumerate() {
                    let out = GridBox {
                        rows: rows.clone(),
                        cols: cols.clone(),
                        channels: channels.clone(),
                    };
                    let pre = self.pre_box(&out);
                    tiles.push(Tile {
                        spatial,
                        filter,
                        out,
                        pre,
                    });
                }
                spatial += 1;
            }
        }
        tiles
    }

    pub fn n_spatial(&self) -> usize {
        self.row_tiles.len() * self.col_tiles.len()
    }

    /// The values before pooling that an output box is computed from.
    pub fn pre_box(&self, out: &GridBox) -> GridBox {
        match &self.pool {
            None => out.clone(),
            Some(p) => GridBox {
                rows: p.axes[0].receptive(out.rows.clone()),
                cols: p.axes[1].receptive(out.cols.clone()),
                channels: out.channels.clone(),
            },
        }
    }

    /// The part of term `t`'s input a tile with pre-pool box `pre` reads (all input channels;
    /// a block reads a range of them).
    pub fn input_box(&self, t: usize, pre: &GridBox) -> GridBox {
        let term = &self.terms[t];
        match term.weighted {
            None => pre.clone(),
            Some(_) => GridBox {
                rows: term.axes[0].receptive(pre.rows.clone()),
                cols: term.axes[1].receptive(pre.cols.clone()),
                channels: 0..term.input_grid.channels,
            },
        }
    }

    /// The input rows and columns term `t`'s taps actually read for a tile with pre-pool box
    /// `pre` (a strided 1 × 1 kernel reads every other row of its box), in order.
    pub fn tapped(&self, t: usize, pre: &GridBox) -> [Vec<usize>; 2] {
        let term = &self.terms[t];
        if term.weighted.is_none() {
            return [pre.rows.clone().collect(), pre.cols.clone().collect()];
        }
        let along = |axis: &Axis, outputs: &Range<usize>| {
            let mut read = vec![false; axis.input];
            for o in outputs.clone() {
                for tap in 0..axis.size {
                    if let Some(p) = axis.position(o, tap) {
                        read[p] = true;
                    }
                }
            }
            (0..axis.input).filter(|&p| read[p]).collect::<Vec<_>>()
        };
        [
            along(&term.axes[0], &pre.rows),
            along(&term.axes[1], &pre.cols),
        ]
    }

    /// The input elements term `t` receives for a tile with pre-pool box `pre` (its tapped
    /// positions × `channels`).
    pub fn input_elements(&self, t: usize, pre: &GridBox, channels: usize) -> usize {
        let [rows, cols] = self.tapped(t, pre);
        rows.len() * cols.len() * channels
    }

    /// The sizes of the tile with pre-pool box `pre` and output box `out`.
    pub fn tile_size(&self, graph: &Graph, out: &GridBox, pre: &GridBox) -> TileSize {
        let mut size = TileSize {
            pre: pre.len() as u64,
            outputs: out.len() as u64,
            readers: graph.consumers(self.output).len().max(1) as u64,
            ..TileSize::default()
        };
        let filters = pre.channels.len() as u64;
        for (t, term) in self.terms.iter().enumerate() {
            let input = self.input_box(t, pre).len() as u64;
            if term.weighted.is_some() {
                size.biases += filters;
            }
            match &term.kind {
                TermKind::Inline => {
                    let params = graph
                        .parameters(term.weighted.expect("invariant: inline terms are weighted"))
                        .expect("invariant: weighted nodes have parameters");
                    size.kernels +=
                        (params.window[0] * params.window[1] * params.inputs) as u64 * filters;
                    size.inputs += input;
                    if term.sends_delta {
                        size.contributions = size.contributions.max(input);
                    }
                }
                TermKind::Identity => {
                    size.inputs += input;
                    if term.sends_delta {
                        size.contributions = size.contributions.max(input);
                    }
                }
                TermKind::Blocked { .. } => size.partials += pre.len() as u64,
            }
        }
        size
    }

    /// The sizes of the block of term `t` holding input channels `channels` for a tile with
    /// pre-pool box `pre`.
    pub fn block_size(
        &self,
        graph: &Graph,
        t: usize,
        pre: &GridBox,
        channels: &Range<usize>,
    ) -> BlockSize {
        let term = &self.terms[t];
        let params = graph
            .parameters(
                term.weighted
                    .expect("invariant: blocked terms are weighted"),
            )
            .expect("invariant: weighted nodes have parameters");
        let filters = pre.channels.len() as u64;
        let inputs = self.input_box(t, pre).with_channels(channels.clone()).len() as u64;
        BlockSize {
            weights: (params.window[0] * params.window[1] * channels.len()) as u64 * filters,
            inputs,
            outputs: pre.len() as u64,
        }
    }

    /// Cores: tiles plus blocks.
    pub fn n_cores(&self) -> usize {
        let blocks: usize = self
            .terms
            .iter()
            .map(|t| match &t.kind {
                TermKind::Blocked { channel_groups } => channel_groups.len(),
                _ => 0,
            })
            .sum();
        self.n_spatial() * self.filter_groups.len() * (1 + blocks)
    }

    /// The largest DTCM use of its tiles and blocks.
    pub fn peak_dtcm(&self, graph: &Graph, memory: &MemoryModel) -> u64 {
        let mut peak = 0;
        for tile in self.tiles() {
            peak = peak.max(
                memory
                    .tile(&self.tile_size(graph, &tile.out, &tile.pre))
                    .total(),
            );
            for (t, term) in self.terms.iter().enumerate() {
                if let TermKind::Blocked { channel_groups } = &term.kind {
                    for channels in channel_groups {
                        let size = self.block_size(graph, t, &tile.pre, channels);
                        peak = peak.max(memory.block(&size).total());
                    }
                }
            }
        }
        peak
    }
}

/// How well a candidate cut does, smaller being better: (the objective's first and second
/// figure, filter groups, blocks).
type Score = (u64, u64, usize, usize);

/// The most tiles a convolution or pooling group is cut into (a bound on the search, far
/// beyond what a 64 KB core needs for the images this library takes).
const MAX_TILES: usize = 64;

/// Cuts a group: tiles, filter groups and each weighted term's blocks.
fn cut(
    graph: &Graph,
    group: &mut Group,
    memory: &MemoryModel,
    budget: u64,
) -> Result<(), PlanError> {
    let (out_rows, out_cols, channels) = (
        group.out_grid.rows,
        group.out_grid.cols,
        group.out_grid.channels,
    );
    let max_filter_groups = if group.activation == Activation::Softmax {
        1
    } else {
        channels
    };
    // Dense layers keep DESIGN.md's fewest-core block cut; convolutions and pooling are cut
    // for fewest deliveries (each filter group receives the whole input region again, each
    // spatial tile its halo), cores breaking ties.
    let fewest_cores = group.is_dense();
    let mut best: Option<(Score, Group)> = None;
    let mut smallest_need = u64::MAX;
    for n_f in 1..=max_filter_groups {
        for n_r in 1..=out_rows {
            for n_c in 1..=out_cols {
                let tiles = n_r * n_c * n_f;
                if !fewest_cores && tiles > MAX_TILES {
                    continue;
                }
                if fewest_cores && best.as_ref().is_some_and(|(s, _)| tiles as u64 > s.0) {
                    // More tiles than the best cut's cores: every later candidate is worse.
                    continue;
                }
                let mut candidate = group.clone();
                candidate.row_tiles = even_ranges(out_rows, n_r);
                candidate.col_tiles = even_ranges(out_cols, n_c);
                candidate.filter_groups = even_ranges(channels, n_f);
                match choose_terms(graph, &mut candidate, memory, budget) {
                    Err(need) => smallest_need = smallest_need.min(need),
                    Ok(()) => {
                        let (cores, deliveries, filters, blocks) = score(&candidate);
                        let score = if fewest_cores {
                            (cores, deliveries, filters, blocks)
                        } else {
                            (deliveries, cores, filters, blocks)
                        };
                        if best.as_ref().is_none_or(|(s, _)| score < *s) {
                            best = Some((score, candidate));
                        }
                    }
                }
            }
        }
        // Once one filter group fits with whole inputs, more filter groups only add cores.
        if let Some((score, _)) = &best {
            if fewest_cores && score.0 <= n_f as u64 {
                break;
            }
        }
    }
    match best {
        Some((_, candidate)) => {
            *group = candidate;
            Ok(())
        }
        None if group.activation == Activation::Softmax => Err(PlanError::SoftmaxTooWide {
            group: group.name.clone(),
            units: channels,
            needed: smallest_need,
            budget,
        }),
        None => Err(PlanError::DoesNotFit {
            group: group.name.clone(),
            needed: smallest_need,
            budget,
        }),
    }
}

/// Decides, for a tiling, how each weighted term's kernel is held: on the tile when allowed
/// and the tile fits, else on the fewest blocks that fit. `Err` carries the smallest core
/// size that did not fit.
fn choose_terms(
    graph: &Graph,
    group: &mut Group,
    memory: &MemoryModel,
    budget: u64,
) -> Result<(), u64> {
    // The first tile is the largest (even ranges put larger ones first).
    let tile = group.first_tile();
    for t in 0..group.terms.len() {
        let Some(node) = group.terms[t].weighted else {
            continue;
        };
        group.terms[t].kind = if kernel_on_blocks(graph, node) {
            TermKind::Blocked {
                channel_groups: even_ranges(group.terms[t].input_grid.channels, 1),
            }
        } else {
            TermKind::Inline
        };
    }
    let tile_bytes = |g: &Group| {
        memory
            .tile(&g.tile_size(graph, &tile.out, &tile.pre))
            .total()
    };
    // Move kernels to blocks, largest first, until the tile fits.
    while tile_bytes(group) > budget {
        let inline = group
            .terms
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == TermKind::Inline)
            .max_by_key(|(t, _)| group.input_box(*t, &tile.pre).len())
            .map(|(t, _)| t);
        match inline {
            Some(t) => {
                group.terms[t].kind = TermKind::Blocked {
                    channel_groups: even_ranges(group.terms[t].input_grid.channels, 1),
                }
            }
            None => return Err(tile_bytes(group)),
        }
    }
    // Each blocked term: the fewest channel groups whose blocks fit.
    for t in 0..group.terms.len() {
        let TermKind::Blocked { .. } = group.terms[t].kind else {
            continue;
        };
        let inputs = group.terms[t].input_grid.channels;
        let block_bytes = |n: usize| {
            let first = even_ranges(inputs, n).swap_remove(0);
            memory
                .block(&group.block_size(graph, t, &tile.pre, &first))
                .total()
        };
        match (1..=inputs).find(|&n| block_bytes(n) <= budget) {
            Some(n) => {
                group.terms[t].kind = TermKind::Blocked {
                    channel_groups: even_ranges(inputs, n),
                }
            }
            None => return Err(block_bytes(inputs)),
        }
    }
    Ok(())
}

/// A cut's cores, input deliveries per sample (input elements and partial sums), filter
/// groups and blocks.
fn score(group: &Group) -> Score {
    let mut inputs = 0u64;
    let mut blocks = 0usize;
    for tile in group.tiles() {
        for (t, term) in group.terms.iter().enumerate() {
            let channels = group.input_box(t, &tile.pre).channels.len();
            inputs += group.input_elements(t, &tile.pre, channels) as u64;
            if let TermKind::Blocked { channel_groups } = &term.kind {
                blocks += channel_groups.len();
                // Partial sums to the tile.
                inputs += (tile.pre.len() * channel_groups.len()) as u64;
            }
        }
    }
    (
        group.n_cores() as u64,
        inputs,
        group.filter_groups.len(),
        blocks,
    )
}

impl Plan {
    /// Cores of the network's tiles and blocks (not the feeder, gatherer and loss core).
    pub fn n_cores(&self) -> usize {
        self.groups.iter().map(Group::n_cores).sum()
    }

    /// The most DTCM any tile or block core of the plan uses.
    pub fn peak_dtcm_bytes(&self, graph: &Graph) -> u64 {
        self.groups
            .iter()
            .map(|g| g.peak_dtcm(graph, &self.memory))
            .max()
            .unwrap_or(0)
    }

    /// The group whose tiles produce node `id`'s output (views followed).
    pub fn producer(&self, graph: &Graph, id: NodeId) -> Producer {
        self.producers[resolve(graph, id).0]
    }

    /// The group a node is computed in.
    pub fn group_of(&self, id: NodeId) -> Option<usize> {
        match self.producers[id.0] {
            Producer::Group(g) | Producer::Internal(g) => Some(g),
            _ => None,
        }
    }

    /// Deliveries per training sample: every input element each tile or block needs, the
    /// `δ` contributions sent back for them, blocks' partial sums and the `δz` they are sent,
    /// and the loss core's outputs, labels and `δ`.
    pub fn traffic(&self, graph: &Graph) -> Traffic {
        let _ = graph;
        (0..self.groups.len()).fold(Traffic::default(), |sum, g| {
            let t = self.group_traffic(g);
            Traffic {
                forward: sum.forward + t.forward,
                backward: sum.backward + t.backward,
            }
        })
    }

    /// The deliveries of [`Plan::traffic`] into group `g`'s cores (and, for the output group,
    /// the loss core's).
    pub fn group_traffic(&self, g: usize) -> Traffic {
        let group = &self.groups[g];
        let mut traffic = Traffic::default();
        for tile in group.tiles() {
            for (t, term) in group.terms.iter().enumerate() {
                let channels = group.input_box(t, &tile.pre).channels.len();
                let input = group.input_elements(t, &tile.pre, channels) as u64;
                let pre = tile.pre.len() as u64;
                let back = if term.sends_delta { input } else { 0 };
                match &term.kind {
                    TermKind::Blocked { channel_groups } => {
                        let blocks = channel_groups.len() as u64;
                        traffic.forward += input + blocks * pre;
                        traffic.backward += back + blocks * pre;
                    }
                    _ => {
                        traffic.forward += input;
                        traffic.backward += back;
                    }
                }
            }
        }
        if group.is_output {
            let outputs = group.out_grid.len() as u64;
            traffic.forward += 2 * outputs;
            traffic.backward += outputs;
        }
        traffic
    }

    /// Each weighted node's cut: (channel groups, filter groups, spatial tiles); dense layers'
    /// (row blocks, column blocks, 1).
    pub fn cuts(&self) -> Vec<(NodeId, usize, usize, usize)> {
        let mut cuts = Vec::new();
        for group in &self.groups {
            for term in &group.terms {
                if let Some(node) = term.weighted {
                    let channel_groups = match &term.kind {
                        TermKind::Blocked { channel_groups } => channel_groups.len(),
                        _ => 1,
                    };
                    cuts.push((
                        node,
                        channel_groups,
                        group.filter_groups.len(),
                        group.n_spatial(),
                    ));
                }
            }
        }
        cuts.sort();
        cuts
    }

    /// Every core's DTCM in the plan is within the budget (an invariant the planner keeps).
    pub fn fits(&self, graph: &Graph) -> bool {
        self.peak_dtcm_bytes(graph) <= self.config.dtcm_bytes
    }
}

/// Fold sets up to this many candidates are searched exhaustively.
const EXHAUSTIVE_FOLDS: usize = 6;

/// Plans `spec` within `config` (see the module doc).
pub fn plan(spec: &ModelSpec, config: &PlanConfig) -> Result<Plan, PlanError> {
    if config.slots == 0 {
        return Err(PlanError::NoSlots);
    }
    let graph = spec.graph();
    let memory = MemoryModel::new(spec, config.slots);
    let candidates = fold_candidates(graph);
    // Fold sets share most of their groups: each distinct group is cut once.
    let cuts: std::cell::RefCell<std::collections::HashMap<Group, Result<Group, PlanError>>> =
        Default::default();
    let build = |taken: &[Fold]| -> Result<Plan, PlanError> {
        let (mut groups, producers) = form_groups(graph, taken);
        for group in &mut groups {
            let known = cuts.borrow().get(group).cloned();
            let result = known.unwrap_or_else(|| {
                let mut candidate = group.clone();
                let result =
                    cut(graph, &mut candidate, &memory, config.dtcm_bytes).map(|()| candidate);
                cuts.borrow_mut().insert(group.clone(), result.clone());
                result
            });
            *group = result?;
        }
        Ok(Plan {
            groups,
            producers,
            memory,
            config: *config,
            folds: Vec::new(),
        })
    };
    // Every set of folds when there are few (each fold changes its neighbours' tiling, so
    // they are not independent), else each fold in turn from all of them.
    let better = |a: &Plan, b: &Plan| {
        let (ta, tb) = (a.traffic(graph).total(), b.traffic(graph).total());
        ta < tb || (ta == tb && a.n_cores() < b.n_cores())
    };
    let mut best: Option<(Vec<Fold>, Plan)> = None;
    let mut first_error = None;
    let mut consider = |taken: Vec<Fold>, best: &mut Option<(Vec<Fold>, Plan)>| match build(&taken)
    {
        Ok(plan) => {
            if best.as_ref().is_none_or(|(_, b)| better(&plan, b)) {
                *best = Some((taken, plan));
            }
        }
        Err(e) => {
            first_error.get_or_insert(e);
        }
    };
    if candidates.len() <= EXHAUSTIVE_FOLDS {
        for mask in 0u32..1 << candidates.len() {
            let taken = candidates
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, f)| *f)
                .collect();
            consider(taken, &mut best);
        }
    } else {
        consider(candidates.clone(), &mut best);
        for fold in &candidates {
            let Some((taken, _)) = &best else { break };
            let without = taken.iter().copied().filter(|f| f != fold).collect();
            consider(without, &mut best);
        }
        consider(Vec::new(), &mut best);
    }
    let (taken, current) = match best {
        Some(found) => found,
        None => return Err(first_error.expect("invariant: a failed search saw an error")),
    };
    let mut plan = current;
    plan.folds = candidates.iter().map(|f| (*f, taken.contains(f))).collect();
    Ok(plan)
}

/// The DTCM of a tile, for the core program's allocation (the same function the planner
/// sizes tiles with).
pub fn tile_dtcm(plan: &Plan, graph: &Graph, group: &Group, tile: &Tile) -> Dtcm {
    plan.memory
        .tile(&group.tile_size(graph, &tile.out, &tile.pre))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Loss, NumericMode};
    use crate::ops::{Add, Conv, Dims, Flatten, GlobalPool, Padding, Pool};
    use crate::shape::Shape;

    fn model(inputs: usize, layers: &[(usize, Activation)], numeric: NumericMode) -> ModelSpec {
        let mut b = ModelSpec::builder(inputs);
        for &(units, activation) in layers {
            b = b.dense(units, activation);
        }
        let loss = if layers.last().is_some_and(|l| l.1 == Activation::Softmax) {
            Loss::CategoricalCrossEntropy
        } else {
            Loss::MeanSquaredError
        };
        b.loss(loss)
            .sgd(0.1, 32)
            .numeric(numeric)
            .seed(1)
            .build()
            .expect("a valid model")
    }

    #[test]
    fn the_default_model_is_cut_into_few_blocks_that_fit() {
        let spec = ModelSpec::digits_default();
        let plan = plan(&spec, &PlanConfig::SPINNAKER1).expect("fits");
        let graph = spec.graph();
        assert_eq!(plan.groups.len(), 2);
        let l0 = &plan.groups[0];
        // 64 x 128 f32 weights and their gradient sums are 64 KB: two row blocks of 32 and one
        // accumulator (three cores) beat two column blocks and two accumulators (four).
        assert_eq!(
            l0.terms[0].kind,
            TermKind::Blocked {
                channel_groups: vec![0..32, 32..64]
            }
        );
        assert_eq!(l0.filter_groups, even_ranges(128, 1));
        let tile = l0.tiles().swap_remove(0);
        let block = l0.block_size(graph, 0, &tile.pre, &(0..32));
        assert_eq!(
            plan.memory.block(&block).total(),
            32 * 128 * 8 + 2 * (32 * 128 / 8) + 4 * (4 * 32 + 4 * 128 + 8 * 128)
        );
        assert_eq!(plan.memory.block(&block).total(), 40_448);
        let l1 = &plan.groups[1];
        assert_eq!(
            l1.terms[0].kind,
            TermKind::Blocked {
                channel_groups: even_ranges(128, 1)
            }
        );
        assert_eq!(l1.filter_groups, even_ranges(10, 1));
        assert_eq!(plan.n_cores(), 2 + 1 + 1 + 1);
        assert_eq!(plan.peak_dtcm_bytes(graph), 40_448);
        let fixed = super::plan(
            &spec.with_numeric(NumericMode::Fixed).expect("valid"),
            &PlanConfig::SPINNAKER1,
        )
        .expect("fits");
        assert_eq!(fixed.peak_dtcm_bytes(graph), 56_832);
    }

    #[test]
    fn fixed_point_and_momentum_need_more_memory_and_so_more_blocks() {
        let layers = [(256, Activation::Relu), (10, Activation::Softmax)];
        let f32_plan = plan(
            &model(784, &layers, NumericMode::F32),
            &PlanConfig::SPINNAKER1,
        )
        .expect("fits");
        let fixed_spec = model(784, &layers, NumericMode::Fixed);
        let fixed_plan = plan(&fixed_spec, &PlanConfig::SPINNAKER1).expect("fits");
        assert!(fixed_plan.n_cores() > f32_plan.n_cores());
        assert!(fixed_plan.fits(fixed_spec.graph()));
    }

    #[test]
    fn ranges_cover_evenly_larger_first() {
        assert_eq!(even_ranges(10, 3), [0..4, 4..7, 7..10]);
        assert_eq!(even_ranges(5, 5), [0..1, 1..2, 2..3, 3..4, 4..5]);
    }

    #[test]
    fn what_cannot_fit_is_named() {
        let wide_softmax = model(8, &[(2000, Activation::Softmax)], NumericMode::F32);
        assert!(plan(&wide_softmax, &PlanConfig::SPINNAKER1)
            .expect_err("too wide")
            .to_string()
            .starts_with(
                "layer \"dense\": a softmax over 2000 units needs one core holding all of them, "
            ));
        let tiny = PlanConfig {
            dtcm_bytes: 64,
            slots: 4,
        };
        let spec = model(8, &[(4, Activation::Relu)], NumericMode::F32);
        assert!(matches!(
            plan(&spec, &tiny),
            Err(PlanError::DoesNotFit { .. })
        ));
        assert_eq!(
            plan(
                &spec,
                &PlanConfig {
                    dtcm_bytes: 1 << 16,
                    slots: 0
                }
            ),
            Err(PlanError::NoSlots)
        );
    }

    fn cnn(residual: bool) -> ModelSpec {
        let conv = |f, act| Op::Conv(Conv::conv2d(f, [3, 3], [1, 1], Padding::Same, act));
        let mut b = ModelSpec::builder_for(Shape::new(vec![28, 28, 1]))
            .named("c1", conv(8, Activation::Relu), &[])
            .named("p1", Op::Pool(Pool::new_2d(PoolKind::Max, [2, 2])), &[]);
        if residual {
            b = b
                .named("c2", conv(8, Activation::Relu), &[])
                .named("c3", conv(8, Activation::Identity), &[])
                .named(
                    "sum",
                    Op::Add(Add {
                        activation: Activation::Relu,
                    }),
                    &["p1", "c3"],
                );
        }
        b.named("gap", Op::GlobalPool(GlobalPool { dims: Dims::Two }), &[])
            .layer(Op::Flatten(Flatten))
            .dense(10, Activation::Softmax)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.05, 32)
            .numeric(NumericMode::Fixed)
            .seed(1)
            .build()
            .expect("valid")
    }

    #[test]
    fn pools_and_identity_kernels_fold_when_that_moves_fewer_packets() {
        let spec = cnn(true);
        let graph = spec.graph();
        let plan = plan(&spec, &PlanConfig::SPINNAKER1).expect("fits");
        let names: Vec<&str> = plan.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names[0], "c1+p1", "{names:?}");
        assert!(plan.fits(graph));
        // Changing any one fold decision moves at least as many packets.
        let chosen: Vec<Fold> = plan
            .folds
            .iter()
            .filter(|(_, t)| *t)
            .map(|(f, _)| *f)
            .collect();
        for (fold, taken) in &plan.folds {
            let other: Vec<Fold> = if *taken {
                chosen.iter().copied().filter(|f| f != fold).collect()
            } else {
                chosen.iter().copied().chain([*fold]).collect()
            };
            let (mut groups, producers) = form_groups(graph, &other);
            if groups
                .iter_mut()
                .all(|g| cut(graph, g, &plan.memory, PlanConfig::SPINNAKER1.dtcm_bytes).is_ok())
            {
                let alternative = Plan {
                    groups,
                    producers,
                    memory: plan.memory,
                    config: plan.config,
                    folds: Vec::new(),
                };
                assert!(
                    alternative.traffic(graph).total() >= plan.traffic(graph).total(),
                    "{fold:?}"
                );
            }
        }
        let (groups, _) = form_groups(graph, &[]);
        let mut unfolded = Plan {
            groups,
            producers: plan.producers.clone(),
            memory: plan.memory,
            config: plan.config,
            folds: Vec::new(),
        };
        for g in &mut unfolded.groups {
            cut(graph, g, &plan.memory, PlanConfig::SPINNAKER1.dtcm_bytes).expect("fits");
        }
        assert!(plan.traffic(graph).total() < unfolded.traffic(graph).total());
        // The first convolution is tiled spatially: 28 × 28 × 8 values do not fit one core.
        assert!(plan.groups[0].n_spatial() > 1);
        for tile in plan.groups[0].tiles() {
            let input = plan.groups[0].input_box(0, &tile.pre);
            // A 3 × 3 same convolution reads one more row and column on each inner side.
            assert!(input.rows.len() <= tile.pre.rows.len() + 2);
            assert_eq!(tile.pre.rows.len(), 2 * tile.out.rows.len());
        }
    }
}
