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
use super::window::{Axis, Padding};
use super::{at_least_one, OpFault, Operation};
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
