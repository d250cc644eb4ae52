//! A `diff` report for people (the terminal), for a pull request (markdown that fits GitHub's
//! comment limit) and for tools (JSON).

use super::diff::{Change, ChangeKind, Report, Verdict, VerdictKind};
use crate::access::witness::Witness;

/// GitHub's limit on a comment's body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

fn sign(change: &Change) -> &'static str {
    match change.change {
        ChangeKind::Gains => "+",
        ChangeKind::Loses => "-",
        ChangeKind::Changed => "~",
    }
}

/// `s3:PutObject on arn:aws:s3:::b/x with s3:ResourceAccount=111122223333`
pub fn witness_words(witness: &Witness) -> String {
    let mut text = format!("{} on {}", witness.action, witness.resource);
    let pairs: Vec<String> = witness
        .context
        .iter()
        .flat_map(|(key, values)| values.iter().map(move |v| format!("{key}={v}")))
        .collect();
    if !pairs.is_empty() {
        text.push_str(" with ");
        text.push_str(&pairs.join(", "));
    }
    text
}

fn changes_of<'r>(report: &'r Report, verdict: &Verdict) -> Vec<&'r Change> {
    report
        .changes
        .iter()
        .filter(|c| c.runner == verdict.runner && c.role == verdict.role)
        .collect()
}

/// The counts line: `2 runners compared: 1 role broader, 3 unchanged`.
pub fn summary(report: &Report) -> String {
    let mut runners: Vec<&str> = report.verdicts.iter().map(|v| v.runner.as_str()).collect();
    runners.dedup();
    let mut counts: Vec<String> = Vec::new();
    for kind in [
        VerdictKind::Broader,
        VerdictKind::BroaderAndNarrower,
        VerdictKind::Narrower,
        VerdictKind::Added,
        VerdictKind::Removed,
        VerdictKind::Unchanged,
    ] {
        let n = report.verdicts.iter().filter(|v| v.verdict == kind).count();
        if n > 0 {
            counts.push(format!(
                "{n} role{} {}",
                if n == 1 { "" } else { "s" },
                kind.word()
            ));
        }
    }
    let settings = report.changes.iter().filter(|c| !c.is_access()).count();
    if settings > 0 {
        counts.push(format!(
            "{settings} setting{} changed",
            if settings == 1 { "" } else { "s" }
        ));
    }
    format!(
        "{} runner{} compared: {}",
        runners.len(),
        if runners.len() == 1 { "" } else { "s" },
        if counts.is_empty() {
            "nothing to compare".to_owned()
        } else {
            counts.join(", ")
        }
    )
}

/// The report for a terminal: each role's verdict, its changes and their witnesses.
pub fn human(report: &Report) -> String {
    let mut out = String::new();
    for verdict in &report.verdicts {
        let changes = changes_of(report, verdict);
        if verdict.verdict == VerdictKind::Unchanged && changes.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "{} {} role: {}\n",
            verdict.runner,
            verdict.role,
            verdict.verdict.word()
        ));
        for change in changes {
            out.push_str(&format!("  {} {}\n", sign(change), change.text));
            if let Some(witness) = &change.witness {
                out.push_str(&format!("      witness: {}\n", witness_words(witness)));
            }
        }
    }
    out.push_str(&format!("runnerc: {}\n", summary(report)));
    out
}

pub fn json(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a report serializes");
    text.push('\n');
    text
}

/// The overall verdict: broader when any role may gain, else narrower, else unchanged.
fn headline(report: &Report) -> &'static str {
    let any = |kinds: &[VerdictKind]| report.verdicts.iter().any(|v| kinds.contains(&v.verdict));
    if any(&[
        VerdictKind::Broader,
        VerdictKind::BroaderAndNarrower,
        VerdictKind::Added,
    ]) {
        "broader"
    } else if any(&[VerdictKind::Narrower, VerdictKind::Removed]) {
        "narrower"
    } else if report.changes.is_empty() {
        "unchanged"
    } else {
        "settings only"
    }
}

/// Markdown safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

/// How much a markdown report holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Every change, with its witness.
    Full,
    /// Every change, without witnesses.
    NoWitnesses,
    /// Counts per runner and role only.
    Counts,
}

/// The report as a pull-request comment: the verdict first, a table per runner, witnesses in
/// `<details>`. It never exceeds [`COMMENT_LIMIT`] characters: witnesses go first, then the
/// tables give way to counts, then runners are summed up; each step says so.
pub fn markdown(report: &Report) -> String {
    for detail in [Detail::Full, Detail::NoWitnesses, Detail::Counts] {
        let text = markdown_with(report, detail, usize::MAX);
        if text.chars().count() <= COMMENT_LIMIT {
            return text;
        }
    }
    // Too many runners even as counts: as many as fit, and the rest summed.
    let mut keep = report.verdicts.len();
    loop {
        keep /= 2;
        let text = markdown_with(report, Detail::Counts, keep);
        if text.chars().count() <= COMMENT_LIMIT || keep == 0 {
            return text;
        }
    }
}

fn markdown_with(report: &Report, detail: Detail, max_roles: usize) -> String {
    let mut out = format!(
        "### runnerc diff: {}\n\n{}.\n",
        headline(report),
        summary(report)
    );
    match detail {
        Detail::Full => {}
        Detail::NoWitnesses => out.push_str(
            "\n> Witnesses are left out to fit GitHub's comment limit; `runnerc diff --format json` has them all.\n",
        ),
        Detail::Counts => out.push_str(
            "\n> Changes are counted, not listed, to fit GitHub's comment limit; `runnerc diff` or `--format json` lists them all.\n",
        ),
    }
    let mut runner = "";
    let mut shown = 0;
    let mut left = (0usize, 0usize, 0usize);
    for verdict in &report.verdicts {
        let changes = changes_of(report, verdict);
        if verdict.verdict == VerdictKind::Unchanged && changes.is_empty() {
            continue;
        }
        let count = |kind: ChangeKind| changes.iter().filter(|c| c.change == kind).count();
        if shown >= max_roles {
            left.0 += 1;
            left.1 += count(ChangeKind::Gains);
            left.2 += count(ChangeKind::Loses);
            continue;
        }
        shown += 1;
        if verdict.runner != runner {
            runner = &verdict.runner;
            out.push_str(&format!("\n#### `{}`\n", cell(runner)));
        }
        out.push_str(&format!(
            "\n**{} role: {}**",
            verdict.role,
            verdict.verdict.word()
        ));
        if detail == Detail::Counts {
            out.push_str(&format!(
                ": {} gained, {} lost, {} changed\n",
                count(ChangeKind::Gains),
                count(ChangeKind::Loses),
                count(ChangeKind::Changed)
            ));
            continue;
        }
        out.push_str("\n\n| | change |\n|---|---|\n");
        for change in &changes {
            out.push_str(&format!("| {} | {} |\n", sign(change), cell(&change.text)));
        }
        let witnessed: Vec<&&Change> = changes.iter().filter(|c| c.witness.is_some()).collect();
        if detail == Detail::Full && !witnessed.is_empty() {
            out.push_str("\n<details><summary>Witnesses: a request each change allows on one side and not on the other</summary>\n\n");
            for change in witnessed {
                let witness = change.witness.as_ref().expect("filtered");
                let (allowed, denied) = if change.change == ChangeKind::Loses {
                    ("old", "new")
                } else {
                    ("new", "old")
                };
                out.push_str(&format!(
                    "- `{}`: allowed by the {allowed} spec, denied by the {denied}\n",
                    cell(&witness_words(witness)).replace('`', "'")
                ));
            }
            out.push_str("\n</details>\n");
        }
    }
    if left.0 > 0 {
        out.push_str(&format!(
            "\n…and {} more role{} with changes ({} gained, {} lost), left out to fit GitHub's comment limit.\n",
            left.0,
            if left.0 == 1 { "" } else { "s" },
            left.1,
            left.2
        ));
    }
    out
}
