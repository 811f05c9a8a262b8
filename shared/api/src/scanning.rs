//! Scans from device scanners reach the UI as core events, on both transports: each is
//! framed and validated by the driver, classified here (command, our code with its check
//! character verified, GS1, other), and published. The UI looks a code up with
//! `lookup_scan` in the workflow on screen.

use crate::dto::CoreEvent;
use crate::error::capitalised;
use crate::{Api, ApiError};
use aliquot_devices::scanner::classify::{classify, CodeShapes, ScanKind};
use aliquot_devices::scanner::framing::{FramingSettings, ScanFramer};
use aliquot_devices::scanner::reader::{ScanEvent, ScannerReader};
use aliquot_devices::scanner::{hid_pos, serial};
use aliquot_domain::numbering::BlockKind;
use aliquot_domain::scanning::ScannerSettings;
use aliquot_domain::Permission;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use ts_rs::TS;

/// A scan as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "result", rename_all = "snake_case")]
#[ts(export)]
pub enum ScanResult {
    Accepted { text: String, kind: ScanKindView },
    Refused { message: String },
}

/// What kind of code was scanned (the classification, without the text repeated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ScanKindView {
    Confirm,
    Cancel,
    NextBox,
    Undo,
    SampleCode,
    ParticipantCode,
    Gs1,
    Other,
}

fn result_of(text: String, shapes: &CodeShapes) -> ScanResult {
    use aliquot_devices::scanner::classify::ScanCommand as C;
    match classify(&text, shapes) {
        Ok(kind) => {
            let (text, kind) = match kind {
                ScanKind::Command { command } => (
                    text,
                    match command {
                        C::Confirm => ScanKindView::Confirm,
                        C::Cancel => ScanKindView::Cancel,
                        C::NextBox => ScanKindView::NextBox,
                        C::Undo => ScanKindView::Undo,
                    },
                ),
                ScanKind::SampleCode { code } => (code, ScanKindView::SampleCode),
                ScanKind::ParticipantCode { code } => (code, ScanKindView::ParticipantCode),
                ScanKind::Gs1 { text } => (text, ScanKindView::Gs1),
                ScanKind::Other { text } => (text, ScanKindView::Other),
            };
            ScanResult::Accepted { text, kind }
        }
        Err(refusal) => ScanResult::Refused {
            message: capitalised(&refusal.to_string()),
        },
    }
}

impl Api {
    /// The sample-code shapes of this lab's blocks, for classifying scans.
    pub async fn code_shapes(&self) -> Result<CodeShapes, ApiError> {
        let blocks = self.store().blocks_of_numbering(false).await?;
        let mut sample_prefixes: Vec<(String, u8)> = blocks
            .into_iter()
            .filter(|b| matches!(b.block.kind, BlockKind::Sample | BlockKind::Preprinted))
            .map(|b| (b.block.prefix, b.block.digits))
            .collect();
        sample_prefixes.sort();
        sample_prefixes.dedup();
        Ok(CodeShapes { sample_prefixes })
    }

    /// Publishes raw scanner bytes from `source` (framed, validated, classified).
    pub fn publish_scanner_bytes(
        &self,
        source: &str,
        framer: &mut ScanFramer,
        bytes: &[u8],
        shapes: &CodeShapes,
    ) {
        for framed in framer.feed(bytes) {
            let scan = match framed {
                Ok(text) => result_of(text, shapes),
                Err(refusal) => ScanResult::Refused {
                    message: capitalised(&refusal.to_string()),
                },
            };
            self.emit(CoreEvent::Scanned {
                source: source.to_owned(),
                scan,
            });
        }
    }

    /// Starts reading the scanner `settings` name; its scans become `scanned` core events
    /// until the returned reader is dropped.
    pub async fn attach_scanner(
        &self,
        settings: &ScannerSettings,
    ) -> Result<ScannerReader, ApiError> {
        let shapes = self.code_shapes().await?;
        let api = self.clone();
        let settings = settings.clone();
        let sink = move |event| api.emit(scan_event(event, &shapes));
        tokio::task::spawn_blocking(move || match &settings {
            ScannerSettings::Serial(serial) => serial::open(serial, sink),
            ScannerSettings::UsbHidPos {
                vendor_id,
                product_id,
                framing,
            } => hid_pos::open(*vendor_id, *product_id, framing, sink),
        })
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::new(crate::ErrorCode::Conflict, capitalised(&e.to_string())))
    }

    /// Reads an already open port (a pseudo-terminal in tests) like `attach_scanner`.
    pub async fn attach_scanner_port(
        &self,
        port: Box<dyn serialport::SerialPort>,
        source: &str,
        framing: FramingSettings,
    ) -> Result<ScannerReader, ApiError> {
        let shapes = self.code_shapes().await?;
        let api = self.clone();
        Ok(serial::start(
            port,
            source.to_owned(),
            framing,
            move |event| api.emit(scan_event(event, &shapes)),
        ))
    }

    /// The scanner's state as the supervisor last saw it.
    pub async fn scanner_status(
        &self,
        token: Option<&str>,
        _args: crate::dto::NoArgs,
    ) -> Result<ScannerStatus, ApiError> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self.scanner_state())
    }

    /// One look at the scanner setting: attaches the configured scanner, re-attaches one
    /// that was unplugged, follows a changed setting, and publishes the state when it
    /// changes. `current` is the supervisor's reader.
    pub async fn supervise_scanner(&self, current: &mut Option<(ScannerSettings, ScannerReader)>) {
        let wanted = match self.store().settings().await {
            Ok(settings) => settings.scanner,
            Err(e) => {
                tracing::error!(error = %e, "reading the scanner setting");
                return;
            }
        };
        if let Some((settings, reader)) = current.as_ref() {
            if Some(settings) == wanted.as_ref() && reader.is_running() {
                return;
            }
        }
        // Dropping the reader stops its thread and closes the port.
        *current = None;
        let status = match wanted {
            None => ScannerStatus::NotConfigured,
            Some(settings) => {
                let source = settings.source();
                match self.attach_scanner(&settings).await {
                    Ok(reader) => {
                        *current = Some((settings, reader));
                        ScannerStatus::Connected { source }
                    }
                    Err(e) => ScannerStatus::Unavailable {
                        source,
                        problem: e.message,
                    },
                }
            }
        };
        self.set_scanner_state(status);
    }

    /// Keeps the configured scanner attached for as long as the app runs: call once from
    /// a binary. It looks again when settings change and every few seconds, so a scanner
    /// plugged in later is picked up without a restart.
    pub async fn run_scanner(self) {
        let mut events = self.subscribe();
        let mut current = None;
        loop {
            self.supervise_scanner(&mut current).await;
            let _ = tokio::time::timeout(Duration::from_secs(3), async {
                while let Ok(event) = events.recv().await {
                    if matches!(event, CoreEvent::SettingsChanged) {
                        break;
                    }
                }
            })
            .await;
        }
    }
}

/// Whether this workstation's device scanner is reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum ScannerStatus {
    /// No serial or HID POS scanner is set (a keyboard-wedge scanner needs none).
    NotConfigured,
    Connected {
        source: String,
    },
    /// Set but cannot be opened: why, and what to do.
    Unavailable {
        source: String,
        problem: String,
    },
}

fn scan_event(event: ScanEvent, shapes: &CodeShapes) -> CoreEvent {
    match event {
        ScanEvent::Scanned { source, text } => CoreEvent::Scanned {
            source,
            scan: result_of(text, shapes),
        },
        ScanEvent::Refused { source, refusal } => CoreEvent::Scanned {
            source,
            scan: ScanResult::Refused {
                message: capitalised(&refusal.to_string()),
            },
        },
        ScanEvent::Disconnected { source, reason } => CoreEvent::Scanned {
            source: source.clone(),
            scan: ScanResult::Refused {
                message: format!(
                    "The scanner on {source} was disconnected ({reason}); check its cable."
                ),
            },
        },
    }
}
