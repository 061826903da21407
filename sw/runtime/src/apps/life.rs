//! Conway's game of life across a machine: the grid (a torus) is cut into tiles, one tile per
//! core. Each generation every tile multicasts the state of each of its cells on its own
//! partition, one packet per cell (key = base + cell index, payload = generation × 2 + alive),
//! to the eight tiles around it. A receiver indexes by `key − base`, keeps the cells that border
//! it in a halo, and computes the next generation once it has every neighbour's packets for the
//! current one. No timer and no barrier: tiles run as fast as their neighbours let them, at
//! most one generation apart, so a halo per generation parity is enough.
//!
//! Packets are taken in a non-queueable receive callback (a few instructions: store and count)
//! and the generation is computed in a queued user-event callback, the usual spin1 split that
//! keeps the router's output to the core free.

use crate::app::{Application, Context, Outbox};
use crate::cost::Op;
use crate::event::{Callbacks, Event};
use crate::memory::MemoryError;

/// The grid and how it is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifeConfig {
    /// Tiles across and down (at least 3 each, so a tile's eight neighbours are distinct tiles
    /// or, on a 3-wide torus, still never the tile itself).
    pub tiles_x: usize,
    pub tiles_y: usize,
    /// Cells across and down one tile.
    pub tile_width: usize,
    pub tile_height: usize,
    pub generations: u32,
    /// Seed of the initial pattern (about one cell in three alive).
    pub seed: u64,
    /// Core cycles a tile waits between two sends (a delay loop, as SpiNNaker applications
    /// space their packets). Each tile also starts sending at its own phase within the gap, so
    /// the tiles of a chip do not burst together: a burst of multicast packets to busy cores
    /// holds the router's single output stage past wait1 and wait2, and the packets are dumped
    /// (the monitors re-inject them, at a cost in time).
    pub send_gap_cycles: u64,
}

impl LifeConfig {
    pub fn width(&self) -> usize {
        self.tiles_x * self.tile_width
    }

    pub fn height(&self) -> usize {
        self.tiles_y * self.tile_height
    }

    pub fn cells_per_tile(&self) -> usize {
        self.tile_width * self.tile_height
    }

    /// The seeded starting grid, row-major, `true` for alive.
    pub fn initial_grid(&self) -> Vec<bool> {
        let mut rng = spinn_model::rng::SplitMix64::new(self.seed);
        (0..self.width() * self.height())
            .map(|_| rng.below(3) == 0)
            .collect()
    }
}

/// One generation of the whole torus, computed on the host: the reference the machine's result
/// is checked against.
pub fn step_grid(grid: &[bool], width: usize, height: usize) -> Vec<bool> {
    let mut next = vec![false; grid.len()];
    for y in 0..height {
        for x in 0..width {
            let mut n = 0;
            for (dx, dy) in NEIGHBOURS {
                let nx = (x as isize + dx).rem_euclid(width as isize) as usize;
                let ny = (y as isize + dy).rem_euclid(height as isize) as usize;
                n += grid[ny * width + nx] as u32;
            }
            let alive = grid[y * width + x];
            next[y * width + x] = n == 3 || (alive && n == 2);
        }
    }
    next
}

/// The eight neighbours of a cell (or a tile), as (dx, dy).
pub const NEIGHBOURS: [(isize, isize); 8] = [
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// Where a neighbouring tile's packets come from: its key block and where it lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighbourKeys {
    pub base: u32,
    pub mask: u32,
    /// The tile offsets (in tiles) at which this neighbour touches us: several on a torus only
    /// three tiles wide.
    pub offsets: Vec<(isize, isize)>,
}

const USER_COMPUTE: u32 = 0;
const USER_SEND: u32 = 1;

/// One tile on one core.
pub struct LifeTile {
    width: usize,
    height: usize,
    cells: Vec<bool>,
    generation: u32,
    generations: u32,
    key_base: u32,
    neighbours: Vec<NeighbourKeys>,
    /// Per generation parity: the `(width + 2) × (height + 2)` halo around the tile.
    halo: [Vec<bool>; 2],
    received: [usize; 2],
    expected: usize,
    compute_pending: bool,
    outbox: Outbox,
    send_gap_cycles: u64,
    phase_cycles: u64,
    /// Packets from a generation neither current nor next: a protocol failure, counted.
    stray_packets: u64,
}

impl LifeTile {
    /// Tile number `index` of the grid, with its cells, its partition's key base and its
    /// neighbours' keys.
    pub fn new(
        config: &LifeConfig,
        index: usize,
        cells: Vec<bool>,
        key_base: u32,
        neighbours: Vec<NeighbourKeys>,
    ) -> LifeTile {
        let halo = (config.tile_width + 2) * (config.tile_height + 2);
        LifeTile {
            width: config.tile_width,
            height: config.tile_height,
            expected: neighbours.len() * config.cells_per_tile(),
            cells,
            generation: 0,
            generations: config.generations,
            key_base,
            neighbours,
            halo: [vec![false; halo], vec![false; halo]],
            received: [0, 0],
            compute_pending: false,
            outbox: Outbox::default(),
            send_gap_cycles: config.send_gap_cycles,
            // A fixed scramble of the tile number: neighbouring tiles get distant phases.
            phase_cycles: (index as u64 * 7919) % config.send_gap_cycles.max(1),
            stray_packets: 0,
        }
    }

    /// The tile's cells, row-major.
    pub fn cells(&self) -> &[bool] {
        &self.cells
    }

    /// The generation the cells hold.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    pub fn stray_packets(&self) -> u64 {
        self.stray_packets
    }

    fn halo_index(&self, x: isize, y: isize) -> Option<usize> {
        let (w, h) = (self.width as isize, self.height as isize);
        ((-1..=w).contains(&x) && (-1..=h).contains(&y))
            .then(|| ((y + 1) * (w + 2) + x + 1) as usize)
    }

    fn queue_cells(&mut self, ctx: &mut Context) {
        ctx.charge_cycles(self.phase_cycles);
        let g = self.generation;
        for (i, &alive) in self.cells.iter().enumerate() {
            self.outbox
                .push(self.key_base + i as u32, Some(g << 1 | alive as u32));
        }
        self.flush(ctx);
    }

    /// Sends what the send path can take now and comes back for the rest.
    fn flush(&mut self, ctx: &mut Context) {
        if self.outbox.flush(ctx, self.send_gap_cycles) {
            ctx.trigger_user_event(USER_SEND, 0);
        }
    }

    fn ready(&self) -> bool {
        self.generation < self.generations
            && self.received[(self.generation & 1) as usize] == self.expected
    }

    fn compute(&mut self, ctx: &mut Context) {
        self.compute_pending = false;
        if !self.ready() {
            return;
        }
        let parity = (self.generation & 1) as usize;
        let mut halo = std::mem::take(&mut self.halo[parity]);
        for y in 0..self.height {
            for x in 0..self.width {
                let i = self
                    .halo_index(x as isize, y as isize)
                    .expect("invariant: a cell lies inside its halo");
                halo[i] = self.cells[y * self.width + x];
            }
        }
        for y in 0..self.height {
            for x in 0..self.width {
                let mut n = 0;
                for (dx, dy) in NEIGHBOURS {
                    let i = self
                        .halo_index(x as isize + dx, y as isize + dy)
                        .expect("invariant: neighbours lie inside the halo");
                    n += halo[i] as u32;
                }
                let alive = self.cells[y * self.width + x];
                self.cells[y * self.width + x] = n == 3 || (alive && n == 2);
            }
        }
        // Eight loads, adds and the rule: about 40 instructions a cell.
        ctx.charge(Op::Alu, 40 * self.cells.len() as u64);
        halo.fill(false);
        self.halo[parity] = halo;
        self.received[parity] = 0;
        self.generation += 1;
        if self.generation == self.generations {
            ctx.exit();
            return;
        }
        self.queue_cells(ctx);
        if self.ready() {
            self.compute_pending = true;
            ctx.trigger_user_event(USER_COMPUTE, 0);
        }
    }

    fn receive(&mut self, ctx: &mut Context, key: u32, payload: u32) {
        ctx.charge(Op::Alu, 15);
        let generation = payload >> 1;
        if generation != self.generation && generation != self.generation + 1 {
            self.stray_packets += 1;
            return;
        }
        let parity = (generation & 1) as usize;
        let Some(n) = self.neighbours.iter().position(|n| key & n.mask == n.base) else {
            self.stray_packets += 1;
            return;
        };
        let index = (key - self.neighbours[n].base) as usize;
        let (cx, cy) = ((index % self.width) as isize, (index / self.width) as isize);
        let (w, h) = (self.width as isize, self.height as isize);
        for k in 0..self.neighbours[n].offsets.len() {
            let (dx, dy) = self.neighbours[n].offsets[k];
            if let Some(i) = self.halo_index(dx * w + cx, dy * h + cy) {
                self.halo[parity][i] = payload & 1 == 1;
            }
        }
        self.received[parity] += 1;
        if self.ready() && !self.compute_pending {
            self.compute_pending = true;
            ctx.trigger_user_event(USER_COMPUTE, 0);
        }
    }
}

impl Application for LifeTile {
    fn callbacks(&self) -> Callbacks {
        Callbacks::RECEIVE_THEN_WORK
    }

    fn start(&mut self, ctx: &mut Context) -> Result<(), MemoryError> {
        let cells = self.cells.len() as u64;
        ctx.alloc_dtcm("cells", cells)?;
        ctx.alloc_dtcm("halos", 2 * self.halo[0].len() as u64)?;
        ctx.alloc_dtcm("neighbour keys", 12 * self.neighbours.len() as u64)?;
        if self.generations > 0 {
            self.queue_cells(ctx);
        } else {
            ctx.exit();
        }
        Ok(())
    }

    fn on_event(&mut self, ctx: &mut Context, event: Event) {
        match event {
            Event::Packet { key, payload } => self.receive(ctx, key, payload.unwrap_or(0)),
            Event::User {
                arg0: USER_SEND, ..
            } => self.flush(ctx),
            Event::User { .. } => self.compute(ctx),
            Event::Timer { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blinker_oscillates_and_a_block_stays() {
        let (w, h) = (6, 6);
        let mut grid = vec![false; w * h];
        for x in 1..4 {
            grid[2 * w + x] = true;
        }
        let next = step_grid(&grid, w, h);
        let vertical: Vec<usize> = (0..w * h).filter(|&i| next[i]).collect();
        assert_eq!(vertical, [w + 2, 2 * w + 2, 3 * w + 2]);
        assert_eq!(step_grid(&next, w, h), grid);
        let mut block = vec![false; w * h];
        for i in [w + 1, w + 2, 2 * w + 1, 2 * w + 2] {
            block[i] = true;
        }
        assert_eq!(step_grid(&block, w, h), block);
    }

    #[test]
    fn a_glider_wraps_round_the_torus() {
        let (w, h) = (5, 5);
        let mut grid = vec![false; w * h];
        for (x, y) in [(1, 0), (2, 1), (0, 2), (1, 2), (2, 2)] {
            grid[y * w + x] = true;
        }
        let mut g = grid.clone();
        // A glider moves one cell diagonally every four generations: after 20 it is home.
        for _ in 0..20 {
            g = step_grid(&g, w, h);
        }
        assert_eq!(g, grid);
        assert_ne!(step_grid(&grid, w, h), grid);
    }
}
