//! The trust check of an existing role, by meaning, in HCL: two locals a reviewer can read in a
//! pull request. `<name>_statements` takes each statement of the trust policy apart (its
//! effect, its JSON, whether its principal and action cover ECS's request, and its conditions
//! as key, operator and values); `<name>` judges each statement: does it apply to the request
//! ECS makes for this runner's tasks, `sts:AssumeRole` by `ecs-tasks.amazonaws.com` with
//! `aws:SourceAccount` = `local.account` and, for a task role, `aws:SourceArn` like
//! `arn:<local.partition>:ecs:<local.region>:<local.account>:task/...`: `yes`, `no`, or `maybe`
//! where runnerc cannot tell.
//!
//! The rule is the scripts' `check_ecs_trust` (`aws_cli.sh`): an operator or key it does not
//! evaluate, `NotPrincipal` or a narrower `aws:SourceArn` is `maybe`; without `...IfExists`,
//! an `aws:SourceArn` condition on an execution role is `maybe` (AWS documents no such key for
//! it). Four more locals list the statements by effect and verdict for the preconditions.
//! The text holds no user text: the spec's values come in through `local.*`.

use crate::ast::RoleKind;

/// IAM's wildcard pattern `pattern` (an HCL expression; `*` any run, `?` one character, the
/// rest literal) as an anchored regular expression.
fn glob_regex(pattern: &str) -> String {
    format!(
        r#"format("^%s$", join(".*", [for part in split("*", {pattern}) : join(".", [for q in split("?", part) : format("\\Q%s\\E", q)])]))"#
    )
}

/// The attributes of a `locals` block (indented for one) for the trust policy `document` (an
/// HCL expression of the decoded policy) of a role of `kind`: `<name>_statements`, `<name>`
/// (each statement's `effect`, `statement`, its JSON, and `verdict`) and the four lists of
/// [`TRUST_GROUPS`].
pub fn trust_locals(kind: RoleKind, name: &str, document: &str) -> String {
    statements_local(name, document)
        + &verdicts_local(kind, name)
        + "  # The statements by effect and verdict, as the preconditions ask.\n"
        + &groups_locals(name)
}

/// `<name>_statements`: each statement taken apart.
fn statements_local(name: &str, document: &str) -> String {
    let action_glob = glob_regex("lower(tostring(a))");
    let value_glob = glob_regex("tostring(v)");
    let part_glob = glob_regex("piece");
    format!(
        r#"  # Each statement of the trust policy taken apart.
  {name}_statements = [
    for s in flatten([{document}.Statement]) : {{
      effect    = try(s.Effect, "")
      statement = jsonencode(s)
      # Whether the principal covers ECS tasks: NotPrincipal is not evaluated.
      principal = (
        try(s.NotPrincipal, null) != null ? "maybe" :
        anytrue([
          try(s.Principal == "*", false),
          contains([for p in flatten([try(s.Principal.AWS, [])]) : tostring(p)], "*"),
          contains([for p in flatten([try(s.Principal.Service, [])]) : lower(tostring(p))], "ecs-tasks.amazonaws.com"),
        ]) ? "yes" : "no"
      )
      # Whether the action covers sts:AssumeRole: a NotAction that matches it does not.
      action = (
        anytrue([
          for a in flatten([try(s.NotAction, s.Action, [])]) :
          can(regex({action_glob}, "sts:assumerole"))
        ]) == (try(s.NotAction, null) == null) ? "yes" : "no"
      )
      # Each condition's values, as text and as IAM wildcards (whole and by ARN part).
      conditions = flatten([
        for op, keyed in try(s.Condition, {{}}) : [
          for key, vals in keyed : {{
            key       = lower(key)
            operator  = trimsuffix(op, "IfExists")
            if_exists = op != trimsuffix(op, "IfExists")
            values    = [for v in flatten([vals]) : tostring(v)]
            patterns  = [for v in flatten([vals]) : {value_glob}]
            parts     = [for v in flatten([vals]) : [for piece in split(":", tostring(v)) : {part_glob}]]
          }}
        ]
      ])
    }}
  ]
"#
    )
}

/// `<name>`: each statement judged against ECS's request for this runner's tasks.
fn verdicts_local(kind: RoleKind, name: &str) -> String {
    // The rank (0 no, 1 maybe, 2 yes) of each value of an `aws:SourceArn` condition `c` with
    // an ARN operator.
    let arn_ranks = r#"[
                for j, v in c.values : index(["no", "maybe", "yes"], (
                  length(split(":", v)) < 6 ? (c.operator == "StringLike" && can(regex(c.patterns[j], "arn:${local.partition}:ecs:${local.region}:${local.account}:task/runnerc-check/0")) ? "yes" : "no") :
                  !alltrue([
                    for i, w in ["arn", local.partition, "ecs", local.region, local.account] :
                    c.operator == "StringEquals" ? split(":", v)[i] == w : can(regex(c.parts[j][i], w))
                  ]) ? "no" :
                  c.operator != "StringEquals" && join(":", slice(split(":", v), 5, length(split(":", v)))) == "*" ? "yes" :
                  "maybe"
                ))
              ]"#;
    // The strongest value's verdict, no better than `maybe` on an execution role without
    // ...IfExists (its request carries no aws:SourceArn). HCL has no `let`: `max(0, RANKS...)`
    // names the list once.
    let cap = match kind {
        RoleKind::Task => "2",
        RoleKind::Execution => "c.if_exists ? 2 : 1",
    };
    let source_arn = format!(
        r#"(
              !contains(["StringEquals", "StringLike", "ArnLike", "ArnEquals"], c.operator) ? "maybe" :
              ["no", "maybe", "yes"][min({cap}, max(0, {arn_ranks}...))]
            )"#
    );
    format!(
        r#"  # Each statement judged against ECS's request for this runner's tasks.
  {name} = [
    for t in local.{name}_statements : {{
      effect    = t.effect
      statement = t.statement
      # The weakest of the principal's, the action's and every condition's verdict.
      verdict = ["no", "maybe", "yes"][min(2, [
        for r in concat([t.principal, t.action], [
          for c in t.conditions : (
            c.key == "aws:sourceaccount" ? (
              c.operator == "StringEquals" ? (contains(c.values, local.account) ? "yes" : "no") :
              c.operator == "StringLike" ? (anytrue([for p in c.patterns : can(regex(p, local.account))]) ? "yes" : "no") :
              c.operator == "StringNotEquals" ? (contains(c.values, local.account) ? "no" : "yes") :
              "maybe"
            ) :
            c.key == "aws:sourcearn" ? {source_arn} :
            "maybe"
          )
        ]) : index(["no", "maybe", "yes"], r)
      ]...)]
    }}
  ]
"#
    )
}

/// The four lists of [`TRUST_GROUPS`] of the trust locals `name`.
fn groups_locals(name: &str) -> String {
    TRUST_GROUPS
        .iter()
        .map(|(suffix, effect, verdict)| {
            let key = format!("{name}_{suffix}");
            format!(
                "  {key:<width$} = [for s in local.{name} : s.statement if s.effect == \"{effect}\" && s.verdict == \"{verdict}\"]\n",
                width = name.len() + 13
            )
        })
        .collect()
}

/// The lists of statements the preconditions ask for: (suffix of the local, effect, verdict).
pub const TRUST_GROUPS: [(&str, &str, &str); 4] = [
    ("denies", "Deny", "yes"),
    ("maybe_denies", "Deny", "maybe"),
    ("allows", "Allow", "yes"),
    ("maybe_allows", "Allow", "maybe"),
];

/// The local that lists the statements of effect `effect` whose verdict is `verdict`, of the
/// trust locals named `name`.
pub fn trust_group(name: &str, effect: &str, verdict: &str) -> String {
    let (suffix, _, _) = TRUST_GROUPS
        .iter()
        .find(|(_, e, v)| *e == effect && *v == verdict)
        .expect("a group the preconditions ask for");
    format!("local.{name}_{suffix}")
}
