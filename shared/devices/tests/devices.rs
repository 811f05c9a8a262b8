//! Drivers over real pseudo-terminals (there is no USB bus or serial hardware here).
//! `TTYPort::pair` is not thread-safe, so these tests take a lock.

use aliquot_devices::scanner::framing::{FramingSettings, ScanRefusal, Terminator};
use aliquot_devices::scanner::reader::ScanEvent;
use aliquot_devices::scanner::serial;
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
    let reader = serial::start(
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
    let reader = serial::start(
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

mod printers {
    use super::*;
    use aliquot_devices::printer::link::{SerialLink, TcpLink};
    use aliquot_devices::printer::status::{
        host_status_answer, parse_host_status, HostStatus, PrinterFault, HOST_STATUS,
    };
    use aliquot_devices::printer::{LinkError, PrinterLink};
    use std::io::Read;
    use std::net::TcpListener;

    const JOB: &[u8] = b"^XA^CI28^FO20,20^FH^FDAQ000001X^FS^XZ";

    #[test]
    fn a_serial_printer_gets_the_job_byte_for_byte_and_its_faults_are_read() {
        let _guard = PTY.lock().unwrap();
        let (mut printer, host) = pair();
        let mut link = SerialLink::from_port(Box::new(host));
        let job: Vec<u8> = JOB.iter().copied().cycle().take(20_000).collect();
        let expected = job.clone();
        let reader = std::thread::spawn(move || {
            printer.set_timeout(Duration::from_millis(200)).unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while got.len() < expected.len() + HOST_STATUS.len() {
                match printer.read(&mut buf) {
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(e) => panic!("{e}"),
                }
            }
            // Answer ~HS: paper out and head open.
            let status = HostStatus {
                paper_out: true,
                head_open: true,
                ..HostStatus::default()
            };
            printer.write_all(&host_status_answer(&status)).unwrap();
            // Hand the port back so it stays open until the answer has been read.
            (got, printer)
        });
        link.send(&job).unwrap();
        let answer = link.query(HOST_STATUS, 3, Duration::from_secs(5)).unwrap();
        let (received, _printer) = reader.join().unwrap();
        assert_eq!(
            &received[..job.len()],
            &job[..],
            "the job arrives byte for byte"
        );
        assert_eq!(&received[job.len()..], HOST_STATUS);
        let status = parse_host_status(&answer).unwrap();
        assert_eq!(
            status.faults(),
            vec![PrinterFault::PaperOut, PrinterFault::HeadOpen]
        );
    }

    #[test]
    fn a_tcp_printer_gets_the_job_and_answers_status() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let printer = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            while !got.ends_with(HOST_STATUS) {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0);
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(&host_status_answer(&HostStatus::default()))
                .unwrap();
            got
        });
        let mut link = TcpLink::new("127.0.0.1", port);
        link.send(JOB).unwrap();
        let answer = link.query(HOST_STATUS, 3, Duration::from_secs(5)).unwrap();
        assert!(parse_host_status(&answer).unwrap().faults().is_empty());
        let got = printer.join().unwrap();
        assert_eq!(&got[..JOB.len()], JOB);
    }

    #[test]
    fn an_unreachable_tcp_printer_says_so() {
        // Nothing listens on this port (bound, then closed).
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut link = TcpLink::new("127.0.0.1", port);
        assert!(matches!(link.send(JOB), Err(LinkError::Unreachable(_))));
    }
}
