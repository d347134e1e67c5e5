//! The TUI end to end: the real binary in a 120×40 tmux pane against the emulator.

use std::time::Duration;

use crate::support::tmux::Tmux;
use crate::support::{ACCOUNT, TestBed, aws_env};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_region_and_the_identity_fit_on_120_by_40_and_q_restores_the_terminal() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let snapshot = seed.snapshot("eu-west-1", false).await;
    seed.share_snapshot("eu-west-1", &snapshot, true, &[]).await;
    let regions: Vec<String> = seed
        .ec2("us-east-1")
        .describe_regions()
        .all_regions(true)
        .send()
        .await
        .expect("describe regions")
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        // Moto lists two cn- and two us-gov- regions: another partition's, never scanned.
        .filter(|r| !r.starts_with("cn-") && !r.starts_with("us-gov-"))
        .collect();
    assert_eq!(regions.len(), 34);

    let (removed, set) = aws_env(bed.dir.path());
    let args: Vec<String> = [
        "--endpoint-url",
        &bed.endpoint(),
        "--config",
        &bed.config_path().to_string_lossy(),
        "--regions",
        "all",
        "--read-only",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let tmux = Tmux::start(
        120,
        40,
        &removed,
        &set,
        env!("CARGO_BIN_EXE_firebreak"),
        &args,
    );

    let screen = tmux.wait_for("scan ✓ 20/20", Duration::from_secs(60));
    // The cockpit fills the 120×40 window exactly: its header on the first row, the key
    // footer on the last, and the panes' borders closing on the row above it.
    let rows: Vec<&str> = screen.lines().collect();
    assert!(rows[0].starts_with(" firebreak  "), "{screen}");
    assert!(rows[39].starts_with(" D disable  X contain"), "{screen}");
    assert!(
        rows[38].starts_with('└') && rows[38].trim_end().ends_with('┘'),
        "{screen}"
    );
    assert_eq!(
        rows[1].chars().count(),
        120,
        "the Regions box spans the width: {screen}"
    );
    for region in &regions {
        assert!(
            screen.contains(&format!("{region} ")),
            "{region} is not visible:\n{screen}"
        );
    }
    assert!(!screen.contains("cn-north-1"), "{screen}");
    assert!(screen.contains(ACCOUNT), "{screen}");
    assert!(screen.contains("READ-ONLY"), "{screen}");
    // Findings are judged when the scan completes: the public snapshot is critical, listed
    // under Public & shared and selected (the most severe finding), its id whole in details.
    let screen = tmux.wait_for("Public & shared 1", Duration::from_secs(10));
    assert!(
        screen
            .lines()
            .any(|l| l.contains("▶") && l.contains("CRIT") && l.contains("snap ")),
        "{screen}"
    );
    assert!(screen.contains(&format!("snapshot {snapshot}")), "{screen}");
    assert!(screen.contains("Session log"), "{screen}");

    tmux.send_keys(&["q"]);
    let after = tmux.wait_for("EXITED 0", Duration::from_secs(10));
    assert!(
        !after.contains("Regions"),
        "the cockpit is gone from the restored screen:\n{after}"
    );
}
