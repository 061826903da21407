//! `BankedTable`: a SpiNNaker-size multicast table in block RAM, searched in banks
//! (`spec/hardware.md` §2.2–2.3; the same decisions as [`RegisterTable`](super::RegisterTable)).
//!
//! Entry `i` lives in bank `i mod BANKS` at address `i / BANKS`. A lookup reads one address of
//! every bank per cycle, starting at address 0, so the entries compared in step `s` are
//! `s·BANKS … s·BANKS + BANKS − 1`: the first step with a match holds the lowest matching index,
//! and the scan stops there.
//!
//! Ports:
//! * write port as `RegisterTable` (one cycle per entry); a write whose index is not below
//!   `BANKS · 2^DEPTH_BITS` is ignored, as in every table build (the bank and address bits alone
//!   would wrap it onto entry `index mod size`).
//! * `lookup_valid`, `lookup_key` (in): a key to look up, held until its result is taken.
//! * `result_valid`, `hit`, `route` (out, registered); `result_taken` (in) frees the table.
//!
//! Latency: a hit at step `s` is valid `s + 2` cycles after `lookup_valid` rises; a miss takes
//! `2^DEPTH_BITS + 1` cycles. One lookup at a time. Keys are stored complemented so that the
//! RAMs' initial contents (all zero) are cleared entries. Reset abandons a scan in progress.

use rust_hdl::prelude::*;
use std::collections::BTreeMap;

/// A table word: key complement `[31:0]`, mask `[63:32]`, route `[87:64]`.
pub type TableWord = Bits<88>;

#[derive(LogicBlock)]
pub struct BankedTable<const BANKS: usize, const DEPTH_BITS: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    // Write port
    pub write_enable: Signal<In, Bit>,
    pub write_index: Signal<In, Bits<16>>,
    pub write_key: Signal<In, Bits<32>>,
    pub write_mask: Signal<In, Bits<32>>,
    pub write_route: Signal<In, Bits<24>>,
    // Lookup
    pub lookup_valid: Signal<In, Bit>,
    pub lookup_key: Signal<In, Bits<32>>,
    pub result_taken: Signal<In, Bit>,
    pub result_valid: Signal<Out, Bit>,
    pub hit: Signal<Out, Bit>,
    pub route: Signal<Out, Bits<24>>,
    bank: [RAM<TableWord, DEPTH_BITS>; BANKS],
    scanning: DFF<Bit>,
    done: DFF<Bit>,
    step: DFF<Bits<DEPTH_BITS>>,
    found: DFF<Bit>,
    found_route: DFF<Bits<24>>,
    bank_mask: Constant<Bits<16>>,
    bank_shift: Constant<Bits<4>>,
    last_step: Constant<Bits<DEPTH_BITS>>,
    index_limit: Constant<Bits<16>>,
    // Width-exact constants: rust-hdl emits an integer literal 32 bits wide (a Verilator WIDTH
    // warning).
    first_step: Constant<Bits<DEPTH_BITS>>,
    one_step: Constant<Bits<DEPTH_BITS>>,
    no_route: Constant<Bits<24>>,
    write_in_range: Signal<Local, Bit>,
    bank_select: Signal<Local, Bits<16>>,
    write_address: Signal<Local, Bits<DEPTH_BITS>>,
    write_key_complement: Signal<Local, Bits<32>>,
    write_word: Signal<Local, TableWord>,
    read_address: Signal<Local, Bits<DEPTH_BITS>>,
    scan_hit: Signal<Local, Bit>,
    scan_route: Signal<Local, Bits<24>>,
}

impl<const BANKS: usize, const DEPTH_BITS: usize> Default for BankedTable<BANKS, DEPTH_BITS> {
    fn default() -> Self {
        assert!(
            BANKS.is_power_of_two(),
            "invariant: the bank count is a power of two"
        );
        assert!(
            (BANKS << DEPTH_BITS) < 1 << 16,
            "invariant: the table size fits the 16-bit write index"
        );
        let cleared: BTreeMap<Bits<DEPTH_BITS>, TableWord> = (0..1u64 << DEPTH_BITS)
            .map(|a| (a.into(), TableWord::default()))
            .collect();
        Self {
            clock: Default::default(),
            reset: Default::default(),
            write_enable: Default::default(),
            write_index: Default::default(),
            write_key: Default::default(),
            write_mask: Default::default(),
            write_route: Default::default(),
            lookup_valid: Default::default(),
            lookup_key: Default::default(),
            result_taken: Default::default(),
            result_valid: Default::default(),
            hit: Default::default(),
            route: Default::default(),
            bank: std::array::from_fn(|_| RAM::new(cleared.clone())),
            scanning: Default::default(),
            done: Default::default(),
            step: Default::default(),
            found: Default::default(),
            found_route: Default::default(),
            bank_mask: Constant::new(((BANKS - 1) as u64).into()),
            bank_shift: Constant::new((BANKS.trailing_zeros() as u64).into()),
            last_step: Constant::new(Bits::<DEPTH_BITS>::mask()),
            index_limit: Constant::new(((BANKS << DEPTH_BITS) as u64).into()),
            first_step: Constant::new(0.into()),
            one_step: Constant::new(1.into()),
            no_route: Constant::new(0.into()),
            write_in_range: Default::default(),
            bank_select: Default::default(),
            write_address: Default::default(),
            write_key_complement: Default::default(),
            write_word: Default::default(),
            read_address: Default::default(),
            scan_hit: Default::default(),
            scan_route: Default::default(),
        }
    }
}

impl<const BANKS: usize, const DEPTH_BITS: usize> Logic for BankedTable<BANKS, DEPTH_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, scanning, done, step, found, found_route);
        self.write_in_range.next = self.write_index.val() < self.index_limit.val();
        self.bank_select.next = self.write_index.val() & self.bank_mask.val();
        self.write_address.next = self
            .write_index
            .val()
            .get_bits::<DEPTH_BITS>(self.bank_shift.val().index());
        // Invert at 32 bits first: inside a widening cast Verilog would size `~key` at 88 bits
        // and set the upper bits (rust-hdl emits the cast as an AND with a wider mask).
        self.write_key_complement.next = !self.write_key.val();
        self.write_word.next = bit_cast::<88, 32>(self.write_key_complement.val())
            | (bit_cast::<88, 32>(self.write_mask.val()) << 32)
            | (bit_cast::<88, 24>(self.write_route.val()) << 64);
        self.read_address.next = self.first_step.val();
        if self.scanning.q.val() {
            self.read_address.next = self.step.q.val() + self.one_step.val();
        }
        self.scan_hit.next = false;
        self.scan_route.next = self.no_route.val();
        for b in 0..BANKS {
            self.bank[b].read_clock.next = self.clock.val();
            self.bank[b].write_clock.next = self.clock.val();
            self.bank[b].read_address.next = self.read_address.val();
            self.bank[b].write_address.next = self.write_address.val();
            self.bank[b].write_data.next = self.write_word.val();
            self.bank[b].write_enable.next = self.write_enable.val()
                & self.write_in_range.val()
                & (self.bank_select.val().index() == b);
            if !self.scan_hit.val()
                & ((self.lookup_key.val() & self.bank[b].read_data.val().get_bits::<32>(32))
                    == !self.bank[b].read_data.val().get_bits::<32>(0))
            {
                self.scan_hit.next = true;
                self.scan_route.next = self.bank[b].read_data.val().get_bits::<24>(64);
            }
        }
        if self.scanning.q.val() {
            if self.scan_hit.val() {
                self.scanning.d.next = false;
                self.done.d.next = true;
                self.found.d.next = true;
                self.found_route.d.next = self.scan_route.val();
            } else if self.step.q.val() == self.last_step.val() {
                self.scanning.d.next = false;
                self.done.d.next = true;
                self.found.d.next = false;
                self.found_route.d.next = self.no_route.val();
            } else {
                self.step.d.next = self.step.q.val() + self.one_step.val();
            }
        } else if self.done.q.val() {
            if self.result_taken.val() {
                self.done.d.next = false;
            }
        } else if self.lookup_valid.val() {
            self.scanning.d.next = true;
            self.step.d.next = self.first_step.val();
        }
        if self.reset.val() {
            self.scanning.d.next = false;
            self.done.d.next = false;
        }
        self.result_valid.next = self.done.q.val();
        self.hit.next = self.found.q.val();
        self.route.next = self.found_route.q.val();
    }
}
