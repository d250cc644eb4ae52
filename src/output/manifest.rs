//! The record of what `build` wrote into an output folder, so that a later build removes only
//! files runnerc can prove it wrote, that nobody changed since, and that a spec of this build
//! produced.
//!
//! `DIR/.~runnerc-manifest` holds one line per file, `SHA256  PATH`, as `sha256sum` prints it
//! (PATH relative to DIR, `/` between folders), in sections: each section starts with a comment
//! line naming the spec that produced its files, `# spec SPEC` (SPEC the spec file's path
//! relative to DIR, both resolved of links) or `# stdin` (standard input). `sha256sum -c` skips
//! lines that start with `#`, so `cd DIR && sha256sum -c .~runnerc-manifest` still checks the
//! files. Sections are sorted by spec (standard input last), lines by path. `~` is no character
//! of a runner name, so no runner's folder can take the name.
//!
//! While a build writes, it appends each runner's section before it writes the files; when it
//! ends it replaces the whole record with the files it wrote and those it kept. A build killed
//! half way thus leaves a record with every content it may have written: a path may then have
//! more than one line, and a file whose content matches any of them is proven; the path belongs
//! to the spec of its last line.

use crate::input::{Origin, STDIN_NAME};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
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

/// Which input produced a recorded file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Spec {
    /// A spec file, by its path relative to the output folder (`/` between parts), both
    /// resolved of symbolic links: the same file however the command line spells it, and the
    /// same record when the specs and the output folder move together.
    File(String),
    /// Standard input: each build reads a new, unnamed text, so no later build removes what it
    /// produced.
    Stdin,
}

impl Spec {
    /// The spec of an input, for a record in the folder `out` (resolved of links). A file whose
    /// path cannot be written on one line of UTF-8 is recorded as standard input: never removed.
    pub fn of(origin: &Origin, out: &Path) -> io::Result<Spec> {
        let Origin::File(path) = origin else {
            return Ok(Spec::Stdin);
        };
        let relative = relative_path(&fs::canonicalize(path)?, out);
        Ok(match relative.to_str() {
            Some(text) if is_one_line(text) => Spec::File(text.replace('\\', "/")),
            _ => Spec::Stdin,
        })
    }

    /// The record's comment line that starts this spec's section.
    fn header(&self) -> String {
        match self {
            Spec::File(path) => format!("# spec {path}\n"),
            Spec::Stdin => "# stdin\n".to_owned(),
        }
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::File(path) => write!(f, "`{path}`"),
            Spec::Stdin => f.write_str(STDIN_NAME),
        }
    }
}

fn is_one_line(text: &str) -> bool {
    !text.is_empty() && !text.contains(['\n', '\r', '\0'])
}

/// `path` as seen from the folder `from`, both absolute and resolved: `..` for each part of
/// `from` past their common start, then the rest of `path`. With no common start (another
/// drive), `path` itself.
fn relative_path(path: &Path, from: &Path) -> PathBuf {
    let path_parts: Vec<Component> = path.components().collect();
    let from_parts: Vec<Component> = from.components().collect();
    let common = path_parts
        .iter()
        .zip(&from_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return path.to_path_buf();
    }
    let mut relative = PathBuf::new();
    for _ in common..from_parts.len() {
        relative.push("..");
    }
    for part in &path_parts[common..] {
        relative.push(part);
    }
    relative
}

/// What a record says of one path: the spec that produced it and the hashes of the contents
/// runnerc wrote there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub spec: Spec,
    pub hashes: BTreeSet<String>,
}

/// What a record says: each path (relative to the output folder) with its entry.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Manifest {
    entries: BTreeMap<String, Entry>,
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
    /// folder (a line cut short by a killed build, a hand edit), or that comes before any
    /// section's comment line (so no spec is known to have produced it), proves nothing and is
    /// skipped; so are other comment lines.
    pub fn parse(text: &str) -> Manifest {
        let mut manifest = Manifest::default();
        let mut spec = None;
        // Only whole lines: a killed build may leave the last one cut short.
        let whole = text.rfind('\n').map_or("", |end| &text[..end]);
        for line in whole.lines() {
            if line == "# stdin" {
                spec = Some(Spec::Stdin);
                continue;
            }
            if let Some(path) = line.strip_prefix("# spec ") {
                spec = is_one_line(path).then(|| Spec::File(path.to_owned()));
                continue;
            }
            let (Some(spec), Some((hash, path))) = (&spec, line.split_once("  ")) else {
                continue;
            };
            let is_hash = hash.len() == 64
                && hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if is_hash && is_inside(path) {
                manifest.insert(path.to_owned(), spec.clone(), hash.to_owned());
            }
        }
        manifest
    }

    /// Records that `spec` produced `hash` at `path`: the path now belongs to `spec`, and the
    /// hashes recorded before stay (a killed build may have left either content).
    pub fn insert(&mut self, path: String, spec: Spec, hash: String) {
        let entry = self.entries.entry(path).or_insert_with(|| Entry {
            spec: spec.clone(),
            hashes: BTreeSet::new(),
        });
        entry.spec = spec;
        entry.hashes.insert(hash);
    }

    /// Records `entry` at `path` as it is.
    pub fn keep(&mut self, path: &str, entry: &Entry) {
        self.entries.insert(path.to_owned(), entry.clone());
    }

    /// Every path with its entry, in order.
    pub fn entries(&self) -> impl Iterator<Item = (&String, &Entry)> {
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

    /// The record's text: a section per spec, sorted (standard input last), each its comment
    /// line then one `HASH  PATH` line per entry, sorted by path, then hash.
    pub fn text(&self) -> String {
        let mut sections: BTreeMap<&Spec, String> = BTreeMap::new();
        for (path, entry) in &self.entries {
            let section = sections
                .entry(&entry.spec)
                .or_insert_with(|| entry.spec.header());
            for hash in &entry.hashes {
                section.push_str(&line(path, hash));
            }
        }
        sections.into_values().collect()
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

    /// Appends the section of files `spec` produced that are about to be written, in one
    /// write.
    pub fn record(&self, spec: &Spec, entries: &[(String, String)]) -> io::Result<()> {
        let mut text = spec.header();
        for (path, hash) in entries {
            text.push_str(&line(path, hash));
        }
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

    fn spec(path: &str) -> Spec {
        Spec::File(path.to_owned())
    }

    #[test]
    fn a_record_reads_back_in_sections_and_skips_what_proves_nothing() {
        let mut manifest = Manifest::default();
        manifest.insert("b/x.json".into(), spec("../b.runner"), hash(b"x"));
        manifest.insert(
            "a/terraform/main.tf".into(),
            spec("../b.runner"),
            hash(b"y"),
        );
        manifest.insert("c/x.json".into(), Spec::Stdin, hash(b"c"));
        manifest.insert("d/x.json".into(), spec("../a.runner"), hash(b"d"));
        let text = manifest.text();
        assert_eq!(
            text,
            format!(
                "# spec ../a.runner\n{}  d/x.json\n\
                 # spec ../b.runner\n{}  a/terraform/main.tf\n{}  b/x.json\n\
                 # stdin\n{}  c/x.json\n",
                hash(b"d"),
                hash(b"y"),
                hash(b"x"),
                hash(b"c")
            )
        );
        assert_eq!(Manifest::parse(&text), manifest);
        let h = hash(b"z");
        let noise = format!(
            "{h}  before/any-section\n{text}{h}  ../etc/passwd\n{h}  /abs\n{h}  a/./b\n\
             {h}  a//b\nnot a line\n# a comment\n# spec \n{h}  no/spec\n{h}  cut/sho"
        );
        assert_eq!(Manifest::parse(&noise), manifest);
    }

    #[test]
    fn a_path_belongs_to_the_spec_that_wrote_it_last_with_every_content() {
        let text = format!(
            "# spec a.runner\n{}  r/x.json\n# spec b.runner\n{}  r/x.json\n",
            hash(b"a"),
            hash(b"b")
        );
        let manifest = Manifest::parse(&text);
        let entries: Vec<_> = manifest.entries().collect();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].1.spec, spec("b.runner"));
        assert_eq!(
            entries[0].1.hashes,
            BTreeSet::from([hash(b"a"), hash(b"b")])
        );
    }

    #[test]
    fn a_spec_is_named_from_the_output_folder() {
        let from = |path: &str, out: &str| relative_path(Path::new(path), Path::new(out));
        assert_eq!(
            from("/repo/specs/a.runner", "/repo/out"),
            Path::new("../specs/a.runner")
        );
        assert_eq!(
            from("/repo/out/a.runner", "/repo/out"),
            Path::new("a.runner")
        );
        assert_eq!(
            from("/a.runner", "/tmp/x/out"),
            Path::new("../../../a.runner")
        );
    }

    #[test]
    fn holds_under_means_inside_the_folder() {
        let mut manifest = Manifest::default();
        manifest.insert("orders-cdc/x.json".into(), Spec::Stdin, hash(b"x"));
        assert!(manifest.holds_under("orders-cdc"));
        assert!(!manifest.holds_under("orders"));
        assert!(!manifest.holds_under("orders-cdc/x.json"));
    }
}
