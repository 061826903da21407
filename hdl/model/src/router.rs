//! `Router`: the fast model of one multicast router, cycle for cycle the same as the RTL
//! `MulticastRouter` with a register table (`hdl/rtl/src/router/`, documented in
//! `docs/hardware.md`): the same arbiter (links before local inputs, round robin within
//! each), the same two-stage pipeline (with the lookup register's packet offered early on the
//! outputs a waiting stage does not use), the same routing decision, the same wait1 →
//! emergency → wait2 → dump sequence and the same counters.
//!
//! A cycle is one call to [`Router::step`]: everything the RTL computes combinationally from
//! registered state and this cycle's inputs, then the clock edge. The caller passes the inputs
//! as bitmasks, so a router with nothing to do costs nothing and the fabric can skip it.

use spinn_arch::{ChipCoord, DumpHeader, LinkDir, McEntry, RouterControl, N_COUNTERS};

/// Input ports: 0–5 links, 6–23 cores, 24 the monitor's re-injection port.
pub const REINJECT_INPUT: usize = 24;
const CORE_OUTPUTS: u32 = 0xff_ffc0;
/// The link inputs 0–5, which the arbiter serves before the local ones.
const LINK_INPUTS: u32 = 0x3f;
const WAIT_COUNT_MASK: u32 = (1 << 20) - 1;

/// What a packet on an input carries besides the packet: the input port it counts as arriving
/// on and the outputs a re-injection names (0: look it up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub packet: u128,
    pub source: u8,
    pub override_route: u32,
}

/// The lookup register: the packet's input and where it goes. The decision is made once, when
/// the packet is taken: it depends only on the packet, its input and the router's setup, none of
/// which change while the packet waits, so deciding again every cycle it waits would only repeat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lookup {
    source: u8,
    decision: Decision,
    /// Outputs that already took the packet while it waited here (see [`Router::early_offer`]).
    sent: u32,
}

/// The output stage's registers. They keep their values when the stage empties, as the RTL's do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Stage {
    held: bool,
    packet: u128,
    source: u8,
    pending: u32,
    er_first: u8,
    er_last: u8,
    in_wait2: bool,
    wait_count: u32,
    /// The packet has been offered for at least one cycle: the RTL's `stage_waited`.
    waited: bool,
}

impl Stage {
    /// The stage as a packet that was not dropped enters it from the lookup register, to the
    /// outputs `pending` that have not taken it yet.
    fn entered(decision: Decision, source: u8, pending: u32) -> Stage {
        Stage {
            held: true,
            packet: decision.packet,
            source,
            pending,
            er_first: 0,
            er_last: decision.er_last,
            in_wait2: false,
            wait_count: 0,
            waited: false,
        }
    }
}

/// The dump registers (`docs/hardware.md`, ports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DumpRegisters {
    /// The register value, laid out as [`DumpHeader`].
    pub header: u16,
    pub key: u32,
    pub payload: u32,
    pub outputs: u32,
    pub status: u32,
}

/// Where one packet goes: the RTL `RouteDecision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decision {
    drop: bool,
    route: u32,
    er_last: u8,
    packet: u128,
    counts: u16,
}

/// Where P2P packets go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum P2pRoutes {
    /// A table of 3-bit codes indexed as the RTL does: `(x mod 2^c) << c | (y mod 2^c)`, with
    /// `4^c` entries.
    Table(Vec<u8>),
    /// Computed on demand for a full torus without dead parts: one hop along a shortest vector,
    /// the diagonal first. It is what a table filled with shortest routes holds, without the
    /// 64 KB a 65,536-entry table costs per chip (3.7 GB for a SpiNNaker1M machine).
    Geometric {
        here: ChipCoord,
        width: u16,
        height: u16,
    },
}

impl P2pRoutes {
    fn coord_bits(&self) -> u32 {
        match self {
            P2pRoutes::Table(t) => t.len().trailing_zeros() / 2,
            P2pRoutes::Geometric { .. } => 8,
        }
    }

    #[inline]
    pub(crate) fn code(&self, dest: u16, coord_bits: u32) -> u8 {
        match self {
            P2pRoutes::Table(table) => {
                let mask = (1u32 << coord_bits) - 1;
                let (x, y) = (dest as u32 >> 8 & mask, dest as u32 & mask);
                table[(x << coord_bits | y) as usize] & 7
            }
            P2pRoutes::Geometric {
                here,
                width,
                height,
            } => {
                // The shortest of the four wrap combinations in the triangular metric, where a
                // vector is max(|dx|, |dy|) long if both have the same sign, |dx| + |dy| if not.
                let offsets = |from: u16, to: u16, size: u16| {
                    let d = (to as i32 - from as i32).rem_euclid(size as i32);
                    [d, d - size as i32]
                };
                let length = |dx: i32, dy: i32| {
                    if dx.signum() == dy.signum() {
                        dx.abs().max(dy.abs())
                    } else {
                        dx.abs() + dy.abs()
                    }
                };
                let (dx, dy) = offsets(here.x, dest >> 8, *width)
                    .into_iter()
                    .flat_map(|dx| offsets(here.y, dest & 0xff, *height).map(move |dy| (dx, dy)))
                    .min_by_key(|&(dx, dy)| (length(dx, dy), dx, dy))
                    .expect("invariant: four candidates");
                let link = match (dx.signum(), dy.signum()) {
                    (0, 0) => return 7,
                    (1, 1) => LinkDir::NE,
                    (-1, -1) => LinkDir::SW,
                    (1, _) => LinkDir::E,
                    (-1, _) => LinkDir::W,
                    (_, 1) => LinkDir::N,
                    _ => LinkDir::S,
                };
                link.index() as u8
            }
        }
    }
}

/// The routing state software configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterSetup {
    /// The multicast table as loaded: entry `i` is what the RTL holds after a write at index
    /// `i`. The model takes whole tables, so there is no index to be out of range; a loader of
    /// a router with a capacity rejects a longer table (`LoadError::TableTooLarge` in the
    /// runtime), and one replaying configuration writes keeps only the in-range ones, since
    /// the RTL ignores the rest.
    pub table: Vec<McEntry>,
    pub p2p: P2pRoutes,
    pub fixed_route: u32,
    pub control: RouterControl,
    pub rotate_clockwise: bool,
}

/// Entries per block of [`McMatcher`]'s scan.
const MATCH_BLOCK: usize = 8;

/// Tables at least this long are matched by mask groups ([`MaskGroup`]) when they have at
/// most one distinct mask per [`ENTRIES_PER_GROUP`] entries; shorter tables, and tables of
/// many masks, are scanned block by block.
const GROUP_FROM: usize = 32;
const ENTRIES_PER_GROUP: usize = 4;

/// The multicast table laid out for matching, one of two ways with the same answer: the first
/// entry whose key equals the packet's key under the entry's mask wins, as in the RTL.
///
/// * **Scan:** keys and masks in blocks of [`MATCH_BLOCK`] (the last padded with an entry no
///   key matches), so that a block is compared without a branch per entry.
/// * **Mask groups:** the entries grouped by mask, each group a hash table from masked key to
///   the lowest index with that key behind a bit filter, the groups in order of their lowest
///   index. A lookup tries each group in turn (the filter, then the table if the filter
///   passes) and stops at the first group whose lowest index is past the best match so far.
///   Toolchain-minimised tables have few masks (the MNIST residual network's fastest plan:
///   200–540 entries, 8–12 masks per chip), so a lookup is about ten filter tests and one or
///   two probes instead of a scan of up to 68 blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct McMatcher {
    keys: Vec<[u32; MATCH_BLOCK]>,
    masks: Vec<[u32; MATCH_BLOCK]>,
    /// Empty when the table is scanned.
    groups: Vec<MaskGroup>,
    routes: Vec<u32>,
}

/// The entries of one mask (see [`McMatcher`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct MaskGroup {
    mask: u32,
    /// The lowest entry index in the group.
    first: u32,
    /// `slots.len() == 1 << bits`.
    bits: u32,
    /// Open addressing, linear probing: (masked key, lowest entry index with that key);
    /// [`NO_ENTRY`] marks an empty slot.
    slots: Box<[(u32, u32)]>,
    /// `1 << (bits + FILTER_EXTRA_BITS)` bits, one per value of a key's hash's top bits, set
    /// for the group's keys: a key whose bit is clear is in no slot. The filters of a table
    /// are a few hundred bytes that stay in cache, where each probe of a slot is a likely
    /// miss, so a lookup probes about one group instead of every group.
    filter: Box<[u64]>,
}

/// The filter has `1 << FILTER_EXTRA_BITS` times as many bits as the table has slots: with
/// slots at most half full, at most one key in 8 that no entry has passes it.
const FILTER_EXTRA_BITS: u32 = 2;

const NO_ENTRY: u32 = u32::MAX;

impl MaskGroup {
    fn new(mask: u32, entries: &[(u32, u32)]) -> MaskGroup {
        // At most half full, so that a probe ends within a few slots.
        let bits = (2 * entries.len())
            .next_power_of_two()
            .trailing_zeros()
            .max(1);
        let filter_bits = 1usize << (bits + FILTER_EXTRA_BITS);
        let mut group = MaskGroup {
            mask,
            first: entries.iter().map(|&(_, i)| i).min().unwrap_or(NO_ENTRY),
            bits,
            slots: vec![(0, NO_ENTRY); 1 << bits].into_boxed_slice(),
            filter: vec![0; filter_bits.div_ceil(64)].into_boxed_slice(),
        };
        // In index order, so that the first entry of a key keeps its slot.
        for &(key, index) in entries {
            let slot = group.slot_of(key);
            if group.slots[slot].1 == NO_ENTRY {
                group.slots[slot] = (key, index);
            }
            let bit = group.filter_bit(key);
            group.filter[bit / 64] |= 1 << (bit % 64);
        }
        group
    }

    #[inline]
    fn hash(key: u32) -> u32 {
        key.wrapping_mul(0x9e37_79b1)
    }

    /// `key`'s bit in the filter: the top bits of its hash, which refine its first slot.
    #[inline]
    fn filter_bit(&self, key: u32) -> usize {
        (MaskGroup::hash(key) >> (32 - self.bits - FILTER_EXTRA_BITS)) as usize
    }

    /// The slot holding `key`, or the empty slot where it would go.
    #[inline]
    fn slot_of(&self, key: u32) -> usize {
        let last = self.slots.len() - 1;
        let mut slot = (MaskGroup::hash(key) >> (32 - self.bits)) as usize;
        loop {
            let (k, index) = self.slots[slot];
            if index == NO_ENTRY || k == key {
                return slot;
            }
            slot = (slot + 1) & last;
        }
    }

    /// The lowest index of an entry of this group matching `key`, or [`NO_ENTRY`].
    #[inline]
    fn lookup(&self, key: u32) -> u32 {
        let key = key & self.mask;
        let bit = self.filter_bit(key);
        if self.filter[bit / 64] >> (bit % 64) & 1 == 0 {
            return NO_ENTRY;
        }
        self.slots[self.slot_of(key)].1
    }
}

impl McMatcher {
    fn new(table: &[McEntry]) -> McMatcher {
        let routes = table.iter().map(|e| e.route().bits()).collect();
        let mut masks: Vec<u32> = table.iter().map(|e| e.mask()).collect();
        masks.sort_unstable();
        masks.dedup();
        if table.len() >= GROUP_FROM && masks.len() * ENTRIES_PER_GROUP <= table.len() {
            let mut groups: Vec<MaskGroup> = masks
                .iter()
                .map(|&mask| {
                    // An entry whose key has bits outside its mask (a cleared entry) matches
                    // no key: it is left out.
                    let entries: Vec<(u32, u32)> = (0..table.len())
                        .filter(|&i| table[i].mask() == mask && table[i].key() & !mask == 0)
                        .map(|i| (table[i].key(), i as u32))
                        .collect();
                    MaskGroup::new(mask, &entries)
                })
                .filter(|g| g.first != NO_ENTRY)
                .collect();
            groups.sort_by_key(|g| g.first);
            return McMatcher {
                keys: Vec::new(),
                masks: Vec::new(),
                groups,
                routes,
            };
        }
        let n_blocks = table.len().div_ceil(MATCH_BLOCK);
        // Key 1 under mask 0: `key & 0 == 1` never holds.
        let mut keys = vec![[1; MATCH_BLOCK]; n_blocks];
        let mut masks = vec![[0; MATCH_BLOCK]; n_blocks];
        for (i, e) in table.iter().enumerate() {
            keys[i / MATCH_BLOCK][i % MATCH_BLOCK] = e.key();
            masks[i / MATCH_BLOCK][i % MATCH_BLOCK] = e.mask();
        }
        McMatcher {
            keys,
            masks,
            groups: Vec::new(),
            routes,
        }
    }

    /// The route of the first entry matching `key`, as `McEntry::matches` does.
    #[inline]
    fn first_match(&self, key: u32) -> Option<u32> {
        if !self.groups.is_empty() {
            return self.first_match_grouped(key);
        }
        for (block, (keys, masks)) in self.keys.iter().zip(&self.masks).enumerate() {
            let mut hits = 0u32;
            for i in 0..MATCH_BLOCK {
                hits |= ((key & masks[i] == keys[i]) as u32) << i;
            }
            if hits != 0 {
                return Some(self.routes[block * MATCH_BLOCK + hits.trailing_zeros() as usize]);
            }
        }
        None
    }

    fn first_match_grouped(&self, key: u32) -> Option<u32> {
        let mut best = NO_ENTRY;
        for group in &self.groups {
            // The groups come in order of their lowest index: none from here on can win.
            if group.first >= best {
                break;
            }
            best = best.min(group.lookup(key));
        }
        (best != NO_ENTRY).then(|| self.routes[best as usize])
    }
}

/// The outputs transferring in a cycle and the packets they carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sent {
    /// Outputs whose valid and ready were both high (links `[5:0]`, cores `[23:6]`).
    pub outputs: u32,
    packet: u128,
    er_first: u8,
    er_last: u8,
    /// The input the packet came from (for a dump of it).
    source: u8,
    /// The outputs (a subset of `outputs`) that carry the lookup register's packet instead,
    /// offered early while the stage waits (see [`Router::early_offer`]), with that packet,
    /// the links on which it is on the last leg of a detour, and its input.
    early: u32,
    early_packet: u128,
    early_er_last: u8,
    early_source: u8,
}

impl Sent {
    /// The packet (bus form) output `port` carries: links have their own ER field; the cores
    /// share one bus, which carries the lookup register's packet when it is offered to a core.
    pub fn packet(&self, port: usize) -> u128 {
        if port >= 6 && self.early & CORE_OUTPUTS != 0 {
            return self.early_packet;
        }
        if port < 6 && self.early >> port & 1 == 1 {
            if self.early_er_last >> port & 1 == 1 {
                return self.early_packet ^ 0x30;
            }
            return self.early_packet;
        }
        if port < 6 {
            if self.er_first >> port & 1 == 1 {
                return self.packet ^ 0x21;
            }
            if self.er_last >> port & 1 == 1 {
                return self.packet ^ 0x30;
            }
        }
        self.packet
    }
}

/// One cycle's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Step {
    /// The input whose packet was taken.
    pub taken: Option<usize>,
    pub sent: Sent,
}

/// The fast model of one router.
///
/// Laid out in declaration order (`repr(C)`), what every step reads or writes first: the
/// registers, the wait limits, the dump status, the counters and the setup values a decision
/// needs, copied out of the `RouterSetup`; the multicast table, read only for multicast
/// packets, last. When thousands of routers step per cycle, the cache lines a step touches
/// are most of what it costs.
#[derive(Debug, Clone)]
#[repr(C)]
pub struct Router {
    stage: Stage,
    lookup: Option<Lookup>,
    /// `wait_limit` of the control register's wait1 and wait2, worked out once.
    wait1: (u32, bool),
    wait2: (u32, bool),
    p2p_coord_bits: u32,
    /// `setup.fixed_route`, `setup.rotate_clockwise` and the monitor's route bit.
    fixed_route: u32,
    monitor_route: u32,
    rotate_clockwise: bool,
    /// The round-robin pointers of the links and of the local inputs (cores and the
    /// re-injection port): the input numbers from which the next grant in each group searches.
    link_pointer: u8,
    local_pointer: u8,
    /// Read every step (to see whether it dumped).
    dump: DumpRegisters,
    counters: [u32; N_COUNTERS],
    p2p: P2pRoutes,
    mc: McMatcher,
}

fn rotate(links: u8, clockwise: bool) -> u8 {
    if clockwise {
        (links >> 1 | links << 5) & 0x3f
    } else {
        (links << 1 | links >> 5) & 0x3f
    }
}

/// Wait limit in cycles and whether it is infinite.
fn wait_limit(setting: u8) -> (u32, bool) {
    let m = (setting & 0xf) as u32 + 16;
    let e = (setting >> 4) as u32;
    let limit = (m << e).wrapping_sub(if e <= 4 { 16 } else { 0 }) & WAIT_COUNT_MASK;
    (limit, setting == 0xff)
}

impl Router {
    pub fn new(setup: RouterSetup) -> Router {
        let p2p_coord_bits = setup.p2p.coord_bits();
        if let P2pRoutes::Table(table) = &setup.p2p {
            assert_eq!(
                1usize << (2 * p2p_coord_bits),
                table.len(),
                "invariant: the P2P table has 4^c entries"
            );
        }
        Router {
            wait1: wait_limit(setup.control.wait1.0),
            wait2: wait_limit(setup.control.wait2.0),
            mc: McMatcher::new(&setup.table),
            fixed_route: setup.fixed_route,
            monitor_route: 1u32 << (6 + setup.control.monitor.index()),
            rotate_clockwise: setup.rotate_clockwise,
            p2p: setup.p2p,
            p2p_coord_bits,
            link_pointer: 0,
            local_pointer: 0,
            lookup: None,
            stage: Stage::default(),
            dump: DumpRegisters::default(),
            counters: [0; N_COUNTERS],
        }
    }

    pub fn counters(&self) -> &[u32; N_COUNTERS] {
        &self.counters
    }

    pub fn dump(&self) -> DumpRegisters {
        self.dump
    }

    pub(crate) fn dump_status(&self) -> u32 {
        self.dump.status
    }

    /// Reads a word from each cache line a step touches (the registers, the wait limits, the
    /// dump registers, the counters and the P2P routes), so that a caller can fetch many
    /// routers' lines at once before stepping them one by one.
    #[inline(always)]
    pub(crate) fn warm(&self) -> u32 {
        self.stage.held as u32
            ^ self.lookup.is_some() as u32
            ^ self.wait1.0
            ^ self.dump.status
            ^ self.counters[N_COUNTERS - 1]
            ^ matches!(self.p2p, P2pRoutes::Table(_)) as u32
    }

    /// No packet anywhere in the router: stepping it with no offers changes nothing.
    pub fn is_idle(&self) -> bool {
        self.lookup.is_none() && !self.stage.held
    }

    /// Packets the router holds: in its lookup register and its output stage.
    pub fn packets_held(&self) -> usize {
        self.lookup.is_some() as usize + self.stage.held as usize
    }

    pub fn output_stage_empty(&self) -> bool {
        !self.stage.held
    }

    /// The outputs offered this cycle (the RTL's `out_valid` vector) and the packet each link
    /// output carries: what a waveform shows.
    pub fn offered(&self) -> Sent {
        let early = self.early_offer();
        let stage = Sent {
            outputs: if self.stage.held {
                self.stage.pending
            } else {
                0
            },
            packet: self.stage.packet,
            er_first: self.stage.er_first,
            er_last: self.stage.er_last,
            source: self.stage.source,
            ..Sent::default()
        };
        self.with_early(stage, early)
    }

    /// The outputs the lookup register's packet is offered on this cycle: while the output
    /// stage holds a packet that has waited at least a cycle, a decided packet behind it need
    /// not wait for it. It is offered on the outputs that have not taken it yet and that the
    /// stage is not waiting on (so no output reorders its packets), and on cores only when the
    /// stage waits on no core (the cores share one packet bus). A function of registers only,
    /// so `valid` does not depend on `ready`. Without it, two neighbours whose stages wait on
    /// each other deadlock: each one's lookup register is full too, so neither can take the
    /// packet the other waits to hand over (`docs/fabric.md`, saturation).
    #[inline]
    fn early_offer(&self) -> u32 {
        self.early_offer_once_waited(self.stage.waited)
    }

    /// [`Router::early_offer`] as it is once the stage's packet has waited a cycle (`waited`)
    /// or as it is now: a router that sleeps from the cycle its stage is entered is offering
    /// early from the cycle after.
    #[inline]
    fn early_offer_once_waited(&self, waited: bool) -> u32 {
        let st = &self.stage;
        match &self.lookup {
            Some(l) if st.held && waited && !l.decision.drop => {
                let left = l.decision.route & !l.sent & !st.pending;
                if st.pending & CORE_OUTPUTS != 0 {
                    left & !CORE_OUTPUTS
                } else {
                    left
                }
            }
            _ => 0,
        }
    }

    /// `sent` with the lookup register's packet on the outputs `early`.
    #[inline]
    fn with_early(&self, mut sent: Sent, early: u32) -> Sent {
        if early != 0 {
            let l = self
                .lookup
                .as_ref()
                .expect("invariant: an early offer has a lookup");
            sent.outputs |= early;
            sent.early = early;
            sent.early_packet = l.decision.packet;
            sent.early_er_last = l.decision.er_last;
            sent.early_source = l.source;
        }
        sent
    }

    /// How many cycles, from the next one, the router can sleep given which outputs will be
    /// ready, or `None` if it must be stepped. It is frozen when its output stage holds a packet
    /// whose pending outputs (at least one) are all links (or, with `cores_wake`, links and
    /// cores) and none is ready, and its lookup register holds a packet that will wait for the
    /// stage: then nothing changes but the wait count until a pending output frees (the fabric
    /// wakes it then) or the wait expires (after the cycles returned; an infinite wait still
    /// wraps its 20-bit count as the RTL does). `cores_wake` says the fabric wakes the router
    /// whenever a core output becomes ready, as it does for receive buffers but cannot for test
    /// sinks blocked by interval.
    pub fn sleep_cycles(&self, out_ready: u32, cores_wake: bool) -> Option<u64> {
        let lookup = self.lookup.as_ref()?;
        let left = self.stage_wait_cycles(out_ready, cores_wake)?;
        let early = self.early_offer_once_waited(true);
        let early_waits = early & out_ready == 0 && (cores_wake || early & CORE_OUTPUTS == 0);
        (!lookup.decision.drop && early_waits).then_some(left)
    }

    /// Whether the lookup register is empty.
    pub(crate) fn lookup_empty(&self) -> bool {
        self.lookup.is_none()
    }

    /// How many cycles, from the next one, the output stage stays blocked with nothing changing
    /// but its wait count, or `None` if it is not blocked (see [`Router::sleep_cycles`]). With an
    /// empty lookup register and no offers, that is how long the router may sleep.
    pub(crate) fn stage_wait_cycles(&self, out_ready: u32, cores_wake: bool) -> Option<u64> {
        let st = &self.stage;
        let blocked = st.held && st.pending != 0 && st.pending & out_ready == 0;
        let waits_on_cores = st.pending & CORE_OUTPUTS != 0 && !cores_wake;
        if !blocked || waits_on_cores {
            return None;
        }
        let (limit, infinite) = if st.in_wait2 { self.wait2 } else { self.wait1 };
        let left = if infinite {
            WAIT_COUNT_MASK + 1 - st.wait_count
        } else {
            limit.checked_sub(st.wait_count)?
        };
        (left > 0).then_some(left as u64)
    }

    /// Accounts for `cycles` slept while frozen: the wait count went up by one each cycle.
    pub fn slept(&mut self, cycles: u64) {
        self.stage.wait_count = (self.stage.wait_count + cycles as u32) & WAIT_COUNT_MASK;
        self.stage.waited |= cycles > 0;
    }

    /// Clears the dump status, as the monitor's read of the status register does (between
    /// cycles; the RTL does it through a configuration write).
    pub fn clear_dump(&mut self) {
        self.dump.status = 0;
    }

    fn decide(&self, offer: &Offer) -> Decision {
        let packet = offer.packet;
        let header = packet as u8;
        let key = (packet >> 8) as u32;
        let kind = header >> 6;
        let er = header >> 4 & 3;
        let payload = (packet >> 40) as u32;
        // Odd parity over the header, the key and (in a 72-bit packet) the payload: parity is
        // additive under XOR, so one count of the three XORed together gives it.
        let covered = header as u32 ^ key ^ if header & 2 != 0 { payload } else { 0 };
        let parity_ok = covered.count_ones() & 1 == 1;
        let from_link = offer.source < 6;
        let source_link: u8 = if from_link { 1 << offer.source } else { 0 };
        let forward = rotate(source_link, self.rotate_clockwise);
        let arrival = if er == 3 { forward } else { source_link };
        let default_link = (arrival << 3 | arrival >> 3) & 0x3f;
        let monitor_route = self.monitor_route;
        let mut res = Decision {
            drop: false,
            route: 0,
            er_last: 0,
            packet,
            counts: 0,
        };
        if !parity_ok {
            res.drop = true;
            res.counts |= 1 << 9;
        } else if kind == 0 || kind == 3 {
            let flip = (er ^ er >> 1) & 1;
            res.packet = (packet & !0x30) ^ flip as u128;
            res.counts |= if kind == 3 {
                1 << 4
            } else if from_link {
                1 << 1
            } else {
                1
            };
            if from_link && er == 2 {
                res.route = forward as u32;
                res.er_last = forward;
            } else {
                let normal = if kind == 3 {
                    self.fixed_route
                } else if let Some(route) = self.mc.first_match(key) {
                    route
                } else if from_link {
                    res.counts |= 1 << 7;
                    default_link as u32
                } else {
                    res.drop = true;
                    res.counts |= 1 << 8;
                    0
                };
                res.route = normal;
                if from_link && er == 1 {
                    res.route = normal | forward as u32;
                    res.er_last = forward;
                }
            }
        } else if kind == 1 {
            res.counts |= 1 << 2;
            match self.p2p.code(key as u16, self.p2p_coord_bits) {
                6 => {
                    res.drop = true;
                    res.counts |= 1 << 8;
                }
                7 => res.route = monitor_route,
                link => res.route = 1 << link,
            }
        } else {
            res.counts |= 1 << 3;
            let nn_route = header >> 2 & 7;
            res.route = if from_link || nn_route >= 6 {
                monitor_route
            } else {
                1 << nn_route
            };
        }
        if parity_ok && offer.override_route != 0 {
            res.drop = false;
            res.route = offer.override_route;
            res.er_last = 0;
            res.packet = packet;
            if kind == 0 || kind == 3 {
                // A re-injected MC or FR packet leaves normal, except that ER = 3 restores the
                // last leg of an emergency route on its links.
                let flip = (er ^ er >> 1) & 1;
                res.packet = (packet & !0x30) ^ flip as u128;
                if er == 3 {
                    res.er_last = (offer.override_route & 0x3f) as u8;
                }
            }
            res.counts &= 0x1f;
        }
        res
    }

    /// One clock cycle. `offers` has bit i set when input i offers a packet; `offer(i)` gives
    /// it. `out_ready` has bit o set when output o is ready.
    pub fn step(&mut self, offers: u32, offer: impl Fn(usize) -> Offer, out_ready: u32) -> Step {
        let st = self.stage;
        let remaining = st.pending & !out_ready;
        let early = self.early_offer() & out_ready;
        if !st.held || remaining == 0 {
            // The common cases: the stage is empty, or everything it holds goes out in this
            // cycle. Either way the stage takes the lookup register's packet (unless it is
            // dropped), so the lookup register takes whatever the arbiter grants: the general
            // case below, less what cannot happen here (waits, emergency routes, dumps).
            let sent = Sent {
                outputs: if st.held { st.pending } else { 0 },
                packet: st.packet,
                er_first: st.er_first,
                er_last: st.er_last,
                source: st.source,
                ..Sent::default()
            };
            let sent = self.with_early(sent, early);
            self.stage.held = false;
            if let Some(mut lookup) = self.lookup {
                lookup.sent |= early;
                self.advance_lookup(lookup);
            }
            let grant = self.arbitrate(offers);
            match grant {
                Some(g) => self.capture(g, offer(g)),
                None => self.lookup = None,
            }
            return Step { taken: grant, sent };
        }
        // Output stage, combinational: it is blocked (some pending output is not ready); it
        // takes a packet only if wait2 expires in this cycle, which dumps what it holds.
        let (limit, infinite) = if st.in_wait2 { self.wait2 } else { self.wait1 };
        let expire = !infinite && st.wait_count >= limit;
        let stage_in_ready = expire && st.in_wait2;
        let sent = Sent {
            outputs: st.pending & out_ready,
            packet: st.packet,
            er_first: st.er_first,
            er_last: st.er_last,
            source: st.source,
            ..Sent::default()
        };
        let sent = self.with_early(sent, early);
        // Lookup stage, combinational (the decision was made when the packet was taken). Its
        // packet leaves the register when it is dropped, when it moves into the stage, or when
        // its last output takes it early.
        let decision = self.lookup.as_ref().map(|l| l.decision);
        let lookup_sent = self.lookup.as_ref().map_or(0, |l| l.sent | early);
        let lookup_left = decision.map_or(0, |d| d.route & !lookup_sent);
        let lookup_done = lookup_sent != 0 && lookup_left == 0;
        let lookup_advance = lookup_done || decision.is_some_and(|d| d.drop || stage_in_ready);
        let can_accept = self.lookup.is_none() || lookup_advance;
        let grant = self.arbitrate(offers);
        let taken = grant.filter(|_| can_accept);

        // The clock edge.
        let mut events: u16 = 0;
        let mut next = st;
        next.waited = true;
        next.pending = remaining;
        next.wait_count = (st.wait_count + 1) & WAIT_COUNT_MASK;
        if expire {
            next.wait_count = 0;
            let remaining_links = (remaining & 0x3f) as u8;
            if st.in_wait2 {
                next.held = false;
                events |= self.latch_dump(st.packet, st.source, st.er_first, st.er_last, remaining);
            } else {
                next.in_wait2 = true;
                let mc_or_fr = (header_bit(st.packet, 7)) == header_bit(st.packet, 6);
                if mc_or_fr && st.er_first == 0 && st.er_last == 0 && remaining_links != 0 {
                    let rotated = rotate(remaining_links, self.rotate_clockwise);
                    next.pending = (remaining & CORE_OUTPUTS) | rotated as u32;
                    next.er_first = rotated;
                    events |= 1 << 10;
                }
            }
        }
        if let Some(d) = decision.filter(|d| !d.drop && stage_in_ready && !lookup_done) {
            let lookup = self.lookup.expect("invariant: a decision has a lookup");
            next = Stage::entered(d, lookup.source, lookup_left);
        }
        self.stage = next;
        if lookup_advance {
            events |= decision
                .expect("invariant: advancing needs a decision")
                .counts;
        }
        // Only the counters whose event bit is set change.
        self.count(events);
        if can_accept {
            match grant {
                Some(g) => self.capture(g, offer(g)),
                None => self.lookup = None,
            }
        } else if let Some(l) = self.lookup.as_mut() {
            l.sent = lookup_sent;
        }
        Step { taken, sent }
    }

    /// A step with nothing offered while the output stage is empty: the lookup register's
    /// packet, if any, moves on (see [`Router::step`]); nothing is taken or sent.
    #[inline(always)]
    pub(crate) fn advance_idle(&mut self) {
        debug_assert!(
            !self.stage.held,
            "invariant: only an empty stage advances idly"
        );
        if let Some(lookup) = self.lookup.take() {
            self.advance_lookup(lookup);
        }
    }

    /// What the output stage sends when the lookup register's packet has moved into it (an
    /// empty stage takes it at the next edge), if the packet goes to links only: the outputs
    /// and the packet each carries, as [`Router::step`] gives them in that cycle.
    #[inline]
    pub(crate) fn next_links_sent(&self) -> Option<Sent> {
        let lookup = self.lookup.as_ref()?;
        let d = &lookup.decision;
        (!d.drop && d.route != 0 && d.route & !0x3f == 0).then_some(Sent {
            outputs: d.route,
            packet: d.packet,
            er_first: 0,
            er_last: d.er_last,
            source: lookup.source,
            ..Sent::default()
        })
    }

    /// The edge at which an output stage that holds a packet and nothing else to take sends
    /// everything it holds: it empties (its registers keep their values, as the RTL's do).
    #[inline]
    pub(crate) fn stage_sent(&mut self) {
        debug_assert!(
            self.stage.held && self.lookup.is_none(),
            "invariant: only a stage with nothing behind it empties alone"
        );
        self.stage.held = false;
    }

    /// The edge at which the lookup register's packet moves on: into the output stage unless
    /// it is dropped; its counters count it.
    #[inline(always)]
    fn advance_lookup(&mut self, lookup: Lookup) {
        let d = lookup.decision;
        let left = d.route & !lookup.sent;
        // A packet whose every output took it early does not enter the stage.
        let done_early = lookup.sent != 0 && left == 0;
        if !d.drop && !done_early {
            self.stage = Stage::entered(d, lookup.source, left);
        }
        self.count(d.counts);
    }

    /// Dumps `packet` (from input `source`) with its `remaining` outputs undelivered: into the
    /// dump registers, or as an overflow if they still hold one. Emergency-detoured links are
    /// recorded as the links they stand in for. Returns the counter events.
    #[inline]
    fn latch_dump(
        &mut self,
        packet: u128,
        source: u8,
        er_first: u8,
        er_last: u8,
        remaining: u32,
    ) -> u16 {
        let detoured = (remaining & 0x3f) as u8 & er_first;
        let undetoured = rotate(detoured, !self.rotate_clockwise);
        let undelivered = (remaining & !(detoured as u32)) | undetoured as u32;
        let mut events = 0;
        if self.dump.status >> 31 & 1 == 1 {
            self.dump.status |= 1 << 30 | undelivered;
            events |= 1 << 11;
        } else {
            self.dump = DumpRegisters {
                header: DumpHeader {
                    packet_header: packet as u8,
                    source,
                    emergency_last: er_last != 0,
                }
                .encode(),
                key: (packet >> 8) as u32,
                payload: (packet >> 40) as u32,
                outputs: undelivered,
                status: self.dump.status | 1 << 31 | undelivered,
            };
        }
        let header = packet as u8;
        events | if header & 0xc0 == 0 { 1 << 5 } else { 1 << 6 }
    }

    /// A transient fault: the outputs of `sent` failed to take its packet, so the router dumps
    /// it there as it dumps any packet it cannot deliver (for the monitor to re-inject). Fault
    /// injection is the fast model's alone: the RTL has no counterpart.
    pub fn fault_dump(&mut self, sent: &Sent) {
        let from_stage = sent.outputs & !sent.early;
        if from_stage != 0 {
            let events = self.latch_dump(
                sent.packet,
                sent.source,
                sent.er_first,
                sent.er_last,
                from_stage,
            );
            self.count(events);
        }
        if sent.early != 0 {
            let events = self.latch_dump(
                sent.early_packet,
                sent.early_source,
                0,
                sent.early_er_last,
                sent.early,
            );
            self.count(events);
        }
    }

    /// Counts the events whose bits are set in `events` (one counter each).
    #[inline]
    fn count(&mut self, events: u16) {
        let mut events = events & ((1u32 << N_COUNTERS) - 1) as u16;
        while events != 0 {
            let k = events.trailing_zeros() as usize;
            events &= events - 1;
            self.counters[k] = self.counters[k].wrapping_add(1);
        }
    }

    /// The arbiter, combinational: through traffic first. If a link offers, the first offering
    /// link at or after the link pointer, else the first offering link; only if none does, the
    /// first offering core or re-injection port at or after the local pointer, else the first
    /// of them (`InputArbiter`).
    #[inline]
    fn arbitrate(&self, offers: u32) -> Option<usize> {
        let links = offers & LINK_INPUTS;
        let (group, pointer) = if links != 0 {
            (links, self.link_pointer)
        } else {
            (offers & !LINK_INPUTS, self.local_pointer)
        };
        let at_or_after = group & (u32::MAX << pointer);
        if at_or_after != 0 {
            Some(at_or_after.trailing_zeros() as usize)
        } else if group != 0 {
            Some(group.trailing_zeros() as usize)
        } else {
            None
        }
    }

    /// The edge that takes `offer`, granted on input `input`, into the lookup register; the
    /// granted group's pointer moves past it.
    #[inline]
    fn capture(&mut self, input: usize, offer: Offer) {
        self.lookup = Some(Lookup {
            source: offer.source,
            decision: self.decide(&offer),
            sent: 0,
        });
        if input < LINK_INPUTS.count_ones() as usize {
            self.link_pointer = input as u8 + 1;
        } else {
            self.local_pointer = if input == REINJECT_INPUT {
                0
            } else {
                input as u8 + 1
            };
        }
    }
}

fn header_bit(packet: u128, bit: u32) -> bool {
    packet >> bit & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use spinn_arch::RouteSet;

    #[test]
    fn the_matcher_finds_the_first_entry_that_matches_as_the_table_does() {
        let mut rng = SplitMix64::new(5);
        for n in 0..40 {
            // Few mask bits and keys from a small range, so that entries overlap.
            let table: Vec<McEntry> = (0..n)
                .map(|_| {
                    let mask = (rng.next_u64() as u32) & 0x0f0f | 0xf000;
                    let key = (rng.below(1 << 16) as u32) & mask;
                    let route = RouteSet::from_bits(rng.next_u64() as u32);
                    McEntry::new(key, mask, route).expect("key within mask")
                })
                .chain((n % 3 == 0).then_some(McEntry::CLEARED))
                .collect();
            let matcher = McMatcher::new(&table);
            for _ in 0..200 {
                let key = rng.below(1 << 16) as u32;
                let want = table
                    .iter()
                    .find(|e| e.matches(key))
                    .map(|e| e.route().bits());
                assert_eq!(matcher.first_match(key), want, "table of {n}, key {key:#x}");
            }
        }
    }

    #[test]
    fn mask_groups_find_the_first_entry_that_matches_as_the_table_does() {
        let mut rng = SplitMix64::new(11);
        let mut grouped = 0;
        for round in 0..60 {
            let n = GROUP_FROM + rng.below(600) as usize;
            // A few masks, as minimised tables have, one of them catching every key; keys from
            // a small range, so that entries overlap and repeat.
            let masks: Vec<u32> = (0..1 + rng.below(8))
                .map(|_| (rng.next_u64() as u32) & 0x0ff0 | 0xf000)
                .chain(std::iter::once(0))
                .collect();
            let table: Vec<McEntry> = (0..n)
                .map(|i| {
                    if i % 17 == 5 {
                        return McEntry::CLEARED;
                    }
                    let mask = masks[rng.below(masks.len() as u64) as usize];
                    // The catch-all entry only near the end, so that it rarely wins.
                    let mask = if mask == 0 && i < n - 3 { 0xffff } else { mask };
                    let key = (rng.below(1 << 16) as u32) & mask;
                    McEntry::new(key, mask, RouteSet::from_bits(rng.next_u64() as u32))
                        .expect("key within mask")
                })
                .collect();
            let matcher = McMatcher::new(&table);
            grouped += !matcher.groups.is_empty() as u32;
            for _ in 0..300 {
                // Half the keys are an entry's own, so that most lookups hit.
                let key = if rng.below(2) == 0 {
                    let e = table[rng.below(n as u64) as usize];
                    e.key() | (rng.below(1 << 16) as u32 & !e.mask() & 0xffff)
                } else {
                    rng.below(1 << 16) as u32
                };
                let want = table
                    .iter()
                    .find(|e| e.matches(key))
                    .map(|e| e.route().bits());
                assert_eq!(
                    matcher.first_match(key),
                    want,
                    "round {round}: table of {n}, key {key:#x}"
                );
            }
        }
        assert!(grouped >= 50, "only {grouped} of 60 tables were grouped");
    }
}
