//! Multicast routing entries and tables (`spec/hardware.md` §2.2–2.3).
//!
//! An entry matches a key when `(key & mask) == entry_key`; among matching entries the lowest
//! index wins. Per bit, (key, mask) = (0,0) is don't-care, (0,1) must be 0, (1,1) must be 1,
//! and (1,0) can never match, so [`McEntry::new`] rejects it.
//! A cleared entry is key 0xFFFF_FFFF, mask 0, route 0, which matches nothing.

use crate::route::RouteSet;
use thiserror::Error;

/// What is wrong with a routing entry or table write.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EntryError {
    #[error(
        "routing entry key 0x{key:08x} has bits 0x{stray:08x} set outside its mask 0x{mask:08x}, \
         so it could never match"
    )]
    KeyOutsideMask { key: u32, mask: u32, stray: u32 },
    #[error("routing entry index {index} is out of range for a table of {capacity} entries")]
    IndexOutOfRange { index: usize, capacity: usize },
}

/// One ternary multicast routing entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct McEntry {
    key: u32,
    mask: u32,
    route: RouteSet,
}

impl McEntry {
    /// The pattern SARK writes to free an entry: it can never match.
    pub const CLEARED: McEntry = McEntry {
        key: 0xFFFF_FFFF,
        mask: 0,
        route: RouteSet::EMPTY,
    };

    pub fn new(key: u32, mask: u32, route: RouteSet) -> Result<McEntry, EntryError> {
        let stray = key & !mask;
        if stray != 0 {
            return Err(EntryError::KeyOutsideMask { key, mask, stray });
        }
        Ok(McEntry { key, mask, route })
    }

    pub fn key(self) -> u32 {
        self.key
    }

    pub fn mask(self) -> u32 {
        self.mask
    }

    pub fn route(self) -> RouteSet {
        self.route
    }

    pub fn is_cleared(self) -> bool {
        self == McEntry::CLEARED
    }

    pub fn matches(self, key: u32) -> bool {
        key & self.mask == self.key
    }
}

/// A software copy of a router's multicast table (the hardware's keys and masks are write-only,
/// so drivers keep one, as SARK's `rtr_copy` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McTable {
    entries: Vec<McEntry>,
}

impl McTable {
    /// A table of `capacity` cleared entries.
    pub fn new(capacity: usize) -> McTable {
        McTable {
            entries: vec![McEntry::CLEARED; capacity],
        }
    }

    pub fn capacity(&self) -> usize {
        self.entries.len()
    }

    pub fn set(&mut self, index: usize, entry: McEntry) -> Result<(), EntryError> {
        let capacity = self.capacity();
        let slot = self
            .entries
            .get_mut(index)
            .ok_or(EntryError::IndexOutOfRange { index, capacity })?;
        *slot = entry;
        Ok(())
    }

    pub fn entries(&self) -> &[McEntry] {
        &self.entries
    }

    /// The lowest-index matching entry: (index, route).
    pub fn lookup(&self, key: u32) -> Option<(usize, RouteSet)> {
        self.entries
            .iter()
            .position(|e| e.matches(key))
            .map(|idx| (idx, self.entries[idx].route))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::LinkDir;

    #[test]
    fn stray_key_bits_are_rejected_by_name() {
        let err = McEntry::new(0x0000_0011, 0x0000_00f0, RouteSet::EMPTY).unwrap_err();
        assert_eq!(
            err,
            EntryError::KeyOutsideMask {
                key: 0x11,
                mask: 0xf0,
                stray: 0x01
            }
        );
        assert!(err
            .to_string()
            .contains("bits 0x00000001 set outside its mask"));
    }

    #[test]
    fn lowest_index_wins_and_cleared_entries_never_match() {
        let mut table = McTable::new(4);
        let east = RouteSet::link(LinkDir::E);
        let north = RouteSet::link(LinkDir::N);
        table
            .set(1, McEntry::new(0x10, 0xf0, east).unwrap())
            .unwrap();
        table
            .set(2, McEntry::new(0x12, 0xff, north).unwrap())
            .unwrap();
        table.set(3, McEntry::new(0, 0, north).unwrap()).unwrap();
        assert_eq!(table.lookup(0x12), Some((1, east)));
        assert_eq!(table.lookup(0x22), Some((3, north)));
        assert!(!McEntry::CLEARED.matches(0xFFFF_FFFF));
        assert_eq!(
            table.set(4, McEntry::CLEARED),
            Err(EntryError::IndexOutOfRange {
                index: 4,
                capacity: 4
            })
        );
    }
}
