//! Reliability under a breach night's faults: the real binary through a proxy that throttles 30 %
//! of requests, fails 5 % with HTTP 500 and drops 2 % of connections (half of them after moto has
//! carried the request out).

use std::collections::BTreeSet;

use firebreak::model::finding::FindingKind;
use firebreak::scan::RegionStatus;

use crate::findings::{plant_breach, seed_peacetime};
use crate::support::TestBed;
use crate::support::fault_proxy::{FaultProxy, Faults};

/// Production retry budgets (10 attempts per read, 3 per change) with backoff capped at 2 s
/// instead of 20 s, so that ten scans fit in a test run.
pub(crate) const FAULT_CONFIG: &str = "[aws]\nconnect_timeout_secs = 2\nmax_backoff_secs = 2\n";

/// The proxy's address for a bed's moto.
pub(crate) fn upstream(bed: &TestBed) -> std::net::SocketAddr {
    bed.endpoint()
        .trim_start_matches("http://")
        .parse()
        .expect("moto address")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_scans_under_throttling_errors_and_resets_each_find_every_indicator() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let peace = seed_peacetime(&seed).await;
    let baseline = bed.dir.path().join("baseline.toml");
    let baseline_arg = baseline.to_str().expect("utf-8 path");
    let captured = bed
        .firebreak(&bed.endpoint())
        .args(["--baseline", baseline_arg, "baseline", "capture"])
        .output()
        .expect("run firebreak");
    assert!(captured.status.success(), "{captured:?}");
    let breach = plant_breach(&seed, &peace).await;
    std::fs::write(bed.config_path(), FAULT_CONFIG).expect("config");

    let proxy = FaultProxy::faulty(upstream(&bed), Faults::breach_night(9), None).await;
    for round in 1..=10 {
        let started = std::time::Instant::now();
        let (report, output) = bed.scan_json(&proxy.endpoint(), &["--baseline", baseline_arg]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let unfinished: Vec<_> = std::iter::once(&report.global)
            .chain(&report.regions)
            .filter(|r| !matches!(r.status, RegionStatus::Done | RegionStatus::NotEnabled))
            .map(|r| (&r.name, r.status, &r.errors))
            .collect();
        assert!(
            unfinished.is_empty(),
            "round {round}: regions not done: {unfinished:#?}\n{stderr}"
        );
        // Not partial (that would be exit 4).
        assert_eq!(output.status.code(), Some(0), "round {round}: {stderr}");
        let found: BTreeSet<(FindingKind, String, String)> = report
            .findings
            .iter()
            .map(|f| (f.kind, f.region.clone(), f.resource_id.clone()))
            .collect();
        for item in &breach.expected {
            assert!(found.contains(item), "round {round}: {item:?} missing");
        }
        eprintln!("round {round}: {:?}", started.elapsed());
    }
    let injected = proxy.injected();
    let mut tally = std::collections::BTreeMap::new();
    for fault in &injected {
        *tally.entry(fault).or_insert(0) += 1;
    }
    eprintln!("faults injected: {tally:?}");
    // The faults did happen, of every kind, and every service was throttled.
    for kind in ["throttle", "500", "drop", "drop after"] {
        assert!(
            injected.iter().any(|(_, k)| *k == kind),
            "no {kind} was injected: the test did not test it"
        );
    }
    for service in ["ec2", "iam", "lambda"] {
        assert!(
            injected.contains(&(service.to_string(), "throttle")),
            "{service} was never throttled"
        );
    }
}
