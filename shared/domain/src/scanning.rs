//! A workstation's scanner as data: how it is connected and how its byte stream is framed.
//! The drivers live in `shared/devices`; the setting is changed with `ChangeSettings`.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The longest scan we accept by default; real codes are far shorter.
pub const DEFAULT_MAX_LENGTH: usize = 128;
/// The longest scan anyone may configure: a GS1 DataMatrix rarely passes 100 characters.
pub const MAX_MAX_LENGTH: usize = 1024;

/// What ends a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Terminator {
    Cr,
    Lf,
    CrLf,
    /// CR, LF or CRLF: for scanners whose setting nobody knows.
    #[default]
    Any,
}

/// How a scanner's codes are cut out of its byte stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FramingSettings {
    pub terminator: Terminator,
    /// Text the scanner puts before every code, removed when present.
    pub prefix: String,
    /// Text the scanner puts after every code (before the terminator), removed when present.
    pub suffix: String,
    pub max_length: usize,
}

impl Default for FramingSettings {
    fn default() -> Self {
        FramingSettings {
            terminator: Terminator::Any,
            prefix: String::new(),
            suffix: String::new(),
            max_length: DEFAULT_MAX_LENGTH,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FlowControl {
    #[default]
    None,
    Software,
    Hardware,
}

/// A serial or USB-CDC scanner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SerialScannerSettings {
    /// e.g. /dev/ttyACM0
    pub port: String,
    pub baud: u32,
    pub flow_control: FlowControl,
    pub framing: FramingSettings,
}

/// The scanner attached to this workstation. A keyboard-wedge scanner needs no setting: the
/// UI tells its scans from typing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ScannerSettings {
    Serial(SerialScannerSettings),
    /// A USB scanner in HID POS mode (USB usage page 0x8C), found by vendor and product id.
    UsbHidPos {
        vendor_id: u16,
        product_id: u16,
        /// Prefix and suffix stripping and the length limit; the terminator is not used
        /// (each HID report says how long its code is).
        framing: FramingSettings,
    },
}

/// Baud rates scanners are set to.
pub const SCANNER_BAUDS: [u32; 6] = [9600, 19200, 38400, 57600, 115200, 230400];

impl FramingSettings {
    pub fn validate(self) -> Result<FramingSettings, DomainError> {
        for (field, text) in [("prefix", &self.prefix), ("suffix", &self.suffix)] {
            if text.chars().count() > 16 || !text.chars().all(|c| c.is_ascii_graphic() || c == ' ')
            {
                return Err(DomainError::invalid(
                    field,
                    "at most 16 printable ASCII characters, as set in the scanner",
                ));
            }
        }
        if !(8..=MAX_MAX_LENGTH).contains(&self.max_length) {
            return Err(DomainError::invalid(
                "max_length",
                format!("between 8 and {MAX_MAX_LENGTH} characters"),
            ));
        }
        Ok(self)
    }
}

impl ScannerSettings {
    pub fn validate(self) -> Result<ScannerSettings, DomainError> {
        match self {
            ScannerSettings::Serial(mut s) => {
                s.port = s.port.trim().to_owned();
                if !crate::printing::is_device_path_shape(&s.port, true) {
                    return Err(DomainError::invalid(
                        "port",
                        "a serial port such as /dev/ttyACM0 or COM3",
                    ));
                }
                if !SCANNER_BAUDS.contains(&s.baud) {
                    return Err(DomainError::invalid(
                        "baud",
                        "one of 9600, 19200, 38400, 57600, 115200 or 230400, as set in the scanner",
                    ));
                }
                s.framing = s.framing.validate()?;
                Ok(ScannerSettings::Serial(s))
            }
            ScannerSettings::UsbHidPos {
                vendor_id,
                product_id,
                framing,
            } => {
                if vendor_id == 0 {
                    return Err(DomainError::invalid(
                        "vendor_id",
                        "the scanner's USB vendor id (e.g. 0x0C2E for Honeywell)",
                    ));
                }
                Ok(ScannerSettings::UsbHidPos {
                    vendor_id,
                    product_id,
                    framing: framing.validate()?,
                })
            }
        }
    }

    /// A name for messages: the port or the USB id.
    pub fn source(&self) -> String {
        match self {
            ScannerSettings::Serial(s) => s.port.clone(),
            ScannerSettings::UsbHidPos {
                vendor_id,
                product_id,
                ..
            } => format!("USB {vendor_id:04x}:{product_id:04x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[rstest::rstest]
    #[case("", "", true)]
    #[case("]C1", "", true)]
    #[case(&"P".repeat(16), &"S".repeat(16), true)]
    #[case(&"P".repeat(17), "", false)]
    #[case("", &"S".repeat(17), false)]
    #[case("\u{1}", "", false)]
    #[case("", "\t", false)]
    fn prefixes_and_suffixes_are_short_and_printable(
        #[case] prefix: &str,
        #[case] suffix: &str,
        #[case] ok: bool,
    ) {
        let framing = FramingSettings {
            prefix: prefix.into(),
            suffix: suffix.into(),
            ..FramingSettings::default()
        };
        assert_eq!(framing.validate().is_ok(), ok, "{prefix:?} {suffix:?}");
    }

    fn serial(port: &str, baud: u32) -> ScannerSettings {
        ScannerSettings::Serial(SerialScannerSettings {
            port: port.into(),
            baud,
            flow_control: FlowControl::None,
            framing: FramingSettings::default(),
        })
    }

    fn refused_field(s: ScannerSettings) -> &'static str {
        match s.validate() {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn scanner_settings_are_checked() {
        assert!(serial(" /dev/ttyACM0 ", 115200).validate().is_ok());
        assert!(serial("COM3", 9600).validate().is_ok());
        assert_eq!(refused_field(serial("/etc/passwd/../x", 9600)), "port");
        assert_eq!(refused_field(serial("ttyS0", 9600)), "port");
        assert_eq!(refused_field(serial("/dev/ttyS0", 1234)), "baud");
        let mut framing = FramingSettings {
            prefix: "\u{7}".into(),
            ..FramingSettings::default()
        };
        let hid = |framing: FramingSettings| ScannerSettings::UsbHidPos {
            vendor_id: 0x0c2e,
            product_id: 0x0b87,
            framing,
        };
        assert_eq!(refused_field(hid(framing.clone())), "prefix");
        framing.prefix = String::new();
        framing.max_length = 100_000;
        assert_eq!(refused_field(hid(framing.clone())), "max_length");
        framing.max_length = 64;
        assert_eq!(hid(framing.clone()).source(), "USB 0c2e:0b87");
        assert!(hid(framing).validate().is_ok());
    }
}
