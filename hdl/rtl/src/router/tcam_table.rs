//! `TcamTable`: a SpiNNaker-size multicast table that matches every entry every cycle, built
//! from block RAM as a RAM-based TCAM (`spec/hardware.md` §2.2–2.3; the same decisions as
//! [`RegisterTable`](super::RegisterTable): `(key & mask) == entry_key`, lowest index wins, a
//! cleared entry never matches).
//!
//! Construction: the 32-bit key is cut into four 8-bit chunks. For chunk `c` and every entry
//! there is one bit per chunk value `v` (0–255): set when the entry accepts `v` in that chunk,
//! `(v & mask[8c+7:8c]) == key[8c+7:8c]`. An entry matches a key exactly when it accepts all
//! four of the key's chunk values, so a lookup reads four match vectors (one bit per entry),
//! ANDs them and priority-encodes the lowest set bit. The vectors are stored in banks of 64
//! entries ([`TcamBank`](super::TcamBank)): bank `b` holds entries `64b … 64b + 63` in four RAMs
//! of 256 words × 64 bits, word `v` of RAM `c` bit `j` being entry `64b + j`'s answer for chunk
//! value `v`. Routes live in a route RAM of `2^INDEX_BITS` × 24 bits read with the winning index.
//!
//! Why 8-bit chunks: a chunk RAM is `2^w` words deep, and an ECP5 DP16KD is 512 × 36 at its
//! widest (an iCE40 RAM 256 × 16). With w = 8 a 256 × 64 chunk bank is two DP16KD, so 1024
//! entries take 4 × 16 × 2 = 128 blocks of the ECP5-85's 208. With w = 4 the 16-word RAMs would
//! use 1/32 of a block each (Yosys maps them to LUT RAM instead) and with w = 9 the blocks are
//! full but a write sweeps 512 words; w = 8 is the width at which the chunk RAMs are block RAM
//! of reasonable fill and a write costs 256 cycles.
//!
//! Ports:
//! * `write_enable`, `write_index`, `write_key`, `write_mask`, `write_route` (in),
//!   `write_ready` (out): a write is taken in a cycle with `write_enable` and `write_ready`
//!   high. A write whose index is not below `64 · BANKS` is ignored and costs nothing. An
//!   in-range write sweeps the 256 words of every chunk RAM of the entry's bank
//!   (read-modify-write through the RAMs' one read port, all four chunks in parallel), then
//!   writes the route: `write_ready` and `lookup_ready` are low for the 257 cycles after the
//!   write is taken, so a write costs 258 cycles.
//! * `lookup_valid`, `lookup_key` (in), `lookup_ready` (out): a key is taken in a cycle with
//!   `lookup_valid` and `lookup_ready` high, one per cycle while no write sweeps.
//! * `result_valid`, `hit`, `index`, `route` (out): 6 cycles after a key is taken,
//!   `result_valid` is high for one cycle with the lowest matching entry's index and route
//!   (`hit` low, index and route zero, on a miss; all three are zero in a cycle without a
//!   result). There is no back-pressure: the pipeline always advances.
//!
//! Writes and lookups: a lookup taken in the same cycle as a write, or before it, sees the
//! table without the write (its vectors are read before the sweep's first rewrite and its route
//! before the route is written); every lookup taken after sees it with the write. No lookup is
//! taken while the sweep runs, so no lookup sees a half-written entry.
//!
//! Pipeline, for a key taken in cycle 0 (each arrow a register):
//! 1. cycle 0 → 1: the chunk RAMs read the key's four chunk values;
//! 2. 1 → 2: per bank, the AND of the four 64-bit vectors;
//! 3. 2 → 3: per group of 8 entries, any match and the lowest offset;
//! 4. 3 → 4: per bank, the lowest group with a match (hit, 6-bit index);
//! 5. 4 → 5: over the banks, the lowest bank with a hit (hit, index);
//! 6. 5 → 6: the route RAM reads the winning index.
//!
//! Reset clears the lookups in flight (no `result_valid` from a key taken before it); it leaves
//! the table, and a sweep in progress, alone, as the chip does: software clears entries by
//! writing them. The RAMs power up all zero, which is the cleared table.

use super::tcam_bank::{TcamBank, BANK_ENTRIES};
use rust_hdl::prelude::*;
use std::collections::BTreeMap;

/// Cycles from a key being taken to its result (`result_valid`).
pub const TCAM_LOOKUP_LATENCY: usize = 6;
/// Cycles an in-range write occupies the table: from being taken to the next write or lookup.
pub const TCAM_WRITE_CYCLES: usize = 258;
/// Words per chunk RAM, the sweep's length.
const SWEEP_WORDS: u64 = 256;

#[derive(LogicBlock)]
pub struct TcamTable<const BANKS: usize, const INDEX_BITS: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    // Write port
    pub write_enable: Signal<In, Bit>,
    pub write_index: Signal<In, Bits<16>>,
    pub write_key: Signal<In, Bits<32>>,
    pub write_mask: Signal<In, Bits<32>>,
    pub write_route: Signal<In, Bits<24>>,
    pub write_ready: Signal<Out, Bit>,
    // Lookup
    pub lookup_valid: Signal<In, Bit>,
    pub lookup_key: Signal<In, Bits<32>>,
    pub lookup_ready: Signal<Out, Bit>,
    pub result_valid: Signal<Out, Bit>,
    pub hit: Signal<Out, Bit>,
    pub index: Signal<Out, Bits<16>>,
    pub route: Signal<Out, Bits<24>>,
    bank: [TcamBank; BANKS],
    route_ram: RAM<Bits<24>, INDEX_BITS>,
    // The write being swept.
    sweeping: DFF<Bit>,
    sweep_address: DFF<Bits<8>>,
    rewriting: DFF<Bit>,
    rewrite_address: DFF<Bits<8>>,
    entry_index: DFF<Bits<16>>,
    entry_key: DFF<Bits<32>>,
    entry_mask: DFF<Bits<32>>,
    entry_route: DFF<Bits<24>>,
    // The lookup pipeline.
    stage_valid: [DFF<Bit>; 6],
    table_hit: DFF<Bit>,
    table_index: DFF<Bits<16>>,
    result_hit: DFF<Bit>,
    result_index: DFF<Bits<16>>,
    index_limit: Constant<Bits<16>>,
    last_word: Constant<Bits<8>>,
    one_word: Constant<Bits<8>>,
    first_word: Constant<Bits<8>>,
    bank_base: [Constant<Bits<16>>; BANKS],
    bank_field: Constant<Bits<16>>,
    chunk_base: [Constant<Bits<5>>; 4],
    chunk_bit: [Constant<Bits<4>>; 4],
    one_entry: Constant<Bits<64>>,
    no_chunks: Constant<Bits<4>>,
    no_index: Constant<Bits<16>>,
    no_route: Constant<Bits<24>>,
    busy: Signal<Local, Bit>,
    write_taken: Signal<Local, Bit>,
    write_accept: Signal<Local, Bits<4>>,
    write_select: Signal<Local, Bits<64>>,
    found: Signal<Local, Bit>,
    first: Signal<Local, Bits<16>>,
}

impl<const BANKS: usize, const INDEX_BITS: usize> TcamTable<BANKS, INDEX_BITS> {
    /// Entries the table holds.
    pub const ENTRIES: usize = BANKS * BANK_ENTRIES;
}

impl<const BANKS: usize, const INDEX_BITS: usize> Default for TcamTable<BANKS, INDEX_BITS> {
    fn default() -> Self {
        assert!(
            BANKS * BANK_ENTRIES == 1 << INDEX_BITS,
            "invariant: 64 · BANKS entries are 2^INDEX_BITS"
        );
        assert!(
            INDEX_BITS < 16,
            "invariant: the table size fits the 16-bit write index"
        );
        let cleared: BTreeMap<Bits<INDEX_BITS>, Bits<24>> = (0..1u64 << INDEX_BITS)
            .map(|a| (a.into(), Bits::default()))
            .collect();
        Self {
            clock: Default::default(),
            reset: Default::default(),
            write_enable: Default::default(),
            write_index: Default::default(),
            write_key: Default::default(),
            write_mask: Default::default(),
            write_route: Default::default(),
            write_ready: Default::default(),
            lookup_valid: Default::default(),
            lookup_key: Default::default(),
            lookup_ready: Default::default(),
            result_valid: Default::default(),
            hit: Default::default(),
            index: Default::default(),
            route: Default::default(),
            bank: std::array::from_fn(|_| Default::default()),
            route_ram: RAM::new(cleared),
            sweeping: Default::default(),
            sweep_address: Default::default(),
            rewriting: Default::default(),
            rewrite_address: Default::default(),
            entry_index: Default::default(),
            entry_key: Default::default(),
            entry_mask: Default::default(),
            entry_route: Default::default(),
            stage_valid: Default::default(),
            table_hit: Default::default(),
            table_index: Default::default(),
            result_hit: Default::default(),
            result_index: Default::default(),
            index_limit: Constant::new(((BANKS * BANK_ENTRIES) as u64).into()),
            last_word: Constant::new((SWEEP_WORDS - 1).into()),
            one_word: Constant::new(1.into()),
            first_word: Constant::new(0.into()),
            bank_base: std::array::from_fn(|b| Constant::new(((b * BANK_ENTRIES) as u64).into())),
            bank_field: Constant::new((0xffff & !(BANK_ENTRIES as u64 - 1)).into()),
            chunk_base: std::array::from_fn(|c| Constant::new(((c * 8) as u64).into())),
            chunk_bit: std::array::from_fn(|c| Constant::new((1u64 << c).into())),
            one_entry: Constant::new(1.into()),
            no_chunks: Constant::new(0.into()),
            no_index: Constant::new(0.into()),
            no_route: Constant::new(0.into()),
            busy: Default::default(),
            write_taken: Default::default(),
            write_accept: Default::default(),
            write_select: Default::default(),
            found: Default::default(),
            first: Default::default(),
        }
    }
}

impl<const BANKS: usize, const INDEX_BITS: usize> Logic for TcamTable<BANKS, INDEX_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            sweeping,
            sweep_address,
            rewriting,
            rewrite_address,
            entry_index,
            entry_key,
            entry_mask,
            entry_route,
            table_hit,
            table_index,
            result_hit,
            result_index
        );
        // The sweep: word `sweep_address` is read in one cycle and rewritten (as
        // `rewrite_address`) in the next, so the table is busy until the last rewrite is done.
        self.busy.next = self.sweeping.q.val() | self.rewriting.q.val();
        self.write_ready.next = !self.busy.val();
        self.lookup_ready.next = !self.busy.val();
        self.write_taken.next = self.write_enable.val()
            & !self.busy.val()
            & (self.write_index.val() < self.index_limit.val());
        if self.write_taken.val() {
            self.sweeping.d.next = true;
            self.sweep_address.d.next = self.first_word.val();
            self.entry_index.d.next = self.write_index.val();
            self.entry_key.d.next = self.write_key.val();
            self.entry_mask.d.next = self.write_mask.val();
            self.entry_route.d.next = self.write_route.val();
        }
        if self.sweeping.q.val() {
            self.sweep_address.d.next = self.sweep_address.q.val() + self.one_word.val();
            if self.sweep_address.q.val() == self.last_word.val() {
                self.sweeping.d.next = false;
            }
        }
        self.rewriting.d.next = self.sweeping.q.val();
        self.rewrite_address.d.next = self.sweep_address.q.val();
        // Which chunks accept the value being rewritten, and the entry's bit in its bank.
        self.write_accept.next = self.no_chunks.val();
        for c in 0..4 {
            if (self.rewrite_address.q.val()
                & self
                    .entry_mask
                    .q
                    .val()
                    .get_bits::<8>(self.chunk_base[c].val().index()))
                == self
                    .entry_key
                    .q
                    .val()
                    .get_bits::<8>(self.chunk_base[c].val().index())
            {
                self.write_accept.next = self.write_accept.val() | self.chunk_bit[c].val();
            }
        }
        self.write_select.next = self.one_entry.val() << self.entry_index.q.val().get_bits::<6>(0);
        for b in 0..BANKS {
            self.bank[b].clock.next = self.clock.val();
            self.bank[b].lookup_key.next = self.lookup_key.val();
            self.bank[b].sweeping.next = self.sweeping.q.val();
            self.bank[b].sweep_address.next = self.sweep_address.q.val();
            self.bank[b].write_address.next = self.rewrite_address.q.val();
            self.bank[b].write_select.next = self.write_select.val();
            self.bank[b].write_accept.next = self.write_accept.val();
            self.bank[b].write_enable.next = self.rewriting.q.val()
                & ((self.entry_index.q.val() & self.bank_field.val()) == self.bank_base[b].val());
        }
        // The route is written with the last rewrite, after every lookup taken before the
        // write has read its route.
        self.route_ram.read_clock.next = self.clock.val();
        self.route_ram.write_clock.next = self.clock.val();
        self.route_ram.write_enable.next = self.rewriting.q.val() & !self.sweeping.q.val();
        self.route_ram.write_address.next = self.entry_index.q.val().get_bits::<INDEX_BITS>(0);
        self.route_ram.write_data.next = self.entry_route.q.val();
        // The lookup pipeline: the banks encode their 64 entries (4 cycles); the lowest bank
        // with a hit wins.
        for s in 0..6 {
            self.stage_valid[s].clock.next = self.clock.val();
        }
        self.stage_valid[0].d.next = self.lookup_valid.val() & !self.busy.val();
        for s in 1..6 {
            self.stage_valid[s].d.next = self.stage_valid[s - 1].q.val();
        }
        if self.reset.val() {
            for s in 0..6 {
                self.stage_valid[s].d.next = false;
            }
        }
        self.found.next = false;
        self.first.next = self.no_index.val();
        for b in 0..BANKS {
            if !self.found.val() & self.bank[b].hit.val() {
                self.found.next = true;
                self.first.next = self.bank_base[b].val() | self.bank[b].index.val();
            }
        }
        self.table_hit.d.next = self.found.val();
        self.table_index.d.next = self.first.val();
        self.route_ram.read_address.next = self.table_index.q.val().get_bits::<INDEX_BITS>(0);
        self.result_hit.d.next = self.table_hit.q.val();
        self.result_index.d.next = self.table_index.q.val();
        // Outside a result the outputs are zero, so that they carry no stale answer.
        self.result_valid.next = self.stage_valid[5].q.val();
        self.hit.next = false;
        self.index.next = self.no_index.val();
        self.route.next = self.no_route.val();
        if self.stage_valid[5].q.val() & self.result_hit.q.val() {
            self.hit.next = true;
            self.index.next = self.result_index.q.val();
            self.route.next = self.route_ram.read_data.val();
        }
    }
}
