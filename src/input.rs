//! The specs a command is given: each a file, or `-` for standard input. Every command that
//! reads specs (`check`, `build`, `fmt`, `can`, `drift`) reads them here, so they name, decode
//! and de-duplicate their inputs the same way.
//!
//! Takes the command line's paths; gives the sources, an `E003` diagnostic for each input that
//! is not UTF-8, and a note for each file named more than once (read once). Nothing is printed
//! here: the command says what it is told.

use crate::ast::Span;
use crate::diag::{Code, Diagnostic, Loc, Sources};
use std::io::Read;
use std::path::{Path, PathBuf};

/// How standard input is named in diagnostics and messages.
pub const STDIN_NAME: &str = "<stdin>";

/// Where one source came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `-` on the command line.
    Stdin,
    /// A file, as the command line spelled it.
    File(PathBuf),
}

/// Everything read, one source per distinct input, in command-line order.
#[derive(Debug, Default)]
pub struct Inputs {
    pub sources: Sources,
    /// Where each source came from, indexed by its [`FileId`].
    pub origins: Vec<Origin>,
    /// `E003` for each input that is not UTF-8 (kept, decoded lossily).
    pub diagnostics: Vec<Diagnostic>,
    /// One sentence for each file named more than once, which was read once.
    pub notes: Vec<String>,
}

/// Whether a command-line path means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads every input once. A file named twice (by any spelling of the same path) is read the
/// first time and noted; `-` named twice, a folder, or a file that cannot be read is a problem
/// of the command line, returned as one sentence.
pub fn read(paths: &[PathBuf]) -> Result<Inputs, String> {
    if paths.iter().filter(|p| is_stdin(p)).count() > 1 {
        return Err("`-` is given more than once: standard input can be read only once".to_owned());
    }
    let mut inputs = Inputs::default();
    // The canonical path of each file read, with the spelling that read it.
    let mut seen: Vec<(PathBuf, String)> = Vec::new();
    for path in paths {
        let (name, bytes, origin) = if is_stdin(path) {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|error| format!("cannot read standard input: {error}"))?;
            (STDIN_NAME.to_owned(), bytes, Origin::Stdin)
        } else {
            let name = path.display().to_string();
            if path.is_dir() {
                return Err(format!("`{name}` is a folder, not a .runner file"));
            }
            let canonical = std::fs::canonicalize(path)
                .map_err(|error| format!("cannot read `{name}`: {error}"))?;
            if let Some((_, first)) = seen.iter().find(|(seen, _)| *seen == canonical) {
                inputs.notes.push(if *first == name {
                    format!("`{name}` is given more than once; read once")
                } else {
                    format!("`{name}` is the file `{first}`, given already; read once")
                });
                continue;
            }
            let bytes =
                std::fs::read(path).map_err(|error| format!("cannot read `{name}`: {error}"))?;
            seen.push((canonical, name.clone()));
            (name, bytes, Origin::File(path.clone()))
        };
        inputs.add(name, bytes, origin);
    }
    Ok(inputs)
}

impl Inputs {
    /// Adds one input's bytes; text that is not UTF-8 is kept, decoded lossily, with an `E003`
    /// diagnostic at its first bad byte.
    fn add(&mut self, name: String, bytes: Vec<u8>, origin: Origin) {
        self.origins.push(origin);
        match String::from_utf8(bytes) {
            Ok(text) => {
                self.sources.add(name, text);
            }
            Err(error) => {
                let offset = error.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                let id = self.sources.add(name, text);
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::NotUtf8,
                        Loc::new(id, Span::new(offset, offset + 1)),
                        "the file is not UTF-8 text",
                    )
                    .with_label("the first byte that is not UTF-8")
                    .with_help("save the spec as UTF-8"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_named_twice_is_read_once_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.runner");
        std::fs::write(&path, "runner \"a\" {}\n").unwrap();
        let other_spelling = dir.path().join(".").join("a.runner");
        let inputs = read(&[path.clone(), path.clone(), other_spelling.clone()]).unwrap();
        assert_eq!(inputs.sources.iter().count(), 1);
        assert_eq!(inputs.origins, [Origin::File(path.clone())]);
        assert_eq!(
            inputs.notes,
            [
                format!("`{}` is given more than once; read once", path.display()),
                format!(
                    "`{}` is the file `{}`, given already; read once",
                    other_spelling.display(),
                    path.display()
                ),
            ]
        );
    }

    #[test]
    fn stdin_twice_is_refused_before_anything_is_read() {
        let problem = read(&[PathBuf::from("-"), PathBuf::from("-")]).unwrap_err();
        assert!(problem.contains("`-` is given more than once"), "{problem}");
    }
}
