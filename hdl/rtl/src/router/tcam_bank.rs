//! `TcamBank`: 64 entries of the block-RAM ternary table [`TcamTable`](super::TcamTable), with
//! their four chunk RAMs, the AND of the chunk vectors and the first two levels of the priority
//! encoder.
//!
//! It is a block of its own because rust-hdl cannot export nested array indices
//! (`self.bank[b].ram[c]`, `spec/rust-hdl.md` §1.2): the table holds an array of banks, and each
//! bank an array of chunk RAMs.
//!
//! Chunk RAM `c` (256 words × 64 bits) is addressed by key bits `[8c+7:8c]`; bit `j` of word `v`
//! is set when entry `64·bank + j` accepts the chunk value `v`, i.e. `(v & mask_c) == key_c`.
//!
//! Ports:
//! * `lookup_key` (in): read the four chunk vectors at the key's chunk values (when `sweeping`
//!   is low). The RAMs register the read, so the vectors appear one cycle later.
//! * `sweeping`, `sweep_address` (in): while a write sweeps, every chunk RAM reads word
//!   `sweep_address` instead, so that it can be rewritten one cycle later.
//! * `write_enable`, `write_address`, `write_select`, `write_accept` (in): rewrite word
//!   `write_address` of every chunk RAM from the word read the cycle before, with the bits of
//!   `write_select` (one-hot: the entry's position in the bank) set in chunk `c` if bit `c` of
//!   `write_accept` is set, cleared otherwise; every other bit is kept (read-modify-write).
//! * `hit`, `index` (out, registered): whether any of the 64 entries matched the key read three
//!   cycles before, and the lowest matching position (16 bits wide, as the table's index, so that no stage needs a
//!   widening cast; the upper bits are zero and synthesis removes them).
//!
//! Pipeline: RAM read (cycle 0 → 1); AND of the four vectors, registered (1 → 2); per group of
//! eight entries, hit and lowest offset, registered (2 → 3); over the eight groups, hit and
//! index, registered (3 → 4).

use rust_hdl::prelude::*;
use std::collections::BTreeMap;

/// Entries per bank: the width of a chunk RAM word.
pub const BANK_ENTRIES: usize = 64;
/// Bits of the key each chunk RAM is addressed by.
pub const CHUNK_BITS: usize = 8;
/// Chunks of the 32-bit key.
pub const CHUNKS: usize = 4;
/// Entries a priority-encoder group covers.
const GROUP: usize = 8;

#[derive(LogicBlock)]
pub struct TcamBank {
    pub clock: Signal<In, Clock>,
    pub lookup_key: Signal<In, Bits<32>>,
    pub sweeping: Signal<In, Bit>,
    pub sweep_address: Signal<In, Bits<8>>,
    pub write_enable: Signal<In, Bit>,
    pub write_address: Signal<In, Bits<8>>,
    pub write_select: Signal<In, Bits<64>>,
    pub write_accept: Signal<In, Bits<4>>,
    pub hit: Signal<Out, Bit>,
    pub index: Signal<Out, Bits<16>>,
    chunk: [RAM<Bits<64>, 8>; CHUNKS],
    vector: DFF<Bits<64>>,
    group_hit: [DFF<Bit>; GROUP],
    group_offset: [DFF<Bits<16>>; GROUP],
    bank_hit: DFF<Bit>,
    bank_index: DFF<Bits<16>>,
    /// The key bit each chunk starts at (5 bits, the width of an index into the key: Verilator
    /// warns about a wider index).
    chunk_base: [Constant<Bits<5>>; CHUNKS],
    /// The entry position each group starts at, as an index and as a bit offset.
    group_base: [Constant<Bits<16>>; GROUP],
    group_shift: [Constant<Bits<6>>; GROUP],
    /// An entry's offset in its group, 16 bits wide (the index's width) so that it ORs into the bank index without a
    /// cast (rust-hdl loses the loop variable of a `bit_cast` inside a loop).
    offset: [Constant<Bits<16>>; GROUP],
    chunk_bit: [Constant<Bits<4>>; CHUNKS],
    no_entries: Constant<Bits<4>>,
    // Width-exact zeros: rust-hdl emits an integer literal 32 bits wide (a Verilator WIDTH
    // warning).
    no_bank_index: Constant<Bits<16>>,
    all_entries: Constant<Bits<64>>,
    read_address: [Signal<Local, Bits<8>>; CHUNKS],
    matched: Signal<Local, Bits<64>>,
    group_word: [Signal<Local, Bits<8>>; GROUP],
    group_found: [Signal<Local, Bit>; GROUP],
    group_first: [Signal<Local, Bits<16>>; GROUP],
    found: Signal<Local, Bit>,
    first: Signal<Local, Bits<16>>,
    keep: Signal<Local, Bits<64>>,
}

impl Default for TcamBank {
    fn default() -> Self {
        // Every word starts at zero: no entry accepts any chunk value, so the power-up table is
        // cleared (and Icarus sees defined contents rather than X).
        let cleared: BTreeMap<Bits<8>, Bits<64>> =
            (0..256u64).map(|v| (v.into(), Bits::default())).collect();
        Self {
            clock: Default::default(),
            lookup_key: Default::default(),
            sweeping: Default::default(),
            sweep_address: Default::default(),
            write_enable: Default::default(),
            write_address: Default::default(),
            write_select: Default::default(),
            write_accept: Default::default(),
            hit: Default::default(),
            index: Default::default(),
            chunk: std::array::from_fn(|_| RAM::new(cleared.clone())),
            vector: Default::default(),
            group_hit: Default::default(),
            group_offset: Default::default(),
            bank_hit: Default::default(),
            bank_index: Default::default(),
            chunk_base: std::array::from_fn(|c| Constant::new(((c * CHUNK_BITS) as u64).into())),
            group_base: std::array::from_fn(|g| Constant::new(((g * GROUP) as u64).into())),
            group_shift: std::array::from_fn(|g| Constant::new(((g * GROUP) as u64).into())),
            offset: std::array::from_fn(|k| Constant::new((k as u64).into())),
            chunk_bit: std::array::from_fn(|c| Constant::new((1u64 << c).into())),
            no_entries: Constant::new(0.into()),
            no_bank_index: Constant::new(0.into()),
            all_entries: Constant::new(Bits::<64>::mask()),
            read_address: Default::default(),
            matched: Default::default(),
            group_word: Default::default(),
            group_found: Default::default(),
            group_first: Default::default(),
            found: Default::default(),
            first: Default::default(),
            keep: Default::default(),
        }
    }
}

impl Logic for TcamBank {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, vector, bank_hit, bank_index);
        self.keep.next = !self.write_select.val();
        self.matched.next = self.all_entries.val();
        for c in 0..4 {
            self.chunk[c].read_clock.next = self.clock.val();
            self.chunk[c].write_clock.next = self.clock.val();
            self.read_address[c].next = self
                .lookup_key
                .val()
                .get_bits::<8>(self.chunk_base[c].val().index());
            if self.sweeping.val() {
                self.read_address[c].next = self.sweep_address.val();
            }
            self.chunk[c].read_address.next = self.read_address[c].val();
            self.chunk[c].write_address.next = self.write_address.val();
            self.chunk[c].write_enable.next = self.write_enable.val();
            // Read-modify-write: the word read last cycle (the sweep read it) with the entry's
            // bit replaced; no other entry's bit changes.
            self.chunk[c].write_data.next = self.chunk[c].read_data.val() & self.keep.val();
            if (self.write_accept.val() & self.chunk_bit[c].val()) != self.no_entries.val() {
                self.chunk[c].write_data.next =
                    self.chunk[c].read_data.val() | self.write_select.val();
            }
            self.matched.next = self.matched.val() & self.chunk[c].read_data.val();
        }
        self.vector.d.next = self.matched.val();
        // First level: the lowest set bit of each group of eight (found-flag pattern).
        for g in 0..8 {
            self.group_hit[g].clock.next = self.clock.val();
            self.group_offset[g].clock.next = self.clock.val();
            self.group_word[g].next = self
                .vector
                .q
                .val()
                .get_bits::<8>(self.group_shift[g].val().index());
            self.group_found[g].next = false;
            self.group_first[g].next = self.no_bank_index.val();
            for k in 0..8 {
                if !self.group_found[g].val() & self.group_word[g].val().get_bit(k) {
                    self.group_found[g].next = true;
                    self.group_first[g].next = self.offset[k].val();
                }
            }
            self.group_hit[g].d.next = self.group_found[g].val();
            self.group_offset[g].d.next = self.group_first[g].val();
        }
        // Second level: the lowest group with a hit.
        self.found.next = false;
        self.first.next = self.no_bank_index.val();
        for g in 0..8 {
            if !self.found.val() & self.group_hit[g].q.val() {
                self.found.next = true;
                self.first.next = self.group_base[g].val() | self.group_offset[g].q.val();
            }
        }
        self.bank_hit.d.next = self.found.val();
        self.bank_index.d.next = self.first.val();
        self.hit.next = self.bank_hit.q.val();
        self.index.next = self.bank_index.q.val();
    }
}
