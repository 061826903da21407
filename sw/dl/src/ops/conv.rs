//! `Conv1D` and `Conv2D` (Keras classes of the same names): cross-correlation over `(steps,
//! channels)` or `(rows, cols, channels)` inputs, channels last, with valid or same padding
//! and strides, kernel `(kw, in, out)` or `(kh, kw, in, out)` and one bias per filter
//! (`../shared/spec/conv-conventions.md` §1–2):
//!
//! `z[r, c, f] = b[f] + Σ_{i, j, ch} x[r·sh + i − pt, c·sw + j − pl, ch] · k[i, j, ch, f]`,
//! taps in the padding contributing nothing.
//!
//! A Conv1D is held as a Conv2D over one row (`kernel = [1, kw]`, `strides = [1, sw]`), so
//! both share one shape rule and, on the machine, one kernel. On the machine a convolution is
//! cut into spatial tiles × filter groups; each tile's core holds its filters' kernel (a
//! copy per spatial tile, whose gradients are summed over the tiles before every update) and
//! receives the input region its receptive field covers, halo included.

use super::window::{Axis, Padding, Taps};
use super::{at_least_one, Activation, OpFault, Operation, ParamShapes};
use crate::machine::arith::Arith;
use crate::machine::plan::GridBox;
use crate::shape::Shape;

/// One- or two-dimensional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dims {
    One,
    Two,
}

impl Dims {
    /// The rank of the tensors it takes: 2 for `(steps, channels)`, 3 for images.
    pub fn rank(self) -> usize {
        match self {
            Dims::One => 2,
            Dims::Two => 3,
        }
    }

    pub fn suffix(self) -> &'static str {
        match self {
            Dims::One => "1d",
            Dims::Two => "2d",
        }
    }

    /// The window axes a model file writes: the column only for 1-D.
    pub fn written(self) -> std::ops::Range<usize> {
        match self {
            Dims::One => 1..2,
            Dims::Two => 0..2,
        }
    }

    /// The layout an input of this rank must have, for messages.
    pub fn layout(self) -> &'static str {
        match self {
            Dims::One => "(steps, channels)",
            Dims::Two => "(rows, cols, channels)",
        }
    }
}

/// A convolution layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv {
    pub dims: Dims,
    /// Output channels; at least 1.
    pub filters: usize,
    /// Window rows and columns (`[1, kw]` for Conv1D).
    pub kernel: [usize; 2],
    /// Row and column strides (`[1, sw]` for Conv1D).
    pub strides: [usize; 2],
    pub padding: Padding,
    pub activation: Activation,
}

impl Conv {
    /// A Conv1D of `filters` filters `kernel` wide.
    pub fn conv1d(
        filters: usize,
        kernel: usize,
        stride: usize,
        padding: Padding,
        activation: Activation,
    ) -> Conv {
        Conv {
            dims: Dims::One,
            filters,
            kernel: [1, kernel],
            strides: [1, stride],
            padding,
            activation,
        }
    }

    /// A Conv2D of `filters` filters of `kernel` rows × cols.
    pub fn conv2d(
        filters: usize,
        kernel: [usize; 2],
        strides: [usize; 2],
        padding: Padding,
        activation: Activation,
    ) -> Conv {
        Conv {
            dims: Dims::Two,
            filters,
            kernel,
            strides,
            padding,
            activation,
        }
    }

    /// The row and column axes over an input of this (checked-rank) shape.
    pub fn axes(&self, input: &Shape) -> Result<[Axis; 2], OpFault> {
        window_axes(
            input,
            self.kernel,
            self.strides,
            self.padding,
            "kernel_size",
        )
    }
}

/// The row and column window axes of a 1-D or 2-D window over `input`, or why it does not fit.
pub(crate) fn window_axes(
    input: &Shape,
    size: [usize; 2],
    strides: [usize; 2],
    padding: Padding,
    field: &'static str,
) -> Result<[Axis; 2], OpFault> {
    let grid = input.grid();
    let rows = Axis::new(grid.rows, size[0], strides[0], padding);
    let cols = Axis::new(grid.cols, size[1], strides[1], padding);
    match (rows, cols) {
        (Ok(rows), Ok(cols)) => Ok([rows, cols]),
        (Err(e), _) | (_, Err(e)) => Err(OpFault::new(field, format!("{e} (input {input})"))),
    }
}

/// Checks the rank of a windowed operation's input.
pub(crate) fn check_rank(kind: &str, dims: Dims, input: &Shape) -> Result<(), OpFault> {
    if input.rank() != dims.rank() {
        return Err(OpFault::new(
            "inputs",
            format!(
                "{kind} takes a {} tensor, but its input has shape {input}",
                dims.layout()
            ),
        ));
    }
    Ok(())
}

/// The output shape of a window over `input` with `channels` output channels.
pub(crate) fn window_output(dims: Dims, axes: &[Axis; 2], channels: usize) -> Shape {
    match dims {
        Dims::One => Shape::new(vec![axes[1].output, channels]),
        Dims::Two => Shape::new(vec![axes[0].output, axes[1].output, channels]),
    }
}

impl Operation for Conv {
    fn kind(&self) -> &'static str {
        match self.dims {
            Dims::One => "conv1d",
            Dims::Two => "conv2d",
        }
    }

    fn validate(&self) -> Result<(), OpFault> {
        at_least_one("filters", "filters", &[self.filters])?;
        let axes = self.dims.written();
        at_least_one("kernel_size", "kernel_size", &self.kernel[axes.clone()])?;
        at_least_one("strides", "strides", &self.strides[axes])?;
        if self.dims == Dims::One && (self.kernel[0] != 1 || self.strides[0] != 1) {
            return Err(OpFault::new(
                "kernel_size",
                "a conv1d has one row: its kernel and strides are [1, n]",
            ));
        }
        Ok(())
    }

    fn output_shape(&self, inputs: &[&Shape]) -> Result<Shape, OpFault> {
        check_rank(self.kind(), self.dims, inputs[0])?;
        let axes = self.axes(inputs[0])?;
        Ok(window_output(self.dims, &axes, self.filters))
    }

    fn activation(&self) -> Activation {
        self.activation
    }

    fn parameters(&self, inputs: &[&Shape]) -> Option<ParamShapes> {
        let channels = inputs[0].channels();
        let [kh, kw] = self.kernel;
        let kernel = match self.dims {
            Dims::One => vec![kw, channels, self.filters],
            Dims::Two => vec![kh, kw, channels, self.filters],
        };
        Some(ParamShapes {
            kernel,
            window: self.kernel,
            inputs: channels,
            outputs: self.filters,
        })
    }
}

// On the machine: the kernel a tile or block core applies to its part of the layer.

/// A dense or convolution kernel slice applied to a core's input box, forward and backward, in
/// any numeric mode ([`Arith`]); a dense layer is the 1 × 1 case.
///
/// Buffers are row-major over the core's boxes: inputs `[row][col][channel]` over the input
/// box it holds, outputs `[row][col][filter]` over the outputs it computes, the kernel
/// `[i][j][channel][filter]` (Keras layout restricted to the core's channels and filters). The
/// loops run in the orders `docs/numerics.md` fixes (taps `i`, `j`, then channels, for each
/// output; output positions in row-major order for gradients and contributions), so in f32 a
/// core that holds a whole layer rounds exactly as the golden reference does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correlation {
    table: Taps,
    /// Input channels held.
    pub channels: usize,
    /// Filters (output channels) held.
    pub filters: usize,
}

impl Correlation {
    /// The kernel of `window` taps with `axes` over the full input, for outputs `outputs`
    /// (positions) from inputs held in `inputs` (positions; `channels` of them), computing
    /// `filters` filters.
    pub fn new(
        axes: &[Axis; 2],
        window: [usize; 2],
        outputs: &GridBox,
        inputs: &GridBox,
        filters: usize,
    ) -> Correlation {
        Correlation {
            table: Taps::new(axes, window, outputs, inputs),
            channels: inputs.channels.len(),
            filters,
        }
    }

    /// Multiply-accumulates per sample in each direction (real taps only).
    pub fn macs(&self) -> u64 {
        (self.table.taps.len() * self.channels * self.filters) as u64
    }

    /// `out[p][f] += Σ_taps Σ_ch x[tap's position][ch] · w[tap][ch][f]`.
    pub fn forward<A: Arith>(&self, x: &[A::Value], w: &[A::Value], out: &mut [A::Sum]) {
        let (nch, nf) = (self.channels, self.filters);
        for p in 0..self.table.positions() {
            let out = &mut out[p * nf..(p + 1) * nf];
            for &(tap, pos) in self.table.of(p) {
                let xs = &x[pos as usize * nch..(pos as usize + 1) * nch];
                let ws = &w[tap as usize * nch * nf..(tap as usize + 1) * nch * nf];
                for (ch, &xv) in xs.iter().enumerate() {
                    let row = &ws[ch * nf..(ch + 1) * nf];
                    for (o, &wv) in out.iter_mut().zip(row) {
                        *o = A::mac(*o, xv, wv);
                    }
                }
            }
        }
    }

    /// Adds one sample's kernel gradient `Σ_p x · δz` into `grads` (positions in order).
    pub fn gradient<A: Arith>(&self, x: &[A::Value], dz: &[A::Value], grads: &mut [A::Sum]) {
        let (nch, nf) = (self.channels, self.filters);
        for p in 0..self.table.positions() {
            let d = &dz[p * nf..(p + 1) * nf];
            for &(tap, pos) in self.table.of(p) {
                let xs = &x[pos as usize * nch..(pos as usize + 1) * nch];
                let gs = &mut grads[tap as usize * nch * nf..(tap as usize + 1) * nch * nf];
                for (ch, &xv) in xs.iter().enumerate() {
                    let row = &mut gs[ch * nf..(ch + 1) * nf];
                    for (g, &dv) in row.iter_mut().zip(d) {
                        *g = A::add(*g, A::kernel_term(xv, dv));
                    }
                }
            }
        }
    }

    /// Adds the input's `δ` contributions `w · δz` into `dx` (laid out as the inputs).
    pub fn backward<A: Arith>(&self, w: &[A::Value], dz: &[A::Value], dx: &mut [A::Sum]) {
        let (nch, nf) = (self.channels, self.filters);
        for p in 0..self.table.positions() {
            let d = &dz[p * nf..(p + 1) * nf];
            for &(tap, pos) in self.table.of(p) {
                let ws = &w[tap as usize * nch * nf..(tap as usize + 1) * nch * nf];
                let xs = &mut dx[pos as usize * nch..(pos as usize + 1) * nch];
                for (ch, acc) in xs.iter_mut().enumerate() {
                    let row = &ws[ch * nf..(ch + 1) * nf];
                    for (&wv, &dv) in row.iter().zip(d) {
                        *acc = A::mac(*acc, wv, dv);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::arith::F32;

    #[test]
    fn a_tile_of_a_same_convolution_skips_the_padding() {
        // 4 × 4 input, one channel, 3 × 3 kernel of ones, same padding: a corner output sums
        // its 4 real neighbours.
        let axes = [
            Axis::new(4, 3, 1, Padding::Same).expect("fits"),
            Axis::new(4, 3, 1, Padding::Same).expect("fits"),
        ];
        let outputs = GridBox::new(0..2, 0..2, 0..1);
        let inputs = GridBox::new(axes[0].receptive(0..2), axes[1].receptive(0..2), 0..1);
        assert_eq!(inputs.rows, 0..3);
        let k = Correlation::new(&axes, [3, 3], &outputs, &inputs, 1);
        let x: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let w = vec![1.0f32; 9];
        let mut out = vec![0.0f32; 4];
        k.forward::<F32>(&x, &w, &mut out);
        // Output (0, 0) reads inputs (0..2, 0..2) of the 3 × 3 box: 0 + 1 + 3 + 4.
        assert_eq!(out[0], 8.0);
        // Output (1, 1) reads the whole box.
        assert_eq!(out[3], 36.0);
        assert_eq!(k.macs(), (4 + 6 + 6 + 9) as u64);
        let mut dx = vec![0.0f32; 9];
        k.backward::<F32>(&w, &[1.0, 0.0, 0.0, 0.0], &mut dx);
        assert_eq!(dx, [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
