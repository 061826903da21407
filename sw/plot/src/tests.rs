//! Tests of the public API, on decoded PNGs: sizes, determinism, cell geometry and colours,
//! and that degenerate input draws rather than panics.

use crate::colour::{self, Rgb, ValueScale};
use crate::*;

/// A decoded image: width, height and row-major RGB bytes.
struct Image {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl Image {
    fn at(&self, x: u32, y: u32) -> Rgb {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        Rgb(self.data[i], self.data[i + 1], self.data[i + 2])
    }

    fn contains(&self, c: Rgb) -> bool {
        self.data
            .chunks_exact(3)
            .any(|p| p == [c.0, c.1, c.2].as_slice())
    }
}

fn decode(bytes: &[u8]) -> Image {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("output is a PNG");
    let mut data = vec![0; reader.output_buffer_size().expect("image fits in memory")];
    let info = reader.next_frame(&mut data).expect("the PNG has a frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    data.truncate(info.buffer_size());
    Image {
        width: info.width,
        height: info.height,
        data,
    }
}

/// The 48 chips of a SpiNN-5 board: the 8×8 square less a triangle at top-left and bottom-right.
fn spinn5_chips() -> Vec<(u32, u32)> {
    (0..8)
        .flat_map(|y| (0..8).map(move |x| (x, y)))
        .filter(|&(x, y)| x <= y + 4 && y <= x + 3)
        .collect()
}

fn grid_chips(n: u32) -> Vec<(u32, u32)> {
    (0..n).flat_map(|y| (0..n).map(move |x| (x, y))).collect()
}

fn sample_series() -> Vec<Series> {
    vec![
        Series {
            name: "2x2".to_string(),
            points: vec![(0.0, 10.0), (0.25, 12.0), (0.5, 15.0), (1.0, 40.0)],
        },
        Series {
            name: "SpiNN-5 (48 chips)".to_string(),
            points: vec![(0.0, 20.0), (0.25, 22.0), (0.5, 29.0), (1.0, 75.5)],
        },
    ]
}

fn sample_links(chips: &[(u32, u32)]) -> Vec<LinkLoad> {
    let mut links = Vec::new();
    for (i, &(x, y)) in chips.iter().enumerate() {
        for (dx, dy) in [(1i64, 0i64), (0, 1), (1, 1)] {
            let to = ((x as i64 + dx) as u32 % 8, (y as i64 + dy) as u32 % 8);
            links.push(LinkLoad {
                from: (x, y),
                to,
                utilisation: (i % 11) as f64 / 10.0,
            });
        }
    }
    links
}

/// Runs every plot at `width × height` and returns the decoded images.
fn all_plots(width: u32, height: u32) -> Vec<Vec<u8>> {
    let chips = spinn5_chips();
    let panel = Panel {
        title: "routed".to_string(),
        values: (0..chips.len()).map(|i| i as f64).collect(),
    };
    vec![
        line_chart("t", "x", "y", &sample_series(), width, height),
        chip_heatmap("h", &chips, ChipLayout::Hexagonal, &[panel], width, height),
        link_map(
            "l",
            &chips,
            ChipLayout::Hexagonal,
            &sample_links(&chips),
            width,
            height,
        ),
    ]
}

#[test]
fn every_plot_is_a_png_of_the_requested_size() {
    for (w, h) in [(640, 480), (300, 700), (64, 64)] {
        for bytes in all_plots(w, h) {
            let img = decode(&bytes);
            assert_eq!((img.width, img.height), (w, h));
        }
    }
}

#[test]
fn sizes_are_clamped() {
    for ((w, h), want) in [((0, 0), (64, 64)), ((u32::MAX, 10), (4096, 64))] {
        for bytes in all_plots(w, h) {
            let img = decode(&bytes);
            assert_eq!((img.width, img.height), want, "asked for {w}×{h}");
        }
    }
}

#[test]
fn output_is_deterministic() {
    assert_eq!(all_plots(500, 400), all_plots(500, 400));
}

/// Draws a heatmap of `chips` with all-different values in each of `n_panels` panels and
/// checks that every reported centre pixel, and the pixels around it, have that cell's colour.
fn check_cells(chips: &[(u32, u32)], layout: ChipLayout, n_panels: usize, w: u32, h: u32) {
    let panels: Vec<Panel> = (0..n_panels)
        .map(|p| Panel {
            title: format!("panel {p}"),
            values: (0..chips.len())
                .map(|i| (1 + i) as f64 * 10f64.powi(p as i32))
                .collect(),
        })
        .collect();
    let img = decode(&chip_heatmap("cells", chips, layout, &panels, w, h));
    for (p, panel) in panels.iter().enumerate() {
        let centres = heatmap_cell_centres(chips, layout, n_panels, p, w, h);
        assert_eq!(centres.len(), chips.len());
        let mut distinct = centres.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            chips.len(),
            "centres must be distinct pixels"
        );

        let scale = ValueScale::of(&panel.values);
        let expected: Vec<Rgb> = panel.values.iter().map(|&v| scale.colour(v)).collect();
        let mut colours: Vec<(u8, u8, u8)> = expected.iter().map(|c| (c.0, c.1, c.2)).collect();
        colours.sort();
        colours.dedup();
        assert_eq!(colours.len(), chips.len(), "test needs a colour per cell");

        for ((&(x, y), &chip), &want) in centres.iter().zip(chips).zip(&expected) {
            // The centre and a small cross around it: well inside the cell, so any overlap
            // with a neighbour or a misplaced outline would show here.
            for (dx, dy) in [(0, 0), (-2, 0), (2, 0), (0, -2), (0, 2)] {
                let (px, py) = ((x as i64 + dx) as u32, (y as i64 + dy) as u32);
                assert_eq!(
                    img.at(px, py),
                    want,
                    "panel {p} chip {chip:?} at ({px}, {py}) ({layout:?})"
                );
            }
        }
    }
}

#[test]
fn spinn5_board_has_48_chips() {
    assert_eq!(spinn5_chips().len(), 48);
}

#[test]
fn hexagonal_cells_sit_at_their_centres() {
    check_cells(&spinn5_chips(), ChipLayout::Hexagonal, 1, 640, 480);
    check_cells(&spinn5_chips(), ChipLayout::Hexagonal, 3, 1200, 500);
}

#[test]
fn grid_cells_sit_at_their_centres() {
    check_cells(&grid_chips(8), ChipLayout::Grid, 1, 640, 480);
    check_cells(&grid_chips(8), ChipLayout::Grid, 3, 1200, 500);
}

#[test]
fn hexagonal_neighbours_are_equidistant() {
    let chips = spinn5_chips();
    let centres = heatmap_cell_centres(&chips, ChipLayout::Hexagonal, 1, 0, 800, 800);
    let at = |c: (u32, u32)| {
        let i = chips.iter().position(|&x| x == c).expect("chip on board");
        (centres[i].0 as f64, centres[i].1 as f64)
    };
    let dist = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let origin = at((3, 3));
    let (e, n, ne) = (at((4, 3)), at((3, 4)), at((4, 4)));
    let (d_e, d_n, d_ne) = (dist(origin, e), dist(origin, n), dist(origin, ne));
    // Centres are rounded to whole pixels, so distances agree to within about a pixel.
    assert!((d_e - d_n).abs() <= 1.5 && (d_e - d_ne).abs() <= 1.5);
    assert!(
        e.0 > origin.0 && (e.1 - origin.1).abs() <= 1.0,
        "E is to the right"
    );
    assert!(n.1 < origin.1 && n.0 < origin.0, "N is up and to the left");
    assert!(
        ne.1 < origin.1 && ne.0 > origin.0,
        "NE is up and to the right"
    );
}

#[test]
fn zero_and_missing_are_neutral() {
    let chips = grid_chips(2);
    let panel = Panel {
        title: "dropped".to_string(),
        values: vec![0.0, f64::NAN, 5.0],
    };
    let img = decode(&chip_heatmap(
        "z",
        &chips,
        ChipLayout::Grid,
        &[panel],
        400,
        400,
    ));
    let centres = heatmap_cell_centres(&chips, ChipLayout::Grid, 1, 0, 400, 400);
    assert_eq!(img.at(centres[0].0, centres[0].1), colour::ZERO);
    assert_eq!(img.at(centres[1].0, centres[1].1), colour::MISSING);
    assert_eq!(img.at(centres[2].0, centres[2].1), colour::ramp(0.5));
    assert_eq!(img.at(centres[3].0, centres[3].1), colour::MISSING);
    // Neither neutral is a ramp colour, so zero never reads as "a little".
    for i in 0..=100 {
        let c = colour::ramp(i as f64 / 100.0);
        assert!(c != colour::ZERO && c != colour::MISSING);
    }
}

#[test]
fn chart_draws_each_series_in_its_own_colour() {
    let img = decode(&line_chart("t", "x", "y", &sample_series(), 640, 480));
    assert!(img.contains(colour::series(0)));
    assert!(img.contains(colour::series(1)));
    assert!(!img.contains(colour::series(2)));

    let mut palette: Vec<Rgb> = (0..40).map(colour::series).collect();
    palette.dedup();
    for (i, a) in palette.iter().enumerate() {
        for b in &palette[i + 1..] {
            assert_ne!(a, b, "series colours must differ");
        }
    }
}

#[test]
fn link_map_shows_both_directions() {
    let chips = grid_chips(2);
    let links = [
        LinkLoad {
            from: (0, 0),
            to: (1, 0),
            utilisation: 0.0,
        },
        LinkLoad {
            from: (1, 0),
            to: (0, 0),
            utilisation: 1.0,
        },
        // A wrap-around stub.
        LinkLoad {
            from: (0, 1),
            to: (7, 1),
            utilisation: 0.5,
        },
    ];
    let plain = decode(&link_map("l", &chips, ChipLayout::Grid, &[], 400, 400));
    let img = decode(&link_map("l", &chips, ChipLayout::Grid, &links, 400, 400));
    // The colour bar holds every ramp colour, so count pixels beyond the plain map instead.
    let count = |im: &Image, c: Rgb| {
        im.data
            .chunks_exact(3)
            .filter(|p| *p == [c.0, c.1, c.2].as_slice())
            .count()
    };
    for u in [0.0, 0.5, 1.0] {
        let c = colour::ramp(u);
        assert!(
            count(&img, c) > count(&plain, c) + 20,
            "utilisation {u} is drawn"
        );
    }
}

#[test]
fn degenerate_input_does_not_panic() {
    let nan = f64::NAN;
    let weird_series = [
        Series {
            name: String::new(),
            points: vec![],
        },
        Series {
            name: "nan".to_string(),
            points: vec![(nan, 1.0), (1.0, f64::INFINITY), (2.0, 2.0), (nan, nan)],
        },
        Series {
            name: "one".to_string(),
            points: vec![(5.0, 5.0)],
        },
        Series {
            name: "huge".to_string(),
            points: vec![(-f64::MAX, f64::MAX), (f64::MAX, -f64::MAX), (0.0, 1e-320)],
        },
    ];
    let flat = [Series {
        name: "flat".repeat(1000),
        points: vec![(1.0, 3.0), (1.0, 3.0)],
    }];
    for series in [&[][..], &weird_series[..], &flat[..]] {
        decode(&line_chart("", "", "", series, 0, 0));
        decode(&line_chart(
            &"T".repeat(500),
            "é ✓",
            "\u{0}",
            series,
            64,
            64,
        ));
    }
    // Extreme aspect ratios squeeze the plot area to almost nothing.
    for (w, h) in [(10_000, 65), (65, 10_000)] {
        decode(&line_chart("t", "x", "y", &weird_series, w, h));
    }

    let chip_sets: [Vec<(u32, u32)>; 4] = [
        vec![],
        vec![(0, 0)],
        vec![(3, 3), (3, 3), (u32::MAX, 0)],
        grid_chips(40),
    ];
    let panel_sets = [
        vec![],
        vec![Panel {
            title: String::new(),
            values: vec![],
        }],
        vec![
            Panel {
                title: "nan".to_string(),
                values: vec![nan, f64::INFINITY, -f64::MAX, f64::MAX],
            },
            Panel {
                title: "zeros".to_string(),
                values: vec![0.0; 5000],
            },
            Panel {
                title: "equal".to_string(),
                values: vec![-2.0; 5000],
            },
        ],
    ];
    for chips in &chip_sets {
        for layout in [ChipLayout::Hexagonal, ChipLayout::Grid] {
            for panels in &panel_sets {
                for (w, h) in [(0, 0), (300, 200)] {
                    let img = decode(&chip_heatmap("h", chips, layout, panels, w, h));
                    for p in 0..panels.len() + 1 {
                        for (x, y) in heatmap_cell_centres(chips, layout, panels.len(), p, w, h) {
                            assert!(x < img.width && y < img.height);
                        }
                    }
                }
            }
            let many_links: Vec<LinkLoad> = chips
                .iter()
                .map(|&c| LinkLoad {
                    from: c,
                    to: (c.0.wrapping_add(1), c.1),
                    utilisation: 7.0,
                })
                .chain([
                    LinkLoad {
                        from: (0, 0),
                        to: (0, 0),
                        utilisation: nan,
                    },
                    LinkLoad {
                        from: (0, 0),
                        to: (0, 0),
                        utilisation: -1.0,
                    },
                    LinkLoad {
                        from: (9, 9),
                        to: (0, 0),
                        utilisation: 0.5,
                    },
                ])
                .collect();
            decode(&link_map("", chips, layout, &many_links, 0, 0));
            decode(&link_map("l", chips, layout, &many_links, 300, 200));
        }
    }
    assert!(heatmap_cell_centres(&[(0, 0)], ChipLayout::Grid, 0, 0, 100, 100).is_empty());
    assert!(heatmap_cell_centres(&[(0, 0)], ChipLayout::Grid, usize::MAX, 7, 100, 100).len() == 1);
}

#[test]
fn every_printable_character_has_its_own_glyph() {
    let mut seen: Vec<[u8; 7]> = Vec::new();
    for c in '!'..='~' {
        let g = crate::font::glyph(c);
        assert!(g.iter().any(|&row| row != 0), "{c:?} is blank");
        assert!(g.iter().all(|&row| row < 32), "{c:?} is wider than 5");
        assert!(!seen.contains(&g), "{c:?} looks like another character");
        seen.push(g);
    }
    assert_ne!(crate::font::glyph('a'), crate::font::glyph('\u{2603}'));
}

#[test]
fn every_source_file_starts_with_a_module_doc() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("src is readable") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source is readable");
            assert!(
                text.starts_with("//!"),
                "{} lacks a //! doc",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n >= 10);
}
