//! Bytes to lines. Instruments write UTF-8 (with or without a byte-order mark), UTF-16 (LE
//! or BE, with a mark: SoftMax Pro) and line ends of CR, LF or CRLF; older Windows software
//! writes Windows-1252, which is what bytes that are not UTF-8 are read as.

use crate::ParseError;
use encoding_rs::{UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// The file's text, decoded by its byte-order mark (UTF-8 without one; Windows-1252 if the
/// bytes are not UTF-8). A NUL in the decoded text means a binary file, refused.
pub fn decode(bytes: &[u8]) -> Result<String, ParseError> {
    let marked = encoding_rs::Encoding::for_bom(bytes)
        .map(|(encoding, _)| encoding)
        .or_else(|| looks_like_utf16(bytes));
    let (text, _, malformed) = match marked {
        Some(encoding) => encoding.decode(bytes),
        None => match UTF_8.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(text) => (text, UTF_8, false),
            None => WINDOWS_1252.decode(bytes),
        },
    };
    if malformed {
        return Err(ParseError::Encoding("its characters do not decode".into()));
    }
    if text.contains('\0') {
        return Err(ParseError::Encoding("it holds binary data".into()));
    }
    Ok(text.into_owned())
}

/// UTF-16 without a mark: every other byte of the first line is zero.
fn looks_like_utf16(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(64) & !1];
    if head.len() < 8 {
        return None;
    }
    let zero_at = |parity: usize| head.iter().skip(parity).step_by(2).all(|b| *b == 0);
    if zero_at(1) {
        Some(UTF_16LE)
    } else if zero_at(0) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The text's lines with their numbers as an editor shows them: CRLF, LF and CR each end
/// one line.
pub fn numbered_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' => {
                out.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            b'\n' => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out.into_iter()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_end_ends_one_line() {
        let lines: Vec<_> = numbered_lines("a\r\nb\nc\rd")
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(lines, ["a", "b", "c", "d"]);
        assert_eq!(numbered_lines("a\r\n\r\nb")[2], (3, "b"));
    }

    #[test]
    fn boms_and_utf16_are_read() {
        assert_eq!(decode(b"\xEF\xBB\xBFWell").unwrap(), "Well");
        let le: Vec<u8> = "\u{FEFF}Well\tA1"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(decode(&le).unwrap(), "Well\tA1");
        let be: Vec<u8> = "Well\tA1 and more"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(decode(&be).unwrap(), "Well\tA1 and more");
        // Windows-1252's µ.
        assert_eq!(decode(b"5 \xB5L").unwrap(), "5 µL");
        assert!(decode(b"PK\x03\x04\x00\x00binary").is_err());
    }
}
