//! The SpiNNaker packet: 8-bit header, 32-bit key and optional 32-bit payload
//! (`spec/hardware.md` §1).
//!
//! Header (control byte) layout:
//!
//! | bit(s) | MC (00)   | P2P (01)  | NN (10)                  | FR (11)   |
//! |--------|-----------|-----------|--------------------------|-----------|
//! | 0      | parity    | parity    | parity                   | parity    |
//! | 1      | payload   | payload   | payload                  | payload   |
//! | 3:2    | timestamp | timestamp | route `[4:2]` (bits 3:2)   | timestamp |
//! | 5:4    | ER        | seq code  | 4: route MSB, 5: T       | ER        |
//! | 7:6    | type      | type      | type                     | type      |
//!
//! Parity is odd over the whole packet: the XOR of all 40 (or 72) bits is 1.
//!
//! Bus layout used by the RTL (the spI/O 72-bit bus): header `[7:0]`, key `[39:8]`,
//! payload `[71:40]`; without a payload the top 32 bits are don't-care.
//! On the wire the packet is sent least significant nibble first: header, key, payload.

use bitvec::prelude::*;
use std::fmt;
use thiserror::Error;

/// The two type bits, header `[7:6]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    Mc = 0,
    P2p = 1,
    Nn = 2,
    Fr = 3,
}

impl PacketType {
    pub fn from_bits(bits: u8) -> PacketType {
        match bits & 3 {
            0 => PacketType::Mc,
            1 => PacketType::P2p,
            2 => PacketType::Nn,
            _ => PacketType::Fr,
        }
    }

    /// Whether header `[5:4]` is an emergency-routing field (MC and FR only).
    pub fn carries_emergency(self) -> bool {
        matches!(self, PacketType::Mc | PacketType::Fr)
    }
}

/// The emergency-routing field of MC and FR packets, header `[5:4]` (`spec/hardware.md` §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Emergency {
    /// Routed normally.
    Normal = 0,
    /// First hop of a detour on a link that normal routing also used: route normally *and*
    /// forward round the triangle.
    FirstHopAlsoNormal = 1,
    /// First hop of a detour: forward round the triangle only.
    FirstHop = 2,
    /// Last hop of a detour: route normally again, as if arriving on the blocked link.
    LastHop = 3,
}

impl Emergency {
    pub fn from_bits(bits: u8) -> Emergency {
        match bits & 3 {
            0 => Emergency::Normal,
            1 => Emergency::FirstHopAlsoNormal,
            2 => Emergency::FirstHop,
            _ => Emergency::LastHop,
        }
    }
}

/// What is wrong with a byte string offered as a packet.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PacketError {
    #[error("a packet is 5 or 9 bytes long, got {len} bytes")]
    BadLength { len: usize },
    #[error(
        "header 0x{header:02x} says the packet {} a payload but it is {len} bytes long",
        if *.header & 2 != 0 { "has" } else { "has no" }
    )]
    PayloadFlagMismatch { header: u8, len: usize },
    #[error("parity error: header 0x{header:02x} key 0x{key:08x} has even parity")]
    BadParity { header: u8, key: u32 },
}

/// One packet as it travels through the fabric. The header byte is stored as sent, so a packet
/// with a wrong parity bit can be represented (and detected).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Packet {
    header: u8,
    key: u32,
    payload: Option<u32>,
}

const HEADER_PARITY: u8 = 1 << 0;
const HEADER_PAYLOAD: u8 = 1 << 1;

impl Packet {
    /// A multicast packet with correct parity, no payload, timestamp 0 and normal routing.
    pub fn mc(key: u32) -> Packet {
        Packet::with_type(PacketType::Mc, key)
    }

    /// A fixed-route packet; its key is arbitrary data.
    pub fn fr(key: u32) -> Packet {
        Packet::with_type(PacketType::Fr, key)
    }

    /// A point-to-point packet from chip id `source` to chip id `dest` (id = x << 8 | y),
    /// with the source in key `[31:16]` and the destination in key `[15:0]`.
    pub fn p2p(source: u16, dest: u16, seq: u8) -> Packet {
        let pkt = Packet::with_type(PacketType::P2p, (source as u32) << 16 | dest as u32);
        pkt.with_header_field(4, 2, seq)
    }

    /// A nearest-neighbour packet. `route` (0–7) names the output link for 0–5; `direct` is the
    /// T bit of peek/poke packets.
    pub fn nn(route: u8, direct: bool, key: u32) -> Packet {
        let pkt = Packet::with_type(PacketType::Nn, key);
        pkt.with_header_field(2, 3, route)
            .with_header_field(5, 1, direct as u8)
    }

    fn with_type(kind: PacketType, key: u32) -> Packet {
        Packet {
            header: (kind as u8) << 6,
            key,
            payload: None,
        }
        .with_parity()
    }

    /// Rebuilds a packet from its 72-bit bus form; payload bits are kept only when the header's
    /// payload flag says there is one. The parity bit is kept as it is.
    pub fn from_bus(word: u128) -> Packet {
        let header = word as u8;
        let payload = (header & HEADER_PAYLOAD != 0).then_some((word >> 40) as u32);
        Packet {
            header,
            key: (word >> 8) as u32,
            payload,
        }
    }

    /// The 72-bit bus form: header `[7:0]`, key `[39:8]`, payload `[71:40]` (zero when absent).
    pub fn to_bus(self) -> u128 {
        self.header as u128 | (self.key as u128) << 8 | (self.payload.unwrap_or(0) as u128) << 40
    }

    /// Parses the 5- or 9-byte serial form (least significant byte first), checking the length
    /// against the payload flag and the parity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Packet, PacketError> {
        let len = bytes.len();
        if len != 5 && len != 9 {
            return Err(PacketError::BadLength { len });
        }
        let bits = bytes.view_bits::<Lsb0>();
        let header: u8 = bits[0..8].load_le();
        if (header & HEADER_PAYLOAD != 0) != (len == 9) {
            return Err(PacketError::PayloadFlagMismatch { header, len });
        }
        let key: u32 = bits[8..40].load_le();
        let payload = (len == 9).then(|| bits[40..72].load_le::<u32>());
        let pkt = Packet {
            header,
            key,
            payload,
        };
        if !pkt.parity_ok() {
            return Err(PacketError::BadParity { header, key });
        }
        Ok(pkt)
    }

    /// The 5- or 9-byte serial form, least significant byte first.
    pub fn to_bytes(self) -> Vec<u8> {
        self.wire_bits().into_vec()
    }

    /// The packet as its 40 or 72 wire bits in transmission order (LSB first).
    pub fn wire_bits(self) -> BitVec<u8, Lsb0> {
        let mut bits = BitVec::<u8, Lsb0>::repeat(false, self.n_bits());
        bits[0..8].store_le(self.header);
        bits[8..40].store_le(self.key);
        if let Some(payload) = self.payload {
            bits[40..72].store_le(payload);
        }
        bits
    }

    /// 40 or 72.
    pub fn n_bits(self) -> usize {
        if self.payload.is_some() {
            72
        } else {
            40
        }
    }

    /// Set bits among all wire bits.
    fn ones(self) -> u32 {
        self.header.count_ones() + self.key.count_ones() + self.payload.map_or(0, u32::count_ones)
    }

    /// Odd parity: the XOR of all wire bits (the parity bit included) is 1.
    pub fn parity_ok(self) -> bool {
        self.ones() % 2 == 1
    }

    /// The same packet with its parity bit recomputed.
    pub fn with_parity(mut self) -> Packet {
        self.header &= !HEADER_PARITY;
        if self.ones().is_multiple_of(2) {
            self.header |= HEADER_PARITY;
        }
        self
    }

    /// The same packet with its parity bit flipped (for error-injection tests).
    pub fn with_parity_error(mut self) -> Packet {
        self.header ^= HEADER_PARITY;
        self
    }

    pub fn with_payload(mut self, payload: u32) -> Packet {
        self.header |= HEADER_PAYLOAD;
        self.payload = Some(payload);
        self.with_parity()
    }

    pub fn with_emergency(self, er: Emergency) -> Packet {
        self.with_header_field(4, 2, er as u8)
    }

    pub fn with_timestamp(self, ts: u8) -> Packet {
        self.with_header_field(2, 2, ts)
    }

    fn with_header_field(mut self, lsb: u32, width: u32, value: u8) -> Packet {
        let mask = ((1u8 << width) - 1) << lsb;
        self.header = (self.header & !mask) | (value << lsb & mask);
        self.with_parity()
    }

    pub fn header(self) -> u8 {
        self.header
    }

    pub fn key(self) -> u32 {
        self.key
    }

    pub fn payload(self) -> Option<u32> {
        self.payload
    }

    pub fn kind(self) -> PacketType {
        PacketType::from_bits(self.header >> 6)
    }

    /// The ER field; meaningful for MC and FR packets only.
    pub fn emergency(self) -> Emergency {
        Emergency::from_bits(self.header >> 4)
    }

    pub fn timestamp(self) -> u8 {
        self.header >> 2 & 3
    }

    /// P2P sequence code, header `[5:4]`.
    pub fn seq_code(self) -> u8 {
        self.header >> 4 & 3
    }

    /// NN route field, header `[4:2]`.
    pub fn nn_route(self) -> u8 {
        self.header >> 2 & 7
    }

    /// NN T bit ("direct" peek/poke), header `[5]`.
    pub fn nn_direct(self) -> bool {
        self.header >> 5 & 1 == 1
    }

    /// P2P destination chip id, key `[15:0]`.
    pub fn p2p_dest(self) -> u16 {
        self.key as u16
    }
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind() {
            PacketType::Mc => "mc",
            PacketType::P2p => "p2p",
            PacketType::Nn => "nn",
            PacketType::Fr => "fr",
        };
        write!(f, "{kind} hdr=0x{:02x} key=0x{:08x}", self.header, self.key)?;
        if let Some(p) = self.payload {
            write!(f, " payload=0x{p:08x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constants_match_the_spin1_tools() {
        // spinnaker.h: MC 0x00, P2P 0x40, NN 0x80, NN-direct 0xA0, FR 0xC0, payload flag 0x02.
        assert_eq!(Packet::mc(0).header() & !1, 0x00);
        assert_eq!(Packet::p2p(0, 0, 0).header() & !1, 0x40);
        assert_eq!(Packet::nn(0, false, 0).header() & !1, 0x80);
        assert_eq!(Packet::nn(0, true, 0).header() & !1, 0xA0);
        assert_eq!(Packet::fr(0).header() & !1, 0xC0);
        assert_eq!(Packet::mc(0).with_payload(0).header() & 2, 2);
    }

    #[test]
    fn parity_is_odd_over_the_whole_packet() {
        for pkt in [
            Packet::mc(0),
            Packet::mc(0xdead_beef),
            Packet::mc(7).with_payload(0xffff_ffff),
            Packet::fr(1).with_emergency(Emergency::LastHop),
        ] {
            assert!(pkt.parity_ok(), "{pkt}");
            // The same rule counted over the serial wire form.
            assert_eq!(pkt.wire_bits().count_ones() % 2, 1);
            assert!(!pkt.with_parity_error().parity_ok());
        }
        // All-zero MC packet: the parity bit alone makes the count odd.
        assert_eq!(Packet::mc(0).header(), 0x01);
    }

    #[test]
    fn bus_and_byte_forms_round_trip() {
        let pkt = Packet::mc(0x1234_5678)
            .with_payload(0x9abc_def0)
            .with_timestamp(2);
        assert_eq!(Packet::from_bus(pkt.to_bus()), pkt);
        assert_eq!(pkt.to_bus() >> 8 & 0xffff_ffff, 0x1234_5678);
        assert_eq!(pkt.to_bus() >> 40, 0x9abc_def0);
        assert_eq!(Packet::from_bytes(&pkt.to_bytes()), Ok(pkt));
        let short = Packet::nn(3, false, 0x55);
        assert_eq!(short.to_bytes().len(), 5);
        assert_eq!(short.nn_route(), 3);
        // Payload bits on the bus are ignored without the payload flag.
        assert_eq!(Packet::from_bus(short.to_bus() | 0xff << 40), short);
    }

    #[test]
    fn malformed_bytes_are_rejected_with_the_reason() {
        assert_eq!(
            Packet::from_bytes(&[0; 4]),
            Err(PacketError::BadLength { len: 4 })
        );
        let long = Packet::mc(1).with_payload(2);
        assert_eq!(
            Packet::from_bytes(&long.to_bytes()[..5])
                .unwrap_err()
                .to_string(),
            format!(
                "header 0x{:02x} says the packet has a payload but it is 5 bytes long",
                long.header()
            )
        );
        let bad = Packet::mc(0x10).with_parity_error();
        assert!(matches!(
            Packet::from_bytes(&bad.to_bytes()),
            Err(PacketError::BadParity { .. })
        ));
    }

    #[test]
    fn p2p_carries_source_and_destination_ids() {
        let pkt = Packet::p2p(0x0102, 0x0304, 1);
        assert_eq!(pkt.key(), 0x0102_0304);
        assert_eq!(pkt.p2p_dest(), 0x0304);
        assert_eq!(pkt.seq_code(), 1);
        assert_eq!(pkt.kind(), PacketType::P2p);
    }
}
