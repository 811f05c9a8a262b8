//! Serial and USB-CDC scanners: bytes from the port go through the framer.

use super::framing::{Framed, FramingSettings, ScanFramer};
use super::reader::{ScanEvent, ScanSource, ScannerReader, READ_TIMEOUT};
use crate::DeviceError;

pub use aliquot_domain::scanning::{FlowControl, SerialScannerSettings};

struct SerialSource {
    port: Box<dyn serialport::SerialPort>,
    framer: ScanFramer,
    buf: [u8; 512],
}

impl ScanSource for SerialSource {
    fn next_scans(&mut self) -> std::io::Result<Vec<Framed>> {
        match std::io::Read::read(&mut self.port, &mut self.buf) {
            Ok(n) => Ok(self.framer.feed(&self.buf[..n])),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                        | std::io::ErrorKind::WouldBlock
                ) =>
            {
                Ok(Vec::new())
            }
            Err(e) => Err(e),
        }
    }
}

/// Opens the port and starts reading it.
pub fn open(
    settings: &SerialScannerSettings,
    sink: impl Fn(ScanEvent) + Send + 'static,
) -> Result<ScannerReader, DeviceError> {
    let flow = match settings.flow_control {
        FlowControl::None => serialport::FlowControl::None,
        FlowControl::Software => serialport::FlowControl::Software,
        FlowControl::Hardware => serialport::FlowControl::Hardware,
    };
    let real = crate::device_path::check_device_path(
        &settings.port,
        crate::device_path::DevicePathKind::SerialPort,
    )?;
    let port = serialport::new(real.to_string_lossy(), settings.baud)
        .flow_control(flow)
        .timeout(READ_TIMEOUT)
        .open()
        .map_err(|e| DeviceError::from_serial(&settings.port, e))?;
    Ok(start(
        port,
        settings.port.clone(),
        settings.framing.clone(),
        sink,
    ))
}

/// Reads an already open port (a pseudo-terminal in tests).
pub fn start(
    mut port: Box<dyn serialport::SerialPort>,
    name: String,
    framing: FramingSettings,
    sink: impl Fn(ScanEvent) + Send + 'static,
) -> ScannerReader {
    let _ = port.set_timeout(READ_TIMEOUT);
    let source = SerialSource {
        port,
        framer: ScanFramer::new(framing),
        buf: [0; 512],
    };
    ScannerReader::start(source, name, sink)
}
