//! The query builder (issue 17, item 2): the closed set of fields, a preview page, and the
//! streamed CSV export as a job of this workstation — written to its exports folder row
//! by row, with progress, cancel, and the first lines of the file to look at.
//!
//! An export is this workstation's work, not a lab command: it changes nothing and is not
//! synced. Its jobs live in memory; each is its starter's, and only they see or cancel it.

use crate::dto::{default_per_page, first_page, CoreEvent, NoArgs};
use crate::{Api, ApiError};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::query::{self, Field, FieldType, Operator, Query, QueryEntity};
use aliquot_domain::Permission;
use aliquot_reports::csv::CsvOptions;
use aliquot_reports::Column;
use aliquot_store::query::{ExportOutcome, ExportProgress, QueryRow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::BufRead as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// At most this many lines of an export are shown back.
const MAX_HEAD_LINES: u32 = 50;

/// What the query builder offers: each kind of record with its fields, and the comparisons
/// each kind of field takes.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QueryCatalogue {
    pub entities: Vec<EntityFields>,
    pub operators: Vec<TypeOperators>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EntityFields {
    pub entity: QueryEntity,
    pub label: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TypeOperators {
    pub field_type: FieldType,
    pub operators: Vec<OperatorChoice>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OperatorChoice {
    pub operator: Operator,
    pub label: String,
    /// How many values it takes, at least and at most.
    pub min_values: u32,
    pub max_values: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct QueryArgs {
    pub query: Query,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PreviewQueryArgs {
    pub query: Query,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

/// The columns a query shows, headings and kinds, in order.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QueryColumns {
    pub columns: Vec<Column>,
    /// How many records the query finds, counted in SQL.
    #[ts(type = "number")]
    pub total: u64,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct StartExportArgs {
    pub query: Query,
    /// A byte-order mark first, so a spreadsheet opens the file as UTF-8.
    #[serde(default)]
    pub bom: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ExportArgs {
    pub export_id: Uuid,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ExportHeadArgs {
    pub export_id: Uuid,
    /// How many lines (at most 50).
    #[serde(default = "ten")]
    pub lines: u32,
}

fn ten() -> u32 {
    10
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ExportState {
    Running,
    Finished,
    Cancelled,
    Failed,
}

/// Where an export stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportStatus {
    pub export_id: Uuid,
    pub entity: QueryEntity,
    /// The file's full path on this workstation (written under another name until done).
    pub path: String,
    pub file_name: String,
    pub state: ExportState,
    #[ts(type = "number")]
    pub rows: u64,
    /// The rows the query found when the export started.
    #[ts(type = "number")]
    pub total: u64,
    pub started_at: DateTime<Utc>,
    #[ts(optional)]
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed, in words a user can act on.
    #[ts(optional)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ExportHead {
    pub lines: Vec<String>,
}

struct ExportJob {
    owner: Uuid,
    status: ExportStatus,
    cancel: Arc<AtomicBool>,
}

/// This workstation's export jobs, by id.
#[derive(Clone, Default)]
pub(crate) struct Exports(Arc<Mutex<HashMap<Uuid, ExportJob>>>);

impl Exports {
    fn insert(&self, job: ExportJob) {
        if let Ok(mut jobs) = self.0.lock() {
            jobs.insert(job.status.export_id, job);
        }
    }

    /// The job's status, if `owner` started it (anyone else is told it does not exist).
    fn status(&self, id: Uuid, owner: Uuid) -> Result<(ExportStatus, Arc<AtomicBool>)> {
        self.0
            .lock()
            .ok()
            .and_then(|jobs| {
                jobs.get(&id)
                    .filter(|j| j.owner == owner)
                    .map(|j| (j.status.clone(), j.cancel.clone()))
            })
            .ok_or_else(|| ApiError::new(crate::ErrorCode::NotFound, "There is no such export."))
    }

    /// Who started the job, while it is known.
    fn owner(&self, id: Uuid) -> Option<Uuid> {
        self.0.lock().ok()?.get(&id).map(|j| j.owner)
    }

    fn update(&self, id: Uuid, change: impl FnOnce(&mut ExportStatus)) -> Option<ExportStatus> {
        let mut jobs = self.0.lock().ok()?;
        let job = jobs.get_mut(&id)?;
        change(&mut job.status);
        Some(job.status.clone())
    }
}

impl Api {
    /// The entities, their fields and each field type's comparisons.
    pub async fn query_catalogue(
        &self,
        token: Option<&str>,
        _args: NoArgs,
    ) -> Result<QueryCatalogue> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let types = [
            FieldType::Text,
            FieldType::Integer,
            FieldType::Decimal,
            FieldType::Time,
            FieldType::Date,
            FieldType::Choice,
            FieldType::Flag,
        ];
        Ok(QueryCatalogue {
            entities: QueryEntity::ALL
                .iter()
                .map(|&entity| EntityFields {
                    entity,
                    label: entity.label().to_owned(),
                    fields: query::fields(entity).to_vec(),
                })
                .collect(),
            operators: types
                .iter()
                .map(|&field_type| TypeOperators {
                    field_type,
                    operators: query::operators(field_type)
                        .iter()
                        .map(|&operator| {
                            let (min, max) = operator.value_count();
                            OperatorChoice {
                                operator,
                                label: operator.label().to_owned(),
                                min_values: u32::try_from(min).unwrap_or(u32::MAX),
                                max_values: u32::try_from(max).unwrap_or(u32::MAX),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    /// The query's columns and how many records it finds.
    pub async fn query_columns(
        &self,
        token: Option<&str>,
        args: QueryArgs,
    ) -> Result<QueryColumns> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(QueryColumns {
            columns: self.store().query_columns(&args.query).await?,
            total: self.store().query_count(&args.query).await?,
        })
    }

    /// A page of what the query finds, filtered, sorted, counted and paged in SQL.
    pub async fn preview_query(
        &self,
        token: Option<&str>,
        args: PreviewQueryArgs,
    ) -> Result<Page<QueryRow>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .query_preview(
                &args.query,
                PageRequest {
                    page: args.page,
                    per_page: args.per_page,
                },
            )
            .await?)
    }

    /// Starts writing everything the query finds to a CSV file in this workstation's
    /// exports folder; answers at once, the rows follow (`export_status`, `ExportChanged`).
    pub async fn start_export(
        &self,
        token: Option<&str>,
        args: StartExportArgs,
    ) -> Result<ExportStatus> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        // A query the store refuses is refused here, before any file exists.
        let total = self.store().query_count(&args.query).await?;
        let folder = self
            .store()
            .data_dir()
            .map(|d| d.join("exports"))
            .ok_or_else(|| ApiError::invalid("This store has no folder to export to."))?;
        std::fs::create_dir_all(&folder).map_err(|e| ApiError::internal(&e))?;
        let started_at = self.store().now();
        let export_id = Uuid::now_v7();
        let file_name = format!(
            "{}-{}-{}.csv",
            args.query.entity.label(),
            started_at.format("%Y%m%d-%H%M%S"),
            &export_id.simple().to_string()[24..]
        );
        let path = folder.join(&file_name);
        let status = ExportStatus {
            export_id,
            entity: args.query.entity,
            path: path.to_string_lossy().into_owned(),
            file_name,
            state: ExportState::Running,
            rows: 0,
            total,
            started_at,
            finished_at: None,
            message: None,
        };
        let cancel = Arc::new(AtomicBool::new(false));
        self.exports.insert(ExportJob {
            owner: actor.user_id,
            status: status.clone(),
            cancel: cancel.clone(),
        });
        // On a blocking thread: the file is written with plain (blocking) writes, which must
        // not hold up the runtime's workers; the rows still come from the pool's connection.
        let api = self.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            runtime.block_on(api.write_export(export_id, args, path, cancel));
        });
        Ok(status)
    }

    async fn write_export(
        &self,
        export_id: Uuid,
        args: StartExportArgs,
        path: PathBuf,
        cancel: Arc<AtomicBool>,
    ) {
        let partial = path.with_extension("csv.part");
        let outcome = match std::fs::File::create(&partial) {
            Ok(file) => {
                let on_rows = |rows: u64| {
                    if let Some(status) = self.exports.update(export_id, |s| s.rows = rows) {
                        self.emit(CoreEvent::ExportChanged { status });
                    }
                };
                self.store()
                    .export_query_csv(
                        &args.query,
                        std::io::BufWriter::with_capacity(256 * 1024, file),
                        CsvOptions { bom: args.bom },
                        ExportProgress {
                            on_rows: &on_rows,
                            cancelled: &cancel,
                        },
                    )
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        let now = self.store().now();
        let (state, rows, message) = match outcome {
            Ok(ExportOutcome::Finished { rows }) => match std::fs::rename(&partial, &path) {
                Ok(()) => (ExportState::Finished, rows, None),
                Err(e) => (ExportState::Failed, rows, Some(e.to_string())),
            },
            Ok(ExportOutcome::Cancelled { rows }) => {
                let _ = std::fs::remove_file(&partial);
                (ExportState::Cancelled, rows, None)
            }
            Err(detail) => {
                let _ = std::fs::remove_file(&partial);
                tracing::error!(%export_id, %detail, "export failed");
                (ExportState::Failed, 0, Some(detail))
            }
        };
        if let Some(status) = self.exports.update(export_id, |s| {
            s.state = state;
            s.rows = rows;
            s.finished_at = Some(now);
            s.message = message.map(|_| {
                "The export could not be written; check the disk has space and try again.".into()
            });
        }) {
            self.emit(CoreEvent::ExportChanged { status });
        }
    }

    /// Whether `user_id` may hear `event`: an export's progress is its starter's only (it
    /// names their file); every other event is the workstation's.
    pub(crate) fn event_is_for(&self, event: &CoreEvent, user_id: Uuid) -> bool {
        match event {
            CoreEvent::ExportChanged { status } => {
                self.exports.owner(status.export_id) == Some(user_id)
            }
            _ => true,
        }
    }

    /// Where the caller's export stands.
    pub async fn export_status(
        &self,
        token: Option<&str>,
        args: ExportArgs,
    ) -> Result<ExportStatus> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self.exports.status(args.export_id, actor.user_id)?.0)
    }

    /// Stops the caller's running export; the part written is removed.
    pub async fn cancel_export(
        &self,
        token: Option<&str>,
        args: ExportArgs,
    ) -> Result<ExportStatus> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        let (status, cancel) = self.exports.status(args.export_id, actor.user_id)?;
        cancel.store(true, Ordering::Relaxed);
        Ok(status)
    }

    /// The first lines of a finished export, as written (to check it before sending it on).
    pub async fn export_head(
        &self,
        token: Option<&str>,
        args: ExportHeadArgs,
    ) -> Result<ExportHead> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        let (status, _) = self.exports.status(args.export_id, actor.user_id)?;
        if status.state != ExportState::Finished {
            return Err(ApiError::invalid("The export has not finished."));
        }
        let file = std::fs::File::open(&status.path).map_err(|e| ApiError::internal(&e))?;
        let lines = std::io::BufReader::new(file)
            .lines()
            .take(usize::try_from(args.lines.min(MAX_HEAD_LINES)).unwrap_or(10))
            .collect::<std::io::Result<Vec<String>>>()
            .map_err(|e| ApiError::internal(&e))?;
        Ok(ExportHead { lines })
    }
}
