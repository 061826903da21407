//! Link-utilisation maps: chips as small neutral cells, each directed link as an arrow coloured
//! by how busy it is.
//!
//! The two directions of a link are drawn side by side, each offset to its own right, so both
//! stay visible.
//! A link whose far end is not drawn next to it (a torus wrap-around, or a chip not on the map)
//! is a short stub leaving its chip in the link's direction, since a line across the whole
//! map would hide everything under it.

use std::collections::BTreeMap;

use crate::canvas::{Canvas, Rect};
use crate::colour::{self, Rgb};
use crate::font;
use crate::lattice::{self, Fit};
use crate::layout;
use crate::{ChipLayout, LinkLoad};

/// Chip cells are this fraction of a full cell, leaving room between them for the arrows.
const CHIP_SIZE: f64 = 0.5;
/// Arrows start and end this many pitches from a chip centre, just clear of its cell.
const CLEARANCE: f64 = 0.3;
/// A stub reaches this many pitches from its chip centre.
const STUB_REACH: f64 = 0.62;

/// Link utilisation drawn on the chip layout: chips as small neutral cells and each directed
/// link as an arrow from its chip towards its neighbour, offset to its right so both directions
/// show, coloured by utilisation (with a 0–100 % colour bar).
///
/// A link whose neighbour is not adjacent in the drawing (a torus wrap-around) is a short stub
/// leaving the chip in the link's direction; links from chips not in `chips` are not drawn.
pub fn link_map(
    title: &str,
    chips: &[(u32, u32)],
    layout: ChipLayout,
    links: &[LinkLoad],
    width: u32,
    height: u32,
) -> Vec<u8> {
    let (mut canvas, m, w, h) = layout::titled_canvas(width, height, title);

    let line = m.line();
    let labels_y = h as i64 - m.pad - line;
    let bar_y1 = labels_y - m.pad / 2 - 1;
    let bar_y0 = bar_y1 - line.max(4);
    let area = Rect::new(
        m.pad,
        m.title_bottom(),
        w as i64 - m.pad,
        bar_y0 - 2 * m.pad,
    );
    // Stubs reach past the cells' extent; fit once to learn the pitch, then leave room for them.
    let rough = Fit::new(chips, layout, area);
    let margin = (rough.pitch * (STUB_REACH - 0.5)).ceil() as i64;
    let fit = Fit::new(chips, layout, area.inset(margin.max(0)));

    for centre in &fit.centres {
        canvas.fill_polygon(&fit.cell(*centre, CHIP_SIZE), colour::CHIP);
        if fit.pitch >= 8.0 {
            canvas.stroke_polygon(&fit.cell(*centre, CHIP_SIZE), colour::OUTLINE);
        }
    }
    draw_links(&mut canvas, chips, layout, links, &fit);

    let bar_w = (w as i64 / 2).max(font::text_width("100%", m.text) * 3);
    let bar_x0 = (w as i64 - bar_w) / 2;
    let bar = Rect::new(bar_x0, bar_y0, bar_x0 + bar_w, bar_y1);
    layout::draw_ramp_bar(&mut canvas, bar);
    canvas.text(bar.x0, labels_y, "0%", m.text, colour::INK);
    canvas.text_centred((bar.x0 + bar.x1) / 2, labels_y, "50%", m.text, colour::INK);
    let full_w = font::text_width("100%", m.text);
    canvas.text(bar.x1 - full_w, labels_y, "100%", m.text, colour::INK);
    canvas.into_png()
}

fn draw_links(
    canvas: &mut Canvas,
    chips: &[(u32, u32)],
    layout: ChipLayout,
    links: &[LinkLoad],
    fit: &Fit,
) {
    // The first occurrence of a chip is the one links attach to.
    let mut index: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    for (i, &chip) in chips.iter().enumerate() {
        index.entry(chip).or_insert(i);
    }
    let k = fit.pitch;
    let thickness = (k * 0.08).max(1.0);
    let offset = (k * 0.1).max(thickness / 2.0 + 1.0);
    for link in links {
        if link.utilisation.is_nan() {
            continue;
        }
        let Some(&from_idx) = index.get(&link.from) else {
            continue;
        };
        let from = fit.centres[from_idx];
        let to_idx = index.get(&link.to).copied();
        let (dir, end_dist) = match to_idx {
            Some(to_idx) if lattice::adjacent(layout, link.from, link.to) => {
                let to = fit.centres[to_idx];
                let (dx, dy) = (to.0 - from.0, to.1 - from.1);
                let dist = (dx * dx + dy * dy).sqrt();
                ((dx, dy), dist - CLEARANCE * k)
            }
            _ => {
                let delta = wrapped_direction(link.from, link.to);
                if delta == (0.0, 0.0) {
                    continue;
                }
                let step = fit.step(delta);
                let dist = (step.0 * step.0 + step.1 * step.1).sqrt();
                (step, STUB_REACH * dist)
            }
        };
        let len = (dir.0 * dir.0 + dir.1 * dir.1).sqrt();
        if len < 1e-9 {
            continue;
        }
        let u = (dir.0 / len, dir.1 / len);
        // The arrow's right-hand side on screen (y grows downwards).
        let side = (-u.1 * offset, u.0 * offset);
        let start = (
            from.0 + u.0 * CLEARANCE * k + side.0,
            from.1 + u.1 * CLEARANCE * k + side.1,
        );
        let end = (
            from.0 + u.0 * end_dist + side.0,
            from.1 + u.1 * end_dist + side.1,
        );
        let c = colour::ramp(link.utilisation);
        arrow(canvas, start, end, u, thickness, c);
    }
}

/// The direction a link leaves its chip, as a chip delta with each component in -1..=1.
///
/// A component that jumps by more than one chip has wrapped around the torus, so the link
/// really leaves the other way.
fn wrapped_direction(from: (u32, u32), to: (u32, u32)) -> (f64, f64) {
    let norm = |a: u32, b: u32| -> f64 {
        let d = b as i64 - a as i64;
        match d {
            -1..=1 => d as f64,
            _ => -(d.signum() as f64),
        }
    };
    (norm(from.0, to.0), norm(from.1, to.1))
}

/// An arrow from `start` to `end` (unit direction `u`), with a dark edge so light colours
/// still show against the white page.
fn arrow(canvas: &mut Canvas, start: (f64, f64), end: (f64, f64), u: (f64, f64), t: f64, c: Rgb) {
    let (dx, dy) = (end.0 - start.0, end.1 - start.1);
    let len = (dx * dx + dy * dy).sqrt();
    if !len.is_finite() || len < 1.0 {
        return;
    }
    let head = (2.5 * t).max(3.0).min(0.45 * len);
    let base = (end.0 - u.0 * head, end.1 - u.1 * head);
    let n = (-u.1, u.0);
    let triangle = |grow: f64| {
        let half = head * 0.6 + grow;
        let tip = (end.0 + u.0 * grow, end.1 + u.1 * grow);
        let back = (base.0 - u.0 * grow, base.1 - u.1 * grow);
        [
            tip,
            (back.0 + n.0 * half, back.1 + n.1 * half),
            (back.0 - n.0 * half, back.1 - n.1 * half),
        ]
    };
    canvas.line(start, base, t + 2.0, colour::OUTLINE);
    canvas.fill_polygon(&triangle(1.2), colour::OUTLINE);
    canvas.line(start, base, t, c);
    canvas.fill_polygon(&triangle(0.0), c);
}
