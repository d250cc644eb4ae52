//! The Terraform module and the CloudFormation template of every example, proven by the real
//! tools:
//!
//! - the documents inside both are exactly the `.json` files `build` writes;
//! - `terraform fmt -check` and `cfn-lint` (informational findings included) report nothing,
//!   and checkov, the IaC scanner, fails no check;
//! - Terraform: one root configuration uses every example's module, each through a provider of
//!   its runner's account; `init` (from the provider mirror), `validate`, `plan` and `apply`
//!   against moto_server, the roles read back with aws-cli; a changed spec applies, after which
//!   `plan` shows no change; `destroy` removes what the modules made and leaves the existing
//!   roles as they were; a role of the same name that runnerc did not make stops the plan;
//! - CloudFormation: each template deployed with `aws cloudformation deploy`, read back,
//!   updated from a changed spec, and deleted with its stack.
//!
//! Needs `terraform` (with hashicorp/aws mirrored at /opt/tf-plugins, or TF_PLUGIN_MIRROR),
//! `cfn-lint`, checkov (RUNNERC_CHECKOV, or `checkov` on PATH), `aws` and `moto_server`; a
//! missing tool skips loudly, or fails under `RUNNERC_E2E=1`.

mod support;

use runnerc::compile::CompiledRunner;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::iam::*;

fn build_all(paths: &[PathBuf], out: &Path, emit: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["build", "--emit", emit, "--out"])
        .arg(out)
        .args(paths)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn runner_folders(out: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    folders
}

/// The text of a heredoc as Terraform reads it: `<<-` strips the common indentation, and
/// `$${` and `%%{` stand for `${` and `%{`.
fn heredoc_text(expression: &hcl::Expression) -> String {
    let hcl::Expression::TemplateExpr(template) = expression else {
        panic!("not a heredoc: {expression:?}");
    };
    let hcl::expr::TemplateExpr::Heredoc(heredoc) = template.as_ref() else {
        panic!("not a heredoc: {template:?}");
    };
    let text = &heredoc.template;
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let stripped: String = text
        .lines()
        .map(|l| format!("{}\n", l.get(indent..).unwrap_or("")))
        .collect();
    stripped.replace("$${", "${").replace("%%{", "%{")
}

/// Every policy document in a module's `main.tf`, by the `.json` file it must equal.
fn terraform_documents(main_tf: &str) -> BTreeMap<String, String> {
    let body: hcl::Body = hcl::parse(main_tf).expect("main.tf parses");
    let mut found = BTreeMap::new();
    for block in body.blocks() {
        if block.identifier() != "resource" {
            continue;
        }
        let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
        for attribute in block.body().attributes() {
            let file = match (labels[0], labels[1], attribute.key()) {
                ("aws_iam_role", role, "assume_role_policy") => {
                    format!("{role}-role-trust-policy.json")
                }
                ("aws_iam_role_policy", role, "policy") => format!("{role}-role-policy.json"),
                _ => continue,
            };
            found.insert(file, heredoc_text(attribute.expr()));
        }
    }
    found
}

/// Every policy document in a CloudFormation template, by the `.json` file it must equal.
fn cloudformation_documents(template: &Value) -> BTreeMap<String, Value> {
    let mut found = BTreeMap::new();
    for (key, role) in [("Task", "task"), ("Execution", "execution")] {
        let resources = &template["Resources"];
        let created = &resources[format!("{key}Role")]["Properties"];
        if !created.is_null() {
            found.insert(
                format!("{role}-role-trust-policy.json"),
                created["AssumeRolePolicyDocument"].clone(),
            );
        }
        let existing = &resources[format!("{key}RolePolicy")]["Properties"];
        if !existing.is_null() {
            found.insert(
                format!("{role}-role-policy.json"),
                existing["PolicyDocument"].clone(),
            );
        }
    }
    found
}

/// The `.json` files `build` wrote for a runner.
fn json_files(folder: &Path) -> BTreeMap<String, String> {
    fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            // The IAM documents: not the template, the task-definition fragment or the
            // statements another account merges into its own policies.
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with("-policy.json") && !name.contains("-policy-")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_documents_inside_terraform_and_cloudformation_are_the_json_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = examples();
    paths.push(PathBuf::from("tests/e2e/hostile.runner"));
    build_all(&paths, dir.path(), "all");
    let mut compared = 0;
    for folder in runner_folders(dir.path()) {
        let files = json_files(&folder);
        let main_tf = fs::read_to_string(folder.join("terraform/main.tf")).unwrap();
        let terraform = terraform_documents(&main_tf);
        assert_eq!(
            terraform.keys().collect::<Vec<_>>(),
            files.keys().collect::<Vec<_>>(),
            "{}",
            folder.display()
        );
        for (name, text) in &terraform {
            assert_eq!(
                text,
                &files[name],
                "{}: {name} in main.tf",
                folder.display()
            );
            compared += 1;
        }
        let template: Value =
            serde_json::from_str(&fs::read_to_string(folder.join("cloudformation.json")).unwrap())
                .unwrap();
        // The rule that refuses another account: moto does not evaluate `Rules` (a stack of
        // one account deploys into another there), so its form is checked here and by cfn-lint.
        let equals = &template["Rules"]["RunnerAccount"]["Assertions"][0]["Assert"]["Fn::Equals"];
        let account = &template["Resources"]
            .as_object()
            .unwrap()
            .values()
            .find_map(|r| {
                let document = r["Properties"]["AssumeRolePolicyDocument"].clone();
                document["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"]
                    .as_str()
                    .map(str::to_owned)
            });
        assert_eq!(equals[0], serde_json::json!({ "Ref": "AWS::AccountId" }));
        if let Some(account) = account {
            assert_eq!(equals[1], account.as_str());
        }
        let cloudformation = cloudformation_documents(&template);
        assert_eq!(
            cloudformation.keys().collect::<Vec<_>>(),
            files.keys().collect::<Vec<_>>()
        );
        for (name, document) in &cloudformation {
            let file: Value = serde_json::from_str(&files[name]).unwrap();
            assert_eq!(
                document,
                &file,
                "{}: {name} in the template",
                folder.display()
            );
            // Not only the same meaning: the same text, indented as the file is.
            let mut text = serde_json::to_string_pretty(document).unwrap();
            text.push('\n');
            assert_eq!(text, files[name]);
            compared += 1;
        }
    }
    assert!(compared >= 60, "{compared}");
}

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn terraform_fmt_and_cfn_lint_report_nothing() {
    if !support::commands_present("terraform fmt and cfn-lint", &["terraform", "cfn-lint"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = examples();
    paths.push(PathBuf::from("tests/e2e/hostile.runner"));
    build_all(&paths, dir.path(), "terraform,cloudformation");
    for folder in runner_folders(dir.path()) {
        let fmt = run(Command::new("terraform")
            .args(["fmt", "-check", "-diff", "-recursive"])
            .arg(folder.join("terraform")));
        assert!(
            fmt.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&fmt.stdout)
        );
        let template = folder.join("cloudformation.json");
        let lint = Command::new("cfn-lint")
            .arg(&template)
            .args(["--include-checks", "I"])
            .output()
            .unwrap();
        assert!(
            lint.status.success() && lint.stdout.is_empty(),
            "cfn-lint {}:\n{}{}",
            template.display(),
            String::from_utf8_lossy(&lint.stdout),
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

/// checkov, from RUNNERC_CHECKOV or PATH.
fn checkov() -> Option<String> {
    if let Ok(path) = std::env::var("RUNNERC_CHECKOV")
        && Path::new(&path).is_file()
    {
        return Some(path);
    }
    support::has_command("checkov").then(|| "checkov".to_owned())
}

#[test]
fn checkov_fails_no_check() {
    let Some(checkov) = checkov() else {
        return support::skip("checkov", "checkov not found (RUNNERC_CHECKOV or PATH)");
    };
    let dir = tempfile::tempdir().unwrap();
    let mut paths = examples();
    paths.push(PathBuf::from("tests/e2e/hostile.runner"));
    build_all(&paths, dir.path(), "terraform,cloudformation");
    let output = Command::new(&checkov)
        .args(["-d"])
        .arg(dir.path())
        .args([
            "--framework",
            "terraform,cloudformation",
            "--skip-download",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let reports: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("checkov output is not JSON ({e}): {text}"));
    let reports = match reports {
        Value::Array(items) => items,
        one => vec![one],
    };
    let mut passed = 0;
    for report in &reports {
        let failed = report["results"]["failed_checks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let names: Vec<String> = failed
            .iter()
            .map(|c| format!("{} {} {}", c["check_id"], c["resource"], c["file_path"]))
            .collect();
        assert!(
            failed.is_empty(),
            "checkov failed checks:\n{}",
            names.join("\n")
        );
        passed += report["summary"]["passed"].as_u64().unwrap_or(0);
    }
    assert_eq!(reports.len(), 2, "one report per framework: {text}");
    assert!(passed > 0, "checkov passed no check: {text}");
}

/// A CLI configuration that installs providers from the mirror only.
fn terraform_config(dir: &Path) -> Option<PathBuf> {
    let mirror = std::env::var("TF_PLUGIN_MIRROR").unwrap_or_else(|_| "/opt/tf-plugins".into());
    if !Path::new(&mirror)
        .join("registry.terraform.io/hashicorp/aws")
        .is_dir()
    {
        return None;
    }
    let path = dir.join("terraform.rc");
    fs::write(
        &path,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{mirror}\"\n  }}\n}}\n"
        ),
    )
    .unwrap();
    Some(path)
}

fn terraform(root: &Path, config: &Path, args: &[&str]) -> Output {
    let mut command = Command::new("terraform");
    command
        .args(args)
        .current_dir(root)
        .env("TF_CLI_CONFIG_FILE", config)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1");
    for var in ["AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"] {
        command.env_remove(var);
    }
    command.output().unwrap()
}

fn terraform_ok(root: &Path, config: &Path, args: &[&str]) -> String {
    let started = std::time::Instant::now();
    let output = terraform(root, config, args);
    progress(&format!(
        "terraform {} took {:.1?}",
        args[0],
        started.elapsed()
    ));
    assert!(
        output.status.success(),
        "terraform {args:?}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A root configuration that uses each runner's module through a provider of its account.
/// IAM is global, so runners of one account and partition share a provider: each provider is a
/// process of its own, and starting one is most of what a small plan costs.
fn root_module(runners: &[(CompiledRunner, PathBuf)]) -> String {
    let mut text = String::from(
        "terraform {\n  required_providers {\n    aws = {\n      source = \"hashicorp/aws\"\n    }\n  }\n}\n",
    );
    let mut providers: Vec<(String, &'static str)> = Vec::new();
    for (index, (compiled, folder)) in runners.iter().enumerate() {
        let runner = &compiled.runner;
        let key = (runner.account.clone(), partition_of(&runner.region));
        let alias = match providers.iter().position(|p| *p == key) {
            Some(existing) => existing,
            None => {
                let account = account_for(&runner.account, &runner.region);
                text.push_str(&format!(
                    r#"
provider "aws" {{
  alias                       = "p{alias}"
  region                      = "{region}"
  access_key                  = "{access}"
  secret_key                  = "{secret}"
  token                       = "{token}"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {{
    iam = "{url}"
    sts = "{url}"
  }}
}}
"#,
                    alias = providers.len(),
                    region = runner.region,
                    access = account.keys[0],
                    secret = account.keys[1],
                    token = account.keys[2],
                    url = moto_url(),
                ));
                providers.push(key);
                providers.len() - 1
            }
        };
        text.push_str(&format!(
            "\nmodule \"r{index}\" {{\n  source    = \"{}\"\n  providers = {{ aws = aws.p{alias} }}\n}}\n",
            folder.join("terraform").display()
        ));
        // The container secrets of a runner that wires any, read back after apply.
        if folder.join("task-definition.json").exists() {
            text.push_str(&format!(
                "\noutput \"{}\" {{\n  value = module.r{index}.container_secrets\n}}\n",
                runner.name
            ));
        }
    }
    text
}

fn terraform_present(test: &str) -> Option<(tempfile::TempDir, PathBuf)> {
    if !support::commands_present(test, &["terraform", "aws", "moto_server"]) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    match terraform_config(dir.path()) {
        Some(config) => Some((dir, config)),
        None => {
            support::skip(test, "no hashicorp/aws provider mirror at /opt/tf-plugins");
            None
        }
    }
}

#[test]
fn terraform_applies_every_example_against_moto() {
    let Some((dir, config)) = terraform_present("Terraform end-to-end") else {
        return;
    };
    let out = dir.path().join("out");
    // The hostile spec too: its description holds `${HOME}`, which must reach IAM as text.
    let mut paths = examples();
    paths.push(PathBuf::from("tests/e2e/hostile.runner"));
    build_all(&paths, &out, "json,terraform");
    let compiled = compile_files(&paths);
    let runners: Vec<(CompiledRunner, PathBuf)> = compiled
        .into_iter()
        .map(|c| {
            let folder = out.join(&c.runner.name);
            (c, folder)
        })
        .collect();
    // What a real account holds before: the customer managed policies the examples attach,
    // and the roles they name `existing`.
    let mut existing_before = Vec::new();
    for (compiled, _) in &runners {
        let account = account_for(&compiled.runner.account, &compiled.runner.region);
        create_customer_policies(&account, compiled);
        create_existing_roles(&account, compiled);
    }
    for (compiled, _) in &runners {
        let account = account_for(&compiled.runner.account, &compiled.runner.region);
        for role in [&compiled.runner.task_role, &compiled.runner.execution_role] {
            if role.is_existing() {
                existing_before.push((
                    account.clone(),
                    role.name.clone(),
                    account.get_role(&role.name),
                ));
            }
        }
    }
    let root = dir.path().join("root");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("main.tf"), root_module(&runners)).unwrap();
    terraform_ok(&root, &config, &["init", "-input=false", "-no-color"]);
    // Valid, and without a warning: no deprecated argument of hashicorp/aws.
    let validate: Value =
        serde_json::from_str(&terraform_ok(&root, &config, &["validate", "-json"])).unwrap();
    assert_eq!(validate["valid"], true, "{validate}");
    assert_eq!(validate["warning_count"], 0, "{validate}");
    terraform_ok(
        &root,
        &config,
        &["plan", "-input=false", "-no-color", "-out=plan"],
    );
    terraform_ok(
        &root,
        &config,
        &["apply", "-input=false", "-no-color", "plan"],
    );
    for (compiled, _) in &runners {
        let account = account_for(&compiled.runner.account, &compiled.runner.region);
        assert_roles_match(&account, compiled);
    }
    progress("terraform applied every example");
    // `container_secrets`, as Terraform holds it after apply, is the fragment's list.
    let outputs: Value =
        serde_json::from_str(&terraform_ok(&root, &config, &["output", "-json"])).unwrap();
    let mut wired = 0;
    for (compiled, folder) in &runners {
        let fragment = folder.join("task-definition.json");
        if !fragment.exists() {
            continue;
        }
        let fragment: Value = serde_json::from_str(&fs::read_to_string(fragment).unwrap()).unwrap();
        assert_eq!(
            outputs[&compiled.runner.name]["value"], fragment["containerDefinitions"][0]["secrets"],
            "{}",
            compiled.runner.name
        );
        wired += 1;
    }
    assert!(wired >= 1, "no example wires a container secret");

    // A changed spec: another tag, another secret. Apply, then nothing left to change.
    let orders = fs::read_to_string("examples/orders.runner")
        .unwrap()
        .replace(
            "    tag \"team\" \"data-platform\"",
            "    tag \"team\" \"data-platform\"\n    tag \"stage\" \"prod\"\n    secret \"prod/orders-archive\"",
        );
    let changed = dir.path().join("orders.runner");
    fs::write(&changed, &orders).unwrap();
    build_all(std::slice::from_ref(&changed), &out, "terraform");
    terraform_ok(
        &root,
        &config,
        &["apply", "-input=false", "-no-color", "-auto-approve"],
    );
    let plan = terraform(
        &root,
        &config,
        &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
    );
    assert_eq!(
        plan.status.code(),
        Some(0),
        "plan after apply shows changes:\n{}",
        String::from_utf8_lossy(&plan.stdout)
    );
    let new_orders = compile_files(&[changed]).remove(0);
    let account = account_for(&new_orders.runner.account, &new_orders.runner.region);
    assert_roles_match(&account, &new_orders);

    terraform_ok(
        &root,
        &config,
        &["destroy", "-input=false", "-no-color", "-auto-approve"],
    );
    for (compiled, _) in &runners {
        let account = account_for(&compiled.runner.account, &compiled.runner.region);
        for role in [&compiled.runner.task_role, &compiled.runner.execution_role] {
            if !role.is_existing() {
                assert!(
                    account.get_role(&role.name).is_none(),
                    "{} survived destroy",
                    role.name
                );
            }
        }
    }
    for (account, name, before) in &existing_before {
        assert_eq!(&account.get_role(name), before, "{name} changed");
        let policies = account.aws_json(&["iam", "list-role-policies", "--role-name", name]);
        assert_eq!(policies["PolicyNames"], serde_json::json!([]), "{name}");
    }
    progress("terraform destroyed what it made and kept the existing roles");
}

#[test]
fn terraform_stops_at_plan_on_a_role_runnerc_did_not_create() {
    let Some((dir, config)) = terraform_present("Terraform ownership") else {
        return;
    };
    // A role it would create that someone else owns, an existing role whose trust policy
    // denies ECS tasks explicitly (the trust check by meaning), and a managed policy that does
    // not exist.
    let spec = "runner \"taken\" {\n    account \"777700000020\"\n    region  \"eu-west-1\"\n    secret \"prod/db\"\n    execution role {\n        name \"ecsTaskExecutionRole\"\n    }\n}\nrunner \"denied\" {\n    account \"777700000020\"\n    region  \"eu-west-1\"\n    agent secret \"agent/creds\"\n    execution role existing \"denying-exec\"\n}\nrunner \"typo\" {\n    account \"777700000020\"\n    region  \"eu-west-1\"\n    secret \"prod/db\"\n    execution role {\n        managed-policy \"arn:aws:iam::777700000020:policy/streaming-log-grups\"\n    }\n}\n";
    let path = dir.path().join("taken.runner");
    fs::write(&path, spec).unwrap();
    let out = dir.path().join("out");
    build_all(std::slice::from_ref(&path), &out, "terraform");
    let compiled = compile_files(&[path]);
    let account = account_for("777700000020", "eu-west-1");
    create_foreign_role(&account, "ecsTaskExecutionRole", &[("team", "platform")]);
    account.aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "denying-exec",
        "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]}"#,
    ]);
    let before = account.snapshot("ecsTaskExecutionRole");
    let denying_before = account.snapshot("denying-exec");
    let root = dir.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let runners: Vec<(CompiledRunner, PathBuf)> = compiled
        .into_iter()
        .map(|c| {
            let folder = out.join(&c.runner.name);
            (c, folder)
        })
        .collect();
    fs::write(root.join("main.tf"), root_module(&runners)).unwrap();
    terraform_ok(&root, &config, &["init", "-input=false", "-no-color"]);
    let apply = terraform(
        &root,
        &config,
        &["apply", "-input=false", "-no-color", "-auto-approve"],
    );
    let stderr = String::from_utf8_lossy(&apply.stderr);
    assert!(!apply.status.success());
    assert!(
        stderr.contains("Role ecsTaskExecutionRole exists, but runnerc did not create it"),
        "{stderr}"
    );
    let unwrapped = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        unwrapped.contains(
            "Role denying-exec's trust policy explicitly denies ECS tasks of account 777700000020"
        ),
        "{stderr}"
    );
    assert_eq!(account.snapshot("ecsTaskExecutionRole"), before);
    assert_eq!(account.snapshot("denying-exec"), denying_before);
    // A managed policy that does not exist (a typo) stops the plan too: no role of it is made.
    assert!(unwrapped.contains("streaming-log-grups"), "{stderr}");
    for role in ["typo-task-role", "typo-execution-role"] {
        assert!(account.get_role(role).is_none(), "{role} was created");
    }
    assert!(
        account.get_role("taken-task-role").is_none(),
        "a role was created"
    );
}

fn cloudformation(account: &Account, args: &[&str]) -> Output {
    let mut command = Command::new("aws");
    command.arg("cloudformation").args(args);
    account.env(&mut command, Path::new("."));
    command
        .env("AWS_REGION", &account.region)
        .env("AWS_DEFAULT_REGION", &account.region);
    command.output().unwrap()
}

fn deploy(account: &Account, template: &Path, stack: &str) {
    let output = cloudformation(
        account,
        &[
            "deploy",
            "--template-file",
            &template.display().to_string(),
            "--stack-name",
            stack,
            "--capabilities",
            "CAPABILITY_NAMED_IAM",
            "--no-fail-on-empty-changeset",
        ],
    );
    assert!(
        output.status.success(),
        "deploy {stack}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn cloudformation_deploys_every_example_against_moto() {
    if !support::commands_present("CloudFormation end-to-end", &["aws", "moto_server"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut paths = examples();
    paths.push(PathBuf::from("tests/e2e/hostile.runner"));
    // Other accounts than the Terraform test's, which runs beside this one on the same moto.
    let shift = |text: &str| {
        [
            "111122223333",
            "123456789012",
            "210987654321",
            "444455556666",
        ]
        .iter()
        .fold(text.to_owned(), |text, account| {
            text.replace(account, &format!("7777{}", &account[4..]))
        })
    };
    let mut compiled = Vec::new();
    for path in &paths {
        let spec = dir.path().join(path.file_name().unwrap());
        fs::write(&spec, shift(&fs::read_to_string(path).unwrap())).unwrap();
        compiled.push(spec);
    }
    build_all(&compiled, &out, "cloudformation");
    let runners = compile_files(&compiled);
    for runner in &runners {
        let account = account_for(&runner.runner.account, &runner.runner.region);
        create_customer_policies(&account, runner);
        create_existing_roles(&account, runner);
    }
    for runner in &runners {
        let account = account_for(&runner.runner.account, &runner.runner.region);
        let template = out.join(&runner.runner.name).join("cloudformation.json");
        let stack = format!(
            "runnerc-{}",
            runner
                .runner
                .name
                .replace(['.', '@', '=', ',', '+', '_'], "-")
        );
        deploy(&account, &template, &stack);
        assert_roles_match_piecewise(&account, runner);
        // The attachments, which moto's CloudFormation leaves out, as the template holds them.
        let template: Value =
            serde_json::from_str(&fs::read_to_string(&template).unwrap()).unwrap();
        for (key, role) in [
            ("TaskRole", &runner.runner.task_role),
            ("ExecutionRole", &runner.runner.execution_role),
        ] {
            let arns = &template["Resources"][key]["Properties"]["ManagedPolicyArns"];
            let expected: Vec<&str> = role.managed_policies.iter().map(String::as_str).collect();
            match arns.as_array() {
                Some(arns) => assert_eq!(arns, &expected, "{key}"),
                None => assert!(expected.is_empty(), "{key}: no ManagedPolicyArns"),
            }
        }
    }
    progress("cloudformation deployed every example");

    // An update from a changed spec.
    let orders_path = dir.path().join("orders.runner");
    let orders = fs::read_to_string(&orders_path).unwrap().replace(
        "    tag \"team\" \"data-platform\"",
        "    tag \"team\" \"data-platform\"\n    secret \"prod/orders-archive\"",
    );
    fs::write(&orders_path, &orders).unwrap();
    build_all(std::slice::from_ref(&orders_path), &out, "cloudformation");
    let changed = compile_files(&[orders_path]).remove(0);
    let account = account_for(&changed.runner.account, &changed.runner.region);
    deploy(
        &account,
        &out.join("orders-cdc/cloudformation.json"),
        "runnerc-orders-cdc",
    );
    assert_roles_match_piecewise(&account, &changed);

    // Deleting the stacks removes what they made; existing roles stay, without the policies.
    for runner in &runners {
        let account = account_for(&runner.runner.account, &runner.runner.region);
        let stack = format!(
            "runnerc-{}",
            runner
                .runner
                .name
                .replace(['.', '@', '=', ',', '+', '_'], "-")
        );
        let deleted = cloudformation(&account, &["delete-stack", "--stack-name", &stack]);
        assert!(deleted.status.success());
        let waited = cloudformation(
            &account,
            &["wait", "stack-delete-complete", "--stack-name", &stack],
        );
        assert!(
            waited.status.success(),
            "{}",
            String::from_utf8_lossy(&waited.stderr)
        );
        for role in [&runner.runner.task_role, &runner.runner.execution_role] {
            let live = account.get_role(&role.name);
            if role.is_existing() {
                assert!(live.is_some(), "{} was deleted", role.name);
                let policies =
                    account.aws_json(&["iam", "list-role-policies", "--role-name", &role.name]);
                let names: Vec<&str> = policies["PolicyNames"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect();
                assert!(
                    !names.contains(&runner.runner.inline_policy_name(role).as_str()),
                    "{names:?}"
                );
            } else {
                assert!(live.is_none(), "{} survived the stack", role.name);
            }
        }
    }
    progress("cloudformation stacks deleted");
}

/// The Terraform module's trust check of an existing role decides every case of
/// tests/support/trust_cases.rs as the scripts do: each case's trust policy goes through the
/// module's own locals (`trust_locals`), evaluated by `terraform console`, and the
/// module's preconditions' rule (a Deny that applies or may apply, no Allow that applies)
/// turns the verdicts into the outcome.
#[test]
fn terraform_judges_an_existing_roles_trust_as_the_scripts_do() {
    use runnerc::ast::RoleKind;
    use runnerc::lower::terraform::trust_locals;
    use support::trust_cases::{ACCOUNT, Outcome, cases};
    if !support::commands_present("Terraform trust by meaning", &["terraform"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let mut locals = format!(
        "locals {{\n  account   = \"{ACCOUNT}\"\n  partition = \"aws\"\n  region    = \"eu-west-1\"\n"
    );
    for (index, case) in cases.iter().enumerate() {
        let kind = if case.kind == "task" {
            RoleKind::Task
        } else {
            RoleKind::Execution
        };
        let literal = serde_json::to_string(&case.document()).unwrap();
        let document = format!("jsondecode({literal})");
        locals.push_str(&trust_locals(kind, &format!("case_{index}"), &document));
    }
    locals.push_str("}\n");
    fs::write(dir.path().join("main.tf"), locals).unwrap();
    let query: Vec<String> = (0..cases.len())
        .map(|index| format!("[for s in local.case_{index} : \"${{s.effect}}:${{s.verdict}}\"]"))
        .collect();
    let mut command = Command::new("terraform");
    command
        .args(["console"])
        .current_dir(dir.path())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "jsonencode([{}])", query.join(", ")).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The console prints the JSON text as an HCL string.
    let text: String = serde_json::from_str(stdout.trim()).expect("a quoted string");
    let verdicts: Vec<Vec<String>> = serde_json::from_str(&text).unwrap();
    for (case, verdicts) in cases.iter().zip(&verdicts) {
        let has = |v: &str| verdicts.iter().any(|x| x == v);
        let outcome = if has("Deny:yes") {
            Outcome::Denied
        } else if has("Deny:maybe") || (!has("Allow:yes") && has("Allow:maybe")) {
            Outcome::Unsure
        } else if !has("Allow:yes") {
            Outcome::NotTrusted
        } else {
            Outcome::Accepted
        };
        assert_eq!(outcome, case.outcome, "{}: {verdicts:?}", case.what);
    }
    assert_eq!(verdicts.len(), cases.len());
}
