//! The keyword table against `grammar/runner.pest`, read as text: every `kw_*` rule is in the
//! table with its word and the table holds nothing else; the keywords each rule starts with,
//! and which keywords begin a statement, are the grammar's.

use super::super::messages::rule_words;
use super::*;
use std::collections::{BTreeMap, BTreeSet};

const GRAMMAR: &str = include_str!("../../../grammar/runner.pest");

/// A rule of the grammar: whether it is silent (`_{ ... }`), and its expression.
struct GrammarRule {
    silent: bool,
    expression: String,
}

/// Every rule of the grammar, by name. A rule starts at the start of a line; the lines after
/// it that start with white space go on with it.
fn grammar_rules() -> BTreeMap<String, GrammarRule> {
    let mut texts: Vec<(String, String)> = Vec::new();
    for line in GRAMMAR.lines() {
        let code = line.trim_start();
        if code.is_empty() || code.starts_with("//") {
            continue;
        }
        if line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let (name, definition) = line.split_once('=').expect("a rule has `=`");
            texts.push((name.trim().to_owned(), definition.to_owned()));
        } else {
            let (_, definition) = texts.last_mut().expect("a continued rule");
            definition.push_str(line);
        }
    }
    assert!(texts.len() > 60, "too few rules read from the grammar");
    texts
        .into_iter()
        .map(|(name, definition)| {
            let open = definition.find('{').expect("a rule has a body");
            let close = definition.rfind('}').expect("a rule's body closes");
            let rule = GrammarRule {
                silent: definition[..open].contains('_'),
                expression: definition[open + 1..close].trim().to_owned(),
            };
            (name, rule)
        })
        .collect()
}

/// `expression` split at `separator`, outside parentheses and string literals.
fn split_outside(expression: &str, separator: char) -> Vec<&str> {
    let (mut depth, mut in_literal, mut escaped) = (0usize, false, false);
    let mut pieces = Vec::new();
    let mut start = 0;
    for (at, c) in expression.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_literal => escaped = true,
            '"' => in_literal = !in_literal,
            '(' if !in_literal => depth += 1,
            ')' if !in_literal => depth -= 1,
            _ if c == separator && !in_literal && depth == 0 => {
                pieces.push(expression[start..at].trim());
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    pieces.push(expression[start..].trim());
    pieces
}

/// The first item of a sequence (`SOI` matches nothing, so the one after it).
fn first_item(expression: &str) -> &str {
    let items = split_outside(expression, '~');
    match items.as_slice() {
        ["SOI", next, ..] => next,
        [first, ..] => first,
        [] => "",
    }
}

/// The keyword rules an expression can start with, through the rules it names.
fn keywords_starting(expression: &str, rules: &BTreeMap<String, GrammarRule>) -> BTreeSet<String> {
    let mut keywords = BTreeSet::new();
    for alternative in split_outside(first_item(expression), '|') {
        let item = alternative.trim_end_matches(['+', '*', '?']);
        if let Some(inner) = item.strip_prefix('(').and_then(|i| i.strip_suffix(')')) {
            keywords.extend(keywords_starting(inner, rules));
        } else if item.starts_with("kw_") {
            keywords.insert(item.to_owned());
        } else if let Some(rule) = rules.get(item) {
            keywords.extend(keywords_starting(&rule.expression, rules));
        }
    }
    keywords
}

fn name(rule: Rule) -> String {
    format!("{rule:?}")
}

#[test]
fn the_table_holds_every_keyword_rule_of_the_grammar_and_nothing_else() {
    let grammar: BTreeSet<(String, String)> = grammar_rules()
        .into_iter()
        .filter(|(name, _)| name.starts_with("kw_"))
        .map(|(name, rule)| {
            let literal = rule
                .expression
                .split('"')
                .nth(1)
                .expect("a keyword's literal");
            assert_eq!(
                rule.expression,
                format!("\"{literal}\" ~ !word_char"),
                "{name} does not end where a word ends"
            );
            (name, literal.to_owned())
        })
        .collect();
    let table: BTreeSet<(String, String)> = KEYWORDS
        .iter()
        .map(|keyword| (name(keyword.rule), keyword.word.to_owned()))
        .collect();
    let missing: Vec<_> = grammar.difference(&table).collect();
    let extra: Vec<_> = table.difference(&grammar).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "keyword rules missing from the table: {missing:?}; table entries the grammar lacks: {extra:?}"
    );
    assert_eq!(table.len(), KEYWORDS.len(), "a keyword twice in the table");
    for keyword in KEYWORDS {
        let found = of_rule(keyword.rule).map(|k| k.word);
        assert_eq!(found, Some(keyword.word), "{keyword:?}");
        assert_eq!(find(keyword.word).map(|k| k.rule), Some(keyword.rule));
    }
}

#[test]
fn every_rule_starts_with_the_keywords_the_grammar_gives_it() {
    let rules = grammar_rules();
    for rule in Rule::all_rules() {
        let Some(written) = rules.get(&name(*rule)) else {
            continue; // EOI: pest's own.
        };
        if written.silent {
            continue; // Never named in an error.
        }
        let expected = match name(*rule).starts_with("kw_") {
            true => BTreeSet::from([name(*rule)]),
            false => keywords_starting(&written.expression, &rules),
        };
        let table: BTreeSet<String> = first_keywords(*rule).iter().map(|k| name(*k)).collect();
        assert_eq!(table, expected, "the keywords {rule:?} starts with");
        // A rule that starts with no keyword has words of its own in syntax errors.
        assert_ne!(rule_words(*rule), "a statement", "{rule:?} has no words");
    }
}

#[test]
fn a_keyword_leads_when_a_rule_begins_with_it() {
    let rules = grammar_rules();
    for keyword in KEYWORDS {
        let begins_a_rule = rules.values().any(|rule| {
            let items = split_outside(&rule.expression, '~');
            items.len() > 1 && items[0] == name(keyword.rule)
        });
        assert_eq!(keyword.leads, begins_a_rule, "{keyword:?}");
    }
    assert!(leads("key") && leads("tag") && !leads("s3") && !leads("existing"));
}

#[test]
fn every_keyword_is_documented() {
    for keyword in KEYWORDS {
        assert!(
            keyword.documentation.contains(keyword.word),
            "the documentation of `{}` does not name it",
            keyword.word
        );
    }
}
