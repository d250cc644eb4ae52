//! The version `runnerc --version` prints: Cargo.toml's, and the commit it was built from when
//! that is known (`runnerc 0.1.0 (4e06890)`), as `RUNNERC_VERSION`.
//!
//! The commit comes from git when this folder is the top of a git work tree, or from the
//! `.cargo_vcs_info.json` that `cargo package` writes into a published crate. A wheel's sdist
//! has neither, nor does a copy without `.git`: then the version stands alone, silently.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let commit = git_commit(&manifest_dir).or_else(|| packaged_commit(&manifest_dir));
    let full = match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=RUNNERC_VERSION={full}");
}

/// The output of `git ARGS` run in `dir`, trimmed, when git runs and succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// `git rev-parse --short HEAD`, when `dir` is the top of its work tree (a crate unpacked
/// inside another repository, as `cargo package` verifies it, is not built from that
/// repository's commit). Asks cargo to run this again when HEAD moves.
fn git_commit(dir: &Path) -> Option<String> {
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let mut watched = vec![git(dir, &["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.extend(git(dir, &["rev-parse", "--git-path", &branch]));
    }
    watched.extend(git(dir, &["rev-parse", "--git-path", "packed-refs"]));
    // A path that does not exist would make cargo run this script on every build.
    for path in watched.iter().filter(|path| dir.join(path).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
    git(dir, &["rev-parse", "--short", "HEAD"])
}

/// The commit `cargo package` recorded in `.cargo_vcs_info.json` (`"sha1": "..."`), shortened
/// as git shortens it by default.
fn packaged_commit(dir: &Path) -> Option<String> {
    let info = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let sha1 = info.split_once("\"sha1\"")?.1.split('"').nth(1)?;
    let is_hash = sha1.len() >= 7 && sha1.bytes().all(|byte| byte.is_ascii_hexdigit());
    is_hash.then(|| sha1[..7].to_owned())
}
