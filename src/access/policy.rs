//! IAM policy documents read back from JSON, whoever wrote them: runnerc's own output, or what
//! a live account returns. The grammar is IAM's: `Statement` as one object or a list, `Action`
//! or `NotAction`, `Resource` or `NotResource`, string-or-list values, condition values of any
//! JSON scalar. Key order, single values and formatting carry no meaning here.

use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// A policy document, statement by statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, or its complement (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Patterns {
    Listed(BTreeSet<String>),
    AllBut(BTreeSet<String>),
}

/// One condition: an operator (`StringEquals`), a key (`s3:ResourceAccount`) and its values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Condition {
    pub operator: String,
    /// As written; condition key names are compared without regard to case.
    pub key: String,
    pub values: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// Principal type (`Service`, `AWS`, `Federated`, `CanonicalUser`) -> principals; `"*"` is
    /// `AWS: *`. `None` in identity policies.
    pub principal: Option<BTreeMap<String, BTreeSet<String>>>,
    /// `NotPrincipal`, kept as written.
    pub not_principal: Option<Value>,
    /// Actions, as written (IAM compares them without regard to case).
    pub actions: Patterns,
    /// `None` in trust policies.
    pub resources: Option<Patterns>,
    pub conditions: BTreeSet<Condition>,
    /// The statement as written, for reports.
    pub json: Value,
}

impl Policy {
    /// Reads a policy from a JSON value: an object, or a string holding the document as JSON or
    /// URL-encoded JSON (the raw IAM API returns documents URL-encoded).
    pub fn from_json(value: &Value) -> Result<Policy, String> {
        match value {
            Value::String(text) => Policy::from_text(text),
            Value::Object(_) => Policy::from_object(value),
            _ => Err("a policy document is a JSON object".to_owned()),
        }
    }

    /// A document runnerc emits, read back from its JSON: what IAM would be given.
    pub fn of_document(document: &crate::lower::iam::PolicyDocument) -> Policy {
        let value = serde_json::to_value(document).expect("runnerc's documents serialize");
        Policy::from_object(&value).expect("runnerc's own documents read back")
    }

    pub fn from_text(text: &str) -> Result<Policy, String> {
        let text = document_text(text).ok_or("the URL-encoded document is not valid")?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|error| format!("the document is not JSON: {error}"))?;
        Policy::from_object(&value)
    }

    fn from_object(value: &Value) -> Result<Policy, String> {
        let object = value
            .as_object()
            .ok_or("a policy document is a JSON object")?;
        let statements = match object.get("Statement") {
            Some(Value::Array(items)) => items.iter().map(Statement::from_json).collect(),
            Some(item @ Value::Object(_)) => vec![Statement::from_json(item)],
            Some(_) => return Err("`Statement` is neither an object nor a list".to_owned()),
            None => return Err("the document has no `Statement`".to_owned()),
        };
        Ok(Policy {
            statements: statements.into_iter().collect::<Result<_, _>>()?,
        })
    }
}

/// A string, or every string of a list: IAM's string-or-list values.
fn strings(value: &Value, what: &str) -> Result<Vec<String>, String> {
    let scalar = |item: &Value| match item {
        Value::String(text) => Ok(text.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(format!("`{what}` holds a value that is not a string")),
    };
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        item => Ok(vec![scalar(item)?]),
    }
}

fn patterns(
    object: &serde_json::Map<String, Value>,
    listed: &str,
    all_but: &str,
) -> Result<Option<Patterns>, String> {
    let set = |value: &Value, what: &str| -> Result<BTreeSet<String>, String> {
        Ok(strings(value, what)?.into_iter().collect())
    };
    match (object.get(listed), object.get(all_but)) {
        (Some(_), Some(_)) => Err(format!("a statement has both `{listed}` and `{all_but}`")),
        (Some(value), None) => Ok(Some(Patterns::Listed(set(value, listed)?))),
        (None, Some(value)) => Ok(Some(Patterns::AllBut(set(value, all_but)?))),
        (None, None) => Ok(None),
    }
}

impl Statement {
    fn from_json(value: &Value) -> Result<Statement, String> {
        let object = value
            .as_object()
            .ok_or("a statement is not a JSON object")?;
        let effect = match object.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            _ => return Err("a statement's `Effect` is neither `Allow` nor `Deny`".to_owned()),
        };
        let actions =
            patterns(object, "Action", "NotAction")?.ok_or("a statement has no `Action`")?;
        let resources = patterns(object, "Resource", "NotResource")?;
        let principal = match object.get("Principal") {
            None => None,
            Some(Value::String(star)) => Some(BTreeMap::from([(
                "AWS".to_owned(),
                BTreeSet::from([star.clone()]),
            )])),
            Some(Value::Object(kinds)) => Some(
                kinds
                    .iter()
                    .map(|(kind, value)| {
                        Ok((kind.clone(), strings(value, kind)?.into_iter().collect()))
                    })
                    .collect::<Result<_, String>>()?,
            ),
            Some(_) => return Err("a statement's `Principal` is not valid".to_owned()),
        };
        let mut conditions = BTreeSet::new();
        if let Some(condition) = object.get("Condition") {
            let operators = condition
                .as_object()
                .ok_or("a statement's `Condition` is not an object")?;
            for (operator, keys) in operators {
                let keys = keys
                    .as_object()
                    .ok_or_else(|| format!("condition `{operator}` is not an object"))?;
                for (key, values) in keys {
                    conditions.insert(Condition {
                        operator: operator.clone(),
                        key: key.clone(),
                        values: strings(values, key)?.into_iter().collect(),
                    });
                }
            }
        }
        Ok(Statement {
            sid: object.get("Sid").and_then(Value::as_str).map(str::to_owned),
            effect,
            principal,
            not_principal: object.get("NotPrincipal").cloned(),
            actions,
            resources,
            conditions,
            json: value.clone(),
        })
    }
}

/// The JSON text of a document given as text: decoded when it is URL-encoded (as the raw IAM
/// API returns documents); `None` when its encoding is not valid.
pub fn document_text(text: &str) -> Option<Cow<'_, str>> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('%') {
        url_decode(trimmed).map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(text))
    }
}

/// Decodes `%XX` escapes (RFC 3986, as IAM documents: a `+` is a `+`).
fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_values_and_lists_read_alike() {
        let one = Policy::from_text(
            r#"{"Statement":{"Effect":"Allow","Action":"S3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        )
        .unwrap();
        let list = Policy::from_text(
            r#"{"Version":"2012-10-17","Statement":[{"Resource":["arn:aws:s3:::b/*"],"Action":["s3:getobject"],"Effect":"Allow"}]}"#,
        )
        .unwrap();
        let Patterns::Listed(one_actions) = &one.statements[0].actions else {
            panic!()
        };
        let Patterns::Listed(list_actions) = &list.statements[0].actions else {
            panic!()
        };
        assert!(
            one_actions
                .iter()
                .zip(list_actions)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
        );
        assert_eq!(one.statements[0].resources, list.statements[0].resources);
    }

    #[test]
    fn url_encoded_documents_are_read() {
        let policy = Policy::from_text("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D%7D%5D%7D").unwrap();
        let principal = policy.statements[0].principal.as_ref().unwrap();
        assert!(principal["Service"].contains("ecs-tasks.amazonaws.com"));
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(Policy::from_text("{").is_err());
        assert!(Policy::from_text(r#"{"Statement":[{"Effect":"Maybe","Action":"x"}]}"#).is_err());
        assert!(Policy::from_text(r#"{"Statement":[{"Effect":"Allow"}]}"#).is_err());
        assert!(Policy::from_text("%ZZ").is_err());
    }
}
