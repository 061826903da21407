//! `Link`: one direction of a chip-to-chip link (`spec/hardware.md` §1.4, §8), the hardware the
//! fast model's `spinn_model::Link` mirrors.
//!
//! Ports: `in_*` from the sending router's link output, `out_*` to the receiving router's link
//! input (valid/ready both). `in_ready` is a register (the transmitter is free), so no
//! combinational path crosses from one chip to the next.
//!
//! Timing: a packet taken at the end of cycle `c` is offered in cycle `c + T`, where `T` is the
//! transit time for its size (`short_transit` for 40-bit packets, `long_transit` for 72-bit:
//! serialisation plus latency, at least 2). The transmitter holds one packet; the receive
//! register holds one; a finished packet waits in the transmitter while the receive register is
//! full. Reset empties both. A link whose `enable` is low is dead: it takes nothing and offers
//! nothing, and its registers hold still.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Link {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub enable: Signal<In, Bit>,
    // From the sending router
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub in_packet: Signal<In, Bits<72>>,
    // To the receiving router
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    pub out_packet: Signal<Out, Bits<72>>,
    tx_valid: DFF<Bit>,
    tx_packet: DFF<Bits<72>>,
    tx_count: DFF<Bits<16>>,
    rx_valid: DFF<Bit>,
    rx_packet: DFF<Bits<72>>,
    short_count: Constant<Bits<16>>,
    long_count: Constant<Bits<16>>,
    // A width-exact one: rust-hdl emits the literal `1` 32 bits wide (a Verilator WIDTH warning).
    one_cycle: Constant<Bits<16>>,
}

impl Link {
    /// A link taking `short_transit` cycles for 40-bit packets and `long_transit` for 72-bit.
    pub fn new(short_transit: u32, long_transit: u32) -> Link {
        assert!(
            short_transit >= 2 && long_transit >= 2,
            "invariant: transit times are at least 2 cycles"
        );
        Link {
            clock: Default::default(),
            reset: Default::default(),
            enable: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_packet: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_packet: Default::default(),
            tx_valid: Default::default(),
            tx_packet: Default::default(),
            tx_count: Default::default(),
            rx_valid: Default::default(),
            rx_packet: Default::default(),
            short_count: Constant::new(((short_transit - 2) as u64).into()),
            long_count: Constant::new(((long_transit - 2) as u64).into()),
            one_cycle: Constant::new(1.into()),
        }
    }
}

impl Logic for Link {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, tx_valid, tx_packet, tx_count, rx_valid, rx_packet);
        self.in_ready.next = self.enable.val() & !self.tx_valid.q.val();
        self.out_valid.next = self.enable.val() & self.rx_valid.q.val();
        self.out_packet.next = self.rx_packet.q.val();
        if self.enable.val() & self.rx_valid.q.val() & self.out_ready.val() {
            self.rx_valid.d.next = false;
        }
        if self.enable.val() & self.tx_valid.q.val() {
            if self.tx_count.q.val().any() {
                self.tx_count.d.next = self.tx_count.q.val() - self.one_cycle.val();
            } else if !self.rx_valid.q.val() | self.out_ready.val() {
                self.rx_valid.d.next = true;
                self.rx_packet.d.next = self.tx_packet.q.val();
                self.tx_valid.d.next = false;
            }
        }
        if self.enable.val() & self.in_valid.val() & !self.tx_valid.q.val() {
            self.tx_valid.d.next = true;
            self.tx_packet.d.next = self.in_packet.val();
            self.tx_count.d.next = self.short_count.val();
            if self.in_packet.val().get_bit(1) {
                self.tx_count.d.next = self.long_count.val();
            }
        }
        if self.reset.val() {
            self.tx_valid.d.next = false;
            self.rx_valid.d.next = false;
        }
    }
}
