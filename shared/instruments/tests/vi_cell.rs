//! The Vi-CELL BLU parser against the real export in
//! `../shared/fixtures/instruments/beckman_vi_cell_blu/`, sample by sample and measurement by
//! measurement with allotropy's reading of the same file beside it.

mod common;

use aliquot_instruments::{parse, Flag, ParseError, Reading, ResultFormat};
use common::{asm, by_read, fixture, objects_with, same_number};

const NAME: &str = "beckman_vi_cell_blu/Beckman_Vi-Cell-BLU_example01";

/// Our read, its unit, and allotropy's name for it.
const READS: &[(&str, Option<&str>, &str)] = &[
    ("Cell count", None, "total cell count"),
    ("Viable cells", None, "viable cell count"),
    (
        "Total cell density",
        Some("x10^6 cells/mL"),
        "total cell density (cell counter)",
    ),
    (
        "Viable cell density",
        Some("x10^6 cells/mL"),
        "viable cell density (cell counter)",
    ),
    ("Viability", Some("%"), "viability (cell counter)"),
    (
        "Average diameter",
        Some("µm"),
        "average total cell diameter",
    ),
    (
        "Average viable diameter",
        Some("µm"),
        "average live cell diameter (cell counter)",
    ),
    (
        "Average circularity",
        None,
        "average total cell circularity",
    ),
    (
        "Average viable circularity",
        None,
        "average viable cell circularity",
    ),
];

#[test]
fn every_sample_matches_the_reading_beside_the_file() {
    let results = parse(ResultFormat::ViCell, &fixture(&format!("{NAME}.csv")), None).unwrap();
    assert_eq!(results.len(), 10 * READS.len());
    assert!(results.iter().all(|r| r.plate.is_none()));
    let doc = asm(&format!("{NAME}.json"));
    let mut measurements = Vec::new();
    objects_with(&doc, "measurement identifier", &mut measurements);
    assert_eq!(measurements.len(), 10);
    let (mut compared, mut errors) = (0, 0);
    for m in measurements {
        let sample = m["sample document"]["sample identifier"].as_str().unwrap();
        let processed = m
            .pointer("/processed data aggregate document/processed data document/0")
            .unwrap();
        for (read, unit, theirs) in READS {
            let r = by_read(&results, read)[sample];
            assert_eq!(r.unit.as_deref(), *unit, "{sample} {read}");
            match processed.get(*theirs) {
                Some(t) => {
                    same_number(
                        &r.value,
                        t["value"].as_f64().unwrap(),
                        &format!("{sample} {read}"),
                    );
                    if let Some(unit) = unit {
                        // allotropy writes `10^6 cells/mL` for the file's `x10^6 cells/mL`.
                        let theirs = t["unit"].as_str().unwrap();
                        assert!(unit.ends_with(theirs), "{sample} {read}: {theirs}");
                    }
                    compared += 1;
                }
                // allotropy leaves out what the file says `ERROR` for: we keep the flag.
                None => {
                    assert!(
                        matches!(
                            &r.value,
                            Reading::Flagged { flag: Flag::Other, text } if text == "ERROR"
                        ),
                        "{sample} {read}: {:?}",
                        r.value
                    );
                    errors += 1;
                }
            }
        }
    }
    assert_eq!((compared, errors), (10 * READS.len() - 2, 2));
}

#[test]
fn reordered_columns_and_a_semicolon_file_with_decimal_commas_are_read() {
    let text = "Tag;Viability (%);Sample ID;Total (x10^6) cells/mL;Minimum Diameter (µm)\n\
                t;96,9;CLB001;0,78;6\n";
    let results = parse(ResultFormat::ViCell, text.as_bytes(), None).unwrap();
    assert_eq!(results.len(), 2);
    same_number(
        &by_read(&results, "Viability")["CLB001"].value,
        96.9,
        "viability",
    );
    let total = by_read(&results, "Total cell density")["CLB001"];
    same_number(&total.value, 0.78, "total");
    assert_eq!(total.unit.as_deref(), Some("x10^6 cells/mL"));
}

#[test]
fn a_row_without_a_sample_id_is_refused_at_its_line() {
    let text = "Sample ID,Cell count,Viability (%)\nA,10,90\n\nB,11,91\n,12,92\n";
    assert_eq!(
        parse(ResultFormat::ViCell, text.as_bytes(), None).unwrap_err(),
        ParseError::at(
            5,
            "a row has no sample name (the Sample ID column is empty)"
        )
    );
}

#[test]
fn other_formats_are_refused_saying_so() {
    for other in [
        "thermo_fisher_nanodrop_eight/thermo_nanodrop_eight_RNA.txt",
        "thermo_fisher_qubit4/thermo_fisher_qubit4_example_1.csv",
        "agilent_gen5/garbage_error.txt",
        "luminex_xponent/luminex_xPONENT_NaN_and_not_reported_values.csv",
    ] {
        let err = parse(ResultFormat::ViCell, &fixture(other), None).unwrap_err();
        assert!(matches!(err, ParseError::Missing(_)), "{other}: {err:?}");
        assert!(
            err.to_string().contains("not a Vi-CELL BLU export"),
            "{other}: {err}"
        );
    }
    assert!(parse(ResultFormat::ViCell, b"", None).is_err());
}
