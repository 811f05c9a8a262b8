//! Watch folders: where on this bench PC each instrument writes its result files, and every
//! file taken from there with what became of it (imported, the same file again, waiting for
//! someone to choose its run, failed with its reason). The folder is set by the audited
//! `SetWatchFolder` command; the files are this workstation's bookkeeping, written by the
//! watcher as it takes them (like a print job's progress), never synced.

use crate::executor::{Applied, Change, Ctx};
use crate::users::parse_uuid;
use crate::{format_utc, parse_utc, Result, Store, StoreError};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::{Actor, DomainError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::SqliteConnection;
use ts_rs::TS;
use uuid::Uuid;

/// An instrument's watch folder on this workstation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct WatchFolderRecord {
    pub instrument_id: Uuid,
    pub instrument_name: String,
    pub folder: String,
    pub auto_import: bool,
    pub configured_by: Uuid,
    pub updated_at: DateTime<Utc>,
}

/// What became of a file taken from a watch folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum WatchedFileState {
    /// Read and understood; waiting for a technician to choose its run and import it.
    Waiting,
    Imported,
    /// The same bytes were imported into the run before: nothing changed.
    AlreadyImported,
    /// It could not be read or understood: the reason says why. The folder goes on.
    Failed,
}

impl WatchedFileState {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchedFileState::Waiting => "waiting",
            WatchedFileState::Imported => "imported",
            WatchedFileState::AlreadyImported => "already_imported",
            WatchedFileState::Failed => "failed",
        }
    }
    fn parse(s: &str) -> Option<WatchedFileState> {
        [
            WatchedFileState::Waiting,
            WatchedFileState::Imported,
            WatchedFileState::AlreadyImported,
            WatchedFileState::Failed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A file taken from a watch folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct WatchedFileRecord {
    #[ts(type = "number")]
    pub id: i64,
    pub instrument_id: Uuid,
    pub path: String,
    pub file_name: String,
    pub sha256: Option<String>,
    #[ts(type = "number | null")]
    pub size: Option<i64>,
    pub seen_at: DateTime<Utc>,
    pub state: WatchedFileState,
    pub reason: Option<String>,
    pub run_id: Option<Uuid>,
    pub import_id: Option<Uuid>,
}

/// A file as the watcher took it, to record.
#[derive(Debug, Clone)]
pub struct TakenFile<'a> {
    pub instrument_id: Uuid,
    pub path: &'a str,
    pub file_name: &'a str,
    pub sha256: Option<&'a str>,
    pub size: Option<i64>,
    pub modified_at: Option<DateTime<Utc>>,
}

pub(crate) async fn set(
    conn: &mut SqliteConnection,
    ctx: &Ctx<'_>,
    instrument_id: Uuid,
    folder: Option<&str>,
    auto_import: bool,
) -> Result<Applied> {
    let instrument = crate::instruments::load_instrument(conn, instrument_id).await?;
    let id = instrument_id.to_string();
    let before = sqlx::query!(
        "SELECT folder, auto_import FROM watch_folders WHERE instrument_id = ?1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let old = before
        .as_ref()
        .map(|b| json!({"folder": b.folder, "auto_import": b.auto_import != 0}));
    let new = match folder.map(str::trim) {
        None => {
            if before.is_none() {
                return Err(DomainError::Refused(format!(
                    "{} has no watch folder on this workstation",
                    instrument.description.name
                ))
                .into());
            }
            sqlx::query!("DELETE FROM watch_folders WHERE instrument_id = ?1", id)
                .execute(&mut *conn)
                .await?;
            None
        }
        Some(path) => {
            if path.is_empty() || path.chars().count() > 1000 || path.contains('\0') {
                return Err(DomainError::invalid(
                    "folder",
                    "the folder's full path, as this PC writes it",
                )
                .into());
            }
            if !std::path::Path::new(path).is_absolute() {
                return Err(DomainError::invalid(
                    "folder",
                    "give the folder's full path (C:\\Gen5\\Export, /data/gen5), not a relative one",
                )
                .into());
            }
            let (user, now) = (ctx.actor.user_id.to_string(), format_utc(ctx.now));
            sqlx::query!(
                "INSERT INTO watch_folders (instrument_id, folder, auto_import, configured_by, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (instrument_id) DO UPDATE SET folder = ?2, auto_import = ?3,
                     configured_by = ?4, updated_at = ?5",
                id, path, auto_import, user, now
            )
            .execute(&mut *conn)
            .await?;
            Some(json!({"folder": path, "auto_import": auto_import}))
        }
    };
    if old == new {
        return Err(DomainError::invalid("folder", "nothing to change").into());
    }
    Ok(Change {
        entity_type: "instrument",
        entity_id: id,
        old: old.map(|o| json!({"watch_folder": o})),
        new: new.map(|n| json!({"watch_folder": n})),
        subject_user_id: None,
    }
    .into())
}

struct WatchedFileSql {
    id: i64,
    instrument_id: String,
    path: String,
    file_name: String,
    sha256: Option<String>,
    size: Option<i64>,
    seen_at: String,
    state: String,
    reason: Option<String>,
    run_id: Option<String>,
    import_id: Option<String>,
}

impl TryFrom<WatchedFileSql> for WatchedFileRecord {
    type Error = StoreError;
    fn try_from(f: WatchedFileSql) -> Result<Self> {
        Ok(WatchedFileRecord {
            id: f.id,
            instrument_id: parse_uuid(&f.instrument_id)?,
            seen_at: parse_utc(&f.seen_at)?,
            state: WatchedFileState::parse(&f.state)
                .ok_or_else(|| StoreError::Decode(format!("watched file state {:?}", f.state)))?,
            run_id: f.run_id.as_deref().map(parse_uuid).transpose()?,
            import_id: f.import_id.as_deref().map(parse_uuid).transpose()?,
            path: f.path,
            file_name: f.file_name,
            sha256: f.sha256,
            size: f.size,
            reason: f.reason,
        })
    }
}

/// The one watched-file SELECT; callers add the WHERE clause and its parameters.
macro_rules! select_watched_files {
    ($tail:literal, $($arg:expr),*) => {
        sqlx::query_as!(
            WatchedFileSql,
            r#"SELECT id AS "id!", instrument_id, path, file_name, sha256, size, seen_at, state,
                      reason, run_id, import_id
               FROM watched_files "# + $tail,
            $($arg),*
        )
    };
}

impl Store {
    /// A page of this workstation's watch folders, by instrument name.
    pub async fn watch_folders(&self, request: PageRequest) -> Result<Page<WatchFolderRecord>> {
        let page = request.validate()?;
        let (limit, offset) = (page.limit(), page.offset());
        let total = sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM watch_folders"#)
            .fetch_one(&self.pool)
            .await?;
        let items = sqlx::query!(
            r#"SELECT w.instrument_id, i.name, w.folder, w.auto_import, w.configured_by, w.updated_at
               FROM watch_folders w JOIN instruments i ON i.id = w.instrument_id
               ORDER BY i.name LIMIT ?1 OFFSET ?2"#,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|w| {
            Ok(WatchFolderRecord {
                instrument_id: parse_uuid(&w.instrument_id)?,
                instrument_name: w.name,
                folder: w.folder,
                auto_import: w.auto_import != 0,
                configured_by: parse_uuid(&w.configured_by)?,
                updated_at: parse_utc(&w.updated_at)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    /// The instrument's watch folder here, if it has one.
    pub async fn watch_folder(&self, instrument_id: Uuid) -> Result<Option<WatchFolderRecord>> {
        let id = instrument_id.to_string();
        sqlx::query!(
            r#"SELECT w.instrument_id, i.name, w.folder, w.auto_import, w.configured_by, w.updated_at
               FROM watch_folders w JOIN instruments i ON i.id = w.instrument_id
               WHERE w.instrument_id = ?1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|w| {
            Ok(WatchFolderRecord {
                instrument_id: parse_uuid(&w.instrument_id)?,
                instrument_name: w.name,
                folder: w.folder,
                auto_import: w.auto_import != 0,
                configured_by: parse_uuid(&w.configured_by)?,
                updated_at: parse_utc(&w.updated_at)?,
            })
        })
        .transpose()
    }

    /// Whom an automatic import from the folder runs as: the user who set it up, while
    /// active.
    pub async fn watch_folder_actor(&self, folder: &WatchFolderRecord) -> Result<Option<Actor>> {
        let user = self.user(folder.configured_by).await?;
        if !user.active {
            return Ok(None);
        }
        Ok(Some(Actor {
            user_id: user.id,
            username: user.username,
            role: user.role,
        }))
    }

    /// A page of the files taken from an instrument's folder, newest first, optionally of
    /// one state.
    pub async fn watched_files(
        &self,
        instrument_id: Uuid,
        state: Option<WatchedFileState>,
        request: PageRequest,
    ) -> Result<Page<WatchedFileRecord>> {
        let page = request.validate()?;
        let (id, st, limit, offset) = (
            instrument_id.to_string(),
            state.map(WatchedFileState::as_str),
            page.limit(),
            page.offset(),
        );
        let total = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM watched_files
               WHERE instrument_id = ?1 AND (?2 IS NULL OR state = ?2)"#,
            id,
            st
        )
        .fetch_one(&self.pool)
        .await?;
        let items = select_watched_files!(
            "WHERE instrument_id = ?1 AND (?2 IS NULL OR state = ?2)
             ORDER BY seen_at DESC, id DESC LIMIT ?3 OFFSET ?4",
            id,
            st,
            limit,
            offset
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(WatchedFileRecord::try_from)
        .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, page, u64::try_from(total).unwrap_or(0)))
    }

    pub async fn watched_file(&self, id: i64) -> Result<WatchedFileRecord> {
        select_watched_files!("WHERE id = ?1", id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DomainError::NotFound("watched file"))?
            .try_into()
    }

    /// Whether this very version of the file (path and SHA-256) was taken before: the
    /// watcher takes it once, across restarts.
    pub async fn watched_file_known(
        &self,
        instrument_id: Uuid,
        path: &str,
        sha256: &str,
    ) -> Result<bool> {
        let id = instrument_id.to_string();
        let n = sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM watched_files
               WHERE instrument_id = ?1 AND path = ?2 AND sha256 = ?3"#,
            id,
            path,
            sha256
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Whether this problem with this path was recorded already and is its latest word: a
    /// watcher started again reports the same empty file again, which is not news.
    pub async fn watched_problem_known(
        &self,
        instrument_id: Uuid,
        path: &str,
        reason: &str,
    ) -> Result<bool> {
        let id = instrument_id.to_string();
        let latest = sqlx::query!(
            r#"SELECT state, reason FROM watched_files WHERE instrument_id = ?1 AND path = ?2
               ORDER BY id DESC LIMIT 1"#,
            id,
            path
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(latest.is_some_and(|l| {
            l.state == WatchedFileState::Failed.as_str() && l.reason.as_deref() == Some(reason)
        }))
    }

    /// Records a file the watcher took (or could not read), with what became of it.
    pub async fn record_watched_file(
        &self,
        file: &TakenFile<'_>,
        state: WatchedFileState,
        reason: Option<&str>,
        run_id: Option<Uuid>,
        import_id: Option<Uuid>,
    ) -> Result<i64> {
        let (instrument, seen, st) = (
            file.instrument_id.to_string(),
            format_utc(self.clock.now()),
            state.as_str(),
        );
        let modified = file.modified_at.map(format_utc);
        let (run, import) = (
            run_id.map(|r| r.to_string()),
            import_id.map(|i| i.to_string()),
        );
        let id = sqlx::query_scalar!(
            r#"INSERT INTO watched_files (instrument_id, path, file_name, sha256, size, modified_at, seen_at,
                                          state, reason, run_id, import_id)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
               ON CONFLICT (instrument_id, path, sha256) WHERE sha256 IS NOT NULL
               DO UPDATE SET state = ?8, reason = ?9, run_id = ?10, import_id = ?11
               RETURNING id AS "id!: i64""#,
            instrument,
            file.path,
            file.file_name,
            file.sha256,
            file.size,
            modified,
            seen,
            st,
            reason,
            run,
            import
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// A waiting file imported (or found imported already) from the Import screen.
    pub async fn settle_watched_file(
        &self,
        id: i64,
        state: WatchedFileState,
        run_id: Uuid,
        import_id: Uuid,
    ) -> Result<()> {
        let (st, run, import) = (state.as_str(), run_id.to_string(), import_id.to_string());
        sqlx::query!(
            "UPDATE watched_files SET state = ?1, reason = NULL, run_id = ?2, import_id = ?3 WHERE id = ?4",
            st,
            run,
            import,
            id
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
