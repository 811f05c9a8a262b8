//! Printers and the durable print queue.
//!
//! Configuring a printer and queuing a job are commands (audited, in the outbox). A job's
//! progress afterwards — sent, done, failed, attempts, the fault it waits on — is this
//! workstation's device state: the queue writes it directly, one small transaction per
//! step, so a crash or a printer switched off loses nothing (a job caught "sent" goes back
//! to "queued" when the store opens).

use crate::executor::{Applied, Change, Ctx};
use crate::users::parse_uuid;
use crate::{audit, format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::audit::AuditAction;
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::printing::{
    self, LabelStock, PrinterAddress, PrinterLanguage, PrinterSettings,
};
use aliquot_domain::Actor;
use aliquot_domain::{Command, DomainError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use ts_rs::TS;
use uuid::Uuid;

/// How many times a job is tried before it is marked failed.
pub const MAX_ATTEMPTS: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PrintJobRecord {
    pub id: Uuid,
    pub printer: String,
    pub template: String,
    pub subject: String,
    pub records: Vec<Uuid>,
    pub copies: u8,
    pub state: String,
    #[ts(type = "number")]
    pub attempts: i64,
    pub last_error: Option<String>,
    pub waiting_for: Option<String>,
    pub reprint_of: Option<Uuid>,
    /// Why a reprint was asked for.
    pub reason: Option<String>,
    /// Why the job was cancelled, if it was.
    pub cancel_reason: Option<String>,
    /// Set when a crash caught the job while it was being sent: it may have printed, and
    /// waits for a person to confirm the labels or print them again.
    pub in_doubt_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a person may do to a job in the queue.
#[derive(Debug, Clone, Copy)]
enum JobChange {
    Cancel,
    Retry,
    /// A job held after an interruption: its labels are there.
    ConfirmPrinted,
    /// A job held after an interruption: print it again (with a reason).
    PrintAgain,
}

/// A kit registered with its labels asked for, whose labels were never queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct UnprintedKit {
    pub registration_id: Uuid,
    pub participant_code: String,
    pub kit_name: String,
    #[ts(type = "number")]
    pub tubes: i64,
    pub owed_since: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// Records that a kit's labels are owed, in the kit's transaction.
pub(crate) async fn owe_kit_labels(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    registration_id: Uuid,
) -> Result<()> {
    let (id, at, by) = (
        registration_id.to_string(),
        format_utc(ctx.now),
        ctx.actor.user_id.to_string(),
    );
    sqlx::query!(
        "INSERT INTO kit_labels_owed (registration_id, owed_since, owed_by) VALUES (?1, ?2, ?3)
         ON CONFLICT (registration_id) DO NOTHING",
        id,
        at,
        by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The kit's labels are queued: they are no longer owed (in the print job's transaction).
pub(crate) async fn kit_labels_queued(
    conn: &mut SqliteConnection,
    registration_id: Uuid,
) -> Result<()> {
    let id = registration_id.to_string();
    sqlx::query!("DELETE FROM kit_labels_owed WHERE registration_id = ?1", id)
        .execute(conn)
        .await?;
    Ok(())
}

const IN_DOUBT_ONLY: &str =
    "only a job held after an interruption can be confirmed or printed again";

/// A job ready to go to its printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueJob {
    pub id: Uuid,
    pub printer: PrinterSettings,
    pub payload: Vec<u8>,
    pub attempts: i64,
}

pub(crate) async fn apply(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    command: &Command,
) -> Result<Applied> {
    let now = format_utc(ctx.now);
    match command {
        Command::ConfigurePrinter { printer } => {
            let printer = printer.clone().validate()?;
            let address = serde_json::to_string(&printer.address)
                .map_err(|e| StoreError::Decode(e.to_string()))?;
            let (language, dpi, stock, darkness) = (
                printer.language.as_str(),
                i64::from(printer.dpi),
                printer.stock.as_str(),
                printer.darkness.map(i64::from),
            );
            let old = sqlx::query!(
                "SELECT address, language, dpi, stock, darkness FROM printers WHERE name = ?1",
                printer.name
            )
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| json!({"address": r.address, "language": r.language, "dpi": r.dpi, "stock": r.stock, "darkness": r.darkness}));
            sqlx::query!(
                "INSERT INTO printers (name, address, language, dpi, stock, darkness, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (name) DO UPDATE SET address = excluded.address, language = excluded.language,
                                                  dpi = excluded.dpi, stock = excluded.stock,
                                                  darkness = excluded.darkness, updated_at = excluded.updated_at",
                printer.name,
                address,
                language,
                dpi,
                stock,
                darkness,
                now
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "printer",
                entity_id: printer.name.clone(),
                old,
                new: Some(json!({"address": address, "language": language, "dpi": dpi, "stock": stock, "darkness": darkness})),
                subject_user_id: None,
            }
            .into())
        }
        Command::RenamePrinter { name, new_name } => {
            let new_name = aliquot_domain::registration::validate_text("name", new_name, 60)?;
            if new_name == *name {
                return Err(DomainError::invalid("name", "that is already its name").into());
            }
            let taken =
                sqlx::query_scalar!("SELECT COUNT(*) FROM printers WHERE name = ?1", new_name)
                    .fetch_one(&mut *conn)
                    .await?;
            if taken > 0 {
                return Err(DomainError::Taken(format!("the printer name {new_name}")).into());
            }
            let renamed = sqlx::query!(
                "UPDATE printers SET name = ?2, updated_at = ?3 WHERE name = ?1",
                name,
                new_name,
                now
            )
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if renamed == 0 {
                return Err(DomainError::NotFound("printer").into());
            }
            let jobs = sqlx::query!(
                "UPDATE print_jobs SET printer = ?2 WHERE printer = ?1",
                name,
                new_name
            )
            .execute(&mut *conn)
            .await?
            .rows_affected();
            let routes = follow_label_routes(conn, ctx, name, Some(&new_name)).await?;
            Ok(Change {
                entity_type: "printer",
                entity_id: new_name.clone(),
                old: Some(json!({"name": name})),
                new: Some(json!({"name": new_name, "jobs": jobs, "routes": routes})),
                subject_user_id: None,
            }
            .into())
        }
        Command::RemovePrinter { name, .. } => {
            let waiting = sqlx::query_scalar!(
                "SELECT COUNT(*) FROM print_jobs WHERE printer = ?1 AND state IN ('queued', 'sent')",
                name
            )
            .fetch_one(&mut *conn)
            .await?;
            if waiting > 0 {
                let jobs = if waiting == 1 {
                    "1 label job is".to_owned()
                } else {
                    format!("{waiting} label jobs are")
                };
                return Err(DomainError::Refused(format!(
                    "{jobs} still waiting on {name}: let them print or cancel them first"
                ))
                .into());
            }
            let removed = sqlx::query!("DELETE FROM printers WHERE name = ?1", name)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if removed == 0 {
                return Err(DomainError::NotFound("printer").into());
            }
            let routes = follow_label_routes(conn, ctx, name, None).await?;
            Ok(Change {
                entity_type: "printer",
                entity_id: name.clone(),
                old: Some(json!({"name": name})),
                new: Some(json!({"removed": true, "routes_cleared": routes})),
                subject_user_id: None,
            }
            .into())
        }
        Command::QueuePrint {
            job_id,
            printer,
            template,
            subject,
            records,
            copies,
            payload,
            reprint_of,
            reason,
        } => {
            let reason =
                printing::check_job(*copies, payload, reprint_of.is_some(), reason.as_deref())?;
            let known =
                sqlx::query_scalar!("SELECT COUNT(*) FROM printers WHERE name = ?1", printer)
                    .fetch_one(&mut *conn)
                    .await?;
            if known == 0 {
                return Err(DomainError::NotFound("printer").into());
            }
            if let Some(original) = reprint_of {
                let id = original.to_string();
                let exists =
                    sqlx::query_scalar!("SELECT COUNT(*) FROM print_jobs WHERE id = ?1", id)
                        .fetch_one(&mut *conn)
                        .await?;
                if exists == 0 {
                    return Err(DomainError::NotFound("print job to reprint").into());
                }
            }
            let (id, records_json, copies_db, by) = (
                job_id.to_string(),
                serde_json::to_string(records).map_err(|e| StoreError::Decode(e.to_string()))?,
                i64::from(*copies),
                ctx.actor.user_id.to_string(),
            );
            let reprint = reprint_of.map(|r| r.to_string());
            // ^PQ copies are in the payload; `copies` here is how often the payload is sent.
            let bytes = payload.as_bytes();
            sqlx::query!(
                "INSERT INTO print_jobs (id, printer, template, subject, records, copies, payload, state, attempts,
                                         reprint_of, reason, created_at, created_by, updated_at, next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', 0, ?8, ?9, ?10, ?11, ?10, ?10)",
                id, printer, template, subject, records_json, copies_db, bytes, reprint, reason, now, by
            )
            .execute(&mut *conn)
            .await?;
            Ok(Change {
                entity_type: "print_job",
                entity_id: id,
                old: None,
                new: Some(json!({"printer": printer, "template": template, "subject": subject, "labels": records.len(), "copies": copies, "reprint_of": reprint})),
                subject_user_id: None,
            }
            .into())
        }
        _ => Err(StoreError::Decode(format!(
            "{} is not a printing command",
            command.kind().as_str()
        ))),
    }
}

/// Points the label routes (which printer prints sample labels, which box labels) that chose
/// printer `from` at `to`, or at none. Returns the routes that changed.
async fn follow_label_routes(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    from: &str,
    to: Option<&str>,
) -> Result<Vec<String>> {
    let (from, to) = (json!(from).to_string(), json!(to).to_string());
    let (at, by) = (format_utc(ctx.now), ctx.actor.user_id.to_string());
    let routes = sqlx::query_scalar!(
        r#"UPDATE workstation_settings SET value = ?2, updated_at = ?3, updated_by = ?4
           WHERE key IN ('sample_label_printer', 'box_label_printer') AND value = ?1
           RETURNING key AS "key!""#,
        from,
        to,
        at,
        by
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(routes)
}

fn printer_settings(
    name: String,
    address: &str,
    language: &str,
    dpi: i64,
    stock: &str,
    darkness: Option<i64>,
) -> Result<PrinterSettings> {
    Ok(PrinterSettings {
        stock: LabelStock::parse(stock)
            .ok_or_else(|| StoreError::Decode(format!("label stock {stock:?}")))?,
        darkness: darkness.and_then(|d| u8::try_from(d).ok()),
        name,
        address: serde_json::from_str::<PrinterAddress>(address)
            .map_err(|e| StoreError::Decode(format!("printer address: {e}")))?,
        language: PrinterLanguage::parse(language)
            .ok_or_else(|| StoreError::Decode(format!("printer language {language:?}")))?,
        dpi: u16::try_from(dpi).map_err(|_| StoreError::Decode("dpi".into()))?,
    })
}

impl Store {
    /// A page of this workstation's printers, by name.
    pub async fn printers(&self, request: PageRequest) -> Result<Page<PrinterSettings>> {
        let page = request.validate()?;
        let total = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM printers"#)
            .fetch_one(&self.pool)
            .await?;
        let items = self
            .printers_where(None, page.limit(), page.offset())
            .await?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn printer(&self, name: &str) -> Result<PrinterSettings> {
        self.printers_where(Some(name), 1, 0)
            .await?
            .pop()
            .ok_or_else(|| DomainError::NotFound("printer").into())
    }

    /// The one printer SELECT: by name or all, in name order.
    async fn printers_where(
        &self,
        name: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<PrinterSettings>> {
        let rows = sqlx::query!(
            "SELECT name, address, language, dpi, stock, darkness FROM printers
             WHERE ?1 IS NULL OR name = ?1 ORDER BY name LIMIT ?2 OFFSET ?3",
            name,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| printer_settings(r.name, &r.address, &r.language, r.dpi, &r.stock, r.darkness))
            .collect()
    }

    /// The oldest queued job whose time has come, if any.
    pub async fn next_print_job(&self) -> Result<Option<DueJob>> {
        let now = format_utc(self.clock.now());
        let row = sqlx::query!(
            r#"SELECT j.id AS "id!", j.payload, j.copies, j.attempts, p.name, p.address, p.language, p.dpi, p.stock, p.darkness
               FROM print_jobs j JOIN printers p ON p.name = j.printer
               WHERE j.state = 'queued' AND j.next_attempt_at <= ?1
               ORDER BY j.created_at, j.id LIMIT 1"#,
            now
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let copies = usize::try_from(r.copies).unwrap_or(1).max(1);
        Ok(Some(DueJob {
            id: parse_uuid(&r.id)?,
            printer: printer_settings(
                r.name,
                &r.address,
                &r.language,
                r.dpi,
                &r.stock,
                r.darkness,
            )?,
            payload: r.payload.repeat(copies),
            attempts: r.attempts,
        }))
    }

    /// The job is about to go out: one more attempt.
    pub async fn print_job_sending(&self, id: Uuid) -> Result<()> {
        let (id, now) = (id.to_string(), format_utc(self.clock.now()));
        sqlx::query!("UPDATE print_jobs SET state = 'sent', attempts = attempts + 1, waiting_for = NULL, updated_at = ?1 WHERE id = ?2 AND state = 'queued'", now, id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn print_job_done(&self, id: Uuid) -> Result<()> {
        let (id, now) = (id.to_string(), format_utc(self.clock.now()));
        sqlx::query!("UPDATE print_jobs SET state = 'done', last_error = NULL, updated_at = ?1 WHERE id = ?2", now, id).execute(&self.pool).await?;
        Ok(())
    }

    /// An attempt did not complete: try again later, or give up after `MAX_ATTEMPTS`.
    pub async fn print_job_attempt_failed(
        &self,
        id: Uuid,
        error: &str,
        retry_in: chrono::Duration,
    ) -> Result<()> {
        let (id, now, next) = (
            id.to_string(),
            format_utc(self.clock.now()),
            format_utc(self.clock.now() + retry_in),
        );
        sqlx::query!(
            "UPDATE print_jobs SET state = CASE WHEN attempts >= ?1 THEN 'failed' ELSE 'queued' END,
                                   last_error = ?2, updated_at = ?3, next_attempt_at = ?4 WHERE id = ?5",
            MAX_ATTEMPTS, error, now, next, id
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The printer reports a fault: the job stays queued and says what it waits for.
    pub async fn print_job_waiting(
        &self,
        id: Uuid,
        waiting_for: &str,
        retry_in: chrono::Duration,
    ) -> Result<()> {
        let (id, now, next) = (
            id.to_string(),
            format_utc(self.clock.now()),
            format_utc(self.clock.now() + retry_in),
        );
        sqlx::query!("UPDATE print_jobs SET waiting_for = ?1, updated_at = ?2, next_attempt_at = ?3 WHERE id = ?4 AND state = 'queued'", waiting_for, now, next, id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes a job that has not printed off the queue (a wrong kit, a printer gone for
    /// good). A job being sent cannot be cancelled: the printer may already have it.
    pub async fn cancel_print_job(&self, actor: &Actor, id: Uuid, reason: &str) -> Result<()> {
        self.change_print_job(actor, id, JobChange::Cancel, Some(reason))
            .await
    }

    /// Puts a failed job back on the queue with a fresh set of attempts (the printer has
    /// been fixed), to be sent at once.
    pub async fn retry_print_job(&self, actor: &Actor, id: Uuid) -> Result<()> {
        self.change_print_job(actor, id, JobChange::Retry, None)
            .await
    }

    async fn change_print_job(
        &self,
        actor: &Actor,
        id: Uuid,
        change: JobChange,
        reason: Option<&str>,
    ) -> Result<()> {
        let (key, now) = (id.to_string(), format_utc(self.clock.now()));
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let state = sqlx::query_scalar!("SELECT state FROM print_jobs WHERE id = ?1", key)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(DomainError::NotFound("print job"))?;
        let (done, action, refusal) = match change {
            JobChange::Cancel => (
                sqlx::query!(
                    "UPDATE print_jobs SET state = 'cancelled', waiting_for = NULL, updated_at = ?1,
                            cancel_reason = ?3
                     WHERE id = ?2 AND state IN ('queued', 'failed')",
                    now,
                    key,
                    reason
                )
                .execute(&mut *tx)
                .await?,
                AuditAction::PrintJobCancelled,
                "only a queued or failed job can be cancelled",
            ),
            JobChange::Retry => (
                sqlx::query!(
                    "UPDATE print_jobs SET state = 'queued', attempts = 0, waiting_for = NULL,
                            updated_at = ?1, next_attempt_at = ?1
                     WHERE id = ?2 AND state = 'failed'",
                    now,
                    key
                )
                .execute(&mut *tx)
                .await?,
                AuditAction::PrintJobRetried,
                "only a failed job can be retried",
            ),
            JobChange::ConfirmPrinted => (
                sqlx::query!(
                "UPDATE print_jobs SET state = 'done', in_doubt_since = NULL, last_error = NULL, updated_at = ?1
                 WHERE id = ?2 AND state = 'sent' AND in_doubt_since IS NOT NULL",
                now,
                key
            )
                .execute(&mut *tx)
                .await?,
                AuditAction::PrintJobConfirmed,
                IN_DOUBT_ONLY,
            ),
            JobChange::PrintAgain => (
                sqlx::query!(
                "UPDATE print_jobs SET state = 'queued', in_doubt_since = NULL, last_error = NULL,
                        waiting_for = NULL, updated_at = ?1, next_attempt_at = ?1
                 WHERE id = ?2 AND state = 'sent' AND in_doubt_since IS NOT NULL",
                now,
                key
            )
                .execute(&mut *tx)
                .await?,
                AuditAction::PrintJobRetried,
                IN_DOUBT_ONLY,
            ),
        };
        if done.rows_affected() == 0 {
            return Err(DomainError::invalid(
                "print job",
                format!("{refusal}; this one is {state}"),
            )
            .into());
        }
        let head = audit::append(
            &mut tx,
            &self.device_entry(
                actor.user_id,
                &actor.username,
                action,
                "print_job",
                &key,
                reason,
            ),
        )
        .await?;
        self.commit_audited(tx, head).await?;
        Ok(())
    }

    /// Jobs caught "sent" by a crash are held in doubt: the printer may have received the
    /// whole job before the crash (its "done" is written after the printer confirms), and a
    /// second set of tube labels is a wrong-sample risk. A person checks the labels and
    /// settles the job (`settle_print_job`); nothing is resent on its own.
    pub async fn hold_interrupted_print_jobs(&self) -> Result<u64> {
        let now = format_utc(self.clock.now());
        let held = sqlx::query!(
            "UPDATE print_jobs SET in_doubt_since = ?1, updated_at = ?1,
                    last_error = 'interrupted while printing: it may have printed. Check the printer, then confirm the labels or print again.'
             WHERE state = 'sent' AND in_doubt_since IS NULL",
            now
        )
        .execute(&self.pool)
        .await?;
        Ok(held.rows_affected())
    }

    /// Settles a job held in doubt: the labels are there (`printed`), or it is printed
    /// again, which needs a reason. Audited like a cancel or retry.
    pub async fn settle_print_job(
        &self,
        actor: &Actor,
        id: Uuid,
        printed: bool,
        reason: Option<&str>,
    ) -> Result<()> {
        if !printed && reason.is_none() {
            return Err(
                DomainError::invalid("reason", "say why the labels are printed again").into(),
            );
        }
        let change = if printed {
            JobChange::ConfirmPrinted
        } else {
            JobChange::PrintAgain
        };
        self.change_print_job(actor, id, change, reason).await
    }

    /// Kits whose labels were asked for with the registration but never queued (a crash
    /// between the two, or a printing problem), oldest first.
    pub async fn unprinted_kits(&self, request: PageRequest) -> Result<Page<UnprintedKit>> {
        let page = request.validate()?;
        let total = sqlx::query_scalar!("SELECT COUNT(*) FROM kit_labels_owed")
            .fetch_one(&self.pool)
            .await?;
        let (limit, offset) = (page.limit(), page.offset());
        let rows = sqlx::query!(
            r#"SELECT o.registration_id AS "registration_id!", o.owed_since, o.last_error,
                      p.code AS participant_code, t.name AS kit_name,
                      (SELECT COUNT(*) FROM samples s WHERE s.registration_id = o.registration_id) AS "tubes!: i64"
               FROM kit_labels_owed o
               JOIN kit_registrations k ON k.id = o.registration_id
               JOIN participants p ON p.id = k.participant_id
               JOIN kit_templates t ON t.id = k.template_id
               ORDER BY o.owed_since, o.registration_id LIMIT ?1 OFFSET ?2"#,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(UnprintedKit {
                    registration_id: parse_uuid(&r.registration_id)?,
                    participant_code: r.participant_code,
                    kit_name: r.kit_name,
                    tubes: r.tubes,
                    owed_since: parse_utc(&r.owed_since)?,
                    last_error: r.last_error,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// Why a kit's owed labels could not be queued, shown with it at the desk.
    pub async fn kit_labels_not_queued(&self, registration_id: Uuid, why: &str) -> Result<()> {
        let id = registration_id.to_string();
        sqlx::query!(
            "UPDATE kit_labels_owed SET last_error = ?2 WHERE registration_id = ?1",
            id,
            why
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn print_job(&self, id: Uuid) -> Result<PrintJobRecord> {
        let mut page = self
            .print_jobs_where(Some(id.to_string()), None, 1, 0)
            .await?;
        page.pop()
            .ok_or_else(|| DomainError::NotFound("print job").into())
    }

    /// The print queue, newest first; with `record`, only the jobs that printed it (a
    /// sample's or a box's labels).
    pub async fn print_jobs(
        &self,
        record: Option<Uuid>,
        page: PageRequest,
    ) -> Result<Page<PrintJobRecord>> {
        let page = page.validate()?;
        let record = record.map(|r| r.to_string());
        let total = sqlx::query_scalar!(
            "SELECT COUNT(*) FROM print_jobs
             WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM json_each(records) WHERE value = ?1)",
            record
        )
        .fetch_one(&self.pool)
        .await?;
        let items = self
            .print_jobs_where(None, record, page.limit(), page.offset())
            .await?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// The job's exact bytes, for a reprint.
    pub async fn print_job_payload(&self, id: Uuid) -> Result<String> {
        let id = id.to_string();
        let payload = sqlx::query_scalar!("SELECT payload FROM print_jobs WHERE id = ?1", id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DomainError::NotFound("print job"))?;
        String::from_utf8(payload).map_err(|e| StoreError::Decode(e.to_string()))
    }

    async fn print_jobs_where(
        &self,
        id: Option<String>,
        record: Option<String>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<PrintJobRecord>> {
        let rows = sqlx::query!(
            r#"SELECT id AS "id!", printer, template, subject, records, copies, state, attempts, last_error, waiting_for,
                      reprint_of, reason, cancel_reason, in_doubt_since, created_at, updated_at
               FROM print_jobs
               WHERE (?1 IS NULL OR id = ?1)
                 AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(records) WHERE value = ?4))
               ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"#,
            id,
            limit,
            offset,
            record
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(PrintJobRecord {
                    id: parse_uuid(&r.id)?,
                    printer: r.printer,
                    template: r.template,
                    subject: r.subject,
                    records: serde_json::from_str(&r.records)
                        .map_err(|e| StoreError::Decode(e.to_string()))?,
                    copies: u8::try_from(r.copies).unwrap_or(1),
                    state: r.state,
                    attempts: r.attempts,
                    last_error: r.last_error,
                    waiting_for: r.waiting_for,
                    reprint_of: r.reprint_of.as_deref().map(parse_uuid).transpose()?,
                    reason: r.reason,
                    cancel_reason: r.cancel_reason,
                    in_doubt_since: r.in_doubt_since.as_deref().map(parse_utc).transpose()?,
                    created_at: parse_utc(&r.created_at)?,
                    updated_at: parse_utc(&r.updated_at)?,
                })
            })
            .collect()
    }
}
