//! Colours: the fixed page colours, the perceptual ramp that encodes magnitudes, and the
//! categorical palette that tells series apart.
//!
//! The ramp runs dark to bright through blue and green to yellow (viridis-like), so lightness
//! alone orders values and the plot still reads in greyscale or with colour-blindness.
//! Neutral greys are never on the ramp, which is why zero and "no data" can use them.

/// An 8-bit RGB colour.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

/// The page background.
pub(crate) const WHITE: Rgb = Rgb(255, 255, 255);
/// Text and axis lines: near black, softer than pure black on screen.
pub(crate) const INK: Rgb = Rgb(30, 30, 30);
/// Grid lines behind the data: light enough not to compete with it.
pub(crate) const GRID: Rgb = Rgb(228, 228, 228);
/// Cell outlines: dark enough to separate neighbouring cells of similar colour.
pub(crate) const OUTLINE: Rgb = Rgb(90, 90, 90);
/// A value of exactly zero: a neutral grey, so "nothing happened" stands apart from "a little".
pub(crate) const ZERO: Rgb = Rgb(200, 200, 200);
/// A missing (non-finite) value: the background, so the cell reads as empty.
pub(crate) const MISSING: Rgb = WHITE;
/// Chips in the link map, which are only there to anchor the links.
pub(crate) const CHIP: Rgb = Rgb(215, 215, 215);

/// Control points of the magnitude ramp, evenly spaced over 0..=1 and interpolated linearly.
const RAMP: [Rgb; 6] = [
    Rgb(68, 1, 84),
    Rgb(65, 68, 135),
    Rgb(42, 120, 142),
    Rgb(34, 168, 132),
    Rgb(122, 209, 81),
    Rgb(253, 231, 37),
];

/// The ramp colour at `t` in 0..=1 (clamped; NaN reads as 0).
pub(crate) fn ramp(t: f64) -> Rgb {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (RAMP.len() - 1) as f64;
    let idx = (pos.floor() as usize).min(RAMP.len() - 2);
    let frac = pos - idx as f64;
    let (a, b) = (RAMP[idx], RAMP[idx + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * frac).round() as u8;
    Rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Series colours: a colour-blind-safe set first (Okabe and Ito's), then generated hues.
const PALETTE: [Rgb; 8] = [
    Rgb(0, 114, 178),
    Rgb(213, 94, 0),
    Rgb(0, 158, 115),
    Rgb(204, 121, 167),
    Rgb(230, 159, 0),
    Rgb(86, 180, 233),
    Rgb(0, 0, 0),
    Rgb(170, 140, 0),
];

/// The colour of series `idx`.
///
/// Past the fixed palette, hues step by the golden angle, which keeps successive hues far apart
/// however many series there are; lightness alternates so that near hues still differ.
pub(crate) fn series(idx: usize) -> Rgb {
    if let Some(&c) = PALETTE.get(idx) {
        return c;
    }
    let k = idx - PALETTE.len();
    let hue = (k as f64 * 137.507_764_050_037_85).rem_euclid(360.0);
    let value = if k.is_multiple_of(2) { 0.80 } else { 0.55 };
    hsv(hue, 0.85, value)
}

/// Hue (degrees), saturation and value (0..=1) to RGB.
fn hsv(hue: f64, sat: f64, value: f64) -> Rgb {
    let c = value * sat;
    let sector = hue / 60.0;
    let x = c * (1.0 - (sector.rem_euclid(2.0) - 1.0).abs());
    let (r, g, b) = match sector as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = value - c;
    let to8 = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    Rgb(to8(r), to8(g), to8(b))
}

/// How one panel's values map to colours: zero and missing are neutral, the rest spread over the
/// ramp between the smallest and largest non-zero finite value.
///
/// Zero is left out of the range because counters are often zero on idle chips; including it
/// would crowd every busy chip into the bright end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ValueScale {
    /// The smallest and largest non-zero finite value, if there is one.
    pub range: Option<(f64, f64)>,
    /// Whether some value is exactly zero, so the key should show the zero colour.
    pub has_zero: bool,
}

impl ValueScale {
    pub(crate) fn of(values: &[f64]) -> ValueScale {
        let mut range: Option<(f64, f64)> = None;
        let mut has_zero = false;
        for &v in values.iter().filter(|v| v.is_finite()) {
            if v == 0.0 {
                has_zero = true;
                continue;
            }
            range = Some(match range {
                None => (v, v),
                Some((lo, hi)) => (lo.min(v), hi.max(v)),
            });
        }
        ValueScale { range, has_zero }
    }

    /// The colour of `v`; equal extremes take the middle of the ramp.
    pub(crate) fn colour(&self, v: f64) -> Rgb {
        if !v.is_finite() {
            return MISSING;
        }
        if v == 0.0 {
            return ZERO;
        }
        match self.range {
            None => MISSING,
            Some((lo, hi)) => {
                // Halving first keeps the span finite even for values near f64::MAX.
                let span = hi / 2.0 - lo / 2.0;
                if span > 0.0 {
                    ramp((v / 2.0 - lo / 2.0) / span)
                } else {
                    ramp(0.5)
                }
            }
        }
    }
}
