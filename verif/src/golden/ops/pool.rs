//! Max, average and global average pooling, channel by channel (`docs/numerics.md`
//! §Graphs; `../shared/spec/conv-conventions.md` §3).
//!
//! * Max: the largest of the window's real elements; in the backward pass the window's
//!   `δy` goes, whole, to the first element in row-major window order that equals the
//!   maximum (found by a strict `>` scan, so ties stay with the earlier element).
//! * Average: the [`Numeric::widen`]ed sum of the window's `n` real elements in row-major
//!   window order, then [`Numeric::average`]; each real element receives
//!   [`Numeric::average_contribution`]. Padding is not counted in `n`, so a window of ones
//!   averages to one at the border.
//! * Global average pooling is average pooling with one window over every position.
//!
//! Overlapping windows add their contributions to a shared element in output order
//! (row-major).

use super::{runs, Run, Taps};
use crate::golden::numeric::Numeric;
use spinn_dl::ops::{Axis, GlobalPool, Pool};
use spinn_dl::Shape;

/// A pooling window: its axes and the channels it pools independently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolWindow {
    rows: Taps,
    cols: Taps,
    channels: usize,
}

impl PoolWindow {
    /// A window of axes `rows` and `cols` over `channels` channels.
    pub fn new(rows: Axis, cols: Axis, channels: usize) -> PoolWindow {
        PoolWindow {
            rows: Taps::new(rows),
            cols: Taps::new(cols),
            channels,
        }
    }

    /// The window of `pool` over an input of shape `input`.
    ///
    /// # Panics
    /// If the window does not fit the input, which a built `spinn_dl::Graph` rules out.
    pub fn pool(pool: &Pool, input: &Shape) -> PoolWindow {
        let [rows, cols] = pool
            .axes(input)
            .expect("invariant: a built graph's pools fit their inputs");
        PoolWindow::new(rows, cols, input.channels())
    }

    /// One window over the whole of an input of shape `input`.
    pub fn global(pool: &GlobalPool, input: &Shape) -> PoolWindow {
        let [rows, cols] = pool.axes(input);
        PoolWindow::new(rows, cols, input.channels())
    }

    /// The channels, each pooled on its own.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// One sample's input elements.
    pub fn input_len(&self) -> usize {
        self.rows.axis().input * self.cols.axis().input * self.channels
    }

    /// One sample's output elements.
    pub fn output_len(&self) -> usize {
        self.rows.outputs() * self.cols.outputs() * self.channels
    }

    /// The largest number of windows that contain one input element.
    pub fn readers(&self) -> usize {
        self.rows.max_readers() * self.cols.max_readers()
    }

    /// The runs of output position `(r, c)`; each element of a run's `x..x + len` is one
    /// (column, channel) of one window row.
    fn runs(&self, r: usize, c: usize) -> impl Iterator<Item = Run> + '_ {
        runs(&self.rows, &self.cols, self.channels, r, c)
    }

    /// The window's real elements at output position `(r, c)`.
    fn count(&self, r: usize, c: usize) -> usize {
        self.rows.span(r).len * self.cols.span(c).len
    }

    /// Calls `f(position, first input element of each real tap)` for every output position
    /// and its taps in row-major window order.
    fn for_each_tap(&self, mut f: impl FnMut(usize, usize, usize)) {
        for r in 0..self.rows.outputs() {
            for c in 0..self.cols.outputs() {
                let position = r * self.cols.outputs() + c;
                for (t, start) in self
                    .runs(r, c)
                    .flat_map(|run| (run.x..run.x + run.len).step_by(self.channels))
                    .enumerate()
                {
                    f(position, t, start);
                }
            }
        }
    }

    /// One sample's max pooling of `x` into `y`.
    pub fn max_forward<M: Numeric>(&self, x: &[M::Value], y: &mut [M::Value]) {
        let ch = self.channels;
        debug_assert_eq!((x.len(), y.len()), (self.input_len(), self.output_len()));
        self.for_each_tap(|position, t, start| {
            let best = &mut y[position * ch..(position + 1) * ch];
            let values = &x[start..start + ch];
            if t == 0 {
                best.copy_from_slice(values);
            } else {
                for (b, &v) in best.iter_mut().zip(values) {
                    if v > *b {
                        *b = v;
                    }
                }
            }
        });
    }

    /// Adds one sample's max-pooling contribution from `δy` into `out` (one element per
    /// input element); `x` is the forward input, whose first maxima receive the `δy`.
    pub fn max_backward<M: Numeric>(
        &self,
        x: &[M::Value],
        delta_y: &[M::Value],
        out: &mut [M::Grad],
    ) {
        let ch = self.channels;
        debug_assert_eq!((x.len(), out.len()), (self.input_len(), self.input_len()));
        // The first maximum of each channel of the current window, as an input index.
        let mut winner = vec![0usize; ch];
        let mut current = usize::MAX;
        let send = |position: usize, winner: &[usize], out: &mut [M::Grad]| {
            let dy = &delta_y[position * ch..(position + 1) * ch];
            for (&index, &d) in winner.iter().zip(dy) {
                out[index] = M::grad_add(out[index], M::lift(d));
            }
        };
        self.for_each_tap(|position, t, start| {
            if t == 0 {
                if current != usize::MAX {
                    send(current, &winner, out);
                }
                current = position;
                for (k, w) in winner.iter_mut().enumerate() {
                    *w = start + k;
                }
            } else {
                for (k, w) in winner.iter_mut().enumerate() {
                    if x[start + k] > x[*w] {
                        *w = start + k;
                    }
                }
            }
        });
        if current != usize::MAX {
            send(current, &winner, out);
        }
    }

    /// One sample's average pooling of `x` into `y`; `sums` is scratch of one element per
    /// channel.
    pub fn average_forward<M: Numeric>(
        &self,
        x: &[M::Value],
        y: &mut [M::Value],
        sums: &mut [M::Grad],
    ) {
        let ch = self.channels;
        debug_assert_eq!((x.len(), y.len()), (self.input_len(), self.output_len()));
        for r in 0..self.rows.outputs() {
            for c in 0..self.cols.outputs() {
                sums.fill(M::grad_zero());
                for run in self.runs(r, c) {
                    for values in x[run.x..run.x + run.len].chunks_exact(ch) {
                        for (sum, &v) in sums.iter_mut().zip(values) {
                            *sum = M::grad_add(*sum, M::widen(v));
                        }
                    }
                }
                let n = self.count(r, c);
                let position = r * self.cols.outputs() + c;
                for (out, &sum) in y[position * ch..(position + 1) * ch].iter_mut().zip(&*sums) {
                    *out = M::average(sum, n);
                }
            }
        }
    }

    /// Adds one sample's average-pooling contribution from `δy` into `out` (one element per
    /// input element); `shares` is scratch of one element per channel.
    pub fn average_backward<M: Numeric>(
        &self,
        delta_y: &[M::Value],
        out: &mut [M::Grad],
        shares: &mut [M::Grad],
    ) {
        let ch = self.channels;
        debug_assert_eq!(
            (delta_y.len(), out.len()),
            (self.output_len(), self.input_len())
        );
        for r in 0..self.rows.outputs() {
            for c in 0..self.cols.outputs() {
                let n = self.count(r, c);
                let position = r * self.cols.outputs() + c;
                let dy = &delta_y[position * ch..(position + 1) * ch];
                for (share, &d) in shares.iter_mut().zip(dy) {
                    *share = M::average_contribution(d, n);
                }
                for run in self.runs(r, c) {
                    for sums in out[run.x..run.x + run.len].chunks_exact_mut(ch) {
                        for (sum, &share) in sums.iter_mut().zip(&*shares) {
                            *sum = M::grad_add(*sum, share);
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
    use crate::golden::{Fixed, F64};
    use spinn_dl::ops::Padding;

    #[test]
    fn overlapping_max_windows_send_each_delta_to_their_first_maximum() {
        // 1 × 4 input, one channel, window 2, stride 1: windows {0, 1}, {1, 2}, {2, 3}.
        let rows = Axis::new(1, 1, 1, Padding::Valid).expect("fits");
        let cols = Axis::new(4, 2, 1, Padding::Valid).expect("fits");
        let window = PoolWindow::new(rows, cols, 1);
        let x = [1.0, 3.0, 3.0, 2.0];
        let mut y = [0.0; 3];
        window.max_forward::<F64>(&x, &mut y);
        assert_eq!(y, [3.0, 3.0, 3.0]);
        let mut out = [0.0; 4];
        window.max_backward::<F64>(&x, &[1.0, 10.0, 100.0], &mut out);
        // The tie {3, 3} of window 1 goes to its first element, index 1.
        assert_eq!(out, [0.0, 11.0, 100.0, 0.0]);
        assert_eq!(window.readers(), 2);
    }

    #[test]
    fn average_windows_divide_by_their_real_elements() {
        // 1 × 3 input, window 2, stride 2, same: windows {0, 1} and {2} (one real element).
        let rows = Axis::new(1, 1, 1, Padding::Same).expect("fits");
        let cols = Axis::new(3, 2, 2, Padding::Same).expect("fits");
        let window = PoolWindow::new(rows, cols, 1);
        let mut y = [0; 2];
        window.average_forward::<Fixed>(&[1, 2, -5], &mut y, &mut [0]);
        // 3 / 2 rounds half away from zero to 2; -5 / 1 is -5.
        assert_eq!(y, [2, -5]);
        let mut out = [0; 3];
        window.average_backward::<Fixed>(&[3, 1], &mut out, &mut [0]);
        assert_eq!(out, [3 << 14, 3 << 14, 1 << 15]);
    }
}
