//! The words of syntax errors: what was expected and found, in the words a user writes, "did
//! you mean", a string or block never closed; and the words of a bad escape.

use super::Rule;
use super::recover::{error_position, statement_at};
use super::scan::{runaway_string, unclosed_brace, unclosed_string};
use crate::ast::Span;
use crate::diag::{Code, Diagnostic, FileId, Loc};
use pest::error::ErrorVariant;

/// The diagnostic of pest's error, and the statement to blank out to recover from it (`None`
/// when recovery cannot step over it: a string never closed, a block open at the end).
pub(super) fn syntax_error(
    text: &str,
    file: FileId,
    error: &pest::error::Error<Rule>,
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

    let (found, found_len) = describe_found(text, position);
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
        diagnostic.message =
            format!("this block is never closed: expected {expected}, found the end of the file");
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
    let candidates = positives.iter().flat_map(|rule| keyword_of(*rule));
    let (distance, keyword) = candidates
        .map(|keyword| (edit_distance(&lower, keyword), keyword))
        .min()?;
    let limit = if keyword.len() <= 4 { 1 } else { 2 };
    (distance <= limit && word != keyword).then_some(keyword)
}

/// The keywords a rule starts with, as written.
pub(super) fn keyword_of(rule: Rule) -> Vec<&'static str> {
    let word = rule_word(rule);
    if !word.starts_with('`') || word == "`{`" || word == "`}`" || word == "`*`" {
        return Vec::new();
    }
    word.split(" or ").map(|w| w.trim_matches('`')).collect()
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
fn describe_found(text: &str, position: usize) -> (String, usize) {
    let rest = text.get(position..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return ("the end of the file".to_owned(), 0);
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
    let mut words: Vec<&str> = Vec::new();
    for word in rules.iter().map(|rule| rule_word(*rule)) {
        if !words.contains(&word) {
            words.push(word);
        }
    }
    // A closing brace reads best last: "expected `secret`, `tag` or `}`".
    words.sort_by_key(|word| *word == "`}`");
    match words.as_slice() {
        [] => "something else".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn rule_word(rule: Rule) -> &'static str {
    match rule {
        Rule::file | Rule::runner | Rule::kw_runner => "`runner`",
        Rule::account | Rule::kw_account => "`account`",
        Rule::region | Rule::kw_region => "`region`",
        Rule::secret | Rule::kw_secret => "`secret`",
        Rule::agent_secret | Rule::kw_agent => "`agent`",
        Rule::every_secret => "`*`",
        Rule::secret_kms | Rule::destination_kms | Rule::kw_kms => "`kms`",
        Rule::secret_env => "`{`",
        Rule::env | Rule::kw_env => "`env`",
        Rule::env_key | Rule::kw_key => "`key`",
        Rule::env_version_stage | Rule::kw_version_stage => "`version-stage`",
        Rule::env_version_id | Rule::kw_version_id => "`version-id`",
        Rule::destination | Rule::kw_destination => "`destination`",
        Rule::kw_s3 => "`s3`",
        Rule::bucket | Rule::kw_bucket => "`bucket`",
        Rule::prefix | Rule::kw_prefix => "`prefix`",
        Rule::owner | Rule::kw_owner => "`owner`",
        Rule::trust_service | Rule::trust_conditions | Rule::kw_trust => "`trust`",
        Rule::kw_service => "`service`",
        Rule::kw_conditions => "`conditions`",
        Rule::switch | Rule::kw_on | Rule::kw_off => "`on` or `off`",
        Rule::task_role | Rule::existing_task_role | Rule::kw_task => "`task`",
        Rule::execution_role | Rule::existing_execution_role | Rule::kw_execution => "`execution`",
        Rule::kw_existing => "`existing`",
        Rule::kw_role => "`role`",
        Rule::role_name | Rule::kw_name => "`name`",
        Rule::role_path | Rule::kw_path => "`path`",
        Rule::role_description | Rule::kw_description => "`description`",
        Rule::permissions_boundary | Rule::kw_permissions_boundary => "`permissions-boundary`",
        Rule::max_session_duration | Rule::kw_max_session_duration => "`max-session-duration`",
        Rule::managed_policy | Rule::kw_managed_policy => "`managed-policy`",
        Rule::role_image | Rule::kw_image => "`image`",
        Rule::role_logs | Rule::kw_logs => "`logs`",
        Rule::kw_none => "`none`",
        Rule::kw_default => "`default`",
        Rule::tag | Rule::kw_tag => "`tag`",
        Rule::string => "a quoted string",
        Rule::integer => "a whole number",
        Rule::EOI => "the end of the file",
        Rule::open_brace => "`{`",
        Rule::close_brace => "`}`",
        // Silent rules never reach an error; named here so the match stays exhaustive.
        Rule::WHITESPACE
        | Rule::COMMENT
        | Rule::statement
        | Rule::secret_target
        | Rule::env_option
        | Rule::destination_field
        | Rule::role_field
        | Rule::word_char => "a statement",
    }
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
