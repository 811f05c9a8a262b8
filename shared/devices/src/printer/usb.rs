//! USB label printers through libusb: the printer interface is claimed (the kernel's usblp
//! driver detached for the time), jobs go out on the bulk OUT endpoint and status answers
//! come back on bulk IN. Only byte moving lives here; finding the interface is
//! `usb::descriptor`, tested on descriptor bytes.

use super::link::{read_frames, LinkError, PrinterLink};
use crate::usb::descriptor::PrinterInterface;
use crate::usb::{open_device, usb_error};
use crate::DeviceError;
use rusb::{DeviceHandle, GlobalContext};
use std::io::Read;
use std::time::Duration;

const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
const CHUNK: usize = 16 * 1024;

pub struct UsbPrinterLink {
    handle: DeviceHandle<GlobalContext>,
    interface: PrinterInterface,
}

impl UsbPrinterLink {
    pub fn open(
        vendor_id: u16,
        product_id: u16,
        serial_number: Option<&str>,
    ) -> Result<Self, DeviceError> {
        let name = format!("USB {vendor_id:04x}:{product_id:04x}");
        let (handle, description) = open_device(vendor_id, product_id, serial_number)?;
        let interface = description
            .printer_interface()
            .ok_or_else(|| DeviceError::Other {
                port: name.clone(),
                detail: "this USB device has no printer interface; check the vendor and product id"
                    .into(),
            })?;
        // Linux binds usblp to printer interfaces; libusb detaches it while we hold the
        // interface and gives it back on release.
        let _ = handle.set_auto_detach_kernel_driver(true);
        handle
            .claim_interface(interface.interface)
            .map_err(|e| usb_error(&name, e))?;
        if interface.alternate != 0 {
            handle
                .set_alternate_setting(interface.interface, interface.alternate)
                .map_err(|e| usb_error(&name, e))?;
        }
        Ok(UsbPrinterLink { handle, interface })
    }
}

impl PrinterLink for UsbPrinterLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        for chunk in bytes.chunks(CHUNK) {
            let mut sent = 0;
            while sent < chunk.len() {
                sent += self
                    .handle
                    .write_bulk(self.interface.bulk_out, &chunk[sent..], WRITE_TIMEOUT)
                    .map_err(|e| LinkError::Broken(e.to_string()))?;
            }
        }
        Ok(())
    }

    fn query(
        &mut self,
        request: &[u8],
        frames: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, LinkError> {
        let Some(endpoint) = self.interface.bulk_in else {
            return Err(LinkError::WriteOnly);
        };
        self.send(request)?;
        let mut reader = BulkIn {
            handle: &self.handle,
            endpoint,
        };
        read_frames(&mut reader, frames, timeout)
    }

    fn reads_back(&self) -> bool {
        self.interface.bulk_in.is_some()
    }
}

impl Drop for UsbPrinterLink {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.interface.interface);
    }
}

/// The bulk IN endpoint as a reader, so status answers are collected like on any link.
struct BulkIn<'a> {
    handle: &'a DeviceHandle<GlobalContext>,
    endpoint: u8,
}

impl Read for BulkIn<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self
            .handle
            .read_bulk(self.endpoint, buf, Duration::from_millis(100))
        {
            // A zero-length packet is no answer yet, not a closed link.
            Ok(0) | Err(rusb::Error::Timeout) => Err(std::io::ErrorKind::TimedOut.into()),
            Ok(n) => Ok(n),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        }
    }
}
