//! Default-route removal (`spec/mapping.md` §6.1): drop the entries the router's default route
//! would reproduce.
//!
//! An entry may go when it is defaultable (packets arrive on one link and leave by the opposite
//! one only) and no later entry intersects it: otherwise, once it is gone, its keys could fall
//! through to that later entry instead of being default-routed.

use crate::minimise::ordered_covering::OcEntry;
use crate::tables::RoutingEntry;
use crate::ternary::Pattern;

/// What default-route removal needs to know about an entry.
pub(crate) trait Defaultable {
    fn pattern(&self) -> Pattern;
    fn is_defaultable(&self) -> bool;
}

impl Defaultable for RoutingEntry {
    fn pattern(&self) -> Pattern {
        RoutingEntry::pattern(self)
    }

    fn is_defaultable(&self) -> bool {
        RoutingEntry::is_defaultable(self)
    }
}

impl Defaultable for OcEntry {
    fn pattern(&self) -> Pattern {
        OcEntry::pattern(self)
    }

    fn is_defaultable(&self) -> bool {
        OcEntry::is_defaultable(self)
    }
}

/// `table` without the entries that default routing makes redundant, in the same order.
pub fn remove_default_routes(table: &[RoutingEntry]) -> Vec<RoutingEntry> {
    without_default_routes(table)
}

pub(crate) fn without_default_routes<T: Defaultable + Clone>(table: &[T]) -> Vec<T> {
    // Generated tables give every partition its own disjoint key block, so no entry can alias
    // a later one; proving that once (in O(n log n)) saves the quadratic alias check.
    let disjoint = prefix_patterns_disjoint(table);
    table
        .iter()
        .enumerate()
        .filter(|(idx, entry)| {
            let removable = entry.is_defaultable()
                && (disjoint
                    || !table[idx + 1..]
                        .iter()
                        .any(|later| later.pattern().intersects(entry.pattern())));
            !removable
        })
        .map(|(_, entry)| entry.clone())
        .collect()
}

/// Whether every entry's mask is a prefix mask (ones then zeros) and no two entries share a key:
/// such patterns are aligned intervals, so sorting by start finds any overlap.
fn prefix_patterns_disjoint<T: Defaultable>(table: &[T]) -> bool {
    patterns_disjoint(table.iter().map(Defaultable::pattern), table.len())
}

/// Whether every pattern has a prefix mask and no two share a key (`n` is how many there
/// are, to size the work space).
pub(crate) fn patterns_disjoint(patterns: impl Iterator<Item = Pattern>, n: usize) -> bool {
    let mut intervals: Vec<(u64, u64)> = Vec::with_capacity(n);
    for p in patterns {
        let span = !p.care;
        if span & span.wrapping_add(1) != 0 {
            return false;
        }
        intervals.push((u64::from(p.value), u64::from(p.value) + u64::from(span)));
    }
    intervals.sort_unstable();
    intervals.windows(2).all(|w| w[0].1 < w[1].0)
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
    fn straight_through_entries_go_and_the_rest_stay() {
        let west = InputPort::Link(LinkDir::W);
        let east = RouteSet::link(LinkDir::E);
        let core = InputPort::Core(CoreId::new(3).expect("valid core"));
        let table = vec![
            entry(0x00, 0xf0, east, west),
            entry(0x10, 0xf0, RouteSet::link(LinkDir::N), west),
            entry(0x20, 0xf0, east, core),
            entry(0x30, 0xff, east, west),
        ];
        let kept = remove_default_routes(&table);
        assert_eq!(kept, vec![table[1], table[2]]);
    }

    #[test]
    fn an_entry_aliased_by_a_later_one_stays() {
        let west = InputPort::Link(LinkDir::W);
        let east = RouteSet::link(LinkDir::E);
        // Entry 0 goes straight on, but its keys 0x10..0x1f would otherwise reach entry 1.
        let table = vec![
            entry(0x10, 0xf0, east, west),
            entry(0x00, 0x00, RouteSet::link(LinkDir::N), west),
            entry(0x20, 0xf0, east, west),
        ];
        let kept = remove_default_routes(&table);
        assert_eq!(kept, vec![table[0], table[1]]);
    }
}
