//! What only real AWS (or a new user's first run) shows, end to end against moto: the defects of
//! issue 21 that moto can show. Each test here was seen failing before its fix (the commit
//! names the broken build).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::playbooks::statuses;
use crate::support::{ACCOUNT, TestBed};

/// Runs firebreak to its end, or kills it after `limit` (a bound on a hang, not a timing
/// assertion): the output, or `None` when it had to be killed.
fn run_bounded(
    mut command: std::process::Command,
    limit: Duration,
) -> Option<std::process::Output> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start firebreak");
    let started = Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().expect("poll firebreak").is_some() {
            return Some(child.wait_with_output().expect("firebreak output"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// A new user's freeze: the default config (the SDK's full retry budget), every region. moto
/// lacks the block-public-access calls and answers them with an HTML 500 on every try; that
/// answer must be known for what it is at once, every step must end, none `failed`, and no step
/// may go to a region of another partition (moto lists China's and GovCloud's too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeze_with_the_default_config_over_all_regions_ends_with_no_failed_step() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    seed.user("mallory", 1).await;
    // The default config: no retry or timeout settings at all.
    std::fs::write(bed.config_path(), "").expect("config");
    let mut command = bed.firebreak(&bed.endpoint());
    command.args([
        "--regions",
        "all",
        "act",
        "freeze",
        "--confirm",
        ACCOUNT,
        "--execute",
        "--format",
        "json",
    ]);
    let output = run_bounded(command, Duration::from_secs(240))
        .expect("freeze ends (it retried moto's unimplemented calls to the operation timeout)");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    let results = statuses(&document);
    assert!(
        !results.iter().any(|(_, status)| status == "failed"),
        "{results:?}"
    );
    assert!(
        results.iter().any(
            |(step, status)| step.starts_with("EnableSnapshotBlockPublicAccess")
                && status == "unsupported"
        ),
        "moto's gap is reported unsupported: {results:?}"
    );
    let regions: Vec<&str> = document["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["region"].as_str())
        .collect();
    assert!(
        regions.contains(&"eu-west-1"),
        "every enabled region: {regions:?}"
    );
    assert!(
        !regions
            .iter()
            .any(|r| r.starts_with("cn-") || r.starts_with("us-gov-")),
        "only the caller's partition: {regions:?}"
    );
}
