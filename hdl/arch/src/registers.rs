//! Router registers and their encodings (`spec/hardware.md` §2.6, §2.7, §3.2, §3.5, §4.1).

use crate::geom::{CoreId, LinkDir, CORES_PER_CHIP};
use crate::packet::Packet;
use crate::route::RouteSet;

/// An 8-bit wait1/wait2 setting: mantissa M in `[3:0]`, exponent E in `[7:4]`.
/// It waits `(M + 16 − 2^(4−E))·2^E` router cycles for E ≤ 4 and `(M + 16)·2^E` for E > 4;
/// 0xFF waits for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WaitTime(pub u8);

impl WaitTime {
    pub const NEVER: WaitTime = WaitTime(0xFF);

    pub fn new(mantissa: u8, exponent: u8) -> WaitTime {
        assert!(
            mantissa < 16 && exponent < 16,
            "invariant: wait fields are 4 bits each"
        );
        WaitTime(exponent << 4 | mantissa)
    }

    /// Router cycles before expiry, or `None` for 0xFF (never).
    pub fn cycles(self) -> Option<u32> {
        if self == WaitTime::NEVER {
            return None;
        }
        let m = (self.0 & 0xf) as u32;
        let e = (self.0 >> 4) as u32;
        let scaled = (m + 16) << e;
        Some(if e <= 4 { scaled - 16 } else { scaled })
    }
}

/// The fields of router control register r0 that this router implements.
///
/// | bits    | field                              |
/// |---------|------------------------------------|
/// | `[2]`   | dump interrupt enable              |
/// | `[12:8]`  | MP: monitor processor (physical)   |
/// | `[23:16]` | wait1                              |
/// | `[31:24]` | wait2                              |
///
/// Route enable, error interrupts, time phase and the counter-enable bits are not modelled;
/// writes to them are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouterControl {
    pub wait1: WaitTime,
    pub wait2: WaitTime,
    pub monitor: CoreId,
    pub dump_interrupt_enable: bool,
}

impl RouterControl {
    /// What SC&MP writes at boot: wait1 = 0x40 (240 cycles), wait2 = 0, monitor on core 0,
    /// interrupts off. It is also the RTL router's reset value.
    pub const SCAMP_BOOT: RouterControl = RouterControl {
        wait1: WaitTime(0x40),
        wait2: WaitTime(0x00),
        monitor: CoreId::MONITOR,
        dump_interrupt_enable: false,
    };

    pub fn to_register(self) -> u32 {
        (self.dump_interrupt_enable as u32) << 2
            | (self.monitor.index() as u32) << 8
            | (self.wait1.0 as u32) << 16
            | (self.wait2.0 as u32) << 24
    }

    /// Decodes r0; a monitor number above 17 is taken modulo 32 by the hardware field and
    /// rejected here.
    pub fn from_register(word: u32) -> Option<RouterControl> {
        Some(RouterControl {
            wait1: WaitTime((word >> 16) as u8),
            wait2: WaitTime((word >> 24) as u8),
            monitor: CoreId::new((word >> 8 & 0x1f) as usize)?,
            dump_interrupt_enable: word >> 2 & 1 == 1,
        })
    }
}

/// Which side of the triangle an emergency detour takes (`spec/hardware.md` §3.5).
/// Every step of a detour adds the same number of link positions: the first hop leaves on
/// `(d + s) mod 6`, the middle router forwards on `(i + s) mod 6`, and the last router routes as
/// if the packet had arrived on `(j + s) mod 6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmergencyRotation {
    /// TickySim's convention: first hop on the next link clockwise, `s = 5`.
    Clockwise,
    /// The mirror image, `s = 1`.
    Anticlockwise,
}

impl EmergencyRotation {
    pub fn steps(self) -> usize {
        match self {
            EmergencyRotation::Clockwise => 5,
            EmergencyRotation::Anticlockwise => 1,
        }
    }

    pub fn apply(self, link: LinkDir) -> LinkDir {
        link.rotate(self.steps())
    }
}

/// A 3-bit P2P table entry: 0–5 a link, 6 drop, 7 the monitor core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum P2pRoute {
    Link(LinkDir),
    Drop,
    Monitor,
}

impl P2pRoute {
    pub fn code(self) -> u8 {
        match self {
            P2pRoute::Link(l) => l.index() as u8,
            P2pRoute::Drop => 6,
            P2pRoute::Monitor => 7,
        }
    }

    pub fn from_code(code: u8) -> P2pRoute {
        match code & 7 {
            6 => P2pRoute::Drop,
            7 => P2pRoute::Monitor,
            l => P2pRoute::Link(LinkDir::from_index(l as usize).expect("invariant: code < 6")),
        }
    }
}

/// The router's diagnostic counters, in the order of the RTL `count` port array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    /// MC packets sourced by a local core (including re-injected ones named as local).
    LocalMc = 0,
    /// MC packets that arrived on a link.
    ExternalMc = 1,
    P2p = 2,
    Nn = 3,
    Fr = 4,
    /// MC packets dumped after wait2.
    DumpedMc = 5,
    /// P2P, NN and FR packets dumped after wait2.
    DumpedOther = 6,
    /// MC packets that matched no entry and left on the link opposite their input.
    DefaultRouted = 7,
    /// Packets with nowhere to go: locally sourced MC misses and P2P entries of 6 (drop).
    Unroutable = 8,
    /// Packets discarded on arrival for bad parity.
    ParityError = 9,
    /// Packets redirected round the triangle at wait1 expiry.
    EmergencyRouted = 10,
    /// Dumps that found the dump registers still holding an unread packet: those packets are lost.
    DumpOverflow = 11,
}

/// Number of diagnostic counters.
pub const N_COUNTERS: usize = 12;

impl Counter {
    pub const ALL: [Counter; N_COUNTERS] = [
        Counter::LocalMc,
        Counter::ExternalMc,
        Counter::P2p,
        Counter::Nn,
        Counter::Fr,
        Counter::DumpedMc,
        Counter::DumpedOther,
        Counter::DefaultRouted,
        Counter::Unroutable,
        Counter::ParityError,
        Counter::EmergencyRouted,
        Counter::DumpOverflow,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Counter::LocalMc => "local_mc",
            Counter::ExternalMc => "external_mc",
            Counter::P2p => "p2p",
            Counter::Nn => "nn",
            Counter::Fr => "fr",
            Counter::DumpedMc => "dumped_mc",
            Counter::DumpedOther => "dumped_other",
            Counter::DefaultRouted => "default_routed",
            Counter::Unroutable => "unroutable",
            Counter::ParityError => "parity_error",
            Counter::EmergencyRouted => "emergency_routed",
            Counter::DumpOverflow => "dump_overflow",
        }
    }
}

/// The dump status register: `[23:0]` outputs involved in any dump since the last clear (sticky),
/// `[30]` overflow (a dump arrived while one was unread), `[31]` a dump is held.
/// The dump header register beside it is [`DumpHeader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DumpStatus(pub u32);

impl DumpStatus {
    pub fn dumped(self) -> bool {
        self.0 >> 31 & 1 == 1
    }

    pub fn overflow(self) -> bool {
        self.0 >> 30 & 1 == 1
    }

    pub fn sticky_outputs(self) -> RouteSet {
        RouteSet::from_bits(self.0)
    }
}

/// The dump header register (DHDR, `spec/hardware.md` §2.6 and §3.4): what a monitor needs,
/// besides the key, payload and outputs, to re-inject a dumped packet (§3.6).
///
/// | bits      | field                                                              |
/// |-----------|--------------------------------------------------------------------|
/// | `[7:0]`   | the dumped packet's header (control) byte                          |
/// | `[12:8]`  | the input port it arrived on (0–5 links, 6–23 cores)               |
/// | `[13]`    | it was on the last leg of an emergency route                       |
/// | `[15:14]` | zero                                                               |
///
/// Bit 13 is set when the packet's pending link would have carried ER = 3; the packet itself is
/// dumped with ER = 0, so a re-injection must restore ER = 3 for the next router to route it as
/// if it came straight from the detour's start.
/// The chip's DHDR packs the same facts differently (control byte in `[23:16]`, the Rx route in
/// `[26:24]`, time phase and error bits; `spec/hardware.md` §2.6, from FEC-extra.h
/// `router_packet_header_t`) and has no last-leg bit; this router keeps the 16-bit layout above,
/// which the RTL `OutputStage` writes with [`DumpHeader::SOURCE_SHIFT`] and
/// [`DumpHeader::EMERGENCY_LAST`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DumpHeader {
    pub packet_header: u8,
    /// The input port, a 5-bit field: [`DumpHeader::encode`] keeps its low 5 bits, as the
    /// register does.
    pub source: u8,
    pub emergency_last: bool,
}

impl DumpHeader {
    /// Position of the input port field.
    pub const SOURCE_SHIFT: u32 = 8;
    /// Width of the input port field.
    pub const SOURCE_BITS: u32 = 5;
    /// The last-leg flag, bit 13.
    pub const EMERGENCY_LAST: u16 = 1 << 13;

    const SOURCE_MASK: u16 = (1 << Self::SOURCE_BITS) - 1;

    #[inline]
    pub fn encode(self) -> u16 {
        self.packet_header as u16
            | (self.source as u16 & Self::SOURCE_MASK) << Self::SOURCE_SHIFT
            | if self.emergency_last {
                Self::EMERGENCY_LAST
            } else {
                0
            }
    }

    /// Decodes the register; bits 14 and 15 are ignored.
    #[inline]
    pub fn decode(word: u16) -> DumpHeader {
        DumpHeader {
            packet_header: word as u8,
            source: (word >> Self::SOURCE_SHIFT & Self::SOURCE_MASK) as u8,
            emergency_last: word & Self::EMERGENCY_LAST != 0,
        }
    }

    /// The dumped packet, rebuilt from this header and the dump key and payload registers: the
    /// payload counts only when the header's payload flag says the packet had one, and the
    /// header byte (parity bit and ER field included) is kept as it was dumped.
    pub fn packet(self, key: u32, payload: u32) -> Packet {
        Packet::from_bus(self.packet_header as u128 | (key as u128) << 8 | (payload as u128) << 40)
    }
}

/// Number of P2P table coordinate bits per axis in the default RTL configuration: 8×8 chips.
pub const DEFAULT_P2P_COORD_BITS: usize = 3;

/// The P2P table index of a chip id (x << 8 | y) in a table with `coord_bits` bits per axis:
/// `(x mod 2^c) << c | (y mod 2^c)`.
pub fn p2p_index(chip_id: u16, coord_bits: usize) -> usize {
    let mask = (1usize << coord_bits) - 1;
    ((chip_id as usize >> 8) & mask) << coord_bits | (chip_id as usize & mask)
}

const _: () = assert!(CORES_PER_CHIP < 32, "MP is a 5-bit field");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_times_follow_the_mantissa_exponent_formula() {
        // spec/hardware.md §3.2 value map and table.
        let cases = [
            (0x00, Some(0)),
            (0x0f, Some(15)),
            (0x10, Some(16)),
            (0x1f, Some(46)),
            (0x31, Some(120)),
            (0x40, Some(240)),
            (0x4f, Some(480)),
            (0x50, Some(512)),
            (0x11, Some(18)),
            (0xee, Some(491_520)),
            (0xfe, Some(1_015_808 - (1 << 15))),
            (0xff, None),
        ];
        for (raw, cycles) in cases {
            assert_eq!(WaitTime(raw).cycles(), cycles, "wait 0x{raw:02x}");
        }
        assert_eq!(WaitTime::new(14, 14), WaitTime(0xee));
    }

    #[test]
    fn control_register_round_trips_at_the_spec_positions() {
        let ctl = RouterControl {
            wait1: WaitTime(0x4f),
            wait2: WaitTime(0x31),
            monitor: CoreId::new(5).unwrap(),
            dump_interrupt_enable: true,
        };
        assert_eq!(ctl.to_register(), 0x314f_0504);
        assert_eq!(RouterControl::from_register(ctl.to_register()), Some(ctl));
        assert_eq!(RouterControl::SCAMP_BOOT.to_register(), 0x0040_0000);
        assert_eq!(RouterControl::from_register(0x0000_1f00), None);
    }

    #[test]
    fn emergency_detours_close_the_triangle() {
        for rot in [
            EmergencyRotation::Clockwise,
            EmergencyRotation::Anticlockwise,
        ] {
            for d in LinkDir::ALL {
                let first = rot.apply(d);
                // The middle router sees the packet arrive on the opposite of `first`.
                let second = rot.apply(first.opposite());
                let (a, b) = (first.delta(), second.delta());
                assert_eq!((a.0 + b.0, a.1 + b.1), d.delta(), "{rot:?} {d}");
                // The last router treats it as arriving on the opposite of `d`.
                assert_eq!(rot.apply(second.opposite()), d.opposite());
            }
        }
    }

    #[test]
    fn dump_header_round_trips_every_value() {
        for packet_header in 0..=u8::MAX {
            for source in 0..1u8 << DumpHeader::SOURCE_BITS {
                for emergency_last in [false, true] {
                    let h = DumpHeader {
                        packet_header,
                        source,
                        emergency_last,
                    };
                    assert_eq!(DumpHeader::decode(h.encode()), h, "{h:?}");
                }
            }
        }
        // Every register value decodes to the fields that encode it again, bits 14 and 15 aside.
        for word in 0..=u16::MAX {
            assert_eq!(
                DumpHeader::decode(word).encode(),
                word & 0x3fff,
                "{word:#06x}"
            );
        }
    }

    #[test]
    fn dump_header_fields_sit_where_the_rtl_writes_them() {
        // The RTL `OutputStage`: header byte `[7:0]`, 5-bit input port `[12:8]`, flag 0x2000.
        assert_eq!(DumpHeader::SOURCE_SHIFT, 8);
        assert_eq!(DumpHeader::SOURCE_BITS, 5);
        assert_eq!(DumpHeader::EMERGENCY_LAST, 0x2000);
        let field = |packet_header, source, emergency_last| {
            DumpHeader {
                packet_header,
                source,
                emergency_last,
            }
            .encode()
        };
        assert_eq!(field(0xa5, 0, false), 0x00a5);
        assert_eq!(field(0, 1, false), 0x0100);
        assert_eq!(field(0, 23, false), 0x1700);
        assert_eq!(field(0, 0x1f, false), 0x1f00);
        assert_eq!(field(0, 0, true), 0x2000);
        assert_eq!(field(0x02, 6 + 1, true), 0x2702);
        // Only five bits of the port are kept, as in the 5-bit register field.
        assert_eq!(field(0, 0x25, false), 0x0500);
        assert_eq!(
            DumpHeader::decode(0xffff),
            DumpHeader {
                packet_header: 0xff,
                source: 0x1f,
                emergency_last: true,
            }
        );
    }

    #[test]
    fn a_dumped_packet_is_rebuilt_from_its_header_key_and_payload() {
        use crate::packet::Emergency;
        for pkt in [
            Packet::mc(0x1234_5678),
            Packet::mc(0x1234_5678).with_payload(0xdead_beef),
            Packet::fr(7).with_emergency(Emergency::LastHop),
            Packet::p2p(0x0102, 0x0304, 1).with_payload(9),
            Packet::nn(3, true, 0x42).with_parity_error(),
        ] {
            let h = DumpHeader {
                packet_header: pkt.header(),
                source: 4,
                emergency_last: false,
            };
            let payload = pkt.payload().unwrap_or(0x5555_5555);
            assert_eq!(h.packet(pkt.key(), payload), pkt, "{pkt}");
        }
    }

    #[test]
    fn p2p_codes_and_indices() {
        for code in 0..8 {
            assert_eq!(P2pRoute::from_code(code).code(), code);
        }
        assert_eq!(p2p_index(0x0203, 3), 2 << 3 | 3);
        assert_eq!(p2p_index(0x0a0b, 3), 2 << 3 | 3);
    }
}
