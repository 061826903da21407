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
    map_chunks_with(n_items, chunk_len, || (), |(), range| f(range)).0
}

/// [`map_chunks`] where each thread makes working memory with `init` once and hands it to
/// `f` for every chunk it computes, so large scratch arrays are not made (and zeroed by the
/// system) per chunk. `f` must not let results depend on what earlier chunks left in it.
///
/// Also returns each thread's working memory at the end, in no particular order: only what
/// does not depend on which thread computed which chunk (such as sums) may be read from it.
pub(crate) fn map_chunks_with<S: Send, R: Send>(
    n_items: usize,
    chunk_len: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, Range<usize>) -> R + Sync,
) -> (Vec<R>, Vec<S>) {
    let chunk_len = chunk_len.max(1);
    let n_chunks = n_items.div_ceil(chunk_len);
    let range = |i: usize| i * chunk_len..((i + 1) * chunk_len).min(n_items);
    let n_threads = n_threads().min(n_chunks);
    if n_threads <= 1 {
        let mut scratch = init();
        let results = (0..n_chunks).map(|i| f(&mut scratch, range(i))).collect();
        return (results, vec![scratch]);
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..n_chunks).map(|_| None).collect());
    let scratches = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..n_threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut scratch = init();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n_chunks {
                            break;
                        }
                        let r = f(&mut scratch, range(i));
                        results
                            .lock()
                            .expect("invariant: no thread panics holding the lock")[i] = Some(r);
                    }
                    scratch
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("invariant: workers do not panic"))
            .collect()
    });
    let results = results
        .into_inner()
        .expect("invariant: no thread panicked holding the lock")
        .into_iter()
        .map(|r| r.expect("invariant: every chunk was computed"))
        .collect();
    (results, scratches)
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
        // Scratch carried from chunk to chunk leaves the results in chunk order.
        let (got, seen) = map_chunks_with(7, 2, Vec::new, |seen: &mut Vec<usize>, r| {
            seen.extend(r.clone());
            r.len()
        });
        assert_eq!(got, vec![2, 2, 2, 1]);
        let mut seen: Vec<usize> = seen.into_iter().flatten().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
    }
}
