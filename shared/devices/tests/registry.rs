//! Device listing over a directory tree laid out like sysfs and /dev: the same code that
//! reads `/sys/bus/usb/devices` on a workstation.

use aliquot_devices::registry::{self, DeviceKind, Roots};
use aliquot_domain::printing::PrinterAddress;
use aliquot_domain::scanning::ScannerSettings;
use std::fs;
use std::path::Path;

/// A printer-class device (Roland SRM-20, 0b75:039f) as its `lsusb -v` shows it.
const PRINTER: [u8; 50] = [
    0x12, 0x01, 0x10, 0x01, 0x00, 0x00, 0x00, 0x40, 0x75, 0x0B, 0x9F, 0x03, 0x00, 0x00, 0x01, 0x02,
    0x03, 0x01, 0x09, 0x02, 0x20, 0x00, 0x01, 0x01, 0x00, 0x40, 0x01, 0x09, 0x04, 0x00, 0x00, 0x02,
    0x07, 0x01, 0x02, 0x00, 0x07, 0x05, 0x01, 0x02, 0x40, 0x00, 0x00, 0x07, 0x05, 0x82, 0x02, 0x40,
    0x00, 0x00,
];

/// A HID device (0c2e:0b87) with one interrupt IN endpoint.
const HID: [u8; 52] = [
    0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x2E, 0x0C, 0x87, 0x0B, 0x00, 0x01, 0x01, 0x02,
    0x03, 0x01, 0x09, 0x02, 0x22, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32, 0x09, 0x04, 0x00, 0x00, 0x01,
    0x03, 0x00, 0x00, 0x00, 0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x1E, 0x00, 0x07, 0x05, 0x83,
    0x03, 0x40, 0x00, 0x01,
];

const SCANNER_REPORT_DESCRIPTOR: &[u8] = &[
    0x06, 0x8C, 0x00, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02, 0xC0, 0xC0,
];
const KEYBOARD_REPORT_DESCRIPTOR: &[u8] = &[0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0xC0];

fn device(root: &Path, name: &str, bytes: &[u8], files: &[(&str, &str)]) {
    let dir = root.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("descriptors"), bytes).unwrap();
    for (file, text) in files {
        fs::write(dir.join(file), format!("{text}\n")).unwrap();
    }
}

fn hid_interface(root: &Path, name: &str, report_descriptor: &[u8]) {
    let dir = root.join(name).join("0003:0C2E:0B87.0001");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("report_descriptor"), report_descriptor).unwrap();
}

fn tree() -> (tempfile::TempDir, Roots) {
    let tmp = tempfile::tempdir().unwrap();
    let roots = Roots {
        usb_devices: tmp.path().join("sys/bus/usb/devices"),
        dev: tmp.path().join("dev"),
    };
    fs::create_dir_all(&roots.usb_devices).unwrap();
    fs::create_dir_all(roots.dev.join("bus/usb/001")).unwrap();
    fs::create_dir_all(roots.dev.join("usb")).unwrap();
    (tmp, roots)
}

#[test]
fn usb_printers_and_hid_pos_scanners_are_listed_with_their_addresses() {
    let (_tmp, roots) = tree();
    device(
        &roots.usb_devices,
        "1-1",
        &PRINTER,
        &[
            ("manufacturer", "Roland DG"),
            ("product", "SRM-20"),
            ("serial", "A"),
            ("busnum", "1"),
            ("devnum", "4"),
        ],
    );
    fs::write(roots.dev.join("bus/usb/001/004"), b"").unwrap();
    device(
        &roots.usb_devices,
        "1-2",
        &HID,
        &[("busnum", "1"), ("devnum", "5")],
    );
    hid_interface(&roots.usb_devices, "1-2:1.0", SCANNER_REPORT_DESCRIPTOR);
    // A keyboard: HID, but not a scanner; and junk descriptors: skipped.
    device(&roots.usb_devices, "1-3", &HID, &[]);
    hid_interface(&roots.usb_devices, "1-3:1.0", KEYBOARD_REPORT_DESCRIPTOR);
    device(&roots.usb_devices, "1-4", &[0x01, 0x02, 0x03], &[]);

    let found = registry::usb_devices(&roots);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].kind, DeviceKind::Printer);
    assert_eq!(found[0].name, "Roland DG SRM-20 (USB 0b75:039f)");
    assert_eq!(
        found[0].printer_address,
        Some(PrinterAddress::Usb {
            vendor_id: 0x0b75,
            product_id: 0x039f,
            serial_number: Some("A".into())
        })
    );
    assert_eq!(found[0].problem, None);
    assert_eq!(found[1].kind, DeviceKind::Scanner);
    assert!(matches!(
        found[1].scanner,
        Some(ScannerSettings::UsbHidPos {
            vendor_id: 0x0c2e,
            product_id: 0x0b87,
            ..
        })
    ));
    // Its device node is missing: the listing says so, with what to do.
    let problem = found[1].problem.as_deref().unwrap();
    assert!(
        problem.contains("001/005 is missing; unplug and replug"),
        "{problem}"
    );
}

#[test]
fn printer_device_files_are_listed() {
    let (_tmp, roots) = tree();
    fs::write(roots.dev.join("usb/lp0"), b"").unwrap();
    fs::write(roots.dev.join("usb/hiddev0"), b"").unwrap();
    let found = registry::printer_files(&roots);
    assert_eq!(found.len(), 1);
    assert!(matches!(
        &found[0].printer_address,
        Some(PrinterAddress::DeviceFile { path }) if path.ends_with("usb/lp0")
    ));
}

#[test]
fn each_open_problem_says_what_to_do() {
    let path = Path::new("/dev/bus/usb/001/004");
    let denied = registry::open_problem(
        path,
        std::io::ErrorKind::PermissionDenied,
        aliquot_devices::USB_PERMISSION_FIX,
    );
    assert_eq!(
        denied,
        "/dev/bus/usb/001/004 is not accessible to this user; install Aliquot's udev rule (README, \"USB devices\"), unplug and replug the device, or ask IT"
    );
    let busy = registry::open_problem(path, std::io::ErrorKind::ResourceBusy, "");
    assert!(busy.contains("in use by another program"), "{busy}");
}
