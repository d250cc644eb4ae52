//! ARNs written in a spec: one typed check for every kind the language takes (secret, KMS key,
//! managed policy, permissions boundary), so every ARN is held to the same rules and its
//! problems read alike. The caller checks the resource part, which differs by kind, and reports
//! its problems through [`RunnerChecker::invalid_arn`].

use super::{Place, RunnerChecker, shown};
use crate::ast::Str;
use crate::aws::{self, Arn};
use crate::diag::{Code, Diagnostic};

/// What an ARN of one kind must be.
pub(super) struct ArnKind {
    /// The kind in words, as messages name it: `secret ARN`.
    pub what: &'static str,
    pub service: &'static str,
    /// The code of every problem with its shape (partition and region have codes of their own).
    pub code: Code,
    /// Whether the ARN names a region; IAM ARNs leave the field empty.
    pub regional: bool,
    /// Whether `aws` may stand for the account, as in AWS managed policies.
    pub aws_account: bool,
    /// The shape, for help lines; `{p}` stands for the runner's partition.
    pub shape: &'static str,
    /// Said after the shape in help lines.
    pub alternative: &'static str,
    /// Whether the account must be the runner's (an error), not merely should be (W026).
    pub own_account: bool,
}

pub(super) const SECRET: ArnKind = ArnKind {
    what: "secret ARN",
    service: "secretsmanager",
    code: Code::InvalidSecretArn,
    regional: true,
    aws_account: false,
    shape: "arn:{p}:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf",
    alternative: "; a plain name works too",
    own_account: false,
};

pub(super) const KMS_KEY: ArnKind = ArnKind {
    what: "KMS key ARN",
    service: "kms",
    code: Code::InvalidKmsKey,
    regional: true,
    aws_account: false,
    shape: "arn:{p}:kms:REGION:ACCOUNT:key/KEY-ID",
    alternative: "",
    own_account: false,
};

pub(super) const MANAGED_POLICY: ArnKind = ArnKind {
    what: "managed-policy ARN",
    service: "iam",
    code: Code::InvalidManagedPolicy,
    regional: false,
    aws_account: true,
    shape: "arn:{p}:iam::ACCOUNT:policy/NAME",
    alternative: ", or `arn:{p}:iam::aws:policy/...` for an AWS managed policy",
    own_account: false,
};

pub(super) const PERMISSIONS_BOUNDARY: ArnKind = ArnKind {
    code: Code::InvalidPermissionsBoundary,
    ..MANAGED_POLICY
};

/// An ECR repository, what `image` pulls from.
pub(super) const ECR_REPOSITORY: ArnKind = ArnKind {
    what: "repository ARN",
    service: "ecr",
    code: Code::InvalidImage,
    regional: true,
    aws_account: false,
    shape: "arn:{p}:ecr:REGION:ACCOUNT:repository/NAME",
    alternative: "; its image URI (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`) or a public registry's image (`public.ecr.aws/NAME:TAG`) works too",
    own_account: false,
};

/// The repository of an ECR image URI, checked as the repository's ARN.
pub(super) const ECR_IMAGE_URI: ArnKind = ArnKind {
    what: "image URI's repository",
    ..ECR_REPOSITORY
};

pub(super) const EXISTING_ROLE: ArnKind = ArnKind {
    what: "role ARN",
    service: "iam",
    code: Code::InvalidExistingRole,
    regional: false,
    aws_account: false,
    shape: "arn:{p}:iam::ACCOUNT:role/PATH/NAME",
    alternative: "; a plain role name works too",
    own_account: true,
};

/// Where a resource belongs, for W026: the runner's region and account, or, for a KMS key, the
/// place of the secret or bucket it encrypts. A key belongs with its resource, so the key of a
/// bucket owned by another account is in that account: the ordinary cross-account setup, not a
/// slip. A key of the runner's own account is no slip either (a writer may encrypt with its own
/// key), so a key's home names the runner's account too. A part that is not known (an error
/// already) is `None` and not compared.
pub(super) struct Home<'a> {
    pub region: Option<&'a str>,
    pub account: Option<&'a str>,
    /// Another account where the resource is at home: for a key, the runner's.
    pub also_account: Option<&'a str>,
    /// What is there, as the warning names it: "runner `orders`".
    pub whose: String,
    /// The same for the label: "the runner's".
    pub possessive: &'static str,
}

impl<'a> Home<'a> {
    /// The runner's own place.
    pub fn runner(place: &Place<'a>, runner: &str) -> Self {
        Home {
            region: place.region,
            account: place.account,
            also_account: None,
            whose: format!("runner `{}`", shown(runner)),
            possessive: "the runner's",
        }
    }

    /// A destination's bucket, owned by `owner` (`None` when the written owner is invalid), in
    /// the runner's region, where runnerc grants its key through S3.
    pub fn bucket(place: &Place<'a>, owner: Option<&'a str>) -> Self {
        Home {
            region: place.region,
            account: owner,
            also_account: place.account,
            whose: "the bucket it encrypts".to_owned(),
            possessive: "the bucket's owner",
        }
    }

    /// A secret written as a full ARN, which names its own region and account, of a runner at
    /// `place`.
    pub fn secret(arn: &Arn<'a>, place: &Place<'a>) -> Self {
        Home {
            region: Some(arn.region),
            account: Some(arn.account),
            also_account: place.account,
            whose: "the secret it decrypts".to_owned(),
            possessive: "the secret's",
        }
    }
}

impl RunnerChecker<'_> {
    /// Reports that `value` is not an ARN of `kind`, and why.
    pub(super) fn invalid_arn(
        &mut self,
        value: &Str,
        kind: &ArnKind,
        place: &Place<'_>,
        problem: impl Into<String>,
    ) {
        let partition = place.partition_or_word();
        let diagnostic = Diagnostic::new(
            kind.code,
            self.loc(value.span),
            format!(
                "`{}` is not a {}: {}",
                shown(&value.node),
                kind.what,
                problem.into()
            ),
        )
        .with_label(format!("invalid {}", kind.what))
        .with_help(format!(
            "a {} is `{}`{}",
            kind.what,
            kind.shape.replace("{p}", partition),
            kind.alternative.replace("{p}", partition)
        ));
        self.report(diagnostic);
    }

    /// The fields of an ARN of `kind`, when every field but the resource holds: six fields, the
    /// kind's service, the runner's partition, a region of that partition (or none, for IAM)
    /// and an account ID. Problems are reported here; an ARN of another region or account than
    /// the runner's is a warning (often a copy-paste slip, sometimes a shared or replicated
    /// secret) and still returned.
    pub(super) fn arn<'v>(
        &mut self,
        value: &'v Str,
        kind: &ArnKind,
        place: &Place<'_>,
    ) -> Option<Arn<'v>> {
        self.arn_at_home(value, kind, place, None)
    }

    /// [`Self::arn`] for a resource that belongs with another (`home`, the runner when `None`):
    /// W026 compares the ARN with that place.
    pub(super) fn arn_at_home<'v>(
        &mut self,
        value: &'v Str,
        kind: &ArnKind,
        place: &Place<'_>,
        home: Option<&Home<'_>>,
    ) -> Option<Arn<'v>> {
        let Some(arn) = Arn::parse(&value.node) else {
            self.invalid_arn(
                value,
                kind,
                place,
                "it does not have the six fields of an ARN",
            );
            return None;
        };
        let problem = if arn.service != kind.service {
            Some(format!(
                "it names service `{}`, not `{}`",
                shown(arn.service),
                kind.service
            ))
        } else if !aws::is_partition_name(arn.partition) {
            Some(format!("`{}` is not a partition", shown(arn.partition)))
        } else {
            None
        };
        if let Some(problem) = problem {
            self.invalid_arn(value, kind, place, problem);
            return None;
        }
        if let (Some(partition), Some(region)) = (place.partition, place.region)
            && arn.partition != partition.as_str()
        {
            let diagnostic = Diagnostic::new(
                Code::PartitionMismatch,
                self.loc(value.span),
                format!(
                    "this ARN is in partition `{}`, but runner `{}` is in `{partition}` (region `{region}`)",
                    shown(arn.partition),
                    shown(self.runner),
                ),
            )
            .with_label(format!("expected `arn:{partition}:...`"))
            .with_help("a role can only be granted resources of its own partition");
            self.report(diagnostic);
            return None;
        }
        self.arn_region(value, &arn, kind, place)?;
        if !(aws::is_account_id(arn.account) || kind.aws_account && arn.account == "aws") {
            let expected = if kind.aws_account {
                "neither a 12-digit account ID nor `aws`"
            } else {
                "not a 12-digit account ID"
            };
            let problem = format!("`{}` is {expected}", shown(arn.account));
            self.invalid_arn(value, kind, place, problem);
            return None;
        }
        if kind.own_account
            && let Some(account) = place.account
            && arn.account != account
        {
            let problem = format!(
                "it names account `{}`, but runner `{}` is in account `{account}`",
                arn.account,
                shown(self.runner),
            );
            self.invalid_arn(value, kind, place, problem);
            return None;
        }
        match home {
            Some(home) => self.other_place(value, &arn, kind, home),
            None => self.other_place(value, &arn, kind, &Home::runner(place, self.runner)),
        }
        Some(arn)
    }

    /// The region field of an ARN of `kind`: a region of the ARN's partition, or empty for
    /// IAM. Reports the problem and returns `None` otherwise.
    fn arn_region(
        &mut self,
        value: &Str,
        arn: &Arn<'_>,
        kind: &ArnKind,
        place: &Place<'_>,
    ) -> Option<()> {
        if kind.regional {
            if !aws::is_well_formed_region(arn.region) {
                let problem = format!("`{}` is not a region", shown(arn.region));
                self.invalid_arn(value, kind, place, problem);
                return None;
            }
            let region_partition = aws::unsupported_partition_of(arn.region)
                .unwrap_or_else(|| aws::partition_of(arn.region).as_str());
            if region_partition != arn.partition {
                let diagnostic = Diagnostic::new(
                    Code::RegionOutsidePartition,
                    self.loc(value.span),
                    format!(
                        "this ARN names region `{}`, which is in partition `{region_partition}`, not `{}`",
                        arn.region, arn.partition
                    ),
                )
                .with_label("a region of another partition")
                .with_help({
                    let mut help = format!(
                        "no resource of partition `{}` is in `{}`, so the grant could never match",
                        arn.partition, arn.region
                    );
                    if let Some(region) = place.region {
                        help.push_str(&format!("; the runner's region is `{region}`"));
                    }
                    help
                });
                self.report(diagnostic);
                return None;
            }
        } else if !arn.region.is_empty() {
            self.invalid_arn(value, kind, place, "IAM ARNs have an empty region field");
            return None;
        }
        Some(())
    }

    /// Warns about an ARN of another region or account than its home's, the runner's unless a
    /// key belongs with a resource elsewhere (W026). A part of the home that is not known (an
    /// invalid `account`, `region` or `owner`) is not compared.
    fn other_place(&mut self, value: &Str, arn: &Arn<'_>, kind: &ArnKind, home: &Home<'_>) {
        let other_region = home
            .region
            .filter(|region| kind.regional && arn.region != *region);
        let other_account = home
            .account
            .filter(|account| aws::is_account_id(arn.account) && arn.account != *account)
            .filter(|_| home.also_account != Some(arn.account));
        let (what, field) = match (other_region, other_account) {
            (None, None) => return,
            (Some(_), None) => ("region", format!("region `{}`", arn.region)),
            (None, Some(_)) => ("account", format!("account `{}`", arn.account)),
            (Some(_), Some(_)) => (
                "region and account",
                format!("region `{}` and account `{}`", arn.region, arn.account),
            ),
        };
        // The home's place as far as it is known; the ARN as the home would write it, keeping
        // the ARN's own value where the home's is not compared.
        // (One of the two is known: the comparison above needed it.)
        let home_place = [
            home.region.map(|region| format!("region `{region}`")),
            home.account.map(|account| format!("account `{account}`")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let prefix = format!(
            "arn:{}:{}:{}:{}:",
            arn.partition,
            arn.service,
            other_region.unwrap_or(arn.region),
            other_account.unwrap_or(arn.account)
        );
        let diagnostic = Diagnostic::new(
            Code::OtherRegionOrAccount,
            self.loc(value.span),
            format!(
                "this {} names {field}, but {} is in {home_place}",
                kind.what, home.whose,
            ),
        )
        .with_label(format!("another {what} than {}", home.possessive))
        .with_help(format!(
            "right for a resource shared from another account or replicated from another region; if this is a slip, write `{prefix}{}`",
            shown(arn.resource)
        ));
        self.report(diagnostic);
    }
}
