//! Bytes to text for the text formats: gzip, byte-order marks, UTF-8 / UTF-16 /
//! Latin-1, and a check that the bytes are text at all.

use std::io::Read;

use torro_model::FileFormat;

use crate::{FormatError, MAX_WINDOW, Window};

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

pub(crate) fn decode(format: FileFormat, gzip: bool, file_size: u64, window: &Window<'_>) -> Result<Text, FormatError> {
    let invalid = |message: String| FormatError::Invalid { format, message };
    let whole = window.is_whole_file(file_size);
    let (bytes, complete, compression) = if gzip {
        let (bytes, clean_end) = gunzip_prefix(window.bytes).map_err(invalid)?;
        (std::borrow::Cow::Owned(bytes), whole && clean_end, Some("gzip"))
    } else {
        (std::borrow::Cow::Borrowed(window.bytes), whole, None)
    };
    let (text, encoding) = to_text(&bytes, complete);
    check_is_text(&text).map_err(invalid)?;
    Ok(Text {
        text,
        encoding,
        compression,
        complete,
    })
}

/// Decompresses as much of `bytes` as possible. A stream cut short (the window ends
/// inside it) is fine: the prefix is returned. The flag says whether the stream ended
/// properly, so that the output is the whole content.
fn gunzip_prefix(bytes: &[u8]) -> Result<(Vec<u8>, bool), String> {
    if bytes.len() >= 2 && bytes[..2] != [0x1f, 0x8b] {
        return Err("the name ends in .gz but the content is not gzip-compressed".into());
    }
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes);
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 32 * 1024];
    loop {
        if out.len() >= MAX_DECOMPRESSED {
            return Ok((out, false));
        }
        match decoder.read(&mut chunk) {
            Ok(0) => return Ok((out, true)),
            Ok(n) => {
                let room = MAX_DECOMPRESSED - out.len();
                out.extend_from_slice(&chunk[..n.min(room)]);
            }
            Err(_) => return Ok((out, false)),
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

    fn decode_all(bytes: &[u8]) -> Result<Text, FormatError> {
        decode(FileFormat::Csv, false, bytes.len() as u64, &window(bytes))
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
        let t = decode(FileFormat::Csv, false, 100, &window(cut)).unwrap();
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
        let t = decode(FileFormat::Csv, true, gz.len() as u64, &window(&gz)).unwrap();
        assert_eq!(
            (t.text.as_str(), t.complete, t.compression),
            ("a,b\n1,2\n", true, Some("gzip"))
        );
        let err = decode(FileFormat::Csv, true, 8, &window(b"a,b\n1,2\n")).unwrap_err();
        assert!(err.to_string().contains("not gzip"), "{err}");
    }
}
