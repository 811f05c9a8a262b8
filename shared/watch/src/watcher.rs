//! The background loop: scan, plan, read, deliver; woken by polls, by the
//! planner's due times and (when available) by OS change notifications.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::files::{read_whole, scan, TakenFile};
use crate::planner::{Decision, FileStat, Observation, Planner, PlannerConfig, Problem};

/// Whether OS change notifications are used besides polling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WatchMode {
    /// Change notifications to wake early, plus polling (always).
    #[default]
    Auto,
    /// Polling only, for folders where notifications are known not to work.
    PollOnly,
}

/// How the watcher is noticing changes at the moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActiveMode {
    /// OS change notifications are active (and polling continues as a safety net).
    Notify,
    /// Only polling.
    PollingOnly {
        /// Why: configured, or why notifications could not be set up.
        why: String,
    },
}

/// What the watcher tells its owner. Paths are full paths (folder joined with the name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// A complete file, read and hashed.
    Taken(TakenFile),
    /// A file that is not taken as it is (reported once per problem).
    Problem {
        /// Full path of the file.
        path: PathBuf,
        /// What is wrong with it.
        problem: Problem,
    },
    /// The folder went missing; the watcher keeps polling for it.
    FolderMissing,
    /// The folder exists but cannot be listed; the watcher keeps polling.
    FolderUnreadable {
        /// The operating system's explanation.
        reason: String,
    },
    /// The folder can be listed again.
    FolderBack,
    /// How changes are being noticed changed (sent at start and on every change).
    Mode(ActiveMode),
}

/// Settings of a [`Watcher`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchConfig {
    /// The folder the instrument writes its results into.
    pub folder: PathBuf,
    /// How long a file's size and modification time must stay unchanged
    /// before it is taken. Must exceed the instrument's longest pause while writing.
    pub settle: Duration,
    /// How often the folder is listed regardless of notifications. Must be above zero.
    pub poll_interval: Duration,
    /// Whether notifications are tried.
    pub mode: WatchMode,
    /// Files larger than this are reported instead of read.
    pub max_file_size: u64,
    /// How long to wait before reading again a file whose read failed.
    pub retry_after: Duration,
    /// Versions handed over before (for example by a previous run): not taken
    /// again while unchanged. Paths relative to `folder`.
    pub already_taken: Vec<FileStat>,
}

impl WatchConfig {
    /// Defaults for a bench PC: settle 2 s, poll every 2 s, notifications on.
    pub fn new(folder: impl Into<PathBuf>) -> Self {
        let planner = PlannerConfig::default();
        Self {
            folder: folder.into(),
            settle: planner.settle,
            poll_interval: Duration::from_secs(2),
            mode: WatchMode::Auto,
            max_file_size: planner.max_file_size,
            retry_after: planner.retry_after,
            already_taken: Vec::new(),
        }
    }

    fn planner_config(&self) -> PlannerConfig {
        PlannerConfig {
            settle: self.settle,
            max_file_size: self.max_file_size,
            retry_after: self.retry_after,
        }
    }
}

/// Why a [`Watcher`] could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// A zero poll interval would make the loop spin.
    #[error("the poll interval must be longer than zero")]
    ZeroPollInterval,
    /// The operating system refused a new thread.
    #[error("could not start the watch thread: {0}")]
    Spawn(#[source] std::io::Error),
}

/// Wakes the loop before its next planned scan.
enum Wake {
    /// Something in the folder changed.
    Changed,
    /// The folder itself was removed or moved: the notification is dead.
    Rewatch,
    Stop,
}

/// Scans triggered by notifications are at least this far apart, so a writer
/// producing thousands of events does not cause thousands of listings.
const MIN_SCAN_GAP: Duration = Duration::from_millis(100);
/// How often to try notifications again after they failed on a present folder.
const NOTIFY_RETRY: Duration = Duration::from_secs(60);
/// Upper bound of one wait, so no far-off deadline can overflow `Instant`.
const MAX_WAIT: Duration = Duration::from_secs(3600);

/// Watches one folder on a background thread until stopped or dropped.
///
/// Events arrive on the `Sender` given to [`Watcher::start`]. The thread also
/// ends by itself the next time it has an event to deliver and the receiving
/// side is gone. [`Watcher::stop`] and dropping the `Watcher` stop the thread
/// and wait for it: it checks for the stop between files, so the wait is at
/// most one listing or one file read (which a hung network share can stretch).
pub struct Watcher {
    wake: Sender<Wake>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("running", &self.thread.is_some())
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// Starts watching `config.folder`, delivering events to `events`.
    ///
    /// The folder need not exist yet: that is reported as
    /// [`WatchEvent::FolderMissing`] and the watcher waits for it.
    pub fn start(config: WatchConfig, events: Sender<WatchEvent>) -> Result<Self, WatchError> {
        if config.poll_interval.is_zero() {
            return Err(WatchError::ZeroPollInterval);
        }
        let (wake_tx, wake_rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let mut planner = Planner::new(config.planner_config());
        for stat in &config.already_taken {
            planner.assume_taken(stat);
        }
        let engine = Engine {
            planner,
            events,
            wake: wake_tx.clone(),
            stop: Arc::clone(&stop),
            start: Instant::now(),
            notify: None,
            notify_failed_at: None,
            rewatch: false,
            mode: None,
            config,
        };
        let thread = std::thread::Builder::new()
            .name("aliquot-watch".to_owned())
            .spawn(move || engine.run(&wake_rx))
            .map_err(WatchError::Spawn)?;
        Ok(Self {
            wake: wake_tx,
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it to end.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Fails only if the thread already ended, which is what is wanted.
        let _ = self.wake.send(Wake::Stop);
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the folder watch thread panicked");
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// State owned by the background thread.
struct Engine {
    config: WatchConfig,
    planner: Planner,
    events: Sender<WatchEvent>,
    /// Handed to the notification callback.
    wake: Sender<Wake>,
    stop: Arc<AtomicBool>,
    /// Origin of the planner's monotonic clock.
    start: Instant,
    notify: Option<RecommendedWatcher>,
    /// When registering the notification last failed with the folder present.
    notify_failed_at: Option<Instant>,
    /// The notification must be registered again (the folder was replaced).
    rewatch: bool,
    /// The last mode reported, so it is only sent when it changes.
    mode: Option<ActiveMode>,
}

impl Engine {
    fn run(mut self, wake: &Receiver<Wake>) {
        tracing::info!(folder = %self.config.folder.display(), mode = ?self.config.mode, "watching result folder");
        if self.config.mode == WatchMode::PollOnly {
            let mode = ActiveMode::PollingOnly {
                why: "polling only was configured".to_owned(),
            };
            if !self.set_mode(mode) {
                return;
            }
        }
        let gap = MIN_SCAN_GAP.min(self.config.poll_interval);
        let poll = self.config.poll_interval.min(MAX_WAIT);
        loop {
            if self.stopped() {
                return;
            }
            let observation = scan(&self.config.folder);
            let scanned = Instant::now();
            let present = matches!(observation, Observation::Listing(_));
            let decisions = self.planner.observe(&observation, self.now());
            for decision in decisions {
                if !self.act(decision) {
                    return;
                }
            }
            if self.config.mode == WatchMode::Auto && !self.maintain_notify(present) {
                return;
            }

            // Next scan: the poll, or earlier when a file may have settled by then.
            let mut deadline = scanned + poll;
            if let Some(due) = self.planner.next_due() {
                if let Some(due) = self.start.checked_add(due) {
                    deadline = deadline.min(due.max(scanned + gap));
                }
            }
            loop {
                let timeout = deadline.saturating_duration_since(Instant::now());
                match wake.recv_timeout(timeout) {
                    Ok(Wake::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                    // Keep draining: a burst of events leads to one scan.
                    Ok(Wake::Changed) => deadline = deadline.min(scanned + gap),
                    Ok(Wake::Rewatch) => {
                        self.rewatch = true;
                        deadline = deadline.min(scanned + gap);
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                }
            }
        }
    }

    /// The planner's clock: time since the watcher started.
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Carries out one decision. Returns false when the loop must end.
    fn act(&mut self, decision: Decision) -> bool {
        if self.stopped() {
            return false;
        }
        match decision {
            Decision::Take {
                path,
                size,
                modified,
            } => {
                let full = self.config.folder.join(&path);
                let result = read_whole(&full);
                let now = self.now();
                match result {
                    // Only the version proven stable is handed over; a newer
                    // one must settle first.
                    Ok(taken) if taken.size == size && taken.modified == modified => {
                        self.planner.read_succeeded(&path);
                        tracing::info!(path = %full.display(), size, sha256 = %taken.sha256, "result file taken");
                        self.send(WatchEvent::Taken(taken))
                    }
                    Ok(_) => {
                        tracing::debug!(path = %full.display(), "file changed after it settled; waiting again");
                        let report = self.planner.read_failed(&path, Problem::StillChanging, now);
                        report.is_none_or(|report| self.act(report))
                    }
                    Err(problem) => {
                        tracing::debug!(path = %full.display(), %problem, "reading the file failed");
                        let report = self.planner.read_failed(&path, problem, now);
                        report.is_none_or(|report| self.act(report))
                    }
                }
            }
            Decision::Report { path, problem } => {
                let path = self.config.folder.join(path);
                tracing::warn!(path = %path.display(), %problem, "result file not taken");
                self.send(WatchEvent::Problem { path, problem })
            }
            Decision::FolderMissing => {
                tracing::warn!(folder = %self.config.folder.display(), "result folder is missing");
                self.send(WatchEvent::FolderMissing)
            }
            Decision::FolderUnreadable { reason } => {
                tracing::warn!(folder = %self.config.folder.display(), %reason, "result folder cannot be listed");
                self.send(WatchEvent::FolderUnreadable { reason })
            }
            Decision::FolderBack => {
                tracing::info!(folder = %self.config.folder.display(), "result folder is back");
                self.send(WatchEvent::FolderBack)
            }
        }
    }

    /// Delivers an event. Returns false when nobody listens any more (or a
    /// stop was asked for), which ends the loop.
    fn send(&self, event: WatchEvent) -> bool {
        if self.stopped() {
            return false;
        }
        if self.events.send(event).is_err() {
            tracing::info!("nobody receives folder events any more; stopping the watch");
            return false;
        }
        true
    }

    /// Reports the mode if it changed. Returns false when the loop must end.
    fn set_mode(&mut self, mode: ActiveMode) -> bool {
        if self.mode.as_ref() == Some(&mode) {
            return true;
        }
        if let ActiveMode::PollingOnly { why } = &mode {
            tracing::info!(%why, "polling the result folder only");
        }
        self.mode = Some(mode.clone());
        self.send(WatchEvent::Mode(mode))
    }

    /// Keeps the change notification in step with the folder: dropped while
    /// the folder is gone (the registration died with it), registered again
    /// when it is back. Returns false when the loop must end.
    fn maintain_notify(&mut self, present: bool) -> bool {
        if !present {
            self.notify = None;
            // Try at once when the folder is back: the failure may have been its absence.
            self.notify_failed_at = None;
            return self.set_mode(ActiveMode::PollingOnly {
                why: "the folder is not available; polling until it is back".to_owned(),
            });
        }
        if self.rewatch {
            self.rewatch = false;
            self.notify = None;
            self.notify_failed_at = None;
        }
        if self.notify.is_some() {
            return true;
        }
        // A failure with the folder present usually persists (watch limits,
        // unsupported filesystem), so it is retried only now and then.
        if self
            .notify_failed_at
            .is_some_and(|failed| failed.elapsed() < NOTIFY_RETRY)
        {
            return true;
        }
        match register(&self.config.folder, self.wake.clone()) {
            Ok(watcher) => {
                self.notify = Some(watcher);
                self.notify_failed_at = None;
                self.set_mode(ActiveMode::Notify)
            }
            Err(err) => {
                self.notify_failed_at = Some(Instant::now());
                self.set_mode(ActiveMode::PollingOnly {
                    why: format!("change notifications are not available ({err})"),
                })
            }
        }
    }
}

/// Registers a non-recursive change notification on `folder` that wakes the loop.
fn register(folder: &Path, wake: Sender<Wake>) -> notify::Result<RecommendedWatcher> {
    let own = folder.to_path_buf();
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        let signal = match result {
            Ok(event) => match classify_event(&own, &event) {
                Some(signal) => signal,
                None => return,
            },
            // The backend lost track (queue overflow and the like): start afresh.
            Err(_) => Wake::Rewatch,
        };
        // Fails only once the loop has ended; nothing to wake then.
        let _ = wake.send(signal);
    })?;
    watcher.watch(folder, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// What a notification means for the loop, or `None` to ignore it.
fn classify_event(folder: &Path, event: &notify::Event) -> Option<Wake> {
    match event.kind {
        // Opens and reads, including the loop's own listing and reading,
        // change nothing; waking on them would make the loop wake itself.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => Some(Wake::Changed),
        EventKind::Access(_) => None,
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
            if event.paths.iter().any(|path| path == folder) =>
        {
            Some(Wake::Rewatch)
        }
        _ => Some(Wake::Changed),
    }
}
