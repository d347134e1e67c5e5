//! Indicators: what a detonated step left that a responder must contain, the findings that show
//! it, and whether the account (as a scan read it) still holds it. Pure: the cockpit and the
//! scorer ask the same questions of the same inventory.

use serde::{Deserialize, Serialize};

use super::scenario::Containment;
use firebreak_core::model::finding::{FindingKind, ResourceType};
use firebreak_core::model::operation::{
    DENY_ALL_MANAGED, DENY_ALL_POLICY, DataOperation, Operation,
};
use firebreak_core::model::{GLOBAL, Inventory, KeyStatus, Sharing};
use firebreak_core::playbook::freeze::FREEZE_POLICY;

/// Who a share or a trust was opened to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    Public,
    Account(String),
}

impl Exposure {
    fn in_sharing(&self, sharing: &Sharing) -> bool {
        match self {
            Exposure::Public => sharing.public,
            Exposure::Account(account) => sharing.accounts.contains(account),
        }
    }

    fn describe(&self) -> String {
        match self {
            Exposure::Public => "public".to_string(),
            Exposure::Account(account) => format!("shared with {account}"),
        }
    }
}

/// One thing an attacker step left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Threat {
    /// A user the attacker made or holds the keys of.
    User {
        name: String,
        keys: Vec<String>,
    },
    /// A role someone outside can assume (`outsider`: the account added to its trust).
    Role {
        name: String,
        outsider: Option<Exposure>,
    },
    Function {
        region: String,
        name: String,
    },
    Snapshot {
        region: String,
        id: String,
        exposure: Exposure,
    },
    Image {
        region: String,
        id: String,
        exposure: Exposure,
    },
    /// A manual DB snapshot the public or the outsider may restore.
    DbSnapshot {
        region: String,
        id: String,
        exposure: Exposure,
    },
    /// A DB instance reachable from the internet.
    Database {
        region: String,
        id: String,
    },
    /// A bucket whose policy lets the public or the outsider in.
    Bucket {
        region: String,
        name: String,
        exposure: Exposure,
    },
}

impl Threat {
    /// `user alice`, `function eu-west-1/x`, …
    pub fn label(&self) -> String {
        match self {
            Threat::User { name, .. } => format!("user {name}"),
            Threat::Role { name, .. } => format!("role {name}"),
            Threat::Function { region, name } => format!("function {region}/{name}"),
            Threat::Snapshot {
                region,
                id,
                exposure,
            } => format!("snapshot {region}/{id} ({})", exposure.describe()),
            Threat::Image {
                region,
                id,
                exposure,
            } => format!("AMI {region}/{id} ({})", exposure.describe()),
            Threat::Bucket {
                region,
                name,
                exposure,
            } => format!("bucket {region}/{name} ({})", exposure.describe()),
            Threat::DbSnapshot {
                region,
                id,
                exposure,
            } => format!("DB snapshot {region}/{id} ({})", exposure.describe()),
            Threat::Database { region, id } => format!("DB instance {region}/{id} (public)"),
        }
    }

    /// Whether the finding with id `kind:region:resource_id` is about this threat.
    pub fn shown_by(&self, finding_id: &str) -> bool {
        let mut parts = finding_id.splitn(3, ':');
        let (Some(kind), Some(region), Some(resource)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let kind_is = |kinds: &[FindingKind]| kinds.iter().any(|k| k.as_str() == kind);
        match self {
            Threat::User { name, keys } => {
                region == GLOBAL
                    && ((resource == name
                        && kind_is(&[
                            FindingKind::UnknownUser,
                            FindingKind::AdminPrincipal,
                            FindingKind::ConsoleWithoutMfa,
                        ]))
                        || (kind_is(&[FindingKind::UnknownAccessKey])
                            && keys.iter().any(|k| k == resource)))
            }
            Threat::Role { name, .. } => {
                region == GLOBAL
                    && resource == name
                    && kind_is(&[
                        FindingKind::UnknownRole,
                        FindingKind::AdminPrincipal,
                        FindingKind::ExternalTrust,
                    ])
            }
            Threat::Function { region: r, name } => {
                region == r
                    && resource == name
                    && kind_is(&[FindingKind::RecentResource, FindingKind::PublicFunction])
            }
            Threat::Snapshot { region: r, id, .. } => {
                region == r
                    && resource == id
                    && kind_is(&[FindingKind::PublicSnapshot, FindingKind::SharedSnapshot])
            }
            Threat::Image { region: r, id, .. } => {
                region == r
                    && resource == id
                    && kind_is(&[FindingKind::PublicImage, FindingKind::SharedImage])
            }
            Threat::Bucket {
                region: r, name, ..
            } => {
                region == r
                    && resource == name
                    && kind_is(&[FindingKind::PublicBucket, FindingKind::SharedBucket])
            }
            Threat::DbSnapshot { region: r, id, .. } => {
                region == r
                    && resource == id
                    && kind_is(&[FindingKind::PublicSnapshot, FindingKind::SharedSnapshot])
            }
            Threat::Database { region: r, id } => {
                region == r && resource == id && kind_is(&[FindingKind::PublicDatabase])
            }
        }
    }

    /// Whether the account, as `inventory` holds it, no longer lets this threat act: gone,
    /// denied everything (disable or freeze), its keys and password off, throttled to 0, or
    /// its share or trust closed.
    pub fn contained(&self, inventory: &Inventory) -> bool {
        let denied = |inline: &[String], attached: &[String]| {
            inline
                .iter()
                .any(|p| p == DENY_ALL_POLICY || p == FREEZE_POLICY)
                || attached.iter().any(|p| p == DENY_ALL_MANAGED)
        };
        match self {
            Threat::User { name, .. } => {
                let Some(user) = inventory.users.iter().find(|u| u.name == *name) else {
                    return true;
                };
                let active_key = inventory
                    .access_keys
                    .iter()
                    .any(|k| k.user == *name && k.status == KeyStatus::Active);
                denied(&user.inline_policies, &user.attached_policies)
                    || (!active_key && !user.console_access)
            }
            Threat::Role { name, outsider } => {
                let Some(role) = inventory.roles.iter().find(|r| r.name == *name) else {
                    return true;
                };
                let still_open = match outsider {
                    Some(Exposure::Account(account)) => role.trust.accounts.contains(account),
                    Some(Exposure::Public) => role.trust.public,
                    None => true,
                };
                denied(&role.inline_policies, &role.attached_policies) || !still_open
            }
            Threat::Function { region, name } => inventory
                .functions
                .iter()
                .find(|f| f.region == *region && f.name == *name)
                .is_none_or(|f| f.reserved_concurrency == Some(0)),
            Threat::Snapshot {
                region,
                id,
                exposure,
            } => inventory
                .snapshots
                .iter()
                .find(|s| s.region == *region && s.id == *id)
                .is_none_or(|s| !exposure.in_sharing(&s.sharing)),
            Threat::Image {
                region,
                id,
                exposure,
            } => inventory
                .images
                .iter()
                .find(|i| i.region == *region && i.id == *id)
                .is_none_or(|i| !exposure.in_sharing(&i.sharing)),
            Threat::Bucket {
                region,
                name,
                exposure,
            } => inventory
                .buckets
                .iter()
                .find(|b| b.region == *region && b.name == *name)
                .is_none_or(|b| {
                    let policy = b.policy.clone().unwrap_or_default();
                    match exposure {
                        Exposure::Public => !b.policy_is_public(),
                        Exposure::Account(account) => !policy.accounts.contains(account),
                    }
                }),
            Threat::DbSnapshot {
                region,
                id,
                exposure,
            } => inventory
                .db_snapshots
                .iter()
                .find(|s| s.region == *region && s.id == *id)
                .is_none_or(|s| !exposure.in_sharing(&s.sharing)),
            Threat::Database { region, id } => inventory
                .databases
                .iter()
                .find(|d| d.region == *region && d.id == *id)
                .is_none_or(|d| !d.public),
        }
    }

    /// Whether an executed step (its operation, in `region`) acted on this threat.
    pub fn touched_by(&self, operation: &Operation, region: &str) -> bool {
        match (self, operation) {
            (
                Threat::User { name, .. },
                Operation::DeactivateAccessKey { user, .. }
                | Operation::DeleteLoginProfile { user }
                | Operation::PutUserPolicy { user, .. }
                | Operation::AttachUserPolicy { user, .. },
            ) => user == name,
            (
                Threat::Role { name, .. },
                Operation::PutRolePolicy { role, .. }
                | Operation::AttachRolePolicy { role, .. }
                | Operation::UpdateAssumeRolePolicy { role, .. },
            ) => role == name,
            (
                Threat::Function { region: r, name },
                Operation::PutFunctionConcurrency { function, .. }
                | Operation::DeleteFunction { function, .. },
            ) => r == region && function == name,
            (
                Threat::Snapshot { region: r, id, .. },
                Operation::ModifySnapshotSharing { snapshot_id, .. },
            ) => r == region && snapshot_id == id,
            (
                Threat::Image { region: r, id, .. },
                Operation::ModifyImageSharing { image_id, .. },
            ) => r == region && image_id == id,
            (
                Threat::Bucket {
                    region: r, name, ..
                },
                Operation::Data(data),
            ) => r == region && is_policy_edit(data, name),
            (
                Threat::DbSnapshot { region: r, id, .. },
                Operation::Data(DataOperation::ModifyDbSnapshotSharing { snapshot, .. }),
            ) => r == region && snapshot == id,
            (
                Threat::Database { region: r, id },
                Operation::Data(DataOperation::SetDatabasePublic { database, .. }),
            ) => r == region && database == id,
            _ => false,
        }
    }

    /// Whether a step acting on this threat contains it by itself (a deny, a trust closed on
    /// the outsider, a throttle, a share closed), rather than in part (one key of a user's).
    pub fn decided_by(&self, operation: &Operation) -> bool {
        match (self, operation) {
            (Threat::User { .. }, Operation::PutUserPolicy { policy_name, .. })
            | (Threat::Role { .. }, Operation::PutRolePolicy { policy_name, .. }) => {
                policy_name == DENY_ALL_POLICY || policy_name == FREEZE_POLICY
            }
            (Threat::User { .. }, Operation::AttachUserPolicy { policy_arn, .. })
            | (Threat::Role { .. }, Operation::AttachRolePolicy { policy_arn, .. }) => {
                policy_arn.ends_with(&format!("/{DENY_ALL_MANAGED}"))
            }
            (Threat::Role { outsider, .. }, Operation::UpdateAssumeRolePolicy { .. }) => {
                outsider.is_some()
            }
            (Threat::Function { .. }, Operation::PutFunctionConcurrency { reserved, .. }) => {
                *reserved == 0
            }
            (Threat::Function { .. }, Operation::DeleteFunction { .. })
            | (Threat::Snapshot { .. }, Operation::ModifySnapshotSharing { .. })
            | (Threat::Image { .. }, Operation::ModifyImageSharing { .. }) => true,
            (Threat::Bucket { name, .. }, Operation::Data(data)) => is_policy_edit(data, name),
            (
                Threat::DbSnapshot { .. },
                Operation::Data(DataOperation::ModifyDbSnapshotSharing { .. }),
            ) => true,
            (
                Threat::Database { .. },
                Operation::Data(DataOperation::SetDatabasePublic { public, .. }),
            ) => !*public,
            _ => false,
        }
    }

    /// Whether an executed step of an undo (its operation, in `region`) changed this threat's
    /// resource: a containment before it no longer holds.
    pub fn undone_by(&self, operation: &Operation, region: &str) -> bool {
        let (resource, id) = match self {
            Threat::User { name, .. } => (ResourceType::User, name),
            Threat::Role { name, .. } => (ResourceType::Role, name),
            Threat::Function { name, .. } => (ResourceType::Function, name),
            Threat::Snapshot { id, .. } => (ResourceType::Snapshot, id),
            Threat::Image { id, .. } => (ResourceType::Image, id),
            Threat::Bucket { name, .. } => (ResourceType::Bucket, name),
            Threat::DbSnapshot { id, .. } => (ResourceType::DbSnapshot, id),
            Threat::Database { id, .. } => (ResourceType::Database, id),
        };
        (self.region() == GLOBAL || self.region() == region) && operation.touches(resource, id)
    }

    /// Where it is: its region, `global` for users and roles.
    pub fn region(&self) -> &str {
        match self {
            Threat::User { .. } | Threat::Role { .. } => GLOBAL,
            Threat::Function { region, .. }
            | Threat::Snapshot { region, .. }
            | Threat::Image { region, .. }
            | Threat::Bucket { region, .. }
            | Threat::DbSnapshot { region, .. }
            | Threat::Database { region, .. } => region,
        }
    }

    /// Whether a scan that read `inventory` could not see this threat: its region (or IAM) had
    /// errors (`unread_regions`), or a detail of it could not be read. Its absence there
    /// proves nothing.
    pub fn unread(
        &self,
        inventory: &Inventory,
        unread_regions: &std::collections::BTreeSet<String>,
    ) -> bool {
        let id = match self {
            Threat::User { name, .. } | Threat::Role { name, .. } => name,
            Threat::Function { name, .. } => name,
            Threat::Snapshot { id, .. } | Threat::Image { id, .. } => id,
            Threat::Bucket { name, .. } => name,
            Threat::DbSnapshot { id, .. } | Threat::Database { id, .. } => id,
        };
        unread_regions.contains(self.region())
            || inventory
                .unread
                .iter()
                .any(|u| u.region == self.region() && u.resource_id == *id)
    }
}

/// Whether `data` edits the policy of `bucket` (what closes a bucket's statements).
fn is_policy_edit(data: &DataOperation, bucket: &str) -> bool {
    matches!(data, DataOperation::EditBucketPolicy { bucket: b, .. } if b == bucket)
}

/// What one attacker step left, to be contained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    /// The scenario step that left it.
    pub step: String,
    pub summary: String,
    /// The playbook the scenario expects to contain it (any that does counts).
    pub contain: Containment,
    pub threats: Vec<Threat>,
}

impl Indicator {
    /// Whether every threat of it is contained in `inventory`.
    pub fn contained(&self, inventory: &Inventory) -> bool {
        self.threats.iter().all(|t| t.contained(inventory))
    }

    /// Whether any of `finding_ids` shows it.
    pub fn shown_by<'a>(&self, mut finding_ids: impl Iterator<Item = &'a str>) -> bool {
        finding_ids.any(|id| self.threats.iter().any(|t| t.shown_by(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use firebreak_core::model::finding::finding_id;
    use firebreak_core::model::{AccessKey, Function, Principals, Role, Snapshot, User};

    fn user(name: &str, console: bool, inline: &[&str]) -> User {
        User {
            region: GLOBAL.into(),
            name: name.into(),
            arn: format!("arn:aws:iam::123456789012:user/{name}"),
            user_id: "AIDA".into(),
            created: Utc::now(),
            console_access: console,
            mfa_devices: vec![],
            attached_policies: vec![],
            inline_policies: inline.iter().map(|s| s.to_string()).collect(),
            groups: vec![],
            admin_via: vec![],
        }
    }

    fn key(user: &str, id: &str, status: KeyStatus) -> AccessKey {
        AccessKey {
            region: GLOBAL.into(),
            id: id.into(),
            user: user.into(),
            status,
            created: None,
            last_used: None,
        }
    }

    #[test]
    fn a_user_is_contained_when_gone_denied_or_without_keys_and_password() {
        let threat = Threat::User {
            name: "mallory".into(),
            keys: vec!["AKIA1".into()],
        };
        let mut inventory = Inventory::default();
        assert!(threat.contained(&inventory), "gone");
        inventory.users.push(user("mallory", true, &[]));
        inventory
            .access_keys
            .push(key("mallory", "AKIA1", KeyStatus::Active));
        assert!(!threat.contained(&inventory), "active key and password");
        inventory.access_keys[0].status = KeyStatus::Inactive;
        assert!(!threat.contained(&inventory), "password left");
        inventory.users[0].console_access = false;
        assert!(threat.contained(&inventory), "nothing left to sign in with");
        inventory.access_keys[0].status = KeyStatus::Active;
        inventory.users[0].inline_policies = vec![FREEZE_POLICY.into()];
        assert!(threat.contained(&inventory), "frozen");
        inventory.users[0].inline_policies = vec![];
        inventory.users[0].attached_policies = vec![DENY_ALL_MANAGED.into()];
        assert!(threat.contained(&inventory), "AWSDenyAll");
        // Another user's deny does not count.
        inventory.users[0].attached_policies = vec![];
        inventory
            .users
            .push(user("alice", false, &[DENY_ALL_POLICY]));
        assert!(!threat.contained(&inventory));
    }

    #[test]
    fn a_role_is_contained_when_its_trust_drops_the_outsider_or_it_is_denied() {
        let threat = Threat::Role {
            name: "partner".into(),
            outsider: Some(Exposure::Account("666655554444".into())),
        };
        let mut role = Role {
            region: GLOBAL.into(),
            name: "partner".into(),
            arn: "arn:aws:iam::123456789012:role/partner".into(),
            path: "/".into(),
            created: Utc::now(),
            trust: Principals {
                accounts: ["210987654321", "666655554444"].map(String::from).into(),
                ..Principals::default()
            },
            attached_policies: vec![],
            inline_policies: vec![],
            instance_profiles: Vec::new(),
            admin_via: vec![],
        };
        let mut inventory = Inventory {
            roles: vec![role.clone()],
            ..Inventory::default()
        };
        assert!(!threat.contained(&inventory));
        role.trust.accounts.remove("666655554444");
        inventory.roles = vec![role.clone()];
        assert!(threat.contained(&inventory), "trust reverted");
        role.trust.accounts.insert("666655554444".into());
        role.inline_policies = vec![DENY_ALL_POLICY.into()];
        inventory.roles = vec![role];
        assert!(threat.contained(&inventory), "denied");
    }

    #[test]
    fn functions_snapshots_and_images_are_contained_when_throttled_or_closed() {
        let function = Threat::Function {
            region: "sa-east-1".into(),
            name: "miner".into(),
        };
        let mut inventory = Inventory {
            functions: vec![Function {
                region: "sa-east-1".into(),
                name: "miner".into(),
                arn: "arn".into(),
                runtime: None,
                last_modified: None,
                role: None,
                reserved_concurrency: None,
                policy_principals: None,
                url_auth: None,
                aliases: vec![],
            }],
            ..Inventory::default()
        };
        assert!(!function.contained(&inventory));
        inventory.functions[0].reserved_concurrency = Some(0);
        assert!(function.contained(&inventory));
        let same_name_elsewhere = Threat::Function {
            region: "eu-west-1".into(),
            name: "miner".into(),
        };
        assert!(same_name_elsewhere.contained(&inventory), "not there: gone");

        let snapshot = Threat::Snapshot {
            region: "us-east-1".into(),
            id: "snap-1".into(),
            exposure: Exposure::Account("666655554444".into()),
        };
        inventory.snapshots.push(Snapshot {
            region: "us-east-1".into(),
            id: "snap-1".into(),
            volume_id: None,
            size_gib: None,
            encrypted: false,
            started: None,
            sharing: Sharing {
                public: true,
                accounts: ["666655554444".to_string()].into(),
                organizations: Default::default(),
            },
        });
        assert!(!snapshot.contained(&inventory));
        inventory.snapshots[0].sharing.accounts.clear();
        assert!(snapshot.contained(&inventory), "the stranger is gone");
    }

    #[test]
    fn findings_show_a_threat_by_kind_region_and_resource() {
        let user = Threat::User {
            name: "mallory".into(),
            keys: vec!["AKIA1".into()],
        };
        let id = |kind, region, resource| finding_id(kind, region, resource);
        assert!(user.shown_by(&id(FindingKind::UnknownUser, GLOBAL, "mallory")));
        assert!(user.shown_by(&id(FindingKind::UnknownAccessKey, GLOBAL, "AKIA1")));
        assert!(!user.shown_by(&id(FindingKind::UnknownRole, GLOBAL, "mallory")));
        assert!(!user.shown_by(&id(FindingKind::UnknownUser, GLOBAL, "alice")));
        let function = Threat::Function {
            region: "sa-east-1".into(),
            name: "miner".into(),
        };
        assert!(function.shown_by(&id(FindingKind::RecentResource, "sa-east-1", "miner")));
        assert!(!function.shown_by(&id(FindingKind::RecentResource, "eu-west-1", "miner")));
        assert!(!function.shown_by("garbage"));
    }

    #[test]
    fn only_a_step_that_contains_a_threat_by_itself_decides_it() {
        use firebreak_core::model::operation::REVOKE_SESSIONS_POLICY;
        let user = Threat::User {
            name: "mallory".into(),
            keys: vec!["AKIA1".into()],
        };
        let partner = Threat::Role {
            name: "partner".into(),
            outsider: Some(Exposure::Account("666655554444".into())),
        };
        let backdoor = Threat::Role {
            name: "backdoor".into(),
            outsider: None,
        };
        let function = Threat::Function {
            region: "eu-west-1".into(),
            name: "miner".into(),
        };
        let put = |policy: &str| Operation::PutUserPolicy {
            user: "mallory".into(),
            policy_name: policy.into(),
            document: "{}".into(),
        };
        let trust = Operation::UpdateAssumeRolePolicy {
            role: "partner".into(),
            document: "{}".into(),
        };
        let throttle = |reserved| Operation::PutFunctionConcurrency {
            function: "miner".into(),
            reserved,
        };
        let cases = [
            (&user, put(DENY_ALL_POLICY), true),
            (&user, put(FREEZE_POLICY), true),
            (&user, put(REVOKE_SESSIONS_POLICY), false),
            (
                &user,
                Operation::DeactivateAccessKey {
                    user: "mallory".into(),
                    key_id: "AKIA1".into(),
                },
                false,
            ),
            (
                &user,
                Operation::AttachUserPolicy {
                    user: "mallory".into(),
                    policy_arn: format!("arn:aws:iam::aws:policy/{DENY_ALL_MANAGED}"),
                },
                true,
            ),
            (
                &user,
                Operation::AttachUserPolicy {
                    user: "mallory".into(),
                    policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
                },
                false,
            ),
            (&partner, trust.clone(), true),
            // A role no outsider was let into is not closed by its trust.
            (&backdoor, trust, false),
            (&function, throttle(0), true),
            (&function, throttle(5), false),
        ];
        for (threat, operation, decides) in cases {
            assert_eq!(
                threat.decided_by(&operation),
                decides,
                "{threat:?} {operation:?}"
            );
        }
    }

    #[test]
    fn an_undo_step_takes_back_only_its_own_resource_in_its_own_region() {
        let function = Threat::Function {
            region: "eu-west-1".into(),
            name: "miner".into(),
        };
        let user = Threat::User {
            name: "mallory".into(),
            keys: Vec::new(),
        };
        let unthrottle = |name: &str| Operation::DeleteFunctionConcurrency {
            function: name.into(),
        };
        let reactivate = |name: &str| Operation::ActivateAccessKey {
            user: name.into(),
            key_id: "AKIA1".into(),
        };
        assert!(function.undone_by(&unthrottle("miner"), "eu-west-1"));
        assert!(!function.undone_by(&unthrottle("miner"), "us-east-1"));
        assert!(!function.undone_by(&unthrottle("billing"), "eu-west-1"));
        assert!(user.undone_by(&reactivate("mallory"), GLOBAL));
        assert!(!user.undone_by(&reactivate("alice"), GLOBAL));
    }

    #[test]
    fn a_bucket_is_shown_by_its_findings_and_contained_when_its_policy_no_longer_opens_it() {
        use firebreak_core::model::storage::{AclGrants, Bucket, Versioning};
        let bucket = |policy: Option<Principals>| Bucket {
            region: "eu-west-1".into(),
            name: "exports".into(),
            created: None,
            policy,
            policy_public: None,
            acl: AclGrants::default(),
            block: None,
            versioning: Versioning::Never,
            mfa_delete: false,
            object_lock: false,
            replication: Vec::new(),
            expiring_rules: Vec::new(),
            encryption: None,
            census: None,
        };
        let inventory_with = |policy: Option<Principals>| Inventory {
            buckets: vec![bucket(policy)],
            ..Inventory::default()
        };
        let public = Threat::Bucket {
            region: "eu-west-1".into(),
            name: "exports".into(),
            exposure: Exposure::Public,
        };
        let backdoor = Threat::Bucket {
            region: "eu-west-1".into(),
            name: "exports".into(),
            exposure: Exposure::Account("666655554444".into()),
        };
        let open = Principals {
            public: true,
            accounts: ["666655554444".to_string()].into(),
            ..Principals::default()
        };
        assert!(!public.contained(&inventory_with(Some(open.clone()))));
        assert!(!backdoor.contained(&inventory_with(Some(open))));
        let partner_only = Principals {
            accounts: ["210987654321".to_string()].into(),
            ..Principals::default()
        };
        assert!(public.contained(&inventory_with(Some(partner_only.clone()))));
        assert!(backdoor.contained(&inventory_with(Some(partner_only))));
        assert!(public.contained(&inventory_with(None)));
        assert!(public.contained(&Inventory::default()), "gone");
        assert!(public.shown_by(&finding_id(
            FindingKind::PublicBucket,
            "eu-west-1",
            "exports"
        )));
        assert!(backdoor.shown_by(&finding_id(
            FindingKind::SharedBucket,
            "eu-west-1",
            "exports"
        )));
        assert!(!public.shown_by(&finding_id(
            FindingKind::RansomSigns,
            "eu-west-1",
            "exports"
        )));
        assert!(!public.shown_by(&finding_id(
            FindingKind::PublicBucket,
            "us-east-1",
            "exports"
        )));
        let edit = Operation::Data(DataOperation::EditBucketPolicy {
            bucket: "exports".into(),
            remove: vec![],
            add: vec![],
        });
        assert!(public.touched_by(&edit, "eu-west-1") && public.decided_by(&edit));
        assert!(!public.touched_by(&edit, "us-east-1"));
        let block = Operation::Data(DataOperation::SetBucketBlock {
            bucket: "exports".into(),
            block: None,
        });
        assert!(!public.touched_by(&block, "eu-west-1") && !public.decided_by(&block));
        assert!(public.undone_by(&edit, "eu-west-1") && public.undone_by(&block, "eu-west-1"));
        assert_eq!(public.label(), "bucket eu-west-1/exports (public)");
    }

    #[test]
    fn a_db_snapshot_and_a_database_are_contained_when_closed_and_shown_by_their_findings() {
        use firebreak_core::model::database::{Database, DatabaseKind, DbSnapshot};
        let snapshot = |sharing: Sharing| DbSnapshot {
            region: "eu-west-1".into(),
            id: "orders-db-final".into(),
            kind: DatabaseKind::Instance,
            source: Some("orders-db".into()),
            created: None,
            encrypted: true,
            sharing,
        };
        let database = |public: bool| Database {
            region: "eu-west-1".into(),
            id: "orders-db".into(),
            kind: DatabaseKind::Instance,
            engine: Some("postgres".into()),
            created: None,
            public,
            deletion_protection: true,
            backup_retention: 7,
            encrypted: true,
            security_groups: Vec::new(),
            cluster: None,
        };
        let shared = Threat::DbSnapshot {
            region: "eu-west-1".into(),
            id: "orders-db-final".into(),
            exposure: Exposure::Account("666655554444".into()),
        };
        let open = Inventory {
            db_snapshots: vec![snapshot(Sharing {
                public: true,
                accounts: ["666655554444".to_string()].into(),
                ..Sharing::default()
            })],
            databases: vec![database(true)],
            ..Inventory::default()
        };
        let closed = Inventory {
            db_snapshots: vec![snapshot(Sharing::default())],
            databases: vec![database(false)],
            ..Inventory::default()
        };
        let public = Threat::Database {
            region: "eu-west-1".into(),
            id: "orders-db".into(),
        };
        assert!(!shared.contained(&open) && !public.contained(&open));
        assert!(shared.contained(&closed) && public.contained(&closed));
        assert!(shared.shown_by(&finding_id(
            FindingKind::SharedSnapshot,
            "eu-west-1",
            "orders-db-final"
        )));
        assert!(public.shown_by(&finding_id(
            FindingKind::PublicDatabase,
            "eu-west-1",
            "orders-db"
        )));
        assert!(!public.shown_by(&finding_id(
            FindingKind::DatabaseProtectionWeakened,
            "eu-west-1",
            "orders-db"
        )));
        let unshare = Operation::Data(DataOperation::ModifyDbSnapshotSharing {
            snapshot: "orders-db-final".into(),
            kind: DatabaseKind::Instance,
            change: Default::default(),
        });
        let off = Operation::Data(DataOperation::SetDatabasePublic {
            database: "orders-db".into(),
            public: false,
        });
        let on = Operation::Data(DataOperation::SetDatabasePublic {
            database: "orders-db".into(),
            public: true,
        });
        assert!(shared.touched_by(&unshare, "eu-west-1") && shared.decided_by(&unshare));
        assert!(!shared.touched_by(&unshare, "us-east-1"));
        assert!(public.touched_by(&off, "eu-west-1") && public.decided_by(&off));
        assert!(
            !public.decided_by(&on),
            "turning it public again decides nothing"
        );
        assert!(public.undone_by(&on, "eu-west-1") && shared.undone_by(&unshare, "eu-west-1"));
        assert_eq!(public.label(), "DB instance eu-west-1/orders-db (public)");
    }
}
