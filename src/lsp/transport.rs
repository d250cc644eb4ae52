//! The protocol's framing on stdin and stdout, read here rather than by `lsp-server`: a header
//! block (`Content-Length: N`, `\r\n` line ends, an empty line), then N bytes of JSON-RPC. A
//! length is checked before anything of its size is allocated, and a broken stream ends the
//! session with what was wrong, not with a panic or an abort.

use crossbeam_channel::{Receiver, Sender, bounded};
use lsp_server::{Connection, Message};
use std::io::{self, BufRead, Read, Write};
use std::thread;

/// The largest message the server reads: 64 MiB. A message is one spec at most (the protocol
/// sends a changed document whole), JSON-escaped; the checker compiles a 10 MB spec in about
/// a second, so 64 MiB is far above any spec an editor can work on at speed, and far below
/// what would strain the machine.
pub const MAX_CONTENT_LENGTH: u64 = 64 * 1024 * 1024;

/// The longest header line: the protocol's two headers (`Content-Length`, `Content-Type`)
/// take under 100 bytes.
const MAX_HEADER_LINE: u64 = 1024;

/// How the input ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputEnd {
    /// The `exit` notification was read; nothing after it is.
    Exit,
    /// The client closed the input between messages, before `exit`.
    Closed,
    /// The stream was broken: what was wrong.
    Broken(String),
}

/// A connection on stdin and stdout, and the threads that serve it.
pub struct Stdio {
    input: Receiver<InputEnd>,
    writer: thread::JoinHandle<io::Result<()>>,
}

/// Starts reading stdin and writing stdout.
pub fn stdio() -> io::Result<(Connection, Stdio)> {
    let (reader_sender, reader_receiver) = bounded::<Message>(0);
    let (writer_sender, writer_receiver) = bounded::<Message>(0);
    let (end_sender, end_receiver) = bounded::<InputEnd>(1);
    thread::Builder::new()
        .name("lsp-reader".to_owned())
        .spawn(move || {
            let end = read_messages(&mut io::stdin().lock(), &reader_sender);
            // Said before the message channel closes, so whoever sees it closed can ask why.
            let _ = end_sender.send(end);
            drop(reader_sender);
        })?;
    let writer = thread::Builder::new()
        .name("lsp-writer".to_owned())
        .spawn(move || {
            let mut stdout = io::stdout().lock();
            for message in writer_receiver {
                message.write(&mut stdout)?;
            }
            stdout.flush()
        })?;
    let connection = Connection {
        sender: writer_sender,
        receiver: reader_receiver,
    };
    Ok((
        connection,
        Stdio {
            input: end_receiver,
            writer,
        },
    ))
}

impl Stdio {
    /// Waits for every reply to be written (the connection must be dropped first), and says
    /// how the input ended, if it has.
    pub fn finish(self) -> (io::Result<()>, Option<InputEnd>) {
        let written = self
            .writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread failed")));
        (written, self.input.try_recv().ok())
    }
}

/// Reads messages until `exit`, the end of the input, or a broken stream, and passes them on.
pub fn read_messages(input: &mut impl BufRead, messages: &Sender<Message>) -> InputEnd {
    loop {
        let message = match read_message(input) {
            Ok(Some(message)) => message,
            Ok(None) => return InputEnd::Closed,
            Err(problem) => return InputEnd::Broken(problem),
        };
        let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
        if messages.send(message).is_err() {
            // The server stopped listening: it has ended on its own.
            return InputEnd::Exit;
        }
        if exit {
            return InputEnd::Exit;
        }
    }
}

/// One message; `None` when the input ends before it starts.
pub fn read_message(input: &mut impl BufRead) -> Result<Option<Message>, String> {
    let mut length = None;
    let mut first = true;
    loop {
        let Some(line) = header_line(input, first)? else {
            return Ok(None);
        };
        first = false;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!(
                "a message header was malformed: `{line}` is not `Name: value`"
            ));
        };
        if name.eq_ignore_ascii_case("Content-Length") {
            length = Some(content_length(value.trim())?);
        }
    }
    let length = length.ok_or("a message header was malformed: it has no `Content-Length`")?;
    let mut body = Vec::new();
    let read = input
        .take(length)
        .read_to_end(&mut body)
        .map_err(|e| e.to_string())?;
    if (read as u64) < length {
        return Err(format!(
            "the input ended inside a message: {read} of its {length} bytes were sent"
        ));
    }
    let text = String::from_utf8(body).map_err(|_| "a message is not UTF-8 text".to_owned())?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|error| format!("a message is not JSON-RPC: {error}"))
}

/// A header line without its `\r\n`; `None` when the input ends before the first line of a
/// message.
fn header_line(input: &mut impl BufRead, first: bool) -> Result<Option<String>, String> {
    let mut line = Vec::new();
    input
        .take(MAX_HEADER_LINE + 2)
        .read_until(b'\n', &mut line)
        .map_err(|error| format!("the input cannot be read: {error}"))?;
    if line.is_empty() && first {
        return Ok(None);
    }
    let shown = |bytes: &[u8]| String::from_utf8_lossy(bytes).escape_debug().to_string();
    let Some(line) = line.strip_suffix(b"\r\n") else {
        return Err(if line.len() as u64 > MAX_HEADER_LINE {
            format!(
                "a message header was malformed: a header line is longer than {MAX_HEADER_LINE} bytes"
            )
        } else if line.ends_with(b"\n") {
            format!(
                "a message header was malformed: `{}` ends with `\\n`, not `\\r\\n`",
                shown(&line[..line.len() - 1])
            )
        } else {
            format!(
                "the input ended inside a message header: `{}`",
                shown(&line)
            )
        });
    };
    String::from_utf8(line.to_vec()).map(Some).map_err(|_| {
        format!(
            "a message header was malformed: `{}` is not text",
            shown(line)
        )
    })
}

/// A `Content-Length` value, within the limit.
fn content_length(value: &str) -> Result<u64, String> {
    let too_large = || {
        format!(
            "a message of {value} bytes was announced (`Content-Length`), more than the {MAX_CONTENT_LENGTH} bytes (64 MiB) the server reads"
        )
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "a message header was malformed: `Content-Length: {value}` is not a length in bytes"
        ));
    }
    let length: u64 = value.parse().map_err(|_| too_large())?;
    if length > MAX_CONTENT_LENGTH {
        return Err(too_large());
    }
    Ok(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &str) -> Result<Option<Message>, String> {
        read_message(&mut io::Cursor::new(input.as_bytes()))
    }

    #[test]
    fn framing() {
        let body = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let message = read(&format!(
            "Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{body}",
            body.len()
        ))
        .unwrap()
        .unwrap();
        assert!(matches!(message, Message::Notification(n) if n.method == "exit"));
        assert!(matches!(read(""), Ok(None)));
        for (input, problem) in [
            (
                "Content-Length: 1000000000000\r\n\r\n",
                "more than the 67108864 bytes",
            ),
            (
                "Content-Length: 99999999999999999999999\r\n\r\n",
                "more than",
            ),
            ("Content-Length: -1\r\n\r\n", "is not a length"),
            ("Content-Length 5\r\n\r\n", "is not `Name: value`"),
            ("Content-Length: 5\n\n", "not `\\r\\n`"),
            ("Content-Length: 5\r\n", "ended inside a message header"),
            ("Content-Type: x\r\n\r\n", "no `Content-Length`"),
            ("Content-Length: 5\r\n\r\n{}", "2 of its 5 bytes"),
            ("Content-Length: 2\r\n\r\n{]", "not JSON-RPC"),
        ] {
            let error = read(input).unwrap_err();
            assert!(error.contains(problem), "{input:?}: {error}");
        }
        let long = format!("X-{}: y\r\n\r\n", "a".repeat(2000));
        assert!(read(&long).unwrap_err().contains("longer than 1024 bytes"));
    }
}
