//! Source to canonical source, for `runnerc fmt`: four-space indentation, one statement per
//! line, every block opened on its statement's line and closed on a line of its own, the
//! values of `account`/`region` and of the fields of a block aligned, at most one blank line
//! kept where the author left one, one blank line between runners. The order of statements is
//! kept as written, and so is every comment: a comment on a line of its own stays on its own
//! line before what follows it; a comment after a statement stays after it.
//!
//! pest drops comments, so they are found by [`comments`], a small scan of the text that knows
//! strings, and put back by position. [`format`] proves itself before returning: its output
//! must re-parse to the same tree (spans ignored) and hold the same comments.

use crate::ast::{
    DestinationField, EnvDecl, ManagedPolicy, RoleDecl, RoleField, RunnerDecl, SecretDecl,
    SecretReader, SecretTarget, Span, Spanned, SpecFile, Statement,
};
use crate::diag::Diagnostic;
use crate::parse;

const INDENT: &str = "    ";

/// A `#` comment: its byte offset and its text, without the line break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub start: usize,
    pub text: String,
}

/// Every comment of a text, in order. Strings are skipped, so a `#` inside one is not a comment.
pub fn comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'#' => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                found.push(Comment {
                    start: i,
                    text: text[i..end].trim_end().to_owned(),
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    found
}

/// Why a text could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The text does not parse: it is left as it is.
    Parse(Vec<Diagnostic>),
    /// The formatter would have changed the meaning or lost a comment: a bug, reported rather
    /// than written.
    Unsound(String),
}

/// Formats a whole file.
pub fn format(text: &str) -> Result<String, FormatError> {
    let spec = parse::parse(text, 0).map_err(FormatError::Parse)?;
    let all_comments = comments(text);
    let mut printer = Printer {
        text,
        comments: &all_comments,
        next_comment: 0,
        out: String::new(),
        last_end: 0,
    };
    printer.file(&spec);
    let out = printer.out;
    // Soundness: the same tree, the same comments.
    let reparsed = parse::parse(&out, 0).map_err(|d| {
        FormatError::Unsound(format!("the output does not parse: {}", d[0].message))
    })?;
    if reparsed != spec {
        return Err(FormatError::Unsound(
            "the output parses to another tree".to_owned(),
        ));
    }
    let before: Vec<String> = all_comments.into_iter().map(|c| c.text).collect();
    let after: Vec<String> = comments(&out).into_iter().map(|c| c.text).collect();
    if before != after {
        return Err(FormatError::Unsound(
            "a comment was lost or moved out of order".to_owned(),
        ));
    }
    Ok(out)
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    /// Where the last thing printed ended in the source, to see blank lines the author left.
    last_end: usize,
}

/// A statement as one line: the words before its value (aligned within a group) and the rest.
struct Line {
    keyword: String,
    rest: String,
    span: Span,
    /// Statements of one group have their values aligned.
    group: u8,
}

impl Printer<'_> {
    fn file(&mut self, spec: &SpecFile) {
        for (index, runner) in spec.runners.iter().enumerate() {
            let start = runner.span.start;
            if index > 0 {
                self.out.push('\n');
            }
            self.own_line_comments(start, "");
            self.runner(runner);
        }
        self.own_line_comments(self.text.len(), "");
        if self.out.ends_with("\n\n") {
            self.out.pop();
        }
    }

    /// Whether the source between the last printed item and `start` holds a blank line.
    fn blank_line_before(&self, start: usize) -> bool {
        has_blank_line(&self.text[self.last_end.min(start)..start])
    }

    /// Prints the comments that start before `position` on lines of their own.
    fn own_line_comments(&mut self, position: usize, indent: &str) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.start >= position {
                break;
            }
            if self.blank_line_before(comment.start) && !self.at_block_start() {
                self.out.push('\n');
            }
            self.out.push_str(indent);
            self.out.push_str(&comment.text);
            self.out.push('\n');
            self.last_end = comment.start + comment.text.len();
            self.next_comment += 1;
        }
    }

    fn at_block_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with("{\n") || self.out.ends_with("\n\n")
    }

    /// Appends the comment that follows `end` on the same source line, if any, and ends the line.
    fn end_line(&mut self, end: usize) {
        self.last_end = end;
        if let Some(comment) = self.comments.get(self.next_comment) {
            // Only white space between: a comment after another statement on the same line
            // belongs to that statement.
            let between = &self.text[end.min(comment.start)..comment.start];
            if comment.start >= end && between.chars().all(|c| c == ' ' || c == '\t') {
                self.out.push_str("  ");
                self.out.push_str(&comment.text);
                self.last_end = comment.start + comment.text.len();
                self.next_comment += 1;
            }
        }
        self.out.push('\n');
    }

    /// The offset of the next `{` or `}` after `from` that is not in a comment.
    fn brace_after(&self, from: usize, brace: char) -> usize {
        let mut offset = from;
        while offset < self.text.len() {
            let rest = &self.text[offset..];
            let c = rest.chars().next().unwrap_or(' ');
            if c == brace {
                return offset;
            }
            if c == '#' {
                offset += rest.find('\n').unwrap_or(rest.len());
            } else {
                offset += c.len_utf8();
            }
        }
        from
    }

    /// Opens a block: comments written between the statement's start and its `{` go above it.
    fn open_block(&mut self, header: &str, search_from: usize, indent: &str) {
        let open = self.brace_after(search_from, '{');
        self.own_line_comments(open, indent);
        self.out.push_str(indent);
        self.out.push_str(header);
        self.out.push_str(" {");
        self.end_line(open + 1);
    }

    fn close_block(&mut self, end: usize, indent: &str) {
        let inner = format!("{indent}{INDENT}");
        self.own_line_comments(end - 1, &inner);
        self.out.push_str(indent);
        self.out.push('}');
        self.end_line(end);
    }

    fn runner(&mut self, runner: &RunnerDecl) {
        let header = format!("runner {}", quote(&runner.name.node));
        self.open_block(&header, runner.name.span.end, "");
        let end = runner.span.end;
        let mut pending: Vec<Line> = Vec::new();
        for statement in &runner.statements {
            match simple_line(statement) {
                Some(line) => pending.push(line),
                None => {
                    self.lines(&std::mem::take(&mut pending), INDENT);
                    self.block_statement(statement, INDENT);
                }
            }
        }
        self.lines(&pending, INDENT);
        self.close_block(end, "");
    }

    /// Prints one-line statements, aligning the values within each run of one group.
    fn lines(&mut self, lines: &[Line], indent: &str) {
        let mut index = 0;
        while index < lines.len() {
            // A run: consecutive lines of one group, unbroken by a blank line.
            let mut end = index + 1;
            while end < lines.len()
                && lines[end].group == lines[index].group
                && lines[index].group != 0
                && !has_blank_line(&self.text[lines[end - 1].span.end..lines[end].span.start])
            {
                end += 1;
            }
            let width = lines[index..end]
                .iter()
                .map(|l| l.keyword.chars().count())
                .max()
                .unwrap_or(0);
            for line in &lines[index..end] {
                self.statement_start(line.span.start, indent);
                // Comments inside a one-line statement go above it.
                self.own_line_comments(line.span.end, indent);
                self.out.push_str(indent);
                if line.rest.is_empty() {
                    self.out.push_str(&line.keyword);
                } else {
                    let pad = if line.group == 0 {
                        1
                    } else {
                        width + 1 - line.keyword.chars().count()
                    };
                    self.out.push_str(&line.keyword);
                    self.out.push_str(&" ".repeat(pad));
                    self.out.push_str(&line.rest);
                }
                self.end_line(line.span.end);
            }
            index = end;
        }
    }

    /// Before a statement: the comments above it, and the blank line the author left.
    fn statement_start(&mut self, start: usize, indent: &str) {
        self.own_line_comments(start, indent);
        if self.blank_line_before(start) && !self.at_block_start() {
            self.out.push('\n');
        }
    }

    fn block_statement(&mut self, statement: &Spanned<Statement>, indent: &str) {
        let span = statement.span;
        self.statement_start(span.start, indent);
        let inner = format!("{indent}{INDENT}");
        match &statement.node {
            Statement::Destination(fields) => {
                self.open_block("destination s3", span.start, indent);
                let lines: Vec<Line> = fields.iter().map(destination_line).collect();
                self.lines(&lines, &inner);
            }
            Statement::Role(RoleDecl { kind, fields }) => {
                self.open_block(kind.keyword(), span.start, indent);
                let lines: Vec<Line> = fields.iter().map(role_line).collect();
                self.lines(&lines, &inner);
            }
            Statement::Secret(secret) => {
                let (keyword, rest) = secret_header(secret);
                let header_end = secret
                    .kms
                    .as_ref()
                    .map_or(secret.target.span.end, |kms| kms.span.end);
                self.open_block(&format!("{keyword} {rest}"), header_end, indent);
                let lines = secret.env.as_ref().map(|env| env_lines(&env.node));
                self.lines(&lines.unwrap_or_default(), &inner);
            }
            _ => unreachable!("only blocks reach block_statement"),
        }
        self.close_block(span.end, indent);
    }
}

/// Whether a stretch of source holds an empty line (white space aside).
fn has_blank_line(gap: &str) -> bool {
    let mut newlines = 0;
    for c in gap.chars() {
        match c {
            '\n' => {
                newlines += 1;
                if newlines >= 2 {
                    return true;
                }
            }
            c if c.is_whitespace() => {}
            _ => newlines = 0,
        }
    }
    false
}

/// A string literal: `"` and `\` escaped, everything else (line breaks included) as is.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Groups of statements whose values are aligned: 0 is never aligned.
const PLACE: u8 = 1;
const FIELDS: u8 = 2;

fn simple_line(statement: &Spanned<Statement>) -> Option<Line> {
    let span = statement.span;
    let line = |keyword: &str, rest: String, group| Line {
        keyword: keyword.to_owned(),
        rest,
        span,
        group,
    };
    Some(match &statement.node {
        Statement::Account(value) => line("account", quote(&value.node), PLACE),
        Statement::Region(value) => line("region", quote(&value.node), PLACE),
        Statement::Secret(secret) if secret.env.is_some() => return None,
        Statement::Secret(secret) => {
            let (keyword, rest) = secret_header(secret);
            line(keyword, rest, 0)
        }
        Statement::TrustService(value) => line("trust service", quote(&value.node), 0),
        Statement::TrustConditions(on) => line(
            "trust conditions",
            (if on.node { "on" } else { "off" }).to_owned(),
            0,
        ),
        Statement::Tag { key, value } => line(
            "tag",
            format!("{} {}", quote(&key.node), quote(&value.node)),
            0,
        ),
        Statement::ExistingRole { kind, role } => line(
            &format!("{} existing", kind.keyword()),
            quote(&role.node),
            0,
        ),
        Statement::Destination(_) | Statement::Role(_) => return None,
    })
}

/// `agent secret` and `"NAME" kms "KEY"`: a secret statement before any `{ env ... }` block.
fn secret_header(secret: &SecretDecl) -> (&'static str, String) {
    let keyword = match secret.reader {
        SecretReader::Pipeline => "secret",
        SecretReader::Agent => "agent secret",
    };
    let mut rest = match &secret.target.node {
        SecretTarget::Every => "*".to_owned(),
        SecretTarget::Named(name) => quote(name),
    };
    if let Some(kms) = &secret.kms {
        rest.push_str(" kms ");
        rest.push_str(&quote(&kms.node));
    }
    (keyword, rest)
}

/// `env` lines, their options aligned after the longest name of the block.
fn env_lines(lines: &[Spanned<EnvDecl>]) -> Vec<Line> {
    let width = lines
        .iter()
        .filter(|l| !l.node.options.is_empty())
        .map(|l| quote(&l.node.name.node).chars().count())
        .max()
        .unwrap_or(0);
    lines
        .iter()
        .map(|line| {
            let name = quote(&line.node.name.node);
            let mut rest = name.clone();
            if !line.node.options.is_empty() {
                rest.push_str(&" ".repeat(width + 1 - name.chars().count()));
                let options: Vec<String> = line
                    .node
                    .options
                    .iter()
                    .map(|o| format!("{} {}", o.node.keyword(), quote(&o.node.value().node)))
                    .collect();
                rest.push_str(&options.join(" "));
            }
            Line {
                keyword: "env".to_owned(),
                rest,
                span: line.span,
                group: 0,
            }
        })
        .collect()
}

fn destination_line(field: &Spanned<DestinationField>) -> Line {
    let (keyword, value) = match &field.node {
        DestinationField::Bucket(v) => ("bucket", v),
        DestinationField::Prefix(v) => ("prefix", v),
        DestinationField::Kms(v) => ("kms", v),
        DestinationField::Owner(v) => ("owner", v),
    };
    Line {
        keyword: keyword.to_owned(),
        rest: quote(&value.node),
        span: field.span,
        group: FIELDS,
    }
}

fn role_line(field: &Spanned<RoleField>) -> Line {
    let (keyword, rest) = match &field.node {
        RoleField::Name(v) => ("name", quote(&v.node)),
        RoleField::Path(v) => ("path", quote(&v.node)),
        RoleField::Description(v) => ("description", quote(&v.node)),
        RoleField::Image(v) => ("image", quote(&v.node)),
        RoleField::Logs(v) => ("logs", quote(&v.node)),
        RoleField::PermissionsBoundary(v) => ("permissions-boundary", quote(&v.node)),
        RoleField::MaxSessionDuration(v) => ("max-session-duration", v.node.clone()),
        RoleField::ManagedPolicy(policy) => (
            "managed-policy",
            match &policy.node {
                ManagedPolicy::None => "none".to_owned(),
                ManagedPolicy::Default => "default".to_owned(),
                ManagedPolicy::Arn(arn) => quote(arn),
            },
        ),
    };
    // Role fields are not aligned: `max-session-duration` would push every value far right.
    Line {
        keyword: keyword.to_owned(),
        rest,
        span: field.span,
        group: 0,
    }
}
