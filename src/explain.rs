//! The long explanations of diagnostic codes, for `runnerc explain CODE`. The text is
//! `docs/diagnostics.md`, compiled in, so the page and the command never disagree.

use crate::diag::Code;

const PAGE: &str = include_str!("../docs/diagnostics.md");

/// The section of `docs/diagnostics.md` for a code: its heading, explanation and examples.
pub fn explanation(code: Code) -> Option<&'static str> {
    let heading = format!("## {}:", code.as_str());
    let start = PAGE.find(&heading)?;
    let rest = &PAGE[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 4);
    Some(rest[..end].trim_end())
}
