//! Where chips go on the page: lattice positions for each `ChipLayout`, fitted into a pixel
//! rectangle, and the outline of each chip's cell.
//!
//! Chip maps and link maps both use this one fit, and so does `heatmap_cell_centres`, so the
//! centres it reports are exactly where the cells were drawn.
//!
//! In `Hexagonal` layout chip (x, y) sits at (x − y/2, y·√3/2): its six neighbours E, N, NE, W,
//! S, SW are then all at distance 1, and a pointy-topped hexagon of inradius ½ tiles the plane
//! with each neighbour across one edge.
//! In `Grid` layout chip (x, y) sits at (x, y) and its cell is a unit square.
//! Lattice y grows upwards and pixel y downwards, so the fit flips it.

use crate::canvas::Rect;
use crate::ChipLayout;

const SQRT3: f64 = 1.732_050_807_568_877_2;

/// The lattice position of `chip`, in units of the distance between neighbours.
pub(crate) fn position(layout: ChipLayout, chip: (f64, f64)) -> (f64, f64) {
    match layout {
        ChipLayout::Hexagonal => (chip.0 - chip.1 / 2.0, chip.1 * SQRT3 / 2.0),
        ChipLayout::Grid => chip,
    }
}

/// Half the cell's width and height in lattice units.
fn half_extent(layout: ChipLayout) -> (f64, f64) {
    match layout {
        ChipLayout::Hexagonal => (0.5, 1.0 / SQRT3),
        ChipLayout::Grid => (0.5, 0.5),
    }
}

/// Whether chips `a` and `b` touch in the drawing: one of the six hexagonal neighbours, or any of
/// the eight grid neighbours (diagonals meet at a corner).
pub(crate) fn adjacent(layout: ChipLayout, a: (u32, u32), b: (u32, u32)) -> bool {
    let (dx, dy) = (b.0 as i64 - a.0 as i64, b.1 as i64 - a.1 as i64);
    match layout {
        ChipLayout::Hexagonal => matches!(
            (dx, dy),
            (1, 0) | (0, 1) | (1, 1) | (-1, 0) | (0, -1) | (-1, -1)
        ),
        ChipLayout::Grid => dx.abs() <= 1 && dy.abs() <= 1 && (dx, dy) != (0, 0),
    }
}

/// Chips fitted into a pixel rectangle.
#[derive(Clone, Debug)]
pub(crate) struct Fit {
    layout: ChipLayout,
    /// Pixels per lattice unit: the distance between neighbouring cell centres.
    pub pitch: f64,
    /// The pixel at lattice (0, 0), in continuous coordinates.
    origin: (f64, f64),
    /// Each chip's cell centre, in continuous pixel coordinates, in input order.
    pub centres: Vec<(f64, f64)>,
}

impl Fit {
    /// The largest uniform scale at which every cell fits in `area`, centred there.
    pub(crate) fn new(chips: &[(u32, u32)], layout: ChipLayout, area: Rect) -> Fit {
        let lattice: Vec<(f64, f64)> = chips
            .iter()
            .map(|&(x, y)| position(layout, (x as f64, y as f64)))
            .collect();
        let (hx, hy) = half_extent(layout);
        let (mut x0, mut y0) = (f64::INFINITY, f64::INFINITY);
        let (mut x1, mut y1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for &(x, y) in &lattice {
            x0 = x0.min(x - hx);
            x1 = x1.max(x + hx);
            y0 = y0.min(y - hy);
            y1 = y1.max(y + hy);
        }
        if lattice.is_empty() {
            (x0, x1, y0, y1) = (-hx, hx, -hy, hy);
        }
        let pitch = (area.width() as f64 / (x1 - x0))
            .min(area.height() as f64 / (y1 - y0))
            .max(0.0);
        let (acx, acy) = area.centre();
        let origin = (acx - (x0 + x1) / 2.0 * pitch, acy + (y0 + y1) / 2.0 * pitch);
        let mut fit = Fit {
            layout,
            pitch,
            origin,
            centres: Vec::with_capacity(lattice.len()),
        };
        fit.centres = lattice.iter().map(|&p| fit.to_pixel(p)).collect();
        fit
    }

    /// The pixel position of lattice point `p`.
    pub(crate) fn to_pixel(&self, p: (f64, f64)) -> (f64, f64) {
        (
            self.origin.0 + p.0 * self.pitch,
            self.origin.1 - p.1 * self.pitch,
        )
    }

    /// The pixel offset of one lattice step by chip delta `(dx, dy)`.
    pub(crate) fn step(&self, delta: (f64, f64)) -> (f64, f64) {
        let p = position(self.layout, delta);
        (p.0 * self.pitch, -p.1 * self.pitch)
    }

    /// The cell outline around `centre`, scaled by `size` (1 = cells touch their neighbours).
    pub(crate) fn cell(&self, centre: (f64, f64), size: f64) -> Vec<(f64, f64)> {
        let (cx, cy) = centre;
        match self.layout {
            ChipLayout::Hexagonal => {
                let r = self.pitch / SQRT3 * size;
                (0..6)
                    .map(|i| {
                        let a = (90.0 + 60.0 * i as f64).to_radians();
                        (cx + r * a.cos(), cy - r * a.sin())
                    })
                    .collect()
            }
            ChipLayout::Grid => {
                let h = self.pitch / 2.0 * size;
                vec![
                    (cx - h, cy - h),
                    (cx + h, cy - h),
                    (cx + h, cy + h),
                    (cx - h, cy + h),
                ]
            }
        }
    }

    /// The centre of cell `idx` as the pixel containing it, clamped to the image.
    pub(crate) fn centre_pixel(&self, idx: usize, width: u32, height: u32) -> (u32, u32) {
        let (x, y) = self.centres[idx];
        let clamp = |v: f64, n: u32| v.floor().clamp(0.0, (n - 1) as f64) as u32;
        (clamp(x, width), clamp(y, height))
    }
}
