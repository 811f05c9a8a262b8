//! Aliquot's label engine: label templates bound to sample and box data, rendered to the
//! bytes a label printer takes (ZPL II, TSPL), to PDF for office printers, and to an SVG
//! preview for the UI.
//!
//! It is pure on purpose: no device IO and no clock reads (a collection date arrives as
//! data), so every label can be golden-tested byte for byte and rendered the same on a
//! workstation, the hub or in a test. Sending bytes to a printer is `shared/devices`'s job;
//! queueing print jobs is the store's.
//!
//! Map:
//! - [`template`]: label stocks, their fields' places in millimetres, and binding to data.
//! - [`fit`]: the one rule for text that is too wide (shrink to a minimum, then refuse).
//! - [`codes`]: QR, DataMatrix and Code 128 as module grids.
//! - [`zpl`], [`tspl`]: printer languages, with field escaping against command injection.
//! - [`vector`]: a label as millimetre shapes, drawn by [`pdf`] and [`preview`].
//!
//! ```
//! use aliquot_labels::{LabelTemplate, LabelData, SampleLabel, Symbology, Dpi, zpl};
//!
//! let data = LabelData::Sample(SampleLabel {
//!     sample_code: "AQ000042X".into(),
//!     participant_code: "P10000X".into(),
//!     sample_type_code: "PL".into(),
//!     sample_type_label: "Plasma".into(),
//!     collected_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
//!     site: "North".into(),
//!     event: "Baseline".into(),
//! });
//! let label = LabelTemplate::Cryovial(Symbology::DataMatrix).bind(&data).unwrap();
//! let bytes = zpl::render(&label, Dpi::D203, 1).unwrap();
//! assert!(bytes.starts_with("^XA"));
//! ```

#![forbid(unsafe_code)]

pub mod codes;
pub mod error;
pub mod fit;
pub mod pdf;
pub mod preview;
pub mod template;
pub mod tspl;
pub mod vector;
pub mod zpl;

pub use aliquot_domain::printing::PrinterLanguage;
pub use error::LabelError;
pub use pdf::SheetLayout;
pub use template::{
    BoundLabel, BoxLabel, Dpi, Field, LabelData, LabelTemplate, SampleLabel, Symbology,
};

/// The bytes for a label printer: `labels` one after another, each `copies` times, at the
/// printer's `darkness` (0–30) when one is set.
pub fn render_for_printer(
    language: PrinterLanguage,
    labels: &[BoundLabel],
    dpi: Dpi,
    copies: u16,
    darkness: Option<u8>,
) -> Result<Vec<u8>, LabelError> {
    if labels.is_empty() {
        return Err(LabelError::NoLabels);
    }
    let mut job = String::new();
    // Darkness is a printer setting sent ahead of the labels: ZPL `~SD` takes 0–30, TSPL
    // `DENSITY` 0–15.
    match (language, darkness.map(|d| d.min(30))) {
        (PrinterLanguage::Zpl, Some(d)) => job.push_str(&format!("~SD{d:02}")),
        (PrinterLanguage::Tspl, Some(d)) => job.push_str(&format!("DENSITY {}\r\n", d / 2)),
        (_, None) => {}
    }
    // Several labels are one job: their formats one after another, so a batch is one write.
    for label in labels {
        job.push_str(&match language {
            PrinterLanguage::Zpl => zpl::render(label, dpi, copies)?,
            PrinterLanguage::Tspl => tspl::render(label, dpi, copies)?,
        });
    }
    Ok(job.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn box_label(barcode: &str) -> BoundLabel {
        LabelTemplate::StorageBox
            .bind(&LabelData::StorageBox(BoxLabel {
                box_name: "Box 1".into(),
                box_barcode: barcode.into(),
                location: "Freezer 1 / Rack 1".into(),
            }))
            .unwrap()
    }

    #[test]
    fn a_batch_is_one_job_with_one_format_per_label() {
        let labels = [box_label("BX1101"), box_label("BX1102")];
        let zpl = String::from_utf8(
            render_for_printer(PrinterLanguage::Zpl, &labels, Dpi::D203, 1, None).unwrap(),
        )
        .unwrap();
        assert_eq!(
            (zpl.matches("^XA").count(), zpl.matches("^XZ").count()),
            (2, 2)
        );
        assert!(zpl.find("BX1101") < zpl.find("BX1102"));
        let tspl = String::from_utf8(
            render_for_printer(PrinterLanguage::Tspl, &labels, Dpi::D203, 1, None).unwrap(),
        )
        .unwrap();
        assert_eq!(tspl.matches("PRINT 1,1").count(), 2);
        assert!(matches!(
            render_for_printer(PrinterLanguage::Zpl, &[], Dpi::D203, 1, None),
            Err(LabelError::NoLabels)
        ));
    }

    #[test]
    fn darkness_goes_ahead_of_the_labels_in_each_language() {
        let labels = [box_label("BX1101")];
        let zpl =
            render_for_printer(PrinterLanguage::Zpl, &labels, Dpi::D203, 1, Some(25)).unwrap();
        assert!(zpl.starts_with(b"~SD25^XA"));
        let tspl =
            render_for_printer(PrinterLanguage::Tspl, &labels, Dpi::D203, 1, Some(25)).unwrap();
        assert!(tspl.starts_with(b"DENSITY 12\r\nSIZE "));
        let plain = render_for_printer(PrinterLanguage::Zpl, &labels, Dpi::D203, 1, None).unwrap();
        assert!(plain.starts_with(b"^XA"));
    }
}
