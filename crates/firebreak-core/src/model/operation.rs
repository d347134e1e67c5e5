//! Plan operations: each change a playbook can make to an account, as a value. Planners produce
//! them, the engine journals them, and `aws::actions` sends them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use data::DataOperation;
pub use sharing::SharingChange;

use super::finding::ResourceType;
use super::{KeyStatus, UrlAuth};

/// Name of the inline policy that denies everything.
pub const DENY_ALL_POLICY: &str = "firebreak-deny-all";
/// Name of the inline policy that denies sessions issued before containment.
pub const REVOKE_SESSIONS_POLICY: &str = "firebreak-revoke-older-sessions";
/// IAM's quota for all inline policies of one user, in characters (whitespace not counted).
pub const USER_INLINE_QUOTA: usize = 2_048;
/// IAM's quota for all inline policies of one role.
pub const ROLE_INLINE_QUOTA: usize = 10_240;

/// The characters of a policy document that count against IAM's inline quota (whitespace does
/// not).
pub fn policy_chars(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}
/// The AWS managed policy that denies everything: attached when an inline deny would not fit.
pub const DENY_ALL_MANAGED: &str = "AWSDenyAll";

/// How AWS names the managed policies it attaches to a user whose key it saw exposed
/// (`AWSCompromisedKeyQuarantine`, `…V2`, `…V3`): firebreak never takes one off.
pub const KEY_QUARANTINE_PREFIX: &str = "AWSCompromisedKeyQuarantine";

/// Whether `policy` (a name or an ARN) is one of AWS's key-quarantine policies.
pub fn is_key_quarantine(policy: &str) -> bool {
    policy
        .rsplit('/')
        .next()
        .is_some_and(|name| name.starts_with(KEY_QUARANTINE_PREFIX))
}

/// A user's containment-relevant state, read just before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    pub name: String,
    pub keys: Vec<(String, KeyStatus)>,
    pub login_profile: bool,
    /// The revoke-older-sessions policy firebreak put on the user before, if any: re-runs keep
    /// its cut-off time.
    pub revoke_sessions_document: Option<String>,
    /// Characters its inline policies (other than firebreak's) use of IAM's quota.
    pub inline_chars: usize,
}

/// A role's containment-relevant state, read just before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleState {
    /// The name as IAM spells it.
    pub name: String,
    pub path: String,
    /// The trust policy (assume-role policy document) as JSON.
    pub trust_document: String,
    /// The revoke-older-sessions policy firebreak put on the role before, if any.
    pub revoke_sessions_document: Option<String>,
    /// Characters its inline policies (other than firebreak's) use of IAM's quota.
    pub inline_chars: usize,
}

/// An access key and the user it belongs to, read just before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    pub key_id: String,
    pub user: String,
    pub status: KeyStatus,
}

/// The AddPermission request that grants one statement of a Lambda resource policy; kept in a
/// plan so that removing the statement can be undone exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionGrant {
    pub statement_id: String,
    pub action: String,
    /// `*`, an account id, an ARN or a service principal, as the statement names it.
    pub principal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_url_auth_type: Option<String>,
}

/// Snapshot block public access in a region. Only `BlockAllSharing` stops snapshots that are
/// public already; `BlockNewSharing` stops new shares only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotBlock {
    Unblocked,
    BlockNewSharing,
    BlockAllSharing,
}

/// One security-group ingress rule, as AuthorizeSecurityGroupIngress and
/// RevokeSecurityGroupIngress take it: revoking and re-authorising it are exact inverses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IngressRule {
    /// `tcp`, `udp`, `icmp`, or `-1` for all traffic.
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_port: Option<i32>,
    /// The source: an IPv4 or IPv6 range, or a prefix list id (`pl-…`).
    pub cidr: String,
    /// The rule's description, put back when the rule is authorised again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The rule's id (`sgr-…`) when it was read: a rule is revoked by its id, which names it
    /// whatever its source. Re-authorised, a rule gets a new id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
}

impl IngressRule {
    /// Whether `other` is the same rule (AWS matches protocol, ports and source; the
    /// description and the id do not count).
    pub fn same_as(&self, other: &IngressRule) -> bool {
        (&self.protocol, self.from_port, self.to_port, &self.cidr)
            == (&other.protocol, other.from_port, other.to_port, &other.cidr)
    }

    /// `tcp/22 from 0.0.0.0/0`.
    pub fn describe(&self) -> String {
        let ports = match (self.protocol.as_str(), self.from_port, self.to_port) {
            ("-1", _, _) => "all traffic".to_string(),
            (p, Some(from), Some(to)) if from == to => format!("{p}/{from}"),
            (p, Some(from), Some(to)) if from >= 0 => format!("{p}/{from}-{to}"),
            (p, _, _) => p.to_string(),
        };
        format!("{ports} from {}", self.cidr)
    }
}

/// A user or role, for account-wide playbooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalRef {
    pub kind: PrincipalKind,
    pub name: String,
    pub path: String,
    /// Characters its inline policies (other than firebreak's) use of IAM's quota.
    pub inline_chars: usize,
    /// For a role whose trust policy lets only AWS services assume it: those services.
    pub trusted_services: Option<BTreeSet<String>>,
}

/// Parses a break-glass entry: `user/NAME` or `role/NAME`.
pub fn parse_principal(entry: &str) -> Result<(PrincipalKind, String), String> {
    let (kind, name) = entry
        .split_once('/')
        .ok_or_else(|| format!("'{entry}' must be user/NAME or role/NAME"))?;
    let kind = match kind {
        "user" => PrincipalKind::User,
        "role" => PrincipalKind::Role,
        _ => return Err(format!("'{entry}' must be user/NAME or role/NAME")),
    };
    if name.is_empty() || name.contains('/') {
        return Err(format!("'{entry}' must be user/NAME or role/NAME"));
    }
    Ok((kind, name.to_string()))
}

/// User or role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalKind {
    User,
    Role,
}

/// One change to the account, with everything needed to send it. Steps are idempotent: the
/// engine reads the current state first and reports `skipped` when it is already as wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// iam:UpdateAccessKey Status=Inactive.
    DeactivateAccessKey { user: String, key_id: String },
    /// iam:UpdateAccessKey Status=Active.
    ActivateAccessKey { user: String, key_id: String },
    /// iam:DeleteLoginProfile. A password cannot be restored.
    DeleteLoginProfile { user: String },
    /// iam:PutUserPolicy (inline).
    PutUserPolicy {
        user: String,
        policy_name: String,
        document: String,
    },
    /// iam:DeleteUserPolicy.
    DeleteUserPolicy { user: String, policy_name: String },
    /// iam:PutRolePolicy (inline).
    PutRolePolicy {
        role: String,
        policy_name: String,
        document: String,
    },
    /// iam:DeleteRolePolicy.
    DeleteRolePolicy { role: String, policy_name: String },
    /// ec2:ModifySnapshotAttribute createVolumePermission: remove, then add.
    ModifySnapshotSharing {
        snapshot_id: String,
        #[serde(flatten)]
        change: SharingChange,
    },
    /// ec2:ModifyImageAttribute launchPermission: remove, then add.
    ModifyImageSharing {
        image_id: String,
        #[serde(flatten)]
        change: SharingChange,
    },
    /// lambda:GetFunction, GetPolicy, ListTags and the code package, saved under `directory`
    /// with a sha256 manifest. Reads only.
    CaptureFunctionEvidence {
        function: String,
        directory: std::path::PathBuf,
    },
    /// lambda:PutFunctionConcurrency (0 throttles every invocation).
    PutFunctionConcurrency { function: String, reserved: i32 },
    /// lambda:DeleteFunctionConcurrency (back to unreserved).
    DeleteFunctionConcurrency { function: String },
    /// lambda:DeleteFunction. Irreversible.
    DeleteFunction {
        function: String,
        /// When set, deleted only if the evidence there keeps the function's code (its
        /// package, or the image it runs); unset: deleted even without it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<std::path::PathBuf>,
    },
    /// lambda:RemovePermission: one statement of the function's resource policy.
    RemoveFunctionPermission {
        function: String,
        statement_id: String,
        /// The alias whose own policy it is (`None`: the function's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        qualifier: Option<String>,
    },
    /// lambda:AddPermission: puts a statement back.
    AddFunctionPermission {
        function: String,
        grant: FunctionGrant,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        qualifier: Option<String>,
    },
    /// lambda:UpdateFunctionUrlConfig AuthType.
    SetFunctionUrlAuth {
        function: String,
        auth: UrlAuth,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        qualifier: Option<String>,
    },
    /// iam:AttachUserPolicy (a managed policy, by ARN).
    AttachUserPolicy { user: String, policy_arn: String },
    /// iam:DetachUserPolicy.
    DetachUserPolicy { user: String, policy_arn: String },
    /// iam:AttachRolePolicy.
    AttachRolePolicy { role: String, policy_arn: String },
    /// iam:DetachRolePolicy.
    DetachRolePolicy { role: String, policy_arn: String },
    /// iam:UpdateAssumeRolePolicy: replaces a role's trust policy.
    UpdateAssumeRolePolicy { role: String, document: String },
    /// ec2:EnableSnapshotBlockPublicAccess State=block-all-sharing.
    EnableSnapshotBlockPublicAccess,
    /// ec2:DisableSnapshotBlockPublicAccess.
    DisableSnapshotBlockPublicAccess,
    /// ec2:EnableSnapshotBlockPublicAccess State=block-new-sharing (undo back to that state).
    BlockNewSnapshotSharing,
    /// ec2:EnableImageBlockPublicAccess State=block-new-sharing.
    EnableImageBlockPublicAccess,
    /// ec2:DisableImageBlockPublicAccess.
    DisableImageBlockPublicAccess,
    /// cloudtrail:StartLogging on a trail, by name, in its home region.
    StartLogging { trail: String },
    /// cloudtrail:StopLogging (undo of a start).
    StopLogging { trail: String },
    /// guardduty:UpdateDetector Enable=true.
    EnableDetector { detector_id: String },
    /// guardduty:UpdateDetector Enable=false (undo of an enable).
    DisableDetector { detector_id: String },
    /// guardduty:CreateDetector Enable=true in a region that has none (one was deleted). The
    /// deleted detector's history is not restored; undo leaves the new detector.
    CreateDetector,
    /// ec2:RevokeSecurityGroupIngress of exactly these rules.
    RevokeIngress {
        group_id: String,
        rules: Vec<IngressRule>,
    },
    /// ec2:AuthorizeSecurityGroupIngress of exactly these rules (undo of a revoke).
    AuthorizeIngress {
        group_id: String,
        rules: Vec<IngressRule>,
    },
    /// events:DisableRule.
    DisableEventRule { bus: String, name: String },
    /// events:EnableRule (undo of a disable); with `all_management_events`, the state the rule
    /// had, `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`, which only events:PutRule sets (the
    /// rule as DescribeRule reads it, that state put back).
    EnableEventRule {
        bus: String,
        name: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        all_management_events: bool,
    },
    /// ec2:DisassociateIamInstanceProfile: the instance's association with this profile.
    DisassociateProfile {
        instance_id: String,
        profile_arn: String,
        /// The role the profile held when planned: the instance loses it, so the self-lockout
        /// guard judges it like a role being denied.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// ec2:AssociateIamInstanceProfile (undo of a disassociation; AWS gives it a new id).
    AssociateProfile {
        instance_id: String,
        profile_arn: String,
    },
    /// apigateway:UpdateApiKey enabled=false.
    DisableApiKey { key_id: String },
    /// apigateway:UpdateApiKey enabled=true (undo of a disable).
    EnableApiKey { key_id: String },
    /// A change to a data store (S3, RDS): its own tags, flat in the journal.
    #[serde(untagged)]
    Data(DataOperation),
}

impl Operation {
    /// The user or role this operation cuts off (deactivates, denies), if any: undo plans pass
    /// it through the self-lockout guard.
    pub fn denies_principal(&self) -> Option<(PrincipalKind, &str)> {
        match self {
            Operation::DeactivateAccessKey { user, .. }
            | Operation::DeleteLoginProfile { user }
            | Operation::PutUserPolicy { user, .. }
            | Operation::AttachUserPolicy { user, .. } => Some((PrincipalKind::User, user)),
            Operation::PutRolePolicy { role, .. } | Operation::AttachRolePolicy { role, .. } => {
                Some((PrincipalKind::Role, role))
            }
            Operation::DisassociateProfile {
                role: Some(role), ..
            } => Some((PrincipalKind::Role, role)),
            _ => None,
        }
    }

    /// The resource-policy statements the operation puts in (a bucket-policy deny must leave
    /// out the people the guard keeps).
    pub fn adds_statements(&self) -> &[serde_json::Value] {
        match self {
            Operation::Data(DataOperation::EditBucketPolicy { add, .. }) => add,
            _ => &[],
        }
    }

    /// The IAM user or role the operation writes to, if any: IAM answers
    /// `ConcurrentModification` to parallel writes on one principal, so the engine sends them one
    /// at a time.
    pub fn principal(&self) -> Option<(PrincipalKind, &str)> {
        match self {
            Operation::DeactivateAccessKey { user, .. }
            | Operation::ActivateAccessKey { user, .. }
            | Operation::DeleteLoginProfile { user }
            | Operation::PutUserPolicy { user, .. }
            | Operation::DeleteUserPolicy { user, .. }
            | Operation::AttachUserPolicy { user, .. }
            | Operation::DetachUserPolicy { user, .. } => Some((PrincipalKind::User, user)),
            Operation::PutRolePolicy { role, .. }
            | Operation::DeleteRolePolicy { role, .. }
            | Operation::AttachRolePolicy { role, .. }
            | Operation::DetachRolePolicy { role, .. }
            | Operation::UpdateAssumeRolePolicy { role, .. } => Some((PrincipalKind::Role, role)),
            _ => None,
        }
    }

    /// Whether the operation changes the resource `id` of kind `resource` (a user is changed by
    /// the operations on its keys, password and policies).
    pub fn touches(&self, resource: ResourceType, id: &str) -> bool {
        match (resource, self) {
            (ResourceType::User | ResourceType::Role, _) => {
                let kind = if resource == ResourceType::User {
                    PrincipalKind::User
                } else {
                    PrincipalKind::Role
                };
                self.principal() == Some((kind, id))
            }
            (
                ResourceType::AccessKey,
                Operation::DeactivateAccessKey { key_id, .. }
                | Operation::ActivateAccessKey { key_id, .. },
            ) => key_id == id,
            (
                ResourceType::Function,
                Operation::CaptureFunctionEvidence { function, .. }
                | Operation::PutFunctionConcurrency { function, .. }
                | Operation::DeleteFunctionConcurrency { function }
                | Operation::DeleteFunction { function, .. }
                | Operation::RemoveFunctionPermission { function, .. }
                | Operation::AddFunctionPermission { function, .. }
                | Operation::SetFunctionUrlAuth { function, .. },
            ) => function == id,
            (ResourceType::Snapshot, Operation::ModifySnapshotSharing { snapshot_id, .. }) => {
                snapshot_id == id
            }
            (ResourceType::Image, Operation::ModifyImageSharing { image_id, .. }) => image_id == id,
            (
                ResourceType::Trail,
                Operation::StartLogging { trail } | Operation::StopLogging { trail },
            ) => trail == id,
            (
                ResourceType::Detector,
                Operation::EnableDetector { detector_id }
                | Operation::DisableDetector { detector_id },
            ) => detector_id == id,
            (
                ResourceType::SecurityGroup,
                Operation::RevokeIngress { group_id, .. }
                | Operation::AuthorizeIngress { group_id, .. },
            ) => group_id == id,
            (
                ResourceType::EventRule,
                Operation::DisableEventRule { bus, name }
                | Operation::EnableEventRule { bus, name, .. },
            ) => crate::model::rule_id(bus, name) == id,
            (
                ResourceType::ProfileAssociation,
                Operation::DisassociateProfile {
                    instance_id,
                    profile_arn,
                    ..
                }
                | Operation::AssociateProfile {
                    instance_id,
                    profile_arn,
                },
            ) => crate::model::association_key(instance_id, profile_arn) == id,
            (
                ResourceType::ApiKey,
                Operation::DisableApiKey { key_id } | Operation::EnableApiKey { key_id },
            ) => key_id == id,
            (_, Operation::Data(data)) => data.touches(resource, id),
            _ => false,
        }
    }

    /// Whether the operation changes the account (evidence capture only reads).
    pub fn changes_account(&self) -> bool {
        !matches!(self, Operation::CaptureFunctionEvidence { .. })
    }

    /// The AWS service the operation goes to.
    pub fn service(&self) -> &'static str {
        match self {
            Operation::DeactivateAccessKey { .. }
            | Operation::ActivateAccessKey { .. }
            | Operation::DeleteLoginProfile { .. }
            | Operation::PutUserPolicy { .. }
            | Operation::DeleteUserPolicy { .. }
            | Operation::PutRolePolicy { .. }
            | Operation::DeleteRolePolicy { .. }
            | Operation::AttachUserPolicy { .. }
            | Operation::DetachUserPolicy { .. }
            | Operation::AttachRolePolicy { .. }
            | Operation::DetachRolePolicy { .. }
            | Operation::UpdateAssumeRolePolicy { .. } => "iam",
            Operation::CaptureFunctionEvidence { .. }
            | Operation::PutFunctionConcurrency { .. }
            | Operation::DeleteFunctionConcurrency { .. }
            | Operation::DeleteFunction { .. }
            | Operation::RemoveFunctionPermission { .. }
            | Operation::AddFunctionPermission { .. }
            | Operation::SetFunctionUrlAuth { .. } => "lambda",
            Operation::ModifySnapshotSharing { .. }
            | Operation::ModifyImageSharing { .. }
            | Operation::EnableSnapshotBlockPublicAccess
            | Operation::DisableSnapshotBlockPublicAccess
            | Operation::BlockNewSnapshotSharing
            | Operation::EnableImageBlockPublicAccess
            | Operation::DisableImageBlockPublicAccess
            | Operation::RevokeIngress { .. }
            | Operation::AuthorizeIngress { .. }
            | Operation::DisassociateProfile { .. }
            | Operation::AssociateProfile { .. } => "ec2",
            Operation::StartLogging { .. } | Operation::StopLogging { .. } => "cloudtrail",
            Operation::EnableDetector { .. }
            | Operation::DisableDetector { .. }
            | Operation::CreateDetector => "guardduty",
            Operation::DisableEventRule { .. } | Operation::EnableEventRule { .. } => "events",
            Operation::DisableApiKey { .. } | Operation::EnableApiKey { .. } => "apigateway",
            Operation::Data(data) => data.service(),
        }
    }

    /// The AWS API operation that makes the change.
    pub fn api(&self) -> &'static str {
        match self {
            Operation::DeactivateAccessKey { .. } | Operation::ActivateAccessKey { .. } => {
                "UpdateAccessKey"
            }
            Operation::DeleteLoginProfile { .. } => "DeleteLoginProfile",
            Operation::PutUserPolicy { .. } => "PutUserPolicy",
            Operation::DeleteUserPolicy { .. } => "DeleteUserPolicy",
            Operation::PutRolePolicy { .. } => "PutRolePolicy",
            Operation::DeleteRolePolicy { .. } => "DeleteRolePolicy",
            Operation::CaptureFunctionEvidence { .. } => "GetFunction",
            Operation::PutFunctionConcurrency { .. } => "PutFunctionConcurrency",
            Operation::DeleteFunctionConcurrency { .. } => "DeleteFunctionConcurrency",
            Operation::DeleteFunction { .. } => "DeleteFunction",
            Operation::RemoveFunctionPermission { .. } => "RemovePermission",
            Operation::AddFunctionPermission { .. } => "AddPermission",
            Operation::SetFunctionUrlAuth { .. } => "UpdateFunctionUrlConfig",
            Operation::UpdateAssumeRolePolicy { .. } => "UpdateAssumeRolePolicy",
            Operation::AttachUserPolicy { .. } => "AttachUserPolicy",
            Operation::DetachUserPolicy { .. } => "DetachUserPolicy",
            Operation::AttachRolePolicy { .. } => "AttachRolePolicy",
            Operation::DetachRolePolicy { .. } => "DetachRolePolicy",
            Operation::ModifySnapshotSharing { .. } => "ModifySnapshotAttribute",
            Operation::ModifyImageSharing { .. } => "ModifyImageAttribute",
            Operation::EnableSnapshotBlockPublicAccess => "EnableSnapshotBlockPublicAccess",
            Operation::DisableSnapshotBlockPublicAccess => "DisableSnapshotBlockPublicAccess",
            Operation::BlockNewSnapshotSharing => "EnableSnapshotBlockPublicAccess",
            Operation::EnableImageBlockPublicAccess => "EnableImageBlockPublicAccess",
            Operation::DisableImageBlockPublicAccess => "DisableImageBlockPublicAccess",
            Operation::StartLogging { .. } => "StartLogging",
            Operation::StopLogging { .. } => "StopLogging",
            Operation::EnableDetector { .. } | Operation::DisableDetector { .. } => {
                "UpdateDetector"
            }
            Operation::CreateDetector => "CreateDetector",
            Operation::RevokeIngress { .. } => "RevokeSecurityGroupIngress",
            Operation::AuthorizeIngress { .. } => "AuthorizeSecurityGroupIngress",
            Operation::DisableEventRule { .. } => "DisableRule",
            Operation::EnableEventRule { .. } => "EnableRule",
            Operation::DisassociateProfile { .. } => "DisassociateIamInstanceProfile",
            Operation::AssociateProfile { .. } => "AssociateIamInstanceProfile",
            Operation::DisableApiKey { .. } | Operation::EnableApiKey { .. } => "UpdateApiKey",
            Operation::Data(data) => data.api(),
        }
    }

    /// What the operation acts on, for people.
    pub fn target(&self) -> String {
        match self {
            Operation::DeactivateAccessKey { user, key_id }
            | Operation::ActivateAccessKey { user, key_id } => format!("user/{user} key {key_id}"),
            Operation::DeleteLoginProfile { user } => format!("user/{user}"),
            Operation::PutUserPolicy {
                user, policy_name, ..
            }
            | Operation::DeleteUserPolicy { user, policy_name } => {
                format!("user/{user} policy {policy_name}")
            }
            Operation::PutRolePolicy {
                role, policy_name, ..
            }
            | Operation::DeleteRolePolicy { role, policy_name } => {
                format!("role/{role} policy {policy_name}")
            }
            Operation::CaptureFunctionEvidence { function, .. }
            | Operation::PutFunctionConcurrency { function, .. }
            | Operation::DeleteFunctionConcurrency { function }
            | Operation::DeleteFunction { function, .. } => format!("function {function}"),
            Operation::RemoveFunctionPermission {
                function,
                qualifier,
                ..
            }
            | Operation::AddFunctionPermission {
                function,
                qualifier,
                ..
            }
            | Operation::SetFunctionUrlAuth {
                function,
                qualifier,
                ..
            } => match qualifier {
                Some(alias) => format!("function {function}:{alias}"),
                None => format!("function {function}"),
            },
            Operation::UpdateAssumeRolePolicy { role, .. } => format!("role/{role} trust policy"),
            Operation::AttachUserPolicy { user, policy_arn }
            | Operation::DetachUserPolicy { user, policy_arn } => format!(
                "user/{user} policy {}",
                policy_arn.rsplit('/').next().unwrap_or_default()
            ),
            Operation::AttachRolePolicy { role, policy_arn }
            | Operation::DetachRolePolicy { role, policy_arn } => format!(
                "role/{role} policy {}",
                policy_arn.rsplit('/').next().unwrap_or_default()
            ),
            Operation::ModifySnapshotSharing { snapshot_id, .. } => snapshot_id.clone(),
            Operation::ModifyImageSharing { image_id, .. } => image_id.clone(),
            Operation::EnableSnapshotBlockPublicAccess
            | Operation::DisableSnapshotBlockPublicAccess
            | Operation::BlockNewSnapshotSharing => "snapshot block public access".into(),
            Operation::EnableImageBlockPublicAccess | Operation::DisableImageBlockPublicAccess => {
                "image block public access".into()
            }
            Operation::StartLogging { trail } | Operation::StopLogging { trail } => {
                format!("trail {trail}")
            }
            Operation::EnableDetector { detector_id }
            | Operation::DisableDetector { detector_id } => format!("detector {detector_id}"),
            Operation::CreateDetector => "GuardDuty detector".into(),
            Operation::RevokeIngress { group_id, .. }
            | Operation::AuthorizeIngress { group_id, .. } => group_id.clone(),
            Operation::DisableEventRule { bus, name }
            | Operation::EnableEventRule { bus, name, .. } => {
                format!("rule {}", crate::model::rule_id(bus, name))
            }
            Operation::DisassociateProfile {
                instance_id,
                profile_arn,
                ..
            }
            | Operation::AssociateProfile {
                instance_id,
                profile_arn,
            } => crate::model::association_key(instance_id, profile_arn),
            Operation::DisableApiKey { key_id } | Operation::EnableApiKey { key_id } => {
                format!("API key {key_id}")
            }
            Operation::Data(data) => data.target(),
        }
    }

    /// A one-line description of the change.
    pub fn describe(&self) -> String {
        match self {
            Operation::DeactivateAccessKey { .. } => "set Inactive".into(),
            Operation::ActivateAccessKey { .. } => "set Active".into(),
            Operation::DeleteLoginProfile { .. } => "delete console password".into(),
            Operation::CaptureFunctionEvidence { directory, .. } => format!(
                "save configuration, policy, tags and code to {} (reads only)",
                directory.display()
            ),
            Operation::PutFunctionConcurrency { reserved: 0, .. } => {
                "reserve concurrency 0: every invocation is throttled".into()
            }
            Operation::PutFunctionConcurrency { reserved, .. } => {
                format!("reserve concurrency {reserved}")
            }
            Operation::DeleteFunctionConcurrency { .. } => "remove reserved concurrency".into(),
            Operation::DeleteFunction {
                evidence: Some(_), ..
            } => "delete the function (only if its code was saved)".into(),
            Operation::DeleteFunction { evidence: None, .. } => {
                "delete the function, even if its code was not saved".into()
            }
            Operation::RemoveFunctionPermission { statement_id, .. } => {
                format!("remove resource-policy statement {statement_id}")
            }
            Operation::AddFunctionPermission { grant, .. } => format!(
                "add resource-policy statement {} ({} for {})",
                grant.statement_id, grant.action, grant.principal
            ),
            Operation::SetFunctionUrlAuth {
                auth: UrlAuth::AwsIam,
                ..
            } => "function URL auth AWS_IAM: only signed callers".into(),
            Operation::SetFunctionUrlAuth {
                auth: UrlAuth::None,
                ..
            } => "function URL auth NONE: anyone on the internet".into(),
            Operation::UpdateAssumeRolePolicy { .. } => "replace the trust policy".into(),
            Operation::AttachUserPolicy { .. } | Operation::AttachRolePolicy { .. } => {
                "attach managed policy".into()
            }
            Operation::DetachUserPolicy { .. } | Operation::DetachRolePolicy { .. } => {
                "detach managed policy".into()
            }
            Operation::PutUserPolicy { .. } | Operation::PutRolePolicy { .. } => {
                "attach inline policy".into()
            }
            Operation::DeleteUserPolicy { .. } | Operation::DeleteRolePolicy { .. } => {
                "remove inline policy".into()
            }
            Operation::ModifySnapshotSharing { change, .. }
            | Operation::ModifyImageSharing { change, .. } => change.describe(),
            Operation::EnableSnapshotBlockPublicAccess => "block all public sharing".into(),
            Operation::BlockNewSnapshotSharing => "block new public sharing only".into(),
            Operation::EnableImageBlockPublicAccess => "block new public sharing".into(),
            Operation::DisableSnapshotBlockPublicAccess
            | Operation::DisableImageBlockPublicAccess => "unblock".into(),
            Operation::StartLogging { .. } => "start logging".into(),
            Operation::StopLogging { .. } => "stop logging".into(),
            Operation::EnableDetector { .. } => "enable threat detection".into(),
            Operation::DisableDetector { .. } => "disable threat detection".into(),
            Operation::CreateDetector => {
                "create an enabled detector (the deleted one's history is gone)".into()
            }
            Operation::RevokeIngress { rules, .. } => format!(
                "revoke {}",
                rules
                    .iter()
                    .map(IngressRule::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Operation::AuthorizeIngress { rules, .. } => format!(
                "authorize {}",
                rules
                    .iter()
                    .map(IngressRule::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Operation::DisableEventRule { .. } => "disable the rule".into(),
            Operation::EnableEventRule { .. } => "enable the rule".into(),
            Operation::DisassociateProfile { .. } => {
                "disassociate the instance profile: the instance loses the role".into()
            }
            Operation::AssociateProfile { .. } => "associate the instance profile".into(),
            Operation::DisableApiKey { .. } => "disable the key".into(),
            Operation::EnableApiKey { .. } => "enable the key".into(),
            Operation::Data(data) => data.describe(),
        }
    }
}

mod data;
mod sharing;

#[cfg(test)]
mod tests;
