//! PNG encoding of an RGB buffer, through the `png` crate.
//!
//! The encoder's settings are fixed here, so the same pixels always give the same bytes.

/// `data` (row-major RGB, `width × height × 3` bytes) as an 8-bit RGB PNG.
pub(crate) fn rgb_png(width: u32, height: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder
        .write_header()
        .expect("invariant: a PNG header of a non-zero size writes to memory");
    writer
        .write_image_data(data)
        .expect("invariant: the canvas holds exactly width × height RGB pixels");
    writer
        .finish()
        .expect("invariant: finishing a PNG in memory cannot fail");
    out
}
