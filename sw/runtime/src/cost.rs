//! The cost model: what each callback and each operation costs an ARM968 core, and the clocks
//! that turn core cycles into machine time.
//!
//! The figures come from `spec/performance.md` §2(d) (instruction traces of soft-float and
//! fixed-point kernels timed with an ARM9E-S cycle model) and `spec/hardware.md` §6–8. The
//! interrupt and packet-handling overheads are estimates (marked below); every figure is a field
//! of [`CostTable`] so a study can change it.

/// Arithmetic a kernel charges by count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Soft-float multiply-accumulate in a dot-product loop (`__aeabi_fmul` + `__addsf3` + loads).
    FloatMac,
    /// Soft-float addition (`__addsf3`).
    FloatAdd,
    /// Soft-float multiplication (`__aeabi_fmul`).
    FloatMul,
    /// Soft-float division.
    FloatDiv,
    /// Soft-float exponential or logarithm.
    FloatTranscendental,
    /// 16-bit fixed-point multiply-accumulate (SMLAxy, unrolled).
    Fixed16Mac,
    /// s16.15 × s16.15 → 64-bit multiply-accumulate (SMLAL, unrolled).
    Fixed32Mac,
    /// A fixed-point exponential, sigmoid or logarithm by table lookup and interpolation.
    FixedTranscendental,
    /// One ALU instruction's worth of bookkeeping.
    Alu,
}

/// Clock rates and per-event and per-operation costs.
#[derive(Debug, Clone, PartialEq)]
pub struct CostTable {
    /// Core clock (SC&MP default 200 MHz).
    pub cpu_hz: u64,
    /// Router and link clock (133 MHz: 400 MHz / 3).
    pub router_hz: u64,
    /// Interrupt entry and exit: VIC vectoring, register save and restore.
    pub irq_cycles: u64,
    /// The dispatcher taking a queued callback off a task queue and calling it.
    pub dispatch_cycles: u64,
    /// The receive handler reading RXKEY (which frees the receive buffer) and RXDATA.
    pub packet_receive_cycles: u64,
    /// `spin1_send_mc_packet`: queue checks and the TCR/TXDATA/TXKEY writes.
    pub packet_send_cycles: u64,
    /// The timer handler's own work besides the interrupt entry.
    pub timer_cycles: u64,
    /// The user-event (software interrupt) handler's own work.
    pub user_event_cycles: u64,
    /// The monitor reading the dump registers and queueing the packet for re-injection.
    pub dump_read_cycles: u64,
    /// Programming the core's DMA controller for one transfer (`spin1_dma_transfer`: the
    /// queue checks and the DMA register writes) and taking its completion.
    pub dma_setup_cycles: u64,
    /// A DMA transfer between SDRAM and DTCM, per byte, in thousandths of a core cycle.
    pub dma_millicycles_per_byte: u64,
    /// The host link's raw rate in bits per second, and the share of it that carries data:
    /// the host writes a chip's SDRAM in SDP messages of 256 data bytes in 292.
    pub host_link_bits_per_second: u64,
    pub host_link_payload: (u64, u64),
    /// Per-operation costs in thousandths of a cycle, indexed by [`Op`].
    pub float_mac_millicycles: u64,
    pub float_add_millicycles: u64,
    pub float_mul_millicycles: u64,
    pub float_div_millicycles: u64,
    pub float_transcendental_millicycles: u64,
    pub fixed16_mac_millicycles: u64,
    pub fixed32_mac_millicycles: u64,
    pub fixed_transcendental_millicycles: u64,
    pub alu_millicycles: u64,
}

impl CostTable {
    /// The SpiNNaker1 ARM968 at 200 MHz with the router at 133 MHz.
    ///
    /// Measured-by-model figures (`spec/performance.md` §2(d)): float MAC 93.4, fadd 47,
    /// fmul 31.4, 16-bit MAC 2.62, s16.15 MAC 6.5 cycles.
    /// Estimates, not measurements: interrupt entry and exit 30 cycles, dispatch 40, packet
    /// receive 20 (with the interrupt entry, the roofline's 50 cycles per received packet,
    /// §3.1), send 30, timer and user handlers 20 each,
    /// dump read 60, soft-float division 120, soft-float exp/log 600, fixed-point exp/log by
    /// table 40, a DMA's setup and completion 40.
    /// A DMA moves 1 GB/s (`spec/hardware.md` §6: "> 1 GB/s block transfer"), 5 bytes per
    /// core cycle at 200 MHz. The host link is a board's 100 Mbit/s Ethernet (an assumption:
    /// the specs give no rate), carrying SDP messages of 256 data bytes in 292 (§7).
    pub fn arm968() -> CostTable {
        CostTable {
            cpu_hz: 200_000_000,
            router_hz: 133_333_333,
            irq_cycles: 30,
            dispatch_cycles: 40,
            packet_receive_cycles: 20,
            packet_send_cycles: 30,
            timer_cycles: 20,
            user_event_cycles: 20,
            dump_read_cycles: 60,
            dma_setup_cycles: 40,
            dma_millicycles_per_byte: 200,
            host_link_bits_per_second: 100_000_000,
            host_link_payload: (256, 292),
            float_mac_millicycles: 93_400,
            float_add_millicycles: 47_000,
            float_mul_millicycles: 31_400,
            float_div_millicycles: 120_000,
            float_transcendental_millicycles: 600_000,
            fixed16_mac_millicycles: 2_620,
            fixed32_mac_millicycles: 6_500,
            fixed_transcendental_millicycles: 40_000,
            alu_millicycles: 1_000,
        }
    }

    /// What one `op` costs, in thousandths of a core cycle.
    pub fn millicycles(&self, op: Op) -> u64 {
        match op {
            Op::FloatMac => self.float_mac_millicycles,
            Op::FloatAdd => self.float_add_millicycles,
            Op::FloatMul => self.float_mul_millicycles,
            Op::FloatDiv => self.float_div_millicycles,
            Op::FloatTranscendental => self.float_transcendental_millicycles,
            Op::Fixed16Mac => self.fixed16_mac_millicycles,
            Op::Fixed32Mac => self.fixed32_mac_millicycles,
            Op::FixedTranscendental => self.fixed_transcendental_millicycles,
            Op::Alu => self.alu_millicycles,
        }
    }

    /// What a DMA of `bytes` between SDRAM and DTCM costs the core that waits for it, in
    /// thousandths of a core cycle.
    pub fn dma_millicycles(&self, bytes: u64) -> u64 {
        self.dma_setup_cycles * 1000 + bytes * self.dma_millicycles_per_byte
    }

    /// Seconds the host link takes to write `bytes` into a chip's SDRAM.
    pub fn host_write_seconds(&self, bytes: u64) -> f64 {
        let (data, message) = self.host_link_payload;
        let on_wire = bytes.div_ceil(data.max(1)) * message;
        on_wire as f64 * 8.0 / self.host_link_bits_per_second.max(1) as f64
    }

    /// Router cycles that `millicycles` of core time take, rounded up: machine time is counted
    /// in router cycles, the fabric's clock.
    pub fn router_cycles(&self, millicycles: u64) -> u64 {
        // The same quotient in u64 when the product fits (any callback shorter than about
        // ten minutes of core time): a 128-bit division is a slow library call.
        if let (Some(num), Some(den)) = (
            millicycles.checked_mul(self.router_hz),
            self.cpu_hz.checked_mul(1000),
        ) {
            return num.div_ceil(den);
        }
        let num = millicycles as u128 * self.router_hz as u128;
        let den = 1000 * self.cpu_hz as u128;
        num.div_ceil(den) as u64
    }

    /// Seconds of machine time in `cycles` router cycles.
    pub fn seconds(&self, cycles: u64) -> f64 {
        cycles as f64 / self.router_hz as f64
    }

    /// Router cycles in `us` microseconds.
    pub fn cycles_per_us(&self, us: u32) -> u64 {
        (us as u64 * self.router_hz).div_ceil(1_000_000)
    }
}

/// [`CostTable::router_cycles`] for one cost table with the division by the core clock done by
/// a multiplication: the machine converts core time several times per packet, and a 64-bit
/// division takes tens of host cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RouterClock {
    router_hz: u64,
    /// `1000 × cpu_hz`, the divisor (0 if that overflows, which leaves every conversion to the
    /// cost table).
    den: u64,
    /// `⌊(2^64 − 1) / den⌋`.
    reciprocal: u64,
    cpu_hz: u64,
}

impl RouterClock {
    pub(crate) fn new(costs: &CostTable) -> RouterClock {
        let den = costs.cpu_hz.checked_mul(1000).unwrap_or(0);
        RouterClock {
            router_hz: costs.router_hz,
            den,
            reciprocal: u64::MAX.checked_div(den).unwrap_or(0),
            cpu_hz: costs.cpu_hz,
        }
    }

    /// The same as `CostTable::router_cycles(millicycles)`.
    #[inline]
    pub(crate) fn router_cycles(&self, millicycles: u64) -> u64 {
        match millicycles.checked_mul(self.router_hz) {
            Some(num) if self.den != 0 => {
                // `reciprocal / 2^64` is at most `1 / den` and short of it by less than
                // `1 / 2^64`, so `q` falls short of `⌊num / den⌋` by at most one.
                let mut q = ((num as u128 * self.reciprocal as u128) >> 64) as u64;
                let mut rem = num - q * self.den;
                if rem >= self.den {
                    q += 1;
                    rem -= self.den;
                }
                q + (rem != 0) as u64
            }
            // As the cost table does when the product does not fit.
            _ => {
                let num = millicycles as u128 * self.router_hz as u128;
                num.div_ceil(1000 * self.cpu_hz as u128) as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_time_converts_to_router_cycles_rounding_up() {
        let costs = CostTable::arm968();
        // 200 core cycles are 1 µs: 133.33 router cycles, rounded up.
        assert_eq!(costs.router_cycles(200_000), 134);
        assert_eq!(costs.router_cycles(0), 0);
        assert_eq!(costs.router_cycles(1), 1);
        // 1,000 float MACs take 93,400 core cycles: 467 µs.
        let t = costs.router_cycles(1000 * costs.millicycles(Op::FloatMac));
        assert_eq!(t, 62_267);
        assert!((costs.seconds(t) - 467e-6).abs() < 1e-8);
        assert_eq!(costs.cycles_per_us(1000), 133_334);
        // The u64 path and the u128 path agree, at the edge of the u64 product too.
        let edge = u64::MAX / costs.router_hz;
        for m in [edge - 1, edge, edge + 1, u64::MAX] {
            let wide = (u128::from(m) * u128::from(costs.router_hz))
                .div_ceil(1000 * u128::from(costs.cpu_hz)) as u64;
            assert_eq!(costs.router_cycles(m), wide, "{m}");
        }
    }

    #[test]
    fn a_dma_and_a_host_write_cost_their_setup_and_their_bytes() {
        let costs = CostTable::arm968();
        // 40 cycles of setup, then 5 bytes a cycle.
        assert_eq!(costs.dma_millicycles(0), 40_000);
        assert_eq!(costs.dma_millicycles(296), 40_000 + 59_200);
        // One SDP message (292 bytes on the wire) carries up to 256 bytes.
        assert!((costs.host_write_seconds(1) - 292.0 * 8.0 / 1e8).abs() < 1e-15);
        assert!((costs.host_write_seconds(257) - 2.0 * 292.0 * 8.0 / 1e8).abs() < 1e-15);
        assert_eq!(costs.host_write_seconds(0), 0.0);
    }

    #[test]
    fn the_router_clock_converts_as_the_cost_table_does() {
        let mut rng = spinn_model::rng::SplitMix64::new(3);
        let arm = CostTable::arm968();
        let odd = CostTable {
            cpu_hz: 123_456_789,
            router_hz: 987_654_321,
            ..CostTable::arm968()
        };
        let exact = CostTable {
            cpu_hz: 1 << 20,
            router_hz: 1 << 10,
            ..CostTable::arm968()
        };
        for costs in [arm, odd, exact] {
            let clock = RouterClock::new(&costs);
            let den = costs.cpu_hz * 1000;
            let edge = u64::MAX / costs.router_hz;
            let special = [0, 1, 999, 1000, 1001, den - 1, den, den + 1, edge - 1, edge];
            let multiples = (1..2000).flat_map(|k| {
                // Around each multiple of the divisor, where rounding changes.
                let m = (k * den).div_ceil(costs.router_hz);
                [m - 1, m, m + 1]
            });
            let random = (0..20_000).map(|_| match rng.below(3) {
                0 => rng.below(1 << 24),
                1 => rng.below(edge),
                _ => rng.next_u64(),
            });
            for m in special.into_iter().chain(multiples).chain(random) {
                assert_eq!(clock.router_cycles(m), costs.router_cycles(m), "{m}");
            }
        }
    }

    #[test]
    fn fixed_point_mac_is_far_cheaper_than_soft_float() {
        let costs = CostTable::arm968();
        let ratio =
            costs.millicycles(Op::FloatMac) as f64 / costs.millicycles(Op::Fixed16Mac) as f64;
        assert!((35.0..36.0).contains(&ratio), "{ratio}");
    }
}
