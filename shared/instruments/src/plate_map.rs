//! Plate maps written for the instrument to import: the run's plate as the reader's software
//! wants it before the read, so the file it writes back names the same wells.
//!
//! Two shapes:
//! - [`PlateMapStyle::Gen5Layout`]: a plate-shaped grid of Gen5 well IDs (`SPL1`, `STD1`,
//!   `CTL1`, `BLK`), rows A… and columns 1…, comma-separated, as Gen5's *Plate Layout →
//!   Import* reads it; the sample IDs follow below it as `Well,Well ID,Sample ID` lines, the
//!   list Gen5's *Sample IDs → Import* reads.
//! - [`PlateMapStyle::WellList`]: one line per filled well in reading order, `Well,Type,
//!   Sample,Control,Standard,Concentration`, which any instrument with a CSV sample-sheet
//!   import (and a spreadsheet) reads.
//!
//! Pure: no IO, no samples looked up; the caller gives each well's content.

use crate::Well;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// What a well of the map holds, as the export names it.
#[derive(Debug, Clone, PartialEq)]
pub enum MapContent {
    Sample {
        code: String,
    },
    Control {
        label: String,
    },
    Standard {
        name: String,
        concentration: Option<f64>,
    },
    Blank,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MapWell {
    pub well: Well,
    pub content: MapContent,
}

/// Which file to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlateMapStyle {
    Gen5Layout,
    WellList,
}

/// A CSV cell: quoted when it holds a separator, a quote or a line end.
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Gen5's well IDs: samples `SPL1…` in reading order, each control label and standard name
/// its own `CTLn` / `STDn` in order of first appearance, blanks `BLK`.
fn gen5_ids(wells: &[MapWell]) -> Vec<String> {
    let (mut samples, mut controls, mut standards) =
        (0_u32, Vec::<&str>::new(), Vec::<&str>::new());
    wells
        .iter()
        .map(|w| match &w.content {
            MapContent::Sample { .. } => {
                samples += 1;
                format!("SPL{samples}")
            }
            MapContent::Control { label } => {
                let n = match controls.iter().position(|c| c == label) {
                    Some(i) => i + 1,
                    None => {
                        controls.push(label);
                        controls.len()
                    }
                };
                format!("CTL{n}")
            }
            MapContent::Standard { name, .. } => {
                let n = match standards.iter().position(|s| s == name) {
                    Some(i) => i + 1,
                    None => {
                        standards.push(name);
                        standards.len()
                    }
                };
                format!("STD{n}")
            }
            MapContent::Blank => "BLK".to_owned(),
        })
        .collect()
}

/// The plate map of a `rows × columns` plate in `style`, CRLF line ends (what the
/// instruments' Windows software writes and reads).
pub fn write_plate_map(rows: u8, columns: u8, wells: &[MapWell], style: PlateMapStyle) -> String {
    let mut sorted: Vec<&MapWell> = wells.iter().collect();
    sorted.sort_by_key(|w| (w.well.row, w.well.column));
    let sorted: Vec<MapWell> = sorted.into_iter().cloned().collect();
    let mut out = String::new();
    match style {
        PlateMapStyle::Gen5Layout => {
            let ids = gen5_ids(&sorted);
            let at = |row: u8, column: u8| {
                sorted
                    .iter()
                    .position(|w| w.well.row == row && w.well.column == column)
                    .map(|i| ids[i].as_str())
                    .unwrap_or("")
            };
            let header: Vec<String> = (1..=columns).map(|c| c.to_string()).collect();
            let _ = write!(out, ",{}\r\n", header.join(","));
            for row in 0..rows {
                let name = Well { row, column: 0 }.name();
                let letters = name.trim_end_matches(|c: char| c.is_ascii_digit());
                let cells: Vec<&str> = (0..columns).map(|c| at(row, c)).collect();
                let _ = write!(out, "{letters},{}\r\n", cells.join(","));
            }
            out.push_str("\r\nWell,Well ID,Sample ID\r\n");
            for (w, id) in sorted.iter().zip(&ids) {
                let name = match &w.content {
                    MapContent::Sample { code } => code.as_str(),
                    MapContent::Control { label } => label.as_str(),
                    MapContent::Standard { name, .. } => name.as_str(),
                    MapContent::Blank => "",
                };
                let _ = write!(out, "{},{id},{}\r\n", w.well, cell(name));
            }
        }
        PlateMapStyle::WellList => {
            out.push_str("Well,Type,Sample,Control,Standard,Concentration\r\n");
            for w in &sorted {
                let (kind, sample, control, standard, concentration) = match &w.content {
                    MapContent::Sample { code } => (
                        "sample",
                        cell(code),
                        String::new(),
                        String::new(),
                        String::new(),
                    ),
                    MapContent::Control { label } => (
                        "control",
                        String::new(),
                        cell(label),
                        String::new(),
                        String::new(),
                    ),
                    MapContent::Standard {
                        name,
                        concentration,
                    } => (
                        "standard",
                        String::new(),
                        String::new(),
                        cell(name),
                        concentration.map(|c| c.to_string()).unwrap_or_default(),
                    ),
                    MapContent::Blank => (
                        "blank",
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ),
                };
                let _ = write!(
                    out,
                    "{},{kind},{sample},{control},{standard},{concentration}\r\n",
                    w.well
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(name: &str, content: MapContent) -> MapWell {
        MapWell {
            well: Well::parse(name).unwrap(),
            content,
        }
    }

    fn wells() -> Vec<MapWell> {
        vec![
            w(
                "B1",
                MapContent::Sample {
                    code: "S-0002".into(),
                },
            ),
            w(
                "A1",
                MapContent::Sample {
                    code: "S-0001".into(),
                },
            ),
            w(
                "H12",
                MapContent::Control {
                    label: "Level 1 · L1".into(),
                },
            ),
            w("H11", MapContent::Blank),
            w(
                "G12",
                MapContent::Standard {
                    name: "S1".into(),
                    concentration: Some(100.0),
                },
            ),
            w(
                "G11",
                MapContent::Control {
                    label: "Level 1 · L1".into(),
                },
            ),
        ]
    }

    #[test]
    fn the_gen5_layout_is_the_plate_with_well_ids_then_the_sample_ids() {
        let text = write_plate_map(8, 12, &wells(), PlateMapStyle::Gen5Layout);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], ",1,2,3,4,5,6,7,8,9,10,11,12");
        assert_eq!(lines[1], "A,SPL1,,,,,,,,,,,");
        assert_eq!(lines[2], "B,SPL2,,,,,,,,,,,");
        assert_eq!(lines[7], "G,,,,,,,,,,,CTL1,STD1");
        assert_eq!(lines[8], "H,,,,,,,,,,,BLK,CTL1");
        assert_eq!(lines[10], "Well,Well ID,Sample ID");
        assert_eq!(lines[11], "A1,SPL1,S-0001");
        assert!(text.contains("H12,CTL1,Level 1 · L1\r\n"));
        // Every line of the grid has the plate's 12 columns and a row letter.
        assert!(lines[1..=8].iter().all(|l| l.split(',').count() == 13));
    }

    #[test]
    fn the_well_list_names_every_filled_well_once_in_reading_order() {
        let text = write_plate_map(8, 12, &wells(), PlateMapStyle::WellList);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Well,Type,Sample,Control,Standard,Concentration");
        assert_eq!(lines[1], "A1,sample,S-0001,,,");
        assert_eq!(lines[2], "B1,sample,S-0002,,,");
        assert_eq!(lines[3], "G11,control,,Level 1 · L1,,");
        assert_eq!(lines[4], "G12,standard,,,S1,100");
        assert_eq!(lines.len(), 7);
    }

    #[test]
    fn a_1536_well_map_names_rows_after_z_and_quotes_what_needs_it() {
        let map = [w("AF48", MapContent::Sample { code: "a,b".into() })];
        let text = write_plate_map(32, 48, &map, PlateMapStyle::Gen5Layout);
        assert!(text.contains("\r\nAF,"), "{text}");
        assert!(text.contains("AF48,SPL1,\"a,b\"\r\n"));
        let list = write_plate_map(32, 48, &map, PlateMapStyle::WellList);
        assert!(list.contains("AF48,sample,\"a,b\",,,"));
    }
}
