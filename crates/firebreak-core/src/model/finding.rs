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
    /// AWS quarantined a user's key: it attached `AWSCompromisedKeyQuarantineV2/V3` after seeing
    /// the key exposed (public code, a paste site).
    KeyExposed,
    ExternalTrust,
    RecentResource,
    PublicSnapshot,
    SharedSnapshot,
    PublicImage,
    SharedImage,
    PublicFunction,
    /// A CloudTrail trail is not logging.
    LoggingStopped,
    /// A trail records less than at baseline: single-region now, or management events excluded.
    TrailWeakened,
    /// A trail says it is logging but CloudTrail cannot deliver what it records (the bucket
    /// deleted or retargeted, its policy or the KMS key refusing, the log group's role refusing).
    LogDeliveryBroken,
    /// A GuardDuty detector is disabled.
    DetectionDisabled,
    /// A security group admits the whole internet on a rule the baseline does not list.
    OpenIngress,
    /// An EventBridge rule the baseline does not list: a way to re-run code on a schedule.
    UnknownEventRule,
    /// An instance runs with an instance profile the baseline does not associate with it.
    UnknownProfileAssociation,
    /// An API Gateway API key the baseline does not list.
    UnknownApiKey,
    /// A resource the baseline lists is gone (deleted, terminated): backups first, in Code
    /// Spaces' case.
    DeletedResource,
    /// A bucket anyone can read or write: through its policy or its ACL.
    PublicBucket,
    /// A bucket's policy or ACL lets in an account the baseline does not trust.
    SharedBucket,
    /// Block Public Access turned off (on a bucket, or the account's) where the baseline had it.
    PublicAccessBlockOff,
    /// What keeps a bucket's data recoverable is gone: versioning suspended, MFA delete or Object
    /// Lock off where the baseline had them.
    BucketProtectionWeakened,
    /// A lifecycle rule the baseline does not have deletes objects of a bucket that holds logs
    /// or backups (a trail's bucket expiring its own evidence).
    DataExpiry,
    /// A bucket replicates to an account the baseline does not trust.
    ReplicationOut,
    /// A bucket looks held to ransom: objects gone, a ransom note, objects re-encrypted with a
    /// key the account does not hold.
    RansomSigns,
    /// A database reachable from the internet that the baseline did not have so.
    PublicDatabase,
    /// What keeps a database from being destroyed or its data recoverable is gone: deletion
    /// protection off, automated backups cut (to 0: none).
    DatabaseProtectionWeakened,
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
            FindingKind::KeyExposed => "key_exposed",
            FindingKind::ExternalTrust => "external_trust",
            FindingKind::RecentResource => "recent_resource",
            FindingKind::PublicSnapshot => "public_snapshot",
            FindingKind::SharedSnapshot => "shared_snapshot",
            FindingKind::PublicImage => "public_image",
            FindingKind::SharedImage => "shared_image",
            FindingKind::PublicFunction => "public_function",
            FindingKind::LoggingStopped => "logging_stopped",
            FindingKind::TrailWeakened => "trail_weakened",
            FindingKind::LogDeliveryBroken => "log_delivery_broken",
            FindingKind::DetectionDisabled => "detection_disabled",
            FindingKind::OpenIngress => "open_ingress",
            FindingKind::UnknownEventRule => "unknown_event_rule",
            FindingKind::UnknownProfileAssociation => "unknown_profile_association",
            FindingKind::UnknownApiKey => "unknown_api_key",
            FindingKind::DeletedResource => "deleted_resource",
            FindingKind::PublicBucket => "public_bucket",
            FindingKind::SharedBucket => "shared_bucket",
            FindingKind::PublicAccessBlockOff => "public_access_block_off",
            FindingKind::BucketProtectionWeakened => "bucket_protection_weakened",
            FindingKind::DataExpiry => "data_expiry",
            FindingKind::ReplicationOut => "replication_out",
            FindingKind::RansomSigns => "ransom_signs",
            FindingKind::PublicDatabase => "public_database",
            FindingKind::DatabaseProtectionWeakened => "database_protection_weakened",
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
    Trail,
    Detector,
    SecurityGroup,
    EventRule,
    ProfileAssociation,
    ApiKey,
    Bucket,
    Database,
    DbSnapshot,
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
            ResourceType::Trail => "trail",
            ResourceType::Detector => "detector",
            ResourceType::SecurityGroup => "security_group",
            ResourceType::EventRule => "event_rule",
            ResourceType::ProfileAssociation => "profile_association",
            ResourceType::ApiKey => "api_key",
            ResourceType::Bucket => "bucket",
            ResourceType::Database => "database",
            ResourceType::DbSnapshot => "db_snapshot",
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
    /// Who made the change, when it was looked up (`scan --attribution`, the cockpit's details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
}

/// Who made the change behind a finding, from CloudTrail's event history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Attribution {
    /// The latest change to the resource that the event history holds.
    Found(ChangeEvent),
    /// No change to it in the 90-day event history (read to its end).
    NoEvent,
    /// No change to it in the `events` newest events about it; the history holds older ones
    /// that were not read.
    NotInNewest { events: usize },
    /// The history could not be asked: the endpoint lacks LookupEvents (`unsupported`), or the
    /// call was refused.
    NotAvailable {
        reason: String,
        #[serde(default)]
        unsupported: bool,
    },
}

/// One management event: what was called, when, by whom and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub event_name: String,
    pub time: Option<chrono::DateTime<chrono::Utc>>,
    /// The caller's ARN (`userIdentity.arn`), or the user name CloudTrail reports.
    pub principal: Option<String>,
    /// The access key the call was signed with (an id, never a secret).
    pub access_key_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl fmt::Display for Attribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attribution::Found(event) => {
                write!(
                    f,
                    "{} by {}",
                    event.event_name,
                    event.principal.as_deref().unwrap_or("an unknown principal")
                )?;
                if let Some(key) = &event.access_key_id {
                    write!(f, " (key {key})")?;
                }
                if let Some(ip) = &event.source_ip {
                    write!(f, " from {ip}")?;
                }
                if let Some(agent) = &event.user_agent {
                    write!(f, " · {agent}")?;
                }
                if let Some(time) = event.time {
                    write!(f, " · {}", time.format("%Y-%m-%d %H:%M UTC"))?;
                }
                Ok(())
            }
            Attribution::NoEvent => {
                f.write_str("no change recorded in CloudTrail's 90-day event history")
            }
            Attribution::NotInNewest { events } => write!(
                f,
                "no change in the {events} newest events about it (older ones were not read)"
            ),
            Attribution::NotAvailable { reason, .. } => write!(f, "not available ({reason})"),
        }
    }
}

/// A finding of `kind` about `resource_id` (a `resource_type`) in `region`, with nothing else
/// set: what the core's tests start from.
#[cfg(test)]
pub(crate) fn sample(
    kind: FindingKind,
    resource_type: ResourceType,
    region: &str,
    resource_id: &str,
) -> Finding {
    Finding {
        id: finding_id(kind, region, resource_id),
        kind,
        severity: Severity::High,
        region: region.into(),
        resource_type,
        resource_id: resource_id.into(),
        arn: None,
        summary: String::new(),
        details: Vec::new(),
        related: Vec::new(),
        facts: String::new(),
        attribution: None,
    }
}

/// The id of the finding of `kind` about `resource_id` in `region`.
pub fn finding_id(kind: FindingKind, region: &str, resource_id: &str) -> String {
    format!("{}:{region}:{resource_id}", kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_read_and_write_the_same_words_in_order() {
        let all = [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ];
        let words: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        assert_eq!(words, ["info", "low", "medium", "high", "critical"]);
        for severity in all {
            assert_eq!(Severity::parse(severity.as_str()), Ok(severity));
        }
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(Severity::parse("severe").is_err());
    }

    #[test]
    fn an_attribution_says_who_with_which_key_from_where_and_when() {
        let found = Attribution::Found(ChangeEvent {
            event_name: "ModifySnapshotAttribute".into(),
            time: chrono::DateTime::from_timestamp(1_795_000_000, 0),
            principal: Some("arn:aws:iam::123456789012:user/mallory".into()),
            access_key_id: Some("AKIAEXAMPLE".into()),
            source_ip: Some("203.0.113.9".into()),
            user_agent: Some("aws-cli/2".into()),
        });
        assert_eq!(
            found.to_string(),
            "ModifySnapshotAttribute by arn:aws:iam::123456789012:user/mallory (key AKIAEXAMPLE) \
             from 203.0.113.9 · aws-cli/2 · 2026-11-18 11:06 UTC"
        );
        let bare = Attribution::Found(ChangeEvent {
            event_name: "CreateUser".into(),
            time: None,
            principal: None,
            access_key_id: None,
            source_ip: None,
            user_agent: None,
        });
        assert_eq!(bare.to_string(), "CreateUser by an unknown principal");
        assert_eq!(
            Attribution::NoEvent.to_string(),
            "no change recorded in CloudTrail's 90-day event history"
        );
        assert_eq!(
            Attribution::NotInNewest { events: 50 }.to_string(),
            "no change in the 50 newest events about it (older ones were not read)"
        );
        assert_eq!(
            Attribution::NotAvailable {
                reason: "AccessDenied".into(),
                unsupported: false
            }
            .to_string(),
            "not available (AccessDenied)"
        );
    }
}
