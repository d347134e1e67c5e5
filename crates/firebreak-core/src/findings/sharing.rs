//! Rules about what is shared: snapshots, AMIs and functions open to everyone or to accounts
//! the baseline does not trust.

use super::*;

pub(super) fn sharing_rules(ctx: &Context, out: &mut Builder) {
    for snapshot in &ctx.inventory.snapshots {
        snapshot_rules(
            ctx,
            out,
            Restorable {
                what: "snapshot",
                region: &snapshot.region,
                resource_type: ResourceType::Snapshot,
                id: &snapshot.id,
                encrypted: snapshot.encrypted,
                sharing: &snapshot.sharing,
            },
            snapshot_details(snapshot.volume_id.as_deref(), snapshot.size_gib),
        );
    }
    for snapshot in &ctx.inventory.db_snapshots {
        snapshot_rules(
            ctx,
            out,
            Restorable {
                what: match snapshot.kind {
                    crate::model::database::DatabaseKind::Instance => "DB snapshot",
                    crate::model::database::DatabaseKind::Cluster => "DB cluster snapshot",
                },
                region: &snapshot.region,
                resource_type: ResourceType::DbSnapshot,
                id: &snapshot.id,
                encrypted: snapshot.encrypted,
                sharing: &snapshot.sharing,
            },
            vec![format!(
                "of {}",
                snapshot.source.as_deref().unwrap_or("an unknown database")
            )],
        );
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

/// A snapshot anyone it is shared with can restore: an EBS snapshot, a DB or cluster snapshot.
struct Restorable<'a> {
    /// `snapshot`, `DB snapshot`, `DB cluster snapshot`.
    what: &'a str,
    region: &'a str,
    resource_type: ResourceType,
    id: &'a str,
    encrypted: bool,
    sharing: &'a Sharing,
}

/// `public_snapshot` when every account can restore it; `shared_snapshot` (critical when
/// unencrypted) for accounts the baseline does not trust.
fn snapshot_rules(ctx: &Context, out: &mut Builder, snapshot: Restorable, details: Vec<String>) {
    let Restorable {
        what,
        region,
        resource_type,
        id,
        encrypted,
        sharing,
    } = snapshot;
    let encryption = if encrypted {
        "encrypted"
    } else {
        "UNENCRYPTED"
    };
    if sharing.public {
        out.add(
            FindingKind::PublicSnapshot,
            Severity::Critical,
            region,
            resource_type,
            id,
            None,
            format!("{what} {id} ({encryption}) can be restored by every AWS account"),
            details.clone(),
            "public".to_string(),
        );
    }
    let untrusted = untrusted_share(ctx, sharing);
    if !untrusted.is_empty() {
        out.add(
            FindingKind::SharedSnapshot,
            if encrypted {
                Severity::High
            } else {
                Severity::Critical
            },
            region,
            resource_type,
            id,
            None,
            format!(
                "{what} {id} ({encryption}) is shared with untrusted {}",
                join(&untrusted)
            ),
            details,
            join(&untrusted),
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
