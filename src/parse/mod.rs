//! Text to syntax tree: the only module that walks pest's pairs.
//!
//! Step one, pest matches `grammar/runner.pest`. Pest stops at the first syntax error, so on
//! failure [`recover`] blanks out the statement the error stands in and parses again, until
//! every syntax error of the text is found ([`MAX_SYNTAX_ERRORS`] at most). Step two, one
//! function per rule builds the [`ast`](crate::ast) nodes ([`walk`]), unescaping strings and
//! keeping every byte span; every bad escape of the file is reported at once.
//!
//! One job per file:
//!
//! - this file: the parser and its entry points;
//! - [`walk`]: pest's pairs to the syntax tree;
//! - [`recover`]: every syntax error of a text in one run, statement by statement, and of a
//!   file block by block; `compile` and the language server both recover through it;
//! - [`messages`]: the words of every syntax error (what was expected, what was found, "did
//!   you mean"), and of a bad escape;
//! - [`keywords`]: the one table of the language's keywords, which parse hints, completion and
//!   hover read, tested against the grammar;
//! - [`scan`]: the text read without pest (braces, strings, tokens), to cut a file into runner
//!   blocks and to find where an error stands.

pub mod keywords;
mod messages;
mod recover;
mod scan;
#[cfg(test)]
mod tests;
mod walk;

pub use keywords::keywords_expected_at;
pub use recover::{Block, Unparsed, parse_blocks};
pub use scan::{blocks, chunks, unclosed_brace};

use crate::ast::SpecFile;
use crate::diag::{Diagnostic, FileId};
use messages::TextEnd;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/runner.pest"]
pub(crate) struct RunnerParser;

/// How many syntax errors one parse reports at most: recovery stops there, with a note.
pub const MAX_SYNTAX_ERRORS: usize = 20;

/// Parses one file. On failure returns every diagnostic found: its syntax errors (up to
/// [`MAX_SYNTAX_ERRORS`]) and bad escapes.
pub fn parse(text: &str, file: FileId) -> Result<SpecFile, Vec<Diagnostic>> {
    parse_at(text, file, 0)
}

/// Parses a piece of a file that starts at byte `base` of it, such as one of its [`chunks`]:
/// every span, a syntax error's included, is a span of the whole file.
pub fn parse_at(text: &str, file: FileId, base: usize) -> Result<SpecFile, Vec<Diagnostic>> {
    parse_reporting(text, file, base, MAX_SYNTAX_ERRORS)
}

/// [`parse_at`], reporting at most `max_syntax_errors` syntax errors; `1` stops at the first,
/// for a caller that only needs to know whether the text parses.
pub fn parse_reporting(
    text: &str,
    file: FileId,
    base: usize,
    max_syntax_errors: usize,
) -> Result<SpecFile, Vec<Diagnostic>> {
    parse_piece(text, file, base, max_syntax_errors, TextEnd::File)
}

/// [`parse_reporting`] of a text that `end` follows in its file.
fn parse_piece(
    text: &str,
    file: FileId,
    base: usize,
    max_syntax_errors: usize,
    end: TextEnd,
) -> Result<SpecFile, Vec<Diagnostic>> {
    let pairs = match RunnerParser::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(error) => {
            let errors = recover::syntax_errors(text, file, error, max_syntax_errors, end);
            return Err(errors.into_iter().map(|e| e.shifted(base)).collect());
        }
    };
    let (runners, diagnostics) = walk::walk(pairs, file, base);
    if diagnostics.is_empty() {
        Ok(SpecFile { runners })
    } else {
        Err(diagnostics)
    }
}
