//! Turning a scanner's byte stream into scans.
//!
//! A serial or USB-CDC scanner sends each code followed by a terminator (CR, LF or CRLF,
//! as configured in the scanner), sometimes with a configured prefix or suffix. The framer
//! is fed whatever bytes arrive, in any chunking, and yields one result per terminated line.
//! It holds at most `max_length` bytes: an endless line is refused once and then skipped up
//! to the next terminator, so junk can never grow memory or stall the reader.

use serde::Serialize;
use ts_rs::TS;

/// ASCII group separator: GS1 barcodes use it between element strings.
pub const GROUP_SEPARATOR: u8 = 0x1D;

pub use aliquot_domain::scanning::{FramingSettings, Terminator, DEFAULT_MAX_LENGTH};

/// Why a scan was refused. Each says what the technician can do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, TS)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[ts(export)]
pub enum ScanRefusal {
    #[error(
        "the scan was longer than {max} characters; check the scanner's settings and scan again"
    )]
    TooLong { max: usize },
    #[error("the scan contained a control character (byte {byte:#04x}); check the scanner's terminator setting")]
    ControlCharacter { byte: u8 },
    #[error("the scan contained characters that are not plain text; scan again")]
    NotText,
}

/// One terminated line: a scan, or why it was refused.
pub type Framed = Result<String, ScanRefusal>;

#[derive(Debug)]
pub struct ScanFramer {
    settings: FramingSettings,
    line: Vec<u8>,
    /// The current line went over the limit; skip to the next terminator.
    overflowed: bool,
    /// The previous byte was a CR (so a following LF belongs to it under `Any`).
    after_cr: bool,
}

impl ScanFramer {
    pub fn new(settings: FramingSettings) -> Self {
        let capacity = settings.max_length.min(1024);
        ScanFramer {
            settings,
            line: Vec::with_capacity(capacity),
            overflowed: false,
            after_cr: false,
        }
    }

    /// Feeds bytes as they arrived; returns the lines they completed, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Framed> {
        let mut out = Vec::new();
        for &b in bytes {
            let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
            let ends = match self.settings.terminator {
                Terminator::Cr => b == b'\r',
                Terminator::Lf => b == b'\n',
                // A lone CR is kept and refused as a control character below.
                Terminator::CrLf => b == b'\n' && self.line.last() == Some(&b'\r'),
                Terminator::Any => {
                    if b == b'\n' && after_cr {
                        // The LF of a CRLF: the line already ended at the CR.
                        continue;
                    }
                    b == b'\r' || b == b'\n'
                }
            };
            if ends {
                if self.settings.terminator == Terminator::CrLf {
                    self.line.pop();
                }
                if let Some(result) = self.finish() {
                    out.push(result);
                }
                continue;
            }
            if self.overflowed {
                continue;
            }
            if self.line.len() > self.settings.max_length {
                // +1 leaves room for the CR of a CRLF.
                self.overflowed = true;
                self.line.clear();
                out.push(Err(ScanRefusal::TooLong {
                    max: self.settings.max_length,
                }));
                continue;
            }
            self.line.push(b);
        }
        out
    }

    fn finish(&mut self) -> Option<Framed> {
        let line = std::mem::take(&mut self.line);
        if std::mem::replace(&mut self.overflowed, false) {
            // Already reported when it overflowed.
            return None;
        }
        let mut text: &[u8] = &line;
        text = text
            .strip_prefix(self.settings.prefix.as_bytes())
            .unwrap_or(text);
        text = text
            .strip_suffix(self.settings.suffix.as_bytes())
            .unwrap_or(text);
        // Scanners pad with spaces at times; a blank line (double terminator) is no scan.
        let text = text.trim_ascii();
        if text.is_empty() {
            return None;
        }
        if text.len() > self.settings.max_length {
            return Some(Err(ScanRefusal::TooLong {
                max: self.settings.max_length,
            }));
        }
        if let Some(&byte) = text
            .iter()
            .find(|&&b| b.is_ascii_control() && b != GROUP_SEPARATOR)
        {
            return Some(Err(ScanRefusal::ControlCharacter { byte }));
        }
        if !text.is_ascii() {
            return Some(Err(ScanRefusal::NotText));
        }
        Some(Ok(String::from_utf8_lossy(text).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn framer(terminator: Terminator) -> ScanFramer {
        ScanFramer::new(FramingSettings {
            terminator,
            ..FramingSettings::default()
        })
    }

    fn scans(results: Vec<Framed>) -> Vec<String> {
        results.into_iter().map(|r| r.unwrap()).collect()
    }

    #[rstest]
    #[case(Terminator::Cr, b"AQ1\rAQ2\r".as_slice(), vec!["AQ1", "AQ2"])]
    #[case(Terminator::Lf, b"AQ1\nAQ2\n".as_slice(), vec!["AQ1", "AQ2"])]
    #[case(Terminator::CrLf, b"AQ1\r\nAQ2\r\n".as_slice(), vec!["AQ1", "AQ2"])]
    #[case(Terminator::Any, b"AQ1\rAQ2\nAQ3\r\nAQ4\r\n\r\n".as_slice(), vec!["AQ1", "AQ2", "AQ3", "AQ4"])]
    fn terminators(#[case] t: Terminator, #[case] bytes: &[u8], #[case] expected: Vec<&str>) {
        assert_eq!(scans(framer(t).feed(bytes)), expected);
    }

    #[test]
    fn any_chunking_gives_the_same_scans() {
        let bytes = b"AQ0001\r\nAQ0002\rAQ0003\n";
        for split in 0..bytes.len() {
            let mut f = framer(Terminator::Any);
            let mut got = f.feed(&bytes[..split]);
            got.extend(f.feed(&bytes[split..]));
            assert_eq!(
                scans(got),
                ["AQ0001", "AQ0002", "AQ0003"],
                "split at {split}"
            );
        }
    }

    #[test]
    fn prefix_and_suffix_are_stripped() {
        let mut f = ScanFramer::new(FramingSettings {
            prefix: "]C1".into(),
            suffix: "#".into(),
            ..FramingSettings::default()
        });
        assert_eq!(scans(f.feed(b"]C1AQ1#\rAQ2\r")), ["AQ1", "AQ2"]);
    }

    #[test]
    fn control_characters_are_refused_but_gs1_separators_kept() {
        let mut f = framer(Terminator::Cr);
        let got = f.feed(b"AQ\x071\r01\x1d21AB\r\x1b[A\r");
        assert_eq!(got[0], Err(ScanRefusal::ControlCharacter { byte: 0x07 }));
        assert_eq!(got[1], Ok("01\u{1d}21AB".to_owned()));
        assert_eq!(got[2], Err(ScanRefusal::ControlCharacter { byte: 0x1b }));
        // A lone LF under a CR terminator is a control character inside the next scan.
        assert_eq!(
            f.feed(b"AQ\n1\r")[0],
            Err(ScanRefusal::ControlCharacter { byte: b'\n' })
        );
    }

    #[test]
    fn non_ascii_is_refused() {
        assert_eq!(
            framer(Terminator::Any).feed("AQé\r".as_bytes())[0],
            Err(ScanRefusal::NotText)
        );
    }

    #[test]
    fn an_endless_line_is_refused_once_then_skipped() {
        let mut f = framer(Terminator::Any);
        let junk = vec![b'X'; 100_000];
        let got = f.feed(&junk);
        assert_eq!(
            got,
            vec![Err(ScanRefusal::TooLong {
                max: DEFAULT_MAX_LENGTH
            })]
        );
        assert!(f.line.capacity() <= 1024, "memory stays bounded");
        // The scan after the junk's terminator is intact.
        assert_eq!(scans(f.feed(b"\rAQ9\r")), ["AQ9"]);
    }

    proptest! {
        /// Random bytes never panic, never hold more than the limit, and every non-blank
        /// line yields exactly one result.
        #[test]
        fn random_bytes_are_handled(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let mut f = framer(Terminator::Any);
            for chunk in bytes.chunks(7) {
                for scan in f.feed(chunk).into_iter().flatten() {
                    prop_assert!(!scan.is_empty() && scan.len() <= DEFAULT_MAX_LENGTH);
                    prop_assert!(scan.bytes().all(|b| (0x20..0x7f).contains(&b) || b == GROUP_SEPARATOR));
                }
                prop_assert!(f.line.len() <= DEFAULT_MAX_LENGTH + 1);
            }
        }

        /// Well-formed scans with random terminators come out exactly, none lost or merged.
        #[test]
        fn mixed_terminators_lose_nothing(codes in proptest::collection::vec("[A-Z0-9]{1,20}", 1..50), ends in proptest::collection::vec(0..3usize, 50)) {
            let mut bytes = Vec::new();
            for (code, end) in codes.iter().zip(&ends) {
                bytes.extend_from_slice(code.as_bytes());
                bytes.extend_from_slice([b"\r".as_slice(), b"\n", b"\r\n"][*end]);
            }
            prop_assert_eq!(scans(framer(Terminator::Any).feed(&bytes)), codes);
        }
    }
}
