//! Fixtures shared by the integration tests: realistic sample and box records.
#![allow(dead_code)]

use aliquot_domain::numbering;
use aliquot_labels::{BoundLabel, BoxLabel, LabelData, LabelTemplate, SampleLabel};
use chrono::NaiveDate;

/// Sample code `n` of the block with prefix `AQ`, six digits (`AQ000042X` style).
pub fn sample_code(n: i64) -> String {
    numbering::sample_code("AQ", 6, n).expect("valid code")
}

pub fn sample(code: &str) -> SampleLabel {
    SampleLabel {
        sample_code: code.to_owned(),
        participant_code: numbering::participant_code(10000),
        sample_type_code: "BC".to_owned(),
        sample_type_label: "Buffy coat".to_owned(),
        collected_on: NaiveDate::from_ymd_opt(2026, 1, 31).expect("date"),
        // Command characters in free text: they must print as text.
        site: "North_Site ^1".to_owned(),
        event: "Visit \"2\" ~JA".to_owned(),
    }
}

pub fn storage_box() -> BoxLabel {
    BoxLabel {
        box_name: "Plasma box 7 \"A\"".to_owned(),
        box_barcode: "BX-000123".to_owned(),
        location: "Freezer 3 / Rack B / Shelf 2".to_owned(),
    }
}

/// The fixture record each template prints.
pub fn data_for(template: LabelTemplate) -> LabelData {
    match template {
        LabelTemplate::StorageBox => LabelData::StorageBox(storage_box()),
        _ => LabelData::Sample(sample(&sample_code(42))),
    }
}

pub fn bound(template: LabelTemplate) -> BoundLabel {
    template.bind(&data_for(template)).expect("fixture binds")
}

/// The payload the template's barcode must decode to.
pub fn code_of(template: LabelTemplate) -> String {
    match template {
        LabelTemplate::StorageBox => storage_box().box_barcode,
        _ => sample_code(42),
    }
}
