mod common;

use aliquot_instruments::{parse, ParseError, Reading, ResultFormat};
use common::{by_read, fixture, same_number};
use std::collections::BTreeSet;

const PARTIAL: &str = "moldev_softmax_pro/MD_SMP_absorbance_endpoint_partial_plate_example01.txt";

fn utf16(text: &str) -> Vec<u8> {
    "\u{FEFF}"
        .encode_utf16()
        .chain(text.replace('\n', "\r\n").encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect()
}

#[test]
fn a_partial_plate_in_time_format_is_read_well_by_well() {
    let results = parse(ResultFormat::SoftMaxPro, &fixture(PARTIAL), None).unwrap();
    let reads: BTreeSet<&str> = results.iter().map(|r| r.read.as_str()).collect();
    assert_eq!(
        reads,
        BTreeSet::from([
            "Absorbance 260 nm",
            "Absorbance 280 nm",
            "Absorbance 340 nm",
            "Reduced"
        ])
    );
    // Columns 2 to 11 of rows A to H were read: 80 wells, 3 wavelengths and the reduced value.
    assert_eq!(results.len(), 80 * 4);
    assert!(results
        .iter()
        .all(|r| r.plate.as_deref() == Some("AssayPlate_09875") && r.unit.is_none()));
    let (a260, a280, a340) = (
        by_read(&results, "Absorbance 260 nm"),
        by_read(&results, "Absorbance 280 nm"),
        by_read(&results, "Absorbance 340 nm"),
    );
    for read in [&a260, &a280, &a340] {
        assert_eq!(read.len(), 80);
        for well in ["A1", "A12", "H1", "H12"] {
            assert!(!read.contains_key(well), "{well} was not read");
        }
    }
    // By hand, from the file's three lines of values.
    for (read, well, value) in [
        (&a260, "A2", 3.084),
        (&a280, "A2", 1.616),
        (&a340, "A2", 0.663),
        (&a260, "A5", 0.044),
        (&a260, "H11", 0.557),
        (&a280, "H11", 3.749),
        (&a340, "H11", 2.6),
        (&a280, "E6", 2.373),
        (&a280, "E7", 3.381),
    ] {
        same_number(&read[well].value, value, well);
    }
    let reduced = by_read(&results, "Reduced");
    assert_eq!(reduced.len(), 80);
    for (well, r) in &reduced {
        same_number(&r.value, a260[well].value.number().unwrap(), well);
    }
}

/// The file's own group tables list every read well with its value at the first wavelength:
/// every one of the 80 is compared.
#[test]
fn every_well_matches_the_files_group_tables() {
    let bytes = fixture(PARTIAL);
    let results = parse(ResultFormat::SoftMaxPro, &bytes, None).unwrap();
    let a260 = by_read(&results, "Absorbance 260 nm");
    let text = aliquot_instruments::text::decode(&bytes).unwrap();
    let mut header: Option<Vec<&str>> = None;
    let mut compared = BTreeSet::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        if line.starts_with("Group:") {
            header = None;
            continue;
        }
        if cells.first() == Some(&"Sample") {
            header = Some(cells);
            continue;
        }
        let Some(h) = &header else { continue };
        let (Some(w), Some(v)) = (
            h.iter().position(|c| *c == "Wells"),
            h.iter().position(|c| *c == "Value"),
        ) else {
            continue;
        };
        if cells.len() <= v || cells[w].is_empty() {
            header = None; // The table ends at its first line without a well.
            continue;
        }
        let value: f64 = cells[v].parse().unwrap();
        same_number(&a260[cells[w]].value, value, cells[w]);
        compared.insert(cells[w].to_owned());
    }
    assert_eq!(compared.len(), 80);
    assert_eq!(compared, a260.keys().cloned().collect());
}

#[test]
fn plate_format_grids_side_by_side_with_decimal_commas() {
    let text = "##BLOCKS= 2\nNote:\nA note, with \"quotes\n~End\nPlate:\tPlate1\t1.3\tPlateFormat\tEndpoint\tAbsorbance\tRaw\tFALSE\t1\t\t\t\t\t\t2\t450 450 \t1\t3\t96\t1\t8\t\t\n\tTemperature(¡C)\t1\t2\t3\t\t1\t2\t3\t\t\n\t22\t0,1\t0,2\t0,3\t\t1,1\t1,2\tRange?\t\t\n\t\t0,4\t\t0,6\t\t1,4\t1,5\t1,6\t\t\n\n\t\t1\t2\t3\t\n\t\t-0,5\t0,25\t1\t\n~End\nOriginal Filename: x; Date Last Saved: 1/9/2023\n";
    let results = parse(ResultFormat::SoftMaxPro, &utf16(text), None).unwrap();
    let first = by_read(&results, "Absorbance 450 nm");
    let second = by_read(&results, "Absorbance 450 nm #2");
    let reduced = by_read(&results, "Reduced");
    assert_eq!((first.len(), second.len(), reduced.len()), (5, 6, 3));
    assert_eq!(results.len(), 14);
    same_number(&first["A1"].value, 0.1, "A1");
    same_number(&first["B3"].value, 0.6, "B3");
    assert!(!first.contains_key("B2"));
    same_number(&second["B1"].value, 1.4, "B1");
    assert!(matches!(&second["A3"].value, Reading::Flagged { text, .. } if text == "Range?"));
    same_number(&reduced["A1"].value, -0.5, "A1");
    assert_eq!(first["A1"].plate.as_deref(), Some("Plate1"));
}

#[test]
fn a_mars_export_and_garbage_are_not_softmax_pro() {
    let err = parse(
        ResultFormat::SoftMaxPro,
        &fixture("bmg_mars/16-03-03 16-54-03 472 ABS 384 QC.csv"),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, ParseError::Missing(_)), "{err:?}");
    assert!(
        err.to_string().contains("not a SoftMax Pro text export"),
        "{err}"
    );
    let err = parse(ResultFormat::SoftMaxPro, b"", None).unwrap_err();
    assert!(
        err.to_string().contains("not a SoftMax Pro text export"),
        "{err}"
    );
    let err = parse(
        ResultFormat::SoftMaxPro,
        b"##BLOCKS= 1\nNote:\nnothing\n~End\n",
        None,
    )
    .unwrap_err();
    assert!(matches!(err, ParseError::Missing(_)), "{err:?}");
}

#[test]
fn kinetic_plates_and_cut_files_are_refused_at_their_line() {
    let text =
        "##BLOCKS= 1\nPlate:\tP\t1.3\tTimeFormat\tKinetic\tAbsorbance\tRaw\tFALSE\t10\n~End\n";
    assert_eq!(
        parse(ResultFormat::SoftMaxPro, &utf16(text), None).unwrap_err(),
        ParseError::at(
            2,
            "plate P is a \"Kinetic\" read: only Endpoint plates are read"
        )
    );
    // The fixture cut short inside its plate block.
    let text = aliquot_instruments::text::decode(&fixture(PARTIAL)).unwrap();
    let cut: String = text.lines().take(6).collect::<Vec<_>>().join("\n");
    assert_eq!(
        parse(ResultFormat::SoftMaxPro, &utf16(&cut), None).unwrap_err(),
        ParseError::at(
            6,
            "the file ends inside a plate block (no ~End): it is cut short"
        )
    );
}
