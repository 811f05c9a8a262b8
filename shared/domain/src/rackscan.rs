//! Rack scans: reading the file a rack scanner writes, and setting it beside the store.
//!
//! A rack scanner (FluidX/Azenta Perception, Ziath DataPaq, Micronic, …) reads the 2D codes
//! under a rack of tubes and writes one line per well. Vendors and lab set-ups differ in
//! separator, quoting, header and position style, so [`parse_rack_scan`] accepts the common
//! variants, but it refuses whatever it cannot read with certainty: a guessed position would
//! put a sample's record in the wrong well, which is worse than a refused file. Every refusal
//! names the line and says what to do.
//!
//! [`compare`] then sorts every well into what matches the store, what moved within the box,
//! what arrived from elsewhere, what is unknown or unreadable and what is missing. Only moves
//! and arrivals that can all be committed together become [`RackScanDiff::placements`];
//! nothing leaves the store's record of the box because a scan did not see it.

use crate::storage::{Grid, Position};
use crate::DomainError;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use thiserror::Error;
use ts_rs::TS;
use uuid::Uuid;

/// A rack scan file is a few kilobytes; anything far larger is the wrong file.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Even a 1536-well rack with a header and blank lines stays well below this.
pub const MAX_FILE_LINES: usize = 2_000;
/// The longest tube code or rack barcode accepted.
pub const MAX_CODE_CHARS: usize = 64;

/// Words that mark the position column of a header line (compared in lower case).
const HEADER_POSITION_WORDS: [&str; 4] = ["pos", "well", "location", "slot"];

/// What a scanner file says about a rack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RackScan {
    /// The rack's own barcode, when the file names one.
    pub rack_barcode: Option<String>,
    /// The wells the file lists, in reading order. Wells the file does not list are absent.
    pub wells: Vec<ScannedWell>,
}

/// One well as the scanner read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedWell {
    pub position: Position,
    pub read: WellRead,
}

/// What the scanner saw in a well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WellRead {
    /// A tube with this code.
    Tube(String),
    /// No tube in the well.
    NoTube,
    /// Something is there but its code could not be read (frost, damaged label, no code).
    NoRead,
}

/// Why a rack scan file is refused. Each message names the line and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RackScanError {
    #[error("the rack scan file lists no wells. Scan the rack again and import the new file.")]
    Empty,
    #[error(
        "this file is too large to be a rack scan (over 1 MiB or 2,000 lines). Check that you \
         chose the file the rack scanner wrote."
    )]
    TooLarge,
    #[error(
        "line {line}: {found} field(s), but a rack scan line holds a position and a tube code, \
         optionally after the rack barcode (A1,CODE or RACK,A1,CODE). This file layout is not \
         recognised: export the scan again as CSV or TXT."
    )]
    WrongFieldCount { line: usize, found: usize },
    #[error(
        "line {line}: {found} fields, but line {first_line} has {expected}. Every line of a rack \
         scan has the same layout: export the scan again."
    )]
    FieldCountChanged {
        line: usize,
        found: usize,
        expected: usize,
        first_line: usize,
    },
    #[error(
        "line {line}: {text:?} is not a position in this box, which runs from A1 to {last} \
         (wells 1 to {capacity}). Positions are never guessed: check that you chose the right \
         box, or scan the rack again."
    )]
    BadPosition {
        line: usize,
        text: String,
        last: String,
        capacity: u32,
    },
    #[error(
        "line {line}: position {position} is listed a second time (first on line {first_line}). \
         Scan the rack again."
    )]
    DuplicatePosition {
        line: usize,
        first_line: usize,
        position: String,
    },
    #[error(
        "line {line}: tube {code} at {position} is already listed on line {first_line}. One \
         tube cannot be in two wells: check the rack and scan it again."
    )]
    DuplicateTube {
        line: usize,
        first_line: usize,
        code: String,
        position: String,
    },
    #[error(
        "line {line}: rack {found} differs from rack {first} on line {first_line}. A file holds \
         the scan of one rack: import each rack's scan on its own."
    )]
    MixedRacks {
        line: usize,
        first_line: usize,
        first: String,
        found: String,
    },
    #[error(
        "line {line}: {text:?} is not a tube code (1 to 64 letters, digits or symbols, no \
         spaces or quotation marks). Check the tube's label and scan the rack again."
    )]
    BadTubeCode { line: usize, text: String },
    #[error(
        "line {line}: {text:?} is not a rack barcode (1 to 64 letters, digits or symbols, no \
         spaces or quotation marks). Check the rack's label and scan it again."
    )]
    BadRackBarcode { line: usize, text: String },
}

/// The API reports a refused file like any other invalid input.
impl From<RackScanError> for DomainError {
    fn from(error: RackScanError) -> Self {
        DomainError::invalid("rack_scan_file", error.to_string())
    }
}

/// Reads a rack scanner's CSV or TXT export for a box of shape `grid`.
///
/// Accepted: comma, semicolon or tab separators (chosen from the first line); double quotes
/// with `""` inside; a UTF-8 byte order mark; LF, CRLF or CR line ends; blank lines; one
/// header line first (its position column named like "Position" or "Well"); rows
/// `POSITION,CODE` or `RACK,POSITION,CODE`; positions `A1`, `A01` or a well number. Empty
/// and unreadable wells may be written as markers (`NO TUBE`, `EMPTY`, `NO READ`, `ERROR`,
/// …) or, for an empty well, as an empty field.
pub fn parse_rack_scan(text: &str, grid: Grid) -> Result<RackScan, RackScanError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(RackScanError::TooLarge);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = split_lines(text);
    if lines.len() > MAX_FILE_LINES {
        return Err(RackScanError::TooLarge);
    }

    let mut separator = None;
    let mut first_content_line = true;
    // Field count of the first well line, and that line.
    let mut layout: Option<(usize, usize)> = None;
    // The rack barcode and the line that first named it.
    let mut rack: Option<(String, usize)> = None;
    let mut position_lines: HashMap<Position, usize> = HashMap::new();
    let mut code_lines: HashMap<String, usize> = HashMap::new();
    let mut wells = Vec::new();

    for (index, raw) in lines.iter().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let separator = *separator.get_or_insert_with(|| detect_separator(raw));
        let fields = fields_of(raw, separator);
        // Spreadsheet exports sometimes end with lines of bare separators.
        if fields.iter().all(|field| field.is_empty()) {
            continue;
        }
        let is_first = std::mem::replace(&mut first_content_line, false);

        let (rack_field, position_field, read_field) = match fields.as_slice() {
            [position, read] => (None, position, read),
            [rack, position, read] => (Some(rack), position, read),
            _ => {
                return Err(RackScanError::WrongFieldCount {
                    line,
                    found: fields.len(),
                })
            }
        };
        if is_first && is_header(grid, position_field) {
            continue;
        }
        match layout {
            None => layout = Some((fields.len(), line)),
            Some((expected, first_line)) if expected != fields.len() => {
                return Err(RackScanError::FieldCountChanged {
                    line,
                    found: fields.len(),
                    expected,
                    first_line,
                })
            }
            Some(_) => {}
        }

        let position =
            grid.parse_position(position_field)
                .map_err(|_| RackScanError::BadPosition {
                    line,
                    text: preview(position_field),
                    last: last_position(grid).name(),
                    capacity: grid.capacity(),
                })?;

        // An unread or blank rack barcode on one line says nothing about the rack.
        if let Some(found) = rack_field.filter(|f| !f.is_empty() && marker(f).is_none()) {
            if !is_code(found) {
                return Err(RackScanError::BadRackBarcode {
                    line,
                    text: preview(found),
                });
            }
            match &rack {
                None => rack = Some((found.clone(), line)),
                Some((first, first_line)) if first != found => {
                    return Err(RackScanError::MixedRacks {
                        line,
                        first_line: *first_line,
                        first: first.clone(),
                        found: found.clone(),
                    })
                }
                Some(_) => {}
            }
        }

        if let Some(&first_line) = position_lines.get(&position) {
            return Err(RackScanError::DuplicatePosition {
                line,
                first_line,
                position: position.name(),
            });
        }
        position_lines.insert(position, line);

        let read = match marker(read_field) {
            Some(read) => read,
            None => {
                if !is_code(read_field) {
                    return Err(RackScanError::BadTubeCode {
                        line,
                        text: preview(read_field),
                    });
                }
                if let Some(&first_line) = code_lines.get(read_field.as_str()) {
                    return Err(RackScanError::DuplicateTube {
                        line,
                        first_line,
                        code: read_field.clone(),
                        position: position.name(),
                    });
                }
                code_lines.insert(read_field.clone(), line);
                WellRead::Tube(read_field.clone())
            }
        };
        wells.push(ScannedWell { position, read });
    }

    if wells.is_empty() {
        return Err(RackScanError::Empty);
    }
    wells.sort_by_key(|well| well.position.index(grid));
    Ok(RackScan {
        rack_barcode: rack.map(|(barcode, _)| barcode),
        wells,
    })
}

/// Physical lines, numbered as a text editor shows them (the numbers every refusal names).
/// Files from old Mac tools end lines with a lone CR, so CR alone separates lines only when
/// there is no LF at all.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = if text.contains('\n') {
        text.split('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect()
    } else {
        text.split('\r').collect()
    };
    // A final line end does not start another line.
    if lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    lines
}

/// One line's fields, trimmed, read by the `csv` crate (quotes, `""` inside quotes). A quote
/// that does not open a field is kept as text, so such a field is then refused as a position
/// or a code, naming the line.
fn fields_of(line: &str, separator: char) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(u8::try_from(separator).unwrap_or(b','))
        .from_reader(line.as_bytes());
    match reader.records().next() {
        Some(Ok(record)) => record.iter().map(str::to_owned).collect(),
        // A `&str` line is valid UTF-8 and read from memory: the reader cannot fail on it.
        _ => vec![line.trim().to_owned()],
    }
}

/// One separator for the whole file, from its first line: tab, then semicolon, then comma.
/// Tube codes never contain these, so the first that appears outside quotes is the one.
fn detect_separator(line: &str) -> char {
    let mut quoted = false;
    let mut seen = [false; 2]; // tab, semicolon
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            '\t' if !quoted => seen[0] = true,
            ';' if !quoted => seen[1] = true,
            _ => {}
        }
    }
    if seen[0] {
        '\t'
    } else if seen[1] {
        ';'
    } else {
        ','
    }
}

/// A header names its position column; a data line's position field parses.
fn is_header(grid: Grid, position_field: &str) -> bool {
    if grid.parse_position(position_field).is_ok() {
        return false;
    }
    let lower = position_field.to_lowercase();
    HEADER_POSITION_WORDS
        .iter()
        .any(|word| lower.contains(word))
}

/// The empty-well and unreadable-well markers scanners write, in any case, with or without
/// a space, underscore or hyphen between the words. An empty field is an empty well.
fn marker(field: &str) -> Option<WellRead> {
    if field.is_empty() {
        return Some(WellRead::NoTube);
    }
    if field.len() > 16 {
        return None;
    }
    let squeezed: String = field
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match squeezed.as_str() {
        "NOTUBE" | "EMPTY" => Some(WellRead::NoTube),
        "NOREAD" | "ERROR" | "???" => Some(WellRead::NoRead),
        _ => None,
    }
}

/// Codes are what the scanner decoded from a 2D code: printable ASCII, no spaces.
/// A tube or rack code: printable ASCII without spaces. A quotation mark only ever quotes in
/// a CSV file, so one left inside a field means the line was not written as the scanner
/// writes it.
fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_CODE_CHARS
        && text.bytes().all(|b| b.is_ascii_graphic() && b != b'"')
}

/// A short, safe excerpt of file text for an error message.
fn preview(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

fn last_position(grid: Grid) -> Position {
    Position {
        row: grid.rows.saturating_sub(1),
        column: grid.columns.saturating_sub(1),
    }
}

/// A tube the store knows, as loaded for a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownTube {
    pub sample_id: Uuid,
    pub code: String,
    pub location: KnownLocation,
}

/// Where the store has a tube.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KnownLocation {
    /// In the box being scanned, at this position.
    ThisBox(Position),
    /// In another box.
    OtherBox {
        box_name: String,
        position: Option<Position>,
    },
    /// Known but not in any box.
    NotPlaced,
}

/// The scan set beside the store. Lists are in reading order of the position they name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RackScanDiff {
    pub rack_barcode: Option<String>,
    /// Tubes where the store has them.
    pub matched: Vec<ScanMatch>,
    /// Tubes of this box found in another well of it.
    pub misplaced: Vec<ScanMove>,
    /// Tubes the store has elsewhere (another box, or no box) found in this box.
    pub extra: Vec<ScanArrival>,
    /// Codes the store does not know. They are not placed.
    pub unknown: Vec<ScanUnknown>,
    /// Wells the scanner could not read. Nothing changes for them.
    pub unreadable: Vec<ScanUnreadable>,
    /// Tubes of this box the scan did not find. The store keeps them where they are.
    pub missing: Vec<ScanMissing>,
    /// Moves and arrivals that cannot be committed: their well is still held by a tube that
    /// stays. They are not in `placements`.
    pub conflicts: Vec<ScanConflict>,
    /// The changes to commit together: `misplaced` and `extra` less `conflicts`.
    pub placements: Vec<ScanPlacement>,
}

/// A tube found where the store has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ScanMatch {
    pub position: String,
    pub code: String,
    pub sample_id: Uuid,
}

/// A tube of this box found in another of its wells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ScanMove {
    pub sample_id: Uuid,
    pub code: String,
    /// Where the store has it.
    pub from: String,
    /// Where the scan found it.
    pub to: String,
}

/// A tube the store has elsewhere, found in this box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ScanArrival {
    pub sample_id: Uuid,
    pub code: String,
    /// Where the scan found it in this box.
    pub position: String,
    /// The box the store has it in; none when it is not in a box.
    pub from_box: Option<String>,
    pub from_position: Option<String>,
}

/// A code the store does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ScanUnknown {
    pub position: String,
    pub code: String,
}

/// A well the scanner could not read, with the tube the store has there (if that tube was
/// not found elsewhere in the scan): it is probably that tube, so it is not called missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ScanUnreadable {
    pub position: String,
    pub expected_code: Option<String>,
    pub expected_sample_id: Option<Uuid>,
}

/// A tube the store has in this box that the scan did not find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ScanMissing {
    pub sample_id: Uuid,
    pub code: String,
    /// Where the store has it (and keeps it).
    pub position: String,
}

/// A move or arrival that cannot be committed because its well is still held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ScanConflict {
    pub sample_id: Uuid,
    pub code: String,
    /// The well the scan found it in.
    pub position: String,
    /// The tube the store keeps in that well.
    pub occupant_code: String,
    pub occupant_sample_id: Uuid,
}

/// One change to commit: put this sample's tube at this position of the scanned box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ScanPlacement {
    pub sample_id: Uuid,
    pub position: String,
}

/// A tube the store keeps in a well after the import.
#[derive(Debug, Clone, Copy)]
struct Occupant<'a> {
    code: &'a str,
    sample_id: Uuid,
}

/// A move or arrival not yet known to be committable.
#[derive(Debug, Clone, Copy)]
struct Candidate<'a> {
    sample_id: Uuid,
    code: &'a str,
    /// The well it leaves in this box, if it comes from this box.
    from: Option<Position>,
    to: Position,
}

/// Sets a scan beside the store.
///
/// `expected` is every tube the store has in the scanned box (all `ThisBox`);
/// `scanned_known` is the store's record for every scanned code it knows, wherever it is. If
/// the two disagree about a code, `expected` wins. The scan is expected to come from
/// [`parse_rack_scan`]; should a position or code repeat anyway, only its first well in
/// reading order counts.
pub fn compare(
    scan: &RackScan,
    expected: &[KnownTube],
    scanned_known: &[KnownTube],
) -> RackScanDiff {
    let mut known: HashMap<&str, &KnownTube> = HashMap::new();
    for tube in scanned_known.iter().chain(expected) {
        known.insert(tube.code.as_str(), tube);
    }
    let in_box: Vec<(Position, &KnownTube)> = expected
        .iter()
        .filter_map(|tube| match tube.location {
            KnownLocation::ThisBox(position) => Some((position, tube)),
            _ => None,
        })
        .collect();
    let mut stored_at: HashMap<Position, &KnownTube> = HashMap::new();
    for (position, tube) in &in_box {
        stored_at.entry(*position).or_insert(tube);
    }

    // Derived `Ord` on Position is row then column: reading order.
    let mut wells: Vec<&ScannedWell> = scan.wells.iter().collect();
    wells.sort_by_key(|well| well.position);
    let mut listed = HashSet::new();
    wells.retain(|well| listed.insert(well.position));
    let scanned_codes: HashSet<&str> = wells
        .iter()
        .filter_map(|well| match &well.read {
            WellRead::Tube(code) => Some(code.as_str()),
            _ => None,
        })
        .collect();

    let mut diff = RackScanDiff {
        rack_barcode: scan.rack_barcode.clone(),
        matched: Vec::new(),
        misplaced: Vec::new(),
        extra: Vec::new(),
        unknown: Vec::new(),
        unreadable: Vec::new(),
        missing: Vec::new(),
        conflicts: Vec::new(),
        placements: Vec::new(),
    };
    // Wells whose store record stays as it is after the import, and with which tube.
    let mut held: HashMap<Position, Occupant> = HashMap::new();
    let mut unread_wells = HashSet::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut counted_codes = HashSet::new();

    for well in &wells {
        let here = well.position;
        match &well.read {
            WellRead::NoTube => {}
            WellRead::NoRead => {
                unread_wells.insert(here);
                let probably = stored_at
                    .get(&here)
                    .filter(|tube| !scanned_codes.contains(tube.code.as_str()));
                diff.unreadable.push(ScanUnreadable {
                    position: here.name(),
                    expected_code: probably.map(|tube| tube.code.clone()),
                    expected_sample_id: probably.map(|tube| tube.sample_id),
                });
            }
            WellRead::Tube(code) => {
                if !counted_codes.insert(code.as_str()) {
                    continue;
                }
                let Some(tube) = known.get(code.as_str()) else {
                    diff.unknown.push(ScanUnknown {
                        position: here.name(),
                        code: code.clone(),
                    });
                    continue;
                };
                let mut candidate = Candidate {
                    sample_id: tube.sample_id,
                    code: tube.code.as_str(),
                    from: None,
                    to: here,
                };
                match &tube.location {
                    KnownLocation::ThisBox(stored) if *stored == here => {
                        diff.matched.push(ScanMatch {
                            position: here.name(),
                            code: code.clone(),
                            sample_id: tube.sample_id,
                        });
                        held.insert(
                            here,
                            Occupant {
                                code: tube.code.as_str(),
                                sample_id: tube.sample_id,
                            },
                        );
                        continue;
                    }
                    KnownLocation::ThisBox(stored) => {
                        diff.misplaced.push(ScanMove {
                            sample_id: tube.sample_id,
                            code: code.clone(),
                            from: stored.name(),
                            to: here.name(),
                        });
                        candidate.from = Some(*stored);
                    }
                    KnownLocation::OtherBox { box_name, position } => {
                        diff.extra.push(ScanArrival {
                            sample_id: tube.sample_id,
                            code: code.clone(),
                            position: here.name(),
                            from_box: Some(box_name.clone()),
                            from_position: position.map(Position::name),
                        });
                    }
                    KnownLocation::NotPlaced => {
                        diff.extra.push(ScanArrival {
                            sample_id: tube.sample_id,
                            code: code.clone(),
                            position: here.name(),
                            from_box: None,
                            from_position: None,
                        });
                    }
                }
                candidates.push(candidate);
            }
        }
    }

    // Tubes of this box the scan did not find stay where the store has them. Under an
    // unreadable well we cannot tell, so such a tube is not called missing.
    let mut not_found: Vec<&(Position, &KnownTube)> = in_box
        .iter()
        .filter(|(_, tube)| !scanned_codes.contains(tube.code.as_str()))
        .collect();
    not_found.sort_by_key(|(position, _)| *position);
    for (position, tube) in not_found {
        held.entry(*position).or_insert(Occupant {
            code: tube.code.as_str(),
            sample_id: tube.sample_id,
        });
        if !unread_wells.contains(position) {
            diff.missing.push(ScanMissing {
                sample_id: tube.sample_id,
                code: tube.code.clone(),
                position: position.name(),
            });
        }
    }

    // A refused move leaves its tube in its old well, which may in turn block a tube moving
    // into that well: repeat until nothing more is refused.
    let mut refused: Vec<(Candidate, Occupant)> = Vec::new();
    loop {
        let before = candidates.len();
        let mut still_open = Vec::with_capacity(before);
        for candidate in candidates {
            let blocker = held.get(&candidate.to).copied();
            match blocker {
                Some(occupant) => {
                    if let Some(from) = candidate.from {
                        held.entry(from).or_insert(Occupant {
                            code: candidate.code,
                            sample_id: candidate.sample_id,
                        });
                    }
                    refused.push((candidate, occupant));
                }
                None => still_open.push(candidate),
            }
        }
        candidates = still_open;
        if candidates.len() == before {
            break;
        }
    }
    refused.sort_by_key(|(candidate, _)| candidate.to);
    diff.conflicts = refused
        .into_iter()
        .map(|(candidate, occupant)| ScanConflict {
            sample_id: candidate.sample_id,
            code: candidate.code.to_owned(),
            position: candidate.to.name(),
            occupant_code: occupant.code.to_owned(),
            occupant_sample_id: occupant.sample_id,
        })
        .collect();
    // Candidates were gathered in reading order of the well they go to.
    diff.placements = candidates
        .into_iter()
        .map(|candidate| ScanPlacement {
            sample_id: candidate.sample_id,
            position: candidate.to.name(),
        })
        .collect();
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn g96() -> Grid {
        Grid {
            rows: 8,
            columns: 12,
        }
    }

    fn at(name: &str) -> Position {
        g96().parse_position(name).unwrap()
    }

    fn tube(name: &str, code: &str) -> ScannedWell {
        ScannedWell {
            position: at(name),
            read: WellRead::Tube(code.to_owned()),
        }
    }

    fn parse(text: &str) -> Result<RackScan, RackScanError> {
        parse_rack_scan(text, g96())
    }

    // ---- parsing: accepted layouts ----

    #[rstest]
    #[case::two_fields("A1,FX001\nA2,FX002\n", None)]
    #[case::with_rack("RK9,A1,FX001\nRK9,A2,FX002\n", Some("RK9"))]
    #[case::semicolon("A1;FX001\nA2;FX002", None)]
    #[case::semicolon_rack("RK9;A1;FX001\nRK9;A2;FX002", Some("RK9"))]
    #[case::tab("RK9\tA1\tFX001\nRK9\tA2\tFX002", Some("RK9"))]
    #[case::tab_two("A1\tFX001\nA2\tFX002", None)]
    #[case::quoted("\"A1\",\"FX001\"\n\"A2\",\"FX002\"", None)]
    #[case::quoted_rack("\"RK9\";\"A1\";\"FX001\"\n\"RK9\";\"A2\";\"FX002\"", Some("RK9"))]
    #[case::bom("\u{feff}A1,FX001\nA2,FX002", None)]
    #[case::bom_header("\u{feff}Position,Barcode\nA1,FX001\nA2,FX002", None)]
    #[case::crlf("A1,FX001\r\nA2,FX002\r\n", None)]
    #[case::lone_cr("A1,FX001\rA2,FX002\r", None)]
    #[case::header_position_barcode("Position,Barcode\nA1,FX001\nA2,FX002", None)]
    #[case::header_rack_position_tube(
        "Rack,Position,Tube\nRK9,A1,FX001\nRK9,A2,FX002",
        Some("RK9")
    )]
    #[case::header_well("TubeRackID,Well,TubeCode\nRK9,A1,FX001\nRK9,A2,FX002", Some("RK9"))]
    #[case::header_quoted(
        "\"Rack\";\"POS\";\"Tube\"\r\nRK9;A1;FX001\r\nRK9;A2;FX002",
        Some("RK9")
    )]
    #[case::header_after_blank_lines("\n\nPosition,Barcode\nA1,FX001\nA2,FX002", None)]
    #[case::padded_a01("A01,FX001\nA02,FX002", None)]
    #[case::well_numbers("1,FX001\n2,FX002", None)]
    #[case::lower_case("a1,FX001\na2,FX002", None)]
    #[case::spaces("  A1 ,  FX001  \nA2, FX002", None)]
    #[case::blank_lines("\n\nA1,FX001\n\n   \nA2,FX002\n\n", None)]
    #[case::bare_separator_lines("A1,FX001\n,\n,,\nA2,FX002\n", None)]
    #[case::reverse_order("A2,FX002\nA1,FX001", None)]
    #[case::unread_rack_barcode("NO READ,A1,FX001\nNO READ,A2,FX002", None)]
    #[case::rack_on_some_lines(",A1,FX001\nRK9,A2,FX002", Some("RK9"))]
    fn layouts_are_read(#[case] text: &str, #[case] rack: Option<&str>) {
        let scan = parse(text).unwrap();
        assert_eq!(scan.rack_barcode.as_deref(), rack);
        assert_eq!(scan.wells, vec![tube("A1", "FX001"), tube("A2", "FX002")]);
    }

    #[rstest]
    #[case("NO TUBE", WellRead::NoTube)]
    #[case("NOTUBE", WellRead::NoTube)]
    #[case("No Tube", WellRead::NoTube)]
    #[case("NO_TUBE", WellRead::NoTube)]
    #[case("EMPTY", WellRead::NoTube)]
    #[case("empty", WellRead::NoTube)]
    #[case("", WellRead::NoTube)]
    #[case("   ", WellRead::NoTube)]
    #[case("\"\"", WellRead::NoTube)]
    #[case("NO READ", WellRead::NoRead)]
    #[case("NOREAD", WellRead::NoRead)]
    #[case("NO_READ", WellRead::NoRead)]
    #[case("no read", WellRead::NoRead)]
    #[case(" NoRead ", WellRead::NoRead)]
    #[case("ERROR", WellRead::NoRead)]
    #[case("Error", WellRead::NoRead)]
    #[case("???", WellRead::NoRead)]
    #[case("\"NO READ\"", WellRead::NoRead)]
    fn markers_are_read(#[case] marker: &str, #[case] read: WellRead) {
        for text in [
            format!("A1,{marker}\nA2,FX002"),
            format!("RK9,A1,{marker}\nRK9,A2,FX002"),
        ] {
            let scan = parse(&text).unwrap();
            assert_eq!(scan.wells[0].read, read, "{text:?}");
            assert_eq!(scan.wells[1], tube("A2", "FX002"));
        }
    }

    #[test]
    fn markers_repeat_freely_but_codes_do_not() {
        let scan = parse("A1,NO TUBE\nA2,NO TUBE\nA3,NO READ\nA4,NOREAD").unwrap();
        assert_eq!(scan.wells.len(), 4);
    }

    #[test]
    fn unlisted_positions_are_absent() {
        let scan = parse("C3,FX3\nA1,FX1").unwrap();
        assert_eq!(scan.wells, vec![tube("A1", "FX1"), tube("C3", "FX3")]);
    }

    #[test]
    fn codes_keep_their_case_and_symbols() {
        // Quoting does not make spaces acceptable in a code.
        let error = parse("A1,fx-01/2.3_x\nA2,\"say \"\"hi\"\"\"").unwrap_err();
        assert_eq!(
            error,
            RackScanError::BadTubeCode {
                line: 2,
                text: "say \"hi\"".into()
            }
        );
        let scan = parse("A1,fx-01/2.3_x").unwrap();
        assert_eq!(scan.wells, vec![tube("A1", "fx-01/2.3_x")]);
    }

    #[test]
    fn a_full_96_well_rack_is_read_in_reading_order() {
        let grid = g96();
        // Written column by column, as some scanners do, with a header and CRLF.
        let mut text = String::from("Rack,Position,Tube\r\n");
        for column in 0..12u8 {
            for row in 0..8u8 {
                let p = Position { row, column };
                let read = match p.index(grid) {
                    5 => "NO TUBE".to_owned(),
                    17 => "NO READ".to_owned(),
                    i => format!("FX{i:08}"),
                };
                text.push_str(&format!("SA00012345,{},{read}\r\n", p.name()));
            }
        }
        let scan = parse_rack_scan(&text, grid).unwrap();
        assert_eq!(scan.rack_barcode.as_deref(), Some("SA00012345"));
        assert_eq!(scan.wells.len(), 96);
        let positions: Vec<Position> = scan.wells.iter().map(|w| w.position).collect();
        assert_eq!(positions, grid.positions().collect::<Vec<_>>());
        assert_eq!(scan.wells[5].read, WellRead::NoTube);
        assert_eq!(scan.wells[17].read, WellRead::NoRead);
        assert_eq!(scan.wells[95].read, WellRead::Tube("FX00000095".into()));
    }

    #[test]
    fn the_box_shape_bounds_positions() {
        let small = Grid {
            rows: 6,
            columns: 8,
        };
        assert!(parse_rack_scan("F8,FX1\n47,FX2", small).is_ok());
        assert!(matches!(
            parse_rack_scan("G1,FX1", small),
            Err(RackScanError::BadPosition { line: 1, ref last, capacity: 48, .. }) if last == "F8"
        ));
    }

    // ---- parsing: refusals ----

    fn bad_position(line: usize, text: &str) -> RackScanError {
        RackScanError::BadPosition {
            line,
            text: text.to_owned(),
            last: "H12".to_owned(),
            capacity: 96,
        }
    }

    #[rstest]
    #[case::nothing("", RackScanError::Empty)]
    #[case::blank("\n  \r\n\n", RackScanError::Empty)]
    #[case::bom_only("\u{feff}", RackScanError::Empty)]
    #[case::header_only("Position,Barcode\r\n", RackScanError::Empty)]
    #[case::row_out_of_box("A1,FX1\nI1,FX2", bad_position(2, "I1"))]
    #[case::column_out_of_box("A1,FX1\n\nA13,FX2", bad_position(3, "A13"))]
    #[case::well_number_out_of_box("A1,FX1\n97,FX2", bad_position(2, "97"))]
    #[case::no_position("A1,FX1\n,FX2", bad_position(2, ""))]
    #[case::unknown_header("Foo,Bar\nA1,FX1", bad_position(1, "Foo"))]
    #[case::header_not_first("A1,FX1\nPosition,Barcode", bad_position(2, "Position"))]
    #[case::swapped_columns("FX1,A1", bad_position(1, "FX1"))]
    #[case::position_twice("A1,FX1\nA2,FX2\nA01,FX3", RackScanError::DuplicatePosition {
        line: 3, first_line: 1, position: "A1".into() })]
    #[case::position_twice_as_number("A1,NO TUBE\n1,FX2", RackScanError::DuplicatePosition {
        line: 2, first_line: 1, position: "A1".into() })]
    #[case::tube_twice("A1,FX1\nA2,FX2\n\nB7,FX1", RackScanError::DuplicateTube {
        line: 4, first_line: 1, code: "FX1".into(), position: "B7".into() })]
    #[case::two_racks("R1,A1,FX1\nR1,A2,FX2\nR2,A3,FX3", RackScanError::MixedRacks {
        line: 3, first_line: 1, first: "R1".into(), found: "R2".into() })]
    #[case::one_field("A1 FX1", RackScanError::WrongFieldCount { line: 1, found: 1 })]
    #[case::four_fields("A1,FX1\nR,A2,FX2,OK", RackScanError::WrongFieldCount { line: 2, found: 4 })]
    #[case::header_with_four_fields("Rack,Position,Tube,Status", RackScanError::WrongFieldCount {
        line: 1, found: 4 })]
    #[case::layout_changes("A1,FX1\nR,A2,FX2", RackScanError::FieldCountChanged {
        line: 2, found: 3, expected: 2, first_line: 1 })]
    #[case::layout_changes_after_header("Rack,Position,Tube\nR,A1,FX1\nA2,FX2",
        RackScanError::FieldCountChanged { line: 3, found: 2, expected: 3, first_line: 2 })]
    #[case::space_in_code("A1,FX 1", RackScanError::BadTubeCode { line: 1, text: "FX 1".into() })]
    #[case::accent_in_code("A1,OK\nA2,FXé1", RackScanError::BadTubeCode {
        line: 2, text: "FXé1".into() })]
    #[case::control_in_code("A1,FX\u{7}1", RackScanError::BadTubeCode {
        line: 1, text: "FX\u{7}1".into() })]
    #[case::bad_rack("R 1,A1,FX1", RackScanError::BadRackBarcode { line: 1, text: "R 1".into() })]
    // Quotes are read by the csv crate; one that does not open a field is text, which is
    // then no position or code.
    #[case::open_quote("A1,FX1\n\"A2,FX2", RackScanError::WrongFieldCount { line: 2, found: 1 })]
    #[case::quote_inside("A1,FX\"1\"", RackScanError::BadTubeCode { line: 1, text: "FX\"1\"".into() })]
    #[case::text_after_quote("\"A1\"x,FX1", bad_position(1, "A1x"))]
    #[case::spaces_before_a_quote(" \"A1\" ,FX1", bad_position(1, "\"A1\""))]
    fn files_are_refused(#[case] text: &str, #[case] error: RackScanError) {
        assert_eq!(parse(text), Err(error));
    }

    #[test]
    fn codes_are_at_most_64_characters() {
        let longest = "X".repeat(64);
        assert!(parse(&format!("A1,{longest}")).is_ok());
        let too_long = "X".repeat(65);
        assert_eq!(
            parse(&format!("A1,{too_long}")),
            Err(RackScanError::BadTubeCode {
                line: 1,
                text: format!("{}…", "X".repeat(40)),
            })
        );
    }

    #[test]
    fn large_files_are_refused() {
        let at_limit = format!("{}A1,FX1", "\n".repeat(MAX_FILE_LINES - 1));
        assert!(parse(&at_limit).is_ok());
        let over = format!("{}A1,FX1", "\n".repeat(MAX_FILE_LINES));
        assert_eq!(parse(&over), Err(RackScanError::TooLarge));
        // Refused for size before any line is judged.
        assert_eq!(
            parse(&"A1,FX1\n".repeat(MAX_FILE_LINES + 1)),
            Err(RackScanError::TooLarge)
        );
        let bytes = format!("A1,{}", "X".repeat(MAX_FILE_BYTES));
        assert_eq!(parse(&bytes), Err(RackScanError::TooLarge));
    }

    #[test]
    fn messages_name_the_line_and_the_way_out() {
        let message = parse("A1,FX1\nZ9,FX2").unwrap_err().to_string();
        assert!(
            message.starts_with("line 2: \"Z9\" is not a position"),
            "{message}"
        );
        assert!(message.contains("A1 to H12"), "{message}");
        assert!(message.contains("never guessed"), "{message}");
        let message = parse("A1,FX1\nA2,FX1").unwrap_err().to_string();
        assert!(
            message.contains("line 2") && message.contains("line 1"),
            "{message}"
        );
        assert!(message.contains("scan it again"), "{message}");
        let domain: DomainError = parse("").unwrap_err().into();
        assert!(matches!(
            domain,
            DomainError::Invalid {
                field: "rack_scan_file",
                ..
            }
        ));
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn parsing_scan_like_text_never_panics(
            lines in prop::collection::vec("[\"A-Ja-j0-9 ,;\t_?\r\u{feff}é]{0,24}", 0..40)
        ) {
            let _ = parse(&lines.join("\n"));
        }

        #[test]
        fn well_formed_scans_read_back(
            filled in prop::collection::vec(0u8..4, 96),
            style in 0u8..3,
            separator in prop::sample::select(vec![",", ";", "\t"]),
            rack in any::<bool>(),
            reverse in any::<bool>(),
        ) {
            let grid = g96();
            let mut lines = Vec::new();
            let mut expected = Vec::new();
            for (p, kind) in grid.positions().zip(&filled) {
                let (field, read) = match kind {
                    0 => continue,
                    1 => ("NO TUBE".to_owned(), WellRead::NoTube),
                    2 => ("NOREAD".to_owned(), WellRead::NoRead),
                    _ => {
                        let code = format!("FX{:08}", p.index(grid));
                        (code.clone(), WellRead::Tube(code))
                    }
                };
                let position = match style {
                    0 => p.name(),
                    1 => format!("{}{:02}", char::from(b'A' + p.row), p.column + 1),
                    _ => (p.index(grid) + 1).to_string(),
                };
                let mut fields = Vec::new();
                if rack {
                    fields.push("RK1".to_owned());
                }
                fields.push(position);
                fields.push(field);
                lines.push(fields.join(separator));
                expected.push(ScannedWell { position: p, read });
            }
            if reverse {
                lines.reverse();
            }
            let result = parse(&lines.join("\r\n"));
            if expected.is_empty() {
                prop_assert_eq!(result, Err(RackScanError::Empty));
            } else {
                let scan = result.unwrap();
                prop_assert_eq!(scan.rack_barcode.as_deref(), rack.then_some("RK1"));
                prop_assert_eq!(scan.wells, expected);
            }
        }
    }

    // ---- comparison ----

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn in_box(n: u128, code: &str, position: &str) -> KnownTube {
        KnownTube {
            sample_id: id(n),
            code: code.to_owned(),
            location: KnownLocation::ThisBox(at(position)),
        }
    }

    fn elsewhere(n: u128, code: &str, box_name: &str, position: Option<&str>) -> KnownTube {
        KnownTube {
            sample_id: id(n),
            code: code.to_owned(),
            location: KnownLocation::OtherBox {
                box_name: box_name.to_owned(),
                position: position.map(at),
            },
        }
    }

    fn unplaced(n: u128, code: &str) -> KnownTube {
        KnownTube {
            sample_id: id(n),
            code: code.to_owned(),
            location: KnownLocation::NotPlaced,
        }
    }

    /// The store's record for each scanned code it knows, as the store would load it.
    fn records_for(scan: &RackScan, store: &[KnownTube]) -> Vec<KnownTube> {
        scan.wells
            .iter()
            .filter_map(|well| match &well.read {
                WellRead::Tube(code) => store.iter().find(|t| &t.code == code).cloned(),
                _ => None,
            })
            .collect()
    }

    /// Compares a scan file with a store: `box_tubes` are in the scanned box, `others` not.
    fn diff(text: &str, box_tubes: &[KnownTube], others: &[KnownTube]) -> RackScanDiff {
        let scan = parse(text).unwrap();
        let store: Vec<KnownTube> = box_tubes.iter().chain(others).cloned().collect();
        compare(&scan, box_tubes, &records_for(&scan, &store))
    }

    fn placement(n: u128, position: &str) -> ScanPlacement {
        ScanPlacement {
            sample_id: id(n),
            position: position.to_owned(),
        }
    }

    #[test]
    fn every_category_is_sorted_out() {
        let box_tubes = [
            in_box(1, "T1", "A1"),
            in_box(2, "T2", "A2"),
            in_box(3, "T3", "A3"),
            in_box(5, "T5", "A5"),
            in_box(6, "T6", "B5"),
        ];
        let others = [elsewhere(9, "T9", "Box 7", Some("C3")), unplaced(8, "T8")];
        let text = "RK1,A1,T1\n\
                    RK1,A2,T9\n\
                    RK1,A3,NO TUBE\n\
                    RK1,A4,X123\n\
                    RK1,A5,NO READ\n\
                    RK1,A6,T8\n\
                    RK1,B2,T2\n\
                    RK1,C1,NO READ\n";
        let d = diff(text, &box_tubes, &others);
        assert_eq!(d.rack_barcode.as_deref(), Some("RK1"));
        assert_eq!(
            d.matched,
            vec![ScanMatch {
                position: "A1".into(),
                code: "T1".into(),
                sample_id: id(1)
            }]
        );
        assert_eq!(
            d.misplaced,
            vec![ScanMove {
                sample_id: id(2),
                code: "T2".into(),
                from: "A2".into(),
                to: "B2".into()
            }]
        );
        assert_eq!(
            d.extra,
            vec![
                ScanArrival {
                    sample_id: id(9),
                    code: "T9".into(),
                    position: "A2".into(),
                    from_box: Some("Box 7".into()),
                    from_position: Some("C3".into()),
                },
                ScanArrival {
                    sample_id: id(8),
                    code: "T8".into(),
                    position: "A6".into(),
                    from_box: None,
                    from_position: None,
                },
            ]
        );
        assert_eq!(
            d.unknown,
            vec![ScanUnknown {
                position: "A4".into(),
                code: "X123".into()
            }]
        );
        assert_eq!(
            d.unreadable,
            vec![
                ScanUnreadable {
                    position: "A5".into(),
                    expected_code: Some("T5".into()),
                    expected_sample_id: Some(id(5)),
                },
                ScanUnreadable {
                    position: "C1".into(),
                    expected_code: None,
                    expected_sample_id: None,
                },
            ]
        );
        assert_eq!(
            d.missing,
            vec![
                ScanMissing {
                    sample_id: id(3),
                    code: "T3".into(),
                    position: "A3".into()
                },
                ScanMissing {
                    sample_id: id(6),
                    code: "T6".into(),
                    position: "B5".into()
                },
            ]
        );
        assert_eq!(d.conflicts, vec![]);
        // T9 may take A2 because T2 leaves it in the same import.
        assert_eq!(
            d.placements,
            vec![placement(9, "A2"), placement(8, "A6"), placement(2, "B2")]
        );
    }

    #[test]
    fn a_scan_that_matches_changes_nothing() {
        let box_tubes = [in_box(1, "T1", "A1"), in_box(2, "T2", "H12")];
        let d = diff("A1,T1\nH12,T2\nB1,NO TUBE", &box_tubes, &[]);
        assert_eq!(d.matched.len(), 2);
        assert!(d.misplaced.is_empty() && d.extra.is_empty() && d.missing.is_empty());
        assert!(d.placements.is_empty() && d.conflicts.is_empty());
    }

    #[test]
    fn a_tube_arriving_in_a_well_held_by_a_missing_tube_is_a_conflict() {
        let box_tubes = [in_box(1, "M", "A1")];
        let others = [elsewhere(2, "T", "Box 2", None)];
        let d = diff("A1,T", &box_tubes, &others);
        assert_eq!(d.missing.len(), 1);
        assert_eq!(d.extra.len(), 1);
        assert_eq!(
            d.conflicts,
            vec![ScanConflict {
                sample_id: id(2),
                code: "T".into(),
                position: "A1".into(),
                occupant_code: "M".into(),
                occupant_sample_id: id(1),
            }]
        );
        assert!(d.placements.is_empty());
    }

    #[test]
    fn a_refused_move_keeps_its_old_well_held() {
        // U cannot move to A1 (M stays there), so U stays in A2, so V cannot arrive in A2.
        let box_tubes = [in_box(1, "M", "A1"), in_box(2, "U", "A2")];
        let others = [unplaced(3, "V"), unplaced(4, "W")];
        let d = diff("A1,U\nA2,V\nA3,W", &box_tubes, &others);
        let blocked: Vec<(&str, &str, &str)> = d
            .conflicts
            .iter()
            .map(|c| {
                (
                    c.code.as_str(),
                    c.position.as_str(),
                    c.occupant_code.as_str(),
                )
            })
            .collect();
        assert_eq!(blocked, vec![("U", "A1", "M"), ("V", "A2", "U")]);
        assert_eq!(d.placements, vec![placement(4, "A3")]);
        assert_eq!(d.misplaced.len(), 1);
        assert_eq!(d.extra.len(), 2);
    }

    #[test]
    fn swapped_tubes_are_both_placed() {
        let box_tubes = [in_box(1, "X", "A1"), in_box(2, "Y", "A2")];
        let d = diff("A1,Y\nA2,X", &box_tubes, &[]);
        assert_eq!(d.misplaced.len(), 2);
        assert!(d.conflicts.is_empty());
        assert_eq!(d.placements, vec![placement(2, "A1"), placement(1, "A2")]);
    }

    #[test]
    fn placements_follow_reading_order_of_their_well() {
        let box_tubes = [in_box(1, "T1", "H12"), in_box(2, "T2", "A1")];
        let others = [unplaced(3, "T3"), elsewhere(4, "T4", "Box 2", Some("A1"))];
        let d = diff(
            "H1,T4\nC5,T2\nB12,T3\nA7,T1\nA1,NO TUBE",
            &box_tubes,
            &others,
        );
        let order: Vec<&str> = d.placements.iter().map(|p| p.position.as_str()).collect();
        assert_eq!(order, vec!["A7", "B12", "C5", "H1"]);
        assert!(d.missing.is_empty() && d.conflicts.is_empty());
    }

    #[test]
    fn an_unreadable_well_does_not_make_its_tube_missing() {
        let box_tubes = [in_box(1, "T1", "A1")];
        let d = diff("A1,NO READ", &box_tubes, &[]);
        assert!(d.missing.is_empty());
        assert_eq!(
            d.unreadable,
            vec![ScanUnreadable {
                position: "A1".into(),
                expected_code: Some("T1".into()),
                expected_sample_id: Some(id(1)),
            }]
        );
        assert!(d.placements.is_empty());
    }

    #[test]
    fn an_unreadable_well_whose_tube_was_found_elsewhere() {
        let box_tubes = [in_box(1, "T1", "A1")];
        let d = diff("A1,NO READ\nB1,T1", &box_tubes, &[]);
        assert!(d.missing.is_empty());
        assert_eq!(d.unreadable[0].expected_code, None);
        assert_eq!(d.placements, vec![placement(1, "B1")]);
    }

    #[test]
    fn an_empty_well_whose_tube_was_found_elsewhere_is_a_move() {
        let box_tubes = [in_box(1, "T1", "A1")];
        let d = diff("A1,NO TUBE\nA2,T1", &box_tubes, &[]);
        assert!(d.missing.is_empty());
        assert_eq!(d.misplaced.len(), 1);
        assert_eq!(d.placements, vec![placement(1, "A2")]);
    }

    #[test]
    fn a_hand_built_scan_counts_each_well_and_code_once() {
        // A hand-built scan may name a well or a code twice; only the first counts, so no
        // sample is placed twice and no well receives two tubes.
        let scan = RackScan {
            rack_barcode: None,
            wells: vec![
                ScannedWell {
                    position: at("A1"),
                    read: WellRead::NoRead,
                },
                tube("A1", "T2"),
                tube("A2", "T3"),
                tube("A3", "T3"),
            ],
        };
        let box_tubes = [in_box(1, "T1", "A1")];
        let store = [unplaced(2, "T2"), unplaced(3, "T3")];
        let d = compare(&scan, &box_tubes, &store);
        assert!(d.missing.is_empty());
        assert_eq!(d.unreadable.len(), 1);
        assert_eq!(d.extra.len(), 1);
        assert_eq!(d.placements, vec![placement(3, "A2")]);
    }

    #[test]
    fn the_diff_serialises_with_position_names() {
        let box_tubes = [in_box(1, "T1", "A1")];
        let d = diff("B3,T1", &box_tubes, &[]);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["placements"][0]["position"], "B3");
        assert_eq!(
            json["placements"][0]["sample_id"],
            "00000000-0000-0000-0000-000000000001"
        );
        assert_eq!(json["misplaced"][0]["from"], "A1");
        assert!(json["rack_barcode"].is_null());
    }
}
