//! Serial and USB-CDC scanners: a reader thread per port feeds the framer and hands each
//! result to a sink. The thread reads with a short timeout so it notices a stop request,
//! and the sink must not block (the API forwards to a broadcast channel), so a stalled UI
//! never stalls the scanner.

use super::framing::{FramingSettings, ScanFramer, ScanRefusal};
use crate::DeviceError;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FlowControl {
    #[default]
    None,
    Software,
    Hardware,
}

/// A workstation's serial scanner setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SerialScannerSettings {
    /// e.g. /dev/ttyACM0
    pub port: String,
    pub baud: u32,
    pub flow_control: FlowControl,
    pub framing: FramingSettings,
}

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

/// A running reader; stops when dropped.
pub struct SerialScanner {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

const READ_TIMEOUT: Duration = Duration::from_millis(50);

impl SerialScanner {
    pub fn open(
        settings: &SerialScannerSettings,
        sink: impl Fn(ScanEvent) + Send + 'static,
    ) -> Result<Self, DeviceError> {
        let flow = match settings.flow_control {
            FlowControl::None => serialport::FlowControl::None,
            FlowControl::Software => serialport::FlowControl::Software,
            FlowControl::Hardware => serialport::FlowControl::Hardware,
        };
        let port = serialport::new(&settings.port, settings.baud)
            .flow_control(flow)
            .timeout(READ_TIMEOUT)
            .open()
            .map_err(|e| DeviceError::from_serial(&settings.port, e))?;
        Ok(Self::start(
            port,
            settings.port.clone(),
            settings.framing.clone(),
            sink,
        ))
    }

    /// Reads an already open port (a pseudo-terminal in tests).
    pub fn start(
        mut port: Box<dyn serialport::SerialPort>,
        source: String,
        framing: FramingSettings,
        sink: impl Fn(ScanEvent) + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("scanner {source}"))
            .spawn(move || {
                let _ = port.set_timeout(READ_TIMEOUT);
                let mut framer = ScanFramer::new(framing);
                let mut buf = [0u8; 512];
                while !stopping.load(Ordering::Relaxed) {
                    match port.read(&mut buf) {
                        Ok(0) => continue,
                        Ok(n) => {
                            for result in framer.feed(&buf[..n]) {
                                sink(match result {
                                    Ok(text) => ScanEvent::Scanned {
                                        source: source.clone(),
                                        text,
                                    },
                                    Err(refusal) => ScanEvent::Refused {
                                        source: source.clone(),
                                        refusal,
                                    },
                                });
                            }
                        }
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::TimedOut
                                    | std::io::ErrorKind::Interrupted
                                    | std::io::ErrorKind::WouldBlock
                            ) =>
                        {
                            continue
                        }
                        Err(e) => {
                            sink(ScanEvent::Disconnected {
                                source: source.clone(),
                                reason: e.to_string(),
                            });
                            break;
                        }
                    }
                }
            })
            .ok();
        SerialScanner { stop, thread }
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

impl Drop for SerialScanner {
    fn drop(&mut self) {
        self.halt();
    }
}
