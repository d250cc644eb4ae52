//! The two sides of a `diff`: each a file, a folder (every `*.runner` under it), or `-`; or,
//! with `--base REV`, the old side read from git and the new side from the work tree.
//!
//! Git is asked through its command line with fixed arguments; a path reaches it only after
//! `--`, or as `REV:PATH` on standard input of `git cat-file --batch`, never as an option.

use crate::diag::Sources;
use crate::input::{self, Inputs};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Every `*.runner` file under a folder, sorted; a file or `-` as it is.
pub fn expand(path: &Path) -> Result<Vec<PathBuf>, String> {
    if input::is_stdin(path) || !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut found = Vec::new();
    let mut folders = vec![path.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|error| format!("cannot read folder `{}`: {error}", folder.display()))?;
        for entry in entries {
            let entry = entry
                .map_err(|error| format!("cannot read folder `{}`: {error}", folder.display()))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
            if kind.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "runner") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// One side given as a file, folder or `-`.
pub fn read_path(path: &Path) -> Result<Inputs, String> {
    if !input::is_stdin(path) && !path.exists() {
        return Err(format!("`{}` does not exist", path.display()));
    }
    input::read(&expand(path)?)
}

/// Both sides of `--base REV [FILE...]`: the old side from git at `rev`, the new from the work
/// tree. Names are paths from the repository's top; the old side's are `REV:PATH`.
pub fn read_git(rev: &str, files: &[PathBuf]) -> Result<(Sources, Sources), String> {
    let top = git(&["rev-parse", "--show-toplevel"], None)?;
    let top = PathBuf::from(top.trim_end_matches('\n'));
    let prefix = git(&["rev-parse", "--show-prefix"], None)?;
    let prefix = prefix.trim_end_matches('\n');
    if rev.starts_with('-') {
        return Err(format!("`{rev}` is not a revision"));
    }
    git(
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
        None,
    )
    .map_err(|_| format!("`{rev}` is not a commit of this repository"))?;

    let mut names: Vec<String> = Vec::new();
    let mut listed = |text: String| {
        for name in text.split('\0').filter(|n| n.ends_with(".runner")) {
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    };
    // The `*.runner` files git tracks now or tracked at REV, under a pathspec.
    let tracked = |pathspec: &str| -> Result<String, String> {
        let now = git(&["ls-files", "-z", "--full-name", "--", pathspec], None)?;
        let then = git(
            &[
                "ls-tree",
                "-r",
                "-z",
                "--name-only",
                "--full-name",
                rev,
                "--",
                pathspec,
            ],
            None,
        )?;
        Ok(format!("{now}\0{then}"))
    };
    if files.is_empty() {
        listed(tracked(":/")?);
    } else {
        for file in files {
            if file.is_file() {
                // A file given by name is compared even when git does not track it.
                listed(full_name(&top, prefix, file));
            } else {
                listed(tracked(&file.to_string_lossy())?);
            }
        }
    }
    names.sort();

    let mut old = Sources::new();
    let batch: String = names.iter().map(|n| format!("{rev}:{n}\n")).collect();
    let output = git_bytes(&["cat-file", "--batch"], Some(batch.as_bytes()), &top)?;
    let mut rest: &[u8] = &output;
    for name in &names {
        let end = rest
            .iter()
            .position(|b| *b == b'\n')
            .ok_or("git cat-file --batch ended early")?;
        let header = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 1..];
        if header.ends_with(" missing") || header.ends_with(" ambiguous") {
            continue; // absent at REV: all new
        }
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file --batch said `{header}`"))?;
        if !header.contains(" blob ") || rest.len() < size + 1 {
            return Err(format!("`{rev}:{name}` is not a file"));
        }
        let text = String::from_utf8(rest[..size].to_vec())
            .map_err(|_| format!("`{rev}:{name}` is not UTF-8"))?;
        rest = &rest[size + 1..];
        old.add(format!("{rev}:{name}"), text);
    }

    let mut new = Sources::new();
    for name in &names {
        let path = top.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text =
                    String::from_utf8(bytes).map_err(|_| format!("`{name}` is not UTF-8"))?;
                new.add(name.clone(), text);
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(format!("cannot read `{name}`: {error}")),
        }
    }
    Ok((old, new))
}

/// A file's path from the repository's top: `prefix` is the current folder's.
fn full_name(top: &Path, prefix: &str, file: &Path) -> String {
    let joined = if file.is_absolute() {
        file.to_owned()
    } else {
        top.join(prefix).join(file)
    };
    // Lexically: `.` dropped, `..` taken back.
    let mut parts: Vec<String> = Vec::new();
    for component in joined.strip_prefix(top).unwrap_or(&joined).components() {
        match component {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

fn git(args: &[&str], input: Option<&[u8]>) -> Result<String, String> {
    let bytes = git_bytes(args, input, Path::new("."))?;
    String::from_utf8(bytes)
        .map_err(|_| format!("git {} printed something that is not UTF-8", args[0]))
}

fn git_bytes(args: &[&str], input: Option<&[u8]>, cwd: &Path) -> Result<Vec<u8>, String> {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run git: {error}"))?;
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("piped");
        // Written from a thread: git answers while it reads.
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let output = child
        .wait_with_output()
        .map_err(|error| format!("cannot run git: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args[0],
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}
