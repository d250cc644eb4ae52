//! `runnerc diff`: what a change to the specs grants or removes, runner by runner and role by
//! role, compared by meaning on the documents runnerc emits.
//!
//! Each side is compiled on its own; runners pair by name. Per role, the grants of one side
//! that the other side's statements do not cover ([`contain::uncovered`]) are candidates; a
//! candidate becomes a change only with a witness ([`witness::find`]): a request the one side
//! allows and the other denies, by the evaluator `can` uses. Statement order, Sids, splitting
//! and string-versus-list therefore never show. What has no contents runnerc knows (another
//! managed policy, a boundary, an `existing` role's other policies) is compared by name.

use crate::access::contain::{Target, Uncovered, action_covered, target_covered, uncovered};
use crate::access::policy::{Condition, Effect, Patterns, Policy, Statement};
use crate::access::wildcard::has_wildcard;
use crate::access::witness::{self, Grant, Witness};
use crate::ast::RoleKind;
use crate::audit::managed;
use crate::diag::{Loc, Sources};
use crate::lower::iam::RoleDocuments;
use crate::lower::iam::{self, PolicyDocument};
use crate::lower::other_accounts;
use crate::model::{Ownership, Role, Runner, Tag};
use crate::parallel::parallel_map;
use serde::Serialize;
use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;

/// One side of the comparison: its sources (for line numbers) and its runners.
pub struct Side<'a> {
    pub sources: &'a Sources,
    pub runners: &'a [Runner],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Trust,
    Policy,
    Managed,
    Boundary,
    Role,
    Settings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Gains,
    Loses,
    Changed,
}

/// A spec line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub file: String,
    pub line: usize,
}

/// A condition of a grant, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionText {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

/// A policy `build` writes for another account (a bucket, key or secret policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherAccountPolicy {
    pub account: String,
    pub file: String,
    /// `bucket policy`, `key policy`, `secret policy`.
    #[serde(skip)]
    pub words: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub runner: String,
    pub role: &'static str,
    pub part: Part,
    pub change: ChangeKind,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    pub conditions: Vec<ConditionText>,
    pub witness: Option<Witness>,
    /// The other accounts' resource policies that change with it: `build` writes each for its
    /// account to apply.
    pub other_account_policies: Vec<OtherAccountPolicy>,
    pub old: Option<Place>,
    pub new: Option<Place>,
    pub text: String,
}

impl Change {
    /// Whether the change is to access (not a setting): what `--fail-on any` gates.
    pub fn is_access(&self) -> bool {
        self.part != Part::Settings
    }

    /// Whether the change may grant more: a gain, or a change runnerc cannot rank (a boundary
    /// swapped for another, a role that is now someone else's).
    pub fn may_broaden(&self) -> bool {
        self.change == ChangeKind::Gains || (self.is_access() && self.change == ChangeKind::Changed)
    }

    fn may_narrow(&self) -> bool {
        self.change == ChangeKind::Loses || (self.is_access() && self.change == ChangeKind::Changed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    Unchanged,
    Narrower,
    Broader,
    /// Gains and losses both.
    #[serde(rename = "broader and narrower")]
    BroaderAndNarrower,
    Added,
    Removed,
}

impl VerdictKind {
    pub fn word(self) -> &'static str {
        match self {
            VerdictKind::Unchanged => "unchanged",
            VerdictKind::Narrower => "narrower",
            VerdictKind::Broader => "broader",
            VerdictKind::BroaderAndNarrower => "broader and narrower",
            VerdictKind::Added => "added",
            VerdictKind::Removed => "removed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub runner: String,
    pub role: &'static str,
    pub verdict: VerdictKind,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub changes: Vec<Change>,
    pub verdicts: Vec<Verdict>,
}

impl Report {
    /// Whether a change trips the gate: any gain (`broadening`), or any access change (`any`).
    pub fn trips(&self, any: bool) -> bool {
        self.changes
            .iter()
            .any(|c| if any { c.is_access() } else { c.may_broaden() })
            || self.verdicts.iter().any(|v| {
                v.verdict == VerdictKind::Added || (any && v.verdict == VerdictKind::Removed)
            })
    }
}

/// Compares the runners of two sides.
pub fn compare(old: &Side<'_>, new: &Side<'_>) -> Report {
    let (old_index, new_index) = (index(old.runners), index(new.runners));
    let mut names: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for runner in new.runners.iter().chain(old.runners) {
        if seen.insert(&runner.name) {
            names.push(&runner.name);
        }
    }
    let per_runner = parallel_map(&names, |name| {
        let before = old_index.get(name).map(|&i| &old.runners[i]);
        let after = new_index.get(name).map(|&i| &new.runners[i]);
        let before_documents = before.map(iam::documents);
        let after_documents = after.map(iam::documents);
        let mut report = Report::default();
        for kind in RoleKind::ALL {
            let from = before
                .zip(before_documents.as_ref())
                .map(|(r, d)| RoleAccess::of(r, d, kind));
            let to = after
                .zip(after_documents.as_ref())
                .map(|(r, d)| RoleAccess::of(r, d, kind));
            let mut changes = Vec::new();
            let pair = Pair {
                runner: name,
                kind,
                old,
                new,
            };
            pair.compare(from.as_ref(), to.as_ref(), &mut changes);
            let verdict = match (before, after) {
                (None, _) => VerdictKind::Added,
                (_, None) => VerdictKind::Removed,
                _ => {
                    let broader = changes.iter().any(Change::may_broaden);
                    let narrower = changes.iter().any(Change::may_narrow);
                    match (broader, narrower) {
                        (true, true) => VerdictKind::BroaderAndNarrower,
                        (true, false) => VerdictKind::Broader,
                        (false, true) => VerdictKind::Narrower,
                        (false, false) => VerdictKind::Unchanged,
                    }
                }
            };
            report.verdicts.push(Verdict {
                runner: (*name).to_owned(),
                role: kind.word(),
                verdict,
            });
            report.changes.extend(changes);
        }
        report
    });
    let mut report = Report::default();
    for part in per_runner {
        report.changes.extend(part.changes);
        report.verdicts.extend(part.verdicts);
    }
    report
}

/// Each runner's position by name (the first, should a name be there twice).
fn index(runners: &[Runner]) -> HashMap<&str, usize> {
    let mut index = HashMap::new();
    for (i, runner) in runners.iter().enumerate() {
        index.entry(runner.name.as_str()).or_insert(i);
    }
    index
}

/// Where a statement of a role's access comes from.
enum From<'d> {
    /// runnerc's inline policy: its statements carry their spec lines.
    Inline(&'d PolicyDocument),
    /// A managed policy whose contents runnerc knows, attached at this line.
    Managed(Loc),
}

/// What one role of one runner grants, as far as runnerc knows. Its documents are read as
/// policies only when they differ from the other side's.
struct RoleAccess<'r> {
    runner: &'r Runner,
    role: &'r Role,
    kind: RoleKind,
    documents: &'r RoleDocuments,
    arn: String,
    /// Managed policies runnerc does not know, with their lines.
    unknown_managed: Vec<(String, Loc)>,
    grants: OnceCell<Grants<'r>>,
}

/// A role's documents read as policies.
struct Grants<'r> {
    trust: Option<Policy>,
    /// The statements of its inline and known managed policies, one policy after the other.
    all: Policy,
    /// Which statements of `all` each policy holds, and where the policy comes from.
    sources: Vec<(Range<usize>, From<'r>)>,
}

impl<'r> RoleAccess<'r> {
    fn of(runner: &'r Runner, documents: &'r RoleDocuments, kind: RoleKind) -> Self {
        let role = runner.role(kind);
        let unknown_managed = role
            .managed_policies
            .iter()
            .zip(&role.managed_policies_written)
            .filter(|(arn, _)| managed::known(arn, runner.partition).is_none())
            .map(|(arn, written)| (arn.clone(), *written))
            .collect();
        RoleAccess {
            runner,
            role,
            kind,
            documents,
            arn: runner.role_arn(kind),
            unknown_managed,
            grants: OnceCell::new(),
        }
    }

    fn grants(&self) -> &Grants<'r> {
        self.grants.get_or_init(|| {
            let (runner, role, documents) = (self.runner, self.role, self.documents);
            let mut all = Policy {
                statements: Vec::new(),
            };
            let mut sources = Vec::new();
            let mut add = |policy: Policy, from: From<'r>| {
                let start = all.statements.len();
                all.statements.extend(policy.statements);
                sources.push((start..all.statements.len(), from));
            };
            if let Some(document) = documents.policy(self.kind) {
                add(Policy::of_document(document), From::Inline(document));
            }
            for (arn, written) in role
                .managed_policies
                .iter()
                .zip(&role.managed_policies_written)
            {
                if let Some(policy) = managed::known_policy(arn, runner.partition) {
                    add(policy, From::Managed(*written));
                }
            }
            Grants {
                trust: documents.trust(self.kind).map(Policy::of_document),
                all,
                sources,
            }
        })
    }

    fn trust(&self) -> Option<&Policy> {
        self.grants().trust.as_ref()
    }

    fn has_trust(&self) -> bool {
        self.documents.trust(self.kind).is_some()
    }
}

/// Whether two documents hold the same statements, as written (their spec lines aside).
fn same_document(a: Option<&PolicyDocument>, b: Option<&PolicyDocument>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            a.statement.len() == b.statement.len()
                && a.statement.iter().zip(&b.statement).all(|(x, y)| {
                    x.sid == y.sid
                        && x.effect == y.effect
                        && x.principal == y.principal
                        && x.action == y.action
                        && x.resource == y.resource
                        && x.condition == y.condition
                })
        }
        _ => false,
    }
}

/// A setting on one side: its value, and the line that writes it.
struct Setting {
    value: Option<String>,
    line: Option<Loc>,
}

impl Setting {
    fn new(value: Option<String>, line: Option<Loc>) -> Self {
        Setting { value, line }
    }
}

/// The comparison of one role of one runner.
struct Pair<'s> {
    runner: &'s str,
    kind: RoleKind,
    old: &'s Side<'s>,
    new: &'s Side<'s>,
}

/// Which way a grant found on one side goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    /// On the new side only.
    Gained,
    /// On the old side only.
    Lost,
}

impl Way {
    fn other(self) -> Way {
        match self {
            Way::Gained => Way::Lost,
            Way::Lost => Way::Gained,
        }
    }
}

/// A grant of one side proven by a witness: its statement, actions and proven resources.
struct Proof<'a> {
    statement: &'a Statement,
    actions: &'a [&'a str],
    resources: &'a [&'a str],
    found: Witness,
}

impl Pair<'_> {
    fn place(&self, way: Way, loc: Loc) -> Place {
        let sources = match way {
            Way::Gained => self.new.sources,
            Way::Lost => self.old.sources,
        };
        Place {
            file: sources.get(loc.file).name.clone(),
            line: sources.line_column(loc.file, loc.span.start).0,
        }
    }

    /// `(orders.runner:14)` or `(old orders.runner:9)`.
    fn at(&self, way: Way, place: &Place) -> String {
        match way {
            Way::Gained => format!("({}:{})", place.file, place.line),
            Way::Lost => format!("(old {}:{})", place.file, place.line),
        }
    }

    fn subject(&self) -> String {
        format!("{} {}", self.runner, self.kind.keyword())
    }

    fn change(
        &self,
        part: Part,
        change: ChangeKind,
        old: Option<Place>,
        new: Option<Place>,
        text: String,
    ) -> Change {
        Change {
            runner: self.runner.to_owned(),
            role: self.kind.word(),
            part,
            change,
            actions: Vec::new(),
            resources: Vec::new(),
            conditions: Vec::new(),
            witness: None,
            other_account_policies: Vec::new(),
            old,
            new,
            text,
        }
    }

    /// A gain (on the new side) or a loss (on the old side), at its spec line.
    fn directed(&self, way: Way, part: Part, place: Place, text: String) -> Change {
        let kind = match way {
            Way::Gained => ChangeKind::Gains,
            Way::Lost => ChangeKind::Loses,
        };
        let (old, new) = match way {
            Way::Gained => (None, Some(place)),
            Way::Lost => (Some(place), None),
        };
        self.change(part, kind, old, new, text)
    }

    fn compare<'r>(
        &self,
        old: Option<&RoleAccess<'r>>,
        new: Option<&RoleAccess<'r>>,
        out: &mut Vec<Change>,
    ) {
        if let (Some(old), Some(new)) = (old, new) {
            self.role_itself(old, new, out);
            if old.role.is_existing() == new.role.is_existing() {
                self.settings(old, new, out);
            }
        }
        // Trust: compared when runnerc writes it on both sides, or on the one side there is.
        let empty = Policy {
            statements: Vec::new(),
        };
        let both_known =
            old.is_none_or(RoleAccess::has_trust) && new.is_none_or(RoleAccess::has_trust);
        let same_trust = old.zip(new).is_some_and(|(o, n)| {
            same_document(o.documents.trust(o.kind), n.documents.trust(n.kind))
        });
        if both_known && !same_trust {
            let old_trust = old.and_then(RoleAccess::trust).unwrap_or(&empty);
            let new_trust = new.and_then(RoleAccess::trust).unwrap_or(&empty);
            let arn = new.or(old).map(|a| a.arn.clone()).unwrap_or_default();
            self.trust(
                Way::Gained,
                new_trust,
                old_trust,
                &arn,
                (new.or(old), old),
                out,
            );
            self.trust(
                Way::Lost,
                old_trust,
                new_trust,
                &arn,
                (old.or(new), new),
                out,
            );
        }
        // The same documents and managed policies grant the same: nothing to search.
        let same_grants = old.zip(new).is_some_and(|(o, n)| {
            same_document(o.documents.policy(o.kind), n.documents.policy(n.kind))
                && o.role.managed_policies == n.role.managed_policies
                && o.runner.partition == n.runner.partition
        });
        if !same_grants {
            let old_all = old.map_or(&empty, |a| &a.grants().all);
            let new_all = new.map_or(&empty, |a| &a.grants().all);
            if let Some(after) = new {
                self.grants(Way::Gained, after, old, (new_all, old_all), out);
            }
            if let Some(before) = old {
                self.grants(Way::Lost, before, new, (old_all, new_all), out);
            }
        }
        self.unknown_managed(old, new, out);
        self.boundary(old, new, out);
    }

    /// Owned versus `existing`, and which IAM role it is: the partition, the account and the
    /// name, whatever its case and path (IAM role names are unique in an account whatever the
    /// path), so `existing "shared-agent"` and its ARN with a path name one role.
    fn role_itself(&self, old: &RoleAccess<'_>, new: &RoleAccess<'_>, out: &mut Vec<Change>) {
        let (was, is) = (old.role.is_existing(), new.role.is_existing());
        let old_at = self.place(Way::Lost, old.role.name_loc);
        let new_at = self.place(Way::Gained, new.role.name_loc);
        let text = if was != is && is {
            format!(
                "{} is now the existing role `{}`, no longer runnerc's: its trust and its other policies are its owner's, unknown to runnerc {}",
                self.subject(),
                new.role.name,
                self.at(Way::Gained, &new_at)
            )
        } else if was != is {
            format!(
                "{} is now runnerc's own role `{}`, no longer the existing role `{}`: runnerc writes its trust, and the existing role's other policies no longer apply {}",
                self.subject(),
                new.role.name,
                old.role.name,
                self.at(Way::Gained, &new_at)
            )
        } else if old.runner.role_identity(self.kind) != new.runner.role_identity(self.kind) {
            format!(
                "{} is now `{}` (was `{}`): another IAM role {}",
                self.subject(),
                new.arn,
                old.arn,
                self.at(Way::Gained, &new_at)
            )
        } else {
            return;
        };
        out.push(self.change(
            Part::Role,
            ChangeKind::Changed,
            Some(old_at),
            Some(new_at),
            text,
        ));
    }

    /// Name (its case), path, description, session duration and tags: settings, not access,
    /// each at the line that writes it.
    fn settings(&self, old: &RoleAccess<'_>, new: &RoleAccess<'_>, out: &mut Vec<Change>) {
        let (before, after) = (old.role, new.role);
        // A path is compared where both sides know it (an `existing` role named without its
        // ARN has a stand-in path).
        let path = |role: &Role| match role.ownership {
            Ownership::Existing { path_known: false } => None,
            _ => Some(role.path.clone()),
        };
        let known = path(before).is_some() && path(after).is_some();
        let seconds = |s: u32| format!("{s} s");
        let settings = [
            (
                "name",
                Setting::new(Some(before.name.clone()), Some(before.name_loc)),
                Setting::new(Some(after.name.clone()), Some(after.name_loc)),
            ),
            (
                "path",
                Setting::new(path(before).filter(|_| known), before.lines.path),
                Setting::new(path(after).filter(|_| known), after.lines.path),
            ),
            (
                "description",
                Setting::new(before.description.clone(), before.lines.description),
                Setting::new(after.description.clone(), after.lines.description),
            ),
            (
                "maximum session duration",
                Setting::new(
                    before.max_session_duration.map(seconds),
                    before.lines.max_session_duration,
                ),
                Setting::new(
                    after.max_session_duration.map(seconds),
                    after.lines.max_session_duration,
                ),
            ),
        ];
        // Another role altogether is the `role` change; its name and path are not settings.
        let same_role = old.runner.role_identity(self.kind) == new.runner.role_identity(self.kind);
        for (what, before, after) in settings {
            let of_identity = matches!(what, "name" | "path");
            if before.value != after.value && (same_role || !of_identity) {
                out.push(self.setting(what, before, after, new));
            }
        }
        if !before.is_existing() && !after.is_existing() {
            self.tags(&old.runner.role_tags(), &new.runner.role_tags(), out);
        }
    }

    /// A setting that differs, cited where the new side writes it, else where the old side did
    /// (it is removed), else at the role's name.
    fn setting(&self, what: &str, before: Setting, after: Setting, new: &RoleAccess<'_>) -> Change {
        let show = |value: &Option<String>| {
            value
                .as_ref()
                .map_or_else(|| "none".to_owned(), |v| format!("`{v}`"))
        };
        let old_at = before.line.map(|loc| self.place(Way::Lost, loc));
        let new_at = after.line.map(|loc| self.place(Way::Gained, loc));
        let cited = match (&new_at, &old_at) {
            (Some(at), _) => self.at(Way::Gained, at),
            (None, Some(at)) => self.at(Way::Lost, at),
            (None, None) => self.at(Way::Gained, &self.place(Way::Gained, new.role.name_loc)),
        };
        let text = format!(
            "{} {what}: {} (was {}) {cited}",
            self.subject(),
            show(&after.value),
            show(&before.value),
        );
        self.change(Part::Settings, ChangeKind::Changed, old_at, new_at, text)
    }

    /// The tags of a role runnerc creates, key by key (IAM tells keys apart ignoring case), each
    /// at its `tag` line.
    fn tags(&self, before: &[Tag], after: &[Tag], out: &mut Vec<Change>) {
        let find = |tags: &'_ [Tag], key: &str| -> Option<usize> {
            tags.iter().position(|t| t.key.eq_ignore_ascii_case(key))
        };
        for tag in before {
            if find(after, &tag.key).is_none() {
                let at = self.place(Way::Lost, tag.written);
                let text = format!(
                    "{} tag `{}` removed (was `{}`) {}",
                    self.subject(),
                    tag.key,
                    tag.value,
                    self.at(Way::Lost, &at)
                );
                out.push(self.change(Part::Settings, ChangeKind::Changed, Some(at), None, text));
            }
        }
        for tag in after {
            let at = self.place(Way::Gained, tag.written);
            let text = match find(before, &tag.key).map(|i| &before[i]) {
                None => format!(
                    "{} tag `{}` added: `{}` {}",
                    self.subject(),
                    tag.key,
                    tag.value,
                    self.at(Way::Gained, &at)
                ),
                Some(was) if was.key == tag.key && was.value == tag.value => continue,
                Some(was) if was.key == tag.key => format!(
                    "{} tag `{}`: `{}` (was `{}`) {}",
                    self.subject(),
                    tag.key,
                    tag.value,
                    was.value,
                    self.at(Way::Gained, &at)
                ),
                Some(was) => format!(
                    "{} tag `{}`: `{}` (was `{}`: `{}`) {}",
                    self.subject(),
                    tag.key,
                    tag.value,
                    was.key,
                    was.value,
                    self.at(Way::Gained, &at)
                ),
            };
            let was_at = find(before, &tag.key).map(|i| self.place(Way::Lost, before[i].written));
            out.push(self.change(Part::Settings, ChangeKind::Changed, was_at, Some(at), text));
        }
    }

    /// Who may assume the role: each principal of `from` that `to` does not admit as widely.
    /// `sides` are the role of `from`'s side and the other side's.
    fn trust(
        &self,
        way: Way,
        from: &Policy,
        to: &Policy,
        arn: &str,
        sides: (Option<&RoleAccess<'_>>, Option<&RoleAccess<'_>>),
        out: &mut Vec<Change>,
    ) {
        let (Some(access), other) = sides else { return };
        let (allowing, denying) = (from, to);
        for statement in &from.statements {
            if statement.effect != Effect::Allow {
                continue;
            }
            let Some(Uncovered::Blocks(blocks)) = uncovered(statement, to) else {
                continue;
            };
            for (actions, targets) in blocks {
                for target in targets {
                    let Target::Principal(kind, who) = target else {
                        continue;
                    };
                    let found = actions.iter().find_map(|action| {
                        witness::find(
                            &Grant {
                                action,
                                target,
                                conditions: &statement.conditions,
                            },
                            arn,
                            &[allowing],
                            &[denying],
                        )
                    });
                    let Some(found) = found else { continue };
                    let admitting: Vec<&Statement> = to
                        .statements
                        .iter()
                        .filter(|s| target_covered(s, Target::Principal(kind, who)))
                        .collect();
                    let had = !admitting.is_empty();
                    // Weaker (stronger) when the other side's conditions hold all of these and
                    // more; otherwise other conditions (another region, say).
                    let (weaker, stronger) = if admitting
                        .iter()
                        .all(|s| statement.conditions.is_subset(&s.conditions))
                    {
                        ("weaker", "stronger")
                    } else {
                        ("other", "other")
                    };
                    let loc = trust_line(access, other, who);
                    let place = self.place(way, loc);
                    let conditions = texts(&statement.conditions);
                    let text = match (way, had) {
                        (Way::Gained, false) => format!(
                            "{} may now be assumed by {kind} `{who}`{} {}",
                            self.subject(),
                            when(&conditions),
                            self.at(way, &place)
                        ),
                        (Way::Gained, true) => format!(
                            "{} may be assumed by {kind} `{who}` under {weaker} conditions: {} {}",
                            self.subject(),
                            condition_words(&conditions, "no condition"),
                            self.at(way, &place)
                        ),
                        (Way::Lost, false) => format!(
                            "{} may no longer be assumed by {kind} `{who}` {}",
                            self.subject(),
                            self.at(way, &place)
                        ),
                        (Way::Lost, true) => format!(
                            "{} may be assumed by {kind} `{who}` only under {stronger} conditions than {} {}",
                            self.subject(),
                            condition_words(&conditions, "none"),
                            self.at(way, &place)
                        ),
                    };
                    let mut change = self.directed(way, Part::Trust, place, text);
                    change.actions = actions.iter().map(|a| (*a).to_owned()).collect();
                    change.resources = vec![format!("{kind}:{who}")];
                    change.conditions = conditions;
                    change.witness = Some(found);
                    out.push(change);
                }
            }
        }
    }

    /// The requests of `from`'s known policies that `to`'s do not allow. `other` is the
    /// other side's role, where the line that dropped an implicit default policy is.
    fn grants(
        &self,
        way: Way,
        access: &RoleAccess<'_>,
        other: Option<&RoleAccess<'_>>,
        (from, to): (&Policy, &Policy),
        out: &mut Vec<Change>,
    ) {
        let grants = access.grants();
        for (span, source) in &grants.sources {
            for (position, statement) in grants.all.statements[span.clone()].iter().enumerate() {
                if statement.effect != Effect::Allow {
                    continue;
                }
                let Some(Uncovered::Blocks(blocks)) = uncovered(statement, to) else {
                    continue;
                };
                for (actions, targets) in blocks {
                    // Resources grouped by the spec line that put them there.
                    let mut by_line: Vec<(Loc, Vec<&str>)> = Vec::new();
                    for target in &targets {
                        let Target::Resource(resource) = target else {
                            continue;
                        };
                        let loc = resource_line(source, position, resource, access.runner);
                        match by_line.iter_mut().find(|(l, _)| *l == loc) {
                            Some((_, resources)) => resources.push(resource),
                            None => by_line.push((loc, vec![resource])),
                        }
                    }
                    for (loc, resources) in by_line {
                        let mut proven: Vec<&str> = Vec::new();
                        let mut first = None;
                        for resource in &resources {
                            let found = actions.iter().find_map(|action| {
                                witness::find(
                                    &Grant {
                                        action,
                                        target: Target::Resource(resource),
                                        conditions: &statement.conditions,
                                    },
                                    "",
                                    &[from],
                                    &[to],
                                )
                            });
                            if let Some(found) = found {
                                proven.push(resource);
                                first.get_or_insert(found);
                            }
                        }
                        let Some(found) = first else { continue };
                        let proof = Proof {
                            statement,
                            actions: &actions,
                            resources: &proven,
                            found,
                        };
                        out.push(self.grant_change(way, access, other, source, loc, proof, to));
                    }
                }
            }
        }
    }

    /// The change of a proven grant, at the spec line that causes it: its own side's line, or,
    /// for a default managed policy the spec does not write, the other side's line that
    /// replaced it (its `managed-policy`, `image` or `logs` line, or its `existing` role).
    #[allow(clippy::too_many_arguments)]
    fn grant_change(
        &self,
        way: Way,
        access: &RoleAccess<'_>,
        other: Option<&RoleAccess<'_>>,
        source: &From<'_>,
        loc: Loc,
        proof: Proof<'_>,
        to: &Policy,
    ) -> Change {
        let Proof {
            statement,
            actions,
            resources: proven,
            found,
        } = proof;
        let own_place = self.place(way, loc);
        let replaced_by = match source {
            From::Managed(_) if loc == access.runner.name_loc => other.and_then(replacing_line),
            _ => None,
        };
        let (cited_way, cited) = match replaced_by {
            Some(line) => (way.other(), self.place(way.other(), line)),
            None => (way, own_place.clone()),
        };
        let part = match source {
            From::Inline(_) => Part::Policy,
            From::Managed(_) => Part::Managed,
        };
        let conditions = texts(&statement.conditions);
        let actions: Vec<String> = actions.iter().map(|a| (*a).to_owned()).collect();
        let verb = if way == Way::Gained { "gains" } else { "loses" };
        let small = small_gain(way, proven, to);
        let weaker = condition_change(way, statement, &found.action, proven[0], to);
        let others = other_account_policies(access.runner, proven);
        let text = format!(
            "{} {verb} {} on {}{}{}{}{} {}",
            self.subject(),
            actions.join(", "),
            proven
                .iter()
                .map(|r| short(r))
                .collect::<Vec<_>>()
                .join(", "),
            when(&conditions),
            weaker,
            small,
            other_account_words(way, &others),
            self.at(cited_way, &cited)
        );
        let mut change = self.directed(way, part, own_place, text);
        if replaced_by.is_some() {
            match cited_way {
                Way::Gained => change.new = Some(cited),
                Way::Lost => change.old = Some(cited),
            }
        }
        change.actions = actions;
        change.resources = proven.iter().map(|r| (*r).to_owned()).collect();
        change.conditions = conditions;
        change.witness = Some(found);
        change.other_account_policies = others;
        change
    }

    /// Managed policies runnerc cannot read: compared by ARN.
    fn unknown_managed(
        &self,
        old: Option<&RoleAccess<'_>>,
        new: Option<&RoleAccess<'_>>,
        out: &mut Vec<Change>,
    ) {
        let arns = |access: Option<&RoleAccess<'_>>| -> Vec<(String, Loc)> {
            access
                .map(|a| a.unknown_managed.clone())
                .unwrap_or_default()
        };
        let (before, after) = (arns(old), arns(new));
        for (way, from, to) in [(Way::Gained, &after, &before), (Way::Lost, &before, &after)] {
            for (arn, loc) in from {
                if to.iter().any(|(other, _)| other == arn) {
                    continue;
                }
                let place = self.place(way, *loc);
                let verb = match way {
                    Way::Gained => "gains",
                    Way::Lost => "loses",
                };
                let text = format!(
                    "{} {verb} managed policy `{arn}`, whose contents runnerc does not know {}",
                    self.subject(),
                    self.at(way, &place)
                );
                let mut change = self.directed(way, Part::Managed, place, text);
                change.resources = vec![arn.clone()];
                out.push(change);
            }
        }
    }

    /// The permissions boundary: one removed is a gain, one added a loss, another a change.
    fn boundary(
        &self,
        old: Option<&RoleAccess<'_>>,
        new: Option<&RoleAccess<'_>>,
        out: &mut Vec<Change>,
    ) {
        let (Some(old), Some(new)) = (old, new) else {
            return;
        };
        let (before, after) = (
            &old.role.permissions_boundary,
            &new.role.permissions_boundary,
        );
        if before == after {
            return;
        }
        // Each side's `permissions-boundary` line, else its role's name.
        let line = |access: &RoleAccess<'_>| {
            access
                .role
                .lines
                .permissions_boundary
                .unwrap_or(access.role.name_loc)
        };
        let old_at = self.place(Way::Lost, line(old));
        let new_at = self.place(Way::Gained, line(new));
        let (kind, text) = match (before, after) {
            (Some(was), None) => (
                ChangeKind::Gains,
                format!(
                    "{} gains what permissions boundary `{was}` held back: the boundary is removed {}",
                    self.subject(),
                    self.at(Way::Lost, &old_at)
                ),
            ),
            (None, Some(is)) => (
                ChangeKind::Loses,
                format!(
                    "{} loses what permissions boundary `{is}` does not allow: the boundary is added {}",
                    self.subject(),
                    self.at(Way::Gained, &new_at)
                ),
            ),
            (Some(was), Some(is)) => (
                ChangeKind::Changed,
                format!(
                    "{} is limited by permissions boundary `{is}` (was `{was}`), whose contents runnerc does not know {}",
                    self.subject(),
                    self.at(Way::Gained, &new_at)
                ),
            ),
            (None, None) => return,
        };
        let mut change = self.change(Part::Boundary, kind, Some(old_at), Some(new_at), text);
        change.resources = after.iter().chain(before).cloned().collect();
        out.push(change);
    }
}

/// The spec line of a trust principal: its `trust service` line, the `trust conditions off`
/// line for the ECS statement when the conditions are off, else the line its conditions' values
/// come from when it differs from the other side's (`region`, then `account`), else the
/// runner's name.
fn trust_line(access: &RoleAccess<'_>, other: Option<&RoleAccess<'_>>, who: &str) -> Loc {
    let (runner, trust) = (access.runner, &access.runner.trust);
    let conditions_from = other.and_then(|other| {
        if other.runner.region != runner.region {
            Some(runner.region_written)
        } else if other.runner.account != runner.account {
            Some(runner.account_written)
        } else {
            None
        }
    });
    trust
        .extra_services
        .iter()
        .zip(&trust.extra_services_written)
        .find(|(service, _)| *service == who)
        .map(|(_, loc)| *loc)
        .or(trust.conditions_off_written)
        .or(conditions_from)
        .unwrap_or(runner.name_loc)
}

/// The line of a role that stands in place of the default managed policy (which the other side
/// attaches without writing it): the `existing` role, else its first `managed-policy`, `image`
/// or `logs` line.
fn replacing_line(access: &RoleAccess<'_>) -> Option<Loc> {
    let role = access.role;
    if role.is_existing() {
        return Some(role.name_loc);
    }
    role.managed_policies_written
        .iter()
        .copied()
        .find(|loc| *loc != access.runner.name_loc)
        .or(role.image.as_ref().map(|image| image.written))
        .or(role.logs.as_ref().map(|logs| logs.written))
}

/// The policies of other accounts (`build`'s `bucket-policy-*.json`, ...) that name the
/// resources, each once.
fn other_account_policies(runner: &Runner, resources: &[&str]) -> Vec<OtherAccountPolicy> {
    let mut out: Vec<OtherAccountPolicy> = Vec::new();
    for resource in resources {
        if let Some((what, account)) = other_accounts::foreign_with_owner(runner, resource) {
            let policy = OtherAccountPolicy {
                account: account.to_owned(),
                file: what.file(),
                words: what.policy_words(),
            };
            if !out.contains(&policy) {
                out.push(policy);
            }
        }
    }
    out
}

/// `; account 444455556666's bucket policy changes too: re-apply ... there`, or nothing.
fn other_account_words(way: Way, policies: &[OtherAccountPolicy]) -> String {
    let what = match way {
        Way::Gained => "",
        Way::Lost => " to drop the grant",
    };
    policies
        .iter()
        .map(|p| {
            format!(
                "; account {}'s {} changes too: re-apply `{}` there{what}",
                p.account, p.words, p.file
            )
        })
        .collect()
}

/// The spec line that put `resource` in the statement at `position` of a source.
fn resource_line(source: &From<'_>, position: usize, resource: &str, runner: &Runner) -> Loc {
    match source {
        From::Managed(loc) => *loc,
        From::Inline(document) => document
            .statement
            .get(position)
            .and_then(|statement| {
                statement
                    .origins
                    .iter()
                    .find(|o| o.resource == resource)
                    .or(statement.origins.first())
            })
            .map_or(runner.name_loc, |origin| origin.written),
    }
}

fn texts(conditions: &BTreeSet<Condition>) -> Vec<ConditionText> {
    conditions
        .iter()
        .map(|c| ConditionText {
            operator: c.operator.clone(),
            key: c.key.clone(),
            values: c.values.iter().cloned().collect(),
        })
        .collect()
}

/// `s3:prefix like orders/, orders/*; s3:ResourceAccount = 111122223333`, or `none` when there
/// is none.
fn condition_words(conditions: &[ConditionText], none: &str) -> String {
    if conditions.is_empty() {
        return none.to_owned();
    }
    conditions
        .iter()
        .map(|c| {
            let operator = match c.operator.as_str() {
                "StringEquals" | "ArnEquals" => "=",
                "StringLike" | "ArnLike" => "like",
                other => other,
            };
            format!("{} {operator} {}", c.key, c.values.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// How the conditions of a grant differ from those of the other side's statements that grant
/// the same action on the same resource under other conditions: ` (the condition on s3:prefix
/// is dropped)`, or nothing.
fn condition_change(
    way: Way,
    statement: &Statement,
    action: &str,
    resource: &str,
    other: &Policy,
) -> String {
    let own = |key: &str| {
        statement
            .conditions
            .iter()
            .filter(|c| c.key.eq_ignore_ascii_case(key))
            .collect::<Vec<_>>()
    };
    let mut dropped: Vec<String> = Vec::new();
    let mut differ: Vec<String> = Vec::new();
    for covering in other.statements.iter().filter(|o| {
        o.effect == Effect::Allow
            && action_covered(o, action)
            && target_covered(o, Target::Resource(resource))
    }) {
        for condition in &covering.conditions {
            let mine = own(&condition.key);
            let list = if mine.is_empty() {
                &mut dropped
            } else if !mine.contains(&condition) {
                &mut differ
            } else {
                continue;
            };
            if !list.contains(&condition.key) {
                list.push(condition.key.clone());
            }
        }
    }
    let keys = |keys: &[String]| {
        keys.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !dropped.is_empty() {
        parts.push(match way {
            Way::Gained => format!("without the condition on {} it had", keys(&dropped)),
            Way::Lost => format!("now only under a condition on {}", keys(&dropped)),
        });
    }
    if !differ.is_empty() {
        parts.push(match way {
            Way::Gained => format!("under a wider condition on {}", keys(&differ)),
            Way::Lost => format!("now under a narrower condition on {}", keys(&differ)),
        });
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// ` when ...`, or nothing.
fn when(conditions: &[ConditionText]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" when {}", condition_words(conditions, ""))
    }
}

/// An S3 ARN without `arn:PARTITION:s3:::`; any other ARN as it is.
pub fn short(resource: &str) -> String {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "s3", "", "", rest] => (*rest).to_owned(),
        _ => resource.to_owned(),
    }
}

/// For a secret ARN that became `NAME-??????`: says that the gain is the same secret under any
/// suffix, where the other side named one.
fn small_gain(way: Way, resources: &[&str], other: &Policy) -> String {
    if way != Way::Gained {
        return String::new();
    }
    for resource in resources {
        let Some(stem) = resource.strip_suffix("??????") else {
            continue;
        };
        let named = other.statements.iter().find_map(|s| match &s.resources {
            Some(Patterns::Listed(listed)) => listed
                .iter()
                .find(|r| r.len() == stem.len() + 6 && r.starts_with(stem) && !has_wildcard(r)),
            _ => None,
        });
        if let Some(named) = named {
            return format!(
                " (a small gain: the secret under any suffix, where the old spec named `{}`)",
                short(named)
            );
        }
    }
    String::new()
}
