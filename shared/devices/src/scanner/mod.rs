//! Barcode scanners: framing a byte stream into scans, classifying scans, the serial
//! reader, HID POS reports, and the keyboard-wedge rules the UI applies.

pub mod classify;
pub mod framing;
pub mod serial;
pub mod wedge;
