//! Data stores: S3 buckets with what decides who can read or destroy what they hold — policy,
//! ACL, Block Public Access, versioning, Object Lock, replication, lifecycle, encryption — and a
//! bounded census of their objects.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Principals;

/// S3 Block Public Access: the four settings, on a bucket or on the whole account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// Every setting on.
    pub const ALL_ON: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    /// Whether all four settings are on.
    pub fn all_on(&self) -> bool {
        *self == Self::ALL_ON
    }

    /// The settings that are off, by their AWS names.
    pub fn off(&self) -> Vec<&'static str> {
        [
            (self.block_public_acls, "BlockPublicAcls"),
            (self.ignore_public_acls, "IgnorePublicAcls"),
            (self.block_public_policy, "BlockPublicPolicy"),
            (self.restrict_public_buckets, "RestrictPublicBuckets"),
        ]
        .into_iter()
        .filter(|(on, _)| !on)
        .map(|(_, name)| name)
        .collect()
    }
}

/// The account-level Block Public Access as the scan read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AccountBlock {
    /// The account has a configuration (each setting on or off).
    Set(PublicAccessBlock),
    /// The account has none: every setting is off.
    Unset,
}

impl AccountBlock {
    /// The settings in force (none configured: all off).
    pub fn settings(&self) -> PublicAccessBlock {
        match self {
            AccountBlock::Set(settings) => *settings,
            AccountBlock::Unset => PublicAccessBlock::default(),
        }
    }
}

/// Whether a bucket keeps old versions of what is overwritten or deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Versioning {
    /// Never enabled: an overwrite or delete is final.
    #[default]
    Never,
    Enabled,
    /// Enabled once, suspended since: new overwrites and deletes are final again.
    Suspended,
}

/// Who an ACL grants to, apart from the bucket's owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AclGrants {
    /// Permissions granted to everyone (`AllUsers`) or to every AWS account
    /// (`AuthenticatedUsers`): `AllUsers:READ`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public: Vec<String>,
    /// Other accounts' canonical user ids (or e-mail addresses) granted anything.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub accounts: BTreeSet<String>,
}

/// The ACL group that means everyone.
pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// The ACL group that means every AWS account.
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// Whom one ACL grant is to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Grantee {
    /// A predefined group, by URI (everyone, every AWS account, log delivery).
    Group { uri: String },
    /// An account, by canonical user id.
    CanonicalUser { id: String },
    /// An account, by the e-mail address of its owner.
    Email { address: String },
}

impl Grantee {
    /// Whether the grantee is everyone or every AWS account.
    pub fn is_public(&self) -> bool {
        matches!(self, Grantee::Group { uri } if uri == ALL_USERS || uri == AUTHENTICATED_USERS)
    }

    /// How the scan names the grantee: `AllUsers`, a canonical id, an address.
    pub fn name(&self) -> &str {
        match self {
            Grantee::Group { uri } => uri.rsplit('/').next().unwrap_or(uri),
            Grantee::CanonicalUser { id } => id,
            Grantee::Email { address } => address,
        }
    }
}

/// One grant of an ACL, exactly as PutBucketAcl takes it back.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AclGrant {
    pub grantee: Grantee,
    /// `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP`, `FULL_CONTROL`.
    pub permission: String,
}

impl AclGrant {
    /// `AllUsers:READ`.
    pub fn describe(&self) -> String {
        format!("{}:{}", self.grantee.name(), self.permission)
    }
}

impl AclGrants {
    /// Who `grants` let in apart from `owner` (the log-delivery group and other AWS groups are
    /// services, not outsiders).
    pub fn of(grants: &[AclGrant], owner: Option<&str>) -> Self {
        let mut found = AclGrants::default();
        for grant in grants {
            match &grant.grantee {
                Grantee::Group { .. } if grant.grantee.is_public() => {
                    found.public.push(grant.describe());
                }
                Grantee::Group { .. } => {}
                Grantee::CanonicalUser { id: who } | Grantee::Email { address: who } => {
                    if Some(who.as_str()) != owner {
                        found.accounts.insert(who.clone());
                    }
                }
            }
        }
        found
    }
}

/// A replication rule's destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replication {
    /// The destination bucket's ARN.
    pub bucket: String,
    /// The destination account, when the rule names one (a bucket of another account).
    pub account: Option<String>,
}

/// A bucket's default encryption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEncryption {
    /// `AES256`, `aws:kms`, `aws:kms:dsse`.
    pub algorithm: String,
    pub kms_key: Option<String>,
}

/// How one object is encrypted, as HeadObject tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "with", rename_all = "snake_case")]
pub enum ObjectEncryption {
    /// Not encrypted, or S3-managed keys.
    S3,
    /// A KMS key.
    Kms { key: Option<String> },
    /// A key the uploader supplied (SSE-C): S3 does not hold it, and without it the object
    /// cannot be read — the ransom re-encryption.
    CustomerKey,
}

/// One object the census looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectSample {
    pub key: String,
    pub size: i64,
    pub modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    /// Read with HeadObject for the objects sampled in detail; `None` for the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<ObjectEncryption>,
}

/// A bounded look at a bucket's objects: the first page of its listing (never all of a large
/// bucket), and a few of them read in detail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Census {
    /// Objects listed (at most the bound).
    pub listed: usize,
    /// The bucket holds more than were listed: `listed` is a floor.
    pub more: bool,
    /// Listed objects that look like a ransom note: small, and named like one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<ObjectSample>,
    /// Objects read in detail (their encryption).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sampled: Vec<ObjectSample>,
}

/// Largest object that may be a ransom note, in bytes.
pub const NOTE_MAX_BYTES: i64 = 16 * 1024;

/// Words ransom notes are named with.
const NOTE_WORDS: [&str; 10] = [
    "readme", "recover", "decrypt", "ransom", "restore", "how_to", "how-to", "bitcoin", "warning",
    "payment",
];

/// Whether an object of `size` bytes called `key` may be a ransom note: small, and its name
/// (not its folder) says so.
pub fn may_be_note(key: &str, size: i64) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key).to_ascii_lowercase();
    size <= NOTE_MAX_BYTES && NOTE_WORDS.iter().any(|word| name.contains(word))
}

/// An S3 bucket and what decides who can read, change or destroy what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub region: String,
    pub name: String,
    pub created: Option<DateTime<Utc>>,
    /// Whom the bucket policy allows; `None` without a policy (or when it could not be read: a
    /// problem says so).
    pub policy: Option<Principals>,
    /// AWS's own verdict on the policy (GetBucketPolicyStatus), when it was read.
    pub policy_public: Option<bool>,
    pub acl: AclGrants,
    /// The bucket's own Block Public Access; `None` when it has none (all off).
    pub block: Option<PublicAccessBlock>,
    pub versioning: Versioning,
    pub mfa_delete: bool,
    pub object_lock: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replication: Vec<Replication>,
    /// Lifecycle rules that delete objects, described: `logs-expiry: current objects after 1 day`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expiring_rules: Vec<String>,
    pub encryption: Option<BucketEncryption>,
    /// `None` when the objects could not be listed (a problem says why).
    pub census: Option<Census>,
}

impl Bucket {
    /// Whether the policy lets anyone in: AWS's verdict when read, else the policy as parsed.
    pub fn policy_is_public(&self) -> bool {
        self.policy_public
            .unwrap_or_else(|| self.policy.as_ref().is_some_and(|p| p.public))
    }

    /// Whether the policy or the ACL opens the bucket to everyone (before Block Public Access).
    pub fn is_public_configured(&self) -> bool {
        self.policy_is_public() || !self.acl.public.is_empty()
    }

    /// The bucket's Block Public Access in force, bucket and account together.
    pub fn effective_block(&self, account: Option<&AccountBlock>) -> PublicAccessBlock {
        let bucket = self.block.unwrap_or_default();
        let account = account.map(AccountBlock::settings).unwrap_or_default();
        PublicAccessBlock {
            block_public_acls: bucket.block_public_acls || account.block_public_acls,
            ignore_public_acls: bucket.ignore_public_acls || account.ignore_public_acls,
            block_public_policy: bucket.block_public_policy || account.block_public_policy,
            restrict_public_buckets: bucket.restrict_public_buckets
                || account.restrict_public_buckets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_small_and_named_like_one_in_its_own_name() {
        assert!(may_be_note("README_TO_RESTORE.txt", 900));
        assert!(may_be_note("backups/HOW-TO-DECRYPT.html", NOTE_MAX_BYTES));
        assert!(!may_be_note("HOW-TO-DECRYPT.html", NOTE_MAX_BYTES + 1));
        assert_eq!(NOTE_MAX_BYTES, 16_384);
        // The folder's name does not make a note, nor does an ordinary name.
        assert!(!may_be_note("readme/0001.csv", 10));
        assert!(!may_be_note("data/0001.csv", 10));
    }

    #[test]
    fn each_setting_in_force_is_the_buckets_or_the_accounts() {
        let only = |set: fn(&mut PublicAccessBlock)| {
            let mut block = PublicAccessBlock::default();
            set(&mut block);
            block
        };
        let mut bucket = Bucket {
            region: "us-east-1".into(),
            name: "b".into(),
            created: None,
            policy: None,
            policy_public: None,
            acl: AclGrants::default(),
            block: Some(only(|b| b.ignore_public_acls = true)),
            versioning: Versioning::Never,
            mfa_delete: false,
            object_lock: false,
            replication: Vec::new(),
            expiring_rules: Vec::new(),
            encryption: None,
            census: None,
        };
        let account = AccountBlock::Set(only(|b| b.restrict_public_buckets = true));
        let in_force = bucket.effective_block(Some(&account));
        assert!(in_force.ignore_public_acls && in_force.restrict_public_buckets);
        assert!(!in_force.block_public_acls && !in_force.block_public_policy);
        bucket.block = Some(only(|b| {
            b.block_public_acls = true;
            b.block_public_policy = true;
        }));
        let in_force = bucket.effective_block(Some(&AccountBlock::Unset));
        assert_eq!(
            in_force.off(),
            vec!["IgnorePublicAcls", "RestrictPublicBuckets"]
        );
        assert!(!in_force.all_on());
        assert!(PublicAccessBlock::ALL_ON.all_on());
        assert_eq!(
            bucket.effective_block(None),
            bucket.block.unwrap_or_default()
        );
    }

    #[test]
    fn an_acl_is_judged_grant_by_grant_the_owner_and_aws_groups_left_out() {
        let grant = |grantee: Grantee, permission: &str| AclGrant {
            grantee,
            permission: permission.into(),
        };
        let user = |id: &str| Grantee::CanonicalUser { id: id.into() };
        let grants = [
            grant(user("owner-id"), "FULL_CONTROL"),
            grant(
                Grantee::Group {
                    uri: ALL_USERS.into(),
                },
                "READ",
            ),
            grant(
                Grantee::Group {
                    uri: AUTHENTICATED_USERS.into(),
                },
                "WRITE",
            ),
            grant(
                Grantee::Group {
                    uri: "http://acs.amazonaws.com/groups/s3/LogDelivery".into(),
                },
                "WRITE",
            ),
            grant(user("partner-id"), "READ"),
            grant(
                Grantee::Email {
                    address: "ops@example.com".into(),
                },
                "READ",
            ),
        ];
        let judged = AclGrants::of(&grants, Some("owner-id"));
        assert_eq!(judged.public, ["AllUsers:READ", "AuthenticatedUsers:WRITE"]);
        assert_eq!(
            judged.accounts,
            ["ops@example.com".to_string(), "partner-id".to_string()].into()
        );
        assert_eq!(grants[3].grantee.name(), "LogDelivery");
        assert_eq!(grants[4].describe(), "partner-id:READ");
        assert_eq!(grants[5].grantee.name(), "ops@example.com");
        assert!(!grants[3].grantee.is_public() && grants[2].grantee.is_public());
        // Without a known owner, the owner's own grant is another account's.
        assert!(AclGrants::of(&grants, None).accounts.contains("owner-id"));
    }
}
