//! `runnerc can`: the hand-written table of requests in tests/can/requests.txt, answered by one
//! `runnerc can --expect-file`, each answer cross-checked against an independent IAM evaluator
//! (@cloud-copilot/iam-simulate, run as an external tool from tests/tools/iam-simulate), and the
//! command's interface.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

fn runnerc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_runnerc"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One line of requests.txt.
#[derive(Debug, Clone)]
struct Row {
    line: usize,
    file: String,
    runner: String,
    role: String,
    expect: String,
    action: String,
    resource: String,
    context: Vec<String>,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("tests/can/requests.txt")).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split(' ').collect();
            assert!(
                fields.len() >= 6,
                "requests.txt:{}: too few fields",
                index + 1
            );
            assert!(
                ["allow", "deny", "unknown"].contains(&fields[3]),
                "requests.txt:{}: EXPECT is `{}`",
                index + 1,
                fields[3]
            );
            Row {
                line: index + 1,
                file: fields[0].to_owned(),
                runner: fields[1].to_owned(),
                role: fields[2].to_owned(),
                expect: fields[3].to_owned(),
                action: fields[4].to_owned(),
                resource: fields[5].to_owned(),
                context: fields[6..].iter().map(|s| (*s).to_owned()).collect(),
            }
        })
        .collect()
}

/// Every row with runnerc's JSON answer, from one `runnerc can --expect-file` over the table,
/// computed once for all tests of this file. The rows are read here too, apart from runnerc's
/// reading of the table, and every one must be answered.
fn answered() -> &'static Vec<(Row, Value)> {
    static ANSWERS: OnceLock<Vec<(Row, Value)>> = OnceLock::new();
    ANSWERS.get_or_init(|| {
        let output = runnerc()
            .current_dir(root())
            .args([
                "can",
                "--expect-file",
                "tests/can/requests.txt",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        // 1 when an answer is not the expected one: the test below names it.
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        let by_line: BTreeMap<u64, &Value> = value["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| (row["line"].as_u64().unwrap(), row))
            .collect();
        let rows = rows();
        assert_eq!(by_line.len(), rows.len(), "every row answered once");
        rows.into_iter()
            .map(|row| {
                let answered = by_line[&(row.line as u64)];
                assert_eq!(
                    (&answered["action"], &answered["resource"]),
                    (&json!(row.action), &json!(row.resource)),
                    "requests.txt:{}",
                    row.line
                );
                let answers = answered["answers"].as_array().unwrap();
                assert_eq!(answers.len(), 1, "requests.txt:{}", row.line);
                assert_eq!(
                    (&answers[0]["runner"], &answers[0]["role"]),
                    (&json!(row.runner), &json!(row.role)),
                    "requests.txt:{}",
                    row.line
                );
                // The request's context holds the row's KEY=VALUE pairs.
                for pair in &row.context {
                    let (key, value) = pair.split_once('=').unwrap();
                    assert!(
                        answers[0]["context"][key]
                            .as_array()
                            .is_some_and(|values| values.contains(&json!(value))),
                        "requests.txt:{}: `{pair}` is not in {}",
                        row.line,
                        answers[0]["context"]
                    );
                }
                (row, answers[0].clone())
            })
            .collect()
    })
}

fn decision_word(expect: &str) -> &'static str {
    match expect {
        "allow" => "allowed",
        "deny" => "denied",
        _ => "unknown",
    }
}

#[test]
fn the_table_is_large_and_covers_every_answer() {
    let rows = rows();
    assert!(rows.len() >= 200, "only {} requests", rows.len());
    for expect in ["allow", "deny", "unknown"] {
        assert!(
            rows.iter().filter(|r| r.expect == expect).count() >= 20,
            "fewer than 20 `{expect}` rows"
        );
    }
}

#[test]
fn every_request_gets_the_answer_the_contract_requires() {
    let mut wrong = Vec::new();
    for (row, answer) in answered() {
        if answer["decision"] != decision_word(&row.expect) {
            wrong.push(format!(
                "requests.txt:{}: {} {} {} {}: expected {}, got {} ({})",
                row.line,
                row.runner,
                row.role,
                row.action,
                row.resource,
                row.expect,
                answer["decision"],
                answer["reasons"]
            ));
        }
        if answer["decision"] == "allowed" {
            assert!(
                answer["statement"]["policy"].is_string() && answer["spec"]["line"].is_u64(),
                "requests.txt:{}: an allow names its statement and spec line: {answer}",
                row.line
            );
        }
        if answer["decision"] == "unknown" {
            assert!(
                !answer["unknown_because"].as_array().unwrap().is_empty(),
                "requests.txt:{}: an unknown answer says why",
                row.line
            );
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_answer_agrees_with_an_independent_evaluator() {
    let test = "every_answer_agrees_with_an_independent_evaluator";
    if !support::simulate::available(test) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let mut by_file: BTreeMap<String, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
    let mut requests = Vec::new();
    for (index, (row, answer)) in answered().iter().enumerate() {
        let policies = by_file.entry(row.file.clone()).or_insert_with(|| {
            support::simulate::known_policies(
                &root(),
                &row.file,
                &out.path().join(format!("{}", index)),
            )
        });
        let role_name = answer["role_name"].as_str().unwrap();
        // The simulator denies a request to another account's resource without a resource
        // policy; this cross-check is about identity policies, so the principal is put in the
        // resource's account.
        let arn: Vec<&str> = row.resource.splitn(6, ':').collect();
        let partition = arn
            .get(1)
            .copied()
            .filter(|p| p.starts_with("aws"))
            .unwrap_or("aws");
        let account = arn
            .get(4)
            .copied()
            .filter(|a| a.len() == 12)
            .map(str::to_owned)
            .or_else(|| {
                answer["context"]["s3:ResourceAccount"][0]
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "123456789012".to_owned());
        requests.push(json!({
            "id": row.line.to_string(),
            "principal": format!("arn:{partition}:iam::{account}:role/{role_name}"),
            "policies": policies.get(role_name).cloned().unwrap_or_default(),
            "action": row.action,
            "resource": row.resource,
            "context": answer["context"],
        }));
    }
    let results = support::simulate::run(&requests);
    assert_eq!(results.len(), requests.len());
    let mut disagreements = Vec::new();
    let mut compared = 0;
    // Requests the simulator cannot take (an action that does not exist, a single-valued key
    // given two values): the table alone checks them.
    let mut not_comparable = Vec::new();
    for ((row, answer), result) in answered().iter().zip(&results) {
        let simulated = match result["decision"].as_str().unwrap() {
            "error" => {
                let detail = result["detail"].to_string();
                // An action on a resource type it does not take is no grant at all.
                if detail.contains("no.resource.types") || detail.contains("must.use.wildcard") {
                    "denied"
                } else if detail.contains("invalid.action") || detail.contains("is single-valued") {
                    not_comparable.push(row.line);
                    continue;
                } else {
                    disagreements.push(format!(
                        "requests.txt:{}: the simulator failed: {detail}",
                        row.line
                    ));
                    continue;
                }
            }
            decision => decision,
        };
        compared += 1;
        if answer["documents_decision"] != simulated {
            disagreements.push(format!(
                "requests.txt:{}: {} {} {} {}: runnerc's documents say {}, the simulator {} ({})",
                row.line,
                row.runner,
                row.role,
                row.action,
                row.resource,
                answer["documents_decision"],
                simulated,
                result["detail"]["result"]
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {compared}:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert!(
        not_comparable.len() <= 10,
        "too many requests the simulator cannot take: {not_comparable:?}"
    );
    assert_eq!(compared + not_comparable.len(), results.len());
}

fn can(args: &[&str]) -> Output {
    runnerc()
        .current_dir(root())
        .arg("can")
        .args(args)
        .output()
        .unwrap()
}

const ORDERS: &str = "examples/orders.runner";
const OBJECT: &str = "arn:aws:s3:::acme-cdc-landing/orders/2026/x.json";

#[test]
fn an_allow_points_at_the_spec_line_that_grants_it() {
    let output = can(&[
        "s3:PutObject",
        OBJECT,
        ORDERS,
        "--role",
        "task",
        "--color",
        "never",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with(
            "allowed: orders-cdc's task role `orders-cdc-task-role` may do `s3:PutObject`"
        ),
        "{text}"
    );
    assert!(text.contains("examples/orders.runner:17:9"), "{text}");
    assert!(text.contains("bucket \"acme-cdc-landing\""), "{text}");
    assert!(
        text.contains("statement `ReadWriteDestinationObjects` of `runnerc-policy`"),
        "{text}"
    );
    assert!(
        text.contains("assumed `s3:ResourceAccount=123456789012`"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour when told so");
}

#[test]
fn a_deny_says_why_nothing_allows_it() {
    let output = can(&[
        "s3:ListBucket",
        "arn:aws:s3:::acme-cdc-landing",
        ORDERS,
        "--role",
        "task",
        "--color",
        "never",
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("denied:"), "{text}");
    assert!(text.contains("examples/orders.runner:4:8"), "{text}");
    assert!(
        text.contains(
            "needs `s3:prefix` StringLike `orders/`, `orders/*`; the request has no `s3:prefix`"
        ),
        "{text}"
    );
    let output = can(&[
        "s3:ListBucket",
        "arn:aws:s3:::acme-cdc-landing",
        ORDERS,
        "--role",
        "task",
        "--context",
        "s3:prefix=orders/2026/",
        "--format",
        "json",
    ]);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["answers"][0]["decision"], "allowed");
    assert_eq!(
        value["answers"][0]["statement"]["sid"],
        "ListDestinationBucket1"
    );
}

/// The one answer of `can ... --format json` for one runner and role.
fn json_answer(args: &[&str]) -> Value {
    let output = can(&[args, &["--format", "json"]].concat());
    assert!(
        matches!(output.status.code(), Some(0)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let answers = value["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 1, "{value}");
    answers[0].clone()
}

/// The line (1-based) of the `nth` (from 0) line of `file` that contains `text`.
fn line_of(file: &str, text: &str, nth: usize) -> u64 {
    let source = std::fs::read_to_string(root().join(file)).unwrap();
    let index = source
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(text))
        .nth(nth)
        .unwrap_or_else(|| panic!("{file} has no {nth}th line with {text}"))
        .0;
    index as u64 + 1
}

const LISTING: &str = "tests/can/listing.runner";

#[test]
fn listing_a_bucket_names_the_destination_whose_folder_holds_the_prefix() {
    let lb = r#"bucket "acme-can-lb""#;
    let whole = r#"bucket "acme-can-whole""#;
    // (bucket, s3:prefix or none, the destination that grants it: its bucket line)
    let cases = [
        ("acme-can-lb", Some("in/2026/"), line_of(LISTING, lb, 0)),
        ("acme-can-lb", Some("crm/2026/"), line_of(LISTING, lb, 1)),
        ("acme-can-lb", Some("crm/"), line_of(LISTING, lb, 1)),
        // A destination without a prefix lists any folder, and the bucket without one.
        ("acme-can-whole", Some("in/x"), line_of(LISTING, whole, 0)),
        (
            "acme-can-whole",
            Some("crm/2026/"),
            line_of(LISTING, whole, 1),
        ),
        ("acme-can-whole", None, line_of(LISTING, whole, 1)),
    ];
    for (bucket, prefix, line) in cases {
        let resource = format!("arn:aws:s3:::{bucket}");
        let context = prefix.map(|p| format!("s3:prefix={p}"));
        let mut args = vec!["s3:ListBucket", &resource, LISTING, "--role", "task"];
        if let Some(context) = &context {
            args.extend(["--context", context]);
        }
        let answer = json_answer(&args);
        assert_eq!(
            answer["decision"], "allowed",
            "{bucket} {prefix:?}: {answer}"
        );
        assert_eq!(
            (&answer["spec"]["file"], &answer["spec"]["line"]),
            (&json!(LISTING), &json!(line)),
            "{bucket} {prefix:?}: {answer}"
        );
    }
}

#[test]
fn the_default_managed_policy_is_drawn_at_the_runner_name_or_its_default_line() {
    let policy = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
    // The execution role has a `name` line and no `managed-policy`: the policy is the default
    // the runner gets, drawn at the runner's name, not at the role's name.
    let answer = json_answer(&[
        "ecr:GetAuthorizationToken",
        "*",
        LISTING,
        "--role",
        "execution",
    ]);
    assert_eq!(answer["statement"]["policy"], policy, "{answer}");
    assert_eq!(
        (&answer["spec"]["line"], &answer["spec"]["column"]),
        (
            &json!(line_of(LISTING, r#"runner "can-listing""#, 0)),
            &json!(8)
        ),
        "{answer}"
    );
    // `managed-policy default` written out: that line.
    let roles = "tests/can/roles.runner";
    let answer = json_answer(&[
        "ecr:GetAuthorizationToken",
        "*",
        roles,
        "--runner",
        "can-exec-default",
        "--role",
        "execution",
    ]);
    assert_eq!(answer["statement"]["policy"], policy, "{answer}");
    let runner_line = line_of(roles, r#"runner "can-exec-default""#, 0);
    let default_line = (0..)
        .map(|nth| line_of(roles, "managed-policy default", nth))
        .find(|&line| line > runner_line)
        .unwrap();
    assert_eq!(answer["spec"]["line"], default_line, "{answer}");
}

#[test]
fn an_existing_role_of_one_name_in_two_partitions_is_two_roles() {
    // `can-china-shared` (aws-cn) puts its agent secret on `arn:aws-cn:...:role/ecsTaskExecutionRole`;
    // `can-global-shared`'s role is `arn:aws:...:role/ecsTaskExecutionRole`, in the same
    // 12-digit account, another role.
    let answer = json_answer(&[
        "secretsmanager:GetSecretValue",
        "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:streaming/china-agent-AbC123",
        "tests/can/partitions.runner",
        "--runner",
        "can-global-shared",
        "--role",
        "execution",
    ]);
    assert_eq!(answer["decision"], "unknown", "{answer}");
    assert_eq!(answer["documents_decision"], "denied", "{answer}");
    assert_eq!(
        answer["unknown_because"],
        json!([
            "`ecsTaskExecutionRole` is an existing role: runnerc knows only the policies runnerc puts on it (`runnerc-can-global-shared`), not the role's others"
        ]),
        "{answer}"
    );
}

#[test]
fn every_runner_and_role_is_answered_unless_narrowed() {
    let output = can(&[
        "logs:PutLogEvents",
        "arn:aws:logs:eu-west-1:123456789012:log-group:x:log-stream:y",
        "examples/fleet.runner",
        "--format",
        "json",
    ]);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let answers = value["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 6, "three runners, two roles each");
    for answer in answers {
        let expected = if answer["role"] == "execution" {
            "allowed"
        } else {
            "denied"
        };
        assert_eq!(answer["decision"], expected, "{answer}");
        if expected == "allowed" {
            assert_eq!(
                answer["statement"]["policy"],
                "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
            );
        }
    }
}

#[test]
fn expect_turns_the_answer_into_an_exit_status() {
    let secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders-db-AbC123";
    let allow = can(&[
        "secretsmanager:GetSecretValue",
        secret,
        ORDERS,
        "--role",
        "task",
        "--expect",
        "allow",
    ]);
    assert_eq!(allow.status.code(), Some(0));
    let deny = can(&[
        "secretsmanager:GetSecretValue",
        secret,
        ORDERS,
        "--role",
        "task",
        "--expect",
        "deny",
    ]);
    assert_eq!(deny.status.code(), Some(1));
    let stderr = String::from_utf8(deny.stderr).unwrap();
    assert!(
        stderr.contains("expected deny, but orders-cdc's task role is allowed"),
        "{stderr}"
    );
    // Every selected role must give the expected answer.
    let both = can(&[
        "secretsmanager:GetSecretValue",
        secret,
        ORDERS,
        "--expect",
        "allow",
    ]);
    assert_eq!(both.status.code(), Some(1));
    let nobody = can(&[
        "secretsmanager:DeleteSecret",
        secret,
        ORDERS,
        "--expect",
        "deny",
    ]);
    assert_eq!(nobody.status.code(), Some(0));
    // Unknown is neither.
    let unknown = can(&[
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:streaming/crm-agent-AbC123",
        "examples/shared-execution-role.runner",
        "--runner",
        "crm-cdc",
        "--role",
        "execution",
        "--expect",
        "allow",
    ]);
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn bad_questions_are_usage_errors_and_bad_specs_spec_errors() {
    for args in [
        vec!["s3:*", OBJECT, ORDERS],
        vec!["PutObject", OBJECT, ORDERS],
        vec!["s3:PutObject", OBJECT, ORDERS, "--runner", "nobody"],
        vec!["s3:PutObject", OBJECT, ORDERS, "--context", "novalue"],
        vec!["s3:PutObject", OBJECT, "tests/can/missing.runner"],
    ] {
        let output = can(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.starts_with("runnerc: ") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.runner");
    std::fs::write(
        &bad,
        "runner \"x\" {\n    account \"12\"\n    region \"eu-west-1\"\n}\n",
    )
    .unwrap();
    let output = can(&["s3:PutObject", OBJECT, bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("nothing evaluated")
    );
}

#[test]
fn expect_file_names_each_unexpected_row_by_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("requests.txt");
    let secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders-db-AbC123";
    std::fs::write(
        &table,
        format!(
            "# two rows right, one wrong\n\
             {ORDERS} orders-cdc task allow secretsmanager:GetSecretValue {secret}\n\
             \n\
             {ORDERS} orders-cdc execution allow secretsmanager:GetSecretValue {secret}\n\
             {ORDERS} orders-cdc task allow s3:ListBucket arn:aws:s3:::acme-cdc-landing s3:prefix=orders/\n"
        ),
    )
    .unwrap();
    let table = table.to_str().unwrap();
    let output = can(&["--expect-file", table]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "{table}:4: expected allowed, but orders-cdc's execution role is denied: \
             `secretsmanager:GetSecretValue` on `{secret}`\n\
             runnerc: 3 requests: 2 as expected, 1 not\n"
        )
    );
    // Fixed, it passes.
    let fixed = std::fs::read_to_string(table)
        .unwrap()
        .replace("execution allow", "execution deny");
    std::fs::write(table, fixed).unwrap();
    let output = can(&["--expect-file", table]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "runnerc: 3 requests: 3 as expected, 0 not\n"
    );
}

#[test]
fn expect_file_refuses_a_malformed_table_before_answering() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("bad.txt");
    std::fs::write(
        &table,
        format!(
            "{ORDERS} orders-cdc task allow s3:PutObject {OBJECT}\n\
             {ORDERS} orders-cdc admin allow s3:PutObject {OBJECT}\n\
             {ORDERS} nobody task allow s3:PutObject {OBJECT}\n"
        ),
    )
    .unwrap();
    let table = table.to_str().unwrap();
    let output = can(&["--expect-file", table]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!("runnerc: {table}:2: ROLE is `admin`, not `task` or `execution`\n")
    );
    // A runner the spec does not have is named with its line.
    let lines: String = std::fs::read_to_string(table)
        .unwrap()
        .lines()
        .filter(|line| !line.contains("admin"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(table, lines).unwrap();
    let output = can(&["--expect-file", table]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!("runnerc: {table}:2: no runner is named `nobody` in `{ORDERS}`\n")
    );
    // And it takes no single question beside it.
    let output = can(&["--expect-file", table, "s3:PutObject"]);
    assert_eq!(output.status.code(), Some(2));
}
