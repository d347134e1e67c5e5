//! Resource policies statement by statement (S3 bucket policies): whom each `Allow` statement
//! lets in, a statement narrowed to the accounts kept, and a document with statements taken out
//! and put in. Statements are compared as JSON values, so a policy read back in another layout
//! still holds the statement it was given.

use serde_json::Value;

use super::{PolicyError, Statement, narrowed_principal, parse_value, statement_principals};
use crate::model::Principals;

/// The policy language version a new document is written in.
const VERSION: &str = "2012-10-17";

/// One `Allow` statement as written, and whom it lets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowStatement {
    pub statement: Value,
    pub principals: Principals,
}

/// The statements of `document` (one, or a list).
fn statements_of(value: &Value) -> Result<Vec<Value>, PolicyError> {
    match value.get("Statement") {
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(one @ Value::Object(_)) => Ok(vec![one.clone()]),
        Some(other) => Err(PolicyError::Shape(format!(
            "Statement must be an object or a list, found {other}"
        ))),
        None => Err(PolicyError::Shape("no Statement".to_string())),
    }
}

/// Whom one statement (as JSON) lets in; `None` for a `Deny` or one without a principal.
fn principals_of(statement: &Value) -> Result<Option<Principals>, PolicyError> {
    let typed: Statement =
        serde_json::from_value(statement.clone()).map_err(|e| PolicyError::Shape(e.to_string()))?;
    statement_principals(&typed)
}

/// Every `Allow` statement of `document` that names a principal, with whom it lets in.
pub fn allow_statements(document: &str) -> Result<Vec<AllowStatement>, PolicyError> {
    let mut found = Vec::new();
    for statement in statements_of(&parse_value(document)?)? {
        if let Some(principals) = principals_of(&statement)? {
            found.push(AllowStatement {
                statement,
                principals,
            });
        }
    }
    Ok(found)
}

/// `statement` letting in only the AWS principals whose account `keep` accepts (`*` never);
/// services and other kinds stay. `None` when no principal is left, or when what is left still
/// lets in anyone or an account `keep` refuses (a `*` narrowed by a condition on an account).
pub fn narrow_statement(
    statement: &Value,
    keep: impl Fn(&str) -> bool,
) -> Result<Option<Value>, PolicyError> {
    let mut narrowed = statement.clone();
    let Some(principal) = narrowed.get_mut("Principal") else {
        return Ok(None);
    };
    *principal = narrowed_principal(principal.take(), &keep);
    if principal.is_null() {
        return Ok(None);
    }
    let Some(left) = principals_of(&narrowed)? else {
        return Ok(None);
    };
    let closed = !left.public && left.accounts.iter().all(|a| keep(a));
    Ok(closed.then_some(narrowed))
}

/// `document` with every statement equal to one of `remove` taken out and `add` appended (those
/// it holds already are not added twice); `None` when no statement is left. Without a document,
/// a new one holding `add`. The document's other fields (`Version`, `Id`) are kept.
pub fn edit_statements(
    document: Option<&str>,
    remove: &[Value],
    add: &[Value],
) -> Result<Option<String>, PolicyError> {
    let mut value = match document {
        Some(document) => parse_value(document)?,
        None => serde_json::json!({ "Version": VERSION }),
    };
    let mut list = match document {
        Some(_) => statements_of(&value)?,
        None => Vec::new(),
    };
    list.retain(|s| !remove.iter().any(|r| same_statement(r, s)));
    for statement in add {
        if !list.iter().any(|s| same_statement(s, statement)) {
            list.push(statement.clone());
        }
    }
    if list.is_empty() {
        return Ok(None);
    }
    let Value::Object(fields) = &mut value else {
        return Err(PolicyError::Shape("a policy must be an object".to_string()));
    };
    fields.insert("Statement".to_string(), Value::Array(list));
    Ok(Some(value.to_string()))
}

/// Whether `document` holds `statement` (see [`same_statement`]).
pub fn holds_statement(document: &str, statement: &Value) -> Result<bool, PolicyError> {
    Ok(statements_of(&parse_value(document)?)?
        .iter()
        .any(|s| same_statement(s, statement)))
}

/// Whether two statements say the same, as AWS may store what it was given: an account's root
/// named by its id or its ARN, a one-item list or the item, lists in any order.
pub fn same_statement(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

/// The form [`same_statement`] compares.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), canonical(value)))
                .collect(),
        ),
        Value::Array(items) if items.len() == 1 => canonical(&items[0]),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(canonical).collect();
            items.sort_by_key(|item| item.to_string());
            Value::Array(items)
        }
        Value::String(text) => Value::String(root_account(text).unwrap_or(text).to_string()),
        other => other.clone(),
    }
}

/// The account an account's root is named by: its id, or `arn:PARTITION:iam::ID:root`.
fn root_account(text: &str) -> Option<&str> {
    if super::is_account_id(text) {
        return Some(text);
    }
    let account = text
        .strip_prefix("arn:")?
        .split_once(":iam::")?
        .1
        .strip_suffix(":root")?;
    super::is_account_id(account).then_some(account)
}

/// Whether `arn` matches an ARN pattern as IAM's `ArnLike` does: `*` any run of characters,
/// `?` any one, case-sensitive.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let arn: Vec<char> = arn.chars().collect();
    // Classic wildcard matching: remember where the pattern goes on after the last `*` and
    // where in the ARN that `*` stopped taking characters; on a mismatch it takes one more.
    let (mut p, mut a) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while a < arn.len() {
        match pattern.get(p) {
            Some('*') => {
                p += 1;
                star = Some((p, a));
            }
            Some(c) if *c == '?' || *c == arn[a] => {
                p += 1;
                a += 1;
            }
            _ => match star {
                Some((after_star, taken)) => {
                    p = after_star;
                    a = taken + 1;
                    star = Some((after_star, a));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Whether a `Deny` statement leaves out the principal `arn`: its `ArnNotLike` condition on
/// `aws:PrincipalArn` names a pattern that matches it. Any other statement spares everyone.
pub fn deny_spares(statement: &Value, arn: &str) -> bool {
    let denies = statement
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("deny"));
    if !denies {
        return true;
    }
    let patterns = statement
        .get("Condition")
        .and_then(|c| c.get("ArnNotLike"))
        .and_then(|c| c.get("aws:PrincipalArn"));
    let patterns: Vec<&str> = match patterns {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    patterns.iter().any(|pattern| arn_like(pattern, arn))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OWN: &str = "123456789012";
    const PARTNER: &str = "210987654321";
    const STRANGER: &str = "666655554444";

    fn keep(account: &str) -> bool {
        account == OWN || account == PARTNER
    }

    #[test]
    fn allow_statements_name_whom_each_lets_in_and_skip_denies() {
        let document = json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
                {"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
                {"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{PARTNER}:root")}, "Action": "s3:GetObject", "Resource": "*"},
                {"Sid": "noprincipal", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
            ]
        })
        .to_string();
        let found = allow_statements(&document).expect("parsed");
        let sids: Vec<&str> = found
            .iter()
            .map(|s| s.statement["Sid"].as_str().expect("sid"))
            .collect();
        assert_eq!(sids, ["open", "partner"]);
        assert!(found[0].principals.public);
        assert_eq!(
            found[1].principals.accounts,
            [PARTNER.to_string()].into_iter().collect()
        );
        // One statement on its own (not a list) is read too.
        let single = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:*"}});
        assert_eq!(allow_statements(&single.to_string()).expect("one").len(), 1);
        assert!(allow_statements(r#"{"Statement": 3}"#).is_err());
        assert!(allow_statements(r#"{"Version": "2012-10-17"}"#).is_err());
    }

    #[test]
    fn a_statement_is_narrowed_to_kept_accounts_or_dropped() {
        let mixed = json!({
            "Effect": "Allow",
            "Principal": {"AWS": [format!("arn:aws:iam::{PARTNER}:root"), STRANGER, "*"]},
            "Action": "s3:GetObject"
        });
        assert_eq!(
            narrow_statement(&mixed, keep).expect("narrowed"),
            Some(json!({
                "Effect": "Allow",
                "Principal": {"AWS": format!("arn:aws:iam::{PARTNER}:root")},
                "Action": "s3:GetObject"
            }))
        );
        let stranger_only =
            json!({"Effect": "Allow", "Principal": {"AWS": STRANGER}, "Action": "s3:*"});
        assert_eq!(narrow_statement(&stranger_only, keep).expect("read"), None);
        let anyone = json!({"Effect": "Allow", "Principal": "*", "Action": "s3:*"});
        assert_eq!(narrow_statement(&anyone, keep).expect("read"), None);
        // A service keeps its statement; the stranger beside it goes.
        let service = json!({
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com", "AWS": STRANGER},
            "Action": "s3:PutObject"
        });
        assert_eq!(
            narrow_statement(&service, keep).expect("read"),
            Some(json!({
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject"
            }))
        );
        let no_principal = json!({"Effect": "Allow", "Action": "s3:*"});
        assert_eq!(narrow_statement(&no_principal, keep).expect("read"), None);
    }

    #[test]
    fn edits_take_out_and_put_in_whole_statements_keeping_the_rest() {
        let open =
            json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"});
        let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket"});
        let document = json!({"Version": "2008-10-17", "Id": "p1", "Statement": [open, deny]});
        let edited = edit_statements(
            Some(&document.to_string()),
            std::slice::from_ref(&open),
            &[],
        )
        .expect("edited")
        .expect("one left");
        let edited: Value = serde_json::from_str(&edited).expect("json");
        assert_eq!(
            edited,
            json!({"Version": "2008-10-17", "Id": "p1", "Statement": [deny]})
        );
        assert!(!holds_statement(&edited.to_string(), &open).expect("read"));
        assert!(holds_statement(&edited.to_string(), &deny).expect("read"));
        // Nothing left: no policy.
        let single = json!({"Statement": open});
        assert_eq!(
            edit_statements(Some(&single.to_string()), std::slice::from_ref(&open), &[])
                .expect("edited"),
            None
        );
        // No policy yet: a new one; a statement already there is not added twice.
        let created = edit_statements(None, &[], std::slice::from_ref(&deny))
            .expect("created")
            .expect("one");
        let created: Value = serde_json::from_str(&created).expect("json");
        assert_eq!(created, json!({"Version": VERSION, "Statement": [deny]}));
        let again = edit_statements(Some(&created.to_string()), &[], std::slice::from_ref(&deny))
            .expect("edited")
            .expect("kept");
        assert_eq!(
            serde_json::from_str::<Value>(&again).expect("json"),
            created
        );
        assert!(edit_statements(Some("[]"), &[], &[deny]).is_err());
    }

    #[test]
    fn a_statement_is_the_same_however_aws_wrote_it_back() {
        let given = json!({
            "Sid": "partner",
            "Effect": "Allow",
            "Principal": {"AWS": [PARTNER]},
            "Action": ["s3:ListBucket", "s3:GetObject"],
            "Resource": "arn:aws:s3:::ledger/*"
        });
        let stored = json!({
            "Sid": "partner",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{PARTNER}:root")},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::ledger/*"]
        });
        assert!(same_statement(&given, &stored));
        let other = json!({
            "Sid": "partner",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{STRANGER}:root")},
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": "arn:aws:s3:::ledger/*"
        });
        assert!(!same_statement(&given, &other));
        let role = json!({"Principal": {"AWS": format!("arn:aws:iam::{PARTNER}:role/root")}});
        assert!(!same_statement(
            &role,
            &json!({"Principal": {"AWS": PARTNER}})
        ));
        assert!(!same_statement(
            &json!({"Principal": {"AWS": "arn:aws:iam::12345:root"}}),
            &json!({"Principal": {"AWS": "12345"}})
        ));
        // Stored the AWS way, the statement is found and taken out again.
        let document = json!({"Statement": [stored]}).to_string();
        assert!(holds_statement(&document, &given).expect("read"));
        assert_eq!(
            edit_statements(Some(&document), std::slice::from_ref(&given), &[]).expect("edited"),
            None
        );
        let again = edit_statements(Some(&document), &[], std::slice::from_ref(&given))
            .expect("edited")
            .expect("kept");
        assert_eq!(
            allow_statements(&again).expect("read").len(),
            1,
            "not added twice"
        );
    }

    #[test]
    fn arn_patterns_match_as_iam_matches_them() {
        let role = "arn:aws:iam::123456789012:role/ops/responder";
        assert!(arn_like("arn:aws:iam::123456789012:role/*/responder", role));
        assert!(arn_like("arn:aws:iam::123456789012:role/*", role));
        assert!(arn_like(
            "arn:aws:iam::123456789012:role/ops/responde?",
            role
        ));
        assert!(!arn_like("arn:aws:iam::123456789012:role/responder", role));
        assert!(!arn_like(
            "arn:aws:iam::123456789012:role/*/Responder",
            role
        ));
        assert!(!arn_like(
            "arn:aws:iam::123456789012:role/*/responder",
            "arn:aws:iam::123456789012:role/ops/responder-2"
        ));
        assert!(arn_like("*", ""));
        assert!(!arn_like("", "x"));
        assert!(arn_like("a*b*c", "axxbyyc"));
        assert!(!arn_like("a*b*c", "axxbyy"));
        // Matches that need the star to give back what it took.
        assert!(arn_like("*ab", "aab"));
        assert!(arn_like("a*ab", "aaab"));
        assert!(arn_like("*x*y", "axbxcy"));
        assert!(arn_like("x*/n", "xa/b/n"));
        assert!(!arn_like("*a", "b"));
        assert!(!arn_like("?*", ""));
        assert!(!arn_like("*ab", "aabx"));
    }

    #[test]
    fn a_statement_left_open_to_every_web_identity_is_not_narrowed_but_dropped() {
        let federated = json!({
            "Effect": "Allow",
            "Principal": {"Federated": "token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity"
        });
        assert_eq!(narrow_statement(&federated, keep).expect("read"), None);
    }

    #[test]
    fn a_deny_spares_only_the_principals_its_condition_names() {
        let deny = json!({
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:DeleteObject",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": [
                "arn:aws:iam::123456789012:role/responder",
                "arn:aws:iam::123456789012:role/*/responder"
            ]}}
        });
        assert!(deny_spares(
            &deny,
            "arn:aws:iam::123456789012:role/responder"
        ));
        assert!(deny_spares(
            &deny,
            "arn:aws:iam::123456789012:role/ops/responder"
        ));
        assert!(!deny_spares(
            &deny,
            "arn:aws:iam::123456789012:user/mallory"
        ));
        let one = json!({"Effect": "Deny", "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::1:root"}}});
        assert!(deny_spares(&one, "arn:aws:iam::1:root"));
        assert!(!deny_spares(
            &json!({"Effect": "Deny"}),
            "arn:aws:iam::1:root"
        ));
        assert!(deny_spares(
            &json!({"Effect": "Allow"}),
            "arn:aws:iam::1:root"
        ));
    }
}
