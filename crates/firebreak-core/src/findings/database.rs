//! Rules about databases: an RDS instance made reachable from the internet, and what keeps a
//! database from being destroyed — deletion protection, automated backups — taken away.

use super::*;

pub(super) fn database_rules(ctx: &Context, out: &mut Builder) {
    for database in &ctx.inventory.databases {
        let settings = ctx
            .baseline
            .and_then(|b| b.database(&database.region, &database.id));
        let what = database.kind.as_str();
        if database.public && !settings.is_some_and(|s| s.public) {
            out.add(
                FindingKind::PublicDatabase,
                if settings.is_some() {
                    Severity::Critical
                } else {
                    Severity::High
                },
                &database.region,
                ResourceType::Database,
                &database.id,
                None,
                format!(
                    "{what} {} is reachable from the internet (PubliclyAccessible){}",
                    database.id,
                    if settings.is_some() {
                        ": the baseline had it private"
                    } else {
                        ""
                    }
                ),
                vec![format!(
                    "security groups: {}",
                    none_if_empty(&database.security_groups)
                )],
                "public".to_string(),
            );
        }
        // An instance of a cluster is protected and backed up by its cluster: judged there.
        let Some(settings) = settings.filter(|_| database.cluster.is_none()) else {
            continue;
        };
        let mut lost = Vec::new();
        if settings.deletion_protection && !database.deletion_protection {
            lost.push("deletion-protection".to_string());
        }
        let backups_off = database.backup_retention == 0 && settings.backup_retention > 0;
        if backups_off {
            lost.push("backups".to_string());
        } else if database.backup_retention < settings.backup_retention {
            lost.push(format!(
                "backup-retention:{}d->{}d",
                settings.backup_retention, database.backup_retention
            ));
        }
        if lost.is_empty() {
            continue;
        }
        out.add(
            FindingKind::DatabaseProtectionWeakened,
            if backups_off {
                Severity::Critical
            } else {
                Severity::High
            },
            &database.region,
            ResourceType::Database,
            &database.id,
            None,
            format!(
                "{what} {} lost {}: one call can now destroy it{}",
                database.id,
                lost.join(", "),
                if backups_off {
                    " and its automated backups"
                } else {
                    ""
                }
            ),
            vec![format!(
                "at capture: deletion protection {}, backups kept {} day(s); now: {}, {} day(s)",
                yes_no(settings.deletion_protection),
                settings.backup_retention,
                yes_no(database.deletion_protection),
                database.backup_retention
            )],
            lost.join(","),
        );
    }
}

#[cfg(test)]
mod tests;
