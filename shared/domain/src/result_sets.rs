//! Result sets produced elsewhere (an Olink NPX export, a partner lab's long CSV): values
//! linked to the lab's tubes by their codes and kept together as a set with its source file,
//! and the mapping table that turns a partner lab's test codes and units into the lab's own
//! tests. An unmapped code or an unknown tube code is listed, never dropped.

use crate::instruments::Figure;
use crate::runs::Reading;
use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// Which kind of result set a file is; chosen by whoever imports it, not guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ResultSetFormat {
    /// Olink's NPX long export (Explore, Target), semicolon or comma separated.
    OlinkNpx,
    /// A long CSV with a row per sample and analyte, its columns found by their names.
    LongCsv,
}

impl ResultSetFormat {
    pub const ALL: &'static [ResultSetFormat] =
        &[ResultSetFormat::OlinkNpx, ResultSetFormat::LongCsv];

    pub fn as_str(self) -> &'static str {
        match self {
            ResultSetFormat::OlinkNpx => "olink_npx",
            ResultSetFormat::LongCsv => "long_csv",
        }
    }

    pub fn parse(s: &str) -> Option<ResultSetFormat> {
        ResultSetFormat::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == s)
    }
}

/// How a partner lab's test maps to one of the lab's: the lab's test code and unit, and the
/// factor a partner value is multiplied by to be in the lab's unit (1 when the units agree).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PartnerMapping {
    /// The partner lab, as its files are filed under ("Karolinska Core Lab").
    pub partner: String,
    /// The partner's test code, as its files write it.
    pub partner_code: String,
    /// The unit the partner reports in.
    pub partner_unit: Option<String>,
    /// The lab's canonical test.
    pub test_code: String,
    /// The lab's unit for it.
    pub unit: Option<String>,
    /// lab value = partner value × factor (mg/dL → mmol/L glucose: 0.0555).
    pub factor: Figure,
}

impl PartnerMapping {
    /// The mapping with its texts trimmed, or why it cannot be recorded.
    pub fn checked(&self) -> Result<PartnerMapping, DomainError> {
        let text = |field: &'static str, v: &str| {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > 80 {
                return Err(DomainError::invalid(field, "1 to 80 characters"));
            }
            Ok(v.to_owned())
        };
        let unit = |u: &Option<String>| {
            u.as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
        };
        if !(self.factor.0.is_finite() && self.factor.0 != 0.0) {
            return Err(DomainError::invalid(
                "factor",
                "a number, not 0: the lab's value is the partner's times it",
            ));
        }
        let (partner_unit, lab_unit) = (unit(&self.partner_unit), unit(&self.unit));
        if partner_unit == lab_unit && self.factor.0 != 1.0 {
            return Err(DomainError::invalid(
                "factor",
                "the units are the same, so the factor is 1",
            ));
        }
        Ok(PartnerMapping {
            partner: text("partner", &self.partner)?,
            partner_code: text("partner_code", &self.partner_code)?,
            partner_unit,
            test_code: text("test_code", &self.test_code)?,
            unit: lab_unit,
            factor: self.factor,
        })
    }

    /// A partner's value in the lab's unit: numbers and bounds scaled, flags as they are.
    pub fn convert(&self, value: &Reading) -> Reading {
        let f = self.factor.0;
        match value {
            Reading::Number { value } => Reading::Number { value: value * f },
            Reading::Censored { bound, limit, text } => {
                // A negative factor would turn "below" into "above"; units do not do that.
                Reading::Censored {
                    bound: *bound,
                    limit: limit.map(|l| l * f),
                    text: text.clone(),
                }
            }
            other => other.clone(),
        }
    }
}

/// One value of a result set as the importer matched it: the tube (where the code is one of
/// the lab's), the analyte as the file names it and, for a partner's set, the lab's test it
/// maps to with the value in the lab's unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SetValue {
    pub sample_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sample_id: Option<Uuid>,
    pub analyte: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub value: Option<Reading>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub flag: Option<String>,
    /// A platform's control, not a tube.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub control: Option<bool>,
    /// The lab's test the partner's code maps to, and the value in its unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub test_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub converted: Option<Reading>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::Bound;

    fn glucose() -> PartnerMapping {
        PartnerMapping {
            partner: " Partner Lab ".into(),
            partner_code: "GLU".into(),
            partner_unit: Some("mg/dL".into()),
            test_code: "GLUCOSE".into(),
            unit: Some("mmol/L".into()),
            factor: Figure(0.0555),
        }
    }

    #[test]
    fn a_mapping_states_its_conversion_and_refuses_a_meaningless_one() {
        let m = glucose().checked().unwrap();
        assert_eq!(m.partner, "Partner Lab");
        for factor in [0.0, f64::NAN, f64::INFINITY] {
            let bad = PartnerMapping {
                factor: Figure(factor),
                ..glucose()
            };
            assert!(bad.checked().is_err(), "{factor}");
        }
        let same_units = PartnerMapping {
            unit: Some("mg/dL".into()),
            ..glucose()
        };
        assert!(same_units.checked().is_err());
        assert!(PartnerMapping {
            factor: Figure(1.0),
            ..same_units
        }
        .checked()
        .is_ok());
    }

    #[test]
    fn values_convert_by_the_factor_and_flags_stay_flags() {
        let m = glucose();
        let n = m.convert(&Reading::Number { value: 100.0 });
        assert!((n.number().unwrap() - 5.55).abs() < 1e-9);
        let c = m.convert(&Reading::Censored {
            bound: Bound::Below,
            limit: Some(10.0),
            text: "< 10".into(),
        });
        assert!(
            matches!(c, Reading::Censored { bound: Bound::Below, limit: Some(l), .. } if (l - 0.555).abs() < 1e-9)
        );
        let f = Reading::Flagged {
            flag: crate::runs::Flag::Other,
            text: "hemolysed".into(),
        };
        assert_eq!(m.convert(&f), f);
    }
}
