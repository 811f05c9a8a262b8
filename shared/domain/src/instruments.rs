//! Instruments as the lab records them: what kind of instrument, where, in what state, the
//! result format it writes (read by `shared/instruments`), and for the generic CSV the
//! mapping the lab saved for it.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[ts(export)]
        pub enum $name { $(#[serde(rename = $text)] $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

named! {
    /// What an instrument measures.
    InstrumentKind {
        PlateReader => "plate_reader",
        Qpcr => "qpcr",
        BeadArray => "bead_array",
        NucleicAcidQc => "nucleic_acid_qc",
        CellCounter => "cell_counter",
        Other => "other",
    }
}

named! {
    /// Whether results may come from it.
    InstrumentStatus {
        InService => "in_service",
        OutOfService => "out_of_service",
        CalibrationDue => "calibration_due",
    }
}

named! {
    /// The result files an instrument writes, each read by its own parser; `MappedCsv` is
    /// any CSV, read through the [`CsvMapping`] saved for the instrument.
    ResultFormat {
        Gen5 => "gen5",
        QuantStudio => "quantstudio",
        BmgMars => "bmg_mars",
        SoftMaxPro => "softmax_pro",
        Luminex => "luminex",
        Cfx => "cfx",
        NanoDrop => "nanodrop",
        Qubit => "qubit",
        ViCell => "vi_cell",
        MappedCsv => "mapped_csv",
    }
}

/// How a file writes a decimal fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DecimalMark {
    /// `1,234.5`
    #[default]
    Point,
    /// `1.234,5` and `1 234,5`
    Comma,
}

/// How to read one instrument's CSV: the separator, the decimal mark, the lines before the
/// header, which column says where each value was measured and which hold values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CsvMapping {
    /// `,`, `;` or a tab.
    #[ts(type = "string")]
    pub separator: char,
    pub decimal: DecimalMark,
    /// Lines before the header line (an instrument's title block).
    pub skip_lines: u32,
    pub position_column: String,
    pub position_is: PositionKind,
    pub plate_column: Option<String>,
    pub values: Vec<ValueColumn>,
}

/// Whether a CSV's position column names wells or samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PositionKind {
    Well,
    Sample,
}

/// A column of values: its header, the read it is (the header when not given), its unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ValueColumn {
    pub column: String,
    pub read: Option<String>,
    pub unit: Option<String>,
}

impl CsvMapping {
    /// Refuses a mapping that cannot read anything, before any file is read with it.
    pub fn check(&self) -> Result<(), DomainError> {
        let refuse = |m: &str| Err(DomainError::invalid("csv_mapping", m));
        if !matches!(self.separator, ',' | ';' | '\t') {
            return refuse("the separator must be a comma, a semicolon or a tab");
        }
        if self.position_column.trim().is_empty() {
            return refuse("name the column that says which well or sample a row is");
        }
        if self.values.is_empty() || self.values.iter().any(|v| v.column.trim().is_empty()) {
            return refuse("name at least one column of values, and no empty one");
        }
        Ok(())
    }
}

/// An instrument as the lab describes it: everything but its status, which changes by itself
/// with a reason ([`crate::Command::SetInstrumentStatus`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct InstrumentDescription {
    pub name: String,
    pub kind: InstrumentKind,
    pub model: String,
    pub serial_number: String,
    /// Where it stands ("Lab 2, bench 3").
    pub location: String,
    pub result_format: ResultFormat,
    /// For `mapped_csv` only, and required there.
    pub csv_mapping: Option<CsvMapping>,
}

impl InstrumentDescription {
    /// The description with its texts trimmed, or why it cannot be recorded.
    pub fn checked(&self) -> Result<InstrumentDescription, DomainError> {
        let text = |field: &'static str, value: &str, max: usize, required: bool| {
            let value = value.trim();
            if required && value.is_empty() {
                return Err(DomainError::invalid(field, "is required"));
            }
            if value.chars().count() > max {
                return Err(DomainError::invalid(
                    field,
                    format!("at most {max} characters"),
                ));
            }
            Ok(value.to_owned())
        };
        match (self.result_format, &self.csv_mapping) {
            (ResultFormat::MappedCsv, None) => {
                return Err(DomainError::invalid(
                    "csv_mapping",
                    "a generic CSV needs its mapping: which columns hold the well and the values",
                ))
            }
            (ResultFormat::MappedCsv, Some(mapping)) => mapping.check()?,
            (_, Some(_)) => {
                return Err(DomainError::invalid(
                    "csv_mapping",
                    "only a generic CSV has a mapping; this format is read by its own parser",
                ))
            }
            (_, None) => {}
        }
        Ok(InstrumentDescription {
            name: text("name", &self.name, 80, true)?,
            kind: self.kind,
            model: text("model", &self.model, 80, true)?,
            serial_number: text("serial_number", &self.serial_number, 80, false)?,
            location: text("location", &self.location, 120, false)?,
            result_format: self.result_format,
            csv_mapping: self.csv_mapping.clone(),
        })
    }
}

/// A number a command carries (a control's target mean or SD). Compared by its bits, so that
/// a command equals itself (commands are compared whole: replay, the outbox, tests); the
/// checks that take one refuse NaN and the infinities.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Figure(pub f64);

impl PartialEq for Figure {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Figure {}

/// A lot of a control material run on an instrument, with the target QC judges it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewControlLot {
    pub material: String,
    pub lot: String,
    /// The read or analyte it controls, as the instrument's files name it.
    pub read: String,
    pub unit: Option<String>,
    pub target_mean: Figure,
    pub target_sd: Figure,
}

impl NewControlLot {
    pub fn check(&self) -> Result<(), DomainError> {
        for (field, value) in [
            ("material", &self.material),
            ("lot", &self.lot),
            ("read", &self.read),
        ] {
            if value.trim().is_empty() || value.chars().count() > 80 {
                return Err(DomainError::invalid(field, "1 to 80 characters"));
            }
        }
        if !self.target_mean.0.is_finite() {
            return Err(DomainError::invalid("target_mean", "must be a number"));
        }
        if !(self.target_sd.0.is_finite() && self.target_sd.0 > 0.0) {
            return Err(DomainError::invalid(
                "target_sd",
                "must be a number above 0: the rules measure distance from the mean in SDs",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stored_as_the_api_writes_them() {
        for f in ResultFormat::ALL {
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
            assert_eq!(ResultFormat::parse(f.as_str()), Some(*f));
        }
        for k in InstrumentKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for s in InstrumentStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(ResultFormat::parse("Gen5"), None);
    }

    fn reader() -> InstrumentDescription {
        InstrumentDescription {
            name: " Synergy H1 ".into(),
            kind: InstrumentKind::PlateReader,
            model: "Synergy H1".into(),
            serial_number: "".into(),
            location: "Lab 2".into(),
            result_format: ResultFormat::Gen5,
            csv_mapping: None,
        }
    }

    #[test]
    fn a_description_is_trimmed_and_a_mapping_goes_with_the_generic_csv_only() {
        assert_eq!(reader().checked().unwrap().name, "Synergy H1");
        let blank = InstrumentDescription {
            name: "  ".into(),
            ..reader()
        };
        assert!(blank.checked().is_err());
        let long = InstrumentDescription {
            name: "x".repeat(81),
            ..reader()
        };
        assert!(long.checked().is_err());
        let unmapped = InstrumentDescription {
            result_format: ResultFormat::MappedCsv,
            ..reader()
        };
        assert!(unmapped.checked().is_err());
    }

    #[test]
    fn a_control_lot_needs_a_positive_finite_sd() {
        let lot = NewControlLot {
            material: "Level 1".into(),
            lot: "L123".into(),
            read: "450".into(),
            unit: None,
            target_mean: Figure(1.0),
            target_sd: Figure(0.1),
        };
        assert!(lot.check().is_ok());
        for sd in [0.0, -0.1, f64::NAN, f64::INFINITY] {
            let bad = NewControlLot {
                target_sd: Figure(sd),
                ..lot.clone()
            };
            assert!(bad.check().is_err(), "{sd}");
        }
        let nan = NewControlLot {
            target_mean: Figure(f64::NAN),
            ..lot.clone()
        };
        assert!(nan.check().is_err());
        assert!(NewControlLot {
            lot: " ".into(),
            ..lot
        }
        .check()
        .is_err());
    }

    #[test]
    fn a_mapping_that_cannot_read_anything_is_refused() {
        let good = CsvMapping {
            separator: ';',
            decimal: DecimalMark::Comma,
            skip_lines: 0,
            position_column: "Well".into(),
            position_is: PositionKind::Well,
            plate_column: None,
            values: vec![ValueColumn {
                column: "OD".into(),
                read: None,
                unit: None,
            }],
        };
        assert!(good.check().is_ok());
        for bad in [
            CsvMapping {
                separator: '|',
                ..good.clone()
            },
            CsvMapping {
                position_column: " ".into(),
                ..good.clone()
            },
            CsvMapping {
                values: vec![],
                ..good.clone()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
