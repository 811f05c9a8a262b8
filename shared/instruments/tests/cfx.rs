//! The CFX Maestro parser against the real export in
//! `../shared/fixtures/instruments/cfxmaestro/`, compared well by well and dye by dye with
//! the `.json` beside it (allotropy's reading of the same file).

mod common;

use aliquot_instruments::{parse, Flag, ParseError, Reading, ResultFormat};
use common::{asm, by_read, fixture, objects_with, same_number};
use serde_json::Value;

const NAME: &str = "cfxmaestro/example01";

fn original() -> Vec<u8> {
    fixture(&format!("{NAME}.csv"))
}

#[test]
fn every_cq_matches_the_reading_beside_the_file() {
    let results = parse(ResultFormat::Cfx, &original(), None).unwrap();
    // 24 wells, each read with FAM and VIC: a Cq and a starting quantity each.
    assert_eq!(results.len(), 48 * 2);
    let doc = asm(&format!("{NAME}.json"));
    let mut measurements = Vec::new();
    objects_with(&doc, "measurement identifier", &mut measurements);
    let mut compared = 0;
    for m in measurements {
        let well = m["sample document"]["location identifier"]
            .as_str()
            .unwrap();
        let dye = m
            .pointer(
                "/device control aggregate document/device control document/0/reporter dye setting",
            )
            .and_then(Value::as_str)
            .unwrap();
        // The file names no target: the dye tells the reads apart.
        assert_eq!(m["target DNA description"], "N/A");
        let cq = m
            .pointer("/processed data aggregate document/processed data document/0/cycle threshold result (qPCR)/value")
            .and_then(Value::as_f64)
            .unwrap();
        let ours = by_read(&results, &format!("{dye} Cq"));
        let at = format!("{well} {dye}");
        // allotropy writes wells as the file does (A01); ours print unpadded (A1).
        let key = format!("{}{}", &well[..1], well[1..].parse::<u8>().unwrap());
        let r = ours.get(&key).unwrap_or_else(|| panic!("{at}: no Cq"));
        same_number(&r.value, cq, &at);
        assert_eq!(r.plate, None);
        compared += 1;
    }
    assert_eq!(compared, 48);
    assert_eq!(by_read(&results, "FAM Cq").len(), 24);
    assert_eq!(by_read(&results, "VIC Cq").len(), 24);
    // One value by hand: D06 VIC.
    same_number(
        &by_read(&results, "VIC Cq")["D6"].value,
        20.9102822371808,
        "D6 VIC",
    );
    // No standard curve: every starting quantity is NaN, a flag.
    let sq = by_read(&results, "FAM SQ");
    assert_eq!(sq.len(), 24);
    assert!(sq.values().all(|r| r.value
        == Reading::Flagged {
            flag: Flag::NotANumber,
            text: "NaN".into()
        }));
}

#[test]
fn a_nan_cq_is_a_flag_and_a_named_target_names_the_read() {
    let text = String::from_utf8(original()).unwrap().replacen(
        ",A01,FAM,,Unkn,M3905 R Ctx,PBS Baseline,21.1877528266099,",
        ",A01,FAM,GAPDH,Unkn,M3905 R Ctx,PBS Baseline,NaN,",
        1,
    );
    let results = parse(ResultFormat::Cfx, text.as_bytes(), None).unwrap();
    let a1 = by_read(&results, "GAPDH Cq")["A1"];
    assert_eq!(
        a1.value,
        Reading::Flagged {
            flag: Flag::NotANumber,
            text: "NaN".into()
        }
    );
    assert!(!by_read(&results, "FAM Cq").contains_key("A1"));
}

#[test]
fn a_european_export_with_semicolons_and_decimal_commas_reads_the_same() {
    let text = String::from_utf8(original())
        .unwrap()
        .replace(',', ";")
        .replace('.', ",");
    assert_eq!(
        parse(ResultFormat::Cfx, text.as_bytes(), None).unwrap(),
        parse(ResultFormat::Cfx, &original(), None).unwrap()
    );
}

#[test]
fn a_file_that_is_not_cfx_is_refused_saying_so() {
    for other in [
        "luminex_xponent/luminex_xPONENT_NaN_and_not_reported_values.csv",
        "appbio_quantstudio/appbio_quantstudio_example01.txt",
        "agilent_gen5/garbage_error.txt",
    ] {
        let err = parse(ResultFormat::Cfx, &fixture(other), None).unwrap_err();
        assert!(matches!(err, ParseError::Missing(_)), "{other}: {err:?}");
        assert!(
            err.to_string()
                .contains("not a CFX Maestro Cq results export"),
            "{other}: {err}"
        );
    }
    assert!(parse(ResultFormat::Cfx, b"", None).is_err());
}

#[test]
fn a_row_whose_well_is_not_a_well_is_refused_at_its_line() {
    let text = String::from_utf8(original())
        .unwrap()
        .replacen(",B02,FAM,", ",B2x,FAM,", 1);
    // B02 FAM is the file's 9th line, whatever ends its lines.
    for ends in ["\n", "\r\n", "\r"] {
        assert_eq!(
            parse(ResultFormat::Cfx, text.replace('\n', ends).as_bytes(), None).unwrap_err(),
            ParseError::at(9, "\"B2x\" in the Well column is not a well"),
            "{ends:?}"
        );
    }
}
