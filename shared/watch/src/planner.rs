//! The pure decision core: per-path state fed with folder observations.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Why a file was not (yet) handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The file stayed empty for the whole settle time.
    #[error("the file is empty")]
    Empty,
    /// The file is larger than the configured limit, so it is not read into memory.
    #[error("the file is {size} bytes, more than the {limit} bytes allowed")]
    TooLarge {
        /// Size of the file in bytes.
        size: u64,
        /// The configured limit in bytes.
        limit: u64,
    },
    /// The file (or the target of a link) could not be opened or read.
    #[error("the file cannot be read: {reason}")]
    Unreadable {
        /// The operating system's explanation.
        reason: String,
    },
    /// The entry is a named pipe, socket or device: opening it could block, so it is never opened.
    #[error("not a regular file but a {kind}")]
    NotRegularFile {
        /// What kind of entry it is, in words.
        kind: &'static str,
    },
    /// The file changed (or vanished) while it was being read: wait and try again.
    /// Never reported to the user; the planner only restarts the settle clock.
    #[error("the file changed while it was being read")]
    StillChanging,
}

/// One regular file as seen in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStat {
    /// Path relative to the watched folder (in practice the file name).
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time; `None` where the filesystem does not keep one.
    pub modified: Option<SystemTime>,
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A regular file (or a link to one).
    File(FileStat),
    /// Something that looks like a file but cannot be used (dangling link, named pipe, ...).
    Unusable {
        /// Path relative to the watched folder.
        path: PathBuf,
        /// Why it cannot be used.
        problem: Problem,
    },
}

impl Entry {
    /// The entry's path relative to the watched folder.
    pub fn path(&self) -> &Path {
        match self {
            Entry::File(stat) => &stat.path,
            Entry::Unusable { path, .. } => path,
        }
    }
}

/// A snapshot of the watched folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// The folder could be listed; sub-folders are not included.
    Listing(Vec<Entry>),
    /// The folder does not exist (share dropped, stick pulled, not yet created).
    FolderMissing,
    /// The folder exists but cannot be listed.
    FolderUnreadable {
        /// The operating system's explanation.
        reason: String,
    },
}

/// What the planner wants done. Paths are relative to the watched folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The file is stable: read it and hand it over. The size and time are the
    /// ones proven stable, so the reader can check that it read that version.
    Take {
        /// Path relative to the watched folder.
        path: PathBuf,
        /// The stable size.
        size: u64,
        /// The stable modification time.
        modified: Option<SystemTime>,
    },
    /// Tell the user about a file that will not be taken as it is.
    Report {
        /// Path relative to the watched folder.
        path: PathBuf,
        /// What is wrong with it.
        problem: Problem,
    },
    /// The folder went missing (reported once per outage).
    FolderMissing,
    /// The folder cannot be listed (reported once per outage).
    FolderUnreadable {
        /// The operating system's explanation.
        reason: String,
    },
    /// The folder can be listed again after being missing or unreadable.
    FolderBack,
}

/// Tuning of the stability rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannerConfig {
    /// How long size and modification time must stay unchanged before a file is taken.
    pub settle: Duration,
    /// Files larger than this are reported instead of read into memory.
    pub max_file_size: u64,
    /// After a read fails (for example the instrument holds the file locked),
    /// how long to wait before trying the same version again.
    pub retry_after: Duration,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        Self {
            settle: Duration::from_secs(2),
            // Result files are kilobytes to a few megabytes; this only guards
            // against a stray video or disk image being read into memory.
            max_file_size: 256 * 1024 * 1024,
            retry_after: Duration::from_secs(30),
        }
    }
}

/// Whether a file name is ignored: hidden files and typical temporary or
/// system files that are never results.
///
/// Ignored: names starting with `.` (hidden on Unix, editor swap files) or
/// `~$` (Office lock files); names ending, in any case, with `.tmp`, `.temp`,
/// `.part`, `.partial` or `.crdownload` (files still being written or
/// downloaded under a temporary name); `Thumbs.db` and `desktop.ini` (written
/// by Windows Explorer into any folder it shows). A path without a final name
/// (such as `..`) is ignored too. Only the final component is looked at.
pub fn is_ignored(path: &Path) -> bool {
    let Some(name) = path.file_name() else {
        return true;
    };
    let name = name.to_string_lossy().to_lowercase();
    const TEMP_SUFFIXES: [&str; 5] = [".tmp", ".temp", ".part", ".partial", ".crdownload"];
    name.starts_with('.')
        || name.starts_with("~$")
        || TEMP_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
        || name == "thumbs.db"
        || name == "desktop.ini"
}

/// The identity of one version of a file: what must stay unchanged to be stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    size: u64,
    modified: Option<SystemTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Waiting for the version to stay unchanged long enough.
    Settling,
    /// A `Take` was decided for this version; nothing more until it changes.
    Handed,
    /// A problem with this version was reported (empty, too large); wait for a change.
    Reported,
    /// Reading this version failed; take it again at this time.
    RetryAt(Duration),
}

#[derive(Debug, Clone)]
enum State {
    File {
        version: Version,
        /// When this version was first seen.
        since: Duration,
        /// How many observations have shown this version since `since`.
        seen: u32,
        status: Status,
    },
    Unusable,
}

#[derive(Debug, Clone)]
struct Track {
    state: State,
    /// The last problem reported for this path, so the same one is not
    /// repeated on every poll; cleared when the file is handed over.
    last_reported: Option<Problem>,
}

impl Track {
    fn file(version: Version, now: Duration) -> Self {
        Self {
            state: State::File {
                version,
                since: now,
                seen: 1,
                status: Status::Settling,
            },
            last_reported: None,
        }
    }

    /// Pushes a report unless it is the one already made for this path.
    fn report(&mut self, path: &Path, problem: Problem, out: &mut Vec<Decision>) {
        if self.last_reported.as_ref() != Some(&problem) {
            self.last_reported = Some(problem.clone());
            out.push(Decision::Report {
                path: path.to_path_buf(),
                problem,
            });
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FolderState {
    /// Nothing observed yet: neither "missing" nor "back" has a meaning.
    Unknown,
    Present,
    Missing,
    Unreadable,
}

/// The per-path state machine deciding when a file is complete.
///
/// Feed it with [`Planner::observe`]; after acting on a [`Decision::Take`],
/// tell it the outcome with [`Planner::read_succeeded`] or
/// [`Planner::read_failed`]. If neither is called the file counts as taken.
#[derive(Debug, Clone)]
pub struct Planner {
    config: PlannerConfig,
    tracks: BTreeMap<PathBuf, Track>,
    folder: FolderState,
}

impl Planner {
    /// A planner that knows nothing yet.
    pub fn new(config: PlannerConfig) -> Self {
        Self {
            config,
            tracks: BTreeMap::new(),
            folder: FolderState::Unknown,
        }
    }

    /// The rule's settings.
    pub fn config(&self) -> &PlannerConfig {
        &self.config
    }

    /// Marks a version as already handed over (for example by a previous run,
    /// as recorded by the store), so it is not taken again while unchanged.
    pub fn assume_taken(&mut self, stat: &FileStat) {
        let version = Version {
            size: stat.size,
            modified: stat.modified,
        };
        self.tracks.insert(
            stat.path.clone(),
            Track {
                state: State::File {
                    version,
                    since: Duration::ZERO,
                    seen: 0,
                    status: Status::Handed,
                },
                last_reported: None,
            },
        );
    }

    /// Takes in one snapshot of the folder made at `now` (a monotonic time,
    /// never earlier than the previous call's) and returns what to do, in path order.
    pub fn observe(&mut self, observation: &Observation, now: Duration) -> Vec<Decision> {
        let mut out = Vec::new();
        match observation {
            // Per-path state is kept through an outage: when a share comes
            // back with the same files, nothing is taken twice.
            Observation::FolderMissing => {
                if self.folder != FolderState::Missing {
                    out.push(Decision::FolderMissing);
                }
                self.folder = FolderState::Missing;
            }
            Observation::FolderUnreadable { reason } => {
                if self.folder != FolderState::Unreadable {
                    out.push(Decision::FolderUnreadable {
                        reason: reason.clone(),
                    });
                }
                self.folder = FolderState::Unreadable;
            }
            Observation::Listing(entries) => {
                if matches!(self.folder, FolderState::Missing | FolderState::Unreadable) {
                    out.push(Decision::FolderBack);
                }
                self.folder = FolderState::Present;
                let mut present = BTreeSet::new();
                let mut sorted: Vec<&Entry> = entries
                    .iter()
                    .filter(|entry| !is_ignored(entry.path()))
                    .collect();
                sorted.sort_by(|a, b| a.path().cmp(b.path()));
                for entry in sorted {
                    present.insert(entry.path().to_path_buf());
                    match entry {
                        Entry::File(stat) => self.observe_file(stat, now, &mut out),
                        Entry::Unusable { path, problem } => {
                            let track = self.tracks.entry(path.clone()).or_insert(Track {
                                state: State::Unusable,
                                last_reported: None,
                            });
                            track.state = State::Unusable;
                            track.report(path, problem.clone(), &mut out);
                        }
                    }
                }
                // Vanished paths are forgotten: if they come back they are new.
                self.tracks.retain(|path, _| present.contains(path));
            }
        }
        out
    }

    fn observe_file(&mut self, stat: &FileStat, now: Duration, out: &mut Vec<Decision>) {
        let version = Version {
            size: stat.size,
            modified: stat.modified,
        };
        let Some(track) = self.tracks.get_mut(&stat.path) else {
            self.tracks
                .insert(stat.path.clone(), Track::file(version, now));
            return;
        };
        let Track {
            state,
            last_reported,
        } = track;
        let State::File {
            version: known,
            since,
            seen,
            status,
        } = state
        else {
            // It was unusable (say a dangling link) and is now a real file.
            *state = Track::file(version, now).state;
            return;
        };
        if *known != version {
            // Any change starts the clock again, also for a file already
            // taken: it is a new version.
            *state = Track::file(version, now).state;
            return;
        }
        *seen = seen.saturating_add(1);
        match *status {
            Status::Settling => {
                let settled = now.saturating_sub(*since) >= self.config.settle;
                if *seen < 2 || !settled {
                    return;
                }
                let problem = if version.size == 0 {
                    Some(Problem::Empty)
                } else if version.size > self.config.max_file_size {
                    Some(Problem::TooLarge {
                        size: version.size,
                        limit: self.config.max_file_size,
                    })
                } else {
                    None
                };
                match problem {
                    Some(problem) => {
                        *status = Status::Reported;
                        if last_reported.as_ref() != Some(&problem) {
                            *last_reported = Some(problem.clone());
                            out.push(Decision::Report {
                                path: stat.path.clone(),
                                problem,
                            });
                        }
                    }
                    None => {
                        *status = Status::Handed;
                        out.push(take(stat));
                    }
                }
            }
            Status::RetryAt(at) => {
                if now >= at {
                    *status = Status::Handed;
                    out.push(take(stat));
                }
            }
            Status::Handed | Status::Reported => {}
        }
    }

    /// The file handed over by a `Take` was read and delivered: a problem
    /// reported for it earlier is over, so a later one is reported again.
    pub fn read_succeeded(&mut self, path: &Path) {
        if let Some(track) = self.tracks.get_mut(path) {
            track.last_reported = None;
        }
    }

    /// Reading the file handed over by a `Take` failed at `now`.
    ///
    /// [`Problem::StillChanging`] restarts the settle clock and is never
    /// reported. Any other problem is returned as a `Report` the first time
    /// it happens for the path, and the same version is tried again after
    /// [`PlannerConfig::retry_after`] (a lock held by the instrument is
    /// usually released later).
    pub fn read_failed(
        &mut self,
        path: &Path,
        problem: Problem,
        now: Duration,
    ) -> Option<Decision> {
        let retry_after = self.config.retry_after;
        let track = self.tracks.get_mut(path)?;
        let State::File {
            since,
            seen,
            status,
            ..
        } = &mut track.state
        else {
            return None;
        };
        if problem == Problem::StillChanging {
            *since = now;
            *seen = 0;
            *status = Status::Settling;
            return None;
        }
        *status = Status::RetryAt(now.saturating_add(retry_after));
        let mut out = Vec::new();
        track.report(path, problem, &mut out);
        out.pop()
    }

    /// The earliest time at which an observation could produce a new
    /// decision without anything changing on disk (a file settling, a read
    /// to retry), or `None` if only a change can. Used to wake up between
    /// polls. `None` while the folder is not present, since no file can
    /// settle then.
    pub fn next_due(&self) -> Option<Duration> {
        if self.folder != FolderState::Present {
            return None;
        }
        self.tracks
            .values()
            .filter_map(|track| match &track.state {
                State::File {
                    since,
                    status: Status::Settling,
                    ..
                } => Some(since.saturating_add(self.config.settle)),
                State::File {
                    status: Status::RetryAt(at),
                    ..
                } => Some(*at),
                _ => None,
            })
            .min()
    }
}

fn take(stat: &FileStat) -> Decision {
    Decision::Take {
        path: stat.path.clone(),
        size: stat.size,
        modified: stat.modified,
    }
}
