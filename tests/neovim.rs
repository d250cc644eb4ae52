//! A real editor as the language server's client: headless Neovim (0.7.2, the Debian package)
//! starts `runnerc lsp` with its built-in client (tests/neovim/diagnostics.lua) on a spec whose
//! account is wrong, after non-ASCII text on the same line, and reports what it received.
//!
//! The columns prove the position encoding end to end: the client offers no encoding, so the
//! server speaks UTF-16 and Neovim converts to the byte columns `vim.diagnostic` holds; a wrong
//! encoding on either side moves the diagnostic. Hover goes the other way (Neovim turns the
//! cursor's byte column into UTF-16), formatting is applied to the buffer by Neovim and must give
//! `runnerc fmt -`'s text, and the diagnostics published after that change follow the token.
//!
//! A second test runs the Neovim setup that docs/editors.md gives users, taken from the page as
//! it is written, as Neovim's init.lua, and checks that the diagnostic arrives.
//!
//! Without `nvim` the tests are skipped loudly, unless `RUNNERC_E2E=1`, where they fail.

mod support;

use serde_json::{Value, json};
use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TEST: &str = "neovim lsp client";

/// How long Neovim may take before it is killed and the test fails (its own waits are 10 s).
const DEADLINE: Duration = Duration::from_secs(30);

/// `é` is 2 bytes and 1 UTF-16 unit; each of `𝒜𝒷𝒸` (letters, so the tag is valid) is 4 bytes,
/// 2 UTF-16 units and 1 character: bytes, UTF-16 units and characters all differ before
/// `account`. The layout is not canonical, so formatting has work to do and moves the error.
const SPEC: &str = "\
# orders — a runner whose account is wrong, after non-ASCII text on the same line
runner \"orders\" {
  region \"eu-west-1\"
    tag \"café\" \"𝒜𝒷𝒸\" account \"12\"
}
";

/// The hover documentation of `account` (the keyword table, src/parse/keywords.rs).
const ACCOUNT_DOC: &str = "the 12-digit AWS account the runner and its roles live in";

/// Line and byte column of the first `needle` in `text`.
fn locate(text: &str, needle: &str) -> (usize, usize) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    (text[..offset].matches('\n').count(), offset - line_start)
}

/// The text of line `line` up to byte `col`.
fn prefix(text: &str, line: usize, col: usize) -> &str {
    &text.lines().nth(line).unwrap()[..col]
}

/// A column in the protocol's units for `encoding`.
fn units(prefix: &str, encoding: &str) -> usize {
    match encoding {
        "utf-8" => prefix.len(),
        "utf-16" => prefix.encode_utf16().count(),
        "utf-32" => prefix.chars().count(),
        other => panic!("unknown encoding `{other}`"),
    }
}

/// `runnerc fmt -` on `text`.
fn fmt(text: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "runnerc fmt - failed");
    String::from_utf8(output.stdout).unwrap()
}

/// Neovim's version (`0.7.2`) from `nvim --version`.
fn nvim_version() -> Option<(u32, u32, String)> {
    let output = Command::new("nvim").arg("--version").output().ok()?;
    let first = String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()?
        .to_owned();
    let version = first.strip_prefix("NVIM v")?.to_owned();
    let mut parts = version.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor, version))
}

/// Runs headless Neovim with `args` in `dir`, with a home and XDG folders of its own so no user
/// configuration takes part, and returns the JSON report it writes to `RUNNERC_OUT`; a hang, a
/// failure or an error report fails.
fn run_nvim(dir: &Path, args: &[&OsStr], env: &[(&str, &OsStr)]) -> Value {
    let out = dir.join("report.json");
    let (stdout, stderr) = (dir.join("nvim.stdout"), dir.join("nvim.stderr"));
    let mut command = Command::new("nvim");
    command
        .arg("--headless")
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("RUNNERC_OUT", &out)
        .envs(env.iter().copied())
        // Not a child of another Neovim's terminal.
        .env_remove("NVIM")
        .env_remove("NVIM_LISTEN_ADDRESS")
        .env_remove("VIMINIT")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout).unwrap())
        .stderr(fs::File::create(&stderr).unwrap());
    for (var, sub) in [
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ] {
        let path = dir.join(sub);
        fs::create_dir_all(&path).unwrap();
        command.env(var, path);
    }
    let mut child = command.spawn().expect("nvim starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let context = || {
        let read = |path: &Path| fs::read_to_string(path).unwrap_or_default();
        format!(
            "report: {}\nnvim stdout: {}\nnvim stderr: {}\nlsp.log: {}",
            read(&out),
            read(&stdout),
            read(&stderr),
            read(&dir.join("cache/nvim/lsp.log")),
        )
    };
    let Some(status) = status else {
        panic!("nvim did not finish in {DEADLINE:?}: killed\n{}", context());
    };
    assert!(status.success(), "nvim failed ({status})\n{}", context());
    let report: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON report ({e})\n{}", context()));
    assert!(report.get("error").is_none(), "{}", context());
    report
}

/// Runs the Lua client (tests/neovim/diagnostics.lua) in headless Neovim without any user
/// configuration, and returns its report.
fn run_neovim(dir: &Path, spec: &Path, hover: (usize, usize)) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/neovim/diagnostics.lua");
    let (line, col) = (hover.0.to_string(), hover.1.to_string());
    let args = ["-u", "NONE", "-i", "NONE", "-n", "-S", script].map(OsStr::new);
    run_nvim(
        dir,
        &args,
        &[
            ("RUNNERC_BIN", OsStr::new(env!("CARGO_BIN_EXE_runnerc"))),
            ("RUNNERC_SPEC", spec.as_os_str()),
            ("RUNNERC_HOVER_LINE", OsStr::new(&line)),
            ("RUNNERC_HOVER_COL", OsStr::new(&col)),
        ],
    )
}

/// The Neovim setup docs/editors.md gives users: the Lua between its marker comments, without
/// the code fence.
fn documented_setup() -> String {
    let page = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/editors.md"))
        .expect("docs/editors.md");
    let begin = "<!-- neovim setup: begin";
    let end = "<!-- neovim setup: end -->";
    let start = page
        .find(begin)
        .expect("docs/editors.md marks the Neovim setup's start");
    let block = &page[start..];
    let block = &block[block.find('\n').unwrap() + 1..block.find(end).expect("an end marker")];
    let lua = block
        .strip_prefix("```lua\n")
        .and_then(|b| b.strip_suffix("```\n"))
        .unwrap_or_else(|| panic!("the marked Neovim setup is not one ```lua block:\n{block}"));
    assert!(
        lua.contains("\"runnerc\", \"lsp\""),
        "the setup starts `runnerc lsp`:\n{lua}"
    );
    lua.to_owned()
}

/// Whether `nvim` is present and new enough; skips `test` loudly otherwise.
fn nvim_usable(test: &str) -> bool {
    if !support::commands_present(test, &["nvim"]) {
        return false;
    }
    match nvim_version() {
        Some((major, minor, _)) if (major, minor) >= (0, 7) => true,
        Some((_, _, version)) => {
            support::skip(test, &format!("nvim {version} is older than 0.7"));
            false
        }
        None => {
            support::skip(test, "`nvim --version` does not name a version");
            false
        }
    }
}

/// The one diagnostic of a list, checked to be E020 on `"12"` (`line`, byte `col`) of its text.
fn assert_account_error(diagnostics: &Value, (line, col): (usize, usize)) {
    let [diagnostic] = diagnostics.as_array().unwrap().as_slice() else {
        panic!("not exactly one diagnostic: {diagnostics:#}");
    };
    let at = json!({
        "lnum": line, "col": col, "end_lnum": line, "end_col": col + "\"12\"".len(),
        "code": "E020", "source": "runnerc", "severity": 1, "severity_name": "ERROR",
    });
    for (field, want) in at.as_object().unwrap() {
        assert_eq!(&diagnostic[field], want, "{field} of {diagnostic:#}");
    }
    let message = diagnostic["message"].as_str().unwrap();
    assert!(
        message.starts_with("account `12` is not a 12-digit AWS account ID"),
        "{message}"
    );
}

#[test]
fn neovim_gets_diagnostics_hover_and_formatting_from_runnerc_lsp() {
    if !nvim_usable(TEST) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("orders.runner");
    fs::write(&spec, SPEC).unwrap();

    let (line, col) = locate(SPEC, "\"12\"");
    let before = prefix(SPEC, line, col);
    assert!(
        before.len() != units(before, "utf-16")
            && units(before, "utf-16") != units(before, "utf-32"),
        "the spec no longer tells bytes, UTF-16 units and characters apart"
    );
    // The cursor on the last letter of `account`: a column off by two lands outside the word.
    let keyword = locate(SPEC, "account \"12\"");
    let hover = (keyword.0, keyword.1 + "account".len() - 1);

    let report = run_neovim(dir.path(), &spec, hover);

    // The negotiation: the server answers what the client offered (UTF-8 only when offered),
    // and the client uses what the server answered.
    let offered = &report["offered_encodings"];
    let encoding = report["server_encoding"].as_str().expect("server_encoding");
    let utf8_offered = offered
        .as_array()
        .is_some_and(|kinds| kinds.iter().any(|k| k == "utf-8"));
    assert_eq!(
        encoding,
        if utf8_offered { "utf-8" } else { "utf-16" },
        "{report:#}"
    );
    assert_eq!(report["client_encoding"], encoding, "{report:#}");

    // Diagnostics, in the byte columns Neovim converted them to.
    assert_account_error(&report["diagnostics"], (line, col));

    // Hover: Neovim's position for the cursor, the keyword's documentation, the word's range.
    let hover_prefix = prefix(SPEC, hover.0, hover.1);
    assert_eq!(
        report["hover_position"],
        json!({ "line": hover.0, "character": units(hover_prefix, encoding) }),
        "{report:#}"
    );
    let contents = &report["hover"]["contents"];
    assert_eq!(contents["kind"], "markdown", "{report:#}");
    assert!(
        contents["value"].as_str().unwrap().contains(ACCOUNT_DOC),
        "{report:#}"
    );
    let word = |col: usize| {
        let character = units(prefix(SPEC, keyword.0, col), encoding);
        json!({ "line": keyword.0, "character": character })
    };
    assert_eq!(
        report["hover"]["range"],
        json!({ "start": word(keyword.1), "end": word(keyword.1 + "account".len()) }),
        "{report:#}"
    );

    // Formatting, applied by Neovim, is `runnerc fmt -`'s text; the diagnostics that follow the
    // change are on the token where it now is.
    let formatted = fmt(SPEC);
    assert_ne!(
        formatted, SPEC,
        "the spec is already formatted: formatting proves nothing"
    );
    assert!(
        !report["formatting_edits"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    assert_eq!(report["formatted"].as_str().unwrap(), formatted);
    assert_account_error(
        &report["diagnostics_after_formatting"],
        locate(&formatted, "\"12\""),
    );

    // A clean stop: shutdown, exit, and the server's process ends with 0.
    assert_eq!(
        report["exit"],
        json!({ "code": 0, "signal": 0 }),
        "{report:#}"
    );
}

/// The setup docs/editors.md gives users, run as it is written: it is Neovim's init.lua, and
/// `runnerc` is found on PATH as the setup expects. Opening a spec with an error must attach the
/// runnerc client and bring the error as a diagnostic.
#[test]
fn the_documented_neovim_setup_brings_diagnostics() {
    const TEST: &str = "neovim setup of docs/editors.md";
    if !nvim_usable(TEST) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let setup = dir.path().join("init.lua");
    fs::write(&setup, documented_setup()).unwrap();
    let spec = dir.path().join("orders.runner");
    fs::write(&spec, SPEC).unwrap();
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_runnerc"), bin.join("runnerc")).unwrap();
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/neovim/attached.lua");
    let (setup, spec) = (setup.as_os_str(), spec.as_os_str());
    let args = [
        OsStr::new("-u"),
        setup,
        OsStr::new("-i"),
        OsStr::new("NONE"),
        OsStr::new("-n"),
        spec,
        OsStr::new("-S"),
        OsStr::new(script),
    ];
    let report = run_nvim(dir.path(), &args, &[("PATH", path.as_os_str())]);
    assert_eq!(report["filetype"], "runner", "{report:#}");
    assert_eq!(report["clients"], json!(["runnerc"]), "{report:#}");
    assert_account_error(&report["diagnostics"], locate(SPEC, "\"12\""));
}
