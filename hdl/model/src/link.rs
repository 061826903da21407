//! `Link`: the fast model of one direction of a chip-to-chip link, cycle for cycle the same as
//! the RTL `Link` block (`hdl/rtl/src/fabric/link.rs`).
//!
//! A link carries one packet at a time (the 2-of-7 code is acknowledged symbol by symbol): a
//! packet taken at the end of cycle `c` is offered to the receiving router in cycle `c + T`,
//! `T = latency + serialisation(size)`, and the transmitter takes the next packet once the
//! previous one has moved into the receive register. The receive register holds one packet
//! until the router takes it; while it is full a finished packet waits in the transmitter.

use thiserror::Error;

/// Link timing in router cycles (`spec/hardware.md` §1.4, §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTiming {
    /// Cycles to send a 40-bit packet: 11 symbol handshakes.
    pub short_packet_cycles: u32,
    /// Cycles to send a 72-bit packet: 19 symbol handshakes.
    pub long_packet_cycles: u32,
    /// Extra cycles in flight (synchronisers, wires).
    pub latency_cycles: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimingError {
    #[error("a link needs at least 2 cycles per packet, got {short} (40-bit) and {long} (72-bit) with latency included")]
    TooFast { short: u32, long: u32 },
}

impl LinkTiming {
    /// 19 cycles per 40-bit packet at 133 MHz is 7.0 million packets per second, the on-board
    /// figure; a 72-bit packet's 19 symbols at the same symbol rate take 33 cycles.
    pub const SPINNAKER: LinkTiming = LinkTiming {
        short_packet_cycles: 19,
        long_packet_cycles: 33,
        latency_cycles: 0,
    };

    pub fn new(
        short_packet_cycles: u32,
        long_packet_cycles: u32,
        latency_cycles: u32,
    ) -> Result<LinkTiming, TimingError> {
        let res = LinkTiming {
            short_packet_cycles,
            long_packet_cycles,
            latency_cycles,
        };
        let (short, long) = (res.transit(false), res.transit(true));
        if short < 2 || long < 2 {
            return Err(TimingError::TooFast { short, long });
        }
        Ok(res)
    }

    /// Cycles from the handshake that takes a packet to the cycle it is offered on the far side.
    pub fn transit(&self, long: bool) -> u32 {
        self.latency_cycles
            + if long {
                self.long_packet_cycles
            } else {
                self.short_packet_cycles
            }
    }
}

/// One direction of a link.
///
/// Laid out flat (flags beside the packets rather than `Option`s of 128-bit values) because the
/// fabric touches every link a packet crosses: 48 bytes instead of 96 keeps more of a large
/// machine's links in cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Link {
    /// The packet being sent, valid while `tx_full`.
    tx_packet: u128,
    /// The last packet received: the receive register, offered while `rx_full`. The RTL's
    /// receive register keeps it after it is taken, and waveforms show it.
    last_rx: u128,
    /// The first cycle in which the packet being sent may move to the receiver.
    tx_at: u64,
    tx_full: bool,
    rx_full: bool,
}

impl Link {
    /// The transmitter is free: the sending router's output is ready.
    #[inline]
    pub fn ready(&self) -> bool {
        !self.tx_full
    }

    /// The packet offered to the receiving router.
    #[inline]
    pub fn offered(&self) -> Option<u128> {
        self.rx_full.then_some(self.last_rx)
    }

    /// The receive register's contents, valid or not.
    pub fn receive_register(&self) -> u128 {
        self.last_rx
    }

    pub fn is_idle(&self) -> bool {
        !self.tx_full && !self.rx_full
    }

    /// Packets on the link: in its transmitter and in its receive register.
    pub fn packets_held(&self) -> usize {
        self.tx_full as usize + self.rx_full as usize
    }

    /// The cycle in which the packet in the transmitter may move on, if there is one.
    #[inline]
    pub fn moves_at(&self) -> Option<u64> {
        self.tx_full.then_some(self.tx_at)
    }

    /// The clock edge at the end of cycle `now`: `taken` if the receiver took the offered packet,
    /// `sent` if the sender handed over a packet. Returns whether the receive register was
    /// (re)filled.
    #[inline]
    pub fn edge(&mut self, now: u64, taken: bool, sent: Option<u128>, timing: &LinkTiming) -> bool {
        let rx_free = !self.rx_full || taken;
        let mut filled = false;
        if self.tx_full && now >= self.tx_at && rx_free {
            self.rx_full = true;
            self.last_rx = self.tx_packet;
            self.tx_full = false;
            filled = true;
        } else if taken {
            self.rx_full = false;
        }
        if let Some(packet) = sent {
            debug_assert!(
                !self.tx_full || filled,
                "a link takes a packet only when its transmitter is free"
            );
            self.tx_full = false;
            self.send(now, packet, timing);
        }
        filled
    }

    /// The sending half of the edge at the end of cycle `now`, applied early: the transmitter,
    /// free before the edge, takes `packet`. Only the transmitter changes, and a packet taken in
    /// cycle `now` cannot move on at that edge, so doing this before [`Link::edge`] of the
    /// same cycle (with `sent` = `None`) gives what one edge with `sent` gives. Returns the cycle
    /// in which the packet may move on.
    #[inline]
    pub fn send(&mut self, now: u64, packet: u128, timing: &LinkTiming) -> u64 {
        debug_assert!(
            !self.tx_full,
            "a link takes a packet only when its transmitter is free"
        );
        let long = packet >> 1 & 1 == 1;
        self.tx_packet = packet;
        self.tx_at = now + timing.transit(long) as u64 - 1;
        self.tx_full = true;
        self.tx_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_arrives_after_its_transit_time_and_the_next_follows_one_transit_later() {
        let timing = LinkTiming::new(4, 6, 1).expect("valid timing");
        let mut link = Link::default();
        link.edge(10, false, Some(0x100), &timing); // 40-bit: transit 5
        let arrival = (11..30).find(|&c| {
            link.edge(c, false, None, &timing);
            link.offered().is_some()
        });
        assert_eq!(
            arrival,
            Some(14),
            "offered in cycle 15 = 10 + 5; filled at the edge of 14"
        );
        assert!(link.ready());
        assert_eq!(
            LinkTiming::new(1, 1, 0),
            Err(TimingError::TooFast { short: 1, long: 1 })
        );
    }
}
