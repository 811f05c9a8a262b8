//! Instrument result files, read. Each format has one parser, a pure function from the
//! file's bytes to [`RawResult`]s: a plate (where the file names one), a well, the read it
//! belongs to (a wavelength, a target, a calculated column), the value as the file wrote it
//! and its unit. A parser knows nothing of samples, runs or plate maps: matching wells to
//! tubes is the importer's, in the store.
//!
//! What real files throw at a parser is handled once, here: [`text`] decodes UTF-8 with or
//! without a BOM and UTF-16 (LE or BE) and reads CR, LF and CRLF alike; [`well`] reads `A1`,
//! `A01` and `      A1` as the same well; [`reading`] keeps censored values (`< 40`, `OOR >`)
//! as censored and instrument flags (`OVRFLW`, `MISSED`, `Undetermined`, `NaN`) as flags,
//! never as numbers, and reads decimal commas. A file a parser does not understand is refused
//! with the line and the reason ([`ParseError`]).

#![forbid(unsafe_code)]

pub mod bmg_mars;
pub mod cfx;
pub mod error;
pub mod gen5;
pub mod luminex;
pub mod mapped;
pub mod nanodrop;
pub mod quantstudio;
pub mod qubit;
pub mod reading;
pub mod softmax_pro;
pub mod text;
pub mod vi_cell;
pub mod well;

pub use error::ParseError;
pub use reading::{Bound, Flag, Reading};
pub use well::Well;

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

/// The formats Aliquot reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// BioTek (Agilent) Gen5 plate-reader text export.
    Gen5,
    /// Applied Biosystems QuantStudio / ViiA 7 qPCR results `.txt`.
    QuantStudio,
    /// BMG LABTECH MARS plate-reader CSV (96, 384 and 1536 wells).
    BmgMars,
    /// Molecular Devices SoftMax Pro plate-reader text export (UTF-16).
    SoftMaxPro,
    /// Luminex xPONENT bead-array CSV.
    Luminex,
    /// Bio-Rad CFX Maestro qPCR CSV.
    Cfx,
    /// Thermo Fisher NanoDrop Eight nucleic-acid export.
    NanoDrop,
    /// Thermo Fisher Qubit 4 fluorometer CSV.
    Qubit,
    /// Beckman Coulter Vi-CELL BLU cell-counter CSV.
    ViCell,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Gen5,
        Format::QuantStudio,
        Format::BmgMars,
        Format::SoftMaxPro,
        Format::Luminex,
        Format::Cfx,
        Format::NanoDrop,
        Format::Qubit,
        Format::ViCell,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Gen5 => "gen5",
            Format::QuantStudio => "quantstudio",
            Format::BmgMars => "bmg_mars",
            Format::SoftMaxPro => "softmax_pro",
            Format::Luminex => "luminex",
            Format::Cfx => "cfx",
            Format::NanoDrop => "nanodrop",
            Format::Qubit => "qubit",
            Format::ViCell => "vi_cell",
        }
    }

    /// Reads a file of this format.
    pub fn parse(self, bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
        match self {
            Format::Gen5 => gen5::parse(bytes),
            Format::QuantStudio => quantstudio::parse(bytes),
            Format::BmgMars => bmg_mars::parse(bytes),
            Format::SoftMaxPro => softmax_pro::parse(bytes),
            Format::Luminex => luminex::parse(bytes),
            Format::Cfx => cfx::parse(bytes),
            Format::NanoDrop => nanodrop::parse(bytes),
            Format::Qubit => qubit::parse(bytes),
            Format::ViCell => vi_cell::parse(bytes),
        }
    }
}
