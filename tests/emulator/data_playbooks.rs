//! Data-store playbooks end to end: a bucket backdoored and opened, the account's block lifted,
//! a database made public and its snapshot shared out are closed by `act revert-sharing`, read
//! back with the SDK; a re-run skips; undo puts back every document and setting exactly as the
//! attack left them. `act protect-data` shields a bucket and a database from a wipe, and freeze
//! shields the buckets the baseline marks as backups.

use std::collections::BTreeSet;

use aws_sdk_s3::types::{
    AccessControlPolicy, Grant, Grantee, Owner, Permission, PublicAccessBlockConfiguration, Type,
};
use serde_json::{Value, json};

use crate::findings::capture_quiet;
use crate::playbooks::{PARTNER, STRANGER, all_have_status, run_json, statuses};
use crate::support::seed::Seeder;
use crate::support::{ACCOUNT, TestBed};

const BUCKET: &str = "ledger";
const DATABASE: &str = "orders";
const DB_SNAPSHOT: &str = "orders-final";
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// A canonical user id of an account that is not this one.
const STRANGER_CANONICAL: &str = "5c0a5e4d2f1b3a6c7d8e9f00112233445566778899aabbccddeeff0011223344";

/// What the attack changes, read with the SDK.
#[derive(Debug, PartialEq)]
struct DataState {
    policy: Option<Value>,
    grants: BTreeSet<(String, String)>,
    bucket_block: Option<(bool, bool, bool, bool)>,
    account_block: Option<(bool, bool, bool, bool)>,
    database_public: bool,
    restore: BTreeSet<String>,
}

/// Four Block Public Access settings as read (one not returned is off).
fn settings(
    acls: Option<bool>,
    ignore: Option<bool>,
    policy: Option<bool>,
    restrict: Option<bool>,
) -> (bool, bool, bool, bool) {
    let on = |setting: Option<bool>| setting.unwrap_or(false);
    (on(acls), on(ignore), on(policy), on(restrict))
}

fn all_on() -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build()
}

async fn read_state(seed: &Seeder) -> DataState {
    let s3 = seed.s3("us-east-1");
    let policy = s3
        .get_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .ok()
        .and_then(|out| out.policy().map(str::to_string))
        .map(|text| serde_json::from_str(&text).expect("policy is JSON"));
    let acl = s3
        .get_bucket_acl()
        .bucket(BUCKET)
        .send()
        .await
        .expect("acl");
    let grants = acl
        .grants()
        .iter()
        .map(|g| {
            let grantee = g.grantee().expect("grantee");
            (
                grantee
                    .uri()
                    .or(grantee.id())
                    .expect("uri or id")
                    .to_string(),
                g.permission().expect("permission").as_str().to_string(),
            )
        })
        .collect();
    let bucket_block = s3
        .get_public_access_block()
        .bucket(BUCKET)
        .send()
        .await
        .ok()
        .and_then(|out| out.public_access_block_configuration().cloned())
        .map(|c| {
            settings(
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            )
        });
    let account_block = seed
        .s3control()
        .get_public_access_block()
        .account_id(ACCOUNT)
        .send()
        .await
        .ok()
        .and_then(|out| out.public_access_block_configuration().cloned())
        .map(|c| {
            settings(
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            )
        });
    let rds = seed.rds("us-east-1");
    let database_public = rds
        .describe_db_instances()
        .db_instance_identifier(DATABASE)
        .send()
        .await
        .expect("instance")
        .db_instances()[0]
        .publicly_accessible()
        .unwrap_or(false);
    let restore = rds
        .describe_db_snapshot_attributes()
        .db_snapshot_identifier(DB_SNAPSHOT)
        .send()
        .await
        .expect("snapshot attributes")
        .db_snapshot_attributes_result()
        .expect("result")
        .db_snapshot_attributes()
        .iter()
        .filter(|a| a.attribute_name() == Some("restore"))
        .flat_map(|a| a.attribute_values().iter().cloned())
        .collect();
    DataState {
        policy,
        grants,
        bucket_block,
        account_block,
        database_public,
        restore,
    }
}

fn statement(sid: &str, principal: Value) -> Value {
    json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/*")
    })
}

async fn put_policy(seed: &Seeder, statements: Vec<Value>) {
    put_policy_on(seed, BUCKET, statements).await;
}

async fn put_policy_on(seed: &Seeder, bucket: &str, statements: Vec<Value>) {
    seed.s3("us-east-1")
        .put_bucket_policy()
        .bucket(bucket)
        .policy(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
        .send()
        .await
        .expect("bucket policy");
}

/// Peacetime: a blocked bucket the partner may read, a blocked account, a private protected
/// database whose final snapshot the partner may restore.
async fn peacetime(seed: &Seeder) {
    seed.s3control()
        .put_public_access_block()
        .account_id(ACCOUNT)
        .public_access_block_configuration(
            aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .expect("account block");
    seed.bucket(BUCKET).await;
    seed.s3("us-east-1")
        .put_public_access_block()
        .bucket(BUCKET)
        .public_access_block_configuration(all_on())
        .send()
        .await
        .expect("bucket block");
    put_policy(
        seed,
        vec![statement(
            "partner",
            json!({"AWS": format!("arn:aws:iam::{PARTNER}:root")}),
        )],
    )
    .await;
    seed.db_instance("us-east-1", DATABASE, true).await;
    let rds = seed.rds("us-east-1");
    rds.create_db_snapshot()
        .db_instance_identifier(DATABASE)
        .db_snapshot_identifier(DB_SNAPSHOT)
        .send()
        .await
        .expect("snapshot");
    rds.modify_db_snapshot_attribute()
        .db_snapshot_identifier(DB_SNAPSHOT)
        .attribute_name("restore")
        .values_to_add(PARTNER)
        .send()
        .await
        .expect("share with the partner");
}

/// The leak: both blocks lifted, the policy opened to anyone and backdoored to a stranger
/// (beside the partner), the ACL granting everyone and the stranger, the database public, its
/// snapshot public and shared with the stranger.
async fn attack(seed: &Seeder) {
    let s3 = seed.s3("us-east-1");
    seed.s3control()
        .delete_public_access_block()
        .account_id(ACCOUNT)
        .send()
        .await
        .expect("account block off");
    s3.delete_public_access_block()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket block off");
    put_policy(
        seed,
        vec![
            statement(
                "partner",
                json!({"AWS": format!("arn:aws:iam::{PARTNER}:root")}),
            ),
            statement("open", json!("*")),
            statement("backdoor", json!({"AWS": [PARTNER, STRANGER]})),
        ],
    )
    .await;
    let owner = s3
        .get_bucket_acl()
        .bucket(BUCKET)
        .send()
        .await
        .expect("acl")
        .owner()
        .and_then(|o| o.id())
        .expect("owner")
        .to_string();
    let grant = |grantee: Grantee, permission: Permission| {
        Grant::builder()
            .grantee(grantee)
            .permission(permission)
            .build()
    };
    let user = |id: &str| {
        Grantee::builder()
            .r#type(Type::CanonicalUser)
            .id(id)
            .build()
            .expect("grantee")
    };
    let everyone = Grantee::builder()
        .r#type(Type::Group)
        .uri(ALL_USERS)
        .build()
        .expect("group");
    s3.put_bucket_acl()
        .bucket(BUCKET)
        .access_control_policy(
            AccessControlPolicy::builder()
                .owner(Owner::builder().id(&owner).build())
                .grants(grant(user(&owner), Permission::FullControl))
                .grants(grant(everyone, Permission::Read))
                .grants(grant(user(STRANGER_CANONICAL), Permission::Write))
                .build(),
        )
        .send()
        .await
        .expect("acl opened");
    let rds = seed.rds("us-east-1");
    rds.modify_db_instance()
        .db_instance_identifier(DATABASE)
        .publicly_accessible(true)
        .apply_immediately(true)
        .send()
        .await
        .expect("made public");
    rds.modify_db_snapshot_attribute()
        .db_snapshot_identifier(DB_SNAPSHOT)
        .attribute_name("restore")
        .values_to_add("all")
        .values_to_add(STRANGER)
        .send()
        .await
        .expect("shared out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revert_sharing_closes_buckets_databases_and_db_snapshots_and_undo_puts_back_each_setting()
{
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    peacetime(&seed).await;
    let (baseline, _) = capture_quiet(&bed, &[PARTNER, "account_public_access_block = true"]);
    let baseline_arg = baseline.to_str().expect("utf-8 path");
    attack(&seed).await;
    let attacked = read_state(&seed).await;
    assert!(attacked.database_public && attacked.bucket_block.is_none());

    let reverted = run_json(
        &bed,
        &responder,
        &[
            "--baseline",
            baseline_arg,
            "--regions",
            "us-east-1",
            "act",
            "revert-sharing",
            "--public",
            "--execute",
        ],
    );
    let outcomes = statuses(&reverted);
    for step in [
        format!("PutBucketPolicy bucket {BUCKET} policy"),
        format!("PutBucketAcl bucket {BUCKET} ACL"),
        format!("PutPublicAccessBlock bucket {BUCKET} block public access"),
        format!("PutPublicAccessBlock account {ACCOUNT} S3 block public access"),
        format!("ModifyDBInstance DB instance {DATABASE}"),
        format!("ModifyDBSnapshotAttribute DB snapshot {DB_SNAPSHOT}"),
    ] {
        assert!(
            outcomes.contains(&(step.clone(), "ok".into())),
            "{step}: {outcomes:#?}"
        );
    }
    let closed = read_state(&seed).await;
    let policy = closed
        .policy
        .clone()
        .expect("the partner's statements stay");
    let kept: Vec<&Value> = policy["Statement"]
        .as_array()
        .expect("list")
        .iter()
        .collect();
    assert_eq!(
        kept,
        [
            &statement(
                "partner",
                json!({"AWS": format!("arn:aws:iam::{PARTNER}:root")})
            ),
            &statement("backdoor", json!({"AWS": PARTNER})),
        ],
        "the open statement goes, the backdoor is narrowed to the partner"
    );
    assert!(
        closed
            .grants
            .iter()
            .all(|(who, _)| who != ALL_USERS && who != STRANGER_CANONICAL),
        "{:?}",
        closed.grants
    );
    assert_eq!(closed.grants.len(), 1, "the owner keeps its grant");
    assert_eq!(closed.bucket_block, Some((true, true, true, true)));
    assert_eq!(closed.account_block, Some((true, true, true, true)));
    assert!(!closed.database_public);
    assert_eq!(closed.restore, BTreeSet::from([PARTNER.to_string()]));

    // Named again, everything is already done.
    let rerun = run_json(
        &bed,
        &responder,
        &[
            "--baseline",
            baseline_arg,
            "act",
            "revert-sharing",
            &format!("us-east-1/s3://{BUCKET}"),
            &format!("us-east-1/db:{DATABASE}"),
            &format!("us-east-1/db-snapshot:{DB_SNAPSHOT}"),
            "--execute",
        ],
    );
    assert!(all_have_status(&rerun, "skipped"), "{rerun:#}");

    let action = reverted["plan"]["action_id"].as_str().expect("action id");
    let undone = run_json(&bed, &responder, &["undo", action, "--execute"]);
    assert!(all_have_status(&undone, "ok"), "{undone:#}");
    assert_eq!(
        read_state(&seed).await,
        attacked,
        "undo puts back exactly what the revert changed"
    );
}

/// A bucket policy's statements as JSON values, `None` without a policy.
async fn policy_of(seed: &Seeder, bucket: &str) -> Option<Value> {
    seed.s3("us-east-1")
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|out| out.policy().map(str::to_string))
        .map(|text| serde_json::from_str(&text).expect("policy is JSON"))
}

async fn versioning_of(seed: &Seeder, bucket: &str) -> Option<String> {
    seed.s3("us-east-1")
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .expect("versioning")
        .status()
        .map(|s| s.as_str().to_string())
}

async fn deletion_protection(seed: &Seeder, id: &str) -> bool {
    seed.rds("us-east-1")
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .expect("instance")
        .db_instances()[0]
        .deletion_protection()
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protect_data_denies_deleting_to_others_turns_versioning_and_protection_on_and_undo_takes_them_back()
 {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    seed.bucket("vault").await;
    seed.objects("us-east-1", "vault", 3).await;
    put_policy_on(
        &seed,
        "vault",
        vec![statement(
            "partner",
            json!({"AWS": format!("arn:aws:iam::{PARTNER}:root")}),
        )],
    )
    .await;
    seed.db_instance("us-east-1", DATABASE, false).await;
    let before = policy_of(&seed, "vault").await;
    assert_eq!(versioning_of(&seed, "vault").await, None);

    let protected = run_json(
        &bed,
        &responder,
        &[
            "--regions",
            "us-east-1",
            "act",
            "protect-data",
            "us-east-1/s3://vault",
            &format!("us-east-1/db:{DATABASE}"),
            "--execute",
        ],
    );
    assert!(all_have_status(&protected, "ok"), "{protected:#}");
    let policy = policy_of(&seed, "vault").await.expect("a policy");
    let statements = policy["Statement"].as_array().expect("list");
    assert_eq!(statements.len(), 2, "{policy:#}");
    assert_eq!(
        statements[0],
        before.as_ref().expect("before")["Statement"][0]
    );
    let deny = &statements[1];
    assert_eq!(deny["Sid"], "FirebreakProtectData");
    // moto applies a bucket policy's Deny to every caller and evaluates no condition: who it
    // spares is judged from the statement read back, the way IAM matches `ArnNotLike`.
    let responder_arn = format!("arn:aws:iam::{ACCOUNT}:user/responder");
    assert!(firebreak_core::policy::statements::deny_spares(
        deny,
        &responder_arn
    ));
    for other in [
        format!("arn:aws:iam::{ACCOUNT}:user/mallory"),
        format!("arn:aws:iam::{STRANGER}:root"),
    ] {
        assert!(
            !firebreak_core::policy::statements::deny_spares(deny, &other),
            "{other}"
        );
    }
    let refused = seed
        .s3("us-east-1")
        .delete_object()
        .bucket("vault")
        .key("data/0000.csv")
        .send()
        .await;
    assert!(
        refused.is_err(),
        "another caller cannot delete: {refused:?}"
    );
    assert_eq!(
        versioning_of(&seed, "vault").await.as_deref(),
        Some("Enabled")
    );
    assert!(deletion_protection(&seed, DATABASE).await);
    let kept = seed
        .rds("us-east-1")
        .delete_db_instance()
        .db_instance_identifier(DATABASE)
        .skip_final_snapshot(true)
        .send()
        .await;
    assert!(kept.is_err(), "the database cannot be deleted: {kept:?}");

    let action = protected["plan"]["action_id"].as_str().expect("action id");
    let undone = run_json(&bed, &responder, &["undo", action, "--execute"]);
    assert!(all_have_status(&undone, "ok"), "{undone:#}");
    assert_eq!(
        policy_of(&seed, "vault").await,
        before,
        "the policy as it was"
    );
    // Versioning can only be suspended, never returned to "never enabled": the plan said so.
    assert_eq!(
        versioning_of(&seed, "vault").await.as_deref(),
        Some("Suspended")
    );
    assert!(!deletion_protection(&seed, DATABASE).await);
    seed.s3("us-east-1")
        .delete_object()
        .bucket("vault")
        .key("data/0000.csv")
        .send()
        .await
        .expect("deleting works again once the deny is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeze_puts_the_protect_data_deny_on_the_buckets_the_baseline_marks_as_backups() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    seed.bucket("nightly-backups").await;
    seed.bucket("media").await;
    let (baseline, _) = capture_quiet(&bed, &["holds = \"backups\""]);
    let baseline_arg = baseline.to_str().expect("utf-8 path");
    let planned = run_json(
        &bed,
        &responder,
        &[
            "--baseline",
            baseline_arg,
            "--regions",
            "us-east-1",
            "act",
            "freeze",
            "--confirm",
            ACCOUNT,
        ],
    );
    let buckets: Vec<&str> = planned["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["api"] == "PutBucketPolicy")
        .map(|s| s["target"].as_str().expect("target"))
        .collect();
    assert_eq!(buckets, ["bucket nightly-backups policy"]);
}
