//! PNG plots for the `spinn` command line: line charts, chip heatmaps and link-utilisation
//! maps.
//!
//! Every function returns the bytes of an 8-bit RGB PNG of the requested size (each side
//! clamped to 64..=4096 pixels).
//! Output is deterministic, the same input giving the same bytes, and no input makes it
//! panic: non-finite values are skipped, and empty or degenerate data draws an empty plot.
//! Text uses a built-in 5×7 bitmap font, so there are no font files or system libraries, and
//! the crate does no IO: the caller writes the bytes where it likes.
//!
//! ```
//! use spinn_plot::{chip_heatmap, line_chart, ChipLayout, Panel, Series};
//!
//! let latency = Series {
//!     name: "2x2 torus".to_string(),
//!     points: vec![(0.1, 12.0), (0.2, 13.5), (0.4, 19.0)],
//! };
//! let png = line_chart("Latency", "load (packets/cycle)", "cycles", &[latency], 640, 480);
//! assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
//!
//! // The 48 chips of a SpiNN-5 board, coloured by packets routed.
//! let chips: Vec<(u32, u32)> = (0..8)
//!     .flat_map(|y| (0..8).map(move |x| (x, y)))
//!     .filter(|&(x, y)| x <= y + 4 && y <= x + 3)
//!     .collect();
//! let routed = Panel {
//!     title: "routed".to_string(),
//!     values: chips.iter().map(|&(x, y)| (x * y) as f64).collect(),
//! };
//! let png = chip_heatmap("SpiNN-5", &chips, ChipLayout::Hexagonal, &[routed], 800, 600);
//! assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
//!
//! // Where each chip's cell was drawn, e.g. for an HTML image map.
//! let centres = spinn_plot::heatmap_cell_centres(&chips, ChipLayout::Hexagonal, 1, 0, 800, 600);
//! assert_eq!(centres.len(), 48);
//! ```
//!
//! Architecture invariant: this crate knows nothing of the machine; chips are plain
//! coordinates and values plain numbers, so any crate can plot without new dependencies.

mod canvas;
mod chart;
mod colour;
mod encode;
mod font;
mod heatmap;
mod lattice;
mod layout;
mod linkmap;
mod ticks;

pub use chart::line_chart;
pub use heatmap::{chip_heatmap, heatmap_cell_centres};
pub use linkmap::link_map;

#[cfg(test)]
mod tests;

/// One named line on a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend entry; an empty name is shown as "series N".
    pub name: String,
    /// `(x, y)` points, joined in order; a non-finite point leaves a gap.
    pub points: Vec<(f64, f64)>,
}

/// How chips are arranged on the page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChipLayout {
    /// SpiNNaker's hexagonal chip lattice: chip (x, y) drawn as a hexagon centred at
    /// (x − y/2, y·√3/2) in lattice units, y growing upwards, so the neighbours E (x+1, y),
    /// N (x, y+1), NE (x+1, y+1), W, S and SW all touch it; a SpiNN-5 board's 48 chips then form
    /// a hexagon.
    Hexagonal,
    /// A plain grid of squares, chip (x, y) at column x, row y (y upwards): for tori.
    Grid,
}

/// One panel of a heatmap: a quantity with a value per chip.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// The panel's heading, e.g. "routed".
    pub title: String,
    /// One value per chip, in the same order as `chips`; a missing or non-finite value draws an
    /// empty cell.
    pub values: Vec<f64>,
}

/// The load on one directed link.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkLoad {
    /// The chip the link leaves.
    pub from: (u32, u32),
    /// The chip it arrives at.
    pub to: (u32, u32),
    /// The fraction of the link's capacity in use, 0..=1 (clamped; NaN skips the link).
    pub utilisation: f64,
}
