//! Ternary key patterns: a set of keys written as a value and a care mask, as routing entries
//! write them, and the set operations the minimiser and the checker need on them.
//!
//! Working on patterns instead of single keys is what lets the checker follow a whole key block
//! through the tables at once, splitting it only where an entry covers part of it
//! (`spec/mapping.md` §7.2, PACMAN's symbolic `compare_tables`).

/// The keys `k` with `k & care == value`; `value` has no bits outside `care`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pattern {
    pub value: u32,
    pub care: u32,
}

impl Pattern {
    /// The pattern of a (key, mask) entry.
    pub fn new(value: u32, care: u32) -> Pattern {
        debug_assert_eq!(value & !care, 0, "value bits outside the care mask");
        Pattern { value, care }
    }

    /// Whether some key is in both patterns: they agree wherever both care.
    pub fn intersects(self, other: Pattern) -> bool {
        (self.value ^ other.value) & self.care & other.care == 0
    }

    /// Whether every key of `self` is in `other`.
    pub fn is_subset_of(self, other: Pattern) -> bool {
        other.care & !self.care == 0 && (self.value ^ other.value) & other.care == 0
    }

    /// The keys in both patterns, if any.
    pub fn intersection(self, other: Pattern) -> Option<Pattern> {
        self.intersects(other).then_some(Pattern {
            value: self.value | other.value,
            care: self.care | other.care,
        })
    }

    /// The number of keys in the pattern.
    pub fn n_keys(self) -> u64 {
        1 << (!self.care).count_ones()
    }

    /// The lowest key in the pattern.
    pub fn lowest_key(self) -> u32 {
        self.value
    }

    /// `self` minus `other`, as disjoint patterns (at most one per bit `other` cares about and
    /// `self` does not).
    ///
    /// Each piece fixes, in turn, one more of those bits to `other`'s value and the next one to
    /// its opposite, so the pieces are disjoint and together cover exactly `self \ other`.
    pub fn subtract(self, other: Pattern, out: &mut Vec<Pattern>) {
        if !self.intersects(other) {
            out.push(self);
            return;
        }
        let mut agreed = self;
        let mut free = other.care & !self.care;
        while free != 0 {
            let bit = 1 << free.trailing_zeros();
            free &= !bit;
            out.push(Pattern {
                value: agreed.value | (!other.value & bit),
                care: agreed.care | bit,
            });
            agreed.value |= other.value & bit;
            agreed.care |= bit;
        }
    }

    /// Aligned patterns that together are exactly the keys `base..base + n_keys` (at most 64).
    pub fn cover_range(base: u32, n_keys: u32) -> Vec<Pattern> {
        let mut pieces = Vec::new();
        let mut at = u64::from(base);
        let end = u64::from(base) + u64::from(n_keys);
        while at < end {
            // The largest aligned block starting at `at` that does not run past `end`.
            let align = if at == 0 {
                1 << 32
            } else {
                1u64 << at.trailing_zeros()
            };
            let mut size = align;
            while at + size > end {
                size >>= 1;
            }
            pieces.push(Pattern {
                value: at as u32,
                care: !((size - 1) as u32),
            });
            at += size;
        }
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(p: Pattern) -> Vec<u32> {
        (0..=0xffu32).filter(|k| k & p.care == p.value).collect()
    }

    #[test]
    fn intersection_and_subset_follow_the_key_sets() {
        let a = Pattern::new(0x10, 0xf0);
        let b = Pattern::new(0x12, 0xff);
        let c = Pattern::new(0x20, 0xf0);
        assert!(a.intersects(b) && b.is_subset_of(a) && !a.is_subset_of(b));
        assert!(!a.intersects(c));
        assert_eq!(a.intersection(b), Some(b));
        assert_eq!(a.intersection(c), None);
        assert_eq!(Pattern::new(0, 0).n_keys(), 1 << 32);
    }

    #[test]
    fn subtraction_leaves_disjoint_pieces_covering_the_difference() {
        let whole = Pattern::new(0x00, 0xf0);
        let hole = Pattern::new(0x05, 0xff);
        let mut pieces = Vec::new();
        whole.subtract(hole, &mut pieces);
        assert_eq!(pieces.len(), 4);
        let mut got: Vec<u32> = pieces.iter().flat_map(|&p| keys(p)).collect();
        got.sort_unstable();
        let want: Vec<u32> = (0..16).filter(|&k| k != 5).collect();
        assert_eq!(got, want, "pieces are disjoint and cover all but key 5");

        let mut apart = Vec::new();
        whole.subtract(Pattern::new(0x20, 0xf0), &mut apart);
        assert_eq!(apart, vec![whole]);
        let mut none = Vec::new();
        hole.subtract(whole, &mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn ranges_become_aligned_blocks() {
        assert_eq!(
            Pattern::cover_range(512, 300),
            vec![
                Pattern::new(512, !255),
                Pattern::new(768, !31),
                Pattern::new(800, !7),
                Pattern::new(808, !3)
            ]
        );
        assert_eq!(
            Pattern::cover_range(0, 1 << 31),
            vec![Pattern::new(0, 1 << 31)]
        );
        assert_eq!(
            Pattern::cover_range(3, 2),
            vec![Pattern::new(3, !0), Pattern::new(4, !0)]
        );
        let whole: u64 = Pattern::cover_range(1 << 31, 1 << 31)
            .iter()
            .map(|p| p.n_keys())
            .sum();
        assert_eq!(whole, 1 << 31);
    }
}
