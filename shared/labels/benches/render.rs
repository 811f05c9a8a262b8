//! How fast labels are made, beside how fast the link to the printer can carry them.
//!
//! Printed, not asserted (timings belong in a report, not a test). For each printer
//! template: ZPL bytes per label, labels rendered per second, and the labels per second a
//! 9600 and a 115200 baud serial link (8N1: 10 bits per byte) can carry, which is the
//! baseline the render rate must beat. Then the time to build an A4 PDF sheet of 96 labels
//! beside the time its bytes take on those links. Run with
//! `cargo bench -p aliquot-labels --bench render`.

use aliquot_domain::numbering;
use aliquot_labels::{
    pdf, tspl, zpl, BoxLabel, Dpi, LabelData, LabelTemplate, SampleLabel, SheetLayout, Symbology,
};
use chrono::NaiveDate;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn sample(n: i64) -> LabelData {
    LabelData::Sample(SampleLabel {
        sample_code: numbering::sample_code("AQ", 6, n).expect("code"),
        participant_code: numbering::participant_code(10000 + n),
        sample_type_code: "PL".into(),
        sample_type_label: "Plasma".into(),
        collected_on: NaiveDate::from_ymd_opt(2026, 1, 31).expect("date"),
        site: "North Regional Site".into(),
        event: "Baseline visit".into(),
    })
}

fn data_for(template: LabelTemplate, n: i64) -> LabelData {
    match template {
        LabelTemplate::StorageBox => LabelData::StorageBox(BoxLabel {
            box_name: format!("Plasma box {n}"),
            box_barcode: format!("BX-{n:06}"),
            location: "Freezer 3 / Rack B / Shelf 2".into(),
        }),
        _ => sample(n),
    }
}

/// Seconds the bytes take on a serial link at `baud`, 10 bits per byte.
fn serial_seconds(bytes: usize, baud: u32) -> f64 {
    bytes as f64 * 10.0 / f64::from(baud)
}

fn time<F: FnMut()>(min: Duration, mut f: F) -> (u64, Duration) {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < min {
        f();
        n += 1;
    }
    (n, start.elapsed())
}

fn main() {
    println!(
        "machine: {} cores; release={}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        !cfg!(debug_assertions)
    );
    println!(
        "{:<22} {:>5} {:>7} {:>12} {:>11} {:>11}",
        "template (ZPL)", "dpi", "B/label", "labels/s", "9600 bd/s", "115200 bd/s"
    );
    for template in LabelTemplate::ALL {
        for dpi in [Dpi::D203, Dpi::D300] {
            let labels: Vec<_> = (0..1000)
                .map(|i| template.bind(&data_for(template, i)).expect("binds"))
                .collect();
            let bytes: usize = labels
                .iter()
                .map(|l| zpl::render(l, dpi, 1).expect("zpl").len())
                .sum();
            let per_label = bytes / labels.len();
            let mut i = 0;
            let (n, elapsed) = time(Duration::from_millis(700), || {
                black_box(zpl::render(&labels[i % labels.len()], dpi, 1).expect("zpl"));
                i += 1;
            });
            let rate = n as f64 / elapsed.as_secs_f64();
            println!(
                "{:<22} {:>5} {:>7} {:>12.0} {:>11.1} {:>11.1}",
                template.name(),
                dpi.dpi(),
                per_label,
                rate,
                1.0 / serial_seconds(per_label, 9600),
                1.0 / serial_seconds(per_label, 115_200)
            );
        }
    }

    // Binding included: what a print job costs from record to bytes.
    let template = LabelTemplate::Cryovial(Symbology::DataMatrix);
    let mut i = 0;
    let (n, elapsed) = time(Duration::from_millis(700), || {
        let label = template.bind(&sample(i)).expect("binds");
        black_box(tspl::render(&label, Dpi::D203, 1).expect("tspl"));
        i += 1;
    });
    println!(
        "bind + TSPL cryovial-datamatrix 203 dpi: {:.0} labels/s",
        n as f64 / elapsed.as_secs_f64()
    );

    for symbology in [Symbology::QrCode, Symbology::DataMatrix] {
        let labels: Vec<_> = (0..96)
            .map(|i| {
                LabelTemplate::Cryovial(symbology)
                    .bind(&sample(i))
                    .expect("binds")
            })
            .collect();
        let layout = SheetLayout::a4_cryovial_96();
        let mut size = 0;
        let (n, elapsed) = time(Duration::from_secs(2), || {
            size = black_box(pdf::sheet(&labels, &layout).expect("sheet")).len();
        });
        let per_sheet = elapsed.as_secs_f64() / n as f64;
        println!(
            "PDF A4 sheet, 96 {:?} labels: {:.1} ms to build, {} bytes \
             ({:.1} s at 9600 baud, {:.2} s at 115200 baud)",
            symbology,
            per_sheet * 1000.0,
            size,
            serial_seconds(size, 9600),
            serial_seconds(size, 115_200)
        );
    }
}
