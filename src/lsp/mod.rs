//! `runnerc lsp`: a language server over stdio.
//!
//! It reuses the compiler's stages as they are: every change compiles the document
//! ([`compile`]) and publishes the same diagnostics as `check`, with their related locations
//! and fixes (offered as quick fixes); formatting is `fmt`; hover shows keyword documentation
//! (the parser's keyword table), the ARNs a secret or destination compiles to (from the lowered
//! documents' origins) and a runner's role names; completion offers the keywords the grammar
//! accepts at the cursor, less those the checker refuses there. Hover and symbols read the
//! runner blocks through the parser's own recovery, as `compile` does.
//! Positions are in the encoding negotiated with the client (UTF-16 unless it offers UTF-8).

pub mod position;
pub mod transport;

use crate::ast::{RoleKind, RunnerDecl, Span};
use crate::compile::{Compilation, compile};
use crate::diag::{self, Severity, Sources};
use crate::lower::iam;
use crate::parse::keywords;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CompletionItem, CompletionItemKind, CompletionParams,
    CompletionResponse, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DocumentFormattingParams, DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, Hover,
    HoverContents, HoverParams, HoverProviderCapability, InitializeParams, Location, MarkupContent,
    MarkupKind, NumberOrString, OneOf, PositionEncodingKind, PublishDiagnosticsParams,
    ServerCapabilities, ServerInfo, SymbolKind, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextEdit, Uri, WorkspaceEdit,
};
use position::{Encoding, LineIndex};
use serde_json::Value;
use std::collections::HashMap;
use transport::InputEnd;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Serves one client on stdin and stdout until it says `exit`. A broken stream ends it with
/// what was wrong with the input.
pub fn run() -> Result<End, Error> {
    let (connection, stdio) = transport::stdio()?;
    let served = serve(&connection);
    drop(connection);
    let (written, input) = stdio.finish();
    // A session cut short by the end of its input (the channel `disconnected`): why it ended.
    let cut_short = match &served {
        Ok(End::Closed { shut_down }) => !shut_down,
        Ok(_) => false,
        Err(error) => error
            .downcast_ref::<lsp_server::ProtocolError>()
            .is_some_and(lsp_server::ProtocolError::channel_is_disconnected),
    };
    match (input, cut_short) {
        (Some(InputEnd::Broken(problem)), true) => Err(problem.into()),
        (Some(InputEnd::Closed), true) => Err("the client closed the input before `exit`".into()),
        _ => {
            let end = served?;
            written?;
            Ok(end)
        }
    }
}

/// The protocol on a connection: initialize, then requests and notifications until shutdown.
pub fn serve(connection: &Connection) -> Result<End, Error> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let encoding = negotiate(&params);
    let capabilities = ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        document_formatting_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp_types::CompletionOptions::default()),
        document_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(
            lsp_types::CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": ServerInfo {
            name: "runnerc".to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        },
    });
    connection.initialize_finish(id, result)?;
    let mut server = Server {
        connection,
        encoding,
        documents: HashMap::new(),
    };
    let mut shut_down = false;
    for message in &connection.receiver {
        match message {
            Message::Request(request) if shut_down => {
                server.respond(Response::new_err(
                    request.id,
                    ErrorCode::InvalidRequest as i32,
                    "the server is shutting down".to_owned(),
                ))?;
            }
            Message::Request(request) if request.method == "shutdown" => {
                shut_down = true;
                server.respond(Response::new_ok(request.id, ()))?;
            }
            Message::Request(request) => server.request(request)?,
            Message::Notification(notification) if notification.method == "exit" => {
                return Ok(if shut_down {
                    End::Exit
                } else {
                    End::ExitWithoutShutdown
                });
            }
            Message::Notification(notification) if !shut_down => {
                let method = notification.method.clone();
                if let Err(problem) = server.notification(notification) {
                    // A notification has no reply: say why it was ignored, and go on.
                    eprintln!("runnerc lsp: `{method}` ignored: {problem}");
                }
            }
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
    Ok(End::Closed { shut_down })
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `exit` after `shutdown`.
    Exit,
    /// `exit` without `shutdown`: the protocol asks for exit status 1.
    ExitWithoutShutdown,
    /// The client closed the connection without `exit`, after `shutdown` or not.
    Closed { shut_down: bool },
}

/// Reads a message's parameters; a message that does not fit is the client's error, answered
/// (or, for a notification, reported) without ending the session.
fn params<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|error| format!("invalid parameters: {error}"))
}

/// UTF-8 when the client offers it, else UTF-16 (the protocol's default).
fn negotiate(params: &InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref());
    if offered.is_some_and(|kinds| kinds.contains(&PositionEncodingKind::UTF8)) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

/// An open document, compiled.
struct Document {
    /// The document's text, as the only source of a compilation.
    sources: Sources,
    compilation: Compilation,
    /// Its runner blocks, parsed the first time hover or symbols need them after a change.
    decls: std::cell::OnceCell<Vec<RunnerDecl>>,
}

impl Document {
    fn new(uri: &Uri, text: String) -> Self {
        let mut sources = Sources::new();
        sources.add(display_name(uri), text);
        let compilation = compile(&sources);
        Document {
            sources,
            compilation,
            decls: std::cell::OnceCell::new(),
        }
    }

    fn text(&self) -> &str {
        &self.sources.get(0).text
    }

    fn decls(&self) -> &[RunnerDecl] {
        self.decls.get_or_init(|| runner_decls(self.text()))
    }
}

/// What a document is called in messages: its path, or its URI.
fn display_name(uri: &Uri) -> String {
    let text = uri.as_str();
    text.strip_prefix("file://").unwrap_or(text).to_owned()
}

struct Server<'a> {
    connection: &'a Connection,
    encoding: Encoding,
    documents: HashMap<String, Document>,
}

impl Server<'_> {
    fn notification(&mut self, notification: Notification) -> Result<(), Error> {
        match notification.method.as_str() {
            "textDocument/didOpen" => {
                let params: DidOpenTextDocumentParams = params(notification.params)?;
                let document = params.text_document;
                self.update(document.uri, document.text, Some(document.version))?;
            }
            "textDocument/didChange" => {
                let params: DidChangeTextDocumentParams = params(notification.params)?;
                // Full synchronisation: the last change holds the whole text.
                if let Some(change) = params.content_changes.into_iter().last() {
                    let document = params.text_document;
                    self.update(document.uri, change.text, Some(document.version))?;
                }
            }
            "textDocument/didClose" => {
                let params: DidCloseTextDocumentParams = params(notification.params)?;
                self.documents.remove(params.text_document.uri.as_str());
                self.publish(params.text_document.uri, Vec::new(), None)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn update(&mut self, uri: Uri, text: String, version: Option<i32>) -> Result<(), String> {
        let document = Document::new(&uri, text);
        let diagnostics = self.diagnostics(&uri, &document);
        self.documents.insert(uri.as_str().to_owned(), document);
        self.publish(uri, diagnostics, version)
    }

    fn publish(
        &self,
        uri: Uri,
        diagnostics: Vec<Diagnostic>,
        version: Option<i32>,
    ) -> Result<(), String> {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.connection
            .sender
            .send(Message::Notification(Notification::new(
                "textDocument/publishDiagnostics".to_owned(),
                params,
            )))
            .map_err(|error| error.to_string())
    }

    /// The document's diagnostics, as `check` reports them.
    fn diagnostics(&self, uri: &Uri, document: &Document) -> Vec<Diagnostic> {
        let index = LineIndex::new(document.text(), self.encoding);
        document
            .compilation
            .diagnostics
            .iter()
            .map(|d| to_lsp(d, uri, &index))
            .collect()
    }

    fn request(&mut self, request: Request) -> Result<(), Error> {
        let id = request.id.clone();
        let method = request.method.clone();
        let response = match self.answer(request) {
            Ok(Some(result)) => Response::new_ok(id, result),
            Ok(None) => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("runnerc does not handle `{method}`"),
            ),
            Err(problem) => Response::new_err(id, ErrorCode::InvalidParams as i32, problem),
        };
        self.respond(response)
    }

    /// The result of a request; `None` for a method this server does not handle.
    fn answer(&mut self, request: Request) -> Result<Option<Value>, String> {
        Ok(Some(match request.method.as_str() {
            "textDocument/formatting" => {
                let params: DocumentFormattingParams = params(request.params)?;
                self.with_document(&params.text_document.uri, |server, document| {
                    server.formatting(document)
                })
            }
            "textDocument/hover" => {
                let params: HoverParams = params(request.params)?;
                let at = params.text_document_position_params;
                self.with_document(&at.text_document.uri, |server, document| {
                    server.hover(document, at.position)
                })
            }
            "textDocument/completion" => {
                let params: CompletionParams = params(request.params)?;
                let at = params.text_document_position;
                self.with_document(&at.text_document.uri, |server, document| {
                    server.completion(document, at.position)
                })
            }
            "textDocument/documentSymbol" => {
                let params: DocumentSymbolParams = params(request.params)?;
                self.with_document(&params.text_document.uri, |server, document| {
                    server.symbols(document)
                })
            }
            "textDocument/codeAction" => {
                let params: CodeActionParams = params(request.params)?;
                let uri = params.text_document.uri.clone();
                self.with_document(&uri, |server, document| {
                    server.code_actions(document, &uri, &params)
                })
            }
            _ => return Ok(None),
        }))
    }

    fn with_document(&self, uri: &Uri, answer: impl FnOnce(&Self, &Document) -> Value) -> Value {
        match self.documents.get(uri.as_str()) {
            Some(document) => answer(self, document),
            None => Value::Null,
        }
    }

    fn respond(&self, response: Response) -> Result<(), Error> {
        self.connection.sender.send(Message::Response(response))?;
        Ok(())
    }

    /// `fmt`'s output as one edit; nothing when the document does not parse.
    fn formatting(&self, document: &Document) -> Value {
        let text = document.text();
        match crate::format::format(text) {
            Ok(formatted) if formatted == text => serde_json::json!([]),
            Ok(formatted) => {
                let index = LineIndex::new(text, self.encoding);
                serde_json::to_value(vec![TextEdit::new(index.all(), formatted)])
                    .unwrap_or_default()
            }
            Err(_) => Value::Null,
        }
    }

    fn hover(&self, document: &Document, position: lsp_types::Position) -> Value {
        let text = document.text();
        let index = LineIndex::new(text, self.encoding);
        let offset = index.offset(position);
        let Some((markdown, span)) = hover_at(document, offset) else {
            return Value::Null;
        };
        let hover = Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: markdown,
            }),
            range: Some(index.range(span.start, span.end)),
        };
        serde_json::to_value(hover).unwrap_or_default()
    }

    fn completion(&self, document: &Document, position: lsp_types::Position) -> Value {
        let text = document.text();
        let index = LineIndex::new(text, self.encoding);
        let offset = index.offset(position);
        let start = word_start(text, offset);
        // No keyword goes inside a string or a comment.
        let block = block_start(text, start);
        if in_string_or_comment(text, block, start) {
            return serde_json::json!([]);
        }
        // The typed part of the word is replaced, whatever the client takes a word to be.
        let typed = index.range(start, offset);
        let items: Vec<CompletionItem> = keywords_at(text, block, start)
            .into_iter()
            .map(|keyword| CompletionItem {
                label: keyword.to_owned(),
                kind: Some(CompletionItemKind::KEYWORD),
                text_edit: Some(lsp_types::CompletionTextEdit::Edit(TextEdit::new(
                    typed,
                    keyword.to_owned(),
                ))),
                documentation: keywords::find(keyword).map(|keyword| {
                    lsp_types::Documentation::MarkupContent(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: keyword.documentation.to_owned(),
                    })
                }),
                ..Default::default()
            })
            .collect();
        serde_json::to_value(CompletionResponse::Array(items)).unwrap_or_default()
    }

    fn symbols(&self, document: &Document) -> Value {
        let text = document.text();
        let index = LineIndex::new(text, self.encoding);
        #[allow(deprecated)] // `deprecated` is a field every DocumentSymbol must still carry.
        let symbols: Vec<DocumentSymbol> = document
            .decls()
            .iter()
            .map(|decl| DocumentSymbol {
                name: decl.name.node.clone(),
                detail: Some("runner".to_owned()),
                kind: SymbolKind::MODULE,
                tags: None,
                deprecated: None,
                range: index.range(decl.span.start, decl.span.end),
                selection_range: index.range(decl.name.span.start, decl.name.span.end),
                children: None,
            })
            .collect();
        serde_json::to_value(DocumentSymbolResponse::Nested(symbols)).unwrap_or_default()
    }

    /// The fixes of the diagnostics in the requested range, as quick fixes.
    fn code_actions(&self, document: &Document, uri: &Uri, params: &CodeActionParams) -> Value {
        // Quick fixes are the only kind there is.
        if let Some(only) = &params.context.only
            && !only
                .iter()
                .any(|kind| CodeActionKind::QUICKFIX.as_str().starts_with(kind.as_str()))
        {
            return serde_json::json!([]);
        }
        let index = LineIndex::new(document.text(), self.encoding);
        let wanted = (
            index.offset(params.range.start),
            index.offset(params.range.end),
        );
        let mut actions = Vec::new();
        for diagnostic in &document.compilation.diagnostics {
            let span = diagnostic.loc.span;
            if span.end < wanted.0 || span.start > wanted.1 {
                continue;
            }
            for fix in &diagnostic.fixes {
                let edits: Vec<TextEdit> = fix
                    .edits
                    .iter()
                    .map(|edit| {
                        TextEdit::new(
                            index.range(edit.loc.span.start, edit.loc.span.end),
                            edit.text_in(&document.sources),
                        )
                    })
                    .collect();
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![to_lsp(diagnostic, uri, &index)]),
                    edit: Some(WorkspaceEdit {
                        changes: Some(HashMap::from([(uri.clone(), edits)])),
                        ..Default::default()
                    }),
                    is_preferred: Some(true),
                    ..Default::default()
                }));
            }
        }
        serde_json::to_value(actions).unwrap_or_default()
    }
}

/// A diagnostic of `check` as the protocol's: the same code, message, range, related
/// locations; the help line after the message.
fn to_lsp(diagnostic: &diag::Diagnostic, uri: &Uri, index: &LineIndex<'_>) -> Diagnostic {
    let span = diagnostic.loc.span;
    let message = match &diagnostic.help {
        Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .secondary
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(
                uri.clone(),
                index.range(label.loc.span.start, label.loc.span.end),
            ),
            message: label.message.clone(),
        })
        .collect();
    Diagnostic {
        range: index.range(span.start, span.end),
        severity: Some(match diagnostic.severity() {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.as_str().to_owned())),
        source: Some("runnerc".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// The runner blocks of a text, each parsed on its own (so one syntax error does not hide the
/// others), with spans in the whole text. A block that does not parse is kept with its name
/// and no statements, when it starts `runner "NAME"`.
fn runner_decls(text: &str) -> Vec<RunnerDecl> {
    let mut decls = Vec::new();
    for block in crate::parse::parse_blocks(text, 0, |spec| spec.runners) {
        match block.parsed {
            Ok(runners) => decls.extend(runners),
            Err(unparsed) => decls.extend(unparsed.header),
        }
    }
    decls
}

/// Where the runner block around `offset` starts ([`crate::parse::blocks`]: a block still being
/// typed starts at the last line that starts with `runner`).
fn block_start(text: &str, offset: usize) -> usize {
    crate::parse::blocks(text)
        .into_iter()
        .find(|range| range.start <= offset && offset <= range.end)
        .map_or(0, |range| range.start)
}

/// The keywords the grammar accepts at `offset`, parsing only the runner block from `block`, so
/// an error in another block does not matter.
fn keywords_at(text: &str, block: usize, offset: usize) -> Vec<&'static str> {
    let mut keywords = crate::parse::keywords_expected_at(&text[block..], offset - block);
    // The grammar takes every field in both role blocks; the checker refuses some in one of
    // them (E077, E106), and those are not offered there.
    if let Some(kind) = enclosing_role(&text[block..offset]) {
        keywords.retain(|keyword| crate::check::refused_field(kind, keyword).is_none());
    }
    keywords
}

/// The role whose block (`task role { ...`) a block's text, up to the cursor, ends inside.
fn enclosing_role(text: &str) -> Option<RoleKind> {
    let brace = crate::parse::unclosed_brace(text)?;
    let mut words = text[..brace].split_whitespace().rev();
    let (role, kind) = (words.next()?, words.next()?);
    RoleKind::ALL
        .into_iter()
        .find(|written| written.keyword() == format!("{kind} {role}"))
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// Where the word that ends at `offset` starts.
fn word_start(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut start = offset.min(bytes.len());
    while start > 0 && is_word_byte(bytes[start - 1]) {
        start -= 1;
    }
    start
}

/// The word around `offset`, and its span.
fn word_at(text: &str, offset: usize) -> Option<(&str, Span)> {
    let bytes = text.as_bytes();
    let start = word_start(text, offset);
    let mut end = offset.min(bytes.len());
    while end < bytes.len() && is_word_byte(bytes[end]) {
        end += 1;
    }
    (start < end).then(|| (&text[start..end], Span::new(start, end)))
}

/// Whether `offset` of `text` is inside a string or a comment, scanning from `from`, a place
/// outside both.
fn in_string_or_comment(text: &str, from: usize, offset: usize) -> bool {
    let bytes = text.as_bytes();
    let (mut in_string, mut in_comment) = (false, false);
    let mut i = from;
    while i < offset.min(bytes.len()) {
        match bytes[i] {
            b'\n' => in_comment = false,
            b'#' if !in_string => in_comment = true,
            b'\\' if in_string => i += 1,
            b'"' if !in_comment => in_string = !in_string,
            _ => {}
        }
        i += 1;
    }
    in_string || in_comment
}

/// What to show at `offset`: Markdown, and the span it is about.
fn hover_at(document: &Document, offset: usize) -> Option<(String, Span)> {
    let text = document.text();
    let decl = document
        .decls()
        .iter()
        .find(|d| d.span.start <= offset && offset <= d.span.end);
    let Some(decl) = decl else {
        // Outside any runner that parses: keywords only, and none in a comment (strings
        // stand only inside runners).
        let (word, span) = word_at(text, offset)?;
        let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        if text[line_start..span.start].contains('#') {
            return None;
        }
        return Some((keywords::find(word)?.documentation.to_owned(), span));
    };
    let runner = document
        .compilation
        .runners
        .iter()
        .find(|r| r.name_loc.span == decl.name.span);
    if decl.name.span.start <= offset && offset <= decl.name.span.end {
        let markdown = match runner {
            Some(runner) => {
                let mut lines = vec![format!("runner `{}`", runner.name)];
                for kind in crate::ast::RoleKind::ALL {
                    let role = runner.role(kind);
                    let arn = match role.ownership {
                        crate::model::Ownership::Existing { path_known: false } => {
                            "its path is IAM's to say".to_owned()
                        }
                        _ => format!(
                            "`arn:{}:iam::{}:role{}{}`",
                            runner.partition, runner.account, role.path, role.name
                        ),
                    };
                    lines.push(format!(
                        "- {}: `{}` ({arn}){}",
                        kind.keyword(),
                        role.name,
                        if role.is_existing() { ", existing" } else { "" }
                    ));
                }
                lines.join("\n")
            }
            None => format!(
                "runner `{}` (it has errors: fix them to see its roles)",
                decl.name.node
            ),
        };
        return Some((markdown, decl.name.span));
    }
    let statement = decl
        .statements
        .iter()
        .find(|s| s.span.start <= offset && offset <= s.span.end);
    if let Some(statement) = statement
        && let Some(value) = value_at(statement, offset)
    {
        let markdown = match runner {
            Some(runner) => value_hover(runner, statement, &value)?,
            None => "this runner has errors: fix them to see what it compiles to".to_owned(),
        };
        return Some((markdown, value.span));
    }
    let (word, span) = word_at(text, offset)?;
    if in_string_or_comment(text, decl.span.start, span.start) {
        return None;
    }
    Some((keywords::find(word)?.documentation.to_owned(), span))
}

/// A value written in a statement, and which one it is.
struct WrittenValue {
    what: ValueKind,
    span: Span,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    Secret,
    SecretKey,
    Bucket,
    Prefix,
    BucketKey,
    Owner,
    ExistingRole,
}

/// The value under `offset` in a statement, if any.
fn value_at(
    statement: &crate::ast::Spanned<crate::ast::Statement>,
    offset: usize,
) -> Option<WrittenValue> {
    use crate::ast::{DestinationField, Statement};
    let within = |span: Span| span.start <= offset && offset <= span.end;
    let found = |what, span| Some(WrittenValue { what, span });
    match &statement.node {
        Statement::Secret(decl) => {
            if within(decl.target.span) {
                return found(ValueKind::Secret, decl.target.span);
            }
            let key = decl.kms.as_ref()?;
            within(key.span).then_some(())?;
            found(ValueKind::SecretKey, key.span)
        }
        Statement::Destination(fields) => fields.iter().find_map(|field| {
            let (what, value) = match &field.node {
                DestinationField::Bucket(v) => (ValueKind::Bucket, v),
                DestinationField::Prefix(v) => (ValueKind::Prefix, v),
                DestinationField::Kms(v) => (ValueKind::BucketKey, v),
                DestinationField::Owner(v) => (ValueKind::Owner, v),
            };
            within(value.span).then_some(WrittenValue {
                what,
                span: value.span,
            })
        }),
        Statement::ExistingRole { role, .. } if within(role.span) => {
            found(ValueKind::ExistingRole, role.span)
        }
        _ => None,
    }
}

/// What a value compiles to: the ARNs of the statements it produced, read from the lowered
/// documents' origins.
fn value_hover(
    runner: &crate::model::Runner,
    statement: &crate::ast::Spanned<crate::ast::Statement>,
    value: &WrittenValue,
) -> Option<String> {
    let documents = iam::documents(runner);
    // (resource, Sid, role) of every statement this spec statement produced.
    let mut produced: Vec<(String, String, &str)> = Vec::new();
    for kind in crate::ast::RoleKind::ALL {
        for lowered in documents.policy(kind).iter().flat_map(|p| &p.statement) {
            for origin in &lowered.origins {
                let at = origin.written.span;
                if statement.span.start <= at.start && at.end <= statement.span.end {
                    produced.push((origin.resource.clone(), lowered.sid.clone(), kind.keyword()));
                }
            }
        }
    }
    let is_key = |r: &str| r.contains(":kms:");
    let is_s3 = |r: &str| r.contains(":s3:::");
    let keep: Box<dyn Fn(&str) -> bool> = match value.what {
        ValueKind::Secret => Box::new(|r: &str| r.contains(":secretsmanager:")),
        ValueKind::SecretKey | ValueKind::BucketKey => Box::new(is_key),
        ValueKind::Bucket => Box::new(is_s3),
        ValueKind::Prefix => Box::new(move |r: &str| is_s3(r) && r.contains('/')),
        ValueKind::Owner => {
            let owner = runner
                .destinations
                .iter()
                .find(|d| {
                    statement.span.start <= d.written.span.start
                        && d.written.span.end <= statement.span.end
                })?
                .owner
                .clone();
            return Some(format!(
                "every S3 statement of this bucket requires `s3:ResourceAccount` = `{owner}`"
            ));
        }
        ValueKind::ExistingRole => {
            let role = [&runner.task_role, &runner.execution_role]
                .into_iter()
                .find(|r| {
                    r.is_existing()
                        && r.name_loc.span.start >= statement.span.start
                        && r.name_loc.span.end <= statement.span.end
                })?;
            return Some(format!(
                "existing role `{}`: runnerc adds only its inline policy `{}`",
                role.name,
                runner.existing_role_policy_name()
            ));
        }
    };
    let mut lines: Vec<String> = Vec::new();
    for (resource, sid, role) in &produced {
        let line = format!("- `{resource}` ({role}, `{sid}`)");
        if keep(resource) && !lines.contains(&line) {
            lines.push(line);
        }
    }
    (!lines.is_empty()).then(|| format!("compiles to:\n{}", lines.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_leaves_out_what_the_checker_refuses_in_the_role() {
        let text = "runner \"r\" {\n  task role {\n    \n  }\n  execution role {\n    \n  }\n}\n";
        let task = text.find("{\n    \n").unwrap() + 6;
        let execution = text.rfind("{\n    \n").unwrap() + 6;
        let refused = ["managed-policy", "image", "logs"];
        let in_task = keywords_at(text, 0, task);
        assert!(in_task.contains(&"name"), "{in_task:?}");
        assert!(refused.iter().all(|k| !in_task.contains(k)), "{in_task:?}");
        let in_execution = keywords_at(text, 0, execution);
        assert!(
            refused.iter().all(|k| in_execution.contains(k)),
            "{in_execution:?}"
        );
        assert_eq!(
            enclosing_role("runner \"r\" { task role {"),
            Some(RoleKind::Task)
        );
        assert_eq!(enclosing_role("runner \"r\" {"), None);
    }

    #[test]
    fn words_and_strings() {
        let text = "runner \"a\" { # secret\n  secret \"x\\\"y\" }";
        assert_eq!(word_at(text, 2).map(|w| w.0), Some("runner"));
        assert!(in_string_or_comment(
            text,
            0,
            text.find("secret").unwrap() + 1
        ));
        let second = text.rfind("secret").unwrap();
        assert!(!in_string_or_comment(text, 0, second + 1));
        assert!(in_string_or_comment(text, 0, text.find('y').unwrap()));
    }
}
