//! Labelled classification data sets: the embedded 8×8 digits and MNIST subset, MNIST-style
//! IDX files, and a seeded train/test split.
//!
//! * [`digits`]: the UCI optical digits as scikit-learn ships them (1,797 samples of 8×8
//!   pixels 0..=16, labels 0..=9), embedded in the library; pixels are scaled to [0, 1] by /16,
//!   and a sample's shape is `(8, 8, 1)`.
//!   Source format: one sample per line, 64 comma-separated integers (the image, row-major)
//!   then the label.
//! * [`mnist`]: 10,000 MNIST digits of 28×28 (`(28, 28, 1)`), embedded in the library as the
//!   two IDX files in `data/` (see `data/README.md` for their provenance); its labels are
//!   grouped by class, so shuffle (or [`Dataset::split`]) before training.
//! * [`read_idx`]: an IDX3 image file (magic `0x00000803`, then big-endian u32 count, rows and
//!   columns, then `u8` pixels row-major) and an IDX1 label file (magic `0x00000801`, count,
//!   then `u8` labels 0..=9), each raw or gzip-compressed (recognised by the gzip magic
//!   `1f 8b`); pixels are scaled to [0, 1] by /255, and a sample's shape is `(rows, cols, 1)`.
//!   Only regular files of at most [`MAX_IDX_FILE_BYTES`] are read, so a path naming a device
//!   or a pipe is an error, not an endless read.
//! * [`DataSource`]: one of these by name, as the command line's `--data` gives it
//!   (`digits`, `mnist` or `idx:IMAGES,LABELS`).
//! * [`Dataset::split`]: a Fisher–Yates shuffle from a [`SplitMix64`] seed (see
//!   [`shuffled_indices`]), so the same seed gives the same split on every platform.
//!
//! Every parse error names the file (and for the CSV the 1-based line) and what was wrong.

use crate::shape::Shape;
use spinn_model::rng::SplitMix64;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Samples with one class label each.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// `n_samples × n_features` values, sample after sample (row-major).
    pub inputs: Vec<f32>,
    /// One label per sample, each `< n_classes`.
    pub labels: Vec<u8>,
    /// Values per sample: `shape.len()`.
    pub n_features: usize,
    /// One sample's shape (`(8, 8, 1)` for the digits); its elements are a sample's values in
    /// row-major order.
    pub shape: Shape,
    /// Number of classes (the width of [`Dataset::one_hot`]).
    pub n_classes: usize,
}

/// Why a data set could not be loaded or split.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The path names a directory, a device, a pipe or a socket rather than a file.
    #[error("cannot read {}: not a regular file", .path.display())]
    NotAFile { path: PathBuf },

    /// A file larger than a data file of this kind can be.
    #[error("cannot read {}: it has {size} bytes, more than the {limit} an IDX file may have", .path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },

    /// A `--data` value that names no data set.
    #[error("unknown data set \"{text}\": expected digits, mnist or idx:IMAGES,LABELS")]
    UnknownSource { text: String },

    /// An `idx:` data set without exactly two comma-separated paths.
    #[error("data set \"{text}\": idx: needs two comma-separated paths, idx:IMAGES,LABELS (and paths without commas)")]
    BadIdxSource { text: String },

    /// Gzip data that does not decompress.
    #[error("{name}: cannot decompress gzip data: {message}")]
    Gzip { name: String, message: String },

    /// A CSV line that is not a sample.
    #[error("{name}:{line}: {message}")]
    Csv {
        name: String,
        line: usize,
        message: String,
    },

    /// An IDX file whose magic number is not the expected one.
    #[error("{name}: wrong magic number 0x{found:08x}, expected 0x{expected:08x} ({what})")]
    WrongMagic {
        name: String,
        expected: u32,
        found: u32,
        what: &'static str,
    },

    /// A file shorter than its header says.
    #[error("{name}: truncated, {got} bytes but the header needs {expected}")]
    Truncated {
        name: String,
        expected: usize,
        got: usize,
    },

    /// A file longer than its header says.
    #[error("{name}: {extra} bytes after the {expected} bytes the header describes")]
    TrailingBytes {
        name: String,
        expected: usize,
        extra: usize,
    },

    /// An IDX file whose dimensions describe no data, or more than this library reads.
    #[error("{name}: unusable dimensions {dims:?}: {reason}")]
    BadDimensions {
        name: String,
        dims: Vec<u32>,
        reason: &'static str,
    },

    /// Image and label files with different sample counts.
    #[error("{images} has {n_images} images but {labels} has {n_labels} labels")]
    CountMismatch {
        images: String,
        n_images: usize,
        labels: String,
        n_labels: usize,
    },

    /// A label outside `0..n_classes`.
    #[error("{name}: label {label} of sample {index} is not below {n_classes}")]
    LabelOutOfRange {
        name: String,
        index: usize,
        label: u8,
        n_classes: usize,
    },

    /// A test fraction outside (0, 1).
    #[error("test fraction {value} is outside (0, 1)")]
    InvalidTestFraction { value: f64 },

    /// A split that would leave the train or the test set empty.
    #[error("splitting {n_samples} samples with test fraction {test_fraction} gives {n_test} test samples, leaving one side empty")]
    EmptySplit {
        n_samples: usize,
        test_fraction: f64,
        n_test: usize,
    },
}

/// The classes of the digits and MNIST sets.
pub const N_DIGIT_CLASSES: usize = 10;

/// Pixels per 8×8 digit.
pub const DIGITS_FEATURES: usize = 64;

/// The largest IDX file [`read_idx`] reads: the 1 GiB of data an IDX file may describe, plus
/// room for its header or gzip framing.
pub const MAX_IDX_FILE_BYTES: u64 = MAX_DECOMPRESSED_BYTES + (1 << 20);

/// Decompressed bytes read from one gzip stream at most (1 GiB, twenty times full MNIST), so a
/// corrupt or hostile file is an error instead of exhausting memory.
const MAX_DECOMPRESSED_BYTES: u64 = 1 << 30;

const IDX3_UBYTE: u32 = 0x0000_0803;
const IDX1_UBYTE: u32 = 0x0000_0801;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The embedded digits CSV, gzip-compressed.
static DIGITS_CSV_GZ: &[u8] = include_bytes!("../data/digits.csv.gz");

/// The embedded MNIST subset, gzip-compressed IDX files (see `data/README.md`).
static MNIST_IMAGES_GZ: &[u8] = include_bytes!("../data/mnist10k-images-idx3-ubyte.gz");
static MNIST_LABELS_GZ: &[u8] = include_bytes!("../data/mnist10k-labels-idx1-ubyte.gz");

/// The 8×8 digits set: 1,797 samples, 64 features in [0, 1], 10 classes, in file order.
pub fn digits() -> Result<Dataset, DataError> {
    let name = "digits.csv.gz (embedded)";
    let bytes = gunzip(DIGITS_CSV_GZ, name)?;
    let text = String::from_utf8(bytes).map_err(|err| DataError::Csv {
        name: name.to_string(),
        line: 1 + err.as_bytes()[..err.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        message: "not UTF-8 text".to_string(),
    })?;
    parse_digits_csv(&text, name)
}

/// The embedded MNIST subset: 10,000 images of 28×28×1 in [0, 1], 10 classes, in file order
/// (grouped by class: all the 0s, then all the 1s, …).
pub fn mnist() -> Result<Dataset, DataError> {
    parse_idx(
        MNIST_IMAGES_GZ,
        "mnist10k-images-idx3-ubyte.gz (embedded)",
        MNIST_LABELS_GZ,
        "mnist10k-labels-idx1-ubyte.gz (embedded)",
    )
}

/// Parses digits CSV text (format in the module doc); `name` names it in errors.
pub fn parse_digits_csv(text: &str, name: &str) -> Result<Dataset, DataError> {
    let mut inputs = Vec::new();
    let mut labels = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let error = |message: String| DataError::Csv {
            name: name.to_string(),
            line: index + 1,
            message,
        };
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != DIGITS_FEATURES + 1 {
            return Err(error(format!(
                "expected {} values (64 pixels, then the label), found {}",
                DIGITS_FEATURES + 1,
                fields.len()
            )));
        }
        for (column, field) in fields[..DIGITS_FEATURES].iter().enumerate() {
            let pixel = field
                .parse::<u8>()
                .ok()
                .filter(|&it| it <= 16)
                .ok_or_else(|| {
                    error(format!(
                        "pixel \"{field}\" in column {} is not an integer 0..=16",
                        column + 1
                    ))
                })?;
            inputs.push(f32::from(pixel) / 16.0);
        }
        let field = fields[DIGITS_FEATURES];
        let label = field
            .parse::<u8>()
            .ok()
            .filter(|&it| usize::from(it) < N_DIGIT_CLASSES)
            .ok_or_else(|| {
                error(format!(
                    "label \"{field}\" in column {} is not a digit 0..=9",
                    DIGITS_FEATURES + 1
                ))
            })?;
        labels.push(label);
    }
    if labels.is_empty() {
        return Err(DataError::Csv {
            name: name.to_string(),
            line: 1,
            message: "no samples".to_string(),
        });
    }
    Ok(Dataset {
        inputs,
        labels,
        n_features: DIGITS_FEATURES,
        shape: Shape::new(vec![8, 8, 1]),
        n_classes: N_DIGIT_CLASSES,
    })
}

/// Reads an MNIST-style IDX3 image file and IDX1 label file (each raw or gzip), with 10
/// classes; errors name the file at fault. Refuses anything but regular files of at most
/// [`MAX_IDX_FILE_BYTES`].
pub fn read_idx(images_path: &Path, labels_path: &Path) -> Result<Dataset, DataError> {
    let read = |path: &Path| {
        read_limited(path, MAX_IDX_FILE_BYTES).map_err(|err| {
            let path = path.to_path_buf();
            match err {
                LimitedReadError::Io(source) => DataError::Io { path, source },
                LimitedReadError::NotAFile => DataError::NotAFile { path },
                LimitedReadError::TooLarge { size } => DataError::TooLarge {
                    path,
                    size,
                    limit: MAX_IDX_FILE_BYTES,
                },
            }
        })
    };
    let images = read(images_path)?;
    let labels = read(labels_path)?;
    parse_idx(
        &images,
        &images_path.display().to_string(),
        &labels,
        &labels_path.display().to_string(),
    )
}

/// [`read_idx`] on bytes already in memory; the names identify them in errors.
pub fn parse_idx(
    images: &[u8],
    images_name: &str,
    labels: &[u8],
    labels_name: &str,
) -> Result<Dataset, DataError> {
    let images = maybe_gunzip(images, images_name)?;
    let labels = maybe_gunzip(labels, labels_name)?;
    let (dims, pixels) = idx_body(
        &images,
        images_name,
        IDX3_UBYTE,
        "IDX3 unsigned-byte images",
    )?;
    let (label_dims, labels) = idx_body(
        &labels,
        labels_name,
        IDX1_UBYTE,
        "IDX1 unsigned-byte labels",
    )?;
    let n_images = dims[0] as usize;
    let n_labels = label_dims[0] as usize;
    if n_images != n_labels {
        return Err(DataError::CountMismatch {
            images: images_name.to_string(),
            n_images,
            labels: labels_name.to_string(),
            n_labels,
        });
    }
    if let Some(index) = labels
        .iter()
        .position(|&it| usize::from(it) >= N_DIGIT_CLASSES)
    {
        return Err(DataError::LabelOutOfRange {
            name: labels_name.to_string(),
            index,
            label: labels[index],
            n_classes: N_DIGIT_CLASSES,
        });
    }
    let (rows, cols) = (dims[1] as usize, dims[2] as usize);
    Ok(Dataset {
        inputs: pixels.iter().map(|&it| f32::from(it) / 255.0).collect(),
        labels: labels.to_vec(),
        n_features: rows * cols,
        shape: Shape::new(vec![rows, cols, 1]),
        n_classes: N_DIGIT_CLASSES,
    })
}

/// A permutation of `0..n` from `seed`: Fisher–Yates from the end, swapping index `i` (for
/// `i = n−1` down to 1) with `j = SplitMix64::below(i + 1)`, one generator for the whole
/// shuffle.
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed);
    let mut indices: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        indices.swap(i, j);
    }
    indices
}

impl Dataset {
    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.labels.len()
    }

    /// One sample's features.
    ///
    /// # Panics
    /// If `index` is not below [`Dataset::n_samples`].
    pub fn sample(&self, index: usize) -> &[f32] {
        &self.inputs[index * self.n_features..(index + 1) * self.n_features]
    }

    /// The labels as one-hot rows: `n_samples × n_classes`, row-major.
    ///
    /// # Panics
    /// If a label is not below `n_classes` (never for sets this module loads).
    pub fn one_hot(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.labels.len() * self.n_classes];
        for (index, &label) in self.labels.iter().enumerate() {
            out[index * self.n_classes + usize::from(label)] = 1.0;
        }
        out
    }

    /// How many samples each class has.
    ///
    /// # Panics
    /// If a label is not below `n_classes` (never for sets this module loads).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes];
        for &label in &self.labels {
            counts[usize::from(label)] += 1;
        }
        counts
    }

    /// The samples at `indices`, in that order.
    ///
    /// # Panics
    /// If an index is not below [`Dataset::n_samples`].
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            inputs: indices
                .iter()
                .flat_map(|&it| self.sample(it).iter().copied())
                .collect(),
            labels: indices.iter().map(|&it| self.labels[it]).collect(),
            n_features: self.n_features,
            shape: self.shape.clone(),
            n_classes: self.n_classes,
        }
    }

    /// Splits into `(train, test)`: the samples are shuffled with [`shuffled_indices`]`(n,
    /// seed)`, the first `round(n · test_fraction)` of that order form the test set and the
    /// rest the train set, both in shuffled order.
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Dataset, Dataset), DataError> {
        // Comparisons with NaN are false, so NaN is rejected too.
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(DataError::InvalidTestFraction {
                value: test_fraction,
            });
        }
        let n = self.n_samples();
        let n_test = (n as f64 * test_fraction).round() as usize;
        if n_test == 0 || n_test >= n {
            return Err(DataError::EmptySplit {
                n_samples: n,
                test_fraction,
                n_test,
            });
        }
        let order = shuffled_indices(n, seed);
        let (test, train) = order.split_at(n_test);
        Ok((self.subset(train), self.subset(test)))
    }
}

/// Where a data set comes from, as the command line names it: `digits`, `mnist` or
/// `idx:IMAGES,LABELS` ([`FromStr`], and [`fmt::Display`] back to that text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// The embedded 8×8 digits ([`digits`]).
    Digits,
    /// The embedded MNIST subset ([`mnist`]).
    Mnist,
    /// A pair of IDX files ([`read_idx`]).
    Idx { images: PathBuf, labels: PathBuf },
}

impl DataSource {
    /// Loads the data set.
    pub fn load(&self) -> Result<Dataset, DataError> {
        match self {
            DataSource::Digits => digits(),
            DataSource::Mnist => mnist(),
            DataSource::Idx { images, labels } => read_idx(images, labels),
        }
    }
}

impl FromStr for DataSource {
    type Err = DataError;

    fn from_str(text: &str) -> Result<DataSource, DataError> {
        match text {
            "digits" => Ok(DataSource::Digits),
            "mnist" => Ok(DataSource::Mnist),
            _ => {
                let paths = text
                    .strip_prefix("idx:")
                    .ok_or_else(|| DataError::UnknownSource {
                        text: clipped(text, MESSAGE_CHARS),
                    })?;
                // Exactly one comma: with more, which one separates the paths is a guess.
                match paths.split(',').collect::<Vec<_>>().as_slice() {
                    [images, labels] if !images.is_empty() && !labels.is_empty() => {
                        Ok(DataSource::Idx {
                            images: PathBuf::from(images),
                            labels: PathBuf::from(labels),
                        })
                    }
                    _ => Err(DataError::BadIdxSource {
                        text: clipped(text, MESSAGE_CHARS),
                    }),
                }
            }
        }
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Digits => write!(f, "digits"),
            DataSource::Mnist => write!(f, "mnist"),
            DataSource::Idx { images, labels } => {
                write!(f, "idx:{},{}", images.display(), labels.display())
            }
        }
    }
}

/// Why [`read_limited`] did not return a file's bytes.
#[derive(Debug)]
pub(crate) enum LimitedReadError {
    Io(std::io::Error),
    /// A directory, device, pipe or socket.
    NotAFile,
    /// The file has `size` bytes (at least), more than the limit.
    TooLarge {
        size: u64,
    },
}

/// Reads a regular file of at most `limit` bytes. The path is checked before it is opened,
/// since opening a pipe can block and reading a device need never end; what is read is
/// bounded too, in case the file grows in between. Used by every reader of user files here
/// (model files, `.npz` archives, IDX files), each with its own limit and error type.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, LimitedReadError> {
    let metadata = std::fs::metadata(path).map_err(LimitedReadError::Io)?;
    if !metadata.is_file() {
        return Err(LimitedReadError::NotAFile);
    }
    if metadata.len() > limit {
        return Err(LimitedReadError::TooLarge {
            size: metadata.len(),
        });
    }
    let file = std::fs::File::open(path).map_err(LimitedReadError::Io)?;
    // The path may have been replaced between the check and the open.
    if !file.metadata().map_err(LimitedReadError::Io)?.is_file() {
        return Err(LimitedReadError::NotAFile);
    }
    let mut bytes = Vec::new();
    // One byte past the limit is enough to tell that the file grew past it.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(LimitedReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(LimitedReadError::TooLarge {
            size: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

/// The most characters of a value read from a file (a name, a key, a line) that an error
/// quotes: enough to recognise it, few enough that a hostile file is not echoed back whole.
pub(crate) const QUOTED_CHARS: usize = 80;

/// The most characters of another library's message (TOML's, zip's) that an error carries;
/// those messages quote the input too.
pub(crate) const MESSAGE_CHARS: usize = 240;

/// `text` as an error may quote it: on one line (control characters escaped, a newline as
/// `\n`) and at most `max` characters, ending in `…` where it was cut. Every reader here
/// passes what it quotes from a file through this, so each error stays one short line.
pub(crate) fn clipped(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in text.chars() {
        let escaped: String = if c.is_control() {
            c.escape_default().collect()
        } else {
            c.to_string()
        };
        count += escaped.chars().count();
        if count > max {
            out.push('…');
            break;
        }
        out.push_str(&escaped);
    }
    out
}

/// Decompresses `bytes` if they start with the gzip magic, otherwise returns them as they are.
fn maybe_gunzip(bytes: &[u8], name: &str) -> Result<Vec<u8>, DataError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        gunzip(bytes, name)
    } else {
        Ok(bytes.to_vec())
    }
}

fn gunzip(bytes: &[u8], name: &str) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|err| DataError::Gzip {
            name: name.to_string(),
            message: err.to_string(),
        })?;
    if out.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(DataError::Gzip {
            name: name.to_string(),
            message: format!("decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes"),
        });
    }
    Ok(out)
}

/// Checks an unsigned-byte IDX file's magic and size; returns its dimensions and data.
fn idx_body<'a>(
    bytes: &'a [u8],
    name: &str,
    magic: u32,
    what: &'static str,
) -> Result<(Vec<u32>, &'a [u8]), DataError> {
    let n_dims = (magic & 0xff) as usize;
    let header_len = 4 + 4 * n_dims;
    let truncated = |expected: usize| DataError::Truncated {
        name: name.to_string(),
        expected,
        got: bytes.len(),
    };
    let word = |at: usize| {
        u32::from_be_bytes(bytes[at..at + 4].try_into().expect("invariant: four bytes"))
    };
    if bytes.len() < 4 {
        return Err(truncated(header_len));
    }
    let found = word(0);
    if found != magic {
        return Err(DataError::WrongMagic {
            name: name.to_string(),
            expected: magic,
            found,
            what,
        });
    }
    if bytes.len() < header_len {
        return Err(truncated(header_len));
    }
    let dims: Vec<u32> = (0..n_dims).map(|it| word(4 + 4 * it)).collect();
    let bad = |reason| DataError::BadDimensions {
        name: name.to_string(),
        dims: dims.clone(),
        reason,
    };
    if dims[0] == 0 {
        return Err(bad("no samples"));
    }
    if dims[1..].contains(&0) {
        return Err(bad("an image has no pixels"));
    }
    let data_len = dims
        .iter()
        .try_fold(1usize, |acc, &it| acc.checked_mul(it as usize))
        .filter(|&it| it as u64 <= MAX_DECOMPRESSED_BYTES)
        .ok_or_else(|| bad("more than 1 GiB of data"))?;
    let expected = header_len + data_len;
    if bytes.len() < expected {
        return Err(truncated(expected));
    }
    if bytes.len() > expected {
        return Err(DataError::TrailingBytes {
            name: name.to_string(),
            expected,
            extra: bytes.len() - expected,
        });
    }
    Ok((dims, &bytes[header_len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn digits_set() -> Dataset {
        digits().expect("the embedded digits parse")
    }

    #[test]
    fn digits_has_the_scikit_learn_samples_and_class_counts() {
        let set = digits_set();
        assert_eq!(set.n_samples(), 1797);
        assert_eq!(set.n_features, 64);
        assert_eq!(set.shape, Shape::new(vec![8, 8, 1]));
        assert_eq!(set.n_classes, 10);
        assert_eq!(set.inputs.len(), 1797 * 64);
        assert_eq!(
            set.class_counts(),
            vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
        );
        assert!(set.inputs.iter().all(|it| (0.0..=1.0).contains(it)));
        assert_eq!(set.inputs.iter().fold(0.0f32, |acc, &it| acc.max(it)), 1.0);
        // The first line of the file: 0,0,5,13,9,1,0,0,... with label 0.
        assert_eq!(
            &set.sample(0)[..8],
            &[
                0.0,
                0.0,
                5.0 / 16.0,
                13.0 / 16.0,
                9.0 / 16.0,
                1.0 / 16.0,
                0.0,
                0.0
            ]
        );
        assert_eq!(&set.labels[..10], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn digits_csv_errors_name_the_line() {
        let good = format!("{}0\n", "1,".repeat(64));
        let cases = [
            (
                format!("{good}{}\n", "1,".repeat(63)),
                "d.csv:2: expected 65 values (64 pixels, then the label), found 64",
            ),
            (
                format!("{good}{good}17,{}3\n", "1,".repeat(63)),
                "d.csv:3: pixel \"17\" in column 1 is not an integer 0..=16",
            ),
            (
                format!("{}x,2\n", "1,".repeat(63)),
                "d.csv:1: pixel \"x\" in column 64 is not an integer 0..=16",
            ),
            (
                format!("{good}{}10\n", "1,".repeat(64)),
                "d.csv:2: label \"10\" in column 65 is not a digit 0..=9",
            ),
            ("\n\n".to_string(), "d.csv:1: no samples"),
        ];
        for (text, message) in cases {
            let err = parse_digits_csv(&text, "d.csv").expect_err("bad CSV must be rejected");
            assert_eq!(err.to_string(), message);
        }
        let set = parse_digits_csv(&format!("{good}\n{good}"), "d.csv").expect("valid CSV");
        assert_eq!(set.labels, vec![0, 0]);
        assert_eq!(set.sample(1), &[1.0 / 16.0; 64]);
    }

    #[test]
    fn split_sizes_determinism_and_partition() {
        let set = digits_set();
        let (train, test) = set.split(0.2, 42).expect("valid split");
        assert_eq!((train.n_samples(), test.n_samples()), (1438, 359));
        assert_eq!(train.inputs.len(), 1438 * 64);
        assert_eq!((train.n_features, train.n_classes), (64, 10));
        assert_eq!((&train.shape, &test.shape), (&set.shape, &set.shape));
        let (train_again, test_again) = set.split(0.2, 42).expect("valid split");
        assert_eq!(train, train_again);
        assert_eq!(test, test_again);
        let (other_train, _) = set.split(0.2, 43).expect("valid split");
        assert_ne!(train, other_train);
        // Train and test together hold every sample exactly once.
        let order = shuffled_indices(1797, 42);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1797).collect::<Vec<_>>());
        assert_eq!(test, set.subset(&order[..359]));
        assert_eq!(train, set.subset(&order[359..]));
        let counts: Vec<usize> = train
            .class_counts()
            .iter()
            .zip(test.class_counts())
            .map(|(a, b)| a + b)
            .collect();
        assert_eq!(counts, set.class_counts());
    }

    #[test]
    fn shuffle_follows_the_documented_fisher_yates() {
        let mut rng = SplitMix64::new(9);
        let mut expected = vec![0, 1, 2, 3, 4];
        for i in (1..5).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            expected.swap(i, j);
        }
        assert_eq!(shuffled_indices(5, 9), expected);
        assert_eq!(shuffled_indices(0, 9), Vec::<usize>::new());
        assert_eq!(shuffled_indices(1, 9), vec![0]);
    }

    #[test]
    fn bad_splits_are_errors() {
        let set =
            parse_digits_csv(&format!("{}3\n", "0,".repeat(64)).repeat(3), "d").expect("valid CSV");
        for value in [0.0, 1.0, -0.5, f64::NAN] {
            let err = set.split(value, 1).expect_err("fraction outside (0, 1)");
            assert!(
                matches!(err, DataError::InvalidTestFraction { .. }),
                "{err}"
            );
        }
        assert_eq!(
            set.split(0.1, 1).expect_err("no test samples").to_string(),
            "splitting 3 samples with test fraction 0.1 gives 0 test samples, leaving one side empty"
        );
        assert_eq!(
            set.split(0.9, 1).expect_err("no train samples").to_string(),
            "splitting 3 samples with test fraction 0.9 gives 3 test samples, leaving one side empty"
        );
    }

    #[test]
    fn one_hot_rows_mark_the_label() {
        let set = Dataset {
            inputs: vec![0.0; 3],
            labels: vec![2, 0, 1],
            n_features: 1,
            shape: Shape::flat(1),
            n_classes: 3,
        };
        assert_eq!(
            set.one_hot(),
            vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        );
    }

    fn idx3(n: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for word in [IDX3_UBYTE, n, rows, cols] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        out.extend_from_slice(pixels);
        out
    }

    fn idx1(labels: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for word in [IDX1_UBYTE, labels.len() as u32] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        out.extend_from_slice(labels);
        out
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).expect("in-memory gzip");
        encoder.finish().expect("in-memory gzip")
    }

    /// A fresh directory under the system temp dir, unique to this process and test.
    fn temp_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spinn-dl-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    /// Writes the two files and reads them back with `read_idx`.
    fn read_pair(
        test: &str,
        images: &[u8],
        labels: &[u8],
    ) -> (Result<Dataset, DataError>, PathBuf) {
        let dir = temp_dir(test);
        let images_path = dir.join("images-idx3-ubyte");
        let labels_path = dir.join("labels-idx1-ubyte");
        std::fs::write(&images_path, images).expect("temp file");
        std::fs::write(&labels_path, labels).expect("temp file");
        let res = read_idx(&images_path, &labels_path);
        std::fs::remove_dir_all(&dir).expect("temp dir removal");
        (res, dir)
    }

    const PIXELS: [u8; 12] = [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0];

    #[test]
    fn idx_raw_and_gzip_files_read_the_same() {
        let images = idx3(3, 2, 2, &PIXELS);
        let labels = idx1(&[7, 0, 9]);
        let expected = Dataset {
            inputs: PIXELS.iter().map(|&it| f32::from(it) / 255.0).collect(),
            labels: vec![7, 0, 9],
            n_features: 4,
            shape: Shape::new(vec![2, 2, 1]),
            n_classes: 10,
        };
        let (raw, _) = read_pair("idx-raw", &images, &labels);
        assert_eq!(raw.expect("valid raw files"), expected);
        let (gz, _) = read_pair("idx-gz", &gzip(&images), &gzip(&labels));
        assert_eq!(gz.expect("valid gzip files"), expected);
        let (mixed, _) = read_pair("idx-mixed", &gzip(&images), &labels);
        assert_eq!(mixed.expect("valid files"), expected);
        assert_eq!(expected.sample(0), &[0.0, 1.0, 0.2, 0.4]);
    }

    #[test]
    fn idx_wrong_magic_names_the_file() {
        let images = idx3(3, 2, 2, &PIXELS);
        let labels = idx1(&[7, 0, 9]);
        // The files swapped: each has the other's magic.
        let (res, dir) = read_pair("idx-magic", &labels, &images);
        assert_eq!(
            res.expect_err("swapped files").to_string(),
            format!(
                "{}: wrong magic number 0x00000801, expected 0x00000803 (IDX3 unsigned-byte images)",
                dir.join("images-idx3-ubyte").display()
            )
        );
        let (res, dir) = read_pair("idx-label-magic", &images, &gzip(&images));
        assert_eq!(
            res.expect_err("image file as labels").to_string(),
            format!(
                "{}: wrong magic number 0x00000803, expected 0x00000801 (IDX1 unsigned-byte labels)",
                dir.join("labels-idx1-ubyte").display()
            )
        );
    }

    fn idx_error(images: &[u8], labels: &[u8]) -> String {
        parse_idx(images, "img", labels, "lbl")
            .expect_err("bad IDX must be rejected")
            .to_string()
    }

    #[test]
    fn idx_size_and_content_errors() {
        let images = idx3(3, 2, 2, &PIXELS);
        let labels = idx1(&[7, 0, 9]);
        assert_eq!(
            idx_error(&images, &idx1(&[7, 0])),
            "img has 3 images but lbl has 2 labels"
        );
        assert_eq!(
            idx_error(&images[..20], &labels),
            "img: truncated, 20 bytes but the header needs 28"
        );
        assert_eq!(
            idx_error(&images[..10], &labels),
            "img: truncated, 10 bytes but the header needs 16"
        );
        assert_eq!(
            idx_error(&images, &labels[..2]),
            "lbl: truncated, 2 bytes but the header needs 8"
        );
        assert_eq!(
            idx_error(&images, &[&labels[..], &[1]].concat()),
            "lbl: 1 bytes after the 11 bytes the header describes"
        );
        assert_eq!(
            idx_error(&images, &idx1(&[7, 10, 9])),
            "lbl: label 10 of sample 1 is not below 10"
        );
        assert_eq!(
            idx_error(&idx3(0, 2, 2, &[]), &idx1(&[])),
            "img: unusable dimensions [0, 2, 2]: no samples"
        );
        assert_eq!(
            idx_error(&idx3(3, 0, 2, &[]), &labels),
            "img: unusable dimensions [3, 0, 2]: an image has no pixels"
        );
        assert_eq!(
            idx_error(&idx3(u32::MAX, u32::MAX, 2, &[]), &labels),
            "img: unusable dimensions [4294967295, 4294967295, 2]: more than 1 GiB of data"
        );
        let gz = gzip(&images);
        assert!(idx_error(&gz[..gz.len() / 2], &labels)
            .starts_with("img: cannot decompress gzip data: "));
    }

    #[test]
    fn idx_missing_file_names_the_path() {
        let dir = temp_dir("idx-missing");
        let images = dir.join("no-such-images");
        let err = read_idx(&images, &dir.join("no-such-labels")).expect_err("no files");
        std::fs::remove_dir_all(&dir).expect("temp dir removal");
        assert!(matches!(&err, DataError::Io { path, .. } if *path == images));
        assert!(err
            .to_string()
            .starts_with(&format!("cannot read {}: ", images.display())));
    }

    #[test]
    fn mnist_is_embedded_with_its_class_counts() {
        let set = mnist().expect("the embedded MNIST subset parses");
        assert_eq!(set.n_samples(), 10_000);
        assert_eq!(set.n_features, 784);
        assert_eq!(set.shape, Shape::new(vec![28, 28, 1]));
        assert_eq!(set.n_classes, 10);
        assert_eq!(
            set.class_counts(),
            vec![1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
        );
        assert!(set.inputs.iter().all(|it| (0.0..=1.0).contains(it)));
        assert!(set.inputs.contains(&1.0));
        // Grouped by class, as the file is.
        assert!(set.labels.windows(2).all(|it| it[0] <= it[1]));
        let (train, test) = set.split(0.1, 5).expect("valid split");
        assert_eq!((train.n_samples(), test.n_samples()), (9000, 1000));
        assert_eq!(test.shape, set.shape);
    }

    #[test]
    fn data_sources_parse_print_and_load() {
        let cases = [
            ("digits", DataSource::Digits),
            ("mnist", DataSource::Mnist),
            (
                "idx:a/images.gz,b/labels",
                DataSource::Idx {
                    images: PathBuf::from("a/images.gz"),
                    labels: PathBuf::from("b/labels"),
                },
            ),
        ];
        for (text, source) in cases {
            assert_eq!(text.parse::<DataSource>().expect("valid source"), source);
            assert_eq!(source.to_string(), text);
        }
        let bad = [
            (
                "foo",
                "unknown data set \"foo\": expected digits, mnist or idx:IMAGES,LABELS",
            ),
            (
                "Digits",
                "unknown data set \"Digits\": expected digits, mnist or idx:IMAGES,LABELS",
            ),
            (
                "idx:images",
                "data set \"idx:images\": idx: needs two comma-separated paths, idx:IMAGES,LABELS (and paths without commas)",
            ),
            (
                "idx:a,",
                "data set \"idx:a,\": idx: needs two comma-separated paths, idx:IMAGES,LABELS (and paths without commas)",
            ),
            (
                "idx:a,b,c",
                "data set \"idx:a,b,c\": idx: needs two comma-separated paths, idx:IMAGES,LABELS (and paths without commas)",
            ),
        ];
        for (text, message) in bad {
            let err = text.parse::<DataSource>().expect_err("bad source");
            assert_eq!(err.to_string(), message);
        }
        assert_eq!(
            DataSource::Digits.load().expect("embedded").n_samples(),
            1797
        );
        let dir = temp_dir("data-source");
        let images = dir.join("images");
        let labels = dir.join("labels");
        std::fs::write(&images, idx3(3, 2, 2, &PIXELS)).expect("temp file");
        std::fs::write(&labels, idx1(&[7, 0, 9])).expect("temp file");
        let source: DataSource = format!("idx:{},{}", images.display(), labels.display())
            .parse()
            .expect("valid source");
        let loaded = source.load();
        std::fs::remove_dir_all(&dir).expect("temp dir removal");
        assert_eq!(loaded.expect("valid files").labels, vec![7, 0, 9]);
    }

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = temp_dir("read-limited");
        let file = dir.join("f");
        std::fs::write(&file, [1u8; 20]).expect("temp file");
        let exact = read_limited(&file, 20);
        let over = read_limited(&file, 19);
        let directory = read_idx(&dir, &file);
        let missing = read_limited(&dir.join("missing"), 20);
        std::fs::remove_dir_all(&dir).expect("temp dir removal");
        assert_eq!(exact.expect("within the limit"), vec![1u8; 20]);
        assert!(matches!(over, Err(LimitedReadError::TooLarge { size: 20 })));
        assert!(matches!(missing, Err(LimitedReadError::Io(_))));
        assert_eq!(
            directory.expect_err("a directory").to_string(),
            format!("cannot read {}: not a regular file", dir.display())
        );
        let zero = Path::new("/dev/zero");
        if zero.exists() {
            // It would never end; it must be refused before a byte is read.
            assert_eq!(
                read_idx(zero, zero).expect_err("a device").to_string(),
                "cannot read /dev/zero: not a regular file"
            );
        } else {
            println!("skipping the /dev/zero case: no /dev/zero here");
        }
        let huge = DataError::TooLarge {
            path: PathBuf::from("big.idx"),
            size: MAX_IDX_FILE_BYTES + 1,
            limit: MAX_IDX_FILE_BYTES,
        };
        assert_eq!(
            huge.to_string(),
            "cannot read big.idx: it has 1074790401 bytes, more than the 1074790400 an IDX file may have"
        );
    }
}
