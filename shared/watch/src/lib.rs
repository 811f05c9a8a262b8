//! Watches an instrument's result folder on a bench PC and hands over each
//! result file once the instrument has finished writing it.
//!
//! # Design
//!
//! The crate is split like a sync engine: a pure decision core and a thin IO
//! shell around it.
//!
//! * [`Planner`] holds what is known about each file in the folder. It is fed
//!   [`Observation`]s (a snapshot of the folder listing, or "the folder is
//!   missing / unreadable") together with a monotonic timestamp that the
//!   caller supplies, and answers with [`Decision`]s: take this file, report
//!   this problem, the folder went away, the folder is back. It does no IO and
//!   never reads the clock, so every rule can be tested as a table of cases.
//! * [`scan`] lists the folder (non-recursively) into an [`Observation`];
//!   [`read_whole`] reads one file, hashes it with SHA-256 and checks that it
//!   did not change while it was read.
//! * [`Watcher`] runs the loop on a background thread: scan, plan, read what
//!   the planner wants taken, and deliver [`WatchEvent`]s over a
//!   `std::sync::mpsc` channel.
//!
//! # When is a file complete?
//!
//! Instruments rarely say when they are done, so the rule is a stability
//! heuristic: a file is taken once its size and modification time have stayed
//! the same for at least the *settle* time, across at least two observations,
//! and it is not empty. The read itself is then checked again: if the size or
//! modification time changed while the bytes were read, the file is not taken
//! and the settle clock starts over. A file that stays empty for the settle
//! time is reported as [`Problem::Empty`] instead; a file larger than the
//! configured limit as [`Problem::TooLarge`]. The settle time must be longer
//! than the longest pause the instrument makes while writing, or a partial
//! file is taken (its completed version is then taken again later).
//!
//! A file that has been taken is not taken again unless its size or
//! modification time changes: then it is a new version, taken again once
//! stable. Taking the same bytes twice is harmless by design: every take
//! carries the SHA-256 of the content and the store deduplicates on it. For
//! the same reason the engine keeps no memory across restarts: files already
//! in the folder at start are taken again unless the caller seeds what it
//! already has through [`WatchConfig::already_taken`]. Files that vanish are
//! forgotten; if they come back they are new.
//!
//! Hidden files (names starting with `.`) and typical temporary or system
//! files (`~$*` Office lock files, `*.tmp`, `*.temp`, `*.part`, `*.partial`,
//! `*.crdownload`, `Thumbs.db`, `desktop.ini`) are ignored, see
//! [`is_ignored`]: instrument software commonly writes `run.tmp` and renames
//! it to `run.csv` when done, and the rename is what should be taken.
//! Sub-folders are skipped silently (the watch is not recursive). Entries that
//! are neither files nor folders (a dangling link, a named pipe, a device) are
//! reported once and never opened, so they can never block the loop.
//!
//! # What is never done
//!
//! The engine only reads. It never moves, renames, deletes or writes anything
//! in the watched folder: the folder belongs to the instrument software, which
//! may still have files open, and a lab must be able to trust that its raw
//! data stays where the instrument put it.
//!
//! # Notifications and the polling fallback
//!
//! In [`WatchMode::Auto`] the watcher registers an OS change notification
//! (`notify`'s recommended backend: inotify, ReadDirectoryChangesW, FSEvents)
//! only to wake up early. It *always* polls as well, every
//! [`WatchConfig::poll_interval`], because network shares often deliver no
//! events and notifications can fail to start at all (watch limits, missing
//! folder). When notifications cannot be set up the watcher says so with
//! [`WatchEvent::Mode`] ([`ActiveMode::PollingOnly`]) and carries on polling.
//! If the folder disappears (a share drops, a USB stick is pulled) the watcher
//! reports [`WatchEvent::FolderMissing`] once, keeps polling, and when the
//! folder is back reports [`WatchEvent::FolderBack`] and registers the
//! notification again. Between polls it also wakes exactly when the planner
//! says a file may have become stable ([`Planner::next_due`]), so a long poll
//! interval does not delay a file that was already noticed.

mod files;
mod planner;
mod watcher;

pub use files::{read_whole, scan, TakenFile};
pub use planner::{
    is_ignored, Decision, Entry, FileStat, Observation, Planner, PlannerConfig, Problem,
};
pub use watcher::{ActiveMode, WatchConfig, WatchError, WatchEvent, WatchMode, Watcher};
