//! The pipeline, from source texts to documents: parse every file, check every runner, lower
//! the valid ones and measure what was lowered. Nothing here reads or writes files.

use crate::check;
use crate::diag::{self, Diagnostic, Sources};
use crate::lower::iam::{self, RoleDocuments};
use crate::model::Runner;
use crate::parse;
use crate::quota;

/// A runner and its documents.
#[derive(Debug, Clone)]
pub struct CompiledRunner {
    pub runner: Runner,
    pub documents: RoleDocuments,
}

/// Everything one invocation found and made.
#[derive(Debug, Clone)]
pub struct Compilation {
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The runners without errors, in the order written. Only complete when there is no error.
    pub runners: Vec<CompiledRunner>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

pub fn compile(sources: &Sources) -> Compilation {
    let mut diagnostics = Vec::new();
    let mut specs = Vec::new();
    for (id, file) in sources.iter() {
        match parse::parse(&file.text, id) {
            Ok(spec) => specs.push((id, spec)),
            Err(mut errors) => diagnostics.append(&mut errors),
        }
    }
    let spec_refs: Vec<_> = specs.iter().map(|(id, spec)| (*id, spec)).collect();
    let (runners, mut check_diagnostics) = check::check(&spec_refs);
    diagnostics.append(&mut check_diagnostics);
    let runners: Vec<CompiledRunner> = runners
        .into_iter()
        .map(|runner| {
            let documents = iam::documents(&runner);
            diagnostics.extend(quota::check(&runner, &documents));
            CompiledRunner { runner, documents }
        })
        .collect();
    diag::sort(&mut diagnostics);
    Compilation {
        diagnostics,
        runners,
    }
}
