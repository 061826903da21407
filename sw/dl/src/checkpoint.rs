//! Checkpoints: a training run's whole state after an epoch, so that a run resumed from one
//! ends exactly as the uninterrupted run would.
//!
//! What continues a run is the model with its training settings (the seed fixes every later
//! epoch's batch order), the epochs done, the weights and the optimiser's velocities, and the
//! data it trains on. A checkpoint is a zip archive of four entries:
//! * `checkpoint.toml`: `format`, `epochs_done`, `data` (the data source as `--data` takes
//!   it) and `test_fraction`;
//! * `model.toml`: the model file, with `machine` and `epochs` (the run's total);
//! * `weights.npz`: the weights, as `--weights-out` writes them (Keras layout);
//! * `velocities.npz`: the momentum velocities, named and shaped as the weights (absent
//!   without momentum).
//!
//! Weights and velocities are `f32`: exact for f32 runs, and exact for s16.15 values (every
//! s16.15 number below 2^16 in magnitude is an `f32`), so resuming loses nothing.

use crate::data::{clipped, read_limited, DataSource, LimitedReadError, MESSAGE_CHARS};
use crate::model::Weights;
use crate::model_file::{ModelFile, ModelFileError, MAX_MODEL_FILE_BYTES};
use crate::npz::{npz_size_limit, read_npz, write_npz, NpzError};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The checkpoint format this build writes and reads.
pub const CHECKPOINT_FORMAT: u32 = 1;

/// The largest checkpoint read: far beyond any model a board can hold.
pub const MAX_CHECKPOINT_BYTES: u64 = 1 << 30;

const META: &str = "checkpoint.toml";
const MODEL: &str = "model.toml";
const WEIGHTS: &str = "weights.npz";
const VELOCITIES: &str = "velocities.npz";

/// A run's state after `epochs_done` epochs.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The model and its training settings; `epochs` is the run's total.
    pub model: ModelFile,
    pub epochs_done: usize,
    /// The data source, as `--data` takes it.
    pub data: String,
    pub test_fraction: f64,
    pub weights: Weights,
    pub velocities: Option<Weights>,
}

#[derive(Debug, Error)]
pub enum CheckpointError {
    #[error("cannot {action} checkpoint {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("checkpoint {path} is not a regular file")]
    NotAFile { path: PathBuf },
    #[error("checkpoint {path} has {size} bytes, more than the {MAX_CHECKPOINT_BYTES} read")]
    TooLarge { path: PathBuf, size: u64 },
    #[error("not a checkpoint (not a zip archive): {message}")]
    NotZip { message: String },
    #[error("checkpoint entry {entry}: {message}")]
    Entry { entry: String, message: String },
    #[error("checkpoint format {found} is not the {CHECKPOINT_FORMAT} this build reads")]
    Format { found: i64 },
    #[error("checkpoint model: {0}")]
    Model(#[from] ModelFileError),
    #[error("checkpoint {entry}: {source}")]
    Npz {
        entry: &'static str,
        source: NpzError,
    },
}

/// `checkpoint.toml`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    format: i64,
    epochs_done: i64,
    data: String,
    test_fraction: f64,
}

impl Checkpoint {
    /// The checkpoint as the bytes of its archive.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        let meta = Meta {
            format: CHECKPOINT_FORMAT as i64,
            epochs_done: self.epochs_done as i64,
            data: self.data.clone(),
            test_fraction: self.test_fraction,
        };
        let meta = toml::to_string(&meta).map_err(|err| CheckpointError::Entry {
            entry: META.into(),
            message: err.to_string(),
        })?;
        let npz = |entry: &'static str, weights: &Weights| {
            write_npz(weights).map_err(|source| CheckpointError::Npz { entry, source })
        };
        let mut entries = vec![
            (META, meta.into_bytes()),
            (MODEL, self.model.to_toml().into_bytes()),
            (WEIGHTS, npz(WEIGHTS, &self.weights)?),
        ];
        if let Some(v) = &self.velocities {
            entries.push((VELOCITIES, npz(VELOCITIES, v)?));
        }
        crate::npz::stored_zip(
            entries
                .iter()
                .map(|(name, bytes)| (*name, bytes.as_slice())),
        )
        .map_err(|(entry, message)| CheckpointError::Entry { entry, message })
    }

    /// Reads a checkpoint from the bytes of its archive, checking every entry.
    pub fn from_bytes(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
        let mut archive =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|err| CheckpointError::NotZip {
                message: err.to_string(),
            })?;
        // Each entry is read up to what it can need: the texts as much as a model file may
        // have, the weights as much as the model's `.npz` may (a deflated entry's stated size
        // is not trusted, and may inflate to gigabytes).
        let mut entry =
            |name: &'static str, required: bool, limit: u64| -> Result<_, CheckpointError> {
                let mut file = match archive.by_name(name) {
                    Ok(file) => file,
                    Err(zip::result::ZipError::FileNotFound) if !required => return Ok(None),
                    Err(zip::result::ZipError::FileNotFound) => {
                        return Err(CheckpointError::Entry {
                            entry: name.into(),
                            message: "missing: this is not a checkpoint written by \
                                  --checkpoint-every (a weights file goes to --weights-in)"
                                .into(),
                        })
                    }
                    Err(err) => {
                        return Err(CheckpointError::Entry {
                            entry: name.into(),
                            message: err.to_string(),
                        })
                    }
                };
                let mut out = Vec::new();
                // One byte past the limit is enough to tell that the entry is too long.
                (&mut file)
                    .take(limit.saturating_add(1))
                    .read_to_end(&mut out)
                    .map_err(|err| CheckpointError::Entry {
                        entry: name.into(),
                        message: clipped(&err.to_string(), MESSAGE_CHARS),
                    })?;
                if out.len() as u64 > limit {
                    return Err(CheckpointError::Entry {
                        entry: name.into(),
                        message: format!("more than the {limit} bytes it can need"),
                    });
                }
                Ok(Some(out))
            };
        let text = |entry: &'static str, bytes: Vec<u8>| {
            String::from_utf8(bytes).map_err(|err| CheckpointError::Entry {
                entry: entry.into(),
                message: err.to_string(),
            })
        };
        let meta = text(
            META,
            entry(META, true, MAX_MODEL_FILE_BYTES)?.expect("invariant: required"),
        )?;
        let model = text(
            MODEL,
            entry(MODEL, true, MAX_MODEL_FILE_BYTES)?.expect("invariant: required"),
        )?;
        let meta: Meta = toml::from_str(&meta).map_err(|err| CheckpointError::Entry {
            entry: META.into(),
            message: clipped(&err.message().replace('\n', " "), MESSAGE_CHARS),
        })?;
        if meta.format != CHECKPOINT_FORMAT as i64 {
            return Err(CheckpointError::Format { found: meta.format });
        }
        // The data set is named here, so that a damaged name is the checkpoint's error.
        if let Err(err) = meta.data.parse::<DataSource>() {
            return Err(CheckpointError::Entry {
                entry: META.into(),
                message: format!("data: {err}"),
            });
        }
        let model = ModelFile::parse(&model, "model.toml in the checkpoint")?;
        let limit = npz_size_limit(&model.spec);
        let weights = entry(WEIGHTS, true, limit)?.expect("invariant: required");
        let velocities = entry(VELOCITIES, false, limit)?;
        let total = model.epochs.unwrap_or(0);
        let epochs_done = usize::try_from(meta.epochs_done)
            .ok()
            .filter(|&done| done <= total)
            .ok_or_else(|| CheckpointError::Entry {
                entry: META.into(),
                message: format!(
                    "epochs_done = {} is not between 0 and the model's {total} epochs",
                    meta.epochs_done
                ),
            })?;
        if !(meta.test_fraction > 0.0 && meta.test_fraction < 1.0) {
            return Err(CheckpointError::Entry {
                entry: META.into(),
                message: format!("test_fraction = {} is not in (0, 1)", meta.test_fraction),
            });
        }
        let weights = read_npz(&weights, &model.spec).map_err(|source| CheckpointError::Npz {
            entry: WEIGHTS,
            source,
        })?;
        let velocities = velocities
            .map(|bytes| read_npz(&bytes, &model.spec))
            .transpose()
            .map_err(|source| CheckpointError::Npz {
                entry: VELOCITIES,
                source,
            })?;
        Ok(Checkpoint {
            model,
            epochs_done,
            data: meta.data,
            test_fraction: meta.test_fraction,
            weights,
            velocities,
        })
    }

    /// Writes the checkpoint to `path`, through a temporary file beside it so that an
    /// interrupted write never leaves a broken checkpoint where a good one was.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let bytes = self.to_bytes()?;
        let io = |source| CheckpointError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        };
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        std::fs::write(&partial, bytes).map_err(io)?;
        std::fs::rename(&partial, path).map_err(io)
    }

    /// Reads a checkpoint file: a regular file of at most [`MAX_CHECKPOINT_BYTES`].
    pub fn load(path: &Path) -> Result<Checkpoint, CheckpointError> {
        let bytes = read_limited(path, MAX_CHECKPOINT_BYTES).map_err(|err| {
            let path = path.to_path_buf();
            match err {
                LimitedReadError::Io(source) => CheckpointError::Io {
                    action: "read",
                    path,
                    source,
                },
                LimitedReadError::NotAFile => CheckpointError::NotAFile { path },
                LimitedReadError::TooLarge { size } => CheckpointError::TooLarge { path, size },
            }
        })?;
        Checkpoint::from_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelSpec;

    fn checkpoint() -> Checkpoint {
        let spec = ModelSpec::digits_default();
        let weights = spec.init_weights();
        let mut velocities = weights.clone();
        for layer in &mut velocities.layers {
            layer.kernel.iter_mut().for_each(|v| *v *= -0.5);
        }
        Checkpoint {
            model: ModelFile {
                spec,
                machine: Some("spinn5".into()),
                epochs: Some(4),
            },
            epochs_done: 2,
            data: "digits".into(),
            test_fraction: 0.2,
            weights,
            velocities: Some(velocities),
        }
    }

    #[test]
    fn a_checkpoint_reads_back_equal() {
        let c = checkpoint();
        let bytes = c.to_bytes().unwrap();
        assert_eq!(Checkpoint::from_bytes(&bytes).unwrap(), c);
        let without = Checkpoint {
            velocities: None,
            ..c
        };
        let bytes = without.to_bytes().unwrap();
        assert_eq!(Checkpoint::from_bytes(&bytes).unwrap(), without);
    }

    #[test]
    fn broken_checkpoints_are_named() {
        let err = Checkpoint::from_bytes(b"not a zip").unwrap_err();
        assert!(err.to_string().contains("not a checkpoint"), "{err}");
        let mut c = checkpoint();
        c.epochs_done = 5;
        let err = Checkpoint::from_bytes(&c.to_bytes().unwrap()).unwrap_err();
        assert!(err.to_string().contains("epochs_done = 5"), "{err}");
        // The weights of another model.
        let mut c = checkpoint();
        c.weights.layers[0].name = "other".into();
        let err = Checkpoint::from_bytes(&c.to_bytes().unwrap()).unwrap_err();
        assert!(err.to_string().contains("weights.npz"), "{err}");
    }
}
