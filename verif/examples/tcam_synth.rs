//! Synthesis figures of the standalone block-RAM TCAM table: Yosys `synth_ecp5` cells and
//! DP16KD blocks, then nextpnr-ecp5 on an ECP5-85 (speed 6, CABGA381, 133 MHz target) per seed,
//! with the table's ports registered at the pins (`tcam_fpga_wrapper`).
//! `cargo run --release -p spinn-verif --example tcam_synth -- [entries] [seeds]` (defaults
//! 1024 and `1,2,3`). Prints the figures; exits non-zero if a tool fails. Place and route of
//! 1024 entries takes minutes per seed, which is why this is not a test.

use spinn_rtl::tcam_drive::{tcam_fpga_wrapper, tcam_verilog, TCAM_FPGA_TOP_MODULE};
use spinn_verif::synth::{place_and_route, synthesize, Family};
use spinn_verif::tools::scratch_dir;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let entries: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1024);
    let seeds: Vec<u64> = args
        .get(2)
        .map(String::as_str)
        .unwrap_or("1,2,3")
        .split(',')
        .filter_map(|s| s.parse().ok())
        .collect();
    let dir = scratch_dir(&format!("tcam-synth{entries}")).expect("scratch dir");
    let path = dir.join("tcam_fpga.v");
    let verilog = tcam_verilog(entries).expect("a built size") + &tcam_fpga_wrapper();
    std::fs::write(&path, verilog).expect("write the Verilog");
    let json = dir.join("tcam_fpga.json");
    let synth = synthesize(&path, TCAM_FPGA_TOP_MODULE, Family::Ecp5, Some(&json))
        .unwrap_or_else(|e| panic!("yosys: {e}"));
    println!(
        "tcam{entries} synth_ecp5: {} LUT4, {} FF, {} DP16KD in {:.0} s; cells {:?}",
        synth.luts(),
        synth.flip_flops(),
        synth.block_rams(),
        synth.seconds,
        synth.cells
    );
    for seed in seeds {
        let pnr = place_and_route(&json, Family::Ecp5, seed)
            .unwrap_or_else(|e| panic!("nextpnr-ecp5 seed {seed}: {e}"));
        println!(
            "tcam{entries} seed {seed}: Fmax {:.1} MHz; {}/{} LUT bels, {}/{} DP16KD, in {:.0} s; critical path {:?}",
            pnr.fmax_mhz,
            pnr.logic_cells_used,
            pnr.logic_cells_total,
            pnr.block_rams_used,
            pnr.block_rams_total,
            pnr.seconds,
            pnr.critical_path
        );
    }
}
