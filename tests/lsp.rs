//! `runnerc lsp` spoken to over JSON-RPC, as an editor does: the real binary, its stdin and
//! stdout. Initialize, open a file with errors (after non-ASCII text, so UTF-16 and UTF-8
//! positions differ), read the diagnostics, format, hover, complete, list symbols, apply a
//! quick fix, shut down.

mod support;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// What the server said it can do.
    capabilities: Value,
}

impl Client {
    fn start(capabilities: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_runnerc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = Some(n.parse::<usize>().unwrap());
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                reader.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages,
            next_id: 0,
            capabilities: Value::Null,
        };
        let result = client.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": capabilities}),
        );
        assert_eq!(result["serverInfo"]["name"], "runnerc");
        client.notify("initialized", json!({}));
        client.capabilities = result["capabilities"].clone();
        client
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn receive(&mut self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(20))
            .expect("the server answers within 20 s")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive();
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{message}");
                return message["result"].clone();
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let message = self.receive();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "runner", "version": 1, "text": text}}),
        );
        self.diagnostics(uri)
    }

    fn shutdown(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

const URI: &str = "file:///work/specs/orders.runner";

/// A spec with errors: an account of two digits after a tag holding `é` and `𠮷` on the same
/// line (1 and 2 UTF-16 code units, 2 and 4 bytes), a misspelt keyword, a quoted `"*"`, a
/// bucket with a folder, and a runner name written twice.
const SPEC: &str = "runner \"orders-cdc\" {\n    tag \"café\" \"𠮷\" account \"12\"\n    region \"eu-west-1\"\n    secret \"prod/orders-db\"\n    secret \"*\"\n    destination s3 {\n        bucket \"acme-landing/orders\"\n    }\n}\n\nrunner \"broken\" {\n    acount \"123456789012\"\n}\n\nrunner \"orders-cdc\" {\n    account \"123456789012\"\n    region \"eu-west-1\"\n}\n";

fn utf16_column(line: &str, byte: usize) -> u64 {
    line[..byte].encode_utf16().count() as u64
}

fn find(diagnostics: &[Value], code: &str) -> Value {
    diagnostics
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {diagnostics:#?}"))
        .clone()
}

#[test]
fn an_editor_session_end_to_end() {
    let mut client = Client::start(json!({}));
    let diagnostics = client.open(URI, SPEC);

    // Every code `check` reports, one syntax error not hiding the other runners'.
    let mut codes: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        ["E001", "E011", "E020", "E030", "E052"],
        "{diagnostics:#?}"
    );

    // E020 after `é` and `😀` on its line: UTF-16 columns.
    let line = SPEC.lines().nth(1).unwrap();
    let start = line.find("\"12\"").unwrap();
    let e020 = find(&diagnostics, "E020");
    assert_eq!(
        e020["range"]["start"],
        json!({"line": 1, "character": utf16_column(line, start)})
    );
    assert_eq!(
        e020["range"]["end"],
        json!({"line": 1, "character": utf16_column(line, start + 4)})
    );
    assert_eq!(e020["severity"], 1);
    assert_eq!(e020["source"], "runnerc");

    // E011 carries where the name was first defined.
    let e011 = find(&diagnostics, "E011");
    let related = &e011["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], URI);
    assert_eq!(related["location"]["range"]["start"]["line"], 0);
    assert_eq!(related["message"], "first defined here");

    // Formatting is `fmt`'s output; a file that does not parse is left alone (null).
    let fixed = SPEC.replace("acount", "account");
    let result = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(result, Value::Null, "the spec does not parse: no edit");

    // Hover: a keyword's documentation; a secret's ARN; a runner's role names.
    let hover = |client: &mut Client, line: u32, character: u32| {
        client.request("textDocument/hover", json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}}))
    };
    let secret_keyword = hover(&mut client, 3, 6);
    assert!(
        secret_keyword["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("task role"),
        "{secret_keyword}"
    );
    let name = hover(&mut client, 14, 10);
    assert!(
        name["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("runner"),
        "{name}"
    );

    // Completion: keywords valid at the cursor.
    let labels = |result: &Value| -> Vec<String> {
        result
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_owned())
            .collect()
    };
    let inside = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": 15, "character": 4}}),
    );
    let inside = labels(&inside);
    for keyword in [
        "account",
        "secret",
        "destination",
        "tag",
        "task",
        "execution",
        "trust",
        "agent",
    ] {
        assert!(
            inside.contains(&keyword.to_owned()),
            "{keyword} missing from {inside:?}"
        );
    }
    assert!(!inside.contains(&"runner".to_owned()), "{inside:?}");
    let top = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": 9, "character": 0}}),
    );
    assert_eq!(labels(&top), ["runner"]);
    let in_destination = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": 6, "character": 8}}),
    );
    let in_destination = labels(&in_destination);
    // In a task role block, `managed-policy` (E077 there) is not offered; in an execution role it is.
    let roles = "runner \"r\" {\n    task role {\n        \n    }\n    execution role {\n        \n    }\n}\n";
    let roles_uri = "file:///work/specs/roles.runner";
    client.open(roles_uri, roles);
    let task = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": roles_uri}, "position": {"line": 2, "character": 8}}),
    );
    let task = labels(&task);
    assert!(
        task.contains(&"name".to_owned()) && !task.contains(&"managed-policy".to_owned()),
        "{task:?}"
    );
    let execution = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": roles_uri}, "position": {"line": 5, "character": 8}}),
    );
    assert!(labels(&execution).contains(&"managed-policy".to_owned()));
    for keyword in ["bucket", "prefix", "kms", "owner"] {
        assert!(
            in_destination.contains(&keyword.to_owned()),
            "{in_destination:?}"
        );
    }

    // Symbols: one per runner, the broken one included.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["orders-cdc", "broken", "orders-cdc"]);

    // Quick fix: the misspelt keyword, applied as an editor would.
    let e001 = find(&diagnostics, "E001");
    let actions = client.request("textDocument/codeAction", json!({"textDocument": {"uri": URI}, "range": e001["range"], "context": {"diagnostics": [e001]}}));
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "write `account`")
        .unwrap_or_else(|| panic!("{actions:#}"));
    assert_eq!(action["kind"], "quickfix");
    let edits = action["edit"]["changes"][URI].as_array().unwrap();
    let text = apply(SPEC, edits);
    assert_eq!(text, fixed);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    let diagnostics = client.diagnostics(URI);
    assert!(
        diagnostics.iter().all(|d| d["code"] != "E001"),
        "{diagnostics:#?}"
    );

    // The quoted "*" and the bucket with a folder have fixes too.
    for code in ["E030", "E052"] {
        let diagnostic = find(&diagnostics, code);
        let actions = client.request("textDocument/codeAction", json!({"textDocument": {"uri": URI}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}));
        let action = &actions.as_array().unwrap()[0];
        let edited = apply(&text, action["edit"]["changes"][URI].as_array().unwrap());
        client.notify("textDocument/didChange", json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": edited}]}));
        let after = client.diagnostics(URI);
        assert!(
            after.iter().all(|d| d["code"] != code),
            "{code}: {edited}\n{after:#?}"
        );
        if code == "E052" {
            assert!(
                edited.contains("        bucket \"acme-landing\"\n        prefix \"orders/\"\n"),
                "{edited}"
            );
        }
    }

    // Now it parses: formatting gives `fmt`'s output.
    let clean = "runner \"tidy\" {\n  account   \"123456789012\"\n region \"eu-west-1\"\n    secret \"a\" }\n";
    let uri = "file:///work/specs/tidy.runner";
    assert!(client.open(uri, clean).is_empty());
    let result = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    let formatted = apply(clean, result.as_array().unwrap());
    let mut fmt = Command::new(env!("CARGO_BIN_EXE_runnerc"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    fmt.stdin
        .take()
        .unwrap()
        .write_all(clean.as_bytes())
        .unwrap();
    let expected = String::from_utf8(fmt.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(formatted, expected);
    // Hover on values: what each compiles to, and nothing else.
    let every = "runner \"every\" {\n    account \"123456789012\"\n    region \"eu-west-1\"\n    secret * # all of them\n    destination s3 {\n        bucket \"acme-b\"\n        prefix \"in/\"\n        kms \"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n    }\n}\n";
    let every_uri = "file:///work/specs/every.runner";
    client.open(every_uri, every);
    let hover_text = |client: &mut Client, line: u32, character: u32| -> String {
        let result = client.request("textDocument/hover", json!({"textDocument": {"uri": every_uri}, "position": {"line": line, "character": character}}));
        result["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let star = hover_text(&mut client, 3, 11);
    assert!(
        star.contains("`arn:aws:secretsmanager:eu-west-1:123456789012:secret:*`")
            && !star.contains("- `*`"),
        "{star}"
    );
    assert_eq!(
        hover_text(&mut client, 3, 20),
        "",
        "a comment compiles to nothing"
    );
    let bucket = hover_text(&mut client, 5, 18);
    assert!(
        bucket.contains("`arn:aws:s3:::acme-b`")
            && bucket.contains("`arn:aws:s3:::acme-b/in/*`")
            && !bucket.contains("kms"),
        "{bucket}"
    );
    let prefix = hover_text(&mut client, 6, 17);
    assert!(
        prefix.contains("`arn:aws:s3:::acme-b/in/*`") && !prefix.contains("`arn:aws:s3:::acme-b`"),
        "{prefix}"
    );
    let key = hover_text(&mut client, 7, 20);
    assert!(
        key.contains("key/1234abcd-12ab-34cd-56ef-1234567890ab") && !key.contains(":s3:::"),
        "{key}"
    );
    // A keyword in a comment outside any runner is not documented.
    let commented = "# the destination of orders\nrunner \"c\" {\n    account \"123456789012\"\n    region \"eu-west-1\"\n}\n";
    let commented_uri = "file:///work/specs/commented.runner";
    client.open(commented_uri, commented);
    let in_comment = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": commented_uri}, "position": {"line": 0, "character": 8}}),
    );
    assert_eq!(in_comment, Value::Null);
    let keyword = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": commented_uri}, "position": {"line": 2, "character": 6}}),
    );
    assert!(
        keyword["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("12-digit"),
        "{keyword}"
    );
    // Hover on a secret's value: the ARN it compiles to.
    let value = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 13}}),
    );
    assert!(
        value["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("arn:aws:secretsmanager:eu-west-1:123456789012:secret:a-??????"),
        "{value}"
    );
    let runner = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 9}}),
    );
    let runner = runner["contents"]["value"].as_str().unwrap();
    assert!(
        runner.contains("tidy-task-role") && runner.contains("tidy-execution-role"),
        "{runner}"
    );

    client.shutdown();
}

#[test]
fn utf8_positions_when_the_client_offers_them() {
    let mut client = Client::start(json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}));
    assert_eq!(client.capabilities["positionEncoding"], "utf-8");
    let diagnostics = client.open(URI, SPEC);
    let line = SPEC.lines().nth(1).unwrap();
    let start = line.find("\"12\"").unwrap() as u64;
    assert_eq!(
        find(&diagnostics, "E020")["range"]["start"],
        json!({"line": 1, "character": start})
    );
    client.shutdown();
}

#[test]
fn utf16_is_the_default() {
    let client = Client::start(json!({}));
    assert_eq!(client.capabilities["positionEncoding"], "utf-16");
    client.shutdown();
}

/// Applies LSP text edits (UTF-16 or UTF-8 positions; the texts here edit ASCII lines only).
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| {
        let line = position["line"].as_u64().unwrap() as usize;
        let character = position["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let line_text = text[start..].split('\n').next().unwrap();
        let mut units = 0;
        for (index, c) in line_text.char_indices() {
            if units >= character {
                return start + index;
            }
            units += c.len_utf16();
        }
        start + line_text.len()
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut text = text.to_owned();
    for (start, end, new) in edits {
        text.replace_range(start..end, new);
    }
    text
}

#[test]
fn bad_messages_are_answered_and_the_session_goes_on() {
    let mut client = Client::start(json!({}));
    // A request without its position: an error reply, not the end of the server.
    client.next_id += 1;
    let id = client.next_id;
    client.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": {"textDocument": {"uri": URI}}}));
    let reply = loop {
        let message = client.receive();
        if message["id"] == id {
            break message;
        }
    };
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    // A notification that does not fit is ignored; a document never opened has no hover.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "not a uri"}}),
    );
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": 99, "character": 99}}),
    );
    assert_eq!(hover, Value::Null);
    // Positions past the end of a line or of the file are clamped, not a crash.
    client.open(URI, SPEC);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 400}}),
    );
    assert!(hover.is_null() || hover.is_object());
    // An unknown method is reported as such.
    client.next_id += 1;
    let id = client.next_id;
    client.send(json!({"jsonrpc": "2.0", "id": id, "method": "workspace/unknown", "params": {}}));
    let reply = loop {
        let message = client.receive();
        if message["id"] == id {
            break message;
        }
    };
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    // After shutdown, requests are refused until exit.
    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    client.next_id += 1;
    let id = client.next_id;
    client.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": {"textDocument": {"uri": URI}, "position": {"line": 0, "character": 0}}}));
    let reply = loop {
        let message = client.receive();
        if message["id"] == id {
            break message;
        }
    };
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    client.notify("exit", Value::Null);
    assert!(client.child.wait().unwrap().success());
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let mut client = Client::start(json!({}));
    client.notify("exit", Value::Null);
    assert_eq!(client.child.wait().unwrap().code(), Some(1));
}

/// `runnerc lsp` given `input` and then the end of its input: its exit status, its stderr, and
/// its peak memory in KiB when `/usr/bin/time` is there to tell it.
fn raw_session(input: &[u8]) -> (Option<i32>, String, Option<u64>) {
    let dir = tempfile::tempdir().unwrap();
    let peak = dir.path().join("peak");
    let timed = std::path::Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut command = Command::new("/usr/bin/time");
        command
            .args(["-f", "%M", "-o"])
            .arg(&peak)
            .arg(env!("CARGO_BIN_EXE_runnerc"));
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_runnerc"))
    };
    let mut child = command
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The server may stop reading early: a write it refuses is not the test's failure.
    let _ = stdin.write_all(input);
    drop(stdin);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server did not end within 20 s of its input's end");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().unwrap();
    // The last line (GNU time writes the child's exit status before it).
    let peak = std::fs::read_to_string(&peak)
        .ok()
        .and_then(|text| text.lines().last()?.trim().parse().ok());
    (
        output.status.code(),
        String::from_utf8(output.stderr).unwrap(),
        peak,
    )
}

fn framed(body: &str) -> String {
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

const INITIALIZE: &str =
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;

#[test]
fn oversized_and_malformed_headers_end_the_session_with_what_was_wrong() {
    let mut measured = false;
    for (header, message) in [
        (
            "Content-Length: 1000000000000",
            "runnerc: language server: a message of 1000000000000 bytes was announced (`Content-Length`), more than the 67108864 bytes (64 MiB) the server reads\n",
        ),
        (
            "Content-Length: 18446744073709551615",
            "runnerc: language server: a message of 18446744073709551615 bytes was announced",
        ),
        (
            "Content-Length: 3000000000",
            "runnerc: language server: a message of 3000000000 bytes was announced",
        ),
        (
            "Content-Length: 12abc",
            "runnerc: language server: a message header was malformed: `Content-Length: 12abc` is not a length in bytes\n",
        ),
        (
            "Content-Length 2",
            "runnerc: language server: a message header was malformed: `Content-Length 2` is not `Name: value`\n",
        ),
    ] {
        // After a good first message, so it is the header that ends the session.
        let input = format!("{}{header}\r\n\r\n{{}}", framed(INITIALIZE));
        let (status, stderr, peak) = raw_session(input.as_bytes());
        assert_eq!(status, Some(2), "{header}: {stderr}");
        assert!(stderr.contains(message), "{header}: {stderr}");
        assert!(!stderr.contains("panicked"), "{header}: {stderr}");
        if let Some(peak) = peak {
            // Nothing of the announced size allocated: a few MiB, as for any session.
            assert!(peak < 64 * 1024, "{header}: peak {peak} KiB");
            measured = true;
        }
    }
    if !measured {
        support::skip(
            "lsp peak memory",
            "/usr/bin/time is not there to measure it",
        );
    }
}

#[test]
fn a_broken_stream_says_what_was_wrong() {
    let shutdown = r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#;
    for (input, status, message) in [
        (
            String::new(),
            Some(2),
            "runnerc: language server: the client closed the input before `exit`\n",
        ),
        (
            framed(INITIALIZE),
            Some(2),
            "runnerc: language server: the client closed the input before `exit`\n",
        ),
        (
            format!("{}Content-Length: 10\r\n\r\n{{}}", framed(INITIALIZE)),
            Some(2),
            "runnerc: language server: the input ended inside a message: 2 of its 10 bytes were sent\n",
        ),
        (
            format!("{}Content-Length: 10\r\n", framed(INITIALIZE)),
            Some(2),
            "runnerc: language server: the input ended inside a message header",
        ),
        (
            format!("{}{}", framed(INITIALIZE), framed("{]")),
            Some(2),
            "runnerc: language server: a message is not JSON-RPC: ",
        ),
        // Closed after `shutdown`: nothing was lost, nothing to say.
        (
            format!(
                "{}{}{}",
                framed(INITIALIZE),
                framed(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#),
                framed(shutdown)
            ),
            Some(0),
            "",
        ),
    ] {
        let (got, stderr, _) = raw_session(input.as_bytes());
        assert_eq!(got, status, "{input:?}: {stderr}");
        assert!(stderr.contains(message), "{input:?}: {stderr}");
        assert!(
            !stderr.contains("disconnected") && !stderr.contains("panicked"),
            "{input:?}: {stderr}"
        );
        if message.is_empty() {
            assert_eq!(stderr, "", "{input:?}");
        }
    }
}
