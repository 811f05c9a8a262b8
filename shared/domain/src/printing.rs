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
    /// A USB printer reached directly (bulk OUT for jobs, bulk IN for status), found by its
    /// vendor and product id and, where several are attached, its serial number.
    Usb {
        vendor_id: u16,
        product_id: u16,
        serial_number: Option<String>,
    },
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
    /// The label stock loaded in the printer.
    pub stock: LabelStock,
    /// Print darkness 0–30 (ZPL `~SD`; TSPL `DENSITY` gets half); `None` keeps the
    /// printer's own setting.
    pub darkness: Option<u8>,
}

/// The label stock a printer is loaded with; it decides which template a label uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LabelStock {
    /// 25.4 × 12.7 mm (1" × 0.5") cryovial labels.
    Cryovial,
    /// 50.8 × 25.4 mm (2" × 1") tube labels.
    #[serde(rename = "tube_2x1")]
    Tube2x1,
    /// 76.2 × 25.4 mm (3" × 1") box labels.
    #[serde(rename = "box_3x1")]
    Box3x1,
}

impl LabelStock {
    pub const ALL: [LabelStock; 3] = [
        LabelStock::Cryovial,
        LabelStock::Tube2x1,
        LabelStock::Box3x1,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LabelStock::Cryovial => "cryovial",
            LabelStock::Tube2x1 => "tube_2x1",
            LabelStock::Box3x1 => "box_3x1",
        }
    }

    pub fn parse(s: &str) -> Option<LabelStock> {
        LabelStock::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Whether labels of `kind` can be printed on this stock.
    pub fn carries(self, kind: LabelKind) -> bool {
        matches!(
            (self, kind),
            (
                LabelStock::Cryovial | LabelStock::Tube2x1,
                LabelKind::Sample
            ) | (LabelStock::Box3x1, LabelKind::Box)
        )
    }
}

/// What a label is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LabelKind {
    Sample,
    Box,
}

impl LabelKind {
    pub fn stock_hint(self) -> &'static str {
        match self {
            LabelKind::Sample => "sample labels need cryovial or 2\" x 1\" stock",
            LabelKind::Box => "box labels need 3\" x 1\" stock",
        }
    }
}

/// The paper of a label sheet printed on an office printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SheetPaper {
    A4,
    Letter,
}

/// The 2D code on a cryovial label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SampleLabelCode {
    DataMatrix,
    Qr,
}

pub const MAX_DARKNESS: u8 = 30;

/// The most labels one job carries: a full 10 × 10 box with room to spare.
pub const MAX_LABELS_PER_JOB: usize = 500;

/// What a print job is of: labels printed together, as one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "group", rename_all = "snake_case")]
#[ts(export)]
pub enum LabelGroup {
    /// Chosen samples, in the order given.
    Samples { sample_ids: Vec<uuid::Uuid> },
    /// Every tube registered in one kit registration.
    Kit { registration_id: uuid::Uuid },
    /// The tubes in a box, by position.
    BoxContents { box_id: uuid::Uuid },
    /// Box labels for chosen boxes.
    Boxes { box_ids: Vec<uuid::Uuid> },
    /// Plate labels (a run's plates, on the box-label stock): the plate's name as text and
    /// as a code, and its run.
    Plates { plate_ids: Vec<uuid::Uuid> },
}

impl LabelGroup {
    /// The kit registration whose labels this group is, if it is one.
    pub fn kit(&self) -> Option<uuid::Uuid> {
        match self {
            LabelGroup::Kit { registration_id } => Some(*registration_id),
            _ => None,
        }
    }

    pub fn kind(&self) -> LabelKind {
        match self {
            LabelGroup::Samples { .. }
            | LabelGroup::Kit { .. }
            | LabelGroup::BoxContents { .. } => LabelKind::Sample,
            LabelGroup::Boxes { .. } | LabelGroup::Plates { .. } => LabelKind::Box,
        }
    }

    /// Refuses an empty or oversized pick list before anything is looked up.
    pub fn validate(self) -> Result<LabelGroup, DomainError> {
        let ids = match &self {
            LabelGroup::Samples { sample_ids } => Some(sample_ids),
            LabelGroup::Boxes { box_ids } => Some(box_ids),
            LabelGroup::Plates { plate_ids } => Some(plate_ids),
            _ => None,
        };
        if let Some(ids) = ids {
            if ids.is_empty() || ids.len() > MAX_LABELS_PER_JOB {
                return Err(DomainError::invalid(
                    "labels",
                    format!("choose between 1 and {MAX_LABELS_PER_JOB} labels for one job"),
                ));
            }
        }
        Ok(self)
    }
}

/// The shape of a device path, before the workstation resolves it (the devices crate then
/// requires a character device of the right kind): absolute under /dev with no `.` or `..`
/// step, or a Windows COM port where `com_port` is allowed.
pub fn is_device_path_shape(path: &str, com_port: bool) -> bool {
    let path = path.trim();
    if path.len() > 120 || path.chars().any(crate::registration::is_unsafe_text_char) {
        return false;
    }
    if com_port && path.starts_with("COM") && path[3..].parse::<u16>().is_ok_and(|n| n > 0) {
        return true;
    }
    match path.strip_prefix("/dev/") {
        Some(rest) => {
            !rest.is_empty()
                && rest
                    .split('/')
                    .all(|step| !step.is_empty() && step != "." && step != "..")
        }
        None => false,
    }
}

impl PrinterSettings {
    pub fn validate(mut self) -> Result<PrinterSettings, DomainError> {
        self.name = crate::registration::validate_text("name", &self.name, 60)?;
        if ![203, 300, 600].contains(&self.dpi) {
            return Err(DomainError::invalid("dpi", "203, 300 or 600"));
        }
        if self.darkness.is_some_and(|d| d > MAX_DARKNESS) {
            return Err(DomainError::invalid(
                "darkness",
                format!("between 0 and {MAX_DARKNESS}"),
            ));
        }
        match &self.address {
            PrinterAddress::Tcp { host, port } if host.trim().is_empty() || *port == 0 => {
                return Err(DomainError::invalid(
                    "address",
                    "give the printer's host name or IP address and port (usually 9100)",
                ))
            }
            PrinterAddress::Serial { port, baud, .. }
                if !is_device_path_shape(port, true) || *baud == 0 =>
            {
                return Err(DomainError::invalid(
                    "address",
                    "give the serial port (e.g. /dev/ttyUSB0) and its baud rate",
                ))
            }
            PrinterAddress::DeviceFile { path } if !is_device_path_shape(path, false) => {
                return Err(DomainError::invalid(
                    "address",
                    "a printer device file is under /dev (e.g. /dev/usb/lp0)",
                ))
            }
            PrinterAddress::Usb { vendor_id: 0, .. } => {
                return Err(DomainError::invalid(
                    "address",
                    "give the printer's USB vendor id (e.g. 0x0A5F for Zebra)",
                ))
            }
            PrinterAddress::Usb {
                serial_number: Some(serial),
                ..
            } if serial.len() > 64 || serial.chars().any(char::is_control) => {
                return Err(DomainError::invalid(
                    "address",
                    "the USB serial number as the printer reports it",
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

    fn printer_at(address: PrinterAddress) -> Result<PrinterSettings, DomainError> {
        PrinterSettings {
            name: "Bench printer".into(),
            address,
            language: PrinterLanguage::Zpl,
            dpi: 203,
            stock: LabelStock::Cryovial,
            darkness: None,
        }
        .validate()
    }

    #[rstest::rstest]
    #[case("/dev/ttyUSB0", 9600, true)]
    #[case("COM3", 9600, true)]
    #[case("/dev/ttyUSB0", 0, false)]
    #[case("/tmp/ttyUSB0", 9600, false)]
    #[case("/dev/../tmp/x", 9600, false)]
    fn a_serial_printer_needs_a_port_and_a_baud_rate(
        #[case] port: &str,
        #[case] baud: u32,
        #[case] ok: bool,
    ) {
        let address = PrinterAddress::Serial {
            port: port.into(),
            baud,
            hardware_flow_control: false,
        };
        assert_eq!(printer_at(address).is_ok(), ok, "{port} {baud}");
    }

    #[rstest::rstest]
    #[case("/dev/usb/lp0", true)]
    #[case("/home/lab/aliquot.db", false)]
    #[case("COM3", false)]
    fn a_device_file_is_under_dev(#[case] path: &str, #[case] ok: bool) {
        let address = PrinterAddress::DeviceFile { path: path.into() };
        assert_eq!(printer_at(address).is_ok(), ok, "{path}");
    }

    #[rstest::rstest]
    #[case(None, true)]
    #[case(Some("ZBR1234567".to_owned()), true)]
    #[case(Some("S".repeat(64)), true)]
    #[case(Some("S".repeat(65)), false)]
    #[case(Some("ZBR\u{7}".to_owned()), false)]
    fn a_usb_serial_number_is_short_and_printable(
        #[case] serial_number: Option<String>,
        #[case] ok: bool,
    ) {
        let address = PrinterAddress::Usb {
            vendor_id: 0x0A5F,
            product_id: 0x0164,
            serial_number,
        };
        assert_eq!(printer_at(address).is_ok(), ok);
    }

    #[test]
    fn a_job_has_one_to_ten_copies_and_at_most_a_mebibyte() {
        assert!(check_job(1, "^XA^XZ", false, None).is_ok());
        assert!(check_job(MAX_COPIES, "^XA^XZ", false, None).is_ok());
        assert!(check_job(MAX_COPIES + 1, "^XA^XZ", false, None).is_err());
        assert!(check_job(0, "^XA^XZ", false, None).is_err());
        assert!(check_job(1, "", false, None).is_err());
        assert_eq!(MAX_PAYLOAD_BYTES, 1_048_576);
        assert!(check_job(1, &"x".repeat(MAX_PAYLOAD_BYTES), false, None).is_ok());
        assert!(check_job(1, &"x".repeat(MAX_PAYLOAD_BYTES + 1), false, None).is_err());
    }

    #[test]
    fn only_a_kit_group_names_its_kit() {
        let id = uuid::Uuid::from_u128(9);
        assert_eq!(
            LabelGroup::Kit {
                registration_id: id
            }
            .kit(),
            Some(id)
        );
        assert_eq!(LabelGroup::BoxContents { box_id: id }.kit(), None);
        assert_eq!(
            LabelGroup::Samples {
                sample_ids: vec![id]
            }
            .kit(),
            None
        );
    }

    /// A pick list holds 1 to MAX_LABELS_PER_JOB ids, for samples and boxes alike.
    #[test]
    fn a_pick_list_holds_one_to_the_job_limit() {
        let ids = |n| vec![uuid::Uuid::from_u128(1); n];
        for group in [
            |v| LabelGroup::Samples { sample_ids: v },
            |v| LabelGroup::Boxes { box_ids: v },
        ] {
            assert!(group(ids(0)).validate().is_err());
            assert!(group(ids(1)).validate().is_ok());
            assert!(group(ids(MAX_LABELS_PER_JOB)).validate().is_ok());
            assert!(group(ids(MAX_LABELS_PER_JOB + 1)).validate().is_err());
        }
    }

    #[test]
    fn device_paths_are_bounded_in_length() {
        let at_limit = format!("/dev/{}", "u".repeat(115));
        assert_eq!(at_limit.len(), 120);
        assert!(is_device_path_shape(&at_limit, false));
        assert!(!is_device_path_shape(&format!("{at_limit}u"), false));
    }

    #[test]
    fn darkness_is_at_most_the_maximum() {
        let mut printer = PrinterSettings {
            name: "Desk Zebra".into(),
            address: PrinterAddress::Fake {
                name: "Desk Zebra".into(),
            },
            language: PrinterLanguage::Zpl,
            dpi: 300,
            stock: LabelStock::Cryovial,
            darkness: Some(MAX_DARKNESS),
        };
        assert!(printer.clone().validate().is_ok());
        printer.darkness = Some(MAX_DARKNESS + 1);
        assert!(printer.validate().is_err());
    }

    #[test]
    fn printer_languages_have_their_stored_names() {
        for language in [PrinterLanguage::Zpl, PrinterLanguage::Tspl] {
            assert_eq!(PrinterLanguage::parse(language.as_str()), Some(language));
            assert_eq!(serde_json::to_value(language).unwrap(), language.as_str());
        }
        assert_eq!(PrinterLanguage::parse("epl"), None);
    }

    /// The hint names the stock that would carry the label, so the person can fix it.
    #[test]
    fn the_stock_hint_names_the_stock_that_carries_the_label() {
        assert!(LabelKind::Sample.stock_hint().contains("cryovial"));
        assert!(LabelKind::Box.stock_hint().contains("3\" x 1\""));
    }

    #[test]
    fn device_paths_stay_under_dev() {
        // Issue 11, defect 1: "/dev/../<data dir>/aliquot.db" passed a prefix check.
        for bad in [
            "/dev/../root/.local/share/aliquot/aliquot.db",
            "/dev/usb/../../etc/passwd",
            "/dev/./lp0",
            "/dev/",
            "/dev//lp0",
            "/tmp/lp0",
            "dev/lp0",
            "/dev/lp0\u{202E}",
            "",
        ] {
            assert!(!is_device_path_shape(bad, true), "{bad:?}");
        }
        for good in [
            "/dev/usb/lp0",
            "/dev/ttyUSB0",
            "/dev/serial/by-id/usb-Zebra-if00",
        ] {
            assert!(is_device_path_shape(good, false), "{good:?}");
        }
        assert!(is_device_path_shape("COM3", true));
        assert!(!is_device_path_shape("COM3", false));
        assert!(!is_device_path_shape("COM0", true));
    }

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
    fn each_stock_carries_its_labels() {
        let carried: Vec<(LabelStock, LabelKind)> = LabelStock::ALL
            .into_iter()
            .flat_map(|s| [LabelKind::Sample, LabelKind::Box].map(|k| (s, k)))
            .filter(|(s, k)| s.carries(*k))
            .collect();
        assert_eq!(
            carried,
            [
                (LabelStock::Cryovial, LabelKind::Sample),
                (LabelStock::Tube2x1, LabelKind::Sample),
                (LabelStock::Box3x1, LabelKind::Box)
            ]
        );
        for stock in LabelStock::ALL {
            assert_eq!(LabelStock::parse(stock.as_str()), Some(stock));
            // The API and the database spell a stock the same way.
            assert_eq!(serde_json::to_value(stock).unwrap(), stock.as_str());
        }
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
            stock: LabelStock::Cryovial,
            darkness: Some(20),
        };
        assert_eq!(ok.clone().validate().unwrap().name, "Desk Zebra");
        assert!(PrinterSettings {
            dpi: 250,
            ..ok.clone()
        }
        .validate()
        .is_err());
        assert!(PrinterSettings {
            darkness: Some(31),
            ..ok.clone()
        }
        .validate()
        .is_err());
        assert!(PrinterSettings {
            address: PrinterAddress::Usb {
                vendor_id: 0,
                product_id: 0x0120,
                serial_number: None
            },
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
