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

use crate::compact::Geometry;
use crate::error::CheckError;
use crate::graph::{MachineGraph, PartitionId, VertexId};
use crate::keys::KeyAllocation;
use crate::parallel::{map_chunks, map_chunks_with};
use crate::place::Placements;
use crate::tables::{RoutingEntry, RoutingTables};
use crate::ternary::Pattern;
use spinn_arch::{ChipCoord, CoreId, InputPort, LinkDir, Machine, McEntry, OutputPort, RouteSet};

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
    let mut scratch = LookupScratch {
        candidates: (0..table.len() as u32).collect(),
        ..LookupScratch::default()
    };
    lookup_in(table, pattern, &mut scratch, out);
}

/// Follows every partition's keys through `tables` and fails on the first key (in partition
/// order) that does not reach exactly its targets.
///
/// Partitions are independent, so they are checked on all cores; the summary and the error
/// reported are those of a run on one thread.
pub fn check(
    machine: &Machine,
    graph: &MachineGraph,
    placements: &Placements,
    keys: &KeyAllocation,
    tables: &RoutingTables,
) -> Result<CheckSummary, CheckError> {
    let index = IndexedTables::new(machine, keys, tables);
    let init = || Scratch::new(machine.n_chips());
    // Stamps are partition ids, so what earlier chunks left in the scratch never matches.
    let (chunks, _) = map_chunks_with(graph.n_partitions(), CHECK_CHUNK, init, |scratch, range| {
        let mut summary = CheckSummary::default();
        for id in range {
            let id = PartitionId(id as u32);
            check_partition(
                machine,
                graph,
                placements,
                keys,
                &index,
                id,
                scratch,
                &mut summary,
            )?;
            summary.n_partitions += 1;
        }
        Ok(summary)
    });
    let mut summary = CheckSummary::default();
    for chunk in chunks {
        let part = chunk?;
        summary.n_partitions += part.n_partitions;
        summary.n_lookups += part.n_lookups;
        summary.n_deliveries += part.n_deliveries;
    }
    Ok(summary)
}

/// Partitions per unit of parallel work: enough to amortise taking a chunk, few enough to
/// balance the threads.
const CHECK_CHUNK: usize = 512;

/// Per-thread working memory of the checker, reused from partition to partition.
struct Scratch {
    /// Per dense chip index (plus one slot for a source chip that is not live): the partition
    /// stamp of the latest arrival and the index of the chip's last arrival in `arrivals`.
    /// Third, the stamp of the partition being followed if the chip holds an entry listed
    /// under it (together, so a hop touches one place).
    heads: Vec<(u32, u32, u32)>,
    /// The patterns that have arrived, each linked to the previous one at the same chip.
    arrivals: Vec<(Pattern, u32)>,
    pending: Vec<(Pattern, usize, InputPort)>,
    pieces: Vec<(Pattern, Option<RouteSet>)>,
    lookup: LookupScratch,
    /// Per target core, the patterns delivered to it.
    delivered: Vec<((ChipCoord, CoreId), Pattern)>,
}

/// The ports of `route` in index order (links first), as [`RouteSet::iter`] gives them,
/// visiting only the bits that are set.
fn ports(route: RouteSet) -> impl Iterator<Item = OutputPort> {
    let mut bits = route.bits();
    std::iter::from_fn(move || {
        if bits == 0 {
            return None;
        }
        let i = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        Some(match LinkDir::from_index(i) {
            Some(link) => OutputPort::Link(link),
            None => OutputPort::Core(
                CoreId::new(i - LinkDir::ALL.len()).expect("invariant: routes name real cores"),
            ),
        })
    })
}

/// Marks the end of a chip's chain of arrivals.
const NO_ARRIVAL: u32 = u32::MAX;

impl Scratch {
    fn new(n_chips: usize) -> Scratch {
        Scratch {
            heads: vec![(u32::MAX, NO_ARRIVAL, u32::MAX); n_chips + 1],
            arrivals: Vec::new(),
            pending: Vec::new(),
            pieces: Vec::new(),
            lookup: LookupScratch::default(),
            delivered: Vec::new(),
        }
    }
}

/// Follows one partition's keys; adds its lookups and deliveries to `summary`.
#[allow(clippy::too_many_arguments)]
fn check_partition(
    machine: &Machine,
    graph: &MachineGraph,
    placements: &Placements,
    keys: &KeyAllocation,
    index: &IndexedTables,
    id: PartitionId,
    scratch: &mut Scratch,
    summary: &mut CheckSummary,
) -> Result<(), CheckError> {
    let partition = graph.partition(id);
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
    // Sorted by core; a core holding two targets counts once, as the later vertex.
    let mut targets: Vec<((ChipCoord, CoreId), VertexId)> =
        Vec::with_capacity(partition.targets.len());
    for &target in &partition.targets {
        let at = placed(target)?;
        targets.push(((at.chip, at.core), target));
    }
    targets.reverse();
    targets.sort_by_key(|t| t.0);
    targets.dedup_by_key(|t| t.0);

    // The real keys as disjoint aligned patterns; a piece's real keys are its intersections
    // with these.
    let real = Pattern::cover_range(block.base, block.n_keys);
    let lowest_real = |p: Pattern| {
        real.iter()
            .filter_map(|r| r.intersection(p))
            .map(Pattern::lowest_key)
            .min()
    };
    // Which arrival chain a chip's patterns are on: live chips by dense index, a source chip
    // outside the machine in the spare last slot (no link reaches such a chip).
    let stamp = id.0;
    let slot_of = |chip: ChipCoord| machine.chip_index(chip).unwrap_or(machine.n_chips());
    let Scratch {
        heads,
        arrivals,
        pending,
        pieces,
        lookup,
        delivered,
    } = scratch;
    arrivals.clear();
    delivered.clear();
    pending.clear();
    let whole = Pattern::new(block.base & block.mask, block.mask);
    let chip_of = |slot: usize| {
        if slot < machine.n_chips() {
            machine.chip_at(slot)
        } else {
            source.chip
        }
    };
    if let Some(by_partition) = &index.by_partition {
        for dense in by_partition.chips(id) {
            heads[dense].2 = stamp;
        }
    }
    pending.push((whole, slot_of(source.chip), InputPort::Core(source.core)));
    while let Some((pattern, mut slot, mut came_from)) = pending.pop() {
        // A pattern arriving from a link on a chip with no entry for this partition goes
        // straight on whole: followed here in a loop over dense chip indices, which is what
        // the general path below does one push and pop at a time (the piece pushed is the
        // one popped next), without the lookup.
        // Where the loop is, when the index steps by geometry (see `IndexedTables::step`).
        let mut here = chip_of(slot);
        while let (InputPort::Link(link), Some(dense)) =
            (came_from, index.straight(slot, heads[slot].2 == stamp))
        {
            let (head_stamp, _, _) = heads[slot];
            if head_stamp == stamp {
                // Something of this partition came here before: the general path decides.
                break;
            }
            (heads[slot].0, heads[slot].1) = (stamp, arrivals.len() as u32);
            arrivals.push((pattern, NO_ARRIVAL));
            summary.n_lookups += 1;
            let out = link.opposite();
            match index.step(dense, &mut here, out) {
                Some(far) => {
                    slot = far;
                    came_from = InputPort::Link(link);
                }
                None => {
                    return Err(CheckError::BadLink {
                        partition: label(),
                        key: lowest_real(pattern)
                            .expect("invariant: only pieces holding real keys are followed"),
                        chip: chip_of(slot),
                        link: out,
                    })
                }
            }
        }
        let chip = chip_of(slot);
        let (head_stamp, head, _) = heads[slot];
        // The chain runs newest first; the error names the key shared with the earliest
        // arrival that shares one.
        let mut at = if head_stamp == stamp {
            head
        } else {
            NO_ARRIVAL
        };
        let mut looped = None;
        while at != NO_ARRIVAL {
            let (before, previous) = arrivals[at as usize];
            if let Some(key) = before.intersection(pattern).and_then(lowest_real) {
                looped = Some(key);
            }
            at = previous;
        }
        if let Some(key) = looped {
            return Err(CheckError::Loop {
                partition: label(),
                key,
                chip,
            });
        }
        let previous = if head_stamp == stamp {
            head
        } else {
            NO_ARRIVAL
        };
        (heads[slot].0, heads[slot].1) = (stamp, arrivals.len() as u32);
        arrivals.push((pattern, previous));
        summary.n_lookups += 1;
        pieces.clear();
        index.lookup(id, slot, chip, pattern, lookup, pieces);
        for &(piece, route) in pieces.iter() {
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
            for port in ports(route) {
                match port {
                    OutputPort::Link(link) => {
                        // What `machine.neighbour` gives, from the index's table.
                        let far = (slot < machine.n_chips())
                            .then(|| index.next(slot, link))
                            .flatten()
                            .ok_or_else(|| CheckError::BadLink {
                                partition: label(),
                                key,
                                chip,
                                link,
                            })?;
                        pending.push((piece, far, InputPort::Link(link.opposite())));
                    }
                    OutputPort::Core(core) => {
                        if targets
                            .binary_search_by_key(&(chip, core), |t| t.0)
                            .is_err()
                        {
                            return Err(CheckError::ExtraCore {
                                partition: label(),
                                key,
                                chip,
                                core,
                            });
                        }
                        summary.n_deliveries += 1;
                        delivered.push(((chip, core), piece));
                    }
                }
            }
        }
    }

    // Each chip received disjoint patterns and routes each key once, so the patterns a core
    // received are disjoint: it has every real key exactly when their real keys add up to
    // `n_keys`.
    delivered.sort_by_key(|d| d.0);
    let mut got = Vec::new();
    for &((chip, core), vertex) in &targets {
        let from = delivered.partition_point(|d| d.0 < (chip, core));
        let to = delivered.partition_point(|d| d.0 <= (chip, core));
        got.clear();
        got.extend(delivered[from..to].iter().map(|d| d.1));
        let n_got: u64 = got
            .iter()
            .flat_map(|p| real.iter().filter_map(|r| r.intersection(*p)))
            .map(Pattern::n_keys)
            .sum();
        if n_got < u64::from(block.n_keys) {
            return Err(CheckError::MissedTarget {
                partition: label(),
                key: first_missing(block.base, block.n_keys, &got),
                vertex: graph.vertex(vertex).name.clone(),
                chip,
                core,
            });
        }
    }
    Ok(())
}

/// Every chip's final table with its entries indexed by key prefix, so a lookup considers
/// only the entries whose keys can meet the pattern looked up, not the whole table.
struct IndexedTables<'a> {
    tables: &'a RoutingTables,
    /// By dense chip index: the chip's entries (empty if it has no table) and their index.
    by_chip: Vec<(&'a [McEntry], PrefixIndex)>,
    /// The same entries grouped by the partition whose key block they meet, when the key
    /// blocks are disjoint (as [`crate::allocate_keys`] makes them).
    by_partition: Option<PartitionIndex>,
    /// Per dense chip index and link, the dense index of the live chip that link reaches, or
    /// [`NO_CHIP`]: packets going straight through are followed by array lookups alone.
    next: Vec<u32>,
    /// Per dense chip index: a bit per live link (by link index) and [`WIDE_BIT`] if the
    /// chip has wide entries.
    flags: Vec<u8>,
    /// The machine's box, if every chip in it is live (then dense indices are box slots).
    grid: Option<Geometry>,
}

/// The bit of `IndexedTables::flags` saying a chip has wide entries.
const WIDE_BIT: u8 = 7;

/// No live chip at the far end of a link.
const NO_CHIP: u32 = u32::MAX;

/// Words per chip in `IndexedTables::next`: the far chip of each link, then whether the chip
/// has wide entries, padded so a chip's words share a cache line.
const NEXT_STRIDE: usize = 8;
/// Where in a chip's words of `IndexedTables::next` its wide flag is.
const WIDE_AT: usize = 6;

/// The entries of every chip grouped by partition, so following one partition reads one short
/// contiguous list instead of searching each chip's table.
///
/// An entry whose prefix block meets exactly one partition's key block is listed under that
/// partition; one meeting several is listed under its chip as *wide* and considered for every
/// partition there; one meeting none can never match a partition's keys.
struct PartitionIndex {
    /// Per partition id, the range of `items` holding its entries.
    offsets: Vec<u32>,
    /// (dense chip index, entry index), by partition, then chip, then entry.
    items: Vec<(u32, u32)>,
    /// The entries `items` name, in the same order: following a partition then reads them
    /// in sequence instead of from every chip's table.
    entries: Vec<McEntry>,
    /// Per dense chip index, the range of `wide_items` holding its wide entries.
    wide_offsets: Vec<u32>,
    /// Entry indices of the wide entries, by chip, then entry.
    wide_items: Vec<u32>,
}

impl PartitionIndex {
    /// `None` if two partitions' key blocks overlap.
    fn new(keys: &KeyAllocation, by_chip: &[(&[McEntry], PrefixIndex)]) -> Option<PartitionIndex> {
        let mut blocks: Vec<(u32, u32, u32)> = keys
            .iter()
            .map(|(id, b)| {
                let (first, last) = prefix_block(Pattern::new(b.base & b.mask, b.mask));
                (first, last, id.0)
            })
            .collect();
        blocks.sort_unstable();
        if blocks.windows(2).any(|w| w[0].1 >= w[1].0) {
            return None;
        }
        let buckets = BlockBuckets::new(&blocks);
        // (partition or u32::MAX for wide, chip, entry) per chip, in chip and entry order.
        let per_chip = map_chunks(by_chip.len(), 256, |range| {
            let mut out = Vec::new();
            for dense in range {
                for (idx, e) in by_chip[dense].0.iter().enumerate() {
                    let (first, last) = prefix_block(Pattern::new(e.key(), e.mask()));
                    let from = buckets.first_ending_at_or_after(&blocks, first);
                    let to = from
                        + blocks[from..]
                            .iter()
                            .take_while(|b| b.0 <= last)
                            .take(2)
                            .count();
                    let owner = match to - from {
                        0 => continue,
                        1 => blocks[from].2,
                        _ => WIDE,
                    };
                    out.push((owner, dense as u32, idx as u32));
                }
            }
            out
        });
        let n_partitions = keys.len();
        let mut offsets = vec![0u32; n_partitions + 1];
        let mut wide_offsets = vec![0u32; by_chip.len() + 1];
        for &(owner, dense, _) in per_chip.iter().flatten() {
            if owner == WIDE {
                wide_offsets[dense as usize + 1] += 1;
            } else {
                offsets[owner as usize + 1] += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        for i in 1..wide_offsets.len() {
            wide_offsets[i] += wide_offsets[i - 1];
        }
        let mut items = vec![(0, 0); offsets[n_partitions] as usize];
        let mut entries =
            vec![McEntry::new(0, 0, RouteSet::EMPTY).expect("a valid entry"); items.len()];
        let mut wide_items = vec![0; wide_offsets[by_chip.len()] as usize];
        let mut fill = offsets.clone();
        let mut wide_fill = wide_offsets.clone();
        // Filled in chip and entry order, so each partition's list comes out sorted.
        for &(owner, dense, idx) in per_chip.iter().flatten() {
            if owner == WIDE {
                wide_items[wide_fill[dense as usize] as usize] = idx;
                wide_fill[dense as usize] += 1;
            } else {
                items[fill[owner as usize] as usize] = (dense, idx);
                entries[fill[owner as usize] as usize] = by_chip[dense as usize].0[idx as usize];
                fill[owner as usize] += 1;
            }
        }
        Some(PartitionIndex {
            offsets,
            items,
            entries,
            wide_offsets,
            wide_items,
        })
    }

    /// The dense indices of the chips with entries listed under partition `id`.
    fn chips(&self, id: PartitionId) -> impl Iterator<Item = usize> + '_ {
        self.items[self.offsets[id.index()] as usize..self.offsets[id.index() + 1] as usize]
            .iter()
            .map(|it| it.0 as usize)
    }

    /// The number of wide entries of chip `dense`.
    fn n_wide(&self, dense: usize) -> usize {
        (self.wide_offsets[dense + 1] - self.wide_offsets[dense]) as usize
    }

    /// The entries of chip `dense` that may meet partition `id`'s keys, in table order, if
    /// the chip has no wide entries (so they are all listed under the partition).
    fn own_entries(&self, id: PartitionId, dense: usize) -> Option<&[McEntry]> {
        if self.n_wide(dense) > 0 {
            return None;
        }
        let (start, end) = (
            self.offsets[id.index()] as usize,
            self.offsets[id.index() + 1] as usize,
        );
        let list = &self.items[start..end];
        let from = list.partition_point(|it| (it.0 as usize) < dense);
        let n = list[from..]
            .iter()
            .take_while(|it| it.0 as usize == dense)
            .count();
        Some(&self.entries[start + from..start + from + n])
    }

    /// Appends, in table order, the entries of chip `dense` that may meet partition `id`'s keys.
    fn candidates(&self, id: PartitionId, dense: usize, out: &mut Vec<u32>) {
        let list =
            &self.items[self.offsets[id.index()] as usize..self.offsets[id.index() + 1] as usize];
        let from = list.partition_point(|it| (it.0 as usize) < dense);
        out.extend(
            list[from..]
                .iter()
                .take_while(|it| it.0 as usize == dense)
                .map(|it| it.1),
        );
        let wide = &self.wide_items
            [self.wide_offsets[dense] as usize..self.wide_offsets[dense + 1] as usize];
        if !wide.is_empty() {
            out.extend_from_slice(wide);
            out.sort_unstable();
        }
    }
}

/// Where to start looking in sorted, disjoint key blocks `(first, last, _)` for a key: per
/// bucket of keys (the keys with the same leading bits), the first block ending in or after
/// it. One table read replaces a binary search over all the blocks, which on a large machine
/// misses the cache at most of its steps.
struct BlockBuckets {
    shift: u32,
    starts: Vec<u32>,
}

impl BlockBuckets {
    fn new(blocks: &[(u32, u32, u32)]) -> BlockBuckets {
        let max_last = blocks.last().map_or(0, |b| b.1);
        let span_bits = 32 - max_last.leading_zeros();
        let n_bits = usize::BITS - blocks.len().leading_zeros();
        let shift = span_bits.saturating_sub(n_bits);
        let n_buckets = (max_last >> shift) as usize + 1;
        let mut starts = Vec::with_capacity(n_buckets);
        let mut at = 0;
        for bucket in 0..n_buckets {
            let key = (bucket as u32) << shift;
            while at < blocks.len() && blocks[at].1 < key {
                at += 1;
            }
            starts.push(at as u32);
        }
        BlockBuckets { shift, starts }
    }

    /// `blocks.partition_point(|b| b.1 < key)`.
    fn first_ending_at_or_after(&self, blocks: &[(u32, u32, u32)], key: u32) -> usize {
        let Some(&start) = self.starts.get((key >> self.shift) as usize) else {
            return blocks.len();
        };
        let mut at = start as usize;
        while at < blocks.len() && blocks[at].1 < key {
            at += 1;
        }
        at
    }
}

/// The owner of an entry meeting several partitions' key blocks.
const WIDE: u32 = u32::MAX;

impl<'a> IndexedTables<'a> {
    fn new(
        machine: &Machine,
        keys: &KeyAllocation,
        tables: &'a RoutingTables,
    ) -> IndexedTables<'a> {
        let chips: Vec<ChipCoord> = machine.chips().collect();
        let by_chip = map_chunks(chips.len(), 256, |range| {
            chips[range]
                .iter()
                .map(|&chip| {
                    let table = tables.entries(chip);
                    (table, PrefixIndex::new(table))
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
        let by_partition = PartitionIndex::new(keys, &by_chip);
        let mut next = Vec::with_capacity(chips.len() * NEXT_STRIDE);
        for (dense, &chip) in chips.iter().enumerate() {
            next.extend(LinkDir::ALL.into_iter().map(|link| {
                machine
                    .neighbour(chip, link)
                    .and_then(|far| machine.chip_index(far))
                    .map_or(NO_CHIP, |far| far as u32)
            }));
            let n_wide = by_partition.as_ref().map_or(0, |p| p.n_wide(dense));
            next.push(u32::from(n_wide > 0));
            next.resize((dense + 1) * NEXT_STRIDE, 0);
        }
        // One byte per chip: its live links and whether it has wide entries, so following
        // packets straight through reads little memory.
        let flags = (0..chips.len())
            .map(|dense| {
                let links = (0..LinkDir::ALL.len())
                    .filter(|&l| next[dense * NEXT_STRIDE + l] != NO_CHIP)
                    .fold(0u8, |bits, l| bits | 1 << l);
                links | u8::from(next[dense * NEXT_STRIDE + WIDE_AT] != 0) << WIDE_BIT
            })
            .collect();
        let geometry = Geometry::of(machine);
        let full = machine.n_chips() == geometry.n_slots();
        IndexedTables {
            tables,
            by_chip,
            by_partition,
            next,
            flags,
            grid: full.then_some(geometry),
        }
    }

    /// [`IndexedTables::next`], also moving `here` from live chip `dense` to the chip
    /// reached. When every chip of the machine's box is live, dense indices are box slots,
    /// so the step is arithmetic on `here` (which must then be the chip of `dense`) and
    /// reads only the chip's flag byte.
    fn step(&self, dense: usize, here: &mut ChipCoord, link: LinkDir) -> Option<usize> {
        match &self.grid {
            Some(grid) => {
                if self.flags[dense] & (1 << link.index()) == 0 {
                    return None;
                }
                *here = grid.step(*here, link);
                Some(grid.slot(*here))
            }
            None => self.next(dense, link),
        }
    }

    /// `Some(slot)` if the live chip of dense index `slot` has no entry that may meet the
    /// keys of the partition being followed (`own` if it has one listed under the partition),
    /// so they all take the default route there.
    fn straight(&self, slot: usize, own: bool) -> Option<usize> {
        self.by_partition.as_ref()?;
        (slot < self.by_chip.len() && !own && self.flags[slot] & (1 << WIDE_BIT) == 0)
            .then_some(slot)
    }

    /// The dense index of the live chip `link` of live chip `dense` reaches, if any.
    fn next(&self, dense: usize, link: LinkDir) -> Option<usize> {
        let far = self.next[dense * NEXT_STRIDE + link.index()];
        (far != NO_CHIP).then_some(far as usize)
    }

    /// [`lookup_pattern`] on `chip`'s table, over the indexed candidates only.
    fn lookup(
        &self,
        id: PartitionId,
        slot: usize,
        chip: ChipCoord,
        pattern: Pattern,
        scratch: &mut LookupScratch,
        out: &mut Vec<(Pattern, Option<RouteSet>)>,
    ) {
        scratch.candidates.clear();
        let own = self
            .by_partition
            .as_ref()
            .filter(|_| slot < self.by_chip.len())
            .and_then(|p| p.own_entries(id, slot));
        if let Some(own) = own {
            // Lookups depend only on the candidates' order, which the copies keep.
            scratch.candidates.extend(0..own.len() as u32);
            lookup_in(own, pattern, scratch, out);
            return;
        }
        let table = match (slot < self.by_chip.len()).then_some(slot) {
            Some(dense) => {
                let (table, index) = &self.by_chip[dense];
                match &self.by_partition {
                    Some(by_partition) => {
                        by_partition.candidates(id, dense, &mut scratch.candidates)
                    }
                    None => index.candidates(pattern, &mut scratch.candidates),
                }
                *table
            }
            // A source chip outside the machine: no index, so every entry is a candidate.
            None => {
                let table = self.tables.entries(chip);
                scratch.candidates.extend(0..table.len() as u32);
                table
            }
        };
        lookup_in(table, pattern, scratch, out);
    }
}

/// The aligned key block spanned by a pattern's leading cared bits, as (first key, last key):
/// every key of the pattern lies inside it, and two such blocks are nested or disjoint.
fn prefix_block(p: Pattern) -> (u32, u32) {
    let n = p.care.leading_ones();
    let prefix = if n == 0 { 0 } else { u32::MAX << (32 - n) };
    let first = p.value & prefix;
    (first, first | !prefix)
}

/// One table's entries sorted by their prefix blocks, with each block's nearest enclosing
/// block, so the entries whose blocks meet a query block are found by binary search.
struct PrefixIndex {
    /// The first keys of `blocks`, apart so the binary search touches fewer cache lines.
    firsts: Vec<u32>,
    /// (first key, last key, entry index), by first key, then larger blocks first, then index.
    blocks: Vec<(u32, u32, u32)>,
    /// Per position in `blocks`, the position of the nearest earlier block containing it.
    parent: Vec<u32>,
}

/// No enclosing block.
const NO_PARENT: u32 = u32::MAX;

impl PrefixIndex {
    fn new(table: &[McEntry]) -> PrefixIndex {
        let mut blocks: Vec<(u32, u32, u32)> = table
            .iter()
            .enumerate()
            .map(|(idx, e)| {
                let (first, last) = prefix_block(Pattern::new(e.key(), e.mask()));
                (first, last, idx as u32)
            })
            .collect();
        blocks.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        // Blocks are laminar, so in this order the open enclosing blocks form a stack.
        let mut parent = Vec::with_capacity(blocks.len());
        let mut open: Vec<u32> = Vec::new();
        for (pos, &(first, _, _)) in blocks.iter().enumerate() {
            while let Some(&top) = open.last() {
                if blocks[top as usize].1 >= first {
                    break;
                }
                open.pop();
            }
            parent.push(open.last().copied().unwrap_or(NO_PARENT));
            open.push(pos as u32);
        }
        let firsts = blocks.iter().map(|b| b.0).collect();
        PrefixIndex {
            firsts,
            blocks,
            parent,
        }
    }

    /// Appends, in table order, the entries whose prefix blocks meet `pattern`'s: a superset
    /// of the entries that intersect it.
    fn candidates(&self, pattern: Pattern, out: &mut Vec<u32>) {
        let (first, last) = prefix_block(pattern);
        // Blocks starting inside the query block lie inside it or contain it.
        // A query block usually holds one entry or none, so the end is found by walking on.
        let from = self.firsts.partition_point(|&f| f < first);
        out.extend(
            self.blocks[from..]
                .iter()
                .take_while(|b| b.0 <= last)
                .map(|b| b.2),
        );
        // Blocks starting before it meet it only by containing it: they are the enclosing
        // chain of the last block starting before it, from the first that reaches `first`.
        let mut at = if from == 0 {
            NO_PARENT
        } else {
            from as u32 - 1
        };
        while at != NO_PARENT && self.blocks[at as usize].1 < first {
            at = self.parent[at as usize];
        }
        while at != NO_PARENT {
            out.push(self.blocks[at as usize].2);
            at = self.parent[at as usize];
        }
        out.sort_unstable();
    }
}

/// [`lookup_pattern`] over the entries of `table` listed in `candidates` (ascending), which
/// must include every entry that intersects `pattern`.
fn lookup_in(
    table: &[McEntry],
    pattern: Pattern,
    scratch: &mut LookupScratch,
    out: &mut Vec<(Pattern, Option<RouteSet>)>,
) {
    let LookupScratch {
        candidates,
        pending,
        rest,
    } = scratch;
    pending.clear();
    pending.push((pattern, 0));
    while let Some((piece, start)) = pending.pop() {
        let hit = candidates[start..]
            .iter()
            .enumerate()
            .find_map(|(offset, &idx)| {
                let entry = &table[idx as usize];
                let entry_pattern = Pattern::new(entry.key(), entry.mask());
                piece
                    .intersection(entry_pattern)
                    .map(|matched| (start + offset, entry_pattern, matched, entry.route()))
            });
        match hit {
            None => out.push((piece, None)),
            Some((pos, entry_pattern, matched, route)) => {
                out.push((matched, Some(route)));
                // The keys this entry does not match carry on down the table; no earlier entry
                // matched any key of `piece`.
                rest.clear();
                piece.subtract(entry_pattern, rest);
                pending.extend(rest.iter().map(|&p| (p, pos + 1)));
            }
        }
    }
}

/// The working memory of one table lookup, kept between lookups to save allocations.
#[derive(Default)]
struct LookupScratch {
    /// The entries that may meet the pattern, ascending.
    candidates: Vec<u32>,
    /// Pieces still to look up, each with the first candidate position it may match.
    pending: Vec<(Pattern, usize)>,
    rest: Vec<Pattern>,
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
        let unminimised = mapping.unminimised();
        for (chip, original) in &unminimised.chips {
            check_equivalent(*chip, original, mapping.tables.entries(*chip))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let original = &unminimised.chips[&c(0, 0)];
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

    #[test]
    fn indexed_lookups_equal_lookups_over_the_whole_table() {
        // Random tables of prefix and arbitrary masks over an 8-bit key space, looked up with
        // random patterns: the prefix index must leave out only entries that cannot match.
        let mut generator = spinn_model::rng::SplitMix64::new(11);
        let mut rng = move |n: u64| generator.below(n) as u32;
        for case in 0..500 {
            let n_entries = rng(12) as usize;
            let table: Vec<McEntry> = (0..n_entries)
                .map(|_| {
                    let mask = if rng(2) == 0 {
                        0xffff_ff00 | (0xffu32 << rng(9)) & 0xff
                    } else {
                        0xffff_ff00 | rng(256)
                    };
                    entry(rng(256) & mask, mask, RouteSet::from_bits(1 + rng(63)))
                })
                .collect();
            let index = PrefixIndex::new(&table);
            for _ in 0..20 {
                let care = 0xffff_ff00 | rng(256);
                let pattern = Pattern::new(rng(256) & care, care);
                let mut scratch = LookupScratch::default();
                index.candidates(pattern, &mut scratch.candidates);
                for (idx, e) in table.iter().enumerate() {
                    if Pattern::new(e.key(), e.mask()).intersects(pattern) {
                        assert!(
                            scratch.candidates.contains(&(idx as u32)),
                            "case {case}: entry {idx} meets {pattern:?} but is not a candidate"
                        );
                    }
                }
                let mut got = Vec::new();
                lookup_in(&table, pattern, &mut scratch, &mut got);
                let mut want = Vec::new();
                lookup_pattern(&table, pattern, &mut want);
                assert_eq!(got, want, "case {case}");
            }
        }
    }
}
