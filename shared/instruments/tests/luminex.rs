//! The Luminex xPONENT parser against the real export in
//! `../shared/fixtures/instruments/luminex_xponent/` (no allotropy reading beside it: the
//! values below were read off the file by hand), and against edited copies of it for what
//! the file itself does not show (out-of-range cells, a Result table with units).

mod common;

use aliquot_instruments::{parse, Bound, Flag, ParseError, Reading, ResultFormat};
use common::{by_read, fixture};

const FILE: &str = "luminex_xponent/luminex_xPONENT_NaN_and_not_reported_values.csv";

fn text() -> String {
    String::from_utf8(fixture(FILE)).unwrap()
}

fn nan() -> Reading {
    Reading::Flagged {
        flag: Flag::NotANumber,
        text: "NaN".into(),
    }
}

#[test]
fn every_per_well_table_is_read_with_nan_kept_as_a_flag() {
    let results = parse(ResultFormat::Luminex, &fixture(FILE), None).unwrap();
    // Median: 96 wells x 3 analytes, but A1's analyte3 is empty (not reported).
    // Net MFI: 96 x 2 NaN, and analyte3 only in A1 (2). Count: 96 x 3 zeros.
    // Dilution Factor: 96 ones. Total Events: once per well, not once per table.
    assert_eq!(results.len(), 287 + 193 + 288 + 96 + 96);

    let median = by_read(&results, "Median analyte1");
    assert_eq!(median.len(), 96);
    assert!(median.values().all(|r| r.value == nan()));
    let median3 = by_read(&results, "Median analyte3");
    assert_eq!(median3.len(), 95);
    assert!(!median3.contains_key("A1"));
    assert_eq!(median3["H12"].value, nan());

    let net3 = by_read(&results, "Net MFI analyte3");
    assert_eq!(net3.len(), 1);
    assert_eq!(net3["A1"].value, Reading::Number { value: 2.0 });
    assert_eq!(by_read(&results, "Net MFI analyte2")["C7"].value, nan());

    for analyte in ["analyte1", "analyte2", "analyte3"] {
        let count = by_read(&results, &format!("Count {analyte}"));
        assert_eq!(count.len(), 96, "{analyte}");
        assert!(count
            .values()
            .all(|r| r.value == Reading::Number { value: 0.0 }));
    }
    let events = by_read(&results, "Total Events");
    assert_eq!(events.len(), 96);
    assert_eq!(events["G10"].value, Reading::Number { value: 0.0 });
    let dilution = by_read(&results, "Dilution Factor");
    assert_eq!(dilution.len(), 96);
    assert!(dilution
        .values()
        .all(|r| r.value == Reading::Number { value: 1.0 }));

    // Every NaN of the Median and Net MFI tables (479 cells in the file) is a flag.
    let flagged = results.iter().filter(|r| r.value == nan()).count();
    assert_eq!(flagged, 479);
    assert!(results
        .iter()
        .all(|r| r.value == nan() || r.value.number().is_some()));

    // Every result is of plate 1 (the `1(1,A1)` location), no unit stated.
    assert!(results
        .iter()
        .all(|r| r.plate.as_deref() == Some("1") && r.unit.is_none()));
    // The sample-keyed average table, the warnings and the key-row sections are not wells.
    assert!(results.iter().all(|r| !r.read.starts_with("Avg")
        && !r.read.contains("Status")
        && !r.read.contains("Message")
        && !r.read.starts_with("Per Bead")));
}

#[test]
fn out_of_range_cells_stay_censored_and_result_units_come_from_the_units_section() {
    let edited = text()
        .replacen(
            "\"5(1,E1)\",Unknown5,NaN,NaN,NaN,0,",
            "\"5(1,E1)\",Unknown5,OOR <,OOR >,1234.5,0,",
            1,
        )
        .replacen(
            "DataType:,Units,",
            "DataType:,Result,,\r\nLocation,Sample,analyte1,analyte2,analyte3\r\n\"1(1,A1)\",Unknown1,OOR <,12.5,\r\n,,,\r\nDataType:,Units,",
            1,
        )
        .replacen("Units:,,,", "Units:,pg/mL,ng/mL,", 1);
    let results = parse(ResultFormat::Luminex, edited.as_bytes(), None).unwrap();
    let e1 = |read: &str| by_read(&results, read)["E1"].value.clone();
    assert_eq!(
        e1("Median analyte1"),
        Reading::Censored {
            bound: Bound::Below,
            limit: None,
            text: "OOR <".into()
        }
    );
    assert_eq!(
        e1("Median analyte2"),
        Reading::Censored {
            bound: Bound::Above,
            limit: None,
            text: "OOR >".into()
        }
    );
    assert_eq!(e1("Median analyte3"), Reading::Number { value: 1234.5 });

    let below = by_read(&results, "Result analyte1")["A1"];
    assert!(below.value.number().is_none());
    assert!(matches!(
        below.value,
        Reading::Censored {
            bound: Bound::Below,
            ..
        }
    ));
    assert_eq!(below.unit.as_deref(), Some("pg/mL"));
    let twelve = by_read(&results, "Result analyte2")["A1"];
    assert_eq!(twelve.value, Reading::Number { value: 12.5 });
    assert_eq!(twelve.unit.as_deref(), Some("ng/mL"));
    // analyte3's cell is empty; the MFI tables take no unit.
    assert!(by_read(&results, "Result analyte3").is_empty());
    assert_eq!(by_read(&results, "Median analyte3")["E1"].unit, None);
}

#[test]
fn a_file_that_is_not_luminex_is_refused_saying_so() {
    for other in [
        "cfxmaestro/example01.csv",
        "agilent_gen5/garbage_error.txt",
        "bmg_mars/16-03-03 16-54-03 472 ABS 384 QC.csv",
    ] {
        let err = parse(ResultFormat::Luminex, &fixture(other), None).unwrap_err();
        assert!(matches!(err, ParseError::Missing(_)), "{other}: {err:?}");
        assert!(
            err.to_string().contains("not a Luminex xPONENT export"),
            "{other}: {err}"
        );
    }
    assert!(parse(ResultFormat::Luminex, b"", None).is_err());
}

#[test]
fn a_location_that_is_not_a_well_is_refused_at_its_line() {
    // Line 60 is G1 of the Median table; the file ends its lines with CRLF.
    let edited = text().replacen("\"7(1,G1)\",Unknown7", "\"7(1 G1)\",Unknown7", 1);
    let expect = ParseError::at(
        60,
        "\"7(1 G1)\" in the Median table is not a Luminex location like 1(1,A1)",
    );
    for ends in ["\r\n", "\n", "\r"] {
        let text = edited.replace("\r\n", ends);
        assert_eq!(
            parse(ResultFormat::Luminex, text.as_bytes(), None).unwrap_err(),
            expect,
            "{ends:?}"
        );
    }
}

#[test]
fn the_same_file_in_utf16_with_cr_line_ends_reads_the_same() {
    let original = parse(ResultFormat::Luminex, &fixture(FILE), None).unwrap();
    let utf16: Vec<u8> = "\u{FEFF}"
        .encode_utf16()
        .chain(text().replace("\r\n", "\r").encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(
        parse(ResultFormat::Luminex, &utf16, None).unwrap(),
        original
    );
}
