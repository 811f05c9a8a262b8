//! Printers and the print queue: operations, and the worker that drains the durable queue
//! to the printers. The worker asks a Zebra for its status before a job (a faulted printer
//! keeps the job waiting instead of losing it) and again after (an answer confirms the link
//! carried the whole job; no answer means the job is sent again, which a printer that got
//! only part of it does not print twice).

use crate::dto::{default_per_page, first_page, CoreEvent, NoArgs};
use crate::{Api, ApiError};
use aliquot_devices::printer::status::{parse_host_status, PrinterFault, HOST_STATUS};
use aliquot_devices::printer::{self, FakePrinter, LinkError, PrinterLink};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::printing::{PrinterLanguage, PrinterSettings};
use aliquot_domain::{Command, Permission};
use aliquot_store::printing::PrintJobRecord;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

const STATUS_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListPrintJobsArgs {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReprintArgs {
    pub job_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TestPrintArgs {
    pub printer: String,
}

/// What one pass of the worker did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum PrintOutcome {
    Printed {
        job_id: Uuid,
    },
    /// The printer reports a fault; the job waits.
    Waiting {
        job_id: Uuid,
        faults: Vec<PrinterFault>,
    },
    /// The attempt did not complete; the job is tried again (or failed after the last try).
    Retrying {
        job_id: Uuid,
        error: String,
    },
}

/// A ZPL test label naming the printer; every byte of the name goes through `^FH` escaping.
fn test_label(printer: &str, dpi: u16) -> String {
    let mut name = String::new();
    for b in printer.bytes() {
        if b.is_ascii_alphanumeric() || b == b' ' {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("_{b:02X}"));
        }
    }
    let dots = u32::from(dpi) * 2;
    format!("^XA^CI28^PW{dots}^LL{}^FO20,20^A0N,30,30^FH^FDAliquot test print^FS^FO20,60^A0N,24,24^FH^FD{name}^FS^XZ", dots / 2)
}

impl Api {
    pub async fn list_printers(
        &self,
        token: Option<&str>,
        _args: NoArgs,
    ) -> Result<Vec<PrinterSettings>> {
        self.actor_with(token, Permission::ReadSettings).await?;
        Ok(self.store().printers().await?)
    }

    pub async fn configure_printer(
        &self,
        token: Option<&str>,
        args: PrinterSettings,
    ) -> Result<Vec<PrinterSettings>> {
        let actor = self.actor_with(token, Permission::ConfigureDevices).await?;
        self.run(&actor, Command::ConfigurePrinter { printer: args })
            .await?;
        Ok(self.store().printers().await?)
    }

    pub async fn list_print_jobs(
        &self,
        token: Option<&str>,
        args: ListPrintJobsArgs,
    ) -> Result<Page<PrintJobRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .print_jobs(PageRequest {
                page: args.page,
                per_page: args.per_page,
            })
            .await?)
    }

    /// Prints a job again, exactly as it was, with the reason recorded in the audit trail.
    pub async fn reprint(&self, token: Option<&str>, args: ReprintArgs) -> Result<PrintJobRecord> {
        let actor = self.actor_with(token, Permission::PrintLabels).await?;
        let original = self.store().print_job(args.job_id).await?;
        let payload = self.store().print_job_payload(args.job_id).await?;
        let job_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::QueuePrint {
                job_id,
                printer: original.printer,
                template: original.template,
                subject: original.subject,
                records: original.records,
                copies: original.copies,
                payload,
                reprint_of: Some(args.job_id),
                reason: Some(args.reason),
            },
        )
        .await?;
        self.print_queue_changed(job_id);
        Ok(self.store().print_job(job_id).await?)
    }

    pub async fn test_print(
        &self,
        token: Option<&str>,
        args: TestPrintArgs,
    ) -> Result<PrintJobRecord> {
        let actor = self.actor_with(token, Permission::PrintLabels).await?;
        let printer = self
            .store()
            .printers()
            .await?
            .into_iter()
            .find(|p| p.name == args.printer)
            .ok_or(aliquot_domain::DomainError::NotFound("printer"))?;
        if printer.language != PrinterLanguage::Zpl {
            return Err(ApiError::invalid(
                "A test print is available for ZPL printers.",
            ));
        }
        let job_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::QueuePrint {
                job_id,
                template: "test".into(),
                subject: format!("test print on {}", printer.name),
                payload: test_label(&printer.name, printer.dpi),
                printer: printer.name,
                records: vec![],
                copies: 1,
                reprint_of: None,
                reason: None,
            },
        )
        .await?;
        self.print_queue_changed(job_id);
        Ok(self.store().print_job(job_id).await?)
    }

    fn print_queue_changed(&self, job_id: Uuid) {
        self.emit(CoreEvent::PrintJobChanged { job_id });
    }

    /// One pass of the print worker: takes the oldest due job, if any, to its printer.
    /// `fakes` are the in-memory printers `PrinterAddress::Fake` names.
    pub async fn print_next(
        &self,
        fakes: &[FakePrinter],
        retry_in: chrono::Duration,
    ) -> Result<Option<PrintOutcome>> {
        let store = self.store();
        let Some(job) = store.next_print_job().await? else {
            return Ok(None);
        };
        let job_id = job.id;
        let fakes = fakes.to_vec();
        let address = job.printer.address.clone();
        let ask = job.printer.language == PrinterLanguage::Zpl;
        // 1. Open the link and ask for the printer's status; a faulted printer keeps the job.
        let ready = tokio::task::spawn_blocking(move || ready_link(&address, &fakes, ask))
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let outcome = match ready {
            Err(Delivery::Faulted(faults)) => {
                let words: Vec<&str> = faults.iter().map(|f| f.hint()).collect();
                store
                    .print_job_waiting(job_id, &words.join("; "), retry_in)
                    .await?;
                PrintOutcome::Waiting { job_id, faults }
            }
            Err(Delivery::NotSent(error)) => {
                store.print_job_sending(job_id).await?;
                store
                    .print_job_attempt_failed(job_id, &error, retry_in)
                    .await?;
                PrintOutcome::Retrying { job_id, error }
            }
            Ok(link) => {
                // 2. Recorded as sent before the bytes go, so a crash mid-send resumes it.
                store.print_job_sending(job_id).await?;
                let sent =
                    tokio::task::spawn_blocking(move || send_and_confirm(link, &job.payload, ask))
                        .await
                        .map_err(|e| ApiError::internal(&e))?;
                match sent {
                    Ok(()) => {
                        store.print_job_done(job_id).await?;
                        PrintOutcome::Printed { job_id }
                    }
                    Err(error) => {
                        store
                            .print_job_attempt_failed(job_id, &error, retry_in)
                            .await?;
                        PrintOutcome::Retrying { job_id, error }
                    }
                }
            }
        };
        self.print_queue_changed(job_id);
        Ok(Some(outcome))
    }

    /// Drains the queue forever: call once from a binary. Jobs interrupted by a crash are
    /// put back first.
    pub async fn run_print_worker(self, fakes: Vec<FakePrinter>) {
        if let Err(e) = self.store().resume_interrupted_print_jobs().await {
            tracing::error!(error = %e, "could not resume interrupted print jobs");
        }
        loop {
            match self.print_next(&fakes, chrono::Duration::seconds(5)).await {
                Ok(Some(PrintOutcome::Printed { .. })) => continue,
                Ok(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                Err(e) => {
                    tracing::error!(error = ?e, "print worker");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }
}

enum Delivery {
    Faulted(Vec<PrinterFault>),
    NotSent(String),
}

/// Opens the printer's link and, for a Zebra that reads back, checks its status.
fn ready_link(
    address: &aliquot_domain::printing::PrinterAddress,
    fakes: &[FakePrinter],
    ask_status: bool,
) -> std::result::Result<Box<dyn PrinterLink>, Delivery> {
    let mut link = printer::open(address, fakes).map_err(|e| Delivery::NotSent(e.to_string()))?;
    if ask_status && link.reads_back() {
        match status(link.as_mut()) {
            Ok(faults) if faults.is_empty() => {}
            Ok(faults) => return Err(Delivery::Faulted(faults)),
            Err(LinkError::NoAnswer) => {
                return Err(Delivery::Faulted(vec![PrinterFault::NoAnswer]))
            }
            Err(e) => return Err(Delivery::NotSent(e.to_string())),
        }
    }
    Ok(link)
}

/// Sends the job; an answer to a status request afterwards proves the link carried it all.
fn send_and_confirm(
    mut link: Box<dyn PrinterLink>,
    payload: &[u8],
    ask_status: bool,
) -> std::result::Result<(), String> {
    link.send(payload).map_err(|e| e.to_string())?;
    if ask_status && link.reads_back() {
        status(link.as_mut()).map_err(|e| {
            format!("the printer did not confirm the job ({e}); it will be sent again")
        })?;
    }
    Ok(())
}

fn status(link: &mut dyn PrinterLink) -> std::result::Result<Vec<PrinterFault>, LinkError> {
    let answer = link.query(HOST_STATUS, 3, STATUS_TIMEOUT)?;
    parse_host_status(&answer)
        .map(|s| s.faults())
        .map_err(|_| LinkError::NoAnswer)
}
