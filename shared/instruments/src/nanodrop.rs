//! Thermo Fisher NanoDrop Eight nucleic-acid export: tab-separated text. A few header lines
//! (`Application:` and the application, `Serial number:` and the instrument's), then a table
//! with a row per sample: `Date`, `UID` (the instrument's own id), `Sample` (the name the
//! technician gave), `Username`, the concentration in a column named by its unit (`ng/µL`,
//! `µg/mL`…), the purity ratios `A260/A280` and `A260/A230`, the absorbances `A260`, `A280`,
//! and columns of the software's own, ignored. Files written on a European Windows use a
//! decimal comma (`704,986`, `2,07`), found from the values themselves.

use crate::reading::{guess_decimal_mark, Reading};
use crate::text::Line;
use crate::{text, ParseError, Position, RawResult};

const NOT_NANODROP: &str = "no table with a Sample column and a concentration (ng/µL) or \
    A260 column: this is not a NanoDrop Eight export (export the experiment's table as text)";

/// The concentration units NanoDrop names its concentration column by.
const CONCENTRATION_UNITS: &[&str] = &["ng/µL", "µg/mL", "µg/µL", "mg/mL", "ng/mL", "pg/µL"];

/// A header folded for comparison: lower case, µ (micro sign or Greek mu) as `u`, no spaces.
fn fold(header: &str) -> String {
    header
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{b5}' | '\u{3bc}' => 'u',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// `260` from `A260`.
fn wavelength(text: &str) -> Option<&str> {
    let digits = text
        .strip_prefix('A')
        .or_else(|| text.strip_prefix('a'))
        .unwrap_or(text);
    (digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A measured column of the table: its read name and unit.
fn measured(header: &str) -> Option<(String, Option<String>)> {
    let header = header.trim();
    let folded = fold(header);
    if let Some(unit) = CONCENTRATION_UNITS.iter().find(|u| fold(u) == folded) {
        return Some(("Concentration".to_owned(), Some((*unit).to_owned())));
    }
    if let Some((over, under)) = header.split_once('/') {
        let (over, under) = (wavelength(over.trim())?, wavelength(under.trim())?);
        // `A260/A280`, or `260/280` as some versions write it.
        return Some((format!("A{over}/A{under}"), None));
    }
    if header.starts_with(['A', 'a']) {
        return wavelength(header).map(|w| (format!("A{w}"), None));
    }
    None
}

fn is_sample_column(header: &str) -> bool {
    matches!(
        fold(header).as_str(),
        "sample" | "samplename" | "sampleid" | "sample#"
    )
}

/// Every sample of a NanoDrop Eight export.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    let text = text::decode(bytes)?;
    // NanoDrop writes tabs; a file saved again from a spreadsheet may hold commas.
    for delimiter in [b'\t', b',', b';'] {
        if let Some(results) = read(&text, delimiter)? {
            return Ok(results);
        }
    }
    Err(ParseError::Missing(NOT_NANODROP.into()))
}

/// The table's results with `delimiter`, or `None` if no header row is found with it.
fn read(text: &str, delimiter: u8) -> Result<Option<Vec<RawResult>>, ParseError> {
    // (sample column, measured columns: index, read, unit)
    type Columns = (usize, Vec<(usize, String, Option<String>)>);
    let mut columns: Option<Columns> = None;
    let mut rows: Vec<Line> = Vec::new();
    for record in text::records(text, delimiter)? {
        if columns.is_none() {
            let sample = record.cells.iter().position(|h| is_sample_column(h));
            let reads: Vec<_> = record
                .cells
                .iter()
                .enumerate()
                .filter_map(|(i, h)| measured(h).map(|(read, unit)| (i, read, unit)))
                .collect();
            if let (Some(sample), false) = (sample, reads.is_empty()) {
                columns = Some((sample, reads));
            }
            continue;
        }
        rows.push(record);
    }
    let Some((sample, reads)) = columns else {
        return Ok(None);
    };
    let mark = guess_decimal_mark(
        rows.iter()
            .flat_map(|r| reads.iter().map(|(i, _, _)| r.cell(*i))),
    );
    let mut results = Vec::new();
    for record in &rows {
        let name = record.cell(sample);
        if name.is_empty() {
            return Err(ParseError::at(
                record.number,
                "a row of the table has no sample name (the Sample column is empty)",
            ));
        }
        for (i, read, unit) in &reads {
            let Some(value) = Reading::parse(record.cell(*i), mark) else {
                continue;
            };
            results.push(RawResult {
                plate: None,
                position: Position::Sample(name.to_owned()),
                read: read.clone(),
                value,
                unit: unit.clone(),
            });
        }
    }
    Ok(Some(results))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_known_by_their_headers() {
        let c = |h: &str| measured(h);
        assert_eq!(
            c("ng/µL"),
            Some(("Concentration".into(), Some("ng/µL".into())))
        );
        assert_eq!(
            c("ng/\u{3bc}L"),
            Some(("Concentration".into(), Some("ng/µL".into())))
        );
        assert_eq!(
            c("ng/ul"),
            Some(("Concentration".into(), Some("ng/µL".into())))
        );
        assert_eq!(c("A260/A280"), Some(("A260/A280".into(), None)));
        assert_eq!(c("260/230"), Some(("A260/A230".into(), None)));
        assert_eq!(c("A260"), Some(("A260".into(), None)));
        for other in [
            "Date",
            "UID",
            "Username",
            "WeirdExtra:",
            "AndMore",
            "Sample",
            "A/B",
        ] {
            assert_eq!(c(other), None, "{other}");
        }
    }
}
