//! Work split over the machine's cores with results in a fixed order, so a parallel stage
//! gives exactly what the same stage run on one thread gives.
//!
//! Items are cut into fixed chunks that threads take in turn; each chunk's result is stored
//! at the chunk's position, so thread timing decides only who computes a chunk, never where
//! its result goes.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The number of threads a stage uses: the cores the machine offers.
pub(crate) fn n_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// `f` applied to consecutive ranges of `0..n_items`, each at most `chunk_len` long, in range
/// order, computed by up to [`n_threads`] threads.
pub(crate) fn map_chunks<R: Send>(
    n_items: usize,
    chunk_len: usize,
    f: impl Fn(Range<usize>) -> R + Sync,
) -> Vec<R> {
    let chunk_len = chunk_len.max(1);
    let n_chunks = n_items.div_ceil(chunk_len);
    let range = |i: usize| i * chunk_len..((i + 1) * chunk_len).min(n_items);
    let n_threads = n_threads().min(n_chunks);
    if n_threads <= 1 {
        return (0..n_chunks).map(|i| f(range(i))).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..n_chunks).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..n_threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n_chunks {
                    break;
                }
                let r = f(range(i));
                results
                    .lock()
                    .expect("invariant: no thread panics holding the lock")[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .expect("invariant: no thread panicked holding the lock")
        .into_iter()
        .map(|r| r.expect("invariant: every chunk was computed"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_back_in_order_and_cover_every_item() {
        let got = map_chunks(10, 3, |r| r.collect::<Vec<_>>());
        assert_eq!(
            got,
            vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8], vec![9]]
        );
        assert!(map_chunks(0, 3, |r| r.len()).is_empty());
    }
}
