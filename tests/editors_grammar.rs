//! The VS Code extension's TextMate grammar (editors/vscode) holds: its keyword lists are exactly
//! the keywords of grammar/runner.pest, so a keyword added to the language without highlighting
//! fails here; the annotated samples in editors/vscode/test pass vscode-tmgrammar-test (installed
//! by `npm ci --prefix editors/vscode`; without it that test is skipped loudly, and fails under
//! `RUNNERC_E2E=1`); the extension's manifest points at the grammar and the language settings.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const EXTENSION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/editors/vscode");
const GRAMMAR: &str = "syntaxes/runner.tmLanguage.json";
const PEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/runner.pest");

/// What the grammar writes around every keyword: the pest grammar's `!word_char`.
const BEFORE_WORD: &str = "(?<![A-Za-z0-9_-])";
const AFTER_WORD: &str = "(?![A-Za-z0-9_-])";

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The literal of every `kw_*` rule of the pest grammar.
fn pest_keywords() -> BTreeSet<String> {
    let pest = read(Path::new(PEST));
    assert!(
        pest.contains(r#"word_char = _{ ASCII_ALPHANUMERIC | "-" | "_" }"#),
        "word_char changed in {PEST}: change {BEFORE_WORD} and {AFTER_WORD} in the TextMate \
         grammar to match, then this line"
    );
    let keywords: BTreeSet<String> = pest
        .lines()
        .filter(|line| line.starts_with("kw_"))
        .map(|line| {
            let literal = line.split('"').nth(1);
            literal.unwrap_or_else(|| panic!("a kw_ rule without a literal: {line}"))
        })
        .map(str::to_owned)
        .collect();
    assert!(keywords.len() > 20, "too few kw_ rules read: {keywords:?}");
    keywords
}

/// Every `match` and `begin` regex of a TextMate grammar.
fn regexes<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("match" | "begin", Value::String(regex)) => found.push(regex),
                    _ => regexes(value, found),
                }
            }
        }
        Value::Array(values) => values.iter().for_each(|v| regexes(v, found)),
        _ => {}
    }
}

/// The words the grammar scopes as keywords: each alternative of a group written
/// `(?<![A-Za-z0-9_-])(a|b)(?![A-Za-z0-9_-])` or with `(?:a|b)`.
fn grammar_keywords() -> BTreeSet<String> {
    let grammar = json(&Path::new(EXTENSION).join(GRAMMAR));
    let mut found = Vec::new();
    regexes(&grammar, &mut found);
    let mut keywords = BTreeSet::new();
    for regex in found {
        for (at, _) in regex.match_indices(BEFORE_WORD) {
            let rest = &regex[at + BEFORE_WORD.len()..];
            let Some(group) = rest.strip_prefix('(') else {
                continue; // an integer, not a keyword
            };
            let group = group.strip_prefix("?:").unwrap_or(group);
            let (words, after) = group.split_once(')').expect("a closed group");
            assert!(
                after.starts_with(AFTER_WORD),
                "a keyword group that does not end where a word ends: {regex}"
            );
            for word in words.split('|') {
                assert!(
                    !word.is_empty()
                        && word
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "not a literal keyword: {word:?} in {regex}"
                );
                keywords.insert(word.to_owned());
            }
        }
    }
    keywords
}

#[test]
fn the_grammar_highlights_exactly_the_keywords_of_the_language() {
    let language = pest_keywords();
    let highlighted = grammar_keywords();
    let missing: Vec<_> = language.difference(&highlighted).collect();
    let extra: Vec<_> = highlighted.difference(&language).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "editors/vscode/{GRAMMAR} is out of step with grammar/runner.pest:\n  \
         keywords not highlighted: {missing:?}\n  highlighted words that are no keyword: {extra:?}"
    );
}

#[test]
fn the_manifest_points_at_the_grammar_and_the_language_configuration() {
    let extension = Path::new(EXTENSION);
    let manifest = json(&extension.join("package.json"));
    let contributes = &manifest["contributes"];
    let grammar = &contributes["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.runner");
    assert_eq!(grammar["path"], format!("./{GRAMMAR}"));
    assert_eq!(json(&extension.join(GRAMMAR))["scopeName"], "source.runner");
    let language = &contributes["languages"][0];
    assert_eq!(language["id"], "runner");
    assert_eq!(language["extensions"][0], ".runner");
    let configuration = language["configuration"].as_str().unwrap();
    let configuration = json(&extension.join(configuration));
    assert_eq!(configuration["comments"]["lineComment"], "#");
    assert_eq!(manifest["activationEvents"][0], "onLanguage:runner");
    let path = &contributes["configuration"]["properties"]["runnerc.path"];
    assert_eq!(path["default"], "runnerc");
    assert!(extension.join(manifest["main"].as_str().unwrap()).is_file());
    assert!(extension.join("package-lock.json").is_file());
}

/// The annotated samples, sorted.
fn samples() -> Vec<PathBuf> {
    let mut samples: Vec<PathBuf> = fs::read_dir(Path::new(EXTENSION).join("test"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "runner"))
        .collect();
    samples.sort();
    samples
}

/// The assertion lines of a sample: `#`, then blanks, then `^` or `<-` (vscode-tmgrammar-test's
/// rule; any other line is text to tokenize).
fn assertions(sample: &Path) -> usize {
    let text = read(sample);
    let header = text.lines().next().unwrap_or_default();
    assert!(
        header.starts_with(r#"# SYNTAX TEST "source.runner""#),
        "{}: no vscode-tmgrammar-test header",
        sample.display()
    );
    text.lines()
        .skip(1)
        .filter_map(|line| line.strip_prefix('#'))
        .map(str::trim_start)
        .filter(|rest| rest.starts_with('^') || rest.starts_with("<-") || rest.starts_with("<~"))
        .count()
}

#[test]
fn every_sample_asserts_something() {
    let samples = samples();
    assert!(samples.len() >= 3, "samples: {samples:?}");
    let mut total = 0;
    for sample in &samples {
        let count = assertions(sample);
        assert!(count > 0, "{} asserts nothing", sample.display());
        total += count;
    }
    assert!(total >= 40, "only {total} assertions in {samples:?}");
}

#[test]
fn the_samples_pass_vscode_tmgrammar_test() {
    const TEST: &str = "vscode-tmgrammar-test";
    let extension = Path::new(EXTENSION);
    if !extension
        .join("node_modules/.bin/vscode-tmgrammar-test")
        .is_file()
    {
        return support::skip(
            TEST,
            "editors/vscode/node_modules has no vscode-tmgrammar-test (run `npm ci --prefix editors/vscode`)",
        );
    }
    if !support::commands_present(TEST, &["npx"]) {
        return;
    }
    // No shell: the tool expands the quoted glob itself.
    let output = Command::new("npx")
        .args([
            "--no-install",
            "vscode-tmgrammar-test",
            "-g",
            GRAMMAR,
            "test/*.runner",
        ])
        .current_dir(extension)
        .env("FORCE_COLOR", "0")
        .output()
        .expect("npx runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "{TEST} failed ({}):\n{report}",
        output.status
    );
    // The tool says nothing but one line per file that passed: every sample must have one.
    let passed: BTreeSet<String> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("✓ test/"))
        .filter_map(|line| line.strip_suffix(" run successfuly."))
        .map(str::to_owned)
        .collect();
    let expected: BTreeSet<String> = samples()
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(passed, expected, "not every sample passed:\n{report}");
}
