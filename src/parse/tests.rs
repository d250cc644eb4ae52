//! The parser's tests: a text in, its tree or its syntax errors out.

use super::*;
use crate::diag::Code;

fn parse_ok(text: &str) -> SpecFile {
    parse(text, 0).unwrap_or_else(|d| panic!("{d:?}"))
}

#[test]
fn a_block_may_stand_on_one_line() {
    let file = parse_ok(r#"runner "a" { account "123456789012" region "eu-west-1" }"#);
    assert_eq!(file.runners.len(), 1);
    assert_eq!(file.runners[0].statements.len(), 2);
}

#[test]
fn escapes_are_decoded_and_spans_cover_the_literal() {
    let text = r#"runner "a\"b\\c" {}"#;
    let file = parse_ok(text);
    let name = &file.runners[0].name;
    assert_eq!(name.node, "a\"b\\c");
    assert_eq!(&text[name.span.start..name.span.end], r#""a\"b\\c""#);
}

#[test]
fn an_unknown_escape_is_reported_at_the_escape() {
    let text = "runner \"a\\nb\" {}";
    let errors = parse(text, 0).unwrap_err();
    assert_eq!(errors[0].code, Code::InvalidEscape);
    let span = errors[0].loc.span;
    assert_eq!(&text[span.start..span.end], "\\n");
}

#[test]
fn keywords_end_at_a_word_boundary() {
    let errors = parse(r#"runner "a" { trustservice "x" }"#, 0).unwrap_err();
    assert_eq!(errors[0].code, Code::Syntax);
}

#[test]
fn a_misspelt_keyword_gets_a_suggestion() {
    for (text, keyword) in [
        (r#"runner "a" { secrets "x" }"#, "secret"),
        (r#"runner "a" { acount "x" }"#, "account"),
        (r#"runner "a" { Region "x" }"#, "region"),
        (r#"runner "a" { destination s3 { buckt "x" } }"#, "bucket"),
        (r#"runer "a" {}"#, "runner"),
    ] {
        let errors = parse(text, 0).unwrap_err();
        let help = errors[0].help.clone().unwrap_or_default();
        assert_eq!(help, format!("did you mean `{keyword}`?"), "{text}");
    }
    let errors = parse(r#"runner "a" { banana "x" }"#, 0).unwrap_err();
    assert_eq!(errors[0].help, None);
}

/// The text each syntax error points at, and its help line.
fn errors_at(text: &str) -> Vec<(String, String)> {
    parse(text, 0)
        .unwrap_err()
        .iter()
        .map(|d| {
            let span = d.loc.span;
            (
                text[span.start..span.end].to_owned(),
                d.help.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn every_misspelt_keyword_of_a_runner_is_reported_in_one_parse() {
    let text = "runner \"a\" {\n  acount \"123456789012\"\n  regin \"eu-west-1\"\n  secret \"db\"\n  destination s3 {\n    buckt \"b-1\"\n    prefix \"p/\"\n  }\n  tagg \"k\" \"v\"\n}\n";
    assert_eq!(
        errors_at(text),
        [
            ("acount".to_owned(), "did you mean `account`?".to_owned()),
            ("regin".to_owned(), "did you mean `region`?".to_owned()),
            ("buckt".to_owned(), "did you mean `bucket`?".to_owned()),
            ("tagg".to_owned(), "did you mean `tag`?".to_owned()),
        ]
    );
}

#[test]
fn recovery_steps_over_one_statement_at_a_time() {
    // Several statements on one line: each error is its own.
    let found: Vec<String> = errors_at(
        "runner \"a\" { acount \"1\" }\nrunner \"b\" { task role { nme \"x\" } regin \"y\" }",
    )
    .into_iter()
    .map(|(at, _)| at)
    .collect();
    assert_eq!(found, ["acount", "nme", "regin"]);
    // A statement left unfinished: the one after it is not an error.
    let text = "runner \"a\" {\n  secret \"x\" kms\n  region \"eu-west-1\"\n  acount \"1\"\n}\n";
    let found: Vec<String> = errors_at(text).into_iter().map(|(at, _)| at).collect();
    assert_eq!(found, ["region", "acount"]);
    // A value that is not a string: the statement goes, the next one is read.
    let text = "runner \"a\" {\n  account 123\n  regin \"x\"\n}\n";
    let found: Vec<String> = errors_at(text).into_iter().map(|(at, _)| at).collect();
    assert_eq!(found, ["123", "regin"]);
    // A bad escape after a syntax error is reported too.
    let errors = parse("runner \"a\" {\n acount \"1\"\n tag \"k\\n\" \"v\"\n}", 0).unwrap_err();
    let codes: Vec<Code> = errors.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::Syntax, Code::InvalidEscape]);
    // What recovery cannot step over ends the list: a string never closed.
    let errors = parse("runner \"a\" {\n acount \"1\"\n secret \"x\n}", 0).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn syntax_errors_are_capped_with_a_note() {
    let mut text = "runner \"a\" {\n".to_owned();
    for _ in 0..MAX_SYNTAX_ERRORS + 5 {
        text.push_str("  acount \"1\"\n");
    }
    text.push_str("}\n");
    let errors = parse(&text, 0).unwrap_err();
    assert_eq!(errors.len(), MAX_SYNTAX_ERRORS);
    let note = &errors.last().unwrap().secondary[0];
    assert!(
        note.message.contains("more syntax errors may follow"),
        "{}",
        note.message
    );
    // The note points at the next error, on the line after the last one reported.
    let next_line = text
        .match_indices("acount")
        .nth(MAX_SYNTAX_ERRORS)
        .unwrap()
        .0;
    assert_eq!(note.loc.span.start, next_line);
    // One is enough when asked for one.
    assert_eq!(parse_reporting(&text, 0, 0, 1).unwrap_err().len(), 1);
}

#[test]
fn an_unclosed_string_points_at_its_opening_quote() {
    let text = "runner \"a\" {\n  secret \"prod/db\n}\n";
    let errors = parse(text, 0).unwrap_err();
    assert_eq!(errors[0].loc.span.start, text.find("\"prod").unwrap());
    assert!(errors[0].message.contains("never closed"));
}

#[test]
fn a_string_left_open_on_its_line_is_reported_where_it_opened() {
    // Line 4 of 12: the quotes pair up wrongly after it, and pest fails far below.
    let text = "runner \"orders\" {\n  account \"123456789012\"\n  region \"eu-west-1\"\n  secret \"prod/db\n  secret \"prod/other\"\n  destination s3 {\n    bucket \"b-1\"\n    prefix \"p/\"\n  }\n  tag \"team\" \"x\"\n  tag \"k\" \"v\"\n}\n";
    assert_eq!(text.lines().count(), 12);
    let errors = parse(text, 0).unwrap_err();
    assert_eq!(errors[0].loc.span.start, text.find("\"prod/db").unwrap());
    assert_eq!(
        errors[0].message, "this string runs past the end of its line",
        "{errors:?}"
    );
    // A description may span lines: a file that parses is never reported.
    let fine = "runner \"a\" {\n task role {\n  description \"one\ntwo\"\n }\n}\n";
    assert!(parse(fine, 0).is_ok());
}

#[test]
fn an_unclosed_block_points_at_its_opening_brace() {
    let text = "runner \"a\" {\n  destination s3 {\n    bucket \"b\"\n}\n";
    let errors = parse(text, 0).unwrap_err();
    // The destination closes on the last line; the runner's block does not.
    let secondary = &errors[0].secondary[0];
    assert_eq!(secondary.loc.span.start, text.find('{').unwrap());
    assert!(
        errors[0].message.contains("never closed"),
        "{}",
        errors[0].message
    );
}

#[test]
fn pieces_cover_the_file_and_parse_to_the_same_tree_and_spans() {
    let text = "# head\nrunner \"a\" { account \"1\" tag \"}\" \"#{\" } # c {\n\
                runner \"b\" { destination s3 { bucket \"x\" } }\n# tail }\n";
    let pieces = chunks(text, 1);
    assert_eq!(pieces.len(), 2, "{pieces:?}");
    assert_eq!(pieces[0].start, 0);
    assert_eq!(pieces[1].end, text.len());
    assert_eq!(pieces[0].end, pieces[1].start);
    let whole = parse(text, 0).unwrap();
    let mut names = Vec::new();
    for piece in &pieces {
        let part = parse_at(&text[piece.clone()], 0, piece.start).unwrap();
        names.extend(part.runners.into_iter().map(|r| r.name));
    }
    let whole_names: Vec<_> = whole.runners.into_iter().map(|r| r.name).collect();
    assert_eq!(names, whole_names);
    // Spans too, which equality leaves out.
    assert_eq!(
        names.iter().map(|n| n.span).collect::<Vec<_>>(),
        whole_names.iter().map(|n| n.span).collect::<Vec<_>>()
    );
}

#[test]
fn unbalanced_text_is_one_piece() {
    for text in ["runner \"a\" {", "runner \"a\" {}}", "runner \"a {}"] {
        assert_eq!(chunks(text, 1), vec![0..text.len()], "{text}");
    }
}

#[test]
fn syntax_errors_name_keywords_not_rules() {
    let errors = parse(r#"runner "a" { secrets "x" }"#, 0).unwrap_err();
    let message = &errors[0].message;
    assert!(message.contains("`secret`"), "{message}");
    assert!(message.contains("found `secrets`"), "{message}");
    assert!(!message.contains("_"), "{message}");
}

#[test]
fn blocks_recover_where_braces_and_quotes_stop_balancing() {
    let pieces = |text: &str| -> Vec<String> {
        blocks(text)
            .into_iter()
            .map(|r| text[r].to_owned())
            .collect()
    };
    assert_eq!(
        pieces("runner \"a\" { }\nrunner \"b\" { }\n"),
        ["runner \"a\" { }", "\nrunner \"b\" { }\n"]
    );
    // A block still being written: the blocks before it stand.
    assert_eq!(
        pieces("runner \"a\" { }\nrunner \"c\" {\n  acc"),
        ["runner \"a\" { }", "\nrunner \"c\" {\n  acc"]
    );
    // A block never closed, followed by complete ones.
    assert_eq!(
        pieces("runner \"a\" {\n\nrunner \"b\" { }\n"),
        ["runner \"a\" {\n\n", "runner \"b\" { }\n"]
    );
    // A brace that closes nothing, and a string never closed.
    assert_eq!(
        pieces("runner \"a\" { }\n}\nrunner \"b\" { secret \"x }\n"),
        ["runner \"a\" { }", "\n}", "\nrunner \"b\" { secret \"x }\n"]
    );
    assert_eq!(pieces(""), [""]);
}

#[test]
fn a_string_left_open_before_an_env_option_is_reported_where_it_opened() {
    // `version-stage` begins an option of `env`: a line that starts with it is not a string's.
    let text = "runner \"a\" {\n  agent secret \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf\" {\n    env \"DB\" key \"password\n    version-stage \"AWSPREVIOUS\"\n  }\n}\n";
    let errors = parse(text, 0).unwrap_err();
    assert_eq!(errors[0].loc.span.start, text.find("\"password").unwrap());
    assert_eq!(
        errors[0].message, "this string runs past the end of its line",
        "{errors:?}"
    );
}

#[test]
fn a_block_cut_before_the_next_runner_names_that_line() {
    let text = "runner \"a\" {\n  acount \"1\"\n\nrunner \"b\" {\n  region \"eu-west-1\"\n}\n";
    let blocks = parse_blocks(text, 0, |spec| spec.runners.len());
    assert_eq!(blocks.len(), 2);
    let Err(unparsed) = &blocks[0].parsed else {
        panic!("the first block parses")
    };
    assert!(unparsed.is_runner);
    let header = unparsed.header.as_ref().expect("a header");
    assert_eq!(header.name.node, "a");
    let last = &unparsed.diagnostics.last().unwrap().message;
    assert!(last.starts_with("this block is never closed"), "{last}");
    assert!(last.ends_with("found the next `runner`"), "{last}");
    assert!(matches!(blocks[1].parsed, Ok(1)));
    // The same block at the end of its file ends there.
    let alone = parse("runner \"a\" {\n  acount \"1\"\n\n", 0).unwrap_err();
    let last = &alone.last().unwrap().message;
    assert!(last.ends_with("found the end of the file"), "{last}");
}
