//! One reader thread per attached scanner, whatever its connection: it pulls framed scans
//! from the connection and hands each to a sink. The connection reads with a short timeout
//! so the thread notices a stop request, and the sink must not block (the API forwards to a
//! broadcast channel), so a stalled UI never stalls the scanner.

use super::framing::{Framed, ScanRefusal};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use ts_rs::TS;

/// How long one read waits before the thread checks whether it should stop.
pub const READ_TIMEOUT: Duration = Duration::from_millis(50);

/// What a scanner reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum ScanEvent {
    Scanned {
        source: String,
        text: String,
    },
    Refused {
        source: String,
        refusal: ScanRefusal,
    },
    Disconnected {
        source: String,
        reason: String,
    },
}

/// A scanner connection: each call waits at most about [`READ_TIMEOUT`] and returns the
/// scans completed meanwhile (often none). An error means the scanner is gone.
pub trait ScanSource: Send + 'static {
    fn next_scans(&mut self) -> std::io::Result<Vec<Framed>>;
}

/// A running reader; stops when dropped.
pub struct ScannerReader {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScannerReader {
    pub fn start(
        mut source: impl ScanSource,
        name: String,
        sink: impl Fn(ScanEvent) + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("scanner {name}"))
            .spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    match source.next_scans() {
                        Ok(scans) => {
                            for result in scans {
                                sink(match result {
                                    Ok(text) => ScanEvent::Scanned {
                                        source: name.clone(),
                                        text,
                                    },
                                    Err(refusal) => ScanEvent::Refused {
                                        source: name.clone(),
                                        refusal,
                                    },
                                });
                            }
                        }
                        Err(e) => {
                            sink(ScanEvent::Disconnected {
                                source: name.clone(),
                                reason: e.to_string(),
                            });
                            break;
                        }
                    }
                }
            })
            .ok();
        ScannerReader { stop, thread }
    }

    /// Whether the reader still runs (it ends when its scanner is disconnected).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ScannerReader {
    fn drop(&mut self) {
        self.halt();
    }
}
