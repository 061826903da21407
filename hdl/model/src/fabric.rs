//! `Fabric`: routers joined by links, with test endpoints on the core ports, stepped cycle by
//! cycle exactly as the RTL fabric (`hdl/rtl/src/fabric/`), but event-driven: a router that holds
//! no packet and is offered none is not visited, a packet in flight on a link costs nothing until
//! it arrives, and stretches where nothing can happen are skipped.
//!
//! Core endpoints: every core port has an injection queue (packets offered from a given cycle on,
//! in order, each held until the router takes it) and, on the output side, either a test sink
//! that takes every packet unless a blocked interval says otherwise ([`CoreEndpoints::Sinks`], as
//! the RTL fabric's testbench does), or a one-packet receive buffer per core
//! ([`CoreEndpoints::ReceiveBuffers`], the communications controller's Rx register): a delivery
//! fills it, and the router's output to that core stays blocked until the core's software frees
//! it (`free_receive`). That back-pressure is how SpiNNaker loses packets.
//! Every chip also has the monitor's re-injection queue, offered on the router's re-injection
//! input only while the output stage is empty, as SpiNNaker's monitor does.
//! Links a topology lacks are "edge" ports: nothing arrives on them and nothing leaves (their
//! outputs are never ready), as on a board's unconnected connector.
//!
//! With receive buffers, deliveries and dump-register changes are also reported as
//! [`EndpointEvent`]s, and [`Fabric::run_until_event`] returns after the cycle that produced one,
//! so the software on the cores can react in the right cycle.

use crate::link::{Link, LinkTiming};
use crate::router::{DumpRegisters, Offer, Router, RouterSetup, Sent, Step, REINJECT_INPUT};
use crate::trace::Tracer;
use spinn_arch::{
    ChipCoord, Counter, LinkDir, Machine, CORES_PER_CHIP, LINKS_PER_CHIP, N_COUNTERS,
};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A packet a core sink took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Delivery {
    pub cycle: u64,
    pub chip: u32,
    pub core: u8,
    pub packet: u128,
}

/// A change of a router's dump registers (a dump or an overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DumpEvent {
    pub cycle: u64,
    pub chip: u32,
    pub registers: DumpRegisters,
}

/// What the core ports' output side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreEndpoints {
    /// Test sinks: every packet is taken at once unless `block_sink` says otherwise.
    Sinks,
    /// One-packet receive buffers freed by the core (`free_receive`), with endpoint events.
    ReceiveBuffers,
}

/// Something the cores' software must react to, reported in receive-buffer mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointEvent {
    /// `packet` filled `core`'s receive buffer on `chip` at the edge of `cycle`.
    Delivered {
        cycle: u64,
        chip: u32,
        core: u8,
        packet: u128,
    },
    /// `chip`'s dump registers changed at the edge of `cycle` (a dump, or an overflow).
    Dumped { cycle: u64, chip: u32 },
}

/// Running totals kept whatever is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FabricStats {
    /// Router cycles simulated: cycles × routers, including skipped idle ones.
    pub router_cycles: u64,
    /// Router steps actually computed.
    pub router_steps: u64,
    /// Packets taken by links (one per hop between chips).
    pub link_hops: u64,
    /// Packets taken by routers from any input (one per router traversal).
    pub router_traversals: u64,
    /// Packets delivered to core sinks.
    pub delivered: u64,
    /// Cycles links spent carrying packets, summed over links.
    pub link_busy_cycles: u64,
    /// Packets the router took from monitors' re-injection queues.
    pub reinjected: u64,
    /// Router traversals by 72-bit packets (the rest are 40-bit): for energy estimates.
    pub payload_traversals: u64,
    /// Hand-overs a transient fault made fail, so that the router dumped the packet
    /// ([`TransientFaults`]).
    pub transient_drops: u64,
    /// Packets a transient fault corrupted on a link ([`TransientFaults::link_error_rate`]):
    /// the receiving router's parity check discards them (its `ParityError` counter).
    pub link_errors: u64,
}

/// Transient faults injected into the fast model (the RTL has none), drawn from their own
/// seeded generator, so a run with faults is as reproducible as one without:
///
/// * with probability `drop_rate`, a router's hand-over of a packet to its outputs fails, and
///   the router dumps the packet as it dumps any it cannot deliver, for the monitor to
///   re-inject;
/// * with probability `link_error_rate`, a packet sent on a link has one key bit flipped on
///   the way, so it arrives with bad parity and the receiving router discards and counts it,
///   as SpiNNaker's routers do (nothing re-sends it: the software must notice the loss).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TransientFaults {
    pub drop_rate: f64,
    pub link_error_rate: f64,
    pub seed: u64,
}

/// [`TransientFaults`] while a run draws them.
#[derive(Debug, Clone)]
struct FaultDraws {
    /// `drop_rate` as a threshold on a 64-bit draw.
    drop_below: u64,
    /// `link_error_rate` as a threshold on a 64-bit draw (0: no draw is made, so a drop-only
    /// run draws as it did before link errors existed).
    link_error_below: u64,
    rng: crate::rng::SplitMix64,
}

/// A probability as a threshold on a uniform 64-bit draw: 2^64 · rate, saturating at every
/// draw for a rate of 1.
fn threshold(rate: f64) -> u64 {
    (rate * 2f64.powi(64)).min(u64::MAX as f64) as u64
}

/// One link's traffic: the chips it joins, its direction from `from`, and the cycles it spent
/// carrying packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLoad {
    pub from: ChipCoord,
    pub to: ChipCoord,
    pub dir: LinkDir,
    pub busy_cycles: u64,
}

/// One router's load, from its diagnostic counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipLoad {
    pub chip: ChipCoord,
    /// Packets routed: multicast (local and external), P2P, nearest-neighbour, fixed-route.
    pub routed: u64,
    /// Packets dumped after wait2.
    pub dumped: u64,
    /// Packets lost here: dumped with nothing to re-inject them, or lost to a full dump
    /// register or re-injection queue (a machine with monitors says which).
    pub dropped: u64,
}

impl ChipLoad {
    /// The load of `chip`'s router from its `counters`, every dump counted as lost (no monitor
    /// re-injects it).
    pub fn from_counters(chip: ChipCoord, counters: &[u32; N_COUNTERS]) -> ChipLoad {
        let count = |c: Counter| counters[c.index()] as u64;
        let dumped = count(Counter::DumpedMc) + count(Counter::DumpedOther);
        ChipLoad {
            chip,
            routed: [
                Counter::LocalMc,
                Counter::ExternalMc,
                Counter::P2p,
                Counter::Nn,
                Counter::Fr,
            ]
            .into_iter()
            .map(count)
            .sum(),
            dumped,
            dropped: dumped + count(Counter::DumpOverflow),
        }
    }
}

/// Packets in the fabric that are neither delivered nor dropped, by where they wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    /// Waiting in the cores' injection queues for their router to take them.
    pub injection_queues: usize,
    /// In routers' lookup registers and output stages.
    pub routers: usize,
    /// On links (transmitters and receive registers).
    pub links: usize,
    /// In the monitors' re-injection queues.
    pub reinjection_queues: usize,
}

impl Backlog {
    /// Packets queued at the cores, not yet in the network.
    pub fn queued(&self) -> usize {
        self.injection_queues
    }

    /// Packets in the network: routers, links and re-injection queues.
    pub fn in_flight(&self) -> usize {
        self.routers + self.links + self.reinjection_queues
    }
}

/// A link with its ends and what this cycle's router steps did to it, together because the link's
/// edge reads all of it: one cache line per link crossed (64 bytes, aligned), not five.
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(64))]
struct LinkSlot {
    link: Link,
    /// [`LinkEnds`], flat so that the slot fits its line.
    from_chip: u32,
    to_chip: u32,
    /// Cycles spent carrying packets, modulo 2^32 (the rest is in `Fabric::link_busy`).
    busy: u32,
    from_output: u8,
    to_input: u8,
    /// On the touched list: its edge runs this cycle.
    touched: bool,
    /// The receiving router took the offered packet this cycle.
    taken: bool,
}

// The slot is one cache line: a bigger one would double what a hop touches.
const _: () = assert!(std::mem::size_of::<LinkSlot>() == 64);

impl LinkSlot {
    fn new(ends: LinkEnds) -> LinkSlot {
        LinkSlot {
            from_chip: ends.from_chip,
            to_chip: ends.to_chip,
            from_output: ends.from_output,
            to_input: ends.to_input,
            ..LinkSlot::default()
        }
    }

    #[inline]
    fn ends(&self) -> LinkEnds {
        LinkEnds {
            from_chip: self.from_chip,
            from_output: self.from_output,
            to_chip: self.to_chip,
            to_input: self.to_input,
        }
    }
}

/// The chips and ports a link joins.
#[derive(Debug, Clone, Copy, Default)]
struct LinkEnds {
    from_chip: u32,
    from_output: u8,
    to_chip: u32,
    to_input: u8,
}

/// What the fabric keeps per chip to step its router, together because a router's step reads
/// all of it: one 64-byte line per chip.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
struct ChipState {
    /// Inputs whose link offers a packet, kept up to date as links change.
    link_offers: u8,
    /// Outputs whose link transmitter is free, kept up to date as links change.
    link_ready: u8,
    /// Whether the router is on the active list.
    listed: bool,
    /// Core ports whose queue head is due (bit k for core k).
    core_offers: u32,
    /// Core receive buffers holding a packet, in output-port bits.
    rx_full: u32,
    /// The first cycle a sleeping router slept, or `u64::MAX` when awake.
    asleep_since: u64,
    /// The link each input arrives on ([`NO_LINK`] where the topology has none), here because
    /// a step that takes a packet reads it with the rest.
    in_link: [u32; LINKS_PER_CHIP],
    /// The links the outputs feed: links are numbered in chip order and then by direction, so
    /// a chip's are consecutive from `first_out`, one for each bit of `out_present`.
    first_out: u32,
    out_present: u8,
    /// A skipped step (see [`Fabric::defer`]): 0 if none, else `DEFERRED` with the parity of
    /// the skipped cycle in bit 0. Whoever asks is in the skipped cycle or the one after, which
    /// the parity tells apart.
    deferred: u8,
    /// Whether the monitor's re-injection queue holds a packet (kept here, with the rest of
    /// what a step reads, rather than read from the queue every step).
    reinject_queued: bool,
    /// A packet sent ahead (see [`Fabric::send_ahead`]): the link outputs it was handed to in
    /// cycle `sent_ahead_at`, 0 if none.
    sent_ahead: u8,
    /// The cycle whose step a send ahead stands for: the step before it was skipped too.
    sent_ahead_at: u64,
    /// The packet sent ahead has moved into the stage: the router stepped in the cycle before
    /// `sent_ahead_at` (something was offered to it), so that step was not skipped.
    ahead_in_stage: bool,
}

/// Listed routers from which [`Fabric::warm_routers`] fetches their lines first: below it they
/// are in cache anyway.
const WARM_FROM: usize = 256;

/// A port without a link in [`ChipState`].
const NO_LINK: u32 = u32::MAX;

/// [`ChipState::deferred`]: a step is skipped.
const DEFERRED: u8 = 2;

// A chip's state is one cache line.
const _: () = assert!(std::mem::size_of::<ChipState>() == 64);

impl ChipState {
    /// The link output `port` feeds (which exists).
    #[inline]
    fn out_link(&self, port: usize) -> u32 {
        debug_assert!(
            self.out_present >> port & 1 == 1,
            "invariant: the link exists"
        );
        self.first_out + (self.out_present & ((1u8 << port) - 1)).count_ones()
    }

    /// Marks the step of cycle `skipped` as skipped.
    #[inline]
    fn skip_step(&mut self, skipped: u64) {
        self.deferred = DEFERRED | (skipped & 1) as u8;
    }

    /// Whether a skipped step lies before cycle `now` (`Some(true)`), is `now`'s own
    /// (`Some(false)`), or there is none; `now` is the skipped cycle or the one after.
    #[inline]
    fn skipped_before(&self, now: u64) -> Option<bool> {
        (self.deferred != 0).then_some((self.deferred & 1) as u64 != now & 1)
    }
}

/// A traced chip's values in one cycle, before the clock edge.
struct ChipView {
    sent: Sent,
    counters: [u32; N_COUNTERS],
    dump_status: u32,
    empty: bool,
    link_offers: u8,
    link_ready: u8,
    core_offers: u32,
}

/// Links whose transmitted packet may move on, by cycle: a ring of buckets, one per cycle, over
/// a span longer than any transit, so that a wake costs a push and a pop whatever the number of
/// packets in flight (a heap cost a logarithm of it). Every wake lies within the span from the
/// current cycle, and every cycle with a wake is stepped (the fabric skips only to the earliest
/// wake), so a bucket holds only its own cycle's links.
#[derive(Debug, Clone)]
struct LinkWheel {
    buckets: Vec<Vec<u32>>,
    mask: u64,
    /// Wakes in all buckets.
    len: usize,
}

impl LinkWheel {
    fn new(timing: &LinkTiming) -> LinkWheel {
        // A send ahead (`Fabric::send_ahead`) pushes a wake two cycles further out than the
        // longest transit.
        let span =
            (timing.transit(true).max(timing.transit(false)) as usize + 3).next_power_of_two();
        LinkWheel {
            buckets: vec![Vec::new(); span],
            mask: span as u64 - 1,
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, at: u64, link: u32) {
        self.buckets[(at & self.mask) as usize].push(link);
        self.len += 1;
    }

    #[inline]
    fn due(&self, now: u64) -> bool {
        self.len != 0 && !self.buckets[(now & self.mask) as usize].is_empty()
    }

    /// The earliest cycle from `now` with a wake (`u64::MAX` if there is none).
    fn earliest(&self, now: u64) -> u64 {
        if self.len == 0 {
            return u64::MAX;
        }
        (0..=self.mask)
            .map(|d| now + d)
            .find(|&t| !self.buckets[(t & self.mask) as usize].is_empty())
            .unwrap_or(u64::MAX)
    }

    /// Moves cycle `now`'s links into `into`.
    #[inline]
    fn drain_into(&mut self, now: u64, into: &mut Vec<u32>) {
        let bucket = &mut self.buckets[(now & self.mask) as usize];
        self.len -= bucket.len();
        into.append(bucket);
    }
}

/// Packets offered on one core port: (first cycle offered, packet), in order.
type InjectionQueue = VecDeque<Queued>;

/// A packet in an injection queue and the first cycle it is offered, 24 bytes rather than the
/// 32 a `(u64, u128)` takes: under heavy load the queues are long and moving them through the
/// cache is most of a run's cost.
#[derive(Debug, Clone, Copy)]
struct Queued {
    at: u64,
    packet: [u64; 2],
}

impl Queued {
    fn new(at: u64, packet: u128) -> Queued {
        Queued {
            at,
            packet: [packet as u64, (packet >> 64) as u64],
        }
    }

    #[inline]
    fn packet(&self) -> u128 {
        self.packet[0] as u128 | (self.packet[1] as u128) << 64
    }
}

pub struct Fabric {
    machine: Machine,
    timing: LinkTiming,
    routers: Vec<Router>,
    links: Vec<LinkSlot>,
    /// Cycles each link has spent carrying packets, less the count modulo 2^32 kept in its
    /// slot.
    link_busy: Vec<u64>,
    /// What the fabric keeps per chip to step its router (see [`ChipState`]).
    chips: Vec<ChipState>,
    /// Router results of the current cycle, kept while tracing (and to reuse the allocation).
    results: Vec<(u32, Step)>,
    tracer: Option<Tracer>,
    trace_error: Option<std::io::Error>,
    /// Cycles at which sleeping routers' waits expire.
    expiry_wakes: BinaryHeap<Reverse<(u64, u32)>>,
    /// Routers asleep now.
    n_asleep: usize,
    sleeping: bool,
    injections: Vec<[InjectionQueue; CORES_PER_CHIP]>,
    /// `last_injected[chip * CORES_PER_CHIP + core]`: the cycle from which the last packet
    /// queued there is offered, kept apart from the queues because `inject` reads it for every
    /// packet and the tail of a long queue is rarely in cache.
    last_injected: Vec<u64>,
    /// Per chip: (core, first blocked cycle, first ready cycle again).
    blocked_sinks: Vec<Vec<(u8, u64, u64)>>,
    /// Whether any sink was ever blocked (the machine's receive buffers never are).
    any_blocked_sinks: bool,
    endpoints: CoreEndpoints,
    /// Receive buffers the cores free: (cycle from which the output is ready again, chip, core).
    rx_frees: BinaryHeap<Reverse<(u64, u32, u8)>>,
    /// Per chip: the monitor's packets waiting for the re-injection input.
    reinjections: Vec<VecDeque<Offer>>,
    endpoint_events: Vec<EndpointEvent>,
    cycle: u64,
    active: Vec<u32>,
    /// The previous cycle's active list, kept to reuse its allocation.
    active_spare: Vec<u32>,
    /// Routers whose step was skipped (see [`Fabric::defer`]), to be listed in cycle
    /// `deferred_at[b]` (`u64::MAX`: none), bucket `b` being that cycle's parity: entries are
    /// for the next cycle or the one after.
    deferred: [Vec<u32>; 2],
    deferred_at: [u64; 2],
    /// Sends ahead are allowed for steps before this cycle (0: none are): the end of a
    /// `run_until`, within which every send ahead's cycle is stepped or skipped.
    send_ahead_before: u64,
    /// Chips that sent ahead, by the send's cycle (bucket `at & 3` holds the chips of cycle
    /// `sent_ahead_at[b]`, `u64::MAX` if none): their routers' registers are brought up to
    /// date when they next step, or in the first cycle stepped after the send's cycle, or when
    /// the run returns, whichever comes first. Soon, because the router's lines are still in
    /// cache then: on a large machine, bringing them up to date much later cost a cache miss
    /// per hop. (A chip that stepped since, or sent ahead again, is passed over.)
    sent_ahead: [Vec<u32>; 4],
    sent_ahead_at: [u64; 4],
    /// The earliest cycle in `sent_ahead_at`.
    sent_ahead_due: u64,
    /// Injected packets falling due: (cycle, chip, core).
    chip_wakes: BinaryHeap<Reverse<(u64, u32, u8)>>,
    /// The earliest cycle in `chip_wakes`, `expiry_wakes` and `rx_frees` (`u64::MAX` if they
    /// are empty), so that a cycle with nothing due costs one comparison.
    next_due: u64,
    /// The earliest cycle in `chip_wakes`, `expiry_wakes` and `rx_frees` alone (`next_due` also
    /// counts the deferred routers, due almost every cycle while packets move), so that a cycle
    /// with only deferred routers due does not look at the heaps.
    heaps_due: u64,
    link_wakes: LinkWheel,
    /// This cycle's link wakes, taken out of the wheel (kept to reuse the allocation).
    woken_links: Vec<u32>,
    touched: Vec<u32>,
    /// The previous cycle's touched links, kept to reuse the allocation.
    touched_spare: Vec<u32>,
    record: bool,
    deliveries: Vec<Delivery>,
    dumps: Vec<DumpEvent>,
    stats: FabricStats,
    faults: Option<FaultDraws>,
}

impl Fabric {
    /// A fabric of `machine`'s chips, each router set up by `setup(chip)`.
    pub fn new(
        machine: Machine,
        timing: LinkTiming,
        mut setup: impl FnMut(ChipCoord) -> RouterSetup,
    ) -> Fabric {
        let n = machine.n_chips();
        let mut out_link = vec![[NO_LINK; LINKS_PER_CHIP]; n];
        let mut in_link = vec![[NO_LINK; LINKS_PER_CHIP]; n];
        let mut ends = Vec::new();
        for (idx, chip) in machine.chips().enumerate() {
            for (dir, far) in machine.links(chip) {
                let far_idx = machine
                    .chip_index(far)
                    .expect("invariant: links join live chips");
                let link = ends.len() as u32;
                ends.push(LinkEnds {
                    from_chip: idx as u32,
                    from_output: dir.index() as u8,
                    to_chip: far_idx as u32,
                    to_input: dir.opposite().index() as u8,
                });
                out_link[idx][dir.index()] = link;
                in_link[far_idx][dir.opposite().index()] = link;
            }
        }
        let n_links = ends.len();
        // `ChipState::out_link` relies on each chip's output links being numbered consecutively.
        for links in &out_link {
            let present: Vec<u32> = links.iter().copied().filter(|&l| l != NO_LINK).collect();
            assert!(
                present.windows(2).all(|w| w[1] == w[0] + 1),
                "invariant: a chip's output links are consecutive"
            );
        }
        let link_ready: Vec<u8> = (0..n)
            .map(|c| {
                (0..LINKS_PER_CHIP)
                    .filter(|&l| out_link[c][l] != NO_LINK)
                    .fold(0u8, |acc, l| acc | 1 << l)
            })
            .collect();
        let link_wakes = LinkWheel::new(&timing);
        Fabric {
            routers: machine.chips().map(|c| Router::new(setup(c))).collect(),
            last_injected: vec![0; n * CORES_PER_CHIP],
            injections: (0..n)
                .map(|_| std::array::from_fn(|_| VecDeque::new()))
                .collect(),
            blocked_sinks: vec![Vec::new(); n],
            any_blocked_sinks: false,
            endpoints: CoreEndpoints::Sinks,
            rx_frees: BinaryHeap::new(),
            reinjections: vec![VecDeque::new(); n],
            endpoint_events: Vec::new(),
            machine,
            timing,
            links: ends.into_iter().map(LinkSlot::new).collect(),
            link_busy: vec![0; n_links],
            chips: link_ready
                .into_iter()
                .zip(in_link.into_iter().zip(out_link))
                .map(|(link_ready, (in_link, out_link))| ChipState {
                    in_link,
                    first_out: out_link
                        .iter()
                        .copied()
                        .find(|&l| l != NO_LINK)
                        .unwrap_or(0),
                    out_present: link_ready,
                    link_offers: 0,
                    link_ready,
                    listed: false,
                    core_offers: 0,
                    rx_full: 0,
                    asleep_since: u64::MAX,
                    reinject_queued: false,
                    deferred: 0,
                    sent_ahead: 0,
                    sent_ahead_at: 0,
                    ahead_in_stage: false,
                })
                .collect(),
            results: Vec::new(),
            tracer: None,
            trace_error: None,
            expiry_wakes: BinaryHeap::new(),
            n_asleep: 0,
            sleeping: true,
            cycle: 0,
            active: Vec::new(),
            active_spare: Vec::new(),
            chip_wakes: BinaryHeap::new(),
            deferred: [Vec::new(), Vec::new()],
            deferred_at: [u64::MAX; 2],
            send_ahead_before: 0,
            sent_ahead: std::array::from_fn(|_| Vec::new()),
            sent_ahead_at: [u64::MAX; 4],
            sent_ahead_due: u64::MAX,
            next_due: u64::MAX,
            heaps_due: u64::MAX,
            link_wakes,
            woken_links: Vec::new(),
            touched: Vec::new(),
            touched_spare: Vec::new(),
            record: true,
            deliveries: Vec::new(),
            dumps: Vec::new(),
            stats: FabricStats::default(),
            faults: None,
        }
    }

    /// Injects `faults` from now on (a rate of 0 injects none).
    ///
    /// # Panics
    /// If the rate is not a probability (callers validate user input).
    pub fn set_transient_faults(&mut self, faults: &TransientFaults) {
        assert!(
            (0.0..=1.0).contains(&faults.drop_rate)
                && (0.0..=1.0).contains(&faults.link_error_rate),
            "invariant: fault rates are probabilities"
        );
        let (drop_below, link_error_below) = (
            threshold(faults.drop_rate),
            threshold(faults.link_error_rate),
        );
        self.faults = (drop_below > 0 || link_error_below > 0).then(|| FaultDraws {
            drop_below,
            link_error_below,
            rng: crate::rng::SplitMix64::new(faults.seed),
        });
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    #[inline]
    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    pub fn router(&self, chip: usize) -> &Router {
        &self.routers[chip]
    }

    pub fn counters(&self, chip: usize) -> &[u32; N_COUNTERS] {
        self.routers[chip].counters()
    }

    pub fn stats(&self) -> FabricStats {
        self.stats
    }

    /// Chooses what the core ports' outputs are (test sinks unless set).
    pub fn set_core_endpoints(&mut self, endpoints: CoreEndpoints) {
        self.endpoints = endpoints;
    }

    #[inline]
    /// Hands over the endpoint events since the last call (receive-buffer mode only).
    pub fn take_endpoint_events(&mut self, into: &mut Vec<EndpointEvent>) {
        into.append(&mut self.endpoint_events);
    }

    #[inline]
    /// Frees `core`'s receive buffer on `chip` from cycle `at` on (not before the next cycle):
    /// the router's output to the core is ready again from then.
    pub fn free_receive(&mut self, chip: usize, core: usize, at: u64) {
        let at = at.max(self.cycle);
        self.rx_frees.push(Reverse((at, chip as u32, core as u8)));
        self.heap_wake_at(at);
    }

    #[inline]
    /// Packets waiting on `chip`'s core port `core` for the router to take them.
    pub fn injection_backlog(&self, chip: usize, core: usize) -> usize {
        self.injections[chip][core].len()
    }

    /// Queues a packet for `chip`'s re-injection input: it counts as arriving on `source` and
    /// goes only to `route` (a dump's undelivered outputs) when non-zero.
    pub fn reinject(&mut self, chip: usize, packet: u128, source: u8, route: u32) {
        self.reinjections[chip].push_back(Offer {
            packet,
            source,
            override_route: route,
        });
        self.chips[chip].reinject_queued = true;
        // A frozen router sees it when it wakes; one asleep with an empty lookup register
        // takes it now.
        if self.chips[chip].asleep_since == u64::MAX || self.routers[chip].lookup_empty() {
            self.list(chip as u32);
        }
    }

    #[inline]
    /// Packets waiting in `chip`'s re-injection queue.
    pub fn reinject_backlog(&self, chip: usize) -> usize {
        self.reinjections[chip].len()
    }

    /// Reads and clears `chip`'s dump registers, as the monitor's dump handler does.
    pub fn take_dump(&mut self, chip: usize) -> DumpRegisters {
        let registers = self.routers[chip].dump();
        self.routers[chip].clear_dump();
        registers
    }

    /// Whether routers may sleep while blocked with nothing offered (on by default; turning it
    /// off only makes runs slower).
    pub fn set_sleeping(&mut self, on: bool) {
        self.sleeping = on;
    }

    /// Whether deliveries and dumps are kept (on by default; benchmarks turn it off).
    pub fn set_recording(&mut self, on: bool) {
        self.record = on;
    }

    pub fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }

    /// Writes a VCD of `chips` (fabric chip indices) and the links into and out of them for the
    /// cycles in `window`, named as in the RTL fabric's VCD (see `trace`).
    pub fn trace_to(
        &mut self,
        writer: Box<dyn std::io::Write>,
        chips: &[usize],
        window: std::ops::Range<u64>,
    ) -> std::io::Result<()> {
        self.undefer_all();
        let chips: Vec<u32> = chips.iter().map(|&c| c as u32).collect();
        let links: Vec<u32> = (0..self.links.len() as u32)
            .filter(|&l| {
                let e = self.links[l as usize].ends();
                chips.contains(&e.from_chip) || chips.contains(&e.to_chip)
            })
            .collect();
        self.tracer = Some(Tracer::new(writer, &chips, &links, window)?);
        Ok(())
    }

    /// Ends the trace and flushes the file; reports a write that failed during the run.
    pub fn finish_trace(&mut self) -> std::io::Result<()> {
        if let Some(err) = self.trace_error.take() {
            return Err(err);
        }
        match self.tracer.take() {
            Some(mut t) => t.finish(self.cycle),
            None => Ok(()),
        }
    }

    fn trace_start(&self) -> Option<u64> {
        self.tracer.as_ref().map(|t| t.window.start)
    }

    fn tracing(&self, cycle: u64) -> bool {
        self.tracer
            .as_ref()
            .is_some_and(|t| t.window.contains(&cycle))
    }

    /// The pre-edge values of the traced chips.
    fn trace_views(&self) -> Vec<ChipView> {
        let tracer = self.tracer.as_ref().expect("invariant: tracing");
        tracer
            .chips
            .iter()
            .map(|s| {
                let c = s.chip as usize;
                let r = &self.routers[c];
                ChipView {
                    sent: r.offered(),
                    counters: *r.counters(),
                    dump_status: r.dump().status,
                    empty: r.output_stage_empty(),
                    link_offers: self.chips[c].link_offers,
                    link_ready: self.chips[c].link_ready,
                    core_offers: self.chips[c].core_offers,
                }
            })
            .collect()
    }

    fn write_trace(
        &mut self,
        now: u64,
        views: Vec<ChipView>,
        links: Vec<(bool, bool, u128)>,
        results: &[(u32, Step)],
    ) -> std::io::Result<()> {
        let mut tracer = self.tracer.take().expect("invariant: tracing");
        for (i, view) in views.into_iter().enumerate() {
            let ChipView {
                sent,
                counters,
                dump_status,
                empty,
                link_offers,
                link_ready,
                core_offers,
            } = view;
            let chip = tracer.chips[i].chip;
            let taken = results
                .iter()
                .find(|(c, _)| *c == chip)
                .and_then(|(_, s)| s.taken);
            let ids = &tracer.chips[i];
            let mut changes: Vec<(vcd::IdCode, u32, u128)> = Vec::new();
            for l in 0..LINKS_PER_CHIP {
                changes.push((ids.link_in_valid[l], 1, (link_offers >> l & 1) as u128));
                changes.push((ids.link_in_ready[l], 1, (taken == Some(l)) as u128));
                changes.push((ids.link_out_valid[l], 1, (sent.outputs >> l & 1) as u128));
                changes.push((ids.link_out_ready[l], 1, (link_ready >> l & 1) as u128));
                changes.push((ids.link_out_packet[l], 72, sent.packet(l)));
            }
            for k in 0..CORES_PER_CHIP {
                changes.push((ids.core_in_valid[k], 1, (core_offers >> k & 1) as u128));
                changes.push((
                    ids.core_in_ready[k],
                    1,
                    (taken == Some(LINKS_PER_CHIP + k)) as u128,
                ));
                changes.push((
                    ids.core_out_valid[k],
                    1,
                    (sent.outputs >> (LINKS_PER_CHIP + k) & 1) as u128,
                ));
            }
            changes.push((ids.core_out_packet, 72, sent.packet(LINKS_PER_CHIP)));
            changes.push((ids.output_stage_empty, 1, empty as u128));
            changes.push((ids.dump_status, 32, dump_status as u128));
            for (k, value) in counters.iter().enumerate() {
                changes.push((ids.count[k], 32, *value as u128));
            }
            for (id, width, value) in changes {
                tracer.change(now, id, width, value)?;
            }
        }
        for (j, (ready, valid, packet)) in links.into_iter().enumerate() {
            let ids = &tracer.links[j];
            let (a, b, c) = (ids.in_ready, ids.out_valid, ids.out_packet);
            tracer.change(now, a, 1, ready as u128)?;
            tracer.change(now, b, 1, valid as u128)?;
            tracer.change(now, c, 72, packet)?;
        }
        self.tracer = Some(tracer);
        Ok(())
    }

    /// Every link's traffic so far, in the machine's chip order and then by direction.
    pub fn link_loads(&self) -> Vec<LinkLoad> {
        self.links
            .iter()
            .zip(&self.link_busy)
            .map(|(slot, &high)| LinkLoad {
                from: self.machine.chip_at(slot.from_chip as usize),
                to: self.machine.chip_at(slot.to_chip as usize),
                dir: LinkDir::ALL[slot.from_output as usize],
                busy_cycles: high + slot.busy as u64,
            })
            .collect()
    }

    /// Every router's load so far, in the machine's chip order.
    pub fn chip_loads(&self) -> Vec<ChipLoad> {
        self.routers
            .iter()
            .enumerate()
            .map(|(c, r)| ChipLoad::from_counters(self.machine.chip_at(c), r.counters()))
            .collect()
    }

    /// Packets not yet delivered nor dropped: where they wait.
    pub fn backlog(&self) -> Backlog {
        Backlog {
            injection_queues: self.injections.iter().flatten().map(VecDeque::len).sum(),
            routers: self.routers.iter().map(Router::packets_held).sum(),
            links: self.links.iter().map(|s| s.link.packets_held()).sum(),
            reinjection_queues: self.reinjections.iter().map(VecDeque::len).sum(),
        }
    }

    /// The most cycles any one link has spent carrying packets.
    pub fn max_link_busy(&self) -> u64 {
        self.links
            .iter()
            .zip(&self.link_busy)
            .map(|(slot, &high)| high + slot.busy as u64)
            .max()
            .unwrap_or(0)
    }

    /// Hands over the deliveries recorded so far and forgets them.
    pub fn take_deliveries(&mut self) -> Vec<Delivery> {
        std::mem::take(&mut self.deliveries)
    }

    pub fn dumps(&self) -> &[DumpEvent] {
        &self.dumps
    }

    /// The packet offered on `chip`'s input link `dir`, if one waits there.
    pub fn link_offer(&self, chip: usize, dir: LinkDir) -> Option<u128> {
        let link = self.chips[chip].in_link[dir.index()];
        (link != NO_LINK)
            .then_some(link)
            .and_then(|l| self.links[l as usize].link.offered())
    }

    #[inline]
    /// Offers `packet` on `chip`'s core port `core` from cycle `at` on, after any packet queued
    /// there before it.
    pub fn inject(&mut self, chip: usize, core: usize, at: u64, packet: u128) {
        let queue = &mut self.injections[chip][core];
        let last = &mut self.last_injected[chip * CORES_PER_CHIP + core];
        let at = if queue.is_empty() { at } else { at.max(*last) };
        *last = at;
        queue.push_back(Queued::new(at, packet));
        // Only a queue's head is offered, so only the head waits for a wake: a packet queued
        // behind others gets its wake when it becomes the head (`hand_over`). Under heavy load
        // the queues are long, and a wake per packet was most of a run's cost.
        if queue.len() == 1 {
            self.chip_wakes.push(Reverse((at, chip as u32, core as u8)));
            self.heap_wake_at(at);
        }
    }

    /// Makes `chip`'s core sink `core` refuse packets in cycles `from..to`.
    pub fn block_sink(&mut self, chip: usize, core: usize, from: u64, to: u64) {
        self.blocked_sinks[chip].push((core as u8, from, to));
        self.any_blocked_sinks = true;
    }

    #[inline]
    fn sink_ready(&self, chip: usize, now: u64) -> u32 {
        let ready = (((1u32 << CORES_PER_CHIP) - 1) << LINKS_PER_CHIP) & !self.chips[chip].rx_full;
        if !self.any_blocked_sinks {
            return ready;
        }
        self.blocked_sink_ready(chip, now, ready)
    }

    /// `ready` less the sinks of `chip` blocked in cycle `now`.
    fn blocked_sink_ready(&self, chip: usize, now: u64, mut ready: u32) -> u32 {
        for &(core, from, to) in &self.blocked_sinks[chip] {
            if (from..to).contains(&now) {
                ready &= !(1 << (LINKS_PER_CHIP + core as usize));
            }
        }
        ready
    }

    #[inline]
    fn list(&mut self, chip: u32) {
        if !self.chips[chip as usize].listed {
            self.chips[chip as usize].listed = true;
            self.active.push(chip);
        }
    }

    #[inline]
    /// Packets waiting anywhere: in routers, on links or in injection queues.
    pub fn is_quiet(&self) -> bool {
        self.active.is_empty()
            && self.link_wakes.len == 0
            && self.chip_wakes.is_empty()
            // An expiry wake of a router that woke early is stale: count the sleepers instead.
            && self.n_asleep == 0
            && self.rx_frees.is_empty()
            && self.deferred_at == [u64::MAX; 2]
    }

    #[inline]
    /// Steps until cycle `end` (exclusive), until a cycle produces an endpoint event, or until
    /// the fabric is quiet, whichever comes first; returns whether it stopped for an event.
    pub fn run_until_event(&mut self, end: u64) -> bool {
        self.run(end, true)
    }

    #[inline]
    /// Moves time on to `cycle` while the fabric is quiet (nothing can happen meanwhile).
    pub fn skip_to(&mut self, cycle: u64) {
        debug_assert!(self.is_quiet(), "only a quiet fabric may skip");
        if cycle > self.cycle {
            self.stats.router_cycles += (cycle - self.cycle) * self.routers.len() as u64;
            self.cycle = cycle;
        }
    }

    /// Steps until cycle `end` (exclusive), skipping cycles in which nothing can happen.
    pub fn run_until(&mut self, end: u64) {
        self.run(end, false);
    }

    fn run(&mut self, end: u64, stop_on_events: bool) -> bool {
        // A run that may stop early (for an endpoint event) could return inside a send ahead,
        // with a link holding what is still in the router; a trace must show the registers as
        // they are; faults are drawn in step order. None of them sends ahead.
        let ahead = !stop_on_events && self.tracer.is_none() && self.faults.is_none();
        self.send_ahead_before = if ahead { end } else { 0 };
        let stopped = self.run_cycles(end, stop_on_events);
        self.send_ahead_before = 0;
        self.catch_up_deferred();
        stopped
    }

    fn run_cycles(&mut self, end: u64, stop_on_events: bool) -> bool {
        while self.cycle < end {
            // Wakes may leave nothing to do (a receive buffer freeing with no router waiting).
            self.wake_due();
            if stop_on_events && self.is_quiet() {
                return false;
            }
            if self.active.is_empty() && !self.links_due() && !self.tracing(self.cycle) {
                let next = self
                    .link_wakes
                    .earliest(self.cycle)
                    .min(self.next_due)
                    // The trace window's first cycle is written even if nothing happens in it.
                    .min(
                        self.trace_start()
                            .filter(|&t| t > self.cycle)
                            .unwrap_or(u64::MAX),
                    )
                    .clamp(self.cycle + 1, end);
                self.stats.router_cycles += (next - self.cycle) * self.routers.len() as u64;
                self.cycle = next;
                continue;
            }
            self.step_woken();
            if stop_on_events && !self.endpoint_events.is_empty() {
                return true;
            }
        }
        false
    }

    /// Handles what falls due in this cycle: injected packets reaching their due cycle, sleepers'
    /// wait expiries and freed receive buffers. Most cycles have none, which `next_due` (the
    /// earliest of the three) answers at once.
    #[inline]
    fn wake_due(&mut self) {
        if self.cycle >= self.next_due {
            self.wake_due_now();
        }
    }

    fn wake_due_now(&mut self) {
        let b = (self.cycle & 1) as usize;
        if self.deferred_at[b] == self.cycle {
            let mut deferred = std::mem::take(&mut self.deferred[b]);
            for &chip in &deferred {
                self.list(chip);
            }
            deferred.clear();
            self.deferred[b] = deferred;
            self.deferred_at[b] = u64::MAX;
        }
        if self.heaps_due <= self.cycle {
            self.wake_heaps_due();
        }
        self.next_due = self
            .heaps_due
            .min(self.deferred_at[0])
            .min(self.deferred_at[1]);
    }

    /// Records a wake pushed on one of the heaps for cycle `at`.
    #[inline]
    fn heap_wake_at(&mut self, at: u64) {
        self.heaps_due = self.heaps_due.min(at);
        self.next_due = self.next_due.min(at);
    }

    /// The heaps' part of [`Fabric::wake_due_now`].
    fn wake_heaps_due(&mut self) {
        while let Some(&Reverse((t, chip, core))) = self.chip_wakes.peek() {
            if t > self.cycle {
                break;
            }
            self.chip_wakes.pop();
            self.refresh_core_offer(chip as usize, core as usize, self.cycle);
            // A frozen router cannot take the packet yet; it sees it when it wakes. One asleep
            // with an empty lookup register takes it now.
            if self.chips[chip as usize].asleep_since == u64::MAX
                || self.routers[chip as usize].lookup_empty()
            {
                self.list(chip);
            }
        }
        while let Some(&Reverse((t, chip))) = self.expiry_wakes.peek() {
            if t > self.cycle {
                break;
            }
            self.expiry_wakes.pop();
            self.list(chip);
        }
        while let Some(&Reverse((t, chip, core))) = self.rx_frees.peek() {
            if t > self.cycle {
                break;
            }
            self.rx_frees.pop();
            self.chips[chip as usize].rx_full &= !(1 << (LINKS_PER_CHIP + core as usize));
            // This wakes a router asleep on that core, which is why such routers may sleep. An
            // awake router that is not listed is idle with nothing offered: it has nothing to do.
            if self.chips[chip as usize].asleep_since != u64::MAX {
                self.list(chip);
            }
        }
        self.heaps_due = self.earliest_due();
    }

    /// The earliest cycle of a pending injection, expiry or receive-buffer wake (`u64::MAX` if
    /// there is none).
    fn earliest_due(&self) -> u64 {
        let chip = self
            .chip_wakes
            .peek()
            .map_or(u64::MAX, |Reverse((t, _, _))| *t);
        let expiry = self
            .expiry_wakes
            .peek()
            .map_or(u64::MAX, |Reverse((t, _))| *t);
        let rx = self
            .rx_frees
            .peek()
            .map_or(u64::MAX, |Reverse((t, _, _))| *t);
        chip.min(expiry).min(rx)
    }

    #[inline]
    /// Recomputes whether `chip`'s core queue `core` offers a packet in cycle `at`. (The other
    /// queues' bits stay up to date: each packet's wake comes when it falls due, and taking a
    /// packet updates its queue's bit.)
    fn refresh_core_offer(&mut self, chip: usize, core: usize, at: u64) {
        let due = self.injections[chip][core]
            .front()
            .is_some_and(|q| q.at <= at);
        self.chips[chip].core_offers =
            (self.chips[chip].core_offers & !(1 << core)) | (due as u32) << core;
    }

    #[inline]
    fn links_due(&self) -> bool {
        self.link_wakes.due(self.cycle)
    }

    #[inline]
    fn touch(&mut self, link: u32) {
        if !self.links[link as usize].touched {
            self.links[link as usize].touched = true;
            self.touched.push(link);
        }
    }

    /// The hand-overs of `chip`'s router step in cycle `now`: links taken from and sent to,
    /// core packets taken and delivered (deliveries' endpoint events go at the end of
    /// `endpoint_events`).
    fn hand_over(&mut self, now: u64, chip: u32, step: &Step) {
        let c = chip as usize;
        match step.taken {
            Some(REINJECT_INPUT) => {
                let offer = self.reinjections[c]
                    .pop_front()
                    .expect("invariant: a taken re-injection was queued");
                self.chips[c].reinject_queued = !self.reinjections[c].is_empty();
                self.stats.payload_traversals += (offer.packet >> 1 & 1) as u64;
                self.stats.reinjected += 1;
            }
            Some(input) if input < LINKS_PER_CHIP => {
                let link = self.chips[c].in_link[input];
                debug_assert_ne!(link, NO_LINK, "invariant: taken links exist");
                // The taken packet stays in the link's receive register until the link's edge.
                let packet = self.links[link as usize]
                    .link
                    .offered()
                    .expect("invariant: a taken link offered a packet");
                self.stats.payload_traversals += (packet >> 1 & 1) as u64;
                self.touch(link);
                self.links[link as usize].taken = true;
            }
            Some(input) => {
                let core = input - LINKS_PER_CHIP;
                let packet = self.injections[c][core]
                    .pop_front()
                    .expect("invariant: taken queues are non-empty")
                    .packet();
                self.stats.payload_traversals += (packet >> 1 & 1) as u64;
                self.refresh_core_offer(c, core, now + 1);
                // The next packet is the head now: it is offered from the next cycle if it is
                // due by then, and otherwise waits for its wake.
                if let Some(&Queued { at, .. }) = self.injections[c][core].front() {
                    if at > now + 1 {
                        self.chip_wakes.push(Reverse((at, chip, core as u8)));
                        self.heap_wake_at(at);
                    }
                }
            }
            None => {}
        }
        let mut outputs = step.sent.outputs;
        while outputs != 0 {
            let port = outputs.trailing_zeros() as usize;
            outputs &= outputs - 1;
            let mut packet = step.sent.packet(port);
            if port < LINKS_PER_CHIP {
                if let Some(f) = self.faults.as_mut().filter(|f| f.link_error_below > 0) {
                    if f.rng.next_u64() < f.link_error_below {
                        // One of the key's 32 bits (bus bits 8..40) flipped on the wire: the
                        // parity no longer holds, and the length and timing are unchanged.
                        packet ^= 1u128 << (8 + f.rng.next_u64() % 32);
                        self.stats.link_errors += 1;
                    }
                }
                self.send_on_link(c, port, packet, now);
            } else {
                self.stats.delivered += 1;
                let core = (port - LINKS_PER_CHIP) as u8;
                if self.endpoints == CoreEndpoints::ReceiveBuffers {
                    self.chips[c].rx_full |= 1 << port;
                    self.endpoint_events.push(EndpointEvent::Delivered {
                        cycle: now,
                        chip,
                        core,
                        packet,
                    });
                }
                if self.record {
                    self.deliveries.push(Delivery {
                        cycle: now,
                        chip,
                        core,
                        packet,
                    });
                }
            }
        }
    }

    /// `chip`'s output `port` (a link) hands `packet` to its link's transmitter at the edge of
    /// cycle `at`.
    // Hot and small: kept inline whatever the codegen units make of it.
    #[inline(always)]
    fn send_on_link(&mut self, c: usize, port: usize, packet: u128, at: u64) {
        let link = self.chips[c].out_link(port);
        // The transmitter changes now and only this router reads its ready bit, which it has
        // read this cycle: the link's edge has nothing left to do for the send.
        let slot = &mut self.links[link as usize];
        let moves_at = slot.link.send(at, packet, &self.timing);
        let busy = self.timing.transit(packet >> 1 & 1 == 1);
        // The count is kept in the link's slot, which the send has just touched; its rare
        // carries go to `link_busy`.
        let (low, carry) = slot.busy.overflowing_add(busy);
        slot.busy = low;
        if carry {
            self.link_busy[link as usize] += 1 << 32;
        }
        self.link_wakes.push(moves_at, link);
        self.chips[c].link_ready &= !(1 << port);
        self.stats.link_hops += 1;
        self.stats.link_busy_cycles += busy as u64;
    }

    /// One clock cycle of every router and link.
    pub fn step(&mut self) {
        self.wake_due();
        self.step_woken();
        self.catch_up_deferred();
    }

    /// Skips `chip`'s step in the next cycle, which would only move the packet in its lookup
    /// register into its empty output stage: the router holds a decided packet, its stage is
    /// empty and nothing is offered to it, so that step takes nothing, sends nothing and
    /// changes nothing outside the router. The router is listed again for the cycle after,
    /// and the skipped step is applied when it wakes (or when a run returns, so that what
    /// callers read between runs is current). Anything that lists the router for the next
    /// cycle (an injected packet falling due, a re-injection) makes it step then as usual.
    /// This is the common case of a packet on its way through a router, and takes one of its
    /// three steps out of the fabric's bookkeeping.
    #[inline]
    fn defer(&mut self, chip: u32, now: u64) {
        let at = now + 2;
        let b = (at & 1) as usize;
        debug_assert!(
            self.deferred_at[b] == at || self.deferred[b].is_empty(),
            "invariant: a bucket holds one cycle's routers"
        );
        self.deferred_at[b] = at;
        self.deferred[b].push(chip);
        self.chips[chip as usize].skip_step(now + 1);
        self.next_due = self.next_due.min(at);
    }

    /// Applies the skipped step of every deferred router whose skipped cycle has passed, and
    /// the skipped steps of every send ahead whose cycle has passed.
    fn catch_up_deferred(&mut self) {
        self.catch_up_sent_ahead();
        for b in 0..2 {
            for i in 0..self.deferred[b].len() {
                let c = self.deferred[b][i] as usize;
                if self.chips[c].skipped_before(self.cycle) == Some(true) {
                    self.routers[c].advance_idle();
                    self.chips[c].deferred = 0;
                }
            }
        }
    }

    /// Brings the registers of the routers that sent ahead up to date where the send's cycle
    /// has passed (all of them when a run returns, since it stepped or skipped those cycles),
    /// and forgets them.
    #[inline]
    fn catch_up_sent_ahead(&mut self) {
        if self.sent_ahead_due < self.cycle {
            self.catch_up_sent_ahead_due();
        }
    }

    /// [`Fabric::catch_up_sent_ahead`] once a bucket's cycle has passed.
    fn catch_up_sent_ahead_due(&mut self) {
        let now = self.cycle;
        for b in 0..4 {
            if self.sent_ahead_at[b] >= now {
                continue;
            }
            let mut list = std::mem::take(&mut self.sent_ahead[b]);
            for &chip in &list {
                let c = chip as usize;
                let state = &mut self.chips[c];
                // Stepped since (and so brought up to date), or sent ahead again for later.
                if state.sent_ahead == 0 || state.sent_ahead_at >= now {
                    continue;
                }
                state.sent_ahead = 0;
                if !state.ahead_in_stage {
                    self.routers[c].advance_idle();
                }
                self.routers[c].stage_sent();
            }
            list.clear();
            self.sent_ahead[b] = list;
            self.sent_ahead_at[b] = u64::MAX;
        }
        self.sent_ahead_due = self.sent_ahead_at.iter().copied().min().unwrap_or(u64::MAX);
    }

    /// Sends the packet `chip`'s router has just taken (in cycle `now`) ahead: its router holds
    /// it in the lookup register with an empty stage, nothing is offered to it and every link
    /// the packet goes to is ready. Then the next step would only move the packet into the
    /// stage and the one after would send it on those links (nothing else can send on them
    /// meanwhile, so they stay ready), taking nothing if nothing is offered by then. The send
    /// is handed to the links now, for cycle `now + 2`, and neither step is taken: the router
    /// is not listed, and its registers are brought up to date from the per-cycle catch-up
    /// ring two cycles on, when it next steps, or when the run returns. If something is offered to it in either cycle, it is listed and steps as
    /// usual, the outputs sent ahead counting as ready and not sent again. A packet's way
    /// through an uncontended router is then one computed step (take, decide and send), not
    /// two.
    #[inline]
    fn send_ahead(&mut self, chip: u32, now: u64, sent: &Sent) {
        let c = chip as usize;
        let at = now + 2;
        let mut outputs = sent.outputs;
        while outputs != 0 {
            let port = outputs.trailing_zeros() as usize;
            outputs &= outputs - 1;
            self.send_on_link(c, port, sent.packet(port), at);
        }
        let state = &mut self.chips[c];
        state.sent_ahead = sent.outputs as u8;
        state.sent_ahead_at = at;
        state.ahead_in_stage = false;
        // The bucket's last cycle, `at − 4`, was before `now`: it was emptied when this cycle
        // began (`step_woken`).
        let b = (at & 3) as usize;
        debug_assert!(
            self.sent_ahead_at[b] == at || self.sent_ahead[b].is_empty(),
            "invariant: a bucket holds one cycle's sends ahead"
        );
        self.sent_ahead_at[b] = at;
        self.sent_ahead[b].push(chip);
        self.sent_ahead_due = self.sent_ahead_due.min(at);
    }

    /// Ends every deferral: passed skipped steps are applied and routers whose skipped step is
    /// the current cycle are listed for it, so that the registers are current every cycle
    /// (before a trace starts).
    fn undefer_all(&mut self) {
        self.catch_up_deferred();
        for b in 0..2 {
            for i in 0..self.deferred[b].len() {
                let chip = self.deferred[b][i];
                if self.chips[chip as usize].deferred != 0 {
                    self.chips[chip as usize].deferred = 0;
                    self.list(chip);
                }
            }
        }
    }

    /// [`Fabric::step`] once `wake_due` has run in this cycle, in four phases, each a function
    /// of its own so that it can be read (and profiled) alone: the listed routers wake and
    /// step, each handing its packets over at once ([`Fabric::step_routers`]); the trace, if a
    /// window is open, records the cycle ([`Fabric::trace_cycle`]); the links take their clock
    /// edge ([`Fabric::link_edges`]); and each stepped router stays listed, falls asleep or goes
    /// idle ([`Fabric::settle_routers`]).
    fn step_woken(&mut self) {
        let now = self.cycle;
        self.catch_up_sent_ahead();
        self.stats.router_cycles += self.routers.len() as u64;
        if self.active.len() == 1 && self.tracer.is_none() {
            self.step_one_router(now);
            return;
        }
        let tracing = self.tracing(now);
        if tracing {
            self.wake_all_for_trace();
        }
        let traced = tracing.then(|| self.trace_snapshot());
        let active = self.take_active();
        let mut results = std::mem::take(&mut self.results);
        results.clear();
        self.step_routers(&active, now, traced.is_some().then_some(&mut results));
        if let Some((views, links)) = traced {
            self.trace_cycle(now, views, links, &results);
        }
        self.results = results;
        self.link_edges(now);
        self.settle_routers(&active, now);
        self.give_back_active(active);
        self.cycle += 1;
    }

    /// [`Fabric::step_woken`] for the usual case while little is moving (a packet on its way
    /// through one router): the same phases for the one listed router, without the list's
    /// bookkeeping.
    #[inline]
    fn step_one_router(&mut self, now: u64) {
        let chip = self.active[0];
        self.active.clear();
        self.wake_router(chip, now);
        let first_delivery = self.endpoint_events.len();
        self.step_router(chip, now, first_delivery, &mut 0);
        self.link_edges(now);
        self.settle_router(chip, now);
        self.cycle += 1;
    }

    /// Before a traced cycle: the trace shows every traced router's registers as they are, so
    /// the sleepers wake (none fall asleep inside the window).
    fn wake_all_for_trace(&mut self) {
        if self.n_asleep == 0 {
            return;
        }
        for chip in 0..self.routers.len() {
            if self.chips[chip].asleep_since != u64::MAX {
                self.list(chip as u32);
            }
        }
    }

    /// This cycle's listed routers, in chip order (which makes the logs deterministic; routers
    /// only read pre-edge state, so the order changes nothing else). Routers listed from now
    /// on are next cycle's.
    #[inline]
    fn take_active(&mut self) -> Vec<u32> {
        let spare = std::mem::take(&mut self.active_spare);
        let mut active = std::mem::replace(&mut self.active, spare);
        active.sort_unstable();
        active
    }

    /// Keeps the allocation of a cycle's list for a later cycle.
    #[inline]
    fn give_back_active(&mut self, mut active: Vec<u32>) {
        active.clear();
        self.active_spare = active;
    }

    /// Phases 1 and 2 for every listed router, in chip order: it wakes (coming off the list,
    /// a sleeper catching up on its wait count) and steps, handing its packets over. Waking
    /// touches only the router's own state, and nothing a step does lists a router, so each
    /// router can wake just before its step. With `results`, the steps are kept for the trace.
    #[inline(never)]
    fn step_routers(
        &mut self,
        active: &[u32],
        now: u64,
        mut results: Option<&mut Vec<(u32, Step)>>,
    ) {
        // This cycle's deliveries are reported after its dumps: dumps go in before them.
        let first_delivery = self.endpoint_events.len();
        let mut n_dumps = 0;
        self.warm_routers(active);
        for &chip in active {
            self.wake_router(chip, now);
            let step = self.step_router(chip, now, first_delivery, &mut n_dumps);
            if let (Some(step), Some(results)) = (step, results.as_deref_mut()) {
                results.push((chip, step));
            }
        }
    }

    /// Fetches the chip and router lines of every listed router before any steps. On a large
    /// machine they come from memory, and these loads, independent of each other, overlap,
    /// where a step's own loads would wait one after another. Reads only: nothing changes.
    #[inline(never)]
    fn warm_routers(&self, active: &[u32]) {
        if active.len() < WARM_FROM {
            return;
        }
        let mut sum = 0u32;
        for &chip in active {
            let c = chip as usize;
            sum ^= self.chips[c].link_offers as u32 ^ self.routers[c].warm();
        }
        // A packet arriving on a link mostly goes straight on (a shortest route takes one
        // direction, then another): the output opposite its input is the link it is sent on.
        for &chip in active {
            let state = &self.chips[chip as usize];
            let mut offers = state.link_offers;
            while offers != 0 {
                let input = offers.trailing_zeros() as usize;
                offers &= offers - 1;
                let straight = (input + 3) % LINKS_PER_CHIP;
                if state.out_present >> straight & 1 == 1 {
                    sum ^= self.links[state.out_link(straight) as usize].busy;
                }
            }
        }
        std::hint::black_box(sum);
    }

    /// Writes a traced cycle: the chips' and links' pre-edge values and the routers' steps.
    fn trace_cycle(
        &mut self,
        now: u64,
        views: Vec<ChipView>,
        links: Vec<(bool, bool, u128)>,
        results: &[(u32, Step)],
    ) {
        // A failed write stops the trace, not the simulation; `finish_trace` reports it.
        if let Err(err) = self.write_trace(now, views, links, results) {
            self.tracer = None;
            self.trace_error = Some(err);
        }
    }

    /// Phase 4 for every router listed this cycle. A router phase 2 passed over (idle,
    /// nothing offered) has had nothing offered since but by a link's edge, which listed it,
    /// so `settle_router` passes over it too.
    #[inline(never)]
    fn settle_routers(&mut self, active: &[u32], now: u64) {
        for &chip in active {
            self.settle_router(chip, now);
        }
    }

    /// The traced chips' and links' values before this cycle's edge.
    fn trace_snapshot(&self) -> (Vec<ChipView>, Vec<(bool, bool, u128)>) {
        let links = self
            .tracer
            .as_ref()
            .expect("invariant: tracing")
            .links
            .iter()
            .map(|s| {
                let link = &self.links[s.link as usize].link;
                (
                    link.ready(),
                    link.offered().is_some(),
                    link.receive_register(),
                )
            })
            .collect();
        (self.trace_views(), links)
    }

    /// Phase 1, for a listed router: it comes off the list; a sleeper (woken by a link, a
    /// receive buffer, an offer or its expiry) catches up on the wait cycles it slept.
    // Hot and small: kept inline whatever the codegen units make of it.
    #[inline(always)]
    fn wake_router(&mut self, chip: u32, now: u64) {
        let c = chip as usize;
        let state = &mut self.chips[c];
        state.listed = false;
        if let Some(before) = state.skipped_before(now) {
            // A skipped step of an earlier cycle is applied now; one of this cycle is the
            // step about to be taken.
            if before {
                self.routers[c].advance_idle();
            }
            state.deferred = 0;
        }
        if state.sent_ahead != 0 {
            // The skipped steps before `now`: the move into the stage (in the cycle before the
            // send's) unless the router stepped then, and the send, which left nothing behind.
            let at = state.sent_ahead_at;
            if now >= at && !state.ahead_in_stage {
                self.routers[c].advance_idle();
            }
            if now > at {
                self.routers[c].stage_sent();
                state.sent_ahead = 0;
            } else {
                // Stepping now, in the send's cycle or the one before, moves the packet into
                // the stage (or already has).
                state.ahead_in_stage = true;
            }
        }
        if state.asleep_since != u64::MAX {
            self.routers[c].slept(now - state.asleep_since);
            state.asleep_since = u64::MAX;
            self.n_asleep -= 1;
        }
    }

    /// Phase 2, for a listed router: it steps if it has something to do, and returns its step.
    /// Everything a router reads is registered state from before this edge, and its hand-overs
    /// change only its own chip's inputs and outputs and the links' pending edges, so each
    /// router's hand-overs can follow its step at once. A dump's event goes in after the
    /// `n_dumps` of this cycle already at `first_delivery`, before this cycle's deliveries.
    #[inline]
    fn step_router(
        &mut self,
        chip: u32,
        now: u64,
        first_delivery: usize,
        n_dumps: &mut usize,
    ) -> Option<Step> {
        let c = chip as usize;
        let state = &self.chips[c];
        let router = &self.routers[c];
        let reinject_due = state.reinject_queued && router.output_stage_empty();
        let offers = state.link_offers as u32
            | state.core_offers << LINKS_PER_CHIP
            | (reinject_due as u32) << REINJECT_INPUT;
        if offers == 0 && router.is_idle() {
            return None;
        }
        // Outputs sent ahead are ready for the step that sends them (nothing else is sent on
        // them before it).
        let out_ready = self.sink_ready(c, now) | state.link_ready as u32 | state.sent_ahead as u32;
        let (links, in_link, injections) = (&self.links, &state.in_link, &self.injections[c]);
        let reinjections = &self.reinjections[c];
        let offer = |input: usize| {
            if input == REINJECT_INPUT {
                return *reinjections
                    .front()
                    .expect("invariant: offered re-injections are queued");
            }
            let packet = if input < LINKS_PER_CHIP {
                let link = in_link[input];
                debug_assert_ne!(link, NO_LINK, "invariant: offered links exist");
                links[link as usize]
                    .link
                    .offered()
                    .expect("invariant: offered links hold a packet")
            } else {
                injections[input - LINKS_PER_CHIP]
                    .front()
                    .expect("invariant: offered queues are non-empty")
                    .packet()
            };
            Offer {
                packet,
                source: input as u8,
                override_route: 0,
            }
        };
        let router = &mut self.routers[c];
        let dump_before = router.dump_status();
        let mut step = router.step(offers, offer, out_ready);
        if step.sent.outputs != 0 {
            if let Some(f) = self.faults.as_mut().filter(|f| f.drop_below > 0) {
                if f.rng.next_u64() < f.drop_below {
                    router.fault_dump(&step.sent);
                    step.sent.outputs = 0;
                    self.stats.transient_drops += 1;
                }
            }
        }
        self.stats.router_steps += 1;
        self.stats.router_traversals += step.taken.is_some() as u64;
        if router.dump_status() != dump_before {
            let dump_after = router.dump();
            if self.endpoints == CoreEndpoints::ReceiveBuffers {
                self.endpoint_events.insert(
                    first_delivery + *n_dumps,
                    EndpointEvent::Dumped { cycle: now, chip },
                );
                *n_dumps += 1;
            }
            if self.record && dump_after.status != 0 {
                self.dumps.push(DumpEvent {
                    cycle: now,
                    chip,
                    registers: dump_after,
                });
            }
        }
        if self.chips[c].sent_ahead != 0 && self.chips[c].sent_ahead_at == now {
            // This is the step the send ahead stands for: what it sends on those links is
            // already there.
            let mut handed = step;
            handed.sent.outputs &= !(self.chips[c].sent_ahead as u32);
            self.chips[c].sent_ahead = 0;
            self.hand_over(now, chip, &handed);
        } else {
            self.hand_over(now, chip, &step);
        }
        Some(step)
    }

    /// Phase 3: the clock edge of every link that was taken from, sent to or whose packet may
    /// move on now, and what it changes for the routers at its ends.
    #[inline]
    fn link_edges(&mut self, now: u64) {
        if self.touched.is_empty() && !self.links_due() {
            return;
        }
        self.link_edges_touched(now);
    }

    #[inline(never)]
    fn link_edges_touched(&mut self, now: u64) {
        // Each link's edge changes only the link and its own bits at its two ends, so the
        // edges can go in any order: the links whose packets may move on first, straight from
        // their bucket, then the links routers took from that are not among them (an edge
        // clears the slot's `touched` flag, so none is edged twice).
        if self.link_wakes.due(now) {
            let mut woken = std::mem::take(&mut self.woken_links);
            self.link_wakes.drain_into(now, &mut woken);
            self.warm_links(&woken);
            for &link in &woken {
                self.link_edge(link, now);
            }
            woken.clear();
            self.woken_links = woken;
        }
        let spare = std::mem::take(&mut self.touched_spare);
        let mut touched = std::mem::replace(&mut self.touched, spare);
        for &link in &touched {
            if self.links[link as usize].touched {
                self.link_edge(link, now);
            }
        }
        touched.clear();
        self.touched_spare = touched;
    }

    /// Fetches the slots of the links whose packets may move on, and the chip lines at their
    /// ends, before any edge runs, as [`Fabric::warm_routers`] does for routers.
    #[inline(never)]
    fn warm_links(&self, links: &[u32]) {
        if links.len() < WARM_FROM {
            return;
        }
        // Two passes: the slots' loads overlap first, then the chips' that depend on them.
        let mut sum = 0u32;
        for &link in links {
            sum ^= self.links[link as usize].to_chip;
        }
        for &link in links {
            let slot = &self.links[link as usize];
            sum ^= self.chips[slot.to_chip as usize].link_offers as u32
                ^ self.chips[slot.from_chip as usize].link_ready as u32;
        }
        std::hint::black_box(sum);
    }

    /// One link's clock edge at the end of cycle `now`, and what it changes for the routers at
    /// its ends.
    // Hot and small: kept inline whatever the codegen units make of it.
    #[inline(always)]
    fn link_edge(&mut self, link: u32, now: u64) {
        let slot = &mut self.links[link as usize];
        let taken = slot.taken;
        slot.taken = false;
        slot.touched = false;
        // Sends went to the transmitter at once (`hand_over`).
        let filled = slot.link.edge(now, taken, None, &self.timing);
        let ends = slot.ends();
        let offered = slot.link.offered().is_some() as u8;
        let ready = slot.link.ready() as u8;

        let to = ends.to_chip as usize;
        self.chips[to].link_offers =
            (self.chips[to].link_offers & !(1 << ends.to_input)) | offered << ends.to_input;
        let from = ends.from_chip as usize;
        self.chips[from].link_ready =
            (self.chips[from].link_ready & !(1 << ends.from_output)) | ready << ends.from_output;
        // A sleeping router wakes when one of its links frees.
        if ready == 1 && self.chips[from].asleep_since != u64::MAX {
            self.list(ends.from_chip);
        }
        if filled || offered == 1 {
            self.list(ends.to_chip);
        }
    }

    /// Phase 4, for a router that was listed: if it still holds packets, or still has offers,
    /// it stays listed, unless it is frozen, or has an empty lookup register and nothing
    /// offered while its stage waits: then it sleeps until a pending output frees, an offer
    /// arrives or its wait expires. A router holding only a decided packet with nothing
    /// offered sends it ahead ([`Fabric::send_ahead`]) or skips its next step
    /// ([`Fabric::defer`]) instead of staying listed.
    #[inline]
    fn settle_router(&mut self, chip: u32, now: u64) {
        let c = chip as usize;
        let state = &self.chips[c];
        let router = &self.routers[c];
        let nothing_offered =
            state.link_offers == 0 && state.core_offers == 0 && !state.reinject_queued;
        if state.listed || (router.is_idle() && nothing_offered) {
            return;
        }
        if router.output_stage_empty() {
            // The usual case on a packet's way through: it has just been taken into the lookup
            // register (or there are offers to take). Only a waiting output stage sleeps.
            if nothing_offered && self.tracer.is_none() {
                // Nothing is offered and the lookup register holds a packet: the next step
                // would only move it into the stage, and the one after send it if its outputs
                // are links that are ready.
                match router.next_links_sent() {
                    Some(sent)
                        if now + 2 < self.send_ahead_before
                            && sent.outputs & !(state.link_ready as u32) == 0 =>
                    {
                        self.send_ahead(chip, now, &sent)
                    }
                    _ => self.defer(chip, now),
                }
            } else {
                self.list(chip);
            }
            return;
        }
        let out_ready =
            self.sink_ready(c, now + 1) | state.link_ready as u32 | state.sent_ahead as u32;
        let cores_wake = self.endpoints == CoreEndpoints::ReceiveBuffers;
        // A router whose lookup register is empty may sleep too while nothing is offered to
        // it: an offer (a link filling, a core packet falling due) wakes it.
        let sleep = if router.lookup_empty() {
            if nothing_offered {
                router.stage_wait_cycles(out_ready, cores_wake)
            } else {
                None
            }
        } else {
            router.sleep_cycles(out_ready, cores_wake)
        };
        match sleep {
            Some(k) if self.sleeping && !self.tracing(now + 1) => {
                self.chips[c].asleep_since = now + 1;
                self.n_asleep += 1;
                self.expiry_wakes.push(Reverse((now + 1 + k, chip)));
                self.heap_wake_at(now + 1 + k);
            }
            _ => self.list(chip),
        }
    }
}
