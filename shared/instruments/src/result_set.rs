//! Result sets produced elsewhere: an omics platform's or a partner lab's file with one row per
//! sample and analyte, tied to the biobank's tubes by the sample's code (never by a well). Two
//! formats ([`ResultSetFormat`]):
//!
//! - **Olink NPX long** ([`ResultSetFormat::OlinkNpx`]): the long export Olink's software
//!   writes and OlinkAnalyze's `read_NPX` reads: `SampleID;Index;OlinkID;UniProt;Assay;
//!   MissingFreq;Panel;Panel_Lot_Nr;PlateID;QC_Warning;LOD;NPX;Normalization;Assay_Warning;
//!   Sample_Type`, semicolons (decimal commas possible) or commas. Columns are found by name,
//!   in any order; only `SampleID`, `Assay` and `NPX` must be there, and columns this reader
//!   does not know are passed over. NPX is a log2 scale, so its unit is `NPX`; an `NA` NPX is
//!   a flag, never 0. NPX below the assay's LOD is still a number (Olink reports it) and
//!   marked [`OlinkDetails::below_lod`]. Plate controls (`CONTROL_SAMPLE…` ids, a
//!   `Sample_Type` naming a control) are kept and marked [`ResultSetRow::control`].
//! - **Long CSV** ([`ResultSetFormat::LongCsv`]): any table with a column for the sample's
//!   code, the analyte and the value, found by their usual names ([`LONG_CSV_COLUMNS`]), and
//!   optionally a unit and a flag column. Comma, semicolon or tab separated.
//!
//! Both read the separator from the header line (the file's first line with a letter or digit
//! in it) and guess the decimal mark from the value cells. Every row must name its sample and
//! its analyte: a row without either is refused at its line, never passed over; a value cell
//! left empty is kept as a row with no value. A file with a header and no rows is refused.
//! Cells come through [`text::records`] as in every other parser; column positions are found
//! once, from the header, and each row's cells are moved into its result, not copied.

use crate::reading::{
    comma_if_no_point, guess_decimal_mark, number, read_cell, unit, DecimalMark, Reading,
};
use crate::text::{self, Line};
use crate::ParseError;
use serde::Serialize;

/// Which kind of result set a file is: the domain's.
pub use aliquot_domain::result_sets::ResultSetFormat;

/// One sample's value of one analyte, as the file gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultSetRow {
    /// The row's line, as an editor numbers it.
    pub line: usize,
    /// The sample's code as the file wrote it (trimmed): what the importer matches to a tube.
    pub sample_code: String,
    /// The analyte: Olink's `Assay` (its protein symbol), or the long CSV's analyte cell.
    pub analyte: String,
    /// `None` where the value cell is empty; a word (`NA`, `OVRFLW`) is a flag and a bound
    /// (`< 0,5`) is censored, never a number.
    pub value: Option<Reading>,
    /// `NPX` for Olink; the unit column's cell for a long CSV, where it has one.
    pub unit: Option<String>,
    /// What the file says is wrong with the value: a long CSV's flag (or comment) cell; for
    /// Olink, the sample and assay QC columns that do not say `PASS`, each as
    /// `Column: value` (`QC_Warning: WARN; Assay_Warning: WARN`). `None` where all pass.
    pub flag: Option<String>,
    /// A control (Olink's plate, sample and negative controls), not a study sample: its code
    /// is the platform's, not a tube's.
    pub control: bool,
    /// What an Olink row says beyond the value; `None` for a long CSV.
    pub olink: Option<Box<OlinkDetails>>,
}

/// An Olink row's own columns, each `None` where the file has no such column or leaves it
/// empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OlinkDetails {
    pub olink_id: Option<String>,
    pub uniprot: Option<String>,
    pub panel: Option<String>,
    /// `Panel_Lot_Nr`.
    pub panel_lot: Option<String>,
    pub plate_id: Option<String>,
    /// The sample's QC (`QC_Warning`, or `SampleQC`): `PASS`, `WARN`, `FAIL`.
    pub qc_warning: Option<String>,
    /// The assay's QC (`Assay_Warning`, or `AssayQC`).
    pub assay_warning: Option<String>,
    /// The assay's limit of detection on the NPX scale; `None` where it is `NA` or missing.
    pub lod: Option<f64>,
    /// Whether the NPX is below the LOD; `None` unless both are numbers.
    pub below_lod: Option<bool>,
    /// `Plate control`, `Intensity`…
    pub normalization: Option<String>,
    /// `SAMPLE`, `PLATE_CONTROL`, `NEGATIVE_CONTROL`…
    pub sample_type: Option<String>,
}

/// The header names a long CSV's columns are found by, for each of what it holds: compared
/// in lower case without spaces, `_`, `-` or `.` (`Sample ID`, `sample_id` and `SampleID`
/// are one name). Where a header has several, the one listed first wins.
pub const LONG_CSV_COLUMNS: [(&str, &[&str]); 5] = [
    (
        "sample code",
        &[
            "samplecode",
            "sampleid",
            "samplebarcode",
            "barcode",
            "sample",
        ],
    ),
    ("analyte", &["analyte", "testcode", "test", "assay"]),
    ("value", &["value", "result"]),
    ("unit", &["unit", "units"]),
    ("flag", &["flag", "flags", "comment", "comments"]),
];

/// Sample ids Olink gives its controls.
const OLINK_CONTROL_IDS: &[&str] = &[
    "CONTROL_SAMPLE",
    "SAMPLE_CONTROL",
    "PLATE_CONTROL",
    "NEGATIVE_CONTROL",
];

/// The rows of a result set written in `format`.
pub fn parse_result_set(
    format: ResultSetFormat,
    bytes: &[u8],
) -> Result<Vec<ResultSetRow>, ParseError> {
    let text = text::decode(bytes)?;
    let delimiter = delimiter_of(&text);
    let lines = text::records(&text, delimiter)?;
    drop(text);
    let mut lines = lines.into_iter();
    let header = lines.next().ok_or_else(|| {
        ParseError::Missing("the file is empty: no header line and no results".into())
    })?;
    let header = Header::new(header);
    if lines.as_slice().is_empty() {
        return Err(ParseError::Missing(format!(
            "no results in the file: its header (line {}) has no rows after it",
            header.line
        )));
    }
    match format {
        ResultSetFormat::OlinkNpx => olink(&header, delimiter, lines),
        ResultSetFormat::LongCsv => long_csv(&header, delimiter, lines),
    }
}

/// The header line: its cells as written and as compared.
struct Header {
    line: usize,
    names: Vec<String>,
    folded: Vec<String>,
}

impl Header {
    fn new(line: Line) -> Header {
        let folded = line.cells.iter().map(|c| fold(c)).collect();
        Header {
            line: line.number,
            names: line.cells,
            folded,
        }
    }

    /// The column with the first of `names` the header has; refused if that name is on two
    /// columns.
    fn column(&self, names: &[&str]) -> Result<Option<usize>, ParseError> {
        for name in names {
            let mut found = self
                .folded
                .iter()
                .enumerate()
                .filter(|(_, f)| f == name)
                .map(|(at, _)| at);
            if let Some(at) = found.next() {
                if found.next().is_some() {
                    return Err(ParseError::at(
                        self.line,
                        format!(
                            "the header has more than one {:?} column: which one to read is unclear",
                            self.name(at)
                        ),
                    ));
                }
                return Ok(Some(at));
            }
        }
        Ok(None)
    }

    fn name(&self, at: usize) -> &str {
        self.names.get(at).map_or("", String::as_str)
    }

    /// The header's columns, for a refusal.
    fn listed(&self) -> String {
        let names: Vec<&str> = self
            .names
            .iter()
            .map(String::as_str)
            .filter(|n| !n.is_empty())
            .collect();
        names.join(", ")
    }
}

/// A header name folded for comparison: lower case, letters and digits only.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The separator the header line uses most: tab, semicolon or comma (a comma where it has
/// none of them).
fn delimiter_of(text: &str) -> u8 {
    let header = text
        .split(['\r', '\n'])
        .find(|l| l.chars().any(char::is_alphanumeric))
        .unwrap_or_default();
    let count = |c: char| header.matches(c).count();
    let (tabs, semicolons, commas) = (count('\t'), count(';'), count(','));
    if tabs > 0 && tabs >= semicolons && tabs >= commas {
        b'\t'
    } else if semicolons > 0 && semicolons >= commas {
        b';'
    } else {
        b','
    }
}

/// The value cells' decimal mark: the one only it reads ([`guess_decimal_mark`]); where that
/// is undecided and the separator leaves the comma free, a comma if the cells have commas and
/// no points (`1,234` in a semicolon file is far likelier 1.234 than 1234).
fn decimal_mark_of<'a>(delimiter: u8, cells: impl Iterator<Item = &'a str> + Clone) -> DecimalMark {
    match guess_decimal_mark(cells.clone()) {
        DecimalMark::Comma => DecimalMark::Comma,
        DecimalMark::Point if delimiter == b',' => DecimalMark::Point,
        DecimalMark::Point => comma_if_no_point(cells),
    }
}

/// The cell at `at`, moved out of the line (the line is not read again there).
fn take(line: &mut Line, at: usize) -> String {
    line.cells
        .get_mut(at)
        .map(std::mem::take)
        .unwrap_or_default()
}

/// The cell at `at` (where the header has the column), moved out; `None` if empty.
fn take_filled(line: &mut Line, at: Option<usize>) -> Option<String> {
    at.map(|at| take(line, at)).filter(|c| !c.is_empty())
}

/// The row's sample code and analyte, each required.
fn code_and_analyte(
    line: &mut Line,
    header: &Header,
    sample: usize,
    analyte: usize,
) -> Result<(String, String), ParseError> {
    let code = take(line, sample);
    if code.is_empty() {
        return Err(ParseError::at(
            line.number,
            format!(
                "a result has no sample code: its {} cell is empty",
                header.name(sample)
            ),
        ));
    }
    let what = take(line, analyte);
    if what.is_empty() {
        return Err(ParseError::at(
            line.number,
            format!(
                "the result of {code} has no analyte: its {} cell is empty",
                header.name(analyte)
            ),
        ));
    }
    Ok((code, what))
}

fn long_csv(
    header: &Header,
    delimiter: u8,
    lines: std::vec::IntoIter<Line>,
) -> Result<Vec<ResultSetRow>, ParseError> {
    let mut found = [None; LONG_CSV_COLUMNS.len()];
    for (at, (_, names)) in found.iter_mut().zip(LONG_CSV_COLUMNS) {
        *at = header.column(names)?;
    }
    let [sample, analyte, value, unit_at, flag_at] = found;
    let (Some(sample), Some(analyte), Some(value)) = (sample, analyte, value) else {
        let missing: Vec<String> = LONG_CSV_COLUMNS
            .iter()
            .zip(found)
            .take(3)
            .filter(|(_, at)| at.is_none())
            .map(|((what, names), _)| format!("no {what} column (named {})", names.join(", ")))
            .collect();
        return Err(ParseError::at(
            header.line,
            format!(
                "the header has {}: its columns are {}",
                missing.join(", "),
                header.listed()
            ),
        ));
    };
    let mark = decimal_mark_of(delimiter, lines.as_slice().iter().map(|l| l.cell(value)));
    let mut rows = Vec::with_capacity(lines.len());
    for mut line in lines {
        let (sample_code, analyte) = code_and_analyte(&mut line, header, sample, analyte)?;
        rows.push(ResultSetRow {
            line: line.number,
            value: read_cell(line.cell(value), mark),
            unit: unit_at.and_then(|at| unit(line.cell(at))),
            flag: take_filled(&mut line, flag_at),
            sample_code,
            analyte,
            control: false,
            olink: None,
        });
    }
    Ok(rows)
}

/// An Olink long export's columns.
struct OlinkColumns {
    sample: usize,
    assay: usize,
    npx: usize,
    olink_id: Option<usize>,
    uniprot: Option<usize>,
    panel: Option<usize>,
    panel_lot: Option<usize>,
    plate_id: Option<usize>,
    qc_warning: Option<usize>,
    assay_warning: Option<usize>,
    lod: Option<usize>,
    normalization: Option<usize>,
    sample_type: Option<usize>,
}

impl OlinkColumns {
    fn of(header: &Header) -> Result<OlinkColumns, ParseError> {
        let sample = header.column(&["sampleid"])?;
        let assay = header.column(&["assay"])?;
        let npx = header.column(&["npx"])?;
        let (Some(sample), Some(assay), Some(npx)) = (sample, assay, npx) else {
            let missing: Vec<&str> = [(sample, "SampleID"), (assay, "Assay"), (npx, "NPX")]
                .into_iter()
                .filter(|(at, _)| at.is_none())
                .map(|(_, name)| name)
                .collect();
            return Err(ParseError::at(
                header.line,
                format!(
                    "the header has no {} column: this is not an Olink NPX long export (its \
                     columns are {})",
                    missing.join(", no "),
                    header.listed()
                ),
            ));
        };
        Ok(OlinkColumns {
            sample,
            assay,
            npx,
            olink_id: header.column(&["olinkid"])?,
            uniprot: header.column(&["uniprot", "uniprotid"])?,
            panel: header.column(&["panel"])?,
            panel_lot: header.column(&["panellotnr", "panellot"])?,
            plate_id: header.column(&["plateid"])?,
            qc_warning: header.column(&["qcwarning", "sampleqc"])?,
            assay_warning: header.column(&["assaywarning", "assayqc"])?,
            lod: header.column(&["lod"])?,
            normalization: header.column(&["normalization"])?,
            sample_type: header.column(&["sampletype"])?,
        })
    }
}

fn olink(
    header: &Header,
    delimiter: u8,
    lines: std::vec::IntoIter<Line>,
) -> Result<Vec<ResultSetRow>, ParseError> {
    let c = OlinkColumns::of(header)?;
    let mark = decimal_mark_of(
        delimiter,
        lines
            .as_slice()
            .iter()
            .flat_map(|l| [l.cell(c.npx), c.lod.map_or("", |at| l.cell(at))]),
    );
    let warning = |line: &Line, at: Option<usize>| {
        let cell = at.map_or("", |at| line.cell(at));
        (!cell.is_empty() && !cell.eq_ignore_ascii_case("PASS"))
            .then(|| format!("{}: {cell}", at.map_or("", |at| header.name(at))))
    };
    let mut rows = Vec::with_capacity(lines.len());
    for mut line in lines {
        let value = read_cell(line.cell(c.npx), mark);
        let lod = match c.lod.map(|at| line.cell(at)) {
            None => None,
            Some(cell) if cell.is_empty() || cell.eq_ignore_ascii_case("NA") => None,
            Some(cell) => Some(number(cell, mark).ok_or_else(|| {
                ParseError::at(line.number, format!("the LOD {cell:?} is not a number"))
            })?),
        };
        let below_lod = value
            .as_ref()
            .and_then(Reading::number)
            .zip(lod)
            .map(|(npx, lod)| npx < lod);
        let flags: Vec<String> = [c.qc_warning, c.assay_warning]
            .into_iter()
            .filter_map(|at| warning(&line, at))
            .collect();
        let flag = (!flags.is_empty()).then(|| flags.join("; "));
        let (sample_code, analyte) = code_and_analyte(&mut line, header, c.sample, c.assay)?;
        let sample_type = take_filled(&mut line, c.sample_type);
        let control = is_olink_control(&sample_code, sample_type.as_deref());
        let details = OlinkDetails {
            olink_id: take_filled(&mut line, c.olink_id),
            uniprot: take_filled(&mut line, c.uniprot),
            panel: take_filled(&mut line, c.panel),
            panel_lot: take_filled(&mut line, c.panel_lot),
            plate_id: take_filled(&mut line, c.plate_id),
            qc_warning: take_filled(&mut line, c.qc_warning),
            assay_warning: take_filled(&mut line, c.assay_warning),
            lod,
            below_lod,
            normalization: take_filled(&mut line, c.normalization),
            sample_type,
        };
        rows.push(ResultSetRow {
            line: line.number,
            sample_code,
            analyte,
            value,
            unit: Some("NPX".to_owned()),
            flag,
            control,
            olink: Some(Box::new(details)),
        });
    }
    Ok(rows)
}

/// An Olink control: a control's sample id (`CONTROL_SAMPLE_AS 1`), or a sample type naming a
/// control (`CONTROL`, `PLATE_CONTROL`, `NEGATIVE_CONTROL`, `SAMPLE_CONTROL`, `…_CTRL`).
fn is_olink_control(sample_code: &str, sample_type: Option<&str>) -> bool {
    let upper = sample_code.to_ascii_uppercase();
    OLINK_CONTROL_IDS.iter().any(|id| upper.starts_with(id))
        || sample_type.is_some_and(|t| {
            let t = t.to_ascii_uppercase();
            t.contains("CONTROL") || t.contains("CTRL")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_the_header_lines() {
        assert_eq!(delimiter_of("\n\nSample;Analyte;Value\n1,5,2"), b';');
        assert_eq!(delimiter_of("Sample,Analyte,Value"), b',');
        assert_eq!(delimiter_of("Sample\tAnalyte\tValue;x"), b'\t');
        assert_eq!(delimiter_of(";;;\nSample,Analyte,Value"), b',');
        assert_eq!(delimiter_of("Sample"), b',');
    }

    #[test]
    fn header_names_fold_to_letters_and_digits() {
        assert_eq!(fold(" Sample ID "), "sampleid");
        assert_eq!(fold("sample_code"), "samplecode");
        assert_eq!(fold("Panel_Lot_Nr"), "panellotnr");
    }

    #[test]
    fn an_undecided_mark_is_a_comma_only_where_the_separator_frees_it() {
        let cells = ["1,234", "NA", "2,500"];
        assert_eq!(
            decimal_mark_of(b';', cells.iter().copied()),
            DecimalMark::Comma
        );
        assert_eq!(
            decimal_mark_of(b',', cells.iter().copied()),
            DecimalMark::Point
        );
        let cells = ["1.234,5", "2,07"];
        assert_eq!(
            decimal_mark_of(b';', cells.iter().copied()),
            DecimalMark::Comma
        );
        let cells = ["1,234", "2.5"];
        assert_eq!(
            decimal_mark_of(b';', cells.iter().copied()),
            DecimalMark::Point
        );
    }
}
