//! The IO side: listing the folder and reading one file. Read-only by design.

use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::planner::{Entry, FileStat, Observation, Problem};

/// A result file read in full, with what is needed to record it.
#[derive(Clone, PartialEq, Eq)]
pub struct TakenFile {
    /// The path the file was read from.
    pub path: PathBuf,
    /// The complete content.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, lower-case hex: the store deduplicates on it.
    pub sha256: String,
    /// Size in bytes (equal to `bytes.len()`).
    pub size: u64,
    /// Modification time when read; `None` where the filesystem keeps none.
    pub modified: Option<SystemTime>,
}

// Hand-written so a log line never dumps megabytes of file content.
impl std::fmt::Debug for TakenFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakenFile")
            .field("path", &self.path)
            .field("sha256", &self.sha256)
            .field("size", &self.size)
            .field("modified", &self.modified)
            .finish_non_exhaustive()
    }
}

/// Lists `folder` (not recursively) into an [`Observation`], sorted by name.
///
/// Sub-folders (and links to folders) are left out. Links are followed; a
/// link whose target cannot be read becomes [`Problem::Unreadable`], and a
/// named pipe, socket or device becomes [`Problem::NotRegularFile`]. Nothing
/// is opened except the folder itself.
pub fn scan(folder: &Path) -> Observation {
    let listing = match fs::read_dir(folder) {
        Ok(listing) => listing,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Observation::FolderMissing,
        Err(err) => {
            return Observation::FolderUnreadable {
                reason: err.to_string(),
            }
        }
    };
    let mut entries = Vec::new();
    for item in listing {
        // A listing cut short would make every file after the error look
        // vanished (and be taken again later), so the whole scan counts as failed.
        let item = match item {
            Ok(item) => item,
            Err(err) => {
                return Observation::FolderUnreadable {
                    reason: format!("the listing was interrupted: {err}"),
                }
            }
        };
        if let Some(entry) = classify(&item) {
            entries.push(entry);
        }
    }
    entries.sort_by(|a, b| a.path().cmp(b.path()));
    Observation::Listing(entries)
}

/// Turns one directory entry into a listing entry, or `None` to leave it out.
fn classify(item: &fs::DirEntry) -> Option<Entry> {
    let path = PathBuf::from(item.file_name());
    let full = item.path();
    let unusable = |problem| {
        Some(Entry::Unusable {
            path: path.clone(),
            problem,
        })
    };
    let file_type = match item.file_type() {
        Ok(file_type) => file_type,
        Err(err) => {
            return unusable(Problem::Unreadable {
                reason: err.to_string(),
            })
        }
    };
    if file_type.is_dir() {
        return None;
    }
    let meta = if file_type.is_symlink() {
        match fs::metadata(&full) {
            Ok(meta) => meta,
            Err(err) => {
                return unusable(Problem::Unreadable {
                    reason: format!("the link's target cannot be read: {err}"),
                })
            }
        }
    } else {
        // Asked of the path, not taken from the directory entry: on Windows
        // the entry's size can lag behind while the writer holds the file open.
        match fs::symlink_metadata(&full) {
            Ok(meta) => meta,
            // Deleted between listing and asking: simply not there.
            Err(err) if err.kind() == io::ErrorKind::NotFound => return None,
            Err(err) => {
                return unusable(Problem::Unreadable {
                    reason: err.to_string(),
                })
            }
        }
    };
    if meta.is_dir() {
        return None;
    }
    if !meta.is_file() {
        return unusable(Problem::NotRegularFile {
            kind: kind_of(&meta),
        });
    }
    Some(Entry::File(FileStat {
        path,
        size: meta.len(),
        modified: meta.modified().ok(),
    }))
}

/// Names a special file's kind for the user.
fn kind_of(meta: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let file_type = meta.file_type();
        if file_type.is_fifo() {
            return "named pipe";
        }
        if file_type.is_socket() {
            return "socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "device";
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    "special file"
}

/// Reads the whole file at `path` and hashes it, checking that it did not
/// change while being read.
///
/// Returns [`Problem::StillChanging`] if the size or modification time after
/// reading differs from before, if more bytes were there than the size said,
/// or if the file vanished meanwhile: the caller should wait and try later.
/// A folder, a named pipe or a device is refused before it is opened (opening
/// a pipe would block). Never writes, moves or deletes anything.
pub fn read_whole(path: &Path) -> Result<TakenFile, Problem> {
    // Checked before opening: opening a named pipe for reading blocks until a
    // writer appears.
    let before = match fs::metadata(path) {
        Ok(meta) => meta,
        // The name exists but points nowhere: a dangling link, not a file in motion.
        Err(err) if err.kind() == io::ErrorKind::NotFound && fs::symlink_metadata(path).is_ok() => {
            return Err(Problem::Unreadable {
                reason: format!("the link's target cannot be read: {err}"),
            })
        }
        Err(err) => return Err(problem_from_io(err)),
    };
    if before.is_dir() {
        return Err(Problem::Unreadable {
            reason: "it is a folder".to_owned(),
        });
    }
    if !before.is_file() {
        return Err(Problem::NotRegularFile {
            kind: kind_of(&before),
        });
    }
    let mut file = File::open(path).map_err(problem_from_io)?;
    let opened = file.metadata().map_err(problem_from_io)?;
    if !opened.is_file() {
        return Err(Problem::NotRegularFile {
            kind: kind_of(&opened),
        });
    }
    let size = opened.len();
    let modified = opened.modified().ok();

    // Read at most one byte more than the size said: enough to notice growth
    // without following a file that keeps growing.
    const MAX_PREALLOCATION: u64 = 64 * 1024 * 1024;
    let capacity = usize::try_from(size.min(MAX_PREALLOCATION)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    (&mut file)
        .take(size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(problem_from_io)?;
    drop(file);

    // Asked of the path again: this also notices the file being replaced by
    // a rename while it was read.
    let after = fs::metadata(path).map_err(problem_from_io)?;
    let unchanged = bytes.len() as u64 == size
        && after.is_file()
        && after.len() == size
        && after.modified().ok() == modified
        && before.len() == size
        && before.modified().ok() == modified;
    if !unchanged {
        return Err(Problem::StillChanging);
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    Ok(TakenFile {
        path: path.to_path_buf(),
        bytes,
        sha256,
        size,
        modified,
    })
}

/// A vanished file is a file in motion (renamed or replaced by its writer),
/// not a fault; everything else cannot be read as it is.
fn problem_from_io(err: io::Error) -> Problem {
    if err.kind() == io::ErrorKind::NotFound {
        Problem::StillChanging
    } else {
        Problem::Unreadable {
            reason: err.to_string(),
        }
    }
}
