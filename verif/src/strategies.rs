//! proptest strategies, defined once: routing entries with overlapping keys and don't-care
//! bits, packets of every type (with emergency bits and parity errors), and whole routing cases.
//! All are size-bounded and shrink towards small tables, few packets and simple values.

use proptest::prelude::*;
use spinn_arch::{
    CoreId, Emergency, InputPort, LinkDir, McEntry, P2pRoute, Packet, PacketType, RouteSet,
    CORES_PER_CHIP, N_INPUT_PORTS,
};
use std::fmt;

/// Proptest cases for a property: `PROPTEST_CASES` when it asks for more than `at_least`.
pub fn cases(at_least: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        .max(at_least)
}

/// Masks with the shapes real tables use (prefixes, field masks), plus arbitrary ones.
pub fn arb_mask() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => Just(0xffff_ffff),
        3 => (0u32..=32).prop_map(|n| if n == 0 { 0 } else { u32::MAX << (32 - n) }),
        1 => (0u32..=32).prop_map(|n| if n == 32 { 0 } else { u32::MAX << n }),
        1 => Just(0xff00_ff00),
        2 => any::<u32>(),
    ]
}

pub fn arb_route() -> impl Strategy<Value = RouteSet> {
    prop_oneof![
        1 => Just(RouteSet::EMPTY),
        3 => (0u32..1 << 24).prop_map(RouteSet::from_bits),
        3 => (0usize..6).prop_map(|l| RouteSet::link(LinkDir::ALL[l])),
        2 => (0usize..CORES_PER_CHIP).prop_map(|c| RouteSet::core(CoreId::new(c).expect("invariant: c < 18"))),
    ]
}

/// An entry built around one of the case's pool keys (chosen when the case is assembled), so
/// entries overlap and packets hit them: (pool index, mask, noise, noise bits, route).
type EntrySpec = (usize, u32, u32, u32, RouteSet);

fn arb_entry_spec() -> impl Strategy<Value = EntrySpec> {
    (0usize..4, arb_mask(), any::<u32>(), 0u32..4, arb_route())
}

fn build_entry(spec: EntrySpec, pool: &[u32; 4]) -> McEntry {
    let (which, mask, noise, noise_bits, route) = spec;
    let low_noise = noise & ((1 << noise_bits) - 1);
    McEntry::new((pool[which] ^ low_noise) & mask, mask, route)
        .expect("invariant: the key is masked")
}

pub fn arb_link() -> impl Strategy<Value = LinkDir> {
    (0usize..6).prop_map(|l| LinkDir::ALL[l])
}

pub fn arb_input_port() -> impl Strategy<Value = InputPort> {
    (0..N_INPUT_PORTS).prop_map(|i| InputPort::from_index(i).expect("invariant: i < 24"))
}

pub fn arb_p2p_route() -> impl Strategy<Value = P2pRoute> {
    (0u8..8).prop_map(P2pRoute::from_code)
}

fn arb_emergency() -> impl Strategy<Value = Emergency> {
    prop_oneof![
        5 => Just(Emergency::Normal),
        1 => Just(Emergency::FirstHopAlsoNormal),
        2 => Just(Emergency::FirstHop),
        2 => Just(Emergency::LastHop),
    ]
}

/// A packet before its MC key is tied to the pool: the packet, and for MC packets optionally
/// (pool index, low bits) to replace its key with.
type PacketSpec = (Packet, Option<(usize, u32)>);

fn arb_packet_spec() -> impl Strategy<Value = PacketSpec> {
    let body = prop_oneof![
        5 => (any::<u32>(), arb_emergency()).prop_map(|(k, er)| Packet::mc(k).with_emergency(er)),
        2 => (any::<u32>(), arb_emergency()).prop_map(|(k, er)| Packet::fr(k).with_emergency(er)),
        2 => (any::<u16>(), any::<u16>(), 0u8..4).prop_map(|(s, d, q)| Packet::p2p(s, d, q)),
        1 => (0u8..8, any::<bool>(), any::<u32>()).prop_map(|(r, t, k)| Packet::nn(r, t, k)),
    ];
    let near_pool = proptest::option::weighted(0.75, (0usize..4, 0u32..256));
    (
        body,
        proptest::option::of(any::<u32>()),
        0u8..4,
        0u32..20,
        near_pool,
    )
        .prop_map(|(pkt, payload, ts, corrupt, near)| {
            let pkt = match payload {
                Some(p) => pkt.with_payload(p),
                None => pkt,
            };
            let pkt = if pkt.kind() == PacketType::Nn {
                pkt
            } else {
                pkt.with_timestamp(ts)
            };
            (
                if corrupt == 0 {
                    pkt.with_parity_error()
                } else {
                    pkt
                },
                near,
            )
        })
}

fn build_packet(spec: PacketSpec, pool: &[u32; 4]) -> Packet {
    match spec {
        (pkt, Some((which, low))) if pkt.kind() == PacketType::Mc => {
            let corrupt = !pkt.parity_ok();
            let mut res = Packet::mc(pool[which] ^ low)
                .with_emergency(pkt.emergency())
                .with_timestamp(pkt.timestamp());
            if let Some(p) = pkt.payload() {
                res = res.with_payload(p);
            }
            if corrupt {
                res.with_parity_error()
            } else {
                res
            }
        }
        (pkt, _) => pkt,
    }
}

/// One packet offered to the router: on its own input port, or through the re-injection port
/// naming that port as its origin.
#[derive(Clone, PartialEq, Eq)]
pub struct Offer {
    pub packet: Packet,
    pub source: InputPort,
    pub via_reinject: bool,
    /// With `via_reinject`: the outputs to send it to instead of a lookup (empty: look it up).
    pub reinject_route: RouteSet,
}

impl fmt::Debug for Offer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let via = match (self.via_reinject, self.reinject_route.is_empty()) {
            (false, _) => String::new(),
            (true, true) => " (re-injected)".to_string(),
            (true, false) => format!(" (re-injected to {})", self.reinject_route),
        };
        write!(f, "{} from {}{via}", self.packet, self.source)
    }
}

/// A table, P2P entries, a fixed route, a monitor core and packets to route.
#[derive(Clone, PartialEq, Eq)]
pub struct RoutingCase {
    pub entries: Vec<Option<McEntry>>,
    pub p2p: Vec<(usize, P2pRoute)>,
    pub fixed_route: RouteSet,
    pub monitor: CoreId,
    pub offers: Vec<Offer>,
}

impl fmt::Debug for RoutingCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "RoutingCase {{")?;
        for (idx, e) in self.entries.iter().enumerate() {
            if let Some(e) = e {
                writeln!(
                    f,
                    "  entry {idx}: key=0x{:08x} mask=0x{:08x} route={}",
                    e.key(),
                    e.mask(),
                    e.route()
                )?;
            }
        }
        for (idx, r) in &self.p2p {
            writeln!(f, "  p2p {idx}: {r:?}")?;
        }
        writeln!(
            f,
            "  fixed route: {}  monitor: core {}",
            self.fixed_route, self.monitor
        )?;
        for o in &self.offers {
            writeln!(f, "  offer {o:?}")?;
        }
        write!(f, "}}")
    }
}

/// A routing case for a table of `entries` entries and a P2P table of `p2p_entries`.
pub fn arb_routing_case(entries: usize, p2p_entries: usize) -> impl Strategy<Value = RoutingCase> {
    (
        any::<[u32; 4]>(),
        proptest::collection::vec(
            proptest::option::weighted(0.7, arb_entry_spec()),
            0..=entries,
        ),
        proptest::collection::vec((0..p2p_entries, arb_p2p_route()), 0..6),
        arb_route(),
        (0..CORES_PER_CHIP).prop_map(|c| CoreId::new(c).expect("invariant: c < 18")),
        proptest::collection::vec(
            (
                arb_packet_spec(),
                arb_input_port(),
                proptest::bool::weighted(0.15),
                proptest::option::of(arb_route()),
            ),
            1..8,
        ),
    )
        .prop_map(
            |(pool, entries, p2p, fixed_route, monitor, offers)| RoutingCase {
                entries: entries
                    .into_iter()
                    .map(|e| e.map(|spec| build_entry(spec, &pool)))
                    .collect(),
                p2p,
                fixed_route,
                monitor,
                offers: offers
                    .into_iter()
                    .map(|(spec, source, via_reinject, route)| Offer {
                        packet: build_packet(spec, &pool),
                        source,
                        via_reinject,
                        reinject_route: route.filter(|_| via_reinject).unwrap_or(RouteSet::EMPTY),
                    })
                    .collect(),
            },
        )
}

/// A fabric scenario: random tables (MC entries from a small key pool with routes over links and
/// cores), P2P entries, fixed routes, short waits (so emergency routes and dumps happen), a few
/// dead links, packets injected on random core ports within the first 120 cycles, and sinks
/// blocked for a while.
pub fn arb_fabric_scenario(
    kind: spinn_rtl::config::FabricKind,
) -> impl Strategy<Value = crate::fabric_equivalence::FabricScenario> {
    use crate::fabric_equivalence::{FabricScenario, Injection, SinkBlock};
    use spinn_arch::{RouterControl, WaitTime};
    let n = kind.machine().n_chips();
    let n_links = spinn_rtl::config::fabric_shape(kind).links.len();
    let timing = (2u32..8, 0u32..6).prop_map(|(short, extra)| (short, short + extra));
    let control = (0u8..0x14, 0u8..0x12, any::<bool>()).prop_map(|(w1, w2, cw)| {
        (
            RouterControl {
                wait1: WaitTime(w1),
                wait2: WaitTime(w2),
                monitor: CoreId::MONITOR,
                dump_interrupt_enable: true,
            },
            cw,
        )
    });
    (
        any::<[u32; 4]>(),
        timing,
        control,
        proptest::collection::vec(proptest::collection::vec(arb_entry_spec(), 0..6), n),
        proptest::collection::vec(
            proptest::collection::vec((0usize..64, arb_p2p_route()), 0..4),
            n,
        ),
        proptest::collection::vec(arb_route(), n),
        proptest::collection::vec(0..n_links, 0..3),
        proptest::collection::vec(
            (0u64..120, 0..n, 0usize..CORES_PER_CHIP, arb_packet_spec()),
            1..40,
        ),
        proptest::collection::vec((0..n, 0usize..CORES_PER_CHIP, 0u64..150, 1u64..80), 0..4),
    )
        .prop_map(
            move |(
                pool,
                (short, long),
                (control, cw),
                tables,
                p2p,
                fixed_routes,
                dead_links,
                injections,
                blocks,
            )| {
                FabricScenario {
                    config: spinn_rtl::config::FabricConfig {
                        kind,
                        params: spinn_rtl::RouterParams {
                            rotate_clockwise: cw,
                        },
                        short_transit: short,
                        long_transit: long,
                    },
                    control,
                    tables: tables
                        .into_iter()
                        .map(|t| t.into_iter().map(|e| build_entry(e, &pool)).collect())
                        .collect(),
                    p2p,
                    fixed_routes,
                    dead_links,
                    injections: injections
                        .into_iter()
                        .map(|(cycle, chip, core, spec)| Injection {
                            cycle,
                            chip,
                            core,
                            packet: build_packet(spec, &pool).to_bus(),
                        })
                        .collect(),
                    blocked_sinks: blocks
                        .into_iter()
                        .map(|(chip, core, from, len)| SinkBlock {
                            chip,
                            core,
                            from,
                            to: from + len,
                        })
                        .collect(),
                    cycles: 260,
                }
            },
        )
}
