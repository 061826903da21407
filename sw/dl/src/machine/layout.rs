//! The machine graph of a planned network: which cores exist, which partitions connect them
//! and how each receiver indexes each partition's keys.
//!
//! Vertices: the feeder and the live packet gatherer (pinned to the Ethernet chip, (0, 0)),
//! for each layer a block core per (row block, column block) and an accumulator per column
//! block, and one loss core. Partitions, each keyed by sample slot (see [`super::ports`]):
//!
//! | From | To | Carries |
//! |---|---|---|
//! | feeder | all compute cores | control: a batch starts (mode, size) |
//! | feeder | first-layer blocks of row block `r` | the input elements of `r` |
//! | feeder | loss core | labels |
//! | block `(l, r, c)` | accumulator `(l, c)` | partial sums |
//! | accumulator `(l, c)` | blocks `(l + 1, r, *)` for each row block `r` overlapping `c` | activations |
//! | last accumulators | loss core | output activations |
//! | loss core | each last accumulator | `δ` |
//! | accumulator `(l, c)` | blocks `(l, *, c)` | `δz` |
//! | block `(l, r, c)`, `l > 0` | each accumulator `(l − 1, c′)` overlapping `r` | `Wᵀδ` partials |
//! | first-layer blocks, loss core | feeder | credits: a slot is free |
//! | loss core | gatherer | the batch's mean loss |
//!
//! So each weight lives on exactly one core, each activation is multicast once to the row
//! blocks that need it, and each `δz` once to the blocks of its column: no per-error
//! broadcasts.

use super::ports::{InPort, InPorts, Mode, OutPort, PortKind};
use crate::model::ModelSpec;
use crate::plan::{accumulator_bytes, block_bytes, Plan, PlanConfig};
use spinn_arch::ChipCoord;
use spinn_toolchain::{
    GraphError, KeyAllocation, MachineGraph, Partition, PartitionId, Resources, Vertex, VertexId,
};
use std::ops::Range;

/// What a vertex is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Feeder,
    Gatherer,
    Loss,
    Block {
        layer: usize,
        row: usize,
        col: usize,
    },
    Accumulator {
        layer: usize,
        col: usize,
    },
}

/// What an outgoing partition is for, from its sender's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutKind {
    Control,
    Inputs,
    Labels,
    Partials,
    Activations,
    Deltas,
    Backward,
    Credits,
    Results,
}

#[derive(Debug, Clone, Copy)]
struct InSpec {
    partition: PartitionId,
    kind: PortKind,
    offset: u32,
    width: u32,
    words: u32,
}

#[derive(Debug, Clone, Copy)]
struct OutSpec {
    partition: PartitionId,
    kind: OutKind,
    offset: u32,
    width: u32,
    words: u32,
}

/// The cores of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerCores {
    /// `[row block][column block]`.
    pub blocks: Vec<Vec<VertexId>>,
    pub accumulators: Vec<VertexId>,
}

/// The graph and how every vertex's partitions are indexed.
#[derive(Debug, Clone)]
pub struct Layout {
    pub graph: MachineGraph,
    pub roles: Vec<Role>,
    pub feeder: VertexId,
    pub gatherer: VertexId,
    pub loss: VertexId,
    pub layers: Vec<LayerCores>,
    pub slots: u32,
    /// Samples the loss core's recording holds.
    pub record_capacity: u32,
    ins: Vec<Vec<InSpec>>,
    outs: Vec<Vec<OutSpec>>,
    /// Distinct senders into each vertex (for pacing).
    fan_in: Vec<u32>,
}

/// The overlap of two ranges, if any.
fn overlap(a: &Range<usize>, b: &Range<usize>) -> Option<Range<usize>> {
    let r = a.start.max(b.start)..a.end.min(b.end);
    (!r.is_empty()).then_some(r)
}

/// Where the network's compute cores go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spread {
    /// Wherever the toolchain's placer puts them (it fills chips nearest (0, 0) first).
    Packed,
    /// Round-robin over these chips, one vertex per chip in turn (to exercise the fabric).
    Chips(Vec<ChipCoord>),
}

struct Builder<'a> {
    layout: &'a mut Layout,
}

impl Builder<'_> {
    fn vertex(
        &mut self,
        role: Role,
        name: String,
        dtcm: u64,
        sdram: u64,
        chip: Option<ChipCoord>,
    ) -> VertexId {
        let id = self.layout.graph.add_vertex(Vertex {
            name,
            resources: Resources {
                dtcm_bytes: dtcm.min(u64::from(u32::MAX)) as u32,
                sdram_bytes: sdram,
            },
            chip,
        });
        self.layout.roles.push(role);
        self.layout.ins.push(Vec::new());
        self.layout.outs.push(Vec::new());
        self.layout.fan_in.push(0);
        id
    }

    /// Adds a partition of `width × words` elements per slot (or `keys` keys) from `source`
    /// to `targets`, which place element 0 at `in_offset`; the sender reads it from its own
    /// vector at `out_offset`.
    #[allow(clippy::too_many_arguments)]
    fn link(
        &mut self,
        source: VertexId,
        name: String,
        targets: Vec<VertexId>,
        (out, out_offset): (OutKind, usize),
        (kind, in_offset): (PortKind, usize),
        width: usize,
        words: u32,
        keys: u32,
    ) -> Result<(), GraphError> {
        let partition = self.layout.graph.add_partition(Partition {
            source,
            name,
            n_keys: keys,
            targets: targets.clone(),
        })?;
        self.layout.outs[source.index()].push(OutSpec {
            partition,
            kind: out,
            offset: out_offset as u32,
            width: width as u32,
            words,
        });
        for t in targets {
            self.layout.ins[t.index()].push(InSpec {
                partition,
                kind,
                offset: in_offset as u32,
                width: width as u32,
                words,
            });
            if kind != PortKind::Control {
                self.layout.fan_in[t.index()] += 1;
            }
        }
        Ok(())
    }

    /// A data partition: `width` elements of `words` words for each slot.
    #[allow(clippy::too_many_arguments)]
    fn data(
        &mut self,
        source: VertexId,
        name: String,
        targets: Vec<VertexId>,
        out: (OutKind, usize),
        into: (PortKind, usize),
        width: usize,
        words: u32,
    ) -> Result<(), GraphError> {
        let keys = self.layout.slots * width as u32 * words;
        self.link(source, name, targets, out, into, width, words, keys)
    }
}

impl Layout {
    /// The graph of `spec` cut as `plan`, with `sum_keys` keys per partial sum.
    pub fn new(
        spec: &ModelSpec,
        plan: &Plan,
        config: &PlanConfig,
        sum_keys: u32,
        record_capacity: u32,
        spread: &Spread,
    ) -> Result<Layout, GraphError> {
        let slots = config.slots as u32;
        let mut layout = Layout {
            graph: MachineGraph::new(),
            roles: Vec::new(),
            feeder: VertexId(0),
            gatherer: VertexId(0),
            loss: VertexId(0),
            layers: Vec::new(),
            slots,
            record_capacity,
            ins: Vec::new(),
            outs: Vec::new(),
            fan_in: Vec::new(),
        };
        let mut b = Builder {
            layout: &mut layout,
        };
        let ethernet = Some(ChipCoord::new(0, 0));
        let mut next_chip = 0usize;
        let mut place = || match spread {
            Spread::Packed => None,
            Spread::Chips(chips) => {
                let chip = chips[next_chip % chips.len()];
                next_chip += 1;
                Some(chip)
            }
        };
        let feeder = b.vertex(Role::Feeder, "dl/feeder".into(), 1024, 0, ethernet);
        let gatherer = b.vertex(Role::Gatherer, "dl/gatherer".into(), 1024, 0, ethernet);
        let outputs = spec.outputs();
        let loss = b.vertex(
            Role::Loss,
            "dl/loss".into(),
            config.slots * 8 * outputs as u64,
            u64::from(record_capacity) * 4 * outputs as u64,
            place(),
        );
        let mut layers = Vec::new();
        for (l, lp) in plan.layers.iter().enumerate() {
            let mut blocks = Vec::new();
            for (r, rows) in lp.row_blocks.iter().enumerate() {
                let mut row = Vec::new();
                for (c, cols) in lp.column_blocks.iter().enumerate() {
                    let dtcm = block_bytes(spec, config, rows.len() as u64, cols.len() as u64);
                    row.push(b.vertex(
                        Role::Block {
                            layer: l,
                            row: r,
                            col: c,
                        },
                        format!("dl/layer{l}/block[r{r},c{c}]"),
                        dtcm,
                        0,
                        place(),
                    ));
                }
                blocks.push(row);
            }
            let accumulators = lp
                .column_blocks
                .iter()
                .enumerate()
                .map(|(c, cols)| {
                    b.vertex(
                        Role::Accumulator { layer: l, col: c },
                        format!("dl/layer{l}/acc[c{c}]"),
                        accumulator_bytes(spec, config, cols.len() as u64),
                        0,
                        place(),
                    )
                })
                .collect();
            layers.push(LayerCores {
                blocks,
                accumulators,
            });
        }
        let compute: Vec<VertexId> = std::iter::once(loss)
            .chain(layers.iter().flat_map(|lc| {
                lc.blocks
                    .iter()
                    .flatten()
                    .chain(&lc.accumulators)
                    .copied()
                    .collect::<Vec<_>>()
            }))
            .collect();
        b.link(
            feeder,
            "control".into(),
            compute,
            (OutKind::Control, 0),
            (PortKind::Control, 0),
            Mode::COUNT as usize,
            1,
            Mode::COUNT,
        )?;
        let first = &plan.layers[0];
        for (r, rows) in first.row_blocks.iter().enumerate() {
            b.data(
                feeder,
                format!("inputs[r{r}]"),
                layers[0].blocks[r].clone(),
                (OutKind::Inputs, rows.start),
                (PortKind::Values, 0),
                rows.len(),
                1,
            )?;
        }
        b.data(
            feeder,
            "labels".into(),
            vec![loss],
            (OutKind::Labels, 0),
            (PortKind::Labels, 0),
            outputs,
            1,
        )?;
        let n_layers = plan.layers.len();
        for (l, lp) in plan.layers.iter().enumerate() {
            for (c, cols) in lp.column_blocks.iter().enumerate() {
                let acc = layers[l].accumulators[c];
                for (r, _) in lp.row_blocks.iter().enumerate() {
                    b.data(
                        layers[l].blocks[r][c],
                        "partials".into(),
                        vec![acc],
                        (OutKind::Partials, 0),
                        (PortKind::ForwardPartials, 0),
                        cols.len(),
                        sum_keys,
                    )?;
                }
                let column: Vec<VertexId> = layers[l].blocks.iter().map(|row| row[c]).collect();
                b.data(
                    acc,
                    "deltas".into(),
                    column,
                    (OutKind::Deltas, 0),
                    (PortKind::Deltas, 0),
                    cols.len(),
                    1,
                )?;
                if l + 1 == n_layers {
                    b.data(
                        acc,
                        "outputs".into(),
                        vec![loss],
                        (OutKind::Activations, 0),
                        (PortKind::Values, cols.start),
                        cols.len(),
                        1,
                    )?;
                    b.data(
                        loss,
                        format!("deltas[c{c}]"),
                        vec![acc],
                        (OutKind::Deltas, cols.start),
                        (PortKind::Deltas, 0),
                        cols.len(),
                        1,
                    )?;
                    continue;
                }
                let next = &plan.layers[l + 1];
                for (r, rows) in next.row_blocks.iter().enumerate() {
                    let Some(shared) = overlap(cols, rows) else {
                        continue;
                    };
                    b.data(
                        acc,
                        format!("activations[r{r}]"),
                        layers[l + 1].blocks[r].clone(),
                        (OutKind::Activations, shared.start - cols.start),
                        (PortKind::Values, shared.start - rows.start),
                        shared.len(),
                        1,
                    )?;
                    for (c2, _) in next.column_blocks.iter().enumerate() {
                        b.data(
                            layers[l + 1].blocks[r][c2],
                            format!("backward[c{c}]"),
                            vec![acc],
                            (OutKind::Backward, shared.start - rows.start),
                            (PortKind::BackwardPartials, shared.start - cols.start),
                            shared.len(),
                            sum_keys,
                        )?;
                    }
                }
            }
        }
        let mut crediting: Vec<VertexId> = layers[0].blocks.iter().flatten().copied().collect();
        crediting.push(loss);
        for source in crediting {
            b.link(
                source,
                "credits".into(),
                vec![feeder],
                (OutKind::Credits, 0),
                (PortKind::Credits, 0),
                1,
                1,
                slots,
            )?;
        }
        b.link(
            loss,
            "results".into(),
            vec![gatherer],
            (OutKind::Results, 0),
            (PortKind::Values, 0),
            2,
            1,
            2,
        )?;
        layout.feeder = feeder;
        layout.gatherer = gatherer;
        layout.loss = loss;
        layout.layers = layers;
        Ok(layout)
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
                        offset: s.offset,
                        width: s.width,
                        words: s.words,
                    }
                })
                .collect(),
        )
    }

    /// The vertex's sending ports of `kind`, in the order they were added.
    pub fn out_ports(&self, v: VertexId, kind: OutKind, keys: &KeyAllocation) -> Vec<OutPort> {
        self.outs[v.index()]
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| OutPort {
                base: keys
                    .get(s.partition)
                    .expect("invariant: every partition has keys")
                    .base,
                offset: s.offset,
                width: s.width,
                words: s.words,
            })
            .collect()
    }

    /// The partition of the vertex's single sending port of `kind`.
    pub fn out_port_partition(&self, v: VertexId, kind: OutKind) -> PartitionId {
        let mut specs = self.outs[v.index()].iter().filter(|s| s.kind == kind);
        let spec = specs.next().expect("invariant: the vertex has such a port");
        spec.partition
    }

    /// The single sending port of `kind`.
    pub fn out_port(&self, v: VertexId, kind: OutKind, keys: &KeyAllocation) -> OutPort {
        let mut ports = self.out_ports(v, kind, keys);
        assert_eq!(ports.len(), 1, "invariant: one {kind:?} port");
        ports.remove(0)
    }

    /// Core cycles a sender waits between packets so that its busiest receiver, taking
    /// packets from all its senders at once, keeps up: `receive_cycles` per packet each.
    pub fn send_gap(&self, v: VertexId, receive_cycles: u64, send_cycles: u64) -> u64 {
        let busiest = self.outs[v.index()]
            .iter()
            .filter(|s| s.kind != OutKind::Control)
            .flat_map(|s| self.graph.partition(s.partition).targets.iter())
            .map(|t| u64::from(self.fan_in[t.index()]))
            .max()
            .unwrap_or(1);
        (busiest * receive_cycles).saturating_sub(send_cycles)
    }
}
