//! Routing-table minimisation (`spec/mapping.md` §6): make every chip's table fit its router.
//!
//! Per chip, as Rig's driver does (§6.1):
//!
//! 1. remove default routes; if the table now fits, that is the result;
//! 2. otherwise, where entries are disjoint aligned key blocks (generated tables), merge runs of
//!    one route into blocks that hold no other entry's keys ([`disjoint_merge()`]); if that fits,
//!    it is the result (this step is not Rig's: on a very large machine a chip holds thousands
//!    of straight-through entries, and step 3 then takes minutes and still does not fit);
//! 3. otherwise run ordered covering on the *original* table (it must still hold the
//!    defaultable entries, §6.2) until it fits the capacity, then remove default routes again;
//! 4. if that still does not fit, report the best size reached.
//!
//! A table is always at least default-route-reduced, so the reported sizes show what
//! minimisation did even where nothing had to be merged.

pub mod default_routes;
pub mod disjoint_merge;
pub mod ordered_covering;

pub use default_routes::remove_default_routes;
pub use disjoint_merge::disjoint_merge;
pub use ordered_covering::{ordered_covering, OcEntry};

use crate::compact::CompactTrees;
use crate::error::MinimiseError;
use crate::keys::KeyAllocation;
use crate::parallel::map_chunks;
use crate::tables::{EntryTables, RoutingEntry, RoutingTables};
use crate::ternary::Pattern;
use default_routes::{patterns_disjoint, without_default_routes};
use spinn_arch::ChipCoord;
use spinn_arch::McEntry;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The multicast entries a SpiNNaker-1 router offers applications (SpiNNMachine's 1023; the
/// 1024th is reserved).
pub const SPINNAKER1_TABLE_CAPACITY: usize = 1023;

/// How far to minimise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinimiseConfig {
    /// The most entries a chip's table may have.
    pub table_capacity: usize,
}

/// Minimises one chip's table to at most `capacity` entries, in priority order; `Err` carries
/// the smallest size reached.
pub fn minimise_table(table: &[RoutingEntry], capacity: usize) -> Result<Vec<McEntry>, usize> {
    let reduced = remove_default_routes(table);
    if reduced.len() <= capacity {
        return Ok(reduced.iter().map(RoutingEntry::to_mc_entry).collect());
    }
    // Linear, and on tables of thousands of straight-through entries far better than ordered
    // covering (which then takes minutes and must keep most of them).
    let merged = disjoint_merge(table);
    if let Some(merged) = merged.as_ref().filter(|m| m.len() <= capacity) {
        return Ok(merged.clone());
    }
    let covered = without_default_routes(&ordered_covering(table, capacity));
    if covered.len() <= capacity {
        return Ok(covered.iter().map(OcEntry::to_mc_entry).collect());
    }
    let best = covered.len().min(reduced.len());
    Err(merged.map_or(best, |m| best.min(m.len())))
}

/// Minimises every chip's table, or names the first chip (in coordinate order) that cannot fit.
///
/// Chips are independent, so they are minimised on all cores; the tables and the error reported
/// are those of a run on one thread.
pub fn minimise(tables: &EntryTables, cfg: MinimiseConfig) -> Result<RoutingTables, MinimiseError> {
    minimise_each(tables, cfg, |_, table| {
        minimise_table(table, cfg.table_capacity)
    })
}

/// Applies `minimise_chip` (the minimised table, or the entries it could not get below) to
/// every chip's table of `tables` on all cores; the tables, and the first chip in coordinate
/// order that cannot fit, are those of a run on one thread.
fn minimise_each(
    tables: &EntryTables,
    cfg: MinimiseConfig,
    minimise_chip: impl Fn(ChipCoord, &[RoutingEntry]) -> Result<Vec<McEntry>, usize> + Sync,
) -> Result<RoutingTables, MinimiseError> {
    let chips: Vec<_> = tables.chips.iter().collect();
    // Once a chunk has failed, later chunks cannot hold the first failure, so they are skipped;
    // earlier ones still run, so the error reported is the first in chip order.
    let first_failed = AtomicUsize::new(usize::MAX);
    let chunks = map_chunks(chips.len(), MINIMISE_CHUNK, |range| {
        let chunk = range.start / MINIMISE_CHUNK;
        let mut out = Vec::with_capacity(range.len());
        if chunk > first_failed.load(Ordering::Relaxed) {
            return out;
        }
        for &(&chip, table) in &chips[range] {
            let result = minimise_chip(chip, table)
                .map(|minimised| (chip, minimised))
                .map_err(|n_entries| MinimiseError::TableTooLarge {
                    chip,
                    n_entries,
                    capacity: cfg.table_capacity,
                });
            let failed = result.is_err();
            out.push(result);
            if failed {
                first_failed.fetch_min(chunk, Ordering::Relaxed);
                break;
            }
        }
        out
    });
    let mut out = RoutingTables::default();
    for result in chunks.into_iter().flatten() {
        let (chip, minimised) = result?;
        if !minimised.is_empty() {
            out.chips.insert(chip, minimised);
        }
    }
    Ok(out)
}

/// Chips per unit of parallel work.
const MINIMISE_CHUNK: usize = 64;

/// [`minimise`] of the tables the fused routing stage describes: `kept` as
/// [`crate::route::Routed::kept_tables`] gives them, the whole tables being those `trees`
/// generate for `keys`. The result, and the error, are those of [`minimise`] on the whole
/// tables.
///
/// When no two key blocks overlap (as [`crate::allocate_keys`] makes them), default-route
/// removal leaves exactly the kept entries, so only a table still too big after it is rebuilt
/// whole, for ordered covering; otherwise every table is.
pub fn minimise_kept(
    kept: &EntryTables,
    trees: &CompactTrees,
    keys: &KeyAllocation,
    cfg: MinimiseConfig,
) -> Result<RoutingTables, MinimiseError> {
    let disjoint = patterns_disjoint(
        keys.iter().map(|(_, b)| Pattern::new(b.base, b.mask)),
        keys.len(),
    );
    if !disjoint {
        return minimise(&trees.unminimised(keys), cfg);
    }
    let too_big: Vec<ChipCoord> = kept
        .chips
        .iter()
        .filter(|(_, t)| t.len() > cfg.table_capacity)
        .map(|(&chip, _)| chip)
        .collect();
    let whole = trees.tables_of(&too_big, keys);
    minimise_each(kept, cfg, |chip, table| match whole.get(&chip) {
        Some(table) => minimise_table(table, cfg.table_capacity),
        None => Ok(table.iter().map(RoutingEntry::to_mc_entry).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use spinn_arch::{ChipCoord, CoreId, InputPort, LinkDir, RouteSet};

    fn from_core(key: u32, route: RouteSet) -> RoutingEntry {
        RoutingEntry {
            key,
            mask: u32::MAX,
            route,
            source: InputPort::Core(CoreId::new(1).expect("valid core")),
        }
    }

    fn through(key: u32) -> RoutingEntry {
        RoutingEntry {
            key,
            mask: u32::MAX,
            route: RouteSet::link(LinkDir::E),
            source: InputPort::Link(LinkDir::W),
        }
    }

    #[test]
    fn default_route_removal_alone_is_used_when_it_fits() {
        let north = RouteSet::link(LinkDir::N);
        let table = vec![from_core(0, north), through(1), from_core(2, north)];
        let out = minimise_table(&table, 2).expect("fits after removing the default route");
        assert_eq!(out, vec![table[0].to_mc_entry(), table[2].to_mc_entry()]);
    }

    #[test]
    fn disjoint_merging_runs_when_default_removal_is_not_enough() {
        // Nothing else is in the table, so the merged block may take every key.
        let north = RouteSet::link(LinkDir::N);
        let table: Vec<RoutingEntry> = (0..4).map(|k| from_core(k, north)).collect();
        let out = minimise_table(&table, 1).expect("four keys merge into one entry");
        assert_eq!(out, vec![McEntry::new(0, 0, north).expect("valid entry")]);
    }

    #[test]
    fn ordered_covering_runs_where_disjoint_merging_cannot() {
        // Keys {0, 2} and {1, 3} go north: masks that are not prefixes, so disjoint merging
        // refuses the table and ordered covering merges the two.
        let north = RouteSet::link(LinkDir::N);
        let table: Vec<RoutingEntry> = (0..2)
            .map(|k| RoutingEntry {
                mask: 0xffff_fffd,
                ..from_core(k, north)
            })
            .collect();
        assert_eq!(disjoint_merge(&table), None);
        let out = minimise_table(&table, 1).expect("two entries merge into one");
        assert_eq!(
            out,
            vec![McEntry::new(0, 0xffff_fffc, north).expect("valid entry")]
        );
    }

    #[test]
    fn unmergeable_tables_report_the_best_size_and_the_chip() {
        let table: Vec<RoutingEntry> = (0..4)
            .map(|k| {
                let core = CoreId::new(k as usize + 1).expect("valid core");
                from_core(k, RouteSet::core(core))
            })
            .collect();
        assert_eq!(minimise_table(&table, 3), Err(4));
        let mut tables = EntryTables::default();
        let chip = ChipCoord::new(2, 1);
        tables.chips.insert(chip, table);
        assert_eq!(
            minimise(&tables, MinimiseConfig { table_capacity: 3 }),
            Err(MinimiseError::TableTooLarge {
                chip,
                n_entries: 4,
                capacity: 3
            })
        );
    }

    #[test]
    fn default_routes_are_removed_after_covering() {
        // Keys 0-3 go north from a core; key 4 passes straight through. Covering to two
        // entries merges the four, and the straight-through entry then goes too.
        let north = RouteSet::link(LinkDir::N);
        let mut table: Vec<RoutingEntry> = (0..4).map(|k| from_core(k, north)).collect();
        table.push(through(4));
        table.push(through(5));
        let out = minimise_table(&table, 3).expect("fits");
        assert_eq!(
            out,
            vec![McEntry::new(0, 0xffff_fffc, north).expect("valid entry")]
        );
    }
}
