//! The words of syntax errors: what was expected and found, in the words a user writes, "did
//! you mean", a string or block never closed; and the words of a bad escape.

use super::recover::{error_position, statement_at};
use super::scan::{runaway_string, unclosed_brace, unclosed_string};
use super::{Rule, keywords};
use crate::ast::Span;
use crate::diag::{Code, Diagnostic, FileId, Loc};
use pest::error::ErrorVariant;
use std::borrow::Cow;

/// What follows the text being parsed, as a syntax error at its end names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextEnd {
    /// The end of the file.
    File,
    /// The next `runner` line: the text is a block recovery cut out of its file
    /// ([`blocks`](super::blocks)), before the line that starts the next runner.
    NextRunner,
}

impl TextEnd {
    fn words(self) -> &'static str {
        match self {
            TextEnd::File => "the end of the file",
            TextEnd::NextRunner => "the next `runner`",
        }
    }
}

/// The diagnostic of pest's error, and the statement to blank out to recover from it (`None`
/// when recovery cannot step over it: a string never closed, a block open at the end).
pub(super) fn syntax_error(
    text: &str,
    file: FileId,
    error: &pest::error::Error<Rule>,
    end: TextEnd,
) -> (Diagnostic, Option<std::ops::Range<usize>>) {
    let position = error_position(error);
    let loc = |start: usize, end: usize| Loc::new(file, Span::new(start, end));

    // A string left open on its line: strings may span lines, so its quote pairs with the next
    // one and the error shows up later, where the quotes no longer match. Point at the string
    // whose continuation reads as statements.
    if let Some(runaway) = runaway_string(text) {
        let line_end = runaway.line_end;
        let diagnostic = match runaway.close {
            None => Diagnostic::new(
                Code::Syntax,
                loc(runaway.open, runaway.open + 1),
                "this string is never closed",
            )
            .with_label("the string starts here")
            .with_secondary(loc(text.len(), text.len()), "the file ends inside it"),
            Some(close) => Diagnostic::new(
                Code::Syntax,
                loc(runaway.open, line_end),
                "this string runs past the end of its line",
            )
            .with_label("the string starts here, and its line ends inside it")
            .with_secondary(
                loc(close, close + 1),
                "so this quote closes it, and the quotes after it no longer pair up",
            ),
        };
        let diagnostic = diagnostic.with_help(
            "add the closing `\"` on this line; a `\"` inside a string is written `\\\"`",
        );
        return (diagnostic, None);
    }

    // A string that is never closed swallows the rest of the file: point at its opening quote.
    if let Some(open) = unclosed_string(text) {
        let diagnostic = Diagnostic::new(
            Code::Syntax,
            loc(open, open + 1),
            "this string is never closed",
        )
        .with_label("the string starts here")
        .with_secondary(loc(text.len(), text.len()), "the file ends inside it")
        .with_help("add the closing `\"`; a `\"` inside a string is written `\\\"`");
        return (diagnostic, None);
    }

    let (found, found_len) = describe_found(text, position, end);
    let positives: &[Rule] = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    let expected = expected_words(positives);
    let mut diagnostic = Diagnostic::new(
        Code::Syntax,
        loc(position, position + found_len),
        format!("expected {expected}, found {found}"),
    )
    .with_label(format!("expected {expected}"));

    if position >= text.len()
        && positives.contains(&Rule::close_brace)
        && let Some(open) = unclosed_brace(text)
    {
        diagnostic.message = format!(
            "this block is never closed: expected {expected}, found {}",
            end.words()
        );
        diagnostic = diagnostic
            .with_secondary(loc(open, open + 1), "the block opened here")
            .with_help("add the closing `}`");
    } else if let Some(word) = found.strip_prefix('`').and_then(|w| w.strip_suffix('`'))
        && let Some(keyword) = closest_keyword(word, positives)
    {
        let word_loc = diagnostic.loc;
        diagnostic = diagnostic
            .with_help(format!("did you mean `{keyword}`?"))
            .with_fix(
                format!("write `{keyword}`"),
                vec![(word_loc, keyword.to_owned())],
            );
    }
    (diagnostic, statement_at(text, position, positives))
}

/// The keyword the user probably meant: among those expected, the one within a small edit
/// distance of what was written (`secrets`, `acount`, `Region`).
fn closest_keyword(word: &str, positives: &[Rule]) -> Option<&'static str> {
    // Keywords are lower case: `Region` is one edit from nothing but still deserves the hint.
    let lower = word.to_ascii_lowercase();
    let candidates = positives
        .iter()
        .flat_map(|rule| keywords::words_starting(*rule));
    let (distance, keyword) = candidates
        .map(|keyword| (edit_distance(&lower, keyword), keyword))
        .min()?;
    let limit = if keyword.len() <= 4 { 1 } else { 2 };
    (distance <= limit && word != keyword).then_some(keyword)
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// What stands at the error position, for "found ...", and its length in bytes.
fn describe_found(text: &str, position: usize, end: TextEnd) -> (String, usize) {
    let rest = text.get(position..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return (end.words().to_owned(), 0);
    };
    if first == '"' {
        return ("a string".to_owned(), 1);
    }
    if first.is_alphanumeric() || first == '-' || first == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
            .take(40)
            .collect();
        let len = word.len();
        return (format!("`{word}`"), len);
    }
    (format!("`{}`", first.escape_debug()), first.len_utf8())
}

/// Turns pest's rule names into the words a user writes, as one list: "`a`, `b` or `c`".
fn expected_words(rules: &[Rule]) -> String {
    let mut words: Vec<Cow<'static, str>> = Vec::new();
    for word in rules.iter().map(|rule| rule_words(*rule)) {
        if !words.contains(&word) {
            words.push(word);
        }
    }
    // A closing brace reads best last: "expected `secret`, `tag` or `}`".
    words.sort_by_key(|word| word == "`}`");
    match words.as_slice() {
        [] => "something else".to_owned(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// What a rule is called in a syntax error: the keywords it starts with (`` `on` or `off` ``),
/// else what it matches (a quoted string, `{`).
pub(super) fn rule_words(rule: Rule) -> Cow<'static, str> {
    let keywords: Vec<String> = keywords::words_starting(rule)
        .map(|word| format!("`{word}`"))
        .collect();
    if !keywords.is_empty() {
        return Cow::Owned(keywords.join(" or "));
    }
    Cow::Borrowed(match rule {
        Rule::every_secret => "`*`",
        Rule::secret_env | Rule::open_brace => "`{`",
        Rule::close_brace => "`}`",
        Rule::string => "a quoted string",
        Rule::integer => "a whole number",
        Rule::EOI => "the end of the file",
        // Silent rules never reach an error; the keyword table's tests keep every other rule
        // out of here.
        _ => "a statement",
    })
}

/// A syntax error that ends the list at `max`, with a note at `next`, where the next one is.
pub(super) fn more_may_follow(last: Diagnostic, next: Loc, max: usize) -> Diagnostic {
    last.with_secondary(
        next,
        format!("more syntax errors may follow: runnerc reports the first {max}; fix these and check again"),
    )
}

/// A backslash in a string that escapes nothing the language knows (`\n`, `\t`).
pub(super) fn invalid_escape(at: Loc, escaped: char) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidEscape,
        at,
        format!("unknown escape `\\{escaped}` in a string"),
    )
    .with_label("unknown escape")
    .with_help("only `\\\"` and `\\\\` are escapes; a line break may be written as is")
}
