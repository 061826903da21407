//! `CalendarQueue`: items due at given cycles, taken earliest cycle first and, within a cycle,
//! in the order they were pushed: the order of a binary heap keyed by (cycle, push sequence),
//! at constant cost per push and pop when the cycles are near.
//!
//! A ring of `N_BUCKETS` buckets holds the items due in the `N_BUCKETS` cycles from `base` on,
//! one bucket per cycle, each a first-in first-out list; a two-level bit map finds the first
//! non-empty bucket. Items due later wait in a heap (`far`) and move into their bucket, in
//! heap order, when `base` comes close enough; since an item can only be pushed straight into
//! a bucket once that bucket's cycle is within the ring, the moved items are older than any
//! pushed there directly, and each bucket stays in push order. `base` only moves forward (to
//! the cycle of the item taken); an item pushed for a cycle before it (which a discrete-event
//! simulation does not do, but the queue does not rely on that) waits in a heap of its own
//! (`late`) that is taken from first.
//!
//! The simulators push most items for the cycle being run or a few hundred cycles on, where a
//! binary heap of a few dozen entries paid for a sift on every push and pop.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

const BUCKET_BITS: u32 = 12;
/// Cycles the ring covers.
const N_BUCKETS: usize = 1 << BUCKET_BITS;
/// Words of the bucket-occupancy bit map (one summary word has a bit per word).
const N_WORDS: usize = N_BUCKETS / 64;
/// No node: the end of a list.
const NIL: u32 = u32::MAX;

const _: () = assert!(
    N_WORDS <= 64,
    "invariant: one summary word covers the bit map"
);

/// An item in a bucket's list, or on the free list.
#[derive(Debug, Clone, Copy)]
struct Node<T> {
    item: T,
    next: u32,
}

/// A bucket: its list's first and last nodes.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    head: u32,
    tail: u32,
}

/// An item outside the ring, ordered by (cycle, push sequence).
#[derive(Debug, Clone, Copy)]
struct Timed<T> {
    time: u64,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Timed<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl<T> Eq for Timed<T> {}

impl<T> PartialOrd for Timed<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Timed<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.seq).cmp(&(other.time, other.seq))
    }
}

/// Items of type `T` due at cycles (see the module documentation).
#[derive(Debug, Clone)]
pub struct CalendarQueue<T> {
    /// Every item in the ring is due in `base..base + N_BUCKETS`; bucket `t % N_BUCKETS` holds
    /// those due at `t`. Items in `far` are due at `base + N_BUCKETS` or later, items in `late`
    /// before `base`, so an item's cycle says where it is.
    base: u64,
    /// The cycle of the next item (`u64::MAX` when empty): the simulators ask for it far more
    /// often than they take an item.
    next: u64,
    buckets: Vec<Bucket>,
    nodes: Vec<Node<T>>,
    /// The first free node (`NIL`: none).
    free: u32,
    /// Bit `b % 64` of word `b / 64`: bucket `b` is not empty.
    occupied: [u64; N_WORDS],
    /// Bit `w`: word `w` of `occupied` is not zero.
    summary: u64,
    far: BinaryHeap<Reverse<Timed<T>>>,
    late: BinaryHeap<Reverse<Timed<T>>>,
    /// Pushes so far: the order of items outside the ring.
    seq: u64,
    len: usize,
}

impl<T: Copy> Default for CalendarQueue<T> {
    fn default() -> Self {
        CalendarQueue::new()
    }
}

impl<T: Copy> CalendarQueue<T> {
    pub fn new() -> CalendarQueue<T> {
        CalendarQueue {
            base: 0,
            next: u64::MAX,
            buckets: vec![
                Bucket {
                    head: NIL,
                    tail: NIL
                };
                N_BUCKETS
            ],
            nodes: Vec::new(),
            free: NIL,
            occupied: [0; N_WORDS],
            summary: 0,
            far: BinaryHeap::new(),
            late: BinaryHeap::new(),
            seq: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `item` for cycle `time`, after everything queued for that cycle before.
    #[inline]
    pub fn push(&mut self, time: u64, item: T) {
        self.len += 1;
        self.seq += 1;
        self.next = self.next.min(time);
        if time < self.base {
            self.late.push(Reverse(Timed {
                time,
                seq: self.seq,
                item,
            }));
        } else if time - self.base < N_BUCKETS as u64 {
            self.append((time % N_BUCKETS as u64) as usize, item);
        } else {
            self.far.push(Reverse(Timed {
                time,
                seq: self.seq,
                item,
            }));
        }
    }

    /// The cycle of the next item, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<u64> {
        (self.len > 0).then_some(self.next)
    }

    /// The next item and its cycle, if any.
    #[inline]
    pub fn peek(&self) -> Option<(u64, T)> {
        if self.len == 0 {
            return None;
        }
        let time = self.next;
        let item = if time < self.base {
            self.late
                .peek()
                .expect("invariant: the next item is late")
                .0
                .item
        } else if time - self.base < N_BUCKETS as u64 {
            let b = (time % N_BUCKETS as u64) as usize;
            self.nodes[self.buckets[b].head as usize].item
        } else {
            self.far
                .peek()
                .expect("invariant: the next item is far")
                .0
                .item
        };
        Some((time, item))
    }

    /// Takes the next item and its cycle, if any.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, T)> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        let time = self.next;
        let item = if time < self.base {
            let Reverse(t) = self.late.pop().expect("invariant: the next item is late");
            t.item
        } else {
            if time != self.base {
                // Nothing in the ring is due before `time`: the ring moves on (taking in the
                // far items it now reaches, which includes this one if it was far).
                self.advance(time);
            }
            self.take_head((time % N_BUCKETS as u64) as usize)
        };
        self.next = self.earliest();
        Some((time, item))
    }

    /// The cycle of the next item, worked out (`u64::MAX` when empty).
    #[inline]
    fn earliest(&self) -> u64 {
        if let Some(Reverse(t)) = self.late.peek() {
            return t.time;
        }
        match self.first_bucket() {
            Some(b) => {
                let offset = (b as u64).wrapping_sub(self.base) % N_BUCKETS as u64;
                self.base + offset
            }
            None => self.far.peek().map_or(u64::MAX, |Reverse(t)| t.time),
        }
    }

    /// The non-empty bucket due first: the first in ring order from `base`'s.
    #[inline]
    fn first_bucket(&self) -> Option<usize> {
        if self.summary == 0 {
            return None;
        }
        let start = (self.base % N_BUCKETS as u64) as usize;
        let (word, bit) = (start / 64, start % 64);
        let here = self.occupied[word] & (u64::MAX << bit);
        if here != 0 {
            return Some(word * 64 + here.trailing_zeros() as usize);
        }
        // The words after `word`, then (wrapping round) the words before it, then the part of
        // `word` before `start`.
        let after = self.summary & (u64::MAX << word << 1);
        let before = self.summary & !(u64::MAX << word);
        if let Some(words) = [after, before].into_iter().find(|&w| w != 0) {
            let w = words.trailing_zeros() as usize;
            return Some(w * 64 + self.occupied[w].trailing_zeros() as usize);
        }
        let rest = self.occupied[word] & !(u64::MAX << bit);
        debug_assert!(rest != 0, "invariant: the summary says a word is not empty");
        Some(word * 64 + rest.trailing_zeros() as usize)
    }

    /// Moves `base` on to `time` (no item in the ring is due before it) and the far items that
    /// are now within the ring into their buckets.
    #[inline]
    fn advance(&mut self, time: u64) {
        debug_assert!(time >= self.base, "invariant: the ring only moves forward");
        self.base = time;
        while let Some(Reverse(next)) = self.far.peek() {
            if next.time - self.base >= N_BUCKETS as u64 {
                break;
            }
            let Reverse(next) = self.far.pop().expect("invariant: just peeked");
            self.append((next.time % N_BUCKETS as u64) as usize, next.item);
        }
    }

    #[inline]
    fn append(&mut self, b: usize, item: T) {
        let node = Node { item, next: NIL };
        let idx = if self.free == NIL {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        } else {
            let idx = self.free;
            self.free = self.nodes[idx as usize].next;
            self.nodes[idx as usize] = node;
            idx
        };
        let bucket = &mut self.buckets[b];
        if bucket.tail == NIL {
            bucket.head = idx;
            self.occupied[b / 64] |= 1 << (b % 64);
            self.summary |= 1 << (b / 64);
        } else {
            self.nodes[bucket.tail as usize].next = idx;
        }
        bucket.tail = idx;
    }

    /// Takes the first item of non-empty bucket `b`.
    #[inline]
    fn take_head(&mut self, b: usize) -> T {
        let bucket = &mut self.buckets[b];
        let idx = bucket.head;
        let node = self.nodes[idx as usize];
        bucket.head = node.next;
        if node.next == NIL {
            bucket.tail = NIL;
            self.occupied[b / 64] &= !(1 << (b % 64));
            if self.occupied[b / 64] == 0 {
                self.summary &= !(1 << (b / 64));
            }
        }
        self.nodes[idx as usize].next = self.free;
        self.free = idx;
        node.item
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Pops everything, checking the order against a binary heap of (cycle, sequence) given the
    /// same pushes, with pushes interleaved as a simulation does them (at or after the cycle
    /// just taken, mostly near it, sometimes far beyond the ring, now and then before it).
    fn check_against_heap(seed: u64, n: usize) {
        let mut rng = SplitMix64::new(seed);
        let mut queue = CalendarQueue::new();
        let mut heap = BinaryHeap::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        let mut push = |queue: &mut CalendarQueue<u64>, heap: &mut BinaryHeap<_>, t: u64| {
            seq += 1;
            queue.push(t, seq);
            heap.push(Reverse((t, seq)));
        };
        for _ in 0..n {
            let pushes = rng.below(4);
            for _ in 0..pushes {
                let t = match rng.below(20) {
                    0 => now + N_BUCKETS as u64 + rng.below(3 * N_BUCKETS as u64),
                    1 => now.saturating_sub(rng.below(50)),
                    2..=7 => now,
                    _ => now + rng.below(600),
                };
                push(&mut queue, &mut heap, t);
            }
            assert_eq!(queue.len(), heap.len(), "seed {seed}");
            assert_eq!(
                queue.peek(),
                heap.peek().map(|&Reverse((t, s))| (t, s)),
                "seed {seed}"
            );
            assert_eq!(queue.peek_time(), heap.peek().map(|Reverse((t, _))| *t));
            if rng.below(3) > 0 {
                let got = queue.pop();
                let want = heap.pop().map(|Reverse(x)| x);
                assert_eq!(got, want, "seed {seed}");
                if let Some((t, _)) = got {
                    now = now.max(t);
                }
            }
        }
        while let Some(Reverse(want)) = heap.pop() {
            assert_eq!(queue.pop(), Some(want), "seed {seed}");
        }
        assert!(queue.is_empty() && queue.pop().is_none() && queue.peek().is_none());
    }

    #[test]
    fn pops_in_the_order_of_a_heap_keyed_by_cycle_and_sequence() {
        for seed in 0..40 {
            check_against_heap(seed, 5_000);
        }
    }

    #[test]
    fn an_item_far_beyond_the_ring_comes_after_nearer_ones_and_keeps_its_order() {
        let mut queue = CalendarQueue::new();
        let far = 10 * N_BUCKETS as u64;
        queue.push(far, 'a');
        queue.push(5, 'b');
        queue.push(far, 'c');
        assert_eq!(queue.pop(), Some((5, 'b')));
        // Now within reach of the ring, but the far items must still come first at `far`.
        assert_eq!(queue.peek(), Some((far, 'a')));
        assert_eq!(queue.pop(), Some((far, 'a')));
        queue.push(far, 'd');
        queue.push(far - 1, 'e');
        assert_eq!(queue.pop(), Some((far - 1, 'e')));
        assert_eq!(queue.pop(), Some((far, 'c')));
        assert_eq!(queue.pop(), Some((far, 'd')));
        assert_eq!(queue.pop(), None);
    }
}
