//! A picture of a label for the UI: an SVG string in millimetres, drawn from the same
//! shapes as the PDF (codes module by module, text in Courier Bold at the fitted size).
//!
//! It shows what the office-printer PDF will look like; a thermal printer sets the same
//! text in its own font (ZPL font 0, TSPL bitmap fonts), so line lengths there differ a
//! little, but a label that previews is one that every renderer accepts or refuses alike
//! for fit. SVG rather than PNG: no raster dependency, and the UI scales it crisply.

use crate::error::LabelError;
use crate::template::BoundLabel;
use crate::vector::{self, Shape};
use std::fmt::Write as _;

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Three decimals of a millimetre: a micrometre, far below what any printer resolves.
fn n(v: f32) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// The label as a standalone SVG document for the screen, `width`/`height` in mm, on white
/// with a grey outline where the stock ends.
pub fn svg(label: &BoundLabel) -> Result<String, LabelError> {
    drawing(label, true)
}

/// The same for printing onto a sheet of label stock: no background and no outline, which
/// would print along the label's edge.
pub fn print_svg(label: &BoundLabel) -> Result<String, LabelError> {
    drawing(label, false)
}

fn drawing(label: &BoundLabel, outlined: bool) -> Result<String, LabelError> {
    let shapes = vector::draw(label)?;
    let (w, h) = label.template.size_mm();
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}mm\" height=\"{h}mm\" \
         viewBox=\"0 0 {w} {h}\">",
        w = n(w),
        h = n(h)
    );
    if outlined {
        let _ = write!(
            out,
            "<rect width=\"{}\" height=\"{}\" fill=\"#fff\" stroke=\"#999\" stroke-width=\"0.1\"/>",
            n(w),
            n(h)
        );
    }
    let mut path = String::new();
    for shape in &shapes {
        if let Shape::Rect { x, y, w, h } = shape {
            let _ = write!(path, "M{} {}h{}v{}h-{}z", n(*x), n(*y), n(*w), n(*h), n(*w));
        }
    }
    if !path.is_empty() {
        let _ = write!(out, "<path fill=\"#000\" d=\"{path}\"/>");
    }
    for shape in &shapes {
        if let Shape::Text {
            x,
            baseline,
            size,
            text,
        } = shape
        {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" font-family=\"Courier New, Courier, monospace\" \
                 font-weight=\"bold\" font-size=\"{}\" xml:space=\"preserve\">{}</text>",
                n(*x),
                n(*baseline),
                n(*size),
                xml_escape(text)
            );
        }
    }
    out.push_str("</svg>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_data_is_escaped() {
        assert_eq!(xml_escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&apos;");
    }

    #[test]
    fn the_print_drawing_is_the_screen_drawing_without_its_outline() {
        use crate::{LabelData, LabelTemplate, SampleLabel, Symbology};
        let label = LabelTemplate::Cryovial(Symbology::DataMatrix)
            .bind(&LabelData::Sample(SampleLabel {
                sample_code: "AQ000042X".into(),
                participant_code: "P10000X".into(),
                sample_type_code: "PL".into(),
                sample_type_label: "Plasma".into(),
                collected_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
                site: "North".into(),
                event: "Baseline".into(),
            }))
            .unwrap();
        let (screen, print) = (svg(&label).unwrap(), print_svg(&label).unwrap());
        assert!(screen.contains("stroke=\"#999\""));
        assert!(!print.contains("<rect"));
        let outline = screen
            .split("<rect")
            .nth(1)
            .and_then(|r| r.split_once("/>"))
            .map(|(r, _)| format!("<rect{r}/>"))
            .unwrap();
        assert_eq!(screen.replace(&outline, ""), print);
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(n(1.5), "1.5");
        assert_eq!(n(2.0), "2");
        assert_eq!(n(0.1234), "0.123");
    }
}
