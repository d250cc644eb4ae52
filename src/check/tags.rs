//! Tags, put on both roles.

use super::{RunnerChecker, shown};
use crate::ast::{Span, Str};
use crate::aws;
use crate::diag::{Code, Diagnostic};
use crate::model::{OWNER_TAG_KEY, Tag, is_runnerc_tag_key};
use rustc_hash::FxHashMap as HashMap;

impl RunnerChecker<'_> {
    pub(super) fn tags(&mut self, tags: &[(&Str, &Str, Span)]) -> Vec<Tag> {
        // runnerc's own ownership tag takes one of IAM's 50 places.
        const MAX: usize = 50 - 1;
        if tags.len() > MAX {
            let diagnostic = Diagnostic::new(
                Code::TooManyTags,
                self.loc(tags[MAX].2),
                format!(
                    "runner `{}` has {} tags; with runnerc's own `{OWNER_TAG_KEY}` tag that is more than IAM's 50 per role",
                    shown(self.runner),
                    tags.len()
                ),
            )
            .with_label(format!("the {}th tag", MAX + 1))
            .with_help(format!(
                "IAM allows at most 50 tags on a role, and runnerc adds `{OWNER_TAG_KEY}` to every role it creates: keep at most {MAX}"
            ));
            self.report(diagnostic);
        }
        let mut result = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::default();
        for (key, value, span) in tags {
            let mut ok = true;
            let problem = aws::tag_key_problem(&key.node).or_else(|| {
                is_runnerc_tag_key(&key.node).then(|| {
                    format!("the `runnerc:` prefix is reserved for runnerc, which writes `{OWNER_TAG_KEY}` itself")
                })
            });
            if let Some(problem) = problem {
                let diagnostic = Diagnostic::new(
                    Code::InvalidTagKey,
                    self.loc(key.span),
                    format!("tag key `{}` is not valid: {problem}", shown(&key.node)),
                )
                .with_label("invalid tag key")
                .with_help("tag keys are 1 to 128 letters, digits, spaces and `_.:/=+-@`, not starting with `aws:` or `runnerc:`");
                self.report(diagnostic);
                ok = false;
            }
            if let Some(problem) = aws::tag_value_problem(&value.node) {
                let diagnostic = Diagnostic::new(
                    Code::InvalidTagValue,
                    self.loc(value.span),
                    format!("tag value `{}` is not valid: {problem}", shown(&value.node)),
                )
                .with_label("invalid tag value")
                .with_help("tag values are 0 to 256 letters, digits, spaces and `_.:/=+-@`");
                self.report(diagnostic);
                ok = false;
            }
            let folded = key.node.to_lowercase();
            if let Some(first) = seen.get(&folded) {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateTagKey,
                    self.loc(key.span),
                    format!("tag key `{}` is written twice", shown(&key.node)),
                )
                .with_label("written again here")
                .with_secondary(first, "first written here")
                .with_help("IAM tag keys are unique on a role, ignoring case; keep one value");
                self.report(diagnostic);
                continue;
            }
            seen.insert(folded, key.span);
            if ok {
                result.push(Tag {
                    key: key.node.clone(),
                    value: value.node.clone(),
                    written: self.loc(*span),
                });
            }
        }
        result
    }
}
