//! The cycle-level reference of the standalone block-RAM TCAM table
//! (`spinn_rtl::router::TcamTable`): which outputs it shows in every cycle, given its inputs.
//!
//! The routing decision is `spinn_arch::McTable::lookup` (lowest matching index); this module
//! adds only the table's documented timing: a key taken (`lookup_valid` while ready) in cycle
//! `t` answers in cycle `t + TCAM_LOOKUP_LATENCY` from the table as it was before any write
//! taken in cycle `t` or later; an in-range write makes the table unready for the
//! `TCAM_WRITE_CYCLES - 1` cycles after it is taken; a write past the size is ignored; reset
//! drops the lookups in flight, the one taken in its cycle included.

use spinn_arch::{McEntry, McTable, RouteSet};
use spinn_rtl::router::{TCAM_LOOKUP_LATENCY, TCAM_WRITE_CYCLES};
use spinn_rtl::tcam_drive::{TcamInputs, TcamOutputs};
use std::collections::VecDeque;

/// The reference table and its pipeline.
#[derive(Debug, Clone)]
pub struct TcamReference {
    table: McTable,
    cycle: u64,
    ready_at: u64,
    /// Lookups in flight: (cycle of the answer, lowest match).
    in_flight: VecDeque<(u64, Option<(usize, RouteSet)>)>,
}

impl TcamReference {
    pub fn new(entries: usize) -> TcamReference {
        TcamReference {
            table: McTable::new(entries),
            cycle: 0,
            ready_at: 0,
            in_flight: VecDeque::new(),
        }
    }

    /// The outputs the table shows this cycle with `inputs`, then the clock edge.
    pub fn cycle(&mut self, inputs: &TcamInputs) -> TcamOutputs {
        let ready = self.cycle >= self.ready_at;
        let mut res = TcamOutputs {
            write_ready: ready,
            lookup_ready: ready,
            ..TcamOutputs::default()
        };
        if self
            .in_flight
            .front()
            .is_some_and(|(at, _)| *at == self.cycle)
        {
            let (_, found) = self
                .in_flight
                .pop_front()
                .expect("invariant: the front was just seen");
            res.result_valid = true;
            if let Some((idx, route)) = found {
                res.hit = true;
                res.index = idx as u16;
                res.route = route.bits();
            }
        }
        if inputs.reset {
            self.in_flight.clear();
        } else if ready && inputs.lookup_valid {
            self.in_flight.push_back((
                self.cycle + TCAM_LOOKUP_LATENCY as u64,
                self.table.lookup(inputs.lookup_key),
            ));
        }
        if ready && inputs.write_enable {
            let entry = if inputs.write_mask == 0 && inputs.write_key == McEntry::CLEARED.key() {
                Some(McEntry::CLEARED)
            } else {
                McEntry::new(
                    inputs.write_key,
                    inputs.write_mask,
                    RouteSet::from_bits(inputs.write_route),
                )
                .ok()
            };
            let entry = entry.expect("invariant: stimulus writes only valid entries");
            if self
                .table
                .set(usize::from(inputs.write_index), entry)
                .is_ok()
            {
                self.ready_at = self.cycle + TCAM_WRITE_CYCLES as u64;
            }
        }
        self.cycle += 1;
        res
    }

    pub fn table(&self) -> &McTable {
        &self.table
    }
}

/// What a TCAM stimulus does: the writes in order (index, entry; an index may be past the
/// size), the idle cycles after each write is taken before the next is offered (cycled), the
/// lookup keys offered in successive cycles (cycled; `None` offers none), the cycles that
/// assert reset, and the cycles to run after the last write.
#[derive(Debug, Clone)]
pub struct TcamPlan {
    pub writes: Vec<(u16, McEntry)>,
    pub gaps: Vec<u16>,
    pub keys: Vec<Option<u32>>,
    pub resets: Vec<u64>,
    pub tail: u64,
}

/// The cycle-by-cycle inputs of `plan` on a table of `entries` entries, and the outputs the
/// reference shows for them. A write is offered (and held) until the reference is ready to
/// take it, so writes also arrive while the table is busy.
pub fn tcam_stimulus(entries: usize, plan: &TcamPlan) -> (Vec<TcamInputs>, Vec<TcamOutputs>) {
    let mut reference = TcamReference::new(entries);
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    let (mut next_write, mut wait, mut cycle, mut done_at) = (0, 0u16, 0u64, None);
    while done_at.is_none_or(|at| cycle < at) {
        let key = if plan.keys.is_empty() {
            None
        } else {
            plan.keys[cycle as usize % plan.keys.len()]
        };
        let mut i = TcamInputs {
            reset: plan.resets.contains(&cycle),
            lookup_valid: key.is_some(),
            lookup_key: key.unwrap_or(0),
            ..TcamInputs::default()
        };
        let offered = plan.writes.get(next_write).filter(|_| wait == 0);
        if let Some(&(idx, entry)) = offered {
            i.write_enable = true;
            i.write_index = idx;
            i.write_key = entry.key();
            i.write_mask = entry.mask();
            i.write_route = entry.route().bits();
        }
        let o = reference.cycle(&i);
        if offered.is_some() && o.write_ready {
            next_write += 1;
            wait = if plan.gaps.is_empty() {
                0
            } else {
                plan.gaps[next_write % plan.gaps.len()]
            };
        } else {
            wait = wait.saturating_sub(1);
        }
        if next_write == plan.writes.len() && done_at.is_none() {
            done_at = Some(cycle + TCAM_WRITE_CYCLES as u64 + plan.tail);
        }
        inputs.push(i);
        outputs.push(o);
        cycle += 1;
    }
    (inputs, outputs)
}
