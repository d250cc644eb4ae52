//! S3 destinations: `destination s3 { bucket prefix kms owner }`.

use super::arn::Home;
use super::{Once, Place, RunnerChecker, shown};
use crate::ast::{DestinationField, Span, Spanned, Str};
use crate::aws;
use crate::diag::{Code, Diagnostic};
use crate::format::quote;
use crate::model::S3Destination;
use rustc_hash::FxHashMap as HashMap;

impl<'a> RunnerChecker<'a> {
    pub(super) fn destinations(
        &mut self,
        destinations: &[(&'a [Spanned<DestinationField>], Span)],
        place: &Place<'_>,
    ) -> Vec<S3Destination> {
        let mut result = Vec::new();
        let mut seen: HashMap<(String, Option<String>), Span> = HashMap::default();
        // Each bucket's owner, and where the first destination of the bucket was written.
        let mut owners: HashMap<String, (String, Span)> = HashMap::default();
        for (fields, span) in destinations {
            let mut bucket = Once::new();
            let mut prefix = Once::new();
            let mut kms = Once::new();
            let mut owner = Once::new();
            for field in fields.iter() {
                match &field.node {
                    DestinationField::Bucket(v) => self.once(&mut bucket, "bucket", v, field.span),
                    DestinationField::Prefix(v) => self.once(&mut prefix, "prefix", v, field.span),
                    DestinationField::Kms(v) => self.once(&mut kms, "kms", v, field.span),
                    DestinationField::Owner(v) => self.once(&mut owner, "owner", v, field.span),
                }
            }
            // The bucket owner's account: the runner's unless `owner` names another. `None`
            // when it is not known (an invalid `owner` or `account`, reported already): then it
            // is compared with no other owner.
            let written_owner = owner.value.map(|(value, _)| self.account_id(value));
            // The bucket's key belongs in the owner's account: no W026 for that.
            let key_home = written_owner
                .filter(|owner| *owner != place.account)
                .map(|owner| Home::bucket(place, owner));
            let kms_key = kms
                .value
                .and_then(|(key, _)| self.kms_key(key, place, key_home.as_ref()));
            let owner = match written_owner {
                Some(owner) => owner.map(str::to_owned),
                None => place.account.map(str::to_owned),
            };
            // Check every field before giving up on the destination, so all problems show.
            let prefix = prefix.value.map(|(value, _)| self.prefix(value));
            // The `bucket` line stands for the destination in reports: it names what is granted.
            let written = bucket.value.map_or(*span, |(_, field)| field);
            let bucket_name = match bucket.value {
                Some((bucket, _)) => self.bucket(bucket, prefix.is_some()),
                None => {
                    // `destination` is the first word of the statement.
                    let keyword = Span::new(span.start, span.start + "destination".len());
                    let diagnostic = Diagnostic::new(
                        Code::MissingStatement,
                        self.loc(keyword),
                        "this destination has no `bucket`",
                    )
                    .with_label("`bucket` is required")
                    .with_help("add `bucket \"BUCKET-NAME\"` inside `destination s3 { ... }`");
                    self.report(diagnostic);
                    None
                }
            };
            let (Some(bucket_name), Some(prefix)) = (bucket_name, prefix.unwrap_or(Some(None)))
            else {
                continue;
            };
            if let Some(owner) = &owner
                && self.owner_conflict(&mut owners, &bucket_name, owner, *span)
            {
                continue;
            }
            let key = (bucket_name.clone(), prefix.clone());
            if let Some(first) = seen.get(&key) {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::DuplicateDestination,
                    self.loc(*span),
                    format!(
                        "bucket `{}` with prefix `{}` is already a destination",
                        bucket_name,
                        prefix.as_deref().unwrap_or("")
                    ),
                )
                .with_label("the same destination again")
                .with_secondary(first, "first written here")
                .with_help("remove one of the two destinations");
                self.report(diagnostic);
                continue;
            }
            seen.insert(key, *span);
            if prefix.is_none() {
                self.whole_bucket(&bucket_name, written);
            }
            let Some(owner) = owner else {
                continue;
            };
            result.push(S3Destination {
                bucket: bucket_name,
                prefix,
                kms_key,
                owner,
                written: self.loc(written),
            });
        }
        result
    }

    /// Whether `bucket` was given another owner in an earlier destination (E055, reported);
    /// otherwise records `owner` for it.
    fn owner_conflict(
        &mut self,
        owners: &mut HashMap<String, (String, Span)>,
        bucket: &str,
        owner: &str,
        span: Span,
    ) -> bool {
        match owners.get(bucket) {
            Some((first_owner, first)) if first_owner != owner => {
                let first = self.loc(*first);
                let diagnostic = Diagnostic::new(
                    Code::BucketOwnerConflict,
                    self.loc(span),
                    format!(
                        "bucket `{bucket}` is owned by account `{owner}` here and by `{first_owner}` in an earlier destination"
                    ),
                )
                .with_label(format!("owner `{owner}`"))
                .with_secondary(first, format!("owner `{first_owner}`"))
                .with_help("a bucket has one owner: give every destination of this bucket the same `owner` (none means the runner's account)");
                self.report(diagnostic);
                true
            }
            Some(_) => false,
            None => {
                owners.insert(bucket.to_owned(), (owner.to_owned(), span));
                false
            }
        }
    }

    /// Warns that a destination without `prefix` opens the whole bucket (W056); `written` is
    /// its `bucket` line.
    fn whole_bucket(&mut self, bucket: &str, written: Span) {
        let diagnostic = Diagnostic::new(
            Code::WholeBucket,
            self.loc(written),
            format!(
                "destination `{bucket}` has no `prefix`, so the task role can read, write and delete every object of the bucket"
            ),
        )
        .with_label("the whole bucket")
        .with_help("add `prefix \"FOLDER/\"` to keep the runner to one folder; leave it out only if the bucket is the runner's alone");
        self.report(diagnostic);
    }

    /// The bucket name; `has_prefix` says whether the destination also has a `prefix` (then a
    /// `bucket/folder` has no one fix).
    fn bucket(&mut self, bucket: &Str, has_prefix: bool) -> Option<String> {
        let text = bucket.node.as_str();
        let without_scheme = text.strip_prefix("s3://").unwrap_or(text);
        if let Some((name, folder)) = without_scheme.split_once('/') {
            let folder = folder.trim_end_matches('/');
            let diagnostic = Diagnostic::new(
                Code::BucketWithFolder,
                self.loc(bucket.span),
                format!("`{}` is a bucket and a folder, not a bucket", shown(text)),
            )
            .with_label("a bucket name and a folder")
            .with_help(format!(
                "write `bucket \"{}\"` and `prefix \"{}/\"`",
                shown(name),
                shown(folder)
            ));
            let fixable = !has_prefix
                && aws::bucket_name_problem(name).is_none()
                && prefix_problem(&format!("{folder}/")).is_none()
                && !folder.starts_with('/');
            let diagnostic = if !fixable {
                diagnostic
            } else {
                diagnostic.with_fix(
                    "split into `bucket` and `prefix`",
                    vec![(
                        self.loc(bucket.span),
                        format!("{}\nprefix {}", quote(name), quote(&format!("{folder}/"))),
                    )],
                )
            };
            self.report(diagnostic);
            return None;
        }
        if let Some(problem) = aws::bucket_name_problem(without_scheme) {
            let help = if text.starts_with("s3://") {
                "write the bucket name alone, without `s3://`".to_owned()
            } else {
                "S3 bucket names are 3 to 63 lower-case letters, digits, `.` and `-`".to_owned()
            };
            let diagnostic = Diagnostic::new(
                Code::InvalidBucket,
                self.loc(bucket.span),
                format!("bucket name `{}` is not valid: {problem}", shown(text)),
            )
            .with_label("invalid bucket name")
            .with_help(help);
            self.report(diagnostic);
            return None;
        }
        if text.starts_with("s3://") {
            let diagnostic = Diagnostic::new(
                Code::InvalidBucket,
                self.loc(bucket.span),
                format!("bucket `{}` is written as a URL", shown(text)),
            )
            .with_label("a URL, not a bucket name")
            .with_help(format!("write `bucket \"{without_scheme}\"`"));
            self.report(diagnostic);
            return None;
        }
        Some(text.to_owned())
    }

    /// The prefix as a folder ending in `/`; `None` when it is invalid.
    fn prefix(&mut self, prefix: &Str) -> Option<Option<String>> {
        let text = prefix.node.as_str();
        let Some((problem, help)) = prefix_problem(text) else {
            let mut folder = text.to_owned();
            if !folder.ends_with('/') {
                folder.push('/');
            }
            return Some(Some(folder));
        };
        let diagnostic = Diagnostic::new(
            Code::InvalidPrefix,
            self.loc(prefix.span),
            format!("prefix `{}` is not valid: {problem}", shown(text)),
        )
        .with_label("invalid prefix")
        .with_help(help);
        self.report(diagnostic);
        None
    }
}

/// What is wrong with a prefix, and the help line; `None` when it is a valid folder.
fn prefix_problem(text: &str) -> Option<(String, String)> {
    let (problem, help) = if text.is_empty() {
        (
            "it is empty".to_owned(),
            "leave `prefix` out to stream to the whole bucket".to_owned(),
        )
    } else if text.starts_with('/') {
        (
            "it starts with `/`".to_owned(),
            format!(
                "S3 keys do not start with `/`; write `{}`",
                shown(text.trim_start_matches('/'))
            ),
        )
    } else if text.len() > 1024 {
        (
            format!(
                "it is {} characters long, more than an S3 key's 1024",
                text.len()
            ),
            "use a shorter folder name".to_owned(),
        )
    } else if text.contains('*') || text.contains('?') {
        (
            "IAM reads `*` and `?` as wildcards".to_owned(),
            "a prefix is a folder name; the compiler adds the wildcard itself".to_owned(),
        )
    } else if text.contains("${") {
        (
            "IAM reads `${...}` as a policy variable".to_owned(),
            "write the folder name literally".to_owned(),
        )
    } else if let Some(c) = text.chars().find(|c| !(' '..='~').contains(c)) {
        (
            format!("`{}` is not printable ASCII", c.escape_debug()),
            "use printable ASCII characters in the folder name".to_owned(),
        )
    } else {
        return None;
    };
    Some((problem, help))
}
