use rust_hdl::prelude::*;
use spinn_rtl::*;
fn main() {
    let mut r = MulticastRouter::<16, 64>::new(RouterParams::CLOCKWISE);
    r.connect_all();
    check_all(&r).unwrap();
    let v = generate_verilog(&r);
    std::fs::write("/tmp/r16.v", &v).unwrap();
    yosys_validate("r16", &v).unwrap();
    let mut b = BankedMulticastRouter::<4, 4, 64>::new(RouterParams::CLOCKWISE);
    b.connect_all();
    check_all(&b).unwrap();
    let v = generate_verilog(&b);
    std::fs::write("/tmp/b64.v", &v).unwrap();
    yosys_validate("b64", &v).unwrap();
    println!("ok");
}
