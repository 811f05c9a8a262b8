//! Aliquot's devices: barcode scanners and label printers attached to the workstation.
//!
//! Pure parsers (scan framing, classification, HID reports, printer status) sit beside the
//! thin code that opens ports; everything above the port is tested with pseudo-terminals,
//! loopback sockets and fakes behind the same traits.

pub mod device_path;
pub mod printer;
pub mod registry;
pub mod scanner;
pub mod usb;

use thiserror::Error;

/// A device that cannot be used, with a hint the user can act on.
#[derive(Debug, Error)]
pub enum DeviceError {
    #[error("{port} is not there; check the cable and the port name")]
    NotFound { port: String },
    #[error("{port} is not accessible to this user; {fix}")]
    PermissionDenied { port: String, fix: &'static str },
    #[error("{port} is in use by another program; close it and try again")]
    Busy { port: String },
    #[error("{port}: {detail}")]
    Other { port: String, detail: String },
    #[error("{port} is not a device this can be: {why}")]
    NotADevice { port: String, why: String },
}

pub const SERIAL_PERMISSION_FIX: &str =
    "add the user to the dialout group (Linux), sign out and in again, or ask IT";
pub const LP_PERMISSION_FIX: &str =
    "add the user to the lp group (Linux), sign out and in again, or ask IT";
pub const USB_PERMISSION_FIX: &str =
    "install Aliquot's udev rule (README, \"USB devices\"), unplug and replug the device, or ask IT";

impl DeviceError {
    pub(crate) fn from_serial(port: &str, e: serialport::Error) -> Self {
        let port = port.to_owned();
        match e.kind() {
            serialport::ErrorKind::NoDevice => DeviceError::Busy { port },
            serialport::ErrorKind::Io(std::io::ErrorKind::NotFound) => {
                DeviceError::NotFound { port }
            }
            serialport::ErrorKind::Io(std::io::ErrorKind::PermissionDenied) => {
                DeviceError::PermissionDenied {
                    port,
                    fix: SERIAL_PERMISSION_FIX,
                }
            }
            _ => DeviceError::Other {
                port,
                detail: e.to_string(),
            },
        }
    }
}
