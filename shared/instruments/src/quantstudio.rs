//! Applied Biosystems QuantStudio / ViiA 7 `.txt` export: `* key = value` header lines, then
//! bracketed sections of tab-separated tables. The `[Results]` table has a row per well and
//! target; its result columns are the Ct (`CT`, `Cт`, `Ct`, `Cq`; `Allele1 Ct` for
//! genotyping), the quantity and the melt temperatures. `Undetermined` (no amplification) is
//! kept as a flag. A well is read from `Well Position`, padded or not.

use crate::reading::{read_cell, DecimalMark};
use crate::{text, ParseError, Position, RawResult, Well};

/// Whether a `[Results]` column holds a result the lab may import.
fn is_result_column(name: &str) -> bool {
    let ct = |n: &str| matches!(n, "CT" | "Cт" | "Ct" | "Cq" | "CRT");
    ct(name)
        || name
            .rsplit_once(' ')
            .is_some_and(|(allele, last)| allele.starts_with("Allele") && ct(last))
        || matches!(name, "Quantity" | "Tm1" | "Tm2" | "Tm3")
}

/// The `[Results]` table of a QuantStudio text export.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    let text = text::decode(bytes)?;
    let mut section = String::new();
    let mut header: Option<Vec<String>> = None;
    let mut seen_results = false;
    let mut results = Vec::new();
    for record in text::records(&text, b'\t')? {
        let line = record.number;
        let first = record.cell(0);
        if first.starts_with('[') && first.ends_with(']') {
            section = first.to_owned();
            header = None;
            seen_results |= section == "[Results]";
            continue;
        }
        if section != "[Results]" || first.starts_with('*') {
            continue;
        }
        let Some(columns) = &header else {
            header = Some(record.cells);
            continue;
        };
        let column = |name: &str| columns.iter().position(|c| c == name);
        let position = column("Well Position").ok_or_else(|| {
            ParseError::at(line, "the [Results] table has no Well Position column")
        })?;
        let cell = |i: usize| record.cell(i);
        let well = Well::parse(cell(position))
            .ok_or_else(|| ParseError::at(line, format!("{:?} is not a well", cell(position))))?;
        let target = column("Target Name")
            .or_else(|| column("SNP Assay Name"))
            .map(cell)
            .unwrap_or("");
        for (i, name) in columns.iter().enumerate() {
            if !is_result_column(name) {
                continue;
            }
            if let Some(value) = read_cell(cell(i), DecimalMark::Point) {
                results.push(RawResult {
                    plate: None,
                    position: Position::Well(well),
                    read: if target.is_empty() {
                        name.clone()
                    } else {
                        format!("{target} {name}")
                    },
                    value,
                    unit: name.starts_with("Tm").then(|| "°C".to_owned()),
                });
            }
        }
    }
    if !seen_results {
        return Err(ParseError::Missing(
            "no [Results] section: this is not a QuantStudio results export (export the experiment with its Results)".into(),
        ));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ct_columns_of_every_software_version_are_results() {
        for name in [
            "CT",
            "Cт",
            "Ct",
            "Cq",
            "Allele1 Ct",
            "Allele2 Ct",
            "Quantity",
            "Tm1",
        ] {
            assert!(is_result_column(name), "{name}");
        }
        for name in [
            "Ct Mean",
            "Ct SD",
            "Ct Threshold",
            "Delta Ct",
            "Well",
            "Allele1 Ct Threshold",
        ] {
            assert!(!is_result_column(name), "{name}");
        }
    }
}
