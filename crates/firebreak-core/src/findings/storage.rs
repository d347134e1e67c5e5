//! Rules about data stores: buckets open to everyone or shared out, their protections turned
//! off, their contents set to expire, replicating away or held to ransom.

use super::*;
use crate::baseline::{BucketSettings, Holds};
use crate::model::storage::{Bucket, ObjectEncryption, Versioning};
use crate::policy::account_of_arn;

pub(super) fn storage_rules(ctx: &Context, out: &mut Builder) {
    account_block_rule(ctx, out);
    let log_buckets: BTreeSet<&str> = ctx
        .inventory
        .trails
        .iter()
        .filter_map(|t| t.bucket.as_deref())
        .collect();
    for bucket in &ctx.inventory.buckets {
        let settings = ctx
            .baseline
            .and_then(|b| b.bucket(&bucket.region, &bucket.name));
        let holds = settings.and_then(|s| s.holds).or_else(|| {
            log_buckets
                .contains(bucket.name.as_str())
                .then_some(Holds::Logs)
        });
        exposure_rule(ctx, out, bucket);
        shared_rule(ctx, out, bucket, settings);
        if let Some(settings) = settings {
            block_rule(out, bucket, settings);
            protection_rule(out, bucket, settings, holds);
        }
        if let Some(holds) = holds {
            expiry_rule(out, bucket, settings, holds);
        }
        replication_rule(ctx, out, bucket, holds);
        ransom_rule(ctx, out, bucket, settings);
    }
}

/// Adds a finding about `bucket`.
fn bucket_finding(
    out: &mut Builder,
    bucket: &Bucket,
    kind: FindingKind,
    severity: Severity,
    summary: String,
    details: Vec<String>,
    facts: String,
) {
    out.add(
        kind,
        severity,
        &bucket.region,
        ResourceType::Bucket,
        &bucket.name,
        None,
        summary,
        details,
        facts,
    );
}

/// The account's Block Public Access turned off where the baseline had it all on.
fn account_block_rule(ctx: &Context, out: &mut Builder) {
    let had_it = ctx
        .baseline
        .and_then(|b| b.resources.account_public_access_block)
        .unwrap_or(false);
    let Some(block) = ctx.inventory.account_block else {
        return;
    };
    let off = block.settings().off();
    if !had_it || off.is_empty() {
        return;
    }
    out.add(
        FindingKind::PublicAccessBlockOff,
        Severity::High,
        GLOBAL,
        ResourceType::Account,
        &ctx.account.id,
        None,
        format!(
            "the account's S3 Block Public Access is off ({}): every bucket's own settings are all that is left",
            off.join(", ")
        ),
        vec!["the baseline had all four settings on for the account".to_string()],
        off.join(","),
    );
}

/// A bucket whose policy or ACL lets everyone in: critical when nothing blocks it, lower when
/// Block Public Access holds it back (the bucket's own, one call away from off; or the
/// account's).
fn exposure_rule(ctx: &Context, out: &mut Builder, bucket: &Bucket) {
    if !bucket.is_public_configured() {
        return;
    }
    let account = ctx.inventory.account_block.as_ref();
    let in_force = bucket.effective_block(account);
    let by_account = account.map(|a| a.settings()).unwrap_or_default();
    let mut how = Vec::new();
    let mut open = false;
    let mut held_by_account = true;
    if bucket.policy_is_public() {
        how.push("policy".to_string());
        open |= !in_force.restrict_public_buckets;
        held_by_account &= by_account.restrict_public_buckets;
    }
    if !bucket.acl.public.is_empty() {
        how.extend(bucket.acl.public.iter().map(|g| format!("acl:{g}")));
        open |= !in_force.ignore_public_acls;
        held_by_account &= by_account.ignore_public_acls;
    }
    let (severity, state) = if open {
        (
            Severity::Critical,
            "can be read by anyone: Block Public Access does not stop it",
        )
    } else if held_by_account {
        (
            Severity::Medium,
            "is configured public; the account's Block Public Access holds it back",
        )
    } else {
        (
            Severity::High,
            "is configured public; only the bucket's own Block Public Access holds it back",
        )
    };
    bucket_finding(
        out,
        bucket,
        FindingKind::PublicBucket,
        severity,
        format!("bucket {} {state}", bucket.name),
        how.iter().map(|h| format!("public through {h}")).collect(),
        how.join(","),
    );
}

/// A bucket whose policy names an account the baseline does not trust, or whose ACL grants to
/// an account it did not grant to at capture.
fn shared_rule(
    ctx: &Context,
    out: &mut Builder,
    bucket: &Bucket,
    settings: Option<&BucketSettings>,
) {
    let mut untrusted = bucket
        .policy
        .as_ref()
        .map(|p| ctx.untrusted(&p.accounts))
        .unwrap_or_default();
    let granted: BTreeSet<String> = bucket
        .acl
        .accounts
        .iter()
        .filter(|grantee| !settings.is_some_and(|s| s.grantees.contains(*grantee)))
        .cloned()
        .collect();
    let mut details = Vec::new();
    if !untrusted.is_empty() {
        details.push(format!("policy allows account {}", join(&untrusted)));
    }
    if !granted.is_empty() {
        details.push(format!("ACL grants to canonical user {}", join(&granted)));
    }
    untrusted.extend(granted);
    if untrusted.is_empty() {
        return;
    }
    bucket_finding(
        out,
        bucket,
        FindingKind::SharedBucket,
        Severity::High,
        format!(
            "bucket {} is shared with untrusted {}",
            bucket.name,
            join(&untrusted)
        ),
        details,
        join(&untrusted),
    );
}

/// The bucket's own Block Public Access no longer all on where the baseline had it.
fn block_rule(out: &mut Builder, bucket: &Bucket, settings: &BucketSettings) {
    let off = bucket.block.unwrap_or_default().off();
    if !settings.blocked || off.is_empty() {
        return;
    }
    bucket_finding(
        out,
        bucket,
        FindingKind::PublicAccessBlockOff,
        Severity::High,
        format!(
            "bucket {}'s Block Public Access is off ({})",
            bucket.name,
            off.join(", ")
        ),
        vec!["the baseline had all four settings on for the bucket".to_string()],
        off.join(","),
    );
}

/// Versioning, MFA delete or Object Lock gone where the baseline had them: what keeps the data
/// recoverable after an overwrite or a delete.
fn protection_rule(
    out: &mut Builder,
    bucket: &Bucket,
    settings: &BucketSettings,
    holds: Option<Holds>,
) {
    let mut lost = Vec::new();
    if settings.versioning && bucket.versioning != Versioning::Enabled {
        lost.push("versioning");
    }
    if settings.mfa_delete && !bucket.mfa_delete {
        lost.push("mfa-delete");
    }
    if settings.object_lock && !bucket.object_lock {
        lost.push("object-lock");
    }
    if lost.is_empty() {
        return;
    }
    bucket_finding(
        out,
        bucket,
        FindingKind::BucketProtectionWeakened,
        weighed(holds),
        format!(
            "bucket {} lost {}: overwrites and deletes are final again",
            bucket.name,
            lost.join(", ")
        ),
        holds
            .map(|h| vec![format!("it holds {}", h.as_str())])
            .unwrap_or_default(),
        lost.join(","),
    );
}

/// High, or critical for a bucket that holds logs or backups.
fn weighed(holds: Option<Holds>) -> Severity {
    if holds.is_some() {
        Severity::Critical
    } else {
        Severity::High
    }
}

/// A lifecycle rule the baseline does not have that deletes objects of a bucket holding logs
/// or backups.
fn expiry_rule(
    out: &mut Builder,
    bucket: &Bucket,
    settings: Option<&BucketSettings>,
    holds: Holds,
) {
    let new: Vec<&String> = bucket
        .expiring_rules
        .iter()
        .filter(|rule| !settings.is_some_and(|s| s.expiring_rules.contains(*rule)))
        .collect();
    if new.is_empty() {
        return;
    }
    bucket_finding(
        out,
        bucket,
        FindingKind::DataExpiry,
        Severity::High,
        format!(
            "bucket {} holds {} and a lifecycle rule deletes them",
            bucket.name,
            holds.as_str()
        ),
        new.iter().map(|rule| format!("rule {rule}")).collect(),
        new.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(";"),
    );
}

/// Replication to an account the baseline does not trust: a copy of everything, going out.
fn replication_rule(ctx: &Context, out: &mut Builder, bucket: &Bucket, holds: Option<Holds>) {
    let untrusted = ctx.untrusted(bucket.replication.iter().filter_map(|r| r.account.as_ref()));
    if untrusted.is_empty() {
        return;
    }
    bucket_finding(
        out,
        bucket,
        FindingKind::ReplicationOut,
        weighed(holds),
        format!(
            "bucket {} replicates to untrusted account {}",
            bucket.name,
            join(&untrusted)
        ),
        bucket
            .replication
            .iter()
            .map(|r| format!("to {}", r.bucket))
            .collect(),
        join(&untrusted),
    );
}

/// Signs that a bucket is held to ransom: far fewer objects than at capture, a note left,
/// objects (or the default) encrypted with a key the account does not hold.
fn ransom_rule(
    ctx: &Context,
    out: &mut Builder,
    bucket: &Bucket,
    settings: Option<&BucketSettings>,
) {
    let Some(census) = &bucket.census else {
        return;
    };
    let mut signs = Vec::new();
    let mut details = Vec::new();
    if let Some(before) = settings.and_then(|s| s.objects)
        && !census.more
        && census.listed * 2 < before
    {
        signs.push("objects-gone");
        details.push(format!(
            "{} object(s) now, {before}{} at capture",
            census.listed,
            if settings.is_some_and(|s| s.more_objects) {
                " or more"
            } else {
                ""
            }
        ));
    }
    let since = ctx
        .baseline
        .and_then(|b| b.captured_at)
        .unwrap_or(ctx.now - ctx.windows.since);
    let notes: Vec<&str> = census
        .notes
        .iter()
        .filter(|n| n.modified.is_none_or(|t| t >= since))
        .map(|n| n.key.as_str())
        .collect();
    if !notes.is_empty() {
        signs.push("note");
        details.push(format!(
            "new small object(s) named like a note: {}",
            notes.join(", ")
        ));
    }
    let foreign = |key: &Option<String>| {
        key.as_deref()
            .and_then(account_of_arn)
            .is_some_and(|account| account != ctx.account.id)
    };
    let customer_keyed: Vec<&str> = census
        .sampled
        .iter()
        .filter(|s| s.encryption == Some(ObjectEncryption::CustomerKey))
        .map(|s| s.key.as_str())
        .collect();
    if !customer_keyed.is_empty() {
        signs.push("sse-c");
        details.push(format!(
            "encrypted with a customer-supplied key S3 does not hold (SSE-C): {}",
            customer_keyed.join(", ")
        ));
    }
    let foreign_keyed: Vec<&str> = census
        .sampled
        .iter()
        .filter(|s| matches!(&s.encryption, Some(ObjectEncryption::Kms { key }) if foreign(key)))
        .map(|s| s.key.as_str())
        .collect();
    if !foreign_keyed.is_empty() {
        signs.push("foreign-key");
        details.push(format!(
            "encrypted with another account's KMS key: {}",
            foreign_keyed.join(", ")
        ));
    }
    if let Some(encryption) = &bucket.encryption
        && foreign(&encryption.kms_key)
    {
        signs.push("foreign-default-key");
        details.push(format!(
            "new objects are encrypted with another account's KMS key {}",
            encryption.kms_key.as_deref().unwrap_or("?")
        ));
    }
    if signs.is_empty() {
        return;
    }
    let only_fewer = signs == ["objects-gone"];
    details.push(format!(
        "census: {} object(s) listed{}, {} read in detail",
        census.listed,
        if census.more {
            " (more not listed)"
        } else {
            ""
        },
        census.sampled.len()
    ));
    bucket_finding(
        out,
        bucket,
        FindingKind::RansomSigns,
        if only_fewer {
            Severity::High
        } else {
            Severity::Critical
        },
        format!(
            "bucket {} shows signs of ransom: {}",
            bucket.name,
            signs.join(", ")
        ),
        details,
        signs.join(","),
    );
}

#[cfg(test)]
mod tests;
