//! USB descriptors as bytes → what a device offers: its ids, and each interface's class and
//! endpoints. The input is the device descriptor followed by its configuration descriptors,
//! as the Linux kernel exposes them in `/sys/bus/usb/devices/*/descriptors` (readable by any
//! user, so listing never needs to open a device) and as a GET_DESCRIPTOR request returns
//! them. Pure: tested on descriptor bytes, never on a device.

use std::fmt;

/// Zebra Technologies' USB vendor id.
pub const ZEBRA_VENDOR_ID: u16 = 0x0A5F;
/// Label printer makers whose printers may use a vendor-specific interface instead of the
/// printer class: Zebra, TSC, Brady, SATO, Honeywell (Intermec/Datamax).
pub const LABEL_PRINTER_VENDORS: [u16; 5] = [ZEBRA_VENDOR_ID, 0x1203, 0x0E2E, 0x0828, 0x1664];

pub const CLASS_HID: u8 = 0x03;
pub const CLASS_PRINTER: u8 = 0x07;
pub const CLASS_VENDOR: u8 = 0xFF;

const DEVICE: u8 = 1;
const CONFIGURATION: u8 = 2;
const INTERFACE: u8 = 4;
const ENDPOINT: u8 = 5;
const HID: u8 = 0x21;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescriptorError {
    /// The bytes end inside a descriptor.
    Truncated { at: usize },
    /// A descriptor claims a length shorter than its own header.
    BadLength { at: usize, length: u8 },
    /// The bytes do not start with a device descriptor.
    NotADevice,
}

impl fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescriptorError::Truncated { at } => write!(f, "descriptor cut short at byte {at}"),
            DescriptorError::BadLength { at, length } => {
                write!(
                    f,
                    "descriptor at byte {at} has an impossible length {length}"
                )
            }
            DescriptorError::NotADevice => write!(f, "not a USB device descriptor"),
        }
    }
}

impl std::error::Error for DescriptorError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferType {
    Control,
    Isochronous,
    Bulk,
    Interrupt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The endpoint address; bit 7 set means IN (device to host).
    pub address: u8,
    pub transfer: TransferType,
    pub max_packet_size: u16,
}

impl Endpoint {
    pub fn is_in(&self) -> bool {
        self.address & 0x80 != 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub number: u8,
    pub alternate: u8,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
    pub endpoints: Vec<Endpoint>,
    /// For a HID interface, the length of its report descriptor.
    pub hid_report_length: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbDescription {
    pub vendor_id: u16,
    pub product_id: u16,
    pub device_class: u8,
    pub configuration: u8,
    pub interfaces: Vec<Interface>,
}

/// How to talk to a printer: which interface to claim and its bulk endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrinterInterface {
    pub interface: u8,
    pub alternate: u8,
    pub bulk_out: u8,
    /// Present on bidirectional printers; status (`~HS`) is read here.
    pub bulk_in: Option<u8>,
}

/// A HID interface and the endpoint its input reports arrive on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HidInterface {
    pub interface: u8,
    pub interrupt_in: u8,
    pub report_descriptor_length: u16,
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// Parses a device descriptor and the configuration that follows it. Descriptors of other
/// types (strings, class-specific, vendor) are skipped by their length.
pub fn parse(bytes: &[u8]) -> Result<UsbDescription, DescriptorError> {
    let mut at = 0;
    let mut description: Option<UsbDescription> = None;
    while at < bytes.len() {
        if bytes.len() - at < 2 {
            return Err(DescriptorError::Truncated { at });
        }
        let (length, kind) = (bytes[at], bytes[at + 1]);
        if length < 2 {
            return Err(DescriptorError::BadLength { at, length });
        }
        let end = at + usize::from(length);
        if end > bytes.len() {
            return Err(DescriptorError::Truncated { at });
        }
        let d = &bytes[at..end];
        let need = |n: usize| {
            if d.len() < n {
                Err(DescriptorError::BadLength { at, length })
            } else {
                Ok(())
            }
        };
        match (kind, description.as_mut()) {
            (DEVICE, None) => {
                need(18)?;
                description = Some(UsbDescription {
                    vendor_id: u16_at(d, 8),
                    product_id: u16_at(d, 10),
                    device_class: d[4],
                    configuration: 0,
                    interfaces: Vec::new(),
                });
            }
            (_, None) => return Err(DescriptorError::NotADevice),
            (CONFIGURATION, Some(desc)) => {
                need(9)?;
                // Only the first configuration: printers and scanners have one.
                if desc.configuration != 0 {
                    break;
                }
                desc.configuration = d[5];
            }
            (INTERFACE, Some(desc)) => {
                need(9)?;
                desc.interfaces.push(Interface {
                    number: d[2],
                    alternate: d[3],
                    class: d[5],
                    subclass: d[6],
                    protocol: d[7],
                    endpoints: Vec::new(),
                    hid_report_length: None,
                });
            }
            (ENDPOINT, Some(desc)) => {
                need(7)?;
                if let Some(interface) = desc.interfaces.last_mut() {
                    interface.endpoints.push(Endpoint {
                        address: d[2],
                        transfer: match d[3] & 0x03 {
                            0 => TransferType::Control,
                            1 => TransferType::Isochronous,
                            2 => TransferType::Bulk,
                            _ => TransferType::Interrupt,
                        },
                        max_packet_size: u16_at(d, 4) & 0x07FF,
                    });
                }
            }
            (HID, Some(desc)) => {
                need(9)?;
                if let Some(interface) = desc.interfaces.last_mut() {
                    // The first class descriptor listed is the report descriptor (type 0x22).
                    if d[6] == 0x22 {
                        interface.hid_report_length = Some(u16_at(d, 7));
                    }
                }
            }
            _ => {}
        }
        at = end;
    }
    description.ok_or(DescriptorError::NotADevice)
}

impl UsbDescription {
    /// The interface a label printer takes jobs on: a printer-class interface (7/1) with a
    /// bulk OUT endpoint, or, on a known label printer maker's device, a vendor-specific one.
    pub fn printer_interface(&self) -> Option<PrinterInterface> {
        let known_maker = LABEL_PRINTER_VENDORS.contains(&self.vendor_id);
        self.interfaces
            .iter()
            .filter(|i| {
                (i.class == CLASS_PRINTER && i.subclass == 1)
                    || (known_maker && i.class == CLASS_VENDOR)
            })
            .find_map(|i| {
                let bulk = |inward: bool| {
                    i.endpoints
                        .iter()
                        .find(|e| e.transfer == TransferType::Bulk && e.is_in() == inward)
                        .map(|e| e.address)
                };
                Some(PrinterInterface {
                    interface: i.number,
                    alternate: i.alternate,
                    bulk_out: bulk(false)?,
                    bulk_in: bulk(true),
                })
            })
    }

    /// HID interfaces with an interrupt IN endpoint (keyboards, mice, HID POS scanners);
    /// the report descriptor says which is a scanner.
    pub fn hid_interfaces(&self) -> Vec<HidInterface> {
        self.interfaces
            .iter()
            .filter(|i| i.class == CLASS_HID)
            .filter_map(|i| {
                let endpoint = i
                    .endpoints
                    .iter()
                    .find(|e| e.transfer == TransferType::Interrupt && e.is_in())?;
                Some(HidInterface {
                    interface: i.number,
                    interrupt_in: endpoint.address,
                    report_descriptor_length: i.hid_report_length.unwrap_or(0),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A Roland SRM-20 (0b75:039f), a USB printer-class device, transcribed byte for byte
    /// from its published `lsusb -v`: one bidirectional printer interface (7/1/2), bulk
    /// OUT 0x01 and bulk IN 0x82, 64-byte packets.
    const PRINTER_CLASS_DEVICE: [u8; 50] = [
        0x12, 0x01, 0x10, 0x01, 0x00, 0x00, 0x00, 0x40, 0x75, 0x0B, 0x9F, 0x03, 0x00, 0x00, 0x01,
        0x02, 0x03, 0x01, // device
        0x09, 0x02, 0x20, 0x00, 0x01, 0x01, 0x00, 0x40, 0x01, // configuration, 32 bytes
        0x09, 0x04, 0x00, 0x00, 0x02, 0x07, 0x01, 0x02, 0x00, // interface 0: printer
        0x07, 0x05, 0x01, 0x02, 0x40, 0x00, 0x00, // EP 1 OUT bulk
        0x07, 0x05, 0x82, 0x02, 0x40, 0x00, 0x00, // EP 2 IN bulk
    ];

    /// A root hub (1d6b:0002) transcribed from a published `lsusb -v`: no printer, no HID.
    const ROOT_HUB: [u8; 43] = [
        0x12, 0x01, 0x00, 0x02, 0x09, 0x00, 0x00, 0x40, 0x6B, 0x1D, 0x02, 0x00, 0x06, 0x02, 0x03,
        0x02, 0x01, 0x01, // device
        0x09, 0x02, 0x19, 0x00, 0x01, 0x01, 0x00, 0xE0, 0x00, // configuration
        0x09, 0x04, 0x00, 0x00, 0x01, 0x09, 0x00, 0x00, 0x00, // interface: hub
        0x07, 0x05, 0x81, 0x03, 0x04, 0x00, 0x0C, // EP 1 IN interrupt
    ];

    /// A Zebra printer as the printer class lays it out, with Zebra's vendor id, a
    /// vendor-specific alternate interface first, and a string descriptor in between (not
    /// a capture: no Zebra was attached here).
    const ZEBRA_SHAPED: [u8; 63] = [
        0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x5F, 0x0A, 0x66, 0x01, 0x00, 0x01, 0x01,
        0x02, 0x03, 0x01, // device 0a5f:0166
        0x09, 0x02, 0x2D, 0x00, 0x01, 0x01, 0x00, 0xC0, 0x01, // configuration
        0x09, 0x04, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00,
        0x00, // vendor interface, no endpoints
        0x04, 0x03, 0x09, 0x04, // a string descriptor (skipped)
        0x09, 0x04, 0x00, 0x01, 0x02, 0x07, 0x01, 0x02, 0x00, // alt 1: printer
        0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00, // EP 1 IN bulk 512
        0x07, 0x05, 0x01, 0x02, 0x00, 0x02, 0x00, // EP 1 OUT bulk 512
    ];

    /// A HID POS scanner: a HID interface with its HID descriptor (report descriptor of
    /// 0x0155 bytes) and interrupt IN 0x83.
    const HID_SCANNER: [u8; 52] = [
        0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x2E, 0x0C, 0x87, 0x0B, 0x00, 0x01, 0x01,
        0x02, 0x03, 0x01, // device 0c2e:0b87
        0x09, 0x02, 0x22, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32, // configuration
        0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, // interface: HID
        0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x55, 0x01, // HID descriptor
        0x07, 0x05, 0x83, 0x03, 0x40, 0x00, 0x01, // EP 3 IN interrupt
    ];

    #[test]
    fn a_printer_class_device_gives_its_bulk_endpoints() {
        let d = parse(&PRINTER_CLASS_DEVICE).unwrap();
        assert_eq!((d.vendor_id, d.product_id), (0x0B75, 0x039F));
        assert_eq!(
            d.printer_interface(),
            Some(PrinterInterface {
                interface: 0,
                alternate: 0,
                bulk_out: 0x01,
                bulk_in: Some(0x82)
            })
        );
        assert!(d.hid_interfaces().is_empty());
    }

    #[test]
    fn a_zebra_uses_the_alternate_setting_with_endpoints() {
        let d = parse(&ZEBRA_SHAPED).unwrap();
        assert_eq!(d.vendor_id, ZEBRA_VENDOR_ID);
        assert_eq!(
            d.printer_interface(),
            Some(PrinterInterface {
                interface: 0,
                alternate: 1,
                bulk_out: 0x01,
                bulk_in: Some(0x81)
            })
        );
        assert_eq!(d.interfaces[1].endpoints[0].max_packet_size, 512);
    }

    #[test]
    fn a_hub_is_neither_printer_nor_scanner() {
        let d = parse(&ROOT_HUB).unwrap();
        assert_eq!(d.device_class, 9);
        assert_eq!(d.printer_interface(), None);
        assert!(d.hid_interfaces().is_empty());
    }

    #[test]
    fn a_hid_interface_gives_its_report_length_and_endpoint() {
        let d = parse(&HID_SCANNER).unwrap();
        assert_eq!(
            d.hid_interfaces(),
            vec![HidInterface {
                interface: 0,
                interrupt_in: 0x83,
                report_descriptor_length: 0x0155
            }]
        );
    }

    #[test]
    fn broken_descriptors_are_refused() {
        assert_eq!(
            parse(&PRINTER_CLASS_DEVICE[..40]),
            Err(DescriptorError::Truncated { at: 36 })
        );
        let mut zero = PRINTER_CLASS_DEVICE;
        zero[18] = 0;
        assert_eq!(
            parse(&zero),
            Err(DescriptorError::BadLength { at: 18, length: 0 })
        );
        assert_eq!(
            parse(&PRINTER_CLASS_DEVICE[18..]),
            Err(DescriptorError::NotADevice)
        );
        assert_eq!(parse(&[]), Err(DescriptorError::NotADevice));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn damaged_real_descriptors_never_panic(at in 0usize..50, value in any::<u8>()) {
            let mut bytes = PRINTER_CLASS_DEVICE;
            bytes[at] = value;
            let _ = parse(&bytes);
        }
    }
}
