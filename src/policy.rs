//! Parsing of IAM policy documents (role trust policies, Lambda resource policies) into the set of
//! principals they allow. Pure functions, so they can be table-tested and fuzzed.

use serde::Deserialize;
use serde_json::Value;

use crate::model::Principals;
use crate::model::operation::{FunctionGrant, PrincipalKind};

/// Why a policy document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy document is not valid JSON: {0}")]
    Json(String),
    #[error("policy document has an unexpected shape: {0}")]
    Shape(String),
}

#[derive(Deserialize)]
struct Document {
    #[serde(rename = "Statement")]
    statement: OneOrMany<Statement>,
}

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "Effect")]
    effect: String,
    #[serde(rename = "Principal")]
    principal: Option<Value>,
    #[serde(rename = "Action")]
    action: Option<OneOrMany<String>>,
    #[serde(rename = "NotAction")]
    not_action: Option<Value>,
    #[serde(rename = "Condition")]
    condition: Option<Value>,
    #[serde(rename = "Resource")]
    resource: Option<OneOrMany<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(item) => vec![item],
            OneOrMany::Many(items) => items,
        }
    }
}

/// Reads a policy document as IAM returns it: plain JSON, or URL-encoded JSON (IAM's query API
/// encodes policy documents).
fn parse_document(document: &str) -> Result<Document, PolicyError> {
    let value = parse_value(document)?;
    serde_json::from_value(value).map_err(|e| PolicyError::Shape(e.to_string()))
}

/// A policy document as JSON, plain or URL-encoded.
fn parse_value(document: &str) -> Result<Value, PolicyError> {
    Ok(match serde_json::from_str(document) {
        Ok(value) => value,
        Err(plain_error) => {
            let decoded = percent_encoding::percent_decode_str(document)
                .decode_utf8()
                .map_err(|_| PolicyError::Json(plain_error.to_string()))?;
            serde_json::from_str(&decoded).map_err(|e| PolicyError::Json(e.to_string()))?
        }
    })
}

/// Whether an identity policy grants administrator access, whatever the policy is called: on
/// `"Resource": "*"`, every action (`*`, `*:*`), every action but some (`NotAction`), or every
/// IAM action (`iam:*`: its holder can make itself administrator).
pub fn grants_admin(document: &str) -> Result<bool, PolicyError> {
    let document = parse_document(document)?;
    Ok(document.statement.into_vec().into_iter().any(|statement| {
        let everything = |a: &String| a == "*" || a == "*:*" || a.eq_ignore_ascii_case("iam:*");
        statement.effect.eq_ignore_ascii_case("allow")
            && (statement
                .action
                .is_some_and(|a| a.into_vec().iter().any(everything))
                || statement.not_action.is_some())
            && statement
                .resource
                .is_some_and(|r| r.into_vec().iter().any(|r| r == "*"))
    }))
}

/// Whether a permissions boundary leaves its holder able to administer the account. A boundary
/// caps what the identity policies grant: AWS's `AWSDenyAll`, a boundary that denies every
/// action on every resource unconditionally, or one that grants no administrator access itself
/// leaves an administrator's policies powerless. `document` is the boundary's default version
/// when it is a customer-managed policy that was read; a boundary that cannot be judged (an
/// AWS managed one firebreak does not know, a document not read or not parsed) is taken to
/// allow it, so that no administrator is hidden.
pub fn boundary_allows_admin(boundary_arn: &str, document: Option<&str>) -> bool {
    let Some(arn) = Arn::parse(boundary_arn) else {
        return true;
    };
    if arn.account == "aws" {
        return arn.resource.rsplit('/').next() != Some(DENY_ALL_MANAGED_NAME);
    }
    let Some(document) = document else {
        return true;
    };
    match (grants_admin(document), denies_everything(document)) {
        (Ok(grants), Ok(denies)) => grants && !denies,
        _ => true,
    }
}

/// The AWS managed policy that denies every request.
const DENY_ALL_MANAGED_NAME: &str = "AWSDenyAll";

/// Whether a policy document denies every action on every resource, unconditionally.
fn denies_everything(document: &str) -> Result<bool, PolicyError> {
    let document = parse_document(document)?;
    Ok(document.statement.into_vec().into_iter().any(|statement| {
        let everything = |a: &String| a == "*" || a == "*:*";
        statement.effect.eq_ignore_ascii_case("deny")
            && statement.condition.is_none()
            && statement
                .action
                .is_some_and(|a| a.into_vec().iter().any(everything))
            && statement
                .resource
                .is_some_and(|r| r.into_vec().iter().any(|r| r == "*"))
    }))
}

/// The principals a policy document (trust policy, resource policy) allows.
pub fn parse_principals(document: &str) -> Result<Principals, PolicyError> {
    let document = parse_document(document)?;
    let mut principals = Principals::default();
    for statement in document.statement.into_vec() {
        if !statement.effect.eq_ignore_ascii_case("allow") {
            continue;
        }
        let Some(principal) = statement.principal else {
            continue;
        };
        let mut granted = Principals::default();
        add_principal(&mut granted, &principal)?;
        let conditions = Conditions::of(statement.condition.as_ref());
        // `*` narrowed by a condition is not everyone: an organization, the accounts named,
        // or whoever holds the external id.
        if granted.public && conditions.narrows_everyone() {
            granted.public = false;
            granted.accounts.extend(conditions.source_accounts);
        }
        // A web identity (OIDC) trust that checks no subject lets every identity of that
        // provider in — every GitHub repository, for one.
        let web_identity = statement.action.as_ref().is_some_and(|a| match a {
            OneOrMany::One(a) => a.eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity"),
            OneOrMany::Many(all) => all
                .iter()
                .any(|a| a.eq_ignore_ascii_case("sts:AssumeRoleWithWebIdentity")),
        });
        if web_identity && !granted.federated.is_empty() && !conditions.checks_subject {
            granted.public = true;
        }
        principals.public |= granted.public;
        principals.accounts.extend(granted.accounts);
        principals.arns.extend(granted.arns);
        principals.services.extend(granted.services);
        principals.federated.extend(granted.federated);
    }
    Ok(principals)
}

/// What a statement's `Condition` restricts, as far as who may use it goes.
#[derive(Default)]
struct Conditions {
    org: bool,
    external_id: bool,
    source_arn: bool,
    source_accounts: Vec<String>,
    /// A web-identity `sub` claim is checked.
    checks_subject: bool,
}

/// Whether a condition operator limits a key to the values it lists: the positive matching
/// operators (optionally `ForAnyValue:`). Negated ones, `...IfExists` (true when the key is
/// absent), `Null` and `ForAllValues:` (true for an empty set) let everyone else in.
fn narrows(operator: &str) -> bool {
    let operator = operator.strip_prefix("ForAnyValue:").unwrap_or(operator);
    matches!(
        operator,
        "StringEquals" | "StringEqualsIgnoreCase" | "StringLike" | "ArnEquals" | "ArnLike"
    )
}

impl Conditions {
    fn of(condition: Option<&Value>) -> Self {
        let mut found = Conditions::default();
        let Some(Value::Object(operators)) = condition else {
            return found;
        };
        for (operator, keys) in operators {
            let Value::Object(keys) = keys else { continue };
            if !narrows(operator) {
                continue;
            }
            for (key, value) in keys {
                // A wildcard on its own matches every value: it narrows nothing.
                let values = match value {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                if values.is_empty() || values.iter().any(|v| v.chars().all(|c| c == '*')) {
                    continue;
                }
                let key = key.to_ascii_lowercase();
                match key.as_str() {
                    "aws:principalorgid" | "aws:principalorgpaths" => found.org = true,
                    "sts:externalid" => found.external_id = true,
                    "aws:sourcearn" => found.source_arn = true,
                    "aws:sourceaccount" => found
                        .source_accounts
                        .extend(values.iter().map(|v| v.to_string())),
                    _ if key.ends_with(":sub") => found.checks_subject = true,
                    _ => {}
                }
            }
        }
        found
    }

    fn narrows_everyone(&self) -> bool {
        self.org || self.external_id || self.source_arn || !self.source_accounts.is_empty()
    }
}

fn add_principal(principals: &mut Principals, principal: &Value) -> Result<(), PolicyError> {
    match principal {
        // Lambda keeps a principal as written when it is not a service or a root ARN; "*" is
        // public (add_aws_principal).
        Value::String(s) if s.ends_with(".amazonaws.com") => {
            principals.services.insert(s.clone());
        }
        Value::String(s) => add_aws_principal(principals, s),
        Value::Object(map) => {
            for (kind, entries) in map {
                for entry in string_list(entries)? {
                    match kind.as_str() {
                        "AWS" => add_aws_principal(principals, entry),
                        "Service" => {
                            principals.services.insert(entry.to_string());
                        }
                        "Federated" => {
                            principals.federated.insert(entry.to_string());
                        }
                        // CanonicalUser and future kinds: keep them visible as ARNs-like text.
                        _ => {
                            principals.arns.insert(format!("{kind}:{entry}"));
                        }
                    }
                }
            }
        }
        other => {
            return Err(PolicyError::Shape(format!(
                "Principal must be \"*\" or an object, found {other}"
            )));
        }
    }
    Ok(())
}

fn string_list(value: &Value) -> Result<Vec<&str>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str().ok_or_else(|| {
                    PolicyError::Shape(format!("principal list holds a non-string: {item}"))
                })
            })
            .collect(),
        other => Err(PolicyError::Shape(format!(
            "principal value must be a string or a list, found {other}"
        ))),
    }
}

fn add_aws_principal(principals: &mut Principals, entry: &str) {
    if entry == "*" {
        principals.public = true;
    } else if is_account_id(entry) {
        principals.accounts.insert(entry.to_string());
    } else {
        if let Some(account) = account_of_arn(entry) {
            principals.accounts.insert(account.to_string());
        }
        principals.arns.insert(entry.to_string());
    }
}

/// AWS managed policies that grant administrator access or the means to take it, by name in
/// any partition (`aws`, `aws-us-gov`, `aws-cn`).
const AWS_MANAGED_ADMIN: [&str; 2] = ["AdministratorAccess", "IAMFullAccess"];

/// Whether `arn` is an AWS managed policy that makes its holder an administrator.
pub fn aws_managed_admin(arn: &str) -> bool {
    Arn::parse(arn).is_some_and(|arn| {
        arn.service == "iam"
            && arn.account == "aws"
            && arn.resource.starts_with("policy/")
            && arn
                .resource
                .rsplit('/')
                .next()
                .is_some_and(|name| AWS_MANAGED_ADMIN.contains(&name))
    })
}

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The fields of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `arn` into its fields; `None` when it is not an ARN.
    pub fn parse(arn: &'a str) -> Option<Self> {
        let mut parts = arn.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }

    /// The IAM user or role the ARN names, by kind and name (its path left out).
    pub fn iam_principal(&self) -> Option<(PrincipalKind, &'a str)> {
        if self.service != "iam" {
            return None;
        }
        let kind = match self.resource.split('/').next()? {
            "user" => PrincipalKind::User,
            "role" => PrincipalKind::Role,
            _ => return None,
        };
        Some((kind, self.resource.rsplit('/').next()?))
    }
}

/// The account id field of an ARN (`arn:partition:service:region:account:resource`).
pub fn account_of_arn(arn: &str) -> Option<&str> {
    let account = Arn::parse(arn)?.account;
    is_account_id(account).then_some(account)
}

/// A trust policy with every principal removed that `keep` does not accept: `*`, and accounts
/// (bare ids or IAM ARNs) other than the kept ones. Service and federated principals stay.
/// Statements left with no principal are dropped; if no statement is left, the trust denies
/// everyone. `None` when nothing would change.
pub fn restrict_trust(
    document: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<Option<String>, PolicyError> {
    let mut value = parse_value(document)?;
    let Some(statements) = value.get_mut("Statement") else {
        return Err(PolicyError::Shape("no Statement".to_string()));
    };
    let mut list = match statements.take() {
        Value::Array(items) => items,
        one => vec![one],
    };
    let before = list.clone();
    for statement in &mut list {
        if !allows(statement) {
            continue;
        }
        let Some(principal) = statement.get_mut("Principal") else {
            continue;
        };
        *principal = match principal.take() {
            // "*" is never kept (aws_entry_kept).
            Value::String(s) => {
                if aws_entry_kept(&s, &keep) {
                    Value::String(s)
                } else {
                    Value::Null
                }
            }
            Value::Object(mut map) => {
                if let Some(aws) = map.remove("AWS") {
                    let kept: Vec<Value> = match aws {
                        Value::Array(items) => items,
                        one => vec![one],
                    }
                    .into_iter()
                    .filter(|e| e.as_str().is_some_and(|e| aws_entry_kept(e, &keep)))
                    .collect();
                    match kept.len() {
                        0 => {}
                        1 => {
                            map.insert("AWS".to_string(), kept[0].clone());
                        }
                        _ => {
                            map.insert("AWS".to_string(), Value::Array(kept));
                        }
                    }
                }
                if map.is_empty() {
                    Value::Null
                } else {
                    Value::Object(map)
                }
            }
            other => other,
        };
    }
    list.retain(|s| !s.get("Principal").is_some_and(Value::is_null));
    if list == before {
        return Ok(None);
    }
    if list.is_empty() {
        list.push(serde_json::json!({
            "Sid": "FirebreakDenyAssume",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole"
        }));
    }
    *statements = Value::Array(list);
    Ok(Some(value.to_string()))
}

/// Whether a statement (as JSON) is an `Allow`.
fn allows(statement: &Value) -> bool {
    statement
        .get("Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("allow"))
}

/// Whether an `AWS` principal entry names a kept account (`*` never is).
fn aws_entry_kept(entry: &str, keep: &impl Fn(&str) -> bool) -> bool {
    if is_account_id(entry) {
        keep(entry)
    } else {
        account_of_arn(entry).is_some_and(keep)
    }
}

/// One statement of a Lambda resource policy: who it lets in, and the AddPermission request
/// that would put it back (`None` when it has parts AddPermission cannot express).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionStatement {
    pub sid: String,
    pub principals: Principals,
    pub grant: Option<FunctionGrant>,
}

/// Every Allow statement of a Lambda resource policy.
pub fn function_statements(document: &str) -> Result<Vec<FunctionStatement>, PolicyError> {
    let value = parse_value(document)?;
    let statements = match value.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
        None => return Err(PolicyError::Shape("no Statement".to_string())),
    };
    let mut out = Vec::new();
    for statement in statements {
        if !allows(&statement) {
            continue;
        }
        let sid = statement
            .get("Sid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut principals = Principals::default();
        if let Some(principal) = statement.get("Principal") {
            add_principal(&mut principals, principal)?;
        }
        // A `*` narrowed to a source (an S3 bucket, an account) is an integration, not public.
        let conditions = Conditions::of(statement.get("Condition"));
        if principals.public && conditions.narrows_everyone() {
            principals.public = false;
            principals.accounts.extend(conditions.source_accounts);
        }
        out.push(FunctionStatement {
            grant: grant_of(&statement, &sid),
            sid,
            principals,
        });
    }
    Ok(out)
}

/// The AddPermission parameters that recreate `statement`, if it has only parts AddPermission
/// can express (one action, one principal, the conditions Lambda itself writes).
fn grant_of(statement: &Value, sid: &str) -> Option<FunctionGrant> {
    if sid.is_empty() {
        return None;
    }
    let action = statement.get("Action")?.as_str()?.to_string();
    let principal = match statement.get("Principal")? {
        Value::String(s) => s.clone(),
        Value::Object(map) if map.len() == 1 => {
            let (_, value) = map.iter().next()?;
            value.as_str()?.to_string()
        }
        _ => return None,
    };
    let mut grant = FunctionGrant {
        statement_id: sid.to_string(),
        action,
        principal,
        source_arn: None,
        source_account: None,
        principal_org_id: None,
        function_url_auth_type: statement
            .get("FunctionUrlAuthType")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    if let Some(conditions) = statement.get("Condition") {
        for (operator, keys) in conditions.as_object()? {
            for (key, value) in keys.as_object()? {
                let value = Some(value.as_str()?.to_string());
                match (operator.as_str(), key.to_ascii_lowercase().as_str()) {
                    ("ArnLike" | "ArnEquals", "aws:sourcearn") => grant.source_arn = value,
                    ("StringEquals", "aws:sourceaccount") => grant.source_account = value,
                    ("StringEquals", "aws:principalorgid") => grant.principal_org_id = value,
                    ("StringEquals", "lambda:functionurlauthtype") => {
                        grant.function_url_auth_type = value
                    }
                    _ => return None,
                }
            }
        }
    }
    Some(grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> std::collections::BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_boundary_that_denies_everything_or_grants_no_admin_caps_an_administrator() {
        let customer = "arn:aws:iam::123456789012:policy/boundaries/cap";
        let admin = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let deny_all = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
        let deny_with_condition = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
        let read_only = r#"{"Statement":{"Effect":"Allow","Action":["s3:Get*","ec2:Describe*"],"Resource":"*"}}"#;
        let deny_one_service = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
        let deny_all_spelled = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*:*","Resource":"*"}]}"#;
        let cases = [
            ("arn:aws:iam::aws:policy/AWSDenyAll", None, false),
            ("arn:aws-us-gov:iam::aws:policy/AWSDenyAll", None, false),
            ("arn:aws:iam::aws:policy/AdministratorAccess", None, true),
            // An AWS managed boundary firebreak cannot read: no administrator is hidden.
            (
                "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
                None,
                true,
            ),
            (customer, Some(admin), true),
            (customer, Some(deny_all), false),
            (customer, Some(deny_with_condition), true),
            // Denying one service leaves an administrator; `*:*` is every action too.
            (customer, Some(deny_one_service), true),
            (customer, Some(deny_all_spelled), false),
            (customer, Some(read_only), false),
            (customer, None, true),
            (customer, Some("not json"), true),
            ("not an arn", Some(read_only), true),
        ];
        for (arn, document, allows) in cases {
            assert_eq!(
                boundary_allows_admin(arn, document),
                allows,
                "{arn} {document:?}"
            );
        }
    }

    #[test]
    fn trust_policy_shapes() {
        struct Case {
            name: &'static str,
            document: &'static str,
            public: bool,
            accounts: &'static [&'static str],
            services: &'static [&'static str],
        }
        let cases = [
            Case {
                name: "service principal",
                document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
                public: false,
                accounts: &[],
                services: &["lambda.amazonaws.com"],
            },
            Case {
                name: "root arn of another account",
                document: r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole"}}"#,
                public: false,
                accounts: &["999988887777"],
                services: &[],
            },
            Case {
                name: "bare account ids in a list, mixed with a role arn",
                document: r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:role/ci"]}}]}"#,
                public: false,
                accounts: &["111122223333", "444455556666"],
                services: &[],
            },
            Case {
                name: "wildcard principal",
                document: r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#,
                public: true,
                accounts: &[],
                services: &[],
            },
            Case {
                name: "AWS wildcard",
                document: r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"}}]}"#,
                public: true,
                accounts: &[],
                services: &[],
            },
            Case {
                name: "deny statements grant nothing",
                document: r#"{"Statement":[{"Effect":"Deny","Principal":"*"},{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}]}"#,
                public: false,
                accounts: &[],
                services: &["ec2.amazonaws.com"],
            },
            Case {
                name: "url-encoded, as IAM returns it",
                document: "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A999988887777%3Aroot%22%7D%7D%5D%7D",
                public: false,
                accounts: &["999988887777"],
                services: &[],
            },
            Case {
                name: "statement without principal (identity policy)",
                document: r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                public: false,
                accounts: &[],
                services: &[],
            },
        ];
        for case in cases {
            let principals =
                parse_principals(case.document).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert_eq!(principals.public, case.public, "{}", case.name);
            assert_eq!(principals.accounts, set(case.accounts), "{}", case.name);
            assert_eq!(principals.services, set(case.services), "{}", case.name);
        }
    }

    #[test]
    fn federated_and_arns_are_kept() {
        let principals = parse_principals(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/okta","AWS":"arn:aws:iam::123456789012:user/bob"}}]}"#,
        )
        .expect("valid document");
        assert_eq!(
            principals.federated,
            set(&["arn:aws:iam::123456789012:saml-provider/okta"])
        );
        assert_eq!(
            principals.arns,
            set(&["arn:aws:iam::123456789012:user/bob"])
        );
        assert_eq!(principals.accounts, set(&["123456789012"]));
    }

    #[test]
    fn bad_documents_are_errors_not_panics() {
        for document in [
            "",
            "not json",
            "{}",
            r#"{"Statement":[{"Effect":"Allow","Principal":42}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":[1,2]}}]}"#,
            r#"{"Statement":"nope"}"#,
            "%ZZ",
        ] {
            assert!(
                parse_principals(document).is_err(),
                "{document:?} should be rejected"
            );
        }
    }

    #[test]
    fn conditions_narrow_a_wildcard_and_an_open_web_identity_trust_is_public() {
        let cases = [
            (
                "anyone",
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#,
                true,
                vec![],
            ),
            (
                "an organization",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
                false,
                vec![],
            ),
            (
                "one source account",
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"StringEquals":{"AWS:SourceAccount":"666655554444"}}}]}"#,
                false,
                vec!["666655554444"],
            ),
            (
                "a bucket",
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::uploads"}}}]}"#,
                false,
                vec![],
            ),
            (
                "an external id",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}}]}"#,
                false,
                vec![],
            ),
            (
                "every GitHub repository",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}"#,
                true,
                vec![],
            ),
            (
                "one GitHub repository",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/deploy:*"}}}]}"#,
                false,
                vec![],
            ),
            (
                "every organization but one",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
                true,
                vec![],
            ),
            (
                "an organization if the key exists",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
                true,
                vec![],
            ),
            (
                "any source",
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"ArnLike":{"AWS:SourceArn":"*"}}}]}"#,
                true,
                vec![],
            ),
            (
                "two source accounts, as a list",
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"StringEquals":{"aws:SourceAccount":["666655554444","210987654321"]}}}]}"#,
                false,
                vec!["210987654321", "666655554444"],
            ),
            (
                "a list holding a bare wildcard",
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Condition":{"StringEquals":{"aws:SourceAccount":["666655554444","*"]}}}]}"#,
                true,
                vec![],
            ),
            (
                "a service, written bare as Lambda keeps it",
                r#"{"Statement":[{"Effect":"Allow","Principal":"s3.amazonaws.com","Action":"lambda:InvokeFunction"}]}"#,
                false,
                vec![],
            ),
            (
                "an account, written bare",
                r#"{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::666655554444:root","Action":"lambda:InvokeFunction"}]}"#,
                false,
                vec!["666655554444"],
            ),
            (
                "every subject",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"*"}}}]}"#,
                true,
                vec![],
            ),
        ];
        for (name, document, public, accounts) in cases {
            let principals = parse_principals(document).expect(name);
            if name.starts_with("a service") {
                assert_eq!(
                    principals.services,
                    std::collections::BTreeSet::from(["s3.amazonaws.com".to_string()]),
                    "{name}"
                );
                assert!(principals.arns.is_empty(), "{name}");
            }
            assert_eq!(principals.public, public, "{name}");
            assert_eq!(
                principals.accounts,
                accounts.iter().map(|a| a.to_string()).collect(),
                "{name}"
            );
        }
    }

    #[test]
    fn restricting_a_trust_keeps_only_kept_accounts_and_never_a_deny() {
        let keep = |account: &str| account == "210987654321";
        let restrict = |document: &str| {
            restrict_trust(document, keep)
                .expect("a trust policy")
                .map(|text| serde_json::from_str::<Value>(&text).expect("json"))
        };
        // Two accounts, one kept: the one left is written as a single value, as IAM writes it.
        let two = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::210987654321:root","arn:aws:iam::666655554444:root"]},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(
            restrict(two).expect("changed")["Statement"],
            serde_json::json!([{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"sts:AssumeRole"}])
        );
        // Nothing to remove: no change.
        let partner = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"sts:AssumeRole"}}"#;
        assert_eq!(restrict(partner), None);
        // A Deny naming a stranger is not a grant: left as it is.
        let deny = r#"{"Statement":[{"Effect":"Deny","Principal":{"AWS":"666655554444"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(restrict(deny), None);
        // Anyone, written bare, or only strangers: the statement goes; with none left, a deny.
        for document in [
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::666655554444:root","Action":"sts:AssumeRole"}]}"#,
        ] {
            let restricted = restrict(document).expect("changed");
            assert_eq!(
                restricted["Statement"],
                serde_json::json!([{"Sid":"FirebreakDenyAssume","Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]),
                "{document}"
            );
        }
        // A service principal stays beside a removed stranger.
        let mixed = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com","AWS":"666655554444"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(
            restrict(mixed).expect("changed")["Statement"][0]["Principal"],
            serde_json::json!({"Service":"lambda.amazonaws.com"})
        );
    }

    #[test]
    fn a_function_statement_is_recreated_with_every_condition_lambda_writes() {
        let document = r#"{"Statement":[
            {"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"f","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::uploads"},"StringEquals":{"AWS:SourceAccount":"123456789012"}}},
            {"Sid":"org","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"f","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}},
            {"Sid":"url","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"f","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}},
            {"Sid":"two-kinds","Effect":"Allow","Principal":{"AWS":"210987654321","Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"f"},
            {"Sid":"odd-condition","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"f","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
            {"Sid":"deny","Effect":"Deny","Principal":"*","Action":"lambda:InvokeFunction","Resource":"f"}
        ]}"#;
        let statements = function_statements(document).expect("a function policy");
        let grant = |sid: &str| {
            statements
                .iter()
                .find(|s| s.sid == sid)
                .unwrap_or_else(|| panic!("{sid}: {statements:#?}"))
                .grant
                .clone()
        };
        let base = |sid: &str, action: &str, principal: &str| FunctionGrant {
            statement_id: sid.into(),
            action: action.into(),
            principal: principal.into(),
            source_arn: None,
            source_account: None,
            principal_org_id: None,
            function_url_auth_type: None,
        };
        assert_eq!(
            grant("s3"),
            Some(FunctionGrant {
                source_arn: Some("arn:aws:s3:::uploads".into()),
                source_account: Some("123456789012".into()),
                ..base("s3", "lambda:InvokeFunction", "s3.amazonaws.com")
            })
        );
        assert_eq!(
            grant("org"),
            Some(FunctionGrant {
                principal_org_id: Some("o-abc".into()),
                ..base("org", "lambda:InvokeFunction", "*")
            })
        );
        assert_eq!(
            grant("url"),
            Some(FunctionGrant {
                function_url_auth_type: Some("NONE".into()),
                ..base("url", "lambda:InvokeFunctionUrl", "*")
            })
        );
        assert_eq!(
            grant("two-kinds"),
            None,
            "AddPermission takes one principal"
        );
        assert_eq!(
            grant("odd-condition"),
            None,
            "AddPermission cannot write it"
        );
        assert!(
            statements.iter().all(|s| s.sid != "deny"),
            "only Allow statements are grants"
        );
        assert_eq!(statements.len(), 5);
    }

    #[test]
    fn admin_documents() {
        let cases = [
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                true,
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":["s3:Get*","*:*"],"Resource":["*"]}}"#,
                true,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
                true,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#,
                true,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
                false,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}]}"#,
                false,
            ),
            (
                r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
                false,
            ),
            (
                "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D",
                true,
            ),
        ];
        for (document, admin) in cases {
            assert_eq!(grants_admin(document), Ok(admin), "{document}");
        }
        assert!(grants_admin("{").is_err());
    }

    #[test]
    fn aws_managed_admin_policies_in_every_partition() {
        for (arn, admin) in [
            ("arn:aws:iam::aws:policy/AdministratorAccess", true),
            ("arn:aws-us-gov:iam::aws:policy/AdministratorAccess", true),
            ("arn:aws-cn:iam::aws:policy/IAMFullAccess", true),
            ("arn:aws:iam::aws:policy/ReadOnlyAccess", false),
            (
                "arn:aws:iam::123456789012:policy/AdministratorAccess",
                false,
            ),
            (
                "arn:aws:iam::aws:policy/job-function/AdministratorAccess",
                true,
            ),
        ] {
            assert_eq!(aws_managed_admin(arn), admin, "{arn}");
        }
    }

    #[test]
    fn arn_accounts() {
        assert_eq!(
            account_of_arn("arn:aws:iam::123456789012:role/x"),
            Some("123456789012")
        );
        assert_eq!(
            account_of_arn("arn:aws:lambda:us-east-1:123456789012:function:f"),
            Some("123456789012")
        );
        assert_eq!(account_of_arn("arn:aws:s3:::bucket"), None);
        assert_eq!(account_of_arn("123456789012"), None);
    }
}
