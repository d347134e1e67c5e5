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
        let Some(granted) = statement_principals(&statement)? else {
            continue;
        };
        principals.public |= granted.public;
        principals.accounts.extend(granted.accounts);
        principals.arns.extend(granted.arns);
        principals.services.extend(granted.services);
        principals.federated.extend(granted.federated);
    }
    Ok(principals)
}

/// Whom one statement lets in; `None` for a `Deny` or a statement without a principal.
fn statement_principals(statement: &Statement) -> Result<Option<Principals>, PolicyError> {
    if !statement.effect.eq_ignore_ascii_case("allow") {
        return Ok(None);
    }
    let Some(principal) = &statement.principal else {
        return Ok(None);
    };
    let mut granted = Principals::default();
    add_principal(&mut granted, principal)?;
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
    Ok(Some(granted))
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
        *principal = narrowed_principal(principal.take(), &keep);
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

/// A statement's `Principal` with only the AWS entries `keep` accepts (`*` never is); service
/// and federated principals stay. `Null` when nothing is left.
fn narrowed_principal(principal: Value, keep: &impl Fn(&str) -> bool) -> Value {
    match principal {
        Value::String(s) => {
            if aws_entry_kept(&s, keep) {
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
                .filter(|e| e.as_str().is_some_and(|e| aws_entry_kept(e, keep)))
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
    }
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

pub mod statements;

#[cfg(test)]
mod tests;
