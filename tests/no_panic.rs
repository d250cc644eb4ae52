//! No input makes runnerc panic. Generated inputs — random bytes, token soup built from the
//! grammar's words, and mutations of the examples (lines deleted, duplicated or swapped, the
//! text cut at every character) — go through the whole pipeline: compile, the three renderers
//! and the formatter. Every diagnostic must point inside its file; a sample also goes through
//! the real binary, which must exit 0 or 1, with a located diagnostic when it exits 1.
//! Deterministic and bounded: a few seconds.

use runnerc::compile::compile;
use runnerc::diag::{self, Sources};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "runner",
    "account",
    "region",
    "secret",
    "agent",
    "kms",
    "destination",
    "s3",
    "bucket",
    "prefix",
    "trust",
    "service",
    "conditions",
    "on",
    "off",
    "task",
    "execution",
    "role",
    "name",
    "path",
    "description",
    "permissions-boundary",
    "max-session-duration",
    "managed-policy",
    "none",
    "default",
    "tag",
    "env",
    "key",
    "version-stage",
    "version-id",
    "image",
    "logs",
    "\"arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbC123\"",
    "\"arn:aws:ecr:eu-west-1:123456789012:repository/a\"",
    "\"/ecs/x\"",
    "{",
    "}",
    "*",
    "\"",
    "\\",
    "#",
    "\n",
    " ",
    "\"123456789012\"",
    "\"eu-west-1\"",
    "\"cn-north-1\"",
    "\"prod/db\"",
    "\"arn:aws:kms:eu-west-1:123456789012:key/abc\"",
    "\"arn:aws:secretsmanager:eu-west-1:123456789012:secret:x\"",
    "\"a\\\"b\"",
    "3600",
    "99999999999999999999",
    "\"\"",
    "\"é🚀\"",
    "# comment\n",
    "\"x\ny\"",
    "\"acme-bucket\"",
    "\"/\"",
    "\u{0}",
    "\u{feff}",
];

/// Runs the whole pipeline on one text; panics are caught and reported with the input.
fn exercise(text: &str, failures: &mut Vec<String>) {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut sources = Sources::new();
        sources.add("input.runner", text);
        let compilation = compile(&sources);
        for d in &compilation.diagnostics {
            for loc in std::iter::once(d.loc).chain(d.secondary.iter().map(|l| l.loc)) {
                assert!(
                    loc.span.start <= loc.span.end && loc.span.end <= text.len(),
                    "span {loc:?} outside the text"
                );
                assert!(
                    text.is_char_boundary(loc.span.start) && text.is_char_boundary(loc.span.end),
                    "span {loc:?} splits a character"
                );
            }
        }
        let _ = diag::render_human(&compilation.diagnostics, &sources, false);
        let _ = diag::render_json(&compilation.diagnostics, &sources);
        let _ = diag::render_sarif(&compilation.diagnostics, &sources);
        for compiled in compilation.lowered() {
            let _ = runnerc::lower::output_files(
                &compiled.runner,
                &compiled.documents,
                runnerc::lower::Emit::ALL,
            );
        }
        if let Err(runnerc::format::FormatError::Unsound(why)) = runnerc::format::format(text) {
            panic!("formatter unsound: {why}");
        }
    }));
    if let Err(panic) = result {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        failures.push(format!(
            "{message}\n--- input ({} bytes)\n{}",
            text.len(),
            text.escape_debug()
        ));
    }
}

fn examples() -> Vec<String> {
    let mut texts: Vec<String> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "runner"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    texts.sort();
    texts
}

fn check(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} inputs panicked; the first:\n{}",
        failures.len(),
        failures[0]
    );
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x5eed_0001);
    let mut failures = Vec::new();
    for _ in 0..2000 {
        let length = rng.below(300);
        let bytes: Vec<u8> = (0..length).map(|_| rng.next() as u8).collect();
        exercise(&String::from_utf8_lossy(&bytes), &mut failures);
    }
    check(failures);
}

#[test]
fn token_soup() {
    let mut rng = Rng(0x5eed_0002);
    let mut failures = Vec::new();
    for _ in 0..5000 {
        let count = rng.below(60);
        let mut text = String::new();
        for _ in 0..count {
            text.push_str(WORDS[rng.below(WORDS.len())]);
            if rng.below(3) > 0 {
                text.push(' ');
            }
        }
        exercise(&text, &mut failures);
    }
    check(failures);
}

#[test]
fn examples_cut_at_every_character() {
    let mut failures = Vec::new();
    for text in examples() {
        for (index, _) in text.char_indices() {
            exercise(&text[..index], &mut failures);
        }
    }
    check(failures);
}

#[test]
fn examples_with_lines_deleted_duplicated_or_swapped() {
    let mut rng = Rng(0x5eed_0003);
    let mut failures = Vec::new();
    for text in examples() {
        let lines: Vec<&str> = text.lines().collect();
        for _ in 0..400 {
            let mut mutated = lines.clone();
            for _ in 0..=rng.below(3) {
                let i = rng.below(mutated.len());
                let j = rng.below(mutated.len());
                match rng.below(4) {
                    0 => {
                        mutated.remove(i);
                    }
                    1 => mutated.insert(i, lines[j % lines.len()]),
                    2 => mutated.swap(i, j),
                    _ => mutated.insert(i, WORDS[rng.below(WORDS.len())]),
                }
                if mutated.is_empty() {
                    break;
                }
            }
            exercise(&mutated.join("\n"), &mut failures);
        }
    }
    check(failures);
}

#[test]
fn the_binary_exits_0_or_1_with_a_located_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_0004);
    let examples = examples();
    for case in 0..40 {
        let text = &examples[case % examples.len()];
        let lines: Vec<&str> = text.lines().collect();
        let mut mutated = lines.clone();
        let i = rng.below(mutated.len());
        match case % 3 {
            0 => {
                mutated.remove(i);
            }
            1 => mutated.insert(i, WORDS[rng.below(WORDS.len())]),
            _ => mutated.truncate(i),
        }
        let path = dir.path().join(format!("case{case}.runner"));
        std::fs::write(&path, mutated.join("\n")).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .arg("check")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => {}
            Some(1) => assert!(
                stderr.contains(&format!("case{case}.runner:")),
                "case {case}: no location in\n{stderr}"
            ),
            other => panic!("case {case}: exit {other:?}\n{stderr}"),
        }
    }
}

/// `verify` on a task definition cut at every character and with bytes replaced, and `diff`
/// between the examples and their mutations that compile: no panic, in-process.
#[test]
fn verify_and_diff_take_any_input() {
    let mut failures = Vec::new();
    let mut specs = Sources::new();
    specs.add(
        "specs.runner",
        std::fs::read_to_string("tests/verify/specs.runner").unwrap(),
    );
    let runners = compile(&specs).runners;
    let base = std::fs::read_to_string("tests/verify/E111-log-secret-option.json").unwrap();
    let mut rng = Rng(0x5eed);
    let mut inputs: Vec<String> = (0..=base.len())
        .filter(|&cut| base.is_char_boundary(cut))
        .map(|cut| base[..cut].to_owned())
        .collect();
    for _ in 0..300 {
        let mut bytes = base.clone().into_bytes();
        for _ in 0..3 {
            let at = rng.below(bytes.len());
            let replacements = b"{}[]\":,0a-/";
            bytes[at] = replacements[rng.below(replacements.len())];
        }
        inputs.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    for text in &inputs {
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut sources = specs.clone();
            let file = sources.add("td.json", text.clone());
            if let Ok(definition) = runnerc::verify::TaskDefinition::read(file, text)
                && let Ok(runner) = runnerc::verify::runner_for(&definition, &runners, None)
            {
                let found = runnerc::verify::verify(&definition, runner, &runners);
                let _ = diag::render_human(&found, &sources, false);
                let _ = diag::render_sarif(&found, &sources);
            }
        }));
        if result.is_err() {
            failures.push(format!("verify panicked on:\n{}", text.escape_debug()));
        }
    }
    // diff: each example against its versions with one line deleted, both ways.
    for example in examples() {
        let lines: Vec<&str> = example.lines().collect();
        for skip in 0..lines.len() {
            let changed: String = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            let side = |text: &str| {
                let mut sources = Sources::new();
                sources.add("side.runner", text);
                let compilation = compile(&sources);
                (!compilation.has_errors()).then_some((sources, compilation.runners))
            };
            let (Some(old), Some(new)) = (side(&example), side(&changed)) else {
                continue;
            };
            let result = catch_unwind(AssertUnwindSafe(|| {
                for (a, b) in [(&old, &new), (&new, &old)] {
                    let report = runnerc::review::diff::compare(
                        &runnerc::review::diff::Side {
                            sources: &a.0,
                            runners: &a.1,
                        },
                        &runnerc::review::diff::Side {
                            sources: &b.0,
                            runners: &b.1,
                        },
                    );
                    let _ = runnerc::review::render::human(&report);
                    let _ = runnerc::review::render::markdown(&report);
                    let _ = runnerc::review::render::json(&report);
                }
            }));
            if result.is_err() {
                failures.push(format!(
                    "diff panicked on line {skip} deleted of:\n{example}"
                ));
            }
        }
    }
    check(failures);
}
