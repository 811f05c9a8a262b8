//! Parse time and peak memory of two large inputs, each beside the baseline of reading the
//! same file's bytes in the same run: a BMG MARS 1536-well plate (32 × 48, as `bmg_mars` reads
//! it) and a 100,000-row long CSV result set (`result_set`, semicolons, decimal commas,
//! censored values, flags). Both are generated here, deterministically, and written to a
//! temporary file.
//!
//! `cargo bench -p aliquot-instruments --bench parse` (`PARSE_BENCH_RUNS`, default 5: the
//! number of timed runs each median is taken over). Times are medians of `std::fs::read`
//! alone and of `std::fs::read` + parse; the file is read once before timing, so both come
//! from the page cache.
//!
//! The memory figure is the process's resident memory (RSS), not a count of heap bytes: the
//! growth of its peak over the first parse of each file, VmHWM after the parse less VmRSS
//! before it, the peak reset through /proc/self/clear_refs just before. Linux only: elsewhere,
//! or if /proc/self does not answer, it shows `n/a`. The file's bytes are read before it and
//! not counted. It counts every page that becomes resident during the parse, in 4 KiB pages:
//! the heap the parse touches, its result's included (still alive at the peak), with the
//! allocator's overhead and whatever it holds freed but does not hand back to the system; the
//! stack; and the parser's code and data, faulted in for the first time. It does not count
//! memory the allocator reuses that was already resident, freed by earlier work in the process
//! (generating the inputs, the first file's runs). That is why it is taken on the first parse,
//! before the timed ones: after a parse the allocator keeps much of what it freed, and a
//! second parse grows the RSS hardly at all.

use aliquot_instruments::result_set::{parse_result_set, ResultSetFormat};
use aliquot_instruments::{parse, ResultFormat};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// A `kB` field of /proc/self/status (`VmRSS:`, `VmHWM:`), in KiB; `None` if it cannot be
/// read (not Linux).
fn status_kib(field: &str) -> Option<usize> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// Resets VmHWM to the current RSS, so the next reading is the peak of what follows; `false`
/// if the kernel did not take it.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A deterministic stream of numbers (a 64-bit LCG, Knuth's constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// A BMG MARS absorbance export of a 1536-well plate, laid out as the fixture
/// `bmg_mars/16-03-03 16-54-03 472 ABS 384 QC.csv` (comma-separated, CRLF, a header of
/// `Key: value` cells, a title line, a row of column numbers, a line per plate row), every
/// well read.
fn bmg_mars_1536() -> String {
    let mut lcg = Lcg(1536);
    let pad = ",".repeat(47);
    let mut text = format!(
        "User: USER,Path: C:\\Program Files (x86)\\BMG\\PHERAstar\\User\\Data,Test run no.: 3{}\r\n\
         Test name: BENCH ABS 1536,Date: 03/03/2016,Time: 16:54:03{}\r\n\
         {pad}\r\nID1: BENCH-1536{pad}\r\nAbsorbance{pad}\r\n{pad}\r\nRaw Data (450){pad}\r\n{pad}\r\n",
        ",".repeat(45),
        ",".repeat(45),
    );
    let columns: Vec<String> = (1..=48).map(|c| c.to_string()).collect();
    text += &format!(",{}\r\n", columns.join(","));
    let rows = (b'A'..=b'Z')
        .map(|b| char::from(b).to_string())
        .chain(["AA", "AB", "AC", "AD", "AE", "AF"].map(String::from));
    for row in rows {
        text += &row;
        for _ in 0..48 {
            let milli = lcg.next() % 4000;
            text += &format!(",{}.{:03}", milli / 1000, milli % 1000);
        }
        text += "\r\n";
    }
    text
}

/// A long CSV result set of `rows` rows: semicolons, decimal commas, a unit, a flag now and
/// then, one value in 50 censored, one in 200 empty (as a partner lab's LIMS writes them).
fn long_csv(rows: usize) -> String {
    const ANALYTES: [(&str, &str); 8] = [
        ("CRP", "mg/L"),
        ("IL6", "pg/mL"),
        ("TNF", "pg/mL"),
        ("Ferritin", "ng/mL"),
        ("HbA1c", "mmol/mol"),
        ("Glucose", "mmol/L"),
        ("Creatinine", "µmol/L"),
        ("Cholesterol", "mmol/L"),
    ];
    let mut lcg = Lcg(100_000);
    let mut text = String::from("Sample Code;Test_Code;Result;Units;Comment\r\n");
    for i in 0..rows {
        let (analyte, unit) = ANALYTES[i % ANALYTES.len()];
        let draw = lcg.next();
        let value = match draw % 200 {
            0 => String::new(),
            1..=4 => "< 0,5".to_owned(),
            _ => format!("{},{:02}", draw % 500, (draw >> 9) % 100),
        };
        let flag = match draw % 37 {
            0 => "hemolysed",
            _ => "",
        };
        text += &format!(
            "BB-{:06}-{};{analyte};{value};{unit};{flag}\r\n",
            i / ANALYTES.len(),
            i % 10
        );
    }
    text
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn shown(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else {
        format!("{:.2} ms", micros / 1_000.0)
    }
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// What one input measured.
struct Figures {
    what: &'static str,
    items: usize,
    size: usize,
    read: Duration,
    parse: Duration,
    /// The growth of the process's peak RSS over one parse, in KiB; `None` where
    /// /proc/self cannot tell it.
    peak_kib: Option<usize>,
}

/// One `parse` of `bytes`, and the growth of the process's peak resident memory over it, in
/// KiB: VmHWM after the parse less VmRSS before it, the peak first reset to the RSS of the
/// moment.
fn parse_peak(bytes: &[u8], parse: &impl Fn(&[u8]) -> usize) -> (usize, Option<usize>) {
    let reset = reset_peak();
    let before = status_kib("VmRSS:");
    let items = parse(black_box(bytes));
    let peak = status_kib("VmHWM:");
    let growth = match (reset, before, peak) {
        (true, Some(before), Some(peak)) => Some(peak.saturating_sub(before)),
        _ => None,
    };
    (items, growth)
}

/// The peak RSS growth of the first parse of the bytes of `path`, read beforehand, then
/// `fs::read` and `fs::read` + `parse` of `path` timed over `runs` runs each. `parse` answers
/// how many items it read.
fn measure(
    what: &'static str,
    path: &Path,
    runs: usize,
    parse: impl Fn(&[u8]) -> usize,
) -> Figures {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // The memory first: once a parse has run, the allocator keeps what it freed resident and
    // the next parse grows the RSS hardly at all.
    let (items, peak_kib) = parse_peak(&bytes, &parse);
    let mut reads = Vec::with_capacity(runs);
    let mut parses = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let read = std::fs::read(path).unwrap_or_default();
        black_box(&read);
        reads.push(started.elapsed());
        drop(read);

        let started = Instant::now();
        let read = std::fs::read(path).unwrap_or_default();
        let n = parse(black_box(&read));
        parses.push(started.elapsed());
        assert_eq!(n, items, "{what}: a run read a different number of items");
    }
    Figures {
        what,
        items,
        size: bytes.len(),
        read: median(reads),
        parse: median(parses),
        peak_kib,
    }
}

fn main() {
    let runs: usize = std::env::var("PARSE_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let plate = dir.path().join("bmg_mars_1536.csv");
    std::fs::write(&plate, bmg_mars_1536()).expect("the plate file written");
    let results = dir.path().join("long_100000.csv");
    std::fs::write(&results, long_csv(100_000)).expect("the result set written");

    let started = Instant::now();
    let figures = [
        measure("BMG MARS 1536-well plate", &plate, runs, |bytes| {
            parse(ResultFormat::BmgMars, bytes, None)
                .expect("the plate read")
                .len()
        }),
        measure("long CSV, 100,000 rows", &results, runs, |bytes| {
            parse_result_set(ResultSetFormat::LongCsv, bytes)
                .expect("the result set read")
                .len()
        }),
    ];
    let total = started.elapsed();

    println!(
        "parse: median of {runs} runs each; read = std::fs::read of the file (page cache warm)"
    );
    println!(
        "{:<26} {:>8} {:>10} {:>11} {:>12} {:>7} {:>13}",
        "what", "items", "file size", "read", "read+parse", "ratio", "peak RSS grew"
    );
    for f in &figures {
        println!(
            "{:<26} {:>8} {:>7.2} MB {:>11} {:>12} {:>6.0}× {:>13}",
            f.what,
            f.items,
            mb(f.size),
            shown(f.read),
            shown(f.parse),
            f.parse.as_secs_f64() / f.read.as_secs_f64().max(1e-9),
            f.peak_kib.map_or_else(
                || "n/a".to_owned(),
                |kib| format!("{:.1} MB", mb(kib * 1024))
            ),
        );
    }
    for f in &figures {
        let peak = f.peak_kib.map_or_else(
            || "peak RSS growth not measured (no /proc/self)".to_owned(),
            |kib| {
                format!(
                    "peak RSS growth {:.1}× the file",
                    (kib * 1024) as f64 / f.size.max(1) as f64
                )
            },
        );
        println!(
            "{}: {peak}, {:.0} ns of parse per item",
            f.what,
            f.parse.saturating_sub(f.read).as_secs_f64() * 1e9 / f.items.max(1) as f64,
        );
    }
    println!("measured in {:.1} s", total.as_secs_f64());
}
