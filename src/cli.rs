//! The command line: every `runnerc` command.
//!
//! This module reads the inputs (through [`input`](crate::input)), calls [`compile`](crate::compile::compile), prints the
//! diagnostics and writes the outputs. Exit statuses are a type, [`Status`].

// `println!` and friends panic when their stream is closed (`runnerc explain E052 | head -1`).
// These write the same text and let a reader that went away get nothing more, quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

use crate::ast::RoleKind;
use crate::audit::can;
use crate::compile::{Compilation, compile};
use crate::diag::{self, Code, Diagnostic, FileId, Severity, Sources};
use crate::input::{self, Inputs, Origin};
use crate::lower::Emit;
use crate::model::Runner;
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
    /// The specs have errors, or the answer is not the wanted one (`can --expect`, `drift`).
    Failed = 1,
    /// The command line is wrong, or a file could not be read or written.
    Usage = 2,
    /// `diff --fail-on`: a change the gate names (the change needs review; the specs are fine).
    Gated = 3,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "runnerc",
    version = env!("RUNNERC_VERSION"),
    about = "Compile .runner specs into least-privilege IAM documents for streaming runners on ECS Fargate",
    after_help = "Example:\n  runnerc build examples/orders.runner --out out --emit json,aws-cli"
)]
struct Cli {
    /// When to colour diagnostics: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(long, value_enum, global = true, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour what goes to stderr.
    fn for_stderr(self) -> bool {
        self.for_stream(std::io::stderr().is_terminal())
    }

    /// Whether to colour what goes to stdout.
    fn for_stdout(self) -> bool {
        self.for_stream(std::io::stdout().is_terminal())
    }

    fn for_stream(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and validate specs; diagnostics go to stderr (or stdout with --format json)
    #[command(
        after_help = "Example:\n  runnerc check examples/orders.runner\n  runnerc check --format json specs/*.runner"
    )]
    Check {
        /// The .runner files; `-` reads one from standard input
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// How to print diagnostics: human (stderr), json or sarif (stdout)
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit 1 on a warning too (for CI)
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Compile specs and write each runner's documents to OUT/<runner>/
    #[command(
        after_help = "Example:\n  runnerc build examples/orders.runner --out out\n  runnerc build specs/*.runner --out out --emit json,aws-cli"
    )]
    Build {
        /// The .runner files; `-` reads one from standard input
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The folder to write into
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// What to write, comma-separated: json (the IAM documents), aws-cli (create and delete
        /// scripts), terraform (a module), cloudformation (a template), or all
        #[arg(long, value_delimiter = ',', default_value = "json", value_parser = emit_names())]
        emit: Vec<String>,
        /// Your own task definition (`register-task-definition --cli-input-json` shape, or
        /// `describe-task-definition` output): task-definition.json becomes it with the spec's
        /// roles, container secrets, image and logs merged in, ready to register (one runner)
        #[arg(long, value_name = "BASE.json")]
        task_definition: Option<PathBuf>,
        /// The agent's container in the base task definition (default: the runner's name)
        #[arg(long, value_name = "NAME", requires = "task_definition")]
        container: Option<String>,
    },
    /// Rewrite specs in the canonical layout, keeping every comment; `-` reads stdin
    #[command(
        after_help = "Examples:\n  runnerc fmt examples/*.runner\n  runnerc fmt --check specs/*.runner\n  runnerc fmt - < orders.runner"
    )]
    Fmt {
        /// The .runner files, or `-` for standard input (formatted to standard output)
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Change nothing; exit 1 and name the files that would change
        #[arg(long)]
        check: bool,
    },
    /// Print the long explanation of a diagnostic code, with a failing and a fixed example
    #[command(
        after_help = "Examples:\n  runnerc explain E052\n  runnerc explain --stopped-reason \"ResourceInitializationError: unable to pull secrets or registry auth: ... is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:...\" specs/*.runner"
    )]
    Explain {
        /// A diagnostic code, such as E052 or W034; with --stopped-reason, the .runner files to
        /// look for the runner in
        #[arg(required_unless_present = "stopped_reason", value_name = "CODE | FILE")]
        args: Vec<String>,
        /// Explain an ECS task's stopped reason instead (pasted from the console or
        /// `aws ecs describe-tasks`): what it means, and, given specs, the runner and line to change
        #[arg(long, value_name = "TEXT")]
        stopped_reason: Option<String>,
    },
    /// Write a commented starter spec, NAME.runner, in the current folder
    #[command(
        after_help = "Example:\n  runnerc init orders-cdc\n  runnerc check orders-cdc.runner"
    )]
    Init {
        /// The runner's name (and the file's); `orders-cdc.runner` is taken as `orders-cdc`
        #[arg(default_value = "my-runner")]
        name: String,
    },
    /// Answer whether each runner's roles may do ACTION on RESOURCE, and which spec line grants it
    #[command(
        after_help = "Exit status: 0 answered (and as expected), 1 the specs have errors or an answer is not the expected one, 2 usage error.\n\nExamples:\n  runnerc can s3:PutObject arn:aws:s3:::acme-cdc-landing/orders/2026/x.json specs/*.runner\n  runnerc can secretsmanager:GetSecretValue arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders-db-AbC123 specs/*.runner --role task --expect allow\n  runnerc can s3:ListBucket arn:aws:s3:::acme-cdc-landing specs/*.runner --context s3:prefix=orders/\n  runnerc can --expect-file tests/can/requests.txt"
    )]
    Can {
        /// One action, such as s3:PutObject
        #[arg(required_unless_present = "expect_file")]
        action: Option<String>,
        /// The resource's ARN, or `*`
        #[arg(required_unless_present = "expect_file")]
        resource: Option<String>,
        /// The .runner files; `-` reads one from standard input
        #[arg(required_unless_present = "expect_file", value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Answer every request of a table instead, each line `FILE RUNNER ROLE EXPECT ACTION
        /// RESOURCE [KEY=VALUE ...]`; exit 1 unless every answer is the expected one
        #[arg(
            long,
            value_name = "TABLE",
            conflicts_with_all = ["action", "resource", "files", "runner", "role", "context", "expect"]
        )]
        expect_file: Option<PathBuf>,
        /// Only this runner
        #[arg(long, value_name = "NAME")]
        runner: Option<String>,
        /// Only this role
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// A condition key of the request (repeatable; a key given twice has two values)
        #[arg(long = "context", value_name = "KEY=VALUE", value_parser = can::context_pair)]
        context: Vec<(String, String)>,
        /// Exit 1 unless every answer is this one
        #[arg(long, value_enum)]
        expect: Option<Expect>,
        /// How to print the answers: human or json (stdout)
        #[arg(long, value_enum, default_value_t = AnswerFormat::Human)]
        format: AnswerFormat,
    },
    /// Compare the compiled roles with a live account, read from
    /// `aws iam get-account-authorization-details --filter Role` output
    #[command(
        after_help = "Exit status: 0 no drift, 1 drift (or the specs have errors), 2 usage error (a live file that cannot be read).\n\nExample:\n  aws iam get-account-authorization-details --filter Role > live.json\n  runnerc drift specs/*.runner --live live.json"
    )]
    Drift {
        /// The .runner files; `-` reads one from standard input
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The export of the live account's roles
        #[arg(long, value_name = "AUTHZ.json")]
        live: PathBuf,
        /// How to print the report: human or json (stdout)
        #[arg(long, value_enum, default_value_t = AnswerFormat::Human)]
        format: AnswerFormat,
    },
    /// Say what access a change to the specs grants or removes, runner by runner and role by
    /// role, each change with its spec line and a request that proves it
    #[command(
        after_help = "Compared by meaning: statement order, Sids, splitting statements and string-versus-list are no change. A gain (a wider pattern, a dropped condition, a new trusted principal, an added managed policy, a removed boundary) carries a witness: a request the new specs allow and the old deny; a loss the reverse.\n\nExit status: 0 compared and nothing the gate names, 1 either side has spec errors (nothing compared), 2 usage or I/O error, 3 `--fail-on` tripped.\n\nExamples:\n  runnerc diff old/orders.runner orders.runner\n  runnerc diff specs-before/ specs/ --format markdown\n  runnerc diff --base origin/main --fail-on broadening\n  git show HEAD~1:orders.runner | runnerc diff - orders.runner"
    )]
    Diff {
        /// OLD and NEW, each a .runner file, a folder (every *.runner under it) or `-` (standard
        /// input); with --base, the files or folders whose change to compare (default: every
        /// tracked *.runner of the repository)
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Read the old side from git at this revision (`git show REV:PATH`), the new side from
        /// the work tree; a file absent at REV is all new, one deleted since is all removed
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// human (terminal), markdown (a pull-request comment within GitHub's 65,536-character
        /// limit) or json (`{"changes": [...], "verdicts": [...]}`), all on stdout
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
        /// Exit 3 when a change needs review: `broadening` on any gain (and on a change runnerc
        /// cannot rank, such as another boundary), `any` on any change of access (not settings)
        #[arg(long, value_enum, value_name = "GATE")]
        fail_on: Option<FailOn>,
    },
    /// Check an ECS task definition against the specs before it is registered: its roles, and
    /// every secret it injects, as the execution role the specs compile to can read them
    #[command(
        after_help = "Reports, located in the task definition file with the spec line that would fix it: role ARNs that are not the runner's (E110); Secrets Manager references (container `secrets`, `logConfiguration.secretOptions`, `repositoryCredentials.credentialsParameter`) the execution role cannot read (E111), pipeline secrets injected by ECS (E112), SSM parameters (E113), names or partial ARNs (E114), keys it cannot use (E115), JSON keys below Fargate 1.4.0 (E116).\n\nExit status: 0 no error, 1 an error in the task definition or the specs, 2 usage or I/O (a file that is not a task definition).\n\nExamples:\n  runnerc verify out/invoices-cdc/task-definition.json examples/agent-wiring.runner\n  aws ecs describe-task-definition --task-definition invoices-cdc > live.json\n  runnerc verify live.json specs/*.runner --runner invoices-cdc --format sarif"
    )]
    Verify {
        /// The task definition: `register-task-definition --cli-input-json` shape, or
        /// `describe-task-definition` output
        #[arg(value_name = "TASKDEF.json")]
        task_definition: PathBuf,
        /// The .runner files
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The runner the task definition is for (default: the one whose roles it names, or the
        /// only one)
        #[arg(long, value_name = "NAME")]
        runner: Option<String>,
        /// How to print diagnostics: human (stderr), json or sarif (stdout)
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit 1 on a warning too (for CI: W117, a secret an existing execution role may not
        /// read, is a warning)
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Write a spec for two hand-made roles of an account's export, and report every request
    /// adopting it would stop allowing
    #[command(
        after_help = "The spec goes to --out (the report to stdout), or to stdout (the report to stderr). Exit status: 0 imported, 2 an export that cannot be read, a role it does not hold, or an existing role with several inline policies of which none is named with --task-policy/--execution-policy.\n\nExample:\n  aws iam get-account-authorization-details --filter Role > live.json\n  runnerc import --live live.json --task-role streaming-agent --execution-role ecsTaskExecutionRole --existing ecsTaskExecutionRole --region eu-west-1 --out orders.runner"
    )]
    Import {
        /// `aws iam get-account-authorization-details` output (documents as objects or
        /// URL-encoded strings)
        #[arg(long, value_name = "AUTHZ.json")]
        live: PathBuf,
        /// The task role's name
        #[arg(long, value_name = "NAME")]
        task_role: String,
        /// The execution role's name
        #[arg(long, value_name = "NAME")]
        execution_role: String,
        /// The runner's name (default: the runnerc:runner tag, or the task role's name)
        #[arg(long, value_name = "NAME")]
        runner: Option<String>,
        /// The region (default: the one the roles' grants name)
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// A role to keep as `existing` (repeatable): runnerc will add only its inline policy
        #[arg(long, value_name = "ROLE")]
        existing: Vec<String>,
        /// An inline policy of the `--existing` task role that is the runner's (repeatable);
        /// the role's others are left in place, unread
        #[arg(long, value_name = "NAME")]
        task_policy: Vec<String>,
        /// An inline policy of the `--existing` execution role that is the runner's
        /// (repeatable); the role's others are left in place, unread
        #[arg(long, value_name = "NAME")]
        execution_policy: Vec<String>,
        /// Where to write the spec
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// How to print the report: human, or json (`diff`'s records, live to imported)
        #[arg(long, value_enum, default_value_t = AnswerFormat::Human)]
        format: AnswerFormat,
    },
    /// Serve editors over the Language Server Protocol on stdin and stdout
    #[command(
        after_help = "Editors start it themselves (see docs/editors.md).\n\nExample (what an editor runs):\n  runnerc lsp"
    )]
    Lsp {
        /// Accepted for editors that pass it; stdio is the only transport
        #[arg(long)]
        stdio: bool,
    },
    /// Print shell completions for bash, zsh, fish, elvish or powershell
    #[command(after_help = "Example:\n  runnerc completions bash > /etc/bash_completion.d/runnerc")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RoleArg {
    Task,
    Execution,
}

impl RoleArg {
    fn kind(self) -> RoleKind {
        match self {
            RoleArg::Task => RoleKind::Task,
            RoleArg::Execution => RoleKind::Execution,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Expect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AnswerFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Human,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Any gain of access
    Broadening,
    /// Any change of access
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Sarif,
}

/// The values `--emit` takes: every backend's name, and `all`.
fn emit_names() -> clap::builder::PossibleValuesParser {
    let names = Emit::ALL
        .iter()
        .map(|emit| clap::builder::PossibleValue::new(emit.name()).help(emit.description()));
    clap::builder::PossibleValuesParser::new(
        names.chain([clap::builder::PossibleValue::new("all").help("every kind of output")]),
    )
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            if !error.use_stderr()
                || error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                // --help, --version, or no command at all: clap's own text.
                let _ = error.print();
                return if error.use_stderr() {
                    Status::Usage
                } else {
                    Status::Ok
                }
                .into();
            }
            errln!("runnerc: {}", one_line(&error.render().to_string()));
            return Status::Usage.into();
        }
    };
    run(cli).into()
}

/// A clap error on one line: its message and details, without the usage block.
fn one_line(rendered: &str) -> String {
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && !line.starts_with("Usage:")
                && !line.starts_with("For more information")
        })
        .map(|line| line.strip_prefix("error: ").unwrap_or(line))
        .collect();
    format!("{} (see --help)", parts.join(" "))
}

fn run(cli: Cli) -> Status {
    let color = cli.color.for_stderr();
    match cli.command {
        Command::Check {
            files,
            format,
            deny_warnings,
        } => check(&files, format, deny_warnings, color),
        Command::Build {
            files,
            out,
            emit,
            task_definition,
            container,
        } => {
            let inputs = match read_inputs(&files) {
                Ok(inputs) => inputs,
                Err(status) => return status,
            };
            let base = task_definition.map(|path| (path, container));
            build(inputs, &out, &emits(&emit), base, color)
        }
        Command::Fmt { files, check } => fmt(&files, check, color),
        Command::Can {
            action,
            resource,
            files,
            expect_file,
            runner,
            role,
            context,
            expect,
            format,
        } => {
            if let Some(table) = expect_file {
                return can_table(&table, format, cli.color);
            }
            // clap requires both without --expect-file.
            let (Some(action), Some(resource)) = (action, resource) else {
                errln!("runnerc: `can` needs ACTION, RESOURCE and FILE (see --help)");
                return Status::Usage;
            };
            let question = can::Question {
                action,
                resource,
                context,
            };
            let only = Only {
                runner,
                role: role.map(RoleArg::kind),
            };
            can(&files, &question, &only, expect, format, cli.color)
        }
        Command::Drift {
            files,
            live,
            format,
        } => drift(&files, &live, format, color),
        Command::Diff {
            paths,
            base,
            format,
            fail_on,
        } => diff(&paths, base.as_deref(), format, fail_on, color),
        Command::Verify {
            task_definition,
            files,
            runner,
            format,
            deny_warnings,
        } => verify(
            &task_definition,
            &files,
            &VerifyOptions {
                only: runner.as_deref(),
                format,
                deny_warnings,
            },
            color,
        ),
        Command::Import {
            live,
            task_role,
            execution_role,
            runner,
            region,
            existing,
            task_policy,
            execution_policy,
            out,
            format,
        } => import(
            &live,
            &crate::review::import::Options {
                task_role,
                execution_role,
                runner,
                region,
                existing,
                task_policies: task_policy,
                execution_policies: execution_policy,
            },
            out.as_deref(),
            format,
        ),
        Command::Lsp { stdio: _ } => match crate::lsp::run() {
            Ok(crate::lsp::End::ExitWithoutShutdown) => Status::Failed,
            Ok(_) => Status::Ok,
            Err(error) => {
                errln!("runnerc: language server: {error}");
                Status::Usage
            }
        },
        Command::Explain {
            args,
            stopped_reason,
        } => match (args.as_slice(), stopped_reason) {
            (files, Some(reason)) => {
                let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
                explain_stopped(&reason, &files, color)
            }
            ([code], None) => explain(code),
            _ => {
                errln!(
                    "runnerc: `explain` takes one diagnostic code, or --stopped-reason TEXT and the specs"
                );
                Status::Usage
            }
        },
        Command::Init { name } => init(&name),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "runnerc", &mut std::io::stdout());
            Status::Ok
        }
    }
}

/// `runnerc check`.
fn check(files: &[PathBuf], format: Format, deny_warnings: bool, color: bool) -> Status {
    let Inputs {
        sources,
        diagnostics,
        ..
    } = match read_inputs(files) {
        Ok(inputs) => inputs,
        Err(status) => return status,
    };
    let compilation = compile_inputs(&sources, diagnostics);
    report(&compilation, &sources, format, color);
    if format == Format::Human && compilation.diagnostics.is_empty() {
        // Said on success too, so a pipeline's log shows what was checked.
        errln!("{}", summary(&compilation, &sources));
    }
    let status = gated_status(&compilation, deny_warnings);
    // The process ends here: freeing every runner one by one would only cost time
    // (a tenth of `check` on a 10 MB spec), so the memory goes back with the process.
    std::mem::forget(compilation);
    std::mem::forget(sources);
    status
}

/// The backends `--emit` names, in their order, once each; `all` is every one.
fn emits(names: &[String]) -> Vec<Emit> {
    let mut emit: Vec<Emit> = if names.iter().any(|name| name == "all") {
        Emit::ALL.to_vec()
    } else {
        names
            .iter()
            .filter_map(|name| Emit::from_name(name))
            .collect()
    };
    emit.sort();
    emit.dedup();
    emit
}

/// `runnerc verify`: the specs compiled, then the task definition read into the same sources
/// (so a diagnostic can point at both) and checked.
/// What `verify` is asked besides its files.
#[derive(Clone, Copy)]
struct VerifyOptions<'a> {
    /// `--runner`
    only: Option<&'a str>,
    format: Format,
    deny_warnings: bool,
}

fn verify(path: &Path, files: &[PathBuf], options: &VerifyOptions, color: bool) -> Status {
    let VerifyOptions {
        only,
        format,
        deny_warnings,
    } = *options;
    let Inputs {
        mut sources,
        diagnostics,
        ..
    } = match read_inputs(files) {
        Ok(inputs) => inputs,
        Err(status) => return status,
    };
    let compilation = compile_inputs(&sources, diagnostics);
    if compilation.has_errors() {
        report(&compilation, &sources, format, color);
        errln!("runnerc: nothing verified: the specs have errors");
        return Status::Failed;
    }
    let file = match read_task_definition(&mut sources, path) {
        Ok(file) => file,
        Err(status) => return status,
    };
    let definition = match crate::verify::TaskDefinition::read(file, &sources.get(file).text) {
        Ok(definition) => definition,
        Err(problem) => {
            errln!("runnerc: `{}`: {problem}", path.display());
            return Status::Usage;
        }
    };
    let runner = match crate::verify::runner_for(&definition, &compilation.runners, only) {
        Ok(runner) => runner,
        Err(problem) => {
            errln!("runnerc: {problem}");
            return Status::Usage;
        }
    };
    let mut found = crate::verify::verify(&definition, runner, &compilation.runners);
    diag::sort(&mut found);
    let result = Compilation {
        diagnostics: found,
        runners: Vec::new(),
        runners_seen: compilation.runners_seen,
    };
    match format {
        Format::Human => {
            let text = diag::render_human(&result.diagnostics, &sources, color);
            err!("{text}");
            let errors = result.diagnostics.iter().filter(|d| d.is_error()).count();
            errln!(
                "runnerc: verified `{}` against runner {}: {}, {}",
                path.display(),
                runner.name,
                plural(errors, "error"),
                plural(result.diagnostics.len() - errors, "warning")
            );
        }
        _ => report(&result, &sources, format, color),
    }
    gated_status(&result, deny_warnings)
}

/// `runnerc import`: the spec, then the fidelity report.
fn import(
    live_path: &Path,
    options: &crate::review::import::Options,
    out: Option<&Path>,
    format: AnswerFormat,
) -> Status {
    let text = match read_export(live_path) {
        Ok(Ok(text)) => text,
        Ok(Err(problem)) => {
            errln!("runnerc: `{}`: {problem}", live_path.display());
            return Status::Usage;
        }
        Err(error) => {
            errln!("runnerc: cannot read `{}`: {error}", live_path.display());
            return Status::Usage;
        }
    };
    let wanted = |name: &str| {
        name.eq_ignore_ascii_case(&options.task_role)
            || name.eq_ignore_ascii_case(&options.execution_role)
    };
    let live = match crate::live::read_live(&text, &wanted) {
        Ok(live) => live,
        Err(problem) => {
            errln!("runnerc: `{}`: {problem}", live_path.display());
            return Status::Usage;
        }
    };
    let imported = match crate::review::import::import(&live, options) {
        Ok(imported) => imported,
        Err(problem) => {
            errln!("runnerc: {problem}");
            return Status::Usage;
        }
    };
    let report = match format {
        AnswerFormat::Json => {
            let mut value = serde_json::to_value(&imported.report).expect("a report serializes");
            value["not_expressible"] = serde_json::json!(imported.not_expressible);
            value["not_in_export"] = serde_json::json!(imported.not_in_export);
            value["warnings"] = serde_json::json!(imported.warnings);
            value["read"] = serde_json::json!(imported.read);
            value["left_in_place"] = serde_json::json!(imported.left_in_place);
            serde_json::to_string_pretty(&value).expect("JSON") + "\n"
        }
        AnswerFormat::Human => import_report(&imported, out),
    };
    match out {
        Some(path) => {
            if let Err(error) = std::fs::write(path, &imported.spec) {
                errln!("runnerc: cannot write `{}`: {error}", path.display());
                return Status::Usage;
            }
            out!("{report}");
        }
        None => {
            out!("{}", imported.spec);
            err!("{report}");
        }
    }
    Status::Ok
}

/// `import`'s report for people: the losses, the notes, the policies read and left in place,
/// then the next steps.
fn import_report(imported: &crate::review::import::Imported, out: Option<&Path>) -> String {
    let mut report = String::new();
    let losses = imported.report.changes.len();
    report.push_str(&format!(
        "runnerc: imported runner {}: the spec stops allowing {losses} request{} the live roles allow\n",
        imported.runner,
        if losses == 1 { "" } else { "s" }
    ));
    for change in &imported.report.changes {
        report.push_str(&format!("  - {}\n", change.text));
    }
    for note in &imported.not_expressible {
        report.push_str(&format!("  not expressible: {note}\n"));
    }
    for note in &imported.not_in_export {
        report.push_str(&format!("  not in the export: {note}\n"));
    }
    for note in &imported.read {
        report.push_str(&format!("  read: {note}\n"));
    }
    for note in &imported.left_in_place {
        report.push_str(&format!("  left in place: {note}\n"));
    }
    for warning in &imported.warnings {
        report.push_str(&format!(
            "  kept as live, `runnerc check` warns: {warning}\n"
        ));
    }
    let spec = out.map_or_else(|| "SPEC".to_owned(), |p| p.display().to_string());
    let adopt: String = imported
        .adopt
        .iter()
        .map(|name| format!(" --adopt {name}"))
        .collect();
    report.push_str(&format!(
        "next:\n  1. review {spec}: what it stops allowing is listed above\n  2. runnerc build {spec} --out out\n  3. bash out/{}/create-roles.sh{adopt}\n",
        imported.runner
    ));
    let mut step = 4;
    if imported.deletions {
        report.push_str(&format!(
            "  {step}. once the runner works, delete the hand-made policies read (the commands above)\n"
        ));
        step += 1;
    }
    report.push_str(&format!(
        "  {step}. runnerc drift {spec} --live LIVE.json, on a fresh export\n"
    ));
    report
}

/// `runnerc diff`: both sides compiled apart, compared, rendered; the gate decides the status.
fn diff(
    paths: &[PathBuf],
    base: Option<&str>,
    format: DiffFormat,
    fail_on: Option<FailOn>,
    color: bool,
) -> Status {
    use crate::review::{diff, render, sides};
    let read = match base {
        Some(rev) => sides::read_git(rev, paths).map(|(old, new)| {
            (
                Inputs {
                    sources: old,
                    ..Inputs::default()
                },
                Inputs {
                    sources: new,
                    ..Inputs::default()
                },
            )
        }),
        None => match paths {
            [old, new] => {
                if input::is_stdin(old) && input::is_stdin(new) {
                    Err(
                        "`-` is given for both sides: standard input can be read only once"
                            .to_owned(),
                    )
                } else {
                    sides::read_path(old).and_then(|o| Ok((o, sides::read_path(new)?)))
                }
            }
            _ => Err(format!(
                "`diff` compares two sides: give OLD and NEW, or --base REV (got {} path{})",
                paths.len(),
                if paths.len() == 1 { "" } else { "s" }
            )),
        },
    };
    let (old, new) = match read {
        Ok(sides) => sides,
        Err(problem) => {
            errln!("runnerc: {problem}");
            return Status::Usage;
        }
    };
    for note in old.notes.iter().chain(&new.notes) {
        errln!("runnerc: {note}");
    }
    let old_compiled = compile_inputs(&old.sources, old.diagnostics);
    let new_compiled = compile_inputs(&new.sources, new.diagnostics);
    let mut broken = false;
    for (compilation, sources) in [(&old_compiled, &old.sources), (&new_compiled, &new.sources)] {
        if compilation.has_errors() {
            report(compilation, sources, Format::Human, color);
            broken = true;
        }
    }
    if broken {
        errln!("runnerc: nothing compared: the specs have errors");
        return Status::Failed;
    }
    let result = diff::compare(
        &diff::Side {
            sources: &old.sources,
            runners: &old_compiled.runners,
        },
        &diff::Side {
            sources: &new.sources,
            runners: &new_compiled.runners,
        },
    );
    let text = match format {
        DiffFormat::Human => render::human(&result),
        DiffFormat::Markdown => render::markdown(&result),
        DiffFormat::Json => render::json(&result),
    };
    out!("{text}");
    match fail_on {
        Some(gate) if result.trips(gate == FailOn::Any) => {
            errln!(
                "runnerc: --fail-on {} tripped: the change needs review",
                match gate {
                    FailOn::Broadening => "broadening",
                    FailOn::Any => "any",
                }
            );
            Status::Gated
        }
        _ => Status::Ok,
    }
}

/// `runnerc fmt`: every input is read first (a file that cannot be read changes nothing), then
/// each is formatted on its own; one that does not parse is left as it is, with its error, and
/// the others are still formatted.
fn fmt(files: &[PathBuf], check: bool, color: bool) -> Status {
    use crate::format::{FormatError, format};
    let inputs = match read_inputs(files) {
        Ok(inputs) => inputs,
        Err(status) => return status,
    };
    let mut status = Status::Ok;
    let mut would_change = Vec::new();
    for ((id, source), origin) in inputs.sources.iter().zip(&inputs.origins) {
        let name = &source.name;
        let text = &source.text;
        // A file that could not be decoded has its diagnostic (E003) from reading.
        let own: Vec<Diagnostic> = inputs
            .diagnostics
            .iter()
            .filter(|d| d.loc.file == id)
            .cloned()
            .collect();
        if !own.is_empty() {
            err!("{}", diag::render_human(&own, &inputs.sources, color));
            status = Status::Failed;
            continue;
        }
        match (format(text), origin) {
            (Ok(formatted), Origin::Stdin) => {
                if check && formatted != *text {
                    would_change.push(name.clone());
                } else if !check {
                    out!("{formatted}");
                }
            }
            (Ok(formatted), Origin::File(_)) if formatted == *text => {}
            (Ok(_), Origin::File(_)) if check => would_change.push(name.clone()),
            (Ok(formatted), Origin::File(path)) => {
                if let Err(error) = output::replace_file(path, formatted.as_bytes()) {
                    errln!("runnerc: cannot write `{name}`: {error}");
                    return Status::Usage;
                }
                outln!("formatted {name}");
            }
            (Err(FormatError::Parse(diagnostics)), _) => {
                let mut sources = Sources::new();
                sources.add(name.clone(), text.clone());
                err!("{}", diag::render_human(&diagnostics, &sources, color));
                errln!("runnerc: `{name}` left as it is: it does not parse");
                status = Status::Failed;
            }
            (Err(FormatError::Unsound(why)), _) => {
                errln!("runnerc: internal error: `{name}` left as it is: {why}; please report it");
                return Status::Usage;
            }
        }
    }
    if !would_change.is_empty() {
        for name in &would_change {
            outln!("{name}");
        }
        errln!(
            "runnerc: {} file{} would be reformatted",
            would_change.len(),
            if would_change.len() == 1 { "" } else { "s" }
        );
        status = Status::Failed;
    }
    status
}

fn explain(text: &str) -> Status {
    let Some(code) = Code::parse(text).or_else(|| Code::by_number(text)) else {
        let nearest: Vec<String> = Code::nearest(text)
            .iter()
            .map(|code| format!("`{code}`"))
            .collect();
        let suggestion = match nearest.as_slice() {
            [] => String::new(),
            [one] => format!("; the nearest is {one}"),
            [init @ .., last] => format!("; the nearest are {} and {last}", init.join(", ")),
        };
        errln!(
            "runnerc: `{text}` is not a diagnostic code{suggestion}; the codes are listed in docs/diagnostics.md"
        );
        return Status::Usage;
    };
    if !code.as_str().eq_ignore_ascii_case(text.trim()) {
        let kind = match code.severity() {
            Severity::Error => "an error",
            Severity::Warning => "a warning",
        };
        errln!(
            "runnerc: there is no {}; {code}, {kind}, has its number",
            text.trim().to_ascii_uppercase()
        );
    }
    match crate::explain::explanation(code) {
        Some(text) => {
            outln!("{text}");
            Status::Ok
        }
        None => {
            errln!("runnerc: {code} has no explanation yet");
            Status::Usage
        }
    }
}

/// `runnerc explain --stopped-reason`: the reason recognised, then what to change.
fn explain_stopped(text: &str, specs: &[PathBuf], color: bool) -> Status {
    let Some(reason) = crate::stopped::recognise(text) else {
        errln!(
            "runnerc: this stopped reason is not one runnerc recognises (secret access denied, KMS access denied, secret not found, network, image pull); docs/commands.md lists them"
        );
        return Status::Failed;
    };
    let (sources, runners) = if specs.is_empty() {
        (Sources::new(), Vec::new())
    } else {
        match compile_for_audit(specs, color, "nothing explained") {
            Ok((sources, compilation)) => (sources, compilation.runners),
            Err(status) => return status,
        }
    };
    for line in crate::stopped::explain(&reason, &runners, &sources) {
        outln!("{line}");
    }
    Status::Ok
}

/// The starter spec of `runnerc init`, with the runner's name filled in.
pub fn starter_spec(name: &str) -> String {
    include_str!("starter.runner").replace("RUNNER_NAME", name)
}

/// `runnerc init NAME`: writes `NAME.runner`; a NAME that ends in `.runner` is the file's name,
/// and the runner is named without it.
fn init(given: &str) -> Status {
    let name = given.strip_suffix(".runner").unwrap_or(given);
    if name.is_empty()
        || !name.chars().all(crate::aws::is_iam_name_char)
        || name == "."
        || name == ".."
    {
        errln!("runnerc: `{given}` is not a runner name: use letters, digits and `+=,.@_-`");
        return Status::Usage;
    }
    let path = PathBuf::from(format!("{name}.runner"));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    match file.and_then(|mut file| file.write_all(starter_spec(name).as_bytes())) {
        Ok(()) => {
            outln!("wrote {}", path.display());
            Status::Ok
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            errln!(
                "runnerc: `{}` already exists; not overwritten",
                path.display()
            );
            Status::Usage
        }
        Err(error) => {
            errln!("runnerc: cannot write `{}`: {error}", path.display());
            Status::Usage
        }
    }
}

fn status_of(compilation: &Compilation) -> Status {
    if compilation.has_errors() {
        Status::Failed
    } else {
        Status::Ok
    }
}

/// [`status_of`], and with `--deny-warnings` a warning fails the run too, which is said on
/// stderr (the diagnostics alone would read as a pass).
fn gated_status(compilation: &Compilation, deny_warnings: bool) -> Status {
    let warnings = compilation
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .count();
    if compilation.has_errors() || !deny_warnings || warnings == 0 {
        return status_of(compilation);
    }
    errln!(
        "runnerc: failed: {} and --deny-warnings",
        plural(warnings, "warning")
    );
    Status::Failed
}

/// `build --task-definition BASE [--container NAME]`: the base file and the container's name.
type Base = (PathBuf, Option<String>);

fn build(inputs: Inputs, out: &Path, emit: &[Emit], base: Option<Base>, color: bool) -> Status {
    let Inputs {
        mut sources,
        origins,
        diagnostics,
        ..
    } = inputs;
    if out.exists() && !out.is_dir() {
        errln!("runnerc: `{}` is not a folder", out.display());
        return Status::Usage;
    }
    let compilation = compile_inputs(&sources, diagnostics);
    report(&compilation, &sources, Format::Human, color);
    if compilation.has_errors() {
        errln!("runnerc: nothing written: the specs have errors");
        return Status::Failed;
    }
    let mut merged = std::collections::BTreeMap::new();
    if let Some((path, container)) = base {
        match merge_base(&mut sources, &compilation.runners, &path, container, color) {
            Ok((runner, text)) => {
                merged.insert(runner, text);
            }
            Err(status) => return status,
        }
    }
    match output::write_runners(out, &compilation.runners, &origins, emit, &merged) {
        Ok(done) => {
            let mut stdout = std::io::stdout().lock();
            for path in &done.written {
                let _ = writeln!(stdout, "wrote {}", path.display());
            }
            for path in &done.removed {
                let _ = writeln!(stdout, "removed {}", path.display());
            }
            for (path, why) in &done.left {
                errln!("runnerc: left {}: {why}", path.display());
            }
            if emit.contains(&Emit::Json) {
                for runner in &compilation.runners {
                    let (arn, guessed) =
                        crate::lower::ecs::role_reference(runner, RoleKind::Execution);
                    if guessed && crate::lower::ecs::task_definition(runner).is_some() {
                        errln!(
                            "runnerc: note: {}/task-definition.json names the execution role `{arn}`: the spec names the existing role without its path, and `/` is where IAM puts a role by default; write the role's ARN in `execution role existing` if it lives elsewhere",
                            runner.name
                        );
                    }
                }
            }
            for (folder, spec) in &done.orphaned {
                errln!(
                    "runnerc: kept {}: built from {spec} (as seen from `{}`), which no longer exists",
                    folder.display(),
                    out.display()
                );
            }
            Status::Ok
        }
        Err(error) => {
            errln!("runnerc: cannot write to `{}`: {error}", out.display());
            Status::Usage
        }
    }
}

/// Reads a task definition file into `sources`; a file that cannot be read or is not UTF-8 is
/// said on stderr and is a usage problem.
fn read_task_definition(sources: &mut Sources, path: &Path) -> Result<FileId, Status> {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            errln!("runnerc: `{}` is not UTF-8 text", path.display());
            Status::Usage
        })?,
        Err(error) => {
            errln!("runnerc: cannot read `{}`: {error}", path.display());
            return Err(Status::Usage);
        }
    };
    Ok(sources.add(path.display().to_string(), text))
}

/// `build --task-definition`: the one runner's definition merged into the base, or, on a
/// conflict, its diagnostics printed (nothing is written).
fn merge_base(
    sources: &mut Sources,
    runners: &[Runner],
    path: &Path,
    container: Option<String>,
    color: bool,
) -> Result<(String, String), Status> {
    let [runner] = runners else {
        errln!(
            "runnerc: --task-definition merges into one runner's task definition, and the specs define {}: build that runner's spec alone",
            plural(runners.len(), "runner")
        );
        return Err(Status::Usage);
    };
    let file = read_task_definition(sources, path)?;
    let base = match crate::verify::TaskDefinition::read(file, &sources.get(file).text) {
        Ok(base) => base,
        Err(problem) => {
            errln!("runnerc: `{}`: {problem}", path.display());
            return Err(Status::Usage);
        }
    };
    let container = container.unwrap_or_else(|| runner.name.clone());
    match crate::lower::ecs::merged_task_definition(runner, &base, &container) {
        Ok(text) => Ok((runner.name.clone(), text)),
        Err(mut found) => {
            diag::sort(&mut found);
            err!("{}", diag::render_human(&found, sources, color));
            errln!(
                "runnerc: nothing written: the base task definition `{}` conflicts with the spec ({})",
                path.display(),
                plural(found.len(), "error")
            );
            Err(Status::Failed)
        }
    }
}

fn report(compilation: &Compilation, sources: &Sources, format: Format, color: bool) {
    match format {
        Format::Human => {
            if compilation.diagnostics.is_empty() {
                return;
            }
            let text = diag::render_human(&compilation.diagnostics, sources, color);
            let mut stderr = std::io::stderr().lock();
            let _ = stderr.write_all(text.as_bytes());
            let _ = writeln!(stderr, "{}", summary(compilation, sources));
        }
        Format::Json => {
            let text = diag::render_json(&compilation.diagnostics, sources);
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
        Format::Sarif => {
            let text = diag::render_sarif(&compilation.diagnostics, sources);
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
}

/// One line: what was checked and what was found.
/// `1 error`, `2 errors`.
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn summary(compilation: &Compilation, sources: &Sources) -> String {
    let errors = compilation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .count();
    let warnings = compilation.diagnostics.len() - errors;
    format!(
        "runnerc: checked {}, {}: {}, {}",
        plural(sources.iter().count(), "file"),
        plural(compilation.runners_seen, "runner"),
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// Reads every input ([`input::read`]) and says on stderr what it noted (a file given twice);
/// a problem with the command line's files is one line and status 2.
fn read_inputs(files: &[PathBuf]) -> Result<Inputs, Status> {
    match input::read(files) {
        Ok(inputs) => {
            for note in &inputs.notes {
                errln!("runnerc: {note}");
            }
            Ok(inputs)
        }
        Err(problem) => {
            errln!("runnerc: {problem}");
            Err(Status::Usage)
        }
    }
}

/// Compiles, unless a file could not be decoded: then its diagnostics are the whole result.
fn compile_inputs(sources: &Sources, input_diagnostics: Vec<Diagnostic>) -> Compilation {
    if input_diagnostics.is_empty() {
        compile(sources)
    } else {
        Compilation {
            diagnostics: input_diagnostics,
            runners: Vec::new(),
            runners_seen: 0,
        }
    }
}

/// Which runners and roles an audit command looks at.
struct Only {
    runner: Option<String>,
    role: Option<RoleKind>,
}

/// Compiles the specs for an audit command: the runners, or the status to exit with (the
/// diagnostics already printed).
fn compile_for_audit(
    files: &[PathBuf],
    color: bool,
    nothing_done: &str,
) -> Result<(Sources, Compilation), Status> {
    let Inputs {
        sources,
        diagnostics,
        ..
    } = read_inputs(files)?;
    let compilation = compile_inputs(&sources, diagnostics);
    report(&compilation, &sources, Format::Human, color);
    if compilation.has_errors() {
        errln!("runnerc: {nothing_done}: the specs have errors");
        return Err(Status::Failed);
    }
    Ok((sources, compilation))
}

/// `runnerc can`: every selected role's answer; with `--expect`, status 1 when one differs.
fn can(
    files: &[PathBuf],
    question: &can::Question,
    only: &Only,
    expect: Option<Expect>,
    format: AnswerFormat,
    color: ColorChoice,
) -> Status {
    if let Some(problem) = can::question_problem(question) {
        errln!("runnerc: {problem}");
        return Status::Usage;
    }
    let (sources, compilation) =
        match compile_for_audit(files, color.for_stderr(), "nothing evaluated") {
            Ok(compiled) => compiled,
            Err(status) => return status,
        };
    if let Some(name) = &only.runner
        && !compilation.runners.iter().any(|r| &r.name == name)
    {
        errln!("runnerc: no runner is named `{name}` in the files");
        return Status::Usage;
    }
    let roles: Vec<RoleKind> = match only.role {
        Some(kind) => vec![kind],
        None => RoleKind::ALL.to_vec(),
    };
    let answers = can::ask(
        &compilation.runners,
        only.runner.as_deref(),
        &roles,
        question,
    );
    let mut stdout = std::io::stdout().lock();
    match format {
        AnswerFormat::Json => {
            let value = can::to_json(question, &answers, &sources);
            let _ = writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        AnswerFormat::Human => {
            let findings: Vec<diag::Finding> =
                answers.iter().map(|a| a.finding(question)).collect();
            let _ = stdout.write_all(
                diag::render_findings(&findings, &sources, color.for_stdout()).as_bytes(),
            );
            let count = |d: can::Decision| answers.iter().filter(|a| a.decision == d).count();
            let _ = writeln!(
                stdout,
                "runnerc: {} role{}: {} allowed, {} denied, {} unknown",
                answers.len(),
                if answers.len() == 1 { "" } else { "s" },
                count(can::Decision::Allowed),
                count(can::Decision::Denied),
                count(can::Decision::Unknown)
            );
        }
    }
    let Some(expect) = expect else {
        return Status::Ok;
    };
    let (wanted, word) = match expect {
        Expect::Allow => (can::Decision::Allowed, "allow"),
        Expect::Deny => (can::Decision::Denied, "deny"),
    };
    let unexpected: Vec<&can::Answer> = answers.iter().filter(|a| a.decision != wanted).collect();
    for answer in &unexpected {
        errln!(
            "runnerc: expected {word}, but {}'s {} is {}",
            answer.runner,
            answer.role.keyword(),
            answer.decision.word()
        );
    }
    if unexpected.is_empty() {
        Status::Ok
    } else {
        Status::Failed
    }
}

/// `runnerc can --expect-file TABLE`: every request of the table answered in this process,
/// each spec file compiled once; the rows whose answer is not the expected one, with their line,
/// and one summary line. A malformed table or a spec that cannot be read is status 2, a spec
/// with errors status 1 (nothing evaluated), an unexpected answer status 1.
fn can_table(path: &Path, format: AnswerFormat, color: ColorChoice) -> Status {
    use crate::audit::table;
    let name = path.display().to_string();
    let text = match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => {
            errln!("runnerc: cannot read `{name}`: the file is not UTF-8 text");
            return Status::Usage;
        }
        Err(error) => {
            errln!("runnerc: cannot read `{name}`: {error}");
            return Status::Usage;
        }
    };
    let rows = match table::parse(&text) {
        Ok(rows) => rows,
        Err(problems) => {
            for (line, problem) in problems {
                errln!("runnerc: {name}:{line}: {problem}");
            }
            return Status::Usage;
        }
    };
    // Each spec file once, in the table's order.
    let mut compiled = std::collections::BTreeMap::new();
    for row in &rows {
        if compiled.contains_key(row.file.as_str()) {
            continue;
        }
        match compile_for_audit(
            &[PathBuf::from(&row.file)],
            color.for_stderr(),
            "nothing evaluated",
        ) {
            Ok(done) => compiled.insert(row.file.as_str(), done),
            Err(status) => return status,
        };
    }
    let mut problems = Vec::new();
    let mut results = Vec::new();
    for row in &rows {
        let (sources, compilation) = &compiled[row.file.as_str()];
        if !compilation.runners.iter().any(|r| r.name == row.runner) {
            problems.push(format!(
                "{name}:{}: no runner is named `{}` in `{}`",
                row.line, row.runner, row.file
            ));
            continue;
        }
        let answers = can::ask(
            &compilation.runners,
            Some(&row.runner),
            &[row.role],
            &row.question,
        );
        results.push((row, answers, sources));
    }
    if !problems.is_empty() {
        for problem in problems {
            errln!("runnerc: {problem}");
        }
        return Status::Usage;
    }
    let expected = |row: &table::Row, answers: &[can::Answer]| {
        answers.iter().all(|answer| answer.decision == row.expect)
    };
    let failing = results
        .iter()
        .filter(|(row, answers, _)| !expected(row, answers))
        .count();
    let mut stdout = std::io::stdout().lock();
    match format {
        AnswerFormat::Json => {
            let rows: Vec<serde_json::Value> = results
                .iter()
                .map(|(row, answers, sources)| {
                    let mut value = can::to_json(&row.question, answers, sources);
                    value["line"] = row.line.into();
                    value["expect"] = row.expect.word().into();
                    value["as_expected"] = expected(row, answers).into();
                    value
                })
                .collect();
            let value = serde_json::json!({
                "table": name,
                "requests": results.len(),
                "unexpected": failing,
                "rows": rows,
            });
            let _ = writeln!(
                stdout,
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        AnswerFormat::Human => {
            for (row, answers, _) in &results {
                for answer in answers.iter().filter(|a| a.decision != row.expect) {
                    let _ = writeln!(
                        stdout,
                        "{name}:{}: expected {}, but {}'s {} is {}: `{}` on `{}`",
                        row.line,
                        row.expect.word(),
                        answer.runner,
                        answer.role.keyword(),
                        answer.decision.word(),
                        row.question.action,
                        row.question.resource
                    );
                }
            }
            let _ = writeln!(
                stdout,
                "runnerc: {} request{}: {} as expected, {} not",
                results.len(),
                if results.len() == 1 { "" } else { "s" },
                results.len() - failing,
                failing
            );
        }
    }
    if failing == 0 {
        Status::Ok
    } else {
        Status::Failed
    }
}

/// An export's text, or what makes it unusable (not UTF-8, larger than any real export can
/// be: refused before it is read).
fn read_export(path: &Path) -> std::io::Result<Result<String, String>> {
    use crate::live::{MAX_EXPORT_BYTES, MAX_ROLES, bytes};
    let file = std::fs::File::open(path)?;
    let too_large = |size: String| {
        format!(
            "the file has {size}, more than any export of one account can take: an account holds at most {MAX_ROLES} roles (IAM's quota at its maximum), and runnerc reads exports up to {} (export with `--filter Role`, which leaves out users, groups and managed policies)",
            bytes(MAX_EXPORT_BYTES)
        )
    };
    let size = file.metadata()?.len();
    if size > MAX_EXPORT_BYTES {
        return Ok(Err(too_large(bytes(size))));
    }
    // A pipe or device has no length: read at most one byte more than the limit.
    let mut data = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_EXPORT_BYTES + 1),
        &mut data,
    )?;
    if data.len() as u64 > MAX_EXPORT_BYTES {
        return Ok(Err(too_large(format!(
            "more than {}",
            bytes(MAX_EXPORT_BYTES)
        ))));
    }
    Ok(String::from_utf8(data).map_err(|_| "the file is not UTF-8 text".to_owned()))
}

/// `runnerc drift`: status 0 without drift, 1 with drift, 2 when the live file is unusable.
fn drift(files: &[PathBuf], live_path: &Path, format: AnswerFormat, color: bool) -> Status {
    use crate::audit::drift;
    let live_name = live_path.display().to_string();
    let text = match read_export(live_path) {
        Ok(Ok(text)) => text,
        Ok(Err(problem)) => {
            errln!("runnerc: `{live_name}` is not a usable export: {problem}");
            return Status::Usage;
        }
        Err(error) => {
            errln!("runnerc: cannot read `{live_name}`: {error}");
            return Status::Usage;
        }
    };
    let (_, compilation) = match compile_for_audit(files, color, "nothing compared") {
        Ok(compiled) => compiled,
        Err(status) => return status,
    };
    // Only the specs' roles are kept from the export (every role is still checked).
    let wanted: std::collections::BTreeSet<String> = compilation
        .runners
        .iter()
        .flat_map(|runner| RoleKind::ALL.map(|kind| runner.role(kind).name.to_ascii_lowercase()))
        .collect();
    let live = match crate::live::read_live(&text, &|name| wanted.contains(name)) {
        Ok(live) => live,
        Err(problem) => {
            errln!("runnerc: `{live_name}` is not a usable export: {problem}");
            return Status::Usage;
        }
    };
    let drifts = drift::compare(&compilation.runners, &live);
    if !drifts.is_empty()
        && drifts
            .iter()
            .all(|d| d.status == drift::Status::OtherAccount)
    {
        errln!(
            "runnerc: `{live_name}` is an export of account {}, and no runner of the specs is in it: nothing compared",
            live.account.as_deref().unwrap_or("?")
        );
        return Status::Usage;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = match format {
        AnswerFormat::Human => {
            stdout.write_all(drift::render_human(&drifts, &live_name, &live).as_bytes())
        }
        AnswerFormat::Json => writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&drift::to_json(&drifts, &live_name, &live))
                .unwrap_or_default()
        ),
    };
    if drift::has_drift(&drifts) {
        Status::Failed
    } else {
        Status::Ok
    }
}
