//! How long `runnerc lsp` takes to publish diagnostics after a change to a 1 MB spec: the real
//! binary, spoken to over stdio as an editor does. Each change alternates between a clean spec
//! and one with an error in its last runner; the time runs from writing `didChange` to reading
//! the `publishDiagnostics` of that version. Printed as a table (target: 100 ms).
//!
//!     cargo bench --bench lsp

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../examples/gen-spec.rs"]
#[allow(dead_code)]
mod gen_spec;

fn send(stdin: &mut impl Write, message: &Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
}

fn receive(reader: &mut BufReader<ChildStdout>) -> Value {
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// Reads until the diagnostics of `version` arrive; returns how many there are.
fn diagnostics_of(reader: &mut BufReader<ChildStdout>, version: i64) -> usize {
    loop {
        let message = receive(reader);
        if message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["version"] == version
        {
            return message["params"]["diagnostics"].as_array().unwrap().len();
        }
    }
}

fn main() {
    let clean = gen_spec::spec(None, Some(1_000_000), 7);
    // An account of eleven digits in the last runner.
    let at = clean.rfind("account \"").unwrap() + "account \"".len();
    let mut broken = clean.clone();
    broken.replace_range(at..at + 1, "");
    let mut child = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": null, "rootUri": null, "capabilities": {}}}),
    );
    receive(&mut reader);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    let uri = "file:///bench/big.runner";
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "runner", "version": 1, "text": clean}}}),
    );
    assert_eq!(
        diagnostics_of(&mut reader, 1),
        0,
        "the generated spec is clean"
    );

    let mut times: Vec<Duration> = Vec::new();
    for version in 2..42 {
        let text = if version % 2 == 0 { &broken } else { &clean };
        let change = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}});
        let started = Instant::now();
        send(&mut stdin, &change);
        let found = diagnostics_of(&mut reader, version);
        times.push(started.elapsed());
        assert_eq!(
            found > 0,
            version % 2 == 0,
            "version {version}: {found} diagnostics"
        );
    }
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    );
    let _ = child.wait();

    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("| measure | figure | target |");
    println!("|---|---|---|");
    println!(
        "| 1 MB spec ({} KB), change to diagnostics, median of {} | {:.0} ms | <= 100 ms |",
        clean.len() / 1000,
        times.len(),
        ms(times[times.len() / 2])
    );
    println!(
        "| same, slowest of {} | {:.0} ms | <= 100 ms |",
        times.len(),
        ms(times[times.len() - 1])
    );
}
