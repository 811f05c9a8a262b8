//! BioTek (Agilent) Gen5 plate-reader text export: tab-separated sections. A plate's
//! `Plate Number` line names it; its `Results` block is a row of column numbers, then per
//! plate row one line per read, the row's letter on the first of them only, the read's name
//! in the cell after the last column ("630nmAbsRead:630", "Blank 630nmAbsRead:630",
//! "[Concentration]"). A file may hold several plates. Gen5 writes no units in the block.

use crate::reading::{read_cell, DecimalMark};
use crate::{text, ParseError, Position, RawResult, Well};
use aliquot_domain::storage::MAX_COLUMNS;

enum State {
    /// Between blocks.
    Seeking,
    /// After `Results`: the column numbers come next.
    Header,
    /// Inside the block: the columns, and the plate row the lines belong to.
    Rows { columns: Vec<u8>, row: Option<u8> },
}

/// The results of every plate in a Gen5 text export.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    let text = text::decode(bytes)?;
    let mut plate: Option<String> = None;
    let mut state = State::Seeking;
    let mut blocks = 0;
    let mut results = Vec::new();
    for record in text::records(&text, b'\t')? {
        let line = record.number;
        let cell = |i: usize| record.cell(i);
        let first = cell(0);
        if let State::Rows { columns, row } = &mut state {
            // A row's letter starts it; its further reads leave the first cell empty.
            let current = match Well::from_parts(first, "1") {
                Some(w) => Some(w.row),
                None if first.is_empty() && record.cells.len() > 1 => *row,
                None => None,
            };
            if let Some(current) = current {
                *row = Some(current);
                let n = columns.len();
                let read = cell(n + 1);
                if read.is_empty() {
                    return Err(ParseError::at(
                        line,
                        format!("a row of results has no read name after its {n} values"),
                    ));
                }
                for (i, column) in columns.iter().enumerate() {
                    if let Some(value) = read_cell(cell(i + 1), DecimalMark::Point) {
                        results.push(RawResult {
                            plate: plate.clone(),
                            position: Position::Well(Well {
                                row: current,
                                column: column - 1,
                            }),
                            read: read.to_owned(),
                            value,
                            unit: None,
                        });
                    }
                }
                continue;
            }
            state = State::Seeking;
        }
        match state {
            State::Seeking => {
                if first == "Plate Number" {
                    plate = Some(cell(1).to_owned()).filter(|p| !p.is_empty());
                } else if first == "Results" && record.cells.iter().skip(1).all(String::is_empty) {
                    state = State::Header;
                }
            }
            State::Header => {
                let columns: Vec<u8> = record
                    .cells
                    .iter()
                    .skip(1)
                    .take_while(|c| !c.is_empty())
                    .map(|c| {
                        c.parse::<u8>()
                            .ok()
                            .filter(|n| (1..=MAX_COLUMNS).contains(n))
                    })
                    .collect::<Option<Vec<u8>>>()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        ParseError::at(
                            line,
                            "the Results block does not start with its row of column numbers",
                        )
                    })?;
                blocks += 1;
                state = State::Rows { columns, row: None };
            }
            State::Rows { .. } => {}
        }
    }
    if blocks == 0 {
        return Err(ParseError::Missing(
            "no Results block: this is not a Gen5 text export (export the plate with its Results table)".into(),
        ));
    }
    Ok(results)
}
