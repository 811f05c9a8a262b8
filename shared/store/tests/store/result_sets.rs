//! Result sets produced elsewhere and partner mappings (issue 16, item 7): a long CSV and a
//! partner's results linked to the lab's tubes by code, kept as a set with a summary; an
//! unknown code or an unmapped partner code is kept and listed, never dropped; a partner's
//! value converted to the lab's unit by the stated factor; the same file twice is refused.

use super::{fixture, Fixture};
use aliquot_domain::instruments::Figure;
use aliquot_domain::paging::PageRequest;
use aliquot_domain::result_sets::{PartnerMapping, ResultSetFormat};
use aliquot_domain::Command;
use aliquot_store::result_sets::SetValueFilter;
use uuid::Uuid;

fn page() -> PageRequest {
    PageRequest {
        page: 1,
        per_page: 50,
    }
}

pub fn glucose() -> PartnerMapping {
    PartnerMapping {
        partner: "Partner Lab".into(),
        partner_code: "GLU".into(),
        partner_unit: Some("mg/dL".into()),
        test_code: "GLUCOSE".into(),
        unit: Some("mmol/L".into()),
        factor: Figure(0.0555),
    }
}

/// The command that records `text` as a long-CSV set, matched as the preview matches it.
pub async fn long_csv_set(f: &Fixture, text: &str, partner: Option<&str>) -> Command {
    let matched = f
        .store
        .match_result_set(
            ResultSetFormat::LongCsv,
            partner,
            "set.csv",
            text.as_bytes(),
        )
        .await
        .unwrap();
    Command::ImportResultSet {
        set_id: Uuid::now_v7(),
        name: "Set".into(),
        format: matched.preview.format,
        partner: matched.preview.partner,
        file_name: matched.preview.file_name,
        sha256: matched.preview.sha256,
        values: matched.values,
    }
}

#[tokio::test]
async fn a_partners_results_are_linked_by_code_converted_and_nothing_is_dropped() {
    let f = fixture().await;
    let lab = f.lab().await;
    f.run(
        &lab.manager,
        Command::SetPartnerMapping {
            mapping_id: Uuid::now_v7(),
            mapping: glucose(),
            reason: None,
        },
    )
    .await;
    let (stored, received) = (
        f.store.sample(lab.stored).await.unwrap().code,
        f.store.sample(lab.received).await.unwrap().code,
    );
    let text = format!(
        "Sample ID;Test;Result;Units;Comment\n\
         {stored};GLU;100;mg/dL;\n\
         {};GLU;< 10;mg/dL;\n\
         {received};CRP;2,5;mg/L;hemolysed\n\
         NOT-OURS-1;GLU;90;mg/dL;\n",
        stored.to_lowercase()
    );
    let matched = f
        .store
        .match_result_set(
            ResultSetFormat::LongCsv,
            Some("Partner Lab"),
            "p.csv",
            text.as_bytes(),
        )
        .await
        .unwrap();
    let p = &matched.preview;
    assert_eq!((p.values, p.samples_matched, p.analytes), (4, 2, 2));
    assert_eq!(p.unknown_codes, ["NOT-OURS-1"]);
    assert_eq!(p.unmapped_codes, ["CRP"]);
    let converted = matched.values[0]
        .converted
        .as_ref()
        .unwrap()
        .number()
        .unwrap();
    assert!((converted - 5.55).abs() < 1e-9, "{converted}");

    f.run(
        &lab.tech,
        long_csv_set(&f, &text, Some("Partner Lab")).await,
    )
    .await;
    let sets = f.store.result_sets(None, page()).await.unwrap();
    assert_eq!(sets.total, 1);
    let set = &sets.items[0];
    assert_eq!(
        (
            set.value_count,
            set.samples_matched,
            set.unknown_codes,
            set.unmapped_codes
        ),
        (4, 2, 1, 1)
    );
    let unknown = f
        .store
        .set_values(set.id, SetValueFilter::UnknownCodes, None, page())
        .await
        .unwrap();
    assert_eq!(unknown.total, 1);
    assert_eq!(unknown.items[0].sample_code, "NOT-OURS-1");
    let unmapped = f
        .store
        .set_values(set.id, SetValueFilter::Unmapped, None, page())
        .await
        .unwrap();
    assert_eq!(unmapped.total, 1);
    assert_eq!(unmapped.items[0].analyte, "CRP");
    assert_eq!(unmapped.items[0].flag.as_deref(), Some("hemolysed"));
    let glu = f
        .store
        .set_values(set.id, SetValueFilter::All, Some("GL"), page())
        .await
        .unwrap();
    assert_eq!(glu.total, 3);
    assert!(glu.items.iter().any(|v| v.converted == Some(Figure(0.555))
        || v.converted.is_some_and(|c| (c.0 - 0.555).abs() < 1e-9)));

    // The same file again: the preview says so and the command is refused.
    let again = f
        .store
        .match_result_set(
            ResultSetFormat::LongCsv,
            Some("Partner Lab"),
            "p.csv",
            text.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(again.preview.already_imported, Some(set.id));
    let refused = f
        .store
        .execute(
            &lab.tech,
            long_csv_set(&f, &text, Some("Partner Lab")).await,
        )
        .await;
    assert!(refused.is_err());

    // A mapping corrected needs a reason.
    let mapping = f
        .store
        .partner_mappings(Some("Partner Lab"), page())
        .await
        .unwrap();
    let corrected = f
        .store
        .execute(
            &lab.manager,
            Command::SetPartnerMapping {
                mapping_id: mapping.items[0].id,
                mapping: PartnerMapping {
                    factor: Figure(0.05551),
                    ..glucose()
                },
                reason: None,
            },
        )
        .await;
    assert!(corrected.is_err());
}
