//! The thesis prototype's mapping measured (issue 12, item 4): the digits MLP (64-128-10) and
//! the MNIST MLP (784-256-10) trained with the baseline ([`SpidnnNetwork`]: one neuron per
//! core, one sample at a time, errors multicast to the whole layer below) on a simulated
//! SpiNN-5 board, in both numeric modes, beside the project's own mapping ([`OnMachine`]) on
//! the same batches. Prints, per model and mode: machine training samples/s (machine time from
//! the report: router cycles over the router clock), packets sent and delivered per sample,
//! error packets discarded per sample, cores used, dumps and drops, and whether the baseline's
//! parameters equal the project mapping's after the run.
//!
//! ```sh
//! cargo run --release -p spinn-verif --example spidnn_baseline          # 10 batches of 32
//! cargo run --release -p spinn-verif --example spidnn_baseline -- 4     # 4 batches
//! ```

use spinn_dl::machine::{
    Arith, Fixed, MachineOptions, OnMachine, Parameters, SpidnnError, SpidnnNetwork, F32,
};
use spinn_dl::{digits, mnist, Activation, Dataset, Loss, ModelSpec, NumericMode};
use spinn_runtime::MachineReport;
use std::time::Instant;

fn one_hot(set: &Dataset, indices: &[usize]) -> Vec<Vec<f32>> {
    let all = set.one_hot();
    let classes = all.len() / set.n_samples();
    indices
        .iter()
        .map(|&i| all[i * classes..(i + 1) * classes].to_vec())
        .collect()
}

/// The batches the runs train on: the first `batches × batch` samples in order.
fn batches(set: &Dataset, batches: usize, batch: usize) -> Vec<(Vec<usize>, Vec<Vec<f32>>)> {
    (0..batches)
        .map(|b| {
            let chunk: Vec<usize> = (b * batch..(b + 1) * batch).collect();
            let y = one_hot(set, &chunk);
            (chunk, y)
        })
        .collect()
}

/// Machine seconds, packets and host time of a training run.
struct Run<V> {
    machine_seconds: f64,
    sent: u64,
    delivered: u64,
    report: MachineReport,
    host_seconds: f64,
    parameters: Vec<Parameters<V>>,
}

/// What the benchmark needs of a network on the machine, for both mappings.
trait Trained<A: Arith> {
    fn train(&mut self, x: &[&[f32]], y: &[&[f32]]);
    fn report(&self) -> MachineReport;
    fn parameters(&self) -> Vec<Parameters<A::Value>>;
}

impl<A: Arith> Trained<A> for SpidnnNetwork<A> {
    fn train(&mut self, x: &[&[f32]], y: &[&[f32]]) {
        self.train_batch(x, y).expect("the baseline trains");
    }
    fn report(&self) -> MachineReport {
        SpidnnNetwork::report(self)
    }
    fn parameters(&self) -> Vec<Parameters<A::Value>> {
        SpidnnNetwork::parameters(self)
    }
}

impl<A: Arith> Trained<A> for OnMachine<A> {
    fn train(&mut self, x: &[&[f32]], y: &[&[f32]]) {
        self.train_batch(x, y)
            .expect("the project's mapping trains");
    }
    fn report(&self) -> MachineReport {
        OnMachine::report(self)
    }
    fn parameters(&self) -> Vec<Parameters<A::Value>> {
        OnMachine::parameters(self)
    }
}

/// Trains `network` on `work`, timing machine and host.
fn run<A: Arith>(
    set: &Dataset,
    work: &[(Vec<usize>, Vec<Vec<f32>>)],
    network: &mut impl Trained<A>,
) -> Run<A::Value> {
    let before = network.report();
    let started = Instant::now();
    for (chunk, ys) in work {
        let x: Vec<&[f32]> = chunk.iter().map(|&i| set.sample(i)).collect();
        let y: Vec<&[f32]> = ys.iter().map(Vec::as_slice).collect();
        network.train(&x, &y);
    }
    let host_seconds = started.elapsed().as_secs_f64();
    let after = network.report();
    Run {
        machine_seconds: after.seconds - before.seconds,
        sent: after.packets_sent - before.packets_sent,
        delivered: after.delivered - before.delivered,
        report: after,
        host_seconds,
        parameters: network.parameters(),
    }
}

fn measure<A: Arith>(label: &str, spec: &ModelSpec, set: &Dataset, n_batches: usize) {
    let options = MachineOptions::spinn5();
    let weights = spec.init_weights();
    let batch = spec.optimizer().batch_size();
    let work = batches(set, n_batches, batch);
    let samples = (n_batches * batch) as f64;
    let mode = spec.numeric().name();
    let mut baseline = match SpidnnNetwork::<A>::new(spec, &weights, &options) {
        Ok(network) => network,
        Err(error @ SpidnnError::TooManyNeurons { .. }) => {
            println!("{label} ({mode}): baseline does not fit: {error}");
            return;
        }
        Err(error) => panic!("{label}: {error}"),
    };
    let base = run(set, &work, &mut baseline);
    let discarded = baseline.discarded_packets();
    let mut ours = OnMachine::<A>::new(spec, &weights, &options).expect("the project's mapping");
    let own = run(set, &work, &mut ours);
    let equal = base.parameters == own.parameters;
    let rate = |r: &Run<A::Value>| samples / r.machine_seconds;
    println!(
        "{label} ({mode}, {n_batches} batches of {batch}): baseline {:.0} machine samples/s, \
         {:.0} packets sent and {:.0} delivered per sample ({:.0} discarded error packets per \
         sample), {} cores, {} dumped, {} dropped, host {:.1} s | project's mapping {:.0} \
         samples/s, {:.0} sent and {:.0} delivered per sample, {} cores, {} dropped | speed-up \
         {:.1}x | parameters equal after the run: {}",
        rate(&base),
        base.sent as f64 / samples,
        base.delivered as f64 / samples,
        discarded as f64 / samples,
        base.report.cores_used,
        base.report.dumped,
        base.report.dropped,
        base.host_seconds,
        rate(&own),
        own.sent as f64 / samples,
        own.delivered as f64 / samples,
        own.report.cores_used,
        own.report.dropped,
        rate(&own) / rate(&base),
        if equal {
            "bit for bit"
        } else {
            "no (f32: blocks add in another order)"
        },
    );
}

fn main() {
    let n_batches: usize = std::env::args()
        .nth(1)
        .map_or(10, |a| a.parse().expect("BATCHES: a number"));
    let digits_set = digits().expect("the embedded digits");
    for numeric in [NumericMode::F32, NumericMode::Fixed] {
        let spec = ModelSpec::digits_default()
            .with_numeric(numeric)
            .expect("the default model in either mode");
        match numeric {
            NumericMode::F32 => {
                measure::<F32>("digits MLP 64-128-10", &spec, &digits_set, n_batches)
            }
            NumericMode::Fixed => {
                measure::<Fixed>("digits MLP 64-128-10", &spec, &digits_set, n_batches)
            }
        }
    }
    let mnist_set = mnist().expect("the embedded MNIST subset");
    for numeric in [NumericMode::F32, NumericMode::Fixed] {
        let spec = ModelSpec::builder(784)
            .dense(256, Activation::Relu)
            .dense(10, Activation::Softmax)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.1, 32)
            .numeric(numeric)
            .seed(1)
            .build()
            .expect("the MNIST MLP");
        let label = "MNIST MLP 784-256-10";
        match numeric {
            NumericMode::F32 => measure::<F32>(label, &spec, &mnist_set, n_batches),
            NumericMode::Fixed => measure::<Fixed>(label, &spec, &mnist_set, n_batches),
        }
    }
    println!(
        "(the thesis's own graph, one injector core per input feature and per label, a loss \
         core and two gatherers, needs 64 + 138 + 10 + 2 = 214 cores for the digits MLP and \
         784 + 266 + 10 + 2 = 1,062 for the MNIST MLP, more than a SpiNN-5 board's cores; \
         this baseline's one feeder core keeps the MNIST MLP on the board)"
    );
}
