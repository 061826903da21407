//! How a network is cut into cores: each dense layer's weight matrix becomes a grid of 2-D
//! blocks (row ranges of inputs × column ranges of units), each block on one core with its own
//! weights, gradient sums and momentum, and each column range gets an accumulator core that
//! sums the blocks' partial products, adds the bias and applies the activation (DESIGN.md,
//! "Deep learning on it"). Every core's data must fit its DTCM.
//!
//! The plan counts bytes the way the cores will hold them, per [`NumericMode`]:
//!
//! | Core | Held once | Held per in-flight sample (`slots`) |
//! |---|---|---|
//! | block `R × C` | weights `4RC`, gradient sums `gRC`, velocity `4RC` with momentum | inputs `4R`, deltas `4C`, partial sums `8C` |
//! | accumulator `C` | bias `4C`, its gradient `gC`, velocity `4C` with momentum | partial sums `8C`, `z` and `a` `8C`, deltas `4C` |
//!
//! where `g` is 4 bytes in f32 and 8 in fixed point (exact `i64` sums of Q30 products, as the
//! golden reference keeps them). Partial sums are 8 bytes in both modes so that fixed-point
//! partials stay exact across blocks.
//!
//! The search takes, for each layer, the fewest cores that fit (then the fewest row blocks,
//! since each extra row block adds a partial-sum packet per unit); a softmax layer keeps all its
//! units in one column range, because its accumulator normalises over all of them.

use crate::model::{Activation, ModelSpec, NumericMode, Optimizer};
use std::ops::Range;
use thiserror::Error;

/// What a plan must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanConfig {
    /// DTCM bytes a core may use for the layer's data (the rest holds the runtime and stack).
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

/// One layer's cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerPlan {
    pub inputs: usize,
    pub units: usize,
    /// Input ranges, in order, covering `0..inputs`.
    pub row_blocks: Vec<Range<usize>>,
    /// Unit ranges, in order, covering `0..units`; one accumulator each.
    pub column_blocks: Vec<Range<usize>>,
    /// The largest block core's and accumulator core's DTCM use.
    pub block_bytes: u64,
    pub accumulator_bytes: u64,
}

impl LayerPlan {
    /// Block cores plus accumulator cores.
    pub fn n_cores(&self) -> usize {
        self.row_blocks.len() * self.column_blocks.len() + self.column_blocks.len()
    }
}

/// The whole network's cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub layers: Vec<LayerPlan>,
}

impl Plan {
    pub fn n_cores(&self) -> usize {
        self.layers.iter().map(LayerPlan::n_cores).sum()
    }

    /// The most DTCM any core of the plan uses.
    pub fn peak_dtcm_bytes(&self) -> u64 {
        self.layers
            .iter()
            .map(|l| l.block_bytes.max(l.accumulator_bytes))
            .max()
            .unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    #[error(
        "layer {layer} ({inputs} inputs, {units} units): even a 1x1 block needs {needed} bytes, \
         more than the {budget} bytes of DTCM a core has for data"
    )]
    BlockTooLarge {
        layer: usize,
        inputs: usize,
        units: usize,
        needed: u64,
        budget: u64,
    },
    #[error(
        "layer {layer}: a softmax over {units} units needs one accumulator holding all of them, \
         {needed} bytes, more than the {budget} bytes of DTCM a core has for data"
    )]
    SoftmaxTooWide {
        layer: usize,
        units: usize,
        needed: u64,
        budget: u64,
    },
    #[error("a plan needs at least one sample slot")]
    NoSlots,
}

/// Bytes per value of a weight-gradient sum.
fn gradient_bytes(numeric: NumericMode) -> u64 {
    match numeric {
        NumericMode::F32 => 4,
        NumericMode::Fixed => 8,
    }
}

fn has_momentum(spec: &ModelSpec) -> bool {
    match spec.optimizer() {
        Optimizer::Sgd { momentum, .. } => momentum.is_some(),
    }
}

/// DTCM of a block core holding `rows × cols` weights.
pub fn block_bytes(spec: &ModelSpec, config: &PlanConfig, rows: u64, cols: u64) -> u64 {
    let per_weight = 4 + gradient_bytes(spec.numeric()) + if has_momentum(spec) { 4 } else { 0 };
    rows * cols * per_weight + config.slots * (4 * rows + 4 * cols + 8 * cols)
}

/// DTCM of an accumulator core for `cols` units.
pub fn accumulator_bytes(spec: &ModelSpec, config: &PlanConfig, cols: u64) -> u64 {
    let per_unit = 4 + gradient_bytes(spec.numeric()) + if has_momentum(spec) { 4 } else { 0 };
    cols * per_unit + config.slots * (8 * cols + 8 * cols + 4 * cols)
}

/// `0..n` cut into `parts` ranges as even as possible, larger ones first.
fn even_ranges(n: usize, parts: usize) -> Vec<Range<usize>> {
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

/// Cuts every layer of `spec` into blocks and accumulators that fit `config`.
pub fn plan(spec: &ModelSpec, config: &PlanConfig) -> Result<Plan, PlanError> {
    if config.slots == 0 {
        return Err(PlanError::NoSlots);
    }
    let mut inputs = spec.inputs();
    let mut layers = Vec::with_capacity(spec.layers().len());
    for (layer, dense) in spec.layers().iter().enumerate() {
        let units = dense.units;
        let budget = config.dtcm_bytes;
        let softmax = dense.activation == Activation::Softmax;
        let mut best: Option<(usize, usize)> = None;
        let max_column_blocks = if softmax { 1 } else { units };
        for n_cols in 1..=max_column_blocks {
            let cols = units.div_ceil(n_cols) as u64;
            if accumulator_bytes(spec, config, cols) > budget {
                continue;
            }
            // The most rows a block of this width can hold.
            let per_row = block_bytes(spec, config, 1, cols) - block_bytes(spec, config, 0, cols);
            let fixed = block_bytes(spec, config, 0, cols);
            if fixed + per_row > budget {
                continue;
            }
            let rows = ((budget - fixed) / per_row).min(inputs as u64) as usize;
            let n_rows = inputs.div_ceil(rows);
            let cores = n_rows * n_cols + n_cols;
            let better = best.is_none_or(|(r, c)| {
                let current = r * c + c;
                cores < current || (cores == current && n_rows < r)
            });
            if better {
                best = Some((n_rows, n_cols));
            }
            // Wider splits only add accumulators once the rows fit in one block.
            if n_rows == 1 {
                break;
            }
        }
        let Some((n_rows, n_cols)) = best else {
            if softmax && accumulator_bytes(spec, config, units as u64) > budget {
                return Err(PlanError::SoftmaxTooWide {
                    layer,
                    units,
                    needed: accumulator_bytes(spec, config, units as u64),
                    budget,
                });
            }
            let cols = if softmax { units as u64 } else { 1 };
            return Err(PlanError::BlockTooLarge {
                layer,
                inputs,
                units,
                needed: block_bytes(spec, config, 1, cols),
                budget,
            });
        };
        let row_blocks = even_ranges(inputs, n_rows);
        let column_blocks = even_ranges(units, n_cols);
        let rows = row_blocks[0].len() as u64;
        let cols = column_blocks[0].len() as u64;
        layers.push(LayerPlan {
            inputs,
            units,
            block_bytes: block_bytes(spec, config, rows, cols),
            accumulator_bytes: accumulator_bytes(spec, config, cols),
            row_blocks,
            column_blocks,
        });
        inputs = units;
    }
    Ok(Plan { layers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Loss, NumericMode};

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
        let l0 = &plan.layers[0];
        // 64 x 128 f32 weights and their gradient sums are 64 KB: two row blocks of 32 and one
        // accumulator (three cores) beat two column blocks and two accumulators (four).
        assert_eq!(l0.row_blocks, [0..32, 32..64]);
        assert_eq!(l0.column_blocks.as_slice(), std::slice::from_ref(&(0..128)));
        assert_eq!(
            l0.block_bytes,
            32 * 128 * 8 + 4 * (4 * 32 + 4 * 128 + 8 * 128)
        );
        assert_eq!(l0.block_bytes, 39_424);
        let l1 = &plan.layers[1];
        assert_eq!(l1.row_blocks.as_slice(), std::slice::from_ref(&(0..128)));
        assert_eq!(l1.column_blocks.as_slice(), std::slice::from_ref(&(0..10)));
        assert_eq!(plan.n_cores(), 2 + 1 + 1 + 1);
        assert!(plan.peak_dtcm_bytes() <= PlanConfig::SPINNAKER1.dtcm_bytes);
    }

    #[test]
    fn fixed_point_and_momentum_need_more_memory_and_so_more_blocks() {
        let f32_plan = plan(
            &model(
                784,
                &[(256, Activation::Relu), (10, Activation::Softmax)],
                NumericMode::F32,
            ),
            &PlanConfig::SPINNAKER1,
        )
        .expect("fits");
        let fixed_plan = plan(
            &model(
                784,
                &[(256, Activation::Relu), (10, Activation::Softmax)],
                NumericMode::Fixed,
            ),
            &PlanConfig::SPINNAKER1,
        )
        .expect("fits");
        assert!(fixed_plan.n_cores() > f32_plan.n_cores());
        for p in [&f32_plan, &fixed_plan] {
            assert!(p.peak_dtcm_bytes() <= PlanConfig::SPINNAKER1.dtcm_bytes);
            let l0 = &p.layers[0];
            assert_eq!(l0.row_blocks.first().map(|r| r.start), Some(0));
            assert_eq!(l0.row_blocks.last().map(|r| r.end), Some(784));
            assert_eq!(l0.column_blocks.last().map(|r| r.end), Some(256));
        }
    }

    #[test]
    fn ranges_cover_evenly_larger_first() {
        assert_eq!(even_ranges(10, 3), [0..4, 4..7, 7..10]);
        assert_eq!(even_ranges(5, 5), [0..1, 1..2, 2..3, 3..4, 4..5]);
    }

    #[test]
    fn what_cannot_fit_is_named() {
        let wide_softmax = model(8, &[(2000, Activation::Softmax)], NumericMode::F32);
        assert_eq!(
            plan(&wide_softmax, &PlanConfig::SPINNAKER1)
                .expect_err("too wide")
                .to_string(),
            "layer 0: a softmax over 2000 units needs one accumulator holding all of them, \
             176000 bytes, more than the 57344 bytes of DTCM a core has for data"
        );
        let tiny = PlanConfig {
            dtcm_bytes: 64,
            slots: 4,
        };
        let spec = model(8, &[(4, Activation::Relu)], NumericMode::F32);
        assert!(matches!(
            plan(&spec, &tiny),
            Err(PlanError::BlockTooLarge { layer: 0, .. })
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

    #[test]
    fn every_plan_fits_and_covers_its_layers() {
        let config = PlanConfig::SPINNAKER1;
        for (inputs, hidden, outputs) in [(3, 5, 2), (64, 128, 10), (784, 512, 10), (300, 1000, 7)]
        {
            for numeric in [NumericMode::F32, NumericMode::Fixed] {
                let spec = model(
                    inputs,
                    &[(hidden, Activation::Tanh), (outputs, Activation::Softmax)],
                    numeric,
                );
                let p = plan(&spec, &config).expect("fits");
                for (l, layer) in p.layers.iter().enumerate() {
                    assert!(layer.block_bytes <= config.dtcm_bytes, "layer {l}");
                    assert!(layer.accumulator_bytes <= config.dtcm_bytes, "layer {l}");
                    let rows: usize = layer.row_blocks.iter().map(|r| r.len()).sum();
                    let cols: usize = layer.column_blocks.iter().map(|r| r.len()).sum();
                    assert_eq!((rows, cols), (layer.inputs, layer.units));
                }
                assert_eq!(p.layers[1].column_blocks.len(), 1, "softmax stays whole");
            }
        }
    }
}
