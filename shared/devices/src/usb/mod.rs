//! USB devices through libusb (rusb): finding an attached device by its ids and reading
//! its descriptors. Everything that can be decided from bytes is in the pure parsers
//! ([`descriptor`], [`hid_pos`]); what remains here needs a device and is kept thin.

pub mod descriptor;
pub mod hid_pos;

use crate::DeviceError;
use descriptor::UsbDescription;
use rusb::{DeviceHandle, GlobalContext};
use std::time::Duration;

const CONTROL_TIMEOUT: Duration = Duration::from_secs(1);
/// bmRequestType: device to host, standard, to the device / to an interface.
const FROM_DEVICE: u8 = 0x80;
const FROM_INTERFACE: u8 = 0x81;
const GET_DESCRIPTOR: u8 = 0x06;

/// A libusb error as something the user can act on.
pub fn usb_error(device: &str, e: rusb::Error) -> DeviceError {
    let port = device.to_owned();
    match e {
        rusb::Error::Access => DeviceError::PermissionDenied {
            port,
            fix: crate::USB_PERMISSION_FIX,
        },
        rusb::Error::Busy => DeviceError::Busy { port },
        rusb::Error::NoDevice | rusb::Error::NotFound => DeviceError::NotFound { port },
        other => DeviceError::Other {
            port,
            detail: other.to_string(),
        },
    }
}

/// Opens the attached device with these ids (and serial number, when several are
/// attached) and reads its descriptors.
pub fn open_device(
    vendor_id: u16,
    product_id: u16,
    serial_number: Option<&str>,
) -> Result<(DeviceHandle<GlobalContext>, UsbDescription), DeviceError> {
    let name = format!("USB {vendor_id:04x}:{product_id:04x}");
    let devices = rusb::devices().map_err(|e| usb_error(&name, e))?;
    let mut refusal = None;
    for device in devices.iter() {
        let Ok(ids) = device.device_descriptor() else {
            continue;
        };
        if (ids.vendor_id(), ids.product_id()) != (vendor_id, product_id) {
            continue;
        }
        let handle = match device.open() {
            Ok(handle) => handle,
            Err(e) => {
                refusal = Some(usb_error(&name, e));
                continue;
            }
        };
        if let Some(wanted) = serial_number {
            if handle.read_serial_number_string_ascii(&ids).ok().as_deref() != Some(wanted) {
                continue;
            }
        }
        let bytes = read_descriptors(&handle).map_err(|e| usb_error(&name, e))?;
        let description = descriptor::parse(&bytes).map_err(|e| DeviceError::Other {
            port: name.clone(),
            detail: e.to_string(),
        })?;
        return Ok((handle, description));
    }
    Err(refusal.unwrap_or(DeviceError::NotFound { port: name }))
}

/// The device descriptor and the first configuration in full: the bytes
/// [`descriptor::parse`] reads.
fn read_descriptors(handle: &DeviceHandle<GlobalContext>) -> rusb::Result<Vec<u8>> {
    let mut device = [0u8; 18];
    let n = handle.read_control(
        FROM_DEVICE,
        GET_DESCRIPTOR,
        0x0100,
        0,
        &mut device,
        CONTROL_TIMEOUT,
    )?;
    let mut header = [0u8; 9];
    handle.read_control(
        FROM_DEVICE,
        GET_DESCRIPTOR,
        0x0200,
        0,
        &mut header,
        CONTROL_TIMEOUT,
    )?;
    let total = usize::from(u16::from_le_bytes([header[2], header[3]])).clamp(9, 4096);
    let mut configuration = vec![0u8; total];
    let m = handle.read_control(
        FROM_DEVICE,
        GET_DESCRIPTOR,
        0x0200,
        0,
        &mut configuration,
        CONTROL_TIMEOUT,
    )?;
    let mut bytes = device[..n].to_vec();
    bytes.extend_from_slice(&configuration[..m]);
    Ok(bytes)
}

/// A HID interface's report descriptor.
pub fn read_report_descriptor(
    handle: &DeviceHandle<GlobalContext>,
    interface: u8,
    length: u16,
) -> rusb::Result<Vec<u8>> {
    let mut bytes = vec![0u8; usize::from(length.clamp(1, 4096))];
    let n = handle.read_control(
        FROM_INTERFACE,
        GET_DESCRIPTOR,
        0x2200,
        u16::from(interface),
        &mut bytes,
        CONTROL_TIMEOUT,
    )?;
    bytes.truncate(n);
    Ok(bytes)
}
