//! HID POS barcode scanners (USB HID usage page 0x8C, "HID Point of Sale Usage Tables"):
//! recognising one from its report descriptor, and reading its scanned-data reports.
//!
//! A scanned-data input report (report id 2) carries, after the id: a count of data bytes,
//! a three-character AIM symbology identifier (`]d2` for DataMatrix, `]Q1` for QR, `]C0`
//! for Code 128), up to 56 bytes of decoded data, two vendor bytes, and a "decoded data
//! continued" flag when a long code spans several reports. This is the layout Honeywell,
//! Zebra and Datalogic scanners use in HID POS mode. Pure: tested on report bytes.

/// The HID usage page of bar code scanners.
pub const BARCODE_SCANNER_PAGE: u16 = 0x8C;
/// The input report that carries a scan.
pub const SCANNED_DATA_REPORT_ID: u8 = 0x02;
/// Decoded data bytes in one report.
pub const DATA_BYTES_PER_REPORT: usize = 56;
/// A report: id, count, AIM id (3), data (56), vendor (2), continued flag.
pub const REPORT_LENGTH: usize = 1 + 1 + 3 + DATA_BYTES_PER_REPORT + 2 + 1;

/// Whether a report descriptor declares a bar code scanner: an application collection on
/// usage page 0x8C. Malformed descriptors are not scanners.
pub fn is_barcode_scanner(report_descriptor: &[u8]) -> bool {
    let mut usage_page: u32 = 0;
    // A usage with its own page (4-byte form) or one read against the current page.
    let mut usage: Option<(Option<u32>, u32)> = None;
    let mut at = 0;
    while at < report_descriptor.len() {
        let prefix = report_descriptor[at];
        if prefix == 0xFE {
            // A long item: its data size is the next byte.
            let Some(&size) = report_descriptor.get(at + 1) else {
                return false;
            };
            at += 3 + usize::from(size);
            continue;
        }
        let size = match prefix & 0x03 {
            3 => 4,
            n => usize::from(n),
        };
        let Some(data) = report_descriptor.get(at + 1..at + 1 + size) else {
            return false;
        };
        let value = data
            .iter()
            .rev()
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        match prefix & 0xFC {
            0x04 => usage_page = value, // global: Usage Page
            0x08 if size == 4 => usage = Some((Some(value >> 16), value & 0xFFFF)),
            0x08 => usage = Some((None, value)), // local: Usage
            0xA0 => {
                // main: Collection; 1 = application.
                if let Some((page, id)) = usage {
                    let page = page.unwrap_or(usage_page);
                    if value == 1 && page == u32::from(BARCODE_SCANNER_PAGE) && id != 0 {
                        return true;
                    }
                }
                usage = None;
            }
            0x80 | 0x90 | 0xB0 | 0xC0 => usage = None, // other main items end the locals
            _ => {}
        }
        at += 1 + size;
    }
    false
}

/// One scanned-data report, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    /// The AIM symbology identifier, e.g. `]d2`, when the scanner sent one.
    pub symbology: Option<String>,
    pub data: Vec<u8>,
    /// More reports of the same code follow.
    pub continued: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportError {
    /// Another report (settings, status): not a scan, ignored.
    NotAScan { report_id: u8 },
    /// Shorter than a scanned-data report.
    TooShort { length: usize },
}

/// Reads one input report, starting with its report id.
pub fn parse_report(report: &[u8]) -> Result<ScanReport, ReportError> {
    match report.first() {
        None => return Err(ReportError::TooShort { length: 0 }),
        Some(&id) if id != SCANNED_DATA_REPORT_ID => {
            return Err(ReportError::NotAScan { report_id: id })
        }
        _ => {}
    }
    if report.len() < 5 {
        return Err(ReportError::TooShort {
            length: report.len(),
        });
    }
    // A count beyond what the report holds is clamped, never trusted.
    let count = usize::from(report[1])
        .min(DATA_BYTES_PER_REPORT)
        .min(report.len() - 5);
    let aim = &report[2..5];
    let symbology = (aim[0] == b']' && aim[1..].iter().all(u8::is_ascii_alphanumeric))
        .then(|| String::from_utf8_lossy(aim).into_owned());
    let continued = report
        .get(REPORT_LENGTH - 1)
        .is_some_and(|flag| flag & 0x01 != 0);
    Ok(ScanReport {
        symbology,
        data: report[5..5 + count].to_vec(),
        continued,
    })
}

/// Joins the reports of a long code. Holds at most `max_length` bytes: a code that goes on
/// past it is refused once and its remaining reports are dropped.
#[derive(Debug)]
pub struct ReportAssembler {
    max_length: usize,
    pending: Vec<u8>,
    overflowed: bool,
}

/// A whole code, or a code that was too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assembled {
    Code(Vec<u8>),
    TooLong,
}

impl ReportAssembler {
    pub fn new(max_length: usize) -> Self {
        ReportAssembler {
            max_length,
            pending: Vec::new(),
            overflowed: false,
        }
    }

    /// Feeds one report; returns a code when its last report has arrived.
    pub fn feed(&mut self, report: &[u8]) -> Option<Assembled> {
        let scan = parse_report(report).ok()?;
        if !self.overflowed {
            if self.pending.len() + scan.data.len() > self.max_length {
                self.overflowed = true;
                self.pending.clear();
            } else {
                self.pending.extend_from_slice(&scan.data);
            }
        }
        if scan.continued {
            return None;
        }
        let result = if std::mem::take(&mut self.overflowed) {
            Assembled::TooLong
        } else {
            Assembled::Code(std::mem::take(&mut self.pending))
        };
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A scanned-data report as a HID POS scanner sends it.
    pub fn report(aim: &[u8; 3], data: &[u8], continued: bool) -> Vec<u8> {
        let mut r = vec![0u8; REPORT_LENGTH];
        r[0] = SCANNED_DATA_REPORT_ID;
        r[1] = u8::try_from(data.len()).unwrap();
        r[2..5].copy_from_slice(aim);
        r[5..5 + data.len()].copy_from_slice(data);
        r[REPORT_LENGTH - 1] = u8::from(continued);
        r
    }

    /// The start of a HID POS report descriptor: Usage Page (0x8C), Usage (Bar Code
    /// Scanner 0x02), Collection (Application), then the scanned data report (id 2).
    const SCANNER_DESCRIPTOR: &[u8] = &[
        0x06, 0x8C, 0x00, // Usage Page (Bar Code Scanner), 2-byte form
        0x09, 0x02, // Usage (Bar Code Scanner)
        0xA1, 0x01, // Collection (Application)
        0x09, 0x12, // Usage (Scanned Data Report)
        0xA1, 0x02, // Collection (Logical)
        0x85, 0x02, // Report ID (2)
        0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x01, // logical 0..255, 8 bits, 1
        0x05, 0x01, 0x09, 0x3B, 0x81, 0x02, // Byte Count
        0xC0, 0xC0,
    ];

    /// A boot keyboard's report descriptor (Generic Desktop / Keyboard).
    const KEYBOARD_DESCRIPTOR: &[u8] = &[
        0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25,
        0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0xC0,
    ];

    #[test]
    fn a_scanner_is_told_from_a_keyboard() {
        assert!(is_barcode_scanner(SCANNER_DESCRIPTOR));
        assert!(!is_barcode_scanner(KEYBOARD_DESCRIPTOR));
        assert!(!is_barcode_scanner(&SCANNER_DESCRIPTOR[..4]));
        assert!(!is_barcode_scanner(&[]));
    }

    #[test]
    fn a_report_gives_its_code_and_symbology() {
        let r = parse_report(&report(b"]d2", b"AQ000042X", false)).unwrap();
        assert_eq!(r.symbology.as_deref(), Some("]d2"));
        assert_eq!(r.data, b"AQ000042X");
        assert!(!r.continued);
        assert_eq!(
            parse_report(&[0x04, 1, 2, 3]),
            Err(ReportError::NotAScan { report_id: 4 })
        );
        assert_eq!(
            parse_report(&[2, 9]),
            Err(ReportError::TooShort { length: 2 })
        );
    }

    #[test]
    fn a_lying_count_is_clamped_to_the_report() {
        let mut r = report(b"]C0", b"BX1101", false);
        r[1] = 200;
        assert_eq!(parse_report(&r).unwrap().data.len(), DATA_BYTES_PER_REPORT);
        assert_eq!(parse_report(&r[..9]).unwrap().data, b"BX11");
    }

    #[test]
    fn a_long_code_spans_reports() {
        let long: Vec<u8> = (0..70u8).map(|i| b'A' + i % 26).collect();
        let mut a = ReportAssembler::new(128);
        assert_eq!(a.feed(&report(b"]d2", &long[..56], true)), None);
        assert_eq!(
            a.feed(&report(b"]d2", &long[56..], false)),
            Some(Assembled::Code(long.clone()))
        );
        // Too long for the limit: refused once, and the next code is whole again.
        let mut a = ReportAssembler::new(60);
        assert_eq!(a.feed(&report(b"]d2", &long[..56], true)), None);
        assert_eq!(
            a.feed(&report(b"]d2", &long[56..], false)),
            Some(Assembled::TooLong)
        );
        assert_eq!(
            a.feed(&report(b"]C0", b"BX1101", false)),
            Some(Assembled::Code(b"BX1101".to_vec()))
        );
    }

    proptest! {
        #[test]
        fn random_reports_never_panic_and_memory_stays_bounded(
            reports in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..200)
        ) {
            let mut a = ReportAssembler::new(128);
            for r in &reports {
                if let Some(Assembled::Code(code)) = a.feed(r) {
                    prop_assert!(code.len() <= 128);
                }
                prop_assert!(a.pending.len() <= 128);
                let _ = is_barcode_scanner(r);
            }
        }
    }
}
