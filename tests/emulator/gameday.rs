//! Game days end to end, through the real binary against moto: every scenario with three seeds
//! is detonated (`gameday run --no-tui`), `scan` reports every indicator, the matching `act`
//! commands contain them, `gameday score` shows each contained with its time, and `gameday
//! cleanup` leaves nothing of the run (checked with the SDK). Detonation away from loopback is
//! refused; no attacker secret reaches a file or the output; the cockpit runs a game day.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use firebreak::gameday::indicator::Threat;
use firebreak::gameday::record::RunRecord;
use firebreak::gameday::scenario::Containment;
use firebreak::gameday::score::{Scorecard, Status};

use crate::support::TestBed;
use crate::support::fault_proxy::FaultProxy;
use crate::support::tmux::Tmux;

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs firebreak against `endpoint` with its data in `data`; asserts success.
fn firebreak(bed: &TestBed, endpoint: &str, data: &Path, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_firebreak"));
    crate::support::isolate_aws_env(&mut command, bed.dir.path());
    let output = command
        .args(["--endpoint-url", endpoint])
        .args(["--config", &bed.config_path().to_string_lossy()])
        .args(["--data-dir", &data.to_string_lossy()])
        .args(args)
        .output()
        .expect("run firebreak");
    assert!(output.status.success(), "{args:?}: {}", text(&output));
    output
}

/// The `act` commands that contain `record`'s indicators, each as its scenario expects.
fn containing_commands(record: &RunRecord) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for indicator in &record.indicators {
        let targets: Vec<String> = indicator
            .threats
            .iter()
            .map(|threat| match threat {
                Threat::User { name, .. } | Threat::Role { name, .. } => name.clone(),
                Threat::Function { region, name } => format!("{region}/{name}"),
                Threat::Snapshot { region, id, .. } | Threat::Image { region, id, .. } => {
                    format!("{region}/{id}")
                }
                Threat::Bucket { region, name, .. } => format!("{region}/s3://{name}"),
                Threat::DbSnapshot { region, id, .. } => format!("{region}/db-snapshot:{id}"),
                Threat::Database { region, id } => format!("{region}/db:{id}"),
            })
            .collect();
        let playbook = match indicator.contain {
            Containment::DisableUser => "disable-user",
            Containment::DisableRole => "disable-role",
            Containment::ContainFunctions => "contain-functions",
            Containment::RevertSharing => "revert-sharing",
        };
        let mut command = vec!["act".to_string(), playbook.to_string()];
        command.extend(targets);
        command.push("--execute".to_string());
        commands.push(command);
    }
    commands
}

/// Everything left in the emulator that a run could have made: users, roles, functions in
/// `regions`, and EC2 snapshots, volumes, AMIs and instances not terminated.
async fn leftovers(bed: &TestBed, regions: &[String]) -> Vec<String> {
    let seeder = bed.seeder();
    let mut left = Vec::new();
    let users = seeder.iam().list_users().send().await.expect("users");
    left.extend(
        users
            .users()
            .iter()
            .map(|u| format!("user {}", u.user_name())),
    );
    let roles = seeder.iam().list_roles().send().await.expect("roles");
    left.extend(
        roles
            .roles()
            .iter()
            .map(|r| format!("role {}", r.role_name())),
    );
    for region in regions {
        let functions = seeder
            .lambda(region)
            .list_functions()
            .send()
            .await
            .expect("functions");
        left.extend(
            functions
                .functions()
                .iter()
                .map(|f| format!("function {region}/{}", f.function_name().unwrap_or("?"))),
        );
        let ec2 = seeder.ec2(region);
        let snapshots = ec2
            .describe_snapshots()
            .owner_ids("self")
            .send()
            .await
            .expect("snapshots");
        left.extend(
            snapshots
                .snapshots()
                .iter()
                .map(|s| format!("snapshot {region}/{}", s.snapshot_id().unwrap_or("?"))),
        );
        let volumes = ec2.describe_volumes().send().await.expect("volumes");
        left.extend(
            volumes
                .volumes()
                .iter()
                .map(|v| format!("volume {region}/{}", v.volume_id().unwrap_or("?"))),
        );
        let images = ec2
            .describe_images()
            .owners("self")
            .send()
            .await
            .expect("images");
        left.extend(
            images
                .images()
                .iter()
                .map(|i| format!("AMI {region}/{}", i.image_id().unwrap_or("?"))),
        );
        let buckets = seeder
            .s3(region)
            .list_buckets()
            .bucket_region(region)
            .send()
            .await
            .expect("buckets");
        left.extend(
            buckets
                .buckets()
                .iter()
                .map(|b| format!("bucket {region}/{}", b.name().unwrap_or("?"))),
        );
        let rds = seeder.rds(region);
        let databases = rds.describe_db_instances().send().await.expect("databases");
        left.extend(databases.db_instances().iter().map(|d| {
            format!(
                "DB instance {region}/{}",
                d.db_instance_identifier().unwrap_or("?")
            )
        }));
        let db_snapshots = rds
            .describe_db_snapshots()
            .snapshot_type("manual")
            .send()
            .await
            .expect("DB snapshots");
        left.extend(db_snapshots.db_snapshots().iter().map(|s| {
            format!(
                "DB snapshot {region}/{}",
                s.db_snapshot_identifier().unwrap_or("?")
            )
        }));
        let instances = ec2.describe_instances().send().await.expect("instances");
        for instance in instances.reservations().iter().flat_map(|r| r.instances()) {
            let state = instance.state().and_then(|s| s.name()).map(|n| n.as_str());
            if !matches!(state, Some("terminated" | "shutting-down")) {
                left.push(format!(
                    "instance {region}/{} ({state:?})",
                    instance.instance_id().unwrap_or("?")
                ));
            }
        }
    }
    left
}

/// One rehearsal of `scenario` with `seed` in `bed`'s emulator: detonate, see, contain, score,
/// clean up — each checked.
async fn rehearse(bed: &TestBed, scenario: &str, seed: u64) {
    let endpoint = bed.endpoint();
    let data = bed.dir.path().join(format!("data-{scenario}-{seed}"));
    let seed_text = seed.to_string();
    let detonated = firebreak(
        bed,
        &endpoint,
        &data,
        &[
            "gameday", "run", scenario, "--seed", &seed_text, "--no-tui", "--format", "json",
        ],
    );
    let record: RunRecord = serde_json::from_slice(&detonated.stdout).unwrap_or_else(|e| {
        panic!(
            "{scenario}/{seed}: not a run record ({e}): {}",
            text(&detonated)
        )
    });
    assert_eq!(record.seed, seed);
    assert!(
        !record.indicators.is_empty(),
        "{scenario}/{seed}: no indicators"
    );
    assert!(record.detonated.is_some() && record.attack_started.is_some());
    assert!(
        record.server.is_none(),
        "an endpoint was given: no server started"
    );

    // The scan (against the run's baseline) reports every part of every indicator.
    let baseline = record.baseline.to_string_lossy().into_owned();
    let scanned = firebreak(
        bed,
        &endpoint,
        &data,
        &["--baseline", &baseline, "scan", "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&scanned.stdout).expect("report");
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    for indicator in &record.indicators {
        for threat in &indicator.threats {
            assert!(
                ids.iter().any(|id| threat.shown_by(id)),
                "{scenario}/{seed}: no finding shows {} ({}); findings: {ids:?}",
                threat.label(),
                indicator.summary
            );
        }
    }

    // What was destroyed is reported as it happened (the baseline lists it, it is gone).
    for damage in &record.damage {
        assert!(
            ids.contains(&damage.finding.as_str()),
            "{scenario}/{seed}: {} not reported ({}); findings: {ids:?}",
            damage.summary,
            damage.finding
        );
    }

    // Not yet contained: the scorecard says detected, not contained.
    let before = score(bed, &endpoint, &data, &record.run_id);
    assert!(
        before
            .indicators
            .iter()
            .all(|i| i.status == Status::Detected),
        "{scenario}/{seed}: {before:#?}"
    );

    for command in containing_commands(&record) {
        let mut args: Vec<&str> = vec!["--baseline", &baseline];
        args.extend(command.iter().map(String::as_str));
        firebreak(bed, &endpoint, &data, &args);
    }
    let card = score(bed, &endpoint, &data, &record.run_id);
    assert_eq!(card.indicators.len(), record.indicators.len());
    for indicator in &card.indicators {
        assert_eq!(
            indicator.status,
            Status::Contained,
            "{scenario}/{seed}: {indicator:#?}"
        );
        let (Some(detected), Some(contained)) = (indicator.detected, indicator.contained) else {
            panic!("{scenario}/{seed}: times missing: {indicator:#?}");
        };
        assert!(detected <= contained, "{indicator:#?}");
        assert!(
            indicator
                .by
                .iter()
                .any(|by| by.contains(&indicator.expected)),
            "{scenario}/{seed}: contained by the expected playbook: {indicator:#?}"
        );
    }
    assert_eq!(card.contained, card.indicators.len());
    assert_eq!(card.damage.len(), record.damage.len());
    assert!(
        card.damage.iter().all(|d| d.detected.is_some()),
        "{scenario}/{seed}: {:#?}",
        card.damage
    );
    assert!(card.first_containment_secs.is_some() && card.full_containment_secs.is_some());
    assert!(card.first_containment_secs <= card.full_containment_secs);
    // Written as JSON and Markdown beside the journals.
    let journal = data.join("journal");
    let written: Scorecard = serde_json::from_slice(
        &std::fs::read(journal.join(format!("{}.scorecard.json", record.run_id)))
            .expect("scorecard json"),
    )
    .expect("scorecard");
    assert_eq!(written.contained, card.contained);
    let markdown = std::fs::read_to_string(journal.join(format!("{}.scorecard.md", record.run_id)))
        .expect("scorecard md");
    assert!(markdown.contains("time to full containment"), "{markdown}");

    let cleaned = firebreak(
        bed,
        &endpoint,
        &data,
        &["gameday", "cleanup", &record.run_id],
    );
    assert!(
        String::from_utf8_lossy(&cleaned.stdout).contains(" 0 left"),
        "{}",
        text(&cleaned)
    );
    let left = leftovers(bed, &record.regions).await;
    assert!(left.is_empty(), "{scenario}/{seed}: cleanup left {left:#?}");
}

fn score(bed: &TestBed, endpoint: &str, data: &Path, run_id: &str) -> Scorecard {
    let output = firebreak(
        bed,
        endpoint,
        data,
        &["gameday", "score", run_id, "--format", "json"],
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)))
}

/// Three seeds of `scenario`, one after the other in one emulator: each cleanup must leave it
/// empty for the next.
async fn three_seeds(scenario: &str) {
    let bed = TestBed::start();
    for seed in [1, 2, 3] {
        rehearse(&bed, scenario, seed).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_made_public_is_seen_contained_scored_and_cleaned_up() {
    three_seeds("snapshot-made-public").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn leaked_keys_lambdas_are_seen_contained_scored_and_cleaned_up() {
    three_seeds("leaked-keys-lambdas").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn console_takeover_is_seen_contained_scored_and_cleaned_up() {
    three_seeds("console-takeover").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn full_breach_is_seen_contained_scored_and_cleaned_up() {
    three_seeds("full-breach").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_ransom_is_seen_contained_scored_and_cleaned_up() {
    three_seeds("bucket-ransom").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn database_exposed_is_seen_contained_scored_and_cleaned_up() {
    three_seeds("database-exposed").await;
}

#[test]
fn detonation_away_from_loopback_is_refused_without_sandbox_accounts() {
    let dir = tempfile::tempdir().expect("dir");
    let bed_less = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_firebreak"));
        crate::support::isolate_aws_env(&mut command, dir.path());
        command
            .args(["--data-dir", &dir.path().join("data").to_string_lossy()])
            .args(args)
            .output()
            .expect("run firebreak")
    };
    for args in [
        // An address nothing answers on: the refusal must come before any call.
        vec![
            "--endpoint-url",
            "http://10.255.255.1:5000",
            "gameday",
            "run",
            "snapshot-made-public",
            "--no-tui",
        ],
        vec!["gameday", "run", "full-breach", "--sandbox", "--no-tui"],
    ] {
        let started = std::time::Instant::now();
        let output = bed_less(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", text(&output));
        assert!(
            stderr.contains("refusing to detonate a game day")
                && stderr.contains("sandbox_accounts"),
            "{stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "refused before any call"
        );
        assert!(
            !dir.path().join("data/gameday").exists(),
            "nothing was recorded"
        );
    }
    // Read-only refuses even on loopback.
    let output = bed_less(&[
        "--read-only",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "gameday",
        "run",
        "snapshot-made-public",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("read-only"),
        "{}",
        text(&output)
    );
}

/// Every file under `root`.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut pending = vec![root.to_path_buf()];
    let mut found = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_dir() {
                pending.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found
}

/// The text between `<tag>` and `</tag>` everywhere in `xml`.
fn between(xml: &str, tag: &str) -> Vec<String> {
    xml.split(&format!("<{tag}>"))
        .skip(1)
        .filter_map(|rest| {
            rest.split_once(&format!("</{tag}>"))
                .map(|(v, _)| v.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_attacker_secret_reaches_a_file_or_the_output() {
    let bed = TestBed::start();
    let proxy = FaultProxy::keeping_bodies(
        bed.moto_address(),
        &["CreateAccessKey", "CreateLoginProfile"],
    )
    .await;
    let endpoint = proxy.endpoint();
    let data = bed.dir.path().join("data");
    let mut printed = Vec::new();
    let mut keep = |output: Output| {
        printed.extend(output.stdout.clone());
        printed.extend(output.stderr.clone());
        output
    };
    let detonated = keep(firebreak(
        &bed,
        &endpoint,
        &data,
        &[
            "gameday",
            "run",
            "full-breach",
            "--seed",
            "7",
            "--no-tui",
            "--format",
            "json",
        ],
    ));
    let record: RunRecord = serde_json::from_slice(&detonated.stdout).expect("record");
    let baseline = record.baseline.to_string_lossy().into_owned();
    keep(firebreak(
        &bed,
        &endpoint,
        &data,
        &["--baseline", &baseline, "scan"],
    ));
    for command in containing_commands(&record) {
        let mut args: Vec<&str> = vec!["--baseline", &baseline];
        args.extend(command.iter().map(String::as_str));
        keep(firebreak(&bed, &endpoint, &data, &args));
    }
    keep(firebreak(&bed, &endpoint, &data, &["gameday", "score"]));
    keep(firebreak(
        &bed,
        &endpoint,
        &data,
        &["gameday", "score", "--format", "md"],
    ));
    keep(firebreak(&bed, &endpoint, &data, &["log", "list"]));
    keep(firebreak(&bed, &endpoint, &data, &["gameday", "cleanup"]));

    // The secrets, as the wire carried them: every key's secret, every console password.
    let mut secrets = Vec::new();
    for seen in proxy.seen() {
        let Some((request, answer)) = &seen.bodies else {
            continue;
        };
        match seen.action.as_str() {
            "CreateAccessKey" => secrets.extend(between(answer, "SecretAccessKey")),
            "CreateLoginProfile" => secrets.extend(
                request
                    .split('&')
                    .filter_map(|pair| pair.strip_prefix("Password="))
                    .map(|p| {
                        percent_encoding::percent_decode_str(p)
                            .decode_utf8_lossy()
                            .into_owned()
                    }),
            ),
            _ => {}
        }
    }
    // Five keys (estate staff and CI, the leaked user, the backdoor) at least, one password.
    assert!(secrets.len() >= 5, "{secrets:?}");
    assert!(secrets.iter().all(|s| s.len() >= 16), "{secrets:?}");
    let written = files(bed.dir.path());
    assert!(written.iter().any(|f| f.ends_with("run.json")));
    assert!(
        written
            .iter()
            .any(|f| f.extension().is_some_and(|x| x == "jsonl"))
    );
    for file in &written {
        let bytes = std::fs::read(file).expect("read");
        let body = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(
                !body.contains(secret.as_str()),
                "{} holds a secret",
                file.display()
            );
        }
    }
    let printed = String::from_utf8_lossy(&printed);
    for secret in &secrets {
        assert!(!printed.contains(secret.as_str()), "a secret was printed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cockpit_runs_a_game_day_on_its_own_emulator_and_prints_the_scorecard() {
    let bed = TestBed::start();
    let data = bed.dir.path().join("data");
    let (removed, set) = crate::support::aws_env(bed.dir.path());
    let args: Vec<String> = [
        "--config",
        &bed.config_path().to_string_lossy(),
        "--data-dir",
        &data.to_string_lossy(),
        "gameday",
        "run",
        "snapshot-made-public",
        "--seed",
        "5",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let tmux = Tmux::start(
        120,
        40,
        &removed,
        &set,
        env!("CARGO_BIN_EXE_firebreak"),
        &args,
    );
    tmux.wait_for("GAME DAY snapshot-made-public", Duration::from_secs(120));
    tmux.wait_for("2/2 indicators left", Duration::from_secs(60));
    // The first scan judged (and so journaled) before quitting.
    tmux.wait_for("scan ✓", Duration::from_secs(60));
    tmux.send_keys(&["q"]);
    tmux.wait_for("EXITED 0", Duration::from_secs(60));
    let screen = tmux.screen();
    assert!(
        screen.contains("game day snapshot-made-public-s5-")
            && screen.contains("0 contained, 2 detected but open, 0 missed of 2 indicators"),
        "{screen}"
    );
    let record = RunRecord::load(&data, None).expect("the run's record");
    assert!(record.private_emulator && record.server.is_none());
    // The private emulator stopped with the cockpit.
    let endpoint = record.endpoint.expect("endpoint");
    let address = endpoint.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "the private moto_server at {endpoint} still answers"
    );
    let card: Scorecard = serde_json::from_slice(
        &std::fs::read(data.join(format!("journal/{}.scorecard.json", record.run_id)))
            .expect("scorecard"),
    )
    .expect("json");
    assert!(card.keystrokes >= 1, "{card:#?}");
    assert!(
        card.indicators.iter().all(|i| i.detected.is_some()),
        "the cockpit's scans are journaled: {card:#?}"
    );
    // At `q` it says where the scorecard is and that the emulator goes with the run.
    let screen = screen.replace('\n', "");
    assert!(
        screen.contains(&format!("{}.scorecard.{{md,json}}", record.run_id))
            && screen.contains("the private emulator stops now"),
        "{screen}"
    );
    // Afterwards, score shows that scorecard and cleanup has nothing to do: both say the
    // emulator is gone, and neither waits on it (no endpoint answers: a call would time out).
    let firebreak = |subcommand: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_firebreak"));
        command
            .args(["--config", &bed.config_path().to_string_lossy()])
            .args(["--data-dir", &data.to_string_lossy()])
            .args(["gameday", subcommand, &record.run_id]);
        for name in &removed {
            command.env_remove(name);
        }
        command.envs(set.iter().map(|(k, v)| (k, v)));
        command.output().expect("firebreak runs")
    };
    let score = firebreak("score");
    let (out, err) = (
        String::from_utf8_lossy(&score.stdout),
        String::from_utf8_lossy(&score.stderr),
    );
    assert!(score.status.success(), "{out}{err}");
    assert!(
        out.contains("0 contained, 2 detected but open, 0 missed of 2 indicators")
            && err.contains("which stopped when the run ended")
            && err.contains("as written when it ended"),
        "{out}{err}"
    );
    let cleanup = firebreak("cleanup");
    let out = String::from_utf8_lossy(&cleanup.stdout);
    assert!(cleanup.status.success(), "{out}");
    assert!(
        out.starts_with("nothing to clean up: run ") && out.contains("private emulator"),
        "{out}"
    );
}
