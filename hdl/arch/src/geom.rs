//! Link directions and core identifiers (`spec/hardware.md` §5.1, §6).

use std::fmt;

/// Links per chip: E, NE, N, W, SW, S.
pub const LINKS_PER_CHIP: usize = 6;
/// Physical ARM968 cores per chip; core 0 is the monitor by convention.
pub const CORES_PER_CHIP: usize = 18;
/// Data TCM per core (§6).
pub const DTCM_BYTES: u32 = 64 * 1024;
/// SDRAM per chip that SpiNNMachine reports usable, of the 128 MB fitted (§6).
pub const SDRAM_BYTES: u64 = 123_469_792;

/// A chip-to-chip link, numbered anticlockwise from east as the hardware numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkDir {
    E = 0,
    NE = 1,
    N = 2,
    W = 3,
    SW = 4,
    S = 5,
}

impl LinkDir {
    pub const ALL: [LinkDir; LINKS_PER_CHIP] = [
        LinkDir::E,
        LinkDir::NE,
        LinkDir::N,
        LinkDir::W,
        LinkDir::SW,
        LinkDir::S,
    ];

    /// The link with hardware number `idx` (0–5).
    pub fn from_index(idx: usize) -> Option<LinkDir> {
        LinkDir::ALL.get(idx).copied()
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The link pointing the other way: `(l + 3) mod 6`.
    pub fn opposite(self) -> LinkDir {
        self.rotate(3)
    }

    /// The link `steps` positions anticlockwise: `(l + steps) mod 6`.
    pub fn rotate(self, steps: usize) -> LinkDir {
        LinkDir::ALL[(self.index() + steps) % LINKS_PER_CHIP]
    }

    /// The (dx, dy) step this link takes on the triangular mesh.
    pub fn delta(self) -> (i32, i32) {
        match self {
            LinkDir::E => (1, 0),
            LinkDir::NE => (1, 1),
            LinkDir::N => (0, 1),
            LinkDir::W => (-1, 0),
            LinkDir::SW => (-1, -1),
            LinkDir::S => (0, -1),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LinkDir::E => "E",
            LinkDir::NE => "NE",
            LinkDir::N => "N",
            LinkDir::W => "W",
            LinkDir::SW => "SW",
            LinkDir::S => "S",
        }
    }

    /// Parses `E`, `NE`, `N`, `W`, `SW` or `S` (case-insensitive).
    pub fn parse(text: &str) -> Option<LinkDir> {
        LinkDir::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for LinkDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A physical core number on one chip, 0–17.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CoreId(u8);

impl CoreId {
    pub const MONITOR: CoreId = CoreId(0);

    pub fn new(idx: usize) -> Option<CoreId> {
        (idx < CORES_PER_CHIP).then_some(CoreId(idx as u8))
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for CoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opposite_links_cancel_their_deltas() {
        for l in LinkDir::ALL {
            let (dx, dy) = l.delta();
            let (ox, oy) = l.opposite().delta();
            assert_eq!((dx + ox, dy + oy), (0, 0), "{l}");
            assert_eq!(LinkDir::parse(&l.name().to_lowercase()), Some(l));
        }
    }

    #[test]
    fn core_ids_stop_at_seventeen() {
        assert_eq!(CoreId::new(17).map(CoreId::index), Some(17));
        assert_eq!(CoreId::new(18), None);
    }
}
