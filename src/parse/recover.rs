//! Every syntax error of a text in one run, the one recovery `compile` and the language server
//! share. Pest stops at the first error; recovery blanks out the statement it stands in and
//! parses again, until the text parses ([`syntax_errors`]); a file is recovered block by block
//! ([`parse_blocks`]), so an error in one runner hides nothing of the others.

use super::messages::TextEnd;
use super::scan::{Token, TokenKind, blocks, starts_a_runner, tokens};
use super::{MAX_SYNTAX_ERRORS, Rule, RunnerParser, keywords, messages, parse_piece, walk};
use crate::ast::{RunnerDecl, Span, Spanned, SpecFile};
use crate::diag::{Diagnostic, FileId, Loc};
use crate::parallel::parallel_map;
use pest::Parser as _;
use pest::error::InputLocation;
use std::ops::Range;

/// A runner block of a file, parsed on its own ([`parse_blocks`]).
pub struct Block<T> {
    /// Where it stands in the file.
    pub range: Range<usize>,
    /// What the caller made of its syntax tree, or what recovery read of it.
    pub parsed: Result<T, Unparsed>,
}

/// A runner block that does not parse.
pub struct Unparsed {
    /// Its syntax errors ([`MAX_SYNTAX_ERRORS`] at most) and bad escapes, located in the file.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether it was meant as a runner, and so counts as one of the file's: its first word is
    /// `runner`, or it opens a block (`runer "x" { ... }`). A stray `}` or line is not.
    pub is_runner: bool,
    /// `runner "NAME"` at its start, as a declaration without statements, when written so.
    pub header: Option<RunnerDecl>,
}

/// The recovery of a file that does not parse: it is cut at its runner blocks ([`blocks`]),
/// each parsed on its own and in parallel, so a syntax error hides nothing of the other
/// blocks; within a block, [`syntax_errors`] finds every syntax error. `then` makes what the
/// caller keeps of a block that parses: the compiler checks its runners, the language server
/// keeps their declarations. A block cut before the next `runner` line (the braces or quotes
/// before it do not balance) names that line, not the end of the file, in its errors.
pub fn parse_blocks<T: Send>(
    text: &str,
    file: FileId,
    then: impl Fn(SpecFile) -> T + Sync,
) -> Vec<Block<T>> {
    let ranges = blocks(text);
    let parsed = parallel_map(&ranges, |range| {
        let end = match range.end < text.len() {
            true => TextEnd::NextRunner,
            false => TextEnd::File,
        };
        let piece = &text[range.clone()];
        match parse_piece(piece, file, range.start, MAX_SYNTAX_ERRORS, end) {
            Ok(spec) => Ok(then(spec)),
            Err(diagnostics) => Err(Unparsed {
                diagnostics,
                is_runner: starts_a_runner(piece),
                header: runner_header(text, range.clone()),
            }),
        }
    });
    ranges
        .into_iter()
        .zip(parsed)
        .map(|(range, parsed)| Block { range, parsed })
        .collect()
}

/// Every syntax error of a text, up to `max`, starting with pest's `first`. Pest stops at the
/// first error, so recovery is at the statement: the statement the error stands in is blanked
/// out (spaces, line breaks kept, so every offset holds) and the text parsed again, until it
/// parses. The bad escapes of what then parses are reported too. Errors recovery cannot step
/// over (a string never closed, a block open at the end) end the list.
pub(super) fn syntax_errors(
    text: &str,
    file: FileId,
    first: pest::error::Error<Rule>,
    max: usize,
    end: TextEnd,
) -> Vec<Diagnostic> {
    let mut blanked = text.to_owned();
    let mut error = first;
    let mut diagnostics = Vec::new();
    loop {
        let (diagnostic, statement) = messages::syntax_error(&blanked, file, &error, end);
        diagnostics.push(diagnostic);
        let Some(statement) = statement.filter(|_| max > 1) else {
            break;
        };
        if !blank(&mut blanked, statement) {
            break;
        }
        match RunnerParser::parse(Rule::file, &blanked) {
            Ok(pairs) => {
                diagnostics.extend(walk::walk(pairs, file, 0).1);
                break;
            }
            Err(next) if diagnostics.len() < max => error = next,
            Err(next) => {
                let at = error_position(&next);
                let last = diagnostics.pop().expect("one error at least");
                diagnostics.push(messages::more_may_follow(
                    last,
                    Loc::new(file, Span::new(at, at)),
                    max,
                ));
                break;
            }
        }
    }
    diagnostics
}

/// Where pest's error is.
pub(super) fn error_position(error: &pest::error::Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    }
}

/// Blanks `range` of `text` with spaces, keeping line breaks, so every offset still holds.
/// Returns whether it blanked anything but white space (whether parsing again can get further).
fn blank(text: &mut String, range: std::ops::Range<usize>) -> bool {
    let Some(piece) = text.get(range.clone()) else {
        return false;
    };
    if piece.trim().is_empty() {
        return false;
    }
    let spaces: String = piece
        .chars()
        .map(|c| match c {
            '\n' => "\n".to_owned(),
            other => " ".repeat(other.len_utf8()),
        })
        .collect();
    text.replace_range(range, &spaces);
    true
}

/// The statement a syntax error at `position` stands in, to blank out before parsing again.
/// Where a statement may start (the grammar would also take the `}` closing the block, or the
/// end of the file), it is the word found there and the rest of its line, with any block it
/// opens. Inside a statement, it starts at the statement's keyword; when the error is the first
/// word of its line, the statement before it was left unfinished, and only that is blanked.
pub(super) fn statement_at(
    text: &str,
    position: usize,
    positives: &[Rule],
) -> Option<std::ops::Range<usize>> {
    let tokens = tokens(text);
    let at = tokens.partition_point(|token| token.end <= position);
    let at_statement_start = positives
        .iter()
        .any(|rule| matches!(rule, Rule::close_brace | Rule::EOI | Rule::runner));
    if at_statement_start {
        let end = statement_end(text, &tokens[at..], true)?;
        return Some(position.min(tokens[at].start)..end);
    }
    let keyword = tokens[..at].iter().rposition(|token| {
        token.kind == TokenKind::Word && keywords::leads(&text[token.start..token.end])
    })?;
    let before = tokens[at - 1].end;
    let first_on_its_line = text[before..position].contains('\n');
    let end = match first_on_its_line {
        true => before,
        false => statement_end(text, &tokens[at..], false).unwrap_or(before),
    };
    Some(tokens[keyword].start..end)
}

/// Where the statement that goes on with `tokens` ends: at the end of its line, a block it
/// opens included, or before the `}` that closes the block around it. `take_first` takes the
/// first token whatever it is (a stray `}` is blanked too).
fn statement_end(text: &str, tokens: &[Token], take_first: bool) -> Option<usize> {
    let mut depth = 0usize;
    let mut end: Option<usize> = None;
    for (index, token) in tokens.iter().enumerate() {
        let taken = index == 0 && take_first;
        let next_line = end.is_some_and(|end| text[end..token.start].contains('\n'));
        if !taken && depth == 0 && (token.kind == TokenKind::Close || next_line) {
            break;
        }
        match token.kind {
            TokenKind::Open => depth += 1,
            TokenKind::Close => depth = depth.saturating_sub(1),
            TokenKind::Word | TokenKind::String => {}
        }
        end = Some(token.end);
    }
    end
}

/// `runner "NAME"` at the start of a block (after white space and comments), as a declaration
/// without statements.
fn runner_header(text: &str, range: Range<usize>) -> Option<RunnerDecl> {
    let piece = &text[range.clone()];
    let mut at = 0;
    loop {
        let rest = &piece[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if trimmed.starts_with('#') {
            at += trimmed.find('\n')?;
        } else {
            break;
        }
    }
    let start = at;
    at += "runner".len();
    piece[start..].strip_prefix("runner")?;
    let rest = &piece[at..];
    at += rest.len() - rest.trim_start().len();
    let quoted = piece[at..].strip_prefix('"')?;
    let close = quoted.find('"')?;
    let name = &quoted[..close];
    let name_span = Span::new(range.start + at, range.start + at + close + 2);
    Some(RunnerDecl {
        name: Spanned::new(name.to_owned(), name_span),
        statements: Vec::new(),
        span: Span::new(range.start + start, range.start + piece.trim_end().len()),
    })
}
