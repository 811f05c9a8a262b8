//! USB scanners in HID POS mode, through libusb: the interface whose report descriptor
//! declares a bar code scanner is claimed (the kernel's HID driver detached for the time),
//! its interrupt reports joined into codes, and each code checked by the same framer as a
//! serial scan (prefix and suffix stripped, characters and length checked). This file only
//! moves bytes; the report parsing is `usb::hid_pos`, tested without a device.

use super::framing::{Framed, FramingSettings, ScanFramer, ScanRefusal, Terminator};
use super::reader::{ScanEvent, ScanSource, ScannerReader, READ_TIMEOUT};
use crate::usb::hid_pos::{is_barcode_scanner, Assembled, ReportAssembler, REPORT_LENGTH};
use crate::usb::{open_device, read_report_descriptor, usb_error};
use crate::DeviceError;
use rusb::{DeviceHandle, GlobalContext};

struct HidPosSource {
    handle: DeviceHandle<GlobalContext>,
    interface: u8,
    endpoint: u8,
    scans: ReportScans,
}

/// Reports in, checked scans out: the reports of a code are joined, then the code goes
/// through the same framer as a serial scan.
pub struct ReportScans {
    assembler: ReportAssembler,
    framer: ScanFramer,
    max_length: usize,
}

impl ReportScans {
    pub fn new(framing: &FramingSettings) -> Self {
        ReportScans {
            assembler: ReportAssembler::new(framing.max_length),
            framer: ScanFramer::new(FramingSettings {
                terminator: Terminator::Cr,
                ..framing.clone()
            }),
            max_length: framing.max_length,
        }
    }

    pub fn feed(&mut self, report: &[u8]) -> Vec<Framed> {
        match self.assembler.feed(report) {
            None => Vec::new(),
            Some(Assembled::TooLong) => vec![Err(ScanRefusal::TooLong {
                max: self.max_length,
            })],
            Some(Assembled::Code(mut code)) => {
                // The report gave the code's end; the framer sees it as a line.
                code.push(b'\r');
                self.framer.feed(&code)
            }
        }
    }
}

impl ScanSource for HidPosSource {
    fn next_scans(&mut self) -> std::io::Result<Vec<Framed>> {
        let mut report = [0u8; 2 * REPORT_LENGTH];
        match self
            .handle
            .read_interrupt(self.endpoint, &mut report, READ_TIMEOUT)
        {
            Ok(n) => Ok(self.scans.feed(&report[..n])),
            Err(rusb::Error::Timeout | rusb::Error::Interrupted) => Ok(Vec::new()),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        }
    }
}

impl Drop for HidPosSource {
    fn drop(&mut self) {
        // Releasing gives the interface back to the kernel's HID driver.
        let _ = self.handle.release_interface(self.interface);
    }
}

/// Finds the scanner by its USB ids and starts reading it.
pub fn open(
    vendor_id: u16,
    product_id: u16,
    framing: &FramingSettings,
    sink: impl Fn(ScanEvent) + Send + 'static,
) -> Result<ScannerReader, DeviceError> {
    let name = format!("USB {vendor_id:04x}:{product_id:04x}");
    let (handle, description) = open_device(vendor_id, product_id, None)?;
    let _ = handle.set_auto_detach_kernel_driver(true);
    let interface = description
        .hid_interfaces()
        .into_iter()
        .find(|hid| {
            read_report_descriptor(&handle, hid.interface, hid.report_descriptor_length)
                .is_ok_and(|d| is_barcode_scanner(&d))
        })
        .ok_or_else(|| DeviceError::Other {
            port: name.clone(),
            detail: "this device has no HID POS interface; set the scanner to \"USB HID POS\" \
                     mode (see its manual) or use it as a keyboard-wedge scanner"
                .into(),
        })?;
    handle
        .claim_interface(interface.interface)
        .map_err(|e| usb_error(&name, e))?;
    let source = HidPosSource {
        handle,
        interface: interface.interface,
        endpoint: interface.interrupt_in,
        scans: ReportScans::new(framing),
    };
    Ok(ScannerReader::start(source, name, sink))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(data: &[u8], continued: bool) -> Vec<u8> {
        let mut r = vec![0u8; REPORT_LENGTH];
        r[0] = crate::usb::hid_pos::SCANNED_DATA_REPORT_ID;
        r[1] = u8::try_from(data.len()).unwrap();
        r[2..5].copy_from_slice(b"]d2");
        r[5..5 + data.len()].copy_from_slice(data);
        r[REPORT_LENGTH - 1] = u8::from(continued);
        r
    }

    #[test]
    fn reports_are_checked_like_serial_scans() {
        let mut scans = ReportScans::new(&FramingSettings {
            prefix: "#".into(),
            max_length: 60,
            ..FramingSettings::default()
        });
        assert_eq!(
            scans.feed(&report(b"#AQ000042X", false)),
            vec![Ok("AQ000042X".into())]
        );
        // A scanner set to add CR itself: still one scan.
        assert_eq!(
            scans.feed(&report(b"BX1101\r", false)),
            vec![Ok("BX1101".into())]
        );
        assert_eq!(
            scans.feed(&report(b"AQ\x07", false)),
            vec![Err(ScanRefusal::ControlCharacter { byte: 7 })]
        );
        assert_eq!(scans.feed(&report(&[b'A'; 56], true)), vec![]);
        assert_eq!(
            scans.feed(&report(&[b'A'; 10], false)),
            vec![Err(ScanRefusal::TooLong { max: 60 })]
        );
        // A status report from the scanner is no scan.
        assert_eq!(scans.feed(&[0x04, 0x00, 0x01]), vec![]);
    }
}
