//! The record of what `build` wrote into an output folder, so that a later build removes only
//! files runnerc can prove it wrote and that nobody changed since.
//!
//! `DIR/.~runnerc-manifest` holds one line per file, `SHA256  PATH`, as `sha256sum` prints it
//! (PATH relative to DIR, `/` between folders), sorted by path: `cd DIR && sha256sum -c
//! .~runnerc-manifest` checks the files. `~` is no character of a runner name, so no runner's
//! folder can take the name.
//!
//! While a build writes, it appends the lines of each runner's files before it writes them;
//! when it ends it replaces the whole record with the files it wrote (and those it left). A
//! build killed half way thus leaves a record with every content it may have written: a path
//! may then have more than one line, and a file whose content matches any of them is proven.

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// The record's name, directly in the output folder.
pub const FILE_NAME: &str = ".~runnerc-manifest";

/// The SHA-256 of some bytes, in lower-case hex.
pub fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// What a record says: each path (relative to the output folder) with the hashes of the
/// contents runnerc wrote there.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Manifest {
    entries: BTreeMap<String, BTreeSet<String>>,
}

impl Manifest {
    /// Reads `root`'s record; none is an empty record.
    pub fn read(root: &Path) -> io::Result<Manifest> {
        match fs::read(root.join(FILE_NAME)) {
            Ok(bytes) => Ok(Manifest::parse(&String::from_utf8_lossy(&bytes))),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(error) => Err(error),
        }
    }

    /// The entries of a record's text. A line that is not `HASH  PATH` with a path inside the
    /// folder (a line cut short by a killed build, a hand edit) proves nothing and is skipped.
    pub fn parse(text: &str) -> Manifest {
        let mut manifest = Manifest::default();
        // Only whole lines: a killed build may leave the last one cut short.
        let whole = text.rfind('\n').map_or("", |end| &text[..end]);
        for line in whole.lines() {
            let Some((hash, path)) = line.split_once("  ") else {
                continue;
            };
            let is_hash = hash.len() == 64
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if is_hash && is_inside(path) {
                manifest.insert(path.to_owned(), hash.to_owned());
            }
        }
        manifest
    }

    pub fn insert(&mut self, path: String, hash: String) {
        self.entries.entry(path).or_default().insert(hash);
    }

    /// Every path with its hashes, in order.
    pub fn entries(&self) -> impl Iterator<Item = (&String, &BTreeSet<String>)> {
        self.entries.iter()
    }

    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// Whether `path` holds something under `folder` (`folder/...`).
    pub fn holds_under(&self, folder: &str) -> bool {
        let prefix = format!("{folder}/");
        self.entries
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(path, _)| path.starts_with(&prefix))
    }

    /// The record's text: one `HASH  PATH` line per entry, sorted by path, then hash.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for (path, hashes) in &self.entries {
            for hash in hashes {
                text.push_str(&line(path, hash));
            }
        }
        text
    }
}

fn line(path: &str, hash: &str) -> String {
    format!("{hash}  {path}\n")
}

/// Whether a recorded path stays inside the output folder: relative, made of plain names
/// only (no `..`, `.`, root or prefix), without a backslash or a line break.
pub fn is_inside(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\n', '\r', '\0'])
        && !path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        && Path::new(path)
            .components()
            .all(|part| matches!(part, Component::Normal(_)))
}

/// The record of a build under way: lines are appended before the files they name are
/// written, by every thread of the build.
pub struct Journal {
    file: Mutex<fs::File>,
}

impl Journal {
    /// Opens `root`'s record to append to it (creating it).
    pub fn open(root: &Path) -> io::Result<Journal> {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join(FILE_NAME))?;
        Ok(Journal {
            file: Mutex::new(file),
        })
    }

    /// Appends the lines of files about to be written, in one write.
    pub fn record(&self, entries: &[(String, String)]) -> io::Result<()> {
        let text: String = entries
            .iter()
            .map(|(path, hash)| line(path, hash))
            .collect();
        // A thread that panicked while holding the lock left whole lines or a cut one, which
        // `parse` skips: the file is still usable.
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(text.as_bytes())
    }
}

/// The path of a recorded entry under `root`, or why it must not be touched: a symbolic link
/// on the way could lead out of the folder.
pub fn resolve(root: &Path, relative: &str) -> io::Result<Result<PathBuf, &'static str>> {
    let mut path = root.to_path_buf();
    for part in relative.split('/') {
        path.push(part);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Ok(Err("a symbolic link is on its path"));
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => break,
            Err(error) => return Err(error),
        }
    }
    Ok(Ok(root.join(relative)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_sha256() {
        assert_eq!(
            hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_record_reads_back_and_skips_what_proves_nothing() {
        let mut manifest = Manifest::default();
        manifest.insert("b/x.json".into(), hash(b"x"));
        manifest.insert("a/terraform/main.tf".into(), hash(b"y"));
        let text = manifest.text();
        assert!(text.starts_with(&format!("{}  a/terraform/main.tf\n", hash(b"y"))));
        assert_eq!(Manifest::parse(&text), manifest);
        let noise = format!(
            "{text}{h}  ../etc/passwd\n{h}  /abs\n{h}  a/./b\n{h}  a//b\nnot a line\n{h}  cut/sho",
            h = hash(b"z")
        );
        assert_eq!(Manifest::parse(&noise), manifest);
    }

    #[test]
    fn holds_under_means_inside_the_folder() {
        let mut manifest = Manifest::default();
        manifest.insert("orders-cdc/x.json".into(), hash(b"x"));
        assert!(manifest.holds_under("orders-cdc"));
        assert!(!manifest.holds_under("orders"));
        assert!(!manifest.holds_under("orders-cdc/x.json"));
    }
}
