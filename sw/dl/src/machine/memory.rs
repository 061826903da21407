//! What each kind of core holds in DTCM: one function per core kind, used by the planner to
//! size tiles and blocks and by the core program to allocate exactly that, item by item, when
//! it starts.
//!
//! | Core | Held once | Held per in-flight sample (`slots`) |
//! |---|---|---|
//! | tile | kernels and biases held here `(v + g [+ v])` each, a reduction counter `4` per 32 of them, one contribution buffer `s` per input element | inputs `v`, partial sums `s` per blocked-term output, activations `v` per pre-pool output (relu's derivative needs only `a > 0`), incoming `δ` `s` per output (per reading layer in f32) |
//! | block `R × C` | weights `(v + g [+ v])` each, a reduction counter `4` per 32 of them | inputs `4R`, `δz` `4C`, partial sums `8C` |
//! | loss | | outputs and labels `2v` per output |
//! | feeder | a sample buffer `4(i + o)` (the DMA target) | credits `8` |
//!
//! where `v` is a value (4 bytes), `s` a sum (4 in f32, 8 in fixed point: exact `i64`), `g` a
//! gradient sum (the same) and the bracketed `v` a momentum velocity. A block's partial sums
//! are counted at 8 bytes in both modes, so that fixed-point partials stay exact across blocks.
//! The reduction counters ([`super::cores::REDUCTION_CHUNK`]) are held whether or not the
//! core's parameters are summed with copies, so that a plan fits with replicas as without.
//!
//! In SDRAM a feeder holds a batch buffer of `4(i + o)` per sample for the batches the host
//! streams (`i` inputs, `o` outputs); the training set the host writes once per feeder chip is
//! counted against that chip's SDRAM by the machine.

use crate::model::{ModelSpec, NumericMode};

/// A core's DTCM, item by item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dtcm {
    pub items: Vec<(&'static str, u64)>,
}

impl Dtcm {
    pub fn total(&self) -> u64 {
        self.items.iter().map(|(_, b)| b).sum()
    }
}

/// The sizes of one tile core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TileSize {
    /// Kernel elements of the weighted terms held on the tile.
    pub kernels: u64,
    /// Biases of every weighted term (held on the tile even when its kernel is on blocks).
    pub biases: u64,
    /// Input elements the tile receives for its inline and identity terms.
    pub inputs: u64,
    /// Pre-pool outputs of its blocked terms (one partial sum per output each).
    pub partials: u64,
    /// Pre-pool outputs (their activations).
    pub pre: u64,
    /// Outputs (the incoming `δ`).
    pub outputs: u64,
    /// Layers that read the output: each one's `δ` contributions are held apart until all
    /// have come, then added in graph order (as the reference adds them, so that f32 rounds
    /// the same).
    pub readers: u64,
    /// The largest input region a `δ` contribution buffer covers.
    pub contributions: u64,
}

/// The sizes of one block core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockSize {
    pub weights: u64,
    pub inputs: u64,
    pub outputs: u64,
}

/// Byte sizes in a model's numeric mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryModel {
    pub slots: u64,
    /// A sum or gradient sum: 4 bytes in f32, 8 in fixed point.
    pub sum: u64,
    pub momentum: bool,
    /// Whether a tile holds each reading layer's `δ` contributions apart (f32, so that they
    /// are added in the reference's order); in fixed point the sum is exact in any order and
    /// one buffer takes them all.
    pub ordered_readers: bool,
    /// One sample as the feeder reads it from SDRAM: its inputs and labels, a word each.
    pub sample_bytes: u64,
}

/// A value (weight, activation, `δ`): 4 bytes in both modes.
const VALUE: u64 = 4;

impl MemoryModel {
    pub fn new(spec: &ModelSpec, slots: u64) -> MemoryModel {
        MemoryModel {
            slots,
            sum: match spec.numeric() {
                NumericMode::F32 => 4,
                NumericMode::Fixed => 8,
            },
            momentum: spec.optimizer().momentum().is_some(),
            ordered_readers: spec.numeric() == NumericMode::F32,
            sample_bytes: VALUE * (spec.inputs() + spec.outputs()) as u64,
        }
    }

    /// Bytes per trainable parameter: the value, its gradient sum and (with momentum) its
    /// velocity.
    fn per_parameter(&self) -> u64 {
        VALUE + self.sum + if self.momentum { VALUE } else { 0 }
    }

    /// A gradient reduction's arrival counters for `parameters`: one half-word per chunk.
    fn reduction_counters(parameters: u64) -> u64 {
        2 * parameters.div_ceil(u64::from(super::cores::REDUCTION_CHUNK))
    }

    /// The `δ` contribution buffers a tile read by `readers` layers holds per slot.
    pub fn delta_buffers(&self, readers: u64) -> u64 {
        if self.ordered_readers {
            readers.max(1)
        } else {
            1
        }
    }

    pub fn tile(&self, t: &TileSize) -> Dtcm {
        let s = self.slots;
        let mut items = Vec::new();
        if t.kernels > 0 {
            items.push(("kernels", t.kernels * self.per_parameter()));
        }
        if t.biases > 0 {
            items.push(("biases", t.biases * self.per_parameter()));
        }
        if t.kernels + t.biases > 0 {
            items.push((
                "reduction counters",
                Self::reduction_counters(t.kernels + t.biases),
            ));
        }
        if t.inputs > 0 {
            items.push(("sample slots: inputs", s * t.inputs * VALUE));
        }
        if t.partials > 0 {
            items.push(("sample slots: partial sums", s * t.partials * self.sum));
        }
        items.push(("sample slots: activations", s * t.pre * VALUE));
        items.push((
            "sample slots: incoming deltas",
            s * t.outputs * self.delta_buffers(t.readers) * self.sum,
        ));
        if t.contributions > 0 {
            items.push(("delta contributions", t.contributions * self.sum));
        }
        Dtcm { items }
    }

    pub fn block(&self, b: &BlockSize) -> Dtcm {
        Dtcm {
            items: vec![
                ("weights", b.weights * self.per_parameter()),
                ("reduction counters", Self::reduction_counters(b.weights)),
                (
                    "sample slots",
                    self.slots * (VALUE * b.inputs + VALUE * b.outputs + 8 * b.outputs),
                ),
            ],
        }
    }

    pub fn loss(&self, outputs: u64) -> Dtcm {
        Dtcm {
            items: vec![("sample slots", self.slots * 2 * outputs * VALUE)],
        }
    }

    pub fn feeder(&self) -> Dtcm {
        Dtcm {
            items: vec![
                ("sample buffer", self.sample_bytes),
                ("slot credits", 8 * self.slots),
            ],
        }
    }

    /// The feeder's SDRAM buffer for a streamed batch of up to `capacity` samples.
    pub fn feeder_batch_buffer(&self, capacity: u64) -> u64 {
        capacity * self.sample_bytes
    }
}
