//! BMG LABTECH MARS plate-reader CSV export (96, 384 and 1536 wells). A few header lines of
//! `Key: value` cells (`User:`, `Test name:`, `Date:`, `ID1:` — the plate's id), a line
//! naming the read mode (`Absorbance`, `Fluorescence`), then one or more sections: a title
//! line (`Raw Data (484)`, `Raw Data (485/520)`, `Blank corrected based on Raw Data (484)`),
//! a row of column numbers (`,1,2,…,24`) and a line per plate row, its letter first (`A` to
//! `P`, or `A` to `AF`), an empty cell for a well not read. Comma-separated usually; tab or
//! semicolon (with decimal commas) in some locales. MARS writes no unit beside the values.

use crate::reading::{comma_if_no_point, read_cell, DecimalMark};
use crate::text::Line;
use crate::{text, ParseError, Position, RawResult, Well};
use aliquot_domain::storage::MAX_COLUMNS;

/// The results of every section of a MARS export.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    let text = text::decode(bytes)?;
    let delimiter = delimiter_of(&text);
    let lines = text::records(&text, delimiter)?;
    let mark = decimal_mark(delimiter, &lines);

    let mut test_name = false;
    let mut plate: Option<String> = None;
    let mut title: Option<String> = None;
    let mut grids = 0;
    let mut results = Vec::new();
    let mut i = 0;
    while let Some(Line {
        number: line,
        cells,
    }) = lines.get(i)
    {
        i += 1;
        let filled: Vec<&str> = cells
            .iter()
            .map(String::as_str)
            .filter(|c| !c.is_empty())
            .collect();
        if filled.is_empty() {
            continue;
        }
        if let Some(columns) = column_numbers(cells) {
            if !test_name {
                return Err(ParseError::Missing(
                    "a plate grid comes before any `Test name:` header: this is not a BMG MARS export".into(),
                ));
            }
            let read = title.clone().ok_or_else(|| {
                ParseError::at(
                    *line,
                    "a plate grid has no title line (such as Raw Data (484)) above it",
                )
            })?;
            grids += 1;
            // The plate's rows, each starting with its letter.
            while let Some(Line {
                number: line,
                cells,
            }) = lines.get(i)
            {
                let Some((letter, row)) = cells
                    .first()
                    .and_then(|c| Some((c, Well::from_parts(c, "1")?)))
                else {
                    break;
                };
                i += 1;
                for (at, cell) in cells.iter().enumerate().skip(1) {
                    let Some(value) = read_cell(cell, mark) else {
                        continue;
                    };
                    let column = columns.get(at - 1).copied().ok_or_else(|| {
                        ParseError::at(
                            *line,
                            format!(
                                "row {letter} has a value ({cell}) beyond the grid's {} columns",
                                columns.len()
                            ),
                        )
                    })?;
                    results.push(RawResult {
                        plate: plate.clone(),
                        position: Position::Well(Well {
                            row: row.row,
                            column,
                        }),
                        read: read.clone(),
                        value,
                        unit: None,
                    });
                }
            }
            continue;
        }
        // Header cells: `Key: value`.
        let mut keyed = false;
        for cell in &filled {
            if let Some((key, value)) = cell.split_once(':') {
                keyed = true;
                match key.trim().to_ascii_uppercase().as_str() {
                    "TEST NAME" => test_name = true,
                    "ID1" => plate = Some(value.trim().to_owned()).filter(|p| !p.is_empty()),
                    _ => {}
                }
            }
        }
        // A line of one cell that is not `Key: value` names what follows.
        if filled.len() == 1 && !keyed {
            title = filled.first().map(|t| (*t).to_owned());
        }
    }
    if !test_name {
        return Err(ParseError::Missing(
            "no `Test name:` header: this is not a BMG MARS export".into(),
        ));
    }
    if grids == 0 {
        return Err(ParseError::Missing(
            "no plate grid (a row of column numbers, then a line per plate row): this is not a BMG MARS export, or it was exported without its plate table".into(),
        ));
    }
    Ok(results)
}

/// The grid's columns (0-based) by cell after the first, if `cells` is a row of column
/// numbers: an empty first cell, then 1, 2, 3, … (trailing empty cells allowed).
fn column_numbers(cells: &[String]) -> Option<Vec<u8>> {
    let (first, rest) = cells.split_first()?;
    if !first.is_empty() {
        return None;
    }
    let numbers: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .take_while(|c| !c.is_empty())
        .collect();
    if numbers.len() < 2 || rest.iter().skip(numbers.len()).any(|c| !c.is_empty()) {
        return None;
    }
    let mut columns = Vec::with_capacity(numbers.len());
    for (i, n) in numbers.iter().enumerate() {
        let n: u8 = n.parse().ok()?;
        if usize::from(n) != i + 1 || n > MAX_COLUMNS {
            return None;
        }
        columns.push(n - 1);
    }
    Some(columns)
}

/// The separator the file's first lines use most: comma, semicolon or tab.
fn delimiter_of(text: &str) -> u8 {
    let head: String = text::numbered_lines(text)
        .into_iter()
        .take(12)
        .map(|(_, line)| line)
        .collect();
    let count = |c: char| head.matches(c).count();
    let (tabs, semicolons, commas) = (count('\t'), count(';'), count(','));
    if tabs > commas && tabs >= semicolons {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// Decimal commas where the separator leaves them possible and the grids' values use them.
fn decimal_mark(delimiter: u8, lines: &[Line]) -> DecimalMark {
    if delimiter == b',' {
        return DecimalMark::Point;
    }
    comma_if_no_point(
        lines
            .iter()
            .filter(|line| Well::from_parts(line.cell(0), "1").is_some())
            .flat_map(|line| line.cells.iter().skip(1).map(String::as_str)),
    )
}
