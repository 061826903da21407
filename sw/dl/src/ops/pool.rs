//! Pooling (Keras `MaxPooling1D/2D`, `AveragePooling1D/2D`, `GlobalAveragePooling1D/2D`):
//! the maximum or the mean over each window, channel by channel
//! (`../shared/spec/conv-conventions.md` §3).
//!
//! * Strides default to the pool size; output sizes and padding follow [`super::window`].
//! * Average pooling divides by the number of real (unpadded) elements in the window.
//! * Max pooling's gradient goes to one element per window: on ties the first in row-major
//!   window order.
//! * Global average pooling averages over all positions, giving `(channels,)`.
//!
//! On the machine a pooling layer whose windows do not overlap and whose input has no other
//! consumer is folded into the cores that produce its input (they pool their own tile before
//! sending it), which sends a fraction of the packets; otherwise it has cores of its own.

use super::conv::{check_rank, window_axes, window_output, Dims};
use super::window::{Axis, Padding, Taps};
use super::{at_least_one, OpFault, Operation};
use crate::machine::arith::Arith;
use crate::machine::plan::GridBox;
use crate::shape::Shape;

/// Maximum or mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolKind {
    Max,
    Average,
}

/// Pooling over windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pool {
    pub kind: PoolKind,
    pub dims: Dims,
    /// Window rows and columns (`[1, n]` in 1-D).
    pub size: [usize; 2],
    /// Row and column strides (Keras' default: the pool size).
    pub strides: [usize; 2],
    pub padding: Padding,
}

impl Pool {
    /// A 2-D pool of `size` with strides equal to the size and valid padding (Keras'
    /// defaults).
    pub fn new_2d(kind: PoolKind, size: [usize; 2]) -> Pool {
        Pool {
            kind,
            dims: Dims::Two,
            size,
            strides: size,
            padding: Padding::Valid,
        }
    }

    /// A 1-D pool of `size` with stride `size` and valid padding.
    pub fn new_1d(kind: PoolKind, size: usize) -> Pool {
        Pool {
            kind,
            dims: Dims::One,
            size: [1, size],
            strides: [1, size],
            padding: Padding::Valid,
        }
    }

    /// The row and column axes over an input of this (checked-rank) shape.
    pub fn axes(&self, input: &Shape) -> Result<[Axis; 2], OpFault> {
        window_axes(input, self.size, self.strides, self.padding, "pool_size")
    }
}

impl Operation for Pool {
    fn kind(&self) -> &'static str {
        match (self.kind, self.dims) {
            (PoolKind::Max, Dims::One) => "max_pooling1d",
            (PoolKind::Max, Dims::Two) => "max_pooling2d",
            (PoolKind::Average, Dims::One) => "average_pooling1d",
            (PoolKind::Average, Dims::Two) => "average_pooling2d",
        }
    }

    fn validate(&self) -> Result<(), OpFault> {
        let axes = self.dims.written();
        at_least_one("pool_size", "pool_size", &self.size[axes.clone()])?;
        at_least_one("strides", "strides", &self.strides[axes])?;
        if self.dims == Dims::One && (self.size[0] != 1 || self.strides[0] != 1) {
            return Err(OpFault::new(
                "pool_size",
                "a 1-D pool has one row: its size and strides are [1, n]",
            ));
        }
        Ok(())
    }

    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, OpFault> {
        check_rank(self.kind(), self.dims, inputs[0])?;
        let axes = self.axes(inputs[0])?;
        Ok(window_output(self.dims, &axes, inputs[0].channels()))
    }
}

/// Global average pooling: the mean over all positions of each channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalPool {
    pub dims: Dims,
}

impl GlobalPool {
    /// The whole input as one window per axis.
    pub fn axes(&self, input: &Shape) -> [Axis; 2] {
        let grid = input.grid();
        [Axis::whole(grid.rows), Axis::whole(grid.cols)]
    }
}

impl Operation for GlobalPool {
    fn kind(&self) -> &'static str {
        match self.dims {
            Dims::One => "global_average_pooling1d",
            Dims::Two => "global_average_pooling2d",
        }
    }

    fn validate(&self) -> Result<(), OpFault> {
        Ok(())
    }

    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, OpFault> {
        check_rank(self.kind(), self.dims, inputs[0])?;
        Ok(Shape::flat(inputs[0].channels()))
    }
}

// On the machine: the windows a tile core pools its part of the layer with.

/// Pooling windows over a core's pre-pool box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolWindows {
    pub kind: PoolKind,
    table: Taps,
    /// Channels (pooled independently).
    pub channels: usize,
}

impl PoolWindows {
    /// Windows of `axes` for the pooled positions `outputs`, over the values held in `pre`.
    pub fn new(kind: PoolKind, axes: &[Axis; 2], outputs: &GridBox, pre: &GridBox) -> PoolWindows {
        let window = [axes[0].size, axes[1].size];
        PoolWindows {
            kind,
            table: Taps::new(axes, window, outputs, pre),
            channels: pre.channels.len(),
        }
    }

    /// Elements read per sample (comparisons or additions).
    pub fn reads(&self) -> u64 {
        (self.table.taps.len() * self.channels) as u64
    }

    /// `out[p][ch]`: the maximum or mean of window `p`.
    pub fn forward<A: Arith>(&self, a: &[A::Value], out: &mut [A::Value]) {
        let nc = self.channels;
        for p in 0..self.table.positions() {
            let taps = self.table.of(p);
            for ch in 0..nc {
                let values = taps.iter().map(|&(_, pos)| a[pos as usize * nc + ch]);
                out[p * nc + ch] = match self.kind {
                    PoolKind::Max => values
                        .reduce(|m, v| if A::greater(v, m) { v } else { m })
                        .expect("invariant: every window has a real element"),
                    PoolKind::Average => A::average(values, taps.len() as u32),
                };
            }
        }
    }

    /// Adds each window's `δ` contributions into `contributions` (laid out as the pre-pool
    /// box): the whole `δ` to the window's first maximum, or an even share to each element.
    pub fn backward<A: Arith>(
        &self,
        a: &[A::Value],
        delta: &[A::Value],
        contributions: &mut [A::Sum],
    ) {
        let nc = self.channels;
        for p in 0..self.table.positions() {
            let taps = self.table.of(p);
            for ch in 0..nc {
                let d = delta[p * nc + ch];
                match self.kind {
                    PoolKind::Max => {
                        let mut best = taps[0].1 as usize;
                        for &(_, pos) in &taps[1..] {
                            if A::greater(a[pos as usize * nc + ch], a[best * nc + ch]) {
                                best = pos as usize;
                            }
                        }
                        let at = &mut contributions[best * nc + ch];
                        *at = A::add(*at, A::bias_term(d));
                    }
                    PoolKind::Average => {
                        let share = A::average_share(d, taps.len() as u32);
                        for &(_, pos) in taps {
                            let at = &mut contributions[pos as usize * nc + ch];
                            *at = A::add(*at, share);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::arith::Fixed;

    #[test]
    fn max_pool_ties_go_to_the_first_element_and_averages_round_away_from_zero() {
        let axes = [Axis::whole(2), Axis::whole(2)];
        let outputs = GridBox::new(0..1, 0..1, 0..1);
        let pre = GridBox::new(0..2, 0..2, 0..1);
        let max = PoolWindows::new(PoolKind::Max, &axes, &outputs, &pre);
        let a = [5i32, 5, 5, 5];
        let mut out = [0i32];
        max.forward::<Fixed>(&a, &mut out);
        assert_eq!(out, [5]);
        let mut c = [0i64; 4];
        max.backward::<Fixed>(&a, &[7], &mut c);
        assert_eq!(c, [7 << 15, 0, 0, 0]);
        let avg = PoolWindows::new(PoolKind::Average, &axes, &outputs, &pre);
        avg.forward::<Fixed>(&[1, 1, 1, 3], &mut out);
        // 6 / 4 = 1.5 → 2 (halves away from zero).
        assert_eq!(out, [2]);
        let mut c = [0i64; 4];
        avg.backward::<Fixed>(&a, &[-3], &mut c);
        // −3·2^15 / 4 = −24576 exactly.
        assert_eq!(c, [-24576; 4]);
    }
}
