//! The router top: input arbitration, the lookup stage and the output stage wired together
//! (`spec/hardware.md` §2.4). [`MulticastRouter`] uses the parallel [`RegisterTable`]; [`BankedMulticastRouter`]
//! the block-RAM [`BankedTable`]. Both are generated from one definition and have identical
//! ports and behaviour apart from the lookup time of MC packets.
//!
//! Pipeline and latency (register table): a packet taken from an input at the end of cycle
//! `t` sits in the lookup register in cycle `t + 1`, is decided and moves to the output stage at
//! the end of it, and is offered on its outputs in cycle `t + 2`: **2 cycles input to output**,
//! one packet per cycle sustained while outputs are free. The banked table adds its scan time to
//! MC packets and handles one lookup at a time.
//!
//! Early issue: once the output stage's packet has waited a cycle, the decided packet in the
//! lookup register is offered too, on its outputs that the stage is not waiting on (on cores only
//! if the stage waits on no core, the cores sharing one packet bus). Outputs that take it drop
//! out of its route; when the stage frees, it moves in with the rest, and if every output took
//! it, it leaves without entering the stage. So a packet waits behind a blocked one only for an
//! output they share, and two neighbours whose stages wait on each other no longer deadlock
//! unless the packets behind wait on the same links (`docs/fabric.md`, saturation).
//!
//! Ports (every data port is a valid/ready pair; a transfer happens at a rising edge where both
//! are high):
//! * `link_in_*[6]`, `core_in_*[18]`: packet sources, 72-bit bus form.
//! * `reinject_*`: the monitor's re-injection port; `reinject_source` names the input port the
//!   packet originally arrived on, so default routing still works, and a non-zero
//!   `reinject_route` sends the packet to exactly those outputs without a lookup (the dump's
//!   `dump_outputs`, so outputs that already took the packet do not get it twice).
//! * `link_out_*[6]`, `core_out_valid/ready[18]`: outputs. All cores share `core_out_packet`.
//!   A valid output is withdrawn without a transfer only when its wait phase expires (the
//!   stage's, or, for the lookup register's early offer, when the stage's wait1 expiry moves
//!   the stage's packet onto that link).
//! * configuration: when `cfg_write` is high at a rising edge, `cfg_target` selects
//!   0 MC entry `cfg_index` ← (`cfg_key`, `cfg_mask`, `cfg_data[23:0]`),
//!   1 control register ← `cfg_data` (layout of `spinn_arch::RouterControl`),
//!   2 P2P entry `cfg_index` ← `cfg_data[2:0]`, 3 fixed-route register ← `cfg_data[23:0]`,
//!   4 clear the dump status (the monitor's read of DSTAT). An MC or P2P write whose
//!   `cfg_index` is not below the table's size is ignored, in every table build. A packet
//!   already decided in the lookup register keeps its decision through a write: writes change
//!   where later packets go, never where a waiting one, perhaps offered early, goes.
//! * dump registers `dump_header` (`spinn_arch::DumpHeader`: `[7:0]` header, `[12:8]` input
//!   port, `[13]` on the last leg of an emergency route), `dump_key`,
//!   `dump_payload`, `dump_outputs`, `dump_status` (`spinn_arch::DumpStatus`), and
//!   `dump_interrupt` = status bit 31 and control bit 2.
//! * `count[12]`: diagnostic counters (`spinn_arch::Counter`); `output_stage_empty`.
//!
//! Reset (synchronous, active high) empties the pipeline, clears counters and the dump status,
//! sets the control register to the SC&MP boot value and clears the fixed route. The MC and P2P
//! tables keep their contents and power up cleared (MC: nothing matches; P2P: every code 6).

use super::{
    BankedTable, DiagnosticCounters, InputArbiter, OutputStage, P2pTable, RegisterTable,
    RouteDecision,
};
use rust_hdl::prelude::*;
use spinn_arch::{RouterControl, CORES_PER_CHIP, LINKS_PER_CHIP, N_COUNTERS};

/// The build-time choices of a router that are not sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterParams {
    /// Emergency detours go clockwise (`(d + 5) mod 6` first) rather than anticlockwise.
    pub rotate_clockwise: bool,
}

impl RouterParams {
    /// TickySim's convention (`spec/hardware.md` §3.5).
    pub const CLOCKWISE: RouterParams = RouterParams {
        rotate_clockwise: true,
    };
}

macro_rules! define_router {
    (
        $(#[$doc:meta])*
        $name:ident < $(const $g:ident : usize),* >,
        table: $table:ty
    ) => {
        $(#[$doc])*
        #[derive(LogicBlock)]
        pub struct $name<$(const $g: usize),*> {
            pub clock: Signal<In, Clock>,
            pub reset: Signal<In, Bit>,
            // Link inputs
            pub link_in_valid: [Signal<In, Bit>; LINKS_PER_CHIP],
            pub link_in_ready: [Signal<Out, Bit>; LINKS_PER_CHIP],
            pub link_in_packet: [Signal<In, Bits<72>>; LINKS_PER_CHIP],
            // Core inputs
            pub core_in_valid: [Signal<In, Bit>; CORES_PER_CHIP],
            pub core_in_ready: [Signal<Out, Bit>; CORES_PER_CHIP],
            pub core_in_packet: [Signal<In, Bits<72>>; CORES_PER_CHIP],
            // Re-injection
            pub reinject_valid: Signal<In, Bit>,
            pub reinject_ready: Signal<Out, Bit>,
            pub reinject_packet: Signal<In, Bits<72>>,
            pub reinject_source: Signal<In, Bits<5>>,
            pub reinject_route: Signal<In, Bits<24>>,
            // Link outputs
            pub link_out_valid: [Signal<Out, Bit>; LINKS_PER_CHIP],
            pub link_out_ready: [Signal<In, Bit>; LINKS_PER_CHIP],
            pub link_out_packet: [Signal<Out, Bits<72>>; LINKS_PER_CHIP],
            // Core outputs
            pub core_out_valid: [Signal<Out, Bit>; CORES_PER_CHIP],
            pub core_out_ready: [Signal<In, Bit>; CORES_PER_CHIP],
            pub core_out_packet: Signal<Out, Bits<72>>,
            // Configuration
            pub cfg_write: Signal<In, Bit>,
            pub cfg_target: Signal<In, Bits<3>>,
            pub cfg_index: Signal<In, Bits<16>>,
            pub cfg_key: Signal<In, Bits<32>>,
            pub cfg_mask: Signal<In, Bits<32>>,
            pub cfg_data: Signal<In, Bits<32>>,
            // Dump registers
            pub dump_header: Signal<Out, Bits<16>>,
            pub dump_key: Signal<Out, Bits<32>>,
            pub dump_payload: Signal<Out, Bits<32>>,
            pub dump_outputs: Signal<Out, Bits<24>>,
            pub dump_status: Signal<Out, Bits<32>>,
            pub dump_interrupt: Signal<Out, Bit>,
            // Status
            pub count: [Signal<Out, Bits<32>>; N_COUNTERS],
            pub output_stage_empty: Signal<Out, Bit>,
            arbiter: InputArbiter,
            mc_table: $table,
            p2p: P2pTable<P2P_ENTRIES>,
            decision: RouteDecision,
            stage: OutputStage,
            counters: DiagnosticCounters,
            control: DFF<Bits<32>>,
            fixed_route: DFF<Bits<24>>,
            lookup_valid: DFF<Bit>,
            lookup_packet: DFF<Bits<72>>,
            lookup_source: DFF<Bits<5>>,
            lookup_override: DFF<Bits<24>>,
            // Outputs that took the lookup register's packet early, and whether the stage's
            // packet has been offered for at least a cycle.
            lookup_sent: DFF<Bits<24>>,
            stage_waited: DFF<Bit>,
            // The lookup register's decision, held from the cycle after it is first made for
            // as long as the packet waits there: a table or register write while it waits
            // must not change where it goes (an output offered the packet early would see its
            // valid fall before it was taken).
            decided: DFF<Bit>,
            decided_route: DFF<Bits<24>>,
            decided_drop: DFF<Bit>,
            decided_counts: DFF<Bits<12>>,
            boot_control: Constant<Bits<32>>,
            target_mc: Constant<Bits<3>>,
            target_control: Constant<Bits<3>>,
            target_p2p: Constant<Bits<3>>,
            target_fixed_route: Constant<Bits<3>>,
            target_dump_clear: Constant<Bits<3>>,
            link_and_core_inputs: Constant<Bits<25>>,
            // A width-exact zero packet.
            no_packet: Constant<Bits<72>>,
            // A width-exact zero: rust-hdl emits the literal `0` 32 bits wide (a Verilator
            // WIDTH warning).
            no_outputs: Constant<Bits<24>>,
            // One-hot outputs, `output_bit[o]` = 1 << o: `replace_bit` would emit a 1-bit
            // ready shifted in a 24-bit context (correct, but a Verilator WIDTH warning).
            output_bit: [Constant<Bits<24>>; 24],
            link_outputs: Constant<Bits<24>>,
            core_outputs: Constant<Bits<24>>,
            mark_last_hop: Constant<Bits<72>>,
            // The control register's next value, which the output stage's wait limits are
            // computed from a cycle ahead.
            control_next: Signal<Local, Bits<32>>,
            link_or_core_granted: Signal<Local, Bit>,
            selected_packet: Signal<Local, Bits<72>>,
            selected_source: Signal<Local, Bits<5>>,
            selected_override: Signal<Local, Bits<24>>,
            is_mc: Signal<Local, Bit>,
            table_ready: Signal<Local, Bit>,
            lookup_advance: Signal<Local, Bit>,
            lookup_can_accept: Signal<Local, Bit>,
            out_ready_vector: Signal<Local, Bits<24>>,
            lookup_route: Signal<Local, Bits<24>>,
            lookup_drop: Signal<Local, Bit>,
            lookup_counts: Signal<Local, Bits<12>>,
            early_offer: Signal<Local, Bits<24>>,
            early_taken: Signal<Local, Bits<24>>,
            lookup_sent_now: Signal<Local, Bits<24>>,
            lookup_left: Signal<Local, Bits<24>>,
            early_done: Signal<Local, Bit>,
            stage_enter: Signal<Local, Bit>,
        }

        impl<$(const $g: usize),*> $name<$($g),*> {
            pub fn new(params: RouterParams) -> Self {
                Self {
                    clock: Default::default(),
                    reset: Default::default(),
                    link_in_valid: Default::default(),
                    link_in_ready: Default::default(),
                    link_in_packet: Default::default(),
                    core_in_valid: Default::default(),
                    core_in_ready: Default::default(),
                    core_in_packet: Default::default(),
                    reinject_valid: Default::default(),
                    reinject_ready: Default::default(),
                    reinject_packet: Default::default(),
                    reinject_source: Default::default(),
                    reinject_route: Default::default(),
                    link_out_valid: Default::default(),
                    link_out_ready: Default::default(),
                    link_out_packet: Default::default(),
                    core_out_valid: Default::default(),
                    core_out_ready: Default::default(),
                    core_out_packet: Default::default(),
                    cfg_write: Default::default(),
                    cfg_target: Default::default(),
                    cfg_index: Default::default(),
                    cfg_key: Default::default(),
                    cfg_mask: Default::default(),
                    cfg_data: Default::default(),
                    dump_header: Default::default(),
                    dump_key: Default::default(),
                    dump_payload: Default::default(),
                    dump_outputs: Default::default(),
                    dump_status: Default::default(),
                    dump_interrupt: Default::default(),
                    count: Default::default(),
                    output_stage_empty: Default::default(),
                    arbiter: Default::default(),
                    mc_table: Default::default(),
                    p2p: Default::default(),
                    decision: RouteDecision::new(params.rotate_clockwise),
                    stage: OutputStage::new(params.rotate_clockwise),
                    counters: Default::default(),
                    control: Default::default(),
                    fixed_route: Default::default(),
                    lookup_valid: Default::default(),
                    lookup_packet: Default::default(),
                    lookup_source: Default::default(),
                    lookup_override: Default::default(),
                    lookup_sent: Default::default(),
                    stage_waited: Default::default(),
                    decided: Default::default(),
                    decided_route: Default::default(),
                    decided_drop: Default::default(),
                    decided_counts: Default::default(),
                    boot_control: Constant::new(
                        (RouterControl::SCAMP_BOOT.to_register() as u64).into(),
                    ),
                    target_mc: Constant::new(0.into()),
                    target_control: Constant::new(1.into()),
                    target_p2p: Constant::new(2.into()),
                    target_fixed_route: Constant::new(3.into()),
                    target_dump_clear: Constant::new(4.into()),
                    link_and_core_inputs: Constant::new(((1u64 << 24) - 1).into()),
                    no_packet: Constant::new(0.into()),
                    no_outputs: Constant::new(0.into()),
                    output_bit: std::array::from_fn(|o| Constant::new((1u64 << o).into())),
                    link_outputs: Constant::new(0x3f.into()),
                    core_outputs: Constant::new(0xff_ffc0.into()),
                    mark_last_hop: Constant::new(0x30.into()),
                    control_next: Default::default(),
                    link_or_core_granted: Default::default(),
                    selected_packet: Default::default(),
                    selected_source: Default::default(),
                    selected_override: Default::default(),
                    is_mc: Default::default(),
                    table_ready: Default::default(),
                    lookup_advance: Default::default(),
                    lookup_can_accept: Default::default(),
                    out_ready_vector: Default::default(),
                    lookup_route: Default::default(),
                    lookup_drop: Default::default(),
                    lookup_counts: Default::default(),
                    early_offer: Default::default(),
                    early_taken: Default::default(),
                    lookup_sent_now: Default::default(),
                    lookup_left: Default::default(),
                    early_done: Default::default(),
                    stage_enter: Default::default(),
                }
            }
        }

        impl<$(const $g: usize),*> Logic for $name<$($g),*> {
            #[hdl_gen]
            fn update(&mut self) {
                dff_setup!(
                    self,
                    clock,
                    control,
                    fixed_route,
                    lookup_valid,
                    lookup_packet,
                    lookup_source,
                    lookup_override,
                    lookup_sent,
                    stage_waited,
                    decided,
                    decided_route,
                    decided_drop,
                    decided_counts
                );
                self.arbiter.clock.next = self.clock.val();
                self.arbiter.reset.next = self.reset.val();
                self.mc_table.clock.next = self.clock.val();
                self.p2p.clock.next = self.clock.val();
                self.stage.clock.next = self.clock.val();
                self.stage.reset.next = self.reset.val();
                self.counters.clock.next = self.clock.val();
                self.counters.reset.next = self.reset.val();
                // Configuration port.
                self.mc_table.write_enable.next =
                    self.cfg_write.val() & (self.cfg_target.val() == self.target_mc.val());
                self.mc_table.write_index.next = self.cfg_index.val();
                self.mc_table.write_key.next = self.cfg_key.val();
                self.mc_table.write_mask.next = self.cfg_mask.val();
                self.mc_table.write_route.next = self.cfg_data.val().get_bits::<24>(0);
                self.p2p.write_enable.next =
                    self.cfg_write.val() & (self.cfg_target.val() == self.target_p2p.val());
                self.p2p.write_index.next = self.cfg_index.val();
                self.p2p.write_code.next = self.cfg_data.val().get_bits::<3>(0);
                self.control_next.next = self.control.q.val();
                if self.cfg_write.val() & (self.cfg_target.val() == self.target_control.val()) {
                    self.control_next.next = self.cfg_data.val();
                }
                if self.reset.val() {
                    self.control_next.next = self.boot_control.val();
                }
                self.control.d.next = self.control_next.val();
                if self.cfg_write.val() & (self.cfg_target.val() == self.target_fixed_route.val()) {
                    self.fixed_route.d.next = self.cfg_data.val().get_bits::<24>(0);
                }
                self.stage.dump_clear.next =
                    self.cfg_write.val() & (self.cfg_target.val() == self.target_dump_clear.val());
                // Input arbitration.
                for l in 0..6 {
                    self.arbiter.request[l].next = self.link_in_valid[l].val();
                }
                for c in 0..18 {
                    self.arbiter.request[c + 6].next = self.core_in_valid[c].val();
                }
                self.arbiter.request[24].next = self.reinject_valid.val();
                // The granted packet, selected by AND-OR on the one-hot grant (a balanced tree,
                // where a compare-and-mux per input was a chain); the re-injection port's
                // unless a link or core is granted.
                self.link_or_core_granted.next =
                    (self.arbiter.grant_one_hot.val() & self.link_and_core_inputs.val()).any();
                self.selected_packet.next = self.no_packet.val();
                for l in 0..6 {
                    if self.arbiter.grant_one_hot.val().get_bit(l) {
                        self.selected_packet.next =
                            self.selected_packet.val() | self.link_in_packet[l].val();
                    }
                }
                for c in 0..18 {
                    if self.arbiter.grant_one_hot.val().get_bit(c + 6) {
                        self.selected_packet.next =
                            self.selected_packet.val() | self.core_in_packet[c].val();
                    }
                }
                self.selected_source.next = self.arbiter.grant.val();
                self.selected_override.next = self.no_outputs.val();
                if !self.link_or_core_granted.val() {
                    self.selected_packet.next = self.reinject_packet.val();
                    self.selected_source.next = self.reinject_source.val();
                    self.selected_override.next = self.reinject_route.val();
                }
                // Which outputs are ready.
                self.out_ready_vector.next = self.no_outputs.val();
                for l in 0..6 {
                    if self.link_out_ready[l].val() {
                        self.out_ready_vector.next =
                            self.out_ready_vector.val() | self.output_bit[l].val();
                    }
                }
                for c in 0..18 {
                    if self.core_out_ready[c].val() {
                        self.out_ready_vector.next =
                            self.out_ready_vector.val() | self.output_bit[c + 6].val();
                    }
                }
                // Lookup stage.
                self.is_mc.next =
                    !self.lookup_packet.q.val().get_bit(7) & !self.lookup_packet.q.val().get_bit(6);
                self.mc_table.reset.next = self.reset.val();
                self.mc_table.lookup_valid.next = self.lookup_valid.q.val() & self.is_mc.val();
                self.mc_table.lookup_key.next = self.lookup_packet.q.val().get_bits::<32>(8);
                self.table_ready.next = !self.is_mc.val() | self.mc_table.result_valid.val();
                self.p2p.read_chip.next = self.lookup_packet.q.val().get_bits::<16>(8);
                self.decision.packet.next = self.lookup_packet.q.val();
                self.decision.source.next = self.lookup_source.q.val();
                self.decision.table_hit.next = self.mc_table.hit.val();
                self.decision.table_route.next = self.mc_table.route.val();
                self.decision.p2p_code.next = self.p2p.read_code.val();
                self.decision.fr_route.next = self.fixed_route.q.val();
                self.decision.monitor.next = self.control.q.val().get_bits::<5>(8);
                self.decision.override_route.next = self.lookup_override.q.val();
                self.lookup_route.next = self.decision.route.val();
                self.lookup_drop.next = self.decision.drop.val();
                self.lookup_counts.next = self.decision.counts.val();
                if self.decided.q.val() {
                    self.lookup_route.next = self.decided_route.q.val();
                    self.lookup_drop.next = self.decided_drop.q.val();
                    self.lookup_counts.next = self.decided_counts.q.val();
                }
                // Early issue: while the stage's packet has waited at least a cycle, the decided
                // packet here is offered on its outputs that have not taken it and that the
                // stage does not wait on (on cores only if the stage waits on none: the cores
                // share one bus). Registers only, so valid does not depend on ready.
                self.early_offer.next = self.no_outputs.val();
                if self.lookup_valid.q.val()
                    & self.table_ready.val()
                    & !self.lookup_drop.val()
                    & self.stage.busy.val()
                    & self.stage_waited.q.val()
                {
                    self.early_offer.next = self.lookup_route.val()
                        & !self.lookup_sent.q.val()
                        & !self.stage.out_valid.val();
                    if (self.stage.out_valid.val() & self.core_outputs.val()).any() {
                        self.early_offer.next = self.lookup_route.val()
                            & !self.lookup_sent.q.val()
                            & !self.stage.out_valid.val()
                            & self.link_outputs.val();
                    }
                }
                self.early_taken.next = self.early_offer.val() & self.out_ready_vector.val();
                self.lookup_sent_now.next = self.lookup_sent.q.val() | self.early_taken.val();
                self.lookup_left.next = self.lookup_route.val() & !self.lookup_sent_now.val();
                self.early_done.next =
                    self.lookup_sent_now.val().any() & !self.lookup_left.val().any();
                self.lookup_advance.next = self.lookup_valid.q.val()
                    & self.table_ready.val()
                    & (self.lookup_drop.val() | self.stage.in_ready.val() | self.early_done.val());
                self.lookup_can_accept.next = !self.lookup_valid.q.val() | self.lookup_advance.val();
                self.decided.d.next =
                    self.lookup_valid.q.val() & self.table_ready.val() & !self.lookup_advance.val();
                self.decided_route.d.next = self.lookup_route.val();
                self.decided_drop.d.next = self.lookup_drop.val();
                self.decided_counts.d.next = self.lookup_counts.val();
                self.lookup_sent.d.next = self.lookup_sent_now.val();
                if self.lookup_can_accept.val() {
                    self.lookup_sent.d.next = self.no_outputs.val();
                }
                self.mc_table.result_taken.next = self.lookup_advance.val();
                self.arbiter.advance.next = self.lookup_can_accept.val();
                if self.lookup_can_accept.val() {
                    self.lookup_valid.d.next = self.arbiter.grant_valid.val();
                    self.lookup_packet.d.next = self.selected_packet.val();
                    self.lookup_source.d.next = self.selected_source.val();
                    self.lookup_override.d.next = self.selected_override.val();
                }
                for l in 0..6 {
                    self.link_in_ready[l].next =
                        self.lookup_can_accept.val() & self.arbiter.grant_one_hot.val().get_bit(l);
                }
                for c in 0..18 {
                    self.core_in_ready[c].next = self.lookup_can_accept.val()
                        & self.arbiter.grant_one_hot.val().get_bit(c + 6);
                }
                self.reinject_ready.next =
                    self.lookup_can_accept.val() & self.arbiter.grant_one_hot.val().get_bit(24);
                // Output stage.
                self.stage_enter.next = self.lookup_valid.q.val()
                    & self.table_ready.val()
                    & !self.lookup_drop.val()
                    & !self.early_done.val();
                self.stage.in_valid.next = self.stage_enter.val();
                self.stage.in_packet.next = self.decision.out_packet.val();
                self.stage.in_source.next = self.lookup_source.q.val();
                self.stage.in_route.next = self.lookup_left.val();
                self.stage_waited.d.next =
                    self.stage.busy.val() & !(self.stage_enter.val() & self.stage.in_ready.val());
                self.stage.in_er_last.next = self.decision.er_last.val();
                self.stage.wait1.next = self.control.q.val().get_bits::<8>(16);
                self.stage.wait2.next = self.control.q.val().get_bits::<8>(24);
                self.stage.wait1_next.next = self.control_next.val().get_bits::<8>(16);
                self.stage.wait2_next.next = self.control_next.val().get_bits::<8>(24);
                for l in 0..6 {
                    self.link_out_valid[l].next =
                        self.stage.out_valid.val().get_bit(l) | self.early_offer.val().get_bit(l);
                    self.link_out_packet[l].next = self.stage.link_packet[l].val();
                    if self.early_offer.val().get_bit(l) {
                        self.link_out_packet[l].next = self.decision.out_packet.val();
                        if self.decision.er_last.val().get_bit(l) {
                            self.link_out_packet[l].next =
                                self.decision.out_packet.val() ^ self.mark_last_hop.val();
                        }
                    }
                }
                for c in 0..18 {
                    self.core_out_valid[c].next = self.stage.out_valid.val().get_bit(c + 6)
                        | self.early_offer.val().get_bit(c + 6);
                }
                self.stage.out_ready.next = self.out_ready_vector.val();
                self.core_out_packet.next = self.stage.core_packet.val();
                if (self.early_offer.val() & self.core_outputs.val()).any() {
                    self.core_out_packet.next = self.decision.out_packet.val();
                }
                // Counters and status.
                self.counters.increment.next = self.stage.events.val();
                if self.lookup_advance.val() {
                    self.counters.increment.next = self.stage.events.val() | self.lookup_counts.val();
                }
                for k in 0..12 {
                    self.count[k].next = self.counters.count[k].val();
                }
                self.dump_header.next = self.stage.dump_header.val();
                self.dump_key.next = self.stage.dump_key.val();
                self.dump_payload.next = self.stage.dump_payload.val();
                self.dump_outputs.next = self.stage.dump_outputs.val();
                self.dump_status.next = self.stage.dump_status.val();
                self.dump_interrupt.next =
                    self.stage.dump_status.val().get_bit(31) & self.control.q.val().get_bit(2);
                self.output_stage_empty.next = !self.stage.busy.val();
                if self.reset.val() {
                    self.fixed_route.d.next = self.no_outputs.val();
                    self.lookup_valid.d.next = false;
                    self.lookup_sent.d.next = self.no_outputs.val();
                    self.stage_waited.d.next = false;
                    self.decided.d.next = false;
                }
            }
        }
    };
}

define_router! {
    /// The router with a parallel register table of `ENTRIES` entries and a P2P table of
    /// `P2P_ENTRIES` (a power of four) entries.
    MulticastRouter<const ENTRIES: usize, const P2P_ENTRIES: usize>,
    table: RegisterTable<ENTRIES>
}

define_router! {
    /// The router with a block-RAM table of `BANKS · 2^DEPTH_BITS` entries searched in banks.
    BankedMulticastRouter<const BANKS: usize, const DEPTH_BITS: usize, const P2P_ENTRIES: usize>,
    table: BankedTable<BANKS, DEPTH_BITS>
}
