//! S3 inventory for one region: the buckets homed there (ListBuckets filtered to the region,
//! asked of that region's endpoint, as AWS requires), each read whole — policy and AWS's verdict
//! on it, ACL, Block Public Access, versioning, Object Lock, replication, lifecycle, default
//! encryption — and a bounded census of its objects. A detail that cannot be read leaves the
//! bucket listed, the detail unknown and a problem naming the call; a bucket deleted since the
//! listing is left out.

use futures::{StreamExt, stream};

use aws_sdk_s3::types::{
    BucketVersioningStatus, ExpirationStatus, MfaDeleteStatus, ObjectLockEnabled,
    ServerSideEncryption,
};

use super::context::AwsContext;
use super::error::{AwsError, keep};
use super::s3_state;
use super::to_utc;
use firebreak_core::model::finding::ResourceType;
use firebreak_core::model::storage::{
    AclGrants, Bucket, BucketEncryption, Census, ObjectEncryption, ObjectSample, Replication,
    Versioning, may_be_note,
};
use firebreak_core::policy::parse_principals;
use firebreak_core::scan::CensusBound;

/// The most buckets one ListBuckets page may return.
const BUCKET_PAGE: i32 = 10_000;

use super::s3_state::s3_site as site;

/// The buckets homed in `region`, each read whole; `Err` when the listing itself failed.
pub async fn buckets(
    ctx: &AwsContext,
    region: &str,
    concurrency: usize,
    census: CensusBound,
) -> Result<(Vec<Bucket>, Vec<AwsError>), AwsError> {
    let client = ctx.s3(region);
    let listed: Vec<_> = client
        .list_buckets()
        .bucket_region(region)
        .max_buckets(BUCKET_PAGE)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| site("ListBuckets", region).error(e))?;
    let read: Vec<Option<(Bucket, Vec<AwsError>)>> = stream::iter(listed)
        .filter_map(|listed| async move {
            Some((
                listed.name()?.to_string(),
                listed.creation_date().map(to_utc),
            ))
        })
        .map(|(name, created)| {
            let client = &client;
            async move { read_bucket(client, region, name, created, census).await }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    Ok(read
        .into_iter()
        .flatten()
        .fold((Vec::new(), Vec::new()), keep))
}

/// The details of one bucket as they are read: what failed is kept as a problem about it.
struct Detail<'a> {
    bucket: &'a str,
    problems: &'a mut Vec<AwsError>,
}

impl Detail<'_> {
    /// The value read, `Some(None)` when it failed (a problem), `None` when the bucket is gone
    /// (deleted since the listing).
    fn kept<T>(&mut self, result: Result<T, AwsError>) -> Option<Option<T>> {
        match result {
            Ok(value) => Some(Some(value)),
            Err(error) if error.code == "NoSuchBucket" => None,
            Err(error) => {
                self.problems
                    .push(error.about(ResourceType::Bucket, self.bucket));
                Some(None)
            }
        }
    }
}

/// One bucket's every setting and its census, read at once; `None` when it is gone.
async fn read_bucket(
    client: &aws_sdk_s3::Client,
    region: &str,
    name: String,
    created: Option<chrono::DateTime<chrono::Utc>>,
    bound: CensusBound,
) -> Option<(Bucket, Vec<AwsError>)> {
    let bucket = name.as_str();
    let (policy, acl, block, versioning, lock, replication, lifecycle, encryption, census) = tokio::join!(
        policy(client, region, bucket),
        s3_state::acl(client, region, bucket),
        s3_state::bucket_block(client, region, bucket),
        site("GetBucketVersioning", region)
            .run(client.get_bucket_versioning().bucket(bucket).send()),
        site("GetObjectLockConfiguration", region).optional(
            "ObjectLockConfigurationNotFoundError",
            client.get_object_lock_configuration().bucket(bucket).send()
        ),
        site("GetBucketReplication", region).optional(
            "ReplicationConfigurationNotFoundError",
            client.get_bucket_replication().bucket(bucket).send()
        ),
        site("GetBucketLifecycleConfiguration", region).optional(
            "NoSuchLifecycleConfiguration",
            client
                .get_bucket_lifecycle_configuration()
                .bucket(bucket)
                .send()
        ),
        site("GetBucketEncryption", region).optional(
            "ServerSideEncryptionConfigurationNotFoundError",
            client.get_bucket_encryption().bucket(bucket).send()
        ),
        census(client, region, bucket, bound),
    );
    let mut problems = Vec::new();
    let mut read = Detail {
        bucket,
        problems: &mut problems,
    };
    let policy = read.kept(policy)?;
    let acl = read.kept(acl)?;
    let block = read.kept(block)?;
    let versioning = read.kept(versioning)?;
    let lock = read.kept(lock)?;
    let replication = read.kept(replication)?;
    let lifecycle = read.kept(lifecycle)?;
    let encryption = read.kept(encryption)?;
    let census = read.kept(census)?;
    let (policy, policy_public) = match policy.flatten() {
        Some((principals, verdict)) => (Some(principals), verdict),
        None => (None, None),
    };
    Some((
        Bucket {
            region: region.to_string(),
            created,
            policy,
            policy_public,
            acl: acl
                .map(|a| AclGrants::of(&a.grants, a.owner.as_deref()))
                .unwrap_or_default(),
            block: block.flatten(),
            versioning: match versioning.as_ref().and_then(|v| v.status()) {
                Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
                Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
                _ => Versioning::Never,
            },
            mfa_delete: versioning.as_ref().and_then(|v| v.mfa_delete())
                == Some(&MfaDeleteStatus::Enabled),
            object_lock: lock
                .flatten()
                .and_then(|l| l.object_lock_configuration().cloned())
                .and_then(|c| c.object_lock_enabled().cloned())
                == Some(ObjectLockEnabled::Enabled),
            replication: replication
                .flatten()
                .and_then(|r| r.replication_configuration().cloned())
                .map(|c| {
                    c.rules()
                        .iter()
                        .filter_map(|rule| rule.destination())
                        .map(|d| Replication {
                            bucket: d.bucket().to_string(),
                            account: d.account().map(str::to_string),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            expiring_rules: lifecycle
                .flatten()
                .map(|l| l.rules().iter().filter_map(expiring_rule).collect())
                .unwrap_or_default(),
            encryption: encryption.flatten().and_then(|e| {
                let rule = e.server_side_encryption_configuration()?.rules().first()?;
                let default = rule.apply_server_side_encryption_by_default()?;
                Some(BucketEncryption {
                    algorithm: default.sse_algorithm().as_str().to_string(),
                    kms_key: default.kms_master_key_id().map(str::to_string),
                })
            }),
            census,
            name,
        },
        problems,
    ))
}

/// The bucket's policy as principals and AWS's verdict on it (GetBucketPolicyStatus, asked
/// only when there is a policy); `None` without a policy. A policy that cannot be parsed is an
/// error: never a silent "not public".
async fn policy(
    client: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
) -> Result<Option<(firebreak_core::model::Principals, Option<bool>)>, AwsError> {
    let Some(document) = s3_state::policy_document(client, region, bucket).await? else {
        return Ok(None);
    };
    let principals = parse_principals(&document).map_err(|e| AwsError {
        code: "UnreadablePolicy".to_string(),
        message: format!("bucket {bucket}: {e}"),
        ..site("GetBucketPolicy", region).local_error()
    })?;
    let verdict = site("GetBucketPolicyStatus", region)
        .optional(
            "NoSuchBucketPolicy",
            client.get_bucket_policy_status().bucket(bucket).send(),
        )
        .await?
        .and_then(|s| s.policy_status().and_then(|p| p.is_public()));
    Ok(Some((principals, verdict)))
}

/// A lifecycle rule that deletes objects, described (`id: current objects after N days`);
/// `None` for a disabled rule or one that deletes nothing.
fn expiring_rule(rule: &aws_sdk_s3::types::LifecycleRule) -> Option<String> {
    if rule.status() != &ExpirationStatus::Enabled {
        return None;
    }
    let mut deletes = Vec::new();
    if let Some(expiration) = rule.expiration() {
        if let Some(days) = expiration.days() {
            deletes.push(format!("current objects after {days} day(s)"));
        } else if let Some(date) = expiration.date() {
            deletes.push(format!(
                "current objects from {}",
                to_utc(date).format("%Y-%m-%d")
            ));
        }
    }
    if let Some(days) = rule
        .noncurrent_version_expiration()
        .and_then(|e| e.noncurrent_days())
    {
        deletes.push(format!("old versions after {days} day(s)"));
    }
    if deletes.is_empty() {
        return None;
    }
    Some(format!(
        "{}: {}",
        rule.id().unwrap_or("unnamed"),
        deletes.join(", ")
    ))
}

/// The first `bound.objects` objects (one listing request) and the first `bound.sampled` of
/// them read in detail: bounded in requests whatever the bucket holds.
async fn census(
    client: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
    bound: CensusBound,
) -> Result<Census, AwsError> {
    let page = site("ListObjectsV2", region)
        .run(
            client
                .list_objects_v2()
                .bucket(bucket)
                .max_keys(i32::try_from(bound.objects).unwrap_or(i32::MAX))
                .send(),
        )
        .await?;
    let listed: Vec<ObjectSample> = page
        .contents()
        .iter()
        .filter_map(|object| {
            Some(ObjectSample {
                key: object.key()?.to_string(),
                size: object.size().unwrap_or(0),
                modified: object.last_modified().map(to_utc),
                etag: object.e_tag().map(str::to_string),
                encryption: None,
            })
        })
        .collect();
    let sampled = futures::future::join_all(
        listed
            .iter()
            .take(bound.sampled)
            .map(|object| sample(client, region, bucket, object)),
    )
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?
    .into_iter()
    .flatten()
    .collect();
    Ok(Census {
        listed: listed.len(),
        more: page.is_truncated().unwrap_or(false),
        notes: listed
            .iter()
            .filter(|o| may_be_note(&o.key, o.size))
            .cloned()
            .collect(),
        sampled,
    })
}

/// `object` with its encryption read (HeadObject); `None` when it was deleted since the
/// listing. S3 refuses to describe an object encrypted with a customer-supplied key to a
/// caller who does not send that key: a bare 400 says so.
async fn sample(
    client: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
    object: &ObjectSample,
) -> Result<Option<ObjectSample>, AwsError> {
    let head = site("HeadObject", region)
        .run(client.head_object().bucket(bucket).key(&object.key).send())
        .await;
    let encryption = match head {
        Ok(head) if head.sse_customer_algorithm().is_some() => ObjectEncryption::CustomerKey,
        Ok(head) => match head.server_side_encryption() {
            Some(ServerSideEncryption::AwsKms | ServerSideEncryption::AwsKmsDsse) => {
                ObjectEncryption::Kms {
                    key: head.ssekms_key_id().map(str::to_string),
                }
            }
            _ => ObjectEncryption::S3,
        },
        Err(error) if error.http_status == Some(400) => ObjectEncryption::CustomerKey,
        Err(error) if error.http_status == Some(404) => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(Some(ObjectSample {
        encryption: Some(encryption),
        ..object.clone()
    }))
}
