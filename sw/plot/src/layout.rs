//! Page-level sizing shared by every plot: the clamped image size, the text scale that suits
//! it, spacing, and the title band across the top.
//!
//! Every size derives from the image size alone, so a plot's geometry can be recomputed
//! without drawing it (which `heatmap_cell_centres` relies on).

use crate::canvas::{Canvas, Rect};
use crate::colour;
use crate::font;

/// The smallest image side: below this there is no room for a title and a plot.
pub(crate) const MIN_SIDE: u32 = 64;
/// The largest image side: bounds memory (4096² RGB is 48 MiB) and encoding time.
pub(crate) const MAX_SIDE: u32 = 4096;

/// The requested size clamped to `MIN_SIDE..=MAX_SIDE` on each side.
pub(crate) fn clamp_size(width: u32, height: u32) -> (u32, u32) {
    (
        width.clamp(MIN_SIDE, MAX_SIDE),
        height.clamp(MIN_SIDE, MAX_SIDE),
    )
}

/// Sizes of text and spacing for one image.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Metrics {
    /// Scale of labels: 1 up to 400 pixels on the short side, then one more per 400.
    pub text: u32,
    /// Scale of the title: one step larger than labels once there is room.
    pub title: u32,
    /// The basic gap between elements, in pixels.
    pub pad: i64,
}

impl Metrics {
    pub(crate) fn of(width: u32, height: u32) -> Metrics {
        let short = width.min(height);
        let text = (1 + short / 400).min(6);
        let title = if short >= 200 { text + 1 } else { text };
        Metrics {
            text,
            title,
            pad: 3 * text as i64,
        }
    }

    /// Height of a line of label text.
    pub(crate) fn line(&self) -> i64 {
        font::text_height(self.text)
    }

    /// The bottom of the title band: where the content below the title starts.
    pub(crate) fn title_bottom(&self) -> i64 {
        self.pad + font::text_height(self.title) + self.pad
    }
}

/// Draws `title` centred at the top of the page, shrunk or shortened to fit its width.
/// How every plot starts: a white canvas of the clamped size, its metrics, and `title` drawn;
/// returns the canvas, the metrics and the clamped width and height.
pub(crate) fn titled_canvas(width: u32, height: u32, title: &str) -> (Canvas, Metrics, u32, u32) {
    let (w, h) = clamp_size(width, height);
    let m = Metrics::of(w, h);
    let mut canvas = Canvas::new(w, h, colour::WHITE);
    draw_title(&mut canvas, &m, title);
    (canvas, m, w, h)
}

pub(crate) fn draw_title(canvas: &mut Canvas, m: &Metrics, title: &str) {
    let page = canvas.bounds();
    let (text, scale) = font::fit(title, page.width() - 2 * m.pad, m.title);
    // Shrunk titles stay vertically centred in the band reserved for the full-size title.
    let y = m.pad + (font::text_height(m.title) - font::text_height(scale)) / 2;
    canvas.text_centred(page.width() / 2, y, &text, scale, colour::INK);
}

/// A horizontal colour bar in `bar`: the ramp from left (0) to right (1).
pub(crate) fn draw_ramp_bar(canvas: &mut Canvas, bar: Rect) {
    let n = bar.width();
    for i in 0..n {
        let t = if n > 1 {
            i as f64 / (n - 1) as f64
        } else {
            0.5
        };
        let c = colour::ramp(t);
        canvas.fill_rect(Rect::new(bar.x0 + i, bar.y0, bar.x0 + i + 1, bar.y1), c);
    }
    canvas.stroke_rect(bar, 1, colour::OUTLINE);
}
