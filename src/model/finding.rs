//! Findings as data: what does not belong, how bad it is and what it is about. Shared by the
//! rules (`findings`), the baseline, the journal and every front end.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a finding is, lowest first (so `>=` compares severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses `info|low|medium|high|critical`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "'{other}' is not a severity (info, low, medium, high, critical)"
            )),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of thing does not belong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// No baseline: principals are judged by age only.
    NoBaseline,
    UnknownUser,
    UnknownRole,
    UnknownAccessKey,
    AdminPrincipal,
    ConsoleWithoutMfa,
    ExternalTrust,
    RecentResource,
    PublicSnapshot,
    SharedSnapshot,
    PublicImage,
    SharedImage,
    PublicFunction,
    /// A resource the baseline lists is gone (deleted, terminated): backups first, in Code
    /// Spaces' case.
    DeletedResource,
    /// A detail of an item could not be read (throttled, denied): what depends on it is unjudged.
    NotJudged,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::NoBaseline => "no_baseline",
            FindingKind::UnknownUser => "unknown_user",
            FindingKind::UnknownRole => "unknown_role",
            FindingKind::UnknownAccessKey => "unknown_access_key",
            FindingKind::AdminPrincipal => "admin_principal",
            FindingKind::ConsoleWithoutMfa => "console_without_mfa",
            FindingKind::ExternalTrust => "external_trust",
            FindingKind::RecentResource => "recent_resource",
            FindingKind::PublicSnapshot => "public_snapshot",
            FindingKind::SharedSnapshot => "shared_snapshot",
            FindingKind::PublicImage => "public_image",
            FindingKind::SharedImage => "shared_image",
            FindingKind::PublicFunction => "public_function",
            FindingKind::DeletedResource => "deleted_resource",
            FindingKind::NotJudged => "not_judged",
        }
    }
}

/// The kind of resource a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Account,
    User,
    AccessKey,
    Role,
    Function,
    Snapshot,
    Image,
    Instance,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Account => "account",
            ResourceType::User => "user",
            ResourceType::AccessKey => "access_key",
            ResourceType::Role => "role",
            ResourceType::Function => "function",
            ResourceType::Snapshot => "snapshot",
            ResourceType::Image => "image",
            ResourceType::Instance => "instance",
        }
    }
}

/// One thing that does not belong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// `kind:region:resource_id`; the same thing has the same id in every scan.
    pub id: String,
    pub kind: FindingKind,
    pub severity: Severity,
    /// Region, or `global`.
    pub region: String,
    pub resource_type: ResourceType,
    /// User name, access key id, role name, function name, snapshot/image/instance id.
    pub resource_id: String,
    pub arn: Option<String>,
    pub summary: String,
    pub details: Vec<String>,
    /// Ids of findings about the same principal or resource (a user's keys, etc.).
    pub related: Vec<String>,
    /// What the finding is about, in a form that changes when the facts change (e.g. the
    /// untrusted accounts): an acceptance holds only while this stays the same.
    pub facts: String,
}

/// The id of the finding of `kind` about `resource_id` in `region`.
pub fn finding_id(kind: FindingKind, region: &str, resource_id: &str) -> String {
    format!("{}:{region}:{resource_id}", kind.as_str())
}
