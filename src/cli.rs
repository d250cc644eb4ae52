//! The command line: `runnerc check` and `runnerc build`.
//!
//! This module reads the input files, calls [`compile`](crate::compile::compile), prints the
//! diagnostics and writes the outputs. Exit statuses are a type, [`Status`].

use crate::compile::{Compilation, compile};
use crate::diag::{self, Sources};
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
    #[command(after_help = "Example:\n  runnerc check examples/orders.runner\n  runnerc check --format json specs/*.runner")]
    Check {
        /// The .runner files
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// How to print diagnostics
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Compile specs and write each runner's documents to OUT/<runner>/
    #[command(after_help = "Example:\n  runnerc build examples/orders.runner --out out\n  runnerc build specs/*.runner --out out --emit json,aws-cli")]
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
            let sources = match read_sources(&files) {
                Ok(sources) => sources,
                Err(status) => return status,
            };
            let compilation = compile(&sources);
            report(&compilation, &sources, format);
            status_of(&compilation)
        }
        Command::Build { files, out, emit } => {
            let sources = match read_sources(&files) {
                Ok(sources) => sources,
                Err(status) => return status,
            };
            let mut emit: Vec<Emit> = emit.into_iter().map(Emit::from).collect();
            emit.sort();
            emit.dedup();
            build(&sources, &out, &emit)
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

fn build(sources: &Sources, out: &Path, emit: &[Emit]) -> Status {
    if out.exists() && !out.is_dir() {
        eprintln!("runnerc: `{}` is not a folder", out.display());
        return Status::Usage;
    }
    let compilation = compile(sources);
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
    let errors = compilation.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = compilation.diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!("runnerc: {}, {}", plural(errors, "error"), plural(warnings, "warning"))
}

/// Reads every input. On the first unreadable one prints a one-line message and returns the
/// status to exit with: 2 for a file that cannot be read, 1 for one that is not UTF-8 text.
fn read_sources(files: &[PathBuf]) -> Result<Sources, Status> {
    let mut sources = Sources::new();
    for path in files {
        if path.is_dir() {
            eprintln!("runnerc: `{}` is a folder, not a .runner file", path.display());
            return Err(Status::Usage);
        }
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(error) => {
                        let offset = error.utf8_error().valid_up_to();
                        let (line, column) = {
                            let mut scratch = Sources::new();
                            let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
                            let id = scratch.add("", lossy);
                            scratch.line_column(id, offset)
                        };
                        eprintln!(
                            "runnerc: {}:{line}:{column}: error: the file is not UTF-8 text",
                            path.display()
                        );
                        return Err(Status::SpecErrors);
                    }
                };
                sources.add(path.display().to_string(), text);
            }
            Err(error) => {
                eprintln!("runnerc: cannot read `{}`: {error}", path.display());
                return Err(Status::Usage);
            }
        }
    }
    Ok(sources)
}
