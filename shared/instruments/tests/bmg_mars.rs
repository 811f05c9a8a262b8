mod common;

use aliquot_instruments::{parse, ParseError, Position, Reading, ResultFormat, Well};
use common::{asm, by_read, fixture, measured, same_number};

const NAME: &str = "bmg_mars/16-03-03 16-54-03 472 ABS 384 QC";

#[test]
fn every_well_matches_the_reading_beside_the_file() {
    let results = parse(
        ResultFormat::BmgMars,
        &fixture(&format!("{NAME}.csv")),
        None,
    )
    .unwrap();
    let ours = by_read(&results, "Raw Data (484)");
    // Rows A, B, O, P: 7 + 7 wells; C to H: 6; I: 7; J to N read nothing.
    assert_eq!(results.len(), 99);
    assert_eq!(ours.len(), 99);
    let theirs = measured(&asm(&format!("{NAME}.json")), "absorbance");
    assert_eq!(theirs.len(), 99);
    for m in theirs.values() {
        let r = ours
            .get(m.well.as_str())
            .unwrap_or_else(|| panic!("{} is not in our reading", m.well));
        assert_eq!(r.plate.as_deref(), Some("472-0016"), "{}", m.well);
        assert_eq!(r.unit, None);
        match &m.error {
            None => same_number(&r.value, m.value.unwrap(), &m.well),
            Some(error) => match &r.value {
                Reading::Flagged { text, .. } => assert_eq!(text, error, "{}", m.well),
                other => panic!("{}: theirs {error:?}, ours {other:?}", m.well),
            },
        }
    }
    // A few wells by hand, against the file.
    same_number(&ours["C1"].value, 2.368, "C1");
    same_number(&ours["P24"].value, 0.032, "P24");
    same_number(&ours["I7"].value, 0.07, "I7");
    assert!(!ours.contains_key("J1") && !ours.contains_key("C7"));
}

#[test]
fn a_softmax_pro_export_is_not_a_mars_export() {
    let err = parse(
        ResultFormat::BmgMars,
        &fixture("moldev_softmax_pro/MD_SMP_absorbance_endpoint_partial_plate_example01.txt"),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, ParseError::Missing(_)), "{err:?}");
    assert!(err.to_string().contains("not a BMG MARS export"), "{err}");
    for garbage in [&b""[..], b"a,b,c\n1,2,3\n", b"Test name: x\nno grid here\n"] {
        let err = parse(ResultFormat::BmgMars, garbage, None).unwrap_err();
        assert!(err.to_string().contains("not a BMG MARS export"), "{err}");
    }
}

/// A 1536-well plate (rows to AF, 48 columns), semicolon-separated with decimal commas.
#[test]
fn a_1536_well_plate_with_decimal_commas() {
    let mut text = String::from(
        "User: USER;Path: C:\\Data;Test run no.: 7\r\nTest name: FI 1536;Date: 01.02.2024;Time: 10:00:00\r\nID1: P-1536\r\nFluorescence (FI)\r\n\r\nRaw Data (485/520)\r\n\r\n",
    );
    let header: Vec<String> = (1..=48).map(|c| c.to_string()).collect();
    text += &format!(";{}\r\n", header.join(";"));
    let rows: Vec<String> = (b'A'..=b'Z')
        .map(|b| char::from(b).to_string())
        .chain(["AA", "AB", "AC", "AD", "AE", "AF"].map(String::from))
        .collect();
    for (r, row) in rows.iter().enumerate() {
        let values: Vec<String> = (0..48).map(|c| format!("{},5", r * 100 + c)).collect();
        text += &format!("{row};{}\r\n", values.join(";"));
    }
    let results = parse(ResultFormat::BmgMars, text.as_bytes(), None).unwrap();
    assert_eq!(results.len(), 1536);
    let ours = by_read(&results, "Raw Data (485/520)");
    same_number(&ours["A1"].value, 0.5, "A1");
    same_number(&ours["AF48"].value, 3147.5, "AF48");
    assert_eq!(ours["AF48"].plate.as_deref(), Some("P-1536"));
    assert_eq!(
        ours["AF48"].position,
        Position::Well(Well::parse("AF48").unwrap())
    );
}

#[test]
fn a_value_beyond_the_grid_is_refused_at_its_line() {
    let text = b"Test name: t,ID1: p\nRaw Data (450)\n,1,2\nA,0.1,0.2\nB,0.1,0.2,0.3\n";
    assert_eq!(
        parse(ResultFormat::BmgMars, text, None).unwrap_err(),
        ParseError::at(5, "row B has a value (0.3) beyond the grid's 2 columns")
    );
}

#[test]
fn several_sections_are_several_reads_and_flags_stay_flags() {
    let text = "Test name: t,ID1: p\nAbsorbance\nRaw Data (450)\n,1,2\nA,0.1,OVRFLW\n\nBlank corrected based on Raw Data (450)\n,1,2\nA,0.05,\n";
    let results = parse(ResultFormat::BmgMars, text.as_bytes(), None).unwrap();
    assert_eq!(results.len(), 3);
    let raw = by_read(&results, "Raw Data (450)");
    assert!(matches!(raw["A2"].value, Reading::Flagged { .. }));
    let blanked = by_read(&results, "Blank corrected based on Raw Data (450)");
    same_number(&blanked["A1"].value, 0.05, "A1");
}
