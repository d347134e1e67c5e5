//! The security promises end to end, each through the real binary against moto and checked
//! outside firebreak (the files on disk, the requests a recording proxy saw, the account read
//! back with the SDK, the terminal as tmux holds it):
//!
//! - no secret firebreak is given or can read (the responder's own secret key, an assumed role's
//!   secret and session token, a function's environment value) in any file firebreak writes or
//!   anything it prints;
//! - read-only, by flag or by config file, sends no mutating request from any command: scan,
//!   baseline capture, every playbook, undo, resume and the cockpit — and journals each refusal;
//! - the caller (an IAM user, or an assumed role and the user it is assumed from) and the
//!   break-glass principals keep every policy, key and password through freeze, unfreeze and
//!   playbooks aimed at them;
//! - files 0600 and folders 0700 under a umask of 022;
//! - a panic in the cockpit, in the event loop or in a worker, restores the terminal (main
//!   screen, cooked mode, cursor shown) and exits 101.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use aws_sdk_iam::types::StatusType;
use firebreak_core::journal::{self, Entry, SessionLog};
use serde_json::Value;

use crate::playbooks::{
    STRANGER, has_login_profile, key_statuses, role_policies, run, run_json, user_policies,
};
use crate::playbooks_more::{
    assume, attached_role_policies, attached_user_policies, firebreak_as_role, trust_policy,
};
use crate::support::fault_proxy::FaultProxy;
use crate::support::tmux::Tmux;
use crate::support::{ACCOUNT, TestBed, aws_env};

/// The test bed's config (one attempt per call, short timeouts) with `extra` in front.
fn config_with(extra: &str) -> String {
    format!(
        "{extra}[aws]\nmax_attempts = 1\nread_max_attempts = 1\nconnect_timeout_secs = 2\noperation_timeout_secs = 30\n"
    )
}

/// Every folder (`root` first) and every file under `root`.
fn walk(root: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut folders = vec![root.to_path_buf()];
    let mut files = Vec::new();
    let mut next = 0;
    while next < folders.len() {
        let entries = std::fs::read_dir(&folders[next])
            .unwrap_or_else(|e| panic!("{}: {e}", folders[next].display()));
        for entry in entries {
            let entry = entry.expect("dir entry");
            if entry.file_type().expect("file type").is_dir() {
                folders.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
        next += 1;
    }
    (folders, files)
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// An IAM user's new access key: (key id, secret), as the SDK returns it once.
async fn new_key(bed: &TestBed, user: &str) -> (String, String) {
    let created = bed
        .seeder()
        .iam()
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .expect("create access key");
    let key = created.access_key().expect("key");
    (
        key.access_key_id().to_string(),
        key.secret_access_key().to_string(),
    )
}

/// Runs `command` with `args`, keeps its output (to search it for secrets later) and returns it.
fn keep(printed: &mut Vec<(String, Output)>, mut command: Command, args: &[&str]) -> Output {
    let output = command.args(args).output().expect("run firebreak");
    printed.push((args.join(" "), output.clone()));
    output
}

/// The pieces of `secret` a careless writer might leave: the whole, and for long secrets (keys,
/// tokens) their first and last 16 characters, as a shortened display would.
fn pieces(secret: &str) -> Vec<&str> {
    let mut pieces = vec![secret];
    if secret.len() >= 32 {
        pieces.push(&secret[..16]);
        pieces.push(&secret[secret.len() - 16..]);
    }
    pieces
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_any_file_firebreak_writes_or_anything_it_prints() {
    const PASSWORD: &str = "Mallory-Console-Pw-7f3c9a!";
    const ENV_SECRET: &str = "pool-token-5d1e8b2a94c7f0e6b3";
    let bed = TestBed::start();
    let seed = bed.seeder();
    let iam = seed.iam();

    // Peacetime: alice, a known function, the responder (and a role it can assume); baseline.
    let responder = seed.user_with_secret("responder").await;
    seed.user("alice", 1).await;
    let role = seed.lambda_role("lambda-exec").await;
    seed.function("us-east-1", "billing", &role).await;
    let oncall = seed
        .role(
            "oncall",
            &trust_policy(&format!("arn:aws:iam::{ACCOUNT}:user/responder")),
        )
        .await;
    let baseline = bed.dir.path().join("conf/baseline.toml");
    let baseline_arg = baseline.to_str().expect("utf-8");
    let mut printed = Vec::new();
    let as_responder = || bed.firebreak_as(&bed.endpoint(), &responder.0, &responder.1);
    let captured = keep(
        &mut printed,
        as_responder(),
        &[
            "--baseline",
            baseline_arg,
            "--regions",
            "us-east-1",
            "baseline",
            "capture",
        ],
    );
    assert!(captured.status.success(), "{}", text(&captured));

    // The breach: mallory with two keys and a console password, a key planted on alice, a
    // miner whose environment holds a secret.
    iam.create_user()
        .user_name("mallory")
        .send()
        .await
        .expect("create mallory");
    let mallory_keys = [
        new_key(&bed, "mallory").await,
        new_key(&bed, "mallory").await,
    ];
    iam.create_login_profile()
        .user_name("mallory")
        .password(PASSWORD)
        .send()
        .await
        .expect("login profile");
    let planted = new_key(&bed, "alice").await;
    seed.function_with_env(
        "us-east-1",
        "miner",
        &role,
        &[("POOL_TOKEN", ENV_SECRET), ("REGION_HINT", "us-east-1")],
    )
    .await;
    let session = assume(&bed, &oncall).await;

    // Everything that writes a file or prints: scans, baseline, playbooks, undo, accept, logs.
    let with_baseline = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--baseline", baseline_arg, "--regions", "us-east-1"];
        all.extend(args);
        all.iter().map(|s| s.to_string()).collect()
    };
    let mut responder_runs: Vec<Vec<String>> = vec![
        with_baseline(&["scan", "--format", "json"]),
        with_baseline(&["scan"]),
        with_baseline(&["baseline", "diff"]),
        with_baseline(&["baseline", "show"]),
    ];
    responder_runs.push(with_baseline(&[
        "act",
        "disable-key",
        planted.0.as_str(),
        "--execute",
    ]));
    responder_runs.push(with_baseline(&[
        "act",
        "contain-functions",
        "us-east-1/miner",
        "--execute",
        "--format",
        "json",
    ]));
    for args in &responder_runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = keep(&mut printed, as_responder(), &args);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
    }
    let (label, scan) = &printed[1];
    assert!(label.ends_with("scan --format json"), "{label}");
    let scan: Value = serde_json::from_slice(&scan.stdout).expect("scan json");
    let findings = scan["findings"].to_string();
    for (id, _) in &mallory_keys {
        assert!(findings.contains(id), "the scan saw mallory's key {id}");
    }
    let disabled = keep(
        &mut printed,
        as_responder(),
        &[
            "--regions",
            "us-east-1",
            "act",
            "disable-user",
            "mallory",
            "--execute",
            "--format",
            "json",
        ],
    );
    assert!(disabled.status.success(), "{}", text(&disabled));
    let disabled: Value = serde_json::from_slice(&disabled.stdout).expect("json");
    let action = disabled["plan"]["action_id"].as_str().expect("action id");
    assert!(!has_login_profile(&bed, "mallory").await);
    for args in [
        vec!["--regions", "us-east-1", "undo", action, "--execute"],
        vec![
            "--baseline",
            baseline_arg,
            "--regions",
            "us-east-1",
            "baseline",
            "accept",
            "unknown_user:global:mallory",
        ],
    ] {
        let output = keep(&mut printed, as_responder(), &args);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
    }
    // As an assumed role: its temporary secret and session token are secrets too.
    for args in [
        vec!["--regions", "us-east-1", "scan", "--format", "json"],
        vec!["--regions", "us-east-1", "act", "disable-user", "mallory"],
    ] {
        let output = keep(&mut printed, firebreak_as_role(&bed, &session), &args);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
    }
    let data = bed.dir.path().join("data");
    let logs = journal::read_all(&data).expect("journals");
    assert!(logs.len() >= 6, "one journal per acting session: {logs:?}");
    let listed = keep(&mut printed, as_responder(), &["log", "list"]);
    assert!(listed.status.success(), "{}", text(&listed));
    for log in &logs {
        for args in [
            vec!["log", "show", log.session.as_str()],
            vec!["log", "export", log.session.as_str(), "--format", "md"],
            vec!["log", "export", log.session.as_str(), "--format", "json"],
        ] {
            let output = keep(&mut printed, as_responder(), &args);
            assert!(output.status.success(), "{args:?}: {}", text(&output));
        }
    }

    // What was written is about the breach: key ids, the function's variable names — so the
    // search below reads the real thing.
    let (_, written) = walk(&data);
    let journals: String = written
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "jsonl"))
        .map(|f| std::fs::read_to_string(f).expect("journal"))
        .collect();
    for (id, _) in &mallory_keys {
        assert!(journals.contains(id), "the journal names key {id}");
    }
    let configuration = written
        .iter()
        .find(|f| f.ends_with("us-east-1/miner/configuration.json"))
        .expect("evidence of the miner");
    let configuration = std::fs::read_to_string(configuration).expect("configuration");
    assert!(
        configuration.contains("POOL_TOKEN") && configuration.contains("REGION_HINT"),
        "evidence keeps the variable names: {configuration}"
    );
    let kept_baseline = std::fs::read_to_string(&baseline).expect("baseline");
    assert!(kept_baseline.contains("mallory"), "{kept_baseline}");
    // Every file under the test's folder: data dir, baseline, config.
    let (_, files) = walk(bed.dir.path());
    assert!(files.contains(&baseline), "{files:?}");

    // Only what firebreak is given or can read: a console password or another user's secret
    // key is never returned by AWS after it is set, so searching for it would prove nothing.
    let secrets: Vec<(&str, &str)> = vec![
        ("the responder's secret key", responder.1.as_str()),
        ("the miner's environment value", ENV_SECRET),
        ("the assumed role's secret key", session.1.as_str()),
        ("the assumed role's session token", session.2.as_str()),
    ];
    let mut leaks = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("read");
        let content = String::from_utf8_lossy(&bytes);
        for (what, secret) in &secrets {
            if pieces(secret).iter().any(|p| content.contains(p)) {
                leaks.push(format!("{} holds {what}", file.display()));
            }
        }
    }
    for (args, output) in &printed {
        let both = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        for (what, secret) in &secrets {
            if pieces(secret).iter().any(|p| both.contains(p)) {
                leaks.push(format!("`firebreak {args}` printed {what}"));
            }
        }
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
    assert!(
        files.len() >= 10 && printed.len() >= 20,
        "the search covered {} files and {} outputs",
        files.len(),
        printed.len()
    );
}

/// How read-only mode is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadOnlyBy {
    Flag,
    Config,
}

/// Journals, through the real journal, a session of `disable-user USER --execute` killed right
/// after the intent of its first step was written (no outcome, no finish): what `kill -9`
/// leaves. Returns the action id.
fn interrupted_disable_user(bed: &TestBed, user: &str, key: &str) -> String {
    use firebreak_core::journal::Journal;
    use firebreak_core::model::operation::UserState;
    use firebreak_core::model::{Identity, KeyStatus};
    use firebreak_core::playbook::{disable_user, guard::Guard};

    let identity = Identity {
        id: ACCOUNT.into(),
        alias: None,
        caller_arn: format!("arn:aws:iam::{ACCOUNT}:user/responder"),
    };
    let journal = Journal::start(
        &bed.dir.path().join("data"),
        &identity,
        vec!["firebreak".into(), "killed".into()],
    )
    .expect("journal");
    let plan = disable_user::plan(
        journal.next_action_id(),
        identity.clone(),
        chrono::Utc::now(),
        &[UserState {
            name: user.into(),
            keys: vec![(key.into(), KeyStatus::Active)],
            login_profile: false,
            revoke_sessions_document: None,
            inline_chars: 0,
        }],
        &Guard::new(&identity.caller_arn, &[]),
    );
    let step = &plan.steps[0];
    for entry in [
        Entry::PlanShown {
            plan: Box::new(plan.clone()),
        },
        Entry::Confirmed {
            action_id: plan.action_id.clone(),
            local_user: None,
            caller_arn: identity.caller_arn.clone(),
            typed: None,
        },
        Entry::StepIntent {
            action_id: plan.action_id.clone(),
            index: step.index,
            service: step.service.clone(),
            region: step.region.clone(),
            api: step.api.clone(),
            target: step.target.clone(),
            operation: step.operation.clone(),
        },
    ] {
        journal.record(entry).expect("record");
    }
    plan.action_id
}

fn sessions(data: &Path) -> BTreeSet<String> {
    journal::read_all(data)
        .expect("journals")
        .into_iter()
        .map(|l| l.session)
        .collect()
}

/// The journals written since `before` was taken.
fn new_sessions(data: &Path, before: &BTreeSet<String>) -> Vec<SessionLog> {
    journal::read_all(data)
        .expect("journals")
        .into_iter()
        .filter(|l| !before.contains(&l.session))
        .collect()
}

/// The environment of a tmux pane running firebreak as `responder`.
fn pane_env(
    bed: &TestBed,
    responder: &(String, String),
) -> (Vec<&'static str>, Vec<(&'static str, String)>) {
    let (removed, mut set) = aws_env(bed.dir.path());
    for (name, value) in &mut set {
        match *name {
            "AWS_ACCESS_KEY_ID" => *value = responder.0.clone(),
            "AWS_SECRET_ACCESS_KEY" => *value = responder.1.clone(),
            _ => {}
        }
    }
    (removed, set)
}

/// Every command in read-only mode through a recording proxy: reads reach moto, nothing that
/// changes anything does, each execution is journaled as refused, and an interrupted action
/// stays resumable afterwards. `--read-only` runs only what `read_only_sends_no_mutating_request_
/// for_any_playbook` (playbooks.rs) does not; the config file runs everything.
async fn read_only_sends_nothing(by: ReadOnlyBy) {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let mallory = seed.user("mallory", 1).await;
    let carol = seed.user("carol", 1).await;
    seed.role(
        "ops-backdoor",
        &trust_policy(&format!("arn:aws:iam::{STRANGER}:root")),
    )
    .await;
    let role = seed.lambda_role("lambda-exec").await;
    seed.function("us-east-1", "miner", &role).await;
    let snapshot = seed.snapshot("us-east-1", false).await;
    seed.share_snapshot("us-east-1", &snapshot, true, &[]).await;
    let data = bed.dir.path().join("data");

    // Something to resume: a session killed while disabling carol.
    let left = interrupted_disable_user(&bed, "carol", &carol[0]);
    // Something to undo and to unfreeze (executed straight against moto, read-write).
    let mut executed = Vec::new();
    if by == ReadOnlyBy::Config {
        seed.user("eve", 1).await;
        let done = run_json(
            &bed,
            &responder,
            &[
                "--regions",
                "us-east-1",
                "act",
                "disable-user",
                "eve",
                "--execute",
            ],
        );
        executed.push(done["plan"]["action_id"].as_str().expect("id").to_string());
        run_json(
            &bed,
            &responder,
            &[
                "--regions",
                "us-east-1",
                "act",
                "freeze",
                "--confirm",
                ACCOUNT,
                "--execute",
            ],
        );
        std::fs::write(bed.config_path(), config_with("read_only = true\n")).expect("config");
    }

    let proxy = FaultProxy::recording(bed.moto_address()).await;
    let endpoint = proxy.endpoint();
    let mut global = vec!["--regions", "us-east-1"];
    if by == ReadOnlyBy::Flag {
        global.insert(0, "--read-only");
    }

    // The cockpit: the interrupted action is offered, its plan shown, and `y` refused; freeze
    // with the account typed is refused; q quits. Both refusals are journaled.
    let before_cockpit = sessions(&data);
    let (removed, set) = pane_env(&bed, &responder);
    let mut args: Vec<String> = [
        "--endpoint-url",
        &endpoint,
        "--config",
        &bed.config_path().to_string_lossy(),
        "--data-dir",
        &data.to_string_lossy(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(global.iter().map(|s| s.to_string()));
    let tmux = Tmux::start(
        120,
        40,
        &removed,
        &set,
        env!("CARGO_BIN_EXE_firebreak"),
        &args,
    );
    let screen = tmux.wait_for("Unfinished actions", Duration::from_secs(20));
    assert!(
        screen.contains(&left) && screen.contains("READ-ONLY"),
        "{screen}"
    );
    tmux.send_keys(&["Tab", "Enter"]);
    tmux.wait_for("read-only: cannot execute", Duration::from_secs(10));
    tmux.send_keys(&["y"]);
    tmux.wait_for(
        "read-only: this plan cannot be executed",
        Duration::from_secs(5),
    );
    tmux.send_keys(&["Escape"]);
    tmux.wait_gone("read-only: cannot execute", Duration::from_secs(5));
    tmux.wait_for("scan ✓", Duration::from_secs(30));
    tmux.send_keys(&["F"]);
    tmux.wait_for("read-only: cannot execute", Duration::from_secs(20));
    tmux.send_keys(&[ACCOUNT]);
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for(
        "read-only: this plan cannot be executed",
        Duration::from_secs(5),
    );
    assert!(
        screen.contains("firebreak-freeze") || screen.contains("PutUserPolicy"),
        "{screen}"
    );
    tmux.send_keys(&["Escape"]);
    tmux.wait_gone("read-only: cannot execute", Duration::from_secs(5));
    tmux.send_keys(&["q"]);
    tmux.wait_for("EXITED 0", Duration::from_secs(10));
    let cockpit_requests = proxy.seen().len();
    assert!(cockpit_requests > 0, "the cockpit read through the proxy");
    let cockpit = new_sessions(&data, &before_cockpit);
    assert_eq!(cockpit.len(), 1, "{cockpit:#?}");
    let shown: BTreeSet<&str> = cockpit[0]
        .records
        .iter()
        .filter_map(|r| match &r.entry {
            Entry::PlanShown { plan } => Some(plan.action_id.as_str()),
            _ => None,
        })
        .collect();
    let refused: Vec<&str> = cockpit[0]
        .records
        .iter()
        .filter_map(|r| match &r.entry {
            Entry::Refused { action_id, reason } if reason == "read-only" => {
                Some(action_id.as_str())
            }
            _ => None,
        })
        .collect();
    assert!(
        refused.contains(&left.as_str()),
        "the refused resume is journaled: {:#?}",
        cockpit[0].records
    );
    assert!(
        refused.iter().any(|id| shown.contains(id) && *id != left),
        "the refused freeze is journaled: {:#?}",
        cockpit[0].records
    );

    // The command line: scans and capture read; every execution is refused and journaled.
    let fresh_baseline = bed.dir.path().join("captured/baseline.toml");
    let fresh_baseline = fresh_baseline.to_str().expect("utf-8");
    let reads: Vec<Vec<&str>> = vec![
        vec!["scan", "--format", "json"],
        vec!["--baseline", fresh_baseline, "baseline", "capture"],
    ];
    let key = mallory[0].as_str();
    let snapshot_target = format!("us-east-1/{snapshot}");
    // (command, also run by playbooks.rs with --read-only)
    let mut executions: Vec<(Vec<&str>, bool)> = vec![
        (vec!["act", "disable-user", "mallory", "--execute"], true),
        (vec!["act", "disable-key", key, "--execute"], false),
        (
            vec!["act", "disable-role", "ops-backdoor", "--execute"],
            false,
        ),
        (
            vec!["act", "contain-functions", "us-east-1/miner", "--execute"],
            true,
        ),
        (
            vec![
                "act",
                "contain-functions",
                "us-east-1/miner",
                "--delete",
                "--confirm",
                "delete",
                "--execute",
            ],
            true,
        ),
        (
            vec![
                "act",
                "revert-sharing",
                snapshot_target.as_str(),
                "--execute",
            ],
            true,
        ),
        (
            vec!["act", "freeze", "--confirm", ACCOUNT, "--execute"],
            true,
        ),
        (vec!["resume", left.as_str(), "--execute"], false),
    ];
    if by == ReadOnlyBy::Config {
        executions.push((vec!["act", "unfreeze", "--execute"], true));
        executions.push((vec!["undo", executed[0].as_str(), "--execute"], true));
    }
    let every_execution: Vec<Vec<&str>> = executions.iter().map(|(c, _)| c.clone()).collect();
    if by == ReadOnlyBy::Flag {
        executions.retain(|(_, covered)| !covered);
    }
    for command in &reads {
        let before = sessions(&data);
        let seen = proxy.seen().len();
        let mut args = global.clone();
        args.extend(command);
        let output = run(&bed, &endpoint, &responder, &args);
        assert!(output.status.success(), "{command:?}: {}", text(&output));
        assert!(proxy.seen().len() > seen, "{command:?} read nothing");
        assert!(
            new_sessions(&data, &before).is_empty(),
            "{command:?} journals nothing"
        );
    }
    assert!(
        Path::new(fresh_baseline).exists(),
        "capture writes its file"
    );
    for (command, _) in &executions {
        let before = sessions(&data);
        let seen = proxy.seen().len();
        let mut args = global.clone();
        args.extend(command);
        let output = run(&bed, &endpoint, &responder, &args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{command:?}: {}",
            text(&output)
        );
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("read-only"),
            "{command:?}: {}",
            text(&output)
        );
        assert!(proxy.seen().len() > seen, "{command:?} read nothing");
        let written = new_sessions(&data, &before);
        assert_eq!(written.len(), 1, "{command:?}: {written:#?}");
        let records = &written[0].records;
        let shown: Vec<&str> = records
            .iter()
            .filter_map(|r| match &r.entry {
                Entry::PlanShown { plan } => Some(plan.action_id.as_str()),
                _ => None,
            })
            .collect();
        let refused: Vec<(&str, &str)> = records
            .iter()
            .filter_map(|r| match &r.entry {
                Entry::Refused { action_id, reason } => Some((action_id.as_str(), reason.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(shown.len(), 1, "{command:?}: {records:#?}");
        assert_eq!(
            refused,
            [(shown[0], "read-only")],
            "{command:?}: the refusal of the plan shown is journaled"
        );
        assert!(
            !records
                .iter()
                .any(|r| matches!(r.entry, Entry::StepIntent { .. })),
            "{command:?}: no step was sent"
        );
    }

    let seen = proxy.seen();
    let mutating: Vec<_> = seen.iter().filter(|s| s.is_mutating()).collect();
    assert!(
        mutating.is_empty(),
        "mutating requests reached the emulator in read-only mode: {mutating:#?}"
    );
    assert!(
        seen.len() > cockpit_requests + 2 * (reads.len() + executions.len()),
        "every command read the account: {} requests",
        seen.len()
    );
    assert!(
        !user_policies(&bed, "carol")
            .await
            .contains("firebreak-deny-all")
    );
    assert_eq!(
        key_statuses(&bed, "mallory").await,
        [(mallory[0].clone(), StatusType::Active)]
    );

    // Read-write now: every dry run (each command above without --execute) reads, shows and
    // journals its plan, and sends nothing.
    std::fs::write(bed.config_path(), config_with("")).expect("config");
    let seen_before_dry_runs = proxy.seen().len();
    for command in &every_execution {
        let before = sessions(&data);
        let mut args = vec!["--regions", "us-east-1"];
        args.extend(command.iter().filter(|a| **a != "--execute"));
        let output = run(&bed, &endpoint, &responder, &args);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
        let written = new_sessions(&data, &before);
        assert_eq!(written.len(), 1, "{args:?}: {written:#?}");
        let records = &written[0].records;
        assert!(
            records
                .iter()
                .any(|r| matches!(r.entry, Entry::PlanShown { .. })),
            "{args:?}: the plan is journaled"
        );
        assert!(
            !records.iter().any(|r| matches!(
                r.entry,
                Entry::StepIntent { .. } | Entry::Confirmed { .. } | Entry::Refused { .. }
            )),
            "{args:?}: a dry run confirms, refuses and sends nothing: {records:#?}"
        );
    }
    let dry_seen = proxy.seen()[seen_before_dry_runs..].to_vec();
    assert!(
        dry_seen.len() > every_execution.len(),
        "the dry runs read the account"
    );
    let mutating: Vec<_> = dry_seen.iter().filter(|s| s.is_mutating()).collect();
    assert!(
        mutating.is_empty(),
        "a dry run sent a mutating request: {mutating:#?}"
    );

    // A refused resume leaves the interrupted action to finish: read-write, it is still named
    // and still resumable.
    let noticed = run(
        &bed,
        &bed.endpoint(),
        &responder,
        &["--regions", "us-east-1", "act", "disable-user", "nobody"],
    );
    assert!(
        String::from_utf8_lossy(&noticed.stderr).contains(&format!("firebreak resume {left}")),
        "the interrupted action is still named: {}",
        text(&noticed)
    );
    let finished = run(
        &bed,
        &bed.endpoint(),
        &responder,
        &["--regions", "us-east-1", "resume", &left, "--execute"],
    );
    assert!(finished.status.success(), "{}", text(&finished));
    assert!(
        user_policies(&bed, "carol")
            .await
            .contains("firebreak-deny-all")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_flag_sends_nothing_from_scan_baseline_the_cockpit_resume_and_the_iam_playbooks()
{
    read_only_sends_nothing(ReadOnlyBy::Flag).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_in_the_config_file_sends_nothing_from_any_command() {
    read_only_sends_nothing(ReadOnlyBy::Config).await;
}

/// What a principal holds, read straight from moto.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    inline: BTreeSet<String>,
    attached: BTreeSet<String>,
    keys: Vec<(String, StatusType)>,
    login_profile: bool,
    trust: Option<String>,
}

async fn held(bed: &TestBed, principal: &str) -> Held {
    match principal.split_once('/') {
        Some(("user", name)) => Held {
            inline: user_policies(bed, name).await,
            attached: attached_user_policies(bed, name).await,
            keys: key_statuses(bed, name).await,
            login_profile: has_login_profile(bed, name).await,
            trust: None,
        },
        Some(("role", name)) => Held {
            inline: role_policies(bed, name).await,
            attached: attached_role_policies(bed, name).await,
            keys: Vec::new(),
            login_profile: false,
            trust: bed
                .seeder()
                .iam()
                .get_role()
                .role_name(name)
                .send()
                .await
                .expect("get role")
                .role()
                .and_then(|r| r.assume_role_policy_document())
                .map(str::to_string),
        },
        _ => panic!("{principal}: user/NAME or role/NAME"),
    }
}

async fn holdings(bed: &TestBed, principals: &[&str]) -> BTreeMap<String, Held> {
    let mut all = BTreeMap::new();
    for principal in principals {
        all.insert(principal.to_string(), held(bed, principal).await);
    }
    all
}

/// Who runs firebreak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// The IAM user `responder`.
    User,
    /// Role `oncall`, assumed from the IAM user `jo`.
    AssumedRole,
}

/// Freeze, unfreeze and playbooks aimed at the protected principals, as `caller`, with
/// break-glass `user/break-glass` and `role/bg-role`: each protected principal keeps exactly
/// its inline and attached policies, keys, password and trust, while mallory and app-role are
/// frozen and unfrozen.
async fn caller_and_break_glass_are_never_touched(caller: Caller) {
    const READ_ONLY_ACCESS: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let bed = TestBed::start();
    let seed = bed.seeder();
    let iam = seed.iam();
    std::fs::write(
        bed.config_path(),
        // Named in another case than IAM has them: IAM names ignore case, so does the guard.
        config_with("break_glass = [\"user/Break-Glass\", \"role/BG-Role\"]\n"),
    )
    .expect("config");
    // Break-glass: a user with a key, a password, an inline and a managed policy; a role.
    let break_glass_key = seed.user("break-glass", 1).await.remove(0);
    iam.create_login_profile()
        .user_name("break-glass")
        .password("Break-Glass-Pw-1!")
        .send()
        .await
        .expect("login profile");
    iam.put_user_policy()
        .user_name("break-glass")
        .policy_name("own")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("inline policy");
    iam.attach_user_policy()
        .user_name("break-glass")
        .policy_arn(READ_ONLY_ACCESS)
        .send()
        .await
        .expect("attach");
    seed.role(
        "bg-role",
        &trust_policy(&format!("arn:aws:iam::{ACCOUNT}:root")),
    )
    .await;
    iam.attach_role_policy()
        .role_name("bg-role")
        .policy_arn(READ_ONLY_ACCESS)
        .send()
        .await
        .expect("attach");
    // Who should be frozen.
    seed.user("mallory", 1).await;
    seed.lambda_role("app-role").await;

    let (protected, own_name, command): (Vec<&str>, &str, Box<dyn Fn() -> Command + '_>) =
        match caller {
            Caller::User => {
                let responder = seed.user_with_secret("responder").await;
                iam.create_login_profile()
                    .user_name("responder")
                    .password("Responder-Pw-1!")
                    .send()
                    .await
                    .expect("login profile");
                iam.attach_user_policy()
                    .user_name("responder")
                    .policy_arn(READ_ONLY_ACCESS)
                    .send()
                    .await
                    .expect("attach");
                let bed = &bed;
                (
                    vec!["user/responder", "user/break-glass", "role/bg-role"],
                    "responder",
                    Box::new(move || bed.firebreak_as(&bed.endpoint(), &responder.0, &responder.1)),
                )
            }
            Caller::AssumedRole => {
                seed.user("jo", 1).await;
                iam.create_login_profile()
                    .user_name("jo")
                    .password("Jo-Pw-1!")
                    .send()
                    .await
                    .expect("login profile");
                let oncall = seed
                    .role(
                        "oncall",
                        &trust_policy(&format!("arn:aws:iam::{ACCOUNT}:user/jo")),
                    )
                    .await;
                iam.attach_role_policy()
                    .role_name("oncall")
                    .policy_arn(READ_ONLY_ACCESS)
                    .send()
                    .await
                    .expect("attach");
                let credentials = assume(&bed, &oncall).await;
                let bed = &bed;
                (
                    vec!["role/oncall", "user/jo", "user/break-glass", "role/bg-role"],
                    "oncall",
                    Box::new(move || firebreak_as_role(bed, &credentials)),
                )
            }
        };
    let act = |args: &[&str]| -> Value {
        let output = command()
            .args(["--regions", "us-east-1"])
            .args(args)
            .args(["--format", "json"])
            .output()
            .expect("run firebreak");
        assert!(output.status.success(), "{args:?}: {}", text(&output));
        serde_json::from_slice(&output.stdout).expect("json")
    };
    let before = holdings(&bed, &protected).await;

    let frozen = act(&["act", "freeze", "--confirm", ACCOUNT, "--execute"]);
    let exempt = frozen["plan"]["exempt"].to_string();
    for principal in &protected {
        assert!(exempt.contains(principal), "{principal} exempt: {exempt}");
    }
    assert!(
        user_policies(&bed, "mallory")
            .await
            .contains("firebreak-freeze")
    );
    assert!(
        role_policies(&bed, "app-role")
            .await
            .contains("firebreak-freeze")
    );
    assert_eq!(holdings(&bed, &protected).await, before, "after freeze");

    // Aimed at them by name: nothing planned, nothing changed.
    let own_key = before
        .get(&format!("user/{own_name}"))
        .and_then(|h| h.keys.first().map(|(id, _)| id.clone()));
    let mut aimed: Vec<Vec<&str>> = vec![
        vec!["act", "disable-user", "break-glass", "--execute"],
        vec!["act", "disable-role", "bg-role", "--execute"],
        vec!["act", "disable-key", break_glass_key.as_str(), "--execute"],
    ];
    match caller {
        Caller::User => aimed.push(vec!["act", "disable-user", "responder", "--execute"]),
        Caller::AssumedRole => aimed.push(vec!["act", "disable-role", "oncall", "--execute"]),
    }
    if let Some(key) = &own_key {
        aimed.push(vec!["act", "disable-key", key.as_str(), "--execute"]);
    }
    for args in &aimed {
        let document = act(args);
        assert_eq!(
            document["plan"]["steps"].as_array().map(Vec::len),
            Some(0),
            "{args:?}: {document:#}"
        );
        assert!(
            !document["plan"]["exempt"]
                .as_array()
                .expect("exempt")
                .is_empty(),
            "{args:?} names who it spares: {document:#}"
        );
    }
    assert_eq!(
        holdings(&bed, &protected).await,
        before,
        "after aiming at them"
    );

    let unfrozen = act(&["act", "unfreeze", "--execute"]);
    assert!(
        !unfrozen["results"].as_array().expect("results").is_empty(),
        "{unfrozen:#}"
    );
    assert!(user_policies(&bed, "mallory").await.is_empty());
    assert!(role_policies(&bed, "app-role").await.is_empty());
    assert_eq!(holdings(&bed, &protected).await, before, "after unfreeze");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iam_user_caller_and_break_glass_keep_policies_keys_and_passwords_through_freeze() {
    caller_and_break_glass_are_never_touched(Caller::User).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assumed_role_its_user_and_break_glass_keep_everything_through_freeze() {
    caller_and_break_glass_are_never_touched(Caller::AssumedRole).await;
}

/// `command` run by `sh` under umask 022: a file created with the default mode would be 0644
/// and a folder 0755.
fn under_umask_022(command: &Command) -> Command {
    let mut wrapped = Command::new("sh");
    wrapped
        .args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(command.get_program())
        .args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(name, value),
            None => wrapped.env_remove(name),
        };
    }
    wrapped
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_firebreak_writes_is_0600_and_every_folder_0700_under_umask_022() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let role = seed.lambda_role("lambda-exec").await;
    seed.function("us-east-1", "billing", &role).await;
    // The wrapper does set the umask: a file `touch` creates through it is 0644.
    let control = bed.dir.path().join("control");
    let mut touch = Command::new("touch");
    touch.arg(&control);
    assert!(under_umask_022(&touch).status().expect("touch").success());
    assert_eq!(
        std::fs::metadata(&control)
            .expect("control")
            .permissions()
            .mode()
            & 0o777,
        0o644
    );

    // Folders firebreak must create: the baseline's two levels, the data dir and all below.
    let conf = bed.dir.path().join("conf");
    let baseline = conf.join("team/baseline.toml");
    let baseline_arg = baseline.to_str().expect("utf-8");
    let data = bed.dir.path().join("data");
    let firebreak = |args: &[&str]| {
        let mut command = bed.firebreak_as(&bed.endpoint(), &responder.0, &responder.1);
        command.args(["--baseline", baseline_arg, "--regions", "us-east-1"]);
        command.args(args);
        let output = under_umask_022(&command).output().expect("run firebreak");
        assert!(output.status.success(), "{args:?}: {}", text(&output));
        output
    };
    firebreak(&["baseline", "capture"]);
    seed.user("contractor", 1).await;
    seed.function("us-east-1", "miner", &role).await;
    let scan = firebreak(&["scan", "--format", "json"]);
    assert!(String::from_utf8_lossy(&scan.stdout).contains("unknown_user:global:contractor"));
    firebreak(&["act", "contain-functions", "us-east-1/miner", "--execute"]);
    firebreak(&["act", "disable-user", "contractor", "--execute"]);
    firebreak(&["baseline", "accept", "unknown_user:global:contractor"]);

    let (mut folders, mut files) = walk(&data);
    let (more_folders, more_files) = walk(&conf);
    folders.extend(more_folders);
    files.extend(more_files);
    let names: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in [
        "baseline.toml",
        "configuration.json",
        "manifest.json",
        "tags.json",
    ] {
        assert!(names.contains(expected), "{expected} written: {names:?}");
    }
    let journals = files
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "jsonl"))
        .count();
    assert_eq!(
        journals, 3,
        "contain, disable and accept each journal: {files:?}"
    );
    assert!(
        !names.iter().any(|n| n.ends_with(".tmp")),
        "no temporary file is left: {names:?}"
    );
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    let mut wrong: Vec<String> = folders
        .iter()
        .filter(|f| mode(f) != 0o700)
        .map(|f| format!("folder {} is {:o}", f.display(), mode(f)))
        .collect();
    wrong.extend(
        files
            .iter()
            .filter(|f| mode(f) != 0o600)
            .map(|f| format!("file {} is {:o}", f.display(), mode(f))),
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(folders.len() >= 8, "{folders:?}");
}

/// A tmux format of the pane (`#{alternate_on}`, `#{cursor_flag}`, `#{pane_tty}`).
fn pane(tmux: &Tmux, format: &str) -> String {
    let output = tmux.run(&["display-message", "-p", "-t", "main", format]);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The line discipline flags of the pane's terminal that raw mode turns off, as `stty` reads
/// them from outside: `icanon`, `echo` and `isig`, each with `-` when off.
fn line_discipline(tmux: &Tmux) -> BTreeSet<String> {
    let tty = pane(tmux, "#{pane_tty}");
    let output = Command::new("stty")
        .args(["-a", "-F", &tty])
        .output()
        .expect("stty");
    assert!(output.status.success(), "stty -F {tty}: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .split(|c: char| c.is_whitespace() || c == ';')
        .filter(|flag| ["icanon", "echo", "isig"].contains(&flag.trim_start_matches('-')))
        .map(str::to_string)
        .collect()
}

fn cooked() -> BTreeSet<String> {
    ["icanon", "echo", "isig"].map(String::from).into()
}

/// Needs the test-only trigger, which exists only with debug assertions (as this test crate
/// and the binary it runs are built by `cargo test` and `cargo nextest run`).
#[cfg(debug_assertions)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_cockpit_restores_the_terminal_and_exits_101() {
    let bed = TestBed::start();
    let (removed, mut set) = aws_env(bed.dir.path());
    // The message, not a backtrace that would scroll it off the pane.
    set.push(("RUST_BACKTRACE", "0".to_string()));
    let args: Vec<String> = [
        "--endpoint-url",
        &bed.endpoint(),
        "--config",
        &bed.config_path().to_string_lossy(),
        "--regions",
        "us-east-1",
        "--read-only",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let open = |set: &[(&str, String)]| {
        let tmux = Tmux::start(
            120,
            40,
            &removed,
            set,
            env!("CARGO_BIN_EXE_firebreak"),
            &args,
        );
        tmux.wait_for("scan ✓", Duration::from_secs(30));
        // The cockpit owns the terminal: alternate screen, raw mode, cursor hidden.
        assert_eq!(pane(&tmux, "#{alternate_on}"), "1");
        assert!(
            line_discipline(&tmux).contains("-icanon"),
            "{:?}",
            line_discipline(&tmux)
        );
        assert_eq!(pane(&tmux, "#{cursor_flag}"), "0");
        tmux
    };
    let restored = |tmux: &Tmux, code: &str| {
        let screen = tmux.wait_for("EXITED", Duration::from_secs(10));
        assert!(screen.contains(&format!("EXITED {code}")), "{screen}");
        assert_eq!(pane(tmux, "#{alternate_on}"), "0", "main screen: {screen}");
        assert_eq!(line_discipline(tmux), cooked(), "{screen}");
        assert_eq!(pane(tmux, "#{cursor_flag}"), "1", "cursor shown: {screen}");
        assert!(!screen.contains("Regions"), "{screen}");
        screen
    };

    // Control: q restores the terminal.
    let tmux = open(&set);
    tmux.send_keys(&["q"]);
    restored(&tmux, "0");
    drop(tmux);

    for place in ["loop", "worker"] {
        set.retain(|(name, _)| *name != "FIREBREAK_TEST_PANIC");
        set.push(("FIREBREAK_TEST_PANIC", place.to_string()));
        let tmux = open(&set);
        tmux.send_keys(&["F12"]);
        let screen = restored(&tmux, "101");
        assert!(
            screen.contains("panicked") && screen.contains(&format!("{place}: a deliberate panic")),
            "the panic is reported on the restored screen:\n{screen}"
        );
    }
}
