//! The scan report: the versioned JSON document of `scan --format json`, and the table of
//! `scan --format table`. Both are built from a finished `ScanState`. Also the one way the
//! command-line front ends write to stdout.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aws::AwsError;
use crate::cli::error::CliError;
use firebreak_core::baseline::Baseline;
use firebreak_core::model::finding::Finding;
use firebreak_core::model::{Identity, Inventory};
use firebreak_core::scan::{ItemKind, RegionState, RegionStatus, ScanState, is_public_function};

/// Bumped whenever a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON document printed by `scan --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub generated_at: DateTime<Utc>,
    pub account: Identity,
    /// IAM and other global calls.
    pub global: RegionReport,
    pub regions: Vec<RegionReport>,
    pub inventory: Inventory,
    /// The baseline the findings were judged against, if any.
    #[serde(default)]
    pub baseline: Option<PathBuf>,
    /// Most severe first.
    #[serde(default)]
    pub findings: Vec<Finding>,
}

/// One region's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionReport {
    pub name: String,
    pub status: RegionStatus,
    pub duration_ms: Option<u64>,
    pub counts: BTreeMap<ItemKind, usize>,
    pub errors: Vec<AwsError>,
}

impl From<&RegionState> for RegionReport {
    fn from(state: &RegionState) -> Self {
        RegionReport {
            name: state.name.clone(),
            status: state.status,
            duration_ms: state
                .duration
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            counts: state.counts.clone(),
            errors: state.errors.clone(),
        }
    }
}

impl ScanReport {
    /// Builds the report of a scan that got at least as far as the caller's identity; takes
    /// the scan's state so its inventory is moved, not copied (at 100k resources, tens of MB).
    pub fn new(
        state: ScanState,
        identity: Identity,
        findings: Vec<Finding>,
        baseline: Option<PathBuf>,
        generated_at: DateTime<Utc>,
    ) -> Self {
        let mut inventory = state.inventory;
        inventory.sort();
        ScanReport {
            schema_version: SCHEMA_VERSION,
            generated_at,
            account: identity,
            global: RegionReport::from(&state.global),
            regions: state.regions.iter().map(RegionReport::from).collect(),
            inventory,
            baseline,
            findings,
        }
    }
}

/// The account line shown on every screen: `123456789012 (alias) as arn:...`.
pub fn identity_line(identity: &Identity) -> String {
    match &identity.alias {
        Some(alias) => format!("{} ({alias}) as {}", identity.id, identity.caller_arn),
        None => format!("{} as {}", identity.id, identity.caller_arn),
    }
}

fn count_cell(region: &RegionReport, kind: ItemKind) -> String {
    region
        .counts
        .get(&kind)
        .map_or_else(|| "-".to_string(), |n| n.to_string())
}

/// Renders the readable summary of `scan --format table`.
pub fn table(report: &ScanReport) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "account  {}", identity_line(&report.account));
    let global = &report.global;
    let _ = writeln!(
        out,
        "global   {:<11} users {}  access keys {}  roles {}",
        RegionStatus::word(global.status),
        count_cell(global, ItemKind::Users),
        count_cell(global, ItemKind::AccessKeys),
        count_cell(global, ItemKind::Roles),
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<16} {:<11} {:>7} {:>9} {:>9} {:>6} {:>9} {:>7} {:>6}",
        "REGION",
        "STATUS",
        "TIME",
        "FUNCTIONS",
        "SNAPSHOTS",
        "AMIS",
        "INSTANCES",
        "BUCKETS",
        "SHARED"
    );
    for region in &report.regions {
        let time = region
            .duration_ms
            .map_or_else(String::new, |ms| format!("{:.1}s", ms as f64 / 1000.0));
        let _ = writeln!(
            out,
            "{:<16} {:<11} {:>7} {:>9} {:>9} {:>6} {:>9} {:>7} {:>6}",
            region.name,
            RegionStatus::word(region.status),
            time,
            count_cell(region, ItemKind::Functions),
            count_cell(region, ItemKind::Snapshots),
            count_cell(region, ItemKind::Images),
            count_cell(region, ItemKind::Instances),
            count_cell(region, ItemKind::Buckets),
            count_cell(region, ItemKind::Shared),
        );
    }

    let _ = writeln!(out, "\nFINDINGS ({})", report.findings.len());
    match &report.baseline {
        Some(path) => {
            let _ = writeln!(out, "  against baseline {}", path.display());
        }
        None => {
            let _ = writeln!(out, "  no baseline");
        }
    }
    for finding in &report.findings {
        let _ = writeln!(
            out,
            "  {:<8} {:<20} {:<16} {}",
            finding.severity.as_str().to_uppercase(),
            finding.kind.as_str(),
            finding.region,
            finding.summary
        );
        let _ = writeln!(out, "           id {}", finding.id);
        if let Some(attribution) = &finding.attribution {
            let _ = writeln!(out, "           attribution: {attribution}");
        }
    }

    let shared = shared_lines(&report.inventory, &report.account.id);
    if !shared.is_empty() {
        let _ = writeln!(out, "\nSHARED OUTSIDE THE ACCOUNT");
        for line in shared {
            let _ = writeln!(out, "  {line}");
        }
    }

    let errors: Vec<&AwsError> = std::iter::once(global)
        .chain(&report.regions)
        .flat_map(|r| &r.errors)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "\nERRORS");
        for error in errors {
            let _ = writeln!(out, "  {error}");
        }
    }
    out
}

/// One line per snapshot, image, function, DB snapshot or bucket that someone outside
/// `account` can use.
pub fn shared_lines(inventory: &Inventory, account: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let audience = |public: bool, accounts: &std::collections::BTreeSet<String>| {
        let mut who: Vec<String> = Vec::new();
        if public {
            who.push("PUBLIC".to_string());
        }
        who.extend(accounts.iter().cloned());
        who.join(", ")
    };
    for s in inventory.snapshots.iter().filter(|s| s.sharing.is_shared()) {
        let mut accounts = s.sharing.accounts.clone();
        accounts.extend(s.sharing.organizations.iter().cloned());
        lines.push(format!(
            "{:<16} snapshot {} -> {}{}",
            s.region,
            s.id,
            audience(s.sharing.public, &accounts),
            if s.encrypted { "" } else { " (unencrypted)" }
        ));
    }
    for i in inventory.images.iter().filter(|i| i.sharing.is_shared()) {
        let mut accounts = i.sharing.accounts.clone();
        accounts.extend(i.sharing.organizations.iter().cloned());
        lines.push(format!(
            "{:<16} image    {} -> {}",
            i.region,
            i.id,
            audience(i.sharing.public, &accounts)
        ));
    }
    for f in inventory.functions.iter().filter(|f| is_public_function(f)) {
        lines.push(format!(
            "{:<16} function {} -> PUBLIC (invoke)",
            f.region, f.name
        ));
    }
    for s in inventory
        .db_snapshots
        .iter()
        .filter(|s| s.sharing.is_shared())
    {
        lines.push(format!(
            "{:<16} db-snap  {} -> {}{}",
            s.region,
            s.id,
            audience(s.sharing.public, &s.sharing.accounts),
            if s.encrypted { "" } else { " (unencrypted)" }
        ));
    }
    for b in &inventory.buckets {
        // Who the policy and the ACL name, before Block Public Access (the findings say what
        // it holds back); the account's own id is not "outside".
        let mut accounts = b.acl.accounts.clone();
        accounts.extend(b.policy.iter().flat_map(|p| p.accounts.iter().cloned()));
        accounts.retain(|a| a != account);
        if b.is_public_configured() || !accounts.is_empty() {
            lines.push(format!(
                "{:<16} bucket   {} -> {}",
                b.region,
                b.name,
                audience(b.is_public_configured(), &accounts)
            ));
        }
    }
    lines
}

/// The readable form of a baseline, for `baseline show`.
pub fn baseline_summary(baseline: &Baseline, path: &Path) -> String {
    let mut out = String::new();
    let list = |items: &std::collections::BTreeSet<String>| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    };
    let count = |map: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>| {
        map.values().map(|ids| ids.len()).sum::<usize>()
    };
    let _ = writeln!(out, "baseline {}", path.display());
    let _ = writeln!(out, "account          {}", baseline.account_id);
    if let Some(at) = baseline.captured_at {
        let _ = writeln!(
            out,
            "captured         {} by {}",
            at.to_rfc3339(),
            baseline.captured_by.as_deref().unwrap_or("?")
        );
    }
    let p = &baseline.principals;
    let _ = writeln!(out, "users            {}", list(&p.users));
    let _ = writeln!(out, "roles            {}", list(&p.roles));
    let _ = writeln!(out, "access keys      {}", list(&p.access_keys));
    let _ = writeln!(out, "admins           {}", list(&p.admins));
    let _ = writeln!(out, "trusted accounts {}", list(&baseline.trusted_accounts));
    let _ = writeln!(out, "regions in use   {}", list(&baseline.regions_in_use));
    let r = &baseline.resources;
    let _ = writeln!(
        out,
        "resources        {} functions, {} snapshots, {} images, {} instances",
        count(&r.functions),
        count(&r.snapshots),
        count(&r.images),
        count(&r.instances)
    );
    for a in &baseline.accepted {
        let _ = writeln!(
            out,
            "accepted         {} by {} at {}",
            a.finding,
            a.by,
            a.at.to_rfc3339()
        );
    }
    out
}

/// Writes `value` to stdout as pretty JSON and a newline, as it is serialized: a large report
/// is never held twice (as data and as text).
pub fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value).map_err(|error| match error.io_error_kind() {
        Some(kind) => CliError::Output(kind.into()),
        None => error.into(),
    })?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(CliError::Output)
}

/// Writes `text` to stdout.
pub fn print(text: &str) -> Result<(), CliError> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(CliError::Output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use firebreak_core::model::Principals;
    use firebreak_core::model::database::{DatabaseKind, DbSnapshot};
    use firebreak_core::model::storage::{AclGrants, Bucket, Versioning};

    fn bucket(name: &str, policy: Option<Principals>, acl: AclGrants) -> Bucket {
        Bucket {
            region: "us-east-1".into(),
            name: name.into(),
            created: None,
            policy,
            policy_public: None,
            acl,
            block: None,
            versioning: Versioning::Never,
            mfa_delete: false,
            object_lock: false,
            replication: Vec::new(),
            expiring_rules: Vec::new(),
            encryption: None,
            census: None,
        }
    }

    #[test]
    fn buckets_and_db_snapshots_shared_outside_the_account_are_listed() {
        let own = "123456789012";
        let inventory = Inventory {
            buckets: vec![
                bucket(
                    "open",
                    Some(Principals {
                        public: true,
                        ..Principals::default()
                    }),
                    AclGrants::default(),
                ),
                bucket(
                    "backdoored",
                    Some(Principals {
                        accounts: [own.to_string(), "999988887777".to_string()].into(),
                        ..Principals::default()
                    }),
                    AclGrants {
                        public: Vec::new(),
                        accounts: ["c0ffee".to_string()].into(),
                    },
                ),
                bucket(
                    "own",
                    Some(Principals {
                        accounts: [own.to_string()].into(),
                        ..Principals::default()
                    }),
                    AclGrants::default(),
                ),
            ],
            db_snapshots: vec![DbSnapshot {
                region: "eu-west-1".into(),
                id: "orders-weekly".into(),
                kind: DatabaseKind::Instance,
                source: None,
                created: None,
                encrypted: false,
                sharing: firebreak_core::model::Sharing {
                    public: true,
                    ..Default::default()
                },
            }],
            ..Inventory::default()
        };
        assert_eq!(
            shared_lines(&inventory, own),
            vec![
                "eu-west-1        db-snap  orders-weekly -> PUBLIC (unencrypted)",
                "us-east-1        bucket   open -> PUBLIC",
                "us-east-1        bucket   backdoored -> 999988887777, c0ffee",
            ]
        );
    }
}
