//! Router ports and the 24-bit route word (`spec/hardware.md` §2.2).
//!
//! | bits    | meaning                                   |
//! |---------|-------------------------------------------|
//! | `[5:0]`   | links 0–5 (E, NE, N, W, SW, S)            |
//! | `[23:6]`  | physical cores 0–17 (bit 6 + core)        |
//!
//! Input ports use the same numbering: 0–5 are link receivers, 6–23 are the cores'
//! communications controllers.
//! The RTL router has one more input, the monitor's re-injection port, whose packets carry the
//! number of the port they originally arrived on.

use crate::geom::{CoreId, LinkDir, CORES_PER_CHIP, LINKS_PER_CHIP};
use std::fmt;

/// Outputs of a router: 6 links then 18 cores.
pub const N_OUTPUT_PORTS: usize = LINKS_PER_CHIP + CORES_PER_CHIP;
/// Packet sources of a router: 6 links then 18 cores (re-injection names one of these).
pub const N_INPUT_PORTS: usize = LINKS_PER_CHIP + CORES_PER_CHIP;

/// One router output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputPort {
    Link(LinkDir),
    Core(CoreId),
}

/// Where a packet entered the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputPort {
    Link(LinkDir),
    Core(CoreId),
}

macro_rules! port_numbering {
    ($ty:ident) => {
        impl $ty {
            /// The port's position in the route word (and in the RTL port arrays).
            pub fn index(self) -> usize {
                match self {
                    $ty::Link(l) => l.index(),
                    $ty::Core(c) => LINKS_PER_CHIP + c.index(),
                }
            }

            pub fn from_index(idx: usize) -> Option<$ty> {
                match idx {
                    i if i < LINKS_PER_CHIP => LinkDir::from_index(i).map($ty::Link),
                    i => CoreId::new(i - LINKS_PER_CHIP).map($ty::Core),
                }
            }

            /// Every port in index order.
            pub fn all() -> impl Iterator<Item = $ty> {
                (0..N_OUTPUT_PORTS).filter_map($ty::from_index)
            }

            /// Parses `link:E` or `core:3`.
            pub fn parse(text: &str) -> Option<$ty> {
                let (kind, which) = text.split_once(':')?;
                match kind {
                    "link" => LinkDir::parse(which).map($ty::Link),
                    "core" => which.parse().ok().and_then(CoreId::new).map($ty::Core),
                    _ => None,
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $ty::Link(l) => write!(f, "link:{l}"),
                    $ty::Core(c) => write!(f, "core:{c}"),
                }
            }
        }
    };
}
port_numbering!(OutputPort);
port_numbering!(InputPort);

/// A set of router outputs: the 24-bit route word of a table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RouteSet(u32);

impl RouteSet {
    pub const EMPTY: RouteSet = RouteSet(0);
    const MASK: u32 = (1 << N_OUTPUT_PORTS) - 1;

    /// The set encoded by a route word; bits above 23 are not outputs and are ignored.
    pub fn from_bits(word: u32) -> RouteSet {
        RouteSet(word & Self::MASK)
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn link(l: LinkDir) -> RouteSet {
        RouteSet::EMPTY.with(OutputPort::Link(l))
    }

    pub fn core(c: CoreId) -> RouteSet {
        RouteSet::EMPTY.with(OutputPort::Core(c))
    }

    pub fn with(self, port: OutputPort) -> RouteSet {
        RouteSet(self.0 | 1 << port.index())
    }

    pub fn union(self, other: RouteSet) -> RouteSet {
        RouteSet(self.0 | other.0)
    }

    pub fn contains(self, port: OutputPort) -> bool {
        self.0 >> port.index() & 1 == 1
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The link bits `[5:0]`.
    pub fn link_bits(self) -> u8 {
        (self.0 & 0x3f) as u8
    }

    /// The outputs in index order (links first).
    pub fn iter(self) -> impl Iterator<Item = OutputPort> {
        OutputPort::all().filter(move |p| self.contains(*p))
    }

    /// Parses a comma-separated list such as `link:E,core:3`, or `none`.
    pub fn parse(text: &str) -> Option<RouteSet> {
        if text == "none" {
            return Some(RouteSet::EMPTY);
        }
        text.split(',').try_fold(RouteSet::EMPTY, |acc, part| {
            Some(acc.with(OutputPort::parse(part.trim())?))
        })
    }
}

impl fmt::Display for RouteSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let parts: Vec<String> = self.iter().map(|p| p.to_string()).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_words_follow_the_hardware_layout() {
        let route = RouteSet::link(LinkDir::N).with(OutputPort::Core(CoreId::new(3).unwrap()));
        assert_eq!(route.bits(), 1 << 2 | 1 << (6 + 3));
        assert_eq!(route.to_string(), "link:N,core:3");
        assert_eq!(RouteSet::parse("link:N,core:3"), Some(route));
        assert_eq!(RouteSet::parse("link:Q"), None);
        assert_eq!(RouteSet::from_bits(0xff00_0000), RouteSet::EMPTY);
    }

    #[test]
    fn port_indices_round_trip() {
        for idx in 0..N_OUTPUT_PORTS {
            assert_eq!(OutputPort::from_index(idx).unwrap().index(), idx);
            assert_eq!(InputPort::from_index(idx).unwrap().index(), idx);
        }
        assert_eq!(OutputPort::from_index(N_OUTPUT_PORTS), None);
    }
}
