//! `OutputStage`: holds one routed packet until every output has taken it, with the wait1 →
//! emergency routing → wait2 → dump sequence (`spec/hardware.md` §3.2–3.5).
//!
//! Commit semantics: **per output**. Each selected output completes its own valid/ready
//! handshake; outputs that took the packet drop out of `pending`, and the stage is free once
//! `pending` is empty. (The all-at-once alternative would make `valid` depend on `ready`, which
//! the valid/ready convention forbids.)
//!
//! Timing: a packet enters with wait count 0 and is offered on its outputs that cycle. At the end
//! of every cycle in which some output is still pending, the count is compared with the limit of
//! the current phase (`WaitTime` cycles of `wait1`, then of `wait2`; 0xFF never expires): below
//! it, the count goes up by one; at or above it, the phase expires.
//! * wait1 expiry: an MC or FR packet that is not already on a detour has each pending link `d`
//!   replaced by `rotate(d)`, carrying ER = 2 (a rotation is a bijection, so every link still
//!   carries at most one copy). Pending cores stay. Either way the stage enters wait2 with a
//!   fresh count.
//! * wait2 expiry: the packet is dumped: header, input port, key, payload and the outputs still
//!   pending go to the dump registers, status bit 31 is set, and the stage frees. Outputs are
//!   recorded in normal-route terms: a detour link is recorded as the blocked link it replaced,
//!   so a monitor can re-inject the packet to exactly the outputs that never took it. A packet on
//!   the last leg of an emergency route (it arrived with ER = 2 and its one pending link carries
//!   ER = 3) is marked by dump header bit 13, so the monitor can re-inject it with ER = 3 and the
//!   next router still routes it as if it came straight from the detour's start. If status bit
//!   31 was already set, the registers keep the earlier packet, bit 30 (overflow) is set and the
//!   new packet is lost. `dump_clear` clears the status (the monitor's read of DSTAT).
//!
//! Ports: `in_*` (valid/ready from the lookup stage; `in_ready` is combinational on
//! `out_ready`, which sustains one packet per cycle), `out_valid`/`out_ready` (24-bit vectors,
//! links then cores), `link_packet[l]` (the packet with the ER field of that link's copy),
//! `core_packet`, the dump registers, `events` (counter increments for dumps, emergency routes
//! and overflows, in `spinn_arch::Counter` order) and `busy`. The dump header is laid out as
//! `spinn_arch::DumpHeader`, whose field positions the kernel takes as constants.

use super::WaitLimit;
use rust_hdl::prelude::*;
use spinn_arch::{Counter, DumpHeader};

// `in_source` and the cast that places it in the dump header are 5 bits wide.
const _: () = assert!(
    DumpHeader::SOURCE_BITS == 5,
    "the input port field is 5 bits"
);

#[derive(LogicBlock)]
pub struct OutputStage {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    // From the lookup stage
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_packet: Signal<In, Bits<72>>,
    pub in_source: Signal<In, Bits<5>>,
    pub in_route: Signal<In, Bits<24>>,
    pub in_er_last: Signal<In, Bits<6>>,
    // Control register fields
    pub wait1: Signal<In, Bits<8>>,
    pub wait2: Signal<In, Bits<8>>,
    // The same fields as they will be next cycle (after this edge's configuration write).
    pub wait1_next: Signal<In, Bits<8>>,
    pub wait2_next: Signal<In, Bits<8>>,
    // Outputs
    pub out_valid: Signal<Out, Bits<24>>,
    pub out_ready: Signal<In, Bits<24>>,
    pub link_packet: [Signal<Out, Bits<72>>; 6],
    pub core_packet: Signal<Out, Bits<72>>,
    // Dump registers
    pub dump_clear: Signal<In, Bit>,
    pub dump_header: Signal<Out, Bits<16>>,
    pub dump_key: Signal<Out, Bits<32>>,
    pub dump_payload: Signal<Out, Bits<32>>,
    pub dump_outputs: Signal<Out, Bits<24>>,
    pub dump_status: Signal<Out, Bits<32>>,
    // Status
    pub events: Signal<Out, Bits<12>>,
    pub busy: Signal<Out, Bit>,
    held: DFF<Bit>,
    packet: DFF<Bits<72>>,
    source: DFF<Bits<5>>,
    pending: DFF<Bits<24>>,
    er_first: DFF<Bits<6>>,
    er_last: DFF<Bits<6>>,
    in_wait2: DFF<Bit>,
    wait_count: DFF<Bits<20>>,
    // The wait1 and wait2 limits in cycles (`WaitLimit`), registered from the settings' next
    // values so that they always equal the limits of `wait1` and `wait2`, with the shifter off
    // the path from `out_ready` to `in_ready`. Settings 0 (the power-up value) give limit 0,
    // the registers' power-up value.
    limit1: DFF<Bits<20>>,
    limit2: DFF<Bits<20>>,
    dumped_header: DFF<Bits<16>>,
    dumped_key: DFF<Bits<32>>,
    dumped_payload: DFF<Bits<32>>,
    dumped_outputs: DFF<Bits<24>>,
    status: DFF<Bits<32>>,
    rotate_clockwise: Constant<Bit>,
    never: Constant<Bits<8>>,
    core_outputs: Constant<Bits<24>>,
    mark_first_hop: Constant<Bits<72>>,
    mark_last_hop: Constant<Bits<72>>,
    dumped_flag: Constant<Bits<32>>,
    last_leg_flag: Constant<Bits<16>>,
    source_shift: Constant<Bits<16>>,
    overflow_flag: Constant<Bits<32>>,
    // Width-exact zeros and one: rust-hdl emits an integer literal 32 bits wide whatever it is
    // assigned to, which Verilator reports as a WIDTH warning; a constant keeps its own width.
    no_outputs: Constant<Bits<24>>,
    no_links: Constant<Bits<6>>,
    no_events: Constant<Bits<12>>,
    wait_start: Constant<Bits<20>>,
    wait_step: Constant<Bits<20>>,
    // One-hot counter increments (bit `Counter::index`): `replace_bit` would emit a 1-bit value
    // shifted in a 12-bit context (correct, but a Verilator WIDTH warning).
    count_dumped_mc: Constant<Bits<12>>,
    count_dumped_other: Constant<Bits<12>>,
    count_emergency_routed: Constant<Bits<12>>,
    count_dump_overflow: Constant<Bits<12>>,
    wait_setting: Signal<Local, Bits<8>>,
    infinite: Signal<Local, Bit>,
    next_limit1: WaitLimit,
    next_limit2: WaitLimit,
    phase_limit: Signal<Local, Bits<20>>,
    remaining: Signal<Local, Bits<24>>,
    remaining_links: Signal<Local, Bits<6>>,
    rotated: Signal<Local, Bits<6>>,
    detoured: Signal<Local, Bits<6>>,
    undetoured: Signal<Local, Bits<6>>,
    undelivered: Signal<Local, Bits<24>>,
    blocked: Signal<Local, Bit>,
    expire: Signal<Local, Bit>,
    finishing: Signal<Local, Bit>,
    emergency_ok: Signal<Local, Bit>,
    status_base: Signal<Local, Bits<32>>,
    event_bits: Signal<Local, Bits<12>>,
}

impl OutputStage {
    pub fn new(rotate_clockwise: bool) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_packet: Default::default(),
            in_source: Default::default(),
            in_route: Default::default(),
            in_er_last: Default::default(),
            wait1: Default::default(),
            wait2: Default::default(),
            wait1_next: Default::default(),
            wait2_next: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            link_packet: Default::default(),
            core_packet: Default::default(),
            dump_clear: Default::default(),
            dump_header: Default::default(),
            dump_key: Default::default(),
            dump_payload: Default::default(),
            dump_outputs: Default::default(),
            dump_status: Default::default(),
            events: Default::default(),
            busy: Default::default(),
            held: Default::default(),
            packet: Default::default(),
            source: Default::default(),
            pending: Default::default(),
            er_first: Default::default(),
            er_last: Default::default(),
            in_wait2: Default::default(),
            wait_count: Default::default(),
            limit1: Default::default(),
            limit2: Default::default(),
            dumped_header: Default::default(),
            dumped_key: Default::default(),
            dumped_payload: Default::default(),
            dumped_outputs: Default::default(),
            status: Default::default(),
            rotate_clockwise: Constant::new(rotate_clockwise),
            never: Constant::new(0xff.into()),
            core_outputs: Constant::new(0xff_ffc0.into()),
            // ER = 2: set header bit 5; one more set bit flips the parity bit.
            mark_first_hop: Constant::new(0x21.into()),
            // ER = 3: set header bits 5:4; two more set bits leave parity as it is.
            mark_last_hop: Constant::new(0x30.into()),
            dumped_flag: Constant::new(0x8000_0000.into()),
            last_leg_flag: Constant::new((DumpHeader::EMERGENCY_LAST as u64).into()),
            source_shift: Constant::new((DumpHeader::SOURCE_SHIFT as u64).into()),
            overflow_flag: Constant::new(0x4000_0000.into()),
            no_outputs: Constant::new(0.into()),
            no_links: Constant::new(0.into()),
            no_events: Constant::new(0.into()),
            wait_start: Constant::new(0.into()),
            wait_step: Constant::new(1.into()),
            count_dumped_mc: Constant::new((1u64 << Counter::DumpedMc.index()).into()),
            count_dumped_other: Constant::new((1u64 << Counter::DumpedOther.index()).into()),
            count_emergency_routed: Constant::new(
                (1u64 << Counter::EmergencyRouted.index()).into(),
            ),
            count_dump_overflow: Constant::new((1u64 << Counter::DumpOverflow.index()).into()),
            wait_setting: Default::default(),
            infinite: Default::default(),
            next_limit1: Default::default(),
            next_limit2: Default::default(),
            phase_limit: Default::default(),
            remaining: Default::default(),
            remaining_links: Default::default(),
            rotated: Default::default(),
            detoured: Default::default(),
            undetoured: Default::default(),
            undelivered: Default::default(),
            blocked: Default::default(),
            expire: Default::default(),
            finishing: Default::default(),
            emergency_ok: Default::default(),
            status_base: Default::default(),
            event_bits: Default::default(),
        }
    }
}

impl Logic for OutputStage {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            held,
            packet,
            source,
            pending,
            er_first,
            er_last,
            in_wait2,
            wait_count,
            limit1,
            limit2,
            dumped_header,
            dumped_key,
            dumped_payload,
            dumped_outputs,
            status
        );
        // The current phase's setting: 0xFF never expires.
        self.wait_setting.next = self.wait1.val();
        if self.in_wait2.q.val() {
            self.wait_setting.next = self.wait2.val();
        }
        self.infinite.next = self.wait_setting.val() == self.never.val();
        self.phase_limit.next = self.limit1.q.val();
        if self.in_wait2.q.val() {
            self.phase_limit.next = self.limit2.q.val();
        }
        // Next cycle's limits.
        self.next_limit1.setting.next = self.wait1_next.val();
        self.next_limit2.setting.next = self.wait2_next.val();
        self.limit1.d.next = self.next_limit1.limit.val();
        self.limit2.d.next = self.next_limit2.limit.val();
        // This cycle's handshakes.
        self.remaining.next = self.pending.q.val() & !self.out_ready.val();
        self.blocked.next = self.held.q.val() & self.remaining.val().any();
        self.expire.next = self.blocked.val()
            & !self.infinite.val()
            & (self.wait_count.q.val() >= self.phase_limit.val());
        self.finishing.next = self.held.q.val()
            & (!self.remaining.val().any() | (self.expire.val() & self.in_wait2.q.val()));
        self.in_ready.next = !self.held.q.val() | self.finishing.val();
        self.out_valid.next = self.no_outputs.val();
        if self.held.q.val() {
            self.out_valid.next = self.pending.q.val();
        }
        for l in 0..6 {
            self.link_packet[l].next = self.packet.q.val();
            if self.er_first.q.val().get_bit(l) {
                self.link_packet[l].next = self.packet.q.val() ^ self.mark_first_hop.val();
            }
            if self.er_last.q.val().get_bit(l) {
                self.link_packet[l].next = self.packet.q.val() ^ self.mark_last_hop.val();
            }
        }
        self.core_packet.next = self.packet.q.val();
        // Emergency redirection of the pending links.
        self.remaining_links.next = self.remaining.val().get_bits::<6>(0);
        if self.rotate_clockwise.val() {
            self.rotated.next =
                (self.remaining_links.val() >> 1) | (self.remaining_links.val() << 5);
        } else {
            self.rotated.next =
                (self.remaining_links.val() << 1) | (self.remaining_links.val() >> 5);
        }
        // The undelivered outputs in normal-route terms: detours rotated back.
        self.detoured.next = self.remaining_links.val() & self.er_first.q.val();
        if self.rotate_clockwise.val() {
            self.undetoured.next = (self.detoured.val() << 1) | (self.detoured.val() >> 5);
        } else {
            self.undetoured.next = (self.detoured.val() >> 1) | (self.detoured.val() << 5);
        }
        self.undelivered.next = (self.remaining.val() & !bit_cast::<24, 6>(self.detoured.val()))
            | bit_cast::<24, 6>(self.undetoured.val());
        self.emergency_ok.next = (self.packet.q.val().get_bit(7) == self.packet.q.val().get_bit(6))
            & !self.er_first.q.val().any()
            & !self.er_last.q.val().any()
            & self.remaining_links.val().any();
        // Next state.
        self.event_bits.next = self.no_events.val();
        self.status_base.next = self.status.q.val();
        if self.dump_clear.val() {
            self.status_base.next = 0.into();
        }
        self.status.d.next = self.status_base.val();
        if self.blocked.val() {
            self.pending.d.next = self.remaining.val();
            self.wait_count.d.next = self.wait_count.q.val() + self.wait_step.val();
            if self.expire.val() {
                self.wait_count.d.next = self.wait_start.val();
                if self.in_wait2.q.val() {
                    self.held.d.next = false;
                    if self.status_base.val().get_bit(31) {
                        self.status.d.next = self.status_base.val()
                            | self.overflow_flag.val()
                            | bit_cast::<32, 24>(self.undelivered.val());
                        self.event_bits.next =
                            self.event_bits.val() | self.count_dump_overflow.val();
                    } else {
                        self.dumped_header.d.next =
                            bit_cast::<16, 8>(self.packet.q.val().get_bits::<8>(0))
                                | (bit_cast::<16, 5>(self.source.q.val())
                                    << self.source_shift.val());
                        if self.er_last.q.val().any() {
                            self.dumped_header.d.next =
                                bit_cast::<16, 8>(self.packet.q.val().get_bits::<8>(0))
                                    | (bit_cast::<16, 5>(self.source.q.val())
                                        << self.source_shift.val())
                                    | self.last_leg_flag.val();
                        }
                        self.dumped_key.d.next = self.packet.q.val().get_bits::<32>(8);
                        self.dumped_payload.d.next = self.packet.q.val().get_bits::<32>(40);
                        self.dumped_outputs.d.next = self.undelivered.val();
                        self.status.d.next = self.status_base.val()
                            | self.dumped_flag.val()
                            | bit_cast::<32, 24>(self.undelivered.val());
                    }
                    if self.packet.q.val().get_bit(7) | self.packet.q.val().get_bit(6) {
                        self.event_bits.next =
                            self.event_bits.val() | self.count_dumped_other.val();
                    } else {
                        self.event_bits.next = self.event_bits.val() | self.count_dumped_mc.val();
                    }
                } else {
                    self.in_wait2.d.next = true;
                    if self.emergency_ok.val() {
                        self.pending.d.next = (self.remaining.val() & self.core_outputs.val())
                            | bit_cast::<24, 6>(self.rotated.val());
                        self.er_first.d.next = self.rotated.val();
                        self.event_bits.next =
                            self.event_bits.val() | self.count_emergency_routed.val();
                    }
                }
            }
        } else if self.held.q.val() {
            self.held.d.next = false;
        }
        if self.in_valid.val() & self.in_ready.val() {
            self.held.d.next = true;
            self.packet.d.next = self.in_packet.val();
            self.source.d.next = self.in_source.val();
            self.pending.d.next = self.in_route.val();
            self.er_first.d.next = self.no_links.val();
            self.er_last.d.next = self.in_er_last.val();
            self.in_wait2.d.next = false;
            self.wait_count.d.next = self.wait_start.val();
        }
        if self.reset.val() {
            self.held.d.next = false;
            self.pending.d.next = self.no_outputs.val();
            self.in_wait2.d.next = false;
            self.wait_count.d.next = self.wait_start.val();
            self.status.d.next = 0.into();
        }
        self.events.next = self.event_bits.val();
        self.busy.next = self.held.q.val();
        self.dump_header.next = self.dumped_header.q.val();
        self.dump_key.next = self.dumped_key.q.val();
        self.dump_payload.next = self.dumped_payload.q.val();
        self.dump_outputs.next = self.dumped_outputs.q.val();
        self.dump_status.next = self.status.q.val();
    }
}
