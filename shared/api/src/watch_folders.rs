//! Watch folders on the bench PC (issue 16, item 5): per instrument, the folder its software
//! writes result files to. [`Api::run_watch_folders`] keeps one `aliquot_watch` watcher per
//! folder set on this workstation (notify, with polling as the fallback for network shares);
//! each file it takes (once it has stopped changing) is hashed, recorded, read with the
//! instrument's parser and offered for import on its run's page, or imported at once where
//! the lab said so. A file is never moved or deleted; one that fails is listed with its
//! reason and the folder goes on.

use crate::dto::{default_per_page, first_page};
use crate::{Api, ApiError};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::runs::RunState;
use aliquot_domain::{Command, DomainError, Permission};
use aliquot_store::result_import::{ImportOutcome, ImportPreview};
use aliquot_store::runs::RunFilter;
use aliquot_store::watch_folders::{
    TakenFile, WatchFolderRecord, WatchedFileRecord, WatchedFileState,
};
use aliquot_watch::{ActiveMode, WatchConfig, WatchEvent, Watcher};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// How a watch folder is doing right now on this workstation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum FolderState {
    /// Set, but its watcher has not reported yet.
    Starting,
    /// Watched, by change notifications and polling.
    Watching,
    /// Watched by polling only (a network share, or notifications failed): why.
    Polling {
        why: String,
    },
    /// The folder is not there (a share offline, a drive unplugged); watched for its return.
    Missing,
    Unreadable {
        reason: String,
    },
}

/// A watch folder and how it is doing.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WatchFolderView {
    pub folder: WatchFolderRecord,
    pub status: FolderState,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SetWatchFolderArgs {
    pub instrument_id: Uuid,
    /// The folder's full path on this PC; none stops watching.
    #[serde(default)]
    #[ts(optional)]
    pub folder: Option<String>,
    pub auto_import: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListWatchFoldersArgs {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListWatchedFilesArgs {
    pub instrument_id: Uuid,
    #[serde(default)]
    #[ts(optional)]
    pub state: Option<WatchedFileState>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

/// A file from the watch folder, for a run.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct WatchedFileArgs {
    pub run_id: Uuid,
    #[ts(type = "number")]
    pub file_id: i64,
    /// Why a corrected file supersedes the run's results.
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
}

/// The instrument's watch folder after the change: none once watching stopped.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WatchFolderSet {
    pub watch_folder: Option<WatchFolderView>,
}

/// The watchers this workstation runs, and what each last said.
#[derive(Default)]
pub(crate) struct WatchService {
    status: Mutex<HashMap<Uuid, FolderState>>,
    /// Wakes the supervisor when a folder is set or changed.
    changed: tokio::sync::Notify,
}

struct Running {
    folder: String,
    /// Held, not read: dropping it stops the watcher.
    _watcher: Watcher,
}

impl Api {
    fn folder_state(&self, instrument_id: Uuid) -> FolderState {
        self.watch
            .status
            .lock()
            .ok()
            .and_then(|s| s.get(&instrument_id).cloned())
            .unwrap_or(FolderState::Starting)
    }

    fn set_folder_state(&self, instrument_id: Uuid, state: Option<FolderState>) {
        if let Ok(mut s) = self.watch.status.lock() {
            match state {
                Some(state) => s.insert(instrument_id, state),
                None => s.remove(&instrument_id),
            };
        }
    }

    /// Keeps a watcher on every folder set on this workstation, and handles what they take.
    /// Runs for the life of the app (spawned by the desktop app and the local HTTP mode).
    pub async fn run_watch_folders(self) {
        let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel::<(Uuid, WatchEvent)>();
        let mut running: HashMap<Uuid, Running> = HashMap::new();
        loop {
            self.supervise_watchers(&mut running, &events_tx).await;
            tokio::select! {
                Some((instrument_id, event)) = events.recv() => {
                    self.on_watch_event(instrument_id, event).await;
                }
                _ = self.watch.changed.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
            }
        }
    }

    /// Starts a watcher for each folder set here, stops those unset or moved.
    async fn supervise_watchers(
        &self,
        running: &mut HashMap<Uuid, Running>,
        events: &tokio::sync::mpsc::UnboundedSender<(Uuid, WatchEvent)>,
    ) {
        let mut wanted: HashMap<Uuid, String> = HashMap::new();
        let mut page = 1;
        loop {
            match self
                .store()
                .watch_folders(PageRequest {
                    page,
                    per_page: 100,
                })
                .await
            {
                Ok(found) => {
                    wanted.extend(found.items.into_iter().map(|f| (f.instrument_id, f.folder)));
                    if page >= found.total_pages {
                        break;
                    }
                    page += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the watch folders");
                    return;
                }
            }
        }
        running.retain(|id, r| {
            let keep = wanted.get(id) == Some(&r.folder);
            if !keep {
                self.set_folder_state(*id, None);
            }
            keep
        });
        for (instrument_id, folder) in wanted {
            if running.contains_key(&instrument_id) {
                continue;
            }
            let (tx, rx) = std::sync::mpsc::channel::<WatchEvent>();
            match Watcher::start(WatchConfig::new(&folder), tx) {
                Ok(watcher) => {
                    let forward = events.clone();
                    // The watcher speaks std mpsc; this thread hands its events to the runtime
                    // and ends when the watcher is dropped.
                    let spawned = std::thread::Builder::new()
                        .name("watch-folder-events".into())
                        .spawn(move || {
                            while let Ok(event) = rx.recv() {
                                if forward.send((instrument_id, event)).is_err() {
                                    break;
                                }
                            }
                        });
                    if let Err(e) = spawned {
                        tracing::warn!(error = %e, "could not start a watch folder's thread");
                        continue;
                    }
                    running.insert(
                        instrument_id,
                        Running {
                            folder,
                            _watcher: watcher,
                        },
                    );
                }
                Err(e) => {
                    self.set_folder_state(
                        instrument_id,
                        Some(FolderState::Unreadable {
                            reason: e.to_string(),
                        }),
                    );
                }
            }
        }
    }

    async fn on_watch_event(&self, instrument_id: Uuid, event: WatchEvent) {
        match event {
            WatchEvent::Mode(ActiveMode::Notify) | WatchEvent::FolderBack => {
                self.set_folder_state(instrument_id, Some(FolderState::Watching))
            }
            WatchEvent::Mode(ActiveMode::PollingOnly { why }) => {
                self.set_folder_state(instrument_id, Some(FolderState::Polling { why }))
            }
            WatchEvent::FolderMissing => {
                self.set_folder_state(instrument_id, Some(FolderState::Missing))
            }
            WatchEvent::FolderUnreadable { reason } => {
                self.set_folder_state(instrument_id, Some(FolderState::Unreadable { reason }))
            }
            WatchEvent::Problem { path, problem } => {
                let (path, name) = names(&path);
                let file = TakenFile {
                    instrument_id,
                    path: &path,
                    file_name: &name,
                    sha256: None,
                    size: None,
                    modified_at: None,
                };
                let reason = problem.to_string();
                match self
                    .store()
                    .watched_problem_known(instrument_id, &path, &reason)
                    .await
                {
                    Ok(true) => return,
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "could not read the watched files"),
                }
                if let Err(e) = self
                    .store()
                    .record_watched_file(&file, WatchedFileState::Failed, Some(&reason), None, None)
                    .await
                {
                    tracing::warn!(error = %e, "could not record a watch-folder problem");
                }
            }
            WatchEvent::Taken(taken) => {
                if let Err(e) = self.take_file(instrument_id, taken).await {
                    tracing::warn!(error = %e.message, "could not record a watched file");
                }
            }
        }
    }

    /// A file the watcher took: recorded once, read with the instrument's parser, and
    /// imported into the instrument's one planned run where the lab said so, or left waiting
    /// for a technician to preview and import on the run's page.
    async fn take_file(&self, instrument_id: Uuid, taken: aliquot_watch::TakenFile) -> Result<()> {
        let (path, name) = names(&taken.path);
        let store = self.store();
        if store
            .watched_file_known(instrument_id, &path, &taken.sha256)
            .await?
        {
            return Ok(());
        }
        let file = TakenFile {
            instrument_id,
            path: &path,
            file_name: &name,
            sha256: Some(&taken.sha256),
            size: i64::try_from(taken.size).ok(),
            modified_at: taken.modified.map(chrono::DateTime::<chrono::Utc>::from),
        };
        let record = |state, reason: Option<String>, run: Option<Uuid>, import: Option<Uuid>| {
            let file = file.clone();
            async move {
                store
                    .record_watched_file(&file, state, reason.as_deref(), run, import)
                    .await
            }
        };
        if let Some((run, import)) = store
            .instrument_import_of_file(instrument_id, &taken.sha256)
            .await?
        {
            record(
                WatchedFileState::AlreadyImported,
                None,
                Some(run),
                Some(import),
            )
            .await?;
            return Ok(());
        }
        let instrument = store.instrument(instrument_id).await?;
        if let Err(e) = aliquot_instruments::parse(
            instrument.description.result_format,
            &taken.bytes,
            instrument.description.csv_mapping.as_ref(),
        ) {
            record(
                WatchedFileState::Failed,
                Some(format!(
                    "not a {} file Aliquot can read: {e}",
                    instrument.description.result_format.as_str()
                )),
                None,
                None,
            )
            .await?;
            return Ok(());
        }
        let planned = store
            .runs(
                &RunFilter {
                    instrument_id: Some(instrument_id),
                    state: Some(RunState::Planned),
                    search: None,
                },
                PageRequest {
                    page: 1,
                    per_page: 2,
                },
            )
            .await?;
        let run = match planned.items.as_slice() {
            [run] if planned.total == 1 => run.clone(),
            [] => {
                record(
                    WatchedFileState::Waiting,
                    Some(format!(
                        "no run is planned on {}: open the run it belongs to and import it there",
                        instrument.description.name
                    )),
                    None,
                    None,
                )
                .await?;
                return Ok(());
            }
            _ => {
                record(
                    WatchedFileState::Waiting,
                    Some(format!(
                        "{} runs are planned on {}: import it from its run's page",
                        planned.total, instrument.description.name
                    )),
                    None,
                    None,
                )
                .await?;
                return Ok(());
            }
        };
        let preview = match store.preview_import(run.id, &name, &taken.bytes).await {
            Ok(p) => p,
            Err(e) => {
                let e: ApiError = e.into();
                record(
                    WatchedFileState::Failed,
                    Some(e.message),
                    Some(run.id),
                    None,
                )
                .await?;
                return Ok(());
            }
        };
        if let Some(earlier) = &preview.already_imported {
            record(
                WatchedFileState::AlreadyImported,
                None,
                Some(run.id),
                Some(earlier.import_id),
            )
            .await?;
            return Ok(());
        }
        let folder = store.watch_folder(instrument_id).await?;
        let actor = match &folder {
            Some(f) if f.auto_import => store.watch_folder_actor(f).await?,
            _ => None,
        };
        let Some(actor) = actor else {
            record(
                WatchedFileState::Waiting,
                Some(format!(
                    "preview it and import it on run {}'s page",
                    run.name
                )),
                Some(run.id),
                None,
            )
            .await?;
            return Ok(());
        };
        match self.import_previewed(&actor, preview, None).await {
            Ok(ImportOutcome::Imported { import_id, .. }) => {
                record(
                    WatchedFileState::Imported,
                    None,
                    Some(run.id),
                    Some(import_id),
                )
                .await?;
            }
            // Imported in between by someone else: the same file, nothing changed.
            Ok(ImportOutcome::AlreadyImported { import_id, .. }) => {
                record(
                    WatchedFileState::AlreadyImported,
                    None,
                    Some(run.id),
                    Some(import_id),
                )
                .await?;
            }
            Err(e) => {
                record(
                    WatchedFileState::Failed,
                    Some(format!("not imported: {}", e.message)),
                    Some(run.id),
                    None,
                )
                .await?;
            }
        }
        Ok(())
    }

    pub async fn set_watch_folder(
        &self,
        token: Option<&str>,
        args: SetWatchFolderArgs,
    ) -> Result<WatchFolderSet> {
        let actor = self.actor_with(token, Permission::ConfigureDevices).await?;
        self.run(
            &actor,
            Command::SetWatchFolder {
                instrument_id: args.instrument_id,
                folder: args.folder,
                auto_import: args.auto_import,
                reason: args.reason,
            },
        )
        .await?;
        self.watch.changed.notify_one();
        let watch_folder = self
            .store()
            .watch_folder(args.instrument_id)
            .await?
            .map(|folder| WatchFolderView {
                status: self.folder_state(folder.instrument_id),
                folder,
            });
        Ok(WatchFolderSet { watch_folder })
    }

    pub async fn list_watch_folders(
        &self,
        token: Option<&str>,
        args: ListWatchFoldersArgs,
    ) -> Result<Page<WatchFolderView>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = self
            .store()
            .watch_folders(PageRequest {
                page: args.page,
                per_page: args.per_page,
            })
            .await?;
        Ok(page.map(|folder| WatchFolderView {
            status: self.folder_state(folder.instrument_id),
            folder,
        }))
    }

    pub async fn list_watched_files(
        &self,
        token: Option<&str>,
        args: ListWatchedFilesArgs,
    ) -> Result<Page<WatchedFileRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .watched_files(
                args.instrument_id,
                args.state,
                PageRequest {
                    page: args.page,
                    per_page: args.per_page,
                },
            )
            .await?)
    }

    /// The file as it is in the folder now, refused if it changed since it was taken.
    async fn watched_bytes(&self, file: &WatchedFileRecord) -> Result<Vec<u8>> {
        let bytes = tokio::fs::read(&file.path).await.map_err(|e| {
            DomainError::Refused(format!(
                "{} cannot be read from the watch folder any more ({e})",
                file.file_name
            ))
        })?;
        let sha = aliquot_store::result_import::file_sha256(&bytes);
        if file.sha256.as_deref() != Some(sha.as_str()) {
            return Err(DomainError::Refused(format!(
                "{} changed since it was taken; the watch folder takes the new version by itself",
                file.file_name
            ))
            .into());
        }
        Ok(bytes)
    }

    pub async fn preview_watched_file(
        &self,
        token: Option<&str>,
        args: WatchedFileArgs,
    ) -> Result<ImportPreview> {
        self.actor_with(token, Permission::RunInstruments).await?;
        let file = self.store().watched_file(args.file_id).await?;
        let bytes = self.watched_bytes(&file).await?;
        Ok(self
            .store()
            .preview_import(args.run_id, &file.file_name, &bytes)
            .await?)
    }

    pub async fn import_watched_file(
        &self,
        token: Option<&str>,
        args: WatchedFileArgs,
    ) -> Result<ImportOutcome> {
        let actor = self.actor_with(token, Permission::RunInstruments).await?;
        let file = self.store().watched_file(args.file_id).await?;
        let bytes = self.watched_bytes(&file).await?;
        let preview = self
            .store()
            .preview_import(args.run_id, &file.file_name, &bytes)
            .await?;
        let outcome = self.import_previewed(&actor, preview, args.reason).await?;
        let (state, import_id) = match &outcome {
            ImportOutcome::Imported { import_id, .. } => (WatchedFileState::Imported, *import_id),
            ImportOutcome::AlreadyImported { import_id, .. } => {
                (WatchedFileState::AlreadyImported, *import_id)
            }
        };
        self.store()
            .settle_watched_file(file.id, state, args.run_id, import_id)
            .await?;
        Ok(outcome)
    }
}

/// The path as text, and the file's name.
fn names(path: &std::path::Path) -> (String, String) {
    (
        path.to_string_lossy().into_owned(),
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

/// The handle the API keeps on its watch service.
pub(crate) type Watches = Arc<WatchService>;
