//! Bytes to text for the text formats: gzip / bzip2 / zstd heads, byte-order marks,
//! UTF-8 / UTF-16 / Latin-1, and a check that the bytes are text at all.
//!
//! Compressed files are read by their head only: the window is the compressed prefix,
//! fed to a streaming decoder; whatever decodes before the window ends (or the stream
//! breaks) is the text. The decoders are pure Rust (`flate2`'s miniz_oxide,
//! `bzip2` over `libbz2-rs-sys`), except zstd: the C libzstd's streaming decoder
//! (`ruzstd` keeps decoded bytes back until a frame ends, so a head would yield nothing).

use std::io::Read;

use torro_model::FileFormat;
use torro_model::format::Compression;

use crate::plan::grow_head;
use crate::{ByteRange, FormatError, MAX_WINDOW, Window};

/// Decompressed bytes kept at most: a gzip bomb in the head cannot cost more.
const MAX_DECOMPRESSED: usize = MAX_WINDOW as usize;
/// Share of control characters above which the bytes are not text.
const MAX_CONTROL_PERMILLE: usize = 10;
/// Characters looked at for the binary check.
const BINARY_CHECK_CHARS: usize = 64 * 1024;

/// The text of a window, with how it was obtained.
#[derive(Debug)]
pub(crate) struct Text {
    pub text: String,
    /// `utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be` or `windows-1252` (Latin-1).
    pub encoding: &'static str,
    pub compression: Option<&'static str>,
    /// `text` holds the whole file: nothing was cut at the window's end.
    pub complete: bool,
}

/// What [`decode`] made of a window.
#[derive(Debug)]
pub(crate) enum Decoded {
    Text(Text),
    /// Compressed input that yielded nothing yet (a bzip2 block, a zstd block longer than
    /// the window): fetch this larger head and try again.
    NeedMore(ByteRange),
}

/// Smallest head worth trying again for a bzip2 file whose first block did not fit: a
/// block holds up to 900 kB of text, so its compressed form often exceeds 64 KiB.
const BZIP2_RETRY_BYTES: u64 = 1024 * 1024;

pub(crate) fn decode(
    format: FileFormat,
    compression: Compression,
    file_size: u64,
    window: &Window<'_>,
) -> Result<Decoded, FormatError> {
    let invalid = |message: String| FormatError::Invalid { format, message };
    if window.offset != 0 {
        return Err(invalid("the window must start at the head of the file".into()));
    }
    let whole = window.is_whole_file(file_size);
    let (bytes, complete) = match compression {
        Compression::None => (std::borrow::Cow::Borrowed(window.bytes), whole),
        c => {
            let (bytes, clean_end) = decompress_prefix(c, window.bytes).map_err(invalid)?;
            if bytes.is_empty() && !(whole && clean_end) {
                // Nothing decoded from the compressed head: a longer head may hold a block.
                let at_least = if c == Compression::Bzip2 { BZIP2_RETRY_BYTES } else { 0 };
                let end = window.range().end;
                let next = grow_head(end, file_size).map(|r| ByteRange {
                    start: 0,
                    end: r.end.max(at_least.min(MAX_WINDOW).min(file_size)),
                });
                return match next {
                    Some(next) => Ok(Decoded::NeedMore(next)),
                    _ if whole => Err(invalid(format!(
                        "the {c} stream is damaged: nothing decompresses from its {} bytes",
                        window.bytes.len()
                    ))),
                    _ => Err(FormatError::TooLarge(format!(
                        "nothing decompresses from the first {} MiB of this {c} file \
                         (its first block is larger than that, or the stream is damaged)",
                        MAX_WINDOW / (1024 * 1024)
                    ))),
                };
            }
            (std::borrow::Cow::Owned(bytes), whole && clean_end)
        }
    };
    let (text, encoding) = to_text(&bytes, complete);
    check_is_text(&text).map_err(invalid)?;
    Ok(Decoded::Text(Text {
        text,
        encoding,
        compression: (!compression.is_none()).then(|| compression.as_str()),
        complete,
    }))
}

/// Decompresses as much of the compressed prefix `bytes` as possible, refusing input
/// that does not start like the announced stream.
fn decompress_prefix(compression: Compression, bytes: &[u8]) -> Result<(Vec<u8>, bool), String> {
    let (magic, extension): (&[u8], &str) = match compression {
        Compression::None => return Ok((bytes.to_vec(), true)),
        Compression::Gzip => (&[0x1f, 0x8b], ".gz"),
        Compression::Bzip2 => (b"BZh", ".bz2"),
        Compression::Zstd => (&[0x28, 0xb5, 0x2f, 0xfd], ".zst"),
    };
    let n = magic.len().min(bytes.len());
    if bytes[..n] != magic[..n] {
        return Err(format!(
            "the name ends in {extension} but the content is not {compression}-compressed"
        ));
    }
    match compression {
        Compression::Gzip => Ok(read_prefix(flate2::read::MultiGzDecoder::new(bytes))),
        Compression::Bzip2 => Ok(read_prefix(bzip2::read::MultiBzDecoder::new(bytes))),
        Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(bytes) {
            // Reads frame after frame (multi-frame files), like `zstd -d`.
            Ok(decoder) => Ok(read_prefix(decoder)),
            Err(e) => Err(format!("the zstd stream does not start properly: {e}")),
        },
        Compression::None => Ok((bytes.to_vec(), true)),
    }
}

/// Reads a decoder until its end, an error (a stream cut short: the prefix is what
/// counts) or [`MAX_DECOMPRESSED`] bytes. The flag says the stream ended properly.
fn read_prefix(mut decoder: impl Read) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 32 * 1024];
    loop {
        if out.len() >= MAX_DECOMPRESSED {
            return (out, false);
        }
        match decoder.read(&mut chunk) {
            Ok(0) => return (out, true),
            Ok(n) => {
                let room = MAX_DECOMPRESSED - out.len();
                out.extend_from_slice(&chunk[..n.min(room)]);
            }
            Err(_) => return (out, false),
        }
    }
}

fn to_text(bytes: &[u8], complete: bool) -> (String, &'static str) {
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return (utf8_or_latin1(rest, complete).0, "utf-8-bom");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        return (utf16(encoding_rs::UTF_16LE, rest, complete), "utf-16le");
    }
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        return (utf16(encoding_rs::UTF_16BE, rest, complete), "utf-16be");
    }
    utf8_or_latin1(bytes, complete)
}

fn utf16(encoding: &'static encoding_rs::Encoding, bytes: &[u8], complete: bool) -> String {
    // An odd byte at a cut window end is half a code unit: leave it out.
    let bytes = if !complete && bytes.len() % 2 == 1 {
        &bytes[..bytes.len() - 1]
    } else {
        bytes
    };
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

fn utf8_or_latin1(bytes: &[u8], complete: bool) -> (String, &'static str) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), "utf-8"),
        // A character cut by the window's end, not bad UTF-8.
        Err(e) if e.error_len().is_none() && !complete => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            (String::from_utf8_lossy(valid).into_owned(), "utf-8")
        }
        Err(_) => (
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            "windows-1252",
        ),
    }
}

/// Refuses binary content: NUL characters, or more than 1% control characters.
fn check_is_text(text: &str) -> Result<(), String> {
    let mut total = 0usize;
    let mut control = 0usize;
    for c in text.chars().take(BINARY_CHECK_CHARS) {
        total += 1;
        if c == '\0' {
            return Err("it contains NUL bytes: this is binary data, not text".into());
        }
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c') {
            control += 1;
        }
    }
    if control * 1000 > total * MAX_CONTROL_PERMILLE {
        return Err(format!(
            "{control} of its first {total} characters are control characters: this is binary data, not text"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(bytes: &[u8]) -> Window<'_> {
        Window { offset: 0, bytes }
    }

    fn text(d: Result<Decoded, FormatError>) -> Result<Text, FormatError> {
        d.map(|d| match d {
            Decoded::Text(t) => t,
            other => panic!("{other:?}"),
        })
    }

    fn decode_all(bytes: &[u8]) -> Result<Text, FormatError> {
        decode_as(Compression::None, bytes.len() as u64, bytes)
    }

    fn decode_as(c: Compression, size: u64, bytes: &[u8]) -> Result<Text, FormatError> {
        text(decode(FileFormat::Csv, c, size, &window(bytes)))
    }

    #[test]
    fn encodings_are_detected() {
        let t = decode_all("a,é\n".as_bytes()).unwrap();
        assert_eq!((t.text.as_str(), t.encoding), ("a,é\n", "utf-8"));
        let t = decode_all(b"\xef\xbb\xbfa,b\n").unwrap();
        assert_eq!((t.text.as_str(), t.encoding), ("a,b\n", "utf-8-bom"));
        let t = decode_all(b"caf\xe9\n").unwrap();
        assert_eq!((t.text.as_str(), t.encoding), ("café\n", "windows-1252"));
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("é,b".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let t = decode_all(&le).unwrap();
        assert_eq!((t.text.as_str(), t.encoding), ("é,b", "utf-16le"));
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("é,b".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        let t = decode_all(&be).unwrap();
        assert_eq!((t.text.as_str(), t.encoding), ("é,b", "utf-16be"));
    }

    #[test]
    fn a_character_cut_by_the_window_is_not_latin1() {
        let bytes = "ab,é".as_bytes();
        let cut = &bytes[..bytes.len() - 1];
        let t = decode_as(Compression::None, 100, cut).unwrap();
        assert_eq!((t.text.as_str(), t.encoding, t.complete), ("ab,", "utf-8", false));
    }

    #[test]
    fn binary_is_refused() {
        let err = decode_all(b"PK\x03\x04\x00\x00").unwrap_err();
        assert!(err.to_string().contains("NUL"), "{err}");
        let junk: Vec<u8> = (1u8..=255).cycle().take(5000).collect();
        let err = decode_all(&junk).unwrap_err();
        assert!(err.to_string().contains("control characters"), "{err}");
    }

    #[test]
    fn gzip_prefixes_decompress() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"a,b\n1,2\n").unwrap();
        let gz = enc.finish().unwrap();
        let t = decode_as(Compression::Gzip, gz.len() as u64, &gz).unwrap();
        assert_eq!(
            (t.text.as_str(), t.complete, t.compression),
            ("a,b\n1,2\n", true, Some("gzip"))
        );
        let err = decode_as(Compression::Gzip, 8, b"a,b\n1,2\n").unwrap_err();
        assert!(err.to_string().contains("not gzip"), "{err}");
    }

    fn bzip2(bytes: &[u8], level: bzip2::Compression) -> Vec<u8> {
        use std::io::Write;
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), level);
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn zstd(bytes: &[u8]) -> Vec<u8> {
        zstd::stream::encode_all(bytes, 3).unwrap()
    }

    #[test]
    fn bzip2_and_zstd_decompress_whole_and_cut() {
        let csv: String = (0..20_000).map(|i| format!("{i},row {i}\n")).collect();
        for (c, packed) in [
            (Compression::Bzip2, bzip2(csv.as_bytes(), bzip2::Compression::fast())),
            (Compression::Zstd, zstd(csv.as_bytes())),
            (Compression::Gzip, {
                use std::io::Write;
                let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                enc.write_all(csv.as_bytes()).unwrap();
                enc.finish().unwrap()
            }),
        ] {
            let t = decode_as(c, packed.len() as u64, &packed).unwrap();
            assert_eq!((t.text.as_str(), t.complete), (csv.as_str(), true), "{c}");
            assert_eq!(t.compression, Some(c.as_str()));
            // A file cut short: no error, either a prefix or a request for more.
            let cut = &packed[..packed.len() * 3 / 4];
            match decode(FileFormat::Csv, c, packed.len() as u64, &window(cut)).unwrap() {
                Decoded::Text(t) => {
                    assert!(!t.complete, "{c}");
                    assert!(csv.starts_with(&t.text), "{c}");
                }
                Decoded::NeedMore(r) => assert_eq!(r.end, packed.len() as u64, "{c}"),
            }
        }
    }

    #[test]
    fn a_bzip2_block_longer_than_the_head_asks_for_a_megabyte() {
        let mut x: u64 = 1;
        let csv: String = (0..60_000)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                format!("{},{:x}\n", x >> 40, x)
            })
            .collect();
        // Level 9: 900 kB blocks, the first one far beyond the 64 KiB head.
        let packed = bzip2(csv.as_bytes(), bzip2::Compression::best());
        assert!(packed.len() > 300_000, "{}", packed.len());
        let head = &packed[..64 * 1024];
        match decode(FileFormat::Csv, Compression::Bzip2, packed.len() as u64, &window(head)).unwrap() {
            Decoded::NeedMore(r) => assert_eq!((r.start, r.end), (0, packed.len().min(1024 * 1024) as u64)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zstd_heads_yield_the_blocks_they_hold() {
        let csv: String = (0..100_000).map(|i| format!("{i},row {i}\n")).collect();
        let packed = zstd(csv.as_bytes());
        let head = &packed[..packed.len().min(64 * 1024)];
        let (out, clean) = decompress_prefix(Compression::Zstd, head).unwrap();
        assert!(!out.is_empty() && !clean);
        assert!(csv.as_bytes().starts_with(&out));
    }

    #[test]
    fn wrong_magic_is_named() {
        for (c, ext) in [(Compression::Bzip2, ".bz2"), (Compression::Zstd, ".zst")] {
            let err = decode_as(c, 8, b"a,b\n1,2\n").unwrap_err();
            assert!(err.to_string().contains(ext), "{err}");
        }
    }
}
