//! The TOML model file: a [`ModelSpec`] as text, read by [`ModelSpec::from_toml`] (or
//! [`read_model_file`]) and written by [`ModelSpec::to_toml`], which round-trip exactly.
//!
//! # Format (version 1)
//!
//! A complete example, the [`ModelSpec::digits_default`] network with momentum added:
//!
//! ```toml
//! version = 1                          # optional; the format version, 1 if left out
//! inputs = 64                          # features per sample, at least 1
//! seed = 1                             # seed of the initial weights (see ModelSpec::init_weights)
//! numeric = "f32"                      # "f32" or "fixed" (s16.15)
//! loss = "categorical_crossentropy"    # or "mean_squared_error", "binary_crossentropy"
//!
//! [optimizer.sgd]                      # the only optimiser for now
//! learning_rate = 0.1                  # finite, > 0
//! batch_size = 32                      # at least 1
//! momentum = 0.9                       # optional, in [0, 1); leave out for plain SGD
//!
//! [[layers]]                           # one [[layers]] table per layer, input to output
//! dense = 128                          # a dense layer and its number of units
//! activation = "relu"                  # identity (or linear), relu, sigmoid, tanh, softmax
//!
//! [[layers]]
//! dense = 10
//! activation = "softmax"               # only on the last layer
//! ```
//!
//! Rules:
//! * Every key above is required except `version` and `momentum`; unknown keys are errors (a misspelt
//!   `momentun` must not silently mean "no momentum").
//! * The optimiser may equally be written inline, `[optimizer]` then
//!   `sgd = { learning_rate = 0.1, batch_size = 32 }`: it is the same TOML.
//! * `seed` is an integer in `0..=2^63−1` (TOML's range), or a string holding a decimal or
//!   `0x` hexadecimal `u64`; [`ModelSpec::to_toml`] writes seeds above `2^63−1` as a hex string.
//! * Layers are numbered from 0 in error messages (`layers[1].activation`), as
//!   [`ModelError`] numbers them.
//!
//! Every error names the file and the 1-based line and column, and either the key at fault
//! (`model.toml:9:14: layers[0].activation: unknown activation "relux", expected one of ...`)
//! or TOML's own description of a syntax, missing-key or wrong-type problem followed by the
//! offending line.

use crate::model::{Activation, DenseSpec, Loss, ModelError, ModelSpec, NumericMode, Optimizer};
use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The model file format version that [`ModelSpec::to_toml`] writes and
/// [`ModelSpec::from_toml`] reads.
pub const FORMAT_VERSION: i64 = 1;

/// The names a model file accepts, as listed in errors; a test checks them against the
/// enums' own names.
const ACTIVATION_NAMES: &[&str] = &["identity", "relu", "sigmoid", "tanh", "softmax", "linear"];
const LOSS_NAMES: &[&str] = &[
    "mean_squared_error",
    "categorical_crossentropy",
    "binary_crossentropy",
];
const NUMERIC_NAMES: &[&str] = &["f32", "fixed"];

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

    /// Not valid TOML, a missing or unknown key, or a value of the wrong type (TOML's own
    /// message, with the offending line).
    #[error("{location}: {message}{}", quote_line(.line_text))]
    Toml {
        location: Location,
        message: String,
        line_text: String,
    },

    /// A name that is not one of the valid ones (activation, loss, numeric mode).
    #[error("{location}: {key}: unknown {kind} \"{value}\", expected one of {}", .expected.join(", "))]
    UnknownName {
        location: Location,
        key: String,
        kind: &'static str,
        value: String,
        expected: &'static [&'static str],
    },

    /// A `version` other than [`FORMAT_VERSION`].
    #[error("{location}: version: model file version {version} is not supported (this library reads version {FORMAT_VERSION})")]
    UnsupportedVersion { location: Location, version: i64 },

    /// A seed that is neither a non-negative integer nor a string holding a `u64`.
    #[error("{location}: seed: {found} is not a seed (an integer 0..=9223372036854775807, or a string holding a decimal or 0x-hex u64)")]
    BadSeed { location: Location, found: String },

    /// The file is well formed but describes an invalid model.
    #[error("{location}: {key}: {source}")]
    Model {
        location: Location,
        key: String,
        #[source]
        source: ModelError,
    },
}

/// Reads and validates a model file; errors name `path`.
pub fn read_model_file(path: &Path) -> Result<ModelSpec, ModelFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    ModelSpec::from_toml(&text, &path.display().to_string())
}

impl ModelSpec {
    /// Parses and validates a model file's text; `origin` (normally the path) names the text
    /// in error messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<ModelSpec, ModelFileError> {
        let source = Source { text, origin };
        let raw: RawModel = toml::from_str(text).map_err(|err| {
            let location = source.location(err.span().map_or(0, |it| it.start));
            ModelFileError::Toml {
                line_text: source.line_text(location.line),
                location,
                // TOML's messages can span lines; keep ours to one.
                message: err
                    .message()
                    .lines()
                    .map(str::trim)
                    .filter(|it| !it.is_empty())
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })?;
        if let Some(version) = &raw.version {
            if *version.get_ref() != FORMAT_VERSION {
                return Err(ModelFileError::UnsupportedVersion {
                    location: source.location(version.span().start),
                    version: *version.get_ref(),
                });
            }
        }
        let numeric = source.name(
            &raw.numeric,
            "numeric",
            "numeric mode",
            NUMERIC_NAMES,
            NumericMode::from_name,
        )?;
        let loss = source.name(&raw.loss, "loss", "loss", LOSS_NAMES, Loss::from_name)?;
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
                Ok(DenseSpec {
                    units: *it.dense.get_ref(),
                    activation,
                })
            })
            .collect::<Result<Vec<_>, ModelFileError>>()?;
        let seed = parse_seed(raw.seed.get_ref()).ok_or_else(|| ModelFileError::BadSeed {
            location: source.location(raw.seed.span().start),
            found: raw.seed.get_ref().to_string(),
        })?;
        let sgd = raw.optimizer.sgd.get_ref();
        let optimizer = Optimizer::Sgd {
            learning_rate: *sgd.learning_rate.get_ref(),
            momentum: sgd.momentum.as_ref().map(|it| *it.get_ref()),
            batch_size: *sgd.batch_size.get_ref(),
        };
        ModelSpec::new(
            *raw.inputs.get_ref(),
            layers,
            loss,
            optimizer,
            numeric,
            seed,
        )
        .map_err(|err| {
            let (key, span) = locate(&raw, &err);
            ModelFileError::Model {
                location: source.location(span.start),
                key,
                source: err,
            }
        })
    }

    /// The model as a model file (format version 1), which [`ModelSpec::from_toml`] reads
    /// back to an equal model.
    pub fn to_toml(&self) -> String {
        let mut lines = vec![
            format!("version = {FORMAT_VERSION}"),
            format!("inputs = {}", self.inputs()),
        ];
        let seed = self.seed();
        // TOML integers are i64, so larger seeds go in a string (see the module doc).
        if i64::try_from(seed).is_ok() {
            lines.push(format!("seed = {seed}"));
        } else {
            lines.push(format!("seed = \"0x{seed:016x}\""));
        }
        lines.push(format!("numeric = \"{}\"", self.numeric().name()));
        lines.push(format!("loss = \"{}\"", self.loss().name()));
        match self.optimizer() {
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
        for dense in self.layers() {
            lines.push(String::new());
            lines.push("[[layers]]".to_string());
            lines.push(format!("dense = {}", dense.units));
            lines.push(format!("activation = \"{}\"", dense.activation.name()));
        }
        lines.push(String::new());
        lines.join("\n")
    }
}

/// The text being parsed, for turning byte offsets into locations.
struct Source<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Source<'_> {
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

    fn line_text(&self, line: usize) -> String {
        self.text
            .lines()
            .nth(line - 1)
            .unwrap_or("")
            .trim()
            .to_string()
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
        lookup(value.get_ref()).ok_or_else(|| ModelFileError::UnknownName {
            location: self.location(value.span().start),
            key: key.to_string(),
            kind,
            value: value.get_ref().clone(),
            expected,
        })
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

/// The key a model error is about, and where its value is in the file.
fn locate(raw: &RawModel, err: &ModelError) -> (String, Range<usize>) {
    let sgd = raw.optimizer.sgd.get_ref();
    let in_layer = |layer: usize, field: &str| {
        let it = &raw.layers.get_ref()[layer];
        let span = if field == "dense" {
            it.dense.span()
        } else {
            it.activation.span()
        };
        (format!("layers[{layer}].{field}"), span)
    };
    match *err {
        ModelError::ZeroInputs => ("inputs".to_string(), raw.inputs.span()),
        ModelError::NoLayers => ("layers".to_string(), raw.layers.span()),
        ModelError::ZeroUnits { layer } | ModelError::TooManyParameters { layer, .. } => {
            in_layer(layer, "dense")
        }
        ModelError::SoftmaxNotLast { layer, .. } | ModelError::SoftmaxSingleUnit { layer, .. } => {
            in_layer(layer, "activation")
        }
        ModelError::InvalidLearningRate { .. } | ModelError::FixedLearningRate { .. } => (
            "optimizer.sgd.learning_rate".to_string(),
            sgd.learning_rate.span(),
        ),
        ModelError::InvalidMomentum { .. } => (
            "optimizer.sgd.momentum".to_string(),
            sgd.momentum
                .as_ref()
                .map_or(raw.optimizer.sgd.span(), |it| it.span()),
        ),
        ModelError::ZeroBatchSize => (
            "optimizer.sgd.batch_size".to_string(),
            sgd.batch_size.span(),
        ),
        ModelError::BinaryCrossEntropyWithSoftmax { .. }
        | ModelError::CategoricalCrossEntropyTooFewOutputs { .. } => {
            ("loss".to_string(), raw.loss.span())
        }
        // The file always supplies these, so they cannot occur; point at the start.
        ModelError::MissingLoss
        | ModelError::MissingOptimizer
        | ModelError::MissingNumeric
        | ModelError::MissingSeed => ("model".to_string(), 0..0),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    version: Option<Spanned<i64>>,
    inputs: Spanned<usize>,
    seed: Spanned<toml::Value>,
    numeric: Spanned<String>,
    loss: Spanned<String>,
    optimizer: RawOptimizer,
    layers: Spanned<Vec<RawLayer>>,
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
struct RawLayer {
    dense: Spanned<usize>,
    activation: Spanned<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn parse(text: &str) -> Result<ModelSpec, ModelFileError> {
        ModelSpec::from_toml(text, "model.toml")
    }

    fn error(text: &str) -> String {
        parse(text)
            .expect_err("model file must be rejected")
            .to_string()
    }

    #[test]
    fn digits_file_parses_to_the_preset() {
        assert_eq!(
            parse(DIGITS).expect("valid file"),
            ModelSpec::digits_default()
        );
    }

    #[test]
    fn to_toml_round_trips() {
        let specs = [
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
        ];
        for spec in specs {
            let text = spec.to_toml();
            assert_eq!(parse(&text).expect("to_toml output parses"), spec, "{text}");
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
        let expected = "version = 1\ninputs = 64\nseed = 1\nnumeric = \"f32\"\nloss = \"categorical_crossentropy\"\n\n[optimizer.sgd]\nlearning_rate = 0.1\nbatch_size = 32\nmomentum = 0.9\n\n[[layers]]\ndense = 128\nactivation = \"relu\"\n\n[[layers]]\ndense = 10\nactivation = \"softmax\"\n";
        assert_eq!(spec.to_toml(), expected);
    }

    #[test]
    fn module_doc_example_parses() {
        let doc = include_str!("model_file.rs");
        let example: String = doc
            .lines()
            .skip_while(|it| *it != "//! ```toml")
            .skip(1)
            .take_while(|it| *it != "//! ```")
            .map(|it| format!("{}\n", it.trim_start_matches("//!").trim_start()))
            .collect();
        let spec = parse(&example).expect("the documented example is valid");
        assert_eq!(
            spec.optimizer(),
            Optimizer::Sgd {
                learning_rate: 0.1,
                momentum: Some(0.9),
                batch_size: 32
            }
        );
        assert_eq!(spec.layers().len(), 2);
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
            parse(&linear).expect("valid file").layers()[0].activation,
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
    }

    #[test]
    fn invalid_models_name_the_key() {
        assert_eq!(
            error(&DIGITS.replace("dense = 128\nactivation = \"relu\"", "dense = 128\nactivation = \"softmax\"")),
            "model.toml:13:14: layers[0].activation: layer 0 uses softmax but is not the last layer (the model has 2 layers)"
        );
        assert_eq!(
            error(&DIGITS.replace("dense = 10\n", "dense = 0\n")),
            "model.toml:16:9: layers[1].dense: layer 1 has zero units"
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
            "model.toml:2:10: inputs: model has zero inputs"
        );
        assert_eq!(
            error(&DIGITS.replace("categorical_crossentropy", "binary_crossentropy")),
            "model.toml:5:8: loss: binary cross-entropy with a softmax output (layer 1); use categorical_crossentropy, or sigmoid outputs"
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
            error(&DIGITS.replace("inputs = 64", "inputs = 64\nversion = 2")),
            "model.toml:3:11: version: model file version 2 is not supported (this library reads version 1)"
        );
        assert_eq!(
            error(&DIGITS.replace("seed = 1", "seed = -1")),
            "model.toml:3:8: seed: -1 is not a seed (an integer 0..=9223372036854775807, or a string holding a decimal or 0x-hex u64)"
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let path = std::env::temp_dir().join(format!(
            "spinn-dl-missing-{}/model.toml",
            std::process::id()
        ));
        let err = read_model_file(&path).expect_err("no such file");
        assert!(matches!(&err, ModelFileError::Io { path: got, .. } if *got == path));
        assert!(err
            .to_string()
            .starts_with(&format!("cannot read model file {}: ", path.display())));
    }
}
