//! Line charts: axes with round ticks, grid, axis labels, a title, and each series as a
//! coloured polyline with markers, named in a legend.
//!
//! Margins are sized from the text they hold (tick labels are measured before the plot area
//! is fixed), so labels never overlap the data.
//! A non-finite point breaks its series' line: the gap shows the missing data instead of
//! bridging it.
//! Markers change shape from series to series as well as colour, so series stay apart in
//! greyscale.

use crate::canvas::{Canvas, Rect};
use crate::colour::{self, Rgb};
use crate::font;
use crate::layout::{self, Metrics};
use crate::ticks::{Ticks, LIMIT};
use crate::Series;

/// A line chart with axes, tick labels (nice round numbers), axis labels, a title and a legend
/// naming each series, each series in its own distinct colour with point markers.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    width: u32,
    height: u32,
) -> Vec<u8> {
    let (mut canvas, m, w, h) = layout::titled_canvas(width, height, title);

    let s = m.text;
    let (pad, line) = (m.pad, m.line());
    let tick_len = 2 * s as i64 + 1;
    let (xr, yr) = data_bounds(series);

    // Vertical extent first: it depends only on text heights.
    let top = m.title_bottom();
    let x_label_h = if x_label.is_empty() { 0 } else { line + pad };
    let bottom = (h as i64 - pad - x_label_h - line - pad / 2 - tick_len).max(top + 1);
    let plot_h = bottom - top;
    let y_ticks = Ticks::new(yr.0, yr.1, (plot_h / (line * 4)).clamp(2, 10) as usize);
    let y_labels: Vec<String> = y_ticks.values.iter().map(|&v| y_ticks.label(v)).collect();
    let y_label_w = y_labels
        .iter()
        .map(|l| font::text_width(l, s))
        .max()
        .unwrap_or(0)
        .min(w as i64 / 3);

    // Then the horizontal extent, which depends on the widest y tick label.
    let y_title_w = if y_label.is_empty() { 0 } else { line + pad };
    let left = pad + y_title_w + y_label_w + pad / 2 + tick_len;
    // The last x tick label is centred on the right edge: leave room for its right half.
    let mut right_margin = 2 * pad;
    let mut x_ticks = fitting_x_ticks(xr, w as i64 - right_margin - left, s);
    let last_half = |t: &Ticks| font::text_width(&t.label(t.hi), s) / 2 + pad / 2;
    if last_half(&x_ticks) > right_margin {
        right_margin = last_half(&x_ticks).min(w as i64 / 4);
        x_ticks = fitting_x_ticks(xr, w as i64 - right_margin - left, s);
    }
    let right = (w as i64 - right_margin).max(left + 1);
    let plot = Rect::new(left, top, right, bottom);

    draw_axes(&mut canvas, &m, plot, &x_ticks, &y_ticks, &y_labels);
    if !x_label.is_empty() {
        let text = font::truncate(x_label, w as i64 - 2 * pad, s);
        canvas.text_centred(
            (plot.x0 + plot.x1) / 2,
            h as i64 - pad - line,
            &text,
            s,
            colour::INK,
        );
    }
    if !y_label.is_empty() {
        let text = font::truncate(y_label, plot.height(), s);
        let centre = (plot.y0 + plot.y1) / 2 + font::text_width(&text, s) / 2;
        canvas.text_up(pad, centre, &text, s, colour::INK);
    }

    let marker = (1.5 * s as f64).max(2.0);
    canvas.set_clip(plot.inset(-(marker.ceil() as i64 + 1)));
    let to_pixel = |(x, y): (f64, f64)| {
        (
            plot.x0 as f64 + x_ticks.fraction(x) * (plot.width() - 1) as f64 + 0.5,
            plot.y1 as f64 - 0.5 - y_ticks.fraction(y) * (plot.height() - 1) as f64,
        )
    };
    for (idx, ser) in series.iter().enumerate() {
        let c = colour::series(idx);
        let mut prev: Option<(f64, f64)> = None;
        for &p in &ser.points {
            if !(p.0.is_finite() && p.1.is_finite()) {
                prev = None;
                continue;
            }
            let q = to_pixel(p);
            if let Some(a) = prev {
                canvas.line(a, q, s as f64, c);
            }
            prev = Some(q);
        }
        for &p in ser
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
        {
            draw_marker(&mut canvas, to_pixel(p), marker, idx, c);
        }
    }
    canvas.reset_clip();
    draw_legend(&mut canvas, &m, plot, series, marker);
    canvas.into_png()
}

/// The smallest and largest finite x and y over all series, clamped to ±`LIMIT`; (0, 1) on an
/// axis with no data.
fn data_bounds(series: &[Series]) -> ((f64, f64), (f64, f64)) {
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    for &(px, py) in series.iter().flat_map(|s| s.points.iter()) {
        if px.is_finite() && py.is_finite() {
            let (px, py) = (px.clamp(-LIMIT, LIMIT), py.clamp(-LIMIT, LIMIT));
            x = (x.0.min(px), x.1.max(px));
            y = (y.0.min(py), y.1.max(py));
        }
    }
    if x.0 > x.1 {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    (x, y)
}

/// As many x ticks (up to 10) as fit with their labels a few characters apart.
fn fitting_x_ticks(range: (f64, f64), plot_w: i64, s: u32) -> Ticks {
    let gap = font::text_width("  ", s);
    let mut target = 10;
    loop {
        let ticks = Ticks::new(range.0, range.1, target);
        let widest = ticks
            .values
            .iter()
            .map(|&v| font::text_width(&ticks.label(v), s))
            .max()
            .unwrap_or(0);
        let n = ticks.values.len() as i64;
        if target <= 2 || (widest + gap) * n <= plot_w {
            return ticks;
        }
        target -= 1;
    }
}

/// Grid lines, the frame, tick marks and tick labels.
fn draw_axes(
    canvas: &mut Canvas,
    m: &Metrics,
    plot: Rect,
    x_ticks: &Ticks,
    y_ticks: &Ticks,
    y_labels: &[String],
) {
    let s = m.text;
    let tick_len = 2 * s as i64 + 1;
    let x_at = |v: f64| plot.x0 + (x_ticks.fraction(v) * (plot.width() - 1) as f64).round() as i64;
    let y_at =
        |v: f64| plot.y1 - 1 - (y_ticks.fraction(v) * (plot.height() - 1) as f64).round() as i64;
    for &v in &x_ticks.values {
        let x = x_at(v);
        canvas.fill_rect(Rect::new(x, plot.y0, x + 1, plot.y1), colour::GRID);
        canvas.fill_rect(
            Rect::new(x, plot.y1, x + 1, plot.y1 + tick_len),
            colour::INK,
        );
        let label = x_ticks.label(v);
        canvas.text_centred(x, plot.y1 + tick_len + m.pad / 2, &label, s, colour::INK);
    }
    for (&v, label) in y_ticks.values.iter().zip(y_labels) {
        let y = y_at(v);
        canvas.fill_rect(Rect::new(plot.x0, y, plot.x1, y + 1), colour::GRID);
        canvas.fill_rect(
            Rect::new(plot.x0 - tick_len, y, plot.x0, y + 1),
            colour::INK,
        );
        let label_w = font::text_width(label, s);
        let label_x = plot.x0 - tick_len - m.pad / 2 - label_w;
        canvas.text(label_x, y - m.line() / 2, label, s, colour::INK);
    }
    canvas.stroke_rect(plot.inset(-1), 1, colour::INK);
}

/// A marker of radius `r` at `p`: circle, square, triangle, diamond or inverted triangle,
/// chosen by series.
fn draw_marker(canvas: &mut Canvas, p: (f64, f64), r: f64, series_idx: usize, c: Rgb) {
    let (x, y) = p;
    match series_idx % 5 {
        0 => canvas.fill_disc(p, r, c),
        1 => canvas.fill_polygon(
            &[
                (x - r, y - r),
                (x + r, y - r),
                (x + r, y + r),
                (x - r, y + r),
            ],
            c,
        ),
        2 => canvas.fill_polygon(
            &[(x, y - 1.3 * r), (x + 1.2 * r, y + r), (x - 1.2 * r, y + r)],
            c,
        ),
        3 => canvas.fill_polygon(
            &[
                (x, y - 1.3 * r),
                (x + 1.3 * r, y),
                (x, y + 1.3 * r),
                (x - 1.3 * r, y),
            ],
            c,
        ),
        _ => canvas.fill_polygon(
            &[(x - 1.2 * r, y - r), (x + 1.2 * r, y - r), (x, y + 1.3 * r)],
            c,
        ),
    }
}

/// The legend: a boxed list in the plot's top-right corner, one row per series (as many as
/// fit), each a line-and-marker swatch and the series name.
fn draw_legend(canvas: &mut Canvas, m: &Metrics, plot: Rect, series: &[Series], marker: f64) {
    if series.is_empty() {
        return;
    }
    let s = m.text;
    let (pad, line) = (m.pad, m.line());
    let row_h = line + pad;
    let swatch_w = font::text_width("----", s);
    let max_rows = ((plot.height() - pad) / row_h).max(0) as usize;
    let rows = series.len().min(max_rows);
    if rows == 0 {
        return;
    }
    let max_text = plot.width() - swatch_w - 4 * pad;
    let names: Vec<String> = series
        .iter()
        .take(rows)
        .enumerate()
        .map(|(i, ser)| {
            let name = if ser.name.is_empty() {
                format!("series {}", i + 1)
            } else {
                ser.name.clone()
            };
            font::truncate(&name, max_text, s)
        })
        .collect();
    let text_w = names
        .iter()
        .map(|n| font::text_width(n, s))
        .max()
        .unwrap_or(0);
    let box_w = (pad + swatch_w + pad + text_w + pad).min(plot.width() - pad);
    let box_h = pad + rows as i64 * row_h;
    let x1 = plot.x1 - pad;
    let legend = Rect::new(x1 - box_w, plot.y0 + pad, x1, plot.y0 + pad + box_h);
    canvas.fill_rect(legend, colour::WHITE);
    canvas.stroke_rect(legend, 1, colour::OUTLINE);
    canvas.set_clip(legend);
    for (i, name) in names.iter().enumerate() {
        let c = colour::series(i);
        let y = legend.y0 + pad + i as i64 * row_h;
        let mid = y as f64 + line as f64 / 2.0;
        let sx = (legend.x0 + pad) as f64;
        canvas.line((sx, mid), (sx + swatch_w as f64, mid), s as f64, c);
        draw_marker(canvas, (sx + swatch_w as f64 / 2.0, mid), marker, i, c);
        canvas.text(legend.x0 + 2 * pad + swatch_w, y, name, s, colour::INK);
    }
    canvas.reset_clip();
}
