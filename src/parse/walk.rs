//! Pest's pairs to the syntax tree: one function per rule, strings unescaped, every byte span
//! kept. The only code that walks pest's pairs.

use super::{Rule, keywords, messages};
use crate::ast::{
    DestinationField, EnvDecl, EnvOption, ManagedPolicy, RoleDecl, RoleField, RoleKind, RunnerDecl,
    SecretDecl, SecretReader, SecretTarget, Span, Spanned, Statement, Str,
};
use crate::diag::{Diagnostic, FileId, Loc};
use pest::iterators::Pair;

/// The runners of a parsed text, and the bad escapes of its strings.
pub(super) fn walk(
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
    matches!(rule, Rule::open_brace | Rule::close_brace) || keywords::of_rule(rule).is_some()
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
                    let at = Loc::new(self.file, Span::new(start, end));
                    self.diagnostics.push(messages::invalid_escape(at, other));
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
