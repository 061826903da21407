//! Hexagonal-torus geometry for the router: shortest vectors, longest-dimension-first paths and
//! concentric rings (`spec/mapping.md` §2).
//!
//! All of this is pure geometry over the machine's box and wrap flags: it ignores dead links and
//! absent chips, which the routing-tree repair deals with afterwards (§5.1).

use spinn_arch::{ChipCoord, LinkDir, Machine};

/// The chip one `link` step from `chip` on the machine's grid, wrapping where the machine wraps,
/// or `None` off the edge of an axis that does not wrap; absent and dead chips count as present.
pub fn geometric_step(machine: &Machine, chip: ChipCoord, link: LinkDir) -> Option<ChipCoord> {
    machine.step(chip, link)
}

/// The candidate offsets along one axis: the direct one and, on a wrapping axis, the one going
/// round the other way (further turns never shorten the vector).
fn axis_offsets(from: u16, to: u16, size: u16, wraps: bool) -> [Option<i32>; 2] {
    let direct = i32::from(to) - i32::from(from);
    if wraps {
        let forward = direct.rem_euclid(i32::from(size));
        [Some(forward), Some(forward - i32::from(size))]
    } else {
        [Some(direct), None]
    }
}

/// Hops needed for the displacement (dx, dy): NE/SW steps cover both axes when they share a
/// sign.
pub fn vector_length(dx: i32, dy: i32) -> u32 {
    if (dx >= 0) == (dy >= 0) {
        dx.unsigned_abs().max(dy.unsigned_abs())
    } else {
        dx.unsigned_abs() + dy.unsigned_abs()
    }
}

/// A shortest displacement (dx, dy) from `from` to `to`, trying every wrap combination the
/// machine allows; ties go to the first candidate (unwrapped before wrapped, x before y), so the
/// choice is deterministic where Rig's is random.
pub fn shortest_vector(machine: &Machine, from: ChipCoord, to: ChipCoord) -> (i32, i32) {
    let dxs = axis_offsets(from.x, to.x, machine.width(), machine.wrap().horizontal);
    let dys = axis_offsets(from.y, to.y, machine.height(), machine.wrap().vertical);
    let mut best: Option<(u32, (i32, i32))> = None;
    for dx in dxs.into_iter().flatten() {
        for dy in dys.into_iter().flatten() {
            let length = vector_length(dx, dy);
            if best.is_none_or(|(l, _)| length < l) {
                best = Some((length, (dx, dy)));
            }
        }
    }
    best.expect("invariant: the direct offset is always a candidate")
        .1
}

/// The hops of a longest-dimension-first path from `from` along `(dx, dy)`: the vector is
/// minimised into (x, y, z) form (a +z step is SW), then each non-zero component is walked in
/// full, largest magnitude first (x, y, z order on ties).
///
/// Each hop is the link taken and the chip it lands on.
pub fn ldf_path(
    machine: &Machine,
    from: ChipCoord,
    vector: (i32, i32),
) -> Vec<(LinkDir, ChipCoord)> {
    let mut path = Vec::new();
    ldf_path_into(machine, from, vector, &mut path);
    path
}

/// [`ldf_path`] into `path` (cleared first), so the router reuses one buffer.
pub fn ldf_path_into(
    machine: &Machine,
    from: ChipCoord,
    (dx, dy): (i32, i32),
    path: &mut Vec<(LinkDir, ChipCoord)>,
) {
    path.clear();
    // Subtracting the median of (dx, dy, 0) leaves at most two non-zero components of opposite
    // sign, the shortest form of the vector.
    let mut sorted = [dx, dy, 0];
    sorted.sort_unstable();
    let median = sorted[1];
    let components = [
        (dx - median, LinkDir::E, LinkDir::W),
        (dy - median, LinkDir::N, LinkDir::S),
        (-median, LinkDir::SW, LinkDir::NE),
    ];
    let mut order = [0, 1, 2];
    order.sort_by_key(|&i| std::cmp::Reverse(components[i].0.unsigned_abs()));
    path.reserve(vector_length(dx, dy) as usize);
    let (width, height) = (i32::from(machine.width()), i32::from(machine.height()));
    let wrap = machine.wrap();
    let step_axis = |v: u16, d: i32, size: i32, wraps: bool| {
        // Along a shortest vector each coordinate moves monotonically between the two ends,
        // so a non-wrapping axis is never left.
        u16::try_from(axis_step(v, d, size, wraps))
            .ok()
            .filter(|&l| i32::from(l) < size)
            .expect("invariant: a shortest path stays inside the machine's box")
    };
    let mut at = from;
    for i in order {
        let (amount, positive, negative) = components[i];
        let link = if amount >= 0 { positive } else { negative };
        let (lx, ly) = link.delta();
        for _ in 0..amount.unsigned_abs() {
            at = ChipCoord::new(
                step_axis(at.x, lx, width, wrap.horizontal),
                step_axis(at.y, ly, height, wrap.vertical),
            );
            path.push((link, at));
        }
    }
}

/// The chips exactly `k` hops from `centre` on the infinite grid, walked round the hexagon and
/// wrapped or clipped to the machine's box; ring 0 is the centre itself.
pub fn ring(machine: &Machine, centre: ChipCoord, k: u32) -> Vec<ChipCoord> {
    if k == 0 {
        return vec![centre];
    }
    let k = k as i32;
    let mut out = Vec::with_capacity(6 * k as usize);
    // The ring's corners are k steps along each link; the side from corner `l` to the next runs
    // along the link two positions anticlockwise of `l`.
    let (ex, ey) = LinkDir::E.delta();
    let (mut x, mut y) = (i32::from(centre.x) + k * ex, i32::from(centre.y) + k * ey);
    for corner in LinkDir::ALL {
        let (sx, sy) = corner.rotate(2).delta();
        for _ in 0..k {
            if let Some(chip) = wrap_point(machine, x, y) {
                out.push(chip);
            }
            x += sx;
            y += sy;
        }
    }
    out
}

/// The chip at unwrapped grid point (x, y), wrapped where the machine wraps, or `None` if it
/// lies off a non-wrapping axis.
fn wrap_point(machine: &Machine, x: i32, y: i32) -> Option<ChipCoord> {
    let axis = |v: i32, size: u16, wraps: bool| {
        let size = i32::from(size);
        if wraps {
            u16::try_from(v.rem_euclid(size)).ok()
        } else if (0..size).contains(&v) {
            u16::try_from(v).ok()
        } else {
            None
        }
    };
    Some(ChipCoord::new(
        axis(x, machine.width(), machine.wrap().horizontal)?,
        axis(y, machine.height(), machine.wrap().vertical)?,
    ))
}

/// A coordinate `v` moved by `d` (at most one) along an axis of `size` chips, wrapping where
/// the axis wraps: a single add or subtract. The result may leave a non-wrapping axis.
pub(crate) fn axis_step(v: u16, d: i32, size: i32, wraps: bool) -> i32 {
    let moved = i32::from(v) + d;
    if !wraps || (0..size).contains(&moved) {
        moved
    } else if moved < 0 {
        moved + size
    } else {
        moved - size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spinn_arch::Wrap;

    fn c(x: u16, y: u16) -> ChipCoord {
        ChipCoord::new(x, y)
    }

    #[test]
    fn shortest_vectors_have_the_hop_distance_on_tori_and_meshes() {
        for machine in [
            Machine::torus(7, 5, Wrap::BOTH).unwrap(),
            Machine::torus(4, 6, Wrap::HORIZONTAL).unwrap(),
            Machine::torus(5, 5, Wrap::NONE).unwrap(),
            Machine::torus(2, 9, Wrap::BOTH).unwrap(),
        ] {
            for a in machine.chips() {
                for b in machine.chips() {
                    let v = shortest_vector(&machine, a, b);
                    assert_eq!(
                        vector_length(v.0, v.1),
                        machine.hop_distance(a, b),
                        "{a} to {b}"
                    );
                    let path = ldf_path(&machine, a, v);
                    assert_eq!(path.len() as u32, machine.hop_distance(a, b));
                    assert_eq!(path.last().map_or(a, |h| h.1), b, "{a} to {b} ends at {b}");
                    // Every hop is a real link of the machine.
                    let mut at = a;
                    for &(link, next) in &path {
                        assert_eq!(machine.neighbour(at, link), Some(next));
                        at = next;
                    }
                }
            }
        }
    }

    #[test]
    fn ldf_walks_the_longest_dimension_first() {
        let machine = Machine::torus(10, 10, Wrap::NONE).unwrap();
        // (5, 3) minimises to x = 2 (E), z = -3 (NE): three NE hops, then two E hops.
        let path = ldf_path(&machine, c(0, 0), (5, 3));
        let links: Vec<LinkDir> = path.iter().map(|h| h.0).collect();
        use LinkDir::*;
        assert_eq!(links, vec![NE, NE, NE, E, E]);
        // (4, -1) has opposite signs: four E, then one S.
        let links: Vec<LinkDir> = ldf_path(&machine, c(0, 5), (4, -1))
            .iter()
            .map(|h| h.0)
            .collect();
        assert_eq!(links, vec![E, E, E, E, S]);
    }

    #[test]
    fn wrapped_vectors_go_round_the_short_way() {
        let machine = Machine::torus(6, 6, Wrap::BOTH).unwrap();
        assert_eq!(shortest_vector(&machine, c(0, 0), c(5, 5)), (-1, -1));
        assert_eq!(shortest_vector(&machine, c(0, 0), c(4, 1)), (-2, 1));
        assert_eq!(
            ldf_path(&machine, c(0, 0), (-1, -1)),
            vec![(LinkDir::SW, c(5, 5))]
        );
    }

    #[test]
    fn rings_hold_the_chips_at_each_distance() {
        let machine = Machine::torus(20, 20, Wrap::NONE).unwrap();
        let centre = c(10, 10);
        for k in 0..5 {
            let ring = ring(&machine, centre, k);
            assert_eq!(ring.len(), if k == 0 { 1 } else { 6 * k as usize });
            for chip in &ring {
                assert_eq!(machine.hop_distance(centre, *chip), k, "{chip} on ring {k}");
            }
        }
        // At a corner of a mesh the ring is clipped.
        assert_eq!(ring(&machine, c(0, 0), 1), vec![c(1, 0), c(1, 1), c(0, 1)]);
    }
}
