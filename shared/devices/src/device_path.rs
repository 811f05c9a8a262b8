//! Which paths may name a printer's device file or a serial port. A path is resolved
//! (symlinks, `..`) and must end at a character device of the expected kind, so a setting
//! can never point the print worker at the database or any other file (issue 11, defect 1).
//! Checked when a setting is saved and again when the device is opened.

use crate::DeviceError;
use std::path::PathBuf;

/// What the path is to be opened as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevicePathKind {
    /// A printer's device file (`/dev/usb/lp0`, `/dev/lp0`).
    PrinterDeviceFile,
    /// A serial port: a printer's or a scanner's (`/dev/ttyUSB0`, `/dev/ttyACM0`).
    SerialPort,
}

impl DevicePathKind {
    fn what(self) -> &'static str {
        match self {
            DevicePathKind::PrinterDeviceFile => "a printer device such as /dev/usb/lp0",
            DevicePathKind::SerialPort => "a serial port such as /dev/ttyUSB0 or /dev/ttyACM0",
        }
    }

    /// Linux character-device majors (Documentation/admin-guide/devices.txt).
    #[cfg(target_os = "linux")]
    fn accepts_major(self, major: u64) -> bool {
        match self {
            // 6: parallel printers (lp), 180: USB printers (usblp).
            DevicePathKind::PrinterDeviceFile => matches!(major, 6 | 180),
            // 4: ttyS, 136-143: pseudo-terminals (virtual serial ports), 166: ttyACM,
            // 188: ttyUSB, 204: low-density serial (ttyAMA), 216: Bluetooth RFCOMM.
            DevicePathKind::SerialPort => {
                matches!(major, 4 | 136..=143 | 166 | 188 | 204 | 216)
            }
        }
    }
}

/// The real path of `path` when it names a device of `kind`; otherwise why not.
#[cfg(unix)]
pub fn check_device_path(path: &str, kind: DevicePathKind) -> Result<PathBuf, DeviceError> {
    use std::os::unix::fs::FileTypeExt;
    let refuse = |why: &str| DeviceError::NotADevice {
        port: path.to_owned(),
        why: format!("{why}; give {}", kind.what()),
    };
    let real = std::fs::canonicalize(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DeviceError::NotFound {
            port: path.to_owned(),
        },
        _ => refuse("it cannot be resolved"),
    })?;
    if !real.starts_with("/dev/") {
        return Err(refuse(&format!(
            "it leads to {}, outside /dev",
            real.display()
        )));
    }
    let meta = std::fs::metadata(&real).map_err(|_| refuse("it cannot be examined"))?;
    if !meta.file_type().is_char_device() {
        return Err(refuse("it is not a character device"));
    }
    check_major(&meta, kind).map_err(|m| refuse(&m))?;
    Ok(real)
}

/// Checks a file already opened by path (the device could have been swapped between the
/// check and the open): it must still be a character device of the kind.
#[cfg(unix)]
pub fn check_opened(
    file: &std::fs::File,
    path: &str,
    kind: DevicePathKind,
) -> Result<(), DeviceError> {
    use std::os::unix::fs::FileTypeExt;
    let refuse = |why: String| DeviceError::NotADevice {
        port: path.to_owned(),
        why: format!("{why}; give {}", kind.what()),
    };
    let meta = file
        .metadata()
        .map_err(|_| refuse("it cannot be examined".into()))?;
    if !meta.file_type().is_char_device() {
        return Err(refuse("it is not a character device".into()));
    }
    check_major(&meta, kind).map_err(refuse)
}

#[cfg(target_os = "linux")]
fn check_major(meta: &std::fs::Metadata, kind: DevicePathKind) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let major = device_major(meta.rdev());
    if kind.accepts_major(major) {
        Ok(())
    } else {
        Err(format!("it is a different kind of device (major {major})"))
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn check_major(_meta: &std::fs::Metadata, _kind: DevicePathKind) -> Result<(), String> {
    Ok(())
}

/// glibc's `gnu_dev_major`: the major number of a Linux device id.
#[cfg(target_os = "linux")]
pub fn device_major(rdev: u64) -> u64 {
    ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff)
}

/// Windows names serial ports COM1…; there is no path to escape through.
#[cfg(not(unix))]
pub fn check_device_path(path: &str, kind: DevicePathKind) -> Result<PathBuf, DeviceError> {
    let ok = kind == DevicePathKind::SerialPort
        && path.starts_with("COM")
        && path[3..].parse::<u16>().is_ok_and(|n| n > 0);
    if ok {
        Ok(PathBuf::from(path))
    } else {
        Err(DeviceError::NotADevice {
            port: path.to_owned(),
            why: format!("give {}", kind.what()),
        })
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn majors_of_known_devices() {
        // /dev/null is 1:3, /dev/ttyS0 4:64, /dev/ttyUSB0 188:0 (makedev encoding).
        assert_eq!(device_major((1 << 8) | 3), 1);
        assert_eq!(device_major((4 << 8) | 64), 4);
        assert_eq!(device_major(188 << 8), 188);
        assert_eq!(device_major((0x1_000 << 32) | (5 << 8)), 0x1005);
    }

    #[test]
    fn a_regular_file_or_an_escape_from_dev_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("aliquot.db");
        std::fs::write(&db, b"SQLite format 3\0").unwrap();
        let escaping = format!("/dev/..{}", db.display());
        for kind in [
            DevicePathKind::PrinterDeviceFile,
            DevicePathKind::SerialPort,
        ] {
            let err = check_device_path(&escaping, kind).unwrap_err();
            assert!(matches!(err, DeviceError::NotADevice { .. }), "{err:?}");
            assert!(err.to_string().contains("outside /dev"), "{err}");
            let err = check_device_path(db.to_str().unwrap(), kind).unwrap_err();
            assert!(matches!(err, DeviceError::NotADevice { .. }), "{err:?}");
        }
        // A symlink in /dev-like clothing is followed to what it is.
        let link = dir.path().join("lp0");
        std::os::unix::fs::symlink(&db, &link).unwrap();
        assert!(
            check_device_path(link.to_str().unwrap(), DevicePathKind::PrinterDeviceFile).is_err()
        );
    }

    #[test]
    fn a_character_device_of_another_kind_is_refused() {
        // /dev/null is a character device, but no printer or serial port.
        for kind in [
            DevicePathKind::PrinterDeviceFile,
            DevicePathKind::SerialPort,
        ] {
            let err = check_device_path("/dev/null", kind).unwrap_err();
            assert!(
                err.to_string().contains("different kind of device"),
                "{err}"
            );
        }
        // The controlling terminal is not a serial port either (major 5).
        assert!(check_device_path("/dev/tty", DevicePathKind::SerialPort).is_err());
    }

    #[test]
    fn a_pseudo_terminal_is_a_serial_port_but_not_a_printer_device_file() {
        let (_one, other) = serialport::TTYPort::pair().unwrap();
        let name = serialport::SerialPort::name(&other).unwrap();
        let name = name.as_str();
        assert!(check_device_path(name, DevicePathKind::SerialPort).is_ok());
        assert!(check_device_path(name, DevicePathKind::PrinterDeviceFile).is_err());
    }
}
