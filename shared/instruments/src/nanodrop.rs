//! Thermo Fisher NanoDrop Eight nucleic-acid export: tab-separated text. A few header lines
//! (`Application:` and the application, `Serial number:` and the instrument's), then a table
//! with a row per sample: `Date`, `UID` (the instrument's own id), `Sample` (the name the
//! technician gave), `Username`, the concentration in a column named by its unit (`ng/µL`,
//! `µg/mL`…), the purity ratios `A260/A280` and `A260/A230`, the absorbances `A260`, `A280`,
//! and columns of the software's own, ignored. Files written on a European Windows use a
//! decimal comma (`704,986`, `2,07`), found from the values themselves.

use crate::sample_table::{self, header_columns, Column, SampleTable};
use crate::text::Line;
use crate::{ParseError, RawResult};

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
    sample_table::parse(bytes, &NANODROP)
}

/// NanoDrop writes tabs; a file saved again from a spreadsheet may hold commas.
const NANODROP: SampleTable = SampleTable {
    delimiters: b"\t,;",
    is_sample_column,
    columns,
    no_sample: "a row of the table has no sample name (the Sample column is empty)",
    not_this_format: NOT_NANODROP,
};

fn columns(line: &Line) -> Option<Vec<Column>> {
    Some(header_columns(line, measured)).filter(|c| !c.is_empty())
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
