//! Findings: what does not belong. Rules are pure functions over (inventory, baseline, now);
//! every finding has a stable id (`kind:region:resource_id`), so the same thing keeps the same
//! id across scans and can be accepted into the baseline.

mod database;
mod evasion;
#[cfg(test)]
mod fixtures;
mod sharing;
mod storage;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use crate::baseline::Baseline;
use crate::model::finding::{Finding, FindingKind, ResourceType, Severity, finding_id};
use crate::model::operation::is_key_quarantine;
use crate::model::{GLOBAL, Identity, Inventory, KeyStatus, Sharing};
use crate::scan::{ItemKind, Listed, is_public_function};

/// Time windows the rules use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// A resource is recent when created within this (`--since`, default 24h).
    pub since: Duration,
    /// Without a baseline, principals created within this are unknown (`--unknown-window`).
    pub unknown: Duration,
}

impl Default for Windows {
    fn default() -> Self {
        Windows {
            since: Duration::hours(24),
            unknown: Duration::days(7),
        }
    }
}

/// Everything the rules read.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub baseline: Option<&'a Baseline>,
    pub account: &'a Identity,
    pub now: DateTime<Utc>,
    pub windows: Windows,
    /// The listings the scan finished (see [`ScanState::listed`]): a baseline resource is judged
    /// gone only where it was looked for.
    pub listed: &'a Listed,
}

impl Context<'_> {
    fn is_recent(&self, created: Option<DateTime<Utc>>, window: Duration) -> bool {
        created.is_some_and(|t| t >= self.now - window)
    }

    /// Accounts a share or trust may name without a finding: our own and the trusted ones.
    fn untrusted<'s>(&self, accounts: impl IntoIterator<Item = &'s String>) -> BTreeSet<String> {
        accounts
            .into_iter()
            .filter(|a| **a != self.account.id)
            .filter(|a| !self.baseline.is_some_and(|b| b.trusts_account(a)))
            .cloned()
            .collect()
    }

    fn age(&self, created: Option<DateTime<Utc>>) -> String {
        match created {
            Some(t) => format!("created {}", ago(self.now - t)),
            None => "creation time unknown".to_string(),
        }
    }
}

/// "just now", "3h ago", "2d ago".
fn ago(elapsed: Duration) -> String {
    let minutes = elapsed.num_minutes().max(0);
    if minutes == 0 {
        "just now".to_string()
    } else if minutes < 60 {
        format!("{minutes}m ago")
    } else if minutes < 48 * 60 {
        format!("{}h ago", minutes / 60)
    } else {
        format!("{}d ago", minutes / (24 * 60))
    }
}

struct Builder {
    findings: Vec<Finding>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        kind: FindingKind,
        severity: Severity,
        region: &str,
        resource_type: ResourceType,
        resource_id: &str,
        arn: Option<&str>,
        summary: String,
        details: Vec<String>,
        facts: String,
    ) -> String {
        let id = finding_id(kind, region, resource_id);
        self.findings.push(Finding {
            id: id.clone(),
            kind,
            severity,
            region: region.to_string(),
            resource_type,
            resource_id: resource_id.to_string(),
            arn: arn.map(str::to_string),
            summary,
            details,
            related: Vec::new(),
            facts,
            attribution: None,
        });
        id
    }
}

fn join(items: &BTreeSet<String>) -> String {
    items.iter().cloned().collect::<Vec<_>>().join(",")
}

/// Applies every rule. The result is sorted most severe first, then by region and id, and
/// excludes findings accepted into the baseline (while their facts are unchanged).
pub fn evaluate(ctx: &Context) -> Vec<Finding> {
    let mut out = Builder {
        findings: Vec::new(),
    };
    if ctx.baseline.is_none() {
        out.add(
            FindingKind::NoBaseline,
            Severity::Info,
            GLOBAL,
            ResourceType::Account,
            &ctx.account.id,
            None,
            format!(
                "no baseline: principals created in the last {} days count as unknown; run `firebreak baseline capture` in peacetime",
                ctx.windows.unknown.num_days()
            ),
            Vec::new(),
            String::new(),
        );
    }
    principal_rules(ctx, &mut out);
    sharing::sharing_rules(ctx, &mut out);
    storage::storage_rules(ctx, &mut out);
    database::database_rules(ctx, &mut out);
    recent_rules(ctx, &mut out);
    deleted_rules(ctx, &mut out);
    evasion::evasion_rules(ctx, &mut out);
    unread_rule(ctx, &mut out);
    link_related(ctx.inventory, &mut out.findings);

    let mut findings = out.findings;
    if let Some(baseline) = ctx.baseline {
        findings.retain(|f| !baseline.accepts(f));
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.region.cmp(&b.region))
            .then_with(|| a.id.cmp(&b.id))
    });
    findings
}

/// One finding per item with details that could not be read: the item is listed, but what
/// depends on those details (its keys, its sharing, its policy) is not judged.
fn unread_rule(ctx: &Context, out: &mut Builder) {
    let mut items: std::collections::BTreeMap<(&str, ResourceType, &str), Vec<String>> =
        std::collections::BTreeMap::new();
    for unread in &ctx.inventory.unread {
        let request = unread
            .request_id
            .as_deref()
            .map_or_else(String::new, |id| format!(", request id {id}"));
        items
            .entry((&unread.region, unread.resource_type, &unread.resource_id))
            .or_default()
            .push(format!("{}: {}{request}", unread.call, unread.code));
    }
    for ((region, resource_type, id), failures) in items {
        out.add(
            FindingKind::NotJudged,
            Severity::Medium,
            region,
            resource_type,
            id,
            None,
            format!(
                "{} {id} could not be fully read ({}): findings that depend on it may be missing; rescan",
                resource_type.as_str(),
                failures.join("; ")
            ),
            failures,
            String::new(),
        );
    }
}

fn principal_rules(ctx: &Context, out: &mut Builder) {
    let baseline = ctx.baseline;
    let unknown_window = ctx.windows.unknown;
    for user in &ctx.inventory.users {
        let known = match baseline {
            Some(b) => b.knows_user(&user.name),
            None => !ctx.is_recent(Some(user.created), unknown_window),
        };
        if !known {
            out.add(
                FindingKind::UnknownUser,
                Severity::High,
                GLOBAL,
                ResourceType::User,
                &user.name,
                Some(&user.arn),
                format!(
                    "user {} is not in the baseline ({})",
                    user.name,
                    ctx.age(Some(user.created))
                ),
                vec![
                    format!("console access: {}", yes_no(user.console_access)),
                    format!(
                        "policies: {}",
                        list_or_none(&user.attached_policies, &user.inline_policies)
                    ),
                    format!("groups: {}", none_if_empty(&user.groups)),
                ],
                String::new(),
            );
        }
        admin_rule(
            ctx,
            out,
            ResourceType::User,
            &user.name,
            &user.arn,
            &user.admin_via,
            known,
        );
        let quarantines: Vec<&String> = user
            .attached_policies
            .iter()
            .filter(|p| is_key_quarantine(p))
            .collect();
        if !quarantines.is_empty() {
            let policies: Vec<&str> = quarantines.iter().map(|p| p.as_str()).collect();
            out.add(
                FindingKind::KeyExposed,
                Severity::Critical,
                GLOBAL,
                ResourceType::User,
                &user.name,
                Some(&user.arn),
                format!(
                    "AWS saw a key of user {} exposed and quarantined it ({})",
                    user.name,
                    policies.join(", ")
                ),
                vec![
                    "the quarantine denies only some actions: the key still works for the rest; disable it and rotate".to_string(),
                    "firebreak never removes the quarantine policy, undo included".to_string(),
                ],
                policies.join(","),
            );
        }
        if user.console_access && user.mfa_devices.is_empty() {
            out.add(
                FindingKind::ConsoleWithoutMfa,
                Severity::Medium,
                GLOBAL,
                ResourceType::User,
                &user.name,
                Some(&user.arn),
                format!("user {} can sign in to the console without MFA", user.name),
                Vec::new(),
                String::new(),
            );
        }
    }

    for key in &ctx.inventory.access_keys {
        let known = match baseline {
            Some(b) => b.knows_access_key(&key.id),
            None => !ctx.is_recent(key.created, unknown_window),
        };
        if known {
            continue;
        }
        let active = key.status == KeyStatus::Active;
        let user_known = baseline.is_some_and(|b| b.knows_user(&key.user));
        out.add(
            FindingKind::UnknownAccessKey,
            if active {
                Severity::High
            } else {
                Severity::Low
            },
            GLOBAL,
            ResourceType::AccessKey,
            &key.id,
            None,
            format!(
                "{} access key {} of {}user {} is not in the baseline ({})",
                if active { "active" } else { "inactive" },
                key.id,
                if user_known { "known " } else { "" },
                key.user,
                ctx.age(key.created)
            ),
            match &key.last_used {
                Some(used) => vec![format!(
                    "last used {} with {} in {}",
                    used.date
                        .map_or_else(|| "?".to_string(), |d| d.to_rfc3339()),
                    used.service.as_deref().unwrap_or("?"),
                    used.region.as_deref().unwrap_or("?")
                )],
                None => vec!["never used".to_string()],
            },
            String::new(),
        );
    }

    for role in &ctx.inventory.roles {
        let known = match baseline {
            Some(b) => b.knows_role(&role.name),
            None => !ctx.is_recent(Some(role.created), unknown_window),
        };
        if !known {
            out.add(
                FindingKind::UnknownRole,
                if role.is_service_linked() {
                    Severity::Low
                } else {
                    Severity::High
                },
                GLOBAL,
                ResourceType::Role,
                &role.name,
                Some(&role.arn),
                format!(
                    "role {} is not in the baseline ({})",
                    role.name,
                    ctx.age(Some(role.created))
                ),
                vec![format!(
                    "policies: {}",
                    list_or_none(&role.attached_policies, &role.inline_policies)
                )],
                String::new(),
            );
        }
        admin_rule(
            ctx,
            out,
            ResourceType::Role,
            &role.name,
            &role.arn,
            &role.admin_via,
            known,
        );
        let untrusted = ctx.untrusted(&role.trust.accounts);
        if role.trust.public || !untrusted.is_empty() {
            let mut who: Vec<String> = Vec::new();
            if role.trust.public {
                who.push("anyone (*)".to_string());
            }
            who.extend(untrusted.iter().cloned());
            let facts = if role.trust.public {
                format!("*,{}", join(&untrusted))
            } else {
                join(&untrusted)
            };
            out.add(
                FindingKind::ExternalTrust,
                if role.trust.public {
                    Severity::Critical
                } else {
                    Severity::High
                },
                GLOBAL,
                ResourceType::Role,
                &role.name,
                Some(&role.arn),
                format!("role {} can be assumed by {}", role.name, who.join(", ")),
                vec![format!(
                    "trusted principals: {}",
                    none_if_empty(&role.trust.arns.iter().cloned().collect::<Vec<_>>())
                )],
                facts,
            );
        }
    }
}

/// `admin_principal`: a user or role with administrator access that is not an expected admin.
fn admin_rule(
    ctx: &Context,
    out: &mut Builder,
    resource_type: ResourceType,
    name: &str,
    arn: &str,
    admin_via: &[String],
    known: bool,
) {
    if admin_via.is_empty() || is_known_admin(ctx, name, known) {
        return;
    }
    out.add(
        FindingKind::AdminPrincipal,
        Severity::Critical,
        GLOBAL,
        resource_type,
        name,
        Some(arn),
        format!(
            "{} {name} has administrator access via {}",
            resource_type.as_str(),
            admin_via.join(", ")
        ),
        Vec::new(),
        admin_via.join(","),
    );
}

/// An admin principal is expected when the baseline lists it as an admin; without a baseline,
/// when it is not new.
fn is_known_admin(ctx: &Context, name: &str, known_principal: bool) -> bool {
    match ctx.baseline {
        Some(b) => b.knows_admin(name),
        None => known_principal,
    }
}

/// What the baseline lists that is gone (deleted, deregistered, terminated), where the scan
/// finished listing: critical for snapshots and AMIs (backups), high for functions and
/// instances.
fn deleted_rules(ctx: &Context, out: &mut Builder) {
    let Some(baseline) = ctx.baseline else {
        return;
    };
    let inventory = ctx.inventory;
    for (kind, region, id) in baseline.expected_resources() {
        let (item, severity, what, present) = match kind {
            ResourceType::Function => (
                ItemKind::Functions,
                Severity::High,
                "function",
                inventory
                    .functions
                    .iter()
                    .any(|f| f.region == region && f.name == id),
            ),
            ResourceType::Snapshot => (
                ItemKind::Snapshots,
                Severity::Critical,
                "snapshot",
                inventory
                    .snapshots
                    .iter()
                    .any(|s| s.region == region && s.id == id),
            ),
            ResourceType::Image => (
                ItemKind::Images,
                Severity::Critical,
                "AMI",
                inventory
                    .images
                    .iter()
                    .any(|i| i.region == region && i.id == id),
            ),
            ResourceType::Instance => (
                ItemKind::Instances,
                Severity::High,
                "instance",
                inventory.instances.iter().any(|i| {
                    i.region == region
                        && i.id == id
                        && !matches!(i.state.as_deref(), Some("terminated" | "shutting-down"))
                }),
            ),
            ResourceType::Trail => (
                ItemKind::Trails,
                Severity::Critical,
                "trail",
                inventory
                    .trails
                    .iter()
                    .any(|t| t.region == region && t.name == id),
            ),
            ResourceType::Detector => (
                ItemKind::Detectors,
                Severity::Critical,
                "GuardDuty detector",
                inventory
                    .detectors
                    .iter()
                    .any(|d| d.region == region && d.id == id),
            ),
            ResourceType::Database => (
                ItemKind::Databases,
                Severity::Critical,
                "database",
                inventory
                    .databases
                    .iter()
                    .any(|d| d.region == region && d.id == id),
            ),
            ResourceType::DbSnapshot => (
                ItemKind::DbSnapshots,
                Severity::Critical,
                "DB snapshot",
                inventory
                    .db_snapshots
                    .iter()
                    .any(|s| s.region == region && s.id == id),
            ),
            ResourceType::Bucket => (
                ItemKind::Buckets,
                Severity::Critical,
                "bucket",
                inventory
                    .buckets
                    .iter()
                    .any(|b| b.region == region && b.name == id),
            ),
            _ => continue,
        };
        if present || !ctx.listed.contains(&(region.to_string(), item)) {
            continue;
        }
        out.add(
            FindingKind::DeletedResource,
            severity,
            region,
            kind,
            id,
            None,
            format!(
                "{what} {id} is gone: the baseline{} lists it",
                baseline
                    .captured_at
                    .map_or_else(String::new, |t| format!(
                        " captured {}",
                        t.format("%Y-%m-%d %H:%M UTC")
                    ))
            ),
            vec![match kind {
                ResourceType::Instance => "deleted or terminated since".to_string(),
                ResourceType::Trail => "deleted since: nothing done in the account is recorded by it; re-create it from your infrastructure code".to_string(),
                ResourceType::Detector => "deleted since: restore-detection creates a new detector".to_string(),
                _ => "deleted since: stop whoever is deleting (D on them, F for everything) before the rest goes".to_string(),
            }],
            String::new(),
        );
    }
}

fn recent_rules(ctx: &Context, out: &mut Builder) {
    let since = ctx.windows.since;
    let in_use = |region: &str| ctx.baseline.is_some_and(|b| b.region_in_use(region));
    let known = |kind: ResourceType, region: &str, id: &str| {
        ctx.baseline
            .is_some_and(|b| b.knows_resource(kind, region, id))
    };
    let mut recent = |kind: ResourceType,
                      region: &str,
                      id: &str,
                      arn: Option<&str>,
                      created: Option<DateTime<Utc>>,
                      what: &str| {
        if !ctx.is_recent(created, since) || known(kind, region, id) {
            return;
        }
        let unused_region = ctx.baseline.is_some() && !in_use(region);
        out.add(
            FindingKind::RecentResource,
            if unused_region {
                Severity::High
            } else {
                Severity::Medium
            },
            region,
            kind,
            id,
            arn,
            format!(
                "{what} {id} is new ({}){}",
                ctx.age(created),
                if unused_region {
                    ", in a region the baseline does not use"
                } else {
                    ""
                }
            ),
            Vec::new(),
            String::new(),
        );
    };
    for f in &ctx.inventory.functions {
        recent(
            ResourceType::Function,
            &f.region,
            &f.name,
            Some(&f.arn),
            f.last_modified,
            "function",
        );
    }
    for i in &ctx.inventory.instances {
        recent(
            ResourceType::Instance,
            &i.region,
            &i.id,
            None,
            i.launched,
            "instance",
        );
    }
    for s in &ctx.inventory.snapshots {
        recent(
            ResourceType::Snapshot,
            &s.region,
            &s.id,
            None,
            s.started,
            "snapshot",
        );
    }
    for i in &ctx.inventory.images {
        recent(
            ResourceType::Image,
            &i.region,
            &i.id,
            None,
            i.created,
            "image",
        );
    }
    for b in &ctx.inventory.buckets {
        recent(
            ResourceType::Bucket,
            &b.region,
            &b.name,
            None,
            b.created,
            "bucket",
        );
    }
    for d in &ctx.inventory.databases {
        recent(
            ResourceType::Database,
            &d.region,
            &d.id,
            None,
            d.created,
            d.kind.as_str(),
        );
    }
    for s in &ctx.inventory.db_snapshots {
        recent(
            ResourceType::DbSnapshot,
            &s.region,
            &s.id,
            None,
            s.created,
            "DB snapshot",
        );
    }
}

/// Links findings about the same resource, and a user's findings with its keys' findings.
fn link_related(inventory: &Inventory, findings: &mut [Finding]) {
    let key_owner = |key_id: &str| {
        inventory
            .access_keys
            .iter()
            .find(|k| k.id == key_id)
            .map(|k| k.user.clone())
    };
    // (subject, id, user the subject belongs to)
    let subjects: Vec<(String, String, Option<String>)> = findings
        .iter()
        .map(|f| {
            let owner = match f.resource_type {
                ResourceType::AccessKey => key_owner(&f.resource_id),
                ResourceType::User => Some(f.resource_id.clone()),
                _ => None,
            };
            (
                format!("{}:{}", f.region, f.resource_id),
                f.id.clone(),
                owner,
            )
        })
        .collect();
    for (finding, (subject, id, owner)) in findings.iter_mut().zip(&subjects) {
        finding.related = subjects
            .iter()
            .filter(|(other_subject, other_id, other_owner)| {
                other_id != id
                    && (other_subject == subject || (owner.is_some() && other_owner == owner))
            })
            .map(|(_, other_id, _)| other_id.clone())
            .collect();
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn none_if_empty(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn list_or_none(attached: &[String], inline: &[String]) -> String {
    let all: Vec<String> = attached
        .iter()
        .cloned()
        .chain(inline.iter().map(|p| format!("inline:{p}")))
        .collect();
    none_if_empty(&all)
}

#[cfg(test)]
mod tests;
