//! Domain types for what a scan finds. Plain data with serde, free of SDK types, so that findings,
//! playbooks, reports and the TUI can all work on them.

pub mod database;
pub mod finding;
pub mod operation;
pub mod reach;
pub mod storage;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The `region` value carried by global (IAM) items.
pub const GLOBAL: &str = "global";

/// The partition a region belongs to, by its name: `aws`, `aws-cn`, `aws-us-gov`, or one of the
/// isolated partitions. ARNs, global services' home regions and which regions a caller can
/// reach all follow it.
pub fn partition_of_region(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-iso-", "aws-iso"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// Who firebreak is running as, shown on every screen and in every output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The 12-digit account id.
    pub id: String,
    /// The account alias, when the account has one and it could be read.
    pub alias: Option<String>,
    /// The ARN of the calling principal (user, assumed role, root).
    pub caller_arn: String,
}

/// An IAM user with what matters for containment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub region: String,
    pub name: String,
    pub arn: String,
    pub user_id: String,
    pub created: DateTime<Utc>,
    /// Whether a console login profile (password) exists.
    pub console_access: bool,
    /// Serial numbers (ARNs) of the user's MFA devices.
    pub mfa_devices: Vec<String>,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<String>,
    pub groups: Vec<String>,
    /// What grants this user administrator access (policy names, `group:NAME`); empty if nothing.
    pub admin_via: Vec<String>,
}

/// An IAM access key. Only metadata: the secret is never requested nor stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    pub region: String,
    pub id: String,
    pub user: String,
    pub status: KeyStatus,
    pub created: Option<DateTime<Utc>>,
    pub last_used: Option<KeyLastUsed>,
}

/// Whether an access key can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Active,
    Inactive,
}

/// When, where and for what an access key was last used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLastUsed {
    pub date: Option<DateTime<Utc>>,
    pub service: Option<String>,
    pub region: Option<String>,
}

/// An IAM role and who may assume it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub region: String,
    pub name: String,
    pub arn: String,
    pub path: String,
    pub created: DateTime<Utc>,
    /// Principals allowed by the trust policy.
    pub trust: Principals,
    pub attached_policies: Vec<String>,
    pub inline_policies: Vec<String>,
    /// What grants this role administrator access (policy names); empty if nothing.
    pub admin_via: Vec<String>,
    /// Instance profiles holding the role: an instance associated with one runs as the role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_profiles: Vec<String>,
}

impl Role {
    /// Service-linked roles are owned by AWS services and are never contained.
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

/// The principals that the `Allow` statements of a policy document grant to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principals {
    /// `"*"` (or `{"AWS": "*"}`): anyone.
    pub public: bool,
    /// Account ids, taken from bare ids and from IAM ARNs.
    pub accounts: BTreeSet<String>,
    /// Full principal ARNs as written (roles, users, root).
    pub arns: BTreeSet<String>,
    /// Service principals such as `lambda.amazonaws.com`.
    pub services: BTreeSet<String>,
    /// Federated principals (SAML providers, web identity).
    pub federated: BTreeSet<String>,
}

/// A Lambda function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub region: String,
    pub name: String,
    pub arn: String,
    pub runtime: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub role: Option<String>,
    /// Reserved concurrency; `Some(0)` means throttled.
    pub reserved_concurrency: Option<i32>,
    /// Principals granted by the resource policy, when the function has one.
    pub policy_principals: Option<Principals>,
    /// The function URL's auth type, when a URL is configured.
    pub url_auth: Option<UrlAuth>,
    /// Aliases with a resource policy or URL of their own (a way to stay hidden behind the
    /// unqualified function).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<AliasExposure>,
}

/// Who an alias of a function lets in, through its own resource policy or URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasExposure {
    pub name: String,
    pub policy_principals: Option<Principals>,
    pub url_auth: Option<UrlAuth>,
}

impl AliasExposure {
    /// Whether anyone can invoke the function through this alias.
    pub fn is_public(&self) -> bool {
        self.policy_principals.as_ref().is_some_and(|p| p.public)
            || self.url_auth == Some(UrlAuth::None)
    }
}

/// How a function URL authenticates callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlAuth {
    /// Anyone on the internet can invoke it.
    None,
    AwsIam,
}

/// Who else may use a snapshot or image, as read from its permission attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sharing {
    /// Shared with `all`: every AWS account.
    pub public: bool,
    /// Other accounts it is shared with.
    pub accounts: BTreeSet<String>,
    /// Organizations and organizational units (ARNs) it is shared with (AMIs only).
    pub organizations: BTreeSet<String>,
}

impl Sharing {
    /// Whether anyone outside the account can use it.
    pub fn is_shared(&self) -> bool {
        self.public || !self.accounts.is_empty() || !self.organizations.is_empty()
    }
}

/// An EBS snapshot owned by the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub region: String,
    pub id: String,
    pub volume_id: Option<String>,
    pub size_gib: Option<i32>,
    pub encrypted: bool,
    pub started: Option<DateTime<Utc>>,
    pub sharing: Sharing,
}

/// An AMI owned by the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub region: String,
    pub id: String,
    pub name: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub sharing: Sharing,
}

/// An EC2 instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub region: String,
    pub id: String,
    pub instance_type: Option<String>,
    pub state: Option<String>,
    pub launched: Option<DateTime<Utc>>,
    pub key_name: Option<String>,
    pub public_ip: Option<String>,
}

/// A CloudTrail trail, read in its home region (a multi-region trail is listed once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trail {
    /// The home region.
    pub region: String,
    pub name: String,
    pub arn: String,
    /// Whether the trail is logging; `None` when its status could not be read.
    pub logging: Option<bool>,
    pub multi_region: bool,
    /// Which management events it records; `None` when its selectors could not be read.
    pub management_events: Option<ManagementEvents>,
    /// The role CloudTrail assumes to write to CloudWatch Logs, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_role: Option<String>,
    /// What CloudTrail last failed to deliver with, while logging: the bucket gone or retargeted,
    /// its policy or the KMS key refusing (S3), or the CloudWatch Logs group or role refusing.
    /// A trail that says it logs but cannot deliver records nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_error: Option<String>,
    /// For an organization trail that another account (the management account) owns: that
    /// account. Its status and selectors can be read, and it can be changed, only there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_owner: Option<String>,
    /// The S3 bucket the trail delivers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
}

/// What to fix when a trail cannot deliver: firebreak does not change where logs go.
pub const TRAIL_DELIVERY_FIX: &str = "fix delivery: the bucket must exist and its policy let cloudtrail.amazonaws.com write (and the KMS key, if any, be enabled and allow CloudTrail), and the CloudWatch Logs role trust CloudTrail; or point the trail at a new bucket with UpdateTrail — firebreak does not change where logs go";

/// Which management events (the API calls that change or read the account) a trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManagementEvents {
    /// None at all: the trail is blind to who changed what.
    Excluded,
    ReadOnly,
    /// Writes only (reads excluded): every change is still recorded.
    WriteOnly,
    All,
}

impl ManagementEvents {
    pub fn as_str(self) -> &'static str {
        match self {
            ManagementEvents::Excluded => "excluded",
            ManagementEvents::ReadOnly => "read-only",
            ManagementEvents::WriteOnly => "write-only",
            ManagementEvents::All => "all",
        }
    }

    /// Whether changes to the account are recorded.
    pub fn records_writes(self) -> bool {
        matches!(self, ManagementEvents::WriteOnly | ManagementEvents::All)
    }
}

/// A GuardDuty detector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detector {
    pub region: String,
    pub id: String,
    /// Whether it is enabled; `None` when it could not be read.
    pub enabled: Option<bool>,
    /// For a disabled member detector: the GuardDuty administrator account that manages it (an
    /// organization's delegated administrator). Only that account can enable it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub administrator: Option<String>,
}

impl Detector {
    /// For a detector its GuardDuty administrator manages: who can enable it again.
    pub fn administered(&self) -> Option<String> {
        self.administrator.as_ref().map(|administrator| {
            format!(
                "managed by GuardDuty administrator account {administrator}: only that account can enable it again (UpdateMemberDetectors there), not this one"
            )
        })
    }
}

/// A security-group ingress rule that admits the whole internet (`0.0.0.0/0` or `::/0`), by
/// itself, through a prefix list, or with other rules of its group ([`reach`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIngress {
    pub region: String,
    pub group_id: String,
    pub group_name: Option<String>,
    /// The rule's id (`sgr-…`); it changes when a rule is re-created, so the baseline keeps
    /// [`OpenIngress::key`] instead.
    pub rule_id: String,
    /// `tcp`, `udp`, `icmp`, or `-1` for all traffic.
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub cidr: String,
    /// How the rule admits the internet when its source is not `0.0.0.0/0` or `::/0` itself:
    /// a prefix list that holds it, or ranges that cover it together with other rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The controller that manages the rule (its group's tags or its description say so, as a
    /// Kubernetes load-balancer controller's do): revoked, it comes back when the controller
    /// reconciles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

/// Who manages a security group, from its tags (`key` → `value`): a Kubernetes load-balancer
/// controller (the AWS Load Balancer Controller's `elbv2.k8s.aws/cluster`, the in-tree
/// controller's `kubernetes.io/cluster/NAME`).
pub fn group_controller<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    tags.into_iter().find_map(|(key, value)| {
        if key == "elbv2.k8s.aws/cluster" {
            Some(format!(
                "the AWS Load Balancer Controller of cluster {value}"
            ))
        } else {
            key.strip_prefix("kubernetes.io/cluster/")
                .map(|cluster| format!("Kubernetes (cluster {cluster})"))
        }
    })
}

/// Who manages an ingress rule, from its description (the in-tree Kubernetes controller
/// describes its rules `kubernetes.io/rule/…`).
pub fn rule_controller(description: Option<&str>) -> Option<String> {
    description
        .filter(|d| d.starts_with("kubernetes.io/rule/"))
        .map(|_| "Kubernetes (its rule description says so)".to_string())
}

/// Ports whose opening to the world is the most severe: remote shells and databases.
pub const SENSITIVE_PORTS: [(i32, &str); 12] = [
    (22, "SSH"),
    (23, "telnet"),
    (3389, "RDP"),
    (5985, "WinRM"),
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (6379, "Redis"),
    (9200, "Elasticsearch"),
    (11211, "memcached"),
    (27017, "MongoDB"),
];

impl OpenIngress {
    /// Whether the rule admits every protocol and port.
    pub fn is_all_traffic(&self) -> bool {
        self.protocol == "-1"
            || (matches!(self.protocol.as_str(), "tcp" | "6")
                && self.from_port.unwrap_or(0) <= 0
                && self.to_port.unwrap_or(65535) >= 65535)
    }

    /// `all traffic`, `tcp/22`, `tcp/8000-8080`, `icmp`.
    pub fn ports(&self) -> String {
        if self.protocol == "-1" {
            return "all traffic".to_string();
        }
        match (self.from_port, self.to_port) {
            (Some(from), Some(to)) if from == to => format!("{}/{from}", self.protocol),
            (Some(from), Some(to)) if from >= 0 => format!("{}/{from}-{to}", self.protocol),
            _ => self.protocol.clone(),
        }
    }

    /// What the rule exposes that is most severe: `all traffic`, `SSH`, … or `None`.
    pub fn sensitive(&self) -> Option<&'static str> {
        if self.is_all_traffic() {
            return Some("all traffic");
        }
        if !matches!(self.protocol.as_str(), "tcp" | "6" | "udp" | "17") {
            return None;
        }
        let (from, to) = (self.from_port?, self.to_port?);
        SENSITIVE_PORTS
            .iter()
            .find(|(port, _)| (from..=to).contains(port))
            .map(|(_, name)| *name)
    }

    /// The rule as the baseline records it: `sg-0abc tcp/22 0.0.0.0/0`.
    pub fn key(&self) -> String {
        format!(
            "{} {} {}",
            self.group_id,
            self.ports().replace(' ', "-"),
            self.cidr
        )
    }
}

/// An EventBridge rule and where it sends events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRule {
    pub region: String,
    /// The event bus (`default` for the account's default bus).
    pub bus: String,
    pub name: String,
    pub arn: String,
    pub enabled: bool,
    /// Enabled as `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS` (it also matches read-only
    /// management events): what undo of a disable must put back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_management_events: bool,
    /// `rate(5 minutes)`, `cron(…)`, when the rule runs on a schedule.
    pub schedule: Option<String>,
    /// ARNs of the targets; `None` when they could not be read.
    pub targets: Option<Vec<String>>,
    /// The AWS service that manages the rule, when one does.
    pub managed_by: Option<String>,
}

impl EventRule {
    /// The rule's name, prefixed with its bus when that is not the default bus.
    pub fn id(&self) -> String {
        rule_id(&self.bus, &self.name)
    }
}

/// An EventBridge rule's id: its name, prefixed with its bus off the default bus.
pub fn rule_id(bus: &str, name: &str) -> String {
    if bus == "default" {
        name.to_string()
    } else {
        format!("{bus}/{name}")
    }
}

/// An instance-profile association's id: `i-0abc/profile-name`.
pub fn association_key(instance_id: &str, profile_arn: &str) -> String {
    format!(
        "{instance_id}/{}",
        profile_arn.rsplit('/').next().unwrap_or(profile_arn)
    )
}

/// An instance profile associated with an EC2 instance: the instance runs with the profile's
/// role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileAssociation {
    pub region: String,
    pub association_id: String,
    pub instance_id: String,
    pub profile_arn: String,
    /// `associating`, `associated`, `disassociating`.
    pub state: String,
}

impl ProfileAssociation {
    /// The instance profile's name (the last part of its ARN).
    pub fn profile_name(&self) -> &str {
        self.profile_arn
            .rsplit('/')
            .next()
            .unwrap_or(&self.profile_arn)
    }

    /// The association as the baseline and findings name it: `i-0abc/profile-name`.
    pub fn key(&self) -> String {
        association_key(&self.instance_id, &self.profile_arn)
    }
}

/// An API Gateway API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub region: String,
    pub id: String,
    pub name: Option<String>,
    pub enabled: bool,
    pub created: Option<DateTime<Utc>>,
}

/// A detail of a listed item that could not be read (one user's keys, one snapshot's
/// sharing): the item is kept, and what depends on the detail could not be judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    pub region: String,
    pub resource_type: finding::ResourceType,
    pub resource_id: String,
    /// The call that failed: `iam ListAccessKeys`.
    pub call: String,
    /// The AWS error code (`Throttling`) or transport class.
    pub code: String,
    pub request_id: Option<String>,
}

/// Everything a scan found, across all regions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub users: Vec<User>,
    pub access_keys: Vec<AccessKey>,
    pub roles: Vec<Role>,
    pub functions: Vec<Function>,
    pub snapshots: Vec<Snapshot>,
    pub images: Vec<Image>,
    pub instances: Vec<Instance>,
    #[serde(default)]
    pub trails: Vec<Trail>,
    #[serde(default)]
    pub detectors: Vec<Detector>,
    #[serde(default)]
    pub open_ingress: Vec<OpenIngress>,
    #[serde(default)]
    pub event_rules: Vec<EventRule>,
    #[serde(default)]
    pub profile_associations: Vec<ProfileAssociation>,
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    #[serde(default)]
    pub buckets: Vec<storage::Bucket>,
    #[serde(default)]
    pub databases: Vec<database::Database>,
    #[serde(default)]
    pub db_snapshots: Vec<database::DbSnapshot>,
    /// The account's S3 Block Public Access; `None` when it could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_block: Option<storage::AccountBlock>,
    /// Details that could not be read, per item.
    #[serde(default)]
    pub unread: Vec<Unread>,
}

impl Inventory {
    /// Puts items in a stable order (region, then id) so that outputs compare across scans.
    pub fn sort(&mut self) {
        self.users.sort_by(|a, b| a.name.cmp(&b.name));
        self.access_keys
            .sort_by(|a, b| (&a.user, &a.id).cmp(&(&b.user, &b.id)));
        self.roles.sort_by(|a, b| a.name.cmp(&b.name));
        self.functions
            .sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
        self.snapshots
            .sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
        self.images
            .sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
        self.instances
            .sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
        self.trails
            .sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
        self.detectors
            .sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
        self.open_ingress.sort_by(|a, b| {
            (&a.region, &a.group_id, &a.rule_id).cmp(&(&b.region, &b.group_id, &b.rule_id))
        });
        self.event_rules
            .sort_by(|a, b| (&a.region, &a.bus, &a.name).cmp(&(&b.region, &b.bus, &b.name)));
        self.profile_associations.sort_by(|a, b| {
            (&a.region, &a.instance_id, &a.association_id).cmp(&(
                &b.region,
                &b.instance_id,
                &b.association_id,
            ))
        });
        self.api_keys
            .sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
        self.buckets
            .sort_by(|a, b| (&a.region, &a.name).cmp(&(&b.region, &b.name)));
        self.databases
            .sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
        self.db_snapshots
            .sort_by(|a, b| (&a.region, &a.id).cmp(&(&b.region, &b.id)));
        self.unread.sort_by(|a, b| {
            (&a.region, &a.resource_id, &a.call).cmp(&(&b.region, &b.resource_id, &b.call))
        });
    }
}

#[cfg(test)]
mod tests;
