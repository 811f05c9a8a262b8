//! Rack scans: reading the file a rack scanner writes, and setting it beside the store.
//!
//! A rack scanner (FluidX/Azenta, Thermo Matrix, Ziath DataPaq, Micronic, …) reads the 2D codes
//! under a rack of tubes and writes one line per well. Vendors and lab set-ups differ in
//! separator, quoting, report lines before the table (`Rack ID,…`, `Tube Count,…`), column
//! names, position style (`A1`, `A01`, a well number, or row and column apart) and the words
//! written for an empty or unreadable well. [`parse_rack_scan`] reads the common exports by
//! their column names where they have them and by field order where they do not, but it refuses
//! whatever it cannot read with certainty: a guessed position would put a sample's record in
//! the wrong well, which is worse than a refused file. Every refusal names the line and says
//! what to do.
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

/// What a scanner writes instead of a tube code, and what it says about the well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// The well is empty.
    NoTube,
    /// Something may stand in the well, but no code was read from it.
    NoRead,
}

impl Mark {
    fn read(self) -> WellRead {
        match self {
            Mark::NoTube => WellRead::NoTube,
            Mark::NoRead => WellRead::NoRead,
        }
    }
}

/// The words scanners write in a tube code's place, squeezed (upper case, without spaces,
/// underscores or hyphens: `NO TUBE`, `No Tube`, `NO_TUBE` and `notube` are one word), and
/// what each says. A run of question marks (`?`, `???`) is an unread code too. A marker is
/// never a tube code, so it never enters the one-tube-in-two-wells check however often it
/// appears. When it is not certain that a well is empty, the marker reads as unreadable: an
/// empty reading would call the tube the store has there missing.
const MARKERS: [(&str, Mark); 7] = [
    // FluidX/Azenta `NO TUBE` (EdinburghGenomics/clarity_scripts,
    // tests/assets/fluidx_example_scan.csv); Thermo Matrix and VisionMate `No Tube`
    // (econtijoch/FaithLabTools, inst/extdata/Example_Matrix_Rack_Scanner_File.csv;
    // miso-lims/visionmate-client, ServerConfig.java, the default no-tube label); Micronic
    // `No tube`; the FluidX XTR-96 reader's `No Tube` (jfreyss/spirit, FluidxScanner.java).
    ("NOTUBE", Mark::NoTube),
    // Among the FluidX no-tube texts of Sanger's reader (sanger/limber,
    // app/models/labware_creators/common_file_handling/csv_file_for_tube_rack.rb); Ziath.
    ("EMPTY", Mark::NoTube),
    // FluidX `NO READ` (sanger/limber, as above); VisionMate `No Read` (visionmate-client,
    // the default no-read label); XTR-96 `No Read` (jfreyss/spirit, RackPos.java); Ziath.
    ("NOREAD", Mark::NoRead),
    // FluidX `NOSCAN` (sanger/limber, as above): the well was not decoded, so whether a tube
    // stands there is not known.
    ("NOSCAN", Mark::NoRead),
    // Micronic `No code`: a tube whose code was not found.
    ("NOCODE", Mark::NoRead),
    // Generic decoder failures.
    ("ERROR", Mark::NoRead),
    ("UNREADABLE", Mark::NoRead),
];

/// What a column of a header line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Position,
    Row,
    Column,
    Code,
    Rack,
    Status,
}

impl Role {
    /// The role in a technician's words, for refusals.
    fn words(self) -> &'static str {
        match self {
            Role::Position => "positions",
            Role::Row => "rows",
            Role::Column => "column numbers",
            Role::Code => "tube codes",
            Role::Rack => "rack barcode",
            Role::Status => "read results",
        }
    }
}

/// Header names and what their column holds, compared squeezed (lower case, letters and
/// digits only: `Tube ID`, `TubeID`, `tube_id` and `TUBE-ID` are one name). A name not listed
/// here names a column that is not read (`Date`, `FreeText`, …).
const COLUMN_NAMES: [(&str, Role); 52] = [
    // A1, A01 or a well number.
    ("position", Role::Position),
    ("pos", Role::Position),
    ("tubeposition", Role::Position),
    ("rackposition", Role::Position),
    ("wellposition", Role::Position),
    ("well", Role::Position),
    ("wellpos", Role::Position),
    ("wellname", Role::Position),
    ("wellid", Role::Position),
    ("location", Role::Position),
    ("tubelocation", Role::Position),
    ("slot", Role::Position),
    ("coordinate", Role::Position),
    ("coordinates", Role::Position),
    // Row (a letter or a number from 1) and column (a number from 1) apart, as Thermo
    // Matrix writes `LocationRow`, `LocationColumn`.
    ("row", Role::Row),
    ("rowno", Role::Row),
    ("rownumber", Role::Row),
    ("rowletter", Role::Row),
    ("locationrow", Role::Row),
    ("tuberow", Role::Row),
    ("column", Role::Column),
    ("col", Role::Column),
    ("colno", Role::Column),
    ("columnno", Role::Column),
    ("columnnumber", Role::Column),
    ("locationcolumn", Role::Column),
    ("locationcol", Role::Column),
    ("tubecolumn", Role::Column),
    // The tube's code.
    ("tube", Role::Code),
    ("tubeid", Role::Code),
    ("tubecode", Role::Code),
    ("tubebarcode", Role::Code),
    ("tube2dbarcode", Role::Code),
    ("barcode", Role::Code),
    ("2dbarcode", Role::Code),
    ("code", Role::Code),
    ("2dcode", Role::Code),
    ("datamatrix", Role::Code),
    // The rack's own barcode.
    ("rack", Role::Rack),
    ("rackid", Role::Rack),
    ("rackbarcode", Role::Rack),
    ("rackcode", Role::Rack),
    ("racknumber", Role::Rack),
    ("rackno", Role::Rack),
    ("tuberack", Role::Rack),
    ("tuberackid", Role::Rack),
    ("tuberackbarcode", Role::Rack),
    // The scanner's verdict on the well (Micronic: `Code OK`, `No Code`, `No Tube`).
    ("status", Role::Status),
    ("tubestatus", Role::Status),
    ("scanstatus", Role::Status),
    ("readstatus", Role::Status),
    ("decodestatus", Role::Status),
];

/// The keys of the report lines some scanners write above the header line (FluidX:
/// `Rack ID,RK1,,` and `Tube Count,96,,`; Micronic: rack ID, date and time), squeezed like
/// column names. A line `KEY,VALUE` or `KEY: VALUE` with one of these keys, or with a rack name
/// from [`COLUMN_NAMES`] whose value is then the rack's barcode, is skipped, but only when a
/// header line follows: the lines of a file without one are all read as wells.
const REPORT_KEYS: [&str; 27] = [
    "tubecount",
    "tubes",
    "numberoftubes",
    "count",
    "date",
    "time",
    "datetime",
    "dateandtime",
    "scandate",
    "scantime",
    "timestamp",
    "instrument",
    "instrumentid",
    "instrumentname",
    "scanner",
    "scannerid",
    "scannername",
    "serialnumber",
    "software",
    "softwareversion",
    "version",
    "user",
    "username",
    "operator",
    "racktype",
    "layout",
    "comment",
];

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

/// Why a rack scan file is refused. Each message names the line and says what to do, in the
/// words of the file and of the lab.
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
        "line {line}: {found} field(s), but a rack scan line without column names holds a \
         position and a tube code, optionally after the rack barcode (A1,CODE or RACK,A1,CODE). \
         Check that you chose the file the rack scanner wrote, or set the scanner software to \
         write the column names (such as Position and Tube ID) and scan the rack again."
    )]
    WrongFieldCount { line: usize, found: usize },
    #[error(
        "line {line}: {found} fields, but line {first_line} has {expected}. Every line of a rack \
         scan has the same layout: check that you chose the file as the scanner wrote it, or \
         scan the rack again."
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
        "line {line}: position {position:?} and row {row:?}, column {column:?} on the same \
         line name different wells. Positions are never guessed: check the scanner software's \
         settings and scan the rack again."
    )]
    PositionsDisagree {
        line: usize,
        position: String,
        row: String,
        column: String,
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
        "line {line}: the scanner wrote tube code {code:?} for {position} but also {status:?}. \
         Scan the rack again."
    )]
    ContradictoryWell {
        line: usize,
        position: String,
        code: String,
        status: String,
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
    #[error("{}", no_code_column(*.line, .columns, *.vendor))]
    NoCodeColumn {
        line: usize,
        /// The file's own column names.
        columns: String,
        /// The scanner the column names point to, when they do.
        vendor: Option<&'static str>,
    },
    #[error(
        "line {line}: both {first:?} and {second:?} could hold the {what}, so the file cannot \
         be read with certainty. Set the scanner software to write only one of them, scan the \
         rack again and import the new file."
    )]
    AmbiguousColumns {
        line: usize,
        what: &'static str,
        first: String,
        second: String,
    },
    #[error(
        "line {line}: the scanner's report lines above it (such as {key:?}) are not followed by \
         a line naming the columns (such as Position and Tube ID), so the wells cannot be read \
         with certainty. Set the scanner software to write the column names, scan the rack \
         again and import the new file."
    )]
    ReportWithoutHeader { line: usize, key: String },
    #[error(
        "line {line}: this file names no columns, and its lines read both as rack, position, \
         tube code and as position, tube code followed by an empty field. Positions are never \
         guessed: set the scanner software to write the column names (such as Position and \
         Tube ID), scan the rack again and import the new file."
    )]
    AmbiguousLayout { line: usize },
}

fn no_code_column(line: usize, columns: &str, vendor: Option<&str>) -> String {
    let subject = match vendor {
        Some(vendor) => format!("this looks like a {vendor} rack scan, but none of its columns"),
        None => "none of the columns this file names".to_owned(),
    };
    format!(
        "line {line}: {subject} ({columns}) holds the tube codes (a column such as Tube ID, \
         TubeCode or Barcode). Set the scanner software to write the tube codes, scan the rack \
         again and import the new file."
    )
}

/// The API reports a refused file like any other invalid input. The field is named in words
/// because the message shown begins with it.
impl From<RackScanError> for DomainError {
    fn from(error: RackScanError) -> Self {
        DomainError::invalid("rack scan file", error.to_string())
    }
}

/// Reads a rack scanner's export for a box of shape `grid`.
///
/// Accepted: comma, semicolon or tab separators (chosen from the first line that has one);
/// double quotes with `""` inside; a UTF-8 byte order mark; LF, CRLF or CR line ends; blank
/// lines and lines of bare separators; empty trailing fields (`A01,CODE,`).
///
/// With a header line (found by its column names, see `COLUMN_NAMES`), columns are read by
/// name in any order: the position (`A1`, `A01`, ` A1 ` or a well number) or row and column
/// apart (a row letter or number from 1, a column number from 1, `01` accepted), the tube code,
/// and where present the rack barcode and the scanner's verdict on the well. Report lines above
/// the header (see `REPORT_KEYS`) are skipped, and a rack named there is the rack's barcode.
///
/// Without a header line, lines are `POSITION,CODE` or `RACK,POSITION,CODE`, each optionally
/// followed by empty fields, the same on every line.
///
/// An empty code field is an empty well; the markers of `MARKERS` say that a well is empty
/// or unreadable and may repeat. A position, and a tube code, may each appear only once.
pub fn parse_rack_scan(text: &str, grid: Grid) -> Result<RackScan, RackScanError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(RackScanError::TooLarge);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let physical = split_lines(text);
    if physical.len() > MAX_FILE_LINES {
        return Err(RackScanError::TooLarge);
    }
    let separator = physical
        .iter()
        .find_map(|line| separator_of(line))
        .unwrap_or(',');
    let lines: Vec<Line> = physical
        .iter()
        .enumerate()
        .map(|(index, raw)| Line {
            number: index + 1,
            fields: fields_of(raw, separator),
        })
        // Blank lines, and the lines of bare separators spreadsheet exports sometimes end with.
        .filter(|line| line.fields.iter().any(|field| !field.is_empty()))
        .collect();

    let mut wells = Wells::new(grid);
    match start(&lines, grid)? {
        Start::Named {
            report,
            columns,
            data,
        } => read_named(&mut wells, report, &columns, data)?,
        Start::Headerless(data) => read_headerless(&mut wells, data)?,
    }
    wells.finish()
}

/// A non-blank line of the file, split into trimmed fields.
struct Line {
    /// As a text editor numbers it: the number every refusal names.
    number: usize,
    fields: Vec<String>,
}

impl Line {
    /// The field at `index`; a field the line does not have is empty.
    fn field(&self, index: usize) -> &str {
        self.fields.get(index).map_or("", String::as_str)
    }

    /// The number of fields up to the last non-empty one.
    fn filled(&self) -> usize {
        self.fields
            .iter()
            .rposition(|field| !field.is_empty())
            .map_or(0, |last| last + 1)
    }
}

/// Where the wells begin.
enum Start<'a> {
    /// After a header line, with the report lines above it.
    Named {
        report: &'a [Line],
        columns: Columns<'a>,
        data: &'a [Line],
    },
    /// No header line: every line is a well.
    Headerless(&'a [Line]),
}

/// Finds the header line: the first line that is not a report line, if it names a position
/// column. Report lines count only above a header line; a file that has them but no header
/// is refused rather than read by field order.
fn start(lines: &[Line], grid: Grid) -> Result<Start<'_>, RackScanError> {
    for (index, line) in lines.iter().enumerate() {
        let report = &lines[..index];
        if let Some(columns) = Columns::of_header(line, grid, report)? {
            return Ok(Start::Named {
                report,
                columns,
                data: &lines[index + 1..],
            });
        }
        if report_line(line).is_none() {
            if index > 0 {
                return Err(RackScanError::ReportWithoutHeader {
                    line: line.number,
                    key: preview(lines[0].field(0)),
                });
            }
            return Ok(Start::Headerless(lines));
        }
    }
    // Nothing but report lines, or nothing at all: no wells.
    Ok(Start::Headerless(&[]))
}

fn role_of(name: &str) -> Option<Role> {
    let name = squeezed_name(name);
    COLUMN_NAMES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, role)| *role)
}

/// Lower case letters and digits only.
fn squeezed_name(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A report line above the header: its squeezed key and its non-empty values.
struct Report<'a> {
    key: String,
    values: Vec<&'a str>,
}

fn report_line(line: &Line) -> Option<Report<'_>> {
    let first = line.fields.first()?;
    let (key, inline) = match first.split_once(':') {
        Some((key, value)) => (key, Some(value.trim())),
        None => (first.as_str(), None),
    };
    let key = squeezed_name(key);
    if !REPORT_KEYS.contains(&key.as_str()) && role_of(&key) != Some(Role::Rack) {
        return None;
    }
    let values = inline
        .into_iter()
        .chain(line.fields[1..].iter().map(String::as_str))
        .filter(|value| !value.is_empty())
        .collect();
    Some(Report { key, values })
}

/// Where a header line says each well's position is.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// One column: `A1`, `A01` or a well number.
    Single(usize),
    /// Row and column apart.
    Split { row: usize, column: usize },
    /// Both; they must name the same well.
    Both {
        position: usize,
        row: usize,
        column: usize,
    },
}

/// The columns a header line names.
struct Columns<'a> {
    header: &'a Line,
    place: Place,
    code: usize,
    rack: Option<usize>,
    status: Option<usize>,
}

impl<'a> Columns<'a> {
    /// The columns of `line` if it is a header line: it names a position column (or a row and
    /// a column), and none of its fields is a position. A header line without a tube code
    /// column, or with two columns for one purpose, is refused.
    fn of_header(
        line: &'a Line,
        grid: Grid,
        report: &[Line],
    ) -> Result<Option<Columns<'a>>, RackScanError> {
        if line
            .fields
            .iter()
            .any(|field| grid.parse_position(field).is_ok())
        {
            return Ok(None);
        }
        let roles: Vec<Option<Role>> = line.fields.iter().map(|field| role_of(field)).collect();
        let has = |role| roles.contains(&Some(role));
        let placed = has(Role::Position) || (has(Role::Row) && has(Role::Column));
        if !placed {
            return Ok(None);
        }
        // The one column of each role; two columns of one role cannot be told apart.
        let only = |role: Role| -> Result<Option<usize>, RackScanError> {
            let mut found = roles
                .iter()
                .enumerate()
                .filter(|(_, r)| **r == Some(role))
                .map(|(index, _)| index);
            match (found.next(), found.next()) {
                (Some(first), Some(second)) => Err(RackScanError::AmbiguousColumns {
                    line: line.number,
                    what: role.words(),
                    first: preview(line.field(first)),
                    second: preview(line.field(second)),
                }),
                (first, _) => Ok(first),
            }
        };
        let place = match (only(Role::Position)?, only(Role::Row)?, only(Role::Column)?) {
            (Some(position), Some(row), Some(column)) => Place::Both {
                position,
                row,
                column,
            },
            (Some(position), _, _) => Place::Single(position),
            (None, Some(row), Some(column)) => Place::Split { row, column },
            // Checked above: a position column, or a row and a column.
            (None, _, _) => return Ok(None),
        };
        let rack = only(Role::Rack)?;
        let status = only(Role::Status)?;
        let Some(code) = only(Role::Code)? else {
            let names: Vec<&str> = line
                .fields
                .iter()
                .map(String::as_str)
                .filter(|name| !name.is_empty())
                .collect();
            return Err(RackScanError::NoCodeColumn {
                line: line.number,
                columns: preview_to(&names.join(", "), 120),
                vendor: vendor_of(line, report),
            });
        };
        Ok(Some(Columns {
            header: line,
            place,
            code,
            rack,
            status,
        }))
    }

    /// A line may add empty fields after the named ones (a trailing separator) and may lack
    /// only fields the header leaves unnamed.
    fn check_width(&self, line: &Line) -> Result<(), RackScanError> {
        let named = self.header.fields.len();
        let extra = line.fields.iter().skip(named).any(|f| !f.is_empty());
        let missing = self
            .header
            .fields
            .iter()
            .skip(line.fields.len())
            .any(|name| !name.is_empty());
        if extra || missing {
            return Err(RackScanError::FieldCountChanged {
                line: line.number,
                found: line.fields.len(),
                expected: named,
                first_line: self.header.number,
            });
        }
        Ok(())
    }
}

/// The scanner a header without a tube code column points to, for the refusal.
fn vendor_of(header: &Line, report: &[Line]) -> Option<&'static str> {
    let names: Vec<String> = header.fields.iter().map(|f| squeezed_name(f)).collect();
    let named = |name: &str| names.iter().any(|n| n == name);
    let reported = |key: &str| {
        report
            .iter()
            .any(|line| squeezed_name(line.field(0)) == key)
    };
    if named("locationrow") || named("locationcolumn") {
        Some("Thermo Matrix")
    } else if reported("tubecount") || named("2dbarcode") {
        Some("FluidX")
    } else if named("freetext") {
        Some("Micronic")
    } else {
        None
    }
}

fn read_named(
    wells: &mut Wells,
    report: &[Line],
    columns: &Columns,
    data: &[Line],
) -> Result<(), RackScanError> {
    for line in report {
        if let Some(entry) = report_line(line) {
            if role_of(&entry.key) == Some(Role::Rack) {
                for value in entry.values {
                    wells.rack(value, line.number)?;
                }
            }
        }
    }
    for line in data {
        columns.check_width(line)?;
        let position = match columns.place {
            Place::Single(index) => wells.position(line.field(index), line.number)?,
            Place::Split { row, column } => {
                wells.row_column(line.field(row), line.field(column), line.number)?
            }
            Place::Both {
                position: index,
                row,
                column,
            } => {
                let position = wells.position(line.field(index), line.number)?;
                let (row, column) = (line.field(row), line.field(column));
                if wells.row_column(row, column, line.number)? != position {
                    return Err(RackScanError::PositionsDisagree {
                        line: line.number,
                        position: preview(line.field(index)),
                        row: preview(row),
                        column: preview(column),
                    });
                }
                position
            }
        };
        if let Some(index) = columns.rack {
            wells.rack(line.field(index), line.number)?;
        }
        let status = columns.status.map(|index| line.field(index));
        wells.add(line.number, position, line.field(columns.code), status)?;
    }
    Ok(())
}

/// Lines without a header: `POSITION,CODE` or `RACK,POSITION,CODE`, the same number of fields
/// on every line, each optionally followed by empty fields. When empty trailing fields allow
/// both readings, the one under which every line's position parses is taken; if both do, the
/// file is refused.
fn read_headerless(wells: &mut Wells, data: &[Line]) -> Result<(), RackScanError> {
    let Some(first) = data.first() else {
        return Ok(());
    };
    let width = first.fields.len();
    for line in data {
        let found = line.fields.len();
        if found < 2 || line.filled() > 3 {
            return Err(RackScanError::WrongFieldCount {
                line: line.number,
                found,
            });
        }
        if found != width {
            return Err(RackScanError::FieldCountChanged {
                line: line.number,
                found,
                expected: width,
                first_line: first.number,
            });
        }
    }
    // Empty fields every line ends with.
    let trailing = data
        .iter()
        .map(|line| width - line.filled())
        .min()
        .unwrap_or(0);
    let fits = |columns: usize| columns <= width && width - columns <= trailing;
    let columns = if fits(3) && fits(2) {
        let readable = |columns: usize| {
            data.iter()
                .filter(|line| wells.grid.parse_position(line.field(columns - 2)).is_ok())
                .count()
        };
        let (three, two) = (readable(3), readable(2));
        if three == data.len() && two == data.len() {
            return Err(RackScanError::AmbiguousLayout { line: first.number });
        }
        if two > three {
            2
        } else {
            3
        }
    } else if fits(3) {
        3
    } else {
        2
    };
    for line in data {
        let position = wells.position(line.field(columns - 2), line.number)?;
        if columns == 3 {
            wells.rack(line.field(0), line.number)?;
        }
        wells.add(line.number, position, line.field(columns - 1), None)?;
    }
    Ok(())
}

/// The wells read so far, and what each check remembers.
struct Wells {
    grid: Grid,
    /// The rack barcode and the line that first named it.
    rack: Option<(String, usize)>,
    position_lines: HashMap<Position, usize>,
    code_lines: HashMap<String, usize>,
    wells: Vec<ScannedWell>,
}

impl Wells {
    fn new(grid: Grid) -> Wells {
        Wells {
            grid,
            rack: None,
            position_lines: HashMap::new(),
            code_lines: HashMap::new(),
            wells: Vec::new(),
        }
    }

    fn bad_position(&self, line: usize, text: &str) -> RackScanError {
        RackScanError::BadPosition {
            line,
            text: preview(text),
            last: last_position(self.grid).name(),
            capacity: self.grid.capacity(),
        }
    }

    fn position(&self, text: &str, line: usize) -> Result<Position, RackScanError> {
        self.grid
            .parse_position(text)
            .map_err(|_| self.bad_position(line, text))
    }

    /// A row letter or number from 1 and a column number from 1, in this box.
    fn row_column(&self, row: &str, column: &str, line: usize) -> Result<Position, RackScanError> {
        let bad = || self.bad_position(line, &format!("row {row}, column {column}"));
        let number = |text: &str| -> Option<u8> {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            text.parse::<u8>().ok()?.checked_sub(1)
        };
        let row_index = match row.as_bytes() {
            [letter] if letter.is_ascii_alphabetic() => Some(letter.to_ascii_uppercase() - b'A'),
            _ => number(row),
        };
        let position = match (row_index, number(column)) {
            (Some(row), Some(column)) => Position { row, column },
            _ => return Err(bad()),
        };
        if self.grid.contains(position) {
            Ok(position)
        } else {
            Err(bad())
        }
    }

    /// An unread or blank rack barcode on one line says nothing about the rack.
    fn rack(&mut self, found: &str, line: usize) -> Result<(), RackScanError> {
        if found.is_empty() || mark(found).is_some() {
            return Ok(());
        }
        if !is_code(found) {
            return Err(RackScanError::BadRackBarcode {
                line,
                text: preview(found),
            });
        }
        match &self.rack {
            None => self.rack = Some((found.to_owned(), line)),
            Some((first, first_line)) if first != found => {
                return Err(RackScanError::MixedRacks {
                    line,
                    first_line: *first_line,
                    first: first.clone(),
                    found: found.to_owned(),
                })
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// One well: its code field and, where the file has one, the scanner's verdict on it. A
    /// verdict that is a marker (`No Tube`, `No Code`) says what an empty code field means; it
    /// must not contradict a code.
    fn add(
        &mut self,
        line: usize,
        position: Position,
        code: &str,
        status: Option<&str>,
    ) -> Result<(), RackScanError> {
        if let Some(&first_line) = self.position_lines.get(&position) {
            return Err(RackScanError::DuplicatePosition {
                line,
                first_line,
                position: position.name(),
            });
        }
        self.position_lines.insert(position, line);

        let said = status.and_then(mark);
        let read = match (said, mark(code)) {
            (Some(said), _) if code.is_empty() => said.read(),
            (Some(said), Some(written)) if said == written => said.read(),
            (Some(_), _) => {
                return Err(RackScanError::ContradictoryWell {
                    line,
                    position: position.name(),
                    code: preview(code),
                    status: preview(status.unwrap_or_default()),
                })
            }
            (None, Some(written)) => written.read(),
            (None, None) if code.is_empty() => WellRead::NoTube,
            (None, None) => {
                if !is_code(code) {
                    return Err(RackScanError::BadTubeCode {
                        line,
                        text: preview(code),
                    });
                }
                if let Some(&first_line) = self.code_lines.get(code) {
                    return Err(RackScanError::DuplicateTube {
                        line,
                        first_line,
                        code: code.to_owned(),
                        position: position.name(),
                    });
                }
                self.code_lines.insert(code.to_owned(), line);
                WellRead::Tube(code.to_owned())
            }
        };
        self.wells.push(ScannedWell { position, read });
        Ok(())
    }

    fn finish(self) -> Result<RackScan, RackScanError> {
        let Wells {
            grid,
            rack,
            mut wells,
            ..
        } = self;
        if wells.is_empty() {
            return Err(RackScanError::Empty);
        }
        wells.sort_by_key(|well| well.position.index(grid));
        Ok(RackScan {
            rack_barcode: rack.map(|(barcode, _)| barcode),
            wells,
        })
    }
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

/// The separator a line uses, if any: tab, then semicolon, then comma, outside quotes. Tube
/// codes never contain these, so the first line that has one sets it for the whole file (a
/// report line like `Rack ID: RK1` has none).
fn separator_of(line: &str) -> Option<char> {
    let mut quoted = false;
    let mut seen = [false; 3]; // tab, semicolon, comma
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            '\t' if !quoted => seen[0] = true,
            ';' if !quoted => seen[1] = true,
            ',' if !quoted => seen[2] = true,
            _ => {}
        }
    }
    ['\t', ';', ',']
        .into_iter()
        .zip(seen)
        .find_map(|(separator, seen)| seen.then_some(separator))
}

/// The marker a non-empty field is, if it is one (see [`MARKERS`]).
fn mark(field: &str) -> Option<Mark> {
    if field.is_empty() || field.len() > 16 {
        return None;
    }
    let squeezed: String = field
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !squeezed.is_empty() && squeezed.chars().all(|c| c == '?') {
        return Some(Mark::NoRead);
    }
    MARKERS
        .iter()
        .find(|(word, _)| *word == squeezed)
        .map(|(_, mark)| *mark)
}

/// A tube or rack code: printable ASCII without spaces, as the scanner decoded it from a 2D
/// code. A quotation mark only ever quotes in a CSV file, so one left inside a field means the
/// line was not written as the scanner writes it.
fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_CODE_CHARS
        && text.bytes().all(|b| b.is_ascii_graphic() && b != b'"')
}

/// A short, safe excerpt of file text for an error message.
fn preview(text: &str) -> String {
    preview_to(text, 40)
}

fn preview_to(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max).collect();
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
    #[case::trailing_separator("A1,FX001,\nA2,FX002,", None)]
    #[case::trailing_separators("A01,FX001,,\r\nA02,FX002,,\r\n", None)]
    #[case::trailing_separator_with_rack("RK9,A1,FX001,\nRK9,A2,FX002,", Some("RK9"))]
    #[case::header_trailing_separator_on_data_only(
        "Position,Tube ID\nA01,FX001,\nA02,FX002,",
        None
    )]
    #[case::header_any_column_order("Tube ID;Position\nFX001;A1\nFX002;A2", None)]
    #[case::header_names_squeezed(
        "tube_id,WELL-POSITION,Rack.ID\nFX001,A1,RK9\nFX002,A2,RK9",
        Some("RK9")
    )]
    #[case::header_unread_columns(
        "Date,Position,Barcode,Comment\n1.2.24,A1,FX001,ok\n,A2,FX002,",
        None
    )]
    #[case::header_well_numbers("Well,Barcode\n1,FX001\n2,FX002", None)]
    #[case::header_padded_positions("Position,Tube ID\n A01 , FX001 \n\"a02\",FX002", None)]
    #[case::row_and_column_letters("Row,Column,Barcode\nA,1,FX001\na,2,FX002", None)]
    #[case::row_and_column_numbers("RowNo;ColNo;Barcode\n1;01;FX001\n 1 ; 02 ;FX002", None)]
    #[case::report_key_with_colon(
        "Rack ID: RK9\nPosition\tTube ID\nA01\tFX001\nA02\tFX002",
        Some("RK9")
    )]
    #[case::report_lines_without_rack(
        "Date,2024-05-01\nTime,10:21:33\nInstrument,XYZ\nPosition,Barcode\nA1,FX001\nA2,FX002",
        None
    )]
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
    #[case("NOSCAN", WellRead::NoRead)]
    #[case("NO SCAN", WellRead::NoRead)]
    #[case("No Code", WellRead::NoRead)]
    #[case("NOCODE", WellRead::NoRead)]
    #[case("no_code", WellRead::NoRead)]
    #[case("UNREADABLE", WellRead::NoRead)]
    #[case("?", WellRead::NoRead)]
    #[case("??", WellRead::NoRead)]
    #[case("No tube", WellRead::NoTube)]
    #[case("Empty", WellRead::NoTube)]
    fn markers_are_read(#[case] marker: &str, #[case] read: WellRead) {
        for text in [
            format!("A1,{marker}\nA2,FX002"),
            format!("RK9,A1,{marker}\nRK9,A2,FX002"),
            format!("A1,{marker},\nA2,FX002,"),
            format!("RK9,A1,{marker},\nRK9,A2,FX002,"),
            format!("Rack ID,RK9,,\nRack ID,Well,2D Barcode, \nRK9,A1,{marker},\nRK9,A2,FX002,"),
            format!(
                "TubeCode,LocationRow,LocationColumn,RackID\n{marker},A,01,RK9\nFX002,A,02,RK9"
            ),
            // As a verdict beside an empty code field.
            format!("Position\tTubeID\tStatus\nA01\t\t{marker}\nA02\tFX002\tCode OK"),
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

    /// A verdict column may repeat what the code field says, but not contradict it.
    #[test]
    fn a_verdict_agrees_with_the_code_field() {
        let scan = parse(
            "Position,TubeID,Status\nA01,NO TUBE,No Tube\nA02,No Code,NOCODE\nA03,FX3,Code OK\nA04,,",
        )
        .unwrap();
        let reads: Vec<WellRead> = scan.wells.into_iter().map(|w| w.read).collect();
        assert_eq!(
            reads,
            vec![
                WellRead::NoTube,
                WellRead::NoRead,
                WellRead::Tube("FX3".into()),
                WellRead::NoTube
            ]
        );
    }

    /// The issue's case: a FluidX NOSCAN in two wells was taken for one tube in two wells.
    #[test]
    fn two_noscan_wells_are_not_one_tube_in_two_wells() {
        for text in [
            "A1,NOSCAN\nA2,NOSCAN",
            "RK9,A1,NOSCAN,\nRK9,A2,NOSCAN,",
            "Rack ID,RK9,,\nTube Count,0,,\nRack ID,Well,2D Barcode, \nRK9,A1,NOSCAN,\nRK9,A2,NOSCAN,",
        ] {
            let scan = parse(text).unwrap();
            let reads: Vec<&WellRead> = scan.wells.iter().map(|w| &w.read).collect();
            assert_eq!(reads, vec![&WellRead::NoRead, &WellRead::NoRead], "{text:?}");
        }
    }

    /// Every marker of the table, in every case and spacing, twice in one file, under each
    /// layout: never a tube code, so never one tube in two wells.
    #[test]
    fn every_marker_may_repeat() {
        for (word, expected) in MARKERS {
            for written in [
                word.to_owned(),
                word.to_lowercase(),
                format!(" {} ", word.to_lowercase()),
            ] {
                for text in [
                    format!("A1,{written}\nA2,{written}"),
                    format!("Position,Tube ID\nA1,{written}\nA2,{written}"),
                ] {
                    let scan = parse(&text).unwrap();
                    assert!(
                        scan.wells.iter().all(|w| w.read == expected.read()),
                        "{text:?}"
                    );
                }
            }
            // The table holds words as they are compared.
            assert_eq!(*word, word.to_uppercase().replace([' ', '_', '-'], ""));
        }
    }

    #[test]
    fn a_tube_code_in_two_wells_is_still_refused() {
        let cases = [
            ("A1,FX1\nA2,NOSCAN\nA3,FX1", 3),
            (
                "TubeCode,LocationRow,LocationColumn,RackID\nFX1,A,01,R1\nNo Tube,A,02,R1\nFX1,B,01,R1",
                4,
            ),
            (
                "Rack ID,R1,,\nRack ID,Well,2D Barcode, \nR1,A1,FX1,\nR1,A2,NOSCAN,\nR1,A3,FX1,",
                5,
            ),
        ];
        for (text, line) in cases {
            let error = parse(text).unwrap_err();
            assert!(
                matches!(&error, RackScanError::DuplicateTube { line: l, code, .. } if *l == line && code == "FX1"),
                "{text:?}: {error:?}"
            );
            assert!(error
                .to_string()
                .contains("One tube cannot be in two wells"));
        }
    }

    // ---- parsing: vendor layouts, each written from its documentation ----

    /// FluidX/Azenta export as the scanner writes it: report lines (`Rack ID`, `Tube Count`), a
    /// header whose last name is blank, and a separator at the end of every line. Follows the
    /// FluidX scan in EdinburghGenomics/clarity_scripts, tests/assets/fluidx_example_scan.csv
    /// (read by scripts/parse_fluidx_scan.py, which skips the `Rack ID` and `Tube Count` lines):
    /// one tube in A1, `NO TUBE` in the other 95 wells.
    #[test]
    fn fluidx_export_as_written() {
        let mut text =
            String::from("Rack ID,container1,,\r\nTube Count,1,,\r\nRack ID,Well,2D Barcode, \r\n");
        for p in g96().positions() {
            let code = if p.index(g96()) == 0 {
                "FD06299917"
            } else {
                "NO TUBE"
            };
            text.push_str(&format!("container1,{},{code},\r\n", p.name()));
        }
        let scan = parse(&text).unwrap();
        assert_eq!(scan.rack_barcode.as_deref(), Some("container1"));
        assert_eq!(scan.wells.len(), 96);
        assert_eq!(scan.wells[0], tube("A1", "FD06299917"));
        assert!(scan.wells[1..].iter().all(|w| w.read == WellRead::NoTube));
    }

    /// The same FluidX layout with the other FluidX markers: `NO READ` and `NOSCAN` (twice), as
    /// Sanger's FluidX reader lists them (sanger/limber,
    /// app/models/labware_creators/common_file_handling/csv_file_for_tube_rack.rb,
    /// NO_TUBE_TEXTS), and `EMPTY`.
    #[test]
    fn fluidx_export_with_every_marker() {
        let text = "Rack ID,FX00012345,,\n\
                    Tube Count,3,,\n\
                    Rack ID,Well,2D Barcode, \n\
                    FX00012345,A1,FD06299917,\n\
                    FX00012345,A2,NO TUBE,\n\
                    FX00012345,A3,NO READ,\n\
                    FX00012345,A4,NOSCAN,\n\
                    FX00012345,A5,NOSCAN,\n\
                    FX00012345,A6,EMPTY,\n\
                    FX00012345,A7,FD06299918,\n";
        let scan = parse(text).unwrap();
        assert_eq!(scan.rack_barcode.as_deref(), Some("FX00012345"));
        let reads: Vec<WellRead> = scan.wells.into_iter().map(|w| w.read).collect();
        assert_eq!(
            reads,
            vec![
                WellRead::Tube("FD06299917".into()),
                WellRead::NoTube,
                WellRead::NoRead,
                WellRead::NoRead,
                WellRead::NoRead,
                WellRead::NoTube,
                WellRead::Tube("FD06299918".into()),
            ]
        );
    }

    /// FluidX files without column names, as Sanger's reader takes them (sanger/limber,
    /// csv_file_for_tube_rack.rb: `A1,FX05653780`, `A2,NO READ`;
    /// csv_file_for_tube_rack_with_rack_barcode.rb: `TR00012345,A1,FX05653780`), and the same
    /// with the separator FluidX ends its lines with.
    #[rstest]
    #[case::position_code("A1,FX05653780\nB1,NO READ\nC1,NOSCAN\nD1,NOSCAN\nE1,EMPTY\n", None)]
    #[case::rack_position_code(
        "TR00012345,A1,FX05653780\nTR00012345,B1,NO READ\nTR00012345,C1,NOSCAN\n\
         TR00012345,D1,NOSCAN\nTR00012345,E1,EMPTY\n",
        Some("TR00012345")
    )]
    #[case::position_code_trailing(
        "A1,FX05653780,\nB1,NO READ,\nC1,NOSCAN,\nD1,NOSCAN,\nE1,EMPTY,\n",
        None
    )]
    #[case::rack_position_code_trailing(
        "TR00012345,A1,FX05653780,\nTR00012345,B1,NO READ,\nTR00012345,C1,NOSCAN,\n\
         TR00012345,D1,NOSCAN,\nTR00012345,E1,EMPTY,\n",
        Some("TR00012345")
    )]
    fn fluidx_files_without_column_names(#[case] text: &str, #[case] rack: Option<&str>) {
        let scan = parse(text).unwrap();
        assert_eq!(scan.rack_barcode.as_deref(), rack);
        assert_eq!(
            scan.wells,
            vec![
                tube("A1", "FX05653780"),
                ScannedWell {
                    position: at("B1"),
                    read: WellRead::NoRead
                },
                ScannedWell {
                    position: at("C1"),
                    read: WellRead::NoRead
                },
                ScannedWell {
                    position: at("D1"),
                    read: WellRead::NoRead
                },
                ScannedWell {
                    position: at("E1"),
                    read: WellRead::NoTube
                },
            ]
        );
    }

    /// Thermo Matrix rack scanner file: named columns with the code first, row letter and
    /// column number apart (`01`), the rack on every line, `No Tube` for an empty well. Follows
    /// econtijoch/FaithLabTools, inst/extdata/Example_Matrix_Rack_Scanner_File.csv (its first two
    /// wells, F10 to F12 and H12, verbatim), read there by R/matrix_plate_parser.R. `No Read` is
    /// VisionMate's default no-read label (miso-lims/visionmate-client, ServerConfig.java).
    #[test]
    fn thermo_matrix_file() {
        let text = "TubeCode,LocationRow,LocationColumn,RackID\n\
                    0231322517,A,01,SW_Abs2\n\
                    0231322445,A,02,SW_Abs2\n\
                    0231323148,F,10,SW_Abs2\n\
                    No Tube,F,11,SW_Abs2\n\
                    No Tube,F,12,SW_Abs2\n\
                    No Read,G,01,SW_Abs2\n\
                    No Read,G,02,SW_Abs2\n\
                    0231323152,H,12,SW_Abs2\n";
        let scan = parse(text).unwrap();
        assert_eq!(scan.rack_barcode.as_deref(), Some("SW_Abs2"));
        let well = |name: &str, read: WellRead| ScannedWell {
            position: at(name),
            read,
        };
        assert_eq!(
            scan.wells,
            vec![
                tube("A1", "0231322517"),
                tube("A2", "0231322445"),
                tube("F10", "0231323148"),
                well("F11", WellRead::NoTube),
                well("F12", WellRead::NoTube),
                well("G1", WellRead::NoRead),
                well("G2", WellRead::NoRead),
                tube("H12", "0231323152"),
            ]
        );
    }

    /// Ziath DataPaq, reconstructed: the DataPaq User Guide (v2.40,
    /// https://manualzilla.com/doc/5879063/datapaq%E2%84%A2-2.40-user-manual) describes a
    /// configurable export, but its column list could not be consulted. The layouts here (rack
    /// barcode, row and column as numbers from 1, tube barcode; or rack, position, barcode;
    /// `EMPTY` and `No Read`) follow the issue's description, not a sample file. They test what
    /// the parser promises any such export: columns by name, numbered rows, the markers.
    #[rstest]
    #[case::rows_numbered(
        "Rack Barcode,RowNo,ColNo,Tube Barcode\n\
         ZR00012345,1,1,0123456781\n\
         ZR00012345,1,2,EMPTY\n\
         ZR00012345,1,3,No Read\n\
         ZR00012345,2,1,0123456782\n\
         ZR00012345,8,12,0123456783\n"
    )]
    #[case::position(
        "Rack,Position,Barcode\n\
         ZR00012345,A01,0123456781\n\
         ZR00012345,A02,EMPTY\n\
         ZR00012345,A03,No Read\n\
         ZR00012345,B01,0123456782\n\
         ZR00012345,H12,0123456783\n"
    )]
    fn ziath_datapaq_file(#[case] text: &str) {
        let scan = parse(text).unwrap();
        assert_eq!(scan.rack_barcode.as_deref(), Some("ZR00012345"));
        assert_eq!(
            scan.wells,
            vec![
                tube("A1", "0123456781"),
                ScannedWell {
                    position: at("A2"),
                    read: WellRead::NoTube
                },
                ScannedWell {
                    position: at("A3"),
                    read: WellRead::NoRead
                },
                tube("B1", "0123456782"),
                tube("H12", "0123456783"),
            ]
        );
    }

    /// Micronic, reconstructed: the fields are those of the Micronic Code Reader's scan result
    /// as PyLabRobot reads it (PyLabRobot/pylabrobot, pylabrobot/micronic/rack_reading_backend.py
    /// and micronic_tests.py: RackID, Date, Time, then per well Position `A01`, TubeID, Status
    /// `Code OK` and FreeText), written as a tab-separated file with RackID, Date and Time as
    /// report lines; and the issue's comma-separated `Rack ID,Tube Position,Tube ID`. The
    /// `No Tube` and `No Code` words are the issue's, not from a sample file.
    #[rstest]
    #[case::tab_separated_with_status(
        "RackID\t3000756455\n\
         Date\t20260315\n\
         Time\t114804\n\
         Position\tTubeID\tStatus\tFreeText\n\
         A01\t5007377910\tCode OK\t\n\
         A02\t\tNo Tube\t\n\
         A03\t\tNo Code\t\n\
         A04\t\tNo Code\t\n\
         A05\t5007377911\tCode OK\t\n"
    )]
    #[case::comma_separated(
        "Rack ID,Tube Position,Tube ID\n\
         3000756455,A01,5007377910\n\
         3000756455,A02,No tube\n\
         3000756455,A03,No code\n\
         3000756455,A04,No code\n\
         3000756455,A05,5007377911\n"
    )]
    fn micronic_file(#[case] text: &str) {
        let scan = parse(text).unwrap();
        assert_eq!(scan.rack_barcode.as_deref(), Some("3000756455"));
        assert_eq!(
            scan.wells,
            vec![
                tube("A1", "5007377910"),
                ScannedWell {
                    position: at("A2"),
                    read: WellRead::NoTube
                },
                ScannedWell {
                    position: at("A3"),
                    read: WellRead::NoRead
                },
                ScannedWell {
                    position: at("A4"),
                    read: WellRead::NoRead
                },
                tube("A5", "5007377911"),
            ]
        );
    }

    #[rstest]
    #[case::thermo_matrix(
        "LocationRow,LocationColumn,RackID\nA,01,R1",
        1,
        "LocationRow, LocationColumn, RackID",
        Some("Thermo Matrix")
    )]
    #[case::fluidx(
        "Rack ID,R1,,\nTube Count,1,,\nRack ID,Well,Status, \nR1,A1,OK,",
        3,
        "Rack ID, Well, Status",
        Some("FluidX")
    )]
    #[case::micronic(
        "Position\tStatus\tFreeText\nA01\tCode OK\t",
        1,
        "Position, Status, FreeText",
        Some("Micronic")
    )]
    #[case::unknown("Position,Sample\nA1,S1", 1, "Position, Sample", None)]
    fn a_header_without_a_tube_code_column_is_refused(
        #[case] text: &str,
        #[case] line: usize,
        #[case] columns: &str,
        #[case] vendor: Option<&'static str>,
    ) {
        let error = parse(text).unwrap_err();
        assert_eq!(
            error,
            RackScanError::NoCodeColumn {
                line,
                columns: columns.to_owned(),
                vendor,
            }
        );
        let message = error.to_string();
        assert!(message.starts_with(&format!("line {line}: ")), "{message}");
        assert!(message.contains(&format!("({columns})")), "{message}");
        assert!(message.contains("holds the tube codes"), "{message}");
        if let Some(vendor) = vendor {
            assert!(
                message.contains(&format!("looks like a {vendor} rack scan")),
                "{message}"
            );
        }
        assert!(!message.contains("CSV"), "{message}");
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
    // Named columns may be more than three; a header alone lists no wells.
    #[case::header_with_four_fields("Rack,Position,Tube,Status", RackScanError::Empty)]
    #[case::layout_changes("A1,FX1\nR,A2,FX2", RackScanError::FieldCountChanged {
        line: 2, found: 3, expected: 2, first_line: 1 })]
    // Under a header line, lines are measured against the header, which names the columns.
    #[case::layout_changes_after_header("Rack,Position,Tube\nR,A1,FX1\nA2,FX2",
        RackScanError::FieldCountChanged { line: 3, found: 2, expected: 3, first_line: 1 })]
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
    #[case::report_lines_without_header(
        "Rack ID,RK1,,\nTube Count,2,,\nRK1,A1,FX1,\nRK1,A2,FX2,",
        RackScanError::ReportWithoutHeader { line: 3, key: "Rack ID".into() })]
    #[case::report_lines_only("Rack ID,RK1\nTube Count,0", RackScanError::Empty)]
    #[case::report_line_after_wells("A1,FX1\nRack ID,RK1", bad_position(2, "Rack ID"))]
    #[case::two_code_columns("Position,Barcode,Tube ID\nA1,X,Y", RackScanError::AmbiguousColumns {
        line: 1, what: "tube codes", first: "Barcode".into(), second: "Tube ID".into() })]
    #[case::two_position_columns("Well,Position,Barcode\nA1,A1,X", RackScanError::AmbiguousColumns {
        line: 1, what: "positions", first: "Well".into(), second: "Position".into() })]
    #[case::report_rack_differs("Rack ID,RK1\nRack,Position,Tube\nRK2,A1,FX1", RackScanError::MixedRacks {
        line: 3, first_line: 1, first: "RK1".into(), found: "RK2".into() })]
    #[case::bad_report_rack("Rack ID,R 1\nPosition,Tube\nA1,FX1", RackScanError::BadRackBarcode {
        line: 1, text: "R 1".into() })]
    #[case::positions_disagree("Position,Row,Column,Barcode\nA2,A,1,FX1", RackScanError::PositionsDisagree {
        line: 2, position: "A2".into(), row: "A".into(), column: "1".into() })]
    #[case::row_out_of_box(
        "Row,Column,Barcode\nA,1,FX0\nI,1,FX1",
        bad_position(3, "row I, column 1")
    )]
    #[case::row_number_out_of_box(
        "Row,Column,Barcode\n9,1,FX1",
        bad_position(2, "row 9, column 1")
    )]
    #[case::column_zero("Row,Column,Barcode\nA,0,FX1", bad_position(2, "row A, column 0"))]
    #[case::column_out_of_box("Row,Column,Barcode\nA,13,FX1", bad_position(2, "row A, column 13"))]
    #[case::row_and_column_as_one(
        "Row,Column,Barcode\nA1,,FX1",
        bad_position(2, "row A1, column ")
    )]
    #[case::no_row("Row,Column,Barcode\n,1,FX1", bad_position(2, "row , column 1"))]
    #[case::code_and_no_tube("Position\tTubeID\tStatus\nA01\t5007377910\tNo Tube", RackScanError::ContradictoryWell {
        line: 2, position: "A1".into(), code: "5007377910".into(), status: "No Tube".into() })]
    #[case::two_markers_disagree("Position,TubeID,Status\nA01,NO READ,No Tube", RackScanError::ContradictoryWell {
        line: 2, position: "A1".into(), code: "NO READ".into(), status: "No Tube".into() })]
    #[case::field_beyond_header("Position,Barcode\nA1,FX1\nA2,FX2,OOPS", RackScanError::FieldCountChanged {
        line: 3, found: 3, expected: 2, first_line: 1 })]
    #[case::ambiguous_headerless_layout("1,5,\n2,7,", RackScanError::AmbiguousLayout { line: 1 })]
    #[case::trailing_separator_bad_position("A1,FX1,\nZ9,FX2,", bad_position(2, "Z9"))]
    #[case::three_values_and_a_fourth("A1,FX1,,X", RackScanError::WrongFieldCount { line: 1, found: 4 })]
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
        let domain: DomainError = parse("A1,FX1\nZ9,FX2").unwrap_err().into();
        assert!(
            domain.to_string().starts_with("rack scan file: line 2: "),
            "{domain}"
        );
        let domain: DomainError = parse("").unwrap_err().into();
        assert!(matches!(
            domain,
            DomainError::Invalid {
                field: "rack scan file",
                ..
            }
        ));
    }

    /// Refusals speak to the technician: the file's line, the lab's words, what to do. None
    /// names an internal field or asks for a CSV export of a file that is one.
    #[test]
    fn every_refusal_is_worded_for_people() {
        let files = [
            "",
            "A1 FX1",
            "A1,FX1\nR,A2,FX2",
            "A1,FX1\nZ9,FX2",
            "Position,Row,Column,Barcode\nA2,A,1,FX1",
            "A1,FX1\nA1,FX2",
            "A1,FX1\nA2,FX1",
            "Position,TubeID,Status\nA01,FX1,No Tube",
            "R1,A1,FX1\nR2,A2,FX2",
            "A1,FX 1",
            "R 1,A1,FX1",
            "LocationRow,LocationColumn,RackID\nA,01,R1",
            "Position,Barcode,Tube ID\nA1,X,Y",
            "Rack ID,RK1,,\nRK1,A1,FX1,",
            "1,5,\n2,7,",
        ];
        let mut kinds = HashSet::new();
        for text in files {
            let error = parse(text).unwrap_err();
            kinds.insert(std::mem::discriminant(&error));
            let message = error.to_string();
            for internal in ["CSV", "csv", "export", "_", "field_", "rack_scan"] {
                assert!(!message.contains(internal), "{message}");
            }
            let says_what_to_do = [
                "scan the rack again",
                "scan it again",
                "Scan the rack again",
                "choose",
                "chose",
                "import each",
            ]
            .iter()
            .any(|advice| message.contains(advice));
            assert!(says_what_to_do, "{message}");
        }
        // Every kind of refusal but the size limit is worded above.
        assert_eq!(kinds.len(), 15);
        let message = RackScanError::TooLarge.to_string();
        assert!(
            message.contains("chose the file the rack scanner wrote"),
            "{message}"
        );
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

    /// A vendor export, as each writes its wells, for the property below.
    fn export(vendor: u8, rack: &str, wells: &[(Position, String)]) -> String {
        let row = |p: Position| char::from(b'A' + p.row);
        let mut text = String::new();
        match vendor {
            // FluidX: report lines, blank last header name, trailing separators, CRLF.
            0 => {
                text.push_str(&format!(
                    "Rack ID,{rack},,\r\nTube Count,{},,\r\nRack ID,Well,2D Barcode, \r\n",
                    wells.len()
                ));
                for (p, code) in wells {
                    text.push_str(&format!("{rack},{},{code},\r\n", p.name()));
                }
            }
            // Thermo Matrix: code first, row and padded column apart.
            1 => {
                text.push_str("TubeCode,LocationRow,LocationColumn,RackID\n");
                for (p, code) in wells {
                    text.push_str(&format!("{code},{},{:02},{rack}\n", row(*p), p.column + 1));
                }
            }
            // Ziath-style: numbered rows.
            2 => {
                text.push_str("Rack Barcode;RowNo;ColNo;Tube Barcode\n");
                for (p, code) in wells {
                    text.push_str(&format!("{rack};{};{};{code}\n", p.row + 1, p.column + 1));
                }
            }
            // Micronic-style: tabs, report lines, padded positions, well numbers not used.
            _ => {
                text.push_str(&format!(
                    "RackID\t{rack}\nDate\t20260315\nPosition\tTubeID\tStatus\n"
                ));
                for (p, code) in wells {
                    let position = format!("{}{:02}", row(*p), p.column + 1);
                    text.push_str(&format!("{position}\t{code}\tCode OK\n"));
                }
            }
        }
        text
    }

    proptest! {
        /// Every vendor layout reads back what was written, markers repeating freely.
        #[test]
        fn vendor_exports_read_back(
            filled in prop::collection::vec(0u8..6, 96),
            vendor in 0u8..4,
            reverse in any::<bool>(),
        ) {
            let grid = g96();
            let mut written = Vec::new();
            let mut expected = Vec::new();
            for (p, kind) in grid.positions().zip(&filled) {
                let (field, read) = match kind {
                    0 => continue,
                    1 => ("NO TUBE".to_owned(), WellRead::NoTube),
                    2 => ("No Read".to_owned(), WellRead::NoRead),
                    3 => ("NOSCAN".to_owned(), WellRead::NoRead),
                    4 => ("EMPTY".to_owned(), WellRead::NoTube),
                    _ => {
                        let code = format!("FX{:08}", p.index(grid));
                        (code.clone(), WellRead::Tube(code))
                    }
                };
                written.push((p, field));
                expected.push(ScannedWell { position: p, read });
            }
            if reverse {
                written.reverse();
            }
            let result = parse(&export(vendor, "RK00000001", &written));
            if expected.is_empty() {
                prop_assert_eq!(result, Err(RackScanError::Empty));
            } else {
                let scan = result.unwrap();
                prop_assert_eq!(scan.rack_barcode.as_deref(), Some("RK00000001"));
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
