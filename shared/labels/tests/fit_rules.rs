//! The rule for text that does not fit, checked in every renderer: text shrinks toward the
//! template's minimum height, and past that the label is refused with an error naming the
//! field. Nothing is ever cut off: a label either carries the whole text or is not made.

mod common;

use aliquot_labels::{
    pdf, preview, tspl, zpl, Dpi, LabelData, LabelError, LabelTemplate, SheetLayout,
};

fn tube_with_site(site: &str) -> Result<aliquot_labels::BoundLabel, LabelError> {
    let mut s = common::sample(&common::sample_code(5));
    s.site = site.to_owned();
    LabelTemplate::Tube2x1.bind(&LabelData::Sample(s))
}

/// The `^A0N,h,h` height of the field carrying `text`.
fn zpl_height(zpl: &str, text: &str) -> u32 {
    let line = zpl
        .lines()
        .find(|l| l.ends_with(&format!("^FD{}^FS", zpl::escape_field(text))))
        .unwrap_or_else(|| panic!("{text:?} not in {zpl}"));
    let h = line.split("^A0N,").nth(1).and_then(|r| r.split(',').next());
    h.and_then(|h| h.parse().ok()).expect("height")
}

#[test]
fn a_longer_site_shrinks_but_stays_whole() {
    let short = zpl::render(&tube_with_site("North").expect("binds"), Dpi::D203, 1).expect("zpl");
    let long_site = "Northern Regional Biobank West Wing 12";
    let long = zpl::render(&tube_with_site(long_site).expect("binds"), Dpi::D203, 1).expect("zpl");
    let (h_short, h_long) = (zpl_height(&short, "North"), zpl_height(&long, long_site));
    assert!(h_long < h_short, "{h_long} < {h_short}");
    // Not below the template's minimum (1.8 mm = 14.4 dots at 8 dots/mm).
    assert!(h_long >= 14, "{h_long}");
}

#[test]
fn a_site_too_long_for_any_legible_size_is_refused_in_every_renderer() {
    let site = "Northern Regional Biobank of the Western Highlands, Building C";
    let label = tube_with_site(site).expect("binds: fit is decided per renderer");
    let mut errors = Vec::new();
    for dpi in Dpi::ALL {
        errors.push(zpl::render(&label, dpi, 1).unwrap_err());
        errors.push(tspl::render(&label, dpi, 1).unwrap_err());
    }
    errors.push(pdf::single(&label).unwrap_err());
    errors.push(preview::svg(&label).unwrap_err());
    for err in errors {
        match &err {
            LabelError::TextTooLong {
                field,
                template,
                chars,
                max_chars,
            } => {
                assert_eq!(*field, "site");
                assert_eq!(*template, "tube-2x1");
                assert_eq!(*chars, site.chars().count());
                assert!(max_chars < chars, "{err}");
                assert!(err.to_string().contains("site"), "{err}");
            }
            other => panic!("expected TextTooLong, got {other}"),
        }
    }
}

#[test]
fn a_long_sample_code_shrinks_on_the_cryovial_label_then_is_refused() {
    for template in [
        LabelTemplate::Cryovial(aliquot_labels::Symbology::DataMatrix),
        LabelTemplate::Cryovial(aliquot_labels::Symbology::QrCode),
    ] {
        let ok = common::sample("AQ0000000042X");
        let label = template.bind(&LabelData::Sample(ok)).expect("binds");
        for dpi in Dpi::ALL {
            zpl::render(&label, dpi, 1).expect("13 characters fit");
        }
        let too_long = common::sample("AQ00000000000000000042X");
        let label = template.bind(&LabelData::Sample(too_long)).expect("binds");
        let err = zpl::render(&label, Dpi::D203, 1).unwrap_err();
        assert!(
            matches!(
                err,
                LabelError::TextTooLong {
                    field: "sample code",
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn text_the_label_fonts_cannot_draw_is_refused_when_bound_for_every_output() {
    // Issue 11, defect 12: ZPL took "Москва" (font 0 has no Cyrillic: boxes on the label)
    // while the preview refused it. Now binding refuses it, once, for every output.
    for site in ["Москва", "北京协和医院", "Site \u{202E}1"] {
        let err = tube_with_site(site).unwrap_err();
        assert!(
            matches!(err, LabelError::NoGlyph { field: "site", .. }),
            "{site}: {err}"
        );
        assert!(err.to_string().contains("Latin letters"), "{err}");
    }
    // Latin-1 binds and goes to every output.
    let label = tube_with_site("Tromsø").expect("binds");
    zpl::render(&label, Dpi::D203, 1).expect("zpl");
    pdf::single(&label).expect("pdf");
}

#[test]
fn a_sheet_refuses_labels_of_another_size() {
    let label = common::bound(LabelTemplate::Tube2x1);
    let err = pdf::sheet(&[label], &SheetLayout::a4_cryovial_96()).unwrap_err();
    assert!(matches!(err, LabelError::SheetMismatch { .. }), "{err}");
    assert_eq!(
        pdf::sheet(&[], &SheetLayout::a4_cryovial_96()).unwrap_err(),
        LabelError::NoLabels
    );
}

#[test]
fn more_labels_than_a_sheet_holds_go_on_more_pages() {
    let labels: Vec<_> = (0..100)
        .map(|i| {
            LabelTemplate::Cryovial(aliquot_labels::Symbology::QrCode)
                .bind(&LabelData::Sample(common::sample(&common::sample_code(i))))
                .expect("binds")
        })
        .collect();
    let bytes = pdf::sheet(&labels, &SheetLayout::letter_cryovial_96()).expect("sheet");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("/Count 2"), "two pages");
    assert!(bytes == pdf::sheet(&labels, &SheetLayout::letter_cryovial_96()).expect("sheet"));
}
