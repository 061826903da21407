//! `WaitLimit`: a wait phase's length in cycles from its 8-bit setting (`spinn_arch::WaitTime`,
//! `spec/hardware.md` §3.2): `((M + 16) << E) − (E <= 4 ? 16 : 0)` for mantissa `M` (bits 3:0)
//! and exponent `E` (bits 7:4). The setting 0xFF, which never expires, is the caller's to test.
//!
//! Ports (combinational): `setting` (in) → `limit` (out, 20 bits; the largest is
//! `(15 + 16) << 15`).

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct WaitLimit {
    pub setting: Signal<In, Bits<8>>,
    pub limit: Signal<Out, Bits<20>>,
    sixteen: Constant<Bits<20>>,
    four: Constant<Bits<20>>,
    mantissa: Signal<Local, Bits<20>>,
    exponent: Signal<Local, Bits<20>>,
}

impl Default for WaitLimit {
    fn default() -> Self {
        Self {
            setting: Default::default(),
            limit: Default::default(),
            sixteen: Constant::new(16.into()),
            four: Constant::new(4.into()),
            mantissa: Default::default(),
            exponent: Default::default(),
        }
    }
}

impl Logic for WaitLimit {
    #[hdl_gen]
    fn update(&mut self) {
        self.mantissa.next =
            bit_cast::<20, 4>(self.setting.val().get_bits::<4>(0)) + self.sixteen.val();
        self.exponent.next = bit_cast::<20, 4>(self.setting.val().get_bits::<4>(4));
        self.limit.next = self.mantissa.val() << self.exponent.val();
        if self.exponent.val() <= self.four.val() {
            self.limit.next = (self.mantissa.val() << self.exponent.val()) - self.sixteen.val();
        }
    }
}
