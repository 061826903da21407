//! Cycle-level behaviour of the RTL router under back-pressure: throughput, latency, the wait1 →
//! emergency → wait2 → dump sequence, dump overflow and clearing, and what reset keeps.
//! Routing decisions themselves are fuzzed against the reference in `spinn-verif`.

use spinn_arch::{
    CoreId, Counter, DumpHeader, DumpStatus, Emergency, LinkDir, McEntry, OutputPort, P2pRoute,
    Packet, RouteSet, RouterControl, WaitTime,
};
use spinn_rtl::config::{self, RouterConfig};
use spinn_rtl::{RouterDriver, RouterInputs, RouterOutputs, RouterParams};

fn core(c: usize) -> CoreId {
    CoreId::new(c).expect("core number below 18")
}

/// A reset 16-entry router with short waits: wait1 = 5 cycles, wait2 = 3 cycles.
fn router_with(params: RouterParams) -> Box<dyn RouterDriver> {
    let mut rtl = config::simulate(&RouterConfig {
        params,
        ..RouterConfig::register(16)
    })
    .expect("built size");
    rtl.reset();
    rtl.set_control(RouterControl {
        wait1: WaitTime(0x05),
        wait2: WaitTime(0x03),
        monitor: CoreId::MONITOR,
        dump_interrupt_enable: true,
    });
    rtl
}

fn router() -> Box<dyn RouterDriver> {
    router_with(RouterParams::CLOCKWISE)
}

fn route(ports: &[OutputPort]) -> RouteSet {
    ports.iter().fold(RouteSet::EMPTY, |acc, p| acc.with(*p))
}

/// Idle inputs with some outputs held not-ready.
fn blocking(blocked: &[OutputPort]) -> RouterInputs {
    let mut inputs = RouterInputs::idle();
    for port in blocked {
        match port {
            OutputPort::Link(l) => inputs.link_out_ready[l.index()] = false,
            OutputPort::Core(c) => inputs.core_out_ready[c.index()] = false,
        }
    }
    inputs
}

fn offer_from_core(mut inputs: RouterInputs, c: usize, packet: Packet) -> RouterInputs {
    inputs.core_in_valid[c] = true;
    inputs.core_in_packet[c] = packet.to_bus();
    inputs
}

fn link_valid(out: &RouterOutputs, l: LinkDir) -> bool {
    out.link_out_valid[l.index()]
}

#[test]
fn sustains_one_packet_per_cycle_with_fair_arbitration() {
    let mut rtl = router();
    for l in 0..6 {
        let entry =
            McEntry::new(l << 8, 0xff00, RouteSet::core(core(l as usize + 1))).expect("masked");
        rtl.write_entry(l as usize, entry);
    }
    let mut inputs = RouterInputs::idle();
    for l in 0..6 {
        inputs.link_in_valid[l] = true;
        inputs.link_in_packet[l] = Packet::mc((l as u32) << 8).to_bus();
    }
    let (mut delivered, mut accepted) = (0, [0; 6]);
    for _ in 0..600 {
        let out = rtl.cycle(&inputs);
        delivered += out.core_out_valid.iter().filter(|v| **v).count();
        for (count, ready) in accepted.iter_mut().zip(out.link_in_ready) {
            *count += ready as usize;
        }
    }
    // Two cycles of pipeline fill, then one packet every cycle.
    assert_eq!(delivered, 598);
    assert_eq!(accepted, [100; 6], "round-robin shares the router evenly");
}

#[test]
fn links_are_served_before_cores_and_each_group_in_turn() {
    let mut rtl = router();
    // Everything goes to core 1, which is always ready.
    rtl.write_entry(
        0,
        McEntry::new(0, 0, RouteSet::core(core(1))).expect("masked"),
    );
    let mut inputs = RouterInputs::idle();
    for l in [0, 3, 5] {
        inputs.link_in_valid[l] = true;
        inputs.link_in_packet[l] = Packet::mc(l as u32).to_bus();
    }
    for c in [2, 9, 17] {
        inputs = offer_from_core(inputs, c, Packet::mc(0x100 + c as u32));
    }
    // While links offer, the cores wait; the links take turns.
    let mut links_taken = Vec::new();
    for _ in 0..9 {
        let out = rtl.cycle(&inputs);
        assert!(
            out.core_in_ready.iter().all(|r| !r),
            "a core taken while links offer"
        );
        links_taken.extend((0..6).filter(|&l| out.link_in_ready[l]));
    }
    assert_eq!(links_taken, [0, 3, 5, 0, 3, 5, 0, 3, 5]);
    // With the links quiet, the cores take turns.
    inputs.link_in_valid = [false; 6];
    let mut cores_taken = Vec::new();
    for _ in 0..6 {
        let out = rtl.cycle(&inputs);
        cores_taken.extend((0..18).filter(|&c| out.core_in_ready[c]));
    }
    assert_eq!(cores_taken, [2, 9, 17, 2, 9, 17]);
}

#[test]
fn a_packet_behind_a_blocked_one_leaves_on_another_output() {
    let mut rtl = router();
    for (i, (key, dir)) in [(1, LinkDir::N), (2, LinkDir::E), (3, LinkDir::N)]
        .into_iter()
        .enumerate()
    {
        rtl.write_entry(
            i,
            McEntry::new(key, 0xff, RouteSet::link(dir)).expect("masked"),
        );
    }
    // N never takes anything; cores 1, 2 and 3 offer packets for N, E and N, in that order.
    let mut waiting: Vec<(usize, Packet)> = [(1, 1), (2, 2), (3, 3)]
        .into_iter()
        .map(|(c, key)| (c, Packet::mc(key)))
        .collect();
    let mut on_e = Vec::new();
    let mut on_n = Vec::new();
    for cycle in 0..12 {
        let mut inputs = blocking(&[OutputPort::Link(LinkDir::N)]);
        if let Some(&(c, p)) = waiting.first() {
            inputs = offer_from_core(inputs, c, p);
        }
        let out = rtl.cycle(&inputs);
        if let Some(&(c, _)) = waiting.first() {
            if out.core_in_ready[c] {
                waiting.remove(0);
            }
        }
        if link_valid(&out, LinkDir::E) {
            on_e.push((
                cycle,
                Packet::from_bus(out.link_out_packet[LinkDir::E.index()]).key(),
            ));
        }
        if link_valid(&out, LinkDir::N) {
            on_n.push(Packet::from_bus(out.link_out_packet[LinkDir::N.index()]).key());
        }
    }
    // Taken at the end of cycles 0 and 1: the packet for N waits in the stage from cycle 2, and
    // the one for E leaves from the lookup register in cycle 3, as it would have with N free.
    assert_eq!(on_e, [(3, 2)], "the packet for E goes past the blocked one");
    // The third packet also wants N: it is not offered there until the first has gone round
    // the triangle (wait1 = 5: six offers on N, then the detour, which is free).
    assert_eq!(on_n, [1, 1, 1, 1, 1, 1, 3, 3, 3, 3]);
}

#[test]
fn a_packet_leaves_two_cycles_after_it_is_taken() {
    let mut rtl = router();
    rtl.write_entry(
        0,
        McEntry::new(0x42, 0xff, RouteSet::link(LinkDir::N)).expect("masked"),
    );
    let first = rtl.cycle(&offer_from_core(RouterInputs::idle(), 3, Packet::mc(0x42)));
    assert!(first.core_in_ready[3]);
    assert!(!link_valid(&rtl.cycle(&RouterInputs::idle()), LinkDir::N));
    assert!(link_valid(&rtl.cycle(&RouterInputs::idle()), LinkDir::N));
    assert!(!link_valid(&rtl.cycle(&RouterInputs::idle()), LinkDir::N));
}

/// Offers `packet` from core 1 and steps with `blocked` outputs not ready; returns the outputs
/// of the cycles after the one that took the packet.
fn run_blocked(
    rtl: &mut dyn RouterDriver,
    packet: Packet,
    blocked: &[OutputPort],
    cycles: usize,
) -> Vec<RouterOutputs> {
    let taken = rtl.cycle(&offer_from_core(blocking(blocked), 1, packet));
    assert!(taken.core_in_ready[1]);
    (0..cycles).map(|_| rtl.cycle(&blocking(blocked))).collect()
}

#[test]
fn wait1_expiry_sends_the_packet_round_the_triangle() {
    let mut rtl = router();
    rtl.write_entry(
        0,
        McEntry::new(0x7, 0xff, RouteSet::link(LinkDir::E)).expect("masked"),
    );
    let trace = run_blocked(
        &mut *rtl,
        Packet::mc(0x7),
        &[OutputPort::Link(LinkDir::E)],
        10,
    );
    // Cycle 1 after the take: first offered on E; wait1 = 5 gives 6 attempts (count 0..=5).
    let on_e: Vec<usize> = (0..10)
        .filter(|&i| link_valid(&trace[i], LinkDir::E))
        .collect();
    assert_eq!(on_e, vec![1, 2, 3, 4, 5, 6]);
    // Then clockwise: E → S, with ER = 2 and correct parity; S is ready, so one cycle.
    let on_s: Vec<usize> = (0..10)
        .filter(|&i| link_valid(&trace[i], LinkDir::S))
        .collect();
    assert_eq!(on_s, vec![7]);
    let detour = Packet::from_bus(trace[7].link_out_packet[LinkDir::S.index()]);
    assert_eq!(detour.emergency(), Emergency::FirstHop);
    assert!(detour.parity_ok());
    assert_eq!(detour.key(), 0x7);
    assert_eq!(trace[9].count[Counter::EmergencyRouted.index()], 1);
    assert!(trace[9].output_stage_empty);
}

#[test]
fn anticlockwise_routers_detour_the_other_way() {
    let mut rtl = router_with(RouterParams {
        rotate_clockwise: false,
    });
    rtl.write_entry(
        0,
        McEntry::new(0x7, 0xff, RouteSet::link(LinkDir::E)).expect("masked"),
    );
    let trace = run_blocked(
        &mut *rtl,
        Packet::mc(0x7),
        &[OutputPort::Link(LinkDir::E)],
        10,
    );
    assert!(link_valid(&trace[7], LinkDir::NE));
}

#[test]
fn wait2_expiry_dumps_what_is_still_pending() {
    let mut rtl = router();
    let both = route(&[OutputPort::Link(LinkDir::E), OutputPort::Core(core(3))]);
    rtl.write_entry(0, McEntry::new(0x7, 0xff, both).expect("masked"));
    let blocked = [OutputPort::Link(LinkDir::E), OutputPort::Link(LinkDir::S)];
    let packet = Packet::mc(0x7).with_payload(0xabcd);
    let trace = run_blocked(&mut *rtl, packet, &blocked, 14);
    // Per-output commit: core 3 takes its copy at once and is not offered again.
    assert!(trace[1].core_out_valid[3]);
    assert!(trace[2..].iter().all(|o| !o.core_out_valid[3]));
    // wait1 on E (cycles 1–6), the detour on S (cycles 7–10, wait2 = 3), then the dump.
    assert!(link_valid(&trace[10], LinkDir::S) && !link_valid(&trace[11], LinkDir::S));
    let last = &trace[13];
    let status = DumpStatus(last.dump_status);
    assert!(status.dumped() && !status.overflow());
    // Recorded in normal-route terms: the detour on S stands for the blocked E.
    assert_eq!(status.sticky_outputs(), RouteSet::link(LinkDir::E));
    assert_eq!(last.dump_outputs, RouteSet::link(LinkDir::E).bits());
    assert_eq!(last.dump_key, 0x7);
    assert_eq!(last.dump_payload, 0xabcd);
    let header = DumpHeader::decode(last.dump_header);
    assert_eq!(
        header,
        DumpHeader {
            packet_header: packet.header(),
            source: 6 + 1,
            emergency_last: false,
        },
        "header byte, input port of core 1"
    );
    assert_eq!(header.packet(last.dump_key, last.dump_payload), packet);
    assert!(last.dump_interrupt);
    assert_eq!(last.count[Counter::DumpedMc.index()], 1);
    assert!(last.output_stage_empty);

    // Re-injected to the recorded outputs only: E gets it, core 3 does not get it twice.
    let mut inputs = RouterInputs::idle();
    inputs.reinject_valid = true;
    inputs.reinject_packet = packet.to_bus();
    inputs.reinject_source = header.source;
    inputs.reinject_route = last.dump_outputs;
    assert!(rtl.cycle(&inputs).reinject_ready);
    rtl.cycle(&RouterInputs::idle());
    let out = rtl.cycle(&RouterInputs::idle());
    assert!(link_valid(&out, LinkDir::E) && !out.core_out_valid[3]);
    assert_eq!(
        Packet::from_bus(out.link_out_packet[LinkDir::E.index()]),
        packet
    );
}

#[test]
fn a_dump_on_the_last_leg_of_a_detour_is_flagged_in_the_dump_header() {
    let mut rtl = router();
    // From W with ER = 2: forwarded clockwise on N with ER = 3, without a lookup. N is blocked:
    // no second detour (wait1 = 5), then wait2 = 3 and the dump.
    let packet = Packet::mc(0x7)
        .with_payload(0x1234)
        .with_emergency(Emergency::FirstHop);
    let blocked = blocking(&[OutputPort::Link(LinkDir::N)]);
    let mut inputs = blocked.clone();
    inputs.link_in_valid[LinkDir::W.index()] = true;
    inputs.link_in_packet[LinkDir::W.index()] = packet.to_bus();
    assert!(rtl.cycle(&inputs).link_in_ready[LinkDir::W.index()]);
    let trace: Vec<RouterOutputs> = (0..14).map(|_| rtl.cycle(&blocked)).collect();
    let onward = Packet::from_bus(trace[1].link_out_packet[LinkDir::N.index()]);
    assert!(link_valid(&trace[1], LinkDir::N));
    assert_eq!(onward.emergency(), Emergency::LastHop);
    let last = trace.last().expect("cycles");
    assert!(DumpStatus(last.dump_status).dumped());
    assert_eq!(last.count[Counter::EmergencyRouted.index()], 0);
    // Bit 13 says the pending link carried ER = 3; the packet itself is dumped with ER = 0.
    let header = DumpHeader::decode(last.dump_header);
    let normal = Packet::mc(0x7).with_payload(0x1234);
    assert_eq!(
        header,
        DumpHeader {
            packet_header: normal.header(),
            source: LinkDir::W.index() as u8,
            emergency_last: true,
        }
    );
    assert_eq!(last.dump_header & DumpHeader::EMERGENCY_LAST, 0x2000);
    assert_eq!(header.packet(last.dump_key, last.dump_payload), normal);
    assert_eq!(last.dump_outputs, RouteSet::link(LinkDir::N).bits());

    // The monitor restores ER = 3: N carries it on as the last leg again.
    let mut inputs = RouterInputs::idle();
    inputs.reinject_valid = true;
    inputs.reinject_packet = normal.with_emergency(Emergency::LastHop).to_bus();
    inputs.reinject_source = header.source;
    inputs.reinject_route = last.dump_outputs;
    assert!(rtl.cycle(&inputs).reinject_ready);
    rtl.cycle(&RouterInputs::idle());
    let out = rtl.cycle(&RouterInputs::idle());
    assert!(link_valid(&out, LinkDir::N));
    assert_eq!(
        Packet::from_bus(out.link_out_packet[LinkDir::N.index()]),
        normal.with_emergency(Emergency::LastHop)
    );
}

#[test]
fn a_dump_before_the_last_is_cleared_overflows_and_is_lost() {
    let mut rtl = router();
    rtl.write_entry(
        0,
        McEntry::new(0, 0xff00, RouteSet::core(core(5))).expect("masked"),
    );
    let blocked = [OutputPort::Core(core(5))];
    run_blocked(&mut *rtl, Packet::mc(0x01), &blocked, 12);
    let trace = run_blocked(&mut *rtl, Packet::mc(0x02), &blocked, 12);
    let last = trace.last().expect("cycles ran");
    let status = DumpStatus(last.dump_status);
    assert!(status.dumped() && status.overflow());
    assert_eq!(last.dump_key, 0x01, "the registers keep the first packet");
    assert_eq!(last.count[Counter::DumpedMc.index()], 2);
    assert_eq!(last.count[Counter::DumpOverflow.index()], 1);
    // Reading the status (clearing it) lets the next dump be captured.
    rtl.clear_dump();
    let cleared = rtl.cycle(&RouterInputs::idle());
    assert_eq!(cleared.dump_status, 0);
    assert!(!cleared.dump_interrupt);
    let trace = run_blocked(&mut *rtl, Packet::mc(0x03), &blocked, 12);
    let last = trace.last().expect("cycles ran");
    assert_eq!(
        (last.dump_key, DumpStatus(last.dump_status).overflow()),
        (0x03, false)
    );
}

#[test]
fn cores_and_p2p_packets_are_never_emergency_routed() {
    let mut rtl = router();
    rtl.set_p2p(0, P2pRoute::Link(LinkDir::N));
    let trace = run_blocked(
        &mut *rtl,
        Packet::p2p(0x0101, 0, 0),
        &[OutputPort::Link(LinkDir::N)],
        14,
    );
    assert!(
        trace.iter().all(|o| !link_valid(o, LinkDir::W)),
        "no detour for P2P"
    );
    let last = trace.last().expect("cycles ran");
    assert_eq!(last.count[Counter::EmergencyRouted.index()], 0);
    assert_eq!(last.count[Counter::DumpedOther.index()], 1);
    assert_eq!(
        DumpStatus(last.dump_status).sticky_outputs(),
        RouteSet::link(LinkDir::N)
    );
}

#[test]
fn wait_ff_never_gives_up() {
    let mut rtl = router();
    rtl.set_control(RouterControl {
        wait1: WaitTime::NEVER,
        ..RouterControl::SCAMP_BOOT
    });
    rtl.write_entry(
        0,
        McEntry::new(0x7, 0xff, RouteSet::link(LinkDir::W)).expect("masked"),
    );
    let trace = run_blocked(
        &mut *rtl,
        Packet::mc(0x7),
        &[OutputPort::Link(LinkDir::W)],
        3000,
    );
    assert!(trace[1..].iter().all(|o| link_valid(o, LinkDir::W)));
    assert_eq!(trace[2999].count[Counter::EmergencyRouted.index()], 0);
}

#[test]
fn reset_empties_the_pipeline_but_keeps_the_tables() {
    let mut rtl = router();
    rtl.write_entry(
        0,
        McEntry::new(0x7, 0xff, RouteSet::link(LinkDir::W)).expect("masked"),
    );
    rtl.set_control(RouterControl {
        wait1: WaitTime::NEVER,
        ..RouterControl::SCAMP_BOOT
    });
    run_blocked(
        &mut *rtl,
        Packet::mc(0x7),
        &[OutputPort::Link(LinkDir::W)],
        5,
    );
    let after = rtl.reset();
    assert!(
        link_valid(&after, LinkDir::W),
        "reset acts at the clock edge"
    );
    let idle = rtl.cycle(&RouterInputs::idle());
    assert!(idle.output_stage_empty && idle.count.iter().all(|c| *c == 0));
    rtl.cycle(&offer_from_core(RouterInputs::idle(), 2, Packet::mc(0x7)));
    rtl.cycle(&RouterInputs::idle());
    assert!(
        link_valid(&rtl.cycle(&RouterInputs::idle()), LinkDir::W),
        "the entry survived reset"
    );
}

#[test]
fn the_banked_table_answers_after_its_scan() {
    let mut rtl =
        config::simulate(&RouterConfig::banked(64).expect("built size")).expect("built size");
    rtl.reset();
    // Entries 9 (bank 1, step 2) and 14 (bank 2, step 3) both match; the lower index wins.
    rtl.write_entry(
        14,
        McEntry::new(0x40, 0xf0, RouteSet::link(LinkDir::S)).expect("masked"),
    );
    rtl.write_entry(
        9,
        McEntry::new(0x42, 0xff, RouteSet::link(LinkDir::N)).expect("masked"),
    );
    rtl.cycle(&offer_from_core(RouterInputs::idle(), 1, Packet::mc(0x42)));
    let trace: Vec<RouterOutputs> = (0..8).map(|_| rtl.cycle(&RouterInputs::idle())).collect();
    let at: Vec<usize> = (0..8)
        .filter(|&i| link_valid(&trace[i], LinkDir::N))
        .collect();
    // After the take: the table sees the request (1 cycle), scans steps 0..=2 (3), holds the
    // result (1), and the output stage offers it in the next cycle: index 5, where the
    // register table would offer it at index 1.
    assert_eq!(at, vec![5]);
    assert!(trace.iter().all(|o| !link_valid(o, LinkDir::S)));
}
