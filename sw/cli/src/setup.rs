//! What `train`, `eval`, `predict` and `route` share: the model (a file or the default, with
//! the command line's overrides), the machine it names or is given, and the data set split
//! into training and test samples as training splits it.

use anyhow::Context;
use spinn_dl::{DataSource, Dataset, ModelFile, ModelSpec, NumericMode, Weights};
use std::path::PathBuf;

/// Epochs when neither the command line nor the model file says.
pub const DEFAULT_EPOCHS: usize = 15;

/// The model as the command line gives it.
#[derive(Debug, Clone, Default)]
pub struct ModelChoice {
    /// A model file; `None`: the default digits MLP.
    pub model: Option<PathBuf>,
    pub batch_size: Option<usize>,
    pub learning_rate: Option<f64>,
    pub numeric: Option<NumericMode>,
    pub seed: Option<u64>,
    /// `None`: the model file's machine, or SpiNN-5.
    pub machine: Option<String>,
}

/// The model with its overrides applied, and where it runs.
pub struct Resolved {
    pub spec: ModelSpec,
    /// The model file's `epochs`, if it names them.
    pub file_epochs: Option<usize>,
    /// The machine as text (as `--machine` takes it), its topology and its name.
    pub machine_text: String,
    pub topology: spinn_arch::Machine,
    pub machine_name: String,
}

impl ModelChoice {
    /// Reads the model file (or takes the default), applies the overrides and parses the
    /// machine.
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let file = match &self.model {
            Some(path) => ModelFile::read(path)?,
            None => ModelFile {
                spec: ModelSpec::digits_default(),
                machine: None,
                epochs: None,
            },
        };
        resolve_file(file, self)
    }
}

/// `file` with the overrides of `choice` (whose `model` is not read).
pub fn resolve_file(file: ModelFile, choice: &ModelChoice) -> anyhow::Result<Resolved> {
    let base = file.spec;
    let spec = base
        .with_training(
            base.optimizer()
                .with(choice.learning_rate, choice.batch_size),
            choice.numeric.unwrap_or(base.numeric()),
            choice.seed.unwrap_or(base.seed()),
        )
        .context("the model with the command line's settings")?;
    let machine_text = choice
        .machine
        .clone()
        .or(file.machine)
        .unwrap_or_else(|| "spinn5".to_string());
    let (topology, machine_name) = crate::commands::parse_machine(&machine_text)?;
    Ok(Resolved {
        spec,
        file_epochs: file.epochs,
        machine_text,
        topology,
        machine_name,
    })
}

/// Which samples a command runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// The held-out test samples (what `train` evaluates after each epoch).
    Test,
    /// The training samples.
    Train,
    /// Every sample.
    All,
}

/// The data set, loaded and split as `train` splits it (seeded by the model's seed).
pub struct Data {
    /// Every sample, in the file's order.
    pub all: Dataset,
    pub train: Dataset,
    pub test: Dataset,
}

pub fn load_data(source: &DataSource, test_fraction: f64, seed: u64) -> anyhow::Result<Data> {
    let data = source
        .load()
        .with_context(|| format!("the data set {source}"))?;
    let (train, test) = data
        .split(test_fraction, seed)
        .with_context(|| format!("splitting {source} into training and test sets"))?;
    Ok(Data {
        all: data,
        train,
        test,
    })
}

impl Data {
    /// The samples of `split`.
    pub fn samples(&self, split: Split) -> Dataset {
        match split {
            Split::Test => self.test.clone(),
            Split::Train => self.train.clone(),
            Split::All => self.all.clone(),
        }
    }
}

/// The weights of `--weights-in`, or the model's initial weights.
pub fn weights(spec: &ModelSpec, path: Option<&PathBuf>) -> anyhow::Result<Weights> {
    match path {
        Some(path) => spinn_dl::load_npz(path, spec)
            .with_context(|| format!("weights from {}", path.display())),
        None => Ok(spec.init_weights()),
    }
}

/// The learning rate or momentum as the model's numeric mode holds it.
pub fn quantised(spec: &ModelSpec, value: f64) -> f64 {
    match spec.numeric() {
        NumericMode::Fixed => NumericMode::Fixed.quantised(value),
        NumericMode::F32 => value,
    }
}
