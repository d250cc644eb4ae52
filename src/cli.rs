//! The command line: `runnerc check` and `runnerc build`.
//!
//! This module reads the input files, calls [`compile`](crate::compile::compile), prints the
//! diagnostics and writes the outputs. Exit statuses are a type, [`Status`].

use crate::ast::Span;
use crate::compile::{Compilation, compile};
use crate::diag::{self, Code, Diagnostic, Loc, Sources};
use crate::lower::{self, Emit};
use crate::output;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The exit statuses of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No error (warnings allowed).
    Ok = 0,
    /// The spec has errors.
    SpecErrors = 1,
    /// The command line is wrong, or a file could not be read or written.
    Usage = 2,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "runnerc",
    version,
    about = "Compile .runner specs into least-privilege IAM documents for streaming runners on ECS Fargate"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and validate specs; diagnostics go to stderr (or stdout with --format json)
    #[command(
        after_help = "Example:\n  runnerc check examples/orders.runner\n  runnerc check --format json specs/*.runner"
    )]
    Check {
        /// The .runner files
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// How to print diagnostics
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Compile specs and write each runner's documents to OUT/<runner>/
    #[command(
        after_help = "Example:\n  runnerc build examples/orders.runner --out out\n  runnerc build specs/*.runner --out out --emit json,aws-cli"
    )]
    Build {
        /// The .runner files
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The folder to write into
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// What to write: json (the IAM documents), aws-cli (create/delete scripts)
        #[arg(long, value_enum, value_delimiter = ',', default_value = "json")]
        emit: Vec<EmitArg>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EmitArg {
    Json,
    AwsCli,
}

impl From<EmitArg> for Emit {
    fn from(arg: EmitArg) -> Self {
        match arg {
            EmitArg::Json => Emit::Json,
            EmitArg::AwsCli => Emit::AwsCli,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                Status::Usage.into()
            } else {
                Status::Ok.into()
            };
        }
    };
    run(cli).into()
}

fn run(cli: Cli) -> Status {
    match cli.command {
        Command::Check { files, format } => {
            let (sources, input_diagnostics) = match read_sources(&files) {
                Ok(read) => read,
                Err(status) => return status,
            };
            let compilation = compile_inputs(&sources, input_diagnostics);
            report(&compilation, &sources, format);
            status_of(&compilation)
        }
        Command::Build { files, out, emit } => {
            let (sources, input_diagnostics) = match read_sources(&files) {
                Ok(read) => read,
                Err(status) => return status,
            };
            let mut emit: Vec<Emit> = emit.into_iter().map(Emit::from).collect();
            emit.sort();
            emit.dedup();
            build(&sources, input_diagnostics, &out, &emit)
        }
    }
}

fn status_of(compilation: &Compilation) -> Status {
    if compilation.has_errors() {
        Status::SpecErrors
    } else {
        Status::Ok
    }
}

fn build(
    sources: &Sources,
    input_diagnostics: Vec<Diagnostic>,
    out: &Path,
    emit: &[Emit],
) -> Status {
    if out.exists() && !out.is_dir() {
        eprintln!("runnerc: `{}` is not a folder", out.display());
        return Status::Usage;
    }
    let compilation = compile_inputs(sources, input_diagnostics);
    report(&compilation, sources, Format::Human);
    if compilation.has_errors() {
        eprintln!("runnerc: nothing written: the specs have errors");
        return Status::SpecErrors;
    }
    let files: Vec<_> = compilation
        .runners
        .iter()
        .flat_map(|c| lower::output_files(&c.runner, &c.documents, emit))
        .collect();
    match output::write_all(out, &files) {
        Ok(paths) => {
            let mut stdout = std::io::stdout().lock();
            for path in paths {
                let _ = writeln!(stdout, "wrote {}", path.display());
            }
            Status::Ok
        }
        Err(error) => {
            eprintln!("runnerc: cannot write to `{}`: {error}", out.display());
            Status::Usage
        }
    }
}

fn report(compilation: &Compilation, sources: &Sources, format: Format) {
    match format {
        Format::Human => {
            if compilation.diagnostics.is_empty() {
                return;
            }
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let text = diag::render_human(&compilation.diagnostics, sources, color);
            let mut stderr = std::io::stderr().lock();
            let _ = stderr.write_all(text.as_bytes());
            let _ = writeln!(stderr, "{}", summary(compilation));
        }
        Format::Json => {
            let text = diag::render_json(&compilation.diagnostics, sources);
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
}

fn summary(compilation: &Compilation) -> String {
    let errors = compilation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .count();
    let warnings = compilation.diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "runnerc: {}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// Reads every input. A file that cannot be read stops the command with a one-line message
/// (status 2); a file that is not UTF-8 is kept, decoded lossily, with an `E003` diagnostic at
/// its first bad byte.
fn read_sources(files: &[PathBuf]) -> Result<(Sources, Vec<Diagnostic>), Status> {
    let mut sources = Sources::new();
    let mut diagnostics = Vec::new();
    for path in files {
        if path.is_dir() {
            eprintln!(
                "runnerc: `{}` is a folder, not a .runner file",
                path.display()
            );
            return Err(Status::Usage);
        }
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("runnerc: cannot read `{}`: {error}", path.display());
                return Err(Status::Usage);
            }
        };
        let name = path.display().to_string();
        match String::from_utf8(bytes) {
            Ok(text) => {
                sources.add(name, text);
            }
            Err(error) => {
                let offset = error.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
                let id = sources.add(name, text);
                diagnostics.push(
                    Diagnostic::new(
                        Code::NotUtf8,
                        Loc::new(id, Span::new(offset, offset + 1)),
                        "the file is not UTF-8 text",
                    )
                    .with_label("the first byte that is not UTF-8")
                    .with_help("save the spec as UTF-8"),
                );
            }
        }
    }
    Ok((sources, diagnostics))
}

/// Compiles, unless a file could not be decoded: then its diagnostics are the whole result.
fn compile_inputs(sources: &Sources, input_diagnostics: Vec<Diagnostic>) -> Compilation {
    if input_diagnostics.is_empty() {
        compile(sources)
    } else {
        Compilation {
            diagnostics: input_diagnostics,
            runners: Vec::new(),
        }
    }
}
