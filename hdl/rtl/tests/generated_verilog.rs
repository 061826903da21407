//! The Verilog of the default router (16 entries, register table) is committed in
//! `hdl/rtl/verilog/`, so reviewers see RTL changes as Verilog diffs. This test fails while the
//! file is stale; `UPDATE_EXPECT=1 cargo test` rewrites it.

use spinn_rtl::config::{self, RouterConfig};
use std::path::Path;

#[test]
fn committed_verilog_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("verilog/spinn_router_16.v");
    let fresh = config::verilog(&RouterConfig::register(16)).expect("a built size");
    if std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("writing the Verilog");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run `UPDATE_EXPECT=1 cargo test -p spinn-rtl --test generated_verilog` and commit it",
        path.display()
    );
}
