//! The generated aws-cli scripts, run for real: every example's `create-roles.sh` twice
//! against a local IAM endpoint (moto_server on 127.0.0.1), the roles read back with `aws` and
//! compared with the compiled documents, then `delete-roles.sh` twice. A hostile spec proves
//! that no spec content runs, and a changed spec proves that a second run converges. Both
//! scripts of every example pass shellcheck.
//!
//! Needs `aws`, `moto_server` and `shellcheck`. Without them these tests say loudly that they
//! were skipped; with `RUNNERC_E2E=1` a missing tool is a failure.

use runnerc::compile::{CompiledRunner, compile};
use runnerc::diag::Sources;
use runnerc::lower::aws_cli::INLINE_POLICY_NAME;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// True when every tool is on PATH; otherwise reports the skip (or fails under RUNNERC_E2E=1).
fn tools_present(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .map_or(true, |s| !s.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let required = std::env::var("RUNNERC_E2E").is_ok_and(|v| v == "1");
    assert!(!required, "{test}: RUNNERC_E2E=1 but {missing:?} not found");
    // Written past the test harness's capture, so the skip shows in a passing run.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {} not found; set RUNNERC_E2E=1 to make this a failure ***\n",
        missing.join(", ")
    );
    false
}

/// A moto_server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start(account: &str) -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_ACCOUNT_ID", account)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A command with the AWS environment pointed at moto, and nothing from the user's own.
fn aws_env(command: &mut Command, moto: &Moto, cwd: &Path) {
    for var in [
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SESSION_TOKEN",
    ] {
        command.env_remove(var);
    }
    command
        .current_dir(cwd)
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
}

fn run_script(script: &Path, moto: &Moto, cwd: &Path) -> String {
    let mut command = Command::new("bash");
    command.arg(script);
    aws_env(&mut command, moto, cwd);
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{} failed:\n{}{}",
        script.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn aws(moto: &Moto, region: &str, args: &[&str]) -> Output {
    let mut command = Command::new("aws");
    command.args(args).args(["--output", "json"]);
    aws_env(&mut command, moto, Path::new("."));
    command
        .env("AWS_REGION", region)
        .env("AWS_DEFAULT_REGION", region);
    command.output().unwrap()
}

fn aws_json(moto: &Moto, region: &str, args: &[&str]) -> Value {
    let output = aws(moto, region, args);
    assert!(
        output.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
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

/// Reads both roles back and compares them with what the compiler meant.
fn assert_roles_match(moto: &Moto, compiled: &CompiledRunner) {
    let runner = &compiled.runner;
    let region = runner.region.as_str();
    let trust: Value = serde_json::to_value(&compiled.documents.trust).unwrap();
    let roles = [
        (&runner.task_role, &compiled.documents.task),
        (&runner.execution_role, &compiled.documents.execution),
    ];
    for (role, policy) in roles {
        let name = role.name.as_str();
        let got = &aws_json(moto, region, &["iam", "get-role", "--role-name", name])["Role"];
        assert_eq!(got["Path"], role.path.as_str(), "{name}: path");
        assert_eq!(
            got["Arn"],
            format!(
                "arn:{}:iam::{}:role{}{name}",
                runner.partition, runner.account, role.path
            )
            .as_str()
        );
        assert_eq!(
            document(&got["AssumeRolePolicyDocument"]),
            trust,
            "{name}: trust policy"
        );
        let description = got["Description"].as_str().unwrap_or("");
        assert_eq!(
            description,
            role.description.as_deref().unwrap_or(""),
            "{name}: description"
        );
        assert_eq!(
            got["MaxSessionDuration"].as_u64(),
            Some(u64::from(role.max_session_duration.unwrap_or(3600)))
        );
        let boundary = got["PermissionsBoundary"]["PermissionsBoundaryArn"].as_str();
        assert_eq!(
            boundary,
            role.permissions_boundary.as_deref(),
            "{name}: boundary"
        );

        let inline = aws(
            moto,
            region,
            &[
                "iam",
                "get-role-policy",
                "--role-name",
                name,
                "--policy-name",
                INLINE_POLICY_NAME,
            ],
        );
        match policy {
            Some(policy) => {
                assert!(
                    inline.status.success(),
                    "{name}: {}",
                    String::from_utf8_lossy(&inline.stderr)
                );
                let got: Value = serde_json::from_slice(&inline.stdout).unwrap();
                assert_eq!(
                    document(&got["PolicyDocument"]),
                    serde_json::to_value(policy).unwrap(),
                    "{name}: inline policy"
                );
            }
            None => assert!(
                String::from_utf8_lossy(&inline.stderr).contains("NoSuchEntity"),
                "{name}: unexpected inline policy"
            ),
        }
        let names = aws_json(
            moto,
            region,
            &["iam", "list-role-policies", "--role-name", name],
        );
        let expected_names: Vec<&str> = policy.iter().map(|_| INLINE_POLICY_NAME).collect();
        assert_eq!(
            names["PolicyNames"],
            serde_json::json!(expected_names),
            "{name}: inline policy names"
        );

        let attached = aws_json(
            moto,
            region,
            &["iam", "list-attached-role-policies", "--role-name", name],
        );
        let mut arns: Vec<&str> = attached["AttachedPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyArn"].as_str().unwrap())
            .collect();
        arns.sort();
        let mut expected: Vec<&str> = role.managed_policies.iter().map(String::as_str).collect();
        expected.sort();
        assert_eq!(arns, expected, "{name}: attachments");

        let tags = aws_json(
            moto,
            region,
            &["iam", "list-role-tags", "--role-name", name],
        );
        let got: BTreeMap<&str, &str> = tags["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["Key"].as_str().unwrap(), t["Value"].as_str().unwrap()))
            .collect();
        let expected: BTreeMap<&str, &str> = runner
            .tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_str()))
            .collect();
        assert_eq!(got, expected, "{name}: tags");
    }
}

fn assert_roles_gone(moto: &Moto, compiled: &CompiledRunner) {
    for role in [&compiled.runner.task_role, &compiled.runner.execution_role] {
        let output = aws(
            moto,
            &compiled.runner.region,
            &["iam", "get-role", "--role-name", &role.name],
        );
        assert!(!output.status.success(), "{} still exists", role.name);
        assert!(String::from_utf8_lossy(&output.stderr).contains("NoSuchEntity"));
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
fn create_customer_policies(moto: &Moto, compiled: &CompiledRunner) {
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
        let output = aws(
            moto,
            &runner.region,
            &[
                "iam",
                "create-policy",
                "--policy-name",
                name,
                "--path",
                &format!("{path}/"),
                "--policy-document",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"*"}]}"#,
            ],
        );
        assert!(
            output.status.success()
                || String::from_utf8_lossy(&output.stderr).contains("EntityAlreadyExists")
        );
    }
}

/// Creates the roles twice, reading them back each time, then deletes them twice.
fn create_twice_then_delete_twice(compiled: &CompiledRunner, folder: &Path, cwd: &Path) {
    let moto = Moto::start(&compiled.runner.account);
    create_customer_policies(&moto, compiled);
    let task = &compiled.runner.task_role.name;
    let first = run_script(&folder.join("create-roles.sh"), &moto, cwd);
    assert!(first.contains(&format!("created role {task}")), "{first}");
    assert_roles_match(&moto, compiled);
    let second = run_script(&folder.join("create-roles.sh"), &moto, cwd);
    assert!(second.contains(&format!("updated role {task}")), "{second}");
    assert_roles_match(&moto, compiled);
    let deleted = run_script(&folder.join("delete-roles.sh"), &moto, cwd);
    assert!(
        deleted.contains(&format!(
            "deleted role {}",
            compiled.runner.execution_role.name
        )),
        "{deleted}"
    );
    assert_roles_gone(&moto, compiled);
    let again = run_script(&folder.join("delete-roles.sh"), &moto, cwd);
    assert!(again.contains("is already gone"), "{again}");
}

#[test]
fn every_example_creates_updates_and_deletes_its_roles() {
    if !tools_present("aws-cli end-to-end", &["aws", "moto_server"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let paths = examples();
    build(&paths, &out);
    let runners = compile_files(&paths);
    // Each runner gets its own moto_server, answering as the runner's account (the scripts
    // check the caller's account). aws-cli spends most of the time starting Python, so a few
    // runners go at once.
    let next = std::sync::atomic::AtomicUsize::new(0);
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

#[test]
fn hostile_spec_content_never_runs_and_a_changed_spec_converges() {
    if !tools_present("aws-cli hostile spec", &["aws", "moto_server"]) {
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
    let moto = Moto::start(&v1.runner.account);

    run_script(
        &dir.path().join("v1/hostile-cdc/create-roles.sh"),
        &moto,
        &work,
    );
    assert_roles_match(&moto, &v1);
    // The descriptions arrived byte for byte, `file://` included (aws-cli did not read a file).
    let description = v1.runner.task_role.description.as_deref().unwrap();
    assert!(description.contains("$(touch pwned-description)") && description.contains('\n'));
    assert_eq!(
        v1.runner.execution_role.description.as_deref(),
        Some("file:///etc/hostname")
    );

    run_script(
        &dir.path().join("v2/hostile-cdc/create-roles.sh"),
        &moto,
        &work,
    );
    assert_roles_match(&moto, &v2);
    run_script(
        &dir.path().join("v2/hostile-cdc/delete-roles.sh"),
        &moto,
        &work,
    );
    assert_roles_gone(&moto, &v2);

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
fn every_script_passes_shellcheck() {
    if !tools_present("shellcheck", &["shellcheck"]) {
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
}
