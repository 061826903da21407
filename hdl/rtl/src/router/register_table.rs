//! `RegisterTable`: the multicast routing table as a register array matched in parallel
//! (`spec/hardware.md` §2.2–2.3). Fits an iCE40 up to a few dozen entries.
//!
//! Ports:
//! * write port `write_enable`, `write_index`, `write_key`, `write_mask`, `write_route`:
//!   the entry is replaced at the clock edge; an index not below `ENTRIES` selects no entry,
//!   so the write is ignored.
//! * lookup: `lookup_key` (in) → `hit`, `route` (out), combinational; lowest matching index
//!   wins, `(key & mask) == entry_key`. Every entry is compared at once, an entry wins when no
//!   entry below it matches (a reduction per entry) and the winner's route is selected by
//!   AND-OR, so the lookup is a few logic levels deep (a found-flag chain was one mux level per
//!   entry, on the router's critical path). The handshake is the one of `BankedTable`, so both
//!   tables plug into the same router top: `result_valid` follows `lookup_valid` in the same
//!   cycle (and is low during `reset`), and `result_taken` is not needed (see the lint
//!   allow-list in `verilog.rs`).
//!
//! Keys are stored complemented so that the power-up value of every register (zero) is the
//! cleared entry, key 0xFFFF_FFFF with mask 0, which never matches. Reset leaves the table alone,
//! as it does in the chip: software clears entries by writing them.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct RegisterTable<const ENTRIES: usize> {
    pub clock: Signal<In, Clock>,
    // Write port
    pub write_enable: Signal<In, Bit>,
    pub write_index: Signal<In, Bits<16>>,
    pub write_key: Signal<In, Bits<32>>,
    pub write_mask: Signal<In, Bits<32>>,
    pub write_route: Signal<In, Bits<24>>,
    // Lookup
    pub reset: Signal<In, Bit>,
    pub lookup_valid: Signal<In, Bit>,
    pub lookup_key: Signal<In, Bits<32>>,
    pub result_taken: Signal<In, Bit>,
    pub result_valid: Signal<Out, Bit>,
    pub hit: Signal<Out, Bit>,
    pub route: Signal<Out, Bits<24>>,
    key_complement: [DFF<Bits<32>>; ENTRIES],
    mask: [DFF<Bits<32>>; ENTRIES],
    entry_route: [DFF<Bits<24>>; ENTRIES],
    // Entry `e`'s bit is `first_entry << entry_number[e]`; `matched << shift_below[e]` keeps
    // the bits of the entries below `e`. A reduction of those per entry keeps the priority a
    // balanced tree (a prefix chain, each link used by its own entry, stays as deep as the table
    // is long). Shift amounts, not ENTRIES-wide masks: a wide constant per entry made the
    // 128-entry router too large for a test thread's stack.
    first_entry: Constant<Bits<ENTRIES>>,
    entry_number: [Constant<Bits<8>>; ENTRIES],
    shift_below: [Constant<Bits<8>>; ENTRIES],
    no_entries: Constant<Bits<ENTRIES>>,
    // Bit `e`: entry `e` matches the key.
    matched: Signal<Local, Bits<ENTRIES>>,
    found_route: Signal<Local, Bits<24>>,
    // A width-exact zero: rust-hdl emits the literal `0` 32 bits wide (a Verilator WIDTH warning).
    no_route: Constant<Bits<24>>,
}

impl<const ENTRIES: usize> Default for RegisterTable<ENTRIES> {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            write_enable: Default::default(),
            write_index: Default::default(),
            write_key: Default::default(),
            write_mask: Default::default(),
            write_route: Default::default(),
            reset: Default::default(),
            lookup_valid: Default::default(),
            lookup_key: Default::default(),
            result_taken: Default::default(),
            result_valid: Default::default(),
            hit: Default::default(),
            route: Default::default(),
            key_complement: std::array::from_fn(|_| Default::default()),
            mask: std::array::from_fn(|_| Default::default()),
            entry_route: std::array::from_fn(|_| Default::default()),
            first_entry: Constant::new(1.into()),
            entry_number: std::array::from_fn(|e| Constant::new((e as u64).into())),
            shift_below: std::array::from_fn(|e| Constant::new(((ENTRIES - e) as u64).into())),
            no_entries: Constant::new(0.into()),
            matched: Default::default(),
            found_route: Default::default(),
            no_route: Constant::new(0.into()),
        }
    }
}

impl<const ENTRIES: usize> Logic for RegisterTable<ENTRIES> {
    #[hdl_gen]
    fn update(&mut self) {
        self.matched.next = self.no_entries.val();
        for e in 0..ENTRIES {
            self.key_complement[e].clock.next = self.clock.val();
            self.mask[e].clock.next = self.clock.val();
            self.entry_route[e].clock.next = self.clock.val();
            self.key_complement[e].d.next = self.key_complement[e].q.val();
            self.mask[e].d.next = self.mask[e].q.val();
            self.entry_route[e].d.next = self.entry_route[e].q.val();
            if self.write_enable.val() & (self.write_index.val().index() == e) {
                self.key_complement[e].d.next = !self.write_key.val();
                self.mask[e].d.next = self.write_mask.val();
                self.entry_route[e].d.next = self.write_route.val();
            }
            if (self.lookup_key.val() & self.mask[e].q.val()) == !self.key_complement[e].q.val() {
                self.matched.next =
                    self.matched.val() | (self.first_entry.val() << self.entry_number[e].val());
            }
        }
        // Lowest index wins: an entry's route is selected when it matches and no entry below
        // it does. The selections are exclusive, so the route is their OR.
        self.found_route.next = self.no_route.val();
        for e in 0..ENTRIES {
            if self.matched.val().get_bit(e)
                & !(self.matched.val() << self.shift_below[e].val()).any()
            {
                self.found_route.next = self.found_route.val() | self.entry_route[e].q.val();
            }
        }
        self.result_valid.next = self.lookup_valid.val() & !self.reset.val();
        self.hit.next = self.matched.val().any();
        self.route.next = self.found_route.val();
    }
}
