//! IAM against a local endpoint, for the tests that apply roles for real: one moto_server for
//! the whole test binary, accounts reached through `sts assume-role`, roles read back with the
//! real `aws` command and compared with what the compiler meant.

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
pub fn progress(line: &str) {
    let _ = writeln!(std::io::stderr(), "    e2e: {line}");
}

/// The moto_server every test shares, started on first use on a free loopback port. A shell
/// watches this test process and stops moto when it exits.
// The watcher outlives every handle this process could wait on: it ends after the process.
#[allow(clippy::zombie_processes)]
pub fn moto_url() -> &'static str {
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
pub struct Account {
    pub region: String,
    pub keys: [String; 3],
}

pub fn partition_of(region: &str) -> &'static str {
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
pub fn account_for(id: &str, region: &str) -> Account {
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
pub fn base_env(command: &mut Command, cwd: &Path) {
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
    pub fn env(&self, command: &mut Command, cwd: &Path) {
        base_env(command, cwd);
        command
            .env("AWS_ACCESS_KEY_ID", &self.keys[0])
            .env("AWS_SECRET_ACCESS_KEY", &self.keys[1])
            .env("AWS_SESSION_TOKEN", &self.keys[2]);
    }

    /// Runs a script as a user would: no AWS_REGION, so the script's own default applies.
    pub fn script(&self, script: &Path, cwd: &Path, args: &[&str]) -> Output {
        let mut command = Command::new("bash");
        command.arg(script).args(args);
        self.env(&mut command, cwd);
        command.output().unwrap()
    }

    pub fn run_script(&self, script: &Path, cwd: &Path, args: &[&str]) -> String {
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

    pub fn aws(&self, args: &[&str]) -> Output {
        let mut command = Command::new("aws");
        command.args(args).args(["--output", "json"]);
        self.env(&mut command, Path::new("."));
        command
            .env("AWS_REGION", &self.region)
            .env("AWS_DEFAULT_REGION", &self.region);
        command.output().unwrap()
    }

    pub fn aws_json(&self, args: &[&str]) -> Value {
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
    pub fn roles(&self) -> BTreeMap<String, Value> {
        roles_of(&self.export())
    }

    /// The account's roles as `aws iam get-account-authorization-details --filter Role` writes
    /// them (aws-cli decodes the policy documents into objects).
    pub fn export(&self) -> Value {
        self.aws_json(&[
            "iam",
            "get-account-authorization-details",
            "--filter",
            "Role",
        ])
    }

    /// Roles read call by call (`get-role`, `list-role-policies`, `get-role-policy`,
    /// `list-attached-role-policies`, `list-role-tags`), in the export's shape.
    pub fn roles_piecewise(&self, names: &[&str]) -> BTreeMap<String, Value> {
        let mut roles = BTreeMap::new();
        for name in names {
            let Some(role) = self.get_role(name) else {
                continue;
            };
            let role_name = format!("--role-name={name}");
            let policy_names = self.aws_json(&["iam", "list-role-policies", &role_name]);
            let policies: Vec<Value> = policy_names["PolicyNames"]
                .as_array()
                .unwrap()
                .iter()
                .map(|policy| {
                    let policy = policy.as_str().unwrap();
                    let got = self.aws_json(&[
                        "iam",
                        "get-role-policy",
                        &role_name,
                        "--policy-name",
                        policy,
                    ]);
                    serde_json::json!({
                        "PolicyName": policy,
                        "PolicyDocument": document(&got["PolicyDocument"]),
                    })
                })
                .collect();
            let attached = self.aws_json(&["iam", "list-attached-role-policies", &role_name]);
            let tags = self.aws_json(&["iam", "list-role-tags", &role_name]);
            roles.insert(
                (*name).to_owned(),
                serde_json::json!({
                    "RoleName": name,
                    "Path": role["Path"],
                    "AssumeRolePolicyDocument": document(&role["AssumeRolePolicyDocument"]),
                    "RolePolicyList": policies,
                    "AttachedManagedPolicies": attached["AttachedPolicies"],
                    "Tags": tags["Tags"],
                }),
            );
        }
        roles
    }

    /// `get-role`, for what the export leaves out (description, session duration).
    pub fn get_role(&self, name: &str) -> Option<Value> {
        let output = self.aws(&["iam", "get-role", &format!("--role-name={name}")]);
        if !output.status.success() {
            assert!(String::from_utf8_lossy(&output.stderr).contains("NoSuchEntity"));
            return None;
        }
        Some(serde_json::from_slice::<Value>(&output.stdout).unwrap()["Role"].clone())
    }

    /// Everything IAM holds about a role: its export and its `get-role`.
    pub fn snapshot(&self, name: &str) -> (Option<Value>, Option<Value>) {
        (self.roles().remove(name), self.get_role(name))
    }
}

/// aws-cli returns policy documents decoded; moto may hand them back URL-encoded, or, for
/// policies its CloudFormation made, as Python's repr of the document (`{'Version': ...}`),
/// which runnerc's documents (no quote inside any value) turn into JSON by their quotes.
pub fn document(value: &Value) -> Value {
    match value {
        Value::String(text) => {
            let decoded = percent_decode(text);
            serde_json::from_str(&decoded)
                .or_else(|_| serde_json::from_str(&decoded.replace('\'', "\"")))
                .unwrap_or(Value::String(decoded))
        }
        other => other.clone(),
    }
}

/// An export's roles by name.
pub fn roles_of(export: &Value) -> BTreeMap<String, Value> {
    export["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|role| (role["RoleName"].as_str().unwrap().to_owned(), role.clone()))
        .collect()
}

/// The same export as the raw API returns it: each policy document a URL-encoded JSON string.
pub fn url_encoded(export: &Value) -> Value {
    let mut encoded = export.clone();
    for role in encoded["RoleDetailList"].as_array_mut().unwrap() {
        let trust = role["AssumeRolePolicyDocument"].to_string();
        role["AssumeRolePolicyDocument"] = Value::String(percent_encode(&trust));
        for policy in role["RolePolicyList"].as_array_mut().unwrap() {
            let document = policy["PolicyDocument"].to_string();
            policy["PolicyDocument"] = Value::String(percent_encode(&document));
        }
    }
    encoded
}

pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn percent_decode(text: &str) -> String {
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

pub fn compile_files(paths: &[PathBuf]) -> Vec<CompiledRunner> {
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

pub fn build(paths: &[PathBuf], out: &Path) {
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
pub fn build_spec(dir: &Path, name: &str, text: &str) -> PathBuf {
    let spec = dir.join(format!("{name}.runner"));
    fs::write(&spec, text).unwrap();
    let out = dir.join(format!("out-{name}"));
    build(&[spec], &out);
    // The runner's folder: the one folder there (beside build's record, `.~runnerc-manifest`).
    fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.is_dir())
        .expect("build wrote the runner's folder")
}

/// Reads both roles back and compares them with what the compiler meant.
pub fn assert_roles_match(account: &Account, compiled: &CompiledRunner) {
    assert_roles_match_in(account, compiled, &account.roles(), true);
}

/// The same, on an export already read.
pub fn assert_export_matches(account: &Account, compiled: &CompiledRunner, export: &Value) {
    assert_roles_match_in(account, compiled, &roles_of(export), true);
}

/// The same, on roles read by [`Account::roles_piecewise`] (moto's CloudFormation stores
/// policies that its account export cannot serialise), except the managed attachments:
/// moto's CloudFormation does not apply `ManagedPolicyArns` (seen here: the list stays empty),
/// so the caller checks those in the template.
pub fn assert_roles_match_piecewise(account: &Account, compiled: &CompiledRunner) {
    let runner = &compiled.runner;
    let names = [
        runner.task_role.name.as_str(),
        runner.execution_role.name.as_str(),
    ];
    assert_roles_match_in(account, compiled, &account.roles_piecewise(&names), false);
}

fn assert_roles_match_in(
    account: &Account,
    compiled: &CompiledRunner,
    exported: &BTreeMap<String, Value>,
    attachments: bool,
) {
    let runner = &compiled.runner;
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
        let export = exported
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"));
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
        if attachments {
            assert_eq!(arns, expected, "{name}: attachments");
        }

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

pub fn assert_roles_gone(account: &Account, compiled: &CompiledRunner) {
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

pub fn examples() -> Vec<PathBuf> {
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
pub fn create_customer_policies(account: &Account, compiled: &CompiledRunner) {
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

pub fn create_policy(account: &Account, name: &str, path: &str) {
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
pub const ECS_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The roles a runner names `existing` must exist, trusting ECS tasks, as in a real account.
pub fn create_existing_roles(account: &Account, compiled: &CompiledRunner) {
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

/// A role made outside runnerc: a trust policy, another team's inline policy, two managed
/// policies and tags.
pub fn create_foreign_role(account: &Account, name: &str, tags: &[(&str, &str)]) {
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

pub fn account_id_of(account: &Account) -> String {
    account.aws_json(&["sts", "get-caller-identity"])["Account"]
        .as_str()
        .unwrap()
        .to_owned()
}
