//! Secrets and their keys: `secret` (task role) and `agent secret` (execution role), each a
//! name, an ARN or `*`, with an optional `kms` key.

use super::arn::{Home, KMS_KEY, SECRET};
use super::{Place, RunnerChecker, shown};
use crate::access::wildcard::has_wildcard;
use crate::ast::{SecretDecl, SecretReader, SecretTarget, Span, Spanned, Str};
use crate::aws;
use crate::diag::{Code, Diagnostic};
use crate::model::{SecretGrant, SecretResource};
use rustc_hash::FxHashMap as HashMap;

impl RunnerChecker<'_> {
    pub(super) fn secrets(
        &mut self,
        decls: &[(&SecretDecl, Span)],
        place: &Place<'_>,
    ) -> (Vec<SecretGrant>, Vec<SecretGrant>) {
        let mut pipeline = Vec::new();
        let mut agent = Vec::new();
        let mut seen: HashMap<(SecretReader, SecretResource), Span> = HashMap::default();
        let mut env_seen: HashMap<String, Span> = HashMap::default();
        for &(decl, statement) in decls {
            let resource = self.secret_resource(&decl.target, decl.reader, place);
            // A secret written as a full ARN names its own place, where its key belongs too.
            let home = match (&decl.target.node, &resource) {
                (SecretTarget::Named(text), Some(_)) if text.starts_with("arn:") => {
                    aws::Arn::parse(text).map(|arn| Home::secret(&arn, place))
                }
                _ => None,
            };
            let kms_key = decl
                .kms
                .as_ref()
                .and_then(|key| self.kms_key(key, place, home.as_ref()));
            let env = self.env_vars(decl, resource.as_ref(), &mut env_seen);
            let Some(resource) = resource else {
                continue;
            };
            let key = (decl.reader, resource.clone());
            if let Some(first) = seen.get(&key) {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateSecret,
                    self.loc(decl.target.span),
                    "this secret is already listed for the same role",
                )
                .with_label("listed again here")
                .with_secondary(first, "first listed here")
                .with_help("list each secret once; put its `kms` key on that one line");
                self.report(diagnostic);
                continue;
            }
            seen.insert(key, decl.target.span);
            let grant = SecretGrant {
                resource,
                kms_key,
                written: self.loc(statement),
                env,
            };
            match decl.reader {
                SecretReader::Pipeline => pipeline.push(grant),
                SecretReader::Agent => agent.push(grant),
            }
        }
        (pipeline, agent)
    }

    fn secret_resource(
        &mut self,
        target: &Spanned<SecretTarget>,
        reader: SecretReader,
        place: &Place<'_>,
    ) -> Option<SecretResource> {
        let text = match &target.node {
            SecretTarget::Every => {
                let (statement, role) = match reader {
                    SecretReader::Pipeline => ("secret *", "task role"),
                    SecretReader::Agent => ("agent secret *", "execution role"),
                };
                let diagnostic = Diagnostic::new(
                    Code::EverySecret,
                    self.loc(target.span),
                    format!(
                        "`{statement}` lets the {role} read every secret in the account and region"
                    ),
                )
                .with_label("every secret")
                .with_help(
                    "name the secrets the runner reads, so a leaked task cannot read the others",
                );
                self.report(diagnostic);
                return Some(SecretResource::Every);
            }
            SecretTarget::Named(text) => text,
        };
        let value = Spanned::new(text.clone(), target.span);
        if text.starts_with("arn:") {
            self.secret_arn(&value, place).map(SecretResource::Arn)
        } else {
            self.secret_name(&value, place).map(SecretResource::Arn)
        }
    }

    fn secret_name(&mut self, name: &Str, place: &Place<'_>) -> Option<String> {
        let text = name.node.as_str();
        let length = text.len();
        let problem = if text.is_empty() {
            Some("it is empty".to_owned())
        } else if length > 512 {
            Some(format!(
                "it is {length} characters long, more than Secrets Manager's 512"
            ))
        } else {
            text.chars()
                .find(|c| !aws::is_secret_name_char(*c))
                .map(|c| {
                    format!(
                        "`{}` is not allowed; use ASCII letters, digits and `/_+=.@-`",
                        c.escape_debug()
                    )
                })
        };
        if let Some(problem) = problem {
            let help = if text == "*" {
                "a quoted `\"*\"` is a name; to grant every secret of the account and region, write `secret *` without quotes (a warning, W034)"
            } else if has_wildcard(text) {
                "a name is matched exactly; to match several secrets, write a full ARN with the pattern (a warning, W036)"
            } else {
                "write the secret's name as Secrets Manager shows it, or its full ARN"
            };
            let mut diagnostic = Diagnostic::new(
                Code::InvalidSecretName,
                self.loc(name.span),
                format!("secret name `{}` is not valid: {problem}", shown(text)),
            )
            .with_label("invalid secret name")
            .with_help(help);
            if text == "*" {
                diagnostic = diagnostic.with_fix(
                    "write `*` without quotes (every secret of the account and region)",
                    vec![(self.loc(name.span), "*".to_owned())],
                );
            }
            self.report(diagnostic);
            return None;
        }
        if aws::has_secret_suffix(text) {
            let tail = &text[text.len() - 7..];
            let diagnostic = Diagnostic::new(
                Code::SecretNameLooksSuffixed,
                self.loc(name.span),
                format!("secret name `{}` ends with `{tail}`, which looks like Secrets Manager's random suffix", shown(text)),
            )
            .with_label("read as a name; `-??????` is appended")
            .with_help(format!(
                "if `{tail}` is the random suffix, write the full ARN instead; AWS advises against names ending in `-` and six characters"
            ));
            self.report(diagnostic);
        }
        // A part of the place that is not known (an error already) is `*`, which no written
        // ARN holds: the grant is never emitted, and the name is compared only with names.
        Some(format!(
            "arn:{}:secretsmanager:{}:{}:secret:{text}-??????",
            place.partition.map_or("*", |p| p.as_str()),
            place.region.unwrap_or("*"),
            place.account.unwrap_or("*")
        ))
    }

    fn secret_arn(&mut self, value: &Str, place: &Place<'_>) -> Option<String> {
        let text = value.node.as_str();
        let arn = self.arn(value, &SECRET, place)?;
        let Some(name) = arn.resource.strip_prefix("secret:") else {
            self.invalid_arn(
                value,
                &SECRET,
                place,
                "its resource does not start with `secret:`",
            );
            return None;
        };
        if let Some((secret, _selector)) = name.split_once(':') {
            let bare = format!(
                "{}secret:{secret}",
                &text[..text.len() - arn.resource.len()]
            );
            let diagnostic = Diagnostic::new(
                Code::SecretArnWithSelector,
                self.loc(value.span),
                "this secret ARN carries a `:json-key:version-stage:version-id` selector"
                    .to_owned(),
            )
            .with_label("a task definition `valueFrom`, not an IAM resource")
            .with_help(format!(
                "IAM grants access to the whole secret; write `{}`",
                shown(&bare)
            ));
            self.report(diagnostic);
            return None;
        }
        if name.is_empty() {
            self.invalid_arn(value, &SECRET, place, "the secret name is empty");
            return None;
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(aws::is_secret_name_char(*c) || *c == '*' || *c == '?'))
        {
            let problem = format!("`{}` is not allowed in a secret name", c.escape_debug());
            self.invalid_arn(value, &SECRET, place, problem);
            return None;
        }
        let suffixed = aws::has_secret_suffix(name);
        self.secret_wildcards(value, name, suffixed, &arn);
        if !suffixed {
            return Some(format!("{text}-??????"));
        }
        let tail = &name[name.len() - 7..];
        // Random suffixes mix case and digits; six lower-case letters read like a word.
        if tail[1..].bytes().all(|b| b.is_ascii_lowercase()) {
            let diagnostic = Diagnostic::new(
                Code::SecretNameLooksSuffixed,
                self.loc(value.span),
                format!("this secret ARN ends with `{tail}`, which is read as Secrets Manager's random suffix"),
            )
            .with_label("used as written, without `-??????`")
            .with_help(format!(
                "if `{tail}` is part of the secret's name, append its random suffix or `-??????`"
            ));
            self.report(diagnostic);
        }
        Some(text.to_owned())
    }

    /// Warns about `*` and `?` written in a secret ARN's name (W036), saying how many secrets
    /// the pattern may match. A trailing `-??????`, the random suffix of one secret, is no
    /// wildcard worth a warning.
    fn secret_wildcards(&mut self, value: &Str, name: &str, suffixed: bool, arn: &aws::Arn<'_>) {
        let stem = if suffixed && name.ends_with("-??????") {
            &name[..name.len() - 7]
        } else {
            name
        };
        if !has_wildcard(stem) {
            return;
        }
        let scope = format!("account `{}`, region `{}`", arn.account, arn.region);
        let (reach, help) = match stem.find('*') {
            Some(0) => (
                format!("every secret of {scope}"),
                "name the secrets instead, or write `secret *` to say so plainly (W034)".to_owned(),
            ),
            Some(star) => (
                format!(
                    "any number of secrets: every secret of {scope} whose name starts with `{}`",
                    shown(&stem[..star])
                ),
                "`*` matches any run of characters, `/` included; list the secrets, or keep the pattern if every secret under it is the runner's".to_owned(),
            ),
            None => {
                let count = stem.matches('?').count();
                (
                    format!(
                        "every secret whose name differs from `{}` in the {count} place{} marked `?`",
                        shown(stem),
                        if count == 1 { "" } else { "s" }
                    ),
                    "`?` matches any one character; write the name exactly, so no neighbouring secret matches".to_owned(),
                )
            }
        };
        let diagnostic = Diagnostic::new(
            Code::SecretWildcard,
            self.loc(value.span),
            format!("this secret ARN is a pattern: it may match {reach}"),
        )
        .with_label("a wildcard in the secret name")
        .with_help(help);
        self.report(diagnostic);
    }

    /// A customer managed key's ARN; `home` is the place of the secret or bucket it encrypts,
    /// when that is not the runner's.
    pub(super) fn kms_key(
        &mut self,
        key: &Str,
        place: &Place<'_>,
        home: Option<&Home<'_>>,
    ) -> Option<String> {
        let text = key.node.as_str();
        let arn = self.arn_at_home(key, &KMS_KEY, place, home)?;
        if arn.resource.starts_with("alias/") {
            let diagnostic = Diagnostic::new(
                Code::KmsAlias,
                self.loc(key.span),
                format!("`{}` is a KMS alias, not a key", shown(text)),
            )
            .with_label("an alias ARN")
            .with_help(format!(
                "IAM authorises KMS on the key ARN, not on the alias; find it with `aws kms describe-key --key-id {}` and write its `Arn`",
                shown(arn.resource)
            ));
            self.report(diagnostic);
            return None;
        }
        let problem = match arn.resource.strip_prefix("key/") {
            Some(id) if aws::is_kms_key_id(id) => return Some(text.to_owned()),
            Some(id) => format!(
                "`{}` is not a key ID, which is a UUID in lower-case hex (`1234abcd-12ab-34cd-56ef-1234567890ab`) or, for a multi-Region key, `mrk-` and 32 hex digits",
                shown(id)
            ),
            None => "its resource is not `key/KEY-ID`".to_owned(),
        };
        self.invalid_arn(key, &KMS_KEY, place, problem);
        None
    }
}
