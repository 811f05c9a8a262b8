//! Storage geometry: box grids, position names, and the auto-position strategies.
//!
//! A box has `rows × columns` positions named by row letter and column number (A1 … H12).
//! Scanners and files also write A01 or a well number 1‥96 in reading order; all three
//! forms parse to the same [`Position`], and a position outside the box is refused rather
//! than guessed.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The largest grid we accept: 26 row letters, 48 columns (a 1536-well layout fits in 32×48).
pub const MAX_ROWS: u8 = 26;
pub const MAX_COLUMNS: u8 = 48;

/// The shape of a box: rows are letters, columns are numbers starting at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Grid {
    pub rows: u8,
    pub columns: u8,
}

impl Grid {
    pub fn new(rows: u8, columns: u8) -> Result<Grid, DomainError> {
        if rows == 0 || rows > MAX_ROWS {
            return Err(DomainError::invalid(
                "rows",
                format!("must be between 1 and {MAX_ROWS}"),
            ));
        }
        if columns == 0 || columns > MAX_COLUMNS {
            return Err(DomainError::invalid(
                "columns",
                format!("must be between 1 and {MAX_COLUMNS}"),
            ));
        }
        Ok(Grid { rows, columns })
    }

    pub fn capacity(self) -> u32 {
        u32::from(self.rows) * u32::from(self.columns)
    }

    /// Every position in reading order: A1, A2, … A12, B1, …
    pub fn positions(self) -> impl Iterator<Item = Position> {
        (0..self.rows)
            .flat_map(move |row| (0..self.columns).map(move |column| Position { row, column }))
    }

    pub fn contains(self, p: Position) -> bool {
        p.row < self.rows && p.column < self.columns
    }

    /// Parses `A1`, `a1`, `A01` or a well number `1`‥`capacity` (reading order).
    pub fn parse_position(self, text: &str) -> Result<Position, DomainError> {
        let text = text.trim();
        let bad = || {
            DomainError::invalid(
                "position",
                format!(
                    "{text:?} is not a position in a {}×{} box (A1 … {})",
                    self.rows,
                    self.columns,
                    Position {
                        row: self.rows - 1,
                        column: self.columns - 1
                    }
                    .name()
                ),
            )
        };
        if text.is_empty() || text.len() > 4 {
            return Err(bad());
        }
        let position = if text.bytes().all(|b| b.is_ascii_digit()) {
            let well: u32 = text.parse().map_err(|_| bad())?;
            if well == 0 || well > self.capacity() {
                return Err(bad());
            }
            let index = well - 1;
            let columns = u32::from(self.columns);
            Position {
                row: u8::try_from(index / columns).map_err(|_| bad())?,
                column: u8::try_from(index % columns).map_err(|_| bad())?,
            }
        } else {
            let mut chars = text.chars();
            let letter = chars.next().ok_or_else(bad)?.to_ascii_uppercase();
            if !letter.is_ascii_uppercase() {
                return Err(bad());
            }
            let digits = chars.as_str();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let column: u8 = digits.parse().map_err(|_| bad())?;
            if column == 0 {
                return Err(bad());
            }
            Position {
                row: letter as u8 - b'A',
                column: column - 1,
            }
        };
        if self.contains(position) {
            Ok(position)
        } else {
            Err(bad())
        }
    }
}

/// A position in a box, zero-based internally; shown and stored by its name (`A1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub row: u8,
    pub column: u8,
}

impl Position {
    pub fn name(self) -> String {
        format!(
            "{}{}",
            char::from(b'A' + self.row),
            u32::from(self.column) + 1
        )
    }

    /// Reading-order index, used to sort positions as people read a box.
    pub fn index(self, grid: Grid) -> u32 {
        u32::from(self.row) * u32::from(grid.columns) + u32::from(self.column)
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// What kind of cold (or not) a storage unit keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FreezerKind {
    UltraLow,
    Freezer,
    LiquidNitrogen,
    Refrigerator,
    Ambient,
}

impl FreezerKind {
    pub const ALL: [FreezerKind; 5] = [
        FreezerKind::UltraLow,
        FreezerKind::Freezer,
        FreezerKind::LiquidNitrogen,
        FreezerKind::Refrigerator,
        FreezerKind::Ambient,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            FreezerKind::UltraLow => "ultra_low",
            FreezerKind::Freezer => "freezer",
            FreezerKind::LiquidNitrogen => "liquid_nitrogen",
            FreezerKind::Refrigerator => "refrigerator",
            FreezerKind::Ambient => "ambient",
        }
    }
    pub fn parse(s: &str) -> Option<FreezerKind> {
        FreezerKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// The temperatures that make sense for the kind, to catch a typo like 80 for −80.
    pub fn check_temperature(self, celsius: i16) -> Result<(), DomainError> {
        let (low, high) = match self {
            FreezerKind::UltraLow => (-100, -60),
            FreezerKind::Freezer => (-40, -10),
            FreezerKind::LiquidNitrogen => (-200, -130),
            FreezerKind::Refrigerator => (0, 10),
            FreezerKind::Ambient => (10, 35),
        };
        if (low..=high).contains(&celsius) {
            Ok(())
        } else {
            Err(DomainError::invalid(
                "temperature_c",
                format!(
                    "a {} unit runs between {low} and {high} °C",
                    self.as_str().replace('_', " ")
                ),
            ))
        }
    }
}

/// A box's layout: a grid of named positions, or an unstructured container (a bag) whose
/// tubes have no position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum BoxLayout {
    Grid { rows: u8, columns: u8 },
    Bag { capacity: Option<u32> },
}

impl BoxLayout {
    pub fn validate(self) -> Result<BoxLayout, DomainError> {
        match self {
            BoxLayout::Grid { rows, columns } => Grid::new(rows, columns).map(|_| self),
            BoxLayout::Bag { capacity: Some(0) } => Err(DomainError::invalid(
                "capacity",
                "leave it empty or give at least 1",
            )),
            BoxLayout::Bag { .. } => Ok(self),
        }
    }
    pub fn grid(self) -> Option<Grid> {
        match self {
            BoxLayout::Grid { rows, columns } => Some(Grid { rows, columns }),
            BoxLayout::Bag { .. } => None,
        }
    }
    pub fn capacity(self) -> Option<u32> {
        match self {
            BoxLayout::Grid { rows, columns } => Some(u32::from(rows) * u32::from(columns)),
            BoxLayout::Bag { capacity } => capacity,
        }
    }
}

/// A storage object that can be voided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
#[ts(export)]
pub enum StorageTarget {
    Freezer(uuid::Uuid),
    Rack(uuid::Uuid),
    Box(uuid::Uuid),
}

/// How a list of boxes can be sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BoxSort {
    #[default]
    Name,
    Barcode,
    /// By free positions.
    Free,
    CreatedAt,
}

/// How a box with no position given chooses one. A lab setting, switchable at any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AutoPosition {
    /// The first free position in reading order.
    #[default]
    NextFree,
    /// Next to the participant's other tubes in this box when there is room right after
    /// them; otherwise the first free position.
    KeepParticipantTogether,
}

/// What the store loaded about a box for an auto-position decision.
#[derive(Debug, Clone, Default)]
pub struct BoxContents {
    /// Occupied positions.
    pub occupied: Vec<Position>,
    /// Positions held by the participant of the tube being placed.
    pub same_participant: Vec<Position>,
}

/// Chooses the position for a tube placed in a box without naming one.
pub fn choose_position(
    grid: Grid,
    strategy: AutoPosition,
    contents: &BoxContents,
) -> Result<Position, DomainError> {
    let occupied: std::collections::HashSet<Position> = contents.occupied.iter().copied().collect();
    let free = |p: &Position| !occupied.contains(p);
    if strategy == AutoPosition::KeepParticipantTogether {
        // Right after the participant's last tube in reading order, if that is free.
        if let Some(last) = contents
            .same_participant
            .iter()
            .max_by_key(|p| p.index(grid))
        {
            if let Some(next) = grid
                .positions()
                .find(|p| p.index(grid) > last.index(grid) && free(p))
            {
                if next.index(grid) == last.index(grid) + 1 {
                    return Ok(next);
                }
            }
        }
    }
    grid.positions().find(free).ok_or(DomainError::BoxFull)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn g96() -> Grid {
        Grid::new(8, 12).unwrap()
    }

    #[rstest]
    #[case("A1", 0, 0)]
    #[case("a1", 0, 0)]
    #[case("A01", 0, 0)]
    #[case("H12", 7, 11)]
    #[case("1", 0, 0)]
    #[case("12", 0, 11)]
    #[case("13", 1, 0)]
    #[case("96", 7, 11)]
    #[case(" B3 ", 1, 2)]
    fn positions_parse(#[case] text: &str, #[case] row: u8, #[case] column: u8) {
        assert_eq!(
            g96().parse_position(text).unwrap(),
            Position { row, column }
        );
    }

    #[rstest]
    #[case("")]
    #[case("I1")]
    #[case("A13")]
    #[case("A0")]
    #[case("0")]
    #[case("97")]
    #[case("1A")]
    #[case("A-1")]
    #[case("AA1")]
    #[case("A12345")]
    fn bad_positions_are_refused(#[case] text: &str) {
        assert!(g96().parse_position(text).is_err(), "{text}");
    }

    #[test]
    fn names_round_trip_for_every_position() {
        let grid = g96();
        for p in grid.positions() {
            assert_eq!(grid.parse_position(&p.name()).unwrap(), p);
        }
        assert_eq!(grid.positions().count(), 96);
    }

    #[test]
    fn next_free_is_reading_order() {
        let grid = g96();
        let contents = BoxContents {
            occupied: vec![
                Position { row: 0, column: 0 },
                Position { row: 0, column: 2 },
            ],
            same_participant: vec![],
        };
        let p = choose_position(grid, AutoPosition::NextFree, &contents).unwrap();
        assert_eq!(p.name(), "A2");
    }

    #[test]
    fn keep_together_follows_the_participant() {
        let grid = g96();
        let contents = BoxContents {
            occupied: vec![
                Position { row: 0, column: 0 },
                Position { row: 2, column: 4 },
            ],
            same_participant: vec![Position { row: 2, column: 4 }],
        };
        let p = choose_position(grid, AutoPosition::KeepParticipantTogether, &contents).unwrap();
        assert_eq!(p.name(), "C6");
        let p = choose_position(grid, AutoPosition::NextFree, &contents).unwrap();
        assert_eq!(p.name(), "A2");
    }

    #[test]
    fn keep_together_falls_back_when_the_next_well_is_taken() {
        let grid = g96();
        let contents = BoxContents {
            occupied: vec![
                Position { row: 0, column: 0 },
                Position { row: 0, column: 1 },
            ],
            same_participant: vec![Position { row: 0, column: 0 }],
        };
        let p = choose_position(grid, AutoPosition::KeepParticipantTogether, &contents).unwrap();
        assert_eq!(p.name(), "A3");
    }

    #[test]
    fn a_full_box_is_refused() {
        let grid = Grid::new(1, 2).unwrap();
        let contents = BoxContents {
            occupied: grid.positions().collect(),
            same_participant: vec![],
        };
        assert_eq!(
            choose_position(grid, AutoPosition::NextFree, &contents),
            Err(DomainError::BoxFull)
        );
    }
}
