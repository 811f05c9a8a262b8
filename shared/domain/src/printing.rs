//! Printers and print jobs as data: where a printer is, what language it speaks, and the
//! rules for queuing a job. The drivers live in `shared/devices`; rendering in `shared/labels`.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a printer is. Stored in the workstation's printer settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum PrinterAddress {
    /// Raw TCP, usually port 9100.
    Tcp { host: String, port: u16 },
    Serial {
        port: String,
        baud: u32,
        hardware_flow_control: bool,
    },
    /// A device file such as /dev/usb/lp0.
    DeviceFile { path: String },
    /// A printer that records its jobs in memory (tests and demonstrations).
    Fake { name: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PrinterLanguage {
    Zpl,
    Tspl,
}

impl PrinterLanguage {
    pub fn as_str(self) -> &'static str {
        match self {
            PrinterLanguage::Zpl => "zpl",
            PrinterLanguage::Tspl => "tspl",
        }
    }
    pub fn parse(s: &str) -> Option<PrinterLanguage> {
        [PrinterLanguage::Zpl, PrinterLanguage::Tspl]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// A printer as this workstation knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PrinterSettings {
    /// The name people choose it by ("Desk Zebra").
    pub name: String,
    pub address: PrinterAddress,
    pub language: PrinterLanguage,
    /// 203, 300 or 600.
    pub dpi: u16,
}

impl PrinterSettings {
    pub fn validate(mut self) -> Result<PrinterSettings, DomainError> {
        self.name = crate::registration::validate_text("name", &self.name, 60)?;
        if ![203, 300, 600].contains(&self.dpi) {
            return Err(DomainError::invalid("dpi", "203, 300 or 600"));
        }
        match &self.address {
            PrinterAddress::Tcp { host, port } if host.trim().is_empty() || *port == 0 => {
                return Err(DomainError::invalid(
                    "address",
                    "give the printer's host name or IP address and port (usually 9100)",
                ))
            }
            PrinterAddress::Serial { port, baud, .. } if port.trim().is_empty() || *baud == 0 => {
                return Err(DomainError::invalid(
                    "address",
                    "give the serial port (e.g. /dev/ttyUSB0) and its baud rate",
                ))
            }
            PrinterAddress::DeviceFile { path } if !path.starts_with("/dev/") => {
                return Err(DomainError::invalid(
                    "address",
                    "a printer device file is under /dev (e.g. /dev/usb/lp0)",
                ))
            }
            _ => {}
        }
        Ok(self)
    }
}

pub const MAX_COPIES: u8 = 10;
/// A job's printer bytes; a kit of labels is a few kilobytes.
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;

/// The rule for a new job: copies in range, something to print, and a reason for a reprint.
pub fn check_job(
    copies: u8,
    payload: &str,
    reprint: bool,
    reason: Option<&str>,
) -> Result<Option<String>, DomainError> {
    if copies == 0 || copies > MAX_COPIES {
        return Err(DomainError::invalid(
            "copies",
            format!("between 1 and {MAX_COPIES}"),
        ));
    }
    if payload.is_empty() || payload.len() > MAX_PAYLOAD_BYTES {
        return Err(DomainError::invalid(
            "labels",
            "nothing to print, or far too much",
        ));
    }
    match (reprint, reason) {
        (true, None) => Err(DomainError::invalid(
            "reason",
            "a reprint needs a reason (it is recorded in the audit trail)",
        )),
        (_, Some(r)) => crate::command::validate_reason(r).map(Some),
        (false, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reprint_needs_a_reason() {
        assert!(check_job(1, "^XA^XZ", true, None).is_err());
        assert_eq!(
            check_job(1, "^XA^XZ", true, Some(" smudged ")).unwrap(),
            Some("smudged".to_owned())
        );
        assert_eq!(check_job(2, "^XA^XZ", false, None).unwrap(), None);
        assert!(check_job(0, "^XA^XZ", false, None).is_err());
        assert!(check_job(11, "^XA^XZ", false, None).is_err());
        assert!(check_job(1, "", false, None).is_err());
    }

    #[test]
    fn printer_settings_are_checked() {
        let ok = PrinterSettings {
            name: " Desk Zebra ".into(),
            address: PrinterAddress::Tcp {
                host: "10.0.0.5".into(),
                port: 9100,
            },
            language: PrinterLanguage::Zpl,
            dpi: 300,
        };
        assert_eq!(ok.clone().validate().unwrap().name, "Desk Zebra");
        assert!(PrinterSettings {
            dpi: 250,
            ..ok.clone()
        }
        .validate()
        .is_err());
        assert!(PrinterSettings {
            address: PrinterAddress::DeviceFile {
                path: "/etc/passwd".into()
            },
            ..ok.clone()
        }
        .validate()
        .is_err());
        assert!(PrinterSettings {
            address: PrinterAddress::Tcp {
                host: "".into(),
                port: 9100
            },
            ..ok
        }
        .validate()
        .is_err());
    }
}
