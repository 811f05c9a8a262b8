//! Every parser against the real instrument exports in `../shared/fixtures/instruments/`
//! (read in place, never copied here), each compared well by well with the `.json` beside it:
//! another project's (allotropy's) reading of the same file in the Allotrope Simple Model.
//! Then truncated and mutated copies of every file go to every parser: no panic, and a
//! refusal says where and why.

mod common;

use aliquot_instruments::{Flag, Format, ParseError, Reading};
use common::{asm, by_read, fixture, measured, objects_with, same_number};
use proptest::prelude::*;
use serde_json::Value;

#[test]
fn gen5_absorbance_with_overflow_and_missed_wells() {
    let name = "agilent_gen5/absorbance/240411_172731_BNCH2345883_abs450_96well_non_numeric_values";
    let results = Format::Gen5
        .parse(&fixture(&format!("{name}.txt")))
        .unwrap();
    let ours = by_read(&results, "abs450:450");
    assert_eq!(results.len(), 96);
    assert_eq!(ours.len(), 96);
    let theirs = measured(&asm(&format!("{name}.json")), "absorbance");
    assert_eq!(theirs.len(), 96);
    let mut flagged = 0;
    for m in theirs.values() {
        let r = ours[&m.well];
        assert_eq!(r.plate.as_deref(), Some("Plate 1"));
        match (&m.error, &r.value) {
            (Some(error), Reading::Flagged { flag, text }) => {
                flagged += 1;
                assert_eq!(text, error, "{}", m.well);
                let expect = if error == "OVRFLW" {
                    Flag::Overflow
                } else {
                    Flag::Missed
                };
                assert_eq!(*flag, expect, "{}", m.well);
            }
            (None, value) => same_number(value, m.value.unwrap(), &m.well),
            (error, value) => panic!("{}: theirs {error:?}, ours {value:?}", m.well),
        }
    }
    // One OVRFLW in each of the 8 rows, one MISSED in each of rows D to H.
    assert_eq!(flagged, 8 + 5);
}

#[test]
fn gen5_reads_blanked_values_and_concentrations_of_each_well() {
    let name = "agilent_gen5/absorbance/endpoint_stdcurve_singleplate";
    let results = Format::Gen5
        .parse(&fixture(&format!("{name}.txt")))
        .unwrap();
    assert_eq!(results.len(), 96 * 3);
    let doc = asm(&format!("{name}.json"));
    let theirs = measured(&doc, "absorbance");
    let raw = by_read(&results, "630nmAbsRead:630");
    for m in theirs.values() {
        same_number(&raw[&m.well].value, m.value.unwrap(), &m.well);
    }
    // The calculated reads, each traced to its well through its data source.
    let mut calculated = Vec::new();
    objects_with(&doc, "calculated data name", &mut calculated);
    let mut compared = 0;
    for c in calculated {
        let name = c["calculated data name"].as_str().unwrap();
        let source = c
            .pointer(
                "/data source aggregate document/data source document/0/data source identifier",
            )
            .and_then(Value::as_str)
            .unwrap();
        let Some(m) = theirs.get(source) else {
            continue;
        };
        let ours = by_read(&results, name);
        same_number(
            &ours[&m.well].value,
            c["calculated result"]["value"].as_f64().unwrap(),
            name,
        );
        compared += 1;
    }
    assert_eq!(compared, 96 * 2);
}

#[test]
fn a_file_that_is_not_gen5_is_refused_saying_so() {
    let err = Format::Gen5
        .parse(&fixture("agilent_gen5/garbage_error.txt"))
        .unwrap_err();
    assert!(matches!(err, ParseError::Missing(_)), "{err:?}");
    assert!(err.to_string().contains("not a Gen5 text export"), "{err}");
}

#[test]
fn a_results_block_without_column_numbers_is_refused_at_its_line() {
    let text = b"Plate Number\tPlate 1\n\nResults\nA\t1.0\t2.0\tRead\n";
    let err = Format::Gen5.parse(text).unwrap_err();
    assert_eq!(
        err,
        ParseError::at(
            4,
            "the Results block does not start with its row of column numbers"
        )
    );
    let text = b"Results\n\t1\t2\nA\t1.0\t2.0\n";
    assert_eq!(
        Format::Gen5.parse(text).unwrap_err(),
        ParseError::at(3, "a row of results has no read name after its 2 values")
    );
}

#[test]
fn gen5_reads_the_same_file_in_utf16_with_cr_line_ends_and_padded_cells() {
    let name =
        "agilent_gen5/absorbance/240411_172731_BNCH2345883_abs450_96well_non_numeric_values.txt";
    let original = Format::Gen5.parse(&fixture(name)).unwrap();
    let text = String::from_utf8(fixture(name))
        .unwrap()
        .replace("\r\n", "\r");
    let utf16: Vec<u8> = "\u{FEFF}"
        .encode_utf16()
        .chain(text.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(Format::Gen5.parse(&utf16).unwrap(), original);
}

/// Every input file of the fixtures.
const FIXTURES: &[&str] = &[
    "agilent_gen5/absorbance/240411_172731_BNCH2345883_abs450_96well_non_numeric_values.txt",
    "agilent_gen5/absorbance/endpoint_stdcurve_singleplate.txt",
    "agilent_gen5/garbage_error.txt",
    "appbio_quantstudio/appbio_quantstudio_example01.txt",
    "appbio_quantstudio/appbio_quantstudio_minimal_missing_results.txt",
    "beckman_vi_cell_blu/Beckman_Vi-Cell-BLU_example01.csv",
    "bmg_mars/16-03-03 16-54-03 472 ABS 384 QC.csv",
    "cfxmaestro/example01.csv",
    "luminex_xponent/luminex_xPONENT_NaN_and_not_reported_values.csv",
    "moldev_softmax_pro/MD_SMP_absorbance_endpoint_partial_plate_example01.txt",
    "thermo_fisher_nanodrop_eight/thermo_nanodrop_eight_RNA.txt",
    "thermo_fisher_qubit4/thermo_fisher_qubit4_example_1.csv",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Cut short anywhere, or with bytes changed, a file is read or refused: never a panic,
    /// and a refusal names a line within the file or what is missing.
    #[test]
    fn truncated_and_mutated_files_are_read_or_refused(
        which in 0..FIXTURES.len(),
        cut in 0.0f64..=1.0,
        flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..8),
    ) {
        let mut bytes = fixture(FIXTURES[which]);
        let keep = ((bytes.len() as f64) * cut) as usize;
        bytes.truncate(keep);
        for (at, byte) in flips {
            if !bytes.is_empty() {
                let i = ((bytes.len() as f64) * at) as usize % bytes.len();
                bytes[i] = byte;
            }
        }
        for format in Format::ALL {
            match format.parse(&bytes) {
                Ok(_) => {}
                Err(ParseError::At { line, reason }) => {
                    prop_assert!(line >= 1 && !reason.is_empty());
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }
}

#[test]
fn quantstudio_ct_values_match_the_reading_beside_the_file() {
    let name = "appbio_quantstudio/appbio_quantstudio_example01";
    let results = Format::QuantStudio
        .parse(&fixture(&format!("{name}.txt")))
        .unwrap();
    let cts = by_read(&results, "TARGET_1 CT");
    assert_eq!(cts.len(), 16);
    let doc = asm(&format!("{name}.json"));
    let mut measurements = Vec::new();
    objects_with(&doc, "measurement identifier", &mut measurements);
    let mut compared = 0;
    for m in measurements {
        let Some(ct) = m
            .pointer("/processed data aggregate document/processed data document/0/cycle threshold result (qPCR)/value")
            .and_then(Value::as_f64)
        else {
            continue;
        };
        let well = m["sample document"]["well location identifier"]
            .as_str()
            .unwrap();
        same_number(&cts[well].value, ct, well);
        compared += 1;
    }
    assert_eq!(compared, 14);
    // Tm1 is a temperature.
    let tm = by_read(&results, "TARGET_1 Tm1");
    assert_eq!(tm["A1"].unit.as_deref(), Some("°C"));
    same_number(&tm["A1"].value, 78.122, "A1 Tm1");
}

#[test]
fn quantstudio_undetermined_cts_are_flags_not_numbers() {
    let results = Format::QuantStudio
        .parse(&fixture(
            "appbio_quantstudio/appbio_quantstudio_minimal_missing_results.txt",
        ))
        .unwrap();
    for read in ["CYP19_2 Allele1 Ct", "CYP19_2 Allele2 Ct"] {
        let a1 = by_read(&results, read)["A1"];
        assert_eq!(
            a1.value,
            Reading::Flagged {
                flag: Flag::Undetermined,
                text: "Undetermined".into()
            },
            "{read}"
        );
    }
    let err = Format::QuantStudio
        .parse(&fixture(
            "agilent_gen5/absorbance/endpoint_stdcurve_singleplate.txt",
        ))
        .unwrap_err();
    assert!(
        err.to_string().contains("not a QuantStudio results export"),
        "{err}"
    );
}
