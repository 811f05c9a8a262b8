//! Drivers over real pseudo-terminals (there is no USB bus or serial hardware here).
//! `TTYPort::pair` is not thread-safe, so these tests take a lock.

use aliquot_devices::scanner::framing::{FramingSettings, ScanRefusal, Terminator};
use aliquot_devices::scanner::serial::{ScanEvent, SerialScanner};
use serialport::{SerialPort, TTYPort};
use std::io::Write;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

static PTY: Mutex<()> = Mutex::new(());

fn pair() -> (TTYPort, TTYPort) {
    let (mut scanner_end, mut host_end) = TTYPort::pair().expect("a pseudo-terminal pair");
    for end in [&mut scanner_end, &mut host_end] {
        end.set_baud_rate(115_200).expect("baud");
    }
    (scanner_end, host_end)
}

fn collect(rx: &mpsc::Receiver<ScanEvent>, n: usize) -> Vec<ScanEvent> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(e) => got.push(e),
            Err(_) => break,
        }
    }
    got
}

#[test]
fn a_thousand_scans_with_mixed_terminators_arrive_none_lost_or_merged() {
    let _guard = PTY.lock().unwrap();
    let (mut scanner, host) = pair();
    let (tx, rx) = mpsc::channel();
    let reader = SerialScanner::start(
        Box::new(host),
        "pty".into(),
        FramingSettings {
            terminator: Terminator::Any,
            ..FramingSettings::default()
        },
        move |e| {
            let _ = tx.send(e);
        },
    );
    let codes: Vec<String> = (0..1000).map(|i| format!("AQ{i:06}")).collect();
    let ends: [&[u8]; 3] = [b"\r", b"\n", b"\r\n"];
    // Written in uneven bursts, as a scanner's USB-CDC link delivers them.
    let mut stream = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        stream.extend_from_slice(code.as_bytes());
        stream.extend_from_slice(ends[i % 3]);
    }
    for chunk in stream.chunks(61) {
        scanner.write_all(chunk).unwrap();
    }
    scanner.flush().unwrap();
    let got = collect(&rx, codes.len());
    reader.stop();
    let texts: Vec<String> = got
        .into_iter()
        .map(|e| match e {
            ScanEvent::Scanned { text, .. } => text,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(texts.len(), 1000, "lost or merged scans");
    assert_eq!(texts, codes);
}

#[test]
fn junk_and_an_endless_line_do_not_stop_the_reader() {
    let _guard = PTY.lock().unwrap();
    let (mut scanner, host) = pair();
    let (tx, rx) = mpsc::channel();
    let reader = SerialScanner::start(
        Box::new(host),
        "pty".into(),
        FramingSettings::default(),
        move |e| {
            let _ = tx.send(e);
        },
    );
    let junk: Vec<u8> = (0..200_000u32).map(|i| b'A' + (i % 26) as u8).collect();
    scanner.write_all(&junk).unwrap();
    scanner.write_all(b"\r\x01\x02\x03\rAQ000001X\r").unwrap();
    scanner.flush().unwrap();
    let got = collect(&rx, 3);
    reader.stop();
    assert!(
        matches!(
            &got[0],
            ScanEvent::Refused {
                refusal: ScanRefusal::TooLong { .. },
                ..
            }
        ),
        "{got:?}"
    );
    assert!(
        matches!(
            &got[1],
            ScanEvent::Refused {
                refusal: ScanRefusal::ControlCharacter { byte: 1 },
                ..
            }
        ),
        "{got:?}"
    );
    assert_eq!(
        got[2],
        ScanEvent::Scanned {
            source: "pty".into(),
            text: "AQ000001X".into()
        }
    );
}
