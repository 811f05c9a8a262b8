//! Aliquot's report documents. `document`: a report as data. `csv`: the one CSV writer of
//! reports and exports (RFC 4180 quoting, text cells neutralised, an optional BOM, written
//! row by row so an export of any size holds one row in memory). `pdf`: a report as PDF.

pub mod csv;
pub mod document;
pub mod error;
pub mod pdf;

pub use document::*;
pub use error::ReportError;
