//! Model to output files: one module per kind of output.
//!
//! [`iam`] builds the policy documents; this module names the files they are written to. Every
//! file belongs to one runner and lives in `OUT/<runner>/`.

pub mod aws_cli;
pub mod iam;

use crate::model::Runner;
use iam::RoleDocuments;

/// What `build --emit` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Emit {
    /// The IAM documents (the default).
    Json,
    /// `create-roles.sh` and `delete-roles.sh`.
    AwsCli,
}

pub const TASK_TRUST_POLICY_FILE: &str = "task-role-trust-policy.json";
pub const EXECUTION_TRUST_POLICY_FILE: &str = "execution-role-trust-policy.json";
pub const TASK_ROLE_POLICY_FILE: &str = "task-role-policy.json";
pub const EXECUTION_ROLE_POLICY_FILE: &str = "execution-role-policy.json";
pub const CREATE_ROLES_FILE: &str = "create-roles.sh";
pub const DELETE_ROLES_FILE: &str = "delete-roles.sh";

/// Every file name `build` may write in a runner's folder. A name not emitted this time is
/// removed, so a folder never mixes files of two builds.
pub const ALL_FILES: &[&str] = &[
    TASK_TRUST_POLICY_FILE,
    EXECUTION_TRUST_POLICY_FILE,
    // The trust policy both roles shared before runnerc 0.2.
    "trust-policy.json",
    TASK_ROLE_POLICY_FILE,
    EXECUTION_ROLE_POLICY_FILE,
    CREATE_ROLES_FILE,
    DELETE_ROLES_FILE,
];

/// One file to write: `OUT/<runner>/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub runner: String,
    pub name: &'static str,
    pub contents: String,
    pub executable: bool,
}

/// The files of one runner, for the kinds of output asked for.
pub fn output_files(runner: &Runner, documents: &RoleDocuments, emit: &[Emit]) -> Vec<OutputFile> {
    let file = |name, contents: String, executable| OutputFile {
        runner: runner.name.clone(),
        name,
        contents,
        executable,
    };
    let mut files = Vec::new();
    if emit.contains(&Emit::Json) {
        if let Some(trust) = &documents.task_trust {
            files.push(file(TASK_TRUST_POLICY_FILE, trust.to_pretty_json(), false));
        }
        if let Some(trust) = &documents.execution_trust {
            files.push(file(
                EXECUTION_TRUST_POLICY_FILE,
                trust.to_pretty_json(),
                false,
            ));
        }
        if let Some(task) = &documents.task {
            files.push(file(TASK_ROLE_POLICY_FILE, task.to_pretty_json(), false));
        }
        if let Some(execution) = &documents.execution {
            files.push(file(
                EXECUTION_ROLE_POLICY_FILE,
                execution.to_pretty_json(),
                false,
            ));
        }
    }
    if emit.contains(&Emit::AwsCli) {
        files.push(file(
            CREATE_ROLES_FILE,
            aws_cli::create_script(runner, documents),
            true,
        ));
        files.push(file(
            DELETE_ROLES_FILE,
            aws_cli::delete_script(runner, documents),
            true,
        ));
    }
    files
}
