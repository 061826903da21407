//! The arithmetic a core applies to its part of a layer, over its own buffers: the windowed
//! correlation of dense and convolution kernels ([`Correlation`]) and pooling windows
//! ([`PoolWindows`]), each forward and backward, in any numeric mode ([`Arith`]).
//!
//! Buffers are row-major over the core's boxes: inputs `[row][col][channel]` over the input
//! box it holds, outputs `[row][col][filter]` over the outputs it computes, kernels
//! `[i][j][channel][filter]` (Keras layout restricted to the core's channels and filters).
//! The loops run in the orders `docs/numerics.md` fixes (taps `i`, `j`, then channels, for
//! each output; output positions in row-major order for gradients), so in f32 a core that
//! holds a whole layer rounds exactly as the golden reference does.

use super::arith::Arith;
use super::plan::GridBox;
use crate::ops::{Axis, PoolKind};

/// For each output position of a box, the window taps that fall inside the input box: the
/// tap's index in the window and the input position's index in the box.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TapTable {
    /// `starts[p]..starts[p + 1]` index `taps` for output position `p`.
    starts: Vec<u32>,
    taps: Vec<(u32, u32)>,
}

impl TapTable {
    fn new(axes: &[Axis; 2], window: [usize; 2], outputs: &GridBox, inputs: &GridBox) -> TapTable {
        let mut starts = vec![0];
        let mut taps = Vec::new();
        let in_cols = inputs.cols.len();
        for r in outputs.rows.clone() {
            for c in outputs.cols.clone() {
                for i in 0..window[0] {
                    let Some(ir) = axes[0].position(r, i) else {
                        continue;
                    };
                    for j in 0..window[1] {
                        let Some(ic) = axes[1].position(c, j) else {
                            continue;
                        };
                        debug_assert!(inputs.rows.contains(&ir) && inputs.cols.contains(&ic));
                        let local = (ir - inputs.rows.start) * in_cols + (ic - inputs.cols.start);
                        taps.push(((i * window[1] + j) as u32, local as u32));
                    }
                }
                starts.push(taps.len() as u32);
            }
        }
        TapTable { starts, taps }
    }

    fn of(&self, p: usize) -> &[(u32, u32)] {
        &self.taps[self.starts[p] as usize..self.starts[p + 1] as usize]
    }

    fn positions(&self) -> usize {
        self.starts.len() - 1
    }
}

/// A dense or convolution kernel slice applied to a core's input box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correlation {
    table: TapTable,
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
            table: TapTable::new(axes, window, outputs, inputs),
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

/// Pooling windows over a core's pre-pool box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolWindows {
    pub kind: PoolKind,
    table: TapTable,
    /// Channels (pooled independently).
    pub channels: usize,
}

impl PoolWindows {
    /// Windows of `axes` for the pooled positions `outputs`, over the values held in `pre`.
    pub fn new(kind: PoolKind, axes: &[Axis; 2], outputs: &GridBox, pre: &GridBox) -> PoolWindows {
        let window = [axes[0].size, axes[1].size];
        PoolWindows {
            kind,
            table: TapTable::new(axes, window, outputs, pre),
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
    use crate::machine::arith::{Fixed, F32};
    use crate::ops::Padding;
    use std::ops::Range;

    fn boxed(rows: Range<usize>, cols: Range<usize>, channels: Range<usize>) -> GridBox {
        GridBox {
            rows,
            cols,
            channels,
        }
    }

    #[test]
    fn a_tile_of_a_same_convolution_skips_the_padding() {
        // 4 × 4 input, one channel, 3 × 3 kernel of ones, same padding: a corner output sums
        // its 4 real neighbours.
        let axes = [
            Axis::new(4, 3, 1, Padding::Same).expect("fits"),
            Axis::new(4, 3, 1, Padding::Same).expect("fits"),
        ];
        let outputs = boxed(0..2, 0..2, 0..1);
        let inputs = boxed(axes[0].receptive(0..2), axes[1].receptive(0..2), 0..1);
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

    #[test]
    fn max_pool_ties_go_to_the_first_element_and_averages_round_away_from_zero() {
        let axes = [Axis::whole(2), Axis::whole(2)];
        let outputs = boxed(0..1, 0..1, 0..1);
        let pre = boxed(0..2, 0..2, 0..1);
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
