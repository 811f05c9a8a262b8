//! Barcode scanners: framing a byte stream into scans, classifying scans, one reader thread
//! per scanner over its connection (serial or HID POS), and the keyboard-wedge rules the
//! UI applies.

pub mod classify;
pub mod framing;
pub mod hid_pos;
pub mod reader;
pub mod serial;
pub mod wedge;
