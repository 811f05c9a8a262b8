//! Runs, plates and results: a run on an instrument has plates; a plate's map says what each
//! well holds (a tube, a control of a lot, a standard, a blank); an import records the values
//! an instrument file gave for the run's wells; QC's verdict on the run's controls decides
//! whether its patient results are reported or held for a lab manager.
//!
//! A value is a [`Reading`]: a number, a censored value (`< 40`, `OOR >`) or a flag
//! (`OVRFLW`, `Undetermined`), never a censored or flagged value turned into a number. The
//! parsers (`shared/instruments`) produce them; commands carry them; the store keeps them.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::storage::Position;

/// The plates the lab runs: 96, 384 and 1536 wells, 2:3 like every SBS plate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum PlateFormat {
    #[serde(rename = "96")]
    Wells96,
    #[serde(rename = "384")]
    Wells384,
    #[serde(rename = "1536")]
    Wells1536,
}

impl PlateFormat {
    pub const ALL: [PlateFormat; 3] = [
        PlateFormat::Wells96,
        PlateFormat::Wells384,
        PlateFormat::Wells1536,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlateFormat::Wells96 => "96",
            PlateFormat::Wells384 => "384",
            PlateFormat::Wells1536 => "1536",
        }
    }

    pub fn parse(s: &str) -> Option<PlateFormat> {
        PlateFormat::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn rows(self) -> u8 {
        match self {
            PlateFormat::Wells96 => 8,
            PlateFormat::Wells384 => 16,
            PlateFormat::Wells1536 => 32,
        }
    }

    pub fn columns(self) -> u8 {
        match self {
            PlateFormat::Wells96 => 12,
            PlateFormat::Wells384 => 24,
            PlateFormat::Wells1536 => 48,
        }
    }

    pub fn wells(self) -> u32 {
        u32::from(self.rows()) * u32::from(self.columns())
    }

    pub fn contains(self, well: Position) -> bool {
        well.row < self.rows() && well.column < self.columns()
    }

    /// A well by its name (`A1`, `A01`, `AF48`), refused with the plate's range when it is
    /// not on this plate.
    pub fn well(self, text: &str) -> Result<Position, DomainError> {
        match Position::parse(text) {
            Some(well) if self.contains(well) => Ok(well),
            _ => Err(DomainError::invalid(
                "well",
                format!(
                    "{:?} is not a well of a {}-well plate (A1 … {})",
                    text.trim(),
                    self.as_str(),
                    Position {
                        row: self.rows() - 1,
                        column: self.columns() - 1
                    }
                ),
            )),
        }
    }

    /// Every well in `order`.
    pub fn wells_in(self, order: FillOrder) -> impl Iterator<Item = Position> {
        let (rows, columns) = (self.rows(), self.columns());
        let n = u16::from(rows) * u16::from(columns);
        (0..n).map(move |i| match order {
            FillOrder::Rows => Position {
                row: (i / u16::from(columns)) as u8,
                column: (i % u16::from(columns)) as u8,
            },
            FillOrder::Columns => Position {
                row: (i % u16::from(rows)) as u8,
                column: (i / u16::from(rows)) as u8,
            },
        })
    }

    /// The well a scanned tube goes to: the first free well after `after` (the well filled
    /// last) in `order`, starting again from A1 when the plate's end is reached; `None` when
    /// the plate is full. Following the last filled well, not the first gap, is what a
    /// technician who clicked a well to start from expects.
    pub fn next_free_well(
        self,
        order: FillOrder,
        after: Option<Position>,
        taken: impl Fn(Position) -> bool,
    ) -> Option<Position> {
        let all: Vec<Position> = self.wells_in(order).collect();
        let start = after
            .and_then(|a| all.iter().position(|w| *w == a))
            .map_or(0, |i| i + 1);
        all[start..]
            .iter()
            .chain(&all[..start])
            .copied()
            .find(|w| !taken(*w))
    }
}

/// The order the lab fills a plate in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FillOrder {
    /// A1, A2 … A12, B1 …
    Rows,
    /// A1, B1 … H1, A2 … (most pipetting heads and qPCR set-ups).
    #[default]
    Columns,
}

/// What a template puts in a well before any tube is scanned: a control of a lot, a standard
/// (its name, and its concentration where the curve needs it) or a blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "role", rename_all = "snake_case")]
#[ts(export)]
pub enum LayoutRole {
    Control {
        control_lot_id: Uuid,
    },
    Standard {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        concentration: Option<crate::instruments::Figure>,
    },
    Blank,
}

/// A well of a layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct LayoutWell {
    pub well: String,
    pub content: LayoutRole,
}

/// A layout's wells checked against the plate: each on the plate and once, each standard
/// named. Returned in reading order with the wells parsed.
pub fn check_layout(
    format: PlateFormat,
    wells: &[LayoutWell],
) -> Result<Vec<(Position, LayoutRole)>, DomainError> {
    let mut out = Vec::with_capacity(wells.len());
    for w in wells {
        let well = format.well(&w.well)?;
        let content = match &w.content {
            LayoutRole::Standard {
                name,
                concentration,
            } => {
                let name = name.trim();
                if name.is_empty() || name.chars().count() > 40 {
                    return Err(DomainError::invalid(
                        "layout",
                        format!("the standard in {well} needs a name of 1 to 40 characters"),
                    ));
                }
                if concentration.is_some_and(|c| !c.0.is_finite()) {
                    return Err(DomainError::invalid(
                        "layout",
                        format!("the standard in {well} has a concentration that is not a number"),
                    ));
                }
                LayoutRole::Standard {
                    name: name.to_owned(),
                    concentration: *concentration,
                }
            }
            other => other.clone(),
        };
        out.push((well, content));
    }
    out.sort_by_key(|(w, _)| *w);
    if let Some(pair) = out.windows(2).find(|p| p[0].0 == p[1].0) {
        return Err(DomainError::invalid(
            "layout",
            format!("{} is given twice", pair[0].0),
        ));
    }
    Ok(out)
}

/// A new plate of a run, with the wells its template filled (copied into the command, so a
/// replay does not depend on the template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct NewPlate {
    pub plate_id: Uuid,
    /// What the plate's label says ("ELISA-2026-12-03-P1").
    pub name: String,
    pub format: PlateFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub template_id: Option<Uuid>,
    pub layout: Vec<LayoutWell>,
}

/// A value as the instrument gave it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Reading {
    Number {
        value: f64,
    },
    /// Below or above what the instrument measures; `limit` where the file gives it.
    Censored {
        bound: Bound,
        limit: Option<f64>,
        text: String,
    },
    /// No value: the instrument says why.
    Flagged {
        flag: Flag,
        text: String,
    },
}

/// Commands are compared whole (replay, the outbox, tests), so a reading equals itself even
/// when it is NaN: numbers are compared by their bits.
impl PartialEq for Reading {
    fn eq(&self, other: &Self) -> bool {
        let bits = |f: &Option<f64>| f.map(f64::to_bits);
        match (self, other) {
            (Reading::Number { value: a }, Reading::Number { value: b }) => {
                a.to_bits() == b.to_bits()
            }
            (
                Reading::Censored {
                    bound: a,
                    limit: la,
                    text: ta,
                },
                Reading::Censored {
                    bound: b,
                    limit: lb,
                    text: tb,
                },
            ) => a == b && bits(la) == bits(lb) && ta == tb,
            (Reading::Flagged { flag: a, text: ta }, Reading::Flagged { flag: b, text: tb }) => {
                a == b && ta == tb
            }
            _ => false,
        }
    }
}

impl Eq for Reading {}

impl Reading {
    /// The number, for a value that is one.
    pub fn number(&self) -> Option<f64> {
        match self {
            Reading::Number { value } => Some(*value),
            _ => None,
        }
    }

    /// Whether the instrument flagged or censored it: shown on the plate and in the preview.
    pub fn is_flagged(&self) -> bool {
        !matches!(self, Reading::Number { .. })
    }

    /// Refuses a number that is not finite: a file's `NaN` is a flag, never a number.
    pub fn check(&self) -> Result<(), DomainError> {
        match self {
            Reading::Number { value } if !value.is_finite() => Err(DomainError::invalid(
                "value",
                "a number must be finite; NaN is recorded as a flag",
            )),
            Reading::Censored {
                limit: Some(limit), ..
            } if !limit.is_finite() => Err(DomainError::invalid(
                "value",
                "a censored value's limit must be finite",
            )),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Bound {
    Below,
    Above,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Flag {
    /// Over the detector's range (Gen5 `OVRFLW`, `Overflow`).
    Overflow,
    /// The read missed the well (Gen5 `MISSED`).
    Missed,
    /// No amplification crossed the threshold (qPCR `Undetermined`, `No Ct`).
    Undetermined,
    /// Not a number (`NaN`).
    NotANumber,
    /// Any other word where a value belongs; its text is kept.
    Other,
}

/// One value an import records: the plate and well it was measured in, what the importer
/// matched there (the tube or the control lot of the plate map, which the store checks
/// again), which read it is, the value and its unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ImportedResult {
    pub plate_id: Uuid,
    pub well: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub sample_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub control_lot_id: Option<Uuid>,
    pub read: String,
    pub value: Reading,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub unit: Option<String>,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RunState {
    /// Plates being laid out and filled; no results yet.
    Planned,
    /// Results imported and QC passed (perhaps with a warning): its results are reported.
    Resulted,
    /// QC rejected it: its patient results are held until a lab manager decides.
    Held,
    /// A lab manager released the held results, with a reason.
    Released,
    /// A lab manager ordered the run repeated: its results are withdrawn.
    Repeat,
}

impl RunState {
    pub const ALL: [RunState; 5] = [
        RunState::Planned,
        RunState::Resulted,
        RunState::Held,
        RunState::Released,
        RunState::Repeat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Planned => "planned",
            RunState::Resulted => "resulted",
            RunState::Held => "held",
            RunState::Released => "released",
            RunState::Repeat => "repeat",
        }
    }

    pub fn parse(s: &str) -> Option<RunState> {
        RunState::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the plate map may still change: only before results come in.
    pub fn plates_editable(self) -> bool {
        self == RunState::Planned
    }

    /// Whether a (first or corrected) result file may be imported.
    pub fn takes_results(self) -> bool {
        matches!(
            self,
            RunState::Planned | RunState::Resulted | RunState::Held
        )
    }

    /// Whether the run's patient results are reported (shown as results of the tube).
    pub fn reports_results(self) -> bool {
        matches!(self, RunState::Resulted | RunState::Released)
    }
}

/// A lab manager's decision on a run QC held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RunDecision {
    /// Report the held results after all (the reason says why the controls do not matter).
    Release,
    /// Withdraw them; the tubes go on another run.
    Repeat,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Position {
        Position::parse(s).unwrap()
    }

    #[test]
    fn plates_have_their_sbs_shapes_and_refuse_wells_off_the_plate() {
        let cases = [
            (PlateFormat::Wells96, 96, "H12", "I1", "A13"),
            (PlateFormat::Wells384, 384, "P24", "Q1", "A25"),
            (PlateFormat::Wells1536, 1536, "AF48", "AG1", "A49"),
        ];
        for (format, wells, last, below, right) in cases {
            assert_eq!(format.wells(), wells);
            assert_eq!(format.wells_in(FillOrder::Rows).count() as u32, wells);
            assert_eq!(format.well(last).unwrap(), w(last));
            assert!(format.well(below).is_err(), "{below}");
            assert!(format.well(right).is_err(), "{right}");
            assert_eq!(PlateFormat::parse(format.as_str()), Some(format));
            assert_eq!(serde_json::to_value(format).unwrap(), format.as_str());
        }
        assert_eq!(PlateFormat::Wells96.well(" A01 ").unwrap(), w("A1"));
    }

    #[test]
    fn the_fill_orders_walk_the_plate_as_the_lab_reads_it() {
        let rows: Vec<String> = PlateFormat::Wells96
            .wells_in(FillOrder::Rows)
            .take(13)
            .map(|p| p.name())
            .collect();
        assert_eq!(rows[..2], ["A1", "A2"]);
        assert_eq!(rows[11..], ["A12", "B1"]);
        let columns: Vec<String> = PlateFormat::Wells96
            .wells_in(FillOrder::Columns)
            .take(9)
            .map(|p| p.name())
            .collect();
        assert_eq!(columns[..2], ["A1", "B1"]);
        assert_eq!(columns[7..], ["H1", "A2"]);
    }

    #[test]
    fn the_next_well_follows_the_last_filled_skips_taken_and_wraps() {
        let p = PlateFormat::Wells96;
        let taken = [w("A1"), w("B1"), w("D1")];
        let is_taken = |x: Position| taken.contains(&x);
        // Case table: (order, last filled, expected next).
        let cases = [
            (FillOrder::Columns, None, Some("C1")),
            (FillOrder::Columns, Some("B1"), Some("C1")),
            (FillOrder::Columns, Some("C1"), Some("E1")),
            (FillOrder::Rows, Some("A1"), Some("A2")),
            (FillOrder::Columns, Some("H12"), Some("C1")),
        ];
        for (order, after, want) in cases {
            let got = p.next_free_well(order, after.map(w), is_taken);
            assert_eq!(got.map(|x| x.name()), want.map(String::from), "{after:?}");
        }
        assert_eq!(p.next_free_well(FillOrder::Rows, None, |_| true), None);
    }

    #[test]
    fn a_layout_puts_each_well_once_on_the_plate_and_names_its_standards() {
        let lot = Uuid::from_u128(1);
        let ok = [
            LayoutWell {
                well: "A1".into(),
                content: LayoutRole::Control {
                    control_lot_id: lot,
                },
            },
            LayoutWell {
                well: "B1".into(),
                content: LayoutRole::Standard {
                    name: " S1 ".into(),
                    concentration: Some(crate::instruments::Figure(100.0)),
                },
            },
            LayoutWell {
                well: "H12".into(),
                content: LayoutRole::Blank,
            },
        ];
        let checked = check_layout(PlateFormat::Wells96, &ok).unwrap();
        assert_eq!(checked.len(), 3);
        assert!(matches!(&checked[1].1, LayoutRole::Standard { name, .. } if name == "S1"));
        let twice = [ok[0].clone(), ok[0].clone()];
        assert!(check_layout(PlateFormat::Wells96, &twice).is_err());
        let off = [LayoutWell {
            well: "I1".into(),
            content: LayoutRole::Blank,
        }];
        assert!(check_layout(PlateFormat::Wells96, &off).is_err());
        assert!(check_layout(PlateFormat::Wells384, &off).is_ok());
        let unnamed = [LayoutWell {
            well: "A1".into(),
            content: LayoutRole::Standard {
                name: " ".into(),
                concentration: None,
            },
        }];
        assert!(check_layout(PlateFormat::Wells96, &unnamed).is_err());
    }

    #[test]
    fn readings_equal_themselves_even_as_nan_and_refuse_non_finite_numbers() {
        let nan = Reading::Number { value: f64::NAN };
        assert_eq!(nan, nan.clone());
        assert!(nan.check().is_err());
        let censored = Reading::Censored {
            bound: Bound::Below,
            limit: Some(40.0),
            text: "< 40".into(),
        };
        assert!(censored.check().is_ok());
        assert!(censored.is_flagged());
        assert_eq!(censored.number(), None);
        let json = serde_json::to_value(&censored).unwrap();
        assert_eq!(json["kind"], "censored");
        assert_eq!(serde_json::from_value::<Reading>(json).unwrap(), censored);
    }

    #[test]
    fn only_a_planned_run_changes_its_plates_and_only_reported_states_report() {
        for s in RunState::ALL {
            assert_eq!(RunState::parse(s.as_str()), Some(s));
            assert_eq!(s.plates_editable(), s == RunState::Planned);
        }
        assert!(!RunState::Held.reports_results());
        assert!(RunState::Released.reports_results());
        assert!(!RunState::Repeat.takes_results());
    }
}
