//! The IO side on its own: listing and reading, including the awkward entries.
#![cfg(unix)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use aliquot_watch::{read_whole, scan, Entry, Observation, Problem, TakenFile};

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo failed");
}

/// Runs `read_whole` on another thread so a read that blocks fails the test instead of hanging it.
fn read_with_deadline(path: &Path) -> Result<TakenFile, Problem> {
    let (tx, rx) = mpsc::channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(read_whole(&path));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("read_whole blocked")
}

#[test]
fn scan_reports_missing_and_unlistable_folders() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(scan(&dir.path().join("nope")), Observation::FolderMissing);
    let file = dir.path().join("plain.txt");
    fs::write(&file, b"x").expect("write");
    assert!(
        matches!(scan(&file), Observation::FolderUnreadable { .. }),
        "a file is not a folder"
    );
}

#[test]
fn scan_lists_files_and_classifies_odd_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fs::write(root.join("b.csv"), b"12345").expect("write");
    fs::write(root.join("a.csv"), b"").expect("write");
    fs::create_dir(root.join("x.csv")).expect("mkdir");
    fs::write(root.join("x.csv").join("inner.csv"), b"not listed").expect("write");
    symlink(root.join("nowhere.csv"), root.join("dangling.csv")).expect("symlink");
    symlink(root.join("b.csv"), root.join("link.csv")).expect("symlink");
    symlink(root.join("x.csv"), root.join("folder-link")).expect("symlink");
    mkfifo(&root.join("pipe.csv"));

    let Observation::Listing(entries) = scan(root) else {
        panic!("folder should be listed");
    };
    let names: Vec<&Path> = entries.iter().map(Entry::path).collect();
    assert_eq!(
        names,
        ["a.csv", "b.csv", "dangling.csv", "link.csv", "pipe.csv"]
            .iter()
            .map(Path::new)
            .collect::<Vec<_>>(),
        "sorted, folders and links to folders left out"
    );
    let file = |index: usize| match &entries[index] {
        Entry::File(stat) => stat.clone(),
        other => panic!("expected a file, got {other:?}"),
    };
    assert_eq!(file(0).size, 0);
    assert_eq!(file(1).size, 5);
    assert!(file(1).modified.is_some());
    assert_eq!(file(3).size, 5, "a link to a file is followed");
    assert!(matches!(
        &entries[2],
        Entry::Unusable {
            problem: Problem::Unreadable { .. },
            ..
        }
    ));
    assert_eq!(
        entries[4],
        Entry::Unusable {
            path: PathBuf::from("pipe.csv"),
            problem: Problem::NotRegularFile { kind: "named pipe" },
        }
    );
}

#[test]
fn read_whole_returns_content_and_sha256() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("abc.csv");
    fs::write(&path, b"abc").expect("write");
    let taken = read_whole(&path).expect("readable");
    assert_eq!(taken.bytes, b"abc");
    assert_eq!(taken.size, 3);
    assert_eq!(taken.path, path);
    assert_eq!(
        taken.sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        taken.modified,
        fs::metadata(&path).expect("stat").modified().ok()
    );
}

#[test]
fn read_whole_refuses_what_is_not_a_readable_file_without_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fs::create_dir(root.join("x.csv")).expect("mkdir");
    symlink(root.join("nowhere.csv"), root.join("dangling.csv")).expect("symlink");
    mkfifo(&root.join("pipe.csv"));

    assert!(matches!(
        read_with_deadline(&root.join("x.csv")),
        Err(Problem::Unreadable { .. })
    ));
    assert!(matches!(
        read_with_deadline(&root.join("dangling.csv")),
        Err(Problem::Unreadable { .. })
    ));
    assert_eq!(
        read_with_deadline(&root.join("pipe.csv")),
        Err(Problem::NotRegularFile { kind: "named pipe" })
    );
    // Gone between listing and reading: in motion, not broken.
    assert_eq!(
        read_with_deadline(&root.join("vanished.csv")),
        Err(Problem::StillChanging)
    );
}

#[test]
fn read_whole_notices_a_file_being_written_during_the_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("growing.csv");
    fs::write(&path, vec![b'r'; 16 * 1024 * 1024]).expect("write");

    let writing = Arc::new(AtomicBool::new(true));
    let writer = {
        let writing = Arc::clone(&writing);
        let path = path.clone();
        std::thread::spawn(move || {
            let mut file = fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .expect("open for append");
            // Bounded, so a stuck reader cannot fill the disk.
            for _ in 0..20_000 {
                if !writing.load(Ordering::SeqCst) {
                    break;
                }
                file.write_all(&[b'w'; 1024]).expect("append");
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };

    let mut saw_change = false;
    for _ in 0..200 {
        match read_whole(&path) {
            Err(Problem::StillChanging) => {
                saw_change = true;
                break;
            }
            // A read that slipped between two appends must still be whole.
            Ok(taken) => assert_eq!(taken.bytes.len() as u64, taken.size),
            Err(other) => panic!("unexpected problem {other:?}"),
        }
    }
    writing.store(false, Ordering::SeqCst);
    writer.join().expect("writer thread");
    assert!(
        saw_change,
        "a file appended to during the read was never seen changing"
    );
}
