//! Findings: what does not belong. Rules are pure functions over (inventory, baseline, now);
//! every finding has a stable id (`kind:region:resource_id`), so the same thing keeps the same
//! id across scans and can be accepted into the baseline.

mod evasion;

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
    sharing_rules(ctx, &mut out);
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

fn sharing_rules(ctx: &Context, out: &mut Builder) {
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
mod tests {
    use super::*;
    use crate::baseline;
    use crate::model::{
        AccessKey, Function, Image, Instance, KeyStatus, Principals, Role, Snapshot, UrlAuth, User,
    };

    const PARTNER: &str = "210987654321";
    const STRANGER: &str = "666655554444";

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .expect("valid time")
    }

    fn now() -> DateTime<Utc> {
        at("2026-11-22T12:00:00Z")
    }

    fn long_ago() -> DateTime<Utc> {
        at("2026-01-01T00:00:00Z")
    }

    fn an_hour_ago() -> DateTime<Utc> {
        now() - Duration::hours(1)
    }

    fn identity() -> Identity {
        Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
        }
    }

    fn user(name: &str, created: DateTime<Utc>) -> User {
        User {
            region: GLOBAL.into(),
            name: name.into(),
            arn: format!("arn:aws:iam::123456789012:user/{name}"),
            user_id: format!("AIDA{name}"),
            created,
            console_access: false,
            mfa_devices: vec![],
            attached_policies: vec![],
            inline_policies: vec![],
            groups: vec![],
            admin_via: vec![],
        }
    }

    fn key(id: &str, user: &str, created: DateTime<Utc>) -> AccessKey {
        AccessKey {
            region: GLOBAL.into(),
            id: id.into(),
            user: user.into(),
            status: KeyStatus::Active,
            created: Some(created),
            last_used: None,
        }
    }

    fn role(name: &str, accounts: &[&str], created: DateTime<Utc>) -> Role {
        Role {
            region: GLOBAL.into(),
            name: name.into(),
            arn: format!("arn:aws:iam::123456789012:role/{name}"),
            path: "/".into(),
            created,
            trust: Principals {
                accounts: accounts.iter().map(|a| a.to_string()).collect(),
                ..Principals::default()
            },
            attached_policies: vec![],
            inline_policies: vec![],
            instance_profiles: Vec::new(),
            admin_via: vec![],
        }
    }

    fn function(region: &str, name: &str, modified: DateTime<Utc>) -> Function {
        Function {
            region: region.into(),
            name: name.into(),
            arn: format!("arn:aws:lambda:{region}:123456789012:function:{name}"),
            runtime: Some("python3.12".into()),
            last_modified: Some(modified),
            role: None,
            reserved_concurrency: None,
            policy_principals: None,
            url_auth: None,
            aliases: Vec::new(),
        }
    }

    fn snapshot(region: &str, id: &str, accounts: &[&str], started: DateTime<Utc>) -> Snapshot {
        Snapshot {
            region: region.into(),
            id: id.into(),
            volume_id: Some("vol-1".into()),
            size_gib: Some(8),
            encrypted: true,
            started: Some(started),
            sharing: Sharing {
                accounts: accounts.iter().map(|a| a.to_string()).collect(),
                ..Sharing::default()
            },
        }
    }

    /// Users with keys, a service role and a partner role, functions in two regions, a snapshot
    /// shared with the partner — all long established.
    fn peacetime() -> Inventory {
        Inventory {
            users: vec![user("alice", long_ago()), user("bob", long_ago())],
            access_keys: vec![
                key("AKIAALICE1", "alice", long_ago()),
                key("AKIABOB1", "bob", long_ago()),
            ],
            roles: vec![
                role("lambda-exec", &[], long_ago()),
                role("partner-read", &[PARTNER], long_ago()),
            ],
            functions: vec![
                function("us-east-1", "billing", long_ago()),
                function("eu-west-1", "thumbnails", long_ago()),
            ],
            snapshots: vec![
                snapshot("us-east-1", "snap-partner", &[PARTNER], long_ago()),
                snapshot("eu-west-1", "snap-db", &[], long_ago()),
            ],
            ..Inventory::default()
        }
    }

    fn evaluate_with(inventory: &Inventory, baseline: Option<&Baseline>) -> Vec<Finding> {
        evaluate(&Context {
            inventory,
            baseline,
            account: &identity(),
            now: now(),
            windows: Windows::default(),
            listed: &Default::default(),
        })
    }

    fn summary(findings: &[Finding]) -> Vec<(FindingKind, Severity, String)> {
        let mut out: Vec<_> = findings
            .iter()
            .map(|f| (f.kind, f.severity, f.id.clone()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_key_aws_quarantined_is_critical_whatever_the_baseline_knows() {
        let estate = peacetime();
        let captured = baseline::capture(&estate, &identity(), now());
        let mut exposed = estate.clone();
        let mut leaked = user("ci-bot", now() - Duration::days(400));
        leaked.attached_policies = vec![
            "ReadOnlyAccess".into(),
            "AWSCompromisedKeyQuarantineV3".into(),
        ];
        exposed.users.push(leaked.clone());
        let mut known = captured.clone();
        known.principals.users.insert("ci-bot".into());
        for baseline in [Some(&known), None] {
            let findings = evaluate_with(&exposed, baseline);
            let quarantined: Vec<&Finding> = findings
                .iter()
                .filter(|f| f.kind == FindingKind::KeyExposed)
                .collect();
            assert_eq!(quarantined.len(), 1, "{findings:?}");
            assert_eq!(quarantined[0].severity, Severity::Critical);
            assert_eq!(quarantined[0].resource_id, "ci-bot");
            assert_eq!(quarantined[0].facts, "AWSCompromisedKeyQuarantineV3");
        }
        // Any other policy, AWS's deny-all included, is no such sign.
        leaked.attached_policies = vec!["AWSDenyAll".into()];
        exposed.users.pop();
        exposed.users.push(leaked);
        assert!(
            !evaluate_with(&exposed, Some(&known))
                .iter()
                .any(|f| f.kind == FindingKind::KeyExposed)
        );
    }

    #[test]
    fn peacetime_against_its_own_baseline_has_no_findings() {
        let estate = peacetime();
        let captured = baseline::capture(&estate, &identity(), now());
        assert!(evaluate_with(&estate, Some(&captured)).is_empty());
        let everywhere = listed_everywhere(&estate);
        assert!(evaluate_listed(&estate, &captured, &everywhere).is_empty());
    }

    /// Every (region, kind) of `inventory`'s resources, as a scan that finished everything.
    fn listed_everywhere(inventory: &Inventory) -> Listed {
        let regions: BTreeSet<&String> = inventory
            .functions
            .iter()
            .map(|f| &f.region)
            .chain(inventory.snapshots.iter().map(|s| &s.region))
            .chain(inventory.images.iter().map(|i| &i.region))
            .chain(inventory.instances.iter().map(|i| &i.region))
            .collect();
        regions
            .into_iter()
            .flat_map(|region| {
                [
                    ItemKind::Functions,
                    ItemKind::Snapshots,
                    ItemKind::Images,
                    ItemKind::Instances,
                ]
                .map(|kind| (region.clone(), kind))
            })
            .collect()
    }

    fn evaluate_listed(
        inventory: &Inventory,
        baseline: &Baseline,
        listed: &Listed,
    ) -> Vec<Finding> {
        evaluate(&Context {
            inventory,
            baseline: Some(baseline),
            account: &identity(),
            now: now(),
            windows: Windows::default(),
            listed,
        })
    }

    #[test]
    fn what_the_baseline_lists_and_a_finished_listing_lacks_is_a_deletion() {
        let mut estate = peacetime();
        estate.images.push(Image {
            region: "us-east-1".into(),
            id: "ami-golden".into(),
            name: Some("golden".into()),
            created: Some(long_ago()),
            sharing: Sharing::default(),
        });
        estate.instances.push(Instance {
            region: "us-east-1".into(),
            id: "i-web".into(),
            instance_type: None,
            state: Some("running".into()),
            launched: Some(long_ago()),
            key_name: None,
            public_ip: None,
        });
        let captured = baseline::capture(&estate, &identity(), now());
        let everywhere = listed_everywhere(&estate);
        let mut after = estate.clone();
        after.snapshots.retain(|s| s.id != "snap-db");
        after.functions.retain(|f| f.name != "billing");
        after.images.clear();
        after.instances[0].state = Some("terminated".into());
        let found: Vec<(FindingKind, Severity, String)> =
            evaluate_listed(&after, &captured, &everywhere)
                .into_iter()
                .map(|f| (f.kind, f.severity, f.id))
                .collect();
        use FindingKind::DeletedResource as D;
        assert_eq!(
            found,
            vec![
                (
                    D,
                    Severity::Critical,
                    "deleted_resource:eu-west-1:snap-db".to_string()
                ),
                (
                    D,
                    Severity::Critical,
                    "deleted_resource:us-east-1:ami-golden".to_string()
                ),
                (
                    D,
                    Severity::High,
                    "deleted_resource:us-east-1:billing".to_string()
                ),
                (
                    D,
                    Severity::High,
                    "deleted_resource:us-east-1:i-web".to_string()
                ),
            ]
        );
        // Not looked for (a region left out, a listing that failed): not judged gone.
        let partly: Listed = everywhere
            .iter()
            .filter(|(region, kind)| !(region == "eu-west-1" && *kind == ItemKind::Snapshots))
            .cloned()
            .collect();
        let found = evaluate_listed(&after, &captured, &partly);
        assert!(
            !found.iter().any(|f| f.resource_id == "snap-db"),
            "{found:#?}"
        );
        assert_eq!(found.len(), 3);
        // Accepting a deletion removes it from the baseline.
        let mut accepted = captured.clone();
        for finding in evaluate_listed(&after, &captured, &everywhere) {
            baseline::accept(&mut accepted, &finding, "me", now()).expect("accept");
        }
        assert!(evaluate_listed(&after, &accepted, &everywhere).is_empty());
        assert!(!accepted.knows_resource(ResourceType::Snapshot, "eu-west-1", "snap-db"));
    }

    #[test]
    fn each_breach_step_yields_its_findings_and_severities() {
        use FindingKind as K;
        use Severity as S;
        type Change = fn(&mut Inventory);
        type Expected = Vec<(FindingKind, Severity, &'static str)>;
        let cases: Vec<(&str, Change, Expected)> = vec![
            (
                "new admin user with key and console password",
                |inv| {
                    let mut backdoor = user("backdoor", an_hour_ago());
                    backdoor.console_access = true;
                    backdoor.attached_policies = vec!["AdministratorAccess".into()];
                    backdoor.admin_via = vec!["AdministratorAccess".into()];
                    inv.users.push(backdoor);
                    inv.access_keys
                        .push(key("AKIABACKDOOR", "backdoor", an_hour_ago()));
                },
                vec![
                    (K::UnknownUser, S::High, "unknown_user:global:backdoor"),
                    (
                        K::AdminPrincipal,
                        S::Critical,
                        "admin_principal:global:backdoor",
                    ),
                    (
                        K::ConsoleWithoutMfa,
                        S::Medium,
                        "console_without_mfa:global:backdoor",
                    ),
                    (
                        K::UnknownAccessKey,
                        S::High,
                        "unknown_access_key:global:AKIABACKDOOR",
                    ),
                ],
            ),
            (
                "second key on a known user",
                |inv| {
                    inv.access_keys
                        .push(key("AKIAALICE2", "alice", an_hour_ago()))
                },
                vec![(
                    K::UnknownAccessKey,
                    S::High,
                    "unknown_access_key:global:AKIAALICE2",
                )],
            ),
            (
                "inactive unknown key is low",
                |inv| {
                    let mut k = key("AKIAOLD", "bob", an_hour_ago());
                    k.status = KeyStatus::Inactive;
                    inv.access_keys.push(k);
                },
                vec![(
                    K::UnknownAccessKey,
                    S::Low,
                    "unknown_access_key:global:AKIAOLD",
                )],
            ),
            (
                "known user gains admin",
                |inv| inv.users[1].admin_via = vec!["inline:god".into()],
                vec![(K::AdminPrincipal, S::Critical, "admin_principal:global:bob")],
            ),
            (
                "new role trusting an unknown account",
                |inv| {
                    inv.roles
                        .push(role("ops-support", &[STRANGER], an_hour_ago()))
                },
                vec![
                    (K::UnknownRole, S::High, "unknown_role:global:ops-support"),
                    (
                        K::ExternalTrust,
                        S::High,
                        "external_trust:global:ops-support",
                    ),
                ],
            ),
            (
                "known role's trust widened",
                |inv| {
                    inv.roles[1].trust.accounts.insert(STRANGER.into());
                },
                vec![(
                    K::ExternalTrust,
                    S::High,
                    "external_trust:global:partner-read",
                )],
            ),
            (
                "role trusting anyone is critical",
                |inv| inv.roles[0].trust.public = true,
                vec![(
                    K::ExternalTrust,
                    S::Critical,
                    "external_trust:global:lambda-exec",
                )],
            ),
            (
                "function in an unused region is high",
                |inv| {
                    inv.functions
                        .push(function("ap-south-1", "miner", an_hour_ago()))
                },
                vec![(
                    K::RecentResource,
                    S::High,
                    "recent_resource:ap-south-1:miner",
                )],
            ),
            (
                "new function in a used region is medium",
                |inv| {
                    inv.functions
                        .push(function("us-east-1", "report", an_hour_ago()))
                },
                vec![(
                    K::RecentResource,
                    S::Medium,
                    "recent_resource:us-east-1:report",
                )],
            ),
            (
                "old function missing from the baseline is not recent",
                |inv| {
                    inv.functions
                        .push(function("us-east-1", "legacy", long_ago()))
                },
                vec![],
            ),
            (
                "public invoke on a known function",
                |inv| {
                    inv.functions[0].policy_principals = Some(Principals {
                        public: true,
                        ..Principals::default()
                    })
                },
                vec![(
                    K::PublicFunction,
                    S::High,
                    "public_function:us-east-1:billing",
                )],
            ),
            (
                "function URL without auth",
                |inv| inv.functions[1].url_auth = Some(UrlAuth::None),
                vec![(
                    K::PublicFunction,
                    S::High,
                    "public_function:eu-west-1:thumbnails",
                )],
            ),
            (
                "partner snapshot made public",
                |inv| inv.snapshots[0].sharing.public = true,
                vec![(
                    K::PublicSnapshot,
                    S::Critical,
                    "public_snapshot:us-east-1:snap-partner",
                )],
            ),
            (
                "snapshot shared with an unknown account",
                |inv| {
                    inv.snapshots[1].sharing.accounts.insert(STRANGER.into());
                },
                vec![(
                    K::SharedSnapshot,
                    S::High,
                    "shared_snapshot:eu-west-1:snap-db",
                )],
            ),
            (
                "unencrypted snapshot shared is critical",
                |inv| {
                    inv.snapshots[1].encrypted = false;
                    inv.snapshots[1].sharing.accounts.insert(STRANGER.into());
                },
                vec![(
                    K::SharedSnapshot,
                    S::Critical,
                    "shared_snapshot:eu-west-1:snap-db",
                )],
            ),
            (
                "new public AMI",
                |inv| {
                    inv.images.push(Image {
                        region: "us-west-2".into(),
                        id: "ami-1".into(),
                        name: Some("golden".into()),
                        created: Some(an_hour_ago()),
                        sharing: Sharing {
                            public: true,
                            ..Sharing::default()
                        },
                    })
                },
                vec![
                    (K::PublicImage, S::Critical, "public_image:us-west-2:ami-1"),
                    (
                        K::RecentResource,
                        S::High,
                        "recent_resource:us-west-2:ami-1",
                    ),
                ],
            ),
            (
                "AMI shared with an unknown organization",
                |inv| {
                    inv.images.push(Image {
                        region: "us-east-1".into(),
                        id: "ami-2".into(),
                        name: None,
                        created: Some(long_ago()),
                        sharing: Sharing {
                            organizations:
                                ["arn:aws:organizations::1:organization/o-x".to_string()].into(),
                            ..Sharing::default()
                        },
                    })
                },
                vec![(K::SharedImage, S::High, "shared_image:us-east-1:ami-2")],
            ),
            (
                "new instance",
                |inv| {
                    inv.instances.push(Instance {
                        region: "us-east-1".into(),
                        id: "i-1".into(),
                        instance_type: Some("p5.48xlarge".into()),
                        state: Some("running".into()),
                        launched: Some(an_hour_ago()),
                        key_name: None,
                        public_ip: None,
                    })
                },
                vec![(
                    K::RecentResource,
                    S::Medium,
                    "recent_resource:us-east-1:i-1",
                )],
            ),
        ];
        let captured = baseline::capture(&peacetime(), &identity(), now());
        for (name, change, expected) in cases {
            let mut estate = peacetime();
            change(&mut estate);
            let found = summary(&evaluate_with(&estate, Some(&captured)));
            let mut expected: Vec<(FindingKind, Severity, String)> = expected
                .into_iter()
                .map(|(k, s, id)| (k, s, id.to_string()))
                .collect();
            expected.sort();
            assert_eq!(found, expected, "{name}");
        }
    }

    #[test]
    fn without_a_baseline_only_recent_principals_are_unknown() {
        let mut estate = peacetime();
        estate
            .users
            .push(user("newcomer", now() - Duration::days(2)));
        estate
            .roles
            .push(role("fresh", &[], now() - Duration::days(3)));
        let found = evaluate_with(&estate, None);
        let ids: Vec<&str> = found
            .iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    FindingKind::UnknownUser | FindingKind::UnknownRole | FindingKind::NoBaseline
                )
            })
            .map(|f| f.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "unknown_role:global:fresh",
                "unknown_user:global:newcomer",
                "no_baseline:global:123456789012"
            ]
        );
        // Every external account counts as untrusted without a baseline.
        assert!(
            found
                .iter()
                .any(|f| f.id == "external_trust:global:partner-read")
        );
        assert!(
            found
                .iter()
                .any(|f| f.id == "shared_snapshot:us-east-1:snap-partner")
        );
    }

    #[test]
    fn details_say_what_each_principal_and_snapshot_holds() {
        let captured = baseline::capture(&peacetime(), &identity(), now());
        let mut estate = peacetime();
        let mut intruder = user("intruder", an_hour_ago());
        intruder.console_access = true;
        intruder.attached_policies = vec!["ReadOnlyAccess".into()];
        intruder.inline_policies = vec!["persist".into()];
        intruder.groups = vec!["ops".into(), "dev".into()];
        estate.users.push(intruder);
        estate.users.push(user("quiet", an_hour_ago()));
        let mut backdoor = role("backdoor", &[STRANGER], an_hour_ago());
        backdoor.trust.arns = [format!("arn:aws:iam::{STRANGER}:root")].into();
        backdoor.inline_policies = vec!["all".into()];
        estate.roles.push(backdoor);
        estate.snapshots.push(Snapshot {
            volume_id: None,
            size_gib: None,
            ..snapshot("us-east-1", "snap-leak", &[STRANGER], long_ago())
        });
        estate.snapshots.push(snapshot(
            "us-east-1",
            "snap-partner-new",
            &[STRANGER],
            long_ago(),
        ));
        let found = evaluate_with(&estate, Some(&captured));
        let details = |id: &str| {
            found
                .iter()
                .find(|f| f.id == id)
                .unwrap_or_else(|| panic!("{id}: {found:#?}"))
                .details
                .clone()
        };
        assert_eq!(
            details("unknown_user:global:intruder"),
            [
                "console access: yes",
                "policies: ReadOnlyAccess, inline:persist",
                "groups: ops, dev"
            ]
        );
        assert_eq!(
            details("unknown_user:global:quiet"),
            ["console access: no", "policies: none", "groups: none"]
        );
        assert_eq!(
            details("unknown_role:global:backdoor"),
            ["policies: inline:all"]
        );
        assert_eq!(
            details("external_trust:global:backdoor"),
            [format!("trusted principals: arn:aws:iam::{STRANGER}:root")]
        );
        assert_eq!(
            details("shared_snapshot:us-east-1:snap-leak"),
            ["volume ?, ? GiB"]
        );
        assert_eq!(
            details("shared_snapshot:us-east-1:snap-partner-new"),
            ["volume vol-1, 8 GiB"]
        );
    }

    #[test]
    fn ages_read_in_minutes_hours_then_days() {
        let estate = |created: DateTime<Utc>| Inventory {
            users: vec![user("new", created)],
            ..Inventory::default()
        };
        let summary_of = |created| {
            evaluate_with(&estate(created), Some(&Baseline::default()))
                .into_iter()
                .find(|f| f.kind == FindingKind::UnknownUser)
                .map(|f| f.summary)
                .expect("an unknown user")
        };
        for (ago, says) in [
            (Duration::seconds(59), "created just now"),
            (Duration::minutes(1), "created 1m ago"),
            (Duration::minutes(59), "created 59m ago"),
            (Duration::minutes(60), "created 1h ago"),
            (Duration::minutes(47 * 60 + 59), "created 47h ago"),
            (Duration::hours(48), "created 2d ago"),
            (Duration::hours(71), "created 2d ago"),
            (Duration::hours(72), "created 3d ago"),
            // A clock ahead of AWS's: never a negative age.
            (Duration::minutes(-5), "created just now"),
        ] {
            let summary = summary_of(now() - ago);
            assert!(summary.contains(says), "{ago}: {summary}");
        }
    }

    #[test]
    fn without_a_baseline_only_recent_keys_are_unknown_and_old_admins_are_expected() {
        let mut estate = peacetime();
        estate
            .access_keys
            .push(key("AKIANEW", "alice", now() - Duration::days(2)));
        estate
            .access_keys
            .push(key("AKIAWEEK", "alice", now() - Duration::days(8)));
        estate.users[0].admin_via = vec!["AdministratorAccess".into()];
        let mut newcomer = user("newcomer", now() - Duration::days(1));
        newcomer.admin_via = vec!["inline:all".into()];
        estate.users.push(newcomer);
        let found = evaluate_with(&estate, None);
        let ids: BTreeSet<&str> = found
            .iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    FindingKind::UnknownAccessKey | FindingKind::AdminPrincipal
                )
            })
            .map(|f| f.id.as_str())
            .collect();
        assert_eq!(
            ids,
            BTreeSet::from([
                "unknown_access_key:global:AKIANEW",
                "admin_principal:global:newcomer"
            ])
        );
        // With a baseline, its admins list decides: alice is expected only once it is listed.
        let mut captured = baseline::capture(&peacetime(), &identity(), now());
        let admin_of = |captured: &Baseline| {
            evaluate_with(&estate, Some(captured))
                .iter()
                .any(|f| f.id == "admin_principal:global:alice")
        };
        assert!(admin_of(&captured));
        captured.principals.admins.insert("alice".into());
        assert!(!admin_of(&captured));
    }

    #[test]
    fn ids_are_stable_and_related_findings_are_linked() {
        let captured = baseline::capture(&peacetime(), &identity(), now());
        let mut estate = peacetime();
        let mut backdoor = user("backdoor", an_hour_ago());
        backdoor.admin_via = vec!["AdministratorAccess".into()];
        estate.users.push(backdoor);
        estate
            .access_keys
            .push(key("AKIABACKDOOR", "backdoor", an_hour_ago()));
        let first = evaluate_with(&estate, Some(&captured));
        let second = evaluate_with(&estate, Some(&captured));
        assert_eq!(first, second);
        let unknown = first
            .iter()
            .find(|f| f.id == "unknown_user:global:backdoor")
            .expect("unknown user finding");
        assert!(
            unknown
                .related
                .contains(&"admin_principal:global:backdoor".to_string())
        );
        assert!(
            unknown
                .related
                .contains(&"unknown_access_key:global:AKIABACKDOOR".to_string())
        );
        // Sorted most severe first.
        assert!(first.windows(2).all(|w| w[0].severity >= w[1].severity));
    }

    #[test]
    fn accepting_removes_exactly_that_finding_until_its_facts_change() {
        let mut captured = baseline::capture(&peacetime(), &identity(), now());
        let mut estate = peacetime();
        estate.roles[1].trust.accounts.insert(STRANGER.into());
        estate.snapshots[0].sharing.public = true;
        let before = evaluate_with(&estate, Some(&captured));
        assert_eq!(before.len(), 2);
        let public = before
            .iter()
            .find(|f| f.kind == FindingKind::PublicSnapshot)
            .expect("public snapshot")
            .clone();
        baseline::accept(&mut captured, &public, "arn:responder", now()).expect("accept");
        let after = evaluate_with(&estate, Some(&captured));
        assert_eq!(
            summary(&after),
            summary(
                &before[..]
                    .iter()
                    .filter(|f| f.id != public.id)
                    .cloned()
                    .collect::<Vec<_>>()
            )
        );

        let trust = after[0].clone();
        baseline::accept(&mut captured, &trust, "arn:responder", now()).expect("accept");
        assert!(evaluate_with(&estate, Some(&captured)).is_empty());
        // The accepted account is now trusted; a further account is a new fact.
        estate.roles[1].trust.accounts.insert("999999999999".into());
        let again = evaluate_with(&estate, Some(&captured));
        assert_eq!(again.len(), 1);
        assert!(again[0].summary.contains("999999999999"));
        assert!(!again[0].summary.contains(STRANGER));
    }

    #[test]
    fn severities_parse_and_order() {
        assert_eq!(Severity::parse("critical"), Ok(Severity::Critical));
        assert!(Severity::parse("CRITICAL").is_err());
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
    }
    #[test]
    fn an_item_not_fully_read_is_one_finding_naming_every_failed_call() {
        use crate::model::Unread;
        let captured = baseline::capture(&peacetime(), &identity(), now());
        let mut estate = peacetime();
        let unread = |call: &str, code: &str| Unread {
            region: GLOBAL.into(),
            resource_type: ResourceType::User,
            resource_id: "alice".into(),
            call: call.into(),
            code: code.into(),
            request_id: Some("req-7".into()),
        };
        estate.unread = vec![
            unread("iam ListAccessKeys", "Throttling"),
            unread("iam GetLoginProfile", "ServiceFailure"),
        ];
        let found = evaluate_with(&estate, Some(&captured));
        let not_judged: Vec<&Finding> = found
            .iter()
            .filter(|f| f.kind == FindingKind::NotJudged)
            .collect();
        assert_eq!(not_judged.len(), 1, "{found:#?}");
        let finding = not_judged[0];
        assert_eq!(finding.id, "not_judged:global:alice");
        assert_eq!(finding.severity, Severity::Medium);
        assert!(
            finding
                .summary
                .contains("iam ListAccessKeys: Throttling, request id req-7")
                && finding
                    .summary
                    .contains("iam GetLoginProfile: ServiceFailure"),
            "{}",
            finding.summary
        );
        let mut accepted = captured.clone();
        assert!(baseline::accept(&mut accepted, finding, "arn:responder", now()).is_err());
    }
}
