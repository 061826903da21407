//! Axis ticks at round numbers, and number formatting for labels.
//!
//! Steps are 1, 2 or 5 times a power of ten, and the axis is widened to whole steps, so every
//! tick label is short and the data always lies inside the axis.
//! Degenerate ranges (a single value, nothing at all, spans lost to rounding) are widened to a
//! usable range first, so the arithmetic below never divides by zero.

/// Data coordinates are clamped to ±`LIMIT` so that spans and steps stay finite.
pub(crate) const LIMIT: f64 = 1e300;

/// More ticks than this are never produced, whatever the caller asks for.
const MAX_TICKS: usize = 50;

/// An axis: its widened ends and the tick positions from one end to the other.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ticks {
    pub lo: f64,
    pub hi: f64,
    pub values: Vec<f64>,
    /// The step is a multiple of `10^exponent`; it sets the decimals a label needs.
    exponent: i32,
    /// Whether labels use scientific notation, because fixed would be too long.
    scientific: bool,
}

impl Ticks {
    /// Round ticks covering `lo..=hi`, about `target` intervals of them.
    pub(crate) fn new(lo: f64, hi: f64, target: usize) -> Ticks {
        let (lo, hi) = widen(lo, hi);
        let raw = (hi - lo) / target.clamp(1, MAX_TICKS) as f64;
        let e = raw.log10().floor() as i32;
        let norm = raw / 10f64.powi(e);
        let (mantissa, exponent) = if norm <= 1.0 {
            (1.0, e)
        } else if norm <= 2.0 {
            (2.0, e)
        } else if norm <= 5.0 {
            (5.0, e)
        } else {
            (1.0, e + 1)
        };
        let step = mantissa * 10f64.powi(exponent);
        let k0 = (lo / step).floor();
        let k1 = (hi / step).ceil();
        let n = ((k1 - k0).max(1.0) as usize).min(MAX_TICKS);
        // Adding 0.0 turns -0.0 into 0.0, which would otherwise print as "-0".
        let values: Vec<f64> = (0..=n).map(|i| (k0 + i as f64) * step + 0.0).collect();
        let magnitude = lo.abs().max(hi.abs());
        Ticks {
            lo: values[0],
            hi: values[n],
            values,
            exponent,
            scientific: magnitude >= 1e7 || exponent < -5,
        }
    }

    /// The label for tick value `v`, with just the decimals the step needs.
    pub(crate) fn label(&self, v: f64) -> String {
        if v == 0.0 {
            return "0".to_string();
        }
        if self.scientific {
            let digits = (v.abs().log10().floor() as i32 - self.exponent).clamp(0, 6) as usize;
            return trim_exponent(&format!("{v:.digits$e}"));
        }
        let decimals = (-self.exponent).max(0) as usize;
        format!("{v:.decimals$}")
    }

    /// Where `v` falls along the axis, 0 at `lo` and 1 at `hi`.
    pub(crate) fn fraction(&self, v: f64) -> f64 {
        let v = v.clamp(-LIMIT, LIMIT);
        (v / 2.0 - self.lo / 2.0) / (self.hi / 2.0 - self.lo / 2.0)
    }
}

/// `lo..=hi` made a range with room for ticks: ordered, finite, and not vanishingly narrow.
fn widen(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi).max(-LIMIT), hi.max(lo).min(LIMIT))
    } else {
        (0.0, 1.0)
    };
    let mid = lo / 2.0 + hi / 2.0;
    let span = hi - lo;
    if span > mid.abs() * 1e-9 && span > 1e-200 {
        return (lo, hi);
    }
    let delta = if mid.abs() >= 1e-100 {
        mid.abs() * 0.1
    } else {
        1.0
    };
    (mid - delta, mid + delta)
}

/// A value for a colour-bar label: short, at most four significant digits.
pub(crate) fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        return trim_exponent(&format!("{v:.3e}"));
    }
    if v.fract() == 0.0 {
        return format!("{v:.0}");
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    trim_zeros(&format!("{v:.decimals$}"))
}

/// "1.500e6" → "1.5e6", "2.000e-4" → "2e-4".
fn trim_exponent(s: &str) -> String {
    match s.split_once('e') {
        Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
        None => s.to_string(),
    }
}

/// "1.2300" → "1.23", "4.000" → "4".
fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let t = Ticks::new(0.0, 97.0, 5);
        assert_eq!(t.values, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let labels: Vec<String> = t.values.iter().map(|&v| t.label(v)).collect();
        assert_eq!(labels, ["0", "20", "40", "60", "80", "100"]);

        let t = Ticks::new(0.13, 0.61, 5);
        let labels: Vec<String> = t.values.iter().map(|&v| t.label(v)).collect();
        assert_eq!(labels, ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]);

        let t = Ticks::new(-3.0, 2.0, 5);
        assert!(t.lo <= -3.0 && t.hi >= 2.0);
        assert!(t.values.contains(&0.0));
    }

    #[test]
    fn large_and_tiny_ranges_use_scientific_labels() {
        let t = Ticks::new(0.0, 3e9, 3);
        assert_eq!(t.label(1e9), "1e9");
        let t = Ticks::new(0.0, 3e-7, 3);
        assert_eq!(t.label(1e-7), "1e-7");
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        for (lo, hi) in [
            (5.0, 5.0),
            (0.0, 0.0),
            (f64::NAN, 1.0),
            (1e308, -1e308),
            (0.0, 5e-324),
            (1e15, 1e15 + 1.0),
        ] {
            let t = Ticks::new(lo, hi, 5);
            assert!(t.lo < t.hi, "{lo}..{hi} gave {t:?}");
            assert!(t.values.len() >= 2 && t.values.len() <= MAX_TICKS + 1);
            assert!(t.values.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn values_format_briefly() {
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(1234.0), "1234");
        assert_eq!(format_value(0.125), "0.125");
        assert_eq!(format_value(1.23456), "1.235");
        assert_eq!(format_value(2.5e7), "2.5e7");
        assert_eq!(format_value(-4e-5), "-4e-5");
        assert_eq!(format_value(f64::NAN), "-");
    }
}
