//! Output files to disk. A new runner folder is filled under a temporary name and renamed into
//! place whole; in a folder that exists, each file is written to a temporary name and renamed
//! over the old one. So a reader (or a build killed half way) never sees a half-written
//! document. The output folder is locked while a build writes into it.
//!
//! What a build wrote, and from which spec, is recorded in the folder ([`manifest`]). A later
//! build of the same spec file removes the files an earlier one wrote and it no longer emits (a
//! runner taken out of the spec, a kind of output no longer asked for), but only those whose
//! content is still what runnerc wrote, and a folder only when that leaves it empty; anything
//! changed or not recorded is left, and said. What other specs (or standard input) produced is
//! never removed, so specs built one at a time into one folder keep each other's output.

pub mod manifest;

use crate::input::Origin;
use crate::lower::iam;
use crate::lower::{Emit, OutputFile, TASK_DEFINITION_FILE, all_file_names, output_files};
use crate::model::Runner;
use crate::parallel::parallel_map;
use manifest::{Journal, Manifest, Spec};
use std::collections::{BTreeMap, BTreeSet};
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

    /// Writes the files of one runner into `ROOT/<runner>/`. Returns the paths written.
    ///
    /// A new folder is filled under a temporary name and renamed into place whole: a killed
    /// build leaves no half-filled folder, and no file needs a rename of its own. In a folder
    /// that exists, each file is written to a temporary name and renamed over the old one, and
    /// the temporaries a killed build left in it are removed.
    pub fn write_runner(&self, runner: &str, files: &[OutputFile]) -> io::Result<Vec<PathBuf>> {
        let folder = self.root.join(runner);
        let written: Vec<PathBuf> = files.iter().map(|file| folder.join(&file.name)).collect();
        if fs::symlink_metadata(&folder).is_err() {
            let staging = self
                .root
                .join(format!("{TEMPORARY}{runner}.{}", std::process::id()));
            fs::create_dir(&staging)?;
            let filled = files.iter().try_for_each(|file| {
                let path = staging.join(&file.name);
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

/// What one build did to its output folder.
#[derive(Debug, Default)]
pub struct Written {
    /// The files written, in the runners' order.
    pub written: Vec<PathBuf>,
    /// Files and folders of earlier builds removed, files first, each list sorted.
    pub removed: Vec<PathBuf>,
    /// What an earlier build wrote (or a runner's folder holds) that this one neither writes
    /// nor removes, with why, sorted.
    pub left: Vec<(PathBuf, &'static str)>,
    /// Folders (at the top of the output folder) holding recorded files of a spec file that no
    /// longer exists, with that spec, sorted: no build removes them, so they are said.
    pub orphaned: Vec<(PathBuf, Spec)>,
}

/// Why a file is left.
const CHANGED: &str = "changed since runnerc wrote it";
const NOT_A_FILE: &str = "not the file runnerc wrote";
const UNRECORDED: &str = "no record that runnerc wrote it";

/// What `build` writes: every runner's files under `out`, lowered again runner by runner as
/// they are written (so only the documents being written are in memory), on every core; then
/// what earlier builds of the same spec files wrote and this one does not is removed, as far as
/// the record proves it. `origins` are the inputs, indexed by each runner's file. Returns what
/// was done, or the first error. A runner of `task_definitions` (by name) gets that text as its
/// `task-definition.json` (`build --task-definition`), whatever `emit` says.
pub fn write_runners(
    out: &Path,
    runners: &[Runner],
    origins: &[Origin],
    emit: &[Emit],
    task_definitions: &BTreeMap<String, String>,
) -> io::Result<Written> {
    let dir = OutputDir::open(out)?;
    let resolved_out = fs::canonicalize(out)?;
    let specs = origins
        .iter()
        .map(|origin| Spec::of(origin, &resolved_out))
        .collect::<io::Result<Vec<Spec>>>()?;
    let previous = Manifest::read(out)?;
    let journal = Journal::open(out)?;
    let results = parallel_map(runners, |runner| {
        let spec = specs.get(runner.name_loc.file).unwrap_or(&Spec::Stdin);
        let documents = iam::documents(runner);
        let mut files = output_files(runner, &documents, emit);
        if let Some(merged) = task_definitions.get(&runner.name) {
            files.retain(|file| file.name != TASK_DEFINITION_FILE);
            files.push(OutputFile {
                runner: runner.name.clone(),
                name: TASK_DEFINITION_FILE.to_owned(),
                contents: merged.clone(),
                executable: false,
            });
        }
        let entries: Vec<(String, String)> = files
            .iter()
            .map(|file| {
                (
                    format!("{}/{}", runner.name, file.name),
                    manifest::hash(file.contents.as_bytes()),
                )
            })
            .collect();
        journal.record(spec, &entries)?;
        let written = dir.write_runner(&runner.name, &files)?;
        // Files of runnerc's names beside them that no build recorded (an earlier version's,
        // say): kept, and said, so a folder that mixes two builds shows.
        let mut unrecorded = Vec::new();
        for name in all_file_names() {
            let relative = format!("{}/{name}", runner.name);
            if !files.iter().any(|file| file.name == name)
                && !previous.contains(&relative)
                && fs::symlink_metadata(out.join(&relative)).is_ok()
            {
                unrecorded.push((out.join(relative), UNRECORDED));
            }
        }
        io::Result::Ok((spec, written, entries, unrecorded))
    });
    drop(journal);
    let mut done = Written::default();
    let mut emitted = Manifest::default();
    for result in results {
        let (spec, written, entries, mut unrecorded) = result?;
        done.written.extend(written);
        done.left.append(&mut unrecorded);
        for (path, hash) in entries {
            emitted.insert(path, spec.clone(), hash);
        }
    }
    // What earlier builds of this build's spec files wrote may go; what other specs (or
    // standard input) wrote stays recorded as it is.
    let (mine, others) = split_by_spec(&previous, &emitted, &specs);
    let others = forget_gone_files_of_gone_specs(out, &resolved_out, others, &mut done);
    let kept = remove_unemitted(out, &mine, &emitted, &others, &mut done)?;
    let mut record = emitted;
    for (path, entry) in kept.entries().chain(others.entries()) {
        record.keep(path, entry);
    }
    replace(
        &out.join(manifest::FILE_NAME),
        record.text().as_bytes(),
        false,
    )?;
    done.left.sort();
    Ok(done)
}

/// The entries of `previous` this build does not write, in two: those produced by a spec file
/// of this build (a build may remove them), and the others.
fn split_by_spec(previous: &Manifest, emitted: &Manifest, specs: &[Spec]) -> (Manifest, Manifest) {
    let mut mine = Manifest::default();
    let mut others = Manifest::default();
    for (path, entry) in previous.entries() {
        if emitted.contains(path) {
            continue;
        }
        let of_this_build = matches!(entry.spec, Spec::File(_)) && specs.contains(&entry.spec);
        if of_this_build {
            mine.keep(path, entry);
        } else {
            others.keep(path, entry);
        }
    }
    (mine, others)
}

/// Of the entries of other specs, those of a spec file that no longer exists (renamed, moved,
/// deleted) lose the files that are gone too; the folders of the files still there are said,
/// since no build will remove them.
fn forget_gone_files_of_gone_specs(
    out: &Path,
    resolved_out: &Path,
    others: Manifest,
    done: &mut Written,
) -> Manifest {
    let mut kept = Manifest::default();
    let mut orphaned = BTreeSet::new();
    // Each spec looked at once, though it recorded several files.
    let mut spec_gone: BTreeMap<Spec, bool> = BTreeMap::new();
    for (path, entry) in others.entries() {
        let gone = *spec_gone
            .entry(entry.spec.clone())
            .or_insert_with(|| match &entry.spec {
                // A spec that cannot be looked at (no permission) is taken as there.
                Spec::File(spec) => matches!(fs::exists(resolved_out.join(spec)), Ok(false)),
                Spec::Stdin => false,
            });
        if gone && fs::symlink_metadata(out.join(path)).is_err() {
            continue;
        }
        kept.keep(path, entry);
        if gone {
            let top = path.split('/').next().unwrap_or(path);
            orphaned.insert((out.join(top), entry.spec.clone()));
        }
    }
    done.orphaned = orphaned.into_iter().collect();
    kept
}

/// Removes what `previous` records and this build did not emit, where the file still holds
/// what runnerc wrote, then each folder of those files that is left empty. Returns the
/// entries left in place (they stay recorded, so the next build says so again). `others` are
/// the entries of other specs, kept: their files keep their folders, unsaid.
fn remove_unemitted(
    out: &Path,
    previous: &Manifest,
    emitted: &Manifest,
    others: &Manifest,
    done: &mut Written,
) -> io::Result<Manifest> {
    let mut kept = Manifest::default();
    let mut folders = BTreeSet::new();
    let mut removed_files = Vec::new();
    for (relative, entry) in previous.entries() {
        let mut folder = relative.as_str();
        while let Some((parent, _)) = folder.rsplit_once('/') {
            folders.insert(parent.to_owned());
            folder = parent;
        }
        let path = match manifest::resolve(out, relative)? {
            Ok(path) => path,
            Err(why) => {
                done.left.push((out.join(relative), why));
                kept.keep(relative, entry);
                continue;
            }
        };
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        if !meta.is_file() {
            done.left.push((path, NOT_A_FILE));
            kept.keep(relative, entry);
        } else if entry.hashes.contains(&manifest::hash(&fs::read(&path)?)) {
            fs::remove_file(&path)?;
            removed_files.push(path);
        } else {
            done.left.push((path, CHANGED));
            kept.keep(relative, entry);
        }
    }
    removed_files.sort();
    done.removed.append(&mut removed_files);
    // Deepest first, so a folder emptied by removing its subfolder goes too.
    let mut folders: Vec<String> = folders
        .into_iter()
        .filter(|folder| !emitted.holds_under(folder) && !others.holds_under(folder))
        .collect();
    folders.sort_by_key(|folder| std::cmp::Reverse(folder.matches('/').count()));
    let mut removed_folders = Vec::new();
    for folder in &folders {
        let Ok(path) = manifest::resolve(out, folder)? else {
            continue;
        };
        if !fs::symlink_metadata(&path).is_ok_and(|meta| meta.is_dir()) {
            continue;
        }
        let mut entries = fs::read_dir(&path)?.collect::<io::Result<Vec<_>>>()?;
        if entries.is_empty() {
            fs::remove_dir(&path)?;
            removed_folders.push(path);
            continue;
        }
        // The folder stays: say what keeps it that no record explains.
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name();
            let relative = format!("{folder}/{}", name.to_string_lossy());
            if !kept.contains(&relative) && !folders.contains(&relative) {
                done.left.push((entry.path(), UNRECORDED));
            }
        }
    }
    removed_folders.sort();
    done.removed.append(&mut removed_folders);
    Ok(kept)
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
