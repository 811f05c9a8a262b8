//! Zebra host status (`~HS`) and identity (`~HI`) answers, parsed without any IO.
//!
//! Answers are STX…ETX framed and may arrive split across reads; [`Frames`] collects them.
//! Zebra documents that a printer may not answer `~HS` at all while it has media out, the
//! head open or the ribbon out, so a missing answer means "possibly faulted", never "fine".

use serde::{Deserialize, Serialize};
use ts_rs::TS;

const STX: u8 = 0x02;
const ETX: u8 = 0x03;

/// The host-status request.
pub const HOST_STATUS: &[u8] = b"~HS";
/// The identity request.
pub const HOST_IDENTIFICATION: &[u8] = b"~HI";

/// Collects STX…ETX frames from bytes in any chunking; bounded, junk between frames is
/// dropped.
#[derive(Debug, Default)]
pub struct Frames {
    current: Option<Vec<u8>>,
    done: Vec<Vec<u8>>,
}

const MAX_FRAME: usize = 256;

impl Frames {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match (b, self.current.as_mut()) {
                (STX, _) => self.current = Some(Vec::new()),
                (ETX, Some(_)) => {
                    if let Some(frame) = self.current.take() {
                        self.done.push(frame);
                    }
                }
                (_, Some(frame)) if frame.len() < MAX_FRAME => frame.push(b),
                (_, Some(_)) => self.current = None,
                (_, None) => {}
            }
        }
    }

    pub fn count(&self) -> usize {
        self.done.len()
    }

    pub fn into_frames(self) -> Vec<Vec<u8>> {
        self.done
    }
}

/// What a printer told us about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HostStatus {
    pub paper_out: bool,
    pub paused: bool,
    pub head_open: bool,
    pub ribbon_out: bool,
    pub buffer_full: bool,
    pub under_temperature: bool,
    pub over_temperature: bool,
    pub corrupt_ram: bool,
    pub formats_in_buffer: u32,
    pub labels_remaining: u32,
}

/// A condition that stops a printer from printing; a job waits while any is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PrinterFault {
    PaperOut,
    Paused,
    HeadOpen,
    RibbonOut,
    BufferFull,
    Temperature,
    CorruptRam,
    /// The printer did not answer the status request (Zebra printers stay silent in
    /// several fault states).
    NoAnswer,
}

impl PrinterFault {
    /// What to tell the person at the printer.
    pub fn hint(self) -> &'static str {
        match self {
            PrinterFault::PaperOut => "load labels",
            PrinterFault::Paused => "press the pause button to resume",
            PrinterFault::HeadOpen => "close the print head",
            PrinterFault::RibbonOut => "load a ribbon",
            PrinterFault::BufferFull => "wait for the printer to catch up",
            PrinterFault::Temperature => "let the print head cool down or warm up",
            PrinterFault::CorruptRam => "switch the printer off and on",
            PrinterFault::NoAnswer => {
                "check that the printer is on, has labels and its head is closed"
            }
        }
    }
}

impl HostStatus {
    pub fn faults(&self) -> Vec<PrinterFault> {
        let mut faults = Vec::new();
        let flags = [
            (self.paper_out, PrinterFault::PaperOut),
            (self.paused, PrinterFault::Paused),
            (self.head_open, PrinterFault::HeadOpen),
            (self.ribbon_out, PrinterFault::RibbonOut),
            (self.buffer_full, PrinterFault::BufferFull),
            (
                self.under_temperature || self.over_temperature,
                PrinterFault::Temperature,
            ),
            (self.corrupt_ram, PrinterFault::CorruptRam),
        ];
        for (set, fault) in flags {
            if set {
                faults.push(fault);
            }
        }
        faults
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusParseError {
    #[error("the printer's status answer had {0} parts instead of 3")]
    Frames(usize),
    #[error("the printer's status answer was not in the expected form ({0})")]
    Field(&'static str),
}

fn flag(fields: &[&str], i: usize, name: &'static str) -> Result<bool, StatusParseError> {
    match fields.get(i).map(|f| f.trim()) {
        Some("0") => Ok(false),
        Some("1") => Ok(true),
        _ => Err(StatusParseError::Field(name)),
    }
}

fn number(fields: &[&str], i: usize, name: &'static str) -> Result<u32, StatusParseError> {
    fields
        .get(i)
        .and_then(|f| f.trim().parse().ok())
        .ok_or(StatusParseError::Field(name))
}

/// Parses the three frames of a `~HS` answer.
pub fn parse_host_status(answer: &[u8]) -> Result<HostStatus, StatusParseError> {
    let mut frames = Frames::default();
    frames.feed(answer);
    let frames = frames.into_frames();
    if frames.len() != 3 {
        return Err(StatusParseError::Frames(frames.len()));
    }
    let text: Vec<String> = frames
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let one: Vec<&str> = text[0].split(',').collect();
    let two: Vec<&str> = text[1].split(',').collect();
    if one.len() < 12 || two.len() < 11 {
        return Err(StatusParseError::Field("field count"));
    }
    Ok(HostStatus {
        paper_out: flag(&one, 1, "paper out")?,
        paused: flag(&one, 2, "pause")?,
        formats_in_buffer: number(&one, 4, "formats in buffer")?,
        buffer_full: flag(&one, 5, "buffer full")?,
        corrupt_ram: flag(&one, 9, "corrupt RAM")?,
        under_temperature: flag(&one, 10, "under temperature")?,
        over_temperature: flag(&one, 11, "over temperature")?,
        head_open: flag(&two, 2, "head up")?,
        ribbon_out: flag(&two, 3, "ribbon out")?,
        labels_remaining: number(&two, 8, "labels remaining")?,
    })
}

/// What `~HI` says: model, firmware, resolution, memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PrinterIdentity {
    pub model: String,
    pub firmware: String,
    /// 8, 12 or 24 dots per millimetre (203, 300, 600 dpi).
    pub dots_per_mm: u32,
    pub memory_kb: Option<u32>,
}

impl PrinterIdentity {
    pub fn dpi(&self) -> u32 {
        match self.dots_per_mm {
            6 => 152,
            8 => 203,
            12 => 300,
            24 => 600,
            other => other * 254 / 10,
        }
    }
}

/// Parses a `~HI` answer. The resolution field is dots/mm on most firmware and dpi on some:
/// a value above 24 is read as dpi.
pub fn parse_identity(answer: &[u8]) -> Result<PrinterIdentity, StatusParseError> {
    let mut frames = Frames::default();
    frames.feed(answer);
    let frames = frames.into_frames();
    let Some(frame) = frames.first() else {
        return Err(StatusParseError::Frames(0));
    };
    let text = String::from_utf8_lossy(frame);
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    if fields.len() < 3 {
        return Err(StatusParseError::Field("field count"));
    }
    let resolution: u32 = fields[2]
        .parse()
        .map_err(|_| StatusParseError::Field("resolution"))?;
    let dots_per_mm = match resolution {
        0 => return Err(StatusParseError::Field("resolution")),
        r if r <= 24 => r,
        dpi => (dpi * 10 + 127) / 254,
    };
    Ok(PrinterIdentity {
        model: fields[0].to_owned(),
        firmware: fields[1].to_owned(),
        dots_per_mm,
        memory_kb: fields
            .get(3)
            .and_then(|m| m.trim_end_matches("KB").parse().ok()),
    })
}

/// A canned healthy `~HS` answer, and one with faults, for fakes and tests.
pub fn host_status_answer(status: &HostStatus) -> Vec<u8> {
    let b = |v: bool| if v { '1' } else { '0' };
    format!(
        "\x02030,{},{},1245,{:03},{},0,0,000,{},{},{}\x03\r\n\x02000,0,{},{},0,2,4,0,{:08},1,000\x03\r\n\x021234,0\x03\r\n",
        b(status.paper_out),
        b(status.paused),
        status.formats_in_buffer,
        b(status.buffer_full),
        b(status.corrupt_ram),
        b(status.under_temperature),
        b(status.over_temperature),
        b(status.head_open),
        b(status.ribbon_out),
        status.labels_remaining
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The healthy answer from zpl-toolchain's framing fixture (see the hardware note).
    const HEALTHY: &[u8] = b"\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02000,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03";

    #[test]
    fn a_healthy_printer_has_no_faults() {
        let s = parse_host_status(HEALTHY).unwrap();
        assert_eq!(s, HostStatus::default());
        assert!(s.faults().is_empty());
    }

    #[test]
    fn faults_are_read_from_their_fields() {
        let answer = b"\x02030,1,1,1245,002,0,0,0,000,0,0,0\x03\r\n\x02000,0,1,1,0,2,4,0,00000005,1,000\x03\r\n\x021234,0\x03";
        let s = parse_host_status(answer).unwrap();
        assert_eq!(
            s.faults(),
            vec![
                PrinterFault::PaperOut,
                PrinterFault::Paused,
                PrinterFault::HeadOpen,
                PrinterFault::RibbonOut
            ]
        );
        assert_eq!((s.formats_in_buffer, s.labels_remaining), (2, 5));
    }

    #[test]
    fn the_canned_answer_round_trips() {
        let status = HostStatus {
            paper_out: true,
            head_open: true,
            labels_remaining: 3,
            ..HostStatus::default()
        };
        assert_eq!(
            parse_host_status(&host_status_answer(&status)).unwrap(),
            status
        );
    }

    #[test]
    fn answers_split_across_reads_are_collected() {
        let mut frames = Frames::default();
        for chunk in HEALTHY.chunks(5) {
            frames.feed(chunk);
        }
        assert_eq!(frames.count(), 3);
    }

    #[test]
    fn short_or_garbled_answers_are_errors_not_healthy() {
        assert_eq!(
            parse_host_status(b"\x02030,0,0\x03"),
            Err(StatusParseError::Frames(1))
        );
        assert!(parse_host_status(b"").is_err());
        let garbled = b"\x02030,X,0,1245,000,0,0,0,000,0,0,0\x03\x02000,0,0,0,0,2,4,0,00000000,1,000\x03\x021234,0\x03";
        assert_eq!(
            parse_host_status(garbled),
            Err(StatusParseError::Field("paper out"))
        );
    }

    #[test]
    fn identity_reads_dots_per_mm_or_dpi() {
        let i = parse_identity(b"\x02ZD421-300dpi,V93.21.26Z,12,8176KB\x03\r\n").unwrap();
        assert_eq!(
            (i.model.as_str(), i.dots_per_mm, i.dpi(), i.memory_kb),
            ("ZD421-300dpi", 12, 300, Some(8176))
        );
        let i = parse_identity(b"\x02ZT410,V75.20.01Z,300,4096KB\x03").unwrap();
        assert_eq!(i.dots_per_mm, 12);
        assert!(parse_identity(b"\x02ZT410,V75,0\x03").is_err());
    }

    proptest! {
        #[test]
        fn random_answers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_host_status(&bytes);
            let _ = parse_identity(&bytes);
        }
    }
}
