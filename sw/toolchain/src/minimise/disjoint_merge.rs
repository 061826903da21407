//! Disjoint merging: tried when default-route removal leaves a table too big, before ordered
//! covering.
//!
//! Ordered covering works on the whole table and may cover the keys of straight-through
//! entries, which must then stay (their keys would otherwise reach the merged entry). On a
//! very large machine a chip can hold thousands of those, and covering gains nothing (on
//! 1,200 boards it takes about 100 s per chip and ends with several times the capacity).
//!
//! Here, when every entry is an aligned key block and no two overlap (as generated tables with
//! [`crate::allocate_keys`]' blocks are), the straight-through entries are dropped and the rest
//! are merged only into aligned blocks that hold keys of no other entry of the table. Such
//! blocks never meet each other (two aligned blocks are nested or disjoint, and a block holding
//! another's member would hold a foreign key), so the result routes every key of the table
//! exactly as the table does, in any order, and leaves the straight-through keys to default
//! routing. Keys of no entry may go anywhere: no partition sends them to this chip.
//!
//! Entries that are consecutive in key order, not defaultable and share a route form a run;
//! a merged block may reach from the entry before its run to the one after it, exclusive. In a
//! run the fewest blocks come from covering each leftmost uncovered member with the largest
//! aligned block around it that stays in those bounds (the blocks around a key are nested, so
//! the largest covers every smaller one's members and more).

use crate::tables::RoutingEntry;
use spinn_arch::McEntry;

/// The table merged as the module describes, in key order, or `None` if some entry is not an
/// aligned block or two entries overlap.
pub fn disjoint_merge(table: &[RoutingEntry]) -> Option<Vec<McEntry>> {
    // (first key, last key, entry), by first key.
    let mut blocks: Vec<(u64, u64, &RoutingEntry)> = Vec::with_capacity(table.len());
    for e in table {
        let span = u64::from(!e.mask);
        if span & (span + 1) != 0 || u64::from(e.key) & span != 0 {
            return None;
        }
        blocks.push((u64::from(e.key), u64::from(e.key) + span, e));
    }
    blocks.sort_unstable_by_key(|b| (b.0, b.1));
    if blocks.windows(2).any(|w| w[0].1 >= w[1].0) {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < blocks.len() {
        let (_, _, first) = blocks[i];
        if first.is_defaultable() {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < blocks.len()
            && !blocks[end].2.is_defaultable()
            && blocks[end].2.route == first.route
        {
            end += 1;
        }
        // The keys a merged block of this run may use: none of another entry.
        let low = if i == 0 { 0 } else { blocks[i - 1].1 + 1 };
        let high = blocks.get(end).map_or(u64::from(u32::MAX), |b| b.0 - 1);
        let mut j = i;
        while j < end {
            let (lo, hi) = largest_block_around(blocks[j].0, blocks[j].1, low, high);
            out.push(
                McEntry::new(
                    u32::try_from(lo).expect("invariant: keys are 32 bits"),
                    !u32::try_from(hi - lo).expect("invariant: keys are 32 bits"),
                    first.route,
                )
                .expect("invariant: an aligned block's key lies inside its mask"),
            );
            while j < end && blocks[j].1 <= hi {
                j += 1;
            }
        }
        i = end;
    }
    Some(out)
}

/// The largest aligned block holding the aligned block `first..=last` that stays inside
/// `low..=high` (which holds it).
fn largest_block_around(first: u64, last: u64, low: u64, high: u64) -> (u64, u64) {
    let (mut lo, mut hi) = (first, last);
    loop {
        let size = (hi - lo + 1) * 2;
        if size > 1 << 32 {
            return (lo, hi);
        }
        let bigger_lo = lo & !(size - 1);
        let bigger_hi = bigger_lo + size - 1;
        if bigger_lo < low || bigger_hi > high {
            return (lo, hi);
        }
        (lo, hi) = (bigger_lo, bigger_hi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spinn_arch::{CoreId, InputPort, LinkDir, RouteSet};

    fn entry(key: u32, mask: u32, route: RouteSet, source: InputPort) -> RoutingEntry {
        RoutingEntry {
            key,
            mask,
            route,
            source,
        }
    }

    #[test]
    fn runs_of_one_route_merge_up_to_their_neighbours_and_defaults_go() {
        let west = InputPort::Link(LinkDir::W);
        let core = InputPort::Core(CoreId::new(1).expect("valid core"));
        let north = RouteSet::link(LinkDir::N);
        let east = RouteSet::link(LinkDir::E);
        let table = vec![
            // Keys 0x00-0x3f go north in four blocks of 16: one block of 64.
            entry(0x00, !0xf, north, west),
            entry(0x10, !0xf, north, core),
            entry(0x20, !0xf, north, west),
            entry(0x30, !0xf, north, west),
            // Straight through, so it goes, but it bounds the next run.
            entry(0x40, !0xf, east, west),
            // Keys 0x50 and 0x70 go north; 0x50's block cannot grow over the straight-through
            // block at 0x40, while 0x70's takes in 0x60, nobody's keys.
            entry(0x50, !0xf, north, west),
            entry(0x70, !0xf, north, west),
        ];
        let out = disjoint_merge(&table).expect("aligned, disjoint blocks");
        let mc = |key, mask| McEntry::new(key, mask, north).expect("valid entry");
        assert_eq!(out, vec![mc(0x00, !0x3f), mc(0x50, !0xf), mc(0x60, !0x1f)]);
    }

    #[test]
    fn overlapping_or_unaligned_tables_are_refused() {
        let west = InputPort::Link(LinkDir::W);
        let north = RouteSet::link(LinkDir::N);
        assert_eq!(disjoint_merge(&[entry(0x10, !0x1f, north, west)]), None);
        let overlapping = [
            entry(0x00, !0x1f, north, west),
            entry(0x10, !0xf, north, west),
        ];
        assert_eq!(disjoint_merge(&overlapping), None);
    }
}
