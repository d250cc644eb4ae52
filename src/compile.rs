//! The pipeline, from source texts to checked runners: parse every file, check every runner,
//! lower each valid runner once to measure its documents against IAM's quotas, and run the
//! rules across runners. Nothing here reads or writes files.
//!
//! A file is cut into pieces of whole `runner` blocks ([`parse::chunks`]); each piece is parsed,
//! checked and measured on its own, on as many threads as the machine has, so pest's tokens and
//! the syntax tree of one piece are all that is alive of it at a time. Documents are not kept:
//! `build` lowers each runner again as it writes it.

use crate::ast::SpecFile;
use crate::check::{self, Checked};
use crate::diag::{self, Diagnostic, FileId, Sources};
use crate::lower::iam;
use crate::model::Runner;
use crate::parallel::parallel_map;
use crate::parse;
use crate::quota;

/// Everything one invocation found.
#[derive(Debug, Clone)]
pub struct Compilation {
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The runners without errors, in the order written. Only complete when there is no error.
    pub runners: Vec<Runner>,
    /// How many runner blocks the files hold, with errors or without: a block with a syntax
    /// error counts as one runner.
    pub runners_seen: usize,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Every runner with its documents, lowered now.
    pub fn lowered(&self) -> Vec<CompiledRunner> {
        self.runners
            .iter()
            .map(|runner| CompiledRunner {
                runner: runner.clone(),
                documents: iam::documents(runner),
            })
            .collect()
    }
}

/// A runner and its documents.
#[derive(Debug, Clone)]
pub struct CompiledRunner {
    pub runner: Runner,
    pub documents: iam::RoleDocuments,
}

/// Pieces of about this many bytes are parsed apart; smaller files are one piece.
const CHUNK_BYTES: usize = 32 * 1024;

pub fn compile(sources: &Sources) -> Compilation {
    let mut diagnostics = Vec::new();
    let mut checked = Vec::new();
    // Runner blocks with a syntax error: they reach no check, but the summary counts them.
    let mut unparsed_runners = 0;
    for (id, file) in sources.iter() {
        let pieces = parse::chunks(&file.text, CHUNK_BYTES);
        // A piece that does not parse is parsed again below, block by block: here the first
        // syntax error is enough.
        let results = parallel_map(&pieces, |range| {
            let piece = &file.text[range.clone()];
            parse::parse_reporting(piece, id, range.start, 1).map(|spec| check_piece(&spec, id))
        });
        if results.iter().all(Result::is_ok) {
            for (mut found, mut entries) in results.into_iter().flatten() {
                diagnostics.append(&mut found);
                checked.append(&mut entries);
            }
            continue;
        }
        // A piece does not parse: the parser's recovery finds every syntax error, and a syntax
        // error hides only its own runner's diagnostics.
        for block in parse::parse_blocks(&file.text, id, |spec| check_piece(&spec, id)) {
            match block.parsed {
                Ok((mut found, mut entries)) => {
                    diagnostics.append(&mut found);
                    checked.append(&mut entries);
                }
                Err(unparsed) => {
                    unparsed_runners += usize::from(unparsed.is_runner);
                    diagnostics.extend(unparsed.diagnostics);
                }
            }
        }
    }
    let runners_seen = checked.len() + unparsed_runners;
    let runners = check::check_across(checked, &mut diagnostics);
    diagnostics.extend(quota::check_existing_roles(&runners));
    diag::sort(&mut diagnostics);
    Compilation {
        diagnostics,
        runners,
        runners_seen,
    }
}

/// What [`compile`] does with one parsed file, without its parallel pieces: every runner
/// checked and measured, then the checks across runners and the existing roles' quotas. The
/// pipeline bench's `check` stage runs this, the binary's own path.
pub fn check_parsed(spec: &SpecFile, file: FileId) -> (Vec<Runner>, Vec<Diagnostic>) {
    let (mut diagnostics, checked) = check_piece(spec, file);
    let runners = check::check_across(checked, &mut diagnostics);
    diagnostics.extend(quota::check_existing_roles(&runners));
    (runners, diagnostics)
}

/// Checks and measures the runners of one parsed piece of a file.
fn check_piece(spec: &SpecFile, file: FileId) -> (Vec<Diagnostic>, Vec<Checked>) {
    let mut diagnostics = Vec::new();
    let mut checked = Vec::with_capacity(spec.runners.len());
    for decl in &spec.runners {
        let (runner, mut found) = check::check_runner(file, decl);
        diagnostics.append(&mut found);
        if let Some(runner) = &runner {
            diagnostics.extend(quota::check(runner, &iam::documents(runner)));
        }
        checked.push(Checked::new(file, decl, runner));
    }
    (diagnostics, checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of many pieces reports the same syntax error as a whole-file parse would.
    #[test]
    fn an_error_in_a_later_piece_is_reported_as_for_the_whole_file() {
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!(
                "runner \"r{i}\" {{ account \"123456789012\" region \"eu-west-1\" }}\n"
            ));
        }
        assert!(parse::chunks(&text, CHUNK_BYTES).len() > 1);
        let bad = text.clone() + "runner \"last\" { acount \"1\" }\n";
        let mut sources = Sources::new();
        sources.add("many.runner", bad.clone());
        let compilation = compile(&sources);
        let whole = parse::parse(&bad, 0).unwrap_err();
        assert_eq!(compilation.diagnostics, whole);
        // And a clean file gives every runner, in order.
        let mut sources = Sources::new();
        sources.add("many.runner", text);
        let compilation = compile(&sources);
        assert!(compilation.diagnostics.is_empty());
        assert_eq!(compilation.runners.len(), 2000);
        assert_eq!(compilation.runners[1999].name, "r1999");
    }

    /// A syntax error in one runner block leaves the other blocks' diagnostics.
    #[test]
    fn a_syntax_error_hides_only_its_own_runner() {
        let text = "runner \"a\" {\n account \"12\"\n region \"eu-west-1\"\n}\n\
                    runner \"b\" {\n acount \"1\"\n}\n\
                    runner \"c\" {\n account \"123456789012\"\n region \"eu-west-1\"\n secret \"*\"\n}\n";
        let mut sources = Sources::new();
        sources.add("three.runner", text);
        let compilation = compile(&sources);
        let codes: Vec<&str> = compilation
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, ["E020", "E001", "E030"]);
        // The block with the syntax error is a runner the files hold.
        assert_eq!(compilation.runners_seen, 3);
        // The syntax error is placed in the whole file.
        let syntax = &compilation.diagnostics[1];
        assert_eq!(&text[syntax.loc.span.start..syntax.loc.span.end], "acount");
        assert_eq!(syntax.fixes[0].edits[0].text, "account");
    }
}
