//! A plan chosen for speed (`spinn train --plan fastest`): block sizes, the number of samples
//! in flight and the copy count that minimise machine time per training sample, measured
//! rather than modelled.
//!
//! The planner's own cut is the one with the fewest cores within each core's DTCM. A smaller
//! DTCM budget cuts the layers into more, smaller blocks: each sample's work is spread over
//! more cores and each core's share of a gradient reduction shrinks, while every extra block
//! adds partial sums for its tile to receive and takes cores a replica could have used. Which
//! side wins depends on the model, the numeric mode (a soft-float MAC costs 14 times an
//! s16.15 one) and the batch size, and the fabric's contention is what the cost model knows
//! least, so each candidate budget is mapped with its copy count and timed on one real batch
//! on a freshly loaded machine; the fastest is kept, the trials are reported, and training
//! starts from the same weights on a new machine with the chosen options. More samples in
//! flight keep a copy's cores busy while a sample's forward and backward passes travel
//! between them, but every slot's buffers take DTCM the blocks could have had. Every
//! candidate trains the same batch to the same result in s16.15 (replicas, cuts and slots
//! change no sum), so the choice changes machine time only.

use super::arith::Arith;
use super::session::{auto_replicas, MachineError, MachineOptions, OnMachine, Replicas};
use crate::model::{ModelSpec, Weights};

/// What the planner optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanGoal {
    /// The fewest cores per copy: the planner's cut with the whole DTCM budget.
    FewestCores,
    /// The least machine time per training sample over the candidate budgets and (with
    /// `auto` copies) copy counts.
    Fastest,
}

impl PlanGoal {
    pub fn name(self) -> &'static str {
        match self {
            PlanGoal::FewestCores => "fewest-cores",
            PlanGoal::Fastest => "fastest",
        }
    }
}

/// DTCM budgets tried, in eighths of the configured one (the full budget first).
const BUDGET_EIGHTHS: [u64; 6] = [8, 7, 6, 5, 4, 3];

/// Samples in flight tried on the fastest cut and copy count (besides the configured number,
/// with which that cut was found).
const SLOTS_TRIED: [u64; 3] = [2, 4, 8];

/// One candidate's measured batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// The DTCM budget the planner cut with.
    pub dtcm_bytes: u64,
    /// Samples in flight.
    pub slots: u64,
    pub replicas: usize,
    pub cores: usize,
    /// Machine time of the trial batch (retries included), in router cycles.
    pub cycles: u64,
    pub dumped: u64,
    pub samples: usize,
}

impl Trial {
    /// Router cycles per training sample.
    pub fn cycles_per_sample(&self) -> f64 {
        self.cycles as f64 / self.samples.max(1) as f64
    }

    /// Whether this trial timed `options` (the DTCM budget, slots and copies it names).
    pub fn timed(&self, options: &MachineOptions) -> bool {
        self.dtcm_bytes == options.plan.dtcm_bytes
            && self.slots == options.plan.slots
            && options.replicas == Replicas::Count(self.replicas as u32)
    }
}

/// The options of the fastest candidate for training `spec` from `weights` (and
/// `velocities`), timed on the batch `(x, y)`, and every candidate's trial in the order
/// tried.
///
/// First the DTCM budgets, each with the requested copies; then, if the copies were `auto`,
/// halving the copy count of the fastest cut while that is faster (the whole board is not
/// always the fastest: every copy adds a member to each reduction, and a big model's copies
/// share chips and links with each other's sample traffic); then the fastest so far with
/// the other numbers of samples in flight of [`SLOTS_TRIED`] (with `auto` copies, as many as
/// that cut then allows). A trial runs once (a batch that
/// lost packets is not retried: such a candidate is not one to choose) and is stopped at four
/// times the best trial's machine time, without the injected transient faults (so that the
/// choice does not depend on where they strike); a candidate whose cut does not fit, does not
/// map or does not finish is left out. If none works, the error is the first candidate's.
pub fn fastest<A: Arith>(
    spec: &ModelSpec,
    (weights, velocities): (&Weights, Option<&Weights>),
    options: &MachineOptions,
    (x, y): (&[&[f32]], &[&[f32]]),
) -> Result<(MachineOptions, Vec<Trial>), MachineError> {
    let mut search = Search {
        spec,
        start: (weights, velocities),
        batch: (x, y),
        trials: Vec::new(),
        best: None,
        first_error: None,
    };
    let mut cuts_seen = Vec::new();
    for eighths in BUDGET_EIGHTHS {
        let mut candidate = options.clone();
        candidate.plan.dtcm_bytes = options.plan.dtcm_bytes * eighths / 8;
        // Budgets that cut the same way are the same candidate.
        match super::plan::plan(spec, &candidate.plan) {
            Ok(plan) => {
                if !cuts_seen.contains(&plan.groups) {
                    cuts_seen.push(plan.groups);
                    search.time::<A>(candidate);
                }
            }
            Err(e) => {
                search.first_error.get_or_insert(e.into());
            }
        }
    }
    if options.replicas == Replicas::Auto {
        // From the fastest cut's copies, or (when no cut worked with as many copies as the
        // machine holds) from half of what `auto` takes with the whole budget.
        let (base, mut copies) = match &search.best {
            Some((_, best, trial)) => (best.clone(), trial.replicas / 2),
            None => {
                let most = super::plan::plan(spec, &options.plan)
                    .map_or(2, |plan| auto_replicas(spec, &plan, &options.topology));
                (options.clone(), most as usize / 2)
            }
        };
        while copies >= 1 {
            let mut candidate = base.clone();
            candidate.replicas = Replicas::Count(copies as u32);
            let had_best = search.best.is_some();
            if !search.time::<A>(candidate) && had_best {
                break;
            }
            copies /= 2;
        }
    }
    if let Some((_, best, _)) = &search.best {
        let best = best.clone();
        for slots in SLOTS_TRIED {
            if slots == best.plan.slots {
                continue;
            }
            let mut candidate = best.clone();
            candidate.plan.slots = slots;
            if options.replicas == Replicas::Auto {
                candidate.replicas = Replicas::Auto;
            }
            search.time::<A>(candidate);
        }
    }
    match search.best {
        Some((_, mut chosen, trial)) => {
            chosen.replicas = Replicas::Count(trial.replicas as u32);
            chosen.batch_attempts = options.batch_attempts;
            chosen.batch_limit_cycles = options.batch_limit_cycles;
            chosen.machine.transient_faults = options.machine.transient_faults;
            Ok((chosen, search.trials))
        }
        None => Err(search
            .first_error
            .expect("invariant: every candidate was tried")),
    }
}

/// The candidates timed so far and the fastest of them.
struct Search<'a> {
    spec: &'a ModelSpec,
    start: (&'a Weights, Option<&'a Weights>),
    batch: (&'a [&'a [f32]], &'a [&'a [f32]]),
    trials: Vec<Trial>,
    /// Cycles per sample, the options and their trial.
    best: Option<(f64, MachineOptions, Trial)>,
    first_error: Option<MachineError>,
}

impl Search<'_> {
    /// Times `candidate` on the batch; whether it is the fastest so far.
    fn time<A: Arith>(&mut self, mut candidate: MachineOptions) -> bool {
        candidate.batch_attempts = 1;
        // Injected transient faults would make the choice a matter of where they struck: the
        // trials time the machine as it is built (dead chips, links and cores included).
        candidate.machine.transient_faults = None;
        if let Some((_, _, best)) = &self.best {
            candidate.batch_limit_cycles = candidate.batch_limit_cycles.min(4 * best.cycles);
        }
        let (weights, velocities) = self.start;
        let (x, y) = self.batch;
        let timed = OnMachine::<A>::resume(self.spec, weights, velocities, &candidate).and_then(
            |mut network| {
                let before = network.report();
                network.train_batch(x, y)?;
                let after = network.report();
                Ok(Trial {
                    dtcm_bytes: candidate.plan.dtcm_bytes,
                    slots: candidate.plan.slots,
                    replicas: network.replicas(),
                    cores: after.cores_used,
                    cycles: after.cycles - before.cycles,
                    dumped: after.dumped - before.dumped,
                    samples: x.len(),
                })
            },
        );
        match timed {
            Ok(trial) => {
                let cost = trial.cycles_per_sample();
                let faster = self.best.as_ref().is_none_or(|(b, _, _)| cost < *b);
                if faster {
                    self.best = Some((cost, candidate, trial.clone()));
                }
                self.trials.push(trial);
                faster
            }
            Err(e) => {
                self.first_error.get_or_insert(e);
                false
            }
        }
    }
}
