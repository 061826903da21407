//! VCD waveforms from the fast model, with the signal names of the RTL fabric's VCD
//! (`uut.chip_<i>.<port>` and `uut.link_<j>.<port>`), for the chips and links chosen, within a
//! window of cycles, so the two engines can be laid side by side in a waveform viewer.
//!
//! Timing: values written at time `10·t` are those of cycle `t` as its rising edge (at
//! `10·t + 5`) sees them. In the RTL's VCD registered signals (valids, packets, counters, dump
//! registers) hold those same values over `[10·t, 10·t + 5)`; handshake readies, which depend
//! on the cycle's inputs, appear there half a cycle later.

use std::io::Write;
use std::ops::Range;
use vcd::{IdCode, TimescaleUnit, Value};

/// The signals traced for one chip.
pub(crate) struct ChipSignals {
    pub chip: u32,
    pub link_in_valid: [IdCode; 6],
    pub link_in_ready: [IdCode; 6],
    pub link_out_valid: [IdCode; 6],
    pub link_out_ready: [IdCode; 6],
    pub link_out_packet: [IdCode; 6],
    pub core_in_valid: [IdCode; 18],
    pub core_in_ready: [IdCode; 18],
    pub core_out_valid: [IdCode; 18],
    pub core_out_packet: IdCode,
    pub output_stage_empty: IdCode,
    pub dump_status: IdCode,
    pub count: [IdCode; 12],
}

/// The signals traced for one link.
pub(crate) struct LinkSignals {
    pub link: u32,
    pub in_ready: IdCode,
    pub out_valid: IdCode,
    pub out_packet: IdCode,
}

/// An open VCD being written.
pub struct Tracer {
    writer: vcd::Writer<Box<dyn Write>>,
    pub(crate) window: Range<u64>,
    pub(crate) chips: Vec<ChipSignals>,
    pub(crate) links: Vec<LinkSignals>,
    /// Last value written per signal, so only changes are written.
    last: std::collections::BTreeMap<IdCode, u128>,
    time: Option<u64>,
}

fn wire(w: &mut vcd::Writer<Box<dyn Write>>, name: &str, width: u32) -> std::io::Result<IdCode> {
    w.add_wire(width, name)
}

impl Tracer {
    /// Writes the header for `chips` (fabric chip indices) and `links` (fabric link indices).
    pub(crate) fn new(
        writer: Box<dyn Write>,
        chips: &[u32],
        links: &[u32],
        window: Range<u64>,
    ) -> std::io::Result<Tracer> {
        let mut w = vcd::Writer::new(writer);
        w.timescale(1, TimescaleUnit::NS)?;
        w.add_module("uut")?;
        let mut chip_signals = Vec::new();
        for &chip in chips {
            w.add_module(&format!("chip_{chip}"))?;
            let mut arr6 = |name: &str, width| -> std::io::Result<[IdCode; 6]> {
                let ids: Vec<IdCode> = (0..6)
                    .map(|l| wire(&mut w, &format!("{name}${l}"), width))
                    .collect::<Result<_, _>>()?;
                Ok(ids.try_into().expect("invariant: six links"))
            };
            let link_in_valid = arr6("link_in_valid", 1)?;
            let link_in_ready = arr6("link_in_ready", 1)?;
            let link_out_valid = arr6("link_out_valid", 1)?;
            let link_out_ready = arr6("link_out_ready", 1)?;
            let link_out_packet = arr6("link_out_packet", 72)?;
            let mut arr18 = |name: &str| -> std::io::Result<[IdCode; 18]> {
                let ids: Vec<IdCode> = (0..18)
                    .map(|c| wire(&mut w, &format!("{name}${c}"), 1))
                    .collect::<Result<_, _>>()?;
                Ok(ids.try_into().expect("invariant: eighteen cores"))
            };
            let core_in_valid = arr18("core_in_valid")?;
            let core_in_ready = arr18("core_in_ready")?;
            let core_out_valid = arr18("core_out_valid")?;
            let core_out_packet = wire(&mut w, "core_out_packet", 72)?;
            let output_stage_empty = wire(&mut w, "output_stage_empty", 1)?;
            let dump_status = wire(&mut w, "dump_status", 32)?;
            let count: Vec<IdCode> = (0..12)
                .map(|k| wire(&mut w, &format!("count${k}"), 32))
                .collect::<Result<_, _>>()?;
            chip_signals.push(ChipSignals {
                chip,
                link_in_valid,
                link_in_ready,
                link_out_valid,
                link_out_ready,
                link_out_packet,
                core_in_valid,
                core_in_ready,
                core_out_valid,
                core_out_packet,
                output_stage_empty,
                dump_status,
                count: count.try_into().expect("invariant: twelve counters"),
            });
            w.upscope()?;
        }
        let mut link_signals = Vec::new();
        for &link in links {
            w.add_module(&format!("link_{link}"))?;
            let in_ready = wire(&mut w, "in_ready", 1)?;
            let out_valid = wire(&mut w, "out_valid", 1)?;
            let out_packet = wire(&mut w, "out_packet", 72)?;
            link_signals.push(LinkSignals {
                link,
                in_ready,
                out_valid,
                out_packet,
            });
            w.upscope()?;
        }
        w.upscope()?;
        w.enddefinitions()?;
        Ok(Tracer {
            writer: w,
            window,
            chips: chip_signals,
            links: link_signals,
            last: Default::default(),
            time: None,
        })
    }

    /// Writes `value` (of `width` bits) for `id` at cycle `cycle`, if it changed.
    pub(crate) fn change(
        &mut self,
        cycle: u64,
        id: IdCode,
        width: u32,
        value: u128,
    ) -> std::io::Result<()> {
        if self.last.insert(id, value) == Some(value) {
            return Ok(());
        }
        if self.time != Some(cycle) {
            self.writer.timestamp(cycle * 10)?;
            self.time = Some(cycle);
        }
        if width == 1 {
            self.writer
                .change_scalar(id, if value & 1 == 1 { Value::V1 } else { Value::V0 })
        } else {
            let bits: Vec<Value> = (0..width)
                .rev()
                .map(|b| {
                    if value >> b & 1 == 1 {
                        Value::V1
                    } else {
                        Value::V0
                    }
                })
                .collect();
            self.writer.change_vector(id, bits)
        }
    }

    /// Closes the trace at `cycle`, or at the end of the window if that came first.
    pub(crate) fn finish(&mut self, cycle: u64) -> std::io::Result<()> {
        self.writer.timestamp(cycle.min(self.window.end) * 10)?;
        self.writer.flush()
    }
}
