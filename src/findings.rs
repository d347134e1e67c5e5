//! Findings: what does not belong. Rules are pure functions over (inventory, baseline, now);
//! every finding has a stable id (`kind:region:resource_id`), so the same thing keeps the same
//! id across scans and can be accepted into the baseline.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::baseline::Baseline;
use crate::model::{GLOBAL, Identity, Inventory, KeyStatus, Sharing};
use crate::scan::is_public_function;

/// How bad a finding is, lowest first (so `>=` compares severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses `info|low|medium|high|critical`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "'{other}' is not a severity (info, low, medium, high, critical)"
            )),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of thing does not belong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// No baseline: principals are judged by age only.
    NoBaseline,
    UnknownUser,
    UnknownRole,
    UnknownAccessKey,
    AdminPrincipal,
    ConsoleWithoutMfa,
    ExternalTrust,
    RecentResource,
    PublicSnapshot,
    SharedSnapshot,
    PublicImage,
    SharedImage,
    PublicFunction,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::NoBaseline => "no_baseline",
            FindingKind::UnknownUser => "unknown_user",
            FindingKind::UnknownRole => "unknown_role",
            FindingKind::UnknownAccessKey => "unknown_access_key",
            FindingKind::AdminPrincipal => "admin_principal",
            FindingKind::ConsoleWithoutMfa => "console_without_mfa",
            FindingKind::ExternalTrust => "external_trust",
            FindingKind::RecentResource => "recent_resource",
            FindingKind::PublicSnapshot => "public_snapshot",
            FindingKind::SharedSnapshot => "shared_snapshot",
            FindingKind::PublicImage => "public_image",
            FindingKind::SharedImage => "shared_image",
            FindingKind::PublicFunction => "public_function",
        }
    }
}

/// The kind of resource a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Account,
    User,
    AccessKey,
    Role,
    Function,
    Snapshot,
    Image,
    Instance,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Account => "account",
            ResourceType::User => "user",
            ResourceType::AccessKey => "access_key",
            ResourceType::Role => "role",
            ResourceType::Function => "function",
            ResourceType::Snapshot => "snapshot",
            ResourceType::Image => "image",
            ResourceType::Instance => "instance",
        }
    }
}

/// One thing that does not belong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// `kind:region:resource_id`; the same thing has the same id in every scan.
    pub id: String,
    pub kind: FindingKind,
    pub severity: Severity,
    /// Region, or `global`.
    pub region: String,
    pub resource_type: ResourceType,
    /// User name, access key id, role name, function name, snapshot/image/instance id.
    pub resource_id: String,
    pub arn: Option<String>,
    pub summary: String,
    pub details: Vec<String>,
    /// Ids of findings about the same principal or resource (a user's keys, etc.).
    pub related: Vec<String>,
    /// What the finding is about, in a form that changes when the facts change (e.g. the
    /// untrusted accounts): an acceptance holds only while this stays the same.
    pub facts: String,
}

/// The id of the finding of `kind` about `resource_id` in `region`.
pub fn finding_id(kind: FindingKind, region: &str, resource_id: &str) -> String {
    format!("{}:{region}:{resource_id}", kind.as_str())
}

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

/// "3h ago", "2d ago".
fn ago(elapsed: Duration) -> String {
    let minutes = elapsed.num_minutes().max(0);
    if minutes < 60 {
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
        if !user.admin_via.is_empty() && !is_known_admin(ctx, &user.name, known) {
            out.add(
                FindingKind::AdminPrincipal,
                Severity::Critical,
                GLOBAL,
                ResourceType::User,
                &user.name,
                Some(&user.arn),
                format!(
                    "user {} has administrator access via {}",
                    user.name,
                    user.admin_via.join(", ")
                ),
                Vec::new(),
                user.admin_via.join(","),
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
        if !role.admin_via.is_empty() && !is_known_admin(ctx, &role.name, known) {
            out.add(
                FindingKind::AdminPrincipal,
                Severity::Critical,
                GLOBAL,
                ResourceType::Role,
                &role.name,
                Some(&role.arn),
                format!(
                    "role {} has administrator access via {}",
                    role.name,
                    role.admin_via.join(", ")
                ),
                Vec::new(),
                role.admin_via.join(","),
            );
        }
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
            how.push("resource policy allows principal *");
        }
        if function.url_auth == Some(crate::model::UrlAuth::None) {
            how.push("function URL without auth");
        }
        out.add(
            FindingKind::PublicFunction,
            Severity::High,
            &function.region,
            ResourceType::Function,
            &function.name,
            Some(&function.arn),
            format!("function {} can be invoked by anyone", function.name),
            how.iter().map(|h| h.to_string()).collect(),
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
