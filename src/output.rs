//! Output files to disk. Each file is written to a temporary name beside its final one and
//! renamed into place, so a reader (or a build killed half way) never sees a half-written
//! document. Files of a runner's folder that this build does not emit are removed, so a folder
//! never mixes two builds.

use crate::lower::{ALL_FILES, OutputFile};
use std::collections::BTreeMap;
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

impl OutputDir {
    /// Creates the folder if needed and waits for the lock, taken on the folder itself so that
    /// nothing is left in it.
    pub fn open(root: &Path) -> io::Result<OutputDir> {
        fs::create_dir_all(root)?;
        let lock = fs::File::open(root)?;
        lock.lock()?;
        Ok(OutputDir {
            root: root.to_path_buf(),
            _lock: lock,
        })
    }

    /// Writes the files of one runner into `ROOT/<runner>/` and removes the files of that
    /// folder this build does not emit. Returns the paths written.
    pub fn write_runner(&self, runner: &str, files: &[OutputFile]) -> io::Result<Vec<PathBuf>> {
        let folder = self.root.join(runner);
        // A folder this build creates holds nothing stale.
        let created = match fs::create_dir(&folder) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
            Err(e) => return Err(e),
        };
        let mut written = Vec::with_capacity(files.len());
        for file in files {
            let path = folder.join(file.name);
            replace(&path, file.contents.as_bytes(), file.executable)?;
            written.push(path);
        }
        if created {
            return Ok(written);
        }
        remove_leftover_temporaries(&folder)?;
        for name in ALL_FILES {
            if !files.iter().any(|f| f.name == *name) {
                match fs::remove_file(folder.join(name)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        Ok(written)
    }
}

/// Removes the temporary files a killed build left in a folder (`.NAME.PID.N.tmp`). The
/// folder is locked, so no other build is writing them.
fn remove_leftover_temporaries(folder: &Path) -> io::Result<()> {
    for entry in fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = ALL_FILES
            .iter()
            .any(|file| name.starts_with(&format!(".{file}.")));
        if ours && name.ends_with(".tmp") {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Writes every file under `out`, runner by runner. Returns the paths written, in order.
pub fn write_all(out: &Path, files: &[OutputFile]) -> io::Result<Vec<PathBuf>> {
    let dir = OutputDir::open(out)?;
    let mut by_runner: BTreeMap<&str, Vec<OutputFile>> = BTreeMap::new();
    for file in files {
        by_runner
            .entry(&file.runner)
            .or_default()
            .push(file.clone());
    }
    let mut written = Vec::with_capacity(files.len());
    for (runner, files) in by_runner {
        written.extend(dir.write_runner(runner, &files)?);
    }
    Ok(written)
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
    let temporary = folder.join(format!(".{name}.{}.{unique}.tmp", std::process::id()));
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
