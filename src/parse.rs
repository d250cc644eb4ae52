//! Text to syntax tree: the only module that walks pest's pairs.
//!
//! Step one, pest matches `grammar/runner.pest` and stops at the first syntax error (pest cannot
//! recover). Step two, one function per rule builds the [`ast`](crate::ast) nodes, unescaping
//! strings and keeping every byte span. Escape errors do not stop the walk: every bad escape of
//! the file is reported at once.

use crate::ast::{
    DestinationField, EnvDecl, EnvOption, ManagedPolicy, RoleDecl, RoleField, RoleKind, RunnerDecl,
    SecretDecl, SecretReader, SecretTarget, Span, Spanned, SpecFile, Statement, Str,
};
use crate::diag::{Code, Diagnostic, FileId, Loc};
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/runner.pest"]
struct RunnerParser;

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
    let pairs = match RunnerParser::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(error) => {
            let errors = syntax_errors(text, file, error, max_syntax_errors);
            return Err(errors.into_iter().map(|e| e.shifted(base)).collect());
        }
    };
    let (runners, diagnostics) = walk(pairs, file, base);
    if diagnostics.is_empty() {
        Ok(SpecFile { runners })
    } else {
        Err(diagnostics)
    }
}

/// The runners of a parsed text, and the bad escapes of its strings.
fn walk(
    mut pairs: pest::iterators::Pairs<'_, Rule>,
    file: FileId,
    base: usize,
) -> (Vec<RunnerDecl>, Vec<Diagnostic>) {
    let mut walker = Walker {
        file,
        base,
        diagnostics: Vec::new(),
    };
    let runners = match pairs.next() {
        Some(file_pair) => file_pair
            .into_inner()
            .filter(|pair| pair.as_rule() == Rule::runner)
            .map(|pair| walker.runner(pair))
            .collect(),
        None => Vec::new(),
    };
    (runners, walker.diagnostics)
}

/// Every syntax error of a text, up to `max`, starting with pest's `first`. Pest stops at the
/// first error, so recovery is at the statement: the statement the error stands in is blanked
/// out (spaces, line breaks kept, so every offset holds) and the text parsed again, until it
/// parses. The bad escapes of what then parses are reported too. Errors recovery cannot step
/// over (a string never closed, a block open at the end) end the list.
fn syntax_errors(
    text: &str,
    file: FileId,
    first: pest::error::Error<Rule>,
    max: usize,
) -> Vec<Diagnostic> {
    let mut blanked = text.to_owned();
    let mut error = first;
    let mut diagnostics = Vec::new();
    loop {
        let (diagnostic, statement) = syntax_error(&blanked, file, &error);
        diagnostics.push(diagnostic);
        let Some(statement) = statement.filter(|_| max > 1) else {
            break;
        };
        if !blank(&mut blanked, statement) {
            break;
        }
        match RunnerParser::parse(Rule::file, &blanked) {
            Ok(pairs) => {
                diagnostics.extend(walk(pairs, file, 0).1);
                break;
            }
            Err(next) if diagnostics.len() < max => error = next,
            Err(next) => {
                let at = error_position(&next);
                let last = diagnostics.pop().expect("one error at least");
                diagnostics.push(last.with_secondary(
                    Loc::new(file, Span::new(at, at)),
                    format!("more syntax errors may follow: runnerc reports the first {max}; fix these and check again"),
                ));
                break;
            }
        }
    }
    diagnostics
}

/// Where pest's error is.
fn error_position(error: &pest::error::Error<Rule>) -> usize {
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

/// A token, as recovery sees the text: a string, a brace, or a run of other characters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Word,
    String,
    Open,
    Close,
}

#[derive(Clone, Copy)]
struct Token {
    kind: TokenKind,
    start: usize,
    end: usize,
}

/// The tokens of a text, white space and comments skipped.
fn tokens(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            b' ' | b'\n' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                continue;
            }
            _ if text[i..].starts_with('\u{feff}') => {
                i += '\u{feff}'.len_utf8();
                continue;
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => break,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => i += 2,
                        Some(_) => i += 1,
                    }
                }
                i = i.min(bytes.len());
                TokenKind::String
            }
            b'{' => {
                i += 1;
                TokenKind::Open
            }
            b'}' => {
                i += 1;
                TokenKind::Close
            }
            _ => {
                while i < bytes.len() && !b" \n\t\r\"{}#".contains(&bytes[i]) {
                    i += 1;
                }
                TokenKind::Word
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    tokens
}

/// The statement a syntax error at `position` stands in, to blank out before parsing again.
/// Where a statement may start (the grammar would also take the `}` closing the block, or the
/// end of the file), it is the word found there and the rest of its line, with any block it
/// opens. Inside a statement, it starts at the statement's keyword; when the error is the first
/// word of its line, the statement before it was left unfinished, and only that is blanked.
fn statement_at(text: &str, position: usize, positives: &[Rule]) -> Option<std::ops::Range<usize>> {
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
        token.kind == TokenKind::Word && STATEMENT_WORDS.contains(&&text[token.start..token.end])
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

/// The keywords the grammar accepts at `offset` of `text` (for completion): what pest expects
/// when the text stops there. Empty when the text before `offset` already has an error.
pub fn keywords_expected_at(text: &str, offset: usize) -> Vec<&'static str> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let Err(error) = RunnerParser::parse(Rule::file, before) else {
        // Complete as it stands: another runner may follow.
        return vec!["runner"];
    };
    let position = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let ErrorVariant::ParsingError { positives, .. } = &error.variant else {
        return Vec::new();
    };
    // Pest reports the furthest position it reached; only the end of the text is the cursor.
    if position < before.trim_end().len() {
        return Vec::new();
    }
    let mut keywords: Vec<&'static str> = Vec::new();
    for keyword in positives.iter().flat_map(|rule| keyword_of(*rule)) {
        if !keywords.contains(&keyword) {
            keywords.push(keyword);
        }
    }
    keywords
}

/// A brace outside strings and comments, as [`braces`] finds them.
enum Brace {
    /// A `{`, at this offset.
    Open(usize),
    /// A `}`, at this offset.
    Close(usize),
}

/// Calls `found` for every `{` and `}` of a text that stands outside strings and comments, in
/// order, until it returns `false`. Returns `false` when a string is never closed (`found`
/// has seen the braces before it).
fn braces(text: &str, mut found: impl FnMut(Brace) -> bool) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => match memchr::memchr(b'\n', &bytes[i..]) {
                Some(n) => i += n,
                None => break,
            },
            b'"' => {
                // To the closing quote, stepping over escapes.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &bytes[i.min(bytes.len())..]) {
                        None => return false,
                        Some(n) if bytes[i + n] == b'"' => {
                            i += n;
                            break;
                        }
                        Some(n) => i += n + 2,
                    }
                }
            }
            b'{' if !found(Brace::Open(i)) => return true,
            b'}' if !found(Brace::Close(i)) => return true,
            _ => {}
        }
        i += 1;
    }
    true
}

/// Whether a piece of [`blocks`] that does not parse was meant as a runner: its first word is
/// `runner`, or it opens a block (`runer "x" { ... }` is a runner written wrongly). A stray `}`
/// or a line of stray words is not.
pub fn starts_a_runner(piece: &str) -> bool {
    let mut rest = piece;
    loop {
        rest = rest.trim_start_matches([' ', '\n', '\t', '\r', '\u{feff}']);
        match rest.strip_prefix('#') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
            None => break,
        }
    }
    let keyword = rest.strip_prefix("runner").is_some_and(|after| {
        !after.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-')
    });
    let mut opens = false;
    braces(piece, |brace| {
        opens = matches!(brace, Brace::Open(_));
        !opens
    });
    keyword || opens
}

/// Splits a file at its `runner` blocks, for recovering from syntax errors: each piece can be
/// parsed on its own, so an error in one hides nothing of the others. A piece ends after the
/// `}` that closes a top-level block, or after a `}` that closes nothing. Where the braces or
/// quotes stop balancing (a block still being written, a string left open), the rest of the
/// file is cut before each line that starts with `runner`.
pub fn blocks(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut balanced = braces(text, |brace| {
        match brace {
            Brace::Open(_) => depth += 1,
            Brace::Close(at) if depth <= 1 => {
                // The end of a block, or a brace that closes nothing: a piece either way.
                depth = 0;
                pieces.push(start..at + 1);
                start = at + 1;
            }
            Brace::Close(_) => depth -= 1,
        }
        true
    });
    if depth > 0 {
        balanced = false;
    }
    if balanced {
        match pieces.last_mut() {
            // White space and comments after the last block stay with it.
            Some(last) => last.end = text.len(),
            None => pieces.push(0..text.len()),
        }
        return pieces;
    }
    let mut cut = start;
    for (at, _) in text[start..].match_indices("\nrunner") {
        let line = start + at + 1;
        if line > cut && !text[cut..line].trim().is_empty() {
            pieces.push(cut..line);
            cut = line;
        }
    }
    pieces.push(cut..text.len());
    pieces
}

/// Splits a file into pieces that each hold whole `runner` blocks, cut after the `}` that closes
/// a top-level block (strings and comments skipped), so they can be parsed apart and in
/// parallel, with pest's tokens for one piece alive at a time. A file whose braces do not
/// balance is one piece, and parses as a whole.
pub fn chunks(text: &str, target: usize) -> Vec<std::ops::Range<usize>> {
    let mut cuts = Vec::new();
    let mut depth = 0usize;
    let mut last_cut = 0;
    // Whether a block opened since the last cut: text after the last block stays with it.
    let mut opened_since_cut = false;
    let mut stray = false;
    let strings_close = braces(text, |brace| {
        match brace {
            Brace::Open(_) => {
                opened_since_cut |= depth == 0;
                depth += 1;
            }
            Brace::Close(_) if depth == 0 => {
                stray = true;
                return false;
            }
            Brace::Close(at) => {
                depth -= 1;
                if depth == 0 && at + 1 - last_cut >= target {
                    cuts.push(at + 1);
                    last_cut = at + 1;
                    opened_since_cut = false;
                }
            }
        }
        true
    });
    if !strings_close || stray {
        return whole(text);
    }
    if depth != 0 {
        return whole(text);
    }
    // The text after the last block (comments, white space) stays with it.
    if !opened_since_cut {
        cuts.pop();
    }
    let mut start = 0;
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    for cut in cuts {
        pieces.push(start..cut);
        start = cut;
    }
    pieces.push(start..text.len());
    pieces
}

/// The whole text as its only piece.
#[expect(
    clippy::single_range_in_vec_init,
    reason = "one piece, a range of bytes"
)]
fn whole(text: &str) -> Vec<std::ops::Range<usize>> {
    vec![0..text.len()]
}

struct Walker {
    file: FileId,
    /// Where the parsed text starts in its file.
    base: usize,
    diagnostics: Vec<Diagnostic>,
}

/// The children of a pair that carry meaning: keywords and braces are matched, not read.
fn parts(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_punctuation(p.as_rule()))
}

fn is_punctuation(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::open_brace
            | Rule::close_brace
            | Rule::kw_runner
            | Rule::kw_account
            | Rule::kw_region
            | Rule::kw_secret
            | Rule::kw_agent
            | Rule::kw_kms
            | Rule::kw_env
            | Rule::kw_key
            | Rule::kw_version_stage
            | Rule::kw_version_id
            | Rule::kw_destination
            | Rule::kw_s3
            | Rule::kw_bucket
            | Rule::kw_prefix
            | Rule::kw_owner
            | Rule::kw_existing
            | Rule::kw_trust
            | Rule::kw_service
            | Rule::kw_conditions
            | Rule::kw_on
            | Rule::kw_off
            | Rule::kw_task
            | Rule::kw_execution
            | Rule::kw_role
            | Rule::kw_name
            | Rule::kw_path
            | Rule::kw_description
            | Rule::kw_permissions_boundary
            | Rule::kw_max_session_duration
            | Rule::kw_managed_policy
            | Rule::kw_image
            | Rule::kw_logs
            | Rule::kw_none
            | Rule::kw_default
            | Rule::kw_tag
    )
}

impl Walker {
    /// A pest span as a span of the file.
    fn span(&self, span: pest::Span<'_>) -> Span {
        Span::new(self.base + span.start(), self.base + span.end())
    }

    /// A pair's span without the white space and comments pest matched after its last token
    /// (an optional part that is absent still consumes the implicit white space before it).
    fn content_span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        let end = pair
            .clone()
            .into_inner()
            .last()
            .map_or(span.end(), |last| last.as_span().end());
        Span::new(self.base + span.start(), self.base + end)
    }

    fn runner(&mut self, pair: Pair<'_, Rule>) -> RunnerDecl {
        let span = self.span(pair.as_span());
        let mut parts = parts(pair);
        let name = self.string(parts.next().expect("grammar: runner has a name"));
        let statements = parts.map(|p| self.statement(p)).collect();
        RunnerDecl {
            name,
            statements,
            span,
        }
    }

    fn statement(&mut self, pair: Pair<'_, Rule>) -> Spanned<Statement> {
        let span = self.content_span(&pair);
        let rule = pair.as_rule();
        let statement = match rule {
            Rule::account => Statement::Account(self.only_string(pair)),
            Rule::region => Statement::Region(self.only_string(pair)),
            Rule::secret => Statement::Secret(self.secret(pair, SecretReader::Pipeline)),
            Rule::agent_secret => Statement::Secret(self.secret(pair, SecretReader::Agent)),
            Rule::destination => {
                Statement::Destination(parts(pair).map(|p| self.destination_field(p)).collect())
            }
            Rule::trust_service => Statement::TrustService(self.only_string(pair)),
            Rule::trust_conditions => {
                let switch = parts(pair)
                    .next()
                    .expect("grammar: trust conditions has a switch");
                let on = switch.as_str() == "on";
                Statement::TrustConditions(Spanned::new(on, self.span(switch.as_span())))
            }
            Rule::task_role => Statement::Role(self.role(pair, RoleKind::Task)),
            Rule::execution_role => Statement::Role(self.role(pair, RoleKind::Execution)),
            Rule::existing_task_role => Statement::ExistingRole {
                kind: RoleKind::Task,
                role: self.only_string(pair),
            },
            Rule::existing_execution_role => Statement::ExistingRole {
                kind: RoleKind::Execution,
                role: self.only_string(pair),
            },
            Rule::tag => {
                let mut parts = parts(pair);
                let key = self.string(parts.next().expect("grammar: tag has a key"));
                let value = self.string(parts.next().expect("grammar: tag has a value"));
                Statement::Tag { key, value }
            }
            other => unreachable!("grammar: {other:?} is not a statement"),
        };
        Spanned::new(statement, span)
    }

    fn secret(&mut self, pair: Pair<'_, Rule>, reader: SecretReader) -> SecretDecl {
        let mut pieces = parts(pair);
        let target = pieces.next().expect("grammar: secret has a target");
        let target = match target.as_rule() {
            Rule::every_secret => Spanned::new(SecretTarget::Every, self.span(target.as_span())),
            _ => {
                let name = self.string(target);
                Spanned::new(SecretTarget::Named(name.node), name.span)
            }
        };
        let mut kms = None;
        let mut env = None;
        for part in pieces {
            match part.as_rule() {
                Rule::secret_kms => kms = Some(self.only_string(part)),
                Rule::secret_env => {
                    let span = self.span(part.as_span());
                    let lines = parts(part)
                        .filter(|p| p.as_rule() == Rule::env)
                        .map(|line| self.env(line))
                        .collect();
                    env = Some(Spanned::new(lines, span));
                }
                other => unreachable!("grammar: {other:?} in a secret"),
            }
        }
        SecretDecl {
            reader,
            target,
            kms,
            env,
        }
    }

    fn env(&mut self, pair: Pair<'_, Rule>) -> Spanned<EnvDecl> {
        let span = self.content_span(&pair);
        let mut parts = parts(pair);
        let name = self.string(parts.next().expect("grammar: env has a name"));
        let options = parts
            .map(|option| {
                let span = self.content_span(&option);
                let rule = option.as_rule();
                let value = self.only_string(option);
                let option = match rule {
                    Rule::env_key => EnvOption::Key(value),
                    Rule::env_version_stage => EnvOption::VersionStage(value),
                    Rule::env_version_id => EnvOption::VersionId(value),
                    other => unreachable!("grammar: {other:?} is not an env option"),
                };
                Spanned::new(option, span)
            })
            .collect();
        Spanned::new(EnvDecl { name, options }, span)
    }

    fn destination_field(&mut self, pair: Pair<'_, Rule>) -> Spanned<DestinationField> {
        let span = self.content_span(&pair);
        let field = match pair.as_rule() {
            Rule::bucket => DestinationField::Bucket(self.only_string(pair)),
            Rule::prefix => DestinationField::Prefix(self.only_string(pair)),
            Rule::destination_kms => DestinationField::Kms(self.only_string(pair)),
            Rule::owner => DestinationField::Owner(self.only_string(pair)),
            other => unreachable!("grammar: {other:?} is not a destination field"),
        };
        Spanned::new(field, span)
    }

    fn role(&mut self, pair: Pair<'_, Rule>, kind: RoleKind) -> RoleDecl {
        let fields = parts(pair).map(|p| self.role_field(p)).collect();
        RoleDecl { kind, fields }
    }

    fn role_field(&mut self, pair: Pair<'_, Rule>) -> Spanned<RoleField> {
        let span = self.content_span(&pair);
        let field = match pair.as_rule() {
            Rule::role_name => RoleField::Name(self.only_string(pair)),
            Rule::role_path => RoleField::Path(self.only_string(pair)),
            Rule::role_description => RoleField::Description(self.only_string(pair)),
            Rule::role_image => RoleField::Image(self.only_string(pair)),
            Rule::role_logs => RoleField::Logs(self.only_string(pair)),
            Rule::permissions_boundary => RoleField::PermissionsBoundary(self.only_string(pair)),
            Rule::max_session_duration => {
                let digits = parts(pair).next().expect("grammar: a duration has digits");
                RoleField::MaxSessionDuration(Spanned::new(
                    digits.as_str().to_owned(),
                    self.span(digits.as_span()),
                ))
            }
            Rule::managed_policy => {
                // The value is the last child: `none`, `default` (keywords) or a string.
                let value = pair
                    .into_inner()
                    .last()
                    .expect("grammar: managed-policy has a value");
                let policy = match value.as_rule() {
                    Rule::kw_none => Spanned::new(ManagedPolicy::None, self.span(value.as_span())),
                    Rule::kw_default => {
                        Spanned::new(ManagedPolicy::Default, self.span(value.as_span()))
                    }
                    _ => {
                        let arn = self.string(value);
                        Spanned::new(ManagedPolicy::Arn(arn.node), arn.span)
                    }
                };
                RoleField::ManagedPolicy(policy)
            }
            other => unreachable!("grammar: {other:?} is not a role field"),
        };
        Spanned::new(field, span)
    }

    /// A statement whose only value is one string.
    fn only_string(&mut self, pair: Pair<'_, Rule>) -> Str {
        let value = parts(pair)
            .next()
            .expect("grammar: the statement has a string");
        self.string(value)
    }

    /// A `string` pair, unescaped. Bad escapes are reported and kept as written.
    fn string(&mut self, pair: Pair<'_, Rule>) -> Str {
        let span = self.span(pair.as_span());
        // The literal without its quotes.
        let literal = pair.as_str();
        let raw = &literal[1..literal.len() - 1];
        let base = span.start + 1;
        if !raw.contains('\\') {
            return Spanned::new(raw.to_owned(), span);
        }
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((index, c)) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                Some((next, other)) => {
                    let start = base + index;
                    let end = base + next + other.len_utf8();
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidEscape,
                            Loc::new(self.file, Span::new(start, end)),
                            format!("unknown escape `\\{other}` in a string"),
                        )
                        .with_label("unknown escape")
                        .with_help(
                            "only `\\\"` and `\\\\` are escapes; a line break may be written as is",
                        ),
                    );
                    value.push('\\');
                    value.push(other);
                }
                // The grammar pairs every backslash with a character.
                None => value.push('\\'),
            }
        }
        Spanned::new(value, span)
    }
}

/// The diagnostic of pest's error, and the statement to blank out to recover from it (`None`
/// when recovery cannot step over it: a string never closed, a block open at the end).
fn syntax_error(
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

/// A string literal: where it opens, closes, and where the line it opens on ends.
struct StringLiteral {
    /// The opening quote.
    open: usize,
    /// The quote that closes it, if any.
    close: Option<usize>,
    /// The first line break inside the string, or its end when it holds none.
    line_end: usize,
}

/// Words that start a statement or field, and so do not stand at the start of a line of a
/// string's text.
const STATEMENT_WORDS: &[&str] = &[
    "runner",
    "account",
    "region",
    "secret",
    "agent",
    "destination",
    "bucket",
    "prefix",
    "kms",
    "owner",
    "trust",
    "task",
    "execution",
    "name",
    "path",
    "description",
    "permissions-boundary",
    "max-session-duration",
    "managed-policy",
    "image",
    "logs",
    "env",
    "tag",
];

/// The string literals of a text, quotes paired as the grammar pairs them, comments skipped.
fn string_literals(text: &str) -> impl Iterator<Item = StringLiteral> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            match bytes[i] {
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'"' => {
                    let open = i;
                    i += 1;
                    let mut line_end = None;
                    let close = loop {
                        match bytes.get(i) {
                            None => break None,
                            Some(b'"') => break Some(i),
                            Some(b'\\') => i += 2,
                            Some(b'\n') => {
                                line_end.get_or_insert(i);
                                i += 1;
                            }
                            Some(_) => i += 1,
                        }
                    };
                    i += 1;
                    return Some(StringLiteral {
                        open,
                        close,
                        line_end: line_end.unwrap_or(i.min(bytes.len())),
                    });
                }
                _ => {}
            }
            i += 1;
        }
        None
    })
}

/// The first string whose second line reads as a statement (`secret "x"`, `}`): a string left
/// open on its line.
fn runaway_string(text: &str) -> Option<StringLiteral> {
    string_literals(text).find(|string| {
        text.as_bytes().get(string.line_end) == Some(&b'\n')
            && string.close.is_none_or(|close| close > string.line_end)
            && reads_as_statement(text[string.line_end + 1..].lines().next().unwrap_or(""))
    })
}

/// Whether a line starts like a statement: a keyword followed by a space, a quote, a brace or
/// nothing, or a closing brace.
fn reads_as_statement(line: &str) -> bool {
    let line = line.trim_start();
    if line.starts_with('}') {
        return true;
    }
    STATEMENT_WORDS.iter().any(|word| {
        line.strip_prefix(word).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with([' ', '\t', '"', '{', '\r', '*'])
        })
    })
}

/// The offset of the opening quote of a string that is never closed, if any.
fn unclosed_string(text: &str) -> Option<usize> {
    string_literals(text)
        .find(|string| string.close.is_none())
        .map(|string| string.open)
}

/// The offset of the innermost `{` that is never closed, strings and comments skipped.
pub fn unclosed_brace(text: &str) -> Option<usize> {
    let mut open = Vec::new();
    braces(text, |brace| {
        match brace {
            Brace::Open(at) => open.push(at),
            Brace::Close(_) => {
                open.pop();
            }
        }
        true
    });
    open.pop()
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
fn keyword_of(rule: Rule) -> Vec<&'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> SpecFile {
        parse(text, 0).unwrap_or_else(|d| panic!("{d:?}"))
    }

    #[test]
    fn a_block_may_stand_on_one_line() {
        let file = parse_ok(r#"runner "a" { account "123456789012" region "eu-west-1" }"#);
        assert_eq!(file.runners.len(), 1);
        assert_eq!(file.runners[0].statements.len(), 2);
    }

    #[test]
    fn escapes_are_decoded_and_spans_cover_the_literal() {
        let text = r#"runner "a\"b\\c" {}"#;
        let file = parse_ok(text);
        let name = &file.runners[0].name;
        assert_eq!(name.node, "a\"b\\c");
        assert_eq!(&text[name.span.start..name.span.end], r#""a\"b\\c""#);
    }

    #[test]
    fn an_unknown_escape_is_reported_at_the_escape() {
        let text = "runner \"a\\nb\" {}";
        let errors = parse(text, 0).unwrap_err();
        assert_eq!(errors[0].code, Code::InvalidEscape);
        let span = errors[0].loc.span;
        assert_eq!(&text[span.start..span.end], "\\n");
    }

    #[test]
    fn keywords_end_at_a_word_boundary() {
        let errors = parse(r#"runner "a" { trustservice "x" }"#, 0).unwrap_err();
        assert_eq!(errors[0].code, Code::Syntax);
    }

    #[test]
    fn a_misspelt_keyword_gets_a_suggestion() {
        for (text, keyword) in [
            (r#"runner "a" { secrets "x" }"#, "secret"),
            (r#"runner "a" { acount "x" }"#, "account"),
            (r#"runner "a" { Region "x" }"#, "region"),
            (r#"runner "a" { destination s3 { buckt "x" } }"#, "bucket"),
            (r#"runer "a" {}"#, "runner"),
        ] {
            let errors = parse(text, 0).unwrap_err();
            let help = errors[0].help.clone().unwrap_or_default();
            assert_eq!(help, format!("did you mean `{keyword}`?"), "{text}");
        }
        let errors = parse(r#"runner "a" { banana "x" }"#, 0).unwrap_err();
        assert_eq!(errors[0].help, None);
    }

    /// The text each syntax error points at, and its help line.
    fn errors_at(text: &str) -> Vec<(String, String)> {
        parse(text, 0)
            .unwrap_err()
            .iter()
            .map(|d| {
                let span = d.loc.span;
                (
                    text[span.start..span.end].to_owned(),
                    d.help.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn every_misspelt_keyword_of_a_runner_is_reported_in_one_parse() {
        let text = "runner \"a\" {\n  acount \"123456789012\"\n  regin \"eu-west-1\"\n  secret \"db\"\n  destination s3 {\n    buckt \"b-1\"\n    prefix \"p/\"\n  }\n  tagg \"k\" \"v\"\n}\n";
        assert_eq!(
            errors_at(text),
            [
                ("acount".to_owned(), "did you mean `account`?".to_owned()),
                ("regin".to_owned(), "did you mean `region`?".to_owned()),
                ("buckt".to_owned(), "did you mean `bucket`?".to_owned()),
                ("tagg".to_owned(), "did you mean `tag`?".to_owned()),
            ]
        );
    }

    #[test]
    fn recovery_steps_over_one_statement_at_a_time() {
        // Several statements on one line: each error is its own.
        let found: Vec<String> = errors_at(
            "runner \"a\" { acount \"1\" }\nrunner \"b\" { task role { nme \"x\" } regin \"y\" }",
        )
        .into_iter()
        .map(|(at, _)| at)
        .collect();
        assert_eq!(found, ["acount", "nme", "regin"]);
        // A statement left unfinished: the one after it is not an error.
        let text =
            "runner \"a\" {\n  secret \"x\" kms\n  region \"eu-west-1\"\n  acount \"1\"\n}\n";
        let found: Vec<String> = errors_at(text).into_iter().map(|(at, _)| at).collect();
        assert_eq!(found, ["region", "acount"]);
        // A value that is not a string: the statement goes, the next one is read.
        let text = "runner \"a\" {\n  account 123\n  regin \"x\"\n}\n";
        let found: Vec<String> = errors_at(text).into_iter().map(|(at, _)| at).collect();
        assert_eq!(found, ["123", "regin"]);
        // A bad escape after a syntax error is reported too.
        let errors = parse("runner \"a\" {\n acount \"1\"\n tag \"k\\n\" \"v\"\n}", 0).unwrap_err();
        let codes: Vec<Code> = errors.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::Syntax, Code::InvalidEscape]);
        // What recovery cannot step over ends the list: a string never closed.
        let errors = parse("runner \"a\" {\n acount \"1\"\n secret \"x\n}", 0).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn syntax_errors_are_capped_with_a_note() {
        let mut text = "runner \"a\" {\n".to_owned();
        for _ in 0..MAX_SYNTAX_ERRORS + 5 {
            text.push_str("  acount \"1\"\n");
        }
        text.push_str("}\n");
        let errors = parse(&text, 0).unwrap_err();
        assert_eq!(errors.len(), MAX_SYNTAX_ERRORS);
        let note = &errors.last().unwrap().secondary[0];
        assert!(
            note.message.contains("more syntax errors may follow"),
            "{}",
            note.message
        );
        // The note points at the next error, on the line after the last one reported.
        let next_line = text
            .match_indices("acount")
            .nth(MAX_SYNTAX_ERRORS)
            .unwrap()
            .0;
        assert_eq!(note.loc.span.start, next_line);
        // One is enough when asked for one.
        assert_eq!(parse_reporting(&text, 0, 0, 1).unwrap_err().len(), 1);
    }

    #[test]
    fn an_unclosed_string_points_at_its_opening_quote() {
        let text = "runner \"a\" {\n  secret \"prod/db\n}\n";
        let errors = parse(text, 0).unwrap_err();
        assert_eq!(errors[0].loc.span.start, text.find("\"prod").unwrap());
        assert!(errors[0].message.contains("never closed"));
    }

    #[test]
    fn a_string_left_open_on_its_line_is_reported_where_it_opened() {
        // Line 4 of 12: the quotes pair up wrongly after it, and pest fails far below.
        let text = "runner \"orders\" {\n  account \"123456789012\"\n  region \"eu-west-1\"\n  secret \"prod/db\n  secret \"prod/other\"\n  destination s3 {\n    bucket \"b-1\"\n    prefix \"p/\"\n  }\n  tag \"team\" \"x\"\n  tag \"k\" \"v\"\n}\n";
        assert_eq!(text.lines().count(), 12);
        let errors = parse(text, 0).unwrap_err();
        assert_eq!(errors[0].loc.span.start, text.find("\"prod/db").unwrap());
        assert_eq!(
            errors[0].message, "this string runs past the end of its line",
            "{errors:?}"
        );
        // A description may span lines: a file that parses is never reported.
        let fine = "runner \"a\" {\n task role {\n  description \"one\ntwo\"\n }\n}\n";
        assert!(parse(fine, 0).is_ok());
    }

    #[test]
    fn an_unclosed_block_points_at_its_opening_brace() {
        let text = "runner \"a\" {\n  destination s3 {\n    bucket \"b\"\n}\n";
        let errors = parse(text, 0).unwrap_err();
        // The destination closes on the last line; the runner's block does not.
        let secondary = &errors[0].secondary[0];
        assert_eq!(secondary.loc.span.start, text.find('{').unwrap());
        assert!(
            errors[0].message.contains("never closed"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn pieces_cover_the_file_and_parse_to_the_same_tree_and_spans() {
        let text = "# head\nrunner \"a\" { account \"1\" tag \"}\" \"#{\" } # c {\n\
                    runner \"b\" { destination s3 { bucket \"x\" } }\n# tail }\n";
        let pieces = chunks(text, 1);
        assert_eq!(pieces.len(), 2, "{pieces:?}");
        assert_eq!(pieces[0].start, 0);
        assert_eq!(pieces[1].end, text.len());
        assert_eq!(pieces[0].end, pieces[1].start);
        let whole = parse(text, 0).unwrap();
        let mut names = Vec::new();
        for piece in &pieces {
            let part = parse_at(&text[piece.clone()], 0, piece.start).unwrap();
            names.extend(part.runners.into_iter().map(|r| r.name));
        }
        let whole_names: Vec<_> = whole.runners.into_iter().map(|r| r.name).collect();
        assert_eq!(names, whole_names);
        // Spans too, which equality leaves out.
        assert_eq!(
            names.iter().map(|n| n.span).collect::<Vec<_>>(),
            whole_names.iter().map(|n| n.span).collect::<Vec<_>>()
        );
    }

    #[test]
    fn unbalanced_text_is_one_piece() {
        for text in ["runner \"a\" {", "runner \"a\" {}}", "runner \"a {}"] {
            assert_eq!(chunks(text, 1), vec![0..text.len()], "{text}");
        }
    }

    #[test]
    fn syntax_errors_name_keywords_not_rules() {
        let errors = parse(r#"runner "a" { secrets "x" }"#, 0).unwrap_err();
        let message = &errors[0].message;
        assert!(message.contains("`secret`"), "{message}");
        assert!(message.contains("found `secrets`"), "{message}");
        assert!(!message.contains("_"), "{message}");
    }

    #[test]
    fn blocks_recover_where_braces_and_quotes_stop_balancing() {
        let pieces = |text: &str| -> Vec<String> {
            blocks(text)
                .into_iter()
                .map(|r| text[r].to_owned())
                .collect()
        };
        assert_eq!(
            pieces("runner \"a\" { }\nrunner \"b\" { }\n"),
            ["runner \"a\" { }", "\nrunner \"b\" { }\n"]
        );
        // A block still being written: the blocks before it stand.
        assert_eq!(
            pieces("runner \"a\" { }\nrunner \"c\" {\n  acc"),
            ["runner \"a\" { }", "\nrunner \"c\" {\n  acc"]
        );
        // A block never closed, followed by complete ones.
        assert_eq!(
            pieces("runner \"a\" {\n\nrunner \"b\" { }\n"),
            ["runner \"a\" {\n\n", "runner \"b\" { }\n"]
        );
        // A brace that closes nothing, and a string never closed.
        assert_eq!(
            pieces("runner \"a\" { }\n}\nrunner \"b\" { secret \"x }\n"),
            ["runner \"a\" { }", "\n}", "\nrunner \"b\" { secret \"x }\n"]
        );
        assert_eq!(pieces(""), [""]);
    }
}
