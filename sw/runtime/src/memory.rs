//! Memory budgets: 64 KB of DTCM per core and 123,469,792 usable bytes of SDRAM per chip
//! (`spec/hardware.md` §6). Applications declare what they allocate; an allocation beyond a
//! budget fails with an error naming the vertex, the region and the sizes. (Rust's own heap is
//! not intercepted: the budget is what the code on a real core would have to fit in.)

use std::fmt;
use thiserror::Error;

pub use spinn_arch::{DTCM_BYTES, SDRAM_BYTES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Dtcm,
    Sdram,
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Region::Dtcm => "DTCM",
            Region::Sdram => "SDRAM",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "vertex {vertex}: {region} allocation of {requested} bytes for {what} does not fit \
     ({used} of {capacity} bytes already in use)"
)]
pub struct MemoryError {
    pub vertex: String,
    pub region: Region,
    pub what: String,
    pub requested: u64,
    pub used: u64,
    pub capacity: u64,
}

/// One budget: bytes in use against a capacity, with the peak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub used: u64,
    pub capacity: u64,
}

impl Budget {
    pub fn new(capacity: u64) -> Budget {
        Budget { used: 0, capacity }
    }

    pub(crate) fn alloc(
        &mut self,
        vertex: &str,
        region: Region,
        what: &str,
        bytes: u64,
    ) -> Result<(), MemoryError> {
        if self.used.saturating_add(bytes) > self.capacity {
            return Err(MemoryError {
                vertex: vertex.to_string(),
                region,
                what: what.to_string(),
                requested: bytes,
                used: self.used,
                capacity: self.capacity,
            });
        }
        self.used += bytes;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_beyond_the_budget_names_vertex_region_and_sizes() {
        let mut dtcm = Budget::new(DTCM_BYTES.into());
        dtcm.alloc("layer1/block(0,0)", Region::Dtcm, "weights", 60_000)
            .expect("fits");
        let err = dtcm
            .alloc("layer1/block(0,0)", Region::Dtcm, "activations", 8_000)
            .expect_err("over budget");
        assert_eq!(
            err.to_string(),
            "vertex layer1/block(0,0): DTCM allocation of 8000 bytes for activations does not \
             fit (60000 of 65536 bytes already in use)"
        );
        assert_eq!(dtcm.used, 60_000, "a failed allocation takes nothing");
    }
}
