//! How fast a gradient reduction's streams may go: the period between one copy's packets that
//! keeps every link and every core the reductions share within its capacity.
//!
//! All of a batch's reductions run at once, after the copies' last backward passes. Each
//! one moves its slice's words up its tree (a stream from every copy to its parent) and its
//! total down (a multicast from the root to every other copy), chunk by chunk, so a
//! reduction of `width` parameters and `depth` levels takes `width + depth · REDUCTION_CHUNK`
//! packet times of its own period (its volume, here). Two resources bound the periods:
//!
//! * a directed link carries one 72-bit packet per `transit` router cycles: the streams whose
//!   routing trees cross it share that;
//! * a core spends `receive` cycles on each packet it takes and `send` on each it sends: the
//!   reductions it takes part in share its time.
//!
//! Giving every reduction the period `T / volume` finishes them all at `T`, and the smallest `T`
//! that keeps every link and core within `utilisation` of its capacity is the busiest one's
//! load. A reduction paced only by its receiver (the earlier scheme) overfilled the links its
//! streams share with the others and dumped; one paced by the whole load waits no longer than
//! the busiest resource needs.

use super::cores::REDUCTION_CHUNK;
use super::layout::Layout;
use spinn_arch::{ChipCoord, LinkDir};
use spinn_toolchain::{Placements, RoutingTree};
use std::collections::HashMap;

/// What the fabric and the cores can take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacities {
    /// Router cycles a 72-bit packet holds a link.
    pub link_transit: u64,
    /// Core cycles a reduction's receiver spends on each packet (interrupt, receive, the add).
    pub receive: u64,
    /// Core cycles a send takes.
    pub send: u64,
    /// Core cycles per router cycle (as a ratio: core clock, router clock).
    pub clocks: (u64, u64),
    /// The share of each link's and core's capacity the reductions may fill (streams are not
    /// phased against each other, so they need headroom for their collisions); a value that
    /// is not a positive number is taken as 1.
    pub utilisation: f64,
}

/// The core cycles from one packet to the next on each reduction's streams (by index in
/// [`Layout::reductions`]), so that the reductions together stay within `capacities`.
pub fn reduction_periods(
    layout: &Layout,
    trees: &[RoutingTree],
    placements: &Placements,
    capacities: &Capacities,
) -> Vec<u64> {
    let (core_hz, router_hz) = capacities.clocks;
    // Packet times each reduction needs, and how much of every link and core it takes.
    let volumes: Vec<u64> = layout
        .reductions
        .iter()
        .map(|r| u64::from(r.width) + u64::from(r.depth()) * u64::from(REDUCTION_CHUNK))
        .collect();
    let mut links: HashMap<(ChipCoord, LinkDir), u64> = HashMap::new();
    let mut cores: HashMap<(ChipCoord, spinn_arch::CoreId), u64> = HashMap::new();
    for (j, reduction) in layout.reductions.iter().enumerate() {
        let volume = volumes[j];
        for &member in &reduction.members {
            for kind in [
                super::layout::OutKind::GradientShare,
                super::layout::OutKind::GradientTotal,
            ] {
                let Some(partition) = layout.partition_of(member, kind) else {
                    continue;
                };
                // Link load in router cycles, core load in core cycles.
                for (chip, node) in trees[partition.index()].nodes() {
                    if let Some(arrival) = node.arrival {
                        *links.entry((chip, arrival)).or_default() +=
                            volume * capacities.link_transit;
                    }
                }
                let at = |v| {
                    let p = placements
                        .get(v)
                        .expect("invariant: every vertex is placed");
                    (p.chip, p.core)
                };
                *cores.entry(at(member)).or_default() += volume * capacities.send;
                for &target in &layout.graph.partition(partition).targets {
                    *cores.entry(at(target)).or_default() += volume * capacities.receive;
                }
            }
        }
    }
    // The busiest link's and core's load, in core cycles: the time all reductions take.
    let link_load = links.values().copied().max().unwrap_or(0) * core_hz / router_hz;
    let core_load = cores.values().copied().max().unwrap_or(0);
    // A utilisation that is not a positive number would give no period at all (or an
    // infinite one): such a setting is taken as the whole capacity.
    let utilisation = if capacities.utilisation.is_finite() && capacities.utilisation > 0.0 {
        capacities.utilisation
    } else {
        1.0
    };
    let span = link_load.max(core_load) as f64 / utilisation;
    volumes
        .iter()
        .map(|&v| (span / v.max(1) as f64).ceil() as u64)
        .collect()
}
