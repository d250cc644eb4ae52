//! A table of `can` requests with the answer each must get (`runnerc can --expect-file`), as
//! in tests/can/requests.txt: one request per line,
//!
//! ```text
//! FILE RUNNER ROLE EXPECT ACTION RESOURCE [KEY=VALUE ...]
//! ```
//!
//! fields separated by single spaces; FILE is a spec (relative to the current folder), ROLE
//! `task` or `execution`, EXPECT `allow`, `deny` or `unknown`, each KEY=VALUE a `--context`
//! value (a repeated key has several values). A line whose first non-blank character is `#` is
//! a comment; blank lines are skipped.
//!
//! Takes the table's text; gives its rows, or every malformed line with what is wrong with it.

use crate::ast::RoleKind;
use crate::audit::can::{Decision, Question, context_pair, question_problem};

/// One request of the table and the answer it must get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line in the table.
    pub line: usize,
    pub file: String,
    pub runner: String,
    pub role: RoleKind,
    pub expect: Decision,
    pub question: Question,
}

/// The rows of a table, or each malformed line (1-based) with one sentence saying why.
pub fn parse(text: &str) -> Result<Vec<Row>, Vec<(usize, String)>> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match row(index + 1, line) {
            Ok(row) => rows.push(row),
            Err(problem) => problems.push((index + 1, problem)),
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

fn row(line: usize, text: &str) -> Result<Row, String> {
    let fields: Vec<&str> = text.split(' ').collect();
    if fields.len() < 6 || fields.iter().any(|field| field.is_empty()) {
        return Err(
            "expected `FILE RUNNER ROLE EXPECT ACTION RESOURCE [KEY=VALUE ...]`, separated by single spaces"
                .to_owned(),
        );
    }
    let role = match fields[2] {
        "task" => RoleKind::Task,
        "execution" => RoleKind::Execution,
        other => return Err(format!("ROLE is `{other}`, not `task` or `execution`")),
    };
    let expect = match fields[3] {
        "allow" => Decision::Allowed,
        "deny" => Decision::Denied,
        "unknown" => Decision::Unknown,
        other => {
            return Err(format!(
                "EXPECT is `{other}`, not `allow`, `deny` or `unknown`"
            ));
        }
    };
    let context = fields[6..]
        .iter()
        .map(|pair| context_pair(pair))
        .collect::<Result<Vec<_>, _>>()?;
    let question = Question {
        action: fields[4].to_owned(),
        resource: fields[5].to_owned(),
        context,
    };
    if let Some(problem) = question_problem(&question) {
        return Err(problem);
    }
    Ok(Row {
        line,
        file: fields[0].to_owned(),
        runner: fields[1].to_owned(),
        role,
        expect,
        question,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_comments_and_context_are_read() {
        let text = "# a comment\n\n  # indented comment\n\
                    a.runner orders-cdc task allow s3:ListBucket arn:aws:s3:::b s3:prefix=o/ s3:prefix=p/\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 4);
        assert_eq!(rows[0].role, RoleKind::Task);
        assert_eq!(rows[0].expect, Decision::Allowed);
        assert_eq!(
            rows[0].question.context,
            [
                ("s3:prefix".to_owned(), "o/".to_owned()),
                ("s3:prefix".to_owned(), "p/".to_owned())
            ]
        );
    }

    #[test]
    fn every_malformed_line_is_named() {
        let text = "a.runner r task allow s3:GetObject\n\
                    a.runner r admin allow s3:GetObject *\n\
                    a.runner r task maybe s3:GetObject *\n\
                    a.runner r task allow s3:GetObject * novalue\n\
                    a.runner r task allow s3:* *\n\
                    a.runner  r task allow s3:GetObject *\n\
                    a.runner r task allow s3:GetObject *\n";
        let problems = parse(text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 6], "{problems:?}");
        assert!(problems[1].1.contains("`admin`"));
        assert!(problems[2].1.contains("`maybe`"));
    }
}
