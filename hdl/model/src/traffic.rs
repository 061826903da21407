//! Synthetic traffic on the fast fabric model: uniform and hotspot point-to-point traffic and
//! multicast trees, injected as a Bernoulli process at a given rate per chip per cycle (drawn as
//! the geometric gap to each chip's next injection, so that a run costs a draw per packet, not
//! per chip and cycle), with routes computed from the real link graph. Every packet carries its
//! sequence number as a 32-bit payload (so links take the 72-bit transit time), which is how
//! latency is measured.
//!
//! Routes: P2P tables hold the first hop of a shortest path over live links (breadth-first,
//! links tried in E, NE, N, W, SW, S order: one search by translation on a full torus, one per
//! destination otherwise); on machines of more than 4,096 chips, which must be full tori without
//! dead parts, routes are computed from the geometry instead of stored. Multicast trees are the
//! union of the P2P paths from a source to its destinations, one table entry per chip on the
//! tree.

use crate::fabric::{Backlog, ChipLoad, Fabric, LinkLoad};
use crate::link::LinkTiming;
use crate::rng::SplitMix64;
use crate::router::{P2pRoutes, RouterSetup};
use spinn_arch::{
    ChipCoord, CoreId, Counter, LinkDir, Machine, McEntry, OutputPort, Packet, RouteSet,
    RouterControl,
};
use std::collections::VecDeque;
use thiserror::Error;

/// A traffic pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// P2P packets to a uniformly chosen other chip.
    Uniform,
    /// P2P packets, a quarter of them to the chip nearest the middle of the machine.
    Hotspot,
    /// MC packets from each chip down a tree to `fanout` other chips.
    Multicast { fanout: usize },
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pattern::Uniform => f.write_str("uniform"),
            Pattern::Hotspot => f.write_str("hotspot"),
            Pattern::Multicast { fanout } => write!(f, "multicast (fanout {fanout})"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrafficConfig {
    pub pattern: Pattern,
    /// Packets injected per chip per cycle, in (0, 1].
    pub rate: f64,
    pub cycles: u64,
    pub seed: u64,
    pub timing: LinkTiming,
    pub control: RouterControl,
    /// Transient faults to inject (`None`: none).
    pub faults: Option<crate::TransientFaults>,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrafficError {
    #[error("the injection rate must be in (0, 1] packets per chip per cycle, got {0}")]
    Rate(f64),
    #[error("a machine of {chips} chips needs geometric routes, which need a full torus without dead chips or links")]
    NeedsFullTorus { chips: usize },
    #[error("{pattern} traffic needs at least 2 chips")]
    TooSmall { pattern: Pattern },
    /// A fanout of 0 (a packet never delivered, so the run would measure nothing) or beyond
    /// the other chips.
    #[error("multicast fanout {fanout}: a packet needs 1 to {others} destination chips (the other chips)")]
    Fanout { fanout: usize, others: usize },
    #[error("cannot trace chip {chip}: the machine has chips 0 to {}", chips - 1)]
    TraceChip { chip: usize, chips: usize },
    #[error("writing the waveform: {0}")]
    Trace(String),
    #[error(
        "{cycles} cycles at {rate} packets/chip/cycle on {chips} chips would inject about \
         {expected:.3e} packets, more than the {MAX_PACKETS} a run measures (the report keeps \
         each packet's injection time and latency); run fewer cycles"
    )]
    TooManyPackets {
        cycles: u64,
        rate: f64,
        chips: usize,
        expected: f64,
    },
}

/// The most packets one run injects (expected): a packet's injection cycle and latency take
/// 12 bytes until the run ends, so this bounds the run's memory to about 3 GB.
pub const MAX_PACKETS: u64 = 250_000_000;

/// What a traffic run measured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrafficReport {
    pub chips: usize,
    pub cycles: u64,
    pub injected: u64,
    /// Deliveries expected: one per P2P packet, `fanout` per multicast packet.
    pub expected_deliveries: u64,
    pub delivered: u64,
    /// Injected packets per chip per cycle.
    pub offered_load: f64,
    /// Delivered packets per chip per cycle.
    pub accepted_load: f64,
    pub mean_latency: f64,
    pub p99_latency: u64,
    /// Packets dumped (lost: nothing re-injects them in this run) and lost to dump overflow.
    pub dropped: u64,
    pub emergency_routed: u64,
    /// Mean and largest fraction of cycles a link spent carrying packets.
    pub mean_link_utilisation: f64,
    pub max_link_utilisation: f64,
    pub router_cycles: u64,
    pub router_traversals: u64,
    /// Router cycles actually computed (the rest were skipped as idle).
    pub router_steps: u64,
    pub host_seconds: f64,
    /// Packets still waiting at the end: queued at the cores, and in the network.
    pub backlog: Backlog,
    /// Every router's load, in the machine's chip order.
    pub chip_loads: Vec<ChipLoad>,
    /// Every link's busy cycles.
    pub link_loads: Vec<LinkLoad>,
}

const GEOMETRIC_ABOVE_CHIPS: usize = 4096;

/// For every destination, every chip's first hop towards it (`None` at the destination or where
/// it is unreachable): `next[dest][chip]`. The hop is the first live link, in E, NE, N, W, SW, S
/// order, to a chip one hop nearer the destination over the real link graph.
///
/// On a full torus (every chip present with all six links, wrapped both ways) the link graph
/// looks the same from every chip, so one breadth-first search, from chip (0, 0), gives every
/// destination's hops by translation: O(chips × links) work for the search, and the table
/// itself (chips² entries) filled by copying. Other machines take a search per destination,
/// over a flat adjacency list.
pub fn next_hops(machine: &Machine) -> Vec<Vec<Option<LinkDir>>> {
    let hops = NextHops::new(machine);
    (0..machine.n_chips())
        .map(|dest| hops.towards(dest))
        .collect()
}

/// [`next_hops`] without the chips² table where the machine does not need one: on a full torus,
/// the hops towards chip (0, 0) and the translation that gives every other destination's.
enum NextHops {
    /// `hops[dest][chip]`.
    Searched(Vec<Vec<Option<LinkDir>>>),
    Translated {
        /// Every chip's first hop towards chip (0, 0).
        from_origin: Vec<Option<LinkDir>>,
        coords: Vec<ChipCoord>,
        /// `at[x * height + y]`: the index of chip (x, y).
        at: Vec<u32>,
        width: usize,
        height: usize,
    },
}

impl NextHops {
    fn new(machine: &Machine) -> NextHops {
        let n = machine.n_chips();
        let adjacency = Adjacency::new(machine);
        if !is_full_torus(machine) {
            return NextHops::Searched((0..n).map(|dest| adjacency.hops_to(dest)).collect());
        }
        let (width, height) = (machine.width() as usize, machine.height() as usize);
        // On a full torus every coordinate is a chip.
        let mut at = vec![0u32; width * height];
        for (i, c) in machine.chips().enumerate() {
            at[c.x as usize * height + c.y as usize] = i as u32;
        }
        let origin = machine
            .chip_index(ChipCoord::new(0, 0))
            .expect("invariant: a full torus has chip (0, 0)");
        NextHops::Translated {
            from_origin: adjacency.hops_to(origin),
            coords: machine.chips().collect(),
            at,
            width,
            height,
        }
    }

    /// `chip`'s first hop towards `dest`.
    #[inline]
    fn hop(&self, dest: usize, chip: usize) -> Option<LinkDir> {
        match self {
            NextHops::Searched(hops) => hops[dest][chip],
            NextHops::Translated {
                from_origin,
                coords,
                at,
                width,
                height,
            } => {
                // The hop from chip c towards destination d is the hop from c − d towards
                // (0, 0); (c − d) mod size without a division, both being below size.
                let wrap = |a: u16, b: u16, size: usize| {
                    let (a, b) = (a as usize, b as usize);
                    if a >= b {
                        a - b
                    } else {
                        a + size - b
                    }
                };
                let (c, d) = (coords[chip], coords[dest]);
                let (x, y) = (wrap(c.x, d.x, *width), wrap(c.y, d.y, *height));
                from_origin[at[x * height + y] as usize]
            }
        }
    }

    /// Every chip's first hop towards `dest`.
    fn towards(&self, dest: usize) -> Vec<Option<LinkDir>> {
        match self {
            NextHops::Searched(hops) => hops[dest].clone(),
            NextHops::Translated { coords, .. } => {
                (0..coords.len()).map(|c| self.hop(dest, c)).collect()
            }
        }
    }

    fn n_chips(&self) -> usize {
        match self {
            NextHops::Searched(hops) => hops.len(),
            NextHops::Translated { coords, .. } => coords.len(),
        }
    }
}

/// Chip `chip`'s first hop towards `dest` as a router with geometric P2P routes takes it (on
/// machines too large for tables).
fn geometric_hop(machine: &Machine, chip: usize, dest: usize) -> Option<LinkDir> {
    let routes = P2pRoutes::Geometric {
        here: machine.chip_at(chip),
        width: machine.width(),
        height: machine.height(),
    };
    let d = machine.chip_at(dest);
    match routes.code((d.x << 8) | d.y, 8) {
        7 => None,
        link => Some(LinkDir::ALL[link as usize]),
    }
}

/// Whether every chip of `machine` is present with all six links and both axes wrap.
fn is_full_torus(machine: &Machine) -> bool {
    machine.n_chips() == machine.width() as usize * machine.height() as usize
        && machine.wrap().horizontal
        && machine.wrap().vertical
        && machine.chips().all(|c| machine.links(c).count() == 6)
}

/// The live links of every chip as (direction, far chip index), in link-number order, so that a
/// search does not look chips up by coordinate.
struct Adjacency {
    links: Vec<Vec<(LinkDir, u32)>>,
}

impl Adjacency {
    fn new(machine: &Machine) -> Adjacency {
        Adjacency {
            links: machine
                .chips()
                .map(|chip| {
                    machine
                        .links(chip)
                        .map(|(dir, far)| {
                            let f = machine.chip_index(far).expect("invariant: live neighbour");
                            (dir, f as u32)
                        })
                        .collect()
                })
                .collect(),
        }
    }

    /// Every chip's first hop towards `dest`, by breadth-first search from it.
    fn hops_to(&self, dest: usize) -> Vec<Option<LinkDir>> {
        let n = self.links.len();
        let mut dist = vec![u32::MAX; n];
        dist[dest] = 0;
        let mut queue = VecDeque::from([dest as u32]);
        while let Some(c) = queue.pop_front() {
            for &(_, f) in &self.links[c as usize] {
                if dist[f as usize] == u32::MAX {
                    dist[f as usize] = dist[c as usize] + 1;
                    queue.push_back(f);
                }
            }
        }
        (0..n)
            .map(|c| {
                if dist[c] == 0 || dist[c] == u32::MAX {
                    return None;
                }
                self.links[c]
                    .iter()
                    .find_map(|&(dir, f)| (dist[f as usize] + 1 == dist[c]).then_some(dir))
            })
            .collect()
    }
}

/// P2P coordinate bits per axis that cover `machine`.
pub fn coord_bits(machine: &Machine) -> u32 {
    let side = machine.width().max(machine.height()) as u32;
    side.next_power_of_two().trailing_zeros().max(1)
}

/// Builds the fabric and router tables for `pattern` on `machine`.
fn build(
    machine: &Machine,
    cfg: &TrafficConfig,
    rng: &mut SplitMix64,
) -> Result<(Fabric, Vec<Vec<usize>>), TrafficError> {
    let n = machine.n_chips();
    let full_torus = is_full_torus(machine);
    let geometric = n > GEOMETRIC_ABOVE_CHIPS;
    if geometric && !full_torus {
        return Err(TrafficError::NeedsFullTorus { chips: n });
    }
    let hops = (!geometric).then(|| NextHops::new(machine));
    let bits = coord_bits(machine);
    // Multicast destinations per source chip, and each chip's table.
    let mut destinations = vec![Vec::new(); n];
    let mut tables: Vec<Vec<McEntry>> = vec![Vec::new(); n];
    if let Pattern::Multicast { fanout } = cfg.pattern {
        if fanout == 0 || fanout > n - 1 {
            return Err(TrafficError::Fanout {
                fanout,
                others: n - 1,
            });
        }
        for (src, dests) in destinations.iter_mut().enumerate() {
            while dests.len() < fanout {
                let d = rng.below(n as u64) as usize;
                if d != src && !dests.contains(&d) {
                    dests.push(d);
                }
            }
            dests.sort_unstable();
            let mut routes = vec![RouteSet::EMPTY; n];
            for &d in dests.iter() {
                routes[d] = routes[d].with(OutputPort::Core(
                    CoreId::new(1).expect("invariant: core 1 exists"),
                ));
                let mut at = src;
                while at != d {
                    let dir = match &hops {
                        Some(hops) => hops.hop(d, at),
                        None => geometric_hop(machine, at, d),
                    }
                    .expect("invariant: multicast destinations are reachable");
                    routes[at] = routes[at].with(OutputPort::Link(dir));
                    let far = machine
                        .neighbour(machine.chip_at(at), dir)
                        .expect("invariant: the hop exists");
                    at = machine.chip_index(far).expect("invariant: live chip");
                }
            }
            for (chip, route) in routes.into_iter().enumerate() {
                if !route.is_empty() {
                    let entry = McEntry::new((src as u32) << 8, 0xffff_ff00, route)
                        .expect("invariant: key is masked");
                    tables[chip].push(entry);
                }
            }
        }
    }
    let mut tables = tables.into_iter();
    let mut fabric = Fabric::new(machine.clone(), cfg.timing, |chip| {
        let c = machine.chip_index(chip).expect("invariant: live chip");
        let p2p = if geometric {
            P2pRoutes::Geometric {
                here: chip,
                width: machine.width(),
                height: machine.height(),
            }
        } else {
            P2pRoutes::Table(table_of(
                machine,
                hops.as_ref().expect("invariant: tables have hops"),
                c,
                bits,
            ))
        };
        RouterSetup {
            table: tables.next().expect("invariant: one table per chip"),
            p2p,
            fixed_route: 0,
            control: cfg.control,
            rotate_clockwise: true,
        }
    });
    if let Some(faults) = &cfg.faults {
        fabric.set_transient_faults(faults);
    }
    Ok((fabric, destinations))
}

/// Chip `chip`'s P2P table with `bits` coordinate bits per axis, from [`next_hops`]: the first
/// hop towards every chip, 7 (the monitor) for itself, 6 (drop) where there is no route.
pub fn p2p_table(
    machine: &Machine,
    hops: &[Vec<Option<LinkDir>>],
    chip: usize,
    bits: u32,
) -> Vec<u8> {
    p2p_table_from(machine, hops.len(), chip, bits, |d| hops[d][chip])
}

/// [`p2p_table`] from [`NextHops`].
fn table_of(machine: &Machine, hops: &NextHops, chip: usize, bits: u32) -> Vec<u8> {
    p2p_table_from(machine, hops.n_chips(), chip, bits, |d| hops.hop(d, chip))
}

/// `chip`'s P2P table, from `hop(dest)`: its first hop towards each of the `n` chips.
fn p2p_table_from(
    machine: &Machine,
    n: usize,
    chip: usize,
    bits: u32,
    hop: impl Fn(usize) -> Option<LinkDir>,
) -> Vec<u8> {
    let mut table = vec![6u8; 1 << (2 * bits)];
    for d in 0..n {
        let dest = machine.chip_at(d);
        let index = (dest.x as usize) << bits | dest.y as usize;
        table[index] = match hop(d) {
            Some(dir) => dir.index() as u8,
            None if d == chip => 7,
            None => 6,
        };
    }
    table
}

/// The chip nearest the middle of the machine.
fn hotspot(machine: &Machine) -> usize {
    let mid = ChipCoord::new(machine.width() / 2, machine.height() / 2);
    machine
        .chips()
        .enumerate()
        .min_by_key(|(_, c)| machine.hop_distance(*c, mid))
        .map_or(0, |(i, _)| i)
}

/// A waveform to write during a traffic run: the file, the chips (indices in the machine's
/// order) and the cycles.
pub struct TrafficTrace {
    pub writer: Box<dyn std::io::Write>,
    pub chips: Vec<usize>,
    pub window: std::ops::Range<u64>,
}

/// Gaps between a chip's injections: the number of cycles without one before the next, for a
/// Bernoulli process of rate `p` per cycle (geometric: `k` with probability `(1 − p)^k · p`),
/// drawn by inversion from one uniform draw.
struct GapDraw {
    /// `1 / ln(1 − p)`, or 0 for a rate of 1 (every cycle injects).
    inv_log_q: f64,
}

impl GapDraw {
    fn new(p: f64) -> GapDraw {
        GapDraw {
            inv_log_q: if p >= 1.0 { 0.0 } else { 1.0 / (-p).ln_1p() },
        }
    }

    fn draw(&self, rng: &mut SplitMix64) -> u64 {
        // `1 − unit()` is in (0, 1], so its logarithm is finite and at most 0.
        let gap = (1.0 - rng.unit()).ln() * self.inv_log_q;
        // Beyond 2^62 cycles no run goes: the cast saturates there rather than wrapping.
        gap.min((1u64 << 62) as f64) as u64
    }
}

/// Runs `cfg` on `machine` and reports what the network did.
pub fn run_traffic(machine: &Machine, cfg: &TrafficConfig) -> Result<TrafficReport, TrafficError> {
    run_traffic_traced(machine, cfg, None)
}

/// [`run_traffic`], writing a VCD as `trace` asks.
pub fn run_traffic_traced(
    machine: &Machine,
    cfg: &TrafficConfig,
    trace: Option<TrafficTrace>,
) -> Result<TrafficReport, TrafficError> {
    run_traffic_with_progress(machine, cfg, trace, &mut |_, _| {})
}

/// [`run_traffic_traced`], calling `progress(cycles done, cycles)` as the run goes (every few
/// hundred cycles).
pub fn run_traffic_with_progress(
    machine: &Machine,
    cfg: &TrafficConfig,
    trace: Option<TrafficTrace>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<TrafficReport, TrafficError> {
    if !(cfg.rate > 0.0 && cfg.rate <= 1.0) {
        return Err(TrafficError::Rate(cfg.rate));
    }
    let n = machine.n_chips();
    if n < 2 {
        return Err(TrafficError::TooSmall {
            pattern: cfg.pattern,
        });
    }
    let expected = cfg.rate * n as f64 * cfg.cycles as f64;
    if expected > MAX_PACKETS as f64 {
        return Err(TrafficError::TooManyPackets {
            cycles: cfg.cycles,
            rate: cfg.rate,
            chips: n,
            expected,
        });
    }
    let started = std::time::Instant::now();
    let mut rng = SplitMix64::new(cfg.seed);
    let (mut fabric, destinations) = build(machine, cfg, &mut rng)?;
    if let Some(t) = trace {
        if let Some(&chip) = t.chips.iter().find(|&&c| c >= n) {
            return Err(TrafficError::TraceChip { chip, chips: n });
        }
        fabric
            .trace_to(t.writer, &t.chips, t.window)
            .map_err(|e| TrafficError::Trace(e.to_string()))?;
    }
    let hot = hotspot(machine);
    // Room for the packets the run is expected to inject (up to 16 M of them up front), so
    // that the log of injection cycles is not copied as it grows.
    let mut injected_at: Vec<u64> = Vec::with_capacity((expected * 1.01 + 64.0).min(16e6) as usize);
    let mut latencies: Vec<u32> = Vec::new();
    let mut report = TrafficReport {
        chips: n,
        cycles: cfg.cycles,
        ..TrafficReport::default()
    };
    // Each chip's injections are a Bernoulli process of rate `rate` per cycle, drawn as the gap
    // to its next injection (geometric) rather than a draw per chip per cycle: a run costs one
    // draw per packet, and cycles with nothing due cost nothing, so the fabric can skip them.
    // Due chips are taken in (cycle, chip) order, so packets and draws come in the order a
    // draw per chip per cycle would make them.
    let gaps = GapDraw::new(cfg.rate);
    const WINDOW: u64 = 512;
    // The chips due in each cycle of the current window (`due[cycle − t]`), and the rest with
    // the cycle they are due in.
    let mut due: Vec<Vec<u32>> = vec![Vec::new(); WINDOW as usize];
    let mut later: Vec<(u64, u32)> = (0..n as u32)
        .map(|chip| (gaps.draw(&mut rng), chip))
        .collect();
    let mut chips: Vec<u32> = Vec::new();
    let mut t = 0;
    while t < cfg.cycles {
        // A stretch with no chip due (a nearly idle run) is crossed in one step: the fabric
        // skips its idle cycles itself, so such a run costs its packets, not its cycles.
        let next_due = later.iter().map(|&(at, _)| at).min().unwrap_or(u64::MAX);
        let idle = next_due >= t + WINDOW && due.iter().all(Vec::is_empty);
        let end = if idle {
            next_due.min(cfg.cycles)
        } else {
            (t + WINDOW).min(cfg.cycles)
        };
        // Cycles in which chips inject (none in an idle stretch, which `due` does not cover).
        let injecting = if idle { t } else { end };
        later.retain(|&(at, chip)| {
            let now = at < end;
            if now {
                due[(at - t) as usize].push(chip);
            }
            !now
        });
        for cycle in t..injecting {
            std::mem::swap(&mut chips, &mut due[(cycle - t) as usize]);
            chips.sort_unstable();
            for &chip32 in &chips {
                let chip = chip32 as usize;
                let dests = &destinations[chip];
                let seq = injected_at.len() as u32;
                injected_at.push(cycle);
                let core = 1 + rng.below(17) as usize;
                let packet = match cfg.pattern {
                    Pattern::Multicast { .. } => {
                        report.expected_deliveries += dests.len() as u64;
                        Packet::mc((chip as u32) << 8)
                    }
                    Pattern::Uniform | Pattern::Hotspot => {
                        report.expected_deliveries += 1;
                        let mut dest = rng.below(n as u64 - 1) as usize;
                        if dest >= chip {
                            dest += 1;
                        }
                        if cfg.pattern == Pattern::Hotspot && chip != hot && rng.below(4) == 0 {
                            dest = hot;
                        }
                        let (src, dst) = (machine.chip_at(chip), machine.chip_at(dest));
                        Packet::p2p(src.chip_id(), dst.chip_id(), 0)
                    }
                };
                fabric.inject(chip, core, cycle, packet.with_payload(seq).to_bus());
                // The next injection comes at least one cycle later: a chip injects at most one
                // packet per cycle.
                let next = cycle + 1 + gaps.draw(&mut rng);
                if next < end {
                    due[(next - t) as usize].push(chip32);
                } else {
                    later.push((next, chip32));
                }
            }
            chips.clear();
        }
        fabric.run_until(end);
        for d in fabric.take_deliveries() {
            let seq = (d.packet >> 40) as u32 as usize;
            latencies.push((d.cycle - injected_at[seq]) as u32);
        }
        t = end;
        progress(t, cfg.cycles);
    }
    report.injected = injected_at.len() as u64;
    report.delivered = latencies.len() as u64;
    let chip_cycles = (n as u64 * cfg.cycles.max(1)) as f64;
    report.offered_load = report.injected as f64 / chip_cycles;
    report.accepted_load = report.delivered as f64 / chip_cycles;
    if !latencies.is_empty() {
        report.mean_latency =
            latencies.iter().map(|&l| l as f64).sum::<f64>() / latencies.len() as f64;
        latencies.sort_unstable();
        report.p99_latency = latencies[(latencies.len() * 99).div_ceil(100) - 1] as u64;
    }
    for chip in 0..n {
        let c = fabric.counters(chip);
        report.dropped += (c[Counter::DumpedMc.index()] + c[Counter::DumpedOther.index()]) as u64;
        report.emergency_routed += c[Counter::EmergencyRouted.index()] as u64;
    }
    let stats = fabric.stats();
    let n_links = (0..n)
        .map(|c| machine.links(machine.chip_at(c)).count())
        .sum::<usize>()
        .max(1);
    report.mean_link_utilisation =
        stats.link_busy_cycles as f64 / (n_links as f64 * cfg.cycles.max(1) as f64);
    report.max_link_utilisation = fabric.max_link_busy() as f64 / cfg.cycles.max(1) as f64;
    report.router_cycles = stats.router_cycles;
    report.router_traversals = stats.router_traversals;
    report.router_steps = stats.router_steps;
    report.backlog = fabric.backlog();
    report.chip_loads = fabric.chip_loads();
    report.link_loads = fabric.link_loads();
    fabric
        .finish_trace()
        .map_err(|e| TrafficError::Trace(e.to_string()))?;
    report.host_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spinn_arch::Wrap;

    /// The first hops as defined: a breadth-first search from each destination over
    /// `Machine::links`, the first link in link-number order to a chip one hop nearer.
    fn reference_next_hops(machine: &Machine) -> Vec<Vec<Option<LinkDir>>> {
        let n = machine.n_chips();
        (0..n)
            .map(|dest| {
                let mut dist = vec![u32::MAX; n];
                dist[dest] = 0;
                let mut queue = VecDeque::from([dest]);
                while let Some(c) = queue.pop_front() {
                    for (_, far) in machine.links(machine.chip_at(c)) {
                        let f = machine.chip_index(far).expect("live neighbour");
                        if dist[f] == u32::MAX {
                            dist[f] = dist[c] + 1;
                            queue.push_back(f);
                        }
                    }
                }
                (0..n)
                    .map(|c| {
                        if dist[c] == 0 || dist[c] == u32::MAX {
                            return None;
                        }
                        machine.links(machine.chip_at(c)).find_map(|(dir, far)| {
                            let f = machine.chip_index(far).expect("live neighbour");
                            (dist[f] + 1 == dist[c]).then_some(dir)
                        })
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn next_hops_by_translation_equal_a_search_from_every_destination() {
        let machines = [
            Machine::torus(2, 2, Wrap::BOTH).expect("torus"),
            Machine::torus(3, 3, Wrap::BOTH).expect("torus"),
            Machine::torus(5, 3, Wrap::BOTH).expect("torus"),
            Machine::torus(8, 8, Wrap::BOTH).expect("torus"),
            Machine::torus(6, 4, Wrap::NONE).expect("mesh"),
            Machine::torus(7, 5, Wrap::BOTH)
                .expect("torus")
                .with_dead_chip(ChipCoord::new(2, 3))
                .expect("dead chip"),
            Machine::torus(4, 4, Wrap::BOTH)
                .expect("torus")
                .with_dead_link(ChipCoord::new(1, 1), LinkDir::NE)
                .expect("dead link"),
            Machine::spinn3(),
            Machine::spinn5(),
            Machine::multi_board(3).expect("one triad"),
            Machine::multi_board(6).expect("two triads"),
            Machine::multi_board_without_wrap(3).expect("one triad, unwrapped"),
        ];
        for machine in &machines {
            assert_eq!(
                next_hops(machine),
                reference_next_hops(machine),
                "{} chips, {}x{}",
                machine.n_chips(),
                machine.width(),
                machine.height()
            );
        }
    }

    #[test]
    fn injection_gaps_have_the_bernoulli_rate() {
        for rate in [0.001, 0.05, 0.5, 1.0] {
            let gaps = GapDraw::new(rate);
            let mut rng = SplitMix64::new(9);
            let draws = 200_000;
            // A gap of k cycles without an injection, then one: k + 1 cycles per packet.
            let cycles: u64 = (0..draws).map(|_| gaps.draw(&mut rng) + 1).sum();
            let measured = draws as f64 / cycles as f64;
            assert!(
                (measured - rate).abs() <= 0.01 * rate,
                "rate {rate}: measured {measured}"
            );
        }
    }
}
