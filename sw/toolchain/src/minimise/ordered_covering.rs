//! Ordered covering (Mundy, Heathcote & Garside 2016; `spec/mapping.md` §6.2).
//!
//! The table is kept sorted by generality (the number of don't-care bits). Each step finds the
//! best merge, the largest set of entries with one route that can be replaced by a single entry
//! (an X wherever the members differ) inserted above the existing entries of its generality,
//! without changing the route of any key an original entry matched:
//!
//! * the *down-check* stops the merged entry from catching the real keys (its "aliases") of any
//!   entry below its insertion point, by removing the members that stop a covering bit from
//!   being fixed, choosing the smallest removal (the more significant bit on ties), and
//!   abandoning the merge when some covered entry leaves no bit to fix;
//! * the *up-check* removes members that would move down past an entry that intersects them;
//!   if it changed anything the down-check runs once more.
//!
//! Steps repeat until the table fits the target (as Rig does, stopping as soon as it fits) or
//! no merge removes an entry.
//! The input must be orthogonal (no key matched by two entries) and still hold the entries that
//! default routing would handle, because a merge may cover keys nothing matched before.

use crate::tables::RoutingEntry;
use crate::ternary::Pattern;
use spinn_arch::{InputPort, McEntry, RouteSet, LINKS_PER_CHIP};
use std::collections::BTreeMap;

/// An entry of a table being minimised, with the input ports its packets come from and the
/// original patterns it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcEntry {
    pub key: u32,
    pub mask: u32,
    pub route: RouteSet,
    /// Bit `p` set for each input port `p` (links 0–5, cores 6–23) packets arrive from.
    pub sources: u32,
    /// The original (key, mask) patterns this entry replaces; their keys are the ones whose
    /// routes must be kept.
    pub aliases: Vec<Pattern>,
}

impl OcEntry {
    pub fn from_routing_entry(entry: &RoutingEntry) -> OcEntry {
        OcEntry {
            key: entry.key,
            mask: entry.mask,
            route: entry.route,
            sources: 1 << entry.source.index(),
            aliases: vec![entry.pattern()],
        }
    }

    pub fn pattern(&self) -> Pattern {
        Pattern::new(self.key, self.mask)
    }

    /// The number of don't-care bits.
    pub fn generality(&self) -> u32 {
        (!self.mask).count_ones()
    }

    /// Default-routable: one source, a link, and a route of only the opposite link.
    pub fn is_defaultable(&self) -> bool {
        if self.sources.count_ones() != 1 {
            return false;
        }
        match InputPort::from_index(self.sources.trailing_zeros() as usize) {
            Some(InputPort::Link(link)) => self.route == RouteSet::link(link.opposite()),
            _ => false,
        }
    }

    pub fn to_mc_entry(&self) -> McEntry {
        McEntry::new(self.key, self.mask, self.route)
            .expect("invariant: merged keys keep no bits outside their masks")
    }
}

const _: () = assert!(
    LINKS_PER_CHIP == 6,
    "source bits assume links are ports 0-5"
);

/// A candidate merge: members (table indices, ascending) and the entry that would replace them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Merge {
    members: Vec<usize>,
    key: u32,
    mask: u32,
    /// Where the merged entry goes in the current table: before the first entry of the same or
    /// greater generality.
    insertion: usize,
}

impl Merge {
    fn new(table: &[OcEntry], members: Vec<usize>) -> Merge {
        let (mut all_ones, mut any_ones, mut all_cared) = (u32::MAX, 0, u32::MAX);
        for &idx in &members {
            let e = &table[idx];
            all_ones &= e.key;
            any_ones |= e.key;
            all_cared &= e.mask;
        }
        // A bit stays fixed only where every member fixes it to the same value.
        let mask = all_cared & (all_ones | !any_ones);
        let key = all_ones & mask;
        let generality = (!mask).count_ones();
        let insertion = table.partition_point(|e| e.generality() < generality);
        Merge {
            members,
            key,
            mask,
            insertion,
        }
    }

    /// Entries saved by applying the merge.
    fn goodness(&self) -> isize {
        self.members.len() as isize - 1
    }

    fn pattern(&self) -> Pattern {
        Pattern::new(self.key, self.mask)
    }

    fn without(self, table: &[OcEntry], removed: impl Fn(usize) -> bool) -> Merge {
        let members = self.members.into_iter().filter(|&m| !removed(m)).collect();
        Merge::new(table, members)
    }
}

/// Minimises `table` by ordered covering until it has at most `target` entries or no merge
/// helps; the result is sorted by generality.
pub fn ordered_covering(table: &[RoutingEntry], target: usize) -> Vec<OcEntry> {
    let mut table: Vec<OcEntry> = table.iter().map(OcEntry::from_routing_entry).collect();
    table.sort_by_key(OcEntry::generality);
    while table.len() > target {
        match best_merge(&table) {
            Some(merge) => table = apply(table, merge),
            None => break,
        }
    }
    table
}

/// The merge saving the most entries, after refinement; the earliest group wins ties.
fn best_merge(table: &[OcEntry]) -> Option<Merge> {
    // Group entries by route, in order of each group's first entry.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of_route: BTreeMap<RouteSet, usize> = BTreeMap::new();
    for (idx, entry) in table.iter().enumerate() {
        let group = *group_of_route.entry(entry.route).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(idx);
    }
    let mut best: Option<Merge> = None;
    let mut best_goodness = 0;
    for members in groups {
        if members.len() as isize - 1 <= best_goodness {
            continue;
        }
        if let Some(merge) = refine(table, Merge::new(table, members), best_goodness) {
            best_goodness = merge.goodness();
            best = Some(merge);
        }
    }
    best
}

/// The down-check, then the up-check, then the down-check again if the up-check removed
/// anything; `None` once the merge is no better than `min_goodness`.
fn refine(table: &[OcEntry], merge: Merge, min_goodness: isize) -> Option<Merge> {
    let merge = down_check(table, merge, min_goodness)?;
    let (merge, changed) = up_check(table, merge, min_goodness)?;
    // The down-check only ever moves the insertion point up, which cannot undo the up-check.
    let merge = if changed {
        down_check(table, merge, min_goodness)?
    } else {
        merge
    };
    (merge.goodness() > min_goodness).then_some(merge)
}

/// Shrinks the merge until its entry catches no alias of an entry at or below its insertion
/// point.
fn down_check(table: &[OcEntry], mut merge: Merge, min_goodness: isize) -> Option<Merge> {
    let mut is_member = vec![false; table.len()];
    loop {
        if merge.goodness() <= min_goodness {
            return None;
        }
        is_member.fill(false);
        for &m in &merge.members {
            is_member[m] = true;
        }
        let merged = merge.pattern();
        let covered: Vec<Pattern> = table[merge.insertion..]
            .iter()
            .enumerate()
            .filter(|(offset, _)| !is_member[merge.insertion + offset])
            .flat_map(|(_, e)| e.aliases.iter().copied())
            .filter(|alias| alias.intersects(merged))
            .collect();
        if covered.is_empty() {
            return Some(merge);
        }
        // Settable bits: X in the merge but fixed in the covered pattern. Fixing any one of them
        // to the opposite of the covered value separates the two.
        let settable = |alias: &Pattern| !merge.mask & alias.care;
        let fewest = covered
            .iter()
            .map(|a| settable(a).count_ones())
            .min()
            .expect("invariant: covered is not empty");
        if fewest == 0 {
            return None;
        }
        // (members to remove, bit, covered value at that bit)
        let mut best: Option<(usize, u32, u32)> = None;
        for alias in covered
            .iter()
            .filter(|a| settable(a).count_ones() == fewest)
        {
            let mut bits = settable(alias);
            while bits != 0 {
                let bit = 1 << (31 - bits.leading_zeros());
                bits &= !bit;
                let covered_value = alias.value & bit;
                let n_remove = merge
                    .members
                    .iter()
                    .filter(|&&m| blocks_bit(&table[m], bit, covered_value))
                    .count();
                if best.is_none_or(|(n, b, _)| n_remove < n || (n_remove == n && bit > b)) {
                    best = Some((n_remove, bit, covered_value));
                }
            }
        }
        let (_, bit, covered_value) = best.expect("invariant: fewest > 0 gives a candidate");
        merge = merge.without(table, |m| blocks_bit(&table[m], bit, covered_value));
    }
}

/// Whether member `entry` keeps the merged bit `bit` from being fixed to the opposite of
/// `covered_value`: it has an X there, or the covered value itself.
fn blocks_bit(entry: &OcEntry, bit: u32, covered_value: u32) -> bool {
    entry.mask & bit == 0 || entry.key & bit == covered_value
}

/// Removes the members that would move down past an entry intersecting them; also says whether
/// any was removed.
fn up_check(table: &[OcEntry], mut merge: Merge, min_goodness: isize) -> Option<(Merge, bool)> {
    let mut changed = false;
    let candidates: Vec<usize> = merge.members.iter().rev().copied().collect();
    for idx in candidates {
        if idx >= merge.insertion {
            continue;
        }
        let own = table[idx].pattern();
        let members = &merge.members;
        let shadowed = (idx + 1..merge.insertion)
            .filter(|j| members.binary_search(j).is_err())
            .any(|j| table[j].pattern().intersects(own));
        if shadowed {
            merge = merge.without(table, |m| m == idx);
            changed = true;
            if merge.goodness() <= min_goodness {
                return None;
            }
        }
    }
    Some((merge, changed))
}

/// The table with the merge's members replaced by the merged entry at its insertion point.
fn apply(table: Vec<OcEntry>, merge: Merge) -> Vec<OcEntry> {
    let route = table[merge.members[0]].route;
    let mut sources = 0;
    let mut aliases = Vec::new();
    for &m in &merge.members {
        sources |= table[m].sources;
        aliases.extend_from_slice(&table[m].aliases);
    }
    let merged = OcEntry {
        key: merge.key,
        mask: merge.mask,
        route,
        sources,
        aliases,
    };
    let mut out = Vec::with_capacity(table.len() + 1 - merge.members.len());
    let mut merged = Some(merged);
    let mut members = merge.members.iter().peekable();
    for (idx, entry) in table.into_iter().enumerate() {
        if idx == merge.insertion {
            out.extend(merged.take());
        }
        if members.peek() == Some(&&idx) {
            members.next();
        } else {
            out.push(entry);
        }
    }
    out.extend(merged);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use spinn_arch::{CoreId, LinkDir};

    fn oc(key: u32, mask: u32, route: RouteSet) -> OcEntry {
        OcEntry {
            key,
            mask,
            route,
            sources: 1 << 6,
            aliases: vec![Pattern::new(key, mask)],
        }
    }

    fn routing(key: u32, mask: u32, route: RouteSet) -> RoutingEntry {
        RoutingEntry {
            key,
            mask,
            route,
            source: InputPort::Core(CoreId::new(0).expect("valid core")),
        }
    }

    fn north() -> RouteSet {
        RouteSet::link(LinkDir::N)
    }

    fn east() -> RouteSet {
        RouteSet::link(LinkDir::E)
    }

    #[test]
    fn generality_counts_dont_care_bits() {
        assert_eq!(oc(0, 0xffff_fff0, RouteSet::EMPTY).generality(), 4);
        assert_eq!(oc(0, 0, RouteSet::EMPTY).generality(), 32);
    }

    #[test]
    fn merged_entries_have_x_where_members_differ_and_go_above_equal_generality() {
        let table = vec![
            oc(0b0000, 0xf, east()),
            oc(0b0001, 0xf, east()),
            oc(0b0100, 0xd, north()),
            oc(0b1000, 0xc, north()),
        ];
        let merge = Merge::new(&table, vec![0, 1]);
        assert_eq!((merge.key, merge.mask), (0b0000, 0xe));
        // Generality 29 (28 high X bits + 1) sorts after 28 and before the 29s.
        assert_eq!(merge.insertion, 2);
        let merge = Merge::new(&table, vec![2, 3]);
        assert_eq!((merge.key, merge.mask), (0b0000, 0x0));
    }

    #[test]
    fn merging_keeps_routes_and_stops_at_the_target() {
        // Eight consecutive keys to the east and one to the north between them.
        let mut table: Vec<RoutingEntry> = (0..8).map(|k| routing(k, u32::MAX, east())).collect();
        table.push(routing(8, u32::MAX, north()));
        let full = ordered_covering(&table, 1);
        assert_eq!(full.len(), 2);
        assert_eq!(
            (full[0].key, full[0].mask, full[0].route),
            (8, u32::MAX, north())
        );
        assert_eq!(
            (full[1].key, full[1].mask, full[1].route),
            (0, 0xffff_fff8, east())
        );
        assert_eq!(full[1].aliases.len(), 8);
        // A target the table already meets changes nothing.
        assert_eq!(ordered_covering(&table, 9).len(), 9);
    }

    /// An entry standing for `aliases` only (as a merged entry does), with a wider pattern.
    fn merged(key: u32, mask: u32, route: RouteSet, aliases: &[(u32, u32)]) -> OcEntry {
        OcEntry {
            aliases: aliases.iter().map(|&(k, m)| Pattern::new(k, m)).collect(),
            ..oc(key, mask, route)
        }
    }

    #[test]
    fn the_down_check_shrinks_a_merge_that_would_catch_a_lower_entry() {
        // 0000 and 0011 go east; merging gives 00XX, placed above the north entry 0XXX, whose
        // real key 0001 it would catch. Fixing bit 1 or bit 0 each costs one member, so the
        // merge is abandoned as no better than nothing.
        let table = vec![
            oc(0b0000, 0xf, east()),
            oc(0b0011, 0xf, east()),
            merged(0b0000, 0x8, north(), &[(0b0001, 0xf)]),
        ];
        let merge = Merge::new(&table, vec![0, 1]);
        assert_eq!((merge.key, merge.mask, merge.insertion), (0, 0xc, 2));
        assert_eq!(down_check(&table, merge, 0), None);
        // With a third member 0010, the tie between bit 1 (drop 0000) and bit 0 (drop 0011)
        // goes to the more significant bit, leaving 001X, which misses 0001.
        let table = vec![
            oc(0b0000, 0xf, east()),
            oc(0b0010, 0xf, east()),
            oc(0b0011, 0xf, east()),
            merged(0b0000, 0x8, north(), &[(0b0001, 0xf)]),
        ];
        let refined = down_check(&table, Merge::new(&table, vec![0, 1, 2]), 0)
            .expect("a two-member merge survives");
        assert_eq!(refined.members, vec![1, 2]);
        assert_eq!((refined.key, refined.mask), (0b0010, 0xe));
    }

    #[test]
    fn entries_above_the_insertion_point_need_no_down_check() {
        // The north entry 0001 is less general than 00XX, so it stays above the merge and keeps
        // its key.
        let table = vec![
            oc(0b0000, 0xf, east()),
            oc(0b0011, 0xf, east()),
            oc(0b0001, 0xf, north()),
        ];
        let merge = Merge::new(&table, vec![0, 1]);
        assert_eq!(merge.insertion, 3);
        assert_eq!(down_check(&table, merge.clone(), 0), Some(merge));
    }

    #[test]
    fn a_covered_entry_with_no_settable_bit_aborts_the_merge() {
        // The merge 000X lies inside the north entry 0XXX below it: every bit the north entry
        // fixes is fixed the same way in the merge, so no bit can be set to avoid it.
        let table = vec![
            oc(0b0000, 0xf, east()),
            oc(0b0001, 0xf, east()),
            oc(0b0000, 0x8, north()),
        ];
        assert_eq!(down_check(&table, Merge::new(&table, vec![0, 1]), 0), None);
    }

    #[test]
    fn the_up_check_removes_members_that_would_sink_past_an_intersecting_entry() {
        // The merge of 00, 1X and XX is XX, inserted at the end; member 00 would move below the
        // north entry 0X, which intersects it, so 00 leaves the merge.
        let table = vec![
            oc(0b00, 0x3, east()),
            oc(0b00, 0x2, north()),
            oc(0b10, 0x2, east()),
            oc(0b00, 0x0, east()),
        ];
        let merge = Merge::new(&table, vec![0, 2, 3]);
        assert_eq!(merge.insertion, 3);
        let (refined, changed) = up_check(&table, merge, 0).expect("two members remain");
        assert!(changed);
        assert_eq!(refined.members, vec![2, 3]);
    }

    #[test]
    fn applying_a_merge_unions_sources_and_aliases() {
        let mut a = oc(0b00, 0x3, east());
        a.sources = 1 << LinkDir::W.index();
        let b = oc(0b01, 0x3, east());
        let table = vec![a, b, oc(0b10, 0x3, north())];
        let merge = Merge::new(&table, vec![0, 1]);
        let out = apply(table, merge);
        assert_eq!(out.len(), 2);
        assert_eq!((out[1].key, out[1].mask), (0b00, 0x2));
        assert_eq!(out[1].sources, 1 << LinkDir::W.index() | 1 << 6);
        assert_eq!(out[1].aliases, vec![Pattern::new(0, 3), Pattern::new(1, 3)]);
        assert!(!out[1].is_defaultable());
    }
}
