//! Data stores, end to end: a peacetime estate of buckets (data, backups under Object Lock, a
//! trail's logs with their retention, a partner's exchange replicating to the partner, media)
//! and the account's Block Public Access is captured; then the leak and the wipe are planted
//! with the SDK — public, backdoored, unblocked, versioning suspended, logs expiring,
//! replication out, a backup bucket emptied with a note, objects under another account's key,
//! a bucket deleted — and `scan` must report each with its kind and severity, and `baseline
//! accept` must take each back.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, Destination, ExpirationStatus,
    LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, PublicAccessBlockConfiguration,
    ReplicationConfiguration, ReplicationRule, ReplicationRuleStatus, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};

use firebreak_core::model::finding::{FindingKind, Severity};

use crate::findings::{accept_each, by_id, capture_quiet, expected, facts_of, scan_with_baseline};
use crate::support::seed::Seeder;
use crate::support::{ACCOUNT, TestBed};

const PARTNER: &str = "210987654321";
const STRANGER: &str = "999988887777";

fn all_on() -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build()
}

async fn versioning(seed: &Seeder, region: &str, bucket: &str, status: BucketVersioningStatus) {
    seed.s3(region)
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .expect("versioning");
}

async fn policy(seed: &Seeder, bucket: &str, principals: &str) {
    let document = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principals},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    seed.s3("us-east-1")
        .put_bucket_policy()
        .bucket(bucket)
        .policy(document)
        .send()
        .await
        .expect("bucket policy");
}

async fn replicate_to(seed: &Seeder, bucket: &str, account: &str) {
    seed.s3("us-east-1")
        .put_bucket_replication()
        .bucket(bucket)
        .replication_configuration(
            ReplicationConfiguration::builder()
                .role(format!("arn:aws:iam::{ACCOUNT}:role/replication"))
                .rules(
                    ReplicationRule::builder()
                        .id("copy")
                        .status(ReplicationRuleStatus::Enabled)
                        .filter(
                            aws_sdk_s3::types::ReplicationRuleFilter::builder()
                                .prefix("")
                                .build(),
                        )
                        .destination(
                            Destination::builder()
                                .bucket(format!("arn:aws:s3:::copy-in-{account}"))
                                .account(account)
                                .build()
                                .expect("destination"),
                        )
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("replication"),
        )
        .send()
        .await
        .expect("put replication");
}

async fn expire(seed: &Seeder, bucket: &str, id: &str, days: i32) {
    seed.s3("us-east-1")
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(
                    LifecycleRule::builder()
                        .id(id)
                        .status(ExpirationStatus::Enabled)
                        .filter(LifecycleRuleFilter::builder().prefix("").build())
                        .expiration(LifecycleExpiration::builder().days(days).build())
                        .build()
                        .expect("rule"),
                )
                .build()
                .expect("lifecycle"),
        )
        .send()
        .await
        .expect("put lifecycle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_leak_and_wipe_of_a_bucket_is_a_finding_and_can_be_accepted() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let us = seed.s3("us-east-1");

    // Peacetime.
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
    seed.bucket("app-data").await;
    versioning(
        &seed,
        "us-east-1",
        "app-data",
        BucketVersioningStatus::Enabled,
    )
    .await;
    us.put_public_access_block()
        .bucket("app-data")
        .public_access_block_configuration(all_on())
        .send()
        .await
        .expect("bucket block");
    seed.objects("us-east-1", "app-data", 12).await;
    seed.s3("eu-west-1")
        .create_bucket()
        .bucket("db-backups")
        .object_lock_enabled_for_bucket(true)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint("eu-west-1".into())
                .build(),
        )
        .send()
        .await
        .expect("backups bucket");
    seed.objects("eu-west-1", "db-backups", 6).await;
    seed.trail("us-east-1", "org-trail", true).await;
    expire(&seed, "org-trail-logs", "retention", 400).await;
    seed.bucket("partner-exchange").await;
    versioning(
        &seed,
        "us-east-1",
        "partner-exchange",
        BucketVersioningStatus::Enabled,
    )
    .await;
    policy(
        &seed,
        "partner-exchange",
        &format!(r#"{{"AWS":"arn:aws:iam::{PARTNER}:root"}}"#),
    )
    .await;
    replicate_to(&seed, "partner-exchange", PARTNER).await;
    seed.bucket("media").await;
    seed.objects("us-east-1", "media", 2).await;
    seed.bucket("old-exports").await;

    let (baseline, quiet) = capture_quiet(
        &bed,
        &[
            "[resources.buckets.us-east-1.app-data]",
            "[resources.buckets.eu-west-1.db-backups]",
            "holds = \"backups\"",
            "holds = \"logs\"",
            "retention: current objects after 400 day(s)",
            "account_public_access_block = true",
            PARTNER,
        ],
    );
    let buckets: BTreeMap<&str, (&str, Option<usize>)> = quiet
        .inventory
        .buckets
        .iter()
        .map(|b| {
            (
                b.name.as_str(),
                (b.region.as_str(), b.census.as_ref().map(|c| c.listed)),
            )
        })
        .collect();
    assert_eq!(buckets["app-data"], ("us-east-1", Some(12)));
    assert_eq!(buckets["db-backups"], ("eu-west-1", Some(6)));
    assert_eq!(buckets.len(), 6, "{buckets:#?}");

    // The intruder. The account's block off, app-data's block off and its policy public, its
    // versioning suspended.
    seed.s3control()
        .delete_public_access_block()
        .account_id(ACCOUNT)
        .send()
        .await
        .expect("account block off");
    us.delete_public_access_block()
        .bucket("app-data")
        .send()
        .await
        .expect("bucket block off");
    policy(&seed, "app-data", r#""*""#).await;
    versioning(
        &seed,
        "us-east-1",
        "app-data",
        BucketVersioningStatus::Suspended,
    )
    .await;
    // The partner's bucket backdoored to a stranger and replicating to it.
    policy(
        &seed,
        "partner-exchange",
        &format!(r#"{{"AWS":["arn:aws:iam::{PARTNER}:root","arn:aws:iam::{STRANGER}:root"]}}"#),
    )
    .await;
    replicate_to(&seed, "partner-exchange", STRANGER).await;
    // The trail's logs set to expire after a day.
    expire(&seed, "org-trail-logs", "cleanup", 1).await;
    // The backups emptied, a note left.
    let eu = seed.s3("eu-west-1");
    for n in 0..6 {
        eu.delete_object()
            .bucket("db-backups")
            .key(format!("data/{n:04}.csv"))
            .send()
            .await
            .expect("delete backup object");
    }
    eu.put_object()
        .bucket("db-backups")
        .key("README_TO_RESTORE_YOUR_DATA.txt")
        .body(ByteStream::from_static(b"send 2 BTC to ..."))
        .send()
        .await
        .expect("note");
    // Media re-encrypted under a stranger's key, and new objects too.
    let theirs = format!("arn:aws:kms:us-east-1:{STRANGER}:key/ransom");
    us.put_object()
        .bucket("media")
        .key("data/0000.csv")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(&theirs)
        .body(ByteStream::from_static(b"ciphertext"))
        .send()
        .await
        .expect("re-encrypt");
    us.put_bucket_encryption()
        .bucket("media")
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::AwsKms)
                                .kms_master_key_id(&theirs)
                                .build()
                                .expect("default"),
                        )
                        .build(),
                )
                .build()
                .expect("encryption"),
        )
        .send()
        .await
        .expect("default encryption");
    // An export deleted.
    us.delete_bucket()
        .bucket("old-exports")
        .send()
        .await
        .expect("delete bucket");

    let report = scan_with_baseline(&bed, &baseline, &[]);
    let found = by_id(&report);
    let wanted = expected([
        (
            "public_bucket:us-east-1:app-data",
            (FindingKind::PublicBucket, Severity::Critical),
        ),
        (
            "public_access_block_off:us-east-1:app-data",
            (FindingKind::PublicAccessBlockOff, Severity::High),
        ),
        (
            &*format!("public_access_block_off:global:{ACCOUNT}"),
            (FindingKind::PublicAccessBlockOff, Severity::High),
        ),
        (
            "bucket_protection_weakened:us-east-1:app-data",
            (FindingKind::BucketProtectionWeakened, Severity::High),
        ),
        (
            "shared_bucket:us-east-1:partner-exchange",
            (FindingKind::SharedBucket, Severity::High),
        ),
        (
            "replication_out:us-east-1:partner-exchange",
            (FindingKind::ReplicationOut, Severity::High),
        ),
        (
            "data_expiry:us-east-1:org-trail-logs",
            (FindingKind::DataExpiry, Severity::High),
        ),
        (
            "ransom_signs:eu-west-1:db-backups",
            (FindingKind::RansomSigns, Severity::Critical),
        ),
        (
            "ransom_signs:us-east-1:media",
            (FindingKind::RansomSigns, Severity::Critical),
        ),
        (
            "deleted_resource:us-east-1:old-exports",
            (FindingKind::DeletedResource, Severity::Critical),
        ),
    ]);
    assert_eq!(found, wanted);
    let facts = |id: &str| facts_of(&report, id);
    assert_eq!(
        facts("ransom_signs:eu-west-1:db-backups"),
        "objects-gone,note"
    );
    assert_eq!(
        facts("ransom_signs:us-east-1:media"),
        "foreign-key,foreign-default-key"
    );
    assert_eq!(facts("shared_bucket:us-east-1:partner-exchange"), STRANGER);
    assert_eq!(
        facts("data_expiry:us-east-1:org-trail-logs"),
        "cleanup: current objects after 1 day(s)"
    );

    // Accepting each finding takes exactly it away; trusting the stranger (the shared bucket
    // accepted) also accepts replication to it. At the end nothing is left.
    accept_each(&bed, &baseline, &report, |id| {
        if id == "shared_bucket:us-east-1:partner-exchange" {
            vec!["replication_out:us-east-1:partner-exchange".to_string()]
        } else {
            Vec::new()
        }
    });
}
