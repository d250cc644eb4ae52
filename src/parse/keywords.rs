//! The keywords of the language.

use super::messages::keyword_of;
use super::{Rule, RunnerParser};
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};

/// The keywords the grammar accepts at `offset` of `text` (for completion): what pest expects
/// when the text stops there. Empty when the text before `offset` already has an error.
pub fn keywords_expected_at(text: &str, offset: usize) -> Vec<&'static str> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let Err(error) = RunnerParser::parse(Rule::file, before) else {
        // Complete as it stands: another runner may follow.
        return vec!["runner"];
    };
    let position = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let ErrorVariant::ParsingError { positives, .. } = &error.variant else {
        return Vec::new();
    };
    // Pest reports the furthest position it reached; only the end of the text is the cursor.
    if position < before.trim_end().len() {
        return Vec::new();
    }
    let mut keywords: Vec<&'static str> = Vec::new();
    for keyword in positives.iter().flat_map(|rule| keyword_of(*rule)) {
        if !keywords.contains(&keyword) {
            keywords.push(keyword);
        }
    }
    keywords
}
