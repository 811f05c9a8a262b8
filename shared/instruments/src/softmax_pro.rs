//! Molecular Devices SoftMax Pro text export: UTF-16 LE, CRLF, tab-separated. A first line
//! `##BLOCKS= n`, then blocks, each closed by `~End`: `Note:` and `Group:` blocks (skipped
//! here: their values are calculations over the wells) and `Plate:` blocks. A plate's first
//! line is its settings: its name, the export version, `PlateFormat` or `TimeFormat`, the read
//! type (`Endpoint` is read here; kinetic, spectrum and well-scan plates are refused), the read
//! mode (`Absorbance`, `Fluorescence`, `Luminescence`) and, further on, the wavelengths
//! (`260 280 340`). Then its values:
//! - `TimeFormat`: a line naming the wells (`Temperature(°C)`, `A1`, `A2`, …), then one line
//!   per wavelength; a partial plate leaves the wells it did not read empty.
//! - `PlateFormat`: a line of column numbers (`Temperature(°C)`, `1`…`12`, the wavelengths'
//!   grids side by side, an empty cell between them), then a line per plate row from A.
//!
//! After the raw values may come the plate's reduced values, laid out the same way under a
//! header without `Temperature`: read here as `Reduced`. SoftMax Pro writes no unit.

use crate::reading::{comma_if_no_point, read_cell, DecimalMark};
use crate::text::Line;
use crate::{text, ParseError, Position, RawResult, Well};
use aliquot_domain::storage::{MAX_COLUMNS, MAX_NAMED_ROWS};

/// The values of every Endpoint plate in a SoftMax Pro text export.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    let text = text::decode(bytes)?;
    let lines = text::records(&text, b'\t')?;
    let starts_with_blocks = lines
        .first()
        .is_some_and(|l| l.cell(0).starts_with("##BLOCKS="));
    if !starts_with_blocks {
        return Err(ParseError::Missing(
            "the file does not start with `##BLOCKS=`: this is not a SoftMax Pro text export (export the data as .txt from SoftMax Pro)".into(),
        ));
    }

    let mut results = Vec::new();
    let mut plates = 0;
    let mut i = 1;
    while let Some(Line {
        number: line,
        cells,
    }) = lines.get(i)
    {
        // Every block runs to its `~End`.
        let end = lines
            .iter()
            .skip(i)
            .position(|l| l.cell(0) == "~End")
            .map(|n| i + n);
        let is_plate = cells.first().is_some_and(|c| c == "Plate:");
        let Some(end) = end else {
            if is_plate {
                let last = lines.last().map_or(*line, |l| l.number);
                return Err(ParseError::at(
                    last,
                    "the file ends inside a plate block (no ~End): it is cut short",
                ));
            }
            // Text after the last block (SoftMax Pro adds the file's name and date).
            break;
        };
        if is_plate {
            plates += 1;
            let body = lines.get(i + 1..end).unwrap_or_default();
            read_plate(*line, cells, body, &mut results)?;
        }
        i = end + 1;
    }
    if plates == 0 {
        return Err(ParseError::Missing(
            "no Plate: block: this SoftMax Pro export holds no plate values (export the plate section too)".into(),
        ));
    }
    Ok(results)
}

/// Where a block's header puts the values that follow it.
enum Layout {
    /// `TimeFormat`: each line is one read of the wells named in the header.
    Wells {
        wells: Vec<(usize, Well)>,
        reads: Vec<String>,
        next: usize,
    },
    /// `PlateFormat`: each line is a plate row of every read's grid.
    Grid {
        grids: Vec<(String, Vec<(usize, u8)>)>,
        row: u8,
    },
}

/// One `Plate:` block: its settings line and the lines up to its `~End`.
fn read_plate(
    line: usize,
    settings: &[String],
    body: &[Line],
    results: &mut Vec<RawResult>,
) -> Result<(), ParseError> {
    let setting = |i: usize| settings.get(i).map(String::as_str).unwrap_or("");
    let name = setting(1);
    if name.is_empty() {
        return Err(ParseError::at(line, "a Plate: block has no plate name"));
    }
    let time_format = match setting(3) {
        "TimeFormat" => true,
        "PlateFormat" => false,
        other => {
            return Err(ParseError::at(
                line,
                format!("plate {name}: {other:?} is not an export layout SoftMax Pro writes (TimeFormat or PlateFormat)"),
            ))
        }
    };
    let read_type = setting(4);
    if read_type != "Endpoint" {
        return Err(ParseError::at(
            line,
            format!("plate {name} is a {read_type:?} read: only Endpoint plates are read"),
        ));
    }
    let mode = setting(5);
    if mode.is_empty() {
        return Err(ParseError::at(
            line,
            format!("plate {name} names no read mode"),
        ));
    }
    // Fluorescence has one more setting (the read's position) before the data type.
    let shift = usize::from(mode == "Fluorescence");
    let reads = read_names(mode, setting(15 + shift), setting(20 + shift));
    let mark = decimal_mark(body);

    let mut layout: Option<Layout> = None;
    let mut previous_line = line;
    for Line {
        number: line,
        cells,
    } in body
    {
        let line = *line;
        let after_blank = line > previous_line + 1;
        previous_line = line;
        let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or("");
        let raw_header = cell(1).starts_with("Temperature");
        if time_format {
            if let Some(wells) = well_header(cells) {
                let reads = if raw_header {
                    reads.clone()
                } else {
                    vec!["Reduced".to_owned()]
                };
                layout = Some(Layout::Wells {
                    wells,
                    reads,
                    next: 0,
                });
                continue;
            }
        } else if raw_header || after_blank {
            if let Some(columns) = column_header(cells) {
                let names = if raw_header {
                    reads.clone()
                } else {
                    vec!["Reduced".to_owned()]
                };
                if columns.len() != names.len() {
                    return Err(ParseError::at(
                        line,
                        format!(
                            "plate {name}: {} grids of columns for {} reads ({})",
                            columns.len(),
                            names.len(),
                            names.join(", ")
                        ),
                    ));
                }
                layout = Some(Layout::Grid {
                    grids: names.into_iter().zip(columns).collect(),
                    row: 0,
                });
                continue;
            }
        }
        match &mut layout {
            None => {
                return Err(ParseError::at(
                    line,
                    format!("plate {name}: values before the line naming their wells or columns"),
                ))
            }
            Some(Layout::Wells { wells, reads, next }) => {
                let read = reads.get(*next).ok_or_else(|| {
                    ParseError::at(
                        line,
                        format!(
                            "plate {name}: more lines of values than its {} reads",
                            reads.len()
                        ),
                    )
                })?;
                *next += 1;
                for (at, well) in wells.iter() {
                    if let Some(value) = read_cell(cell(*at), mark) {
                        results.push(RawResult {
                            plate: Some(name.to_owned()),
                            position: Position::Well(*well),
                            read: read.clone(),
                            value,
                            unit: None,
                        });
                    }
                }
            }
            Some(Layout::Grid { grids, row }) => {
                if *row >= MAX_NAMED_ROWS {
                    return Err(ParseError::at(
                        line,
                        format!("plate {name}: more rows than a plate has"),
                    ));
                }
                for (read, columns) in grids.iter() {
                    for (at, column) in columns {
                        if let Some(value) = read_cell(cell(*at), mark) {
                            results.push(RawResult {
                                plate: Some(name.to_owned()),
                                position: Position::Well(Well {
                                    row: *row,
                                    column: *column,
                                }),
                                read: read.clone(),
                                value,
                                unit: None,
                            });
                        }
                    }
                }
                *row += 1;
            }
        }
    }
    Ok(())
}

/// A read's name per wavelength (`Absorbance 260 nm`; `Fluorescence 485/538 nm` with the
/// excitation where the settings give one per wavelength), the same wavelength twice told
/// apart by its place (`Absorbance 426 nm #2`). A read without wavelengths is the mode.
fn read_names(mode: &str, wavelengths: &str, excitations: &str) -> Vec<String> {
    let wavelengths: Vec<&str> = wavelengths.split_whitespace().collect();
    let excitations: Vec<&str> = excitations.split_whitespace().collect();
    if wavelengths.is_empty() {
        return vec![mode.to_owned()];
    }
    let mut names: Vec<String> = Vec::with_capacity(wavelengths.len());
    for (i, wavelength) in wavelengths.iter().enumerate() {
        let base = match excitations.get(i) {
            Some(ex) if mode == "Fluorescence" && excitations.len() == wavelengths.len() => {
                format!("{mode} {ex}/{wavelength} nm")
            }
            _ => format!("{mode} {wavelength} nm"),
        };
        let seen = names
            .iter()
            .filter(|n| **n == base || n.starts_with(&format!("{base} #")))
            .count();
        names.push(if seen == 0 {
            base
        } else {
            format!("{base} #{}", seen + 1)
        });
    }
    names
}

/// A `TimeFormat` header: an empty first cell, then (after `Temperature` or an empty cell)
/// well names, each cell's well by its place.
fn well_header(cells: &[String]) -> Option<Vec<(usize, Well)>> {
    if !cells.first().is_some_and(String::is_empty) {
        return None;
    }
    let mut wells = Vec::new();
    for (at, cell) in cells.iter().enumerate().skip(2) {
        if cell.is_empty() {
            continue;
        }
        wells.push((at, Well::parse(cell)?));
    }
    (!wells.is_empty()).then_some(wells)
}

/// A `PlateFormat` header: from the third cell, runs of column numbers 1, 2, 3, … one per
/// read, an empty cell between them; each run's columns (0-based) by their cell's place.
fn column_header(cells: &[String]) -> Option<Vec<Vec<(usize, u8)>>> {
    let mut grids: Vec<Vec<(usize, u8)>> = Vec::new();
    let mut current: Vec<(usize, u8)> = Vec::new();
    for (at, cell) in cells.iter().enumerate().skip(2) {
        if cell.is_empty() {
            if !current.is_empty() {
                grids.push(std::mem::take(&mut current));
            }
            continue;
        }
        let n: u8 = cell.parse().ok()?;
        if usize::from(n) != current.len() + 1 || n > MAX_COLUMNS {
            return None;
        }
        current.push((at, n - 1));
    }
    if !current.is_empty() {
        grids.push(current);
    }
    (!grids.is_empty()).then_some(grids)
}

/// Decimal commas if the block's values use commas and never a point (a tab-separated file
/// leaves the comma free to be one).
fn decimal_mark(body: &[Line]) -> DecimalMark {
    comma_if_no_point(
        body.iter()
            .flat_map(|line| line.cells.iter().skip(2).map(String::as_str)),
    )
}
