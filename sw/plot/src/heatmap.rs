//! Chip heatmaps: one cell per chip, coloured by value, in one or more panels side by side.
//!
//! Each panel has its own title and colour scale, because the quantities shown together
//! (packets routed, dumped, dropped) differ by orders of magnitude.
//! The page layout is a pure function of the image size and panel count, shared with
//! `heatmap_cell_centres` so image maps and tests see the cells where they were drawn.

use crate::canvas::{Canvas, Rect};
use crate::colour::{self, ValueScale};
use crate::font;
use crate::lattice::Fit;
use crate::layout::{self, Metrics};
use crate::{ChipLayout, Panel};

/// Panels beyond this many are not laid out: each would be narrower than a pixel anyway.
const MAX_PANELS: usize = 4096;

/// Cells smaller than this pitch (pixels) are not outlined: the outline would cover them.
const MIN_OUTLINED_PITCH: f64 = 8.0;

/// Where one panel's parts go.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PanelLayout {
    pub title: Rect,
    pub cells: Rect,
    pub bar: Rect,
    /// The top of the colour bar's labels.
    pub labels_y: i64,
}

/// The layout of panel `idx` of `n_panels` on a `width × height` page (already clamped).
pub(crate) fn panel_layout(width: u32, height: u32, n_panels: usize, idx: usize) -> PanelLayout {
    let m = Metrics::of(width, height);
    let (pad, line) = (m.pad, m.line());
    let n = n_panels.clamp(1, MAX_PANELS) as f64;
    let gap = (2 * pad) as f64;
    let panel_w = ((width as f64 - (2 * pad) as f64 - gap * (n - 1.0)) / n).max(0.0);
    let x0 = (pad as f64 + idx as f64 * (panel_w + gap)).round() as i64;
    let x1 = (pad as f64 + idx as f64 * (panel_w + gap) + panel_w).round() as i64;
    let top = m.title_bottom();
    let bottom = height as i64 - pad;
    let labels_y = bottom - line;
    let bar_y1 = labels_y - pad / 2 - 1;
    let bar_y0 = bar_y1 - line.max(4);
    PanelLayout {
        title: Rect::new(x0, top, x1, top + line),
        cells: Rect::new(x0, top + line + pad, x1, bar_y0 - pad),
        bar: Rect::new(x0, bar_y0, x1, bar_y1),
        labels_y,
    }
}

/// A heatmap: one cell (hexagon or square) per chip in `chips`, coloured by value on a
/// perceptual dark-to-bright scale, zero drawn in a neutral grey, cells outlined.
///
/// Panels sit side by side, each with its own title and its own colour bar labelled with its
/// smallest and largest non-zero value (plus a zero swatch when some value is zero); the
/// overall title is above them.
pub fn chip_heatmap(
    title: &str,
    chips: &[(u32, u32)],
    layout: ChipLayout,
    panels: &[Panel],
    width: u32,
    height: u32,
) -> Vec<u8> {
    let (mut canvas, m, w, h) = layout::titled_canvas(width, height, title);
    for (idx, panel) in panels.iter().enumerate().take(MAX_PANELS) {
        let pl = panel_layout(w, h, panels.len(), idx);
        if pl.title.width() < 1 {
            continue;
        }
        let (text, scale) = font::fit(&panel.title, pl.title.width(), m.text);
        let (cx, _) = pl.title.centre();
        canvas.text_centred(cx as i64, pl.title.y0, &text, scale, colour::INK);
        let values: Vec<f64> = (0..chips.len())
            .map(|i| panel.values.get(i).copied().unwrap_or(f64::NAN))
            .collect();
        let scale = ValueScale::of(&values);
        draw_cells(&mut canvas, chips, layout, pl.cells, &values, &scale);
        draw_key(&mut canvas, &m, &pl, &scale);
    }
    canvas.into_png()
}

/// Fills every cell, then outlines them all, so no fill paints over a neighbour's outline.
fn draw_cells(
    canvas: &mut Canvas,
    chips: &[(u32, u32)],
    layout: ChipLayout,
    area: Rect,
    values: &[f64],
    scale: &ValueScale,
) {
    let fit = Fit::new(chips, layout, area);
    for (centre, &v) in fit.centres.iter().zip(values) {
        canvas.fill_polygon(&fit.cell(*centre, 1.0), scale.colour(v));
    }
    if fit.pitch >= MIN_OUTLINED_PITCH {
        for centre in &fit.centres {
            canvas.stroke_polygon(&fit.cell(*centre, 1.0), colour::OUTLINE);
        }
    }
}

/// The colour key under a panel: a zero swatch when some value is zero, then the ramp labelled
/// with the smallest and largest non-zero value.
fn draw_key(canvas: &mut Canvas, m: &Metrics, pl: &PanelLayout, scale: &ValueScale) {
    let bar = pl.bar;
    let mut ramp_x0 = bar.x0;
    if scale.has_zero {
        let swatch = Rect::new(bar.x0, bar.y0, bar.x0 + bar.height(), bar.y1);
        canvas.fill_rect(swatch, colour::ZERO);
        canvas.stroke_rect(swatch, 1, colour::OUTLINE);
        let (cx, _) = swatch.centre();
        canvas.text_centred(cx as i64, pl.labels_y, "0", m.text, colour::INK);
        ramp_x0 = swatch.x1 + m.pad;
    }
    let ramp = Rect::new(ramp_x0, bar.y0, bar.x1, bar.y1);
    let Some((lo, hi)) = scale.range else {
        if !scale.has_zero {
            canvas.text(bar.x0, pl.labels_y, "no data", m.text, colour::INK);
        }
        return;
    };
    if lo == hi {
        canvas.fill_rect(ramp, scale.colour(lo));
        canvas.stroke_rect(ramp, 1, colour::OUTLINE);
    } else {
        layout::draw_ramp_bar(canvas, ramp);
    }
    let hi_text = font::truncate(&crate::ticks::format_value(hi), ramp.width(), m.text);
    let hi_w = font::text_width(&hi_text, m.text);
    canvas.text(ramp.x1 - hi_w, pl.labels_y, &hi_text, m.text, colour::INK);
    let lo_text = crate::ticks::format_value(lo);
    let room = ramp.width() - hi_w - font::text_width(" ", m.text) * 2;
    if lo != hi && font::text_width(&lo_text, m.text) <= room {
        canvas.text(ramp.x0, pl.labels_y, &lo_text, m.text, colour::INK);
    }
}

/// Where `chip_heatmap` draws each chip's cell in panel `panel` of `n_panels`: the pixel holding
/// the cell's centre (x, y from the top-left), one per chip in order.
///
/// It uses the heatmap's own geometry, so the points are exact, for tests and image maps.
/// Empty when `panel >= n_panels`.
pub fn heatmap_cell_centres(
    chips: &[(u32, u32)],
    layout: ChipLayout,
    n_panels: usize,
    panel: usize,
    width: u32,
    height: u32,
) -> Vec<(u32, u32)> {
    if panel >= n_panels || panel >= MAX_PANELS {
        return Vec::new();
    }
    let (w, h) = layout::clamp_size(width, height);
    let pl = panel_layout(w, h, n_panels, panel);
    let fit = Fit::new(chips, layout, pl.cells);
    (0..chips.len())
        .map(|i| fit.centre_pixel(i, w, h))
        .collect()
}
