//! `RouteDecision`: where one packet goes, decided combinationally in the lookup stage
//! (`spec/hardware.md` §2.4, §2.8, §3.5, §4).
//!
//! Ports (all combinational):
//! * in: `packet` (72-bit bus form), `source` (input port 0–23), the MC table's `table_hit` and
//!   `table_route`, the P2P table's `p2p_code` for the packet's destination, `fr_route`,
//!   `monitor` (the MP field of the control register).
//! * out: `drop` (the packet goes nowhere), `route` (24-bit output set), `er_last` (links that
//!   carry the packet with ER = 3), `out_packet` (the packet as normal outputs send it: MC and
//!   FR packets have ER cleared and parity fixed), `counts` (diagnostic counter increments in
//!   `spinn_arch::Counter` order).
//!
//! Rules, by type:
//! * bad parity: dropped and counted.
//! * MC and FR from a link with ER = 2: forwarded on `rotate(input)` with ER = 3, not looked up.
//!   With ER = 1: routed normally *and* forwarded that way. With ER = 3: routed normally as if it
//!   had arrived on `rotate(input)` (this only matters for default routing).
//!   ER is ignored on packets from local cores.
//! * MC: the lowest matching entry; on a miss a packet from link L leaves on (L + 3) mod 6
//!   (counted as default-routed), a locally sourced one is dropped (counted as unroutable).
//! * FR: the fixed-route register.
//! * P2P: the table code for key `[15:0]`: a link, 6 drop (unroutable), 7 the monitor core.
//! * NN: from a link, the monitor core; from a core, the link in header `[4:2]` (6 and 7: the
//!   monitor core).
//! * A non-zero `override_route` (a re-injected packet with the outputs its dump recorded)
//!   replaces all of the above: the packet goes to exactly those outputs and counts only under
//!   its type. Parity is still checked. An MC or FR packet leaves with its ER field cleared,
//!   except that ER = 3 (the monitor restoring a dumped packet's last emergency leg) makes its
//!   link outputs carry ER = 3, as the last leg would have.
//!
//! `rotate` is one link clockwise (`(l + 5) mod 6`) or anticlockwise (`(l + 1) mod 6`), chosen
//! when the router is built.

use rust_hdl::prelude::*;
use spinn_arch::Counter;

#[derive(LogicBlock)]
pub struct RouteDecision {
    pub packet: Signal<In, Bits<72>>,
    pub source: Signal<In, Bits<5>>,
    pub table_hit: Signal<In, Bit>,
    pub table_route: Signal<In, Bits<24>>,
    pub p2p_code: Signal<In, Bits<3>>,
    pub fr_route: Signal<In, Bits<24>>,
    pub monitor: Signal<In, Bits<5>>,
    pub override_route: Signal<In, Bits<24>>,
    pub drop: Signal<Out, Bit>,
    pub route: Signal<Out, Bits<24>>,
    pub er_last: Signal<Out, Bits<6>>,
    pub out_packet: Signal<Out, Bits<72>>,
    pub counts: Signal<Out, Bits<12>>,
    rotate_clockwise: Constant<Bit>,
    n_links: Constant<Bits<5>>,
    one_link: Constant<Bits<6>>,
    one_route: Constant<Bits<24>>,
    core_offset: Constant<Bits<24>>,
    clear_er: Constant<Bits<72>>,
    parity_bit: Constant<Bits<72>>,
    kind_mc: Constant<Bits<2>>,
    kind_p2p: Constant<Bits<2>>,
    kind_fr: Constant<Bits<2>>,
    er_first_also_normal: Constant<Bits<2>>,
    er_first_hop: Constant<Bits<2>>,
    er_last_hop: Constant<Bits<2>>,
    code_drop: Constant<Bits<3>>,
    code_monitor: Constant<Bits<3>>,
    first_core_code: Constant<Bits<3>>,
    type_counters: Constant<Bits<12>>,
    // Width-exact zeros: rust-hdl emits the literal `0` 32 bits wide (a Verilator WIDTH warning).
    no_links: Constant<Bits<6>>,
    no_route: Constant<Bits<24>>,
    no_counts: Constant<Bits<12>>,
    // One-hot counter increments (bit `Counter::index`): `replace_bit` would emit a 1-bit value
    // shifted in a 12-bit context (correct, but a Verilator WIDTH warning).
    count_local_mc: Constant<Bits<12>>,
    count_external_mc: Constant<Bits<12>>,
    count_p2p: Constant<Bits<12>>,
    count_nn: Constant<Bits<12>>,
    count_fr: Constant<Bits<12>>,
    count_default_routed: Constant<Bits<12>>,
    count_unroutable: Constant<Bits<12>>,
    count_parity_error: Constant<Bits<12>>,
    header: Signal<Local, Bits<8>>,
    kind: Signal<Local, Bits<2>>,
    er: Signal<Local, Bits<2>>,
    nn_route: Signal<Local, Bits<3>>,
    key_bits: Signal<Local, Bits<32>>,
    payload_bits: Signal<Local, Bits<32>>,
    parity_ok: Signal<Local, Bit>,
    from_link: Signal<Local, Bit>,
    source_link: Signal<Local, Bits<6>>,
    forward: Signal<Local, Bits<6>>,
    arrival: Signal<Local, Bits<6>>,
    default_link: Signal<Local, Bits<6>>,
    monitor_route: Signal<Local, Bits<24>>,
    normalised: Signal<Local, Bits<72>>,
    normal_route: Signal<Local, Bits<24>>,
    code_link: Signal<Local, Bits<6>>,
    increments: Signal<Local, Bits<12>>,
}

impl RouteDecision {
    pub fn new(rotate_clockwise: bool) -> Self {
        Self {
            packet: Default::default(),
            source: Default::default(),
            table_hit: Default::default(),
            table_route: Default::default(),
            p2p_code: Default::default(),
            fr_route: Default::default(),
            monitor: Default::default(),
            override_route: Default::default(),
            drop: Default::default(),
            route: Default::default(),
            er_last: Default::default(),
            out_packet: Default::default(),
            counts: Default::default(),
            rotate_clockwise: Constant::new(rotate_clockwise),
            n_links: Constant::new(6.into()),
            one_link: Constant::new(1.into()),
            one_route: Constant::new(1.into()),
            core_offset: Constant::new(6.into()),
            clear_er: Constant::new(!Bits::<72>::from(0x30)),
            parity_bit: Constant::new(1.into()),
            kind_mc: Constant::new(0.into()),
            kind_p2p: Constant::new(1.into()),
            kind_fr: Constant::new(3.into()),
            er_first_also_normal: Constant::new(1.into()),
            er_first_hop: Constant::new(2.into()),
            er_last_hop: Constant::new(3.into()),
            code_drop: Constant::new(6.into()),
            code_monitor: Constant::new(7.into()),
            first_core_code: Constant::new(6.into()),
            type_counters: Constant::new(0x1f.into()),
            no_links: Constant::new(0.into()),
            no_route: Constant::new(0.into()),
            no_counts: Constant::new(0.into()),
            count_local_mc: Constant::new((1u64 << Counter::LocalMc.index()).into()),
            count_external_mc: Constant::new((1u64 << Counter::ExternalMc.index()).into()),
            count_p2p: Constant::new((1u64 << Counter::P2p.index()).into()),
            count_nn: Constant::new((1u64 << Counter::Nn.index()).into()),
            count_fr: Constant::new((1u64 << Counter::Fr.index()).into()),
            count_default_routed: Constant::new((1u64 << Counter::DefaultRouted.index()).into()),
            count_unroutable: Constant::new((1u64 << Counter::Unroutable.index()).into()),
            count_parity_error: Constant::new((1u64 << Counter::ParityError.index()).into()),
            header: Default::default(),
            kind: Default::default(),
            er: Default::default(),
            nn_route: Default::default(),
            key_bits: Default::default(),
            payload_bits: Default::default(),
            parity_ok: Default::default(),
            from_link: Default::default(),
            source_link: Default::default(),
            forward: Default::default(),
            arrival: Default::default(),
            default_link: Default::default(),
            monitor_route: Default::default(),
            normalised: Default::default(),
            normal_route: Default::default(),
            code_link: Default::default(),
            increments: Default::default(),
        }
    }
}

impl Logic for RouteDecision {
    #[hdl_gen]
    fn update(&mut self) {
        // Fields of the packet.
        self.header.next = self.packet.val().get_bits::<8>(0);
        self.kind.next = self.header.val().get_bits::<2>(6);
        self.er.next = self.header.val().get_bits::<2>(4);
        self.nn_route.next = self.header.val().get_bits::<3>(2);
        self.key_bits.next = self.packet.val().get_bits::<32>(8);
        self.payload_bits.next = self.packet.val().get_bits::<32>(40);
        self.parity_ok.next = self.header.val().xor()
            ^ self.key_bits.val().xor()
            ^ (self.header.val().get_bit(1) & self.payload_bits.val().xor());
        self.normalised.next = self.packet.val() & self.clear_er.val();
        if self.er.val().get_bit(0) ^ self.er.val().get_bit(1) {
            self.normalised.next =
                (self.packet.val() & self.clear_er.val()) ^ self.parity_bit.val();
        }
        // Link geometry as one-hot link vectors: no modulo arithmetic needed.
        self.from_link.next = self.source.val() < self.n_links.val();
        self.source_link.next = self.no_links.val();
        if self.from_link.val() {
            self.source_link.next = self.one_link.val() << bit_cast::<6, 5>(self.source.val());
        }
        if self.rotate_clockwise.val() {
            self.forward.next = (self.source_link.val() >> 1) | (self.source_link.val() << 5);
        } else {
            self.forward.next = (self.source_link.val() << 1) | (self.source_link.val() >> 5);
        }
        self.arrival.next = self.source_link.val();
        if self.er.val() == self.er_last_hop.val() {
            self.arrival.next = self.forward.val();
        }
        self.default_link.next = (self.arrival.val() << 3) | (self.arrival.val() >> 3);
        self.monitor_route.next = self.one_route.val()
            << (bit_cast::<24, 5>(self.monitor.val()) + self.core_offset.val());
        // The decision.
        self.drop.next = false;
        self.route.next = self.no_route.val();
        self.er_last.next = self.no_links.val();
        self.out_packet.next = self.packet.val();
        self.increments.next = self.no_counts.val();
        self.normal_route.next = self.no_route.val();
        self.code_link.next = self.no_links.val();
        if !self.parity_ok.val() {
            self.drop.next = true;
            self.increments.next = self.increments.val() | self.count_parity_error.val();
        } else if (self.kind.val() == self.kind_mc.val()) | (self.kind.val() == self.kind_fr.val())
        {
            self.out_packet.next = self.normalised.val();
            if self.kind.val() == self.kind_fr.val() {
                self.increments.next = self.increments.val() | self.count_fr.val();
            } else if self.from_link.val() {
                self.increments.next = self.increments.val() | self.count_external_mc.val();
            } else {
                self.increments.next = self.increments.val() | self.count_local_mc.val();
            }
            if self.from_link.val() & (self.er.val() == self.er_first_hop.val()) {
                self.route.next = bit_cast::<24, 6>(self.forward.val());
                self.er_last.next = self.forward.val();
            } else {
                if self.kind.val() == self.kind_fr.val() {
                    self.normal_route.next = self.fr_route.val();
                } else if self.table_hit.val() {
                    self.normal_route.next = self.table_route.val();
                } else if self.from_link.val() {
                    self.normal_route.next = bit_cast::<24, 6>(self.default_link.val());
                    self.increments.next = self.increments.val() | self.count_default_routed.val();
                } else {
                    self.drop.next = true;
                    self.increments.next = self.increments.val() | self.count_unroutable.val();
                }
                self.route.next = self.normal_route.val();
                if self.from_link.val() & (self.er.val() == self.er_first_also_normal.val()) {
                    self.route.next =
                        self.normal_route.val() | bit_cast::<24, 6>(self.forward.val());
                    self.er_last.next = self.forward.val();
                }
            }
        } else if self.kind.val() == self.kind_p2p.val() {
            self.increments.next = self.increments.val() | self.count_p2p.val();
            if self.p2p_code.val() == self.code_drop.val() {
                self.drop.next = true;
                self.increments.next = self.increments.val() | self.count_unroutable.val();
            } else if self.p2p_code.val() == self.code_monitor.val() {
                self.route.next = self.monitor_route.val();
            } else {
                self.code_link.next = self.one_link.val() << bit_cast::<6, 3>(self.p2p_code.val());
                self.route.next = bit_cast::<24, 6>(self.code_link.val());
            }
        } else {
            self.increments.next = self.increments.val() | self.count_nn.val();
            if self.from_link.val() | (self.nn_route.val() >= self.first_core_code.val()) {
                self.route.next = self.monitor_route.val();
            } else {
                self.code_link.next = self.one_link.val() << bit_cast::<6, 3>(self.nn_route.val());
                self.route.next = bit_cast::<24, 6>(self.code_link.val());
            }
        }
        if self.parity_ok.val() & self.override_route.val().any() {
            self.drop.next = false;
            self.route.next = self.override_route.val();
            self.er_last.next = self.no_links.val();
            self.out_packet.next = self.packet.val();
            if (self.kind.val() == self.kind_mc.val()) | (self.kind.val() == self.kind_fr.val()) {
                self.out_packet.next = self.normalised.val();
                if self.er.val() == self.er_last_hop.val() {
                    self.er_last.next = self.override_route.val().get_bits::<6>(0);
                }
            }
            self.increments.next = self.increments.val() & self.type_counters.val();
        }
        self.counts.next = self.increments.val();
    }
}
