//! Printers and the print queue: operations, and the worker that drains the durable queue
//! to the printers. The worker asks a Zebra for its status before a job (a faulted printer
//! keeps the job waiting instead of losing it) and again after (an answer confirms the link
//! carried the whole job; no answer means the job is sent again, which a printer that got
//! only part of it does not print twice).

use crate::dto::{default_per_page, first_page, CoreEvent, PageArgs};
use crate::error::capitalised;
use crate::registration::IdArgs;
use crate::{Api, ApiError};
use aliquot_devices::device_path::{check_device_path, DevicePathKind};
use aliquot_devices::printer::status::{parse_host_status, PrinterFault, HOST_STATUS};
use aliquot_devices::printer::{self, FakePrinter, LinkError, PrinterLink};
use aliquot_devices::registry::DeviceListing;
use aliquot_devices::DeviceError;
use aliquot_domain::command::validate_reason;
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::printing::{
    LabelGroup, LabelKind, LabelStock, PrinterLanguage, PrinterSettings, SampleLabelCode,
    SheetPaper,
};
use aliquot_domain::{Command, Permission};
use aliquot_labels::{
    BoundLabel, BoxLabel, Dpi, LabelData, LabelError, LabelTemplate, SampleLabel, SheetLayout,
    Symbology,
};
use aliquot_store::labels::LabelRows;
use aliquot_store::printing::{PrintJobRecord, UnprintedKit};
use base64::Engine as _;
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
    /// Only the jobs that printed this sample or box.
    #[serde(default)]
    #[ts(optional)]
    pub record: Option<Uuid>,
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
pub struct CancelPrintJobArgs {
    pub job_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RenamePrinterArgs {
    pub name: String,
    pub new_name: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RemovePrinterArgs {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RetryPrintJobArgs {
    pub job_id: Uuid,
}

/// A job held after an interruption: its labels are there (`printed`), or print it again
/// (which needs the reason).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SettlePrintJobArgs {
    pub job_id: Uuid,
    pub printed: bool,
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListUnprintedKitsArgs {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
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

/// A test label for the printer's stock, naming the printer: the same templates, escaping
/// and fit rule as real labels, so a good test print means real labels will print.
fn test_label(
    printer: &PrinterSettings,
    today: chrono::NaiveDate,
) -> std::result::Result<Vec<u8>, LabelError> {
    let data = match printer.stock {
        LabelStock::Box3x1 => LabelData::StorageBox(BoxLabel {
            box_name: "Aliquot test print".into(),
            box_barcode: "TEST".into(),
            location: printer.name.clone(),
        }),
        LabelStock::Cryovial | LabelStock::Tube2x1 => LabelData::Sample(SampleLabel {
            sample_code: "TEST".into(),
            // A cryovial label has room for about a dozen characters on this line; the
            // printer's name is there to tell printers apart, so its start is enough.
            participant_code: printer.name.chars().take(12).collect(),
            sample_type_code: "WB".into(),
            sample_type_label: "Whole blood".into(),
            collected_on: today,
            site: printer.name.clone(),
            event: "Aliquot test print".into(),
        }),
    };
    let template = match printer.stock {
        LabelStock::Cryovial => LabelTemplate::Cryovial(Symbology::DataMatrix),
        LabelStock::Tube2x1 => LabelTemplate::Tube2x1,
        LabelStock::Box3x1 => LabelTemplate::StorageBox,
    };
    let label = template.bind(&data)?;
    aliquot_labels::render_for_printer(
        printer.language,
        &[label],
        Dpi::from_dpi(printer.dpi)?,
        1,
        printer.darkness,
    )
}

impl Api {
    pub async fn list_printers(
        &self,
        token: Option<&str>,
        args: PageArgs,
    ) -> Result<Page<PrinterSettings>> {
        self.actor_with(token, Permission::ReadSettings).await?;
        Ok(self.store().printers(args.request()).await?)
    }

    pub async fn configure_printer(
        &self,
        token: Option<&str>,
        args: PrinterSettings,
    ) -> Result<PrinterSettings> {
        let actor = self.actor_with(token, Permission::ConfigureDevices).await?;
        check_device_address(&args.address)?;
        let name = args.name.clone();
        self.run(&actor, Command::ConfigurePrinter { printer: args })
            .await?;
        Ok(self.store().printer(&name).await?)
    }

    /// Renames a printer; its jobs and the label routes that chose it follow.
    pub async fn rename_printer(
        &self,
        token: Option<&str>,
        args: RenamePrinterArgs,
    ) -> Result<PrinterSettings> {
        let actor = self.actor_with(token, Permission::ConfigureDevices).await?;
        let new_name = args.new_name.trim().to_owned();
        self.run(
            &actor,
            Command::RenamePrinter {
                name: args.name,
                new_name: new_name.clone(),
            },
        )
        .await?;
        // The label routes that chose it now name it anew.
        self.emit(crate::dto::CoreEvent::SettingsChanged);
        Ok(self.store().printer(&new_name).await?)
    }

    /// Takes a printer off this workstation (refused while jobs wait on it).
    pub async fn remove_printer(&self, token: Option<&str>, args: RemovePrinterArgs) -> Result<()> {
        let actor = self.actor_with(token, Permission::ConfigureDevices).await?;
        self.run(
            &actor,
            Command::RemovePrinter {
                name: args.name,
                reason: args.reason,
            },
        )
        .await?;
        // The label routes that chose it are cleared.
        self.emit(crate::dto::CoreEvent::SettingsChanged);
        Ok(())
    }

    /// One print job, by id: what a desk follows until the printer has it.
    pub async fn get_print_job(&self, token: Option<&str>, args: IdArgs) -> Result<PrintJobRecord> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self.store().print_job(args.id).await?)
    }

    pub async fn list_print_jobs(
        &self,
        token: Option<&str>,
        args: ListPrintJobsArgs,
    ) -> Result<Page<PrintJobRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .print_jobs(
                args.record,
                PageRequest {
                    page: args.page,
                    per_page: args.per_page,
                },
            )
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

    /// Takes a queued or failed job off the queue, with the reason, audited.
    pub async fn cancel_print_job(
        &self,
        token: Option<&str>,
        args: CancelPrintJobArgs,
    ) -> Result<PrintJobRecord> {
        let actor = self.actor_with(token, Permission::PrintLabels).await?;
        let reason = validate_reason(&args.reason)?;
        self.store()
            .cancel_print_job(&actor, args.job_id, &reason)
            .await?;
        self.print_queue_changed(args.job_id);
        Ok(self.store().print_job(args.job_id).await?)
    }

    /// Sends a failed job again, with a fresh set of attempts; audited.
    pub async fn retry_print_job(
        &self,
        token: Option<&str>,
        args: RetryPrintJobArgs,
    ) -> Result<PrintJobRecord> {
        let actor = self.actor_with(token, Permission::PrintLabels).await?;
        self.store().retry_print_job(&actor, args.job_id).await?;
        self.print_queue_changed(args.job_id);
        Ok(self.store().print_job(args.job_id).await?)
    }

    /// Settles a job that a crash caught while it was being sent: a person has looked at
    /// the printer. Confirming closes it; printing again needs a reason. Both audited.
    pub async fn settle_print_job(
        &self,
        token: Option<&str>,
        args: SettlePrintJobArgs,
    ) -> Result<PrintJobRecord> {
        let actor = self.actor_with(token, Permission::PrintLabels).await?;
        let reason = match args.reason.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => Some(validate_reason(r)?),
        };
        self.store()
            .settle_print_job(&actor, args.job_id, args.printed, reason.as_deref())
            .await?;
        self.print_queue_changed(args.job_id);
        Ok(self.store().print_job(args.job_id).await?)
    }

    /// Kits registered with their labels asked for whose labels were never queued.
    pub async fn list_unprinted_kits(
        &self,
        token: Option<&str>,
        args: ListUnprintedKitsArgs,
    ) -> Result<Page<UnprintedKit>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .unprinted_kits(PageRequest {
                page: args.page,
                per_page: args.per_page,
            })
            .await?)
    }

    pub async fn test_print(
        &self,
        token: Option<&str>,
        args: TestPrintArgs,
    ) -> Result<PrintJobRecord> {
        let actor = self.actor_with(token, Permission::PrintLabels).await?;
        let printer = self.store().printer(&args.printer).await?;
        let today = self.store().now().date_naive();
        let payload = String::from_utf8(test_label(&printer, today).map_err(label_error)?)
            .map_err(|e| ApiError::internal(&e))?;
        let job_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::QueuePrint {
                job_id,
                template: "test".into(),
                subject: format!("test print on {}", printer.name),
                payload,
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
    /// held first for a person to settle; they are never resent on their own.
    pub async fn run_print_worker(self, fakes: Vec<FakePrinter>) {
        match self.store().hold_interrupted_print_jobs().await {
            Ok(0) => {}
            Ok(held) => {
                tracing::warn!(
                    held,
                    "print jobs interrupted by a restart are held in doubt"
                );
                self.emit(CoreEvent::NotificationsChanged);
            }
            Err(e) => tracing::error!(error = %e, "could not hold interrupted print jobs"),
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

/// A printer's or scanner's device path, where it exists now, must be a device of its kind
/// (never the database or any other file); one not there yet (a printer switched off) is
/// checked when the worker opens it.
pub(crate) fn check_device_path_now(path: &str, kind: DevicePathKind) -> Result<()> {
    match check_device_path(path, kind) {
        Ok(_) | Err(DeviceError::NotFound { .. }) => Ok(()),
        Err(e) => Err(ApiError::invalid(capitalised(&e.to_string()))),
    }
}

fn check_device_address(address: &aliquot_domain::printing::PrinterAddress) -> Result<()> {
    use aliquot_domain::printing::PrinterAddress;
    match address {
        PrinterAddress::Serial { port, .. } => {
            check_device_path_now(port, DevicePathKind::SerialPort)
        }
        PrinterAddress::DeviceFile { path } => {
            check_device_path_now(path, DevicePathKind::PrinterDeviceFile)
        }
        _ => Ok(()),
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

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PrintLabelsArgs {
    pub labels: LabelGroup,
    /// A printer other than the one the settings route these labels to.
    #[serde(default)]
    #[ts(optional)]
    pub printer: Option<String>,
    /// How many times the group is printed; the `label_copies` setting when omitted.
    #[serde(default)]
    #[ts(optional)]
    pub copies: Option<u8>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PreviewLabelsArgs {
    pub labels: LabelGroup,
    #[serde(default)]
    #[ts(optional)]
    pub printer: Option<String>,
}

/// A group's labels on sheets of `stock`-sized labels on `paper`.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct LabelSheetArgs {
    pub labels: LabelGroup,
    pub paper: SheetPaper,
    pub stock: LabelStock,
}

/// One label on a sheet: its page and top-left corner there, and its drawing.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SheetCell {
    pub record: Uuid,
    pub page: u32,
    pub left_mm: f32,
    pub top_mm: f32,
    pub svg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct LabelSheet {
    /// What the labels are of ("kit of P10000X").
    pub subject: String,
    /// The sheet's name, e.g. "A4 cryovial 6x16".
    pub sheet: String,
    pub file_name: String,
    pub page_width_mm: f32,
    pub page_height_mm: f32,
    pub label_width_mm: f32,
    pub label_height_mm: f32,
    pub pages: u32,
    pub cells: Vec<SheetCell>,
    /// The PDF, to save; printed at 100 % ("actual size") its labels meet the stock.
    pub pdf_base64: String,
}

/// How the labels of a group will look on the printer they are routed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LabelPreviews {
    pub printer: String,
    pub template: String,
    pub subject: String,
    /// How many labels the group has; at most [`MAX_PREVIEWS`] are drawn.
    pub total: u32,
    pub labels: Vec<LabelPreview>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LabelPreview {
    /// The sample or box the label is of.
    pub record: Uuid,
    /// The label drawn at its physical size in millimetres, as SVG.
    pub svg: String,
}

/// Previews drawn for one request; a whole box is summarised by its first labels.
pub const MAX_PREVIEWS: usize = 24;

/// Whether the labels asked for with a command were queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "result", rename_all = "snake_case")]
#[ts(export)]
pub enum LabelsQueued {
    Queued {
        job: Box<PrintJobRecord>,
    },
    /// What was registered stays registered; the labels can be printed again from here.
    NotQueued {
        message: String,
    },
}

/// A group's labels bound to the template its printer's stock takes.
struct BoundGroup {
    printer: PrinterSettings,
    template: LabelTemplate,
    subject: String,
    labels: Vec<(Uuid, BoundLabel)>,
}

/// The template a printer's stock takes (a cryovial's code as the lab chose it).
fn template_for(stock: LabelStock, code: SampleLabelCode) -> LabelTemplate {
    match stock {
        LabelStock::Cryovial => LabelTemplate::Cryovial(match code {
            SampleLabelCode::DataMatrix => Symbology::DataMatrix,
            SampleLabelCode::Qr => Symbology::QrCode,
        }),
        LabelStock::Tube2x1 => LabelTemplate::Tube2x1,
        LabelStock::Box3x1 => LabelTemplate::StorageBox,
    }
}

fn label_error(e: LabelError) -> ApiError {
    ApiError::invalid(capitalised(&e.to_string()))
}

impl Api {
    async fn bind_group(&self, group: LabelGroup, printer: Option<String>) -> Result<BoundGroup> {
        let group = group.validate()?;
        let kind = group.kind();
        let settings = self.store().settings().await?;
        let routed = match kind {
            LabelKind::Sample => settings.sample_label_printer,
            LabelKind::Box => settings.box_label_printer,
        };
        let name = printer.or(routed).ok_or_else(|| {
            ApiError::invalid(match kind {
                LabelKind::Sample => {
                    "No printer is set for sample labels; choose one in Settings, Printers."
                }
                LabelKind::Box => {
                    "No printer is set for box labels; choose one in Settings, Printers."
                }
            })
        })?;
        let printer = self.store().printer(&name).await?;
        if !printer.stock.carries(kind) {
            return Err(ApiError::invalid(capitalised(&format!(
                "{} is loaded with {} labels; {}",
                printer.name,
                printer.stock.as_str(),
                kind.stock_hint()
            ))));
        }
        let template = template_for(printer.stock, settings.sample_label_code);
        let (subject, labels) = self.bind_labels(&group, template).await?;
        Ok(BoundGroup {
            printer,
            template,
            subject,
            labels,
        })
    }

    /// A group's labels bound to `template`, in print order, with what they are of.
    async fn bind_labels(
        &self,
        group: &LabelGroup,
        template: LabelTemplate,
    ) -> Result<(String, Vec<(Uuid, BoundLabel)>)> {
        let (subject, data): (String, Vec<(Uuid, LabelData)>) =
            match self.store().label_rows(group).await? {
                LabelRows::Samples { subject, rows } => (
                    subject,
                    rows.into_iter()
                        .map(|r| (r.sample_id, LabelData::Sample(r.label)))
                        .collect(),
                ),
                LabelRows::Boxes { subject, rows } => (
                    subject,
                    rows.into_iter()
                        .map(|r| (r.box_id, LabelData::StorageBox(r.label)))
                        .collect(),
                ),
            };
        let labels = data
            .into_iter()
            .map(|(id, d)| template.bind(&d).map(|l| (id, l)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(label_error)?;
        Ok((subject, labels))
    }

    /// A group's labels as a sheet for an office printer: the PDF (to save, or print at
    /// 100 %), and each label drawn where the sheet has it, for the system's print dialog.
    /// Nothing is queued or recorded: a sheet is printed by whoever holds it.
    pub async fn label_sheet(
        &self,
        token: Option<&str>,
        args: LabelSheetArgs,
    ) -> Result<LabelSheet> {
        self.actor_with(token, Permission::PrintLabels).await?;
        let group = args.labels.validate()?;
        let kind = group.kind();
        if !args.stock.carries(kind) {
            return Err(ApiError::invalid(capitalised(kind.stock_hint())));
        }
        let settings = self.store().settings().await?;
        let template = template_for(args.stock, settings.sample_label_code);
        let (subject, labels) = self.bind_labels(&group, template).await?;
        let layout = SheetLayout::for_template(template, args.paper);
        let mut cells = Vec::with_capacity(labels.len());
        let mut bound = Vec::with_capacity(labels.len());
        for (i, (record, label)) in labels.into_iter().enumerate() {
            let (left_mm, top_mm) = layout.cell(i);
            cells.push(SheetCell {
                record,
                page: u32::try_from(i / layout.labels_per_page()).unwrap_or(u32::MAX),
                left_mm,
                top_mm,
                svg: aliquot_labels::preview::print_svg(&label).map_err(label_error)?,
            });
            bound.push(label);
        }
        let pdf = aliquot_labels::pdf::sheet(&bound, &layout).map_err(label_error)?;
        let slug: String = subject
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        Ok(LabelSheet {
            file_name: format!("aliquot-labels-{}.pdf", slug.trim_matches('-')),
            subject,
            sheet: layout.name.clone(),
            page_width_mm: layout.page_width_mm,
            page_height_mm: layout.page_height_mm,
            label_width_mm: layout.label_width_mm,
            label_height_mm: layout.label_height_mm,
            pages: cells.last().map_or(0, |c| c.page + 1),
            cells,
            pdf_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        })
    }

    /// Prints a label group (chosen samples, a kit, a box's contents, box labels) as one
    /// job on the printer its labels are routed to.
    pub async fn print_labels(
        &self,
        token: Option<&str>,
        args: PrintLabelsArgs,
    ) -> Result<PrintJobRecord> {
        let actor = self.actor_with(token, Permission::PrintLabels).await?;
        let copies = match args.copies {
            Some(c) => c,
            None => self.store().settings().await?.label_copies,
        };
        let kit = args.labels.kit();
        let group = self.bind_group(args.labels, args.printer).await?;
        let dpi = Dpi::from_dpi(group.printer.dpi).map_err(label_error)?;
        let bound: Vec<BoundLabel> = group.labels.iter().map(|(_, l)| l.clone()).collect();
        let bytes = aliquot_labels::render_for_printer(
            group.printer.language,
            &bound,
            dpi,
            1,
            group.printer.darkness,
        )
        .map_err(label_error)?;
        let payload = String::from_utf8(bytes).map_err(|e| ApiError::internal(&e))?;
        let job_id = Uuid::now_v7();
        // A kit's owed labels are paid in the job's own transaction.
        let along = match kit {
            Some(registration_id) => aliquot_store::AlongWith::KitLabelsQueued { registration_id },
            None => aliquot_store::AlongWith::Nothing,
        };
        self.run_along_with(
            &actor,
            Command::QueuePrint {
                job_id,
                printer: group.printer.name,
                template: group.template.name().to_owned(),
                subject: group.subject,
                records: group.labels.iter().map(|(id, _)| *id).collect(),
                copies,
                payload,
                reprint_of: None,
                reason: None,
            },
            along,
        )
        .await?;
        self.print_queue_changed(job_id);
        Ok(self.store().print_job(job_id).await?)
    }

    /// Queues a registration's labels after its command committed. A printing problem is
    /// reported, never undoes the registration.
    pub(crate) async fn queue_labels_after(
        &self,
        token: Option<&str>,
        labels: LabelGroup,
    ) -> LabelsQueued {
        let kit = labels.kit();
        let args = PrintLabelsArgs {
            labels,
            printer: None,
            copies: None,
        };
        match self.print_labels(token, args).await {
            Ok(job) => LabelsQueued::Queued { job: Box::new(job) },
            Err(e) => {
                if let Some(registration_id) = kit {
                    // The kit stays listed as unprinted at the desk, with why.
                    if let Err(store_error) = self
                        .store()
                        .kit_labels_not_queued(registration_id, &e.message)
                        .await
                    {
                        tracing::warn!(error = %store_error, "could not note why a kit's labels were not queued");
                    }
                }
                LabelsQueued::NotQueued { message: e.message }
            }
        }
    }

    /// The labels of a group drawn as they will print, for the screen.
    pub async fn preview_labels(
        &self,
        token: Option<&str>,
        args: PreviewLabelsArgs,
    ) -> Result<LabelPreviews> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let group = self.bind_group(args.labels, args.printer).await?;
        let total = u32::try_from(group.labels.len()).unwrap_or(u32::MAX);
        let labels = group
            .labels
            .iter()
            .take(MAX_PREVIEWS)
            .map(|(record, label)| {
                aliquot_labels::preview::svg(label).map(|svg| LabelPreview {
                    record: *record,
                    svg,
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(label_error)?;
        Ok(LabelPreviews {
            printer: group.printer.name,
            template: group.template.name().to_owned(),
            subject: group.subject,
            total,
            labels,
        })
    }

    /// Printers, scanners and serial ports attached to this workstation, each with the
    /// reason it cannot be opened, if any.
    pub async fn list_devices(
        &self,
        token: Option<&str>,
        args: PageArgs,
    ) -> Result<Page<DeviceListing>> {
        self.actor_with(token, Permission::ConfigureDevices).await?;
        let page = args.request().validate()?;
        // The operating system's list of attached devices, not a table: enumerated, then
        // cut to the page asked for.
        let devices = tokio::task::spawn_blocking(aliquot_devices::registry::list)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let total = u64::try_from(devices.len()).unwrap_or(u64::MAX);
        let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let take = usize::try_from(page.limit()).unwrap_or(0);
        let items = devices.into_iter().skip(skip).take(take).collect();
        Ok(Page::new(items, page, total))
    }
}
