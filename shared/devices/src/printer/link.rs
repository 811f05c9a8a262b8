//! The transports a label printer is reached by, behind one trait: raw TCP 9100, a serial
//! port, a device file such as `/dev/usb/lp0`, and a fake that records what it was sent.

use super::status::Frames;
use crate::DeviceError;
pub use aliquot_domain::printing::PrinterAddress;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the printer could not be reached: {0}")]
    Unreachable(String),
    #[error("the connection to the printer broke: {0}")]
    Broken(String),
    #[error("the printer did not answer in time")]
    NoAnswer,
    #[error("this connection cannot read answers from the printer")]
    WriteOnly,
}

/// A connection to one printer.
pub trait PrinterLink: Send {
    /// Sends a whole job. Either every byte was handed to the link, or an error says the
    /// job did not complete (the caller sends the whole job again).
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError>;
    /// Sends a request such as `~HS` and collects `frames` STX…ETX answers.
    fn query(
        &mut self,
        request: &[u8],
        frames: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, LinkError>;
    /// Whether `query` can work on this link.
    fn reads_back(&self) -> bool;
}

/// Opens a link. Fakes are looked up in `fakes` by name.
pub fn open(
    address: &PrinterAddress,
    fakes: &[FakePrinter],
) -> Result<Box<dyn PrinterLink>, DeviceError> {
    match address {
        PrinterAddress::Tcp { host, port } => Ok(Box::new(TcpLink::new(host, *port))),
        PrinterAddress::Serial {
            port,
            baud,
            hardware_flow_control,
        } => {
            let flow = if *hardware_flow_control {
                serialport::FlowControl::Hardware
            } else {
                serialport::FlowControl::None
            };
            let port = crate::device_path::check_device_path(
                port,
                crate::device_path::DevicePathKind::SerialPort,
            )?;
            let port = port.to_string_lossy();
            let link = serialport::new(port.as_ref(), *baud)
                .flow_control(flow)
                .timeout(Duration::from_millis(200))
                .open()
                .map_err(|e| DeviceError::from_serial(&port, e))?;
            Ok(Box::new(SerialLink { port: link }))
        }
        PrinterAddress::DeviceFile { path } => {
            DeviceFileLink::open(path).map(|l| Box::new(l) as Box<dyn PrinterLink>)
        }
        PrinterAddress::Usb {
            vendor_id,
            product_id,
            serial_number,
        } => super::usb::UsbPrinterLink::open(*vendor_id, *product_id, serial_number.as_deref())
            .map(|l| Box::new(l) as Box<dyn PrinterLink>),
        PrinterAddress::Fake { name } => fakes
            .iter()
            .find(|f| f.name() == name)
            .map(|f| Box::new(f.clone()) as Box<dyn PrinterLink>)
            .ok_or_else(|| DeviceError::NotFound { port: name.clone() }),
    }
}

/// Reads until `frames` STX…ETX frames or the deadline.
pub(crate) fn read_frames(
    reader: &mut dyn Read,
    frames: usize,
    timeout: Duration,
) -> Result<Vec<u8>, LinkError> {
    let deadline = Instant::now() + timeout;
    let mut collected = Frames::default();
    let mut all = Vec::new();
    let mut buf = [0u8; 256];
    while collected.count() < frames {
        if Instant::now() >= deadline || all.len() > 4096 {
            return Err(LinkError::NoAnswer);
        }
        match reader.read(&mut buf) {
            Ok(0) => return Err(LinkError::Broken("closed by the printer".into())),
            Ok(n) => {
                collected.feed(&buf[..n]);
                all.extend_from_slice(&buf[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(LinkError::Broken(e.to_string())),
        }
    }
    Ok(all)
}

/// Raw TCP (port 9100). Connects when first used and again after a break.
pub struct TcpLink {
    address: String,
    stream: Option<TcpStream>,
}

const TCP_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const TCP_IO_TIMEOUT: Duration = Duration::from_secs(10);

impl TcpLink {
    pub fn new(host: &str, port: u16) -> Self {
        TcpLink {
            address: format!("{host}:{port}"),
            stream: None,
        }
    }

    fn stream(&mut self) -> Result<&mut TcpStream, LinkError> {
        if self.stream.is_none() {
            let addr = self
                .address
                .to_socket_addrs()
                .map_err(|e| LinkError::Unreachable(format!("{}: {e}", self.address)))?
                .next()
                .ok_or_else(|| LinkError::Unreachable(self.address.clone()))?;
            let s = TcpStream::connect_timeout(&addr, TCP_CONNECT_TIMEOUT)
                .map_err(|e| LinkError::Unreachable(format!("{}: {e}", self.address)))?;
            let _ = s.set_write_timeout(Some(TCP_IO_TIMEOUT));
            let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
            let _ = s.set_nodelay(true);
            self.stream = Some(s);
        }
        self.stream
            .as_mut()
            .ok_or_else(|| LinkError::Unreachable(String::new()))
    }
}

impl PrinterLink for TcpLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let result = self.stream().and_then(|s| {
            s.write_all(bytes)
                .and_then(|()| s.flush())
                .map_err(|e| LinkError::Broken(e.to_string()))
        });
        if result.is_err() {
            // A broken socket is not reused; the retry connects again.
            self.stream = None;
        }
        result
    }

    fn query(
        &mut self,
        request: &[u8],
        frames: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, LinkError> {
        self.send(request)?;
        let result = self.stream().and_then(|s| read_frames(s, frames, timeout));
        if matches!(result, Err(LinkError::Broken(_))) {
            self.stream = None;
        }
        result
    }

    fn reads_back(&self) -> bool {
        true
    }
}

pub struct SerialLink {
    port: Box<dyn serialport::SerialPort>,
}

impl SerialLink {
    /// A link over an already open port (a pseudo-terminal in tests).
    pub fn from_port(port: Box<dyn serialport::SerialPort>) -> Self {
        SerialLink { port }
    }
}

impl PrinterLink for SerialLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.port
            .write_all(bytes)
            .and_then(|()| self.port.flush())
            .map_err(|e| LinkError::Broken(e.to_string()))
    }

    fn query(
        &mut self,
        request: &[u8],
        frames: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, LinkError> {
        self.send(request)?;
        read_frames(&mut self.port, frames, timeout)
    }

    fn reads_back(&self) -> bool {
        true
    }
}

/// A printer device file (`/dev/usb/lp0`). Opened read-write when the driver allows it, so
/// bidirectional printers can answer `~HS`; write-only otherwise.
pub struct DeviceFileLink {
    file: std::fs::File,
    readable: bool,
}

impl DeviceFileLink {
    /// Opens the printer's device file, only once it is known to be a printer device:
    /// never a file that merely lies under /dev/ (issue 11, defect 1).
    pub fn open(path: &str) -> Result<Self, DeviceError> {
        use crate::device_path::{check_device_path, check_opened, DevicePathKind};
        let real = check_device_path(path, DevicePathKind::PrinterDeviceFile)?;
        let link = Self::open_checked(path, &real)?;
        #[cfg(unix)]
        check_opened(&link.file, path, DevicePathKind::PrinterDeviceFile)?;
        Ok(link)
    }

    fn open_checked(path: &str, real: &std::path::Path) -> Result<Self, DeviceError> {
        let classify = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::NotFound => DeviceError::NotFound {
                port: path.to_owned(),
            },
            std::io::ErrorKind::PermissionDenied => DeviceError::PermissionDenied {
                port: path.to_owned(),
                fix: crate::LP_PERMISSION_FIX,
            },
            _ => DeviceError::Other {
                port: path.to_owned(),
                detail: e.to_string(),
            },
        };
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(real)
        {
            Ok(file) => Ok(DeviceFileLink {
                file,
                readable: true,
            }),
            Err(_) => std::fs::OpenOptions::new()
                .write(true)
                .open(real)
                .map(|file| DeviceFileLink {
                    file,
                    readable: false,
                })
                .map_err(classify),
        }
    }
}

impl PrinterLink for DeviceFileLink {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.flush())
            .map_err(|e| LinkError::Broken(e.to_string()))
    }

    fn query(
        &mut self,
        request: &[u8],
        frames: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, LinkError> {
        if !self.readable {
            return Err(LinkError::WriteOnly);
        }
        self.send(request)?;
        read_frames(&mut self.file, frames, timeout)
    }

    fn reads_back(&self) -> bool {
        self.readable
    }
}

#[derive(Debug, Default)]
struct FakeState {
    received: Vec<Vec<u8>>,
    status_answer: Option<Vec<u8>>,
    fail_sends: u32,
}

/// A printer that keeps every job it was sent, answers `~HS` with whatever the test set,
/// and can be told to fail the next sends. Clones share one printer.
#[derive(Debug, Clone)]
pub struct FakePrinter {
    name: String,
    state: Arc<Mutex<FakeState>>,
}

impl FakePrinter {
    pub fn new(name: &str) -> Self {
        FakePrinter {
            name: name.to_owned(),
            state: Arc::default(),
        }
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
    /// Every job received, in order.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.state().received.clone()
    }
    /// What `~HS` answers; `None` means the printer stays silent.
    pub fn set_status_answer(&self, answer: Option<Vec<u8>>) {
        self.state().status_answer = answer;
    }
    pub fn fail_next_sends(&self, n: u32) {
        self.state().fail_sends = n;
    }
}

impl PrinterLink for FakePrinter {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let mut state = self.state();
        if state.fail_sends > 0 {
            state.fail_sends -= 1;
            return Err(LinkError::Broken(
                "the fake printer was told to fail".into(),
            ));
        }
        state.received.push(bytes.to_vec());
        Ok(())
    }

    fn query(
        &mut self,
        _request: &[u8],
        _frames: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, LinkError> {
        self.state()
            .status_answer
            .clone()
            .ok_or(LinkError::NoAnswer)
    }

    fn reads_back(&self) -> bool {
        true
    }
}
