//! Every parser against the real instrument exports in `../shared/fixtures/instruments/`
//! (read in place, never copied here), each compared well by well with the `.json` beside it:
//! another project's (allotropy's) reading of the same file in the Allotrope Simple Model.
//! Then truncated and mutated copies of every file, and of a small Olink NPX and long CSV
//! result set built here, go to every parser: no panic, and a refusal says where and why.

mod common;

use aliquot_instruments::result_set::{parse_result_set, ResultSetFormat};
use aliquot_instruments::{
    parse, text, CsvMapping, DecimalMark, Flag, ParseError, Position, PositionKind, RawResult,
    Reading, ResultFormat, ValueColumn, Well,
};
use common::{asm, by_read, fixture, measured, objects_with, same_number};
use proptest::prelude::*;
use serde_json::Value;

#[test]
fn gen5_absorbance_with_overflow_and_missed_wells() {
    let name = "agilent_gen5/absorbance/240411_172731_BNCH2345883_abs450_96well_non_numeric_values";
    let results = parse(ResultFormat::Gen5, &fixture(&format!("{name}.txt")), None).unwrap();
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
    let results = parse(ResultFormat::Gen5, &fixture(&format!("{name}.txt")), None).unwrap();
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
    let err = parse(
        ResultFormat::Gen5,
        &fixture("agilent_gen5/garbage_error.txt"),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, ParseError::Missing(_)), "{err:?}");
    assert!(err.to_string().contains("not a Gen5 text export"), "{err}");
}

#[test]
fn a_results_block_without_column_numbers_is_refused_at_its_line() {
    let text = b"Plate Number\tPlate 1\n\nResults\nA\t1.0\t2.0\tRead\n";
    let err = parse(ResultFormat::Gen5, text, None).unwrap_err();
    assert_eq!(
        err,
        ParseError::at(
            4,
            "the Results block does not start with its row of column numbers"
        )
    );
    let text = b"Results\n\t1\t2\nA\t1.0\t2.0\n";
    assert_eq!(
        parse(ResultFormat::Gen5, text, None).unwrap_err(),
        ParseError::at(3, "a row of results has no read name after its 2 values")
    );
}

#[test]
fn gen5_reads_the_same_file_in_utf16_with_cr_line_ends_and_padded_cells() {
    let name =
        "agilent_gen5/absorbance/240411_172731_BNCH2345883_abs450_96well_non_numeric_values.txt";
    let original = parse(ResultFormat::Gen5, &fixture(name), None).unwrap();
    let text = String::from_utf8(fixture(name))
        .unwrap()
        .replace("\r\n", "\r");
    let utf16: Vec<u8> = "\u{FEFF}"
        .encode_utf16()
        .chain(text.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(parse(ResultFormat::Gen5, &utf16, None).unwrap(), original);
}

/// A generic CSV's mapping that reads the CFX fixture's `Well` and `Cq` columns.
fn small_mapping() -> CsvMapping {
    CsvMapping {
        separator: ',',
        decimal: DecimalMark::Point,
        skip_lines: 0,
        position_column: "Well".into(),
        position_is: PositionKind::Well,
        plate_column: None,
        values: vec![ValueColumn {
            column: "Cq".into(),
            read: None,
            unit: None,
        }],
    }
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
        read_or_refused_by_every_parser(&bytes)?;
    }

    /// The same for the result sets: a small Olink NPX export and a long CSV, cut short or
    /// with bytes changed, go to every parser, the result sets' and the instruments'.
    #[test]
    fn truncated_and_mutated_result_sets_are_read_or_refused(
        which in 0..RESULT_SETS.len(),
        cut in 0.0f64..=1.0,
        flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..8),
    ) {
        let mut bytes = RESULT_SETS[which].as_bytes().to_vec();
        let keep = ((bytes.len() as f64) * cut) as usize;
        bytes.truncate(keep);
        for (at, byte) in flips {
            if !bytes.is_empty() {
                let i = ((bytes.len() as f64) * at) as usize % bytes.len();
                bytes[i] = byte;
            }
        }
        read_or_refused_by_every_parser(&bytes)?;
    }
}

/// A small result set of each kind, as the tests in `result_set.rs` build them.
const RESULT_SETS: &[&str] = &[
    "\u{FEFF}SampleID;Index;OlinkID;UniProt;Assay;MissingFreq;Panel;Panel_Lot_Nr;PlateID;\
     QC_Warning;LOD;NPX;Normalization;Assay_Warning;Sample_Type;ExploreVersion\r\n\
     BB-000123-4;45;OID31341;Q14204;DYNC1H1;0,6477;Oncology_II;B13804;P1;PASS;-3,8925;-3,9891;Plate control;PASS;SAMPLE;6.2.0\r\n\
     CONTROL_SAMPLE_P1_A12;12;OID21380;Q13421;MSLN;0;Oncology;B04404;P1;PASS;-7,0918;-2,055;Plate control;PASS;SAMPLE_CONTROL;6.2.0\r\n\
     BB-000124-2;77;OID30193;P32241;VIPR1;0,9886;Cardiometabolic_II;B13805;P1;WARN;0,9035;NA;Plate control;WARN;SAMPLE;6.2.0\r\n",
    "Sample ID;Test_Code;Result;Units;Comment\r\n\
     BB-000123-4;CRP;12,5;mg/L;\r\n\
     BB-000123-4;IL6;< 0,5;pg/mL;below the lowest calibrator\r\n\
     \r\n\
     BB-000124-2;IL6;;pg/mL;hemolysed\r\n",
];

/// `bytes` read by every parser, the instruments' (the generic CSV through a small mapping)
/// and the result sets': read or refused, never a panic, and a refusal at a line names one
/// within the file.
fn read_or_refused_by_every_parser(bytes: &[u8]) -> Result<(), TestCaseError> {
    let lines = text::decode(bytes).map_or(0, |t| text::numbered_lines(&t).len());
    let mapping = small_mapping();
    let refusals = ResultFormat::ALL
        .iter()
        .map(|format| {
            (
                format!("{format:?}"),
                parse(*format, bytes, Some(&mapping)).err(),
            )
        })
        .chain(ResultSetFormat::ALL.iter().map(|format| {
            (
                format!("{format:?}"),
                parse_result_set(*format, bytes).err(),
            )
        }));
    for (format, refusal) in refusals {
        match refusal {
            None => {}
            Some(ParseError::At { line, reason }) => {
                prop_assert!(
                    line >= 1 && line <= lines && !reason.is_empty(),
                    "{format} line {line} of {lines}"
                );
            }
            Some(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
    Ok(())
}

#[test]
fn quantstudio_ct_values_match_the_reading_beside_the_file() {
    let name = "appbio_quantstudio/appbio_quantstudio_example01";
    let results = parse(
        ResultFormat::QuantStudio,
        &fixture(&format!("{name}.txt")),
        None,
    )
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
    let results = parse(
        ResultFormat::QuantStudio,
        &fixture("appbio_quantstudio/appbio_quantstudio_minimal_missing_results.txt"),
        None,
    )
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
    let err = parse(
        ResultFormat::QuantStudio,
        &fixture("agilent_gen5/absorbance/endpoint_stdcurve_singleplate.txt"),
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("not a QuantStudio results export"),
        "{err}"
    );
}

/// The line ends instruments write.
const LINE_ENDS: [&str; 3] = ["\r\n", "\n", "\r"];

/// `lines` written with `end` after each.
fn written(lines: &[&str], end: &str) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| [*l, end])
        .collect::<String>()
        .into_bytes()
}

/// Each file's last line is refused: with every line end, with and without blank lines
/// (empty, or only spaces) before it, the refusal names that line as an editor numbers it.
fn refused_at_its_last_line(
    format: ResultFormat,
    mapping: Option<&CsvMapping>,
    files: &[&[&str]],
    reason: &str,
) {
    for lines in files {
        for end in LINE_ENDS {
            assert_eq!(
                parse(format, &written(lines, end), mapping),
                Err(ParseError::at(lines.len(), reason)),
                "{format:?}, {end:?}, {lines:?}"
            );
        }
    }
}

#[test]
fn gen5_names_the_line_of_a_row_without_its_read_name_whatever_the_line_ends() {
    refused_at_its_last_line(
        ResultFormat::Gen5,
        None,
        &[
            &[
                "Plate Number\tPlate 1",
                "Results",
                "\t1\t2",
                "A\t1.0\t2.0\tRead",
                "B\t1.1\t2.1",
            ],
            &[
                "Plate Number\tPlate 1",
                "",
                "",
                "Results",
                "\t1\t2",
                "   ",
                "A\t1.0\t2.0\tRead",
                "",
                "B\t1.1\t2.1",
            ],
        ],
        "a row of results has no read name after its 2 values",
    );
}

#[test]
fn quantstudio_names_the_line_of_a_row_without_a_well_whatever_the_line_ends() {
    let header = "Well\tWell Position\tSample Name\tTarget Name\tCT";
    refused_at_its_last_line(
        ResultFormat::QuantStudio,
        None,
        &[
            &[
                "* Experiment Name = run 7",
                "[Results]",
                header,
                "1\tA1\tS1\tT1\t20.5",
                "2\tZ99\tS2\tT1\t21.0",
            ],
            &[
                "* Experiment Name = run 7",
                "",
                "[Results]",
                header,
                "",
                "  ",
                "1\tA1\tS1\tT1\t20.5",
                "",
                "2\tZ99\tS2\tT1\t21.0",
            ],
        ],
        "\"Z99\" is not a well",
    );
}

#[test]
fn a_mapped_csv_names_the_line_of_a_row_without_a_well_whatever_the_line_ends() {
    let mapping = |skip_lines| CsvMapping {
        separator: ';',
        decimal: DecimalMark::Comma,
        skip_lines,
        position_column: "Well".into(),
        position_is: PositionKind::Well,
        plate_column: Some("Plate".into()),
        values: vec![ValueColumn {
            column: "OD".into(),
            read: None,
            unit: None,
        }],
    };
    let reason = "\"Z99\" is not a well";
    refused_at_its_last_line(
        ResultFormat::MappedCsv,
        Some(&mapping(2)),
        &[&[
            "Reader X",
            "run 7",
            "Plate;Well;OD",
            "P1;A1;1,5",
            "P1;Z99;2,0",
        ]],
        reason,
    );
    // Blank lines in the title block count among the lines it skips.
    refused_at_its_last_line(
        ResultFormat::MappedCsv,
        Some(&mapping(4)),
        &[&[
            "Reader X",
            "",
            "run 7",
            "",
            "Plate;Well;OD",
            "",
            "P1;A1;1,5",
            " ",
            "",
            "P1;Z99;2,0",
        ]],
        reason,
    );
}

#[test]
fn a_generic_csv_needs_a_sound_mapping_and_other_formats_ignore_one() {
    let file = b"Plate,Well,Cq\nP1,A01,21.5\n";
    let err = parse(ResultFormat::MappedCsv, file, None).unwrap_err();
    assert!(matches!(err, ParseError::Missing(_)), "{err:?}");
    assert!(err.to_string().contains("mapping"), "{err}");
    let results = parse(ResultFormat::MappedCsv, file, Some(&small_mapping())).unwrap();
    assert_eq!(
        results,
        [RawResult {
            plate: None,
            position: Position::Well(Well { row: 0, column: 0 }),
            read: "Cq".into(),
            value: Reading::Number { value: 21.5 },
            unit: None,
        }]
    );
    // The domain's check refuses a mapping that cannot read anything, with its reason.
    let no_values = CsvMapping {
        values: vec![],
        ..small_mapping()
    };
    match parse(ResultFormat::MappedCsv, file, Some(&no_values)) {
        Err(ParseError::Missing(message)) => {
            assert!(
                message.contains("at least one column of values"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    // Another format reads the file by its own parser, whatever mapping comes with it.
    let gen5 = fixture("agilent_gen5/absorbance/endpoint_stdcurve_singleplate.txt");
    assert_eq!(
        parse(ResultFormat::Gen5, &gen5, Some(&small_mapping())),
        parse(ResultFormat::Gen5, &gen5, None)
    );
}

#[test]
fn a_well_is_the_domains_position_shown_and_serialized_by_its_name() {
    let af48 = Well::parse("      AF048").unwrap();
    assert_eq!(
        af48,
        Well {
            row: 31,
            column: 47
        }
    );
    assert_eq!(af48.to_string(), "AF48");
    assert_eq!(Well::from_parts("H", "12").unwrap().to_string(), "H12");
    assert_eq!(
        serde_json::to_value(Position::Well(af48)).unwrap(),
        serde_json::json!({ "kind": "well", "at": "AF48" })
    );
}
