//! Label printers: one link trait over every transport, the Zebra status parser, and a
//! registry that opens a printer from its address.

pub mod link;
pub mod status;

pub use link::{open, FakePrinter, LinkError, PrinterAddress, PrinterLink};
