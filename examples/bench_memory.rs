//! The benchmarks' memory measure: what `firebreak scan --format json` holds at its peak when
//! the account has N resources (default 100,000), without an emulator that could serve that
//! many. The items go through the scan's own event fold (`ScanState::apply`), are judged with no
//! baseline (so every recent one is a finding — the most a scan holds), and the JSON report is
//! serialized exactly as the scan command writes it (counted, not kept). Prints the peak resident set
//! (VmHWM) in MiB.
//!
//! Usage: `bench_memory [RESOURCES=100000]`.

// Harness code: a failed write to /dev/null or /proc ends the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::Utc;
use firebreak::cli::report::ScanReport;
use firebreak::service::session::evaluate;
use firebreak_core::findings::Windows;
use firebreak_core::model::{
    AccessKey, Function, Identity, Instance, KeyStatus, Sharing, Snapshot, User,
};
use firebreak_core::scan::RegionInfo;
use firebreak_core::scan::{Part, ScanEvent, ScanState};

const REGIONS: usize = 24;

/// A writer that only counts what it is given.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let total: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |n| n.parse().expect("RESOURCES must be a number"));
    let now = Utc::now();
    let identity = Identity {
        id: "123456789012".into(),
        alias: None,
        caller_arn: "arn:aws:iam::123456789012:user/responder".into(),
    };
    let mut state = ScanState::default();
    state.apply(ScanEvent::Identity(identity.clone()));
    let regions: Vec<String> = (0..REGIONS).map(|n| format!("xx-bench-{n}")).collect();
    state.apply(ScanEvent::Planned(
        regions
            .iter()
            .map(|name| RegionInfo {
                name: name.clone(),
                enabled: true,
            })
            .collect(),
    ));
    // A tenth are IAM users with a key each; the rest are spread evenly over four regional kinds.
    let users = total / 20;
    let per_kind = (total - 2 * users) / (4 * REGIONS);
    let global = firebreak_core::model::GLOBAL.to_string();
    state.apply(ScanEvent::Part {
        region: global.clone(),
        part: Part::Iam {
            users: (0..users)
                .map(|n| User {
                    region: global.clone(),
                    name: format!("user-{n:06}"),
                    arn: format!("arn:aws:iam::123456789012:user/user-{n:06}"),
                    user_id: format!("AIDA{n:016}"),
                    created: now,
                    console_access: n % 3 == 0,
                    mfa_devices: Vec::new(),
                    attached_policies: vec!["ReadOnlyAccess".into()],
                    inline_policies: Vec::new(),
                    groups: Vec::new(),
                    admin_via: Vec::new(),
                })
                .collect(),
            access_keys: (0..users)
                .map(|n| AccessKey {
                    region: global.clone(),
                    id: format!("AKIA{n:016}"),
                    user: format!("user-{n:06}"),
                    status: KeyStatus::Active,
                    created: Some(now),
                    last_used: None,
                })
                .collect(),
            roles: Vec::new(),
        },
    });
    for region in &regions {
        state.apply(ScanEvent::Started {
            region: region.clone(),
        });
        let functions = (0..per_kind)
            .map(|n| Function {
                region: region.clone(),
                name: format!("fn-{n:06}"),
                arn: format!("arn:aws:lambda:{region}:123456789012:function:fn-{n:06}"),
                runtime: Some("python3.12".into()),
                last_modified: Some(now),
                role: Some("arn:aws:iam::123456789012:role/exec".into()),
                reserved_concurrency: None,
                policy_principals: None,
                url_auth: None,
                aliases: Vec::new(),
            })
            .collect();
        let snapshots = (0..per_kind)
            .map(|n| Snapshot {
                region: region.clone(),
                id: format!("snap-{n:017x}"),
                volume_id: Some(format!("vol-{n:017x}")),
                size_gib: Some(8),
                encrypted: n % 2 == 0,
                started: Some(now),
                sharing: Sharing {
                    public: n % 25 == 24,
                    accounts: if n % 4 == 0 {
                        ["210987654321".to_string()].into()
                    } else {
                        Default::default()
                    },
                    organizations: Default::default(),
                },
            })
            .collect();
        let instances = (0..2 * per_kind)
            .map(|n| Instance {
                region: region.clone(),
                id: format!("i-{n:017x}"),
                instance_type: Some("t3.micro".into()),
                state: Some("running".into()),
                launched: Some(now),
                key_name: None,
                public_ip: None,
            })
            .collect();
        for part in [
            Part::Functions(functions),
            Part::Snapshots(snapshots),
            Part::Instances(instances),
        ] {
            state.apply(ScanEvent::Part {
                region: region.clone(),
                part,
            });
        }
        state.apply(ScanEvent::Finished {
            region: region.clone(),
            duration: Duration::from_secs(1),
        });
    }
    state.apply(ScanEvent::Finished {
        region: global,
        duration: Duration::from_secs(1),
    });
    state.apply(ScanEvent::Done);

    let findings = evaluate(&state, &identity, None, Windows::default());
    let held = findings.len();
    let report = ScanReport::new(state, identity, findings, None, now);
    // As `report::print_json` writes it, counting the bytes instead of keeping them.
    let mut counted = Counted(0);
    serde_json::to_writer_pretty(&mut counted, &report).expect("report serializes");
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let peak_kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    let resources = 2 * users + REGIONS * 4 * per_kind;
    println!(
        "{{\"resources\": {resources}, \"findings\": {held}, \"report_bytes\": {}, \"peak_rss_mib\": {:.1}}}",
        counted.0,
        peak_kib / 1024.0
    );
}
