//! Result sets made elsewhere, read by sample code: Olink's NPX long export (built here in the
//! layout of OlinkAnalyze's `npx_data_long_csv.csv`: there is no Olink file among the
//! fixtures) and the generic long CSV, with what real exports throw at a reader: a byte-order
//! mark, CRLF, decimal commas, `NA`, censored values, controls, QC warnings, columns in any
//! order and columns nobody asked for.

use aliquot_instruments::result_set::{
    parse_result_set, OlinkDetails, ResultSetFormat, ResultSetRow,
};
use aliquot_instruments::{Bound, Flag, ParseError, Reading};

fn olink(text: &str) -> Result<Vec<ResultSetRow>, ParseError> {
    parse_result_set(ResultSetFormat::OlinkNpx, text.as_bytes())
}

fn long(text: &str) -> Result<Vec<ResultSetRow>, ParseError> {
    parse_result_set(ResultSetFormat::LongCsv, text.as_bytes())
}

fn number(value: f64) -> Option<Reading> {
    Some(Reading::Number { value })
}

fn details(row: &ResultSetRow) -> &OlinkDetails {
    row.olink
        .as_deref()
        .unwrap_or_else(|| panic!("line {}: no Olink details", row.line))
}

/// An Olink Explore export as Olink's software writes it in a European locale: a BOM,
/// semicolons, decimal commas, CRLF, and the `ExploreVersion` column this reader does not
/// know (its cells have points, which must not sway the decimal mark).
const OLINK_EXPLORE: &str = "\u{FEFF}SampleID;Index;OlinkID;UniProt;Assay;MissingFreq;Panel;\
Panel_Lot_Nr;PlateID;QC_Warning;LOD;NPX;Normalization;Assay_Warning;Sample_Type;ExploreVersion\r\n\
BB-000123-4;45;OID31341;Q14204;DYNC1H1;0,6477;Oncology_II;B13804;P1;PASS;-3,8925;-3,9891;Plate control;PASS;SAMPLE;6.2.0\r\n\
CONTROL_SAMPLE_P1_A12;12;OID21380;Q13421;MSLN;0;Oncology;B04404;P1;PASS;-7,0918;-2,055;Plate control;PASS;SAMPLE_CONTROL;6.2.0\r\n\
BB-000123-4;45;OID20861;P39905;GDNF;0;Neurology;B04406;P1;WARN;-5,7644;-3,3615;Plate control;PASS;SAMPLE;6.2.0\r\n\
\r\n\
BB-000124-2;77;OID30193;P32241;VIPR1;0,9886;Cardiometabolic_II;B13805;P1;PASS;0,9035;NA;Plate control;WARN;SAMPLE;6.2.0\r\n\
BB-000124-2;77;OID20458;O95715;CXCL14;0,0795;Inflammation;B04403;P1;PASS;NA;-1,8902;Plate control;PASS;SAMPLE;6.2.0\r\n\
NC_P1_H1;96;OID20458;O95715;CXCL14;0,0795;Inflammation;B04403;P1;WARN;NA;-4,2;Plate control;WARN;NEGATIVE_CONTROL;6.2.0\r\n";

#[test]
fn an_olink_explore_export_with_a_bom_crlf_and_decimal_commas() {
    let rows = olink(OLINK_EXPLORE).unwrap();
    let got: Vec<(usize, &str, &str, Option<Reading>, bool)> = rows
        .iter()
        .map(|r| {
            (
                r.line,
                r.sample_code.as_str(),
                r.analyte.as_str(),
                r.value.clone(),
                r.control,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (2, "BB-000123-4", "DYNC1H1", number(-3.9891), false),
            (3, "CONTROL_SAMPLE_P1_A12", "MSLN", number(-2.055), true),
            (4, "BB-000123-4", "GDNF", number(-3.3615), false),
            // Line 5 is blank: the numbers stay an editor's.
            (
                6,
                "BB-000124-2",
                "VIPR1",
                Some(Reading::Flagged {
                    flag: Flag::Other,
                    text: "NA".into()
                }),
                false
            ),
            (7, "BB-000124-2", "CXCL14", number(-1.8902), false),
            (8, "NC_P1_H1", "CXCL14", number(-4.2), true),
        ]
    );
    assert!(rows.iter().all(|r| r.unit.as_deref() == Some("NPX")));

    // Every Olink column is kept; NPX below LOD is still a number, and marked.
    assert_eq!(
        *details(&rows[0]),
        OlinkDetails {
            olink_id: Some("OID31341".into()),
            uniprot: Some("Q14204".into()),
            panel: Some("Oncology_II".into()),
            panel_lot: Some("B13804".into()),
            plate_id: Some("P1".into()),
            qc_warning: Some("PASS".into()),
            assay_warning: Some("PASS".into()),
            lod: Some(-3.8925),
            below_lod: Some(true),
            normalization: Some("Plate control".into()),
            sample_type: Some("SAMPLE".into()),
        }
    );
    assert_eq!(details(&rows[1]).below_lod, Some(false));
    // An NA NPX, or an NA LOD, leaves below-LOD unknown, not false.
    assert_eq!(details(&rows[3]).below_lod, None);
    assert_eq!(details(&rows[3]).lod, Some(0.9035));
    assert_eq!(details(&rows[4]).lod, None);
    assert_eq!(details(&rows[4]).below_lod, None);

    // Only what did not pass is the row's flag, named by its column.
    let flags: Vec<Option<&str>> = rows.iter().map(|r| r.flag.as_deref()).collect();
    assert_eq!(
        flags,
        [
            None,
            None,
            Some("QC_Warning: WARN"),
            Some("Assay_Warning: WARN"),
            None,
            Some("QC_Warning: WARN; Assay_Warning: WARN"),
        ]
    );
}

#[test]
fn an_olink_target_export_with_commas_points_other_order_and_fewer_columns() {
    // No Index, Normalization, Assay_Warning or Sample_Type; `Uniprot ID` and `Panel_Version`
    // as older exports name them; the controls are known by their ids alone.
    let text =
        "SampleID,OlinkID,Uniprot ID,Assay,Panel_Version,PlateID,QC_Warning,NPX,LOD,MissingFreq\n\
        BB-000200-1,OID00471,P01375,TNF,v.3004,Plate_2,Pass,2.0311,1.4477,0.0625\n\
        BB-000200-1,OID00482,P05231,IL6,v.3004,Plate_2,Warning,1.0021,1.1000,0.125\n\
        CONTROL_SAMPLE_AS 1,OID00471,P01375,TNF,v.3004,Plate_2,Pass,3.5,1.4477,0.0625\n";
    let rows = olink(text).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].value, number(2.0311));
    assert_eq!(details(&rows[0]).uniprot.as_deref(), Some("P01375"));
    assert_eq!(details(&rows[0]).lod, Some(1.4477));
    assert_eq!(details(&rows[0]).below_lod, Some(false));
    assert_eq!(details(&rows[0]).normalization, None);
    assert_eq!(details(&rows[0]).assay_warning, None);
    assert_eq!(details(&rows[0]).panel, None, "Panel_Version is not Panel");
    assert_eq!(rows[0].flag, None, "Pass passes, whatever its case");
    assert_eq!(rows[1].flag.as_deref(), Some("QC_Warning: Warning"));
    assert_eq!(details(&rows[1]).below_lod, Some(true));
    assert_eq!(
        rows.iter().map(|r| r.control).collect::<Vec<_>>(),
        [false, false, true]
    );
}

#[test]
fn an_olink_file_missing_what_it_needs_is_refused_saying_where() {
    let no_npx = "SampleID;OlinkID;Assay;LOD\nS1;OID1;IL6;1,0\n";
    match olink(no_npx) {
        Err(ParseError::At { line: 1, reason }) => {
            assert!(reason.contains("no NPX column"), "{reason}");
            assert!(reason.contains("not an Olink NPX long export"), "{reason}");
            assert!(reason.contains("SampleID, OlinkID, Assay, LOD"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // A wide export (an assay per column) is not a long one.
    let wide = "SampleID;IL6;TNF\nS1;1,2;3,4\n";
    match olink(wide) {
        Err(ParseError::At { line: 1, reason }) => {
            assert!(reason.contains("no Assay, no NPX column"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let header = "SampleID;Assay;NPX;LOD";
    assert_eq!(
        olink(&format!("{header}\nS1;IL6;1,5;0,5\n;IL6;2,5;0,5\n")),
        Err(ParseError::at(
            3,
            "a result has no sample code: its SampleID cell is empty"
        ))
    );
    assert_eq!(
        olink(&format!("{header}\nS1;IL6;1,5;0,5\n\nS2; ;2,5;0,5\n")),
        Err(ParseError::at(
            4,
            "the result of S2 has no analyte: its Assay cell is empty"
        ))
    );
    assert_eq!(
        olink(&format!("{header}\nS1;IL6;1,5;low\n")),
        Err(ParseError::at(2, "the LOD \"low\" is not a number"))
    );
    let err = olink(&format!("\u{FEFF}{header}\r\n\r\n")).unwrap_err();
    assert!(matches!(err, ParseError::Missing(_)), "{err:?}");
    assert!(err.to_string().contains("no results in the file"), "{err}");
    assert!(matches!(olink(""), Err(ParseError::Missing(_))));
}

/// A row as a test compares it: line, code, analyte, value, unit, flag.
type Seen<'a> = (
    usize,
    &'a str,
    &'a str,
    Option<Reading>,
    Option<&'a str>,
    Option<&'a str>,
);

#[test]
fn a_european_long_csv_with_censored_values_flags_and_an_extra_column() {
    let text = "Sample ID;Test_Code;Run;Result;Units;Comment\r\n\
        BB-000123-4;CRP;7;12,5;mg/L;\r\n\
        BB-000123-4;IL6;7;< 0,5;pg/mL;below the lowest calibrator\r\n\
        \r\n\
        BB-000124-2;CRP;7;> 1.000,0;mg/L;rerun diluted\r\n\
        BB-000124-2;IL6;7;;pg/mL;hemolysed\r\n\
        BB-000125-0;Ferritin;7;OVRFLW;ng/\u{3bc}L;\r\n";
    let rows = long(text).unwrap();
    let got: Vec<Seen> = rows
        .iter()
        .map(|r| {
            (
                r.line,
                r.sample_code.as_str(),
                r.analyte.as_str(),
                r.value.clone(),
                r.unit.as_deref(),
                r.flag.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (2, "BB-000123-4", "CRP", number(12.5), Some("mg/L"), None),
            (
                3,
                "BB-000123-4",
                "IL6",
                Some(Reading::Censored {
                    bound: Bound::Below,
                    limit: Some(0.5),
                    text: "< 0,5".into()
                }),
                Some("pg/mL"),
                Some("below the lowest calibrator")
            ),
            (
                5,
                "BB-000124-2",
                "CRP",
                Some(Reading::Censored {
                    bound: Bound::Above,
                    limit: Some(1000.0),
                    text: "> 1.000,0".into()
                }),
                Some("mg/L"),
                Some("rerun diluted")
            ),
            // An empty value is a row without a value, never 0 and never dropped.
            (
                6,
                "BB-000124-2",
                "IL6",
                None,
                Some("pg/mL"),
                Some("hemolysed")
            ),
            (
                7,
                "BB-000125-0",
                "Ferritin",
                Some(Reading::Flagged {
                    flag: Flag::Overflow,
                    text: "OVRFLW".into()
                }),
                Some("ng/\u{b5}L"),
                None
            ),
        ]
    );
    assert!(rows.iter().all(|r| !r.control && r.olink.is_none()));
}

#[test]
fn a_long_csv_without_its_optional_columns_in_any_separator_and_encoding() {
    // Commas and points; no unit, no flag.
    let rows = long("sample,analyte,value\nS1,Glucose,5.4\nS2,Glucose,1,234\n").unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].value, number(5.4));
    assert!(rows.iter().all(|r| r.unit.is_none() && r.flag.is_none()));
    // A comma-separated file's unquoted `1,234` is two cells: the value is `1`.
    assert_eq!(rows[1].value, number(1.0));
    // Semicolons and a comma with three digits after it: a decimal comma, not thousands.
    let rows = long("Barcode;Assay;Value\nS1;Na;1,234\nS2;Na;NA\n").unwrap();
    assert_eq!(rows[0].value, number(1.234));
    // Excel's "Unicode text": UTF-16 LE with its mark, tab-separated.
    let utf16: Vec<u8> = "\u{FEFF}SampleCode\tTest\tResult\tUnit\r\nS1\tK\t4,1\tmmol/L\r\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let rows = parse_result_set(ResultSetFormat::LongCsv, &utf16).unwrap();
    assert_eq!(rows[0].sample_code, "S1");
    assert_eq!(rows[0].analyte, "K");
    assert_eq!(rows[0].value, number(4.1));
    assert_eq!(rows[0].unit.as_deref(), Some("mmol/L"));
}

#[test]
fn among_several_names_for_a_column_the_likelier_one_is_read() {
    // `Sample` (a name) beside `Sample Code`: the code is read; `Test Code` before `Test`.
    let rows = long("Sample;Sample Code;Test;Test Code;Value\nplasma;S1;Sodium;NA+;140\n").unwrap();
    assert_eq!(rows[0].sample_code, "S1");
    assert_eq!(rows[0].analyte, "NA+");
    // The same name twice: which to read is unclear, and refused.
    match long("Sample;Analyte;Value;Value\nS1;Na;140;141\n") {
        Err(ParseError::At { line: 1, reason }) => {
            assert!(
                reason.contains("more than one \"Value\" column"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_long_csv_missing_a_required_column_or_a_code_is_refused_with_its_line() {
    match long("\n\nSample;Unit;Flag;Value\nS1;mg/L;;1,5\n") {
        Err(ParseError::At { line: 3, reason }) => {
            assert!(
                reason.starts_with(
                    "the header has no analyte column (named analyte, testcode, test, assay)"
                ),
                "{reason}"
            );
            assert!(reason.ends_with("its columns are Sample, Unit, Flag, Value"));
        }
        other => panic!("{other:?}"),
    }
    match long("Patient;Result\nS1;1,5\n") {
        Err(ParseError::At { line: 1, reason }) => {
            assert!(reason.contains("no sample code column"), "{reason}");
            assert!(reason.contains("no analyte column"), "{reason}");
            assert!(!reason.contains("no value column"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let header = "Sample;Analyte;Value";
    assert_eq!(
        long(&format!("{header}\nS1;Na;140\n  ;K;4,1\n")),
        Err(ParseError::at(
            3,
            "a result has no sample code: its Sample cell is empty"
        ))
    );
    // A short line (a cut-off last row) has no analyte.
    assert_eq!(
        long(&format!("{header}\r\nS1;Na;140\r\n\r\nS2\r\n")),
        Err(ParseError::at(
            4,
            "the result of S2 has no analyte: its Analyte cell is empty"
        ))
    );
    let err = long(&format!("{header}\n ; ;\n")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no results in the file: its header (line 1) has no rows after it"
    );
    assert!(matches!(long("\u{FEFF}"), Err(ParseError::Missing(_))));
}

#[test]
fn formats_and_rows_serialize_with_snake_case_names() {
    assert_eq!(
        serde_json::to_value(ResultSetFormat::ALL).unwrap(),
        serde_json::json!(["olink_npx", "long_csv"])
    );
    assert_eq!(
        serde_json::from_value::<ResultSetFormat>(serde_json::json!("long_csv")).unwrap(),
        ResultSetFormat::LongCsv
    );
    let rows = long("sample;analyte;value\nS1;Na;< 1\n").unwrap();
    assert_eq!(
        serde_json::to_value(&rows[0]).unwrap(),
        serde_json::json!({
            "line": 2,
            "sample_code": "S1",
            "analyte": "Na",
            "value": { "kind": "censored", "bound": "below", "limit": 1.0, "text": "< 1" },
            "unit": null,
            "flag": null,
            "control": false,
            "olink": null,
        })
    );
}

#[test]
fn a_hundred_thousand_rows_are_read_with_their_line_numbers() {
    let mut text = String::from("sample_code;test_code;result;unit;flag\n");
    for i in 0..100_000 {
        text += &format!("BB-{:06};A{};{},{};mg/L;\n", i / 20, i % 20, i % 97, i % 10);
    }
    let rows = long(&text).unwrap();
    assert_eq!(rows.len(), 100_000);
    let last = &rows[99_999];
    assert_eq!(last.line, 100_001);
    assert_eq!(last.sample_code, "BB-004999");
    // 99,999 % 97 = 89, 99,999 % 10 = 9.
    assert_eq!(last.value, number(89.9));
}
