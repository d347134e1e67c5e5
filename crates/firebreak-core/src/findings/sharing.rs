//! Rules about what is shared: snapshots, AMIs and functions open to everyone or to accounts
//! the baseline does not trust.

use super::*;

pub(super) fn sharing_rules(ctx: &Context, out: &mut Builder) {
    for snapshot in &ctx.inventory.snapshots {
        let encryption = if snapshot.encrypted {
            "encrypted"
        } else {
            "UNENCRYPTED"
        };
        if snapshot.sharing.public {
            out.add(
                FindingKind::PublicSnapshot,
                Severity::Critical,
                &snapshot.region,
                ResourceType::Snapshot,
                &snapshot.id,
                None,
                format!(
                    "snapshot {} ({encryption}) can be restored by every AWS account",
                    snapshot.id
                ),
                snapshot_details(snapshot.volume_id.as_deref(), snapshot.size_gib),
                "public".to_string(),
            );
        }
        let untrusted = untrusted_share(ctx, &snapshot.sharing);
        if !untrusted.is_empty() {
            out.add(
                FindingKind::SharedSnapshot,
                if snapshot.encrypted {
                    Severity::High
                } else {
                    Severity::Critical
                },
                &snapshot.region,
                ResourceType::Snapshot,
                &snapshot.id,
                None,
                format!(
                    "snapshot {} ({encryption}) is shared with untrusted {}",
                    snapshot.id,
                    join(&untrusted)
                ),
                snapshot_details(snapshot.volume_id.as_deref(), snapshot.size_gib),
                join(&untrusted),
            );
        }
    }
    for snapshot in &ctx.inventory.db_snapshots {
        let what = match snapshot.kind {
            crate::model::database::DatabaseKind::Instance => "DB snapshot",
            crate::model::database::DatabaseKind::Cluster => "DB cluster snapshot",
        };
        let encryption = if snapshot.encrypted {
            "encrypted"
        } else {
            "UNENCRYPTED"
        };
        let source = vec![format!(
            "of {}",
            snapshot.source.as_deref().unwrap_or("an unknown database")
        )];
        if snapshot.sharing.public {
            out.add(
                FindingKind::PublicSnapshot,
                Severity::Critical,
                &snapshot.region,
                ResourceType::DbSnapshot,
                &snapshot.id,
                None,
                format!(
                    "{what} {} ({encryption}) can be restored by every AWS account",
                    snapshot.id
                ),
                source.clone(),
                "public".to_string(),
            );
        }
        let untrusted = untrusted_share(ctx, &snapshot.sharing);
        if !untrusted.is_empty() {
            out.add(
                FindingKind::SharedSnapshot,
                if snapshot.encrypted {
                    Severity::High
                } else {
                    Severity::Critical
                },
                &snapshot.region,
                ResourceType::DbSnapshot,
                &snapshot.id,
                None,
                format!(
                    "{what} {} ({encryption}) is shared with untrusted {}",
                    snapshot.id,
                    join(&untrusted)
                ),
                source,
                join(&untrusted),
            );
        }
    }
    for image in &ctx.inventory.images {
        let name = image.name.as_deref().unwrap_or("unnamed");
        if image.sharing.public {
            out.add(
                FindingKind::PublicImage,
                Severity::Critical,
                &image.region,
                ResourceType::Image,
                &image.id,
                None,
                format!(
                    "image {} ({name}) can be launched by every AWS account",
                    image.id
                ),
                Vec::new(),
                "public".to_string(),
            );
        }
        let untrusted = untrusted_share(ctx, &image.sharing);
        if !untrusted.is_empty() {
            out.add(
                FindingKind::SharedImage,
                Severity::High,
                &image.region,
                ResourceType::Image,
                &image.id,
                None,
                format!(
                    "image {} ({name}) is shared with untrusted {}",
                    image.id,
                    join(&untrusted)
                ),
                Vec::new(),
                join(&untrusted),
            );
        }
    }
    for function in ctx
        .inventory
        .functions
        .iter()
        .filter(|f| is_public_function(f))
    {
        let mut how = Vec::new();
        if function
            .policy_principals
            .as_ref()
            .is_some_and(|p| p.public)
        {
            how.push("resource policy allows principal *".to_string());
        }
        if function.url_auth == Some(crate::model::UrlAuth::None) {
            how.push("function URL without auth".to_string());
        }
        for alias in function.aliases.iter().filter(|a| a.is_public()) {
            how.push(format!(
                "alias {} can be invoked by anyone (its own policy or URL)",
                alias.name
            ));
        }
        out.add(
            FindingKind::PublicFunction,
            Severity::High,
            &function.region,
            ResourceType::Function,
            &function.name,
            Some(&function.arn),
            format!("function {} can be invoked by anyone", function.name),
            how.clone(),
            how.join(","),
        );
    }
}

/// Accounts and organizations a snapshot or image is shared with that are not trusted.
fn untrusted_share(ctx: &Context, sharing: &Sharing) -> BTreeSet<String> {
    let mut untrusted = ctx.untrusted(&sharing.accounts);
    untrusted.extend(
        sharing
            .organizations
            .iter()
            .filter(|o| !ctx.baseline.is_some_and(|b| b.trusts_account(o)))
            .cloned(),
    );
    untrusted
}

fn snapshot_details(volume: Option<&str>, size: Option<i32>) -> Vec<String> {
    vec![format!(
        "volume {}, {} GiB",
        volume.unwrap_or("?"),
        size.map_or_else(|| "?".to_string(), |s| s.to_string())
    )]
}
