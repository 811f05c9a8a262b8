//! PDF labels through tools that know nothing of this crate: a full A4 sheet of 96 labels
//! with distinct sample codes is rasterised by poppler's `pdftoppm` at 600 dpi, QR codes
//! are decoded by `zbarimg` and DataMatrix codes by `dmtxread`, and exactly the 96 codes
//! must come back (for DataMatrix, each in its own cell). The tools are Debian packages
//! (poppler-utils, zbar-tools, dmtx-utils); a missing tool FAILS the test with the package
//! to install, it never skips.

mod common;

use aliquot_labels::{pdf, LabelData, LabelTemplate, SheetLayout, Symbology};
use image::{imageops, GrayImage, Luma};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

fn run(tool: &str, package: &str, args: &[&str]) -> Output {
    match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{tool}` is not installed: install the Debian package {package} \
             (apt-get install -y {package}); scripts/setup should do this"
        ),
        Err(e) => panic!("running {tool}: {e}"),
    }
}

fn codes(n: usize) -> Vec<String> {
    (0..n as i64)
        .map(|i| common::sample_code(1000 + i))
        .collect()
}

fn sheet_of(symbology: Symbology, codes: &[String]) -> Vec<u8> {
    let labels: Vec<_> = codes
        .iter()
        .map(|c| {
            LabelTemplate::Cryovial(symbology)
                .bind(&LabelData::Sample(common::sample(c)))
                .expect("binds")
        })
        .collect();
    pdf::sheet(&labels, &SheetLayout::a4_cryovial_96()).expect("sheet")
}

/// Rasterises page 1 at 600 dpi, greyscale, returning the PNG path.
fn rasterise(dir: &Path, pdf_bytes: &[u8]) -> std::path::PathBuf {
    let pdf_path = dir.join("sheet.pdf");
    std::fs::write(&pdf_path, pdf_bytes).expect("write pdf");
    let prefix = dir.join("sheet");
    let out = run(
        "pdftoppm",
        "poppler-utils",
        &[
            "-r",
            "600",
            "-gray",
            "-png",
            "-singlefile",
            pdf_path.to_str().expect("utf-8 path"),
            prefix.to_str().expect("utf-8 path"),
        ],
    );
    assert!(out.status.success(), "pdftoppm: {out:?}");
    dir.join("sheet.png")
}

#[test]
fn a_sheet_of_96_qr_labels_decodes_to_exactly_its_96_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expected = codes(96);
    let png = rasterise(dir.path(), &sheet_of(Symbology::QrCode, &expected));
    let out = run(
        "zbarimg",
        "zbar-tools",
        &[
            "-q",
            "--raw",
            "-Sdisable",
            "-Sqrcode.enable",
            png.to_str().expect("path"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let decoded: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        decoded.len(),
        96,
        "zbarimg found {} codes:\n{stdout}",
        decoded.len()
    );
    let decoded: BTreeSet<&str> = decoded.into_iter().collect();
    let expected: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(decoded, expected);
}

#[test]
fn a_sheet_of_96_datamatrix_labels_decodes_cell_by_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expected = codes(96);
    let png = rasterise(dir.path(), &sheet_of(Symbology::DataMatrix, &expected));
    let page = image::open(&png).expect("png").to_luma8();
    let layout = SheetLayout::a4_cryovial_96();
    let px = |mm: f32| (mm / 25.4 * 600.0).round() as u32;
    let mut files = Vec::new();
    for (i, _) in expected.iter().enumerate() {
        let (left, top) = layout.cell(i);
        // The code's half of the cell, with a white border so dmtxread finds the quiet zone.
        let cell = imageops::crop_imm(&page, px(left), px(top), px(10.5), px(12.7)).to_image();
        let border = px(3.0);
        let mut padded = GrayImage::from_pixel(
            cell.width() + 2 * border,
            cell.height() + 2 * border,
            Luma([255]),
        );
        imageops::overlay(&mut padded, &cell, i64::from(border), i64::from(border));
        // 600 dpi is more than dmtxread needs; a quarter of the pixels decodes faster.
        let small = imageops::resize(
            &padded,
            padded.width() / 2,
            padded.height() / 2,
            imageops::FilterType::Triangle,
        );
        let path = dir.path().join(format!("cell{i:02}.png"));
        small.save(&path).expect("save cell");
        files.push(path);
    }
    let mut decoded = Vec::new();
    for path in &files {
        let out = run(
            "dmtxread",
            "dmtx-utils",
            &["-N1", "-m2000", path.to_str().expect("path")],
        );
        decoded.push(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    }
    assert_eq!(decoded, expected, "each cell decodes to its own code");
}

#[test]
fn a_sheet_carries_the_codes_as_text_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expected = codes(96);
    let pdf_path = dir.path().join("sheet.pdf");
    std::fs::write(&pdf_path, sheet_of(Symbology::QrCode, &expected)).expect("write");
    let out = run(
        "pdftotext",
        "poppler-utils",
        &[pdf_path.to_str().expect("path"), "-"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for code in &expected {
        assert!(
            text.contains(code.as_str()),
            "{code} missing from the sheet's text"
        );
    }
}

#[test]
fn a_single_label_pdf_is_the_label_exactly_and_decodes() {
    let dir = tempfile::tempdir().expect("tempdir");
    for template in [
        LabelTemplate::Cryovial(Symbology::QrCode),
        LabelTemplate::Tube2x1,
        LabelTemplate::StorageBox,
    ] {
        let bytes = pdf::single(&common::bound(template)).expect("pdf");
        assert!(
            bytes == pdf::single(&common::bound(template)).expect("pdf"),
            "{}: the same label gives the same bytes",
            template.name()
        );
        let path = dir.path().join(format!("{}.pdf", template.name()));
        std::fs::write(&path, &bytes).expect("write");
        let info = run("pdfinfo", "poppler-utils", &[path.to_str().expect("path")]);
        let info = String::from_utf8_lossy(&info.stdout);
        let (w, h) = template.size_mm();
        let (w_pt, h_pt) = (pdf::mm_to_pt(w), pdf::mm_to_pt(h));
        let size = info
            .lines()
            .find(|l| l.starts_with("Page size:"))
            .unwrap_or_else(|| panic!("no page size in {info}"));
        let nums: Vec<f32> = size
            .split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        assert!(
            nums.len() >= 2 && (nums[0] - w_pt).abs() < 0.05 && (nums[1] - h_pt).abs() < 0.05,
            "{}: {size}, expected {w_pt} x {h_pt} pts",
            template.name()
        );
        let png = rasterise(dir.path(), &bytes);
        // Quiet zone around the page edge, as the liner gives a real label.
        let img = image::open(&png).expect("png").to_luma8();
        let border = 200;
        let mut padded = GrayImage::from_pixel(
            img.width() + 2 * border,
            img.height() + 2 * border,
            Luma([255]),
        );
        imageops::overlay(&mut padded, &img, i64::from(border), i64::from(border));
        let padded_path = dir.path().join("padded.png");
        padded.save(&padded_path).expect("save");
        let out = run(
            "zbarimg",
            "zbar-tools",
            &["-q", "--raw", padded_path.to_str().expect("path")],
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            common::code_of(template),
            "{}",
            template.name()
        );
    }
}
