//! What is attached to this workstation: serial ports, printer device files and USB
//! printers and HID POS scanners, each with how to configure it and, when it cannot be
//! opened, why and what to do about it.
//!
//! USB devices are read from sysfs (`/sys/bus/usb/devices/*/descriptors`, readable by any
//! user) with the pure descriptor parser, so listing never opens or disturbs a device in
//! use; whether this user may open one is checked on its device node. Tests run the same
//! code on a directory tree laid out like sysfs and /dev.

use crate::usb::descriptor;
use crate::usb::hid_pos::is_barcode_scanner;
use aliquot_domain::printing::PrinterAddress;
use aliquot_domain::scanning::{FramingSettings, ScannerSettings};
use serde::Serialize;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DeviceKind {
    /// A label printer (USB printer interface, or a printer device file).
    Printer,
    /// A USB scanner in HID POS mode.
    Scanner,
    /// A serial port: a serial printer or scanner, or a USB-CDC scanner.
    SerialPort,
}

/// One attached device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DeviceListing {
    pub kind: DeviceKind,
    /// What people see: maker, product and where it is.
    pub name: String,
    /// The address to configure it as a printer with, where it can be one.
    pub printer_address: Option<PrinterAddress>,
    /// A scanner setting to start from, where it can be a scanner.
    pub scanner: Option<ScannerSettings>,
    /// Why it cannot be opened now, with what to do; `None` when it can.
    pub problem: Option<String>,
}

/// Where the lists are read from: the real system, or a test tree.
#[derive(Debug, Clone)]
pub struct Roots {
    /// `/sys/bus/usb/devices`
    pub usb_devices: PathBuf,
    /// `/dev`
    pub dev: PathBuf,
}

impl Default for Roots {
    fn default() -> Self {
        Roots {
            usb_devices: PathBuf::from("/sys/bus/usb/devices"),
            dev: PathBuf::from("/dev"),
        }
    }
}

/// Everything attached, printers first.
pub fn list() -> Vec<DeviceListing> {
    let roots = Roots::default();
    let mut all = usb_devices(&roots);
    all.extend(printer_files(&roots));
    all.extend(serial_ports());
    all
}

/// The problem with opening `path`, as a sentence with what to do.
pub fn open_problem(path: &Path, kind: ErrorKind, fix: &str) -> String {
    let path = path.display();
    match kind {
        ErrorKind::PermissionDenied => format!("{path} is not accessible to this user; {fix}"),
        ErrorKind::NotFound => {
            format!("{path} is missing; unplug and replug the device, or check its cable")
        }
        ErrorKind::ResourceBusy => {
            format!("{path} is in use by another program (a print queue or another Aliquot); close it and try again")
        }
        other => format!("{path} cannot be opened ({other})"),
    }
}

/// Whether this user may open `path` for reading and writing, without waiting on it.
fn check_open(path: &Path, fix: &str) -> Option<String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a serial port must not wait for its modem lines here.
        options.custom_flags(0o4000);
    }
    match options.open(path) {
        Ok(_) => None,
        Err(e) => Some(open_problem(path, e.kind(), fix)),
    }
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// USB printers and HID POS scanners, from sysfs.
pub fn usb_devices(roots: &Roots) -> Vec<DeviceListing> {
    let Ok(entries) = std::fs::read_dir(&roots.usb_devices) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Interfaces are named "1-1:1.0"; devices have no colon.
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().contains(':'))
        })
        .collect();
    dirs.sort();
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(bytes) = std::fs::read(dir.join("descriptors")) else {
            continue;
        };
        let Ok(description) = descriptor::parse(&bytes) else {
            continue;
        };
        let ids = format!(
            "USB {:04x}:{:04x}",
            description.vendor_id, description.product_id
        );
        let label = [
            read_trimmed(&dir.join("manufacturer")),
            read_trimmed(&dir.join("product")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let name = if label.is_empty() {
            ids.clone()
        } else {
            format!("{label} ({ids})")
        };
        let node = match (
            read_trimmed(&dir.join("busnum")).and_then(|b| b.parse::<u16>().ok()),
            read_trimmed(&dir.join("devnum")).and_then(|d| d.parse::<u16>().ok()),
        ) {
            (Some(bus), Some(dev)) => Some(
                roots
                    .dev
                    .join("bus/usb")
                    .join(format!("{bus:03}"))
                    .join(format!("{dev:03}")),
            ),
            _ => None,
        };
        let problem = node
            .as_deref()
            .and_then(|n| check_open(n, crate::USB_PERMISSION_FIX));
        if description.printer_interface().is_some() {
            found.push(DeviceListing {
                kind: DeviceKind::Printer,
                name: name.clone(),
                printer_address: Some(PrinterAddress::Usb {
                    vendor_id: description.vendor_id,
                    product_id: description.product_id,
                    serial_number: read_trimmed(&dir.join("serial")),
                }),
                scanner: None,
                problem: problem.clone(),
            });
        }
        if is_hid_pos_scanner(&dir) {
            found.push(DeviceListing {
                kind: DeviceKind::Scanner,
                name,
                printer_address: None,
                scanner: Some(ScannerSettings::UsbHidPos {
                    vendor_id: description.vendor_id,
                    product_id: description.product_id,
                    framing: FramingSettings::default(),
                }),
                problem,
            });
        }
    }
    found
}

/// Whether one of the device's HID interfaces declares a bar code scanner: sysfs keeps
/// each HID device's report descriptor under its interface ("1-1:1.0/0003:0C2E:0B87.0001").
fn is_hid_pos_scanner(device_dir: &Path) -> bool {
    let Some(parent) = device_dir.parent() else {
        return false;
    };
    let Some(device) = device_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return false;
    };
    let interfaces = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{device}:")))
        });
    interfaces
        .flat_map(|i| std::fs::read_dir(i).into_iter().flatten())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("0003:"))
        })
        .filter_map(|hid| std::fs::read(hid.join("report_descriptor")).ok())
        .any(|d| is_barcode_scanner(&d))
}

/// Printer device files the kernel's usblp driver made (`/dev/usb/lp0`).
pub fn printer_files(roots: &Roots) -> Vec<DeviceListing> {
    let Ok(entries) = std::fs::read_dir(roots.dev.join("usb")) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("lp"))
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| DeviceListing {
            kind: DeviceKind::Printer,
            name: format!("printer device {}", path.display()),
            problem: check_open(&path, crate::LP_PERMISSION_FIX),
            printer_address: Some(PrinterAddress::DeviceFile {
                path: path.display().to_string(),
            }),
            scanner: None,
        })
        .collect()
}

/// Serial ports (serial and USB-CDC scanners and printers).
pub fn serial_ports() -> Vec<DeviceListing> {
    let ports = serialport::available_ports().unwrap_or_default();
    ports
        .into_iter()
        .map(|p| {
            let path = PathBuf::from(&p.port_name);
            let detail = match &p.port_type {
                serialport::SerialPortType::UsbPort(usb) => format!(
                    " ({} USB {:04x}:{:04x})",
                    usb.product.as_deref().unwrap_or("USB serial"),
                    usb.vid,
                    usb.pid
                ),
                _ => String::new(),
            };
            DeviceListing {
                kind: DeviceKind::SerialPort,
                name: format!("{}{detail}", p.port_name),
                problem: check_open(&path, crate::SERIAL_PERMISSION_FIX),
                printer_address: Some(PrinterAddress::Serial {
                    port: p.port_name.clone(),
                    baud: 9600,
                    hardware_flow_control: false,
                }),
                scanner: Some(ScannerSettings::Serial(
                    aliquot_domain::scanning::SerialScannerSettings {
                        port: p.port_name,
                        baud: 9600,
                        flow_control: Default::default(),
                        framing: FramingSettings::default(),
                    },
                )),
            }
        })
        .collect()
}
