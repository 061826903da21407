//! `Router`: the fast model of one multicast router, cycle for cycle the same as the RTL
//! `MulticastRouter` with a register table (`hdl/rtl/src/router/`, documented in
//! `docs/hardware.md`): the same round-robin arbiter, the same two-stage pipeline, the same
//! routing decision, the same wait1 → emergency → wait2 → dump sequence and the same counters.
//!
//! A cycle is one call to [`Router::step`]: everything the RTL computes combinationally from
//! registered state and this cycle's inputs, then the clock edge. The caller passes the inputs
//! as bitmasks, so a router with nothing to do costs nothing and the fabric can skip it.

use spinn_arch::{ChipCoord, LinkDir, McEntry, RouterControl, N_COUNTERS};

/// Input ports: 0–5 links, 6–23 cores, 24 the monitor's re-injection port.
pub const REINJECT_INPUT: usize = 24;
const CORE_OUTPUTS: u32 = 0xff_ffc0;
const WAIT_COUNT_MASK: u32 = (1 << 20) - 1;

/// What a packet on an input carries besides the packet: the input port it counts as arriving
/// on and the outputs a re-injection names (0: look it up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub packet: u128,
    pub source: u8,
    pub override_route: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lookup {
    packet: u128,
    source: u8,
    override_route: u32,
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
}

/// The dump registers (`docs/hardware.md`, ports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DumpRegisters {
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

    fn code(&self, dest: u16, coord_bits: u32) -> u8 {
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
    pub table: Vec<McEntry>,
    pub p2p: P2pRoutes,
    pub fixed_route: u32,
    pub control: RouterControl,
    pub rotate_clockwise: bool,
}

/// The outputs transferring in a cycle and the packets they carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sent {
    /// Outputs whose valid and ready were both high (links `[5:0]`, cores `[23:6]`).
    pub outputs: u32,
    packet: u128,
    er_first: u8,
    er_last: u8,
}

impl Sent {
    /// The packet (bus form) output `port` carries: links have their own ER field.
    pub fn packet(&self, port: usize) -> u128 {
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
#[derive(Debug, Clone)]
pub struct Router {
    setup: RouterSetup,
    p2p_coord_bits: u32,
    pointer: u8,
    lookup: Option<Lookup>,
    stage: Stage,
    dump: DumpRegisters,
    counters: [u32; N_COUNTERS],
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
            setup,
            p2p_coord_bits,
            pointer: 0,
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

    /// No packet anywhere in the router: stepping it with no offers changes nothing.
    pub fn is_idle(&self) -> bool {
        self.lookup.is_none() && !self.stage.held
    }

    pub fn output_stage_empty(&self) -> bool {
        !self.stage.held
    }

    /// The outputs offered this cycle (the RTL's `out_valid` vector) and the packet each link
    /// output carries: what a waveform shows.
    pub fn offered(&self) -> Sent {
        Sent {
            outputs: if self.stage.held {
                self.stage.pending
            } else {
                0
            },
            packet: self.stage.packet,
            er_first: self.stage.er_first,
            er_last: self.stage.er_last,
        }
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
        (!self.decide(lookup).drop).then_some(left)
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
        let control = self.setup.control;
        let (limit, infinite) = wait_limit(if st.in_wait2 {
            control.wait2.0
        } else {
            control.wait1.0
        });
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
    }

    /// Clears the dump status, as the monitor's read of the status register does (between
    /// cycles; the RTL does it through a configuration write).
    pub fn clear_dump(&mut self) {
        self.dump.status = 0;
    }

    fn decide(&self, lookup: &Lookup) -> Decision {
        let packet = lookup.packet;
        let header = packet as u8;
        let key = (packet >> 8) as u32;
        let kind = header >> 6;
        let er = header >> 4 & 3;
        let payload = (packet >> 40) as u32;
        let parity_ok = ((header.count_ones() + key.count_ones()) & 1 == 1)
            ^ (header & 2 != 0 && payload.count_ones() & 1 == 1);
        let from_link = lookup.source < 6;
        let source_link: u8 = if from_link { 1 << lookup.source } else { 0 };
        let forward = rotate(source_link, self.setup.rotate_clockwise);
        let arrival = if er == 3 { forward } else { source_link };
        let default_link = (arrival << 3 | arrival >> 3) & 0x3f;
        let monitor_route = 1u32 << (6 + self.setup.control.monitor.index());
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
                    self.setup.fixed_route
                } else if let Some(e) = self.setup.table.iter().find(|e| e.matches(key)) {
                    e.route().bits()
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
            match self.setup.p2p.code(key as u16, self.p2p_coord_bits) {
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
        if parity_ok && lookup.override_route != 0 {
            res.drop = false;
            res.route = lookup.override_route;
            res.er_last = 0;
            res.packet = packet;
            if kind == 0 || kind == 3 {
                // A re-injected MC or FR packet leaves normal, except that ER = 3 restores the
                // last leg of an emergency route on its links.
                let flip = (er ^ er >> 1) & 1;
                res.packet = (packet & !0x30) ^ flip as u128;
                if er == 3 {
                    res.er_last = (lookup.override_route & 0x3f) as u8;
                }
            }
            res.counts &= 0x1f;
        }
        res
    }

    /// One clock cycle. `offers` has bit i set when input i offers a packet; `offer(i)` gives
    /// it. `out_ready` has bit o set when output o is ready.
    pub fn step(&mut self, offers: u32, offer: impl Fn(usize) -> Offer, out_ready: u32) -> Step {
        let control = self.setup.control;
        let st = self.stage;
        // Output stage, combinational.
        let remaining = st.pending & !out_ready;
        let blocked = st.held && remaining != 0;
        let (limit, infinite) = wait_limit(if st.in_wait2 {
            control.wait2.0
        } else {
            control.wait1.0
        });
        let expire = blocked && !infinite && st.wait_count >= limit;
        let finishing = st.held && (remaining == 0 || (expire && st.in_wait2));
        let stage_in_ready = !st.held || finishing;
        let sent = Sent {
            outputs: if st.held { st.pending & out_ready } else { 0 },
            packet: st.packet,
            er_first: st.er_first,
            er_last: st.er_last,
        };
        // Lookup stage, combinational.
        let decision = self.lookup.as_ref().map(|l| self.decide(l));
        let lookup_advance = decision.is_some_and(|d| d.drop || stage_in_ready);
        let can_accept = self.lookup.is_none() || lookup_advance;
        // Arbiter, combinational.
        let at_or_after = offers & (u32::MAX << self.pointer);
        let grant = if at_or_after != 0 {
            Some(at_or_after.trailing_zeros() as usize)
        } else if offers != 0 {
            Some(offers.trailing_zeros() as usize)
        } else {
            None
        };
        let taken = grant.filter(|_| can_accept);

        // The clock edge.
        let mut events: u16 = 0;
        let mut next = st;
        if blocked {
            next.pending = remaining;
            next.wait_count = (st.wait_count + 1) & WAIT_COUNT_MASK;
            if expire {
                next.wait_count = 0;
                let remaining_links = (remaining & 0x3f) as u8;
                if st.in_wait2 {
                    next.held = false;
                    let detoured = remaining_links & st.er_first;
                    let undetoured = rotate(detoured, !self.setup.rotate_clockwise);
                    let undelivered = (remaining & !(detoured as u32)) | undetoured as u32;
                    if self.dump.status >> 31 & 1 == 1 {
                        self.dump.status |= 1 << 30 | undelivered;
                        events |= 1 << 11;
                    } else {
                        self.dump = DumpRegisters {
                            header: (st.packet as u8) as u16
                                | (st.source as u16) << 8
                                | ((st.er_last != 0) as u16) << 13,
                            key: (st.packet >> 8) as u32,
                            payload: (st.packet >> 40) as u32,
                            outputs: undelivered,
                            status: self.dump.status | 1 << 31 | undelivered,
                        };
                    }
                    let header = st.packet as u8;
                    events |= if header & 0xc0 == 0 { 1 << 5 } else { 1 << 6 };
                } else {
                    next.in_wait2 = true;
                    let mc_or_fr = (header_bit(st.packet, 7)) == header_bit(st.packet, 6);
                    if mc_or_fr && st.er_first == 0 && st.er_last == 0 && remaining_links != 0 {
                        let rotated = rotate(remaining_links, self.setup.rotate_clockwise);
                        next.pending = (remaining & CORE_OUTPUTS) | rotated as u32;
                        next.er_first = rotated;
                        events |= 1 << 10;
                    }
                }
            }
        } else if st.held {
            next.held = false;
        }
        if let Some(d) = decision.filter(|d| !d.drop && stage_in_ready) {
            let lookup = self.lookup.expect("invariant: a decision has a lookup");
            next = Stage {
                held: true,
                packet: d.packet,
                source: lookup.source,
                pending: d.route,
                er_first: 0,
                er_last: d.er_last,
                in_wait2: false,
                wait_count: 0,
            };
        }
        self.stage = next;
        if lookup_advance {
            events |= decision
                .expect("invariant: advancing needs a decision")
                .counts;
        }
        // Only the counters whose event bit is set change.
        let mut events = events & ((1u32 << N_COUNTERS) - 1) as u16;
        while events != 0 {
            let k = events.trailing_zeros() as usize;
            events &= events - 1;
            self.counters[k] = self.counters[k].wrapping_add(1);
        }
        if can_accept {
            self.lookup = grant.map(|g| {
                let o = offer(g);
                Lookup {
                    packet: o.packet,
                    source: o.source,
                    override_route: o.override_route,
                }
            });
            if let Some(g) = grant {
                self.pointer = if g == REINJECT_INPUT { 0 } else { g as u8 + 1 };
            }
        }
        Step { taken, sent }
    }
}

fn header_bit(packet: u128, bit: u32) -> bool {
    packet >> bit & 1 == 1
}
