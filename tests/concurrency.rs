//! Output safety: two builds into the same folder at once leave one complete, consistent set
//! of files; a build killed while it writes never leaves a truncated document, and the next
//! build clears what it left.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "../examples/gen-spec.rs"]
#[allow(dead_code)]
mod gen_spec;

fn build(spec: &Path, out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runnerc"));
    command
        .args(["build", "--emit", "json,aws-cli", "--out"])
        .arg(out)
        .arg(spec)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn two_builds_into_one_folder_leave_one_consistent_set() {
    let dir = tempfile::tempdir().unwrap();
    // Two versions of the same runners: every document says which version it came from.
    let a = gen_spec::spec(Some(300), None, 7);
    let b = a
        .replace("CDC agent", "CDC agent v2")
        .replace("\"/streaming/\"", "\"/streaming/v2/\"");
    let (spec_a, spec_b) = (dir.path().join("a.runner"), dir.path().join("b.runner"));
    fs::write(&spec_a, &a).unwrap();
    fs::write(&spec_b, &b).unwrap();
    let out = dir.path().join("out");
    for _ in 0..3 {
        let first = build(&spec_a, &out).spawn().unwrap();
        let second = build(&spec_b, &out).spawn().unwrap();
        for child in [first, second] {
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        // Every runner's create script must match the one version the whole folder holds.
        let scripts: Vec<String> = files_under(&out)
            .into_iter()
            .filter(|p| p.ends_with("create-roles.sh"))
            .map(|p| fs::read_to_string(p).unwrap())
            .collect();
        assert_eq!(scripts.len(), 300);
        let v2 = scripts
            .iter()
            .filter(|s| s.contains("/streaming/v2/"))
            .count();
        assert!(
            v2 == 0 || v2 == 300,
            "a mix of two builds: {v2} of 300 from the second"
        );
    }
}

#[test]
fn a_killed_build_leaves_no_truncated_document() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("big.runner");
    fs::write(&spec, gen_spec::spec(Some(6000), None, 11)).unwrap();
    let out = dir.path().join("out");
    let mut killed_while_writing = false;
    for wait_for_folders in [1usize, 50, 500, 2000] {
        let _ = fs::remove_dir_all(&out);
        // Its warnings (the spec's extra `trust service` lines, W064) are not read: a pipe
        // nobody reads would stop the build before it writes.
        let mut child = build(&spec, &out).stderr(Stdio::null()).spawn().unwrap();
        // Kill it once it has started writing: when the output holds some runner folders.
        loop {
            let folders = fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
            if folders >= wait_for_folders || child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        killed_while_writing |= !finished;
        // Temporaries of the killed build are not documents; the next build removes them.
        for path in files_under(&out)
            .into_iter()
            .filter(|p| !p.to_string_lossy().contains("runnerc-tmp"))
        {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json") {
                let text = fs::read_to_string(&path).unwrap();
                assert!(
                    serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                    "{} is truncated",
                    path.display()
                );
            } else if name.ends_with(".sh") {
                let text = fs::read_to_string(&path).unwrap();
                let last = text.trim_end().lines().last().unwrap_or("");
                assert!(
                    last.starts_with("    '")
                        || last.starts_with("delete_role")
                        || last.starts_with("attach_managed_policies"),
                    "{} is truncated: {last}",
                    path.display()
                );
            }
        }
    }
    assert!(
        killed_while_writing,
        "no build was caught writing; raise the spec size"
    );
    // The next build finishes the job and leaves no temporary file behind.
    let output = build(&spec, &out).output().unwrap();
    assert!(output.status.success());
    let leftovers: Vec<_> = files_under(&out)
        .into_iter()
        .filter(|p| {
            p.to_string_lossy().contains("runnerc-tmp")
                || p.file_name().unwrap().to_string_lossy().starts_with('.')
        })
        .collect();
    // The record of what was written is the one dotfile, and it lists each file once, under
    // the one spec's comment line.
    let record = out.join(".~runnerc-manifest");
    assert_eq!(leftovers, std::slice::from_ref(&record));
    let text = fs::read_to_string(&record).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with('#')).count(), 1);
    assert_eq!(text.lines().count(), 6000 * 6 + 1);
    assert_eq!(files_under(&out).len(), 6000 * 6 + 1);
}

/// A runner whose name ends like a temporary of an earlier runnerc (`x-runnerc-tmp`) is a
/// runner like any other: a later build into the same folder keeps its output.
#[test]
fn a_runner_named_like_a_temporary_keeps_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let spec = |names: &[&str]| {
        let path = dir.path().join("spec.runner");
        let text: String = names
            .iter()
            .map(|name| {
                format!("runner \"{name}\" {{ account \"123456789012\" region \"eu-west-1\" }}\n")
            })
            .collect();
        fs::write(&path, text).unwrap();
        path
    };
    let names = ["x-runnerc-tmp", ".x.1.runnerc-tmp", "orders"];
    for built in [&names[..2], &names[..]] {
        let output = build(&spec(built), &out).output().unwrap();
        assert!(
            output.status.success() && output.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for name in names {
        assert!(
            out.join(name).join("task-role-trust-policy.json").is_file(),
            "{name}'s output was removed"
        );
    }
}
