//! The TOML model file: a [`ModelSpec`] as text, read by [`ModelSpec::from_toml`] (or
//! [`read_model_file`], or [`ModelFile`] to keep the optional `machine` setting too) and
//! written by [`ModelSpec::to_toml`], which round-trip exactly.
//! `docs/model-files.md` describes the format for users, with more examples.
//!
//! Two versions are read; [`ModelSpec::to_toml`] writes version 2.
//! A file without `version` is version 1.
//!
//! # Version 2: a graph of named layers
//!
//! A complete example, a small convolutional network on the 8×8 digits with one residual
//! connection:
//!
//! ```toml
//! version = 2
//! input = [8, 8, 1]                    # one sample's shape: [n], [steps, channels] or [rows, cols, channels]
//! seed = 1                             # seed of the initial weights (see ModelSpec::init_weights)
//! numeric = "f32"                      # "f32" or "fixed" (s16.15)
//! loss = "categorical_crossentropy"    # or "mean_squared_error", "binary_crossentropy"
//! machine = "spinn5"                   # optional; the machine to run on, read by the caller
//! epochs = 15                          # optional; the epochs to train for, read by the caller
//!
//! [optimizer.sgd]                      # the only optimiser for now
//! learning_rate = 0.05                 # finite, > 0
//! batch_size = 32                      # at least 1
//! momentum = 0.9                       # optional, in [0, 1); leave out for plain SGD
//!
//! [[layers]]                           # one [[layers]] table per layer, in order
//! conv2d = 8                           # the operation's key and its main setting (filters)
//! kernel_size = 3                      # an integer, or [rows, cols]
//! padding = "same"                     # optional: "valid" (the default) or "same"
//! activation = "relu"                  # optional: identity (the default; also linear), relu, sigmoid, tanh, softmax
//!
//! [[layers]]
//! conv2d = 8
//! name = "branch"                      # optional; otherwise Keras' automatic name (here conv2d_1)
//! kernel_size = [3, 3]
//! strides = 1                          # optional, default 1; an integer or [rows, cols]
//! padding = "same"
//!
//! [[layers]]
//! add = true                           # the element-wise sum of two or more layers
//! inputs = ["conv2d", "branch"]        # optional elsewhere (default: the previous layer); "input" is the input
//! activation = "relu"
//!
//! [[layers]]
//! max_pooling2d = 2                    # the pool size; strides default to it
//!
//! [[layers]]
//! flatten = true
//!
//! [[layers]]
//! dense = 10                           # units
//! activation = "softmax"               # only on the last layer
//! ```
//!
//! The operation keys and the settings each takes besides `name` and `inputs`, with their
//! defaults (an integer size `n` means `[n, n]` in 2-D):
//!
//! | key | main setting | other settings |
//! |---|---|---|
//! | `dense` | units | `activation` = identity |
//! | `conv1d` | filters | `kernel_size` (int or `[k]`, required), `strides` = 1, `padding` = valid, `activation` = identity |
//! | `conv2d` | filters | `kernel_size` (int or `[kh, kw]`, required), `strides` = 1, `padding` = valid, `activation` = identity |
//! | `max_pooling1d`, `average_pooling1d` | pool size (int or `[n]`) | `strides` = the pool size, `padding` = valid |
//! | `max_pooling2d`, `average_pooling2d` | pool size (int or `[h, w]`) | `strides` = the pool size, `padding` = valid |
//! | `global_average_pooling1d`, `global_average_pooling2d`, `flatten` | `true` | none |
//! | `add` | `true` | `activation` = identity; `inputs` must name two or more layers |
//!
//! Rules:
//! * A layer table has exactly one operation key; a setting the operation does not take is an
//!   error, as is every unknown key anywhere (a misspelt `momentun` must not silently mean
//!   "no momentum").
//! * `input = [...]` may be written `inputs = n` for a flat input, as in version 1.
//! * Layers without a `name` are named as Keras names them: the operation's key, then
//!   `_1`, `_2`, … for later unnamed layers of the same kind (`conv2d`, `conv2d_1`).
//! * `inputs` lists names of earlier layers (or `input`); it defaults to the previous layer, so
//!   a plain list of layers is a sequential model.
//!
//! # Version 1: a stack of dense layers
//!
//! The [`ModelSpec::digits_default`] network with momentum added:
//!
//! ```toml
//! version = 1                          # optional; the format version, 1 if left out
//! inputs = 64                          # features per sample, at least 1
//! seed = 1
//! numeric = "f32"
//! loss = "categorical_crossentropy"
//!
//! [optimizer.sgd]
//! learning_rate = 0.1
//! batch_size = 32
//! momentum = 0.9
//!
//! [[layers]]                           # one [[layers]] table per layer, input to output
//! dense = 128                          # a dense layer and its number of units
//! activation = "relu"                  # required in version 1
//!
//! [[layers]]
//! dense = 10
//! activation = "softmax"
//! ```
//!
//! Every key above is required except `version` and `momentum`, and a layer has exactly the
//! keys `dense` and `activation`.
//!
//! # Both versions
//!
//! * The optimiser may equally be written inline, `[optimizer]` then
//!   `sgd = { learning_rate = 0.1, batch_size = 32 }`: it is the same TOML.
//! * `seed` is an integer in `0..=2^63−1` (TOML's range), or a string holding a decimal or
//!   `0x` hexadecimal `u64`; [`ModelSpec::to_toml`] writes seeds above `2^63−1` as a hex string.
//! * Layers are numbered from 0 in error messages (`layers[1].activation`), as
//!   [`GraphError`] numbers them.
//!
//! Every error names the file and the 1-based line and column, and either the key at fault
//! (`model.toml:9:14: layers[0].activation: unknown activation "relux", expected one of ...`)
//! or TOML's own description of a syntax, missing-key or wrong-type problem followed by the
//! offending line.

use crate::data::{clipped, MESSAGE_CHARS, QUOTED_CHARS};
use crate::graph::{Graph, GraphError, LayerSpec};
use crate::model::{Loss, ModelError, ModelSpec, NumericMode, Optimizer};
use crate::ops::{
    Activation, Add, Conv, Dense, Dims, Flatten, GlobalPool, Op, Padding, Pool, PoolKind,
};
use crate::shape::Shape;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The model file format version that [`ModelSpec::to_toml`] writes; [`ModelSpec::from_toml`]
/// reads it and version 1.
pub const FORMAT_VERSION: i64 = 2;

/// The largest model file [`ModelFile::read`] reads: 1 MiB, far more than any real model
/// needs, so that a path naming a device or a huge file is an error instead of an unbounded
/// read.
pub const MAX_MODEL_FILE_BYTES: u64 = 1 << 20;

/// The names a model file accepts, as listed in errors; a test checks them against the
/// enums' own names.
const ACTIVATION_NAMES: &[&str] = &["identity", "relu", "sigmoid", "tanh", "softmax", "linear"];
const LOSS_NAMES: &[&str] = &[
    "mean_squared_error",
    "categorical_crossentropy",
    "binary_crossentropy",
];
const NUMERIC_NAMES: &[&str] = &["f32", "fixed"];
const PADDING_NAMES: &[&str] = &["valid", "same"];

/// The settings every layer may have, whatever its operation.
const COMMON_SETTINGS: [&str; 2] = ["name", "inputs"];

/// A version 2 operation key and the settings its layers take besides `name` and `inputs`.
struct OpKey {
    key: &'static str,
    settings: &'static [&'static str],
}

/// Every operation key, in the order error messages list them; a test checks that they are
/// exactly the operations' kinds.
const OP_KEYS: &[OpKey] = &[
    OpKey {
        key: "dense",
        settings: &["activation"],
    },
    OpKey {
        key: "conv1d",
        settings: &["kernel_size", "strides", "padding", "activation"],
    },
    OpKey {
        key: "conv2d",
        settings: &["kernel_size", "strides", "padding", "activation"],
    },
    OpKey {
        key: "max_pooling1d",
        settings: &["strides", "padding"],
    },
    OpKey {
        key: "max_pooling2d",
        settings: &["strides", "padding"],
    },
    OpKey {
        key: "average_pooling1d",
        settings: &["strides", "padding"],
    },
    OpKey {
        key: "average_pooling2d",
        settings: &["strides", "padding"],
    },
    OpKey {
        key: "global_average_pooling1d",
        settings: &[],
    },
    OpKey {
        key: "global_average_pooling2d",
        settings: &[],
    },
    OpKey {
        key: "flatten",
        settings: &[],
    },
    OpKey {
        key: "add",
        settings: &["activation"],
    },
];

/// Where in a model file something is: the file's name and a 1-based line and column
/// (counted in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The name the caller gave the text, normally its path.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.origin, self.line, self.column)
    }
}

/// Why a model file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The file could not be read.
    #[error("cannot read model file {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The path names a directory, a device, a pipe or a socket rather than a file.
    #[error("cannot read model file {}: not a regular file", .path.display())]
    NotAFile { path: PathBuf },

    /// A file larger than [`MAX_MODEL_FILE_BYTES`].
    #[error("cannot read model file {}: it has {size} bytes, more than the {limit} a model file may have", .path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },

    /// Not valid TOML, a missing or unknown key, or a value of the wrong type (TOML's own
    /// message, with the offending line).
    #[error("{location}: {message}{}", quote_line(.line_text))]
    Toml {
        location: Location,
        message: String,
        line_text: String,
    },

    /// A name that is not one of the valid ones (activation, loss, numeric mode, padding).
    #[error("{location}: {key}: unknown {kind} \"{value}\", expected one of {}", .expected.join(", "))]
    UnknownName {
        location: Location,
        key: String,
        kind: &'static str,
        value: String,
        expected: &'static [&'static str],
    },

    /// A `version` other than 1 or 2.
    #[error("{location}: version: model file version {version} is not supported (this library reads versions 1 and {FORMAT_VERSION})")]
    UnsupportedVersion { location: Location, version: i64 },

    /// A seed that is neither a non-negative integer nor a string holding a `u64`.
    #[error("{location}: seed: {found} is not a seed (an integer 0..=9223372036854775807, or a string holding a decimal or 0x-hex u64)")]
    BadSeed { location: Location, found: String },

    /// A version 2 key or value that does not fit the format: a layer without exactly one
    /// operation key, a setting its operation does not take, a missing setting, a value of
    /// the wrong type or length.
    #[error("{location}: {key}: {message}")]
    Invalid {
        location: Location,
        key: String,
        message: String,
    },

    /// The file is well formed but describes an invalid model. (Boxed: a model error is
    /// large, and every `Result` of this module would carry its size.)
    #[error("{location}: {key}: {source}")]
    Model {
        location: Location,
        key: String,
        #[source]
        source: Box<ModelError>,
    },
}

/// A model file's contents: the model, and the machine it says it is meant for.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFile {
    pub spec: ModelSpec,
    /// The `machine` setting as written (version 2 only; not checked here, the caller knows
    /// the machines).
    pub machine: Option<String>,
    /// The `epochs` setting: how many epochs the model is meant to train for (version 2 only;
    /// at least 1).
    pub epochs: Option<usize>,
}

impl ModelFile {
    /// Parses and validates a model file's text; `origin` (normally the path) names the text
    /// in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<ModelFile, ModelFileError> {
        let source = Source { text, origin };
        let probe: VersionProbe = source.toml()?;
        match probe.version {
            None => parse_v1(&source),
            Some(version) => match *version.get_ref() {
                1 => parse_v1(&source),
                FORMAT_VERSION => parse_v2(&source),
                other => Err(ModelFileError::UnsupportedVersion {
                    location: source.location(version.span().start),
                    version: other,
                }),
            },
        }
    }

    /// Reads and validates a model file; errors name `path`. Refuses anything but a regular
    /// file of at most [`MAX_MODEL_FILE_BYTES`].
    pub fn read(path: &Path) -> Result<ModelFile, ModelFileError> {
        let bytes = crate::data::read_limited(path, MAX_MODEL_FILE_BYTES).map_err(|err| {
            let path = path.to_path_buf();
            match err {
                crate::data::LimitedReadError::Io(source) => ModelFileError::Io { path, source },
                crate::data::LimitedReadError::NotAFile => ModelFileError::NotAFile { path },
                crate::data::LimitedReadError::TooLarge { size } => ModelFileError::TooLarge {
                    path,
                    size,
                    limit: MAX_MODEL_FILE_BYTES,
                },
            }
        })?;
        let text = String::from_utf8(bytes).map_err(|err| ModelFileError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, err.utf8_error()),
        })?;
        ModelFile::parse(&text, &path.display().to_string())
    }

    /// The file as text (format version 2), which [`ModelFile::parse`] reads back to an equal
    /// value.
    pub fn to_toml(&self) -> String {
        write_v2(&self.spec, self.machine.as_deref(), self.epochs)
    }
}

/// Reads and validates a model file; errors name `path` (see [`ModelFile::read`]).
pub fn read_model_file(path: &Path) -> Result<ModelSpec, ModelFileError> {
    ModelFile::read(path).map(|it| it.spec)
}

impl ModelSpec {
    /// Parses and validates a model file's text; `origin` (normally the path) names the text
    /// in error messages. A `machine` setting is accepted and dropped (see [`ModelFile`]).
    pub fn from_toml(text: &str, origin: &str) -> Result<ModelSpec, ModelFileError> {
        ModelFile::parse(text, origin).map(|it| it.spec)
    }

    /// The model as a model file (format version 2), which [`ModelSpec::from_toml`] reads
    /// back to an equal model.
    ///
    /// Layers are named only where their name is not the automatic one, `inputs` is written
    /// only where it is not just the previous layer, and every other setting is written out.
    pub fn to_toml(&self) -> String {
        write_v2(self, None, None)
    }
}

/// The text being parsed, for turning byte offsets into locations.
struct Source<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Source<'_> {
    /// Deserialises the whole text, with TOML's errors located and kept to one line.
    fn toml<T: serde::de::DeserializeOwned>(&self) -> Result<T, ModelFileError> {
        toml::from_str(self.text).map_err(|err| {
            let location = self.location(err.span().map_or(0, |it| it.start));
            // TOML's messages can span lines and quote the value at fault whole; keep ours to
            // one short line.
            let message = err
                .message()
                .lines()
                .map(str::trim)
                .filter(|it| !it.is_empty())
                .collect::<Vec<_>>()
                .join("; ");
            ModelFileError::Toml {
                line_text: self.line_text(location.line),
                location,
                message: clipped(&message, MESSAGE_CHARS),
            }
        })
    }

    fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        // Spans from the parser are char boundaries; fall back to the line start otherwise.
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |it| it + 1);
        let column = before[line_start..].chars().count() + 1;
        Location {
            origin: self.origin.to_string(),
            line,
            column,
        }
    }

    /// The line quoted after an error, clipped: a line can be the whole file.
    fn line_text(&self, line: usize) -> String {
        let text = self.text.lines().nth(line - 1).unwrap_or("").trim();
        clipped(text, QUOTED_CHARS)
    }

    /// Looks up a name, or reports it as unknown at its position with the valid ones.
    fn name<T>(
        &self,
        value: &Spanned<String>,
        key: &str,
        kind: &'static str,
        expected: &'static [&'static str],
        lookup: fn(&str) -> Option<T>,
    ) -> Result<T, ModelFileError> {
        self.name_at(
            value.get_ref(),
            value.span().start,
            key,
            kind,
            expected,
            lookup,
        )
    }

    fn name_at<T>(
        &self,
        value: &str,
        offset: usize,
        key: &str,
        kind: &'static str,
        expected: &'static [&'static str],
        lookup: fn(&str) -> Option<T>,
    ) -> Result<T, ModelFileError> {
        lookup(value).ok_or_else(|| ModelFileError::UnknownName {
            location: self.location(offset),
            key: key.to_string(),
            kind,
            value: clipped(value, QUOTED_CHARS),
            expected,
        })
    }

    fn invalid(&self, offset: usize, key: &str, message: impl Into<String>) -> ModelFileError {
        ModelFileError::Invalid {
            location: self.location(offset),
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn model_error(&self, offset: usize, key: String, source: ModelError) -> ModelFileError {
        ModelFileError::Model {
            location: self.location(offset),
            key,
            source: Box::new(source),
        }
    }
}

fn quote_line(line_text: &str) -> String {
    if line_text.is_empty() {
        String::new()
    } else {
        format!(" (in `{line_text}`)")
    }
}

fn parse_seed(value: &toml::Value) -> Option<u64> {
    match value {
        toml::Value::Integer(it) => u64::try_from(*it).ok(),
        toml::Value::String(text) => match text.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        },
        _ => None,
    }
}

/// The keys both versions share: how the model trains.
struct Training {
    loss: Loss,
    optimizer: Optimizer,
    numeric: NumericMode,
    seed: u64,
}

/// Reads the numeric mode and loss (in that order, as version 1 always has).
fn numeric_and_loss(
    source: &Source,
    numeric: &Spanned<String>,
    loss: &Spanned<String>,
) -> Result<(NumericMode, Loss), ModelFileError> {
    let numeric = source.name(
        numeric,
        "numeric",
        "numeric mode",
        NUMERIC_NAMES,
        NumericMode::from_name,
    )?;
    let loss = source.name(loss, "loss", "loss", LOSS_NAMES, Loss::from_name)?;
    Ok((numeric, loss))
}

fn seed_and_optimizer(
    source: &Source,
    seed: &Spanned<toml::Value>,
    optimizer: &RawOptimizer,
) -> Result<(u64, Optimizer), ModelFileError> {
    let value = parse_seed(seed.get_ref()).ok_or_else(|| ModelFileError::BadSeed {
        location: source.location(seed.span().start),
        found: shown(seed.get_ref()),
    })?;
    let sgd = optimizer.sgd.get_ref();
    let optimizer = Optimizer::Sgd {
        learning_rate: *sgd.learning_rate.get_ref(),
        momentum: sgd.momentum.as_ref().map(|it| *it.get_ref()),
        batch_size: *sgd.batch_size.get_ref(),
    };
    Ok((value, optimizer))
}

/// The key a model error outside the graph is about, and where its value is in the file;
/// `None` for graph errors, which each version locates itself.
fn locate_training(
    optimizer: &RawOptimizer,
    loss: &Spanned<String>,
    err: &ModelError,
) -> Option<(String, Range<usize>)> {
    let sgd = optimizer.sgd.get_ref();
    Some(match err {
        ModelError::Graph(_) => return None,
        ModelError::InvalidLearningRate { .. }
        | ModelError::F32LearningRate { .. }
        | ModelError::FixedLearningRate { .. } => (
            "optimizer.sgd.learning_rate".to_string(),
            sgd.learning_rate.span(),
        ),
        ModelError::InvalidMomentum { .. } => (
            "optimizer.sgd.momentum".to_string(),
            sgd.momentum
                .as_ref()
                .map_or(optimizer.sgd.span(), |it| it.span()),
        ),
        ModelError::ZeroBatchSize | ModelError::BatchTooLarge { .. } => (
            "optimizer.sgd.batch_size".to_string(),
            sgd.batch_size.span(),
        ),
        ModelError::BinaryCrossEntropyWithSoftmax { .. }
        | ModelError::CategoricalCrossEntropyTooFewOutputs { .. } => {
            ("loss".to_string(), loss.span())
        }
        // The file always supplies these, so they cannot occur; point at the start.
        ModelError::MissingLoss
        | ModelError::MissingOptimizer
        | ModelError::MissingNumeric
        | ModelError::MissingSeed => ("model".to_string(), 0..0),
    })
}

/// Builds the model from its graph and training keys, locating a model error with
/// `locate_graph` (graph errors) or [`locate_training`].
fn build(
    source: &Source,
    graph: Result<Graph, GraphError>,
    training: Training,
    optimizer: &RawOptimizer,
    loss: &Spanned<String>,
    locate_graph: impl Fn(&GraphError) -> (String, usize),
) -> Result<ModelSpec, ModelFileError> {
    let graph = graph.map_err(|err| {
        let (key, offset) = locate_graph(&err);
        source.model_error(offset, key, ModelError::Graph(err))
    })?;
    ModelSpec::new(
        graph,
        training.loss,
        training.optimizer,
        training.numeric,
        training.seed,
    )
    .map_err(|err| {
        let (key, offset) = match locate_training(optimizer, loss, &err) {
            Some((key, span)) => (key, span.start),
            None => match &err {
                ModelError::Graph(graph) => locate_graph(graph),
                _ => ("model".to_string(), 0),
            },
        };
        source.model_error(offset, key, err)
    })
}

// ---------------------------------------------------------------------------------------------
// Version 1.

fn parse_v1(source: &Source) -> Result<ModelFile, ModelFileError> {
    let raw: RawModelV1 = source.toml()?;
    let (numeric, loss) = numeric_and_loss(source, &raw.numeric, &raw.loss)?;
    let layers = raw
        .layers
        .get_ref()
        .iter()
        .enumerate()
        .map(|(layer, it)| {
            let activation = source.name(
                &it.activation,
                &format!("layers[{layer}].activation"),
                "activation",
                ACTIVATION_NAMES,
                Activation::from_name,
            )?;
            Ok(LayerSpec::new(Op::Dense(Dense {
                units: *it.dense.get_ref(),
                activation,
            })))
        })
        .collect::<Result<Vec<_>, ModelFileError>>()?;
    let (seed, optimizer) = seed_and_optimizer(source, &raw.seed, &raw.optimizer)?;
    let graph = Graph::new(Shape::flat(*raw.inputs.get_ref()), layers);
    let locate_graph = |err: &GraphError| -> (String, usize) {
        match err.location() {
            None => match err {
                GraphError::NoLayers => ("layers".to_string(), raw.layers.span().start),
                _ => ("inputs".to_string(), raw.inputs.span().start),
            },
            Some((layer, field)) => match raw.layers.get_ref().get(layer) {
                Some(it) if field == "activation" => (
                    format!("layers[{layer}].activation"),
                    it.activation.span().start,
                ),
                Some(it) => (format!("layers[{layer}].dense"), it.dense.span().start),
                None => ("layers".to_string(), raw.layers.span().start),
            },
        }
    };
    let training = Training {
        loss,
        optimizer,
        numeric,
        seed,
    };
    let spec = build(
        source,
        graph,
        training,
        &raw.optimizer,
        &raw.loss,
        locate_graph,
    )?;
    Ok(ModelFile {
        spec,
        machine: None,
        epochs: None,
    })
}

/// Only the version, to choose the format; other keys are ignored here.
#[derive(Deserialize)]
struct VersionProbe {
    version: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModelV1 {
    // Read by `VersionProbe`; listed so that it is not an unknown field.
    #[allow(dead_code)]
    version: Option<Spanned<i64>>,
    inputs: Spanned<usize>,
    seed: Spanned<toml::Value>,
    numeric: Spanned<String>,
    loss: Spanned<String>,
    optimizer: RawOptimizer,
    layers: Spanned<Vec<RawLayerV1>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptimizer {
    sgd: Spanned<RawSgd>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSgd {
    learning_rate: Spanned<f64>,
    batch_size: Spanned<usize>,
    momentum: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayerV1 {
    dense: Spanned<usize>,
    activation: Spanned<String>,
}

// ---------------------------------------------------------------------------------------------
// Version 2.

/// A layer table as written: its keys with their values (and positions).
type RawTable = BTreeMap<String, Spanned<toml::Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModelV2 {
    // Read by `VersionProbe`; listed so that it is not an unknown field.
    #[allow(dead_code)]
    version: Spanned<i64>,
    input: Option<Spanned<toml::Value>>,
    inputs: Option<Spanned<toml::Value>>,
    seed: Spanned<toml::Value>,
    numeric: Spanned<String>,
    loss: Spanned<String>,
    machine: Option<String>,
    epochs: Option<Spanned<usize>>,
    optimizer: RawOptimizer,
    layers: Spanned<Vec<Spanned<RawTable>>>,
}

/// Where a layer's keys are, for locating the graph's errors.
struct LayerKeys {
    index: usize,
    /// The operation key (`conv2d`) and the offset of its value.
    op_key: &'static str,
    op_offset: usize,
    /// Every key of the table and the offset of its value.
    offsets: BTreeMap<String, usize>,
}

impl LayerKeys {
    /// The key for a [`GraphError::location`] field and the offset to point at: the field's
    /// own key if the table has it, the operation key for the operation's main setting or the
    /// operation itself, and otherwise the operation key's position.
    fn locate(&self, field: &str) -> (String, usize) {
        let key = |name: &str| format!("layers[{}].{name}", self.index);
        if matches!(field, "kind" | "units" | "filters" | "pool_size") {
            return (key(self.op_key), self.op_offset);
        }
        match self.offsets.get(field) {
            Some(&offset) => (key(field), offset),
            // A missing `inputs` is the one to add (an add with one input); other absent keys
            // are defaults of the operation.
            None if field == "inputs" => (key("inputs"), self.op_offset),
            None => (key(self.op_key), self.op_offset),
        }
    }
}

fn parse_v2(source: &Source) -> Result<ModelFile, ModelFileError> {
    let raw: RawModelV2 = source.toml()?;
    let (input, input_key, input_offset) = match (&raw.input, &raw.inputs) {
        (Some(_), Some(inputs)) => {
            return Err(source.invalid(
                inputs.span().start,
                "inputs",
                "give the input once: `input = [...]` for its shape or `inputs = n` for a flat input, not both",
            ))
        }
        (Some(input), None) => (
            input_shape(source, input)?,
            "input",
            input.span().start,
        ),
        (None, Some(inputs)) => {
            let n = non_negative(inputs.get_ref()).ok_or_else(|| {
                source.invalid(
                    inputs.span().start,
                    "inputs",
                    format!(
                        "expected the number of input features, a non-negative integer (or write `input = [...]` for a shaped input), found {}",
                        shown(inputs.get_ref())
                    ),
                )
            })?;
            (Shape::flat(n), "inputs", inputs.span().start)
        }
        (None, None) => {
            return Err(source.invalid(
                0,
                "input",
                "missing: the input shape, `input = [n]`, `[steps, channels]` or `[rows, cols, channels]` (or `inputs = n` for a flat input)",
            ))
        }
    };
    let (numeric, loss) = numeric_and_loss(source, &raw.numeric, &raw.loss)?;
    let mut layers = Vec::new();
    let mut keys = Vec::new();
    for (index, table) in raw.layers.get_ref().iter().enumerate() {
        let (layer, layer_keys) = parse_layer(source, index, table)?;
        layers.push(layer);
        keys.push(layer_keys);
    }
    let (seed, optimizer) = seed_and_optimizer(source, &raw.seed, &raw.optimizer)?;
    let graph = Graph::new(input, layers);
    let locate_graph = |err: &GraphError| -> (String, usize) {
        match err.location() {
            None => match err {
                GraphError::NoLayers => ("layers".to_string(), raw.layers.span().start),
                _ => (input_key.to_string(), input_offset),
            },
            Some((layer, field)) => match keys.get(layer) {
                Some(it) => it.locate(field),
                None => ("layers".to_string(), raw.layers.span().start),
            },
        }
    };
    let training = Training {
        loss,
        optimizer,
        numeric,
        seed,
    };
    let spec = build(
        source,
        graph,
        training,
        &raw.optimizer,
        &raw.loss,
        locate_graph,
    )?;
    if let Some(epochs) = raw.epochs.as_ref().filter(|e| *e.get_ref() == 0) {
        return Err(ModelFileError::Invalid {
            location: source.location(epochs.span().start),
            key: "epochs".to_string(),
            message: "epochs must be at least 1".to_string(),
        });
    }
    Ok(ModelFile {
        spec,
        machine: raw.machine,
        epochs: raw.epochs.map(|e| *e.get_ref()),
    })
}

/// `input = [rows, cols, channels]` (or `[n]`, `[steps, channels]`); the shape itself is
/// checked by [`Graph::new`].
fn input_shape(source: &Source, value: &Spanned<toml::Value>) -> Result<Shape, ModelFileError> {
    let dims = match value.get_ref() {
        toml::Value::Array(items) => items.iter().map(non_negative).collect::<Option<Vec<_>>>(),
        _ => None,
    };
    dims.map(Shape::new).ok_or_else(|| {
        source.invalid(
            value.span().start,
            "input",
            format!(
                "expected the input shape, an array of non-negative integers: [n], [steps, channels] or [rows, cols, channels], found {}",
                shown(value.get_ref())
            ),
        )
    })
}

/// A TOML value as a non-negative integer.
fn non_negative(value: &toml::Value) -> Option<usize> {
    match value {
        toml::Value::Integer(it) => usize::try_from(*it).ok(),
        _ => None,
    }
}

/// A value as TOML writes it, on one line and short, for messages.
fn shown(value: &toml::Value) -> String {
    match value {
        toml::Value::Table(_) => "a table".to_string(),
        // TOML writes a string with a newline over several lines.
        other => clipped(&other.to_string().replace('\n', " "), QUOTED_CHARS),
    }
}

/// One `[[layers]]` table of a version 2 file.
fn parse_layer(
    source: &Source,
    index: usize,
    table: &Spanned<RawTable>,
) -> Result<(LayerSpec, LayerKeys), ModelFileError> {
    let entries = table.get_ref();
    let key = |name: &str| format!("layers[{index}].{name}");
    let at = |name: &str| entries.get(name).map(|it| it.span().start);
    // In file order, so that "found conv2d and dense" reads as written.
    let mut op_keys: Vec<&OpKey> = OP_KEYS
        .iter()
        .filter(|it| entries.contains_key(it.key))
        .collect();
    op_keys.sort_by_key(|it| at(it.key));
    let op_key = match op_keys.as_slice() {
        [one] => *one,
        found => {
            let found = match found {
                [] => {
                    let unknown: Vec<String> = entries
                        .keys()
                        .filter(|k| !is_any_setting(k))
                        .map(|k| format!("`{k}`"))
                        .collect();
                    if unknown.is_empty() {
                        "found none".to_string()
                    } else {
                        format!(
                            "found none ({} {} not one)",
                            and_list(&unknown),
                            if unknown.len() == 1 { "is" } else { "are" }
                        )
                    }
                }
                several => format!(
                    "found {}",
                    and_list(
                        &several
                            .iter()
                            .map(|it| it.key.to_string())
                            .collect::<Vec<_>>()
                    )
                ),
            };
            let all: Vec<&str> = OP_KEYS.iter().map(|it| it.key).collect();
            let offset = match op_keys.get(1) {
                Some(second) => at(second.key).unwrap_or(table.span().start),
                None => table.span().start,
            };
            return Err(source.invalid(
                offset,
                &format!("layers[{index}]"),
                format!(
                    "a layer needs exactly one operation key (one of {}), {found}",
                    all.join(", ")
                ),
            ));
        }
    };
    let mut by_position: Vec<(&String, &Spanned<toml::Value>)> = entries.iter().collect();
    by_position.sort_by_key(|(_, value)| value.span().start);
    for (name, value) in &by_position {
        let name = name.as_str();
        if name != op_key.key
            && !COMMON_SETTINGS.contains(&name)
            && !op_key.settings.contains(&name)
        {
            let takes: Vec<&str> = COMMON_SETTINGS
                .iter()
                .chain(op_key.settings)
                .copied()
                .collect();
            return Err(source.invalid(
                value.span().start,
                &key(name),
                format!(
                    "{} has no setting `{name}` (it takes: {})",
                    op_key.key,
                    takes.join(", ")
                ),
            ));
        }
    }
    let op_value = &entries[op_key.key];
    let values = LayerValues {
        source,
        index,
        entries,
        op_key: op_key.key,
        op_value,
    };
    let name = match entries.get("name") {
        None => None,
        Some(value) => Some(match value.get_ref() {
            toml::Value::String(it) => it.clone(),
            other => {
                return Err(source.invalid(
                    value.span().start,
                    &key("name"),
                    format!("expected a string, found {}", shown(other)),
                ))
            }
        }),
    };
    let inputs = match entries.get("inputs") {
        None => None,
        Some(value) => {
            let names = match value.get_ref() {
                toml::Value::Array(items) => items
                    .iter()
                    .map(|it| it.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>(),
                _ => None,
            };
            Some(names.ok_or_else(|| {
                source.invalid(
                    value.span().start,
                    &key("inputs"),
                    format!(
                        "expected an array of names of earlier layers (or \"input\"), such as [\"conv2d\"], found {}",
                        shown(value.get_ref())
                    ),
                )
            })?)
        }
    };
    let op = values.op()?;
    let keys = LayerKeys {
        index,
        op_key: op_key.key,
        op_offset: op_value.span().start,
        offsets: entries
            .iter()
            .map(|(name, value)| (name.clone(), value.span().start))
            .collect(),
    };
    Ok((LayerSpec { name, op, inputs }, keys))
}

/// Whether `key` is a setting of some operation, or a common one.
fn is_any_setting(key: &str) -> bool {
    COMMON_SETTINGS.contains(&key) || OP_KEYS.iter().any(|it| it.settings.contains(&key))
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// One layer table's values, read as its operation's settings.
struct LayerValues<'a> {
    source: &'a Source<'a>,
    index: usize,
    entries: &'a RawTable,
    op_key: &'static str,
    op_value: &'a Spanned<toml::Value>,
}

impl LayerValues<'_> {
    fn key(&self, name: &str) -> String {
        format!("layers[{}].{name}", self.index)
    }

    fn invalid(&self, value: &Spanned<toml::Value>, name: &str, message: String) -> ModelFileError {
        self.source
            .invalid(value.span().start, &self.key(name), message)
    }

    /// The operation the layer's keys describe.
    fn op(&self) -> Result<Op, ModelFileError> {
        let op_key = self.op_key;
        let dims = if op_key.ends_with("1d") {
            Dims::One
        } else {
            Dims::Two
        };
        Ok(match op_key {
            "dense" => Op::Dense(Dense {
                units: self.count("the number of units")?,
                activation: self.activation()?,
            }),
            "conv1d" | "conv2d" => {
                let filters = self.count("the number of filters")?;
                let kernel = match self.entries.get("kernel_size") {
                    Some(value) => self.window(value, "kernel_size", dims)?,
                    None => {
                        return Err(self.source.invalid(
                            self.op_value.span().start,
                            &self.key("kernel_size"),
                            format!(
                                "missing: {op_key} needs a kernel size ({})",
                                window_form(dims)
                            ),
                        ))
                    }
                };
                Op::Conv(Conv {
                    dims,
                    filters,
                    kernel,
                    strides: self.strides(dims, [1, 1])?,
                    padding: self.padding()?,
                    activation: self.activation()?,
                })
            }
            "max_pooling1d" | "max_pooling2d" | "average_pooling1d" | "average_pooling2d" => {
                let size = self.window(self.op_value, op_key, dims)?;
                let kind = if op_key.starts_with("max") {
                    PoolKind::Max
                } else {
                    PoolKind::Average
                };
                Op::Pool(Pool {
                    kind,
                    dims,
                    size,
                    strides: self.strides(dims, size)?,
                    padding: self.padding()?,
                })
            }
            "global_average_pooling1d" | "global_average_pooling2d" => {
                self.flag()?;
                Op::GlobalPool(GlobalPool { dims })
            }
            "flatten" => {
                self.flag()?;
                Op::Flatten(Flatten)
            }
            "add" => {
                self.flag()?;
                Op::Add(Add {
                    activation: self.activation()?,
                })
            }
            other => {
                // Every key of OP_KEYS has an arm above (a test parses each).
                return Err(self.invalid(
                    self.op_value,
                    other,
                    format!("internal error: operation key `{other}` has no reader"),
                ));
            }
        })
    }

    /// The operation key's value as a count (units, filters); zero is left to the graph's
    /// check, which says why.
    fn count(&self, what: &str) -> Result<usize, ModelFileError> {
        non_negative(self.op_value.get_ref()).ok_or_else(|| {
            self.invalid(
                self.op_value,
                self.op_key,
                format!(
                    "expected {what}, a non-negative integer, found {}",
                    shown(self.op_value.get_ref())
                ),
            )
        })
    }

    /// `flatten = true` and the like.
    fn flag(&self) -> Result<(), ModelFileError> {
        match self.op_value.get_ref() {
            toml::Value::Boolean(true) => Ok(()),
            toml::Value::Boolean(false) => Err(self.invalid(
                self.op_value,
                self.op_key,
                format!(
                    "must be true (`{} = true` marks the layer's operation; to leave the layer out, remove its table)",
                    self.op_key
                ),
            )),
            other => Err(self.invalid(
                self.op_value,
                self.op_key,
                format!("expected true, found {}", shown(other)),
            )),
        }
    }

    /// A window size or strides: an integer (`n` is `[1, n]` in 1-D and `[n, n]` in 2-D) or
    /// an array of one (1-D) or two (2-D) integers.
    fn window(
        &self,
        value: &Spanned<toml::Value>,
        name: &str,
        dims: Dims,
    ) -> Result<[usize; 2], ModelFileError> {
        let parsed = match (value.get_ref(), dims) {
            (toml::Value::Integer(_), Dims::One) => non_negative(value.get_ref()).map(|n| [1, n]),
            (toml::Value::Integer(_), Dims::Two) => non_negative(value.get_ref()).map(|n| [n, n]),
            (toml::Value::Array(items), _) => {
                let items: Option<Vec<usize>> = items.iter().map(non_negative).collect();
                match (items.as_deref(), dims) {
                    (Some(&[n]), Dims::One) => Some([1, n]),
                    (Some(&[rows, cols]), Dims::Two) => Some([rows, cols]),
                    _ => None,
                }
            }
            _ => None,
        };
        parsed.ok_or_else(|| {
            self.invalid(
                value,
                name,
                format!(
                    "expected {}, found {}",
                    window_form(dims),
                    shown(value.get_ref())
                ),
            )
        })
    }

    fn strides(&self, dims: Dims, default: [usize; 2]) -> Result<[usize; 2], ModelFileError> {
        match self.entries.get("strides") {
            Some(value) => self.window(value, "strides", dims),
            None => Ok(default),
        }
    }

    fn padding(&self) -> Result<Padding, ModelFileError> {
        self.named(
            "padding",
            "padding",
            PADDING_NAMES,
            Padding::from_name,
            Padding::Valid,
        )
    }

    fn activation(&self) -> Result<Activation, ModelFileError> {
        self.named(
            "activation",
            "activation",
            ACTIVATION_NAMES,
            Activation::from_name,
            Activation::Identity,
        )
    }

    /// An optional setting holding one of a list of names.
    fn named<T>(
        &self,
        name: &str,
        kind: &'static str,
        expected: &'static [&'static str],
        lookup: fn(&str) -> Option<T>,
        default: T,
    ) -> Result<T, ModelFileError> {
        let Some(value) = self.entries.get(name) else {
            return Ok(default);
        };
        match value.get_ref() {
            toml::Value::String(text) => self.source.name_at(
                text,
                value.span().start,
                &self.key(name),
                kind,
                expected,
                lookup,
            ),
            other => Err(self.invalid(
                value,
                name,
                format!(
                    "expected a string, one of {}, found {}",
                    expected.join(", "),
                    shown(other)
                ),
            )),
        }
    }
}

/// How a window size is written, for messages.
fn window_form(dims: Dims) -> &'static str {
    match dims {
        Dims::One => "an integer or a one-element array [n]",
        Dims::Two => "an integer or a two-element array [rows, cols]",
    }
}

// ---------------------------------------------------------------------------------------------
// Writing.

/// The model as a version 2 file, with `machine` and `epochs` if given.
fn write_v2(spec: &ModelSpec, machine: Option<&str>, epochs: Option<usize>) -> String {
    let graph = spec.graph();
    let mut lines = vec![
        format!("version = {FORMAT_VERSION}"),
        format!("input = {}", int_array(spec.input_shape().dims())),
    ];
    let seed = spec.seed();
    // TOML integers are i64, so larger seeds go in a string (see the module doc).
    if i64::try_from(seed).is_ok() {
        lines.push(format!("seed = {seed}"));
    } else {
        lines.push(format!("seed = \"0x{seed:016x}\""));
    }
    lines.push(format!("numeric = \"{}\"", spec.numeric().name()));
    lines.push(format!("loss = \"{}\"", spec.loss().name()));
    if let Some(machine) = machine {
        lines.push(format!("machine = {}", toml_string(machine)));
    }
    if let Some(epochs) = epochs {
        lines.push(format!("epochs = {epochs}"));
    }
    match spec.optimizer() {
        Optimizer::Sgd {
            learning_rate,
            momentum,
            batch_size,
        } => {
            lines.push(String::new());
            lines.push("[optimizer.sgd]".to_string());
            // `{:?}` prints the shortest text that parses back to the same f64, always
            // with a `.` or an exponent, so TOML reads it as a float.
            lines.push(format!("learning_rate = {learning_rate:?}"));
            lines.push(format!("batch_size = {batch_size}"));
            if let Some(momentum) = momentum {
                lines.push(format!("momentum = {momentum:?}"));
            }
        }
    }
    // The automatic names as `Graph::new` gives them: counted per kind over the unnamed
    // layers only, so a layer whose name is what its position would give it unnamed is
    // written without one (and then counts, as it will when read back).
    let mut auto_count: BTreeMap<&'static str, usize> = BTreeMap::new();
    let nodes = graph.nodes();
    for (position, node) in nodes.iter().enumerate().skip(1) {
        let kind = node.op.kind();
        let n = auto_count.get(kind).copied().unwrap_or(0);
        let automatic = if n == 0 {
            kind.to_string()
        } else {
            format!("{kind}_{n}")
        };
        lines.push(String::new());
        lines.push("[[layers]]".to_string());
        let (main, settings) = op_lines(&node.op);
        lines.push(main);
        if node.name == automatic {
            auto_count.insert(kind, n + 1);
        } else {
            lines.push(format!("name = {}", toml_string(&node.name)));
        }
        let previous = crate::graph::NodeId(position - 1);
        if node.inputs != [previous] {
            let names: Vec<String> = node
                .inputs
                .iter()
                .map(|it| toml_string(&graph.node(*it).name))
                .collect();
            lines.push(format!("inputs = [{}]", names.join(", ")));
        }
        lines.extend(settings);
    }
    lines.push(String::new());
    lines.join("\n")
}

/// An operation's key line and its settings' lines, every setting written out.
fn op_lines(op: &Op) -> (String, Vec<String>) {
    let activation = |a: Activation| format!("activation = \"{}\"", a.name());
    let padding = |p: Padding| format!("padding = \"{}\"", p.name());
    // 1-D windows are `[1, n]`; they are written as the `n` Keras users write.
    let window = |dims: Dims, size: [usize; 2]| match dims {
        Dims::One => size[1].to_string(),
        Dims::Two => int_array(&size),
    };
    match op {
        Op::Dense(it) => (
            format!("dense = {}", it.units),
            vec![activation(it.activation)],
        ),
        Op::Conv(it) => (
            format!("{} = {}", crate::ops::Operation::kind(it), it.filters),
            vec![
                format!("kernel_size = {}", window(it.dims, it.kernel)),
                format!("strides = {}", window(it.dims, it.strides)),
                padding(it.padding),
                activation(it.activation),
            ],
        ),
        Op::Pool(it) => (
            format!(
                "{} = {}",
                crate::ops::Operation::kind(it),
                window(it.dims, it.size)
            ),
            vec![
                format!("strides = {}", window(it.dims, it.strides)),
                padding(it.padding),
            ],
        ),
        Op::GlobalPool(it) => (
            format!("{} = true", crate::ops::Operation::kind(it)),
            Vec::new(),
        ),
        Op::Flatten(_) => ("flatten = true".to_string(), Vec::new()),
        Op::Add(it) => ("add = true".to_string(), vec![activation(it.activation)]),
        // Graph::new accepts the input only as node 0, which is not written as a layer.
        Op::Input => ("# the input is not a layer".to_string(), Vec::new()),
    }
}

fn int_array(values: &[usize]) -> String {
    let items: Vec<String> = values.iter().map(usize::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// A string as a TOML string literal, escaped as TOML needs.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Operation;

    const DIGITS: &str = r#"
inputs = 64
seed = 1
numeric = "f32"
loss = "categorical_crossentropy"

[optimizer.sgd]
learning_rate = 0.1
batch_size = 32

[[layers]]
dense = 128
activation = "relu"

[[layers]]
dense = 10
activation = "softmax"
"#;

    /// A version 2 convolutional network; lines are numbered in the error tests.
    const CNN: &str = r#"version = 2
input = [8, 8, 1]
seed = 1
numeric = "f32"
loss = "categorical_crossentropy"

[optimizer.sgd]
learning_rate = 0.05
batch_size = 32

[[layers]]
conv2d = 4
kernel_size = 3
padding = "same"
activation = "relu"

[[layers]]
max_pooling2d = 2

[[layers]]
flatten = true

[[layers]]
dense = 10
activation = "softmax"
"#;

    fn parse(text: &str) -> Result<ModelSpec, ModelFileError> {
        ModelSpec::from_toml(text, "model.toml")
    }

    fn error(text: &str) -> String {
        parse(text)
            .expect_err("model file must be rejected")
            .to_string()
    }

    fn dense_ops(spec: &ModelSpec) -> Vec<Dense> {
        spec.graph()
            .nodes()
            .iter()
            .filter_map(|it| match it.op {
                Op::Dense(dense) => Some(dense),
                _ => None,
            })
            .collect()
    }

    fn base(input: Shape) -> crate::model::ModelBuilder {
        ModelSpec::builder_for(input)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.05, 16)
            .numeric(NumericMode::Fixed)
            .seed(11)
    }

    #[test]
    fn digits_file_parses_to_the_preset() {
        assert_eq!(
            parse(DIGITS).expect("valid file"),
            ModelSpec::digits_default()
        );
        let v2 = format!("version = 2\n{DIGITS}");
        assert_eq!(
            parse(&v2).expect("a v1 body is a valid v2 file"),
            ModelSpec::digits_default()
        );
    }

    /// Models of every operation, sequential and residual, named and unnamed.
    fn every_kind_of_model() -> Vec<ModelSpec> {
        let conv2d = |filters, kernel, strides, padding, activation| {
            Op::Conv(Conv::conv2d(filters, kernel, strides, padding, activation))
        };
        let mut pool_1d = Pool::new_1d(PoolKind::Average, 3);
        pool_1d.strides = [1, 2];
        pool_1d.padding = Padding::Same;
        vec![
            ModelSpec::digits_default(),
            ModelSpec::builder(3)
                .dense(5, Activation::Tanh)
                .dense(4, Activation::Identity)
                .dense(2, Activation::Sigmoid)
                .loss(Loss::BinaryCrossEntropy)
                .sgd(1e-3, 1)
                .momentum(0.9)
                .numeric(NumericMode::Fixed)
                .seed(u64::MAX)
                .build()
                .expect("valid model"),
            ModelSpec::builder(1)
                .dense(1, Activation::Identity)
                .loss(Loss::MeanSquaredError)
                .sgd(2.0, 7)
                .momentum(0.0)
                .numeric(NumericMode::F32)
                .seed(i64::MAX as u64)
                .build()
                .expect("valid model"),
            // Every 2-D operation.
            base(Shape::new(vec![12, 12, 2]))
                .layer(conv2d(4, [3, 2], [1, 2], Padding::Same, Activation::Relu))
                .layer(Op::Pool(Pool::new_2d(PoolKind::Max, [2, 2])))
                .layer(conv2d(
                    3,
                    [1, 1],
                    [1, 1],
                    Padding::Valid,
                    Activation::Identity,
                ))
                .layer(Op::Pool(Pool {
                    kind: PoolKind::Average,
                    dims: Dims::Two,
                    size: [2, 1],
                    strides: [1, 1],
                    padding: Padding::Same,
                }))
                .layer(Op::GlobalPool(GlobalPool { dims: Dims::Two }))
                .dense(3, Activation::Softmax)
                .build()
                .expect("valid model"),
            // Every 1-D operation.
            base(Shape::new(vec![20, 3]))
                .layer(Op::Conv(Conv::conv1d(
                    4,
                    5,
                    2,
                    Padding::Valid,
                    Activation::Sigmoid,
                )))
                .layer(Op::Pool(Pool::new_1d(PoolKind::Max, 2)))
                .layer(Op::Conv(Conv::conv1d(
                    2,
                    1,
                    1,
                    Padding::Same,
                    Activation::Tanh,
                )))
                .layer(Op::Pool(pool_1d))
                .layer(Op::GlobalPool(GlobalPool { dims: Dims::One }))
                .dense(2, Activation::Softmax)
                .build()
                .expect("valid model"),
            // A residual block with a strided 1×1 convolution on its shortcut, a three-way
            // add, and names that look automatic but are not (conv2d_1 is written
            // explicitly because the first conv2d is named).
            base(Shape::new(vec![8, 8, 1]))
                .named(
                    "stem",
                    conv2d(4, [3, 3], [1, 1], Padding::Same, Activation::Relu),
                    &[],
                )
                .named(
                    "conv2d_1",
                    conv2d(4, [3, 3], [2, 2], Padding::Same, Activation::Relu),
                    &[],
                )
                .layer(conv2d(
                    4,
                    [3, 3],
                    [1, 1],
                    Padding::Same,
                    Activation::Identity,
                ))
                .named(
                    "shortcut",
                    conv2d(4, [1, 1], [2, 2], Padding::Valid, Activation::Identity),
                    &["stem"],
                )
                .named(
                    "sum",
                    Op::Add(Add {
                        activation: Activation::Relu,
                    }),
                    &["conv2d", "shortcut", "conv2d_1"],
                )
                .layer(Op::Flatten(Flatten))
                .dense(5, Activation::Relu)
                .named(
                    "dense_1",
                    Op::Dense(Dense {
                        units: 4,
                        activation: Activation::Softmax,
                    }),
                    &[],
                )
                .build()
                .expect("valid model"),
        ]
    }

    #[test]
    fn to_toml_round_trips() {
        for spec in every_kind_of_model() {
            let text = spec.to_toml();
            assert_eq!(parse(&text).expect("to_toml output parses"), spec, "{text}");
            let file = ModelFile {
                spec,
                machine: Some("boards:3 \"quoted\"".to_string()),
                epochs: Some(12),
            };
            let text = file.to_toml();
            assert_eq!(
                ModelFile::parse(&text, "m.toml").expect("to_toml output parses"),
                file,
                "{text}"
            );
        }
    }

    #[test]
    fn to_toml_writes_the_documented_layout() {
        let spec = ModelSpec::builder(64)
            .dense(128, Activation::Relu)
            .dense(10, Activation::Softmax)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.1, 32)
            .momentum(0.9)
            .numeric(NumericMode::F32)
            .seed(1)
            .build()
            .expect("valid model");
        let expected = "version = 2\ninput = [64]\nseed = 1\nnumeric = \"f32\"\nloss = \"categorical_crossentropy\"\n\n[optimizer.sgd]\nlearning_rate = 0.1\nbatch_size = 32\nmomentum = 0.9\n\n[[layers]]\ndense = 128\nactivation = \"relu\"\n\n[[layers]]\ndense = 10\nactivation = \"softmax\"\n";
        assert_eq!(spec.to_toml(), expected);
    }

    #[test]
    fn to_toml_names_and_connects_only_what_is_not_automatic() {
        let residual = every_kind_of_model().pop().expect("the residual model");
        let text = residual.to_toml();
        let layers: Vec<&str> = text.split("[[layers]]\n").skip(1).collect();
        assert_eq!(
            layers[0],
            "conv2d = 4\nname = \"stem\"\nkernel_size = [3, 3]\nstrides = [1, 1]\npadding = \"same\"\nactivation = \"relu\"\n\n"
        );
        assert!(
            layers[1].starts_with("conv2d = 4\nname = \"conv2d_1\"\nkernel_size"),
            "{text}"
        );
        // The first unnamed conv2d gets the name `conv2d`.
        assert!(layers[2].starts_with("conv2d = 4\nkernel_size"), "{text}");
        assert!(
            layers[3].starts_with("conv2d = 4\nname = \"shortcut\"\ninputs = [\"stem\"]\nkernel_size = [1, 1]\nstrides = [2, 2]"),
            "{text}"
        );
        assert_eq!(
            layers[4],
            "add = true\nname = \"sum\"\ninputs = [\"conv2d\", \"shortcut\", \"conv2d_1\"]\nactivation = \"relu\"\n\n"
        );
        assert_eq!(layers[5], "flatten = true\n\n");
        assert_eq!(layers[7], "dense = 4\nactivation = \"softmax\"\n");
        let one_d = &every_kind_of_model()[4];
        assert!(one_d
            .to_toml()
            .contains("[[layers]]\nconv1d = 4\nkernel_size = 5\nstrides = 2\n"));
    }

    /// The ```toml blocks of a Markdown or rustdoc text.
    fn toml_blocks(doc: &str, prefix: &str) -> Vec<String> {
        let mut blocks = Vec::new();
        let mut current: Option<String> = None;
        for line in doc.lines() {
            let line = line.strip_prefix(prefix).unwrap_or(line);
            let line = line.strip_prefix(' ').unwrap_or(line);
            match &mut current {
                None if line == "```toml" => current = Some(String::new()),
                Some(block) if line == "```" => {
                    blocks.push(std::mem::take(block));
                    current = None;
                }
                Some(block) => {
                    block.push_str(line);
                    block.push('\n');
                }
                None => {}
            }
        }
        blocks
    }

    #[test]
    fn module_doc_examples_parse() {
        let blocks = toml_blocks(include_str!("model_file.rs"), "//!");
        assert_eq!(blocks.len(), 2);
        let file = ModelFile::parse(&blocks[0], "v2 example").expect("the v2 example is valid");
        assert_eq!(file.machine.as_deref(), Some("spinn5"));
        let names: Vec<&str> = file
            .spec
            .graph()
            .nodes()
            .iter()
            .map(|it| it.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "input",
                "conv2d",
                "branch",
                "add",
                "max_pooling2d",
                "flatten",
                "dense"
            ]
        );
        assert_eq!(file.spec.outputs(), 10);
        let v1 = parse(&blocks[1]).expect("the v1 example is valid");
        assert_eq!(
            v1.optimizer(),
            Optimizer::Sgd {
                learning_rate: 0.1,
                momentum: Some(0.9),
                batch_size: 32
            }
        );
        assert_eq!(dense_ops(&v1).len(), 2);
    }

    /// `docs/model-files.md` is the users' page: every example on it must be a valid file.
    #[test]
    fn user_docs_examples_parse() {
        let doc = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/model-files.md"
        ));
        let blocks = toml_blocks(doc, "");
        assert!(blocks.len() >= 4, "found {} examples", blocks.len());
        for (index, block) in blocks.iter().enumerate() {
            let file = ModelFile::parse(block, &format!("docs/model-files.md example {index}"));
            assert!(file.is_ok(), "{}\n{block}", file.expect_err("just checked"));
        }
    }

    #[test]
    fn inline_optimizer_and_string_seeds_are_accepted() {
        let text = DIGITS
            .replace(
                "[optimizer.sgd]\nlearning_rate = 0.1\nbatch_size = 32\n",
                "[optimizer]\nsgd = { learning_rate = 1, batch_size = 4, momentum = 0.5 }\n",
            )
            .replace("seed = 1", "seed = \"0xFFFFFFFFFFFFFFFF\"");
        let spec = parse(&text).expect("valid file");
        assert_eq!(
            spec.optimizer(),
            Optimizer::Sgd {
                learning_rate: 1.0,
                momentum: Some(0.5),
                batch_size: 4
            }
        );
        assert_eq!(spec.seed(), u64::MAX);
        let decimal = DIGITS.replace("seed = 1", "seed = \"18446744073709551615\"");
        assert_eq!(parse(&decimal).expect("valid file").seed(), u64::MAX);
        let linear = DIGITS.replace("\"relu\"", "\"linear\"");
        assert_eq!(
            dense_ops(&parse(&linear).expect("valid file"))[0].activation,
            Activation::Identity
        );
    }

    #[test]
    fn listed_names_are_exactly_the_accepted_ones() {
        let mut activations = Activation::ALL.map(Activation::name).to_vec();
        activations.push("linear");
        assert_eq!(ACTIVATION_NAMES, activations);
        assert!(ACTIVATION_NAMES
            .iter()
            .all(|it| Activation::from_name(it).is_some()));
        assert_eq!(LOSS_NAMES, Loss::ALL.map(Loss::name));
        assert_eq!(NUMERIC_NAMES, NumericMode::ALL.map(NumericMode::name));
        assert_eq!(PADDING_NAMES, Padding::ALL.map(Padding::name));
    }

    #[test]
    fn operation_keys_are_exactly_the_operations_kinds() {
        let mut kinds: Vec<&str> = vec![
            Dense {
                units: 1,
                activation: Activation::Relu,
            }
            .kind(),
            Conv::conv1d(1, 1, 1, Padding::Valid, Activation::Relu).kind(),
            Conv::conv2d(1, [1, 1], [1, 1], Padding::Valid, Activation::Relu).kind(),
            GlobalPool { dims: Dims::One }.kind(),
            GlobalPool { dims: Dims::Two }.kind(),
            Flatten.kind(),
            Add {
                activation: Activation::Relu,
            }
            .kind(),
        ];
        for kind in [PoolKind::Max, PoolKind::Average] {
            kinds.push(Pool::new_1d(kind, 1).kind());
            kinds.push(Pool::new_2d(kind, [1, 1]).kind());
        }
        kinds.sort_unstable();
        let mut keys: Vec<&str> = OP_KEYS.iter().map(|it| it.key).collect();
        keys.sort_unstable();
        assert_eq!(keys, kinds);
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        assert_eq!(
            error(&DIGITS.replace("\"relu\"", "\"relux\"")),
            "model.toml:13:14: layers[0].activation: unknown activation \"relux\", expected one of identity, relu, sigmoid, tanh, softmax, linear"
        );
        assert_eq!(
            error(&DIGITS.replace("\"categorical_crossentropy\"", "\"hinge\"")),
            "model.toml:5:8: loss: unknown loss \"hinge\", expected one of mean_squared_error, categorical_crossentropy, binary_crossentropy"
        );
        assert_eq!(
            error(&DIGITS.replace("\"f32\"", "\"f16\"")),
            "model.toml:4:11: numeric: unknown numeric mode \"f16\", expected one of f32, fixed"
        );
        assert_eq!(
            error(&CNN.replace("\"relu\"", "\"relux\"")),
            "model.toml:15:14: layers[0].activation: unknown activation \"relux\", expected one of identity, relu, sigmoid, tanh, softmax, linear"
        );
        assert_eq!(
            error(&CNN.replace("\"same\"", "\"full\"")),
            "model.toml:14:11: layers[0].padding: unknown padding \"full\", expected one of valid, same"
        );
    }

    #[test]
    fn invalid_models_name_the_key() {
        assert_eq!(
            error(&DIGITS.replace("dense = 128\nactivation = \"relu\"", "dense = 128\nactivation = \"softmax\"")),
            "model.toml:13:14: layers[0].activation: layer 0 (\"dense\") uses softmax but is not the last layer"
        );
        assert_eq!(
            error(&DIGITS.replace("dense = 10\n", "dense = 0\n")),
            "model.toml:16:9: layers[1].dense: layer 1 (\"dense_1\"): units must be at least 1, got [0]"
        );
        assert_eq!(
            error(&DIGITS.replace("learning_rate = 0.1", "learning_rate = -1.0")),
            "model.toml:8:17: optimizer.sgd.learning_rate: learning rate -1 is not a finite positive number"
        );
        assert_eq!(
            error(&DIGITS.replace("learning_rate = 0.1", "learning_rate = nan")),
            "model.toml:8:17: optimizer.sgd.learning_rate: learning rate NaN is not a finite positive number"
        );
        assert_eq!(
            error(&DIGITS.replace("batch_size = 32", "batch_size = 32\nmomentum = 1.5")),
            "model.toml:10:12: optimizer.sgd.momentum: momentum 1.5 is outside [0, 1)"
        );
        assert_eq!(
            error(&DIGITS.replace("batch_size = 32", "batch_size = 0")),
            "model.toml:9:14: optimizer.sgd.batch_size: batch size is zero"
        );
        assert_eq!(
            error(&DIGITS.replace("inputs = 64", "inputs = 0")),
            "model.toml:2:10: inputs: model input: shape (0,) has a zero dimension"
        );
        assert_eq!(
            error(&DIGITS.replace("categorical_crossentropy", "binary_crossentropy")),
            "model.toml:5:8: loss: binary cross-entropy with a softmax output (layer \"dense_1\"); use categorical_crossentropy, or sigmoid outputs"
        );
        assert_eq!(
            error(&DIGITS.replace("dense = 10\n", "dense = 1\n").replace("\"softmax\"", "\"sigmoid\"")),
            "model.toml:5:8: loss: categorical cross-entropy needs at least 2 outputs, but the last layer (\"dense_1\") has 1"
        );
        assert_eq!(
            error(&CNN.replace(
                "learning_rate = 0.05",
                "learning_rate = 0.05\nmomentum = -1.0"
            )),
            "model.toml:9:12: optimizer.sgd.momentum: momentum -1 is outside [0, 1)"
        );
    }

    /// Graph errors point at the key at fault: the operation key for its main setting, the
    /// setting's own key otherwise, and `inputs` (at the operation key) when it is missing.
    #[test]
    fn graph_errors_point_at_the_layer_key() {
        let cases = [
            (
                CNN.replace("conv2d = 4", "conv2d = 0"),
                "model.toml:12:10: layers[0].conv2d: layer 0 (\"conv2d\"): filters must be at least 1, got [0]",
            ),
            (
                CNN.replace("kernel_size = 3", "kernel_size = [3, 0]"),
                "model.toml:13:15: layers[0].kernel_size: layer 0 (\"conv2d\"): kernel_size must be at least 1, got [3, 0]",
            ),
            (
                CNN.replace("kernel_size = 3\npadding = \"same\"", "kernel_size = 9"),
                "model.toml:13:15: layers[0].kernel_size: layer 0 (\"conv2d\"): a window of 9 does not fit 8 input positions with valid padding (input (8, 8, 1))",
            ),
            (
                CNN.replace("kernel_size = 3", "kernel_size = 3\nstrides = [0, 1]"),
                "model.toml:14:11: layers[0].strides: layer 0 (\"conv2d\"): strides must be at least 1, got [0, 1]",
            ),
            (
                CNN.replace("max_pooling2d = 2", "max_pooling2d = 0"),
                "model.toml:18:17: layers[1].max_pooling2d: layer 1 (\"max_pooling2d\"): pool_size must be at least 1, got [0, 0]",
            ),
            (
                CNN.replace("flatten = true\n", "flatten = true\nname = \"conv2d\"\n"),
                "model.toml:22:8: layers[2].name: layer 2 (\"conv2d\"): the name is already taken by the input or an earlier layer",
            ),
            (
                CNN.replace("flatten = true\n", "flatten = true\ninputs = [\"pool\"]\n"),
                "model.toml:22:10: layers[2].inputs: layer 2 (\"flatten\"): input \"pool\" is neither the input nor an earlier layer",
            ),
            (
                CNN.replace("flatten = true\n", "add = true\n"),
                "model.toml:21:7: layers[2].inputs: layer 2 (\"add\"): add takes two or more inputs, got 1",
            ),
            (
                CNN.replace("flatten = true\n", "add = true\ninputs = [\"conv2d\", \"max_pooling2d\"]\n"),
                "model.toml:22:10: layers[2].inputs: layer 2 (\"add\"): add needs inputs of one shape, got (8, 8, 4), (4, 4, 4) ((8, 8, 4) and (4, 4, 4) differ)",
            ),
            (
                CNN.replace("[[layers]]\nflatten = true\n\n", ""),
                "model.toml:21:9: layers[2].inputs: layer 2 (\"dense\"): dense takes a flat vector, but its input has shape (4, 4, 4); put a flatten layer before it",
            ),
            (
                CNN.replace("[[layers]]\nflatten = true\n\n[[layers]]\ndense = 10\nactivation = \"softmax\"\n", ""),
                "model.toml:18:17: layers[1].max_pooling2d: layer 1 (\"max_pooling2d\"): the network's output has shape (4, 4, 4), but the loss needs a flat vector (end with a flatten or a global pooling and a dense layer)",
            ),
            (
                CNN.replace("max_pooling2d = 2\n", "max_pooling2d = 2\ninputs = [\"input\"]\n"),
                "model.toml:12:10: layers[0].conv2d: layer 0 (\"conv2d\"): its output is never used (only the last layer's may not be)",
            ),
            (
                CNN.replace("activation = \"relu\"", "activation = \"softmax\""),
                "model.toml:15:14: layers[0].activation: layer 0 (\"conv2d\") uses softmax but is not the last layer",
            ),
            (
                CNN.replace("input = [8, 8, 1]", "input = [8, 0, 1]"),
                "model.toml:2:9: input: model input: shape (8, 0, 1) has a zero dimension",
            ),
            (
                CNN.replace("input = [8, 8, 1]", "input = [2, 8, 8, 1]"),
                "model.toml:2:9: input: model input: shape (2, 8, 8, 1) has rank 4; tensors are (n,), (steps, channels) or (rows, cols, channels)",
            ),
            (
                CNN.replace("input = [8, 8, 1]", "inputs = 64"),
                "model.toml:12:10: layers[0].inputs: layer 0 (\"conv2d\"): conv2d takes a (rows, cols, channels) tensor, but its input has shape (64,)",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(error(&text), message, "{text}");
        }
        let empty = "version = 2\ninputs = 4\nseed = 1\nnumeric = \"f32\"\nloss = \"mean_squared_error\"\nlayers = []\n[optimizer.sgd]\nlearning_rate = 0.1\nbatch_size = 1\n";
        assert_eq!(error(empty), "model.toml:6:10: layers: model has no layers");
    }

    #[test]
    fn version_2_layer_errors_name_the_key() {
        let cases = [
            (
                CNN.replace("flatten = true\n", "name = \"f\"\n"),
                "model.toml:20:1: layers[2]: a layer needs exactly one operation key (one of dense, conv1d, conv2d, max_pooling1d, max_pooling2d, average_pooling1d, average_pooling2d, global_average_pooling1d, global_average_pooling2d, flatten, add), found none",
            ),
            (
                CNN.replace("flatten = true\n", "conv3d = 2\n"),
                "model.toml:20:1: layers[2]: a layer needs exactly one operation key (one of dense, conv1d, conv2d, max_pooling1d, max_pooling2d, average_pooling1d, average_pooling2d, global_average_pooling1d, global_average_pooling2d, flatten, add), found none (`conv3d` is not one)",
            ),
            (
                CNN.replace("flatten = true\n", "flatten = true\ndense = 3\n"),
                "model.toml:22:9: layers[2]: a layer needs exactly one operation key (one of dense, conv1d, conv2d, max_pooling1d, max_pooling2d, average_pooling1d, average_pooling2d, global_average_pooling1d, global_average_pooling2d, flatten, add), found flatten and dense",
            ),
            (
                CNN.replace("dense = 10\n", "dense = 10\nstrides = 2\n"),
                "model.toml:25:11: layers[3].strides: dense has no setting `strides` (it takes: name, inputs, activation)",
            ),
            (
                CNN.replace("kernel_size = 3", "kernal_size = 3"),
                "model.toml:13:15: layers[0].kernal_size: conv2d has no setting `kernal_size` (it takes: name, inputs, kernel_size, strides, padding, activation)",
            ),
            (
                CNN.replace("flatten = true\n", "flatten = true\nactivation = \"relu\"\n"),
                "model.toml:22:14: layers[2].activation: flatten has no setting `activation` (it takes: name, inputs)",
            ),
            (
                CNN.replace("kernel_size = 3\n", ""),
                "model.toml:12:10: layers[0].kernel_size: missing: conv2d needs a kernel size (an integer or a two-element array [rows, cols])",
            ),
            (
                CNN.replace("kernel_size = 3", "kernel_size = [3, 3, 3]"),
                "model.toml:13:15: layers[0].kernel_size: expected an integer or a two-element array [rows, cols], found [3, 3, 3]",
            ),
            (
                CNN.replace("kernel_size = 3", "kernel_size = \"3\""),
                "model.toml:13:15: layers[0].kernel_size: expected an integer or a two-element array [rows, cols], found \"3\"",
            ),
            (
                CNN.replace("kernel_size = 3", "kernel_size = 3\nstrides = [1, -1]"),
                "model.toml:14:11: layers[0].strides: expected an integer or a two-element array [rows, cols], found [1, -1]",
            ),
            (
                CNN.replace("conv2d = 4", "conv2d = 4.5"),
                "model.toml:12:10: layers[0].conv2d: expected the number of filters, a non-negative integer, found 4.5",
            ),
            (
                CNN.replace("dense = 10", "dense = -10"),
                "model.toml:24:9: layers[3].dense: expected the number of units, a non-negative integer, found -10",
            ),
            (
                CNN.replace("flatten = true", "flatten = false"),
                "model.toml:21:11: layers[2].flatten: must be true (`flatten = true` marks the layer's operation; to leave the layer out, remove its table)",
            ),
            (
                CNN.replace("flatten = true", "flatten = 1"),
                "model.toml:21:11: layers[2].flatten: expected true, found 1",
            ),
            (
                CNN.replace("padding = \"same\"", "padding = 1"),
                "model.toml:14:11: layers[0].padding: expected a string, one of valid, same, found 1",
            ),
            (
                CNN.replace("flatten = true\n", "flatten = true\nname = 3\n"),
                "model.toml:22:8: layers[2].name: expected a string, found 3",
            ),
            (
                CNN.replace("flatten = true\n", "flatten = true\ninputs = \"max_pooling2d\"\n"),
                "model.toml:22:10: layers[2].inputs: expected an array of names of earlier layers (or \"input\"), such as [\"conv2d\"], found \"max_pooling2d\"",
            ),
            (
                CNN.replace("input = [8, 8, 1]", "input = 64"),
                "model.toml:2:9: input: expected the input shape, an array of non-negative integers: [n], [steps, channels] or [rows, cols, channels], found 64",
            ),
            (
                CNN.replace("input = [8, 8, 1]", "inputs = [64]"),
                "model.toml:2:10: inputs: expected the number of input features, a non-negative integer (or write `input = [...]` for a shaped input), found [64]",
            ),
            (
                CNN.replace("input = [8, 8, 1]", "input = [64]\ninputs = 64"),
                "model.toml:3:10: inputs: give the input once: `input = [...]` for its shape or `inputs = n` for a flat input, not both",
            ),
            (
                CNN.replace("input = [8, 8, 1]\n", ""),
                "model.toml:1:1: input: missing: the input shape, `input = [n]`, `[steps, channels]` or `[rows, cols, channels]` (or `inputs = n` for a flat input)",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(error(&text), message, "{text}");
        }
    }

    #[test]
    fn one_dimensional_sizes_and_defaults() {
        let text = "version = 2\ninput = [16, 2]\nseed = 1\nnumeric = \"f32\"\nloss = \"mean_squared_error\"\n[optimizer.sgd]\nlearning_rate = 0.1\nbatch_size = 1\n\n[[layers]]\nconv1d = 3\nkernel_size = [4]\n\n[[layers]]\naverage_pooling1d = [2]\n\n[[layers]]\nmax_pooling1d = 3\nstrides = [1]\npadding = \"same\"\n\n[[layers]]\nglobal_average_pooling1d = true\n\n[[layers]]\ndense = 1\n";
        let spec = parse(text).expect("valid file");
        let ops: Vec<&Op> = spec.graph().nodes().iter().map(|it| &it.op).collect();
        assert_eq!(
            ops[1],
            &Op::Conv(Conv::conv1d(3, 4, 1, Padding::Valid, Activation::Identity))
        );
        assert_eq!(ops[2], &Op::Pool(Pool::new_1d(PoolKind::Average, 2)));
        let mut pool = Pool::new_1d(PoolKind::Max, 3);
        pool.strides = [1, 1];
        pool.padding = Padding::Same;
        assert_eq!(ops[3], &Op::Pool(pool));
        assert_eq!(
            ops[5],
            &Op::Dense(Dense {
                units: 1,
                activation: Activation::Identity
            })
        );
        assert_eq!(
            error(&text.replace("kernel_size = [4]", "kernel_size = [1, 4]")),
            "model.toml:12:15: layers[0].kernel_size: expected an integer or a one-element array [n], found [1, 4]"
        );
    }

    #[test]
    fn structural_errors_give_position_and_line() {
        assert_eq!(
            error(&DIGITS.replace("inputs = 64\n", "")),
            "model.toml:1:1: missing field `inputs`"
        );
        assert_eq!(
            error(&DIGITS.replace("dense = 128", "dense = \"128\"")),
            "model.toml:12:9: invalid type: string \"128\", expected usize (in `dense = \"128\"`)"
        );
        assert_eq!(
            error(&DIGITS.replace("dense = 128", "dense = -3")),
            "model.toml:12:9: invalid value: integer `-3`, expected usize (in `dense = -3`)"
        );
        assert_eq!(
            error(&DIGITS.replace("batch_size = 32", "batch_size = 32\nmomentun = 0.9")),
            "model.toml:10:1: unknown field `momentun`, expected one of `learning_rate`, `batch_size`, `momentum` (in `momentun = 0.9`)"
        );
        assert_eq!(
            error(&DIGITS.replace("[optimizer.sgd]", "[optimizer.adam]")),
            "model.toml:7:12: unknown field `adam`, expected `sgd` (in `[optimizer.adam]`)"
        );
        assert_eq!(
            error(&DIGITS.replace("activation = \"relu\"", "activation = relu")),
            "model.toml:13:14: invalid string; expected `\"`, `'` (in `activation = relu`)"
        );
        assert_eq!(
            error(&DIGITS.replace("dense = 10\nactivation = \"softmax\"", "dense = 10")),
            "model.toml:15:1: missing field `activation` (in `[[layers]]`)"
        );
        assert_eq!(
            error(&DIGITS.replace("inputs = 64", "inputs = 64\nversion = 3")),
            "model.toml:3:11: version: model file version 3 is not supported (this library reads versions 1 and 2)"
        );
        assert_eq!(
            error(&DIGITS.replace("inputs = 64", "inputs = 64\nversion = \"2\"")),
            "model.toml:3:11: invalid type: string \"2\", expected i64 (in `version = \"2\"`)"
        );
        assert_eq!(
            error(&DIGITS.replace("seed = 1", "seed = -1")),
            "model.toml:3:8: seed: -1 is not a seed (an integer 0..=9223372036854775807, or a string holding a decimal or 0x-hex u64)"
        );
        assert_eq!(
            error(&CNN.replace("seed = 1", "seed = 1\nmachin = \"spinn5\"")),
            "model.toml:4:1: unknown field `machin`, expected one of `version`, `input`, `inputs`, `seed`, `numeric`, `loss`, `machine`, `epochs`, `optimizer`, `layers` (in `machin = \"spinn5\"`)"
        );
        assert_eq!(
            error(&CNN.replace("seed = 1", "seed = 1\nmachine = 5")),
            "model.toml:4:11: invalid type: integer `5`, expected a string (in `machine = 5`)"
        );
        // A version 1 file keeps version 1's rules: no machine, no other operations.
        assert_eq!(
            error(&DIGITS.replace("dense = 128", "conv2d = 128")),
            "model.toml:12:1: unknown field `conv2d`, expected `dense` or `activation` (in `conv2d = 128`)"
        );
    }

    #[test]
    fn machine_is_kept_by_model_file_and_dropped_by_from_toml() {
        let text = CNN.replace("seed = 1", "seed = 1\nmachine = \"8x8\"");
        let file = ModelFile::parse(&text, "m.toml").expect("valid file");
        assert_eq!(file.machine.as_deref(), Some("8x8"));
        assert_eq!(parse(&text).expect("valid file"), file.spec);
        assert_eq!(
            ModelFile::parse(CNN, "m.toml").expect("valid").machine,
            None
        );
        assert_eq!(
            ModelFile::parse(DIGITS, "m.toml").expect("valid").machine,
            None
        );
        assert!(file.to_toml().contains("\nmachine = \"8x8\"\n"));
        let epochs = ModelFile::parse(&CNN.replace("seed = 1", "seed = 1\nepochs = 7"), "m.toml")
            .expect("valid");
        assert_eq!(epochs.epochs, Some(7));
        assert_eq!(
            ModelFile::parse(&CNN.replace("seed = 1", "seed = 1\nepochs = 0"), "m.toml")
                .expect_err("zero epochs")
                .to_string(),
            "m.toml:4:10: epochs: epochs must be at least 1"
        );
    }

    /// A fresh directory under the system temp dir, unique to this process and test.
    fn temp_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spinn-dl-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn reading_names_the_path_and_refuses_what_is_not_a_model_file() {
        let dir = temp_dir("model-file-read");
        let path = dir.join("model.toml");
        std::fs::write(&path, CNN).expect("temp file");
        let read = read_model_file(&path);
        let missing = dir.join("missing.toml");
        let missing_err = read_model_file(&missing);
        let huge = dir.join("huge.toml");
        std::fs::write(&huge, vec![b'#'; MAX_MODEL_FILE_BYTES as usize + 1]).expect("temp file");
        let huge_err = ModelFile::read(&huge);
        let directory_err = ModelFile::read(&dir);
        let latin1 = dir.join("latin1.toml");
        std::fs::write(&latin1, b"# caf\xe9\n").expect("temp file");
        let latin1_err = ModelFile::read(&latin1);
        std::fs::remove_dir_all(&dir).expect("temp dir removal");

        assert_eq!(read.expect("valid file"), parse(CNN).expect("valid file"));
        let err = missing_err.expect_err("no such file");
        assert!(matches!(&err, ModelFileError::Io { path: got, .. } if *got == missing));
        assert!(err
            .to_string()
            .starts_with(&format!("cannot read model file {}: ", missing.display())));
        assert_eq!(
            huge_err.expect_err("too large").to_string(),
            format!(
                "cannot read model file {}: it has 1048577 bytes, more than the 1048576 a model file may have",
                huge.display()
            )
        );
        assert_eq!(
            directory_err.expect_err("a directory").to_string(),
            format!(
                "cannot read model file {}: not a regular file",
                dir.display()
            )
        );
        assert_eq!(
            latin1_err.expect_err("not UTF-8").to_string(),
            format!(
                "cannot read model file {}: invalid utf-8 sequence of 1 bytes from index 5",
                latin1.display()
            )
        );
    }

    #[test]
    fn a_device_is_refused_without_reading_it() {
        // /dev/zero would never end; it must be refused before a byte is read.
        let zero = Path::new("/dev/zero");
        if !zero.exists() {
            println!("skipping a_device_is_refused_without_reading_it: no /dev/zero here");
            return;
        }
        assert_eq!(
            ModelFile::read(zero).expect_err("a device").to_string(),
            "cannot read model file /dev/zero: not a regular file"
        );
    }
}
