//! Model to output files: one module per kind of output.
//!
//! [`iam`] builds the policy documents; [`aws_cli`], [`terraform`] and [`cloudformation`]
//! build what applies them; [`Emit`] is the list of backends and names their files. Every file
//! belongs to one runner and lives in `OUT/<runner>/`.

pub mod aws_cli;
pub mod cloudformation;
pub mod ecs;
pub mod iam;
pub mod other_accounts;
pub mod terraform;

use crate::model::Runner;
use iam::RoleDocuments;

/// The kinds of output `build --emit` can write: one backend each, and this the one list of
/// them. Each names itself on the command line, lists the files it may write in a runner's
/// folder, and makes them ([`Emit::files_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Emit {
    /// The IAM documents (the default).
    Json,
    /// `create-roles.sh` and `delete-roles.sh`.
    AwsCli,
    /// A Terraform module, `terraform/`.
    Terraform,
    /// A CloudFormation template, `cloudformation.json`.
    CloudFormation,
}

pub const TASK_TRUST_POLICY_FILE: &str = "task-role-trust-policy.json";
pub const EXECUTION_TRUST_POLICY_FILE: &str = "execution-role-trust-policy.json";
pub const TASK_ROLE_POLICY_FILE: &str = "task-role-policy.json";
pub const EXECUTION_ROLE_POLICY_FILE: &str = "execution-role-policy.json";
pub const TASK_DEFINITION_FILE: &str = "task-definition.json";
pub const CREATE_ROLES_FILE: &str = "create-roles.sh";
pub const DELETE_ROLES_FILE: &str = "delete-roles.sh";
pub const TERRAFORM_MAIN_FILE: &str = "terraform/main.tf";
pub const TERRAFORM_OUTPUTS_FILE: &str = "terraform/outputs.tf";
pub const TERRAFORM_VERSIONS_FILE: &str = "terraform/versions.tf";
pub const CLOUDFORMATION_FILE: &str = "cloudformation.json";

impl Emit {
    /// Every backend, in the order `--emit all` lists them.
    pub const ALL: &'static [Emit] = &[
        Emit::Json,
        Emit::AwsCli,
        Emit::Terraform,
        Emit::CloudFormation,
    ];

    /// The name `--emit` takes.
    pub fn name(self) -> &'static str {
        match self {
            Emit::Json => "json",
            Emit::AwsCli => "aws-cli",
            Emit::Terraform => "terraform",
            Emit::CloudFormation => "cloudformation",
        }
    }

    /// What it writes, for `--help`.
    pub fn description(self) -> &'static str {
        match self {
            Emit::Json => {
                "the IAM documents and, where `env` wires secrets, task-definition.json (the default)"
            }
            Emit::AwsCli => "create-roles.sh and delete-roles.sh",
            Emit::Terraform => "a Terraform module in terraform/",
            Emit::CloudFormation => "a CloudFormation template, cloudformation.json",
        }
    }

    pub fn from_name(name: &str) -> Option<Emit> {
        Emit::ALL.iter().copied().find(|emit| emit.name() == name)
    }

    /// Every file this backend may write in a runner's folder.
    pub fn file_names(self) -> &'static [&'static str] {
        match self {
            Emit::Json => &[
                TASK_TRUST_POLICY_FILE,
                EXECUTION_TRUST_POLICY_FILE,
                TASK_ROLE_POLICY_FILE,
                EXECUTION_ROLE_POLICY_FILE,
                TASK_DEFINITION_FILE,
            ],
            Emit::AwsCli => &[CREATE_ROLES_FILE, DELETE_ROLES_FILE],
            Emit::Terraform => &[
                TERRAFORM_MAIN_FILE,
                TERRAFORM_OUTPUTS_FILE,
                TERRAFORM_VERSIONS_FILE,
            ],
            Emit::CloudFormation => &[CLOUDFORMATION_FILE],
        }
    }

    /// The files this backend writes for one runner.
    pub fn files_of(self, runner: &Runner, documents: &RoleDocuments) -> Vec<OutputFile> {
        let file = |name: &str, contents: String| OutputFile {
            runner: runner.name.clone(),
            name: name.to_owned(),
            contents,
            executable: false,
        };
        match self {
            Emit::Json => {
                let foreign = other_accounts::resource_policies(runner, documents);
                let documents = [
                    (TASK_TRUST_POLICY_FILE, &documents.task_trust),
                    (EXECUTION_TRUST_POLICY_FILE, &documents.execution_trust),
                    (TASK_ROLE_POLICY_FILE, &documents.task),
                    (EXECUTION_ROLE_POLICY_FILE, &documents.execution),
                ];
                documents
                    .into_iter()
                    .filter_map(|(name, document)| {
                        document.as_ref().map(|d| file(name, d.to_pretty_json()))
                    })
                    .chain(
                        ecs::task_definition(runner)
                            .map(|fragment| file(TASK_DEFINITION_FILE, fragment)),
                    )
                    .chain(
                        foreign
                            .into_iter()
                            .map(|policy| file(&policy.file, policy.contents)),
                    )
                    .collect()
            }
            Emit::AwsCli => [
                (CREATE_ROLES_FILE, aws_cli::create_script(runner, documents)),
                (DELETE_ROLES_FILE, aws_cli::delete_script(runner, documents)),
            ]
            .into_iter()
            .map(|(name, contents)| OutputFile {
                executable: true,
                ..file(name, contents)
            })
            .collect(),
            Emit::Terraform => terraform::module(runner, documents)
                .into_iter()
                .map(|(name, contents)| file(name, contents))
                .collect(),
            Emit::CloudFormation => vec![file(
                CLOUDFORMATION_FILE,
                cloudformation::template(runner, documents),
            )],
        }
    }
}

/// Files of earlier runnerc versions, which kept no record of what they wrote: `build` leaves
/// them and names them.
const FORMER_FILES: &[&str] = &["trust-policy.json"];

/// Every file name `build` may write in a runner's folder, and those of earlier versions. A
/// file of such a name that a build does not emit is removed when the output folder's record
/// proves runnerc wrote it, and named otherwise, so a folder that mixes two builds shows.
pub fn all_file_names() -> impl Iterator<Item = &'static str> {
    Emit::ALL
        .iter()
        .flat_map(|emit| emit.file_names().iter().copied())
        .chain(FORMER_FILES.iter().copied())
}

/// One file to write: `OUT/<runner>/<name>`; a name may hold one folder (`terraform/main.tf`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub runner: String,
    /// A name of [`Emit::file_names`], or another account's policy (`bucket-policy-*.json`).
    pub name: String,
    pub contents: String,
    pub executable: bool,
}

/// The files of one runner, for the kinds of output asked for.
pub fn output_files(runner: &Runner, documents: &RoleDocuments, emit: &[Emit]) -> Vec<OutputFile> {
    emit.iter()
        .flat_map(|backend| backend.files_of(runner, documents))
        .collect()
}
