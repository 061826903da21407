//! Conv1D and Conv2D (and Dense, a 1 × 1 window over one position, [`super::dense`]): the
//! weighted sum over a window's real taps, its contribution to the input's `δ` (the
//! transposed correlation) and its kernel and bias gradients (`docs/numerics.md` §Graphs).
//!
//! * Forward: `z[r, c, f] = b[f] + Σ_{i, j, ch} x[r·sh + i − pt, c·sw + j − pl, ch]·k[i, j, ch, f]`,
//!   cross-correlation (the kernel is not flipped), taps in the padding skipped, taps in the
//!   order `i`, `j`, `ch`, and the bias added last ([`Numeric::weighted_sum`]).
//! * Contribution to the input: `k[i, j, ch, f]·δz[r, c, f]` added at the element tap
//!   `(i, j)` of output `(r, c)` reads; for one input element the products arrive over output
//!   positions in row-major order, then filters in increasing order (a dense layer's units).
//! * Kernel gradient: `Σ_s Σ_{r, c} x·δz`, one running sum per kernel element over (sample,
//!   output row, output column); bias `Σ_s Σ_{r, c} δz` ([`Numeric::bias_term`]).
//!
//! A Conv1D is the same window over one row (`spinn_dl` keeps its kernel as `[1, kw]`).
//! Kernels are flat in Keras layout: element `(i, j, ch, f)` at `((i·kw + j)·in + ch)·out + f`.

use super::{runs, Run, Taps};
use crate::golden::numeric::Numeric;
use spinn_dl::ops::{Axis, Conv};
use spinn_dl::Shape;

/// Filters summed at once in registers; the rest of a layer's filters go one by one.
const BLOCK: usize = 8;

/// One kernel row's tap: window row `i`, column `j`, input channel `ch`.
#[derive(Debug, Clone, Copy)]
struct Tap {
    i: usize,
    j: usize,
    ch: usize,
}

/// A kernel in filter-major order (element `(f, t)` at `f·taps + t`, `t` the tap index
/// `(i·kw + j)·in + ch`), made by [`Window::transpose`].
#[derive(Debug, Clone, PartialEq)]
pub struct TransposedKernel<V>(Vec<V>);

/// A weighted window: input and output geometry, input channels and output channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    rows: Taps,
    cols: Taps,
    inputs: usize,
    outputs: usize,
}

impl Window {
    /// A window of axes `rows` and `cols` from `inputs` to `outputs` channels.
    pub fn new(rows: Axis, cols: Axis, inputs: usize, outputs: usize) -> Window {
        Window {
            rows: Taps::new(rows),
            cols: Taps::new(cols),
            inputs,
            outputs,
        }
    }

    /// The window of `conv` over an input of shape `input`.
    ///
    /// # Panics
    /// If the window does not fit the input, which a built `spinn_dl::Graph` rules out.
    pub fn conv(conv: &Conv, input: &Shape) -> Window {
        let [rows, cols] = conv
            .axes(input)
            .expect("invariant: a built graph's convolutions fit their inputs");
        Window::new(rows, cols, input.channels(), conv.filters)
    }

    /// Input channels (dense: inputs).
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Output channels (filters; dense: units).
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// One sample's input elements.
    pub fn input_len(&self) -> usize {
        self.rows.axis().input * self.cols.axis().input * self.inputs
    }

    /// Output positions (rows × columns).
    pub fn positions(&self) -> usize {
        self.rows.outputs() * self.cols.outputs()
    }

    /// One sample's output elements.
    pub fn output_len(&self) -> usize {
        self.positions() * self.outputs
    }

    /// Products in one output's weighted sum, padding included: `kh·kw·in`.
    pub fn taps(&self) -> usize {
        self.rows.axis().size * self.cols.axis().size * self.inputs
    }

    /// Kernel elements: `kh·kw·in·out`.
    pub fn kernel_len(&self) -> usize {
        self.taps() * self.outputs
    }

    /// The largest number of (output position, filter) pairs that read one input element.
    pub fn readers(&self) -> usize {
        self.rows.max_readers() * self.cols.max_readers() * self.outputs
    }

    /// The runs of output position `(r, c)`.
    fn runs(&self, r: usize, c: usize) -> impl Iterator<Item = Run> + '_ {
        runs(&self.rows, &self.cols, self.inputs, r, c)
    }

    /// One sample's `z` from its input `x`.
    pub fn forward<M: Numeric>(
        &self,
        kernel: &[M::Value],
        bias: &[M::Value],
        x: &[M::Value],
        z: &mut [M::Value],
    ) {
        let n_out = self.outputs;
        debug_assert_eq!((x.len(), z.len()), (self.input_len(), self.output_len()));
        let blocked = n_out / BLOCK * BLOCK;
        for r in 0..self.rows.outputs() {
            for c in 0..self.cols.outputs() {
                let position = r * self.cols.outputs() + c;
                let zs = &mut z[position * n_out..(position + 1) * n_out];
                let mut finish = |f0: usize, sums: &[M::Grad]| {
                    for (f, &sum) in (f0..).zip(sums) {
                        zs[f] = M::weighted_sum(sum, bias[f]);
                    }
                };
                for f0 in (0..blocked).step_by(BLOCK) {
                    finish(f0, &self.tap_sums::<M, BLOCK>(kernel, x, r, c, f0));
                }
                for f0 in blocked..n_out {
                    finish(f0, &self.tap_sums::<M, 1>(kernel, x, r, c, f0));
                }
            }
        }
    }

    /// The weighted sums of filters `f0..f0 + W` at output position `(r, c)`, each from
    /// [`Numeric::grad_zero`] over the real taps in order `i`, `j`, `ch` (kept in registers).
    #[inline(always)]
    fn tap_sums<M: Numeric, const W: usize>(
        &self,
        kernel: &[M::Value],
        x: &[M::Value],
        r: usize,
        c: usize,
        f0: usize,
    ) -> [M::Grad; W] {
        let n_out = self.outputs;
        let mut sums = [M::grad_zero(); W];
        for run in self.runs(r, c) {
            let xs = &x[run.x..run.x + run.len];
            let ks = &kernel[run.k * n_out..(run.k + run.len) * n_out];
            for (&xv, k_row) in xs.iter().zip(ks.chunks_exact(n_out)) {
                let k: &[M::Value; W] = k_row[f0..f0 + W]
                    .try_into()
                    .expect("invariant: a block of W filters");
                for (sum, &k) in sums.iter_mut().zip(k) {
                    *sum = M::grad_add(*sum, M::kernel_term(xv, k));
                }
            }
        }
        sums
    }

    /// The kernel in filter-major order, the layout [`Window::input_contribution`] reads.
    pub fn transpose<V: Copy>(&self, kernel: &[V]) -> TransposedKernel<V> {
        let n_out = self.outputs;
        debug_assert_eq!(kernel.len(), self.kernel_len());
        TransposedKernel(
            (0..n_out)
                .flat_map(|f| kernel.iter().skip(f).step_by(n_out).copied())
                .collect(),
        )
    }

    /// Adds one sample's contribution to its input's `δ` from `δz` into `out` (one element
    /// per input element); `kernel` is [`Window::transpose`]d.
    pub fn input_contribution<M: Numeric>(
        &self,
        kernel: &TransposedKernel<M::Value>,
        delta_z: &[M::Value],
        out: &mut [M::Grad],
    ) {
        let (n_out, taps) = (self.outputs, self.taps());
        debug_assert_eq!(
            (delta_z.len(), out.len()),
            (self.output_len(), self.input_len())
        );
        for r in 0..self.rows.outputs() {
            for c in 0..self.cols.outputs() {
                let position = r * self.cols.outputs() + c;
                let dz = &delta_z[position * n_out..(position + 1) * n_out];
                for run in self.runs(r, c) {
                    let sums = &mut out[run.x..run.x + run.len];
                    // Filter by filter, so every element adds its products in filter order
                    // while the loop runs along the contiguous elements.
                    for (f, &d) in dz.iter().enumerate() {
                        let ks = &kernel.0[f * taps + run.k..f * taps + run.k + run.len];
                        for (sum, &k) in sums.iter_mut().zip(ks) {
                            *sum = M::grad_add(*sum, M::kernel_term(k, d));
                        }
                    }
                }
            }
        }
    }

    /// Adds one sample's kernel and bias gradient terms to the running sums.
    pub fn accumulate_gradient<M: Numeric>(
        &self,
        x: &[M::Value],
        delta_z: &[M::Value],
        kernel_sums: &mut [M::Grad],
        bias_sums: &mut [M::Grad],
    ) {
        let n_out = self.outputs;
        debug_assert_eq!(
            (x.len(), delta_z.len()),
            (self.input_len(), self.output_len())
        );
        for dz in delta_z.chunks_exact(n_out) {
            for (sum, &d) in bias_sums.iter_mut().zip(dz) {
                *sum = M::grad_add(*sum, M::bias_term(d));
            }
        }
        let blocked = n_out / BLOCK * BLOCK;
        let (kh, kw) = (self.rows.axis().size, self.cols.axis().size);
        for i in 0..kh {
            for j in 0..kw {
                for ch in 0..self.inputs {
                    let row = ((i * kw + j) * self.inputs + ch) * n_out;
                    let sums = &mut kernel_sums[row..row + n_out];
                    let tap = Tap { i, j, ch };
                    for f0 in (0..blocked).step_by(BLOCK) {
                        let block = (&mut sums[f0..f0 + BLOCK])
                            .try_into()
                            .expect("invariant: a block of BLOCK filters");
                        self.tap_gradient::<M, BLOCK>(x, delta_z, tap, f0, block);
                    }
                    for f0 in blocked..n_out {
                        let block = (&mut sums[f0..f0 + 1])
                            .try_into()
                            .expect("invariant: one filter");
                        self.tap_gradient::<M, 1>(x, delta_z, tap, f0, block);
                    }
                }
            }
        }
    }

    /// Adds one sample's terms of kernel elements `(i, j, ch, f0..f0 + W)`: over the output
    /// positions whose tap `(i, j)` is real, in row-major order (kept in registers).
    #[inline(always)]
    fn tap_gradient<M: Numeric, const W: usize>(
        &self,
        x: &[M::Value],
        delta_z: &[M::Value],
        tap: Tap,
        f0: usize,
        block: &mut [M::Grad; W],
    ) {
        let (rows, cols) = (self.rows.axis(), self.cols.axis());
        let (n_out, n_cols, cin) = (self.outputs, self.cols.outputs(), self.inputs);
        let mut sums = *block;
        let out_cols = self.cols.outputs_of_tap(tap.j);
        for r in self.rows.outputs_of_tap(tap.i) {
            // A real tap: r·stride + i ≥ before, and likewise for the columns.
            let p = r * rows.stride + tap.i - rows.before;
            for c in out_cols.clone() {
                let q = c * cols.stride + tap.j - cols.before;
                let xv = x[(p * cols.input + q) * cin + tap.ch];
                let position = r * n_cols + c;
                let dz: &[M::Value; W] = delta_z[position * n_out + f0..position * n_out + f0 + W]
                    .try_into()
                    .expect("invariant: a block of W filters");
                for (sum, &d) in sums.iter_mut().zip(dz) {
                    *sum = M::grad_add(*sum, M::kernel_term(xv, d));
                }
            }
        }
        *block = sums;
    }

    /// The batch's kernel and bias gradients from `x` (batch × input elements) and `δz`
    /// (batch × output elements): the running sums over samples in order, each finished by
    /// the mode ([`Numeric::finish_gradient`]).
    pub fn batch_gradient<M: Numeric>(
        &self,
        x: &[M::Value],
        delta_z: &[M::Value],
        batch: usize,
    ) -> (Vec<M::Grad>, Vec<M::Grad>) {
        let mut kernel = vec![M::grad_zero(); self.kernel_len()];
        let mut bias = vec![M::grad_zero(); self.outputs];
        let (n_in, n_out) = (self.input_len(), self.output_len());
        for sample in 0..batch {
            self.accumulate_gradient::<M>(
                &x[sample * n_in..(sample + 1) * n_in],
                &delta_z[sample * n_out..(sample + 1) * n_out],
                &mut kernel,
                &mut bias,
            );
        }
        for sum in kernel.iter_mut().chain(bias.iter_mut()) {
            *sum = M::finish_gradient(*sum, batch);
        }
        (kernel, bias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::{Fixed, F32, F64};
    use spinn_dl::ops::Padding;

    /// A 1 × 3 single-channel input through a 1 × 2 window, stride 1, valid.
    fn row_window() -> Window {
        let rows = Axis::new(1, 1, 1, Padding::Valid).expect("fits");
        let cols = Axis::new(3, 2, 1, Padding::Valid).expect("fits");
        Window::new(rows, cols, 1, 1)
    }

    #[test]
    fn a_row_convolution_correlates_and_transposes() {
        let window = row_window();
        let kernel = [2.0, 3.0];
        let x = [1.0, 10.0, 100.0];
        let mut z = [0.0; 2];
        window.forward::<F64>(&kernel, &[0.5], &x, &mut z);
        // Not flipped: z[0] = 1·2 + 10·3.
        assert_eq!(z, [32.5, 320.5]);
        let mut contribution = [0.0; 3];
        window.input_contribution::<F64>(
            &window.transpose(&kernel),
            &[1.0, -1.0],
            &mut contribution,
        );
        // Element 1 is tap 1 of output 0 and tap 0 of output 1.
        assert_eq!(contribution, [2.0, 3.0 - 2.0, -3.0]);
        let (k, b) = window.batch_gradient::<F64>(&x, &[1.0, -1.0], 1);
        assert_eq!(k, [1.0 - 10.0, 10.0 - 100.0]);
        assert_eq!(b, [0.0]);
        assert_eq!(
            (window.taps(), window.readers(), window.positions()),
            (2, 2, 2)
        );
    }

    /// The documented f32 orders, element by element: taps `(i, j, ch)` then the bias; an
    /// input element's contributions over output positions row-major, then filters; a kernel
    /// element's terms over output positions row-major.
    fn naive(
        window: &Window,
        kernel: &[f32],
        bias: &[f32],
        x: &[f32],
        dz: &[f32],
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let (rows, cols) = (*window.rows.axis(), *window.cols.axis());
        let (cin, cout) = (window.inputs, window.outputs);
        let k_at = |i: usize, j: usize, ch: usize, f: usize| {
            kernel[((i * cols.size + j) * cin + ch) * cout + f]
        };
        let x_at = |p: usize, q: usize, ch: usize| (p * cols.input + q) * cin + ch;
        let out_at = |r: usize, c: usize, f: usize| (r * cols.output + c) * cout + f;
        let mut z = vec![0.0; window.output_len()];
        let mut back = vec![0.0f32; window.input_len()];
        let mut grad = vec![0.0f32; window.kernel_len()];
        for r in 0..rows.output {
            for c in 0..cols.output {
                for f in 0..cout {
                    let mut acc = 0.0f32;
                    for i in 0..rows.size {
                        for j in 0..cols.size {
                            let (Some(p), Some(q)) = (rows.position(r, i), cols.position(c, j))
                            else {
                                continue;
                            };
                            for ch in 0..cin {
                                acc += x[x_at(p, q, ch)] * k_at(i, j, ch, f);
                                back[x_at(p, q, ch)] += k_at(i, j, ch, f) * dz[out_at(r, c, f)];
                                let g = ((i * cols.size + j) * cin + ch) * cout + f;
                                grad[g] += x[x_at(p, q, ch)] * dz[out_at(r, c, f)];
                            }
                        }
                    }
                    z[out_at(r, c, f)] = acc + bias[f];
                }
            }
        }
        (z, back, grad)
    }

    #[test]
    fn blocked_loops_keep_the_documented_f32_orders() {
        let mut rng = spinn_model::rng::SplitMix64::new(0xb10c);
        let mut value = || (rng.unit() * 2.0 - 1.0) as f32;
        for (n, k, s, padding, cin, cout) in [
            (5, 3, 1, Padding::Same, 2, 3),
            (6, 3, 2, Padding::Same, 3, 8),
            (7, 2, 2, Padding::Valid, 2, 10),
            (5, 3, 2, Padding::Same, 1, 17),
            (4, 1, 2, Padding::Same, 4, 9),
        ] {
            let axis = Axis::new(n, k, s, padding).expect("fits");
            let window = Window::new(
                axis,
                Axis::new(n + 1, k, s, padding).expect("fits"),
                cin,
                cout,
            );
            let kernel: Vec<f32> = (0..window.kernel_len()).map(|_| value()).collect();
            let bias: Vec<f32> = (0..cout).map(|_| value()).collect();
            let x: Vec<f32> = (0..window.input_len()).map(|_| value()).collect();
            let dz: Vec<f32> = (0..window.output_len()).map(|_| value()).collect();
            let (z_ref, back_ref, grad_ref) = naive(&window, &kernel, &bias, &x, &dz);
            let mut z = vec![0.0; window.output_len()];
            window.forward::<F32>(&kernel, &bias, &x, &mut z);
            let mut back = vec![0.0; window.input_len()];
            window.input_contribution::<F32>(&window.transpose(&kernel), &dz, &mut back);
            let mut grad = vec![0.0; window.kernel_len()];
            let mut bias_grad = vec![0.0; cout];
            window.accumulate_gradient::<F32>(&x, &dz, &mut grad, &mut bias_grad);
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let case = format!("n {n}, k {k}, s {s}, {padding:?}, {cin} → {cout}");
            assert_eq!(bits(&z), bits(&z_ref), "forward, {case}");
            assert_eq!(bits(&back), bits(&back_ref), "contribution, {case}");
            assert_eq!(bits(&grad), bits(&grad_ref), "kernel gradient, {case}");
        }
    }

    #[test]
    fn fixed_sums_are_exact_and_rounded_once() {
        let window = row_window();
        // Two products of half an s16.15 step each: 1 × 16384 / 2^15 = 0.5 steps. Rounded
        // once, with the bias, 0.5 + 0.5 = 1 step.
        let mut z = [0; 2];
        window.forward::<Fixed>(&[16384, 16384], &[0], &[1, 1, 0], &mut z);
        assert_eq!(z, [1, 1]);
        let mut contribution = [0; 3];
        window.input_contribution::<Fixed>(&window.transpose(&[3, 5]), &[7, 11], &mut contribution);
        assert_eq!(contribution, [21, 35 + 33, 55]);
    }
}
