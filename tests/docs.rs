//! The documentation holds: every code is explained in docs/diagnostics.md (and by `runnerc
//! explain`), each failing example there reports its code and each fixed example compiles
//! without it; the language tour (docs/language.md) and the existing-roles spec
//! (docs/deploying.md) compile; the `runnerc can`, `check`, `explain` and `import` runs the
//! README and the docs show print what they show; the README stays a front door of at most 400 lines; every
//! subcommand's help shows an example; the starter spec of `runnerc init` compiles; SARIF output
//! validates against the SARIF 2.1.0 schema.

mod support;

use runnerc::compile::compile;
use runnerc::diag::{Code, Severity, Sources};
use std::fs;
use std::process::{Command, Output};

fn runnerc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(args)
        .output()
        .unwrap()
}

fn codes_of(text: &str) -> Vec<Code> {
    let mut sources = Sources::new();
    sources.add("example.runner", text);
    compile(&sources)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect()
}

/// The ```runner blocks of a markdown text, in order.
fn runner_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```runner") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_code_is_explained_with_examples_that_hold() {
    for code in Code::ALL {
        let text = runnerc::explain::explanation(*code)
            .unwrap_or_else(|| panic!("{code} has no section in docs/diagnostics.md"));
        let blocks = runner_blocks(text);
        if blocks.is_empty() {
            // Size and count limits need long inputs: their cases live in tests/fail only.
            assert!(
                text.contains("tests/fail/")
                    || (code.is_task_definition() && text.contains("tests/verify/"))
                    || (code.is_base_task_definition() && text.contains("tests/cli.rs")),
                "{code} has neither examples nor a pointer to tests/fail (tests/verify for a task-definition code)"
            );
            continue;
        }
        assert_eq!(blocks.len(), 2, "{code}: a failing and a fixed example");
        let failing = codes_of(&blocks[0]);
        assert!(
            failing.contains(code),
            "{code}: the failing example reports {failing:?}"
        );
        // A fixed example reports nothing, or only warnings its section names: an extra
        // `trust service` warns (W064) in every example that keeps one.
        let fixed = codes_of(&blocks[1]);
        assert!(
            fixed.iter().all(|c| c != code
                && c.severity() == Severity::Warning
                && text.contains(c.as_str())),
            "{code}: the fixed example reports {fixed:?}"
        );
        let output = runnerc(&["explain", &code.as_str().to_lowercase()]);
        assert_eq!(output.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&output.stdout).contains("Fixed:"));
    }
    assert_eq!(runnerc(&["explain", "E999"]).status.code(), Some(2));
}

/// The text of the code block that follows `start` in `page`, up to its closing fence.
fn block_after(page: &str, start: &str) -> String {
    let text = fs::read_to_string(page).unwrap();
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{page} has no `{}`", start.trim_end()));
    let end = from + text[from..].find("```").unwrap();
    text[from..end].to_owned()
}

#[test]
fn the_language_tour_compiles() {
    let tour = block_after("docs/language.md", "# orders.runner\n");
    assert!(
        tour.contains("task role {"),
        "the tour is cut short:\n{tour}"
    );
    let codes = codes_of(&tour);
    // No error; the optional `trust` lines of the tour warn about what they open, as they must.
    assert_eq!(
        codes,
        vec![Code::UnconditionedTrustService, Code::TrustConditionsOff],
        "the language tour reports {codes:?}"
    );
}

#[test]
fn the_existing_roles_spec_compiles() {
    let spec = block_after("docs/deploying.md", "runner \"crm-cdc\" {\n");
    assert!(spec.contains("existing"), "{spec}");
    let codes = codes_of(&spec);
    assert!(
        codes.is_empty(),
        "docs/deploying.md's existing-roles spec reports {codes:?}"
    );
}

#[test]
fn the_readme_is_a_front_door_of_at_most_400_lines() {
    let readme = fs::read_to_string("README.md").unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 400,
        "README.md has {lines} lines; move the detail into docs/"
    );
    for page in [
        "language",
        "commands",
        "deploying",
        "auditing",
        "editors",
        "testing",
        "design",
    ] {
        let link = format!("](docs/{page}.md");
        assert!(
            readme.contains(&link),
            "README.md does not link docs/{page}.md"
        );
    }
}

/// A fenced code block of a page: its info string, its lines (without the fence's indentation)
/// and the lines where it opens and closes (0-based).
struct Block {
    lang: String,
    lines: Vec<String>,
    open: usize,
    close: usize,
}

fn code_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<(Block, usize)> = None;
    for (number, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match current.take() {
            None => {
                if let Some(lang) = trimmed.strip_prefix("```") {
                    let block = Block {
                        lang: lang.trim().to_owned(),
                        lines: Vec::new(),
                        open: number,
                        close: number,
                    };
                    current = Some((block, indent));
                }
            }
            Some((mut block, fence_indent)) => {
                if trimmed == "```" {
                    block.close = number;
                    blocks.push(block);
                } else {
                    let cut = line.len() - line.trim_start().len();
                    block.lines.push(line[cut.min(fence_indent)..].to_owned());
                    current = Some((block, fence_indent));
                }
            }
        }
    }
    blocks
}

/// The one command of a shell block, `\` continuations joined and a trailing `# comment`
/// dropped; `None` when the block holds more than one command.
fn single_command(lines: &[String]) -> Option<String> {
    let joined = lines.join("\n").replace("\\\n", " ");
    let commands: Vec<&str> = joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let [command] = commands.as_slice() else {
        return None;
    };
    Some(command.split(" #").next().unwrap().trim().to_owned())
}

/// Whether `actual` holds everything `expected` shows: objects key by key, arrays element by
/// element when as long, otherwise each shown element somewhere (a page may cut a list short).
fn json_includes(actual: &serde_json::Value, expected: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| json_includes(av, v))),
        (Value::Array(a), Value::Array(e)) if a.len() == e.len() => {
            a.iter().zip(e).all(|(av, ev)| json_includes(av, ev))
        }
        (Value::Array(a), Value::Array(e)) => {
            e.iter().all(|ev| a.iter().any(|av| json_includes(av, ev)))
        }
        _ => actual == expected,
    }
}

/// Lines without trailing white space (ariadne pads some), trailing blank lines dropped.
fn normalised(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_owned()
}

/// The pages' runs of `runnerc can`, `check`, `explain` and `import` (without `--out`): a shell
/// block holding one such command, followed at once by a block of what it prints. Each is run
/// from the repository's root and must print exactly that (stdout, then stderr); a JSON block
/// must be included in the JSON printed. These commands write nothing; `build`, `drift` (whose
/// example export is not shipped) and `fmt` runs are left to their own tests.
#[test]
fn documented_runs_print_what_the_pages_show() {
    let mut checked = Vec::new();
    for (page, at_least) in [
        ("README.md", 3),
        ("docs/auditing.md", 4),
        ("docs/commands.md", 0),
    ] {
        let text = fs::read_to_string(page).unwrap();
        let blocks = code_blocks(&text);
        let mut runs = 0;
        for pair in blocks.windows(2) {
            let (command_block, output) = (&pair[0], &pair[1]);
            if command_block.lang != "sh" || output.open != command_block.close + 1 {
                continue;
            }
            let Some(command) = single_command(&command_block.lines) else {
                continue;
            };
            let args: Vec<&str> = command.split_whitespace().collect();
            if args[0] != "runnerc" || !["can", "check", "explain", "import"].contains(&args[1]) {
                continue;
            }
            assert!(
                args[1] != "import" || !command.contains("--out"),
                "{page}:{}: a documented import writes to stdout, not a file: {command}",
                command_block.open + 1
            );
            assert!(
                !command.contains(['\'', '"', '$', '*', '|', '>']),
                "{page}:{}: a documented run must be plain words: {command}",
                command_block.open + 1
            );
            let run = runnerc(&args[1..]);
            let shown = output.lines.join("\n");
            let place = format!("{page}:{}: `{command}`", output.open + 1);
            if output.lang == "json" {
                let printed: serde_json::Value = serde_json::from_slice(&run.stdout)
                    .unwrap_or_else(|e| panic!("{place} printed no JSON ({e})"));
                let shown: serde_json::Value = serde_json::from_str(&shown)
                    .unwrap_or_else(|e| panic!("{place}: the page's JSON does not parse ({e})"));
                assert!(
                    json_includes(&printed, &shown),
                    "{place} prints\n{printed:#}\nnot what the page shows"
                );
            } else {
                let printed = format!(
                    "{}{}",
                    String::from_utf8_lossy(&run.stdout),
                    String::from_utf8_lossy(&run.stderr)
                );
                assert_eq!(
                    normalised(&printed),
                    normalised(&shown),
                    "{place} prints something else than the page shows"
                );
            }
            runs += 1;
            checked.push(place);
        }
        assert!(
            runs >= at_least,
            "{page}: {runs} documented runs found, expected at least {at_least}"
        );
    }
    assert!(!checked.is_empty());
}

#[test]
fn json_includes_is_not_a_blank_cheque() {
    let actual = serde_json::json!({ "a": [1, 2, 3], "b": { "c": "d" } });
    assert!(json_includes(&actual, &serde_json::json!({ "a": [2] })));
    assert!(json_includes(&actual, &serde_json::json!({ "b": {} })));
    assert!(!json_includes(&actual, &serde_json::json!({ "a": [4] })));
    assert!(!json_includes(
        &actual,
        &serde_json::json!({ "a": [1, 3, 2] })
    ));
    assert!(!json_includes(&actual, &serde_json::json!({ "e": 1 })));
    assert!(!json_includes(
        &actual,
        &serde_json::json!({ "b": { "c": "x" } })
    ));
}

#[test]
fn every_subcommand_help_shows_an_example() {
    for command in [
        "check",
        "build",
        "fmt",
        "can",
        "drift",
        "lsp",
        "explain",
        "init",
        "completions",
    ] {
        let output = runnerc(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{command}");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(
            help.contains("Example"),
            "{command} --help has no example:\n{help}"
        );
        assert!(help.contains(&format!("runnerc {command}")), "{command}");
    }
}

#[test]
fn init_writes_a_starter_spec_that_compiles_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let output = run(&["init", "orders-cdc"]);
    assert_eq!(output.status.code(), Some(0));
    let text = fs::read_to_string(dir.path().join("orders-cdc.runner")).unwrap();
    assert!(text.contains("runner \"orders-cdc\""));
    assert!(
        text.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            >= 5,
        "commented"
    );
    assert_eq!(codes_of(&text), vec![]);
    let again = run(&["init", "orders-cdc"]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(run(&["init", "bad name"]).status.code(), Some(2));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = runnerc(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("runnerc"),
            "{shell}"
        );
    }
    assert_eq!(runnerc(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let bad = "tests/fail/E020-account-digits.runner";
    let escape = |output: &Output| output.stderr.contains(&0x1b);
    assert!(escape(&runnerc(&["check", "--color", "always", bad])));
    assert!(!escape(&runnerc(&["check", "--color", "never", bad])));
    // auto: stderr is a pipe here, so no colour.
    assert!(!escape(&runnerc(&["check", bad])));
    let no_color = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["check", "--color", "auto", bad])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!escape(&no_color));
}

#[test]
fn sarif_output_validates_against_the_schema() {
    let mut args = vec!["check", "--format", "sarif"];
    let cases: Vec<String> = fs::read_dir("tests/fail")
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| {
            p.ends_with(".runner")
                && !p.contains("E001")
                && !p.contains("E002")
                && !p.contains("E003")
        })
        .collect();
    args.extend(cases.iter().map(String::as_str));
    let output = runnerc(&args);
    assert_eq!(output.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    // No address is given for the tool: the project has none that exists.
    assert!(
        log["runs"][0]["tool"]["driver"]
            .get("informationUri")
            .is_none()
    );
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() >= cases.len());
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    fs::write(&sarif, &output.stdout).unwrap();
    let script = "import json,sys,jsonschema\n\
        schema=json.load(open(sys.argv[1]))\n\
        jsonschema.validate(json.load(open(sys.argv[2])), schema)\n\
        print('valid')\n";
    if !support::has_command("python3") || !support::python_has("jsonschema") {
        return support::skip(
            "SARIF schema validation",
            "python3 with jsonschema not found",
        );
    }
    let result = Command::new("python3")
        .args(["-c", script, "tests/schemas/sarif-2.1.0.json"])
        .arg(&sarif)
        .output()
        .expect("python3 runs");
    assert!(
        result.status.success(),
        "SARIF does not validate:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&result.stdout).trim(), "valid");
}
