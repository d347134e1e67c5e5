//! A game day's buckets: made tagged with the run and filled with a few objects, opened to a
//! party by a policy statement, wiped with a ransom note left, deleted — and found again by
//! their tag to be removed whole (policy, every object version, the bucket).

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging,
};

use super::{GAMEDAY_TAG, Sandbox, ShareWith};
use crate::aws::context::AwsContext;
use crate::aws::error::AwsError;
use crate::aws::s3_state::{policy_document, s3_site};
use firebreak_core::policy::statements::edit_statements;

/// The key of the note a wipe leaves.
pub const RANSOM_NOTE: &str = "README-RECOVER-YOUR-FILES.txt";

/// Creates `name` in `region`, tagged with the run, holding `objects` small objects.
pub async fn create_bucket(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    name: &str,
    objects: u32,
    run_id: &str,
) -> Result<(), AwsError> {
    let s3 = ctx.for_changes().s3(region);
    let mut create = s3.create_bucket().bucket(name);
    // us-east-1 takes no location constraint.
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    s3_site("CreateBucket", region).run(create.send()).await?;
    let tag = Tag::builder()
        .key(GAMEDAY_TAG)
        .value(run_id)
        .build()
        .map_err(|e| built("PutBucketTagging", region, &e))?;
    let tagging = Tagging::builder()
        .tag_set(tag)
        .build()
        .map_err(|e| built("PutBucketTagging", region, &e))?;
    s3_site("PutBucketTagging", region)
        .run(s3.put_bucket_tagging().bucket(name).tagging(tagging).send())
        .await?;
    for n in 0..objects {
        s3_site("PutObject", region)
            .run(
                s3.put_object()
                    .bucket(name)
                    .key(format!("data/{n:04}.csv"))
                    .body(ByteStream::from(
                        format!("id,amount\n{n},{}\n", n * 7).into_bytes(),
                    ))
                    .send(),
            )
            .await?;
    }
    Ok(())
}

/// Opens `bucket` to `with`: a statement letting it read every object, added to the policy
/// the bucket has (for the public, after taking the bucket's Block Public Access off).
pub async fn share_bucket(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    bucket: &str,
    with: &ShareWith,
) -> Result<(), AwsError> {
    let (sid, principal) = match with {
        ShareWith::Public => ("ReadByAnyone", serde_json::json!("*")),
        ShareWith::Account(account) => (
            "ReadByPartnerSync",
            serde_json::json!({
                "AWS": format!("arn:{}:iam::{account}:root", ctx.partition())
            }),
        ),
    };
    let statement = serde_json::json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": format!("arn:{}:s3:::{bucket}/*", ctx.partition())
    });
    let s3 = ctx.for_changes().s3(region);
    if *with == ShareWith::Public {
        // As an attacker must on AWS, where new buckets block public policies.
        s3_site("DeletePublicAccessBlock", region)
            .optional(
                "NoSuchPublicAccessBlockConfiguration",
                s3.delete_public_access_block().bucket(bucket).send(),
            )
            .await?;
    }
    let now = policy_document(&s3, region, bucket).await?;
    let document = edit_statements(now.as_deref(), &[], &[statement])
        .map_err(|e| AwsError {
            code: "UnreadablePolicy".into(),
            message: format!("bucket {bucket}: {e}"),
            ..s3_site("GetBucketPolicy", region).local_error()
        })?
        .unwrap_or_default();
    s3_site("PutBucketPolicy", region)
        .run(
            s3.put_bucket_policy()
                .bucket(bucket)
                .policy(document)
                .send(),
        )
        .await?;
    Ok(())
}

/// Deletes every object of `bucket` and leaves a ransom note; returns how many were deleted.
pub async fn wipe_bucket(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    bucket: &str,
) -> Result<usize, AwsError> {
    let s3 = ctx.for_changes().s3(region);
    let deleted = delete_objects(&s3, region, bucket, false).await?;
    s3_site("PutObject", region)
        .run(
            s3.put_object()
                .bucket(bucket)
                .key(RANSOM_NOTE)
                .body(ByteStream::from_static(
                    b"Your files are encrypted. To recover them, pay 2 BTC. (game day drill)\n",
                ))
                .send(),
        )
        .await?;
    Ok(deleted)
}

/// Deletes `bucket` whole: its policy (a deny on deleting would stop the rest), every object
/// version and delete marker, then the bucket.
pub async fn delete_bucket(
    ctx: &AwsContext,
    _pass: &Sandbox,
    region: &str,
    bucket: &str,
) -> Result<(), AwsError> {
    let s3 = ctx.for_changes().s3(region);
    s3_site("DeleteBucketPolicy", region)
        .optional(
            "NoSuchBucketPolicy",
            s3.delete_bucket_policy().bucket(bucket).send(),
        )
        .await?;
    delete_objects(&s3, region, bucket, true).await?;
    s3_site("DeleteBucket", region)
        .run(s3.delete_bucket().bucket(bucket).send())
        .await?;
    Ok(())
}

/// Deletes the objects of `bucket` (with `versions`, every version and delete marker, which a
/// bucket must lose before it can go); returns how many were deleted.
async fn delete_objects(
    s3: &aws_sdk_s3::Client,
    region: &str,
    bucket: &str,
    versions: bool,
) -> Result<usize, AwsError> {
    let mut identifiers = Vec::new();
    if versions {
        let listed = s3_site("ListObjectVersions", region)
            .run(s3.list_object_versions().bucket(bucket).send())
            .await?;
        let keyed = listed
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                listed
                    .delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            );
        for (key, version) in keyed {
            if let Some(key) = key {
                identifiers.push(
                    identifier(key, version).map_err(|e| built("DeleteObjects", region, &e))?,
                );
            }
        }
    } else {
        let listed = s3_site("ListObjectsV2", region)
            .run(s3.list_objects_v2().bucket(bucket).send())
            .await?;
        for object in listed.contents() {
            if let Some(key) = object.key() {
                identifiers
                    .push(identifier(key, None).map_err(|e| built("DeleteObjects", region, &e))?);
            }
        }
    }
    let count = identifiers.len();
    // One DeleteObjects call takes 1,000 keys.
    for chunk in identifiers.chunks(1000) {
        let delete = Delete::builder()
            .set_objects(Some(chunk.to_vec()))
            .build()
            .map_err(|e| built("DeleteObjects", region, &e))?;
        s3_site("DeleteObjects", region)
            .run(s3.delete_objects().bucket(bucket).delete(delete).send())
            .await?;
    }
    Ok(count)
}

/// One object (or one version of it) to delete.
fn identifier(
    key: &str,
    version: Option<&str>,
) -> Result<ObjectIdentifier, aws_sdk_s3::error::BuildError> {
    ObjectIdentifier::builder()
        .key(key)
        .set_version_id(version.map(str::to_string))
        .build()
}

/// The buckets homed in `region` tagged with `run_id`.
pub async fn tagged_buckets(
    ctx: &AwsContext,
    region: &str,
    run_id: &str,
) -> Result<Vec<String>, AwsError> {
    let s3 = ctx.s3(region);
    let listed = s3_site("ListBuckets", region)
        .run(s3.list_buckets().bucket_region(region).send())
        .await?;
    let mut found = Vec::new();
    for bucket in listed.buckets() {
        let Some(name) = bucket.name() else { continue };
        let tags = s3_site("GetBucketTagging", region)
            .optional("NoSuchTagSet", s3.get_bucket_tagging().bucket(name).send())
            .await?;
        let tagged = tags.is_some_and(|t| {
            t.tag_set()
                .iter()
                .any(|tag| tag.key() == GAMEDAY_TAG && tag.value() == run_id)
        });
        if tagged {
            found.push(name.to_string());
        }
    }
    Ok(found)
}

/// A request the SDK's builder refused (a required field missing): a local error at the call.
fn built(operation: &str, region: &str, error: &dyn std::error::Error) -> AwsError {
    AwsError {
        code: "InvalidRequest".into(),
        message: error.to_string(),
        ..s3_site(operation, region).local_error()
    }
}
