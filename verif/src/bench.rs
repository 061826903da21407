//! Helpers the benchmarks share.

/// The process's peak resident memory in MB (`VmHWM`), or NaN where `/proc` does not tell.
pub fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// How a benchmark line marks a figure against its target: `met` when `value` is at most
/// `limit`, `NOT met` otherwise (capitals, so a miss stands out in a long line).
pub fn verdict(value: f64, limit: f64) -> &'static str {
    if value <= limit {
        "met"
    } else {
        "NOT met"
    }
}
