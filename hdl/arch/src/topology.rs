//! Machine topologies: which chips exist and which links join them (`spec/hardware.md` §5.1–5.4).
//!
//! Chips sit on an (x, y) grid and each has six links whose steps are [`LinkDir::delta`]
//! (§5.1). A [`Machine`] is a width × height box of chips, each dimension optionally wrapping
//! around, with some chips absent (the SpiNN-5 hexagon, §5.3) and some chips or links dead.
//! The constructors cover a plain torus or mesh, the 4-chip SpiNN-3 board (§5.2), the 48-chip
//! SpiNN-5 board (§5.3) and multi-board machines built from whole triads (§5.4).
//!
//! Chips are numbered densely in (x, y) order, the same order as [`ChipCoord`]'s `Ord`, so a
//! simulator can keep one router per chip in a `Vec`. Storage is a dense index map over the
//! whole box plus a set of dead links, so a 57,600-chip machine costs well under a megabyte.
//! Dead cores on live chips are kept the same way, as a set of (chip, core) records, since
//! real machines have only a handful of them.

use crate::geom::{CoreId, LinkDir};
use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use thiserror::Error;

/// The largest width or height a machine may have: P2P chip ids give each axis 8 bits.
pub const MAX_AXIS_CHIPS: usize = 256;

/// Chips along each side of a triad of three SpiNN-5 boards (§5.4).
const TRIAD_CHIPS: usize = 12;

/// Boards in a triad (§5.4).
const BOARDS_PER_TRIAD: usize = 3;

/// Marks a slot of the index map that holds no live chip.
const ABSENT: u32 = u32::MAX;

/// The y range `(first, last)` of the chips present in each column x = 0..8 of a SpiNN-5 board,
/// copied from the table in §5.3.
/// Where a triad's three boards sit, relative to the triad's corner (spec §5.4).
const BOARD_ORIGINS: [(i64, i64); 3] = [(0, 0), (4, 8), (8, 4)];

/// Whether (dx, dy) from a board's origin is one of the board's 48 chips.
fn on_board(dx: i64, dy: i64) -> bool {
    (0..8).contains(&dx) && {
        let (first, last) = SPINN5_COLUMNS[dx as usize];
        (first as i64..=last as i64).contains(&dy)
    }
}

const SPINN5_COLUMNS: [(u16, u16); 8] = [
    (0, 3),
    (0, 4),
    (0, 5),
    (0, 6),
    (0, 7),
    (1, 7),
    (2, 7),
    (3, 7),
];

/// What is wrong with a requested machine or a change to one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopologyError {
    #[error("a machine needs at least one chip in each dimension, got {width}x{height}")]
    ZeroSize { width: u16, height: u16 },
    #[error(
        "a {width}x{height} machine exceeds the {max} chips per axis that 8-bit chip \
         coordinates allow"
    )]
    TooLarge {
        width: usize,
        height: usize,
        max: usize,
    },
    #[error("a multi-board machine needs at least one board")]
    NoBoards,
    #[error(
        "{n_boards} boards need a {width}x{height} torus, which exceeds the {max} chips per \
         axis that 8-bit chip coordinates allow"
    )]
    TooManyBoards {
        n_boards: usize,
        width: usize,
        height: usize,
        max: usize,
    },
    #[error("chip {chip} is not a live chip of the {width}x{height} machine")]
    ChipNotInMachine {
        chip: ChipCoord,
        width: u16,
        height: u16,
    },
    #[error("chip {chip} has no live link {link}")]
    NoSuchLink { chip: ChipCoord, link: LinkDir },
}

/// A chip's position on the machine grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChipCoord {
    pub x: u16,
    pub y: u16,
}

impl ChipCoord {
    pub const fn new(x: u16, y: u16) -> ChipCoord {
        ChipCoord { x, y }
    }

    /// The P2P chip id `(x << 8) | y` (§4.1); only meaningful when both coordinates are below
    /// 256, which every machine this module builds guarantees.
    pub const fn chip_id(self) -> u16 {
        (self.x << 8) | self.y
    }
}

impl fmt::Display for ChipCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

/// Which dimensions of a machine wrap around (§5.1: neighbour is `((x+dx) mod W, (y+dy) mod H)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Wrap {
    pub horizontal: bool,
    pub vertical: bool,
}

impl Wrap {
    /// A mesh: links off any edge are missing.
    pub const NONE: Wrap = Wrap {
        horizontal: false,
        vertical: false,
    };
    /// A full torus.
    pub const BOTH: Wrap = Wrap {
        horizontal: true,
        vertical: true,
    };
    /// Only x wraps (east edge joins west edge).
    pub const HORIZONTAL: Wrap = Wrap {
        horizontal: true,
        vertical: false,
    };
    /// Only y wraps (north edge joins south edge), as on a SpiNN-3 board.
    pub const VERTICAL: Wrap = Wrap {
        horizontal: false,
        vertical: true,
    };
}

/// A SpiNNaker machine: the chips present and alive, and the links between them.
///
/// Links are symmetric: if chip a's link l reaches b then b's link `l.opposite()` reaches a.
/// This holds for the geometric links because opposite links have opposite deltas, and dead
/// links are always recorded in both directions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    width: u16,
    height: u16,
    wrap: Wrap,
    /// For every slot `x * height + y` of the box, the chip's dense index or [`ABSENT`].
    index: Vec<u32>,
    /// The live chips in dense-index order, which is (x, y) order.
    coords: Vec<ChipCoord>,
    /// Dead links, each stored from both ends.
    dead_links: BTreeSet<(ChipCoord, LinkDir)>,
    /// Dead cores of live chips; a dead chip's cores are dead without being listed here.
    dead_cores: BTreeSet<(ChipCoord, CoreId)>,
}

impl Machine {
    /// A `width` × `height` triangular torus or mesh with every chip present, each dimension
    /// wrapping as `wrap` says.
    pub fn torus(width: u16, height: u16, wrap: Wrap) -> Result<Machine, TopologyError> {
        if width == 0 || height == 0 {
            return Err(TopologyError::ZeroSize { width, height });
        }
        if usize::from(width) > MAX_AXIS_CHIPS || usize::from(height) > MAX_AXIS_CHIPS {
            return Err(TopologyError::TooLarge {
                width: width.into(),
                height: height.into(),
                max: MAX_AXIS_CHIPS,
            });
        }
        Ok(Machine::from_presence(width, height, wrap, |_| true))
    }

    /// The 4-chip SpiNN-3 board (§5.2): chips (0,0), (0,1), (1,0), (1,1), wrapping vertically
    /// only.
    ///
    /// The spec lists the absent links as (0,0) W,SW; (0,1) W,SW; (1,0) E,NE; (1,1) E,NE.
    /// Those are exactly the links that would cross the east or west edge, so a 2×2 box with
    /// vertical wrap has precisely the board's connectivity and no link needs removing.
    pub fn spinn3() -> Machine {
        Machine::from_presence(2, 2, Wrap::VERTICAL, |_| true)
    }

    /// The 48-chip hexagonal SpiNN-5 board (§5.3) in an 8×8 box without wrap-around, so links
    /// towards the box's empty corners and off its edges are missing.
    pub fn spinn5() -> Machine {
        Machine::from_presence(8, 8, Wrap::NONE, |chip| {
            let (first, last) = SPINN5_COLUMNS[usize::from(chip.x)];
            (first..=last).contains(&chip.y)
        })
    }

    /// `n_boards` boards as whole triads without wrap-around (spec §5.4): a
    /// (12w + 4) × (12h + 4) box, with w and h as for [`Machine::multi_board`], holding each
    /// triad's three board hexagons at board origins (0, 0), (4, 8) and (8, 4); only chips on a
    /// board are present.
    pub fn multi_board_without_wrap(n_boards: usize) -> Result<Machine, TopologyError> {
        let wrapped = Machine::multi_board(n_boards)?;
        let (triads_x, triads_y) = (
            wrapped.width() as usize / TRIAD_CHIPS,
            wrapped.height() as usize / TRIAD_CHIPS,
        );
        let (width, height) = (wrapped.width() as usize + 4, wrapped.height() as usize + 4);
        if width > MAX_AXIS_CHIPS || height > MAX_AXIS_CHIPS {
            return Err(TopologyError::TooManyBoards {
                n_boards,
                width,
                height,
                max: MAX_AXIS_CHIPS,
            });
        }
        Ok(Machine::from_presence(
            width as u16,
            height as u16,
            Wrap::NONE,
            |chip| {
                (0..triads_x).any(|tx| {
                    (0..triads_y).any(|ty| {
                        BOARD_ORIGINS.iter().any(|&(bx, by)| {
                            let dx = chip.x as i64 - (tx * TRIAD_CHIPS) as i64 - bx;
                            let dy = chip.y as i64 - (ty * TRIAD_CHIPS) as i64 - by;
                            on_board(dx, dy)
                        })
                    })
                })
            },
        ))
    }

    /// A machine of `n_boards` SpiNN-5 boards rounded up to whole triads and sized as spalloc
    /// sizes it (§5.4): triads = ⌈n/3⌉, w = ⌈√triads⌉, h = ⌈triads / w⌉, giving a 12w × 12h
    /// full torus with every chip present.
    pub fn multi_board(n_boards: usize) -> Result<Machine, TopologyError> {
        if n_boards == 0 {
            return Err(TopologyError::NoBoards);
        }
        let triads = n_boards.div_ceil(BOARDS_PER_TRIAD);
        let root = triads.isqrt();
        let w = if root * root < triads { root + 1 } else { root };
        let h = triads.div_ceil(w);
        let (width, height) = (w * TRIAD_CHIPS, h * TRIAD_CHIPS);
        let too_many = || TopologyError::TooManyBoards {
            n_boards,
            width,
            height,
            max: MAX_AXIS_CHIPS,
        };
        if width > MAX_AXIS_CHIPS || height > MAX_AXIS_CHIPS {
            return Err(too_many());
        }
        let width = u16::try_from(width).map_err(|_| too_many())?;
        let height = u16::try_from(height).map_err(|_| too_many())?;
        Machine::torus(width, height, Wrap::BOTH)
    }

    /// This machine with `chip` dead.
    ///
    /// A dead chip leaves the machine entirely: it is no longer counted, iterated or indexed
    /// (the dense indices of later chips shift down by one), and every link to it disappears
    /// because [`Machine::neighbour`] never reaches a chip that is not live.
    pub fn with_dead_chip(mut self, chip: ChipCoord) -> Result<Machine, TopologyError> {
        let dense = self
            .chip_index(chip)
            .ok_or_else(|| self.not_in_machine(chip))?;
        let slot = self
            .slot(chip)
            .expect("invariant: a live chip lies inside the box");
        self.index[slot] = ABSENT;
        self.coords.remove(dense);
        for (i, later) in self.coords.iter().enumerate().skip(dense) {
            let later_slot = self
                .slot(*later)
                .expect("invariant: a live chip lies inside the box");
            self.index[later_slot] = dense_u32(i);
        }
        // Dead-link records that touch the dead chip no longer mean anything; dropping them
        // keeps two machines with the same live links equal.
        let touches_dead = |&(from, link): &(ChipCoord, LinkDir)| {
            from == chip || self.step(from, link) == Some(chip)
        };
        let stale: Vec<_> = self
            .dead_links
            .iter()
            .copied()
            .filter(touches_dead)
            .collect();
        for entry in stale {
            self.dead_links.remove(&entry);
        }
        // Likewise for the chip's dead-core records: all its cores are dead now.
        self.dead_cores.retain(|&(on, _)| on != chip);
        Ok(self)
    }

    /// This machine with core `core` of `chip` dead, so nothing may run there.
    ///
    /// Marking a core dead twice is harmless; the chip must be live.
    pub fn with_dead_core(
        mut self,
        chip: ChipCoord,
        core: CoreId,
    ) -> Result<Machine, TopologyError> {
        if !self.contains(chip) {
            return Err(self.not_in_machine(chip));
        }
        self.dead_cores.insert((chip, core));
        Ok(self)
    }

    /// Whether core `core` of `chip` works: the chip is live and the core was not marked dead.
    pub fn core_alive(&self, chip: ChipCoord, core: CoreId) -> bool {
        self.contains(chip) && !self.dead_cores.contains(&(chip, core))
    }

    /// This machine with the link `link` of `chip` dead in both directions.
    pub fn with_dead_link(
        mut self,
        chip: ChipCoord,
        link: LinkDir,
    ) -> Result<Machine, TopologyError> {
        if !self.contains(chip) {
            return Err(self.not_in_machine(chip));
        }
        let far = self
            .neighbour(chip, link)
            .ok_or(TopologyError::NoSuchLink { chip, link })?;
        self.dead_links.insert((chip, link));
        self.dead_links.insert((far, link.opposite()));
        Ok(self)
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn height(&self) -> u16 {
        self.height
    }

    pub fn wrap(&self) -> Wrap {
        self.wrap
    }

    /// The number of live chips.
    pub fn n_chips(&self) -> usize {
        self.coords.len()
    }

    /// Whether `chip` is present and alive.
    pub fn contains(&self, chip: ChipCoord) -> bool {
        self.chip_index(chip).is_some()
    }

    /// The live chips in dense-index order, which is (x, y) order.
    pub fn chips(&self) -> impl Iterator<Item = ChipCoord> + '_ {
        self.coords.iter().copied()
    }

    /// The chip's dense index in `0..n_chips()`, in the order of [`Machine::chips`], or `None`
    /// if it is not live.
    pub fn chip_index(&self, chip: ChipCoord) -> Option<usize> {
        let slot = self.slot(chip)?;
        let dense = self.index[slot];
        (dense != ABSENT).then_some(dense as usize)
    }

    /// The chip with dense index `index`, the inverse of [`Machine::chip_index`].
    ///
    /// # Panics
    ///
    /// If `index >= n_chips()`, like indexing a slice out of range.
    pub fn chip_at(&self, index: usize) -> ChipCoord {
        self.coords[index]
    }

    /// The chip at the far end of `chip`'s link `link`, or `None` if `chip` is not live, the
    /// link is dead, it runs off an edge that does not wrap, or the far chip is absent or dead.
    pub fn neighbour(&self, chip: ChipCoord, link: LinkDir) -> Option<ChipCoord> {
        if !self.contains(chip) || self.dead_links.contains(&(chip, link)) {
            return None;
        }
        self.step(chip, link).filter(|&far| self.contains(far))
    }

    /// The live links of `chip` and the chips they reach, in link-number order.
    pub fn links(&self, chip: ChipCoord) -> impl Iterator<Item = (LinkDir, ChipCoord)> + '_ {
        LinkDir::ALL
            .into_iter()
            .filter_map(move |link| self.neighbour(chip, link).map(|far| (link, far)))
    }

    /// The geometric hop distance from `a` to `b`, ignoring dead links and absent chips (§5.1).
    ///
    /// It is the minimum, over the wrap combinations this machine allows, of the length of the
    /// vector (dx, dy): `max(|dx|, |dy|)` when dx and dy share a sign, since NE/SW steps cover
    /// both axes at once, and `|dx| + |dy|` otherwise.
    pub fn hop_distance(&self, a: ChipCoord, b: ChipCoord) -> u32 {
        let dxs = axis_offsets(a.x, b.x, self.width, self.wrap.horizontal);
        let dys = axis_offsets(a.y, b.y, self.height, self.wrap.vertical);
        dxs.iter()
            .flatten()
            .flat_map(|&dx| dys.iter().flatten().map(move |&dy| vector_length(dx, dy)))
            .min()
            .expect("invariant: the unwrapped offset is always a candidate")
    }

    /// The length of a shortest path from `a` to `b` over the live links (breadth-first
    /// search), or `None` if either chip is not live or no path joins them.
    pub fn path_length(&self, a: ChipCoord, b: ChipCoord) -> Option<u32> {
        let start = self.chip_index(a)?;
        let goal = self.chip_index(b)?;
        let mut dist = vec![ABSENT; self.n_chips()];
        dist[start] = 0;
        let mut queue = VecDeque::from([start]);
        while let Some(here) = queue.pop_front() {
            if here == goal {
                return Some(dist[here]);
            }
            for (_, far) in self.links(self.coords[here]) {
                let next = self
                    .chip_index(far)
                    .expect("invariant: links only reach live chips");
                if dist[next] == ABSENT {
                    dist[next] = dist[here] + 1;
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// Builds a machine whose live chips are those of the box for which `present` holds.
    fn from_presence(
        width: u16,
        height: u16,
        wrap: Wrap,
        present: impl Fn(ChipCoord) -> bool,
    ) -> Machine {
        let mut index = vec![ABSENT; usize::from(width) * usize::from(height)];
        let mut coords = Vec::new();
        // Slots are laid out x-major, so filling them in slot order yields (x, y) order.
        for (slot, entry) in index.iter_mut().enumerate() {
            let chip = ChipCoord::new(
                u16::try_from(slot / usize::from(height)).expect("invariant: x < width"),
                u16::try_from(slot % usize::from(height)).expect("invariant: y < height"),
            );
            if present(chip) {
                *entry = dense_u32(coords.len());
                coords.push(chip);
            }
        }
        Machine {
            width,
            height,
            wrap,
            index,
            coords,
            dead_links: BTreeSet::new(),
            dead_cores: BTreeSet::new(),
        }
    }

    /// The slot of `chip` in the index map, or `None` if it lies outside the box.
    fn slot(&self, chip: ChipCoord) -> Option<usize> {
        (chip.x < self.width && chip.y < self.height)
            .then(|| usize::from(chip.x) * usize::from(self.height) + usize::from(chip.y))
    }

    /// Where link `link` of `chip` lands geometrically, wrapping where allowed, regardless of
    /// which chips are live or which links are dead (`None` off an edge that does not wrap).
    pub fn step(&self, chip: ChipCoord, link: LinkDir) -> Option<ChipCoord> {
        let (dx, dy) = link.delta();
        let x = step_axis(chip.x, dx, self.width, self.wrap.horizontal)?;
        let y = step_axis(chip.y, dy, self.height, self.wrap.vertical)?;
        Some(ChipCoord::new(x, y))
    }

    fn not_in_machine(&self, chip: ChipCoord) -> TopologyError {
        TopologyError::ChipNotInMachine {
            chip,
            width: self.width,
            height: self.height,
        }
    }
}

/// A dense index as stored in the index map; machines are capped at 256 × 256 chips, so it
/// always fits and never collides with [`ABSENT`].
fn dense_u32(index: usize) -> u32 {
    u32::try_from(index).expect("invariant: at most 65,536 chips, far below u32::MAX")
}

/// One coordinate moved by `delta` along an axis of `size` chips, or `None` if it leaves an
/// axis that does not wrap.
fn step_axis(coord: u16, delta: i32, size: u16, wraps: bool) -> Option<u16> {
    let moved = i32::from(coord) + delta;
    let size = i32::from(size);
    let landed = if wraps {
        moved.rem_euclid(size)
    } else if (0..size).contains(&moved) {
        moved
    } else {
        return None;
    };
    Some(u16::try_from(landed).expect("invariant: landed lies in 0..size"))
}

/// The candidate offsets from `from` to `to` along one axis: the direct one, and on a wrapping
/// axis the one going round the other way.
///
/// Only these two are needed: with the direct offset reduced into `0..size`, going further
/// round (adding or subtracting another `size`) never shortens the vector length.
fn axis_offsets(from: u16, to: u16, size: u16, wraps: bool) -> [Option<i32>; 2] {
    let direct = i32::from(to) - i32::from(from);
    if wraps {
        let size = i32::from(size);
        let forward = direct.rem_euclid(size);
        [Some(forward), Some(forward - size)]
    } else {
        [Some(direct), None]
    }
}

/// Hops needed to cover (dx, dy) with the steps of §5.1.
fn vector_length(dx: i32, dy: i32) -> u32 {
    // A zero component counts as either sign; both formulas agree then.
    if (dx >= 0) == (dy >= 0) {
        dx.unsigned_abs().max(dy.unsigned_abs())
    } else {
        dx.unsigned_abs() + dy.unsigned_abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn c(x: u16, y: u16) -> ChipCoord {
        ChipCoord::new(x, y)
    }

    /// Asserts that every live link is matched by the opposite link coming back.
    fn assert_symmetric(machine: &Machine) {
        let mut n_links = 0;
        for chip in machine.chips() {
            for (link, far) in machine.links(chip) {
                assert_eq!(
                    machine.neighbour(far, link.opposite()),
                    Some(chip),
                    "{chip} {link} reaches {far}, which does not link back"
                );
                n_links += 1;
            }
        }
        assert!(n_links > 0, "the machine should have some links");
    }

    /// Asserts that the geometric distance equals the breadth-first-search distance for every
    /// ordered pair of chips.
    fn assert_hop_distance_is_path_length(machine: &Machine) {
        for a in machine.chips() {
            for b in machine.chips() {
                assert_eq!(
                    machine.path_length(a, b),
                    Some(machine.hop_distance(a, b)),
                    "from {a} to {b}"
                );
            }
        }
    }

    #[test]
    fn chip_coordinates_display_as_pairs_and_pack_into_p2p_ids() {
        assert_eq!(c(3, 5).to_string(), "(3, 5)");
        assert_eq!(c(3, 5).chip_id(), 0x0305);
        assert_eq!(c(255, 255).chip_id(), 0xffff);
        assert_eq!(c(0, 0).chip_id(), 0);
    }

    #[test]
    fn spinn3_connectivity_equals_the_list_in_spec_5_2_exactly() {
        use LinkDir::*;
        let machine = Machine::spinn3();
        let expected: BTreeMap<ChipCoord, Vec<(LinkDir, ChipCoord)>> = BTreeMap::from([
            (
                c(0, 0),
                vec![(E, c(1, 0)), (NE, c(1, 1)), (N, c(0, 1)), (S, c(0, 1))],
            ),
            (
                c(0, 1),
                vec![(E, c(1, 1)), (NE, c(1, 0)), (N, c(0, 0)), (S, c(0, 0))],
            ),
            (
                c(1, 0),
                vec![(N, c(1, 1)), (W, c(0, 0)), (SW, c(0, 1)), (S, c(1, 1))],
            ),
            (
                c(1, 1),
                vec![(N, c(1, 0)), (W, c(0, 1)), (SW, c(0, 0)), (S, c(1, 0))],
            ),
        ]);
        let actual: BTreeMap<ChipCoord, Vec<(LinkDir, ChipCoord)>> = machine
            .chips()
            .map(|chip| (chip, machine.links(chip).collect()))
            .collect();
        assert_eq!(actual, expected);
        assert_eq!(machine.n_chips(), 4);
        assert_eq!(machine.wrap(), Wrap::VERTICAL);
        for (chip, link) in [
            (c(0, 0), W),
            (c(0, 0), SW),
            (c(0, 1), W),
            (c(0, 1), SW),
            (c(1, 0), E),
            (c(1, 0), NE),
            (c(1, 1), E),
            (c(1, 1), NE),
        ] {
            assert_eq!(machine.neighbour(chip, link), None, "{chip} {link}");
        }
    }

    #[test]
    fn spinn5_has_the_48_chips_of_spec_5_3_and_no_wrap_links() {
        let machine = Machine::spinn5();
        assert_eq!(machine.n_chips(), 48);
        assert_eq!((machine.width(), machine.height()), (8, 8));
        assert_eq!(machine.wrap(), Wrap::NONE);
        let columns = [
            (0, 3),
            (0, 4),
            (0, 5),
            (0, 6),
            (0, 7),
            (1, 7),
            (2, 7),
            (3, 7),
        ];
        for x in 0..8u16 {
            let (first, last) = columns[usize::from(x)];
            for y in 0..8u16 {
                assert_eq!(
                    machine.contains(c(x, y)),
                    (first..=last).contains(&y),
                    "chip {}",
                    c(x, y)
                );
            }
        }
        // Every link must land exactly one delta away, never wrapped round an edge.
        let mut n_links = 0;
        for chip in machine.chips() {
            for (link, far) in machine.links(chip) {
                let (dx, dy) = link.delta();
                assert_eq!(
                    (i32::from(far.x), i32::from(far.y)),
                    (i32::from(chip.x) + dx, i32::from(chip.y) + dy),
                    "{chip} {link}"
                );
                n_links += 1;
            }
        }
        // The column table has 40 adjacent pairs along each of the E, NE and N axes: 120 cables,
        // each seen once from either end.
        assert_eq!(n_links, 240);
        assert_eq!(machine.links(c(0, 0)).count(), 3);
        assert_eq!(machine.links(c(4, 4)).count(), 6);
        assert_eq!(machine.neighbour(c(0, 0), LinkDir::SW), None);
        assert_eq!(machine.neighbour(c(7, 7), LinkDir::NE), None);
        assert_eq!(machine.neighbour(c(0, 3), LinkDir::N), None);
        assert_eq!(machine.neighbour(c(4, 0), LinkDir::E), None);
    }

    #[test]
    fn links_are_symmetric_on_a_torus_spinn3_spinn5_and_a_machine_with_dead_parts() {
        assert_symmetric(&Machine::torus(6, 6, Wrap::BOTH).unwrap());
        assert_symmetric(&Machine::torus(5, 7, Wrap::HORIZONTAL).unwrap());
        assert_symmetric(&Machine::torus(2, 1, Wrap::BOTH).unwrap());
        assert_symmetric(&Machine::spinn3());
        assert_symmetric(&Machine::spinn5());
        let damaged = Machine::torus(6, 6, Wrap::BOTH)
            .unwrap()
            .with_dead_link(c(0, 0), LinkDir::W)
            .unwrap()
            .with_dead_link(c(3, 3), LinkDir::NE)
            .unwrap()
            .with_dead_chip(c(2, 4))
            .unwrap();
        assert_symmetric(&damaged);
        assert_eq!(damaged.neighbour(c(0, 0), LinkDir::W), None);
        assert_eq!(damaged.neighbour(c(5, 0), LinkDir::E), None);
        assert_eq!(damaged.neighbour(c(4, 4), LinkDir::SW), None);
    }

    #[test]
    fn hop_distance_equals_path_length_on_a_6x6_full_torus() {
        let machine = Machine::torus(6, 6, Wrap::BOTH).unwrap();
        assert_hop_distance_is_path_length(&machine);
        assert_eq!(machine.hop_distance(c(0, 0), c(5, 5)), 1);
        assert_eq!(machine.hop_distance(c(0, 0), c(3, 3)), 3);
        // Going west round the edge makes (4, 1) the vector (-2, 1): two W hops and one N.
        assert_eq!(machine.hop_distance(c(0, 0), c(4, 1)), 3);
    }

    #[test]
    fn hop_distance_equals_path_length_on_a_5x7_torus_wrapped_horizontally_only() {
        let machine = Machine::torus(5, 7, Wrap::HORIZONTAL).unwrap();
        assert_hop_distance_is_path_length(&machine);
        assert_eq!(machine.hop_distance(c(0, 0), c(4, 0)), 1);
        assert_eq!(machine.hop_distance(c(0, 0), c(0, 6)), 6);
    }

    #[test]
    fn hop_distance_equals_path_length_on_a_4x4_mesh_without_wrap() {
        let machine = Machine::torus(4, 4, Wrap::NONE).unwrap();
        assert_hop_distance_is_path_length(&machine);
        assert_eq!(machine.hop_distance(c(0, 0), c(3, 3)), 3);
        assert_eq!(machine.hop_distance(c(0, 3), c(3, 0)), 6);
    }

    #[test]
    fn hop_distance_equals_path_length_on_spinn5_because_the_board_is_convex() {
        let machine = Machine::spinn5();
        assert_hop_distance_is_path_length(&machine);
        assert_eq!(machine.hop_distance(c(0, 0), c(7, 7)), 7);
        assert_eq!(machine.hop_distance(c(0, 3), c(7, 3)), 7);
    }

    #[test]
    fn hop_distance_equals_path_length_on_a_12x12_three_board_torus() {
        let machine = Machine::multi_board(3).unwrap();
        assert_eq!((machine.width(), machine.height()), (12, 12));
        assert_eq!(machine.wrap(), Wrap::BOTH);
        assert_hop_distance_is_path_length(&machine);
    }

    #[test]
    fn dead_links_and_chips_never_shorten_paths_and_a_full_cut_disconnects() {
        let mesh = Machine::torus(5, 5, Wrap::NONE).unwrap();
        let holed = mesh.clone().with_dead_chip(c(2, 2)).unwrap();
        assert_eq!(holed.n_chips(), 24);
        assert!(!holed.contains(c(2, 2)));
        // The direct NE route through (2, 2) is gone, so the way round costs one hop more.
        assert_eq!(holed.hop_distance(c(1, 1), c(3, 3)), 2);
        assert_eq!(holed.path_length(c(1, 1), c(3, 3)), Some(3));
        assert_eq!(holed.path_length(c(1, 1), c(2, 2)), None);
        for a in holed.chips() {
            for b in holed.chips() {
                let path = holed.path_length(a, b).unwrap();
                assert!(path >= holed.hop_distance(a, b), "from {a} to {b}");
            }
        }

        // Cutting every link between columns 1 and 2 splits the mesh in two.
        let mut cut = Machine::torus(4, 4, Wrap::NONE).unwrap();
        for y in 0..4 {
            for link in [LinkDir::E, LinkDir::NE] {
                if cut.neighbour(c(1, y), link).is_some() {
                    cut = cut.with_dead_link(c(1, y), link).unwrap();
                }
            }
        }
        assert_symmetric(&cut);
        for a in cut.chips() {
            for b in cut.chips() {
                let same_side = (a.x <= 1) == (b.x <= 1);
                match cut.path_length(a, b) {
                    Some(path) => {
                        assert!(same_side, "from {a} to {b} crosses the cut");
                        assert!(path >= cut.hop_distance(a, b), "from {a} to {b}");
                    }
                    None => assert!(!same_side, "from {a} to {b} on one side"),
                }
            }
        }
        assert_eq!(cut.hop_distance(c(0, 0), c(3, 3)), 3);
        assert_eq!(cut.path_length(c(0, 0), c(3, 3)), None);
    }

    #[test]
    fn a_dead_chip_loses_its_links_and_later_chips_are_renumbered() {
        let machine = Machine::torus(3, 3, Wrap::BOTH)
            .unwrap()
            .with_dead_link(c(1, 1), LinkDir::E)
            .unwrap()
            .with_dead_chip(c(1, 1))
            .unwrap();
        assert_eq!(machine.n_chips(), 8);
        assert_eq!(machine.links(c(1, 1)).count(), 0);
        for link in LinkDir::ALL {
            let (dx, dy) = link.delta();
            let x = u16::try_from((1 + dx).rem_euclid(3)).unwrap();
            let y = u16::try_from((1 + dy).rem_euclid(3)).unwrap();
            assert_eq!(machine.neighbour(c(x, y), link.opposite()), None);
        }
        assert_eq!(machine.chip_index(c(1, 1)), None);
        assert_eq!(machine.chip_index(c(1, 0)), Some(3));
        assert_eq!(machine.chip_index(c(1, 2)), Some(4));
        assert_eq!(machine.chip_at(4), c(1, 2));
        // The dead link's records went with the chip, so this equals killing the chip alone.
        let chip_only = Machine::torus(3, 3, Wrap::BOTH)
            .unwrap()
            .with_dead_chip(c(1, 1))
            .unwrap();
        assert_eq!(machine, chip_only);
    }

    #[test]
    fn dead_cores_are_dead_and_the_rest_of_the_chip_lives() {
        let core = |i| CoreId::new(i).expect("core index below 18");
        let machine = Machine::spinn3()
            .with_dead_core(c(1, 0), core(5))
            .unwrap()
            .with_dead_core(c(1, 0), core(5))
            .unwrap()
            .with_dead_core(c(0, 1), core(17))
            .unwrap();
        assert!(!machine.core_alive(c(1, 0), core(5)));
        assert!(machine.core_alive(c(1, 0), core(4)));
        assert!(!machine.core_alive(c(0, 1), core(17)));
        assert!(machine.core_alive(c(0, 0), core(5)));
        // Cores of absent chips are never alive.
        assert!(!machine.core_alive(c(2, 0), core(1)));
        // A dead core does not touch the links.
        assert_eq!(machine.links(c(1, 0)).count(), 4);

        let err = Machine::spinn5()
            .with_dead_core(c(7, 0), core(1))
            .unwrap_err();
        assert_eq!(
            err,
            TopologyError::ChipNotInMachine {
                chip: c(7, 0),
                width: 8,
                height: 8
            }
        );
    }

    #[test]
    fn a_dead_chip_kills_its_cores_and_forgets_their_records() {
        let core = |i| CoreId::new(i).expect("core index below 18");
        let machine = Machine::torus(3, 3, Wrap::BOTH)
            .unwrap()
            .with_dead_core(c(1, 1), core(3))
            .unwrap()
            .with_dead_chip(c(1, 1))
            .unwrap();
        assert!((0..18).all(|i| !machine.core_alive(c(1, 1), core(i))));
        let chip_only = Machine::torus(3, 3, Wrap::BOTH)
            .unwrap()
            .with_dead_chip(c(1, 1))
            .unwrap();
        assert_eq!(machine, chip_only);
        assert!(matches!(
            machine.with_dead_core(c(1, 1), core(2)),
            Err(TopologyError::ChipNotInMachine { .. })
        ));
    }

    #[test]
    fn chip_index_and_chip_at_are_inverse_and_follow_coordinate_order() {
        for machine in [
            Machine::spinn5(),
            Machine::spinn5().with_dead_chip(c(3, 3)).unwrap(),
        ] {
            let chips: Vec<ChipCoord> = machine.chips().collect();
            let mut sorted = chips.clone();
            sorted.sort();
            assert_eq!(chips, sorted);
            for (i, chip) in chips.iter().enumerate() {
                assert_eq!(machine.chip_index(*chip), Some(i));
                assert_eq!(machine.chip_at(i), *chip);
            }
            assert_eq!(machine.chip_index(c(7, 0)), None);
            assert_eq!(machine.chip_index(c(8, 0)), None);
        }
    }

    #[test]
    fn multi_board_sizes_follow_the_triad_rule() {
        let size = |n| {
            let m = Machine::multi_board(n).unwrap();
            (m.width(), m.height(), m.n_chips())
        };
        assert_eq!(size(1), (12, 12, 144));
        assert_eq!(size(3), (12, 12, 144));
        assert_eq!(size(4), (24, 12, 288));
        assert_eq!(size(7), (24, 24, 576));
        assert_eq!(size(1323), (252, 252, 63_504));
    }

    #[test]
    fn multi_board_1200_is_a_240x240_torus_where_every_chip_has_six_neighbours() {
        let machine = Machine::multi_board(1200).unwrap();
        assert_eq!((machine.width(), machine.height()), (240, 240));
        assert_eq!(machine.n_chips(), 57_600);
        assert_eq!(machine.wrap(), Wrap::BOTH);
        for chip in machine.chips() {
            let far: BTreeSet<ChipCoord> = machine.links(chip).map(|(_, far)| far).collect();
            assert_eq!(far.len(), 6, "chip {chip}");
        }
        assert_eq!(machine.neighbour(c(239, 0), LinkDir::NE), Some(c(0, 1)));
        assert_eq!(machine.neighbour(c(0, 0), LinkDir::SW), Some(c(239, 239)));
        assert_eq!(machine.chip_at(57_599), c(239, 239));
        assert_eq!(machine.hop_distance(c(0, 0), c(120, 120)), 120);
        assert_eq!(machine.hop_distance(c(0, 0), c(120, 0)), 120);
    }

    #[test]
    fn errors_carry_the_facts() {
        let zero = Machine::torus(0, 5, Wrap::BOTH).unwrap_err();
        assert_eq!(
            zero,
            TopologyError::ZeroSize {
                width: 0,
                height: 5
            }
        );
        assert_eq!(
            zero.to_string(),
            "a machine needs at least one chip in each dimension, got 0x5"
        );

        assert_eq!(
            Machine::torus(300, 4, Wrap::NONE).unwrap_err().to_string(),
            "a 300x4 machine exceeds the 256 chips per axis that 8-bit chip coordinates allow"
        );
        assert!(Machine::torus(256, 256, Wrap::BOTH).is_ok());

        assert_eq!(Machine::multi_board(0), Err(TopologyError::NoBoards));
        assert_eq!(
            TopologyError::NoBoards.to_string(),
            "a multi-board machine needs at least one board"
        );

        // 1,326 boards are 442 triads, which need 22 triads across: 264 chips.
        let too_many = Machine::multi_board(1326).unwrap_err();
        assert_eq!(
            too_many,
            TopologyError::TooManyBoards {
                n_boards: 1326,
                width: 264,
                height: 252,
                max: 256
            }
        );
        assert_eq!(
            too_many.to_string(),
            "1326 boards need a 264x252 torus, which exceeds the 256 chips per axis that 8-bit \
             chip coordinates allow"
        );

        let outside = Machine::spinn5().with_dead_chip(c(9, 9)).unwrap_err();
        assert_eq!(
            outside.to_string(),
            "chip (9, 9) is not a live chip of the 8x8 machine"
        );
        let corner = Machine::spinn5()
            .with_dead_link(c(7, 0), LinkDir::N)
            .unwrap_err();
        assert_eq!(
            corner,
            TopologyError::ChipNotInMachine {
                chip: c(7, 0),
                width: 8,
                height: 8
            }
        );
        let twice = Machine::spinn3()
            .with_dead_chip(c(1, 1))
            .unwrap()
            .with_dead_chip(c(1, 1))
            .unwrap_err();
        assert_eq!(
            twice.to_string(),
            "chip (1, 1) is not a live chip of the 2x2 machine"
        );

        let missing = Machine::spinn3()
            .with_dead_link(c(0, 0), LinkDir::W)
            .unwrap_err();
        assert_eq!(
            missing,
            TopologyError::NoSuchLink {
                chip: c(0, 0),
                link: LinkDir::W
            }
        );
        assert_eq!(missing.to_string(), "chip (0, 0) has no live link W");
        let already_dead = Machine::spinn3()
            .with_dead_link(c(0, 0), LinkDir::E)
            .unwrap()
            .with_dead_link(c(1, 0), LinkDir::W)
            .unwrap_err();
        assert_eq!(already_dead.to_string(), "chip (1, 0) has no live link W");
    }

    #[test]
    fn wrapped_triads_tile_the_torus_exactly_once() {
        // Every chip of a 24x24 torus lies on exactly one board of the 2x2 triads, which is why
        // multi_board can be a full torus.
        let size = 2 * TRIAD_CHIPS as i64;
        for x in 0..size {
            for y in 0..size {
                let boards = (0..2i64)
                    .flat_map(|tx| (0..2i64).map(move |ty| (tx, ty)))
                    .flat_map(|(tx, ty)| {
                        BOARD_ORIGINS
                            .iter()
                            .map(move |&(bx, by)| (tx * 12 + bx, ty * 12 + by))
                    })
                    .filter(|&(ox, oy)| {
                        on_board((x - ox).rem_euclid(size), (y - oy).rem_euclid(size))
                    })
                    .count();
                assert_eq!(boards, 1, "chip ({x}, {y}) is on {boards} boards");
            }
        }
    }

    #[test]
    fn unwrapped_multi_board_machines_hold_whole_boards() {
        let one = Machine::multi_board_without_wrap(3).expect("one triad");
        assert_eq!((one.width(), one.height(), one.n_chips()), (16, 16, 144));
        let four = Machine::multi_board_without_wrap(12).expect("four triads");
        assert_eq!((four.width(), four.height(), four.n_chips()), (28, 28, 576));
        assert!(
            !four.contains(ChipCoord::new(27, 0)),
            "a corner of the box is off every board"
        );
        for a in four.chips() {
            for (dir, b) in four.links(a) {
                assert_eq!(
                    four.neighbour(b, dir.opposite()),
                    Some(a),
                    "link symmetry at {a}"
                );
            }
        }
        // The boards join up: every chip reaches every other, never faster than the geometry allows.
        let origin = ChipCoord::new(0, 0);
        for b in four.chips() {
            let path = four.path_length(origin, b).expect("connected");
            assert!(path >= four.hop_distance(origin, b));
        }
    }
}
