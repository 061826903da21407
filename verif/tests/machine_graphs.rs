//! Convolutional and residual graphs trained on the machine equal the golden reference
//! (issue 11): every operation, in both numeric modes, over a whole epoch of the digits
//! (45 batches), compared after every batch: s16.15 bit for bit (every weight, bias and batch
//! loss), f32 within `max |m − g| / max(1, |g|) ≤ 1e−5`.
//!
//! Each model also checks that its plan exercises what it is there for (folded and unfolded
//! pooling, kernels folded into adds, spatial tiles with halos and gradient reductions, blocks
//! of input channels), so a planner change cannot silently stop testing a path.

use spinn_dl::machine::{MachineOptions, PlanConfig, Spread};
use spinn_dl::train::{Network, Silent};
use spinn_dl::{digits, Dataset, ModelSpec, NumericMode};
use spinn_verif::training::{train, TrainingRun, F32_TOLERANCE};

/// The model file's head: digits as 8 × 8 images (or 8 steps × 8 channels), cross-entropy.
fn head(input: &str, numeric: NumericMode, momentum: bool) -> String {
    format!(
        "version = 2\ninput = {input}\nseed = 3\nnumeric = \"{}\"\nloss = \"categorical_crossentropy\"\n\n[optimizer.sgd]\nlearning_rate = 0.05\nbatch_size = 32\n{}\n",
        numeric.name(),
        if momentum { "momentum = 0.9\n" } else { "" }
    )
}

fn model(input: &str, layers: &str, numeric: NumericMode, momentum: bool) -> ModelSpec {
    let text = head(input, numeric, momentum) + layers;
    ModelSpec::from_toml(&text, "test.toml").unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn data() -> (Dataset, Dataset) {
    digits()
        .expect("the embedded digits")
        .split(0.2, 1)
        .expect("a valid split")
}

/// Trains one epoch on both sides; returns the network's plan description for the caller's
/// checks, after asserting the comparison, no drops and no stray packets.
fn one_epoch(spec: &ModelSpec, options: MachineOptions) -> Vec<(String, usize, usize)> {
    let (train_set, test_set) = data();
    let plan = Network::new(spec, &spec.init_weights(), &options)
        .unwrap_or_else(|e| panic!("loads: {e}"))
        .plan()
        .expect("the project's mapping has a plan")
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.n_spatial(), g.n_cores()))
        .collect();
    let run = TrainingRun {
        spec,
        weights: spec.init_weights(),
        train: &train_set,
        test: &test_set,
        epochs: 1,
        options,
        golden: true,
    };
    let report = train(&run, &mut Silent).unwrap_or_else(|e| panic!("{plan:?}: {e}"));
    let check = report.golden.expect("compared with the reference");
    println!(
        "{:?} {plan:?}: {check:?}, {} deliveries",
        spec.numeric(),
        report.fit.machine.delivered
    );
    assert_eq!(check.batches_compared, train_set.n_samples().div_ceil(32));
    match spec.numeric() {
        NumericMode::Fixed => assert!(check.exact, "fixed point differs: {check:?} {plan:?}"),
        NumericMode::F32 => assert!(
            check.worst_relative <= F32_TOLERANCE,
            "f32 differs by {:e}: {plan:?}",
            check.worst_relative
        ),
    }
    let r = &report.fit.machine;
    assert_eq!(r.dropped, 0, "{r:?}");
    assert_eq!(report.fit.stray_packets, 0);
    let epoch = report.fit.final_epoch().expect("one epoch");
    assert!(epoch.loss.is_finite(), "{epoch:?}");
    plan
}

fn both_modes(
    input: &str,
    layers: &str,
    options: impl Fn() -> MachineOptions,
) -> Vec<(String, usize, usize)> {
    let fixed = one_epoch(&model(input, layers, NumericMode::Fixed, true), options());
    let float = one_epoch(&model(input, layers, NumericMode::F32, false), options());
    let _ = float;
    fixed
}

fn names(plan: &[(String, usize, usize)]) -> Vec<&str> {
    plan.iter().map(|(n, _, _)| n.as_str()).collect()
}

const CONV2D_AND_POOLS: &str = r#"
[[layers]]
name = "c1"
conv2d = 6
kernel_size = 3
padding = "same"
activation = "relu"

[[layers]]
name = "max"
max_pooling2d = 2

[[layers]]
name = "c2"
conv2d = 8
kernel_size = [3, 2]
strides = [1, 2]
padding = "valid"
activation = "tanh"

[[layers]]
name = "avg"
average_pooling2d = 2
strides = 1
padding = "same"

[[layers]]
flatten = true

[[layers]]
dense = 10
activation = "softmax"
"#;

/// Conv2D with same and valid padding and a stride, max pooling folded into its convolution,
/// overlapping same-padded average pooling on cores of its own.
#[test]
fn conv2d_and_pooling_equal_the_reference() {
    let plan = both_modes("[8, 8, 1]", CONV2D_AND_POOLS, MachineOptions::spinn5);
    assert_eq!(names(&plan)[..3], ["c1+max", "c2", "avg"], "{plan:?}");
}

const CONV1D_AND_POOLS: &str = r#"
[[layers]]
conv1d = 6
kernel_size = 3
padding = "same"
activation = "relu"

[[layers]]
name = "pool"
max_pooling1d = 2
strides = 1

[[layers]]
conv1d = 5
kernel_size = 2
strides = 2
activation = "sigmoid"

[[layers]]
average_pooling1d = 2
padding = "same"

[[layers]]
flatten = true

[[layers]]
dense = 10
activation = "softmax"
"#;

/// Conv1D over 8 steps of 8 channels, overlapping max pooling on its own cores, average
/// pooling with an odd remainder folded into its strided convolution.
#[test]
fn conv1d_and_pooling_equal_the_reference() {
    let plan = both_modes("[8, 8]", CONV1D_AND_POOLS, MachineOptions::spinn5);
    assert_eq!(
        names(&plan)[..3],
        ["conv1d", "pool", "conv1d_1+average_pooling1d"],
        "{plan:?}"
    );
}

const GLOBAL: &str = r#"
[[layers]]
name = "a"
conv2d = 6
kernel_size = 3
activation = "relu"

[[layers]]
name = "b"
conv2d = 6
kernel_size = 3
inputs = ["a"]
activation = "relu"

[[layers]]
name = "g2"
global_average_pooling2d = true
inputs = ["b"]

[[layers]]
name = "g1"
global_average_pooling2d = true
inputs = ["a"]

[[layers]]
name = "sum"
add = true
inputs = ["g1", "g2"]

[[layers]]
dense = 10
activation = "softmax"
"#;

/// Global average pooling folded into a convolution, and on its own cores where its input has
/// another consumer; an add of two flat vectors.
#[test]
fn global_pooling_and_flat_adds_equal_the_reference() {
    let plan = both_modes("[8, 8, 1]", GLOBAL, MachineOptions::spinn5);
    assert!(names(&plan).contains(&"b+g2"), "{plan:?}");
    assert!(names(&plan).contains(&"g1"), "{plan:?}");
}

const GLOBAL_1D: &str = r#"
[[layers]]
conv1d = 8
kernel_size = 3
padding = "same"
activation = "tanh"

[[layers]]
global_average_pooling1d = true

[[layers]]
dense = 10
activation = "softmax"
"#;

#[test]
fn global_pooling_1d_equals_the_reference() {
    let plan = both_modes("[8, 8]", GLOBAL_1D, MachineOptions::spinn5);
    assert_eq!(
        names(&plan)[0],
        "conv1d+global_average_pooling1d",
        "{plan:?}"
    );
}

const RESIDUAL: &str = r#"
[[layers]]
name = "stem"
conv2d = 6
kernel_size = 3
padding = "same"
activation = "relu"

[[layers]]
name = "a1"
conv2d = 6
kernel_size = 3
padding = "same"
activation = "relu"

[[layers]]
name = "a2"
conv2d = 6
kernel_size = 3
padding = "same"

[[layers]]
name = "add1"
add = true
inputs = ["stem", "a2"]
activation = "relu"

[[layers]]
name = "b1"
conv2d = 8
kernel_size = 3
strides = 2
padding = "same"
activation = "relu"

[[layers]]
name = "b2"
conv2d = 8
kernel_size = 3
padding = "same"

[[layers]]
name = "shortcut"
conv2d = 8
kernel_size = 1
strides = 2
inputs = ["add1"]

[[layers]]
name = "fork"
max_pooling2d = 2
inputs = ["add1"]

[[layers]]
name = "widen"
conv2d = 8
kernel_size = 1
inputs = ["fork"]

[[layers]]
name = "add2"
add = true
inputs = ["b2", "shortcut", "widen"]
activation = "relu"

[[layers]]
flatten = true

[[layers]]
dense = 10
activation = "softmax"
"#;

/// Two residual blocks, the second with a strided 1 × 1 convolution on its shortcut and a
/// three-way add; `add1` feeds three layers (a fork whose `δ` is the sum over them).
#[test]
fn a_residual_graph_equals_the_reference() {
    let plan = both_modes("[8, 8, 1]", RESIDUAL, MachineOptions::spinn5);
    let names = names(&plan);
    assert!(names.contains(&"a2+add1"), "{names:?}");
    assert!(
        names
            .iter()
            .any(|n| n.contains("shortcut") && n.ends_with("add2")),
        "{names:?}"
    );
}

/// The residual graph with little DTCM per core: convolutions cut into spatial tiles (halos,
/// kernel copies whose gradients are summed before every update) and blocks of input
/// channels, spread over chips across the board.
#[test]
fn a_residual_graph_cut_into_tiles_over_several_chips_equals_the_reference() {
    let options = || {
        let topology = spinn_arch::Machine::spinn5();
        let chips = topology
            .chips()
            .filter(|&c| c != spinn_arch::ChipCoord::new(0, 0))
            .step_by(5)
            .take(9)
            .collect();
        let mut options = MachineOptions::on(topology);
        options.plan = PlanConfig {
            dtcm_bytes: 6 * 1024,
            slots: 2,
        };
        options.spread = Spread::Chips(chips);
        options
    };
    let plan = both_modes("[8, 8, 1]", RESIDUAL, options);
    assert!(plan.iter().any(|(_, spatial, _)| *spatial > 2), "{plan:?}");
    let cores: usize = plan.iter().map(|(_, _, c)| c).sum();
    assert!(cores > 2 * plan.len(), "{plan:?}");
}
