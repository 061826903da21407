//! An RGB raster and the few drawing operations the plots need: pixels, rectangles, lines,
//! filled polygons, discs and text.
//!
//! Every operation clips to the canvas (and to an optional clip rectangle) and ignores
//! non-finite or absurdly distant coordinates, so no input can make drawing panic or loop for
//! long.
//! Polygons are filled by sampling pixel centres with a half-open rule, so two polygons that
//! share an edge never both paint a pixel of it.
//! There is no anti-aliasing: hard edges keep cell colours exact, which the image maps and
//! tests rely on.

use crate::colour::Rgb;
use crate::font;

/// Coordinates farther than this from the origin are not drawn: nothing the plots lay out gets
/// near it, and it keeps all later arithmetic finite.
const FAR: f64 = 1e7;

/// A half-open pixel rectangle `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
}

impl Rect {
    /// The rectangle with corners `(x0, y0)` and `(x1, y1)`; an inverted one is empty.
    pub(crate) fn new(x0: i64, y0: i64, x1: i64, y1: i64) -> Rect {
        Rect {
            x0,
            y0,
            x1: x1.max(x0),
            y1: y1.max(y0),
        }
    }

    pub(crate) fn width(&self) -> i64 {
        self.x1 - self.x0
    }

    pub(crate) fn height(&self) -> i64 {
        self.y1 - self.y0
    }

    /// The rectangle grown by `d` pixels on every side (shrunk when `d` is negative).
    pub(crate) fn inset(&self, d: i64) -> Rect {
        Rect::new(self.x0 + d, self.y0 + d, self.x1 - d, self.y1 - d)
    }

    pub(crate) fn intersect(&self, other: &Rect) -> Rect {
        Rect::new(
            self.x0.max(other.x0),
            self.y0.max(other.y0),
            self.x1.min(other.x1),
            self.y1.min(other.y1),
        )
    }

    /// The centre, in continuous pixel coordinates.
    pub(crate) fn centre(&self) -> (f64, f64) {
        (
            (self.x0 + self.x1) as f64 / 2.0,
            (self.y0 + self.y1) as f64 / 2.0,
        )
    }
}

/// An RGB image being drawn, row-major from the top-left, three bytes a pixel.
pub(crate) struct Canvas {
    width: u32,
    height: u32,
    data: Vec<u8>,
    clip: Rect,
}

impl Canvas {
    /// A canvas filled with `background`.
    pub(crate) fn new(width: u32, height: u32, background: Rgb) -> Canvas {
        let n = width as usize * height as usize;
        let mut data = Vec::with_capacity(n * 3);
        for _ in 0..n {
            data.extend_from_slice(&[background.0, background.1, background.2]);
        }
        Canvas {
            width,
            height,
            data,
            clip: Rect::new(0, 0, width as i64, height as i64),
        }
    }

    /// The whole canvas.
    pub(crate) fn bounds(&self) -> Rect {
        Rect::new(0, 0, self.width as i64, self.height as i64)
    }

    /// Restricts drawing to `clip` (within the canvas) until the next call.
    pub(crate) fn set_clip(&mut self, clip: Rect) {
        self.clip = clip.intersect(&self.bounds());
    }

    /// Lifts any clip rectangle.
    pub(crate) fn reset_clip(&mut self) {
        self.clip = self.bounds();
    }

    pub(crate) fn put(&mut self, x: i64, y: i64, c: Rgb) {
        let clip = self.clip;
        if x < clip.x0 || y < clip.y0 || x >= clip.x1 || y >= clip.y1 {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        self.data[i] = c.0;
        self.data[i + 1] = c.1;
        self.data[i + 2] = c.2;
    }

    pub(crate) fn fill_rect(&mut self, r: Rect, c: Rgb) {
        let r = r.intersect(&self.clip);
        for y in r.y0..r.y1 {
            for x in r.x0..r.x1 {
                self.put(x, y, c);
            }
        }
    }

    /// The outline of `r`, `thickness` pixels wide, inside `r`.
    pub(crate) fn stroke_rect(&mut self, r: Rect, thickness: i64, c: Rgb) {
        let t = thickness.max(1);
        self.fill_rect(Rect::new(r.x0, r.y0, r.x1, r.y0 + t), c);
        self.fill_rect(Rect::new(r.x0, r.y1 - t, r.x1, r.y1), c);
        self.fill_rect(Rect::new(r.x0, r.y0, r.x0 + t, r.y1), c);
        self.fill_rect(Rect::new(r.x1 - t, r.y0, r.x1, r.y1), c);
    }

    /// A line from `a` to `b` (continuous coordinates), `thickness` pixels wide.
    ///
    /// Thin lines step pixel by pixel; thicker ones are filled as a rectangle with square
    /// caps, which joins consecutive segments of a polyline without gaps.
    pub(crate) fn line(&mut self, a: (f64, f64), b: (f64, f64), thickness: f64, c: Rgb) {
        if !near(a) || !near(b) || !thickness.is_finite() {
            return;
        }
        if thickness < 2.0 {
            self.thin_line(a, b, c);
            return;
        }
        let half = (thickness / 2.0).min(FAR);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        let (ux, uy) = if len > 1e-9 {
            (dx / len, dy / len)
        } else {
            (1.0, 0.0)
        };
        // Extend by half the width at each end (square caps), then offset sideways.
        let (ax, ay) = (a.0 - ux * half, a.1 - uy * half);
        let (bx, by) = (b.0 + ux * half, b.1 + uy * half);
        let (nx, ny) = (-uy * half, ux * half);
        self.fill_polygon(
            &[
                (ax + nx, ay + ny),
                (bx + nx, by + ny),
                (bx - nx, by - ny),
                (ax - nx, ay - ny),
            ],
            c,
        );
    }

    /// A one-pixel line through the pixels containing `a` and `b`, clipped first so that the
    /// number of steps is bounded by the canvas size.
    fn thin_line(&mut self, a: (f64, f64), b: (f64, f64), c: Rgb) {
        let bounds = self.clip.inset(-2);
        let Some((a, b)) = clip_segment(a, b, &bounds) else {
            return;
        };
        let (mut x, mut y) = (a.0.floor() as i64, a.1.floor() as i64);
        let (x1, y1) = (b.0.floor() as i64, b.1.floor() as i64);
        let (dx, dy) = ((x1 - x).abs(), -(y1 - y).abs());
        let (sx, sy) = ((x1 - x).signum(), (y1 - y).signum());
        let mut err = dx + dy;
        loop {
            self.put(x, y, c);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Fills the polygon with vertices `pts` (even-odd rule), painting each pixel whose centre
    /// lies inside.
    pub(crate) fn fill_polygon(&mut self, pts: &[(f64, f64)], c: Rgb) {
        if pts.len() < 3 || !pts.iter().all(|&p| near(p)) {
            return;
        }
        let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
        for &(_, y) in pts {
            ymin = ymin.min(y);
            ymax = ymax.max(y);
        }
        let clip = self.clip;
        // Rows whose centre row + 0.5 lies in [ymin, ymax).
        let row0 = ((ymin - 0.5).ceil() as i64).max(clip.y0);
        let row1 = ((ymax - 0.5).ceil() as i64).min(clip.y1);
        let mut xs: Vec<f64> = Vec::with_capacity(pts.len());
        for row in row0..row1 {
            let yc = row as f64 + 0.5;
            xs.clear();
            for (i, &(ax, ay)) in pts.iter().enumerate() {
                let (bx, by) = pts[(i + 1) % pts.len()];
                if (ay <= yc) != (by <= yc) {
                    xs.push(ax + (yc - ay) * (bx - ax) / (by - ay));
                }
            }
            xs.sort_by(f64::total_cmp);
            for span in xs.chunks_exact(2) {
                let col0 = ((span[0] - 0.5).ceil() as i64).max(clip.x0);
                let col1 = ((span[1] - 0.5).ceil() as i64).min(clip.x1);
                for col in col0..col1 {
                    self.put(col, row, c);
                }
            }
        }
    }

    /// The closed outline through `pts`, one pixel wide.
    pub(crate) fn stroke_polygon(&mut self, pts: &[(f64, f64)], c: Rgb) {
        for (i, &a) in pts.iter().enumerate() {
            let b = pts[(i + 1) % pts.len()];
            self.thin_line(a, b, c);
        }
    }

    /// A filled disc of radius `r` centred at `centre` (pixel-centre sampling).
    pub(crate) fn fill_disc(&mut self, centre: (f64, f64), r: f64, c: Rgb) {
        if !near(centre) || !r.is_finite() || r <= 0.0 || r >= FAR {
            return;
        }
        let (cx, cy) = centre;
        let clip = self.clip;
        let x0 = ((cx - r).floor() as i64).max(clip.x0);
        let x1 = ((cx + r).ceil() as i64 + 1).min(clip.x1);
        let y0 = ((cy - r).floor() as i64).max(clip.y0);
        let y1 = ((cy + r).ceil() as i64 + 1).min(clip.y1);
        for y in y0..y1 {
            for x in x0..x1 {
                let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
                if dx * dx + dy * dy <= r * r {
                    self.put(x, y, c);
                }
            }
        }
    }

    /// `text` with its top-left corner at `(x, y)`, each font pixel `scale` pixels square.
    pub(crate) fn text(&mut self, x: i64, y: i64, text: &str, scale: u32, c: Rgb) {
        let s = scale.max(1) as i64;
        let mut pen = x;
        for ch in text.chars() {
            if pen >= self.clip.x1 {
                break;
            }
            if pen + font::GLYPH_WIDTH as i64 * s > self.clip.x0 {
                let rows = font::glyph(ch);
                for (r, bits) in rows.iter().enumerate() {
                    for col in 0..font::GLYPH_WIDTH as i64 {
                        if bits & (1 << (font::GLYPH_WIDTH as i64 - 1 - col)) != 0 {
                            let (px, py) = (pen + col * s, y + r as i64 * s);
                            self.fill_rect(Rect::new(px, py, px + s, py + s), c);
                        }
                    }
                }
            }
            pen += font::ADVANCE as i64 * s;
        }
    }

    /// `text` centred horizontally on `cx`, top at `y`.
    pub(crate) fn text_centred(&mut self, cx: i64, y: i64, text: &str, scale: u32, c: Rgb) {
        let w = font::text_width(text, scale);
        self.text(cx - w / 2, y, text, scale, c);
    }

    /// `text` turned a quarter turn anticlockwise (reading bottom to top), for a vertical axis
    /// label: the glyphs' tops face left, the text starts at `y` and runs upwards, and it
    /// occupies the columns from `x` rightwards.
    pub(crate) fn text_up(&mut self, x: i64, y: i64, text: &str, scale: u32, c: Rgb) {
        let s = scale.max(1) as i64;
        let mut pen = y;
        for ch in text.chars() {
            if pen < self.clip.y0 {
                break;
            }
            let rows = font::glyph(ch);
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..font::GLYPH_WIDTH as i64 {
                    if bits & (1 << (font::GLYPH_WIDTH as i64 - 1 - col)) != 0 {
                        // Glyph row r becomes column r; glyph column col goes up from the pen.
                        let (px, py) = (x + r as i64 * s, pen - (col + 1) * s);
                        self.fill_rect(Rect::new(px, py, px + s, py + s), c);
                    }
                }
            }
            pen -= font::ADVANCE as i64 * s;
        }
    }

    /// The finished image as PNG bytes.
    pub(crate) fn into_png(self) -> Vec<u8> {
        crate::encode::rgb_png(self.width, self.height, &self.data)
    }
}

/// Whether `p` is finite and close enough to draw.
fn near(p: (f64, f64)) -> bool {
    p.0.is_finite() && p.1.is_finite() && p.0.abs() < FAR && p.1.abs() < FAR
}

/// The part of segment `a`–`b` inside `r` (Liang–Barsky), if any.
fn clip_segment(a: (f64, f64), b: (f64, f64), r: &Rect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    let edges = [
        (-dx, a.0 - r.x0 as f64),
        (dx, r.x1 as f64 - a.0),
        (-dy, a.1 - r.y0 as f64),
        (dy, r.y1 as f64 - a.1),
    ];
    for (p, q) in edges {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}
