//! Label printers: one link trait over every transport (TCP 9100, serial, device file,
//! USB, fake), and the Zebra status parser.

pub mod link;
pub mod status;
pub mod usb;

pub use link::{open, FakePrinter, LinkError, PrinterAddress, PrinterLink};
