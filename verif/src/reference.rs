//! The routing decision of one router for one packet, in plain Rust
//! (`spec/hardware.md` §2.4, §2.8, §3.5, §4), written for clarity and independent of the RTL's
//! one-hot tricks. The RTL router's lookup stage must agree with [`decide`] on every packet.
//!
//! Rules (the RTL's `RouteDecision` documents the same ones):
//! * bad parity: dropped, `ParityError`.
//! * MC/FR from a link with ER = 2: one copy on `rotation(input)` with ER = 3, no lookup.
//!   ER = 1: normal routing plus that copy (it replaces a normal copy on the same link).
//!   ER = 3: normal routing as if arriving on `rotation(input)`. ER is ignored from cores.
//!   Normal copies have ER cleared.
//! * MC: lowest matching entry; on a miss, from link L the single link (L + 3) mod 6
//!   (`DefaultRouted`), from a core nothing (`Unroutable`).
//! * FR: the fixed-route register.
//! * P2P: the table entry for key `[15:0]`; 6 drops (`Unroutable`), 7 the monitor.
//! * NN: from a link, the monitor; from a core, link header `[4:2]`, or the monitor for 6 and 7.
//! * A re-injected packet with a non-empty route override goes unchanged to exactly those
//!   outputs and counts only under its type ([`decide_reinjected`]).

use spinn_arch::{
    p2p_index, Counter, Emergency, EmergencyRotation, InputPort, LinkDir, McTable, OutputPort,
    P2pRoute, Packet, PacketType, RouteSet, RouterControl,
};
use std::collections::BTreeMap;

/// Everything a routing decision reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterState {
    pub table: McTable,
    pub p2p: Vec<P2pRoute>,
    pub fixed_route: RouteSet,
    pub control: RouterControl,
    pub rotation: EmergencyRotation,
}

impl RouterState {
    /// The state after reset: cleared tables (P2P all drop), SC&MP control, no fixed route.
    pub fn after_reset(
        entries: usize,
        p2p_entries: usize,
        rotation: EmergencyRotation,
    ) -> RouterState {
        RouterState {
            table: McTable::new(entries),
            p2p: vec![P2pRoute::Drop; p2p_entries],
            fixed_route: RouteSet::EMPTY,
            control: RouterControl::SCAMP_BOOT,
            rotation,
        }
    }

    fn p2p_coord_bits(&self) -> usize {
        self.p2p.len().trailing_zeros() as usize / 2
    }
}

/// Where a packet goes: one copy per output (with the header that copy carries) and the
/// counters it increments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    pub copies: BTreeMap<OutputPort, Packet>,
    pub counters: Vec<Counter>,
}

impl Decision {
    fn count(&mut self, counter: Counter) {
        self.counters.push(counter);
        self.counters.sort();
    }

    fn send(&mut self, route: RouteSet, packet: Packet) {
        for port in route.iter() {
            self.copies.insert(port, packet);
        }
    }
}

/// A packet the monitor re-injects naming `source` as its origin; a non-empty `route` (the
/// outputs its dump recorded) replaces the lookup. An MC or FR packet leaves with its ER field
/// cleared, except that ER = 3 (the monitor restoring the last leg of an emergency route) puts
/// ER = 3 on its link copies.
pub fn decide_reinjected(
    state: &RouterState,
    packet: Packet,
    source: InputPort,
    route: RouteSet,
) -> Decision {
    let full = decide(state, packet, source);
    if route.is_empty() || !packet.parity_ok() {
        return full;
    }
    let mut res = Decision::default();
    let type_counter = [
        Counter::LocalMc,
        Counter::ExternalMc,
        Counter::P2p,
        Counter::Nn,
        Counter::Fr,
    ];
    for c in full
        .counters
        .into_iter()
        .filter(|c| type_counter.contains(c))
    {
        res.count(c);
    }
    let mc_or_fr = matches!(packet.kind(), PacketType::Mc | PacketType::Fr);
    if !mc_or_fr {
        res.send(route, packet);
        return res;
    }
    let normal = packet.with_emergency(Emergency::Normal);
    for port in route.iter() {
        let last_leg = packet.emergency() == Emergency::LastHop
            && matches!(port, spinn_arch::OutputPort::Link(_));
        let copy = if last_leg {
            normal.with_emergency(Emergency::LastHop)
        } else {
            normal
        };
        res.copies.insert(port, copy);
    }
    res
}

pub fn decide(state: &RouterState, packet: Packet, source: InputPort) -> Decision {
    let mut res = Decision::default();
    if !packet.parity_ok() {
        res.count(Counter::ParityError);
        return res;
    }
    let in_link = match source {
        InputPort::Link(l) => Some(l),
        InputPort::Core(_) => None,
    };
    let monitor = RouteSet::core(state.control.monitor);
    match packet.kind() {
        PacketType::Mc | PacketType::Fr => route_mc_or_fr(state, packet, in_link, &mut res),
        PacketType::P2p => {
            res.count(Counter::P2p);
            let idx = p2p_index(packet.p2p_dest(), state.p2p_coord_bits());
            match state.p2p[idx] {
                P2pRoute::Link(l) => res.send(RouteSet::link(l), packet),
                P2pRoute::Drop => res.count(Counter::Unroutable),
                P2pRoute::Monitor => res.send(monitor, packet),
            }
        }
        PacketType::Nn => {
            res.count(Counter::Nn);
            let named = LinkDir::from_index(packet.nn_route() as usize);
            match (in_link, named) {
                (None, Some(l)) => res.send(RouteSet::link(l), packet),
                _ => res.send(monitor, packet),
            }
        }
    }
    res
}

fn route_mc_or_fr(
    state: &RouterState,
    packet: Packet,
    in_link: Option<LinkDir>,
    res: &mut Decision,
) {
    let is_fr = packet.kind() == PacketType::Fr;
    res.count(match (is_fr, in_link) {
        (true, _) => Counter::Fr,
        (false, Some(_)) => Counter::ExternalMc,
        (false, None) => Counter::LocalMc,
    });
    let normal_copy = packet.with_emergency(Emergency::Normal);
    let er = in_link.map_or(Emergency::Normal, |_| packet.emergency());
    let forward = in_link.map(|l| state.rotation.apply(l));
    if er == Emergency::FirstHop {
        let link = forward.expect("invariant: ER is only honoured on link inputs");
        res.send(
            RouteSet::link(link),
            packet.with_emergency(Emergency::LastHop),
        );
        return;
    }
    let arrival = if er == Emergency::LastHop {
        forward
    } else {
        in_link
    };
    let normal = if is_fr {
        state.fixed_route
    } else if let Some((_, route)) = state.table.lookup(packet.key()) {
        route
    } else if let Some(arrival) = arrival {
        res.count(Counter::DefaultRouted);
        RouteSet::link(arrival.opposite())
    } else {
        res.count(Counter::Unroutable);
        return;
    };
    res.send(normal, normal_copy);
    if er == Emergency::FirstHopAlsoNormal {
        let link = forward.expect("invariant: ER is only honoured on link inputs");
        res.send(
            RouteSet::link(link),
            packet.with_emergency(Emergency::LastHop),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spinn_arch::{CoreId, McEntry};

    fn state() -> RouterState {
        let mut s = RouterState::after_reset(4, 64, EmergencyRotation::Clockwise);
        let route = RouteSet::link(LinkDir::N).with(OutputPort::Core(CoreId::new(2).unwrap()));
        s.table
            .set(0, McEntry::new(0x10, 0xf0, route).unwrap())
            .unwrap();
        s
    }

    #[test]
    fn a_miss_from_a_link_goes_straight_through() {
        let d = decide(&state(), Packet::mc(0x99), InputPort::Link(LinkDir::SW));
        assert_eq!(
            d.copies.keys().copied().collect::<Vec<_>>(),
            vec![OutputPort::Link(LinkDir::NE)]
        );
        assert_eq!(
            d.counters,
            vec![Counter::ExternalMc, Counter::DefaultRouted]
        );
    }

    #[test]
    fn a_local_miss_is_dropped_and_counted() {
        let d = decide(
            &state(),
            Packet::mc(0x99),
            InputPort::Core(CoreId::new(1).unwrap()),
        );
        assert!(d.copies.is_empty());
        assert_eq!(d.counters, vec![Counter::LocalMc, Counter::Unroutable]);
    }

    #[test]
    fn emergency_first_hop_is_forwarded_round_the_triangle() {
        let pkt = Packet::mc(0x12).with_emergency(Emergency::FirstHop);
        // Clockwise: arriving on W (3), forwarded on (3 + 5) mod 6 = N (2) with ER = 3.
        let d = decide(&state(), pkt, InputPort::Link(LinkDir::W));
        let copy = d.copies[&OutputPort::Link(LinkDir::N)];
        assert_eq!(copy.emergency(), Emergency::LastHop);
        assert!(copy.parity_ok());
        assert_eq!(d.copies.len(), 1);
    }

    #[test]
    fn last_hop_default_routes_as_if_from_the_blocked_link() {
        let pkt = Packet::mc(0x99).with_emergency(Emergency::LastHop);
        // A detour of a packet heading E goes S then NE, so it arrives here on SW (4): the
        // virtual input is (4 + 5) mod 6 = W (3) and the default route continues E.
        let d = decide(&state(), pkt, InputPort::Link(LinkDir::SW));
        assert_eq!(
            d.copies.keys().copied().collect::<Vec<_>>(),
            vec![OutputPort::Link(LinkDir::E)]
        );
        assert_eq!(
            d.copies[&OutputPort::Link(LinkDir::E)].emergency(),
            Emergency::Normal
        );
    }

    #[test]
    fn bad_parity_goes_nowhere() {
        let d = decide(
            &state(),
            Packet::mc(0x12).with_parity_error(),
            InputPort::Link(LinkDir::E),
        );
        assert!(d.copies.is_empty());
        assert_eq!(d.counters, vec![Counter::ParityError]);
    }
}
