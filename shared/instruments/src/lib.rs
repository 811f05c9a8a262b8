//! Instrument result files, read. Each format has one parser, a pure function from the
//! file's bytes to [`RawResult`]s: a plate (where the file names one), a well, the read it
//! belongs to (a wavelength, a target, a calculated column), the value as the file wrote it
//! and its unit. A parser knows nothing of samples, runs or plate maps: matching wells to
//! tubes is the importer's, in the store. [`parse`] reads a file in any of the domain's
//! [`ResultFormat`]s.
//!
//! What real files throw at a parser is handled once, here: [`text`] decodes UTF-8 with or
//! without a BOM and UTF-16 (LE or BE), reads CR, LF and CRLF alike and splits every file into
//! cells through one function, [`text::records`], which numbers lines as an editor does;
//! [`reading`] keeps censored values (`< 40`, `OOR >`) as censored and instrument flags
//! (`OVRFLW`, `MISSED`, `Undetermined`, `NaN`) as flags, never as numbers, reads decimal
//! commas, guesses a file's decimal mark and reads units. A file a parser does not understand
//! is refused with the line and the reason ([`ParseError`]).
//! Result sets made elsewhere (Olink NPX, long CSVs), by sample code not well: [`result_set`].
//!
//! The shared types are the domain's (`aliquot-domain`), not copies: a well is the domain's
//! storage `Position` (named [`Well`] here; `A1`, `A01` and `      A1` are the same well), and
//! [`ResultFormat`], [`DecimalMark`], [`CsvMapping`], [`PositionKind`] and [`ValueColumn`] are
//! re-exported from `aliquot_domain::instruments`. This crate's own `Format` enum, `well`
//! module and mapping types are gone; [`parse`] takes the domain's [`ResultFormat`].

#![forbid(unsafe_code)]

pub mod bmg_mars;
pub mod cfx;
pub mod error;
pub mod gen5;
pub mod luminex;
pub mod mapped;
pub mod nanodrop;
pub mod plate_map;
pub mod quantstudio;
pub mod qubit;
pub mod reading;
pub mod result_set;
mod sample_table;
pub mod softmax_pro;
pub mod text;
pub mod vi_cell;

pub use aliquot_domain::instruments::{
    CsvMapping, DecimalMark, PositionKind, ResultFormat, ValueColumn,
};
/// A well of a plate: the domain's position (rows A–AF, columns 1–48, counted from 0).
pub use aliquot_domain::storage::Position as Well;
pub use error::ParseError;
pub use reading::{Bound, Flag, Reading};

use serde::Serialize;

/// Where a value was measured: a well of a plate, or (instruments that read one tube at a
/// time: NanoDrop, Qubit, Vi-CELL) the sample name or id the instrument was given, which the
/// importer matches to a tube's code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "at", rename_all = "snake_case")]
pub enum Position {
    Well(Well),
    Sample(String),
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Well(w) => w.fmt(f),
            Position::Sample(s) => f.write_str(s),
        }
    }
}

/// One value of one well (or sample), as the file gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawResult {
    /// The plate's name in the file, where it names one.
    pub plate: Option<String>,
    pub position: Position,
    /// Which measurement of the well this is: a wavelength's read, a target, a calculated
    /// column ("630nmAbsRead:630", "[Concentration]").
    pub read: String,
    pub value: Reading,
    pub unit: Option<String>,
}

/// Reads a file written in `format`. A generic CSV ([`ResultFormat::MappedCsv`]) is read
/// through `mapping`, and is refused without one; every other format is read by its own
/// parser, and a mapping given with it is ignored.
pub fn parse(
    format: ResultFormat,
    bytes: &[u8],
    mapping: Option<&CsvMapping>,
) -> Result<Vec<RawResult>, ParseError> {
    match format {
        ResultFormat::Gen5 => gen5::parse(bytes),
        ResultFormat::QuantStudio => quantstudio::parse(bytes),
        ResultFormat::BmgMars => bmg_mars::parse(bytes),
        ResultFormat::SoftMaxPro => softmax_pro::parse(bytes),
        ResultFormat::Luminex => luminex::parse(bytes),
        ResultFormat::Cfx => cfx::parse(bytes),
        ResultFormat::NanoDrop => nanodrop::parse(bytes),
        ResultFormat::Qubit => qubit::parse(bytes),
        ResultFormat::ViCell => vi_cell::parse(bytes),
        ResultFormat::MappedCsv => match mapping {
            Some(mapping) => mapped::parse(bytes, mapping),
            None => Err(ParseError::Missing(
                "a generic CSV is read through its mapping (which columns hold the well or \
                 sample and the values), and none was given: save the instrument's CSV mapping"
                    .into(),
            )),
        },
    }
}
