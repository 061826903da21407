//! Weights in and out as NumPy `.npz` archives in Keras layout and with Keras' layer names,
//! with a minimal `.npy` encoder and decoder of our own.
//!
//! # Archive layout
//!
//! Each layer with weights (dense and convolution layers), called `{name}` in the model
//! (`dense`, `conv2d_1`, or the name the model file gives it), has two arrays, named as
//! `np.savez` names its entries (the array name plus `.npy`):
//!
//! | array | zip entry | shape | dtype |
//! |---|---|---|---|
//! | `{name}/kernel` | `{name}/kernel.npy` | dense `(inputs, units)`, conv1d `(kw, in, out)`, conv2d `(kh, kw, in, out)` | `<f4` |
//! | `{name}/bias` | `{name}/bias.npy` | `(units,)` or `(filters,)` | `<f4` |
//!
//! These are Keras' shapes and names, so for a Keras model with the same layer names
//! `np.load("w.npz")["conv2d/kernel"]` is `model.get_layer("conv2d").kernel`.
//! From Python, `np.savez("w.npz", **{f"{l.name}/{w.name}": w.numpy() for l in model.layers
//! for w in l.weights})` writes one (Keras 3 names the weights `kernel` and `bias`).
//!
//! Writing ([`write_npz`]): entries stored uncompressed, in layer order (kernel then bias),
//! with the zip timestamp fixed at 1980-01-01 so the same weights give the same bytes; each
//! `.npy` is format 1.0, C order, `<f4`, its header padded as NumPy pads it.
//!
//! Reading ([`read_npz`]):
//! * entries may be stored or deflated (`np.savez` or `np.savez_compressed`);
//! * each array may also be named TensorFlow-style with a `:0` suffix (`dense/kernel:0.npy`),
//!   used only when the plain name is absent;
//! * dtypes `<f4` and `<f8` are accepted (`<f8` is rounded to `f32`), in `.npy` format 1.0,
//!   2.0 or 3.0; Fortran order is accepted only for arrays of fewer than two dimensions, where
//!   it is the same layout as C order;
//! * other entries are ignored (an archive may carry more than the weights), except a
//!   `{X}/kernel` or `{X}/bias` array where `X` is not a layer with weights in the model,
//!   which means the archive is for another model;
//! * shapes must equal the model's, and values must be finite;
//! * no entry is read beyond what its expected array can need, so a hostile archive cannot
//!   make a small model allocate gigabytes; [`load_npz`] also refuses anything but a regular
//!   file, and files larger than [`npz_size_limit`].
//!
//! Every error names the array (or file) at fault.

use crate::data::{clipped, MESSAGE_CHARS, QUOTED_CHARS};
use crate::model::{LayerWeights, ModelSpec, Weights};
use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

/// Why weights could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum NpzError {
    /// The file could not be read or written.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The path names a directory, a device, a pipe or a socket rather than a file.
    #[error("cannot read {}: not a regular file", .path.display())]
    NotAFile { path: PathBuf },

    /// A file larger than the model's weights can need ([`npz_size_limit`]).
    #[error("cannot read {}: it has {size} bytes, more than the {limit} the weights of a model of {n_parameters} parameters can need", .path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
        n_parameters: u64,
    },

    /// The bytes are not a zip archive.
    #[error("not a .npz (zip) archive: {message}")]
    NotZip { message: String },

    /// A zip entry exists but could not be read (corrupt, or an unsupported compression).
    #[error("{entry}: cannot read zip entry: {message}")]
    Entry { entry: String, message: String },

    /// A weight array the model needs is absent.
    #[error("array {array} is missing (no entry {array}.npy or {array}:0.npy)")]
    MissingArray { array: String },

    /// A kernel or bias for a layer the model does not have (or that has no weights).
    #[error("entry {entry} is for layer \"{layer}\", which is not a layer with weights in this model (those are {}); the archive is for another model", .weighted.join(", "))]
    UnknownLayer {
        entry: String,
        layer: String,
        weighted: Vec<String>,
    },

    /// The entry does not start with the `.npy` magic string.
    #[error("{array}: not a .npy array (bad magic {found:02x?})")]
    BadMagic { array: String, found: Vec<u8> },

    /// A `.npy` format version other than 1.0, 2.0 or 3.0.
    #[error("{array}: unsupported .npy format version {major}.{minor} (expected 1.0, 2.0 or 3.0)")]
    UnsupportedVersion { array: String, major: u8, minor: u8 },

    /// The header dictionary could not be parsed.
    #[error("{array}: malformed .npy header: {reason}")]
    BadHeader { array: String, reason: String },

    /// A dtype other than `<f4` or `<f8`.
    #[error("{array}: unsupported dtype '{dtype}' (expected '<f4' or '<f8')")]
    UnsupportedDtype { array: String, dtype: String },

    /// A Fortran-order (column-major) array of two or more dimensions.
    #[error("{array}: Fortran-order array of shape {} is not supported; save it in C order (np.ascontiguousarray)", python_shape(.shape))]
    FortranOrder { array: String, shape: Vec<usize> },

    /// An array whose shape differs from the model's.
    #[error("{array}: shape {} but the model needs {}", python_shape(.got), python_shape(.expected))]
    WrongShape {
        array: String,
        expected: Vec<usize>,
        got: Vec<usize>,
    },

    /// Fewer data bytes than the header's shape and dtype need.
    #[error("{array}: data truncated, {got} of {expected} bytes")]
    Truncated {
        array: String,
        expected: usize,
        got: usize,
    },

    /// An entry longer than its array can be in any accepted dtype, with the longest header:
    /// read only that far, so its real length is not known (a deflated entry may inflate to
    /// gigabytes).
    #[error("{array}: the entry has more than the {limit} bytes an array of shape {} can take", python_shape(.expected))]
    EntryTooLarge {
        array: String,
        expected: Vec<usize>,
        limit: usize,
    },

    /// More data bytes than the header's shape and dtype need.
    #[error("{array}: {extra} bytes after the {expected} bytes of data")]
    TrailingBytes {
        array: String,
        expected: usize,
        extra: usize,
    },

    /// A NaN or infinity (or an `<f8` value beyond the `f32` range).
    #[error("{array}: value {value:?} at flat index {index} is not a finite f32")]
    NonFinite {
        array: String,
        index: usize,
        value: f64,
    },

    /// [`Weights`] whose vectors do not match their declared kernel shape.
    #[error("layer \"{name}\": kernel has {kernel_len} values and bias {bias_len}, but a kernel of shape {} needs {} and {}", python_shape(.kernel_shape), .kernel_shape.iter().product::<usize>(), .kernel_shape.last().map_or("a last dimension".to_string(), usize::to_string))]
    InconsistentLayer {
        name: String,
        kernel_shape: Vec<usize>,
        kernel_len: usize,
        bias_len: usize,
    },

    /// Two layers of [`Weights`] with one name, whose arrays would collide.
    #[error("layer \"{name}\" appears twice in the weights")]
    DuplicateLayer { name: String },
}

/// A decoded `.npy` array, converted to `f32`, in C order.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// The dimensions; empty for a scalar.
    pub shape: Vec<usize>,
    /// `shape.iter().product()` values, row-major.
    pub data: Vec<f32>,
}

/// The name of the kernel array of the layer called `layer`.
pub fn kernel_name(layer: &str) -> String {
    format!("{layer}/kernel")
}

/// The name of the bias array of the layer called `layer`.
pub fn bias_name(layer: &str) -> String {
    format!("{layer}/bias")
}

/// Encodes an `f32` array as `.npy` format 1.0, `<f4`, C order, with the header NumPy writes.
///
/// # Panics
/// If `data.len()` is not the product of `shape`.
pub fn encode_npy(shape: &[usize], data: &[f32]) -> Vec<u8> {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "npy data length does not match shape {shape:?}"
    );
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}",
        python_shape(shape)
    );
    // NumPy leaves room to grow the first axis in place (up to 21 digits) before aligning.
    if let Some(first) = shape.first() {
        let digits = first.to_string().len();
        header.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    }
    // NumPy's rule: pad with 1..=64 spaces so that the data starts 64-byte aligned.
    let unpadded = MAGIC.len() + 2 + 2 + header.len() + 1;
    let padding = ALIGN - unpadded % ALIGN;
    header.push_str(&" ".repeat(padding));
    header.push('\n');
    let header_len =
        u16::try_from(header.len()).expect("invariant: a header for ≤ 32 dimensions fits u16");
    let mut out = Vec::with_capacity(unpadded + padding + 4 * data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for value in data {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out
}

/// Decodes a `.npy` array of dtype `<f4` or `<f8`; `array` names it in errors.
pub fn decode_npy(bytes: &[u8], array: &str) -> Result<NpyArray, NpzError> {
    let (header, data) = read_header(bytes, array)?;
    let values = read_data(&header, data, array)?;
    Ok(NpyArray {
        shape: header.shape,
        data: values,
    })
}

/// Writes `weights` as a `.npz` archive in the layout of the module doc.
pub fn write_npz(weights: &Weights) -> Result<Vec<u8>, NpzError> {
    let mut names = BTreeSet::new();
    for it in &weights.layers {
        let kernel_len = it
            .kernel_shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d));
        if kernel_len != Some(it.kernel.len()) || it.kernel_shape.last() != Some(&it.bias.len()) {
            return Err(NpzError::InconsistentLayer {
                name: it.name.clone(),
                kernel_shape: it.kernel_shape.clone(),
                kernel_len: it.kernel.len(),
                bias_len: it.bias.len(),
            });
        }
        if !names.insert(it.name.as_str()) {
            return Err(NpzError::DuplicateLayer {
                name: it.name.clone(),
            });
        }
    }
    let mut entries = Vec::with_capacity(2 * weights.layers.len());
    for it in &weights.layers {
        entries.push((
            format!("{}.npy", kernel_name(&it.name)),
            encode_npy(&it.kernel_shape, &it.kernel),
        ));
        entries.push((
            format!("{}.npy", bias_name(&it.name)),
            encode_npy(&[it.bias.len()], &it.bias),
        ));
    }
    stored_zip(
        entries
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice())),
    )
    .map_err(|(entry, message)| NpzError::Entry { entry, message })
}

/// A zip archive of `entries` (name, contents), stored uncompressed with a fixed timestamp so
/// that the same entries give the same bytes; a failure names the entry (or the central
/// directory) and why.
pub(crate) fn stored_zip<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<u8>, (String, String)> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for (entry, bytes) in entries {
        zip.start_file(entry, options)
            .and_then(|()| zip.write_all(bytes).map_err(zip::result::ZipError::from))
            .map_err(|err| (entry.to_string(), err.to_string()))?;
    }
    let cursor = zip
        .finish()
        .map_err(|err| ("central directory".to_string(), err.to_string()))?;
    Ok(cursor.into_inner())
}

/// Reads the weights of `spec` from `.npz` bytes (see the module doc for what is accepted).
pub fn read_npz(bytes: &[u8], spec: &ModelSpec) -> Result<Weights, NpzError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|err| NpzError::NotZip {
        message: clipped(&err.to_string(), MESSAGE_CHARS),
    })?;
    let shapes = spec.weight_shapes();
    let weighted: Vec<String> = shapes.iter().map(|(name, _, _)| name.clone()).collect();
    // Sorted, so that the error for several stray layers is always about the same one.
    let mut names: Vec<String> = archive.file_names().map(str::to_string).collect();
    names.sort();
    for entry in &names {
        if let Some(layer) = weight_layer_of(entry) {
            if !weighted.iter().any(|it| it == layer) {
                // Entry names are the archive's own bytes: quoted clipped, on one line.
                return Err(NpzError::UnknownLayer {
                    entry: clipped(entry, QUOTED_CHARS),
                    layer: clipped(layer, QUOTED_CHARS),
                    weighted,
                });
            }
        }
    }
    let mut layers = Vec::with_capacity(shapes.len());
    for (name, kernel_shape, units) in shapes {
        let kernel = read_array(&mut archive, &names, &kernel_name(&name), &kernel_shape)?;
        let bias = read_array(&mut archive, &names, &bias_name(&name), &[units])?;
        layers.push(LayerWeights {
            name,
            kernel_shape,
            kernel,
            bias,
        });
    }
    Ok(Weights { layers })
}

/// Writes `weights` to a `.npz` file.
pub fn save_npz(path: &Path, weights: &Weights) -> Result<(), NpzError> {
    let bytes = write_npz(weights)?;
    std::fs::write(path, bytes).map_err(|source| NpzError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

/// The largest `.npz` file [`load_npz`] reads for `spec`: 8 bytes per parameter (every
/// weight as `<f8`, or as `<f4` beside as much again of other arrays) plus 1 MiB for headers,
/// zip records and small extras.
pub fn npz_size_limit(spec: &ModelSpec) -> u64 {
    n_parameters(spec).saturating_mul(8).saturating_add(1 << 20)
}

fn n_parameters(spec: &ModelSpec) -> u64 {
    spec.weight_shapes()
        .iter()
        .map(|(_, kernel, units)| {
            let kernel = kernel.iter().fold(1u64, |n, &d| n.saturating_mul(d as u64));
            kernel.saturating_add(*units as u64)
        })
        .fold(0u64, u64::saturating_add)
}

/// Reads the weights of `spec` from a `.npz` file: a regular file of at most
/// [`npz_size_limit`] bytes.
pub fn load_npz(path: &Path, spec: &ModelSpec) -> Result<Weights, NpzError> {
    let limit = npz_size_limit(spec);
    let bytes = crate::data::read_limited(path, limit).map_err(|err| {
        let path = path.to_path_buf();
        match err {
            crate::data::LimitedReadError::Io(source) => NpzError::Io {
                action: "read",
                path,
                source,
            },
            crate::data::LimitedReadError::NotAFile => NpzError::NotAFile { path },
            crate::data::LimitedReadError::TooLarge { size } => NpzError::TooLarge {
                path,
                size,
                limit,
                n_parameters: n_parameters(spec),
            },
        }
    })?;
    read_npz(&bytes, spec)
}

const MAGIC: &[u8] = b"\x93NUMPY";
const ALIGN: usize = 64;
const GROWTH_AXIS_MAX_DIGITS: usize = 21;
/// Bounds what is read from one entry beyond its expected data, so a hostile archive cannot
/// make us allocate gigabytes for a small model; real headers are a few hundred bytes.
const MAX_HEADER_BYTES: usize = 1 << 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    F4,
    F8,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Dtype::F4 => 4,
            Dtype::F8 => 8,
        }
    }
}

#[derive(Debug)]
struct Header {
    dtype: Dtype,
    shape: Vec<usize>,
}

/// NumPy's spelling of a shape: `(2, 3)`, `(3,)`, `()`.
fn python_shape(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [only] => format!("({only},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The layer `X` of an entry that holds a kernel or a bias (`X/kernel.npy`, `X/bias:0.npy`),
/// if it is one.
fn weight_layer_of(entry: &str) -> Option<&str> {
    let array = entry
        .strip_suffix(":0.npy")
        .or_else(|| entry.strip_suffix(".npy"))?;
    array
        .strip_suffix("/kernel")
        .or_else(|| array.strip_suffix("/bias"))
}

fn read_array(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    names: &[String],
    array: &str,
    expected: &[usize],
) -> Result<Vec<f32>, NpzError> {
    let entry = [format!("{array}.npy"), format!("{array}:0.npy")]
        .into_iter()
        .find(|it| names.contains(it))
        .ok_or_else(|| NpzError::MissingArray {
            array: array.to_string(),
        })?;
    let entry_error = |err: &dyn std::fmt::Display| NpzError::Entry {
        entry: entry.clone(),
        message: err.to_string(),
    };
    let file = archive.by_name(&entry).map_err(|err| entry_error(&err))?;
    let limit = expected
        .iter()
        .fold(Dtype::F8.size(), |n, &d| n.saturating_mul(d))
        .saturating_add(MAX_HEADER_BYTES);
    let mut bytes = Vec::new();
    // One byte past the limit is enough to tell that the entry is too long.
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| entry_error(&err))?;
    if bytes.len() > limit {
        return Err(NpzError::EntryTooLarge {
            array: array.to_string(),
            expected: expected.to_vec(),
            limit,
        });
    }
    let (header, data) = read_header(&bytes, array)?;
    if header.shape != expected {
        return Err(NpzError::WrongShape {
            array: array.to_string(),
            expected: expected.to_vec(),
            got: header.shape,
        });
    }
    read_data(&header, data, array)
}

/// Parses the magic, version and header dictionary; returns the header and the data bytes.
fn read_header<'a>(bytes: &'a [u8], array: &str) -> Result<(Header, &'a [u8]), NpzError> {
    // A header is up to 4 GiB of the file's own text: what a reason quotes of it is clipped.
    let bad = |reason: String| NpzError::BadHeader {
        array: array.to_string(),
        reason: clipped(&reason, MESSAGE_CHARS),
    };
    if bytes.len() < MAGIC.len() + 2 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(NpzError::BadMagic {
            array: array.to_string(),
            found: bytes[..bytes.len().min(MAGIC.len())].to_vec(),
        });
    }
    let (major, minor) = (bytes[MAGIC.len()], bytes[MAGIC.len() + 1]);
    let rest = &bytes[MAGIC.len() + 2..];
    let (len_bytes, utf8) = match (major, minor) {
        (1, 0) => (2, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        _ => {
            return Err(NpzError::UnsupportedVersion {
                array: array.to_string(),
                major,
                minor,
            })
        }
    };
    let Some(len_field) = rest.get(..len_bytes) else {
        return Err(bad("file ends inside the header length".to_string()));
    };
    let header_len = len_field
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let rest = &rest[len_bytes..];
    let Some(header_bytes) = rest.get(..header_len) else {
        return Err(bad(format!(
            "header length {header_len} but only {} bytes follow",
            rest.len()
        )));
    };
    let text = if utf8 {
        std::str::from_utf8(header_bytes)
            .map_err(|err| bad(format!("header is not UTF-8: {err}")))?
            .to_string()
    } else {
        // Formats 1.0 and 2.0 are latin-1; every byte is one char.
        header_bytes.iter().map(|&b| char::from(b)).collect()
    };
    let header = parse_header_dict(&text, array)?;
    Ok((header, &rest[header_len..]))
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
fn parse_header_dict(text: &str, array: &str) -> Result<Header, NpzError> {
    // A header is up to 4 GiB of the file's own text: what a reason quotes of it is clipped.
    let bad = |reason: String| NpzError::BadHeader {
        array: array.to_string(),
        reason: clipped(&reason, MESSAGE_CHARS),
    };
    let mut parser = DictParser {
        chars: text.chars().collect(),
        at: 0,
    };
    let entries = parser.dict().map_err(|reason| {
        bad(format!(
            "{} in \"{}\"",
            clipped(&reason, QUOTED_CHARS),
            clipped(text, QUOTED_CHARS)
        ))
    })?;
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    for (key, value) in entries {
        match (key.as_str(), value) {
            ("descr", PyValue::Str(it)) => descr = Some(it),
            ("fortran_order", PyValue::Bool(it)) => fortran_order = Some(it),
            ("shape", PyValue::Tuple(it)) => shape = Some(it),
            ("descr" | "fortran_order" | "shape", value) => {
                return Err(bad(format!("'{key}' has the wrong type ({value:?})")))
            }
            _ => return Err(bad(format!("unexpected key '{key}'"))),
        }
    }
    let descr = descr.ok_or_else(|| bad("no 'descr' key".to_string()))?;
    let fortran_order = fortran_order.ok_or_else(|| bad("no 'fortran_order' key".to_string()))?;
    let shape = shape.ok_or_else(|| bad("no 'shape' key".to_string()))?;
    let dtype = match descr.as_str() {
        "<f4" => Dtype::F4,
        "<f8" => Dtype::F8,
        _ => {
            return Err(NpzError::UnsupportedDtype {
                array: array.to_string(),
                dtype: clipped(&descr, QUOTED_CHARS),
            })
        }
    };
    // With fewer than two dimensions Fortran and C order are the same bytes.
    if fortran_order && shape.len() >= 2 {
        return Err(NpzError::FortranOrder {
            array: array.to_string(),
            shape,
        });
    }
    Ok(Header { dtype, shape })
}

fn read_data(header: &Header, data: &[u8], array: &str) -> Result<Vec<f32>, NpzError> {
    let expected = header
        .shape
        .iter()
        .try_fold(header.dtype.size(), |acc, &it| acc.checked_mul(it))
        .ok_or_else(|| NpzError::BadHeader {
            array: array.to_string(),
            reason: format!("shape {} is too large", python_shape(&header.shape)),
        })?;
    if data.len() < expected {
        return Err(NpzError::Truncated {
            array: array.to_string(),
            expected,
            got: data.len(),
        });
    }
    if data.len() > expected {
        return Err(NpzError::TrailingBytes {
            array: array.to_string(),
            expected,
            extra: data.len() - expected,
        });
    }
    let values: Vec<f32> = match header.dtype {
        Dtype::F4 => data
            .chunks_exact(4)
            .map(|it| f32::from_le_bytes(it.try_into().expect("invariant: chunk of 4")))
            .collect(),
        Dtype::F8 => data
            .chunks_exact(8)
            .map(|it| f64::from_le_bytes(it.try_into().expect("invariant: chunk of 8")) as f32)
            .collect(),
    };
    if let Some(index) = values.iter().position(|it| !it.is_finite()) {
        let value = match header.dtype {
            Dtype::F4 => f64::from(values[index]),
            Dtype::F8 => f64::from_le_bytes(
                data[index * 8..index * 8 + 8]
                    .try_into()
                    .expect("invariant: chunk of 8"),
            ),
        };
        return Err(NpzError::NonFinite {
            array: array.to_string(),
            index,
            value,
        });
    }
    Ok(values)
}

/// The values a `.npy` header dictionary holds.
#[derive(Debug)]
enum PyValue {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

/// A recursive-descent parser for the Python-literal subset NumPy writes in headers.
struct DictParser {
    chars: Vec<char>,
    at: usize,
}

impl DictParser {
    fn peek(&mut self) -> Option<char> {
        while self.chars.get(self.at).is_some_and(|it| it.is_whitespace()) {
            self.at += 1;
        }
        self.chars.get(self.at).copied()
    }

    fn expect(&mut self, want: char) -> Result<(), String> {
        match self.peek() {
            Some(it) if it == want => {
                self.at += 1;
                Ok(())
            }
            Some(it) => Err(format!("expected '{want}' but found '{it}' at {}", self.at)),
            None => Err(format!("expected '{want}' but the header ended")),
        }
    }

    fn dict(&mut self) -> Result<Vec<(String, PyValue)>, String> {
        self.expect('{')?;
        let mut entries = Vec::new();
        loop {
            if self.peek() == Some('}') {
                self.at += 1;
                break;
            }
            let key = self.string()?;
            self.expect(':')?;
            let value = self.value()?;
            entries.push((key, value));
            match self.peek() {
                Some(',') => self.at += 1,
                Some('}') => {}
                Some(it) => return Err(format!("expected ',' or '}}' but found '{it}'")),
                None => return Err("the header ended inside the dictionary".to_string()),
            }
        }
        match self.peek() {
            None => Ok(entries),
            Some(it) => Err(format!("unexpected '{it}' after the dictionary")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = match self.peek() {
            Some(it @ ('\'' | '"')) => it,
            Some(it) => return Err(format!("expected a quoted string but found '{it}'")),
            None => return Err("expected a quoted string but the header ended".to_string()),
        };
        self.at += 1;
        let start = self.at;
        while let Some(&it) = self.chars.get(self.at) {
            self.at += 1;
            if it == quote {
                return Ok(self.chars[start..self.at - 1].iter().collect());
            }
        }
        Err("unterminated string".to_string())
    }

    fn value(&mut self) -> Result<PyValue, String> {
        match self.peek() {
            Some('\'' | '"') => Ok(PyValue::Str(self.string()?)),
            Some('(') => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    match self.peek() {
                        Some(')') => {
                            self.at += 1;
                            return Ok(PyValue::Tuple(items));
                        }
                        Some(it) if it.is_ascii_digit() => {
                            let start = self.at;
                            while self.chars.get(self.at).is_some_and(char::is_ascii_digit) {
                                self.at += 1;
                            }
                            let digits: String = self.chars[start..self.at].iter().collect();
                            let item = digits
                                .parse()
                                .map_err(|_| format!("dimension {digits} is too large"))?;
                            items.push(item);
                            match self.peek() {
                                Some(',') => self.at += 1,
                                Some(')') => {}
                                Some(it) => {
                                    return Err(format!("expected ',' or ')' but found '{it}'"))
                                }
                                None => return Err("the header ended inside a tuple".to_string()),
                            }
                        }
                        Some(it) => return Err(format!("expected a dimension but found '{it}'")),
                        None => return Err("the header ended inside a tuple".to_string()),
                    }
                }
            }
            Some(_) => {
                let start = self.at;
                while self
                    .chars
                    .get(self.at)
                    .is_some_and(|it| it.is_ascii_alphanumeric() || *it == '_')
                {
                    self.at += 1;
                }
                let word: String = self.chars[start..self.at].iter().collect();
                match word.as_str() {
                    "True" => Ok(PyValue::Bool(true)),
                    "False" => Ok(PyValue::Bool(false)),
                    "" => Err(format!(
                        "unsupported value starting '{}'",
                        self.chars[start]
                    )),
                    _ => Err(format!("unsupported value '{word}'")),
                }
            }
            None => Err("expected a value but the header ended".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Loss, NumericMode};
    use crate::ops::{Activation, Conv, Flatten, Op, Padding};
    use crate::shape::Shape;

    fn small_spec() -> ModelSpec {
        ModelSpec::builder(2)
            .dense(3, Activation::Relu)
            .dense(2, Activation::Softmax)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.1, 4)
            .numeric(NumericMode::F32)
            .seed(3)
            .build()
            .expect("valid model")
    }

    /// A `.npy` with a hand-written header and the given data bytes.
    fn npy(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    /// A zip of `(entry name, bytes)`, deflated or stored.
    fn zip_of(entries: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let method = if deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, bytes) in entries {
            zip.start_file(*name, options).expect("test zip entry");
            zip.write_all(bytes).expect("test zip write");
        }
        zip.finish().expect("test zip finish").into_inner()
    }

    fn f4(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|it| it.to_le_bytes()).collect()
    }

    fn f8(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|it| it.to_le_bytes()).collect()
    }

    /// The entries of `small_spec`'s weights, each array given by a hand-written `.npy`.
    fn small_entries() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (
                "dense/kernel.npy",
                npy(
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
                    &f4(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                ),
            ),
            (
                "dense/bias.npy",
                npy(
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n",
                    &f4(&[0.5, -0.5, 0.25]),
                ),
            ),
            (
                "dense_1/kernel.npy",
                npy(
                    "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }\n",
                    &f8(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
                ),
            ),
            (
                "dense_1/bias.npy",
                npy(
                    "{\"descr\": \"<f4\", \"fortran_order\": True, \"shape\": (2,)}\n",
                    &f4(&[-1.0, 1.0]),
                ),
            ),
        ]
    }

    fn read_error(entries: &[(&str, Vec<u8>)]) -> String {
        read_npz(&zip_of(entries, false), &small_spec())
            .expect_err("archive must be rejected")
            .to_string()
    }

    #[test]
    fn npy_header_matches_numpy_bytes() {
        let bytes = encode_npy(&[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        let mut expected = b"\x93NUMPY\x01\x00v\x00".to_vec();
        expected.extend_from_slice(dict.as_bytes());
        expected.extend_from_slice(&[b' '; 128 - 10 - 59 - 1]);
        expected.push(b'\n');
        assert_eq!(expected.len(), 128);
        assert_eq!(&bytes[..128], &expected[..]);
        assert_eq!(&bytes[128..], &f4(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0])[..]);
    }

    #[test]
    fn npy_headers_are_aligned_for_every_rank() {
        for shape in [
            vec![],
            vec![7],
            vec![123456, 0],
            vec![1, 2, 3, 4, 5, 6, 7, 8],
        ] {
            let n = shape.iter().product::<usize>();
            let bytes = encode_npy(&shape, &vec![1.5; n]);
            let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
            assert_eq!((10 + header_len) % 64, 0, "shape {shape:?}");
            assert_eq!(bytes[10 + header_len - 1], b'\n', "shape {shape:?}");
            let decoded = decode_npy(&bytes, "x").expect("own output decodes");
            assert_eq!(
                decoded,
                NpyArray {
                    shape,
                    data: vec![1.5; n]
                }
            );
        }
        let one_d = encode_npy(&[3], &[1.0, 2.0, 3.0]);
        let text = String::from_utf8_lossy(&one_d[10..]);
        assert!(text.contains("'shape': (3,), }"), "{text}");
    }

    #[test]
    fn npz_round_trips() {
        let spec = ModelSpec::digits_default();
        let weights = spec.init_weights();
        let bytes = write_npz(&weights).expect("consistent weights");
        assert_eq!(read_npz(&bytes, &spec).expect("own output reads"), weights);
        // Fixed timestamps and order make the archive reproducible.
        assert_eq!(write_npz(&weights).expect("consistent weights"), bytes);
        let archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).expect("a zip");
        let names: Vec<String> = (0..archive.len())
            .map(|i| {
                archive
                    .name_for_index(i)
                    .expect("invariant: i < len")
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "dense/kernel.npy",
                "dense/bias.npy",
                "dense_1/kernel.npy",
                "dense_1/bias.npy"
            ]
        );
    }

    #[test]
    fn save_and_load_use_the_file() {
        let spec = small_spec();
        let weights = spec.init_weights();
        let dir = std::env::temp_dir().join(format!("spinn-dl-npz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("weights.npz");
        save_npz(&path, &weights).expect("writable temp dir");
        let loaded = load_npz(&path, &spec);
        std::fs::remove_dir_all(&dir).expect("temp dir removal");
        assert_eq!(loaded.expect("own file reads"), weights);
        let err = load_npz(&path, &spec).expect_err("the file is gone");
        assert!(err
            .to_string()
            .starts_with(&format!("cannot read {}: ", path.display())));
    }

    #[test]
    fn load_refuses_devices_directories_and_oversized_files() {
        let spec = small_spec();
        // 6 + 3 + 6 + 2 parameters.
        assert_eq!(npz_size_limit(&spec), 17 * 8 + (1 << 20));
        let dir = std::env::temp_dir().join(format!("spinn-dl-npz-limit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("big.npz");
        let mut bytes = write_npz(&spec.init_weights()).expect("consistent weights");
        bytes.resize(npz_size_limit(&spec) as usize + 1, 0);
        std::fs::write(&path, &bytes).expect("temp file");
        let big = load_npz(&path, &spec);
        let directory = load_npz(&dir, &spec);
        std::fs::remove_dir_all(&dir).expect("temp dir removal");
        assert_eq!(
            big.expect_err("too large").to_string(),
            format!(
                "cannot read {}: it has 1048713 bytes, more than the 1048712 the weights of a model of 17 parameters can need",
                path.display()
            )
        );
        assert_eq!(
            directory.expect_err("a directory").to_string(),
            format!("cannot read {}: not a regular file", dir.display())
        );
        let zero = Path::new("/dev/zero");
        if zero.exists() {
            // It would never end; it must be refused before a byte is read.
            assert_eq!(
                load_npz(zero, &spec).expect_err("a device").to_string(),
                "cannot read /dev/zero: not a regular file"
            );
        } else {
            println!("skipping the /dev/zero case: no /dev/zero here");
        }
    }

    #[test]
    fn conv_weights_use_keras_names_and_shapes() {
        let spec = ModelSpec::builder_for(Shape::new(vec![6, 6, 2]))
            .layer(Op::Conv(Conv::conv2d(
                3,
                [3, 3],
                [1, 1],
                Padding::Valid,
                Activation::Relu,
            )))
            .named(
                "line",
                Op::Conv(Conv::conv2d(
                    2,
                    [1, 2],
                    [1, 1],
                    Padding::Same,
                    Activation::Relu,
                )),
                &[],
            )
            .layer(Op::Flatten(Flatten))
            .dense(2, Activation::Softmax)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.1, 4)
            .numeric(NumericMode::F32)
            .seed(5)
            .build()
            .expect("valid model");
        let weights = spec.init_weights();
        let bytes = write_npz(&weights).expect("consistent weights");
        assert_eq!(read_npz(&bytes, &spec).expect("own output reads"), weights);
        let mut archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).expect("a zip");
        let mut arrays = Vec::new();
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).expect("an entry");
            let mut npy = Vec::new();
            file.read_to_end(&mut npy).expect("readable entry");
            let name = file.name().to_string();
            let array = decode_npy(&npy, &name).expect("own .npy decodes");
            arrays.push((name, array.shape));
        }
        assert_eq!(
            arrays,
            [
                ("conv2d/kernel.npy".to_string(), vec![3, 3, 2, 3]),
                ("conv2d/bias.npy".to_string(), vec![3]),
                ("line/kernel.npy".to_string(), vec![1, 2, 3, 2]),
                ("line/bias.npy".to_string(), vec![2]),
                ("dense/kernel.npy".to_string(), vec![4 * 4 * 2, 2]),
                ("dense/bias.npy".to_string(), vec![2]),
            ]
        );
        // A conv1d kernel is (kw, in, out), as Keras has it.
        let one_d = ModelSpec::builder_for(Shape::new(vec![10, 3]))
            .layer(Op::Conv(Conv::conv1d(
                4,
                3,
                1,
                Padding::Valid,
                Activation::Relu,
            )))
            .layer(Op::Flatten(Flatten))
            .dense(2, Activation::Softmax)
            .loss(Loss::CategoricalCrossEntropy)
            .sgd(0.1, 4)
            .numeric(NumericMode::F32)
            .seed(5)
            .build()
            .expect("valid model");
        let entries = [
            ("conv1d/kernel.npy", encode_npy(&[3, 3, 4], &[0.5; 36])),
            ("conv1d/bias.npy", encode_npy(&[4], &[0.0; 4])),
            ("dense/kernel.npy", encode_npy(&[32, 2], &[0.25; 64])),
            ("dense/bias.npy", encode_npy(&[2], &[1.0, -1.0])),
        ];
        let got = read_npz(&zip_of(&entries, true), &one_d).expect("valid archive");
        assert_eq!(got.layers[0].kernel_shape, [3, 3, 4]);
        assert_eq!(got.layers[0].kernel_at(&[2, 1, 3]), 0.5);
        let mut wrong = entries.to_vec();
        wrong[0].1 = encode_npy(&[1, 3, 3, 4], &[0.5; 36]);
        assert_eq!(
            read_npz(&zip_of(&wrong, false), &one_d)
                .expect_err("a conv2d-shaped kernel")
                .to_string(),
            "conv1d/kernel: shape (1, 3, 3, 4) but the model needs (3, 3, 4)"
        );
    }

    #[test]
    fn hand_built_archive_reads_stored_and_deflated() {
        let expected = Weights {
            layers: vec![
                LayerWeights {
                    name: "dense".to_string(),
                    kernel_shape: vec![2, 3],
                    kernel: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                    bias: vec![0.5, -0.5, 0.25],
                },
                LayerWeights {
                    name: "dense_1".to_string(),
                    kernel_shape: vec![3, 2],
                    kernel: vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
                    bias: vec![-1.0, 1.0],
                },
            ],
        };
        for deflate in [false, true] {
            let got =
                read_npz(&zip_of(&small_entries(), deflate), &small_spec()).expect("valid archive");
            assert_eq!(got, expected, "deflate {deflate}");
            assert_eq!(got.layers[0].kernel_at(&[1, 0]), 4.0);
        }
    }

    #[test]
    fn keras_style_names_and_extra_entries_are_accepted() {
        let mut entries = small_entries();
        entries[0].0 = "dense/kernel:0.npy";
        entries.push(("optimizer/iterations.npy", b"not even npy".to_vec()));
        entries.push(("dense/kernel/momentum.npy", b"an optimizer slot".to_vec()));
        entries.push(("README.txt", b"notes".to_vec()));
        let got = read_npz(&zip_of(&entries, false), &small_spec()).expect("valid archive");
        assert_eq!(got.layers[0].kernel, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn archive_errors_name_the_array() {
        let mut missing = small_entries();
        missing.remove(3);
        assert_eq!(
            read_error(&missing),
            "array dense_1/bias is missing (no entry dense_1/bias.npy or dense_1/bias:0.npy)"
        );

        let mut extra = small_entries();
        extra.push(("dense_2/kernel.npy", encode_npy(&[2, 1], &[0.0, 0.0])));
        assert_eq!(
            read_error(&extra),
            "entry dense_2/kernel.npy is for layer \"dense_2\", which is not a layer with weights in this model (those are dense, dense_1); the archive is for another model"
        );
        let mut keras = small_entries();
        keras.push(("conv2d/bias:0.npy", encode_npy(&[1], &[0.0])));
        assert_eq!(
            read_error(&keras),
            "entry conv2d/bias:0.npy is for layer \"conv2d\", which is not a layer with weights in this model (those are dense, dense_1); the archive is for another model"
        );

        let mut shape = small_entries();
        shape[0].1 = encode_npy(&[3, 2], &[0.0; 6]);
        assert_eq!(
            read_error(&shape),
            "dense/kernel: shape (3, 2) but the model needs (2, 3)"
        );

        let mut dtype = small_entries();
        dtype[1].1 = npy(
            "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }\n",
            &[0; 12],
        );
        assert_eq!(
            read_error(&dtype),
            "dense/bias: unsupported dtype '<i4' (expected '<f4' or '<f8')"
        );

        let mut big_endian = small_entries();
        big_endian[1].1 = npy(
            "{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }\n",
            &[0; 12],
        );
        assert_eq!(
            read_error(&big_endian),
            "dense/bias: unsupported dtype '>f4' (expected '<f4' or '<f8')"
        );

        let mut fortran = small_entries();
        fortran[2].1 = npy(
            "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }\n",
            &[0; 24],
        );
        assert_eq!(
            read_error(&fortran),
            "dense_1/kernel: Fortran-order array of shape (3, 2) is not supported; save it in C order (np.ascontiguousarray)"
        );

        let mut truncated = small_entries();
        let short = truncated[2].1.len() - 5;
        truncated[2].1.truncate(short);
        assert_eq!(
            read_error(&truncated),
            "dense_1/kernel: data truncated, 43 of 48 bytes"
        );

        let mut trailing = small_entries();
        trailing[3].1.extend_from_slice(&[0, 0]);
        assert_eq!(
            read_error(&trailing),
            "dense_1/bias: 2 bytes after the 8 bytes of data"
        );

        let mut nan = small_entries();
        nan[3].1 = encode_npy(&[2], &[0.0, f32::NAN]);
        assert_eq!(
            read_error(&nan),
            "dense_1/bias: value NaN at flat index 1 is not a finite f32"
        );

        let mut overflow = small_entries();
        overflow[2].1 = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }\n",
            &f8(&[0.0, 0.0, 0.0, 1e300, 0.0, 0.0]),
        );
        assert_eq!(
            read_error(&overflow),
            "dense_1/kernel: value 1e300 at flat index 3 is not a finite f32"
        );
    }

    #[test]
    fn malformed_npy_headers_are_errors() {
        let cases: [(Vec<u8>, &str); 9] = [
            (
                b"PK\x03\x04 not npy".to_vec(),
                "x: not a .npy array (bad magic [50, 4b, 03, 04, 20, 6e])",
            ),
            (
                b"\x93NUMPY\x04\x00\x00\x00".to_vec(),
                "x: unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)",
            ),
            (
                b"\x93NUMPY\x01\x00\x50".to_vec(),
                "x: malformed .npy header: file ends inside the header length",
            ),
            (
                b"\x93NUMPY\x01\x00\x50\x00{'descr'".to_vec(),
                "x: malformed .npy header: header length 80 but only 8 bytes follow",
            ),
            (
                npy("{'descr': '<f4', 'shape': (2,), }\n", &[0; 8]),
                "x: malformed .npy header: no 'fortran_order' key",
            ),
            (
                npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }\n", &[0; 8]),
                "x: malformed .npy header: unsupported value '0' in \"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }\\n\"",
            ),
            (
                npy("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }\n", &[0; 8]),
                "x: malformed .npy header: unsupported value '2' in \"{'descr': '<f4', 'fortran_order': False, 'shape': 2, }\\n\"",
            ),
            (
                npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': True}\n", &[0; 8]),
                "x: malformed .npy header: unexpected key 'x'",
            ),
            (
                npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}\n", &[0; 8]),
                "x: malformed .npy header: unsupported value starting '[' in \"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}\\n\"",
            ),
        ];
        for (bytes, message) in cases {
            let err = decode_npy(&bytes, "x").expect_err("header must be rejected");
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn npy_versions_two_and_three_and_fortran_vectors_decode() {
        let header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n";
        for version in [2u8, 3] {
            let mut bytes = b"\x93NUMPY".to_vec();
            bytes.extend_from_slice(&[version, 0]);
            bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
            bytes.extend_from_slice(header.as_bytes());
            bytes.extend_from_slice(&f4(&[3.0, -4.0]));
            assert_eq!(
                decode_npy(&bytes, "v").expect("valid array"),
                NpyArray {
                    shape: vec![2],
                    data: vec![3.0, -4.0]
                },
                "version {version}"
            );
        }
    }

    #[test]
    fn not_a_zip_is_an_error() {
        let err = read_npz(b"hello, this is not a zip file", &small_spec()).expect_err("not a zip");
        assert!(matches!(err, NpzError::NotZip { .. }));
        assert!(
            err.to_string().starts_with("not a .npz (zip) archive: "),
            "{err}"
        );
        let bare_npy = encode_npy(&[2], &[1.0, 2.0]);
        let err = read_npz(&bare_npy, &small_spec()).expect_err("a .npy is not a .npz");
        assert!(matches!(err, NpzError::NotZip { .. }));
    }

    #[test]
    fn inconsistent_weights_are_not_written() {
        let mut weights = small_spec().init_weights();
        weights.layers[1].bias.pop();
        let err = write_npz(&weights).expect_err("bias too short");
        assert_eq!(
            err.to_string(),
            "layer \"dense_1\": kernel has 6 values and bias 1, but a kernel of shape (3, 2) needs 6 and 2"
        );
        let mut weights = small_spec().init_weights();
        weights.layers[0].kernel.push(0.0);
        assert_eq!(
            write_npz(&weights).expect_err("kernel too long").to_string(),
            "layer \"dense\": kernel has 7 values and bias 3, but a kernel of shape (2, 3) needs 6 and 3"
        );
        let mut weights = small_spec().init_weights();
        weights.layers[1].name = "dense".to_string();
        weights.layers[1].kernel_shape = vec![2, 3];
        weights.layers[1].kernel = vec![0.0; 6];
        weights.layers[1].bias = vec![0.0; 3];
        assert_eq!(
            write_npz(&weights)
                .expect_err("two layers named dense")
                .to_string(),
            "layer \"dense\" appears twice in the weights"
        );
    }
}
