//! The generated aws-cli scripts, run for real against one local IAM endpoint (moto_server on
//! 127.0.0.1, shared by every test here; each test works in accounts of its own, reached
//! through `sts assume-role`, which moto answers for any account):
//!
//! - every example's `create-roles.sh` twice, the roles read back with `aws` and compared with
//!   the compiled documents, then `delete-roles.sh` twice;
//! - roles runnerc did not create (untagged, or another runner's) are refused before any
//!   change, by create and by delete, and left exactly as they were; `--adopt` takes over an
//!   untagged role only when asked;
//! - a tag update never puts more than IAM's 50 tags on a role (moto does not enforce the
//!   limit, so a wrapper around `aws` counts the tags after every `tag-role`);
//! - a hostile spec never runs, a changed spec converges, the wrong account is refused;
//! - the scripts and their helpers pass shellcheck.
//!
//! Needs `aws`, `moto_server` and `shellcheck`; without them these tests are skipped loudly,
//! and with `RUNNERC_E2E=1` a missing tool is a failure.

mod support;

use runnerc::compile::{CompiledRunner, compile};
use runnerc::diag::Sources;
use runnerc::model::OWNER_TAG_KEY;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Progress of the long tests, written past the harness's capture.
fn progress(line: &str) {
    let _ = writeln!(std::io::stderr(), "    aws-cli: {line}");
}

/// The moto_server every test shares, started on first use on a free loopback port. A shell
/// watches this test process and stops moto when it exits.
// The watcher outlives every handle this process could wait on: it ends after the process.
#[allow(clippy::zombie_processes)]
fn moto_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let watch = format!(
            "moto_server -H 127.0.0.1 -p {port} >/dev/null 2>&1 & moto=$!; \
             while kill -0 {} 2>/dev/null; do sleep 1; done; kill $moto",
            std::process::id()
        );
        Command::new("sh")
            .args(["-c", &watch])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        format!("http://127.0.0.1:{port}")
    })
}

/// Credentials of one account, in the partition of `region`.
#[derive(Clone)]
struct Account {
    region: String,
    keys: [String; 3],
}

fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Credentials that moto answers as `account`: an assumed role there (moto creates accounts
/// on first use). Cached per account and partition.
fn account_for(id: &str, region: &str) -> Account {
    type Keys = HashMap<(String, &'static str), [String; 3]>;
    static CACHE: OnceLock<Mutex<Keys>> = OnceLock::new();
    let partition = partition_of(region);
    let key = (id.to_owned(), partition);
    let cache = CACHE.get_or_init(Default::default);
    if let Some(keys) = cache.lock().unwrap().get(&key) {
        return Account {
            region: region.to_owned(),
            keys: keys.clone(),
        };
    }
    let mut command = Command::new("aws");
    command.args([
        "sts",
        "assume-role",
        "--role-arn",
        &format!("arn:{partition}:iam::{id}:role/runnerc-tests"),
        "--role-session-name",
        "runnerc-tests",
        "--query",
        "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]",
        "--output",
        "text",
    ]);
    base_env(&mut command, Path::new("."));
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", region)
        .env("AWS_DEFAULT_REGION", region);
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "assume-role: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let fields: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    let keys: [String; 3] = fields.try_into().expect("three credential fields");
    cache.lock().unwrap().insert(key, keys.clone());
    Account {
        region: region.to_owned(),
        keys,
    }
}

/// The AWS environment pointed at moto, with nothing from the user's own.
fn base_env(command: &mut Command, cwd: &Path) {
    for var in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        command.env_remove(var);
    }
    command
        .current_dir(cwd)
        .env("AWS_ENDPOINT_URL", moto_url())
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
}

impl Account {
    fn env(&self, command: &mut Command, cwd: &Path) {
        base_env(command, cwd);
        command
            .env("AWS_ACCESS_KEY_ID", &self.keys[0])
            .env("AWS_SECRET_ACCESS_KEY", &self.keys[1])
            .env("AWS_SESSION_TOKEN", &self.keys[2]);
    }

    /// Runs a script as a user would: no AWS_REGION, so the script's own default applies.
    fn script(&self, script: &Path, cwd: &Path, args: &[&str]) -> Output {
        let mut command = Command::new("bash");
        command.arg(script).args(args);
        self.env(&mut command, cwd);
        command.output().unwrap()
    }

    fn run_script(&self, script: &Path, cwd: &Path, args: &[&str]) -> String {
        let output = self.script(script, cwd, args);
        assert!(
            output.status.success(),
            "{} failed:\n{}{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn aws(&self, args: &[&str]) -> Output {
        let mut command = Command::new("aws");
        command.args(args).args(["--output", "json"]);
        self.env(&mut command, Path::new("."));
        command
            .env("AWS_REGION", &self.region)
            .env("AWS_DEFAULT_REGION", &self.region);
        command.output().unwrap()
    }

    fn aws_json(&self, args: &[&str]) -> Value {
        let output = self.aws(args);
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if output.stdout.iter().all(u8::is_ascii_whitespace) {
            return Value::Null;
        }
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// Every role of the account, by name, as `get-account-authorization-details` exports it
    /// (trust policy, inline policies, attachments, tags, path) in one call.
    fn roles(&self) -> BTreeMap<String, Value> {
        let export = self.aws_json(&[
            "iam",
            "get-account-authorization-details",
            "--filter",
            "Role",
        ]);
        export["RoleDetailList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|role| (role["RoleName"].as_str().unwrap().to_owned(), role.clone()))
            .collect()
    }

    /// `get-role`, for what the export leaves out (description, session duration).
    fn get_role(&self, name: &str) -> Option<Value> {
        let output = self.aws(&["iam", "get-role", "--role-name", name]);
        if !output.status.success() {
            assert!(String::from_utf8_lossy(&output.stderr).contains("NoSuchEntity"));
            return None;
        }
        Some(serde_json::from_slice::<Value>(&output.stdout).unwrap()["Role"].clone())
    }

    /// Everything IAM holds about a role: its export and its `get-role`.
    fn snapshot(&self, name: &str) -> (Option<Value>, Option<Value>) {
        (self.roles().remove(name), self.get_role(name))
    }
}

/// aws-cli returns policy documents decoded; moto may hand them back URL-encoded.
fn document(value: &Value) -> Value {
    match value {
        Value::String(text) => {
            let decoded = percent_decode(text);
            serde_json::from_str(&decoded).unwrap_or(Value::String(decoded))
        }
        other => other.clone(),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn compile_files(paths: &[PathBuf]) -> Vec<CompiledRunner> {
    let mut sources = Sources::new();
    for path in paths {
        sources.add(
            path.display().to_string(),
            fs::read_to_string(path).unwrap(),
        );
    }
    let compilation = compile(&sources);
    assert!(!compilation.has_errors());
    compilation.lowered()
}

fn build(paths: &[PathBuf], out: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["build", "--emit", "json,aws-cli", "--out"])
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

/// Writes a spec into `dir` and builds it into `dir/out`; returns the runner's folder.
fn build_spec(dir: &Path, name: &str, text: &str) -> PathBuf {
    let spec = dir.join(format!("{name}.runner"));
    fs::write(&spec, text).unwrap();
    let out = dir.join(format!("out-{name}"));
    build(&[spec], &out);
    fs::read_dir(&out).unwrap().next().unwrap().unwrap().path()
}

/// Reads both roles back and compares them with what the compiler meant.
fn assert_roles_match(account: &Account, compiled: &CompiledRunner) {
    let runner = &compiled.runner;
    let exported = account.roles();
    let roles = [
        (
            &runner.task_role,
            &compiled.documents.task_trust,
            &compiled.documents.task,
        ),
        (
            &runner.execution_role,
            &compiled.documents.execution_trust,
            &compiled.documents.execution,
        ),
    ];
    for (role, trust, policy) in roles {
        let name = role.name.as_str();
        let policy_name = runner.inline_policy_name(role);
        let export = &exported[name];
        if role.is_existing() {
            // Someone else's role: runnerc's policy is there, under the runner's name.
            let found = export["RolePolicyList"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["PolicyName"] == policy_name.as_str())
                .map(|p| document(&p["PolicyDocument"]));
            let expected = policy.as_ref().map(|p| serde_json::to_value(p).unwrap());
            assert_eq!(found, expected, "{name}: {policy_name}");
            continue;
        }
        let trust = trust.as_ref().expect("a created role has a trust policy");
        let got = account
            .get_role(name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(got["Path"], role.path.as_str(), "{name}: path");
        assert_eq!(
            got["Arn"],
            format!(
                "arn:{}:iam::{}:role{}{name}",
                runner.partition, runner.account, role.path
            )
            .as_str()
        );
        let trust = serde_json::to_value(trust).unwrap();
        assert_eq!(
            document(&got["AssumeRolePolicyDocument"]),
            trust,
            "{name}: trust policy"
        );
        assert_eq!(document(&export["AssumeRolePolicyDocument"]), trust);
        assert_eq!(
            got["Description"].as_str().unwrap_or(""),
            role.description.as_deref().unwrap_or(""),
            "{name}: description"
        );
        assert_eq!(
            got["MaxSessionDuration"].as_u64(),
            Some(u64::from(role.max_session_duration.unwrap_or(3600)))
        );
        assert_eq!(
            got["PermissionsBoundary"]["PermissionsBoundaryArn"].as_str(),
            role.permissions_boundary.as_deref(),
            "{name}: boundary"
        );

        let inline: Vec<(&str, Value)> = export["RolePolicyList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["PolicyName"].as_str().unwrap(),
                    document(&p["PolicyDocument"]),
                )
            })
            .collect();
        let expected: Vec<(&str, Value)> = policy
            .iter()
            .map(|p| (policy_name.as_str(), serde_json::to_value(p).unwrap()))
            .collect();
        assert_eq!(inline, expected, "{name}: inline policies");

        let mut arns: Vec<&str> = export["AttachedManagedPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyArn"].as_str().unwrap())
            .collect();
        arns.sort();
        let mut expected: Vec<&str> = role.managed_policies.iter().map(String::as_str).collect();
        expected.sort();
        assert_eq!(arns, expected, "{name}: attachments");

        let tags: BTreeMap<&str, &str> = export["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["Key"].as_str().unwrap(), t["Value"].as_str().unwrap()))
            .collect();
        let role_tags = runner.role_tags();
        let expected: BTreeMap<&str, &str> = role_tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect();
        assert_eq!(tags, expected, "{name}: tags");
        assert_eq!(tags.get(OWNER_TAG_KEY), Some(&runner.name.as_str()));
    }
}

fn assert_roles_gone(account: &Account, compiled: &CompiledRunner) {
    let exported = account.roles();
    for role in [&compiled.runner.task_role, &compiled.runner.execution_role] {
        if role.is_existing() {
            // The role stays; runnerc's policy on it is gone.
            let policy_name = compiled.runner.inline_policy_name(role);
            if let Some(export) = exported.get(&role.name) {
                let names: Vec<&str> = export["RolePolicyList"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["PolicyName"].as_str().unwrap())
                    .collect();
                assert!(!names.contains(&policy_name.as_str()), "{names:?}");
            }
            continue;
        }
        assert!(
            !exported.contains_key(&role.name),
            "{} still exists",
            role.name
        );
    }
}

fn examples() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "runner"))
        .collect();
    paths.sort();
    paths
}

/// The customer managed policies a runner attaches or uses as a boundary must exist before
/// IAM accepts them, as in a real account.
fn create_customer_policies(account: &Account, compiled: &CompiledRunner) {
    let runner = &compiled.runner;
    let mut arns: Vec<&str> = Vec::new();
    for role in [&runner.task_role, &runner.execution_role] {
        arns.extend(role.managed_policies.iter().map(String::as_str));
        arns.extend(role.permissions_boundary.as_deref());
    }
    for arn in arns {
        let Some(rest) = arn.strip_prefix(&format!(
            "arn:{}:iam::{}:policy",
            runner.partition, runner.account
        )) else {
            continue;
        };
        let (path, name) = rest.rsplit_once('/').unwrap();
        create_policy(account, name, &format!("{path}/"));
    }
}

fn create_policy(account: &Account, name: &str, path: &str) {
    let output = account.aws(&[
        "iam",
        "create-policy",
        "--policy-name",
        name,
        "--path",
        path,
        "--policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"*"}]}"#,
    ]);
    assert!(
        output.status.success()
            || String::from_utf8_lossy(&output.stderr).contains("EntityAlreadyExists")
    );
}

/// The trust policy of a role made outside runnerc for ECS tasks.
const ECS_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The roles a runner names `existing` must exist, trusting ECS tasks, as in a real account.
fn create_existing_roles(account: &Account, compiled: &CompiledRunner) {
    for role in [&compiled.runner.task_role, &compiled.runner.execution_role] {
        if !role.is_existing() {
            continue;
        }
        let output = account.aws(&[
            "iam",
            "create-role",
            "--role-name",
            &role.name,
            "--path",
            &role.path,
            "--assume-role-policy-document",
            ECS_TRUST,
        ]);
        assert!(
            output.status.success()
                || String::from_utf8_lossy(&output.stderr).contains("EntityAlreadyExists"),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Creates the roles twice, reading them back each time, then deletes them twice.
fn create_twice_then_delete_twice(compiled: &CompiledRunner, folder: &Path, cwd: &Path) {
    let runner = &compiled.runner;
    let account = account_for(&runner.account, &runner.region);
    create_customer_policies(&account, compiled);
    create_existing_roles(&account, compiled);
    let create = folder.join("create-roles.sh");
    let delete = folder.join("delete-roles.sh");
    let first = account.run_script(&create, cwd, &[]);
    let second = account.run_script(&create, cwd, &[]);
    for role in [&runner.task_role, &runner.execution_role] {
        if !role.is_existing() {
            let name = &role.name;
            assert!(first.contains(&format!("created role {name}")), "{first}");
            assert!(second.contains(&format!("updated role {name}")), "{second}");
        }
    }
    assert_roles_match(&account, compiled);
    let deleted = account.run_script(&delete, cwd, &[]);
    for role in [&runner.task_role, &runner.execution_role] {
        let done = if role.is_existing() {
            format!(
                "removed inline policy {} from {}",
                runner.inline_policy_name(role),
                role.name
            )
        } else {
            format!("deleted role {}", role.name)
        };
        assert!(deleted.contains(&done), "{deleted}");
    }
    assert_roles_gone(&account, compiled);
    account.run_script(&delete, cwd, &[]);
}

fn tools_present(test: &str) -> bool {
    support::commands_present(test, &["aws", "moto_server"])
}

#[test]
fn every_example_creates_updates_and_deletes_its_roles() {
    if !tools_present("aws-cli end-to-end") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let paths = examples();
    build(&paths, &out);
    let runners = compile_files(&paths);
    // aws-cli spends most of its time starting Python: three runners go at once.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(compiled) = runners.get(index) else {
                            break;
                        };
                        create_twice_then_delete_twice(
                            compiled,
                            &out.join(&compiled.runner.name),
                            dir.path(),
                        );
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        progress(&format!(
                            "{} created, updated and deleted ({n}/{}, {:.0?})",
                            compiled.runner.name,
                            runners.len(),
                            started.elapsed()
                        ));
                    }
                })
            })
            .collect();
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// A spec that names a role someone else owns, in an account of its own.
const SHARED_NAME_SPEC: &str = r#"
runner "shared-name" {
    account "777700000001"
    region  "eu-west-1"
    secret "prod/db"
    agent secret "agent/creds"
    execution role {
        name "ecsTaskExecutionRole"
    }
    tag "team" "streaming"
}
"#;

/// A role made outside runnerc: a trust policy, another team's inline policy, two managed
/// policies and tags.
fn create_foreign_role(account: &Account, name: &str, tags: &[(&str, &str)]) {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let tags: Vec<String> = tags
        .iter()
        .map(|(k, v)| format!("Key={k},Value={v}"))
        .collect();
    let mut args = vec![
        "iam",
        "create-role",
        "--role-name",
        name,
        "--assume-role-policy-document",
        trust,
        "--description",
        "made by another team",
    ];
    if !tags.is_empty() {
        args.push("--tags");
        args.extend(tags.iter().map(String::as_str));
    }
    account.aws_json(&args);
    account.aws_json(&[
        "iam",
        "put-role-policy",
        "--role-name",
        name,
        "--policy-name",
        "other-team",
        "--policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}"#,
    ]);
    create_policy(account, "other-team-policy", "/");
    for arn in [
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy".to_owned(),
        format!(
            "arn:aws:iam::{}:policy/other-team-policy",
            account_id_of(account)
        ),
    ] {
        let output = account.aws(&[
            "iam",
            "attach-role-policy",
            "--role-name",
            name,
            "--policy-arn",
            &arn,
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn account_id_of(account: &Account) -> String {
    account.aws_json(&["sts", "get-caller-identity"])["Account"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn roles_runnerc_did_not_create_are_never_changed_or_deleted() {
    if !tools_present("aws-cli ownership") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = build_spec(dir.path(), "shared-name", SHARED_NAME_SPEC);
    let create = folder.join("create-roles.sh");
    let delete = folder.join("delete-roles.sh");
    let account = account_for("777700000001", "eu-west-1");
    create_foreign_role(&account, "ecsTaskExecutionRole", &[("team", "platform")]);
    let before = account.snapshot("ecsTaskExecutionRole");
    assert!(before.0.is_some() && before.1.is_some());

    // create-roles.sh refuses before its first change: not even the task role, which does not
    // exist yet, is created.
    let output = account.script(&create, dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "create-roles.sh succeeded");
    assert!(
        stderr.contains("role ecsTaskExecutionRole exists, but runnerc did not create it")
            && stderr.contains("another name in the spec")
            && stderr.contains("--adopt ecsTaskExecutionRole")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(account.snapshot("ecsTaskExecutionRole"), before);
    assert!(account.get_role("shared-name-task-role").is_none());

    // delete-roles.sh refuses too, and deletes nothing.
    let output = account.script(&delete, dir.path(), &[]);
    assert!(!output.status.success(), "delete-roles.sh succeeded");
    assert!(String::from_utf8_lossy(&output.stderr).contains("ecsTaskExecutionRole"));
    assert_eq!(account.snapshot("ecsTaskExecutionRole"), before);

    // Another runner's role: refused by create and delete, also with --adopt.
    let other = account_for("777700000003", "eu-west-1");
    create_foreign_role(
        &other,
        "ecsTaskExecutionRole",
        &[(OWNER_TAG_KEY, "someone-else")],
    );
    let other_before = other.snapshot("ecsTaskExecutionRole");
    let mut shifted = SHARED_NAME_SPEC.replace("777700000001", "777700000003");
    shifted = shifted.replace("shared-name", "shared-other");
    let other_folder = build_spec(dir.path(), "shared-other", &shifted);
    for (script, args) in [
        ("create-roles.sh", &[][..]),
        ("create-roles.sh", &["--adopt", "ecsTaskExecutionRole"][..]),
        ("delete-roles.sh", &[][..]),
    ] {
        let output = other.script(&other_folder.join(script), dir.path(), args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{script} {args:?} succeeded");
        assert!(
            stderr.contains("belongs to runner someone-else"),
            "{script}: {stderr}"
        );
        assert_eq!(other.snapshot("ecsTaskExecutionRole"), other_before);
    }
    assert!(other.get_role("shared-other-task-role").is_none());
    progress("pre-existing roles refused and left as they were");
}

#[test]
fn adopt_takes_over_a_role_of_an_earlier_runnerc_only_when_asked() {
    if !tools_present("aws-cli adoption") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = SHARED_NAME_SPEC
        .replace("777700000001", "777700000002")
        .replace("shared-name", "legacy");
    let folder = build_spec(dir.path(), "legacy", &spec);
    let account = account_for("777700000002", "eu-west-1");
    // What runnerc 0.1 left: the role under its name, with no ownership tag.
    account.aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "ecsTaskExecutionRole",
        "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[]}"#,
    ]);
    let create = folder.join("create-roles.sh");
    let output = account.script(&create, dir.path(), &["--adopt", "not-a-role-of-it"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a role of runner legacy"));
    assert!(account.get_role("legacy-task-role").is_none());

    let adopted = account.run_script(&create, dir.path(), &["--adopt", "ecsTaskExecutionRole"]);
    assert!(
        adopted.contains("adopting role ecsTaskExecutionRole"),
        "{adopted}"
    );
    let compiled = compile_files(&[dir.path().join("legacy.runner")]).remove(0);
    assert_roles_match(&account, &compiled);
    // From now on the role is this runner's: no --adopt needed.
    account.run_script(&create, dir.path(), &[]);
    account.run_script(&folder.join("delete-roles.sh"), dir.path(), &[]);
    assert_roles_gone(&account, &compiled);
}

/// A wrapper around the real `aws` that fails as IAM would when a role holds more than 50
/// tags after a `tag-role` call; moto does not enforce the limit.
fn fifty_tag_limit_wrapper(dir: &Path) -> PathBuf {
    let real = Command::new("sh")
        .args(["-c", "command -v aws"])
        .output()
        .unwrap();
    let real = String::from_utf8(real.stdout).unwrap().trim().to_owned();
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let script = format!(
        r#"#!/usr/bin/env bash
# The real aws, then IAM's 50-tag limit checked after every tag-role.
"{real}" "$@" || exit $?
if [ "$1 $2" = "iam tag-role" ]; then
    count=$("{real}" iam list-role-tags --role-name "$4" --query 'length(Tags)' --output text)
    echo "tag-role $4: $count tags" >>"{log}"
    if [ "$count" -gt 50 ]; then
        echo "An error occurred (LimitExceeded): $4 would have $count tags, more than 50" >&2
        exit 254
    fi
fi
"#,
        log = dir.join("tags.log").display()
    );
    let path = bin.join("aws");
    fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn a_tag_update_never_holds_more_than_fifty_tags() {
    if !tools_present("aws-cli tag limit") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = |prefix: &str| {
        let tags: String = (0..49)
            .map(|i| format!("    tag \"{prefix}{i:02}\" \"v\"\n"))
            .collect();
        format!(
            "runner \"many-tags\" {{\n    account \"777700000004\"\n    region \"eu-west-1\"\n{tags}}}\n"
        )
    };
    let first = build_spec(dir.path(), "first", &spec("a"));
    let second = build_spec(dir.path(), "second", &spec("b"));
    let account = account_for("777700000004", "eu-west-1");
    let bin = fifty_tag_limit_wrapper(dir.path());
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    for folder in [&first, &second] {
        let mut command = Command::new("bash");
        command.arg(folder.join("create-roles.sh"));
        account.env(&mut command, dir.path());
        command.env("PATH", &path);
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}: {}",
            folder.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let log = fs::read_to_string(dir.path().join("tags.log")).unwrap();
    // The second run updated both roles: each ended with exactly 50 tags.
    assert_eq!(log.matches(": 50 tags").count(), 2, "{log}");
    let tags = &account.roles()["many-tags-task-role"]["Tags"];
    let keys: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 50);
    assert!(
        keys.iter()
            .all(|k| k.starts_with('b') || *k == OWNER_TAG_KEY)
    );
}

#[test]
fn hostile_spec_content_never_runs_and_a_changed_spec_converges() {
    if !tools_present("aws-cli hostile spec") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let hostile = vec![PathBuf::from("tests/e2e/hostile.runner")];
    let converged = vec![PathBuf::from("tests/e2e/converged.runner")];
    build(&hostile, &dir.path().join("v1"));
    build(&converged, &dir.path().join("v2"));
    let v1 = compile_files(&hostile).remove(0);
    let v2 = compile_files(&converged).remove(0);
    let account = account_for(&v1.runner.account, &v1.runner.region);

    account.run_script(
        &dir.path().join("v1/hostile-cdc/create-roles.sh"),
        &work,
        &[],
    );
    assert_roles_match(&account, &v1);
    // The descriptions arrived byte for byte, `file://` included (aws-cli did not read a file).
    let description = v1.runner.task_role.description.as_deref().unwrap();
    assert!(description.contains("$(touch pwned-description)") && description.contains('\n'));
    assert_eq!(
        v1.runner.execution_role.description.as_deref(),
        Some("file:///etc/hostname")
    );

    account.run_script(
        &dir.path().join("v2/hostile-cdc/create-roles.sh"),
        &work,
        &[],
    );
    assert_roles_match(&account, &v2);
    account.run_script(
        &dir.path().join("v2/hostile-cdc/delete-roles.sh"),
        &work,
        &[],
    );
    assert_roles_gone(&account, &v2);

    let created: Vec<_> = fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        created.is_empty(),
        "spec content ran as a command: {created:?}"
    );
}

#[test]
fn the_wrong_account_is_refused_with_the_way_out() {
    if !tools_present("aws-cli account check") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = build_spec(dir.path(), "shared-name", SHARED_NAME_SPEC);
    let wrong = account_for("777700000009", "eu-west-1");
    let output = wrong.script(&folder.join("create-roles.sh"), dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("the credentials are for account 777700000009")
            && stderr.contains("AWS_PROFILE=")
            && stderr.contains("`account` line"),
        "{stderr}"
    );
    assert!(wrong.roles().is_empty(), "a role was created");
}

#[test]
fn every_script_passes_shellcheck() {
    if !support::commands_present("shellcheck", &["shellcheck"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = examples();
    paths.push(PathBuf::from("tests/e2e/hostile.runner"));
    build(&paths, dir.path());
    let mut scripts = Vec::new();
    for runner in fs::read_dir(dir.path()).unwrap() {
        for file in fs::read_dir(runner.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "sh") {
                scripts.push(path);
            }
        }
    }
    assert!(scripts.len() >= 2 * paths.len());
    let output = Command::new("shellcheck")
        .args(["--severity=style", "--shell=bash"])
        .args(&scripts)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "shellcheck:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    // The helpers on their own, as they stand in the source.
    let output = Command::new("shellcheck")
        .args(["--severity=style", "src/lower/aws_cli.sh"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "shellcheck src/lower/aws_cli.sh:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// A stale managed policy whose ARN holds a glob character (`*` is allowed in policy paths) is
/// detached by its own ARN, never by the names of files it happens to match.
#[test]
fn stale_policy_arns_are_never_read_as_glob_patterns() {
    if !tools_present("aws-cli glob") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = "runner \"globbed\" {\n    account \"777700000005\"\n    region \"eu-west-1\"\n}\n";
    let folder = build_spec(dir.path(), "globbed", spec);
    let account = account_for("777700000005", "eu-west-1");
    let create = folder.join("create-roles.sh");
    account.run_script(&create, dir.path(), &[]);
    // An attachment the spec does not list, as an earlier spec might have left it.
    create_policy(&account, "glob", "/team*/");
    let stale = "arn:aws:iam::777700000005:policy/team*/glob";
    account.aws_json(&[
        "iam",
        "attach-role-policy",
        "--role-name",
        "globbed-execution-role",
        "--policy-arn",
        stale,
    ]);
    // A file in the working folder that the ARN, read as a pattern, would match.
    let cwd = dir.path().join("cwd");
    fs::create_dir_all(cwd.join("arn:aws:iam::777700000005:policy/teamX")).unwrap();
    fs::write(cwd.join("arn:aws:iam::777700000005:policy/teamX/glob"), "").unwrap();
    let output = account.run_script(&create, &cwd, &[]);
    assert!(
        output.contains(&format!("detached {stale} from")),
        "{output}"
    );
    let attached = &account.roles()["globbed-execution-role"]["AttachedManagedPolicies"];
    let arns: Vec<&str> = attached
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyArn"].as_str().unwrap())
        .collect();
    assert_eq!(
        arns,
        ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    );
    account.run_script(&folder.join("delete-roles.sh"), &cwd, &[]);
}

/// A path conflict on the execution role is found before the task role is touched.
#[test]
fn a_path_conflict_stops_the_run_before_its_first_change() {
    if !tools_present("aws-cli path conflict") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = "runner \"moved\" {\n    account \"777700000006\"\n    region \"eu-west-1\"\n    secret \"prod/db\"\n}\n";
    let folder = build_spec(dir.path(), "moved", spec);
    let account = account_for("777700000006", "eu-west-1");
    // This runner's execution role, under another path than the spec's.
    account.aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "moved-execution-role",
        "--path",
        "/elsewhere/",
        "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        "--tags",
        &format!("Key={OWNER_TAG_KEY},Value=moved"),
    ]);
    let before = account.snapshot("moved-execution-role");
    let output = account.script(&folder.join("create-roles.sh"), dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("exists under path /elsewhere/, not /")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert!(
        account.get_role("moved-task-role").is_none(),
        "the task role was created"
    );
    assert_eq!(account.snapshot("moved-execution-role"), before);
}

/// Issue 9's proof: the account's shared `ecsTaskExecutionRole`, with its own trust policy,
/// inline policy, managed attachment and tags, shared by two runners of a fleet of three.
/// Each runner adds only `runnerc-<runner>` and removes only that; everything else on the role
/// stays as it was. Everything runs twice.
#[test]
fn runners_share_an_existing_role_and_touch_only_their_own_policies() {
    if !tools_present("aws-cli existing roles") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = fs::read_to_string("examples/shared-execution-role.runner")
        .unwrap()
        .replace("123456789012", "777700000010");
    let path = dir.path().join("fleet.runner");
    fs::write(&path, &spec).unwrap();
    let out = dir.path().join("out");
    build(std::slice::from_ref(&path), &out);
    let runners = compile_files(&[path]);
    let account = account_for("777700000010", "eu-west-1");
    create_foreign_role(&account, "ecsTaskExecutionRole", &[("team", "platform")]);
    account.aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "billing-agent",
        "--path",
        "/platform/",
        "--assume-role-policy-document",
        ECS_TRUST,
    ]);
    // What the role held before runnerc, without runnerc's policies.
    let others = |role: &Value| -> Value {
        let mut role = role.clone();
        let policies = role["RolePolicyList"].as_array_mut().unwrap();
        policies.retain(|p| !p["PolicyName"].as_str().unwrap().starts_with("runnerc-"));
        role
    };
    let before = account.snapshot("ecsTaskExecutionRole");
    let script = |runner: &str, name: &str| out.join(runner).join(name);
    for round in 1..=2 {
        for runner in ["crm-cdc", "billing-cdc", "audit-cdc"] {
            account.run_script(&script(runner, "create-roles.sh"), dir.path(), &[]);
        }
        let role = account.roles()["ecsTaskExecutionRole"].clone();
        let mut names: Vec<&str> = role["RolePolicyList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyName"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["other-team", "runnerc-billing-cdc", "runnerc-crm-cdc"],
            "round {round}"
        );
        assert_eq!(
            others(&role),
            others(before.0.as_ref().unwrap()),
            "round {round}"
        );
        assert_eq!(
            account.get_role("ecsTaskExecutionRole"),
            before.1,
            "round {round}"
        );
        for compiled in &runners {
            assert_roles_match(&account, compiled);
        }
    }
    // Removing one runner removes its policy only, twice over.
    for _ in 0..2 {
        account.run_script(&script("crm-cdc", "delete-roles.sh"), dir.path(), &[]);
        let role = account.roles()["ecsTaskExecutionRole"].clone();
        let names: Vec<&str> = role["RolePolicyList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyName"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.contains(&"other-team") && names.contains(&"runnerc-billing-cdc"));
    }
    for runner in ["billing-cdc", "audit-cdc"] {
        account.run_script(&script(runner, "delete-roles.sh"), dir.path(), &[]);
    }
    assert_eq!(account.snapshot("ecsTaskExecutionRole"), before);
    assert!(
        account.get_role("billing-agent").is_some(),
        "an existing role was deleted"
    );
    progress("a shared execution role kept everything it had");

    // A role that does not trust ECS tasks: a clear refusal, and nothing written anywhere.
    let untrusting = account_for("777700000011", "eu-west-1");
    untrusting.aws_json(&[
        "iam",
        "create-role",
        "--role-name",
        "ecsTaskExecutionRole",
        "--assume-role-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    ]);
    let spec = spec.replace("777700000010", "777700000011");
    let folder = build_spec(
        dir.path(),
        "untrusting",
        spec.split("runner \"billing-cdc\"").next().unwrap(),
    );
    let before = untrusting.snapshot("ecsTaskExecutionRole");
    for _ in 0..2 {
        let output = untrusting.script(&folder.join("create-roles.sh"), dir.path(), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(
            stderr.contains("role ecsTaskExecutionRole does not trust ecs-tasks.amazonaws.com")
                && stderr.contains(r#"{"Sid":"EcsTasksAssumeRole","Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"777700000011"}}}"#)
                && stderr.contains("nothing was changed"),
            "{stderr}"
        );
        assert_eq!(untrusting.snapshot("ecsTaskExecutionRole"), before);
        assert!(untrusting.get_role("crm-cdc-task-role").is_none());
    }
}
