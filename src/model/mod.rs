//! Domain types for what a scan finds. Plain data with serde, free of SDK types, so that findings,
//! playbooks, reports and the TUI can all work on them.

pub mod finding;
pub mod operation;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The `region` value carried by global (IAM) items.
pub const GLOBAL: &str = "global";

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
        self.unread.sort_by(|a, b| {
            (&a.region, &a.resource_id, &a.call).cmp(&(&b.region, &b.resource_id, &b.call))
        });
    }
}
