//! Round trip through an independent renderer and decoder: the ZPL (and TSPL) we generate
//! is drawn by `labelize` as a printer would, the picture is decoded by `rxing`, and the
//! decoded text must be exactly the sample or box code. A wrong escape, a wrong symbology
//! parameter or a symbol that runs off the label fails here. Tiny labels get a white border
//! (the quiet zone a real label has around it on the liner) and are scaled up before
//! decoding.

mod common;

use aliquot_labels::{tspl, zpl, Dpi, LabelTemplate, Symbology};
use image::{imageops, DynamicImage, GrayImage, Luma};
use labelize::elements::label_element::LabelElement;
use labelize::{DrawerOptions, LabelInfo, Renderer, TsplParser, ZplParser};
use rxing::BarcodeFormat;
use std::io::Cursor;

fn draw(label: &LabelInfo, template: LabelTemplate, dpi: Dpi) -> GrayImage {
    let (w, h) = template.size_mm();
    let mut png = Cursor::new(Vec::new());
    Renderer::new()
        .draw_label_as_png(
            label,
            &mut png,
            DrawerOptions {
                label_width_mm: f64::from(w),
                label_height_mm: f64::from(h),
                dpmm: dpi.dots_per_mm() as i32,
                ..Default::default()
            },
        )
        .expect("labelize renders");
    image::load_from_memory(&png.into_inner())
        .expect("png")
        .to_luma8()
}

fn decode(img: &GrayImage, format: BarcodeFormat, dpi: Dpi) -> String {
    let border = 10 * dpi.dots_per_mm();
    let mut padded = GrayImage::from_pixel(
        img.width() + 2 * border,
        img.height() + 2 * border,
        Luma([255]),
    );
    imageops::overlay(&mut padded, img, i64::from(border), i64::from(border));
    let scale = match dpi {
        Dpi::D203 => 4,
        Dpi::D300 => 3,
        Dpi::D600 => 2,
    };
    let big = imageops::resize(
        &padded,
        padded.width() * scale,
        padded.height() * scale,
        imageops::FilterType::Nearest,
    );
    let result = rxing::helpers::detect_in_image(DynamicImage::ImageLuma8(big), Some(format))
        .unwrap_or_else(|e| panic!("no {format:?} decoded: {e:?}"));
    result.getText().to_owned()
}

fn format_of(template: LabelTemplate) -> BarcodeFormat {
    match template {
        LabelTemplate::Cryovial(Symbology::DataMatrix) => BarcodeFormat::DATA_MATRIX,
        LabelTemplate::Cryovial(Symbology::QrCode) | LabelTemplate::Tube2x1 => {
            BarcodeFormat::QR_CODE
        }
        LabelTemplate::StorageBox => BarcodeFormat::CODE_128,
    }
}

fn texts(label: &LabelInfo) -> Vec<String> {
    label
        .elements
        .iter()
        .filter_map(|e| match e {
            LabelElement::Text(t) => Some(t.text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn zpl_codes_decode_to_the_code_at_every_resolution() {
    for template in LabelTemplate::ALL {
        let label = common::bound(template);
        for dpi in Dpi::ALL {
            let bytes = zpl::render(&label, dpi, 1).expect("zpl");
            let parsed = ZplParser::new().parse(bytes.as_bytes()).expect("parses");
            assert_eq!(parsed.len(), 1, "{} {dpi:?}: one label", template.name());
            assert_eq!(
                parsed[0].print_width,
                dpi.dots(template.size_mm().0) as i32,
                "{} {dpi:?}: ^PW is the label's width in dots",
                template.name()
            );
            let img = draw(&parsed[0], template, dpi);
            let text = decode(&img, format_of(template), dpi);
            assert_eq!(
                text,
                common::code_of(template),
                "{} {dpi:?}",
                template.name()
            );
        }
    }
}

#[test]
fn zpl_text_fields_arrive_as_the_data_including_command_characters() {
    let label = common::bound(LabelTemplate::Tube2x1);
    let bytes = zpl::render(&label, Dpi::D300, 1).expect("zpl");
    let parsed = ZplParser::new().parse(bytes.as_bytes()).expect("parses");
    let t = texts(&parsed[0]);
    let s = common::sample(&common::sample_code(42));
    for expected in [
        s.sample_code.as_str(),
        s.participant_code.as_str(),
        "BC Buffy coat",
        "2026-01-31",
        "North_Site ^1",
        "Visit \"2\" ~JA",
    ] {
        assert!(t.iter().any(|x| x == expected), "{expected:?} not in {t:?}");
    }
}

#[test]
fn zpl_utf8_text_prints_under_ci28() {
    let mut s = common::sample(&common::sample_code(7));
    s.site = "Tromsø µL Ñuñoa".into();
    let label = LabelTemplate::Tube2x1
        .bind(&aliquot_labels::LabelData::Sample(s))
        .expect("binds");
    let bytes = zpl::render(&label, Dpi::D203, 1).expect("zpl");
    assert!(bytes.is_ascii(), "non-ASCII is hex-escaped: {bytes}");
    let parsed = ZplParser::new().parse(bytes.as_bytes()).expect("parses");
    assert!(texts(&parsed[0]).contains(&"Tromsø µL Ñuñoa".to_owned()));
}

#[test]
fn tspl_codes_decode_to_the_code() {
    // labelize also reads TSPL: the second printer language gets the same round trip.
    for template in LabelTemplate::ALL {
        let label = common::bound(template);
        for dpi in [Dpi::D203, Dpi::D300] {
            let bytes = tspl::render(&label, dpi, 1).expect("tspl");
            let parsed = TsplParser::with_dpmm(dpi.dots_per_mm() as i32)
                .parse(bytes.as_bytes())
                .expect("parses");
            assert_eq!(parsed.len(), 1, "{} {dpi:?}", template.name());
            let img = draw(&parsed[0], template, dpi);
            let text = decode(&img, format_of(template), dpi);
            assert_eq!(
                text,
                common::code_of(template),
                "{} {dpi:?}",
                template.name()
            );
            let t = texts(&parsed[0]);
            let quoted = match template {
                LabelTemplate::StorageBox => "Plasma box 7 \"A\"",
                LabelTemplate::Tube2x1 => "Visit \"2\" ~JA",
                LabelTemplate::Cryovial(_) => "2026-01-31",
            };
            assert!(t.iter().any(|x| x == quoted), "{quoted:?} not in {t:?}");
        }
    }
}
