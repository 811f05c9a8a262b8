//! The Qubit 4 parser against the real export in
//! `../shared/fixtures/instruments/thermo_fisher_qubit4/`, tube by tube and measurement by
//! measurement with allotropy's reading of the same file beside it.

mod common;

use aliquot_instruments::{parse, Flag, ParseError, Reading, ResultFormat};
use common::{asm, by_read, fixture, objects_with, same_number};

const NAME: &str = "thermo_fisher_qubit4/thermo_fisher_qubit4_example_1";

#[test]
fn every_tube_matches_the_reading_beside_the_file() {
    let results = parse(ResultFormat::Qubit, &fixture(&format!("{NAME}.csv")), None).unwrap();
    // 2 tubes, each a tube and an original concentration and a green RFU (no far red).
    assert_eq!(results.len(), 2 * 3);
    assert!(results.iter().all(|r| r.plate.is_none()));
    let doc = asm(&format!("{NAME}.json"));
    let mut measurements = Vec::new();
    objects_with(&doc, "measurement identifier", &mut measurements);
    assert_eq!(measurements.len(), 2);
    let mut compared = 0;
    for m in measurements {
        let sample = m["sample document"]["sample identifier"].as_str().unwrap();
        let custom = &m["sample document"]["custom information document"];
        for (read, theirs) in [
            ("Qubit tube conc.", &custom["qubit tube concentration"]),
            (
                "Original sample conc.",
                &custom["original sample concentration"],
            ),
            ("Green RFU", &m["fluorescence"]),
        ] {
            let r = by_read(&results, read)[sample];
            same_number(
                &r.value,
                theirs["value"].as_f64().unwrap(),
                &format!("{sample} {read}"),
            );
            assert_eq!(
                r.unit.as_deref(),
                theirs["unit"].as_str(),
                "{sample} {read}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 2 * 3);
    // The units are the file's own, each from the Units column after its value.
    let original = by_read(&results, "Original sample conc.");
    assert_eq!(
        original["Sample_#231212-020958"].unit.as_deref(),
        Some("ng/µL")
    );
    let tube = by_read(&results, "Qubit tube conc.");
    assert_eq!(tube["Sample_#231212-020958"].unit.as_deref(), Some("ng/mL"));
}

#[test]
fn reordered_columns_and_out_of_range_values_are_read() {
    let text = "Extra,Original sample conc.,Units,Test Name,Qubit tube conc.,Units\n\
                x,Out of range,,S1,< 0.50,µg/mL\n\
                ,,,,,\n\
                y,12.5,ng/μL,S2,2500,ng/mL\n";
    let results = parse(ResultFormat::Qubit, text.as_bytes(), None).unwrap();
    assert_eq!(results.len(), 4);
    let original = by_read(&results, "Original sample conc.");
    assert!(matches!(
        &original["S1"].value,
        Reading::Flagged { flag: Flag::Other, text } if text == "Out of range"
    ));
    assert_eq!(original["S1"].unit, None);
    same_number(&original["S2"].value, 12.5, "S2");
    assert_eq!(original["S2"].unit.as_deref(), Some("ng/µL"));
    let tube = by_read(&results, "Qubit tube conc.");
    assert!(matches!(
        &tube["S1"].value,
        Reading::Censored { limit: Some(l), .. } if *l == 0.5
    ));
    assert_eq!(tube["S1"].unit.as_deref(), Some("µg/mL"));
}

#[test]
fn a_row_without_a_test_name_is_refused_at_its_line() {
    let text = "Run ID,Test Name,Qubit tube conc.,Units\nR,S1,1.0,ng/mL\nR,,2.0,ng/mL\n";
    assert_eq!(
        parse(ResultFormat::Qubit, text.as_bytes(), None).unwrap_err(),
        ParseError::at(
            3,
            "a row has no sample name (the Test Name column is empty)"
        )
    );
}

#[test]
fn other_formats_are_refused_saying_so() {
    for other in [
        "thermo_fisher_nanodrop_eight/thermo_nanodrop_eight_RNA.txt",
        "beckman_vi_cell_blu/Beckman_Vi-Cell-BLU_example01.csv",
        "agilent_gen5/garbage_error.txt",
        "cfxmaestro/example01.csv",
    ] {
        let err = parse(ResultFormat::Qubit, &fixture(other), None).unwrap_err();
        assert!(matches!(err, ParseError::Missing(_)), "{other}: {err:?}");
        assert!(
            err.to_string().contains("not a Qubit 4 export"),
            "{other}: {err}"
        );
    }
    assert!(parse(ResultFormat::Qubit, b"", None).is_err());
}
