//! Storage geometry: box grids, position names, and the auto-position strategies.
//!
//! A box has `rows × columns` positions named by row letter and column number (A1 … H12).
//! Scanners and files also write A01 or a well number 1‥96 in reading order; all three
//! forms parse to the same [`Position`], and a position outside the box is refused rather
//! than guessed.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The largest box grid we accept: 26 row letters, 48 columns.
pub const MAX_ROWS: u8 = 26;
pub const MAX_COLUMNS: u8 = 48;
/// The most rows a position's name may have: a 1536-well plate's 32 (A–Z, then AA–AF).
pub const MAX_NAMED_ROWS: u8 = 32;

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
            Position::parse(text).ok_or_else(bad)?
        };
        if self.contains(position) {
            Ok(position)
        } else {
            Err(bad())
        }
    }
}

/// A position in a box or a well of a plate, zero-based internally; shown and stored by its
/// name (`A1`; rows after Z are AA–AF, as on a 1536-well plate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Position {
    pub row: u8,
    pub column: u8,
}

impl Position {
    pub fn name(self) -> String {
        let row = if self.row < 26 {
            char::from(b'A' + self.row).to_string()
        } else {
            format!("A{}", char::from(b'A' + (self.row - 26)))
        };
        format!("{row}{}", u32::from(self.column) + 1)
    }

    /// A position from its name in any grid: one or two row letters and a column number,
    /// however files write them (`A1`, `a1`, `A01`, `      A1`). Whether it is inside a
    /// given box or plate is the grid's question.
    pub fn parse(text: &str) -> Option<Position> {
        let text = text.trim();
        let split = text.find(|c: char| c.is_ascii_digit())?;
        let (letters, digits) = text.split_at(split);
        Position::from_parts(letters, digits)
    }

    /// A position from its row's letters and its column's number, as grid exports give
    /// them apart.
    pub fn from_parts(row: &str, column: &str) -> Option<Position> {
        let upper = row.trim().to_ascii_uppercase();
        let row = match upper.as_bytes() {
            [a @ b'A'..=b'Z'] => a - b'A',
            [b'A', b @ b'A'..=b'Z'] => 26 + (b - b'A'),
            _ => return None,
        };
        let digits = column.trim();
        if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let column: u8 = digits.parse().ok()?;
        (row < MAX_NAMED_ROWS && (1..=MAX_COLUMNS).contains(&column)).then(|| Position {
            row,
            column: column - 1,
        })
    }

    /// Reading-order index, used to sort positions as people read a box.
    pub fn index(self, grid: Grid) -> u32 {
        u32::from(self.row) * u32::from(grid.columns) + u32::from(self.column)
    }
}

impl From<Position> for String {
    fn from(p: Position) -> String {
        p.name()
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

/// What a freezer, rack or box is called and is, corrected: the whole new description of one
/// storage object. Its place, its grid and its tubes stay as they are (a box moves with
/// `MoveBox`; a grid cannot change under the tubes in it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum StorageEdit {
    Freezer {
        freezer_id: uuid::Uuid,
        name: String,
        location: String,
        freezer_kind: FreezerKind,
        temperature_c: i16,
    },
    Rack {
        rack_id: uuid::Uuid,
        name: String,
    },
    /// A new barcode means the box is labelled again.
    Box {
        box_id: uuid::Uuid,
        name: String,
        barcode: String,
        box_type: String,
    },
}

/// At most this many racks, and boxes in all, made in one go on the bulk setup screen.
pub const MAX_RACKS_AT_ONCE: u32 = 50;
pub const MAX_BOXES_AT_ONCE: u32 = 500;

/// A freezer's racks and boxes named by patterns, as a lab manager fills a new freezer:
/// `{rack}` is the rack's number and `{box}` the box's number in its rack, `{rack:2}` pads
/// the number with zeros to two digits. Every name and barcode the patterns make is checked
/// here, before any id exists, so the screen's preview and the command agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StoragePattern {
    /// How many racks, numbered from `first_rack`.
    pub racks: u32,
    pub first_rack: u32,
    pub boxes_per_rack: u32,
    /// E.g. "Rack {rack}".
    pub rack_name: String,
    /// E.g. "Box {rack}-{box}".
    pub box_name: String,
    /// E.g. "F1-R{rack:2}-B{box:2}": unique, so it must hold `{box}` and, with more than
    /// one rack, `{rack}`.
    pub box_barcode: String,
}

/// One rack of an expanded pattern, with its boxes' names and barcodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PlannedRack {
    pub name: String,
    pub boxes: Vec<PlannedBox>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PlannedBox {
    pub name: String,
    pub barcode: String,
}

impl StoragePattern {
    /// The racks and boxes the patterns name, in order; refuses counts out of bounds, an
    /// unknown or malformed `{…}`, and patterns that would give two racks one name or two
    /// boxes one barcode.
    pub fn expand(&self) -> Result<Vec<PlannedRack>, DomainError> {
        if self.racks == 0 || self.racks > MAX_RACKS_AT_ONCE {
            return Err(DomainError::invalid(
                "racks",
                format!("between 1 and {MAX_RACKS_AT_ONCE}"),
            ));
        }
        if self.boxes_per_rack > MAX_BOXES_AT_ONCE
            || self.racks * self.boxes_per_rack > MAX_BOXES_AT_ONCE
        {
            return Err(DomainError::invalid(
                "boxes_per_rack",
                format!("at most {MAX_BOXES_AT_ONCE} boxes at once"),
            ));
        }
        if self.first_rack > 9999 {
            return Err(DomainError::invalid("first_rack", "at most 9999"));
        }
        let mut racks = Vec::with_capacity(self.racks as usize);
        let mut rack_names = std::collections::HashSet::new();
        let mut barcodes = std::collections::HashSet::new();
        for r in self.first_rack..self.first_rack + self.racks {
            let name = fill_pattern("rack_name", &self.rack_name, r, None)?;
            if !rack_names.insert(name.clone()) {
                return Err(DomainError::invalid(
                    "rack_name",
                    "give two racks one name: put {rack} in it",
                ));
            }
            let mut boxes = Vec::with_capacity(self.boxes_per_rack as usize);
            for b in 1..=self.boxes_per_rack {
                let barcode = fill_pattern("box_barcode", &self.box_barcode, r, Some(b))?;
                if !barcodes.insert(barcode.clone()) {
                    return Err(DomainError::invalid(
                        "box_barcode",
                        format!(
                            "gives two boxes the barcode {barcode}: put {{box}} in it{}",
                            if self.racks > 1 { " and {rack}" } else { "" }
                        ),
                    ));
                }
                boxes.push(PlannedBox {
                    name: fill_pattern("box_name", &self.box_name, r, Some(b))?,
                    barcode,
                });
            }
            racks.push(PlannedRack { name, boxes });
        }
        Ok(racks)
    }
}

/// Fills `{rack}`, `{box}` and their padded forms (`{box:3}`) in one pattern. A rack's name
/// has no box, so `{box}` there is refused.
fn fill_pattern(
    field: &'static str,
    pattern: &str,
    rack: u32,
    r#box: Option<u32>,
) -> Result<String, DomainError> {
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut rest = pattern.trim();
    if rest.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| DomainError::invalid(field, "a { without its }"))?;
        let token = &rest[open + 1..close];
        let (word, width) = match token.split_once(':') {
            Some((w, n)) => match n.parse::<usize>() {
                Ok(n @ 1..=6) => (w, n),
                _ => {
                    return Err(DomainError::invalid(
                        field,
                        format!("{{{token}}}: the width after : is 1 to 6 digits"),
                    ))
                }
            },
            None => (token, 1),
        };
        let number = match (word, r#box) {
            ("rack", _) => rack,
            ("box", Some(b)) => b,
            ("box", None) => return Err(DomainError::invalid(field, "a rack's name has no {box}")),
            _ => {
                return Err(DomainError::invalid(
                    field,
                    format!("{{{token}}} is not {{rack}} or {{box}}"),
                ))
            }
        };
        out.push_str(&format!("{number:0width$}"));
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err(DomainError::invalid(field, "a } without its {"));
    }
    out.push_str(rest);
    Ok(out)
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
    /// A participant's tubes side by side: the first goes where a run of free wells has
    /// room for all of that participant's tubes still to be stored, the next ones into the
    /// free well nearest to the tubes already there.
    KeepParticipantTogether,
}

/// What the store loaded about a box for an auto-position decision.
#[derive(Debug, Clone, Default)]
pub struct BoxContents {
    /// Occupied positions.
    pub occupied: Vec<Position>,
    /// Positions held by the participant of the tube being placed.
    pub same_participant: Vec<Position>,
    /// How many of that participant's tubes are still to be stored, this one included:
    /// the room the first of them looks for.
    pub still_to_store: u32,
}

/// Chooses the position for a tube placed in a box without naming one.
pub fn choose_position(
    grid: Grid,
    strategy: AutoPosition,
    contents: &BoxContents,
) -> Result<Position, DomainError> {
    let occupied: std::collections::HashSet<Position> = contents.occupied.iter().copied().collect();
    let free: Vec<Position> = grid.positions().filter(|p| !occupied.contains(p)).collect();
    let first_free = *free.first().ok_or(DomainError::BoxFull)?;
    if strategy == AutoPosition::NextFree {
        return Ok(first_free);
    }
    if !contents.same_participant.is_empty() {
        // The free well nearest to one of the participant's tubes (rows and columns
        // apart); among equals, one after their last tube before one ahead of it, then the
        // first in reading order, so a row fills left to right.
        let last = contents
            .same_participant
            .iter()
            .map(|p| p.index(grid))
            .max()
            .unwrap_or(0);
        let distance = |p: &Position| {
            contents
                .same_participant
                .iter()
                .map(|q| u32::from(p.row.abs_diff(q.row)) + u32::from(p.column.abs_diff(q.column)))
                .min()
                .unwrap_or(u32::MAX)
        };
        return free
            .iter()
            .copied()
            .min_by_key(|p| (distance(p), p.index(grid) < last, p.index(grid)))
            .ok_or(DomainError::BoxFull);
    }
    // The participant's first tube here: the first run of free wells (in reading order)
    // long enough for all of their tubes still to store, else the longest run there is.
    let wanted = contents.still_to_store.max(1);
    let mut best: Option<(Position, u32)> = None;
    let mut run: Option<(Position, u32)> = None;
    for p in grid.positions() {
        if occupied.contains(&p) {
            run = None;
            continue;
        }
        let (start, length) = run.map_or((p, 1), |(start, length)| (start, length + 1));
        run = Some((start, length));
        if length >= wanted {
            return Ok(start);
        }
        if best.is_none_or(|(_, longest)| length > longest) {
            best = Some((start, length));
        }
    }
    Ok(best.map_or(first_free, |(start, _)| start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(racks: u32, boxes: u32, barcode: &str) -> StoragePattern {
        StoragePattern {
            racks,
            first_rack: 1,
            boxes_per_rack: boxes,
            rack_name: "Rack {rack}".into(),
            box_name: "Box {rack}-{box}".into(),
            box_barcode: barcode.into(),
        }
    }

    #[test]
    fn a_pattern_names_every_rack_and_box_in_order() {
        let plan = pattern(2, 3, "F1-R{rack:2}-B{box:3}").expand().unwrap();
        assert_eq!(plan.len(), 2);
        assert_eq!(plan[1].name, "Rack 2");
        assert_eq!(
            plan[1].boxes[2],
            PlannedBox {
                name: "Box 2-3".into(),
                barcode: "F1-R02-B003".into()
            }
        );
    }

    #[rstest::rstest]
    #[case(pattern(2, 3, "F1-B{box}"), "box_barcode")]
    #[case(pattern(1, 3, "F1-B"), "box_barcode")]
    #[case(pattern(1, 3, "F1-{shelf}"), "box_barcode")]
    #[case(pattern(1, 3, "F1-{box"), "box_barcode")]
    #[case(pattern(1, 3, "F1-box}"), "box_barcode")]
    #[case(pattern(1, 3, "F1-{box:9}"), "box_barcode")]
    #[case(pattern(0, 3, "{rack}-{box}"), "racks")]
    #[case(pattern(51, 1, "{rack}-{box}"), "racks")]
    #[case(pattern(10, 51, "{rack}-{box}"), "boxes_per_rack")]
    #[case(StoragePattern { rack_name: "Rack {box}".into(), ..pattern(1, 1, "{box}") }, "rack_name")]
    #[case(StoragePattern { rack_name: "Rack".into(), ..pattern(2, 1, "{rack}-{box}") }, "rack_name")]
    #[case(StoragePattern { box_name: " ".into(), ..pattern(1, 1, "{box}") }, "box_name")]
    fn a_pattern_that_cannot_name_each_one_apart_is_refused(
        #[case] p: StoragePattern,
        #[case] field: &str,
    ) {
        match p.expand() {
            Err(DomainError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected {field} refused, got {other:?}"),
        }
    }

    #[test]
    fn five_hundred_boxes_is_the_most_at_once() {
        assert_eq!(pattern(50, 10, "{rack}-{box}").expand().unwrap().len(), 50);
        assert!(pattern(50, 11, "{rack}-{box}").expand().is_err());
    }

    /// A position is at most 4 characters ("H12", "A012", "96"); longer text is refused
    /// even when it would read as one ("A00012").
    #[test]
    fn positions_are_at_most_four_characters() {
        assert_eq!(g96().parse_position("A012").unwrap().name(), "A12");
        assert_eq!(g96().parse_position("0096").unwrap().name(), "H12");
        assert!(g96().parse_position("A00012").is_err());
        assert!(g96().parse_position("000012").is_err());
    }

    #[test]
    fn freezer_kinds_have_their_stored_names_and_temperatures() {
        for kind in FreezerKind::ALL {
            assert_eq!(FreezerKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(FreezerKind::parse("cold"), None);
        for (kind, low, high) in [
            (FreezerKind::UltraLow, -100, -60),
            (FreezerKind::Freezer, -40, -10),
            (FreezerKind::LiquidNitrogen, -200, -130),
            (FreezerKind::Refrigerator, 0, 10),
            (FreezerKind::Ambient, 10, 35),
        ] {
            assert!(kind.check_temperature(low).is_ok(), "{kind:?} {low}");
            assert!(kind.check_temperature(high).is_ok(), "{kind:?} {high}");
            assert!(kind.check_temperature(low - 1).is_err(), "{kind:?} {low}");
            assert!(kind.check_temperature(high + 1).is_err(), "{kind:?} {high}");
        }
        // The typo the check is for.
        assert!(FreezerKind::UltraLow.check_temperature(80).is_err());
    }

    #[test]
    fn a_grid_holds_rows_times_columns_and_a_bag_what_it_says() {
        let grid = BoxLayout::Grid {
            rows: 9,
            columns: 10,
        };
        assert_eq!(grid.capacity(), Some(90));
        assert_eq!(grid.grid(), Some(Grid::new(9, 10).unwrap()));
        let bag = BoxLayout::Bag { capacity: Some(25) };
        assert_eq!((bag.capacity(), bag.grid()), (Some(25), None));
        assert_eq!(BoxLayout::Bag { capacity: None }.capacity(), None);
    }
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
    fn any_grids_names_parse_padded_or_not_with_two_letter_rows() {
        let a1 = Position { row: 0, column: 0 };
        for name in ["A1", "A01", "a1", "      A1", "A001", "A1 "] {
            assert_eq!(Position::parse(name), Some(a1), "{name:?}");
        }
        let af48 = Position::parse("AF48").unwrap();
        assert_eq!(
            af48,
            Position {
                row: 31,
                column: 47
            }
        );
        assert_eq!(af48.name(), "AF48");
        assert_eq!(Position::from_parts("h", " 12").unwrap().name(), "H12");
        for name in [
            "", "A", "1", "A0", "A49", "AG1", "AAA1", "A1B", "Ä1", "A-1", "A1000",
        ] {
            assert_eq!(Position::parse(name), None, "{name:?}");
        }
        // A box still holds only its own positions.
        assert!(g96().parse_position("AA1").is_err());
        assert!(g96().parse_position("I1").is_err());
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
            still_to_store: 1,
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
            still_to_store: 1,
        };
        let p = choose_position(grid, AutoPosition::KeepParticipantTogether, &contents).unwrap();
        assert_eq!(p.name(), "C6");
        let p = choose_position(grid, AutoPosition::NextFree, &contents).unwrap();
        assert_eq!(p.name(), "A2");
    }

    fn at(names: &[&str]) -> Vec<Position> {
        names
            .iter()
            .map(|n| g96().parse_position(n).unwrap())
            .collect()
    }

    /// When the well after the participant's tube is taken, the nearest free well is the
    /// one below it, not the first free one far away (the walk got A8, H7, H8).
    #[test]
    fn keep_together_takes_the_nearest_free_well() {
        let grid = g96();
        let mut occupied = at(&["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9"]);
        occupied.extend(at(&["B1", "B2", "B3", "B4", "B5", "B6", "B7"]));
        let contents = BoxContents {
            occupied,
            same_participant: at(&["A8"]),
            still_to_store: 2,
        };
        let p = choose_position(grid, AutoPosition::KeepParticipantTogether, &contents).unwrap();
        assert_eq!(p.name(), "B8");
        let p = choose_position(grid, AutoPosition::NextFree, &contents).unwrap();
        assert_eq!(p.name(), "A10");
    }

    #[test]
    fn keep_together_prefers_after_the_last_tube_to_before_it() {
        let grid = Grid::new(2, 3).unwrap();
        let contents = BoxContents {
            occupied: vec![grid.parse_position("B2").unwrap()],
            same_participant: vec![grid.parse_position("B2").unwrap()],
            still_to_store: 1,
        };
        let p = choose_position(grid, AutoPosition::KeepParticipantTogether, &contents).unwrap();
        assert_eq!(p.name(), "B3");
    }

    #[test]
    fn keep_together_fills_a_row_left_to_right() {
        let grid = g96();
        let contents = BoxContents {
            occupied: at(&["C5", "C6"]),
            same_participant: at(&["C5", "C6"]),
            still_to_store: 3,
        };
        let p = choose_position(grid, AutoPosition::KeepParticipantTogether, &contents).unwrap();
        assert_eq!(p.name(), "C7");
    }

    /// The first tube of a participant looks for room for all of their tubes to come.
    #[test]
    fn keep_together_starts_where_all_the_tubes_fit() {
        let grid = Grid::new(2, 6).unwrap();
        let occupied: Vec<Position> = ["A1", "A4", "B3"]
            .iter()
            .map(|n| grid.parse_position(n).unwrap())
            .collect();
        let place = |still_to_store| {
            let contents = BoxContents {
                occupied: occupied.clone(),
                same_participant: vec![],
                still_to_store,
            };
            choose_position(grid, AutoPosition::KeepParticipantTogether, &contents)
                .unwrap()
                .name()
        };
        // Free runs: A2–A3 (2), A5–B2 (4, across the row end), B4–B6 (3).
        assert_eq!(place(1), "A2");
        assert_eq!(place(2), "A2");
        assert_eq!(place(3), "A5");
        assert_eq!(place(4), "A5");
        // No run is long enough: the longest one.
        assert_eq!(place(5), "A5");
        assert_eq!(place(0), "A2");
    }

    #[test]
    fn a_full_box_is_refused() {
        let grid = Grid::new(1, 2).unwrap();
        let contents = BoxContents {
            occupied: grid.positions().collect(),
            same_participant: vec![],
            still_to_store: 1,
        };
        assert_eq!(
            choose_position(grid, AutoPosition::NextFree, &contents),
            Err(DomainError::BoxFull)
        );
        assert_eq!(
            choose_position(grid, AutoPosition::KeepParticipantTogether, &contents),
            Err(DomainError::BoxFull)
        );
    }
}
