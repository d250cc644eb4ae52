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

/// Writes every file under `out`, creating folders as needed. Returns the paths written, in
/// order.
pub fn write_all(out: &Path, files: &[OutputFile]) -> io::Result<Vec<PathBuf>> {
    let mut by_runner: BTreeMap<&str, Vec<&OutputFile>> = BTreeMap::new();
    for file in files {
        by_runner.entry(&file.runner).or_default().push(file);
    }
    let mut written = Vec::with_capacity(files.len());
    fs::create_dir_all(out)?;
    for file in files {
        let folder = out.join(&file.runner);
        fs::create_dir_all(&folder)?;
        let path = folder.join(file.name);
        replace(&path, file.contents.as_bytes(), file.executable)?;
        written.push(path);
    }
    for (runner, emitted) in by_runner {
        let folder = out.join(runner);
        for name in ALL_FILES {
            if !emitted.iter().any(|f| f.name == *name) {
                match fs::remove_file(folder.join(name)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
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
        let mut file = fs::File::create(&temporary)?;
        file.write_all(contents)?;
        set_mode(&file, executable)?;
        drop(file);
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(unix)]
fn set_mode(file: &fs::File, executable: bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _executable: bool) -> io::Result<()> {
    Ok(())
}
