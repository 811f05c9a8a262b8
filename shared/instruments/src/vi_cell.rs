//! Beckman Coulter Vi-CELL BLU cell-counter CSV: one header line, then a row per sample
//! counted: `Sample ID`, `Cell count`, `Viable cells`, `Total (x10^6) cells/mL`,
//! `Viable (x10^6) cells/mL`, `Viability (%)`, `Average diameter (µm)`,
//! `Average viable diameter (µm)`, `Average circularity`, `Average viable circularity`, then
//! the counting settings (cell type, minimum and maximum diameter, images, sharpness…), the
//! analysis date and who ran it, none of them a measurement. A count the instrument could not
//! make is written `ERROR` and kept as a flag.

use crate::reading::unit;
use crate::sample_table::{self, header_columns, Column, SampleTable};
use crate::text::Line;
use crate::{ParseError, RawResult};

const NOT_VI_CELL: &str = "no header with a Sample ID column and the Vi-CELL's count columns \
    (Cell count, Viability (%)…): this is not a Vi-CELL BLU export (export the results as CSV)";

/// The measured columns without a unit in their name, and those with one in parentheses,
/// by the name before the parentheses.
const MEASURED: &[&str] = &[
    "Cell count",
    "Viable cells",
    "Viability",
    "Average diameter",
    "Average viable diameter",
    "Average circularity",
    "Average viable circularity",
];

/// A measured column: its read name and its unit from the header.
fn measured(header: &str) -> Option<(String, Option<String>)> {
    let header = header.trim();
    // `Total (x10^6) cells/mL`: the scale in the middle.
    for (prefix, read) in [
        ("Total (", "Total cell density"),
        ("Viable (", "Viable cell density"),
    ] {
        let Some(rest) = header
            .get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .and_then(|_| header.get(prefix.len()..))
        else {
            continue;
        };
        if let Some((scale, per)) = rest.split_once(')') {
            let per = per.trim();
            if per.to_ascii_lowercase().starts_with("cells/") {
                let unit = unit(&format!("{} {per}", scale.trim()));
                return Some((read.to_owned(), unit));
            }
        }
    }
    let (name, unit) = match header.strip_suffix(')').and_then(|h| h.rsplit_once('(')) {
        Some((name, u)) => (name.trim(), unit(u)),
        None => (header, None),
    };
    MEASURED
        .iter()
        .find(|m| m.eq_ignore_ascii_case(name))
        .map(|m| ((*m).to_owned(), unit))
}

fn is_sample_column(header: &str) -> bool {
    header.trim().eq_ignore_ascii_case("Sample ID")
}

/// Every sample of a Vi-CELL BLU export.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    sample_table::parse(bytes, &VI_CELL)
}

const VI_CELL: SampleTable = SampleTable {
    delimiters: b",;\t",
    is_sample_column,
    columns,
    no_sample: "a row has no sample name (the Sample ID column is empty)",
    not_this_format: NOT_VI_CELL,
};

/// A Vi-CELL counts: a header without its counts is another file's.
fn columns(line: &Line) -> Option<Vec<Column>> {
    Some(header_columns(line, measured)).filter(|c| {
        c.iter()
            .any(|c| c.read == "Cell count" || c.read == "Viability")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_columns_and_their_units_come_from_the_header() {
        let m = |h: &str| measured(h);
        assert_eq!(
            m("Total (x10^6) cells/mL"),
            Some(("Total cell density".into(), Some("x10^6 cells/mL".into())))
        );
        assert_eq!(
            m("Viable (x10^6) cells/mL"),
            Some(("Viable cell density".into(), Some("x10^6 cells/mL".into())))
        );
        assert_eq!(
            m("Viability (%)"),
            Some(("Viability".into(), Some("%".into())))
        );
        assert_eq!(
            m("Average viable diameter (μm)"),
            Some(("Average viable diameter".into(), Some("µm".into())))
        );
        assert_eq!(m("Cell count"), Some(("Cell count".into(), None)));
        for other in [
            "Sample ID",
            "Minimum Diameter (µm)",
            "Viable spot area (%)",
            "Bubble count",
            "Cell type",
            "Analysis date/time",
        ] {
            assert_eq!(m(other), None, "{other}");
        }
    }
}
