//! `P2pTable`: the point-to-point routing table, 3 bits per destination chip
//! (`spec/hardware.md` §4.1): 0–5 a link, 6 drop, 7 the monitor core.
//!
//! The chip id (x << 8 | y) indexes the table as `(x mod 2^C) << C | (y mod 2^C)` with
//! `C = coord_bits`, so `ENTRIES = 4^C` covers a 2^C × 2^C machine (the chip has C = 8).
//!
//! Ports:
//! * write port `write_enable`, `write_index`, `write_code`: replaced at the clock edge; an
//!   index not below `ENTRIES` selects no entry, so the write is ignored (reads, by contrast,
//!   take every chip id modulo the table as above).
//! * `read_chip` (in) → `read_code` (out): combinational.
//!
//! Codes are stored XOR 6 so that the power-up value of the registers is 6 (drop), the value
//! SC&MP initialises the table to. Reset leaves the table alone.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct P2pTable<const ENTRIES: usize> {
    pub clock: Signal<In, Clock>,
    pub write_enable: Signal<In, Bit>,
    pub write_index: Signal<In, Bits<16>>,
    pub write_code: Signal<In, Bits<3>>,
    pub read_chip: Signal<In, Bits<16>>,
    pub read_code: Signal<Out, Bits<3>>,
    stored: [DFF<Bits<3>>; ENTRIES],
    drop_code: Constant<Bits<3>>,
    coord_mask: Constant<Bits<16>>,
    coord_bits: Constant<Bits<16>>,
    read_index: Signal<Local, Bits<16>>,
    // The OR of the stored codes of the entries read (exactly one): a balanced tree, where a
    // compare-and-mux per entry was a chain as long as the table.
    read_stored: Signal<Local, Bits<3>>,
    no_code: Constant<Bits<3>>,
}

impl<const ENTRIES: usize> Default for P2pTable<ENTRIES> {
    fn default() -> Self {
        let coord_bits = ENTRIES.trailing_zeros() / 2;
        assert_eq!(
            1usize << (2 * coord_bits),
            ENTRIES,
            "invariant: ENTRIES is a power of four"
        );
        Self {
            clock: Default::default(),
            write_enable: Default::default(),
            write_index: Default::default(),
            write_code: Default::default(),
            read_chip: Default::default(),
            read_code: Default::default(),
            stored: std::array::from_fn(|_| Default::default()),
            drop_code: Constant::new(6.into()),
            coord_mask: Constant::new(((1u64 << coord_bits) - 1).into()),
            coord_bits: Constant::new((coord_bits as u64).into()),
            read_index: Default::default(),
            read_stored: Default::default(),
            no_code: Constant::new(0.into()),
        }
    }
}

impl<const ENTRIES: usize> Logic for P2pTable<ENTRIES> {
    #[hdl_gen]
    fn update(&mut self) {
        self.read_index.next = (((self.read_chip.val() >> 8) & self.coord_mask.val())
            << self.coord_bits.val())
            | (self.read_chip.val() & self.coord_mask.val());
        self.read_stored.next = self.no_code.val();
        for e in 0..ENTRIES {
            self.stored[e].clock.next = self.clock.val();
            self.stored[e].d.next = self.stored[e].q.val();
            if self.write_enable.val() & (self.write_index.val().index() == e) {
                self.stored[e].d.next = self.write_code.val() ^ self.drop_code.val();
            }
            if self.read_index.val().index() == e {
                self.read_stored.next = self.read_stored.val() | self.stored[e].q.val();
            }
        }
        self.read_code.next = self.read_stored.val() ^ self.drop_code.val();
    }
}
