//! The watcher end to end on a real temporary folder. Short settle and poll
//! times keep it quick; every wait is on the event channel with a generous
//! timeout, and no assertion is about elapsed time.
#![cfg(unix)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use aliquot_watch::{
    ActiveMode, FileStat, Problem, TakenFile, WatchConfig, WatchError, WatchEvent, WatchMode,
    Watcher,
};

/// Long enough for a loaded two-core CI machine; waits end as soon as the event comes.
const PATIENCE: Duration = Duration::from_secs(30);

fn config(folder: &Path, mode: WatchMode) -> WatchConfig {
    WatchConfig {
        settle: Duration::from_millis(300),
        poll_interval: Duration::from_millis(50),
        mode,
        ..WatchConfig::new(folder)
    }
}

fn start(config: WatchConfig) -> (Watcher, Receiver<WatchEvent>) {
    let (tx, rx) = mpsc::channel();
    let watcher = Watcher::start(config, tx).expect("watcher starts");
    (watcher, rx)
}

/// Waits for the first event matching `wanted`; returns it and the events before it.
fn wait_for(
    rx: &Receiver<WatchEvent>,
    what: &str,
    wanted: impl Fn(&WatchEvent) -> bool,
) -> (WatchEvent, Vec<WatchEvent>) {
    let deadline = Instant::now() + PATIENCE;
    let mut before = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(event) if wanted(&event) => return (event, before),
            Ok(event) => before.push(event),
            Err(err) => panic!("no {what} ({err:?}); events meanwhile: {before:#?}"),
        }
    }
}

fn wait_taken(rx: &Receiver<WatchEvent>, path: &Path) -> (TakenFile, Vec<WatchEvent>) {
    let (event, before) = wait_for(
        rx,
        &format!("take of {}", path.display()),
        |event| matches!(event, WatchEvent::Taken(taken) if taken.path == path),
    );
    match event {
        WatchEvent::Taken(taken) => (taken, before),
        _ => unreachable!(),
    }
}

fn wait_problem(rx: &Receiver<WatchEvent>, path: &Path) -> Problem {
    let (event, _) = wait_for(
        rx,
        &format!("problem with {}", path.display()),
        |event| matches!(event, WatchEvent::Problem { path: p, .. } if p == path),
    );
    match event {
        WatchEvent::Problem { problem, .. } => problem,
        _ => unreachable!(),
    }
}

/// Collects whatever arrives during `span` (the watcher keeps polling meanwhile).
fn collect_for(rx: &Receiver<WatchEvent>, span: Duration) -> Vec<WatchEvent> {
    let deadline = Instant::now() + span;
    let mut events = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(event) => events.push(event),
            Err(RecvTimeoutError::Timeout) => return events,
            Err(RecvTimeoutError::Disconnected) => panic!("watcher ended early: {events:#?}"),
        }
    }
}

fn takes_of<'a>(events: &'a [WatchEvent], path: &Path) -> Vec<&'a TakenFile> {
    events
        .iter()
        .filter_map(|event| match event {
            WatchEvent::Taken(taken) if taken.path == path => Some(taken),
            _ => None,
        })
        .collect()
}

#[test]
fn a_file_written_slowly_is_taken_once_and_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_watcher, rx) = start(WatchConfig {
        settle: Duration::from_millis(400),
        ..config(dir.path(), WatchMode::Auto)
    });
    let path = dir.path().join("plate-1.csv");
    let mut expected = Vec::new();
    let mut file = fs::File::create(&path).expect("create");
    for chunk in 0..5 {
        let line = format!("A{chunk},0.{chunk}42,OD450\n").repeat(200);
        file.write_all(line.as_bytes()).expect("write chunk");
        file.flush().expect("flush");
        expected.extend_from_slice(line.as_bytes());
        std::thread::sleep(Duration::from_millis(150));
    }
    drop(file);

    let (taken, before) = wait_taken(&rx, &path);
    assert!(
        takes_of(&before, &path).is_empty(),
        "taken early: {before:#?}"
    );
    assert_eq!(taken.bytes, expected, "the complete file is taken");
    assert_eq!(taken.size, expected.len() as u64);
    let later = collect_for(&rx, Duration::from_millis(1500));
    assert!(
        takes_of(&later, &path).is_empty(),
        "taken again: {later:#?}"
    );
}

#[test]
fn a_file_left_in_place_is_taken_once_and_a_copy_again_with_the_same_hash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_watcher, rx) = start(config(dir.path(), WatchMode::Auto));
    let first = dir.path().join("run-7.csv");
    fs::write(&first, b"well,value\nA1,0.5\n").expect("write");
    let (taken, _) = wait_taken(&rx, &first);

    // Some thirty polls with the file unchanged.
    let later = collect_for(&rx, Duration::from_millis(1500));
    assert!(
        takes_of(&later, &first).is_empty(),
        "taken again: {later:#?}"
    );

    let second = dir.path().join("run-7 (copy).csv");
    fs::write(&second, b"well,value\nA1,0.5\n").expect("write");
    let (copy, _) = wait_taken(&rx, &second);
    assert_eq!(
        copy.sha256, taken.sha256,
        "same content, same hash: the store dedups"
    );
    assert_eq!(copy.bytes, taken.bytes);
}

#[test]
fn empty_and_unreadable_entries_do_not_stall_the_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let (_watcher, rx) = start(config(root, WatchMode::Auto));

    let empty = root.join("empty.csv");
    fs::write(&empty, b"").expect("write");
    assert_eq!(wait_problem(&rx, &empty), Problem::Empty);

    let good = root.join("good.csv");
    fs::write(&good, b"A1,1\n").expect("write");
    let (_, before) = wait_taken(&rx, &good);
    let empty_reports = before
        .iter()
        .filter(|event| matches!(event, WatchEvent::Problem { path, .. } if path == &empty))
        .count();
    assert_eq!(
        empty_reports, 0,
        "the empty file is reported once: {before:#?}"
    );

    let dangling = root.join("dangling.csv");
    symlink(root.join("nowhere.csv"), &dangling).expect("symlink");
    fs::create_dir(root.join("x.csv")).expect("mkdir");
    let pipe = root.join("pipe.csv");
    let status = Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo failed");
    assert!(matches!(
        wait_problem(&rx, &dangling),
        Problem::Unreadable { .. }
    ));
    assert_eq!(
        wait_problem(&rx, &pipe),
        Problem::NotRegularFile { kind: "named pipe" }
    );

    let next = root.join("next.csv");
    fs::write(&next, b"A2,2\n").expect("write");
    let (taken, before) = wait_taken(&rx, &next);
    assert_eq!(taken.bytes, b"A2,2\n");
    let mentions_folder = before.iter().any(|event| {
        matches!(event, WatchEvent::Problem { path, .. } if path.ends_with("x.csv"))
            || matches!(event, WatchEvent::Taken(t) if t.path.ends_with("x.csv"))
    });
    assert!(
        !mentions_folder,
        "a sub-folder is skipped silently: {before:#?}"
    );
}

#[test]
fn the_folder_vanishing_and_coming_back_is_reported_and_watched_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("results");
    fs::create_dir(&folder).expect("mkdir");
    let (_watcher, rx) = start(config(&folder, WatchMode::Auto));
    wait_for(&rx, "notifications", |event| {
        *event == WatchEvent::Mode(ActiveMode::Notify)
    });

    fs::remove_dir_all(&folder).expect("remove folder");
    wait_for(&rx, "missing folder", |event| {
        *event == WatchEvent::FolderMissing
    });

    fs::create_dir(&folder).expect("recreate folder");
    let fresh = folder.join("after.csv");
    fs::write(&fresh, b"B1,3\n").expect("write");
    wait_for(&rx, "folder back", |event| *event == WatchEvent::FolderBack);
    let (taken, before) = wait_taken(&rx, &fresh);
    assert_eq!(taken.bytes, b"B1,3\n");
    // Notifications are registered again on the new folder (before or after the take).
    let is_notify = |event: &WatchEvent| *event == WatchEvent::Mode(ActiveMode::Notify);
    if !before.iter().any(is_notify) {
        wait_for(&rx, "notifications again", is_notify);
    }
}

#[test]
fn a_folder_missing_at_start_is_waited_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("not-yet");
    let (_watcher, rx) = start(config(&folder, WatchMode::Auto));
    wait_for(&rx, "missing folder", |event| {
        *event == WatchEvent::FolderMissing
    });
    fs::create_dir(&folder).expect("mkdir");
    let file = folder.join("first.csv");
    fs::write(&file, b"C1,4\n").expect("write");
    wait_for(&rx, "folder back", |event| *event == WatchEvent::FolderBack);
    wait_taken(&rx, &file);
}

#[test]
fn polling_only_takes_files_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_watcher, rx) = start(config(dir.path(), WatchMode::PollOnly));
    let (mode, _) = wait_for(&rx, "mode", |event| matches!(event, WatchEvent::Mode(_)));
    assert!(
        matches!(mode, WatchEvent::Mode(ActiveMode::PollingOnly { .. })),
        "{mode:?}"
    );
    let path = dir.path().join("polled.csv");
    fs::write(&path, b"D1,5\n").expect("write");
    let (taken, before) = wait_taken(&rx, &path);
    assert_eq!(taken.bytes, b"D1,5\n");
    assert!(
        !before.contains(&WatchEvent::Mode(ActiveMode::Notify)),
        "no notifications in polling-only mode: {before:#?}"
    );
}

#[test]
fn notifications_wake_the_watcher_long_before_the_next_poll() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The poll would come only after ten minutes: a take within the patience
    // window proves the notification and the planner's due time did the work.
    let (_watcher, rx) = start(WatchConfig {
        poll_interval: Duration::from_secs(600),
        ..config(dir.path(), WatchMode::Auto)
    });
    wait_for(&rx, "notifications", |event| {
        *event == WatchEvent::Mode(ActiveMode::Notify)
    });
    let path = dir.path().join("woken.csv");
    fs::write(&path, b"E1,6\n").expect("write");
    wait_taken(&rx, &path);
}

#[test]
fn files_present_at_start_are_taken_unless_seeded_as_taken() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = dir.path().join("old.csv");
    let new = dir.path().join("new.csv");
    fs::write(&old, b"already in the store\n").expect("write");
    fs::write(&new, b"not yet\n").expect("write");
    let meta = fs::metadata(&old).expect("stat");
    let seeded = FileStat {
        path: PathBuf::from("old.csv"),
        size: meta.len(),
        modified: meta.modified().ok(),
    };
    let (_watcher, rx) = start(WatchConfig {
        already_taken: vec![seeded],
        ..config(dir.path(), WatchMode::Auto)
    });
    let (_, before) = wait_taken(&rx, &new);
    let later = collect_for(&rx, Duration::from_millis(800));
    assert!(takes_of(&before, &old).is_empty() && takes_of(&later, &old).is_empty());
}

#[test]
fn stop_ends_the_thread_promptly_even_with_a_long_poll() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (watcher, rx) = start(WatchConfig {
        poll_interval: Duration::from_secs(600),
        ..config(dir.path(), WatchMode::PollOnly)
    });
    wait_for(&rx, "mode", |event| matches!(event, WatchEvent::Mode(_)));
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        watcher.stop();
        let _ = done_tx.send(());
    });
    done_rx.recv_timeout(PATIENCE).expect("stop returned");
    // The thread has ended, so its sender is gone.
    loop {
        match rx.recv_timeout(PATIENCE) {
            Ok(_) => continue,
            Err(err) => {
                assert_eq!(err, RecvTimeoutError::Disconnected);
                break;
            }
        }
    }
}

#[test]
fn dropping_the_watcher_stops_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (watcher, rx) = start(config(dir.path(), WatchMode::Auto));
    drop(watcher);
    loop {
        match rx.recv_timeout(PATIENCE) {
            Ok(_) => continue,
            Err(err) => {
                assert_eq!(err, RecvTimeoutError::Disconnected);
                break;
            }
        }
    }
}

#[test]
fn a_zero_poll_interval_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tx, _rx) = mpsc::channel();
    let result = Watcher::start(
        WatchConfig {
            poll_interval: Duration::ZERO,
            ..WatchConfig::new(dir.path())
        },
        tx,
    );
    assert!(matches!(result, Err(WatchError::ZeroPollInterval)));
}
