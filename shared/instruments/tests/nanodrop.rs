//! The NanoDrop Eight parser against the real export in
//! `../shared/fixtures/instruments/thermo_fisher_nanodrop_eight/`, sample by sample and
//! measurement by measurement with allotropy's reading of the same file beside it.

mod common;

use aliquot_instruments::{parse, ParseError, Position, RawResult, Reading, ResultFormat};
use common::{asm, by_read, fixture, objects_with, same_number};
use serde_json::Value;
use std::collections::BTreeMap;

const NAME: &str = "thermo_fisher_nanodrop_eight/thermo_nanodrop_eight_RNA";

/// allotropy names a sample by the instrument's UID; we by the name the technician gave
/// (`Sample`). The file itself pairs them.
fn sample_of_uid() -> BTreeMap<String, String> {
    let text = String::from_utf8(fixture(&format!("{NAME}.txt"))).unwrap();
    let mut lines = text.lines().skip_while(|l| !l.starts_with("Date\t"));
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let uid = header.iter().position(|h| *h == "UID").unwrap();
    let sample = header.iter().position(|h| *h == "Sample").unwrap();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            (cells[uid].to_owned(), cells[sample].to_owned())
        })
        .collect()
}

fn ours(results: &[RawResult], read: &str, sample: &str) -> RawResult {
    by_read(results, read)
        .get(sample)
        .copied()
        .cloned()
        .unwrap_or_else(|| panic!("no {read} for {sample}"))
}

#[test]
fn every_sample_matches_the_reading_beside_the_file() {
    let results = parse(
        ResultFormat::NanoDrop,
        &fixture(&format!("{NAME}.txt")),
        None,
    )
    .unwrap();
    // 3 samples, each a concentration, two ratios and two absorbances.
    assert_eq!(results.len(), 3 * 5);
    assert!(results.iter().all(|r| r.plate.is_none()));
    let samples = sample_of_uid();
    assert_eq!(
        samples.values().map(String::as_str).collect::<Vec<_>>(),
        ["ALP111 PBL1", "651 PBL1", "ALP096 PBL1"]
    );
    for r in &results {
        let Position::Sample(name) = &r.position else {
            panic!("{r:?} is not a sample");
        };
        assert!(samples.values().any(|s| s == name), "{name}");
    }

    let doc = asm(&format!("{NAME}.json"));
    let mut measurements = Vec::new();
    objects_with(&doc, "measurement identifier", &mut measurements);
    assert_eq!(measurements.len(), 6);
    let mut sample_of_measurement = BTreeMap::new();
    let (mut absorbances, mut concentrations) = (0, 0);
    for m in measurements {
        let id = m["measurement identifier"].as_str().unwrap();
        let uid = m["sample document"]["sample identifier"].as_str().unwrap();
        let sample = samples[uid].as_str();
        sample_of_measurement.insert(id.to_owned(), sample);
        let wavelength = m
            .pointer("/device control aggregate document/device control document/0/detector wavelength setting/value")
            .and_then(Value::as_i64)
            .unwrap();
        let read = format!("A{wavelength}");
        let r = ours(&results, &read, sample);
        same_number(&r.value, m["absorbance"]["value"].as_f64().unwrap(), &read);
        assert_eq!(r.unit, None, "{read}");
        absorbances += 1;
        if let Some(c) = m.pointer(
            "/processed data aggregate document/processed data document/0/mass concentration",
        ) {
            let r = ours(&results, "Concentration", sample);
            same_number(&r.value, c["value"].as_f64().unwrap(), sample);
            assert_eq!(r.unit.as_deref(), c["unit"].as_str(), "{sample}");
            assert_eq!(r.unit.as_deref(), Some("ng/µL"));
            concentrations += 1;
        }
    }
    assert_eq!((absorbances, concentrations), (6, 3));

    // The ratios, each traced to its sample through its data source.
    let mut calculated = Vec::new();
    objects_with(&doc, "calculated data name", &mut calculated);
    let mut ratios = 0;
    for c in calculated {
        let name = c["calculated data name"].as_str().unwrap();
        let read = name.replace("A260/", "A260/A");
        let source = c
            .pointer(
                "/data source aggregate document/data source document/0/data source identifier",
            )
            .and_then(Value::as_str)
            .unwrap();
        let sample = sample_of_measurement[source];
        let r = ours(&results, &read, sample);
        same_number(
            &r.value,
            c["calculated result"]["value"].as_f64().unwrap(),
            &format!("{sample} {read}"),
        );
        assert_eq!(r.unit, None);
        ratios += 1;
    }
    assert_eq!(ratios, 3 * 2);
}

#[test]
fn the_decimal_comma_is_read_as_one_and_a_decimal_point_file_reads_the_same() {
    let bytes = fixture(&format!("{NAME}.txt"));
    let results = parse(ResultFormat::NanoDrop, &bytes, None).unwrap();
    // `704,986` is 704.986 ng/µL, not 704 986: the ratios' `2,07` tell the mark.
    same_number(
        &ours(&results, "Concentration", "ALP096 PBL1").value,
        704.986,
        "ALP096 PBL1",
    );
    let pointed = String::from_utf8(bytes).unwrap().replace(',', ".");
    assert_eq!(
        parse(ResultFormat::NanoDrop, pointed.as_bytes(), None).unwrap(),
        results
    );
    // The same in UTF-16 with CRLF line ends and the Greek mu some exports write.
    let text = String::from_utf8(fixture(&format!("{NAME}.txt")))
        .unwrap()
        .replace('\n', "\r\n")
        .replace('µ', "\u{3bc}");
    let utf16: Vec<u8> = "\u{FEFF}"
        .encode_utf16()
        .chain(text.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(
        parse(ResultFormat::NanoDrop, &utf16, None).unwrap(),
        results
    );
}

#[test]
fn reordered_and_extra_columns_are_found_by_name() {
    let text = "Application:\tDNA\n\
                Extra\tA280\tSample\tng/µL\tA260/A280\tA260\n\
                x\t0,5\tS1\t< 2,0\t1,85\tOVRFLW\n\
                \n";
    let results = parse(ResultFormat::NanoDrop, text.as_bytes(), None).unwrap();
    assert_eq!(results.len(), 4);
    let at = |read: &str| ours(&results, read, "S1").value;
    same_number(&at("A280"), 0.5, "A280");
    same_number(&at("A260/A280"), 1.85, "ratio");
    assert!(matches!(at("Concentration"), Reading::Censored { limit: Some(l), .. } if l == 2.0));
    assert!(matches!(at("A260"), Reading::Flagged { .. }));
}

#[test]
fn a_row_without_a_sample_name_is_refused_at_its_line() {
    let text = "Application:\tRNA\nDate\tSample\tng/µL\n1/1/2024\tS1\t12.5\n1/1/2024\t\t13.5\n";
    assert_eq!(
        parse(ResultFormat::NanoDrop, text.as_bytes(), None).unwrap_err(),
        ParseError::at(
            4,
            "a row of the table has no sample name (the Sample column is empty)"
        )
    );
}

#[test]
fn other_formats_are_refused_saying_so() {
    for other in [
        "thermo_fisher_qubit4/thermo_fisher_qubit4_example_1.csv",
        "beckman_vi_cell_blu/Beckman_Vi-Cell-BLU_example01.csv",
        "agilent_gen5/garbage_error.txt",
        "appbio_quantstudio/appbio_quantstudio_example01.txt",
    ] {
        let err = parse(ResultFormat::NanoDrop, &fixture(other), None).unwrap_err();
        assert!(matches!(err, ParseError::Missing(_)), "{other}: {err:?}");
        assert!(
            err.to_string().contains("not a NanoDrop Eight export"),
            "{other}: {err}"
        );
    }
    assert!(parse(ResultFormat::NanoDrop, b"", None).is_err());
}
