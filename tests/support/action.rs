//! The `run:` steps of action.yml, run here as GitHub runs a composite action's steps: in
//! order, each as `bash --noprofile --norc -eo pipefail FILE` (GitHub's `shell: bash`), with
//! `${{ ... }}` replaced by its value, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH` and
//! `RUNNER_TEMP` pointing at files and a folder of the run, the folders a step adds to
//! `GITHUB_PATH` on the PATH of the steps after it, and nothing after the first step that
//! fails. A `uses:` step cannot run here: it is recorded, with its `if:`.
//!
//! action.yml is read with python3's PyYAML (it comes with pre-commit); an expression the
//! action uses and this harness does not know fails the test, so the steps stay runnable.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The tools a run needs.
pub const TOOLS: &[&str] = &["bash", "git", "python3"];

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// action.yml, as JSON.
pub fn action() -> Value {
    let output = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(root().join("action.yml"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// What a run of the action is given.
pub struct Context<'a> {
    /// The repository the action runs in (`github.workspace`).
    pub workspace: &'a Path,
    /// The action's inputs; the others take action.yml's defaults.
    pub inputs: &'a [(&'a str, &'a str)],
    /// Environment variables of the job (`GITHUB_BASE_REF`, `PATH`, ...).
    pub env: &'a [(&'a str, &'a str)],
    /// `github.event.before`, for a push.
    pub push_before: &'a str,
}

/// What a run of the action left.
pub struct Run {
    /// Each step's name and exit status (`None` for a `uses:` step, with its `if:`).
    pub steps: Vec<(String, Option<i32>, String)>,
    pub summary: String,
    pub outputs: BTreeMap<String, String>,
    /// The folders the steps added to PATH (`GITHUB_PATH`).
    pub path_additions: String,
    /// Every step's stdout and stderr.
    pub log: String,
    /// `runner.temp`, kept until the run is dropped.
    pub temp: tempfile::TempDir,
}

impl Run {
    /// The exit status of the last step that ran.
    pub fn status(&self) -> Option<i32> {
        self.steps.iter().rev().find_map(|(_, status, _)| *status)
    }
}

/// The value GitHub gives `${{ expression }}` in this run.
fn evaluate(expression: &str, action: &Value, context: &Context, temp: &Path) -> String {
    if let Some(name) = expression.strip_prefix("inputs.") {
        let given = context.inputs.iter().find(|(input, _)| *input == name);
        return match given {
            Some((_, value)) => (*value).to_owned(),
            None => action["inputs"][name]["default"]
                .as_str()
                .unwrap_or_else(|| panic!("action.yml has no input `{name}`"))
                .to_owned(),
        };
    }
    match expression {
        "github.action_path" => root().display().to_string(),
        "github.workspace" => context.workspace.display().to_string(),
        "github.event.before" => context.push_before.to_owned(),
        "runner.temp" => temp.display().to_string(),
        other => panic!("action.yml's run steps use `${{{{ {other} }}}}`, which tests cannot give"),
    }
}

/// `text` with every `${{ ... }}` replaced by its value.
fn substitute(text: &str, action: &Value, context: &Context, temp: &Path) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some((before, after)) = rest.split_once("${{") {
        let (expression, after) = after.split_once("}}").expect("an unclosed `${{`");
        out.push_str(before);
        out.push_str(&evaluate(expression.trim(), action, context, temp));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `KEY=VALUE` lines of a `GITHUB_OUTPUT` file.
fn outputs(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

/// Runs every step of action.yml in `context.workspace`.
pub fn run(context: &Context) -> Run {
    let action = action();
    let temp = tempfile::tempdir().unwrap();
    let files = temp.path().join("github");
    std::fs::create_dir(&files).unwrap();
    let [output, summary, path] = ["output", "summary", "path"].map(|name| files.join(name));
    let mut run_steps = Vec::new();
    let mut log = String::new();
    let mut failed = false;
    for (index, step) in action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let name = step["name"].as_str().unwrap_or("step").to_owned();
        let condition = step["if"].as_str().unwrap_or("").to_owned();
        if step.get("uses").is_some() {
            run_steps.push((name, None, condition));
            continue;
        }
        assert!(condition.is_empty(), "step `{name}`: a run step with `if:`");
        if failed {
            continue;
        }
        assert_eq!(step["shell"], "bash", "step `{name}`");
        let script = files.join(format!("step-{index}.sh"));
        let text = substitute(step["run"].as_str().unwrap(), &action, context, temp.path());
        std::fs::write(&script, text).unwrap();
        let folder = step["working-directory"].as_str().unwrap_or(".");
        let folder = substitute(folder, &action, context, temp.path());
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(context.workspace.join(folder))
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_PATH", &path)
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_WORKSPACE", context.workspace)
            .env("RUNNER_TEMP", temp.path())
            .envs(context.env.iter().copied());
        // What earlier steps added to GITHUB_PATH comes first, the latest first.
        let added = std::fs::read_to_string(&path).unwrap_or_default();
        if !added.is_empty() {
            let job_path = context.env.iter().find(|(key, _)| *key == "PATH");
            let job_path =
                job_path.map_or_else(|| std::env::var("PATH").unwrap(), |(_, v)| (*v).to_owned());
            let mut dirs: Vec<&str> = added.lines().rev().collect();
            dirs.push(&job_path);
            command.env("PATH", dirs.join(":"));
        }
        for (key, value) in step["env"].as_object().into_iter().flatten() {
            let value = substitute(value.as_str().unwrap(), &action, context, temp.path());
            command.env(key, value);
        }
        let result = command.output().unwrap();
        log.push_str(&format!(
            "== {name}\n{}{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        ));
        failed = !result.status.success();
        run_steps.push((name, result.status.code(), condition));
    }
    let read = |file: &Path| std::fs::read_to_string(file).unwrap_or_default();
    Run {
        steps: run_steps,
        summary: read(&summary),
        outputs: outputs(&read(&output)),
        path_additions: read(&path),
        log,
        temp,
    }
}
