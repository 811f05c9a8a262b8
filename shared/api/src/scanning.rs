//! Scans from device scanners reach the UI as core events, on both transports: each is
//! framed and validated by the driver, classified here (command, our code with its check
//! character verified, GS1, other), and published. The UI looks a code up with
//! `lookup_scan` in the workflow on screen.

use crate::dto::CoreEvent;
use crate::{Api, ApiError};
use aliquot_devices::scanner::classify::{classify, CodeShapes, ScanKind};
use aliquot_devices::scanner::framing::{FramingSettings, ScanFramer};
use aliquot_devices::scanner::serial::{ScanEvent, SerialScanner, SerialScannerSettings};
use aliquot_domain::numbering::BlockKind;
use serde::{Deserialize, Serialize};
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

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect::<String>() + ".")
        .unwrap_or_default()
}

impl Api {
    /// The sample-code shapes of this lab's blocks, for classifying scans.
    pub async fn code_shapes(&self) -> Result<CodeShapes, ApiError> {
        let blocks = self.store().number_blocks().await?;
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

    /// Starts reading a serial scanner; its scans become `scanned` core events until the
    /// returned reader is dropped.
    pub async fn attach_serial_scanner(
        &self,
        settings: &SerialScannerSettings,
    ) -> Result<SerialScanner, ApiError> {
        let shapes = self.code_shapes().await?;
        let api = self.clone();
        SerialScanner::open(settings, move |event| api.emit(scan_event(event, &shapes)))
            .map_err(|e| ApiError::new(crate::ErrorCode::Conflict, capitalised(&e.to_string())))
    }

    /// Reads an already open port (a pseudo-terminal in tests) like `attach_serial_scanner`.
    pub async fn attach_scanner_port(
        &self,
        port: Box<dyn serialport::SerialPort>,
        source: &str,
        framing: FramingSettings,
    ) -> Result<SerialScanner, ApiError> {
        let shapes = self.code_shapes().await?;
        let api = self.clone();
        Ok(SerialScanner::start(
            port,
            source.to_owned(),
            framing,
            move |event| api.emit(scan_event(event, &shapes)),
        ))
    }
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
