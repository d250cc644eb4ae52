//! Output files to disk. A new runner folder is filled under a temporary name and renamed into
//! place whole; in a folder that exists, each file is written to a temporary name and renamed
//! over the old one. So a reader (or a build killed half way) never sees a half-written
//! document. Files of a runner's folder that this build does not emit are removed, so a folder
//! never mixes two builds, and the output folder is locked while a build writes into it.

use crate::lower::iam;
use crate::lower::{Emit, OutputFile, all_file_names, output_files};
use crate::model::Runner;
use crate::parallel::parallel_map;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An output folder, locked for one build: two builds into the same folder at once take turns,
/// so the folder ends with one build's complete set, never a mix.
pub struct OutputDir {
    root: PathBuf,
    _lock: fs::File,
}

/// The start of the name of every temporary file or folder `build` makes; a build killed half
/// way leaves them, and the next build into the same folder removes them. `~` is no character
/// of a runner name, so no runner's folder (nor a file `build` writes) starts like this.
const TEMPORARY: &str = ".~runnerc-tmp.";

fn is_temporary(name: &str) -> bool {
    name.starts_with(TEMPORARY)
}

impl OutputDir {
    /// Creates the folder if needed, waits for the lock (taken on the folder itself, so that
    /// nothing is left in it) and removes what a killed build left at its top.
    pub fn open(root: &Path) -> io::Result<OutputDir> {
        fs::create_dir_all(root)?;
        let lock = fs::File::open(root)?;
        lock.lock()?;
        remove_temporaries(root)?;
        Ok(OutputDir {
            root: root.to_path_buf(),
            _lock: lock,
        })
    }

    /// Writes the files of one runner into `ROOT/<runner>/` and removes the files of that
    /// folder this build does not emit. Returns the paths written.
    ///
    /// A new folder is filled under a temporary name and renamed into place whole: a killed
    /// build leaves no half-filled folder, and no file needs a rename of its own. In a folder
    /// that exists, each file is written to a temporary name and renamed over the old one.
    pub fn write_runner(&self, runner: &str, files: &[OutputFile]) -> io::Result<Vec<PathBuf>> {
        let folder = self.root.join(runner);
        let written: Vec<PathBuf> = files.iter().map(|file| folder.join(file.name)).collect();
        if fs::symlink_metadata(&folder).is_err() {
            let staging = self
                .root
                .join(format!("{TEMPORARY}{runner}.{}", std::process::id()));
            fs::create_dir(&staging)?;
            let filled = files.iter().try_for_each(|file| {
                let path = staging.join(file.name);
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)?;
                }
                let mut out = create_with_mode(&path, file.executable)?;
                out.write_all(file.contents.as_bytes())
            });
            match filled.and_then(|()| fs::rename(&staging, &folder)) {
                Ok(()) => return Ok(written),
                Err(error) => {
                    let _ = fs::remove_dir_all(&staging);
                    return Err(error);
                }
            }
        }
        for (file, path) in files.iter().zip(&written) {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            replace(path, file.contents.as_bytes(), file.executable)?;
        }
        // What this build does not emit goes: files of an earlier build, temporaries of a
        // killed one, and a subfolder left empty.
        for name in all_file_names() {
            if files.iter().any(|f| f.name == name) {
                continue;
            }
            let path = folder.join(name);
            if fs::symlink_metadata(&path).is_ok() {
                fs::remove_file(&path)?;
            }
        }
        let mut folders = vec![folder.clone()];
        while let Some(dir) = folders.pop() {
            for entry in fs::read_dir(&dir)? {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    folders.push(entry.path());
                } else if is_temporary(&entry.file_name().to_string_lossy()) {
                    fs::remove_file(entry.path())?;
                }
            }
            if dir != folder && fs::read_dir(&dir)?.next().is_none() {
                fs::remove_dir(&dir)?;
            }
        }
        Ok(written)
    }
}

/// Removes the temporary folders and files a killed build left directly in `folder`.
fn remove_temporaries(folder: &Path) -> io::Result<()> {
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        if is_temporary(&entry.file_name().to_string_lossy()) {
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(path)?;
            } else {
                fs::remove_file(path)?;
            }
        }
    }
    Ok(())
}

/// What `build` writes: every runner's files under `out`, lowered again runner by runner as
/// they are written (so only the documents being written are in memory), on every core.
/// Returns the paths written, in the runners' order, or the first error.
pub fn write_runners(out: &Path, runners: &[Runner], emit: &[Emit]) -> io::Result<Vec<PathBuf>> {
    let dir = OutputDir::open(out)?;
    let written = parallel_map(runners, |runner| {
        let documents = iam::documents(runner);
        dir.write_runner(&runner.name, &output_files(runner, &documents, emit))
    });
    let mut paths = Vec::new();
    for result in written {
        paths.extend(result?);
    }
    Ok(paths)
}

/// Replaces one file atomically, keeping its permissions (for `runnerc fmt`).
pub fn replace_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let executable = executable(path);
    replace(path, contents, executable)
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_path: &Path) -> bool {
    false
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `contents` atomically: write a temporary file in the same folder, then
/// rename it over the old one.
fn replace(path: &Path, contents: &[u8], executable: bool) -> io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let temporary = folder.join(format!("{TEMPORARY}{name}.{}.{unique}", std::process::id()));
    let result = (|| {
        let mut file = create_with_mode(&temporary, executable)?;
        file.write_all(contents)?;
        drop(file);
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Creates a file readable by all, and executable when asked (the umask still applies).
#[cfg(unix)]
fn create_with_mode(path: &Path, executable: bool) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if executable { 0o755 } else { 0o644 })
        .open(path)
}

#[cfg(not(unix))]
fn create_with_mode(path: &Path, _executable: bool) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}
