//! Out-of-range configuration writes, in every table build: an MC write whose index is not below
//! the table's size (register tables of 16–128 entries, banked tables in every built shape) and
//! a P2P write whose index is not below the P2P table's size change no entry, and every packet is
//! routed exactly as before the write, a packet whose key matches the stray entry included
//! (default-routed from a link, unroutable from a core).

use spinn_arch::{
    CoreId, Counter, LinkDir, McEntry, OutputPort, P2pRoute, Packet, RouteSet, N_COUNTERS,
};
use spinn_rtl::config::{self, RouterConfig, BANKED_SHAPES, P2P_SIZES, REGISTER_SIZES};
use spinn_rtl::{ConfigTarget, RouterDriver, RouterInputs, RouterOutputs, TableKind};

/// Every MC table build, with the default 64-entry P2P table.
fn mc_builds() -> Vec<RouterConfig> {
    let register = REGISTER_SIZES.into_iter().map(RouterConfig::register);
    let banked = BANKED_SHAPES
        .into_iter()
        .map(|(banks, depth_bits)| RouterConfig::banked_with(banks << depth_bits, banks));
    register
        .map(Ok)
        .chain(banked)
        .collect::<Result<_, _>>()
        .expect("invariant: the built shapes")
}

/// Cycles after an offer by which any packet has left an idle router: a banked miss scans every
/// step.
fn settle_cycles(config: &RouterConfig) -> usize {
    match config.table {
        TableKind::Register { .. } => 4,
        TableKind::Banked { depth_bits, .. } => (1 << depth_bits) + 8,
    }
}

/// Out-of-range indices for a table of `size` entries, and the entry each would land on if the
/// write wrapped (`index mod size`).
fn stray_indices(size: usize) -> Vec<(usize, usize)> {
    [
        size,
        size + 1,
        size + size / 2,
        2 * size + 3,
        0x8000,
        0xffff,
    ]
    .into_iter()
    .map(|i| (i, i % size))
    .collect()
}

#[derive(Debug, Clone, Copy)]
enum Source {
    Link(LinkDir),
    Core(usize),
}

/// What one cycle shows of a packet's routing: the packet each output offers (`None` where it
/// is not valid) and the counters, relative to the cycle before the offer. Packet buses that
/// are not valid still hold the previous packet, so they are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    offered: Vec<Option<u128>>,
    count: [u32; N_COUNTERS],
}

/// Offers `packet` on `source` to an idle router and returns what the following `cycles`
/// cycles show.
fn probe(rtl: &mut dyn RouterDriver, source: Source, packet: Packet, cycles: usize) -> Vec<Seen> {
    let start = rtl.cycle(&RouterInputs::idle()).count;
    let mut inputs = RouterInputs::idle();
    match source {
        Source::Link(l) => {
            inputs.link_in_valid[l.index()] = true;
            inputs.link_in_packet[l.index()] = packet.to_bus();
        }
        Source::Core(c) => {
            inputs.core_in_valid[c] = true;
            inputs.core_in_packet[c] = packet.to_bus();
        }
    }
    let taken = rtl.cycle(&inputs);
    let accepted = match source {
        Source::Link(l) => taken.link_in_ready[l.index()],
        Source::Core(c) => taken.core_in_ready[c],
    };
    assert!(accepted, "{packet} from {source:?} taken by an idle router");
    (0..cycles)
        .map(|_| {
            let out: RouterOutputs = rtl.cycle(&RouterInputs::idle());
            Seen {
                offered: OutputPort::all().map(|p| out.offered(p)).collect(),
                count: std::array::from_fn(|k| out.count[k].wrapping_sub(start[k])),
            }
        })
        .collect()
}

/// The outputs that offered a packet at any time during `trace`, and every packet offered.
fn outputs_used(trace: &[Seen]) -> (u32, Vec<Packet>) {
    let mut route = 0u32;
    let mut packets = Vec::new();
    for seen in trace {
        for (port, offered) in OutputPort::all().zip(&seen.offered) {
            if let Some(bus) = offered {
                route |= RouteSet::EMPTY.with(port).bits();
                packets.push(Packet::from_bus(*bus));
            }
        }
    }
    (route, packets)
}

fn core(c: usize) -> CoreId {
    CoreId::new(c).expect("invariant: a core number below 18")
}

/// The entry every live entry holds: its own key, sent to link N.
fn live_entry(idx: usize) -> McEntry {
    McEntry::new(
        0x1000_0000 | idx as u32,
        u32::MAX,
        RouteSet::link(LinkDir::N),
    )
    .expect("invariant: a full mask")
}

/// The entry written out of range at `idx`: its own key, sent to link S and core 5.
fn stray_entry(idx: usize) -> McEntry {
    McEntry::new(
        0x2000_0000 | idx as u32,
        u32::MAX,
        RouteSet::link(LinkDir::S).with(OutputPort::Core(core(5))),
    )
    .expect("invariant: a full mask")
}

#[test]
fn out_of_range_mc_writes_are_ignored_by_every_table_build() {
    for config in mc_builds() {
        let size = config.table.entries();
        let strays = stray_indices(size);
        let window = settle_cycles(&config);
        let mut rtl = config::simulate(&config).expect("invariant: a built configuration");
        rtl.reset();
        // Live entries wherever a wrapped stray write would land.
        let mut live: Vec<usize> = strays.iter().map(|&(_, at)| at).collect();
        live.sort();
        live.dedup();
        for &idx in &live {
            rtl.write_entry(idx, live_entry(idx));
        }
        let probes: Vec<(Source, Packet)> = live
            .iter()
            .map(|&idx| (Source::Core(1), Packet::mc(live_entry(idx).key())))
            .chain(strays.iter().flat_map(|&(idx, _)| {
                let pkt = Packet::mc(stray_entry(idx).key());
                [(Source::Link(LinkDir::W), pkt), (Source::Core(2), pkt)]
            }))
            .collect();
        let run = |rtl: &mut dyn RouterDriver| -> Vec<Vec<Seen>> {
            probes
                .iter()
                .map(|&(source, pkt)| probe(rtl, source, pkt, window))
                .collect()
        };
        let before = run(&mut *rtl);
        for &(idx, _) in &strays {
            rtl.write_entry(idx, stray_entry(idx));
        }
        let after = run(&mut *rtl);
        for (((source, pkt), b), a) in probes.iter().zip(&before).zip(&after) {
            assert!(
                b == a,
                "{config}: {pkt} from {source:?} routed differently after the stray writes"
            );
            let (route, packets) = outputs_used(a);
            let delta = |c: Counter| a.last().expect("a window").count[c.index()];
            match source {
                Source::Core(1) => {
                    assert_eq!(route, RouteSet::link(LinkDir::N).bits(), "{config}: {pkt}");
                    assert_eq!(packets, vec![*pkt], "{config}: {pkt}");
                }
                Source::Link(_) => {
                    // Default-routed straight across, from W to E.
                    assert_eq!(route, RouteSet::link(LinkDir::E).bits(), "{config}: {pkt}");
                    assert_eq!(delta(Counter::DefaultRouted), 1, "{config}: {pkt}");
                }
                Source::Core(_) => {
                    assert_eq!(route, 0, "{config}: {pkt} from a core has no route");
                    assert_eq!(delta(Counter::Unroutable), 1, "{config}: {pkt}");
                }
            }
        }
    }
}

#[test]
fn out_of_range_p2p_writes_are_ignored_by_every_p2p_build() {
    for p2p_entries in P2P_SIZES {
        for mc in [
            RouterConfig::register(16),
            RouterConfig::banked(64).expect("invariant: a built size"),
        ] {
            let config = RouterConfig { p2p_entries, ..mc };
            let coord_bits = p2p_entries.trailing_zeros() / 2;
            let chip_at = |idx: usize| -> u16 {
                ((idx >> coord_bits) << 8 | idx & ((1 << coord_bits) - 1)) as u16
            };
            let strays = stray_indices(p2p_entries);
            let mut rtl = config::simulate(&config).expect("invariant: a built configuration");
            rtl.reset();
            let mut live: Vec<usize> = strays.iter().map(|&(_, at)| at).collect();
            live.sort();
            live.dedup();
            for &idx in &live {
                rtl.set_p2p(idx, P2pRoute::Link(LinkDir::N));
            }
            // The live entries, and one never written (drop).
            let unwritten = (0..p2p_entries)
                .find(|i| !live.contains(i))
                .expect("invariant: a free entry");
            let dests: Vec<u16> = live
                .iter()
                .chain([&unwritten])
                .map(|&i| chip_at(i))
                .collect();
            let run = |rtl: &mut dyn RouterDriver| -> Vec<Vec<Seen>> {
                dests
                    .iter()
                    .map(|&d| probe(rtl, Source::Core(1), Packet::p2p(0, d, 0), 4))
                    .collect()
            };
            let before = run(&mut *rtl);
            for &(idx, _) in &strays {
                rtl.set_p2p(idx, P2pRoute::Link(LinkDir::S));
            }
            let after = run(&mut *rtl);
            for (i, (dest, (b, a))) in dests.iter().zip(before.iter().zip(&after)).enumerate() {
                assert!(
                    b == a,
                    "{config}: P2P to {dest:#06x} routed differently after the stray writes"
                );
                let (route, _) = outputs_used(a);
                let want = if i < live.len() {
                    RouteSet::link(LinkDir::N).bits()
                } else {
                    0
                };
                assert_eq!(route, want, "{config}: P2P to {dest:#06x}");
            }
        }
    }
}

/// Inputs for one cycle with links `blocked` not ready, everything else ready and idle.
fn blocking(blocked: &[LinkDir]) -> RouterInputs {
    let mut inputs = RouterInputs::idle();
    for l in blocked {
        inputs.link_out_ready[l.index()] = false;
    }
    inputs
}

#[test]
fn a_write_does_not_move_a_packet_already_offered_early() {
    // Packet A waits in the output stage for link N; packet B, decided behind it for link S,
    // is offered there early. Rewriting B's entry to link E while S is not ready must leave
    // B's offer on S standing until S takes it, and send nothing to E.
    let a = McEntry::new(0x0a00_0000, u32::MAX, RouteSet::link(LinkDir::N)).expect("full mask");
    let b = McEntry::new(0x0b00_0000, u32::MAX, RouteSet::link(LinkDir::S)).expect("full mask");
    let moved = McEntry::new(b.key(), u32::MAX, RouteSet::link(LinkDir::E)).expect("full mask");
    let blocked = [LinkDir::N, LinkDir::S];
    for config in mc_builds() {
        let mut rtl = config::simulate(&config).expect("invariant: a built configuration");
        rtl.reset();
        rtl.write_entry(0, a);
        rtl.write_entry(1, b);
        for (core, entry) in [(1, a), (2, b)] {
            let mut offer = blocking(&blocked);
            offer.core_in_valid[core] = true;
            offer.core_in_packet[core] = Packet::mc(entry.key()).to_bus();
            let mut taken = false;
            for _ in 0..settle_cycles(&config) {
                if rtl.cycle(&offer).core_in_ready[core] {
                    taken = true;
                    break;
                }
            }
            assert!(taken, "{config}: the router takes {:#x}", entry.key());
        }
        let b_on_s = |out: &RouterOutputs| {
            out.offered(OutputPort::Link(LinkDir::S))
                .map(Packet::from_bus)
                == Some(Packet::mc(b.key()))
        };
        let mut offered = false;
        for _ in 0..settle_cycles(&config) {
            if b_on_s(&rtl.cycle(&blocking(&blocked))) {
                offered = true;
                break;
            }
        }
        assert!(offered, "{config}: B is offered early on S");
        let mut write = RouterInputs::config_write(
            ConfigTarget::McEntry,
            1,
            moved.key(),
            moved.mask(),
            moved.route().bits(),
        );
        write.link_out_ready = blocking(&blocked).link_out_ready;
        let out = rtl.cycle(&write);
        assert!(
            b_on_s(&out),
            "{config}: B still offered on S in the write's cycle"
        );
        for cycle in 0..8 {
            let out = rtl.cycle(&blocking(&blocked));
            assert!(
                b_on_s(&out),
                "{config}: B's offer on S fell {} cycles after the write, before S took it",
                cycle + 1
            );
            assert!(
                !out.link_out_valid[LinkDir::E.index()],
                "{config}: a rewritten entry moved B to E"
            );
        }
        let out = rtl.cycle(&blocking(&[LinkDir::N]));
        assert!(b_on_s(&out), "{config}: S takes B");
        for _ in 0..settle_cycles(&config) {
            let out = rtl.cycle(&blocking(&[LinkDir::N]));
            assert!(
                !out.link_out_valid[LinkDir::S.index()] && !out.link_out_valid[LinkDir::E.index()],
                "{config}: B went out once, on S only"
            );
        }
    }
}
