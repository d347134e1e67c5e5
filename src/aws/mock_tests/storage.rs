//! S3 reads moto cannot show: an object under a customer-supplied key (S3 answers HeadObject
//! without the key with a bare 400; moto ignores SSE-C), a policy that is not JSON (S3
//! refuses to store one; a bucket read through a proxy or a future format might hold one), and
//! a bucket deleted between its listing and its reads.

use aws_sdk_s3::Client as S3;
use aws_sdk_s3::error::ErrorMetadata;
use aws_sdk_s3::operation::get_bucket_acl::GetBucketAclOutput;
use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput;
use aws_sdk_s3::operation::get_bucket_versioning::{
    GetBucketVersioningError, GetBucketVersioningOutput,
};
use aws_sdk_s3::operation::list_buckets::ListBucketsOutput;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use aws_smithy_mocks::{Rule, mock};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;

use super::context;
use firebreak_core::model::finding::ResourceType;
use firebreak_core::model::storage::ObjectEncryption;
use firebreak_core::scan::CensusBound;

const BOUND: CensusBound = CensusBound {
    objects: 10,
    sampled: 2,
};

fn listed(names: &'static [&'static str]) -> Rule {
    mock!(S3::list_buckets).then_output(move || {
        ListBucketsOutput::builder()
            .set_buckets(Some(
                names
                    .iter()
                    .map(|n| aws_sdk_s3::types::Bucket::builder().name(*n).build())
                    .collect(),
            ))
            .build()
    })
}

/// A 404 with S3's code for "this bucket has no such configuration".
fn absent(code: &'static str) -> impl Fn() -> Response + Send + Sync + 'static {
    move || {
        Response::new(
            StatusCode::try_from(404).expect("status"),
            SdkBody::from(format!(
                "<Error><Code>{code}</Code><Message>none</Message></Error>"
            )),
        )
    }
}

/// Every bucket read answered as for a private bucket with no configuration of its own.
fn plain_bucket() -> Vec<Rule> {
    vec![
        mock!(S3::get_bucket_policy).then_http_response(absent("NoSuchBucketPolicy")),
        mock!(S3::get_bucket_acl).then_output(|| GetBucketAclOutput::builder().build()),
        mock!(S3::get_public_access_block)
            .then_http_response(absent("NoSuchPublicAccessBlockConfiguration")),
        mock!(S3::get_bucket_versioning)
            .then_output(|| GetBucketVersioningOutput::builder().build()),
        mock!(S3::get_object_lock_configuration)
            .then_http_response(absent("ObjectLockConfigurationNotFoundError")),
        mock!(S3::get_bucket_replication)
            .then_http_response(absent("ReplicationConfigurationNotFoundError")),
        mock!(S3::get_bucket_lifecycle_configuration)
            .then_http_response(absent("NoSuchLifecycleConfiguration")),
        mock!(S3::get_bucket_encryption)
            .then_http_response(absent("ServerSideEncryptionConfigurationNotFoundError")),
    ]
}

fn objects(keys: &'static [&'static str]) -> Rule {
    mock!(S3::list_objects_v2).then_output(move || {
        ListObjectsV2Output::builder()
            .set_contents(Some(
                keys.iter()
                    .map(|k| {
                        aws_sdk_s3::types::Object::builder()
                            .key(*k)
                            .size(10)
                            .build()
                    })
                    .collect(),
            ))
            .is_truncated(false)
            .build()
    })
}

#[tokio::test]
async fn an_object_s3_will_not_describe_without_its_key_is_under_a_customer_key() {
    let buckets = listed(&["vault"]);
    let plain = plain_bucket();
    let listing = objects(&["a.db", "b.db"]);
    // Without the customer key S3 answers HeadObject with a bare 400, for either object.
    let head = mock!(S3::head_object).then_http_response(|| {
        Response::new(StatusCode::try_from(400).expect("status"), SdkBody::empty())
    });
    let mut rules: Vec<&Rule> = plain.iter().collect();
    rules.extend([&buckets, &listing, &head]);
    let ctx = context(&rules);
    let (found, problems) = crate::aws::s3::buckets(&ctx, "eu-west-1", 2, BOUND)
        .await
        .expect("listed");
    assert!(problems.is_empty(), "{problems:?}");
    let census = found[0].census.as_ref().expect("census");
    assert_eq!(census.listed, 2);
    assert_eq!(census.sampled.len(), 2);
    assert!(
        census
            .sampled
            .iter()
            .all(|s| s.encryption == Some(ObjectEncryption::CustomerKey)),
        "{census:?}"
    );
}

#[tokio::test]
async fn a_policy_that_cannot_be_parsed_keeps_the_bucket_and_names_the_call() {
    let buckets = listed(&["odd"]);
    let mut plain = plain_bucket();
    plain[0] = mock!(S3::get_bucket_policy)
        .then_output(|| GetBucketPolicyOutput::builder().policy("{not json").build());
    let listing = objects(&[]);
    let mut rules: Vec<&Rule> = plain.iter().collect();
    rules.extend([&buckets, &listing]);
    let ctx = context(&rules);
    let (found, problems) = crate::aws::s3::buckets(&ctx, "eu-west-1", 2, BOUND)
        .await
        .expect("listed");
    assert_eq!(found.len(), 1, "the bucket is kept");
    assert_eq!(found[0].policy, None);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, "UnreadablePolicy");
    assert_eq!(problems[0].operation, "GetBucketPolicy");
    let subject = problems[0].subject.as_ref().expect("about the bucket");
    assert_eq!(
        (subject.resource_type, subject.id.as_str()),
        (ResourceType::Bucket, "odd")
    );
}

#[tokio::test]
async fn a_bucket_deleted_after_the_listing_is_left_out_and_a_denied_read_kept() {
    let buckets = listed(&["gone", "guarded"]);
    let mut plain = plain_bucket();
    // "gone" is deleted as it is read; "guarded" refuses its versioning to this caller.
    plain[3] = mock!(S3::get_bucket_versioning)
        .match_requests(|input| input.bucket() == Some("gone"))
        .then_error(|| {
            GetBucketVersioningError::generic(ErrorMetadata::builder().code("NoSuchBucket").build())
        });
    let denied = mock!(S3::get_bucket_versioning)
        .match_requests(|input| input.bucket() == Some("guarded"))
        .then_error(|| {
            GetBucketVersioningError::generic(ErrorMetadata::builder().code("AccessDenied").build())
        });
    let listing = objects(&[]);
    let mut rules: Vec<&Rule> = plain.iter().collect();
    rules.extend([&buckets, &listing, &denied]);
    let ctx = context(&rules);
    let (found, problems) = crate::aws::s3::buckets(&ctx, "eu-west-1", 2, BOUND)
        .await
        .expect("listed");
    let names: Vec<&str> = found.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, vec!["guarded"]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        (problems[0].operation.as_str(), problems[0].code.as_str()),
        ("GetBucketVersioning", "AccessDenied")
    );
}
