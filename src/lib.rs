//! runnerc compiles `.runner` specs of streaming runners (CDC agents on ECS Fargate) into the
//! IAM documents they need, and into aws-cli scripts that apply them.
//!
//! The pipeline, one stage per module, data flowing one way:
//!
//! 1. [`parse`]: text to syntax tree ([`ast`]), with `grammar/runner.pest`, one job per file:
//!    the pest walk (`walk`), the one recovery from syntax errors, every error in one run,
//!    shared by [`compile`] and [`lsp`] (`recover`), the words of syntax errors (`messages`),
//!    the keyword table ([`parse::keywords`]) and the text read without pest (`scan`);
//! 2. [`check`]: syntax tree to [`model`], every rule of the contract, every problem collected;
//! 3. [`lower`]: model to documents and files;
//! 4. [`quota`]: the IAM size quotas of the documents;
//! 5. [`output`]: files to disk, atomically.
//!
//! Around the pipeline, each module one job:
//!
//! - [`access`]: the one access model over IAM JSON: policies, IAM's wildcards, the evaluator,
//!   containment and witnesses; [`audit`] (`can`, `drift`), [`review`] (`diff`, `import`) and
//!   [`verify`] (a task definition against the specs) are fronts on it;
//! - [`live`]: the account export (`get-account-authorization-details`) that `drift` and
//!   `import` read;
//! - [`stopped`]: `explain --stopped-reason`; [`explain`]: `explain CODE`;
//! - [`format`]: `fmt`'s printer; [`lsp`]: the language server, on the same stages;
//! - [`aws`]: AWS's own rules (names, ARNs, partitions, limits);
//! - [`diag`]: the diagnostics every stage reports and the one place that renders them;
//! - [`compile`] runs stages 1 to 4; [`parallel`] spreads work over the cores; [`input`] reads
//!   the specs a command is given; [`cli`] is the command line.

pub mod access;
pub mod ast;
pub mod audit;
pub mod aws;
pub mod check;
pub mod cli;
pub mod compile;
pub mod diag;
pub mod explain;
pub mod format;
pub mod input;
pub mod live;
pub mod lower;
pub mod lsp;
pub mod model;
pub mod output;
pub mod parallel;
pub mod parse;
pub mod quota;
pub mod review;
pub mod stopped;
pub mod verify;
