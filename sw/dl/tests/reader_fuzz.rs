//! Proptests over the readers of user files: the TOML model file, `.npz` weights, checkpoints
//! and IDX data. Valid files are mutated (bits flipped, bytes set, truncated, spliced, lines
//! deleted, duplicated or given hostile values, zip entries rewritten) and arbitrary input is
//! tried; no input may panic, and every error must be one short line naming what is wrong.
//!
//! Case counts keep the whole file to a few seconds in release mode; `PROPTEST_CASES` raises
//! them for a longer hunt.

use proptest::prelude::*;
use proptest::sample::Index;
use spinn_dl::{
    decode_npy, encode_npy, parse_idx, read_idx, read_npz, write_npz, Checkpoint, ModelFile,
    ModelSpec,
};
use std::io::{Cursor, Read, Write};

/// The longest error text accepted from one cause: an error that quotes a whole hostile input
/// back is one line only in name.
const MAX_ERROR_CHARS: usize = 400;

/// The shipped models and the version 1 form, the seeds every model mutation starts from.
const MODELS: &[&str] = &[
    include_str!("../../../models/digits-mlp.toml"),
    include_str!("../../../models/digits-cnn.toml"),
    include_str!("../../../models/mnist-cnn.toml"),
    include_str!("../../../models/mnist-resnet.toml"),
    "version = 1\ninputs = 64\nseed = 1\nnumeric = \"f32\"\nloss = \"categorical_crossentropy\"\n\n\
     [optimizer.sgd]\nlearning_rate = 0.1\nbatch_size = 32\nmomentum = 0.9\n\n\
     [[layers]]\ndense = 128\nactivation = \"relu\"\n\n[[layers]]\ndense = 10\nactivation = \"softmax\"\n",
];

/// `at_least` cases, or `PROPTEST_CASES` if that asks for more.
fn cases(at_least: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        .max(at_least)
}

/// Checks that `err` and each of its causes is one non-empty line of at most
/// [`MAX_ERROR_CHARS`].
fn one_line(err: &dyn std::error::Error) -> Result<(), TestCaseError> {
    let mut cause = Some(err);
    while let Some(e) = cause {
        let text = e.to_string();
        prop_assert!(
            !text.contains(['\n', '\r']),
            "an error of more than one line: {text:?}"
        );
        prop_assert!(!text.trim().is_empty(), "an empty error ({e:?})");
        let chars = text.chars().count();
        prop_assert!(
            chars <= MAX_ERROR_CHARS,
            "an error of {chars} characters: {}…",
            text.chars().take(300).collect::<String>()
        );
        cause = e.source();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Byte mutations.

#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: Index,
        bit: u8,
    },
    Set {
        at: Index,
        byte: u8,
    },
    Truncate {
        at: Index,
    },
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    Delete {
        at: Index,
        len: usize,
    },
    /// Copies `len` bytes from `from` over the bytes at `to` (a splice of the file into itself).
    Copy {
        from: Index,
        to: Index,
        len: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that mean something to the formats: zero, all ones, sign bits, quotes, newlines,
    // brackets, the gzip and zip magic.
    let byte = prop_oneof![
        any::<u8>(),
        prop::sample::select(vec![
            0x00, 0xff, 0x7f, 0x80, b'\n', b'"', b'\'', b'(', b'[', b'{', b'=', 0x1f, 0x8b, b'P',
            b'K',
        ]),
    ];
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<Index>(), byte).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        any::<Index>().prop_map(|at| Mutation::Truncate { at }),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<Index>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<Index>(), any::<Index>(), 1usize..256).prop_map(|(from, to, len)| Mutation::Copy {
            from,
            to,
            len
        }),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..6)
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        if let Mutation::Insert { bytes: new, .. } = mutation {
            bytes.extend_from_slice(new);
        }
        return;
    }
    let n = bytes.len();
    match mutation {
        Mutation::Flip { at, bit } => bytes[at.index(n)] ^= 1 << bit,
        Mutation::Set { at, byte } => bytes[at.index(n)] = *byte,
        Mutation::Truncate { at } => bytes.truncate(at.index(n)),
        Mutation::Insert { at, bytes: new } => {
            let at = at.index(n + 1);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let at = at.index(n);
            bytes.drain(at..(at + len).min(n));
        }
        Mutation::Copy { from, to, len } => {
            let from = from.index(n);
            let to = to.index(n);
            let len = (*len).min(n - from).min(n - to);
            bytes.copy_within(from..from + len, to);
        }
    }
}

fn mutated(original: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for m in mutations {
        apply(&mut bytes, m);
    }
    bytes
}

// ---------------------------------------------------------------------------------------------
// Text mutations of TOML, line by line, so that the parser gets past the syntax and the
// model checks see hostile values.

/// Values to put after a key's `=`: out of range, wrong type, non-finite, huge, nested.
const VALUES: &[&str] = &[
    "-1",
    "0",
    "1",
    "18446744073709551615",
    "9223372036854775807",
    "-9223372036854775808",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "1e-300",
    "0.0",
    "1.5",
    "\"\"",
    "\"relux\"",
    "\"x\\ny\"",
    "\"0xffffffffffffffffffff\"",
    "\"same\"",
    "[]",
    "[0]",
    "[0, 0, 0]",
    "[1, 2, 3, 4]",
    "[100000, 100000, 100000]",
    "[[1]]",
    "[\"input\"]",
    "[\"input\", \"input\"]",
    "[\"nope\"]",
    "[\"a/b\"]",
    "{}",
    "{ learning_rate = 0.1 }",
    "true",
    "1979-05-27T07:32:00Z",
];

/// Lines to insert: new keys, tables and layers.
const LINES: &[&str] = &[
    "[[layers]]",
    "dense = 0",
    "dense = 100000",
    "flatten = true",
    "add = true",
    "inputs = [\"input\", \"input\"]",
    "name = \"dense\"",
    "name = \"a\\nb\"",
    "version = 3",
    "version = 1",
    "momentum = 1",
    "[optimizer.adam]",
    "[optimizer]",
    "epochs = 0",
    "machine = 5",
    "input = [0]",
    "inputs = 3",
    "conv2d = 1",
    "kernel_size = 100",
    "max_pooling2d = 100",
    "global_average_pooling2d = true",
    "strides = 0",
    "padding = \"full\"",
    "activation = \"softmax\"",
    "seed = \"0x\"",
    "momentun = 0.9",
];

#[derive(Debug, Clone)]
enum Edit {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    /// Replaces what follows the `=` of a line (the line itself if it has none).
    Value(Index, &'static str),
    /// A long value: a string or array of `n` elements.
    LongValue(Index, usize),
    InsertLine(Index, &'static str),
    Bytes(Mutation),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => any::<Index>().prop_map(Edit::DeleteLine),
        1 => any::<Index>().prop_map(Edit::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        3 => (any::<Index>(), prop::sample::select(VALUES)).prop_map(|(a, v)| Edit::Value(a, v)),
        1 => (any::<Index>(), 100usize..5000).prop_map(|(a, n)| Edit::LongValue(a, n)),
        2 => (any::<Index>(), prop::sample::select(LINES)).prop_map(|(a, l)| Edit::InsertLine(a, l)),
        1 => mutation().prop_map(Edit::Bytes),
    ]
}

fn edited(original: &str, edits: &[Edit]) -> String {
    let mut text = original.to_string();
    for e in edits {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let n = lines.len().max(1);
        if lines.is_empty() {
            lines.push(String::new());
        }
        match e {
            Edit::DeleteLine(at) => {
                lines.remove(at.index(n));
            }
            Edit::DuplicateLine(at) => {
                let line = lines[at.index(n)].clone();
                lines.insert(at.index(n), line);
            }
            Edit::SwapLines(a, b) => lines.swap(a.index(n), b.index(n)),
            Edit::Value(at, value) => set_value(&mut lines[at.index(n)], value),
            Edit::LongValue(at, len) => {
                let value = if len % 2 == 0 {
                    format!("\"{}\"", "a".repeat(*len))
                } else {
                    format!("[{}]", vec!["1"; *len].join(", "))
                };
                set_value(&mut lines[at.index(n)], &value);
            }
            Edit::InsertLine(at, line) => lines.insert(at.index(n + 1), line.to_string()),
            Edit::Bytes(m) => {
                let bytes = mutated(text.as_bytes(), std::slice::from_ref(m));
                text = String::from_utf8_lossy(&bytes).into_owned();
                continue;
            }
        }
        text = lines.join("\n");
    }
    text
}

fn set_value(line: &mut String, value: &str) {
    *line = match line.split_once('=') {
        Some((key, _)) => format!("{key}= {value}"),
        None => value.to_string(),
    };
}

// ---------------------------------------------------------------------------------------------
// Zip archives, rebuilt entry by entry so that a mutated entry still passes the zip CRC and
// reaches the `.npy` and TOML parsers.

fn entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(archive)).expect("a valid archive");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).expect("an entry");
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).expect("readable");
            (file.name().to_string(), bytes)
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)], deflated: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let method = if deflated {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), options).expect("an entry");
        zip.write_all(bytes).expect("written");
    }
    zip.finish().expect("an archive").into_inner()
}

/// Changes to an archive's entries: one entry's bytes mutated, an entry dropped, renamed or
/// added.
#[derive(Debug, Clone)]
enum EntryEdit {
    Mutate(Index, Vec<Mutation>),
    /// The entry's text edited as TOML (for checkpoint metadata and the model).
    Text(Index, Vec<Edit>),
    Drop(Index),
    Rename(Index, &'static str),
    Add(&'static str, Vec<u8>),
}

const ENTRY_NAMES: &[&str] = &[
    "dense/kernel.npy",
    "dense/kernel:0.npy",
    "other/kernel.npy",
    "dense_1/bias:0.npy",
    "a\nb/bias.npy",
    "checkpoint.toml",
    "model.toml",
    "weights.npz",
    "velocities.npz",
    "extra.txt",
];

fn entry_edit() -> impl Strategy<Value = EntryEdit> {
    prop_oneof![
        4 => (any::<Index>(), mutations()).prop_map(|(at, m)| EntryEdit::Mutate(at, m)),
        2 => (any::<Index>(), prop::collection::vec(edit(), 1..4))
            .prop_map(|(at, e)| EntryEdit::Text(at, e)),
        1 => any::<Index>().prop_map(EntryEdit::Drop),
        1 => (any::<Index>(), prop::sample::select(ENTRY_NAMES)).prop_map(|(at, n)| EntryEdit::Rename(at, n)),
        1 => (prop::sample::select(ENTRY_NAMES), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(n, b)| EntryEdit::Add(n, b)),
    ]
}

fn edit_entries(entries: &mut Vec<(String, Vec<u8>)>, edit: &EntryEdit) {
    let n = entries.len();
    match edit {
        EntryEdit::Add(name, bytes) => entries.push((name.to_string(), bytes.clone())),
        _ if n == 0 => {}
        EntryEdit::Mutate(at, m) => {
            let entry = &mut entries[at.index(n)].1;
            *entry = mutated(entry, m);
        }
        EntryEdit::Text(at, e) => {
            let entry = &mut entries[at.index(n)].1;
            *entry = edited(&String::from_utf8_lossy(entry), e).into_bytes();
        }
        EntryEdit::Drop(at) => {
            entries.remove(at.index(n));
        }
        EntryEdit::Rename(at, name) => entries[at.index(n)].0 = name.to_string(),
    }
    // Two entries of one name cannot be written; keep the first.
    let mut seen = std::collections::BTreeSet::new();
    entries.retain(|(name, _)| seen.insert(name.clone()));
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

fn specs() -> Vec<ModelSpec> {
    vec![
        ModelSpec::digits_default(),
        ModelSpec::from_toml(MODELS[1], "digits-cnn.toml").expect("the shipped CNN"),
    ]
}

fn npz_of(spec: &ModelSpec) -> Vec<u8> {
    write_npz(&spec.init_weights()).expect("weights write")
}

fn checkpoint_bytes() -> Vec<u8> {
    let spec = ModelSpec::from_toml(MODELS[1], "digits-cnn.toml").expect("the shipped CNN");
    let weights = spec.init_weights();
    Checkpoint {
        model: ModelFile {
            spec,
            machine: Some("spinn5".into()),
            epochs: Some(3),
        },
        epochs_done: 1,
        data: "digits".into(),
        test_fraction: 0.2,
        velocities: Some(weights.clone()),
        weights,
    }
    .to_bytes()
    .expect("a checkpoint")
}

/// Three 4×5 images and their labels, as IDX files.
fn idx_pair() -> (Vec<u8>, Vec<u8>) {
    let mut images = Vec::new();
    for word in [0x0803u32, 3, 4, 5] {
        images.extend_from_slice(&word.to_be_bytes());
    }
    images.extend((0..60).map(|i| (i * 37 % 256) as u8));
    let mut labels = Vec::new();
    for word in [0x0801u32, 3] {
        labels.extend_from_slice(&word.to_be_bytes());
    }
    labels.extend_from_slice(&[7, 0, 9]);
    (images, labels)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

// ---------------------------------------------------------------------------------------------
// The properties.

/// The fixtures are valid as built, so a mutation that breaks them is the mutation's doing.
#[test]
fn the_unmutated_fixtures_read() {
    for (i, text) in MODELS.iter().enumerate() {
        ModelFile::parse(text, "model.toml").unwrap_or_else(|e| panic!("model {i}: {e}"));
    }
    for spec in specs() {
        read_npz(&npz_of(&spec), &spec).expect("the weights read back");
    }
    Checkpoint::from_bytes(&checkpoint_bytes()).expect("the checkpoint reads back");
    let (images, labels) = idx_pair();
    let set = parse_idx(&images, "i", &labels, "l").expect("raw IDX");
    assert_eq!((set.n_samples(), set.n_features), (3, 20));
    parse_idx(&gzip(&images), "i", &gzip(&labels), "l").expect("gzip IDX");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1000), ..ProptestConfig::default() })]

    /// Model files edited line by line and byte by byte; what parses writes back to itself.
    #[test]
    fn edited_model_files_parse_or_fail_in_one_line(
        which in 0..MODELS.len(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let text = edited(MODELS[which], &edits);
        match ModelFile::parse(&text, "model.toml") {
            Err(err) => one_line(&err)?,
            Ok(file) => {
                let again = ModelFile::parse(&file.to_toml(), "written.toml");
                prop_assert_eq!(again.as_ref().ok(), Some(&file), "{:?}", again.as_ref().err());
            }
        }
    }

    /// Model text that is not a model at all.
    #[test]
    fn arbitrary_text_is_no_model(text in prop_oneof![any::<String>(), "[\\[\\]{}=\"a-z0-9., \n]{0,200}"]) {
        if let Err(err) = ModelFile::parse(&text, "model.toml") {
            one_line(&err)?;
        }
    }

    /// `.npz` archives with their bytes mutated in place (most then fail the zip checks).
    #[test]
    fn mutated_npz_bytes_fail_in_one_line(which in 0..2usize, m in mutations()) {
        let spec = &specs()[which];
        if let Err(err) = read_npz(&mutated(&npz_of(spec), &m), spec) {
            one_line(&err)?;
        }
    }

    /// `.npz` archives rebuilt with mutated, dropped, renamed or added entries, stored or
    /// deflated, so that the `.npy` parser sees the damage.
    #[test]
    fn mutated_npz_entries_fail_in_one_line(
        which in 0..2usize,
        edits in prop::collection::vec(entry_edit(), 1..4),
        deflated in any::<bool>(),
    ) {
        let spec = &specs()[which];
        let mut list = entries(&npz_of(spec));
        for e in &edits {
            edit_entries(&mut list, e);
        }
        if let Err(err) = read_npz(&rezip(&list, deflated), spec) {
            one_line(&err)?;
        }
    }

    /// `.npy` arrays with mutated bytes, and headers of arbitrary text.
    #[test]
    fn mutated_npy_arrays_fail_in_one_line(
        m in mutations(),
        header in prop_oneof![
            any::<String>(),
            "[{}()'\":, a-z0-9<>_]{0,120}",
            Just("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 2), }".to_string()),
        ],
        version in prop::sample::select(vec![[1u8, 0], [2, 0], [3, 0]]),
    ) {
        let valid = encode_npy(&[3, 2], &[1.0, -2.0, 0.5, 0.0, 3.0, 4.0]);
        if let Err(err) = decode_npy(&mutated(&valid, &m), "a") {
            one_line(&err)?;
        }
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend_from_slice(&version);
        if version[0] == 1 {
            bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&[0; 24]);
        if let Err(err) = decode_npy(&bytes, "a") {
            one_line(&err)?;
        }
    }

    /// Checkpoints with their bytes mutated, or their entries (metadata, model, weights,
    /// velocities) mutated, edited as TOML, dropped, renamed or added.
    #[test]
    fn mutated_checkpoints_fail_in_one_line(
        m in mutations(),
        edits in prop::collection::vec(entry_edit(), 1..4),
        deflated in any::<bool>(),
    ) {
        let valid = checkpoint_bytes();
        if let Err(err) = Checkpoint::from_bytes(&mutated(&valid, &m)) {
            one_line(&err)?;
        }
        let mut list = entries(&valid);
        for e in &edits {
            edit_entries(&mut list, e);
        }
        if let Err(err) = Checkpoint::from_bytes(&rezip(&list, deflated)) {
            one_line(&err)?;
        }
    }

    /// IDX image and label files, raw or gzip, with either mutated.
    #[test]
    fn mutated_idx_files_fail_in_one_line(
        m in mutations(),
        labels_side in any::<bool>(),
        gzipped in any::<bool>(),
        mutate_compressed in any::<bool>(),
    ) {
        let (images, labels) = idx_pair();
        let encode = |bytes: &[u8], damage: bool| {
            let bytes = if damage && !mutate_compressed { mutated(bytes, &m) } else { bytes.to_vec() };
            let bytes = if gzipped { gzip(&bytes) } else { bytes };
            if damage && mutate_compressed { mutated(&bytes, &m) } else { bytes }
        };
        let images = encode(&images, !labels_side);
        let labels = encode(&labels, labels_side);
        match parse_idx(&images, "images", &labels, "labels") {
            Err(err) => one_line(&err)?,
            Ok(set) => {
                prop_assert_eq!(set.inputs.len(), set.n_samples() * set.n_features);
                prop_assert!(set.labels.iter().all(|&l| usize::from(l) < set.n_classes));
            }
        }
    }

    /// Bytes that are no IDX file.
    #[test]
    fn arbitrary_bytes_are_no_idx(
        images in prop::collection::vec(any::<u8>(), 0..64),
        labels in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        if let Err(err) = parse_idx(&images, "images", &labels, "labels") {
            one_line(&err)?;
        }
    }
}

proptest! {
    // These write files, so fewer of them.
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    /// The file readers: a model file that may not be UTF-8, and IDX files, from disk.
    #[test]
    fn mutated_files_on_disk_fail_in_one_line(m in mutations(), which in 0..MODELS.len()) {
        let dir = std::env::temp_dir().join(format!("spinn-dl-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let model = dir.join("model.toml");
        std::fs::write(&model, mutated(MODELS[which].as_bytes(), &m)).expect("written");
        if let Err(err) = ModelFile::read(&model) {
            one_line(&err)?;
        }
        let (images, labels) = idx_pair();
        let (images_path, labels_path) = (dir.join("images.idx"), dir.join("labels.idx"));
        std::fs::write(&images_path, mutated(&images, &m)).expect("written");
        std::fs::write(&labels_path, gzip(&labels)).expect("written");
        if let Err(err) = read_idx(&images_path, &labels_path) {
            one_line(&err)?;
        }
    }
}
