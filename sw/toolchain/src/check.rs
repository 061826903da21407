//! The table checker: proves the loaded tables deliver every partition's keys exactly to its
//! targets (`spec/mapping.md` §7; PACMAN's `validate_routes` and symbolic `compare_tables`).
//!
//! For each partition the whole aligned key block leaves the source core as one ternary
//! pattern and is followed through the real router semantics: at each chip the first matching
//! entry wins; keys no entry matches go straight on if they came from a link and are dropped
//! (an error) if they came from a core.
//! A pattern is split only where an entry covers part of it, so a block normally travels whole
//! and the cost is independent of `n_keys`.
//! Only the keys the source really sends (`base..base + n_keys`) count: a piece holding none of
//! them is not followed, and errors and delivery counts look only at real keys.
//!
//! It fails when a key misses a target core, reaches any other core, reaches a chip twice (a
//! loop, or two paths that meet, either of which duplicates packets), leaves through a dead or
//! absent link, or is dropped at its source chip.
//! [`check_equivalent`] separately proves that a minimised table routes every key of the
//! original entries as the original does.

use crate::error::CheckError;
use crate::graph::{MachineGraph, VertexId};
use crate::keys::KeyAllocation;
use crate::place::Placements;
use crate::tables::{RoutingEntry, RoutingTables};
use crate::ternary::Pattern;
use spinn_arch::{ChipCoord, CoreId, InputPort, Machine, McEntry, OutputPort, RouteSet};
use std::collections::BTreeMap;

/// What the checker covered, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckSummary {
    pub n_partitions: usize,
    /// Router lookups made, one per (pattern, chip) arrival.
    pub n_lookups: usize,
    /// Deliveries of a pattern to a core.
    pub n_deliveries: usize,
}

/// Splits `pattern` by which entry of `table` matches its keys first, appending each piece
/// with the matching entry's route, or `None` for keys no entry matches.
pub fn lookup_pattern(
    table: &[McEntry],
    pattern: Pattern,
    out: &mut Vec<(Pattern, Option<RouteSet>)>,
) {
    let mut pending = vec![(pattern, 0)];
    let mut rest = Vec::new();
    while let Some((piece, start)) = pending.pop() {
        let hit = table[start..]
            .iter()
            .enumerate()
            .find_map(|(offset, entry)| {
                let entry_pattern = Pattern::new(entry.key(), entry.mask());
                piece
                    .intersection(entry_pattern)
                    .map(|matched| (start + offset, entry_pattern, matched, entry.route()))
            });
        match hit {
            None => out.push((piece, None)),
            Some((idx, entry_pattern, matched, route)) => {
                out.push((matched, Some(route)));
                // The keys this entry does not match carry on down the table; no earlier entry
                // matched any key of `piece`.
                rest.clear();
                piece.subtract(entry_pattern, &mut rest);
                pending.extend(rest.iter().map(|&p| (p, idx + 1)));
            }
        }
    }
}

/// Follows every partition's keys through `tables` and fails on the first key that does not
/// reach exactly its targets.
pub fn check(
    machine: &Machine,
    graph: &MachineGraph,
    placements: &Placements,
    keys: &KeyAllocation,
    tables: &RoutingTables,
) -> Result<CheckSummary, CheckError> {
    let mut summary = CheckSummary::default();
    let mut pieces = Vec::new();
    for (id, partition) in graph.partitions() {
        let label = || graph.partition_label(id);
        let block = keys
            .get(id)
            .ok_or_else(|| CheckError::NoKeyBlock { partition: label() })?;
        let placed = |v: VertexId| {
            placements.get(v).ok_or_else(|| CheckError::Unplaced {
                partition: label(),
                vertex: graph.vertex(v).name.clone(),
            })
        };
        let source = placed(partition.source)?;
        let mut targets: BTreeMap<(ChipCoord, CoreId), VertexId> = BTreeMap::new();
        for &target in &partition.targets {
            let at = placed(target)?;
            targets.insert((at.chip, at.core), target);
        }

        // The real keys as disjoint aligned patterns; a piece's real keys are its
        // intersections with these.
        let real = Pattern::cover_range(block.base, block.n_keys);
        let lowest_real = |p: Pattern| {
            real.iter()
                .filter_map(|r| r.intersection(p))
                .map(Pattern::lowest_key)
                .min()
        };
        // Per chip, the patterns that have arrived there; per target core, the number of real
        // keys delivered.
        let mut arrived: BTreeMap<ChipCoord, Vec<Pattern>> = BTreeMap::new();
        let mut delivered: BTreeMap<(ChipCoord, CoreId), Vec<Pattern>> = BTreeMap::new();
        let whole = Pattern::new(block.base & block.mask, block.mask);
        let mut pending = vec![(whole, source.chip, InputPort::Core(source.core))];
        while let Some((pattern, chip, came_from)) = pending.pop() {
            let before = arrived.entry(chip).or_default();
            if let Some(key) = before
                .iter()
                .filter_map(|p| p.intersection(pattern))
                .find_map(lowest_real)
            {
                return Err(CheckError::Loop {
                    partition: label(),
                    key,
                    chip,
                });
            }
            before.push(pattern);
            summary.n_lookups += 1;
            pieces.clear();
            lookup_pattern(tables.entries(chip), pattern, &mut pieces);
            for &(piece, route) in &pieces {
                // Keys the source never sends may go anywhere.
                let Some(key) = lowest_real(piece) else {
                    continue;
                };
                let route = match (route, came_from) {
                    (Some(route), _) => route,
                    (None, InputPort::Link(link)) => RouteSet::link(link.opposite()),
                    (None, InputPort::Core(_)) => {
                        return Err(CheckError::Dropped {
                            partition: label(),
                            key,
                            chip,
                        })
                    }
                };
                for port in route.iter() {
                    match port {
                        OutputPort::Link(link) => {
                            let far = machine.neighbour(chip, link).ok_or_else(|| {
                                CheckError::BadLink {
                                    partition: label(),
                                    key,
                                    chip,
                                    link,
                                }
                            })?;
                            pending.push((piece, far, InputPort::Link(link.opposite())));
                        }
                        OutputPort::Core(core) => {
                            if !targets.contains_key(&(chip, core)) {
                                return Err(CheckError::ExtraCore {
                                    partition: label(),
                                    key,
                                    chip,
                                    core,
                                });
                            }
                            summary.n_deliveries += 1;
                            delivered.entry((chip, core)).or_default().push(piece);
                        }
                    }
                }
            }
        }

        // Each chip received disjoint patterns and routes each key once, so the patterns a
        // core received are disjoint: it has every real key exactly when their real keys add
        // up to `n_keys`.
        for (&(chip, core), &vertex) in &targets {
            let got = delivered.get(&(chip, core)).map_or(&[][..], Vec::as_slice);
            let n_got: u64 = got
                .iter()
                .flat_map(|p| real.iter().filter_map(|r| r.intersection(*p)))
                .map(Pattern::n_keys)
                .sum();
            if n_got < u64::from(block.n_keys) {
                return Err(CheckError::MissedTarget {
                    partition: label(),
                    key: first_missing(block.base, block.n_keys, got),
                    vertex: graph.vertex(vertex).name.clone(),
                    chip,
                    core,
                });
            }
        }
        summary.n_partitions += 1;
    }
    Ok(summary)
}

/// The lowest key of `base..base + n_keys` in none of `got`.
fn first_missing(base: u32, n_keys: u32, got: &[Pattern]) -> u32 {
    let mut missing = Pattern::cover_range(base, n_keys);
    let mut next = Vec::new();
    for &p in got {
        next.clear();
        for &m in &missing {
            m.subtract(p, &mut next);
        }
        std::mem::swap(&mut missing, &mut next);
    }
    missing
        .iter()
        .map(|p| p.lowest_key())
        .min()
        .expect("invariant: called only when some key is missing")
}

/// Proves that `minimised` routes every key matched by an entry of `original` (on `chip`) as
/// `original` does, counting default routing on both sides.
pub fn check_equivalent(
    chip: ChipCoord,
    original: &[RoutingEntry],
    minimised: &[McEntry],
) -> Result<(), CheckError> {
    let mut own = Vec::new();
    let mut next = Vec::new();
    let mut pieces = Vec::new();
    for (idx, entry) in original.iter().enumerate() {
        // The keys this entry decides: its pattern less anything an earlier entry matches.
        own.clear();
        own.push(entry.pattern());
        for earlier in &original[..idx] {
            next.clear();
            for &p in &own {
                p.subtract(earlier.pattern(), &mut next);
            }
            std::mem::swap(&mut own, &mut next);
        }
        for &p in &own {
            pieces.clear();
            lookup_pattern(minimised, p, &mut pieces);
            for &(piece, got) in &pieces {
                let got = match (got, entry.source) {
                    (Some(route), _) => route,
                    (None, InputPort::Link(link)) => RouteSet::link(link.opposite()),
                    (None, InputPort::Core(_)) => {
                        return Err(CheckError::DroppedAfterMinimisation {
                            chip,
                            key: piece.lowest_key(),
                            expected: entry.route,
                        })
                    }
                };
                if got != entry.route {
                    return Err(CheckError::NotEquivalent {
                        chip,
                        key: piece.lowest_key(),
                        expected: entry.route,
                        got,
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Partition, Resources, Vertex};
    use crate::{map, MapConfig, Mapping};
    use spinn_arch::{LinkDir, Wrap};

    fn c(x: u16, y: u16) -> ChipCoord {
        ChipCoord::new(x, y)
    }

    fn core(i: usize) -> CoreId {
        CoreId::new(i).expect("core index below 18")
    }

    fn entry(key: u32, mask: u32, route: RouteSet) -> McEntry {
        McEntry::new(key, mask, route).expect("valid entry")
    }

    /// A 4x4 mesh with `src` and `local` on (0, 0), `a` on (2, 0) and `b` on (0, 2).
    /// Partition P (keys 0..2^20) goes from `src` to `a` and `local`; Q (100 keys from 2^20)
    /// goes to `b`. Minimised, (0, 0) holds P → E + core 2 and Q → N, (2, 0) and (0, 2) deliver
    /// to core 1, and the chips in between are left to default routing.
    fn scenario() -> (Machine, MachineGraph, Mapping) {
        let machine = Machine::torus(4, 4, Wrap::NONE).unwrap();
        let mut graph = MachineGraph::new();
        let mut add = |name: &str, chip| {
            graph.add_vertex(Vertex {
                name: name.to_string(),
                resources: Resources {
                    dtcm_bytes: 0,
                    sdram_bytes: 0,
                },
                chip: Some(chip),
            })
        };
        let src = add("src", c(0, 0));
        let a = add("a", c(2, 0));
        let b = add("b", c(0, 2));
        let local = add("local", c(0, 0));
        for (name, n_keys, targets) in [("p", 1 << 20, vec![a, local]), ("q", 100, vec![b])] {
            graph
                .add_partition(Partition {
                    source: src,
                    name: name.to_string(),
                    n_keys,
                    targets,
                })
                .expect("valid partition");
        }
        let mapping = map(&machine, &graph, MapConfig::SPINNAKER1).expect("maps");
        (machine, graph, mapping)
    }

    fn check_with(
        machine: &Machine,
        graph: &MachineGraph,
        mapping: &Mapping,
        tables: &RoutingTables,
    ) -> Result<CheckSummary, CheckError> {
        check(machine, graph, &mapping.placements, &mapping.keys, tables)
    }

    #[test]
    fn the_scenario_has_the_expected_tables_and_checks_in_few_lookups() {
        let (machine, graph, mapping) = scenario();
        let p_route = RouteSet::link(LinkDir::E).with(OutputPort::Core(core(2)));
        assert_eq!(
            mapping.tables.entries(c(0, 0)),
            &[
                entry(0, 0xfff0_0000, p_route),
                entry(1 << 20, 0xffff_ff80, RouteSet::link(LinkDir::N))
            ]
        );
        assert_eq!(
            mapping.tables.entries(c(2, 0)),
            &[entry(0, 0xfff0_0000, RouteSet::core(core(1)))]
        );
        assert!(mapping.tables.entries(c(1, 0)).is_empty());
        let summary = check_with(&machine, &graph, &mapping, &mapping.tables).expect("valid");
        // Each block travels as one pattern over its 3 chips.
        assert_eq!(
            summary,
            CheckSummary {
                n_partitions: 2,
                n_lookups: 6,
                n_deliveries: 3
            }
        );
    }

    #[test]
    fn a_missing_source_entry_drops_the_keys() {
        let (machine, graph, mapping) = scenario();
        let mut tables = mapping.tables.clone();
        tables
            .chips
            .get_mut(&c(0, 0))
            .expect("has a table")
            .remove(0);
        assert_eq!(
            check_with(&machine, &graph, &mapping, &tables),
            Err(CheckError::Dropped {
                partition: "src/p".to_string(),
                key: 0,
                chip: c(0, 0)
            })
        );
    }

    #[test]
    fn a_missing_sink_entry_sends_the_keys_straight_off_the_edge() {
        let (machine, graph, mapping) = scenario();
        let mut tables = mapping.tables.clone();
        tables.chips.remove(&c(2, 0));
        let err = check_with(&machine, &graph, &mapping, &tables).unwrap_err();
        assert_eq!(
            err,
            CheckError::BadLink {
                partition: "src/p".to_string(),
                key: 0,
                chip: c(3, 0),
                link: LinkDir::E
            }
        );
        assert_eq!(
            err.to_string(),
            "partition src/p: key 0x00000000 leaves chip (3, 0) through link E, which is dead or \
             absent"
        );
    }

    #[test]
    fn flipped_route_bits_reach_extra_cores_or_miss_targets() {
        let (machine, graph, mapping) = scenario();
        let mut tables = mapping.tables.clone();
        tables.chips.insert(
            c(2, 0),
            vec![entry(
                0,
                0xfff0_0000,
                RouteSet::core(core(1)).with(OutputPort::Core(core(3))),
            )],
        );
        assert_eq!(
            check_with(&machine, &graph, &mapping, &tables),
            Err(CheckError::ExtraCore {
                partition: "src/p".to_string(),
                key: 0,
                chip: c(2, 0),
                core: core(3)
            })
        );

        let mut tables = mapping.tables.clone();
        tables.chips.get_mut(&c(0, 0)).expect("has a table")[1] =
            entry(1 << 20, 0xffff_ff80, RouteSet::EMPTY);
        assert_eq!(
            check_with(&machine, &graph, &mapping, &tables),
            Err(CheckError::MissedTarget {
                partition: "src/q".to_string(),
                key: 1 << 20,
                vertex: "b".to_string(),
                chip: c(0, 2),
                core: core(1)
            })
        );
    }

    #[test]
    fn an_entry_covering_part_of_a_block_splits_it_and_names_the_first_lost_key() {
        let (machine, graph, mapping) = scenario();
        let mut tables = mapping.tables.clone();
        // Keys 0x80000..0xfffff stop at (2, 0) without reaching core 1.
        tables
            .chips
            .get_mut(&c(2, 0))
            .expect("has a table")
            .insert(0, entry(0x8_0000, 0xfff8_0000, RouteSet::EMPTY));
        assert_eq!(
            check_with(&machine, &graph, &mapping, &tables),
            Err(CheckError::MissedTarget {
                partition: "src/p".to_string(),
                key: 0x8_0000,
                vertex: "a".to_string(),
                chip: c(2, 0),
                core: core(1)
            })
        );
    }

    #[test]
    fn a_route_back_towards_the_source_is_a_loop() {
        let (machine, graph, mapping) = scenario();
        let mut tables = mapping.tables.clone();
        tables.chips.insert(
            c(2, 0),
            vec![entry(0, 0xfff0_0000, RouteSet::link(LinkDir::W))],
        );
        assert_eq!(
            check_with(&machine, &graph, &mapping, &tables),
            Err(CheckError::Loop {
                partition: "src/p".to_string(),
                key: 0,
                chip: c(1, 0)
            })
        );
    }

    #[test]
    fn entry_order_matters_and_a_reordered_table_is_caught() {
        let (machine, graph, mapping) = scenario();
        let p_route = RouteSet::link(LinkDir::E).with(OutputPort::Core(core(2)));
        // Q's entry widened to a catch-all is still right below P's entry...
        let ordered = vec![
            entry(0, 0xfff0_0000, p_route),
            entry(0, 0, RouteSet::link(LinkDir::N)),
        ];
        let mut tables = mapping.tables.clone();
        tables.chips.insert(c(0, 0), ordered.clone());
        assert!(check_with(&machine, &graph, &mapping, &tables).is_ok());
        // ...but above it, it sends P's keys north, past (0, 2) and off the edge.
        tables
            .chips
            .insert(c(0, 0), ordered.into_iter().rev().collect());
        assert_eq!(
            check_with(&machine, &graph, &mapping, &tables),
            Err(CheckError::BadLink {
                partition: "src/p".to_string(),
                key: 0,
                chip: c(0, 3),
                link: LinkDir::N
            })
        );
    }

    #[test]
    fn minimised_tables_are_equivalent_and_broken_ones_are_not() {
        let (_, _, mapping) = scenario();
        for (chip, original) in &mapping.unminimised.chips {
            check_equivalent(*chip, original, mapping.tables.entries(*chip))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let original = &mapping.unminimised.chips[&c(0, 0)];
        let mut broken = mapping.tables.entries(c(0, 0)).to_vec();
        broken[1] = entry(1 << 20, 0xffff_ff80, RouteSet::link(LinkDir::NE));
        assert_eq!(
            check_equivalent(c(0, 0), original, &broken),
            Err(CheckError::NotEquivalent {
                chip: c(0, 0),
                key: 1 << 20,
                expected: RouteSet::link(LinkDir::N),
                got: RouteSet::link(LinkDir::NE)
            })
        );
        broken.remove(0);
        assert_eq!(
            check_equivalent(c(0, 0), original, &broken),
            Err(CheckError::DroppedAfterMinimisation {
                chip: c(0, 0),
                key: 0,
                expected: RouteSet::link(LinkDir::E).with(OutputPort::Core(core(2)))
            })
        );
    }

    #[test]
    fn lookups_split_patterns_by_the_first_matching_entry() {
        let table = [
            entry(0x10, 0xf0, RouteSet::link(LinkDir::E)),
            entry(0x00, 0x00, RouteSet::link(LinkDir::N)),
        ];
        let mut out = Vec::new();
        lookup_pattern(&table, Pattern::new(0x00, 0xe0), &mut out);
        out.sort();
        assert_eq!(
            out,
            vec![
                (Pattern::new(0x00, 0xf0), Some(RouteSet::link(LinkDir::N))),
                (Pattern::new(0x10, 0xf0), Some(RouteSet::link(LinkDir::E))),
            ]
        );
        out.clear();
        lookup_pattern(&table[..1], Pattern::new(0x20, 0xf0), &mut out);
        assert_eq!(out, vec![(Pattern::new(0x20, 0xf0), None)]);
    }
}
