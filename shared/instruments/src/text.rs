//! Bytes to lines, and lines to cells. Instruments write UTF-8 (with or without a byte-order
//! mark), UTF-16 (LE or BE, with a mark: SoftMax Pro) and line ends of CR, LF or CRLF; older
//! Windows software writes Windows-1252, which is what bytes that are not UTF-8 are read as.
//!
//! Every parser reads its cells through [`records`], which numbers each line as an editor
//! does. The `csv` crate, given a whole text, numbers a record from the blank lines or the
//! CR before it, so its line numbers are wrong after CRLF, CR-only line ends or blank lines;
//! [`records`] gives it one line at a time instead. It replaces the parsers' own readers
//! (private `records` copies, line-end rewriting, `record.position()`). Quotes are honoured
//! in every format now, Gen5 and SoftMax Pro included, but only within a line: a quoted cell
//! cannot run over several lines (no instrument export here writes one).

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
    let head = bytes.get(..bytes.len().min(64) & !1).unwrap_or_default();
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
    let mut rest = text;
    while !rest.is_empty() {
        let Some(at) = rest.find(['\r', '\n']) else {
            out.push(rest);
            break;
        };
        out.push(rest.get(..at).unwrap_or_default());
        let end = rest.get(at..).unwrap_or_default();
        rest = end
            .strip_prefix("\r\n")
            .or_else(|| end.get(1..))
            .unwrap_or_default();
    }
    out.into_iter()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect()
}

/// One line of a separated file: its number as an editor shows it (from 1) and its cells,
/// trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub cells: Vec<String>,
}

impl Line {
    /// The cell at `index`; empty where the line has fewer cells.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", String::as_str)
    }
}

/// The text's lines split into cells at `delimiter`, each line numbered as an editor shows it
/// (CRLF, LF and CR each end one line). Quotes are honoured within a line (`"a,b"` is one
/// cell), every cell is trimmed, lines may have any number of cells, and blank lines (no
/// cell with anything in it: empty, spaces, or only delimiters) are left out; a parser that
/// needs to know a blank line came sees it as a gap in the numbers.
pub fn records(text: &str, delimiter: u8) -> Result<Vec<Line>, ParseError> {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true);
    let mut lines = Vec::new();
    for (number, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        // A line without quotes splits exactly as the csv reader splits it; building a reader
        // per line costs ~25 µs, which is most of a 100,000-row file's parse.
        let cells: Vec<String> = if delimiter.is_ascii() && !line.contains('"') {
            let separator = char::from(delimiter);
            let mut cells = Vec::with_capacity(line.matches(separator).count() + 1);
            cells.extend(line.split(separator).map(|c| c.trim().to_owned()));
            cells
        } else {
            let mut reader = builder.from_reader(line.as_bytes());
            let Some(record) = reader.records().next() else {
                continue;
            };
            let record = record.map_err(|e| {
                ParseError::at(number, format!("this line cannot be read as cells: {e}"))
            })?;
            record.iter().map(|c| c.trim().to_owned()).collect()
        };
        if cells.iter().any(|c| !c.is_empty()) {
            lines.push(Line { number, cells });
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_numbered_as_an_editor_shows_them_whatever_the_line_ends() {
        for end in ["\r\n", "\n", "\r"] {
            let text = ["a,b", "", " , ,", "\"c,d\", e ,f", "", "", "g"].join(end);
            let lines = records(&text, b',').unwrap();
            let got: Vec<(usize, Vec<&str>)> = lines
                .iter()
                .map(|l| (l.number, l.cells.iter().map(String::as_str).collect()))
                .collect();
            assert_eq!(
                got,
                [
                    (1, vec!["a", "b"]),
                    (4, vec!["c,d", "e", "f"]),
                    (7, vec!["g"]),
                ],
                "{end:?}"
            );
            assert_eq!(lines[1].cell(2), "f");
            assert_eq!(lines[1].cell(3), "");
        }
        // A quote left open does not swallow the lines after it.
        let lines = records("\"open\tx\nnext\ty\n", b'\t').unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].number, 2);
        assert_eq!(lines[1].cells, ["next", "y"]);
    }

    #[test]
    fn every_line_end_ends_one_line() {
        let lines: Vec<_> = numbered_lines("a\r\nb\nc\rd")
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(lines, ["a", "b", "c", "d"]);
        assert_eq!(numbered_lines("a\r\n\r\nb")[2], (3, "b"));
        assert_eq!(
            numbered_lines("\r\n\n\rx\n"),
            [(1, ""), (2, ""), (3, ""), (4, "x")]
        );
        assert_eq!(numbered_lines(""), []);
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
