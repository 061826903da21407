use spinn_arch::*;
use spinn_rtl::*;
fn main() {
    let mut r = RtlRouter::new(MulticastRouter::<16, 64>::new(RouterParams::CLOCKWISE));
    r.reset();
    r.write_entry(0, McEntry::new(0x100, 0xff00, RouteSet::link(LinkDir::E).with(OutputPort::Core(CoreId::new(3).unwrap()))).unwrap());
    let mut inp = RouterInputs::idle();
    inp.link_in_valid[3] = true;
    inp.link_in_packet[3] = Packet::mc(0x1a5).to_bus();
    let o = r.cycle(&inp);
    println!("c0 ready={:?}", o.link_in_ready);
    for i in 0..4 {
        let o = r.cycle(&RouterInputs::idle());
        println!("c{} lv={:?} cv3={} lp0={:x} cp={:x} counts={:?}", i+1, o.link_out_valid, o.core_out_valid[3], o.link_out_packet[0], o.core_out_packet, o.count);
    }
    // unmatched from link 1 -> default link 4
    inp.link_in_valid[3] = false; inp.link_in_valid[1] = true; inp.link_in_packet[1] = Packet::mc(0x5).to_bus();
    r.cycle(&inp);
    for i in 0..3 { let o = r.cycle(&RouterInputs::idle()); println!("d{} lv={:?} counts={:?}", i, o.link_out_valid, o.count); }
    let t = std::time::Instant::now();
    for _ in 0..20000 { r.cycle(&inp); }
    println!("{:.0} cycles/s", 20000.0 / t.elapsed().as_secs_f64());
}
