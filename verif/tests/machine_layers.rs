//! The machine against the golden reference layer by layer (`docs/numerics.md`): every output
//! activation with every loss the model builder accepts and every hidden activation, in both
//! numeric modes; a model cut into row and column blocks over several chips; the watchdog on a
//! batch that loses packets; and bad input.
//!
//! Fixed point must be bit-exact (weights, biases, outputs and the batch loss); `f32` within
//! `|m − g| / max(1, |g|) ≤ 1e−5` for weights and outputs and `1e−5` relative for the loss.

use ndarray::Array2;
use spinn_arch::{ChipCoord, WaitTime};
use spinn_dl::machine::{
    Arith, Fixed, MachineError, MachineOptions, OnMachine, PlanConfig, Spread, BATCH_ATTEMPTS, F32,
};
use spinn_dl::{Activation, Loss, ModelSpec, NumericMode, Weights};
use spinn_model::rng::SplitMix64;
use spinn_verif::golden::from_spec::{f32_network, fixed_network};
use spinn_verif::golden::s16_15::to_fixed;
use spinn_verif::golden::{FixedLimits, Network, Numeric};
use std::collections::BTreeSet;
use std::time::Instant;

const LIMITS: FixedLimits = FixedLimits { max_abs: 1 << 24 };
const F32_TOLERANCE: f64 = 1e-5;

type Value<M> = <<M as Mode>::A as Arith>::Value;

/// A numeric mode on both sides: the machine's kernels and the reference's arithmetic.
trait Mode {
    type A: Arith;
    type G: Numeric<Value = <Self::A as Arith>::Value>;
    const NUMERIC: NumericMode;

    fn golden(spec: &ModelSpec, weights: &Weights) -> Network<Self::G>;
    /// A host value as both sides take it in (the machine converts with the same rule).
    fn value(v: f32) -> Value<Self>;
    /// Whether one machine value is close enough to the reference's.
    fn equal(m: Value<Self>, g: Value<Self>) -> bool;
    /// Whether the machine's batch loss is close enough to the reference's.
    fn equal_loss(m: f64, g: f64) -> bool;
}

struct FixedMode;
struct F32Mode;

impl Mode for FixedMode {
    type A = Fixed;
    type G = spinn_verif::golden::Fixed;
    const NUMERIC: NumericMode = NumericMode::Fixed;

    fn golden(spec: &ModelSpec, weights: &Weights) -> Network<Self::G> {
        fixed_network(spec, weights, LIMITS).expect("the reference accepts the model")
    }
    fn value(v: f32) -> i32 {
        to_fixed(f64::from(v))
    }
    fn equal(m: i32, g: i32) -> bool {
        m == g
    }
    fn equal_loss(m: f64, g: f64) -> bool {
        m.to_bits() == g.to_bits()
    }
}

impl Mode for F32Mode {
    type A = F32;
    type G = spinn_verif::golden::F32;
    const NUMERIC: NumericMode = NumericMode::F32;

    fn golden(spec: &ModelSpec, weights: &Weights) -> Network<Self::G> {
        f32_network(spec, weights).expect("the reference accepts the model")
    }
    fn value(v: f32) -> f32 {
        v
    }
    fn equal(m: f32, g: f32) -> bool {
        let error = f64::from((m - g).abs()) / f64::from(g.abs()).max(1.0);
        error <= F32_TOLERANCE
    }
    fn equal_loss(m: f64, g: f64) -> bool {
        (m - g).abs() <= F32_TOLERANCE * g.abs().max(f64::MIN_POSITIVE)
    }
}

/// The first value where the machine differs from the reference, with its (row, column) in a
/// row-major matrix `width` wide, and how many differ.
fn compare<M: Mode>(
    what: &str,
    width: usize,
    machine: &[Value<M>],
    golden: &[Value<M>],
) -> Result<(), String> {
    if machine.len() != golden.len() {
        return Err(format!(
            "{what}: machine has {} values, reference {}",
            machine.len(),
            golden.len()
        ));
    }
    let differ: Vec<usize> = (0..machine.len())
        .filter(|&i| !M::equal(machine[i], golden[i]))
        .collect();
    match differ.first() {
        None => Ok(()),
        Some(&i) => Err(format!(
            "{what}: {} of {} values differ; first at [{}, {}]: machine {:?}, reference {:?}",
            differ.len(),
            machine.len(),
            i / width.max(1),
            i % width.max(1),
            machine[i],
            golden[i]
        )),
    }
}

fn compare_loss<M: Mode>(what: &str, machine: Option<f64>, golden: f64) -> Result<(), String> {
    match machine {
        Some(m) if M::equal_loss(m, golden) => Ok(()),
        _ => Err(format!(
            "{what} loss: machine {machine:?}, reference {golden:?}"
        )),
    }
}

/// Every layer's kernel and bias against the reference's.
fn compare_parameters<M: Mode>(
    what: &str,
    machine: &OnMachine<M::A>,
    golden: &Network<M::G>,
) -> Result<(), String> {
    let params = machine.parameters();
    assert_eq!(params.len(), golden.layers().len());
    for (l, (p, g)) in params.iter().zip(golden.layers()).enumerate() {
        let kernel: Vec<Value<M>> = g.kernel.iter().copied().collect();
        let bias: Vec<Value<M>> = g.bias.iter().copied().collect();
        compare::<M>(
            &format!("{what}: layer {l} kernel"),
            g.kernel.ncols(),
            &p.kernel,
            &kernel,
        )?;
        compare::<M>(
            &format!("{what}: layer {l} bias"),
            bias.len(),
            &p.bias,
            &bias,
        )?;
    }
    Ok(())
}

/// Outputs, sample by sample, against the reference's `(samples, units)` matrix.
fn compare_outputs<M: Mode>(
    what: &str,
    machine: &[Vec<Value<M>>],
    golden: &Array2<Value<M>>,
) -> Result<(), String> {
    if machine.len() != golden.nrows() {
        return Err(format!(
            "{what}: machine gave {} samples' outputs, reference {}",
            machine.len(),
            golden.nrows()
        ));
    }
    let flat: Vec<Value<M>> = machine.iter().flatten().copied().collect();
    let g: Vec<Value<M>> = golden.iter().copied().collect();
    compare::<M>(&format!("{what} outputs"), golden.ncols(), &flat, &g)
}

/// One batch of synthetic data: inputs in [−1, 1] and labels that fit the loss and the output
/// activation.
struct Batch {
    x: Vec<Vec<f32>>,
    y: Vec<Vec<f32>>,
}

impl Batch {
    fn new(
        rng: &mut SplitMix64,
        n: usize,
        inputs: usize,
        outputs: usize,
        loss: Loss,
        output: Activation,
    ) -> Batch {
        let signed = |rng: &mut SplitMix64| (rng.unit() * 2.0 - 1.0) as f32;
        let x = (0..n)
            .map(|_| (0..inputs).map(|_| signed(rng)).collect())
            .collect();
        let y = (0..n)
            .map(|_| match loss {
                Loss::CategoricalCrossEntropy => {
                    let hot = rng.below(outputs as u64) as usize;
                    (0..outputs)
                        .map(|j| f32::from(u8::from(j == hot)))
                        .collect()
                }
                Loss::BinaryCrossEntropy => (0..outputs)
                    .map(|_| f32::from(u8::from(rng.chance(50))))
                    .collect(),
                Loss::MeanSquaredError => match output {
                    Activation::Sigmoid | Activation::Softmax => {
                        (0..outputs).map(|_| rng.unit() as f32).collect()
                    }
                    _ => (0..outputs).map(|_| signed(rng)).collect(),
                },
            })
            .collect();
        Batch { x, y }
    }

    fn x(&self) -> Vec<&[f32]> {
        self.x.iter().map(Vec::as_slice).collect()
    }

    fn y(&self) -> Vec<&[f32]> {
        self.y.iter().map(Vec::as_slice).collect()
    }

    fn golden<M: Mode>(rows: &[Vec<f32>]) -> Array2<Value<M>> {
        let width = rows[0].len();
        Array2::from_shape_fn((rows.len(), width), |(r, c)| M::value(rows[r][c]))
    }
}

/// Trains batch after batch on both sides and checks the loss, the outputs the loss came from
/// and every parameter after each; then evaluates and predicts on fresh data.
fn train_and_compare<M: Mode>(
    machine: &mut OnMachine<M::A>,
    golden: &mut Network<M::G>,
    batches: &[Batch],
    evaluate: &Batch,
) -> Result<(), String> {
    for (b, batch) in batches.iter().enumerate() {
        let what = format!("train batch {b} ({} samples)", batch.x.len());
        let (gx, gy) = (Batch::golden::<M>(&batch.x), Batch::golden::<M>(&batch.y));
        let before = golden
            .predict(gx.view())
            .map_err(|e| format!("{what}: reference: {e}"))?;
        let out = machine
            .train_batch(&batch.x(), &batch.y())
            .map_err(|e| format!("{what}: machine: {e}"))?;
        let loss = golden
            .train_batch(gx.view(), gy.view())
            .map_err(|e| format!("{what}: reference: {e}"))?;
        compare_outputs::<M>(&what, &out.outputs, &before)?;
        compare_loss::<M>(&what, out.loss, loss)?;
        compare_parameters::<M>(&what, machine, golden)?;
    }
    let (gx, gy) = (
        Batch::golden::<M>(&evaluate.x),
        Batch::golden::<M>(&evaluate.y),
    );
    let out = machine
        .evaluate_batch(&evaluate.x(), &evaluate.y())
        .map_err(|e| format!("evaluate: machine: {e}"))?;
    let loss = golden
        .loss(gx.view(), gy.view())
        .map_err(|e| format!("evaluate: reference: {e}"))?;
    let predicted = golden
        .predict(gx.view())
        .map_err(|e| format!("predict: reference: {e}"))?;
    compare_outputs::<M>("evaluate", &out.outputs, &predicted)?;
    compare_loss::<M>("evaluate", out.loss, loss)?;
    let outputs = machine
        .predict_batch(&evaluate.x())
        .map_err(|e| format!("predict: machine: {e}"))?;
    compare_outputs::<M>("predict", &outputs, &predicted)?;
    compare_parameters::<M>("after evaluate and predict (unchanged)", machine, golden)
}

/// One small model of the table.
#[derive(Debug, Clone)]
struct Case {
    hidden: Vec<Activation>,
    output: Activation,
    units: usize,
    loss: Loss,
    momentum: Option<f64>,
}

const INPUTS: usize = 5;
const HIDDEN_UNITS: usize = 6;
/// The batch size of the optimiser; the second training batch is a partial one.
const BATCH: usize = 4;
const BATCH_SIZES: [usize; 3] = [4, 3, 4];

impl Case {
    fn name(&self) -> String {
        let hidden: Vec<&str> = self.hidden.iter().map(|a| a.name()).collect();
        format!(
            "{INPUTS}-{}-{} {} -> {} / {}{}",
            hidden
                .iter()
                .map(|_| HIDDEN_UNITS.to_string())
                .collect::<Vec<_>>()
                .join("-"),
            self.units,
            hidden.join(","),
            self.output.name(),
            self.loss.name(),
            match self.momentum {
                Some(m) => format!(" + momentum {m}"),
                None => String::new(),
            }
        )
    }

    fn spec(&self, numeric: NumericMode) -> Result<ModelSpec, spinn_dl::ModelError> {
        let mut b = ModelSpec::builder(INPUTS);
        for &a in &self.hidden {
            b = b.dense(HIDDEN_UNITS, a);
        }
        let mut b = b
            .dense(self.units, self.output)
            .loss(self.loss)
            .sgd(0.1, BATCH)
            .numeric(numeric)
            .seed(17 + self.units as u64 + self.hidden.len() as u64);
        if let Some(m) = self.momentum {
            b = b.momentum(m);
        }
        b.build()
    }

    /// The spec's initial weights; for a cross-entropy loss on an output that is not a
    /// probability, the output layer starts near 0.5 so that no output is clipped (a clipped
    /// output gives `δa` of about 1e7, beyond the fixed-point bound, on both sides alike).
    fn weights(&self, spec: &ModelSpec) -> Weights {
        let mut weights = spec.init_weights();
        let probability = matches!(self.output, Activation::Sigmoid | Activation::Softmax);
        if self.loss != Loss::MeanSquaredError && !probability {
            let last = weights.layers.last_mut().expect("a layer");
            last.kernel.iter_mut().for_each(|w| *w *= 0.1);
            last.bias.iter_mut().for_each(|b| *b = 0.5);
        }
        weights
    }

    fn run<M: Mode>(&self, index: usize, plan: &Cut) -> Result<(), String> {
        let spec = self
            .spec(M::NUMERIC)
            .map_err(|e| format!("the model: {e}"))?;
        let weights = self.weights(&spec);
        let mut golden = M::golden(&spec, &weights);
        let mut options = MachineOptions::spinn5();
        options.plan = plan.config;
        let mut machine = OnMachine::<M::A>::new(&spec, &weights, &options)
            .map_err(|e| format!("loading: {e}"))?;
        let cuts: Vec<(usize, usize)> = machine
            .plan()
            .cuts()
            .iter()
            .map(|&(_, rows, columns, _)| (rows, columns))
            .collect();
        if cuts.iter().any(|&c| c != (1, 1)) != plan.split {
            return Err(format!("the plan cuts the layers {cuts:?}"));
        }
        let initial = machine.parameters();
        let mut rng = SplitMix64::new(1000 + index as u64);
        let mut batch =
            |n: usize| Batch::new(&mut rng, n, INPUTS, self.units, self.loss, self.output);
        let batches: Vec<Batch> = BATCH_SIZES.iter().map(|&n| batch(n)).collect();
        let evaluate = batch(6);
        train_and_compare::<M>(&mut machine, &mut golden, &batches, &evaluate)?;
        // The comparisons mean something only if training moved every layer.
        for (l, (now, then)) in machine.parameters().iter().zip(&initial).enumerate() {
            if now.kernel == then.kernel {
                return Err(format!("training left layer {l}'s kernel as it was"));
            }
        }
        let (r, stray) = (machine.report(), machine.stray_packets());
        if r.dropped != 0 || stray != 0 {
            return Err(format!("{} dropped, {stray} stray packets", r.dropped));
        }
        Ok(())
    }
}

/// A plan configuration for the small models.
struct Cut {
    name: &'static str,
    config: PlanConfig,
    /// Whether some layer must be cut into more than one block.
    split: bool,
}

/// Whole layers (each `f32` sum in the reference's order), and a DTCM so small that layers are
/// cut into row blocks and column blocks (softmax into row blocks only) with two slots.
const CUTS: [Cut; 2] = [
    Cut {
        name: "whole layers",
        config: PlanConfig::SPINNAKER1,
        split: false,
    },
    Cut {
        name: "blocks of 320 bytes",
        config: PlanConfig {
            dtcm_bytes: 320,
            slots: 2,
        },
        split: true,
    },
];

/// Every (output activation, loss) pair the builder accepts, hidden activations in turn, one or
/// two hidden layers, with momentum on every other case.
fn cases() -> Vec<Case> {
    const OUTPUTS: [Activation; 5] = [
        Activation::Identity,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softmax,
    ];
    const LOSSES: [Loss; 3] = [
        Loss::MeanSquaredError,
        Loss::CategoricalCrossEntropy,
        Loss::BinaryCrossEntropy,
    ];
    const HIDDEN: [Activation; 4] = [
        Activation::Tanh,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Identity,
    ];
    let mut cases = Vec::new();
    let mut rejected = Vec::new();
    for output in OUTPUTS {
        for loss in LOSSES {
            let i = cases.len();
            let mut hidden = vec![HIDDEN[i % HIDDEN.len()]];
            if i % 3 == 2 {
                hidden.push(HIDDEN[(i + 1) % HIDDEN.len()]);
            }
            let case = Case {
                hidden,
                output,
                units: 3 + i % 2,
                loss,
                momentum: (i % 2 == 1).then_some(0.9),
            };
            match case.spec(NumericMode::Fixed) {
                Ok(_) => cases.push(case),
                Err(e) => rejected.push((output, loss, e)),
            }
        }
    }
    // Softmax with binary cross-entropy is the one pair the builder rejects.
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(
        (rejected[0].0, rejected[0].1),
        (Activation::Softmax, Loss::BinaryCrossEntropy)
    );
    cases
}

#[test]
fn every_activation_and_loss_equals_the_reference_in_both_modes() {
    let t = Instant::now();
    let cases = cases();
    for a in [
        Activation::Identity,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Tanh,
    ] {
        assert!(
            cases.iter().any(|c| c.hidden.contains(&a)),
            "{a:?} is a hidden activation somewhere"
        );
    }
    assert!(cases.iter().any(|c| c.hidden.len() > 1));
    let mut failures = Vec::new();
    let mut runs = 0;
    for (i, case) in cases.iter().enumerate() {
        for cut in &CUTS {
            for (mode, result) in [
                ("fixed", case.run::<FixedMode>(i, cut)),
                ("f32", case.run::<F32Mode>(i, cut)),
            ] {
                runs += 1;
                if let Err(e) = result {
                    failures.push(format!("[{mode}, {}] {}: {e}", cut.name, case.name()));
                }
            }
        }
    }
    println!("{runs} runs in {:?}", t.elapsed());
    assert!(
        failures.is_empty(),
        "{} of {runs} runs differ from the reference:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// 40 → 48 → 24 → 5 with little DTCM per core, so that the hidden layers are cut into several
/// row blocks and several column blocks, spread round-robin over chips across the board.
fn spread_model(numeric: NumericMode) -> (ModelSpec, MachineOptions) {
    let spec = ModelSpec::builder(40)
        .dense(48, Activation::Tanh)
        .dense(24, Activation::Relu)
        .dense(5, Activation::Sigmoid)
        .loss(Loss::MeanSquaredError)
        .sgd(0.1, 8)
        .momentum(0.5)
        .numeric(numeric)
        .seed(5)
        .build()
        .expect("a valid model");
    let topology = spinn_arch::Machine::spinn5();
    let chips: Vec<ChipCoord> = topology
        .chips()
        .filter(|&c| c != ChipCoord::new(0, 0))
        .step_by(6)
        .take(7)
        .collect();
    let mut options = MachineOptions::on(topology);
    options.plan = PlanConfig {
        dtcm_bytes: 2 * 1024,
        slots: 2,
    };
    options.spread = Spread::Chips(chips);
    (spec, options)
}

fn spread_run<M: Mode>() -> Result<(), String> {
    let (spec, options) = spread_model(M::NUMERIC);
    let weights = spec.init_weights();
    let mut golden = M::golden(&spec, &weights);
    let mut machine =
        OnMachine::<M::A>::new(&spec, &weights, &options).map_err(|e| format!("loading: {e}"))?;
    for &(node, rows, columns, _) in machine.plan().cuts().iter().take(2) {
        assert!(
            rows > 1 && columns > 1,
            "layer {node:?} is cut both ways: {rows} x {columns}"
        );
    }
    let chips: BTreeSet<ChipCoord> = machine
        .mapping()
        .placements
        .iter()
        .map(|(_, p)| p.chip)
        .collect();
    assert!(chips.len() >= 4, "placed on {chips:?}");
    let mut rng = SplitMix64::new(99);
    let mut batch = |n: usize| {
        Batch::new(
            &mut rng,
            n,
            40,
            5,
            Loss::MeanSquaredError,
            Activation::Sigmoid,
        )
    };
    let batches: Vec<Batch> = [8, 5, 8].iter().map(|&n| batch(n)).collect();
    let evaluate = batch(6);
    train_and_compare::<M>(&mut machine, &mut golden, &batches, &evaluate)?;
    let r = machine.report();
    println!(
        "{:?}: {} cores on {} chips, {:?}; {r:?}",
        M::NUMERIC,
        machine.plan().n_cores(),
        chips.len(),
        machine.plan().cuts()
    );
    assert!(r.link_hops > 0, "{r:?}");
    assert_eq!(r.dropped, 0, "{r:?}");
    assert_eq!(machine.stray_packets(), 0);
    Ok(())
}

#[test]
fn a_model_cut_into_blocks_over_several_chips_equals_the_reference() {
    let t = Instant::now();
    let fixed = spread_run::<FixedMode>();
    let f32 = spread_run::<F32Mode>();
    println!("{:?}", t.elapsed());
    assert_eq!(fixed, Ok(()), "fixed point");
    assert_eq!(f32, Ok(()), "f32");
}

#[test]
fn the_watchdog_names_the_cores_a_lossy_batch_left_waiting() {
    let (spec, mut options) = spread_model(NumericMode::Fixed);
    // No re-injection, routers that dump a packet as soon as an output is blocked, and senders
    // that do not pace themselves for their receivers: packets are lost.
    options.machine.reinjection = false;
    options.machine.control.wait1 = WaitTime(0);
    options.machine.control.wait2 = WaitTime(0);
    options.receive_cycles = 0;
    options.batch_limit_cycles = 133_333_333;
    let weights = spec.init_weights();
    let mut machine = OnMachine::<Fixed>::new(&spec, &weights, &options).expect("loads");
    let mut rng = SplitMix64::new(3);
    let batch = Batch::new(
        &mut rng,
        8,
        40,
        5,
        Loss::MeanSquaredError,
        Activation::Sigmoid,
    );
    let err = machine
        .train_batch(&batch.x(), &batch.y())
        .expect_err("a batch that loses packets cannot finish");
    let r = machine.report();
    let message = err.to_string();
    println!("{message}\n{r:?}");
    assert!(r.dropped > 0, "{r:?}");
    let MachineError::Stalled {
        samples,
        finished,
        waiting,
        losses,
        attempts,
        ..
    } = &err
    else {
        panic!("expected a stall, got {err:?}");
    };
    assert_eq!(*samples, 8);
    // Every attempt lost packets (nothing re-injects them), so each was retried, slower.
    assert_eq!(*attempts, BATCH_ATTEMPTS, "{message}");
    assert_eq!(machine.retries().batches, u64::from(BATCH_ATTEMPTS - 1));
    assert!(
        message.starts_with(&format!(
            "watchdog: the batch stalled on attempt {BATCH_ATTEMPTS}"
        )),
        "{message}"
    );
    // The watchdog says what the fabric lost, which explains the stall.
    assert_eq!(losses.dropped, r.dropped, "{message}");
    assert!(
        message.contains(&format!("{} dropped", r.dropped)),
        "{message}"
    );
    assert!(finished < samples);
    assert!(!waiting.is_empty(), "{message}");
    for w in waiting {
        assert!(w.vertex.starts_with("dl/"), "{w:?}");
        assert!(!w.missing.is_empty(), "{w:?}");
        assert!(
            message.contains(&format!("{} waits for {}", w.vertex, w.missing.join(", "))),
            "{message}"
        );
    }
    assert!(message.contains(" waits for "), "{message}");
    assert_eq!(machine.waiting(), *waiting);
}

#[test]
fn bad_input_is_named_and_leaves_the_network_as_it_was() {
    let case = Case {
        hidden: vec![Activation::Relu],
        output: Activation::Softmax,
        units: 3,
        loss: Loss::CategoricalCrossEntropy,
        momentum: None,
    };
    let spec = case.spec(NumericMode::Fixed).expect("a valid model");
    let weights = case.weights(&spec);
    let mut golden = FixedMode::golden(&spec, &weights);
    let mut machine =
        OnMachine::<Fixed>::new(&spec, &weights, &MachineOptions::spinn5()).expect("loads");
    let mut rng = SplitMix64::new(8);
    let good = Batch::new(&mut rng, 3, INPUTS, 3, case.loss, case.output);
    let (x, y) = (good.x(), good.y());

    let short = [0.5f32; INPUTS - 1];
    let wide_x: Vec<&[f32]> = vec![x[0], &short, x[2]];
    let long_label = [0.0f32; 4];
    let wide_y: Vec<&[f32]> = vec![y[0], y[1], &long_label];
    let shape = |what: &'static str, sample, expected, got| MachineError::Shape {
        what,
        sample,
        expected,
        got,
    };
    let table: Vec<(&str, Result<(), MachineError>, MachineError)> = vec![
        (
            "train, short input",
            machine.train_batch(&wide_x, &y).map(drop),
            shape("inputs", 1, INPUTS, INPUTS - 1),
        ),
        (
            "evaluate, short input",
            machine.evaluate_batch(&wide_x, &y).map(drop),
            shape("inputs", 1, INPUTS, INPUTS - 1),
        ),
        (
            "predict, short input",
            machine.predict_batch(&wide_x).map(drop),
            shape("inputs", 1, INPUTS, INPUTS - 1),
        ),
        (
            "train, long label",
            machine.train_batch(&x, &wide_y).map(drop),
            shape("labels", 2, 3, 4),
        ),
        (
            "evaluate, missing label",
            machine.evaluate_batch(&x, &y[..2]).map(drop),
            shape("labels", 2, 3, 0),
        ),
        (
            "train, empty batch",
            machine.train_batch(&[], &[]).map(drop),
            MachineError::EmptyBatch,
        ),
        (
            "evaluate, empty batch",
            machine.evaluate_batch(&[], &[]).map(drop),
            MachineError::EmptyBatch,
        ),
        (
            "predict, empty batch",
            machine.predict_batch(&[]).map(drop),
            MachineError::EmptyBatch,
        ),
    ];
    for (name, got, expected) in table {
        assert_eq!(got, Err(expected), "{name}");
    }
    assert_eq!(
        shape("inputs", 1, INPUTS, INPUTS - 1).to_string(),
        "inputs: expected 5 values per sample, got 4 (sample 1)"
    );
    assert_eq!(
        MachineError::EmptyBatch.to_string(),
        "a batch needs at least one sample"
    );
    // Nothing reached the machine: it still trains exactly like the reference.
    let evaluate = Batch::new(&mut rng, 2, INPUTS, 3, case.loss, case.output);
    train_and_compare::<FixedMode>(&mut machine, &mut golden, &[good], &evaluate)
        .expect("the machine still equals the reference");
}

/// A fixed-point value beyond the s16.15 bound on the machine is an error naming the layer, the
/// array, the index and the sample (docs/numerics.md, "Overflow bound"), on whole layers and
/// on blocks alike, where the reference refuses the same batch; a clean batch afterwards
/// trains as before.
#[test]
fn fixed_point_values_beyond_the_bound_are_named_by_layer_index_and_sample() {
    fn rows(v: &[Vec<f32>]) -> Vec<&[f32]> {
        v.iter().map(Vec::as_slice).collect()
    }
    let spec = ModelSpec::builder(INPUTS)
        .dense(HIDDEN_UNITS, Activation::Relu)
        .dense(3, Activation::Identity)
        .loss(Loss::MeanSquaredError)
        .sgd(0.1, BATCH)
        .numeric(NumericMode::Fixed)
        .seed(5)
        .build()
        .expect("a valid model");
    let names: Vec<String> = spec
        .weight_shapes()
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    let inputs = |big: Option<(usize, usize, f32)>| -> Vec<Vec<f32>> {
        let mut x = vec![vec![0.25f32; INPUTS]; 3];
        if let Some((s, i, v)) = big {
            x[s][i] = v;
        }
        x
    };
    let labels = |big: Option<(usize, usize, f32)>| -> Vec<Vec<f32>> {
        let mut y = vec![vec![0.5f32; 3]; 3];
        if let Some((s, i, v)) = big {
            y[s][i] = v;
        }
        y
    };
    for cut in &CUTS {
        let mut options = MachineOptions::spinn5();
        options.plan = cut.config;
        let run = |weights: &Weights, x: &[Vec<f32>], y: &[Vec<f32>]| {
            let mut machine = OnMachine::<Fixed>::new(&spec, weights, &options).expect("loads");
            let got = machine.train_batch(&rows(x), &rows(y)).map(drop);
            let fixed = |v: &[Vec<f32>], width: usize| {
                Array2::from_shape_fn((v.len(), width), |(s, i)| to_fixed(f64::from(v[s][i])))
            };
            let golden = FixedMode::golden(&spec, weights)
                .train_batch(fixed(x, INPUTS).view(), fixed(y, 3).view())
                .map(drop);
            (got, golden)
        };
        let weights = spec.init_weights();
        // A network input of 600 in sample 1, element 2.
        let (got, golden) = run(&weights, &inputs(Some((1, 2, 600.0))), &labels(None));
        assert!(
            golden.is_err(),
            "{}: the reference refuses it too",
            cut.name
        );
        match got {
            Err(MachineError::OutOfRange {
                ref layer,
                array: "inputs",
                index: 2,
                value,
                sample: Some(1),
                ..
            }) if *layer == names[0] && value == 600.0 => {}
            other => panic!("{}: an input beyond the bound gave {other:?}", cut.name),
        }
        // A label of 2000 in sample 2: the output layer's δz = 2·(a − y)/3 there.
        let (got, golden) = run(&weights, &inputs(None), &labels(Some((2, 1, 2000.0))));
        assert!(
            golden.is_err(),
            "{}: the reference refuses it too",
            cut.name
        );
        match &got {
            Err(MachineError::OutOfRange {
                layer,
                array: "delta_z",
                index: 1,
                value,
                sample: Some(2),
                ..
            }) if *layer == names[1] && *value < -512.0 => {}
            other => panic!("{}: a δz beyond the bound gave {other:?}", cut.name),
        }
        let message = got.expect_err("an error").to_string();
        assert!(
            message.starts_with(&format!("layer {}: delta_z[1] = -", names[1]))
                && message.contains(" in sample 2 of the batch is beyond the s16.15 bound ±512"),
            "{message}"
        );
        // The output layer's bias 2 at 511.99 and a label of 700 there: z ≈ 512, δz ≈ −125
        // (within the bound), and the update raises the bias past it.
        let mut near = weights.clone();
        near.layers[1].bias[2] = 511.99;
        let mut far = labels(None);
        far.iter_mut().for_each(|y| y[2] = 700.0);
        let (got, golden) = run(&near, &inputs(None), &far);
        assert!(
            golden.is_err(),
            "{}: the reference refuses it too",
            cut.name
        );
        match got {
            Err(MachineError::OutOfRange {
                ref layer,
                array: "bias",
                index: 2,
                value,
                sample: None,
                ..
            }) if *layer == names[1] && value > 512.0 => {}
            other => panic!("{}: an update beyond the bound gave {other:?}", cut.name),
        }
    }
}

/// Routers that dump a packet the moment an output is blocked (wait1 = wait2 = 0), with
/// monitors re-injecting, on the digits model (64-128-10): the dump registers overflow now and
/// then, so some batches lose packets and stall; each is run again, paced slower, and training
/// equals the reference bit for bit, with every loss recovered and counted.
#[test]
fn batches_that_lose_packets_to_immediate_dumps_are_run_again_and_equal_the_reference() {
    let spec = ModelSpec::builder(64)
        .dense(128, Activation::Relu)
        .dense(10, Activation::Softmax)
        .loss(Loss::CategoricalCrossEntropy)
        .sgd(0.1, 32)
        .numeric(NumericMode::Fixed)
        .seed(1)
        .build()
        .expect("a valid model");
    let mut options = MachineOptions::spinn5();
    options.machine.control.wait1 = WaitTime(0);
    options.machine.control.wait2 = WaitTime(0);
    let weights = spec.init_weights();
    let mut golden = FixedMode::golden(&spec, &weights);
    let mut machine = OnMachine::<Fixed>::new(&spec, &weights, &options).expect("loads");
    let mut rng = SplitMix64::new(99);
    let mut batch = |n: usize| {
        Batch::new(
            &mut rng,
            n,
            64,
            10,
            Loss::CategoricalCrossEntropy,
            Activation::Softmax,
        )
    };
    let batches: Vec<Batch> = [32, 32, 32, 32].iter().map(|&n| batch(n)).collect();
    let evaluate = batch(6);
    train_and_compare::<FixedMode>(&mut machine, &mut golden, &batches, &evaluate)
        .expect("training with immediate dumps equals the reference");
    let (r, retries) = (machine.report(), machine.retries());
    println!("{retries:?}; {r:?}");
    assert!(r.dumped > 100, "every blocked packet is dumped: {r:?}");
    assert!(retries.batches > 0, "some batch lost packets: {r:?}");
    assert_eq!(
        retries.packets_lost, r.dropped,
        "every loss recovered: {r:?}"
    );
    assert!(retries.cycles > 0 && retries.cycles < r.cycles);
}
