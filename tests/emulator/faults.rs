//! Reliability under a breach night's faults: the real binary through a proxy that throttles 30 %
//! of requests, fails 5 % with HTTP 500 and drops 2 % of connections (half of them after moto has
//! carried the request out).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use firebreak_core::model::finding::FindingKind;
use firebreak_core::scan::RegionStatus;

use crate::findings::{plant_breach, seed_peacetime};
use crate::playbooks::{key_statuses, role_policies, user_policies};
use crate::playbooks_more::{attached_role_policies, attached_user_policies, parse_iam_document};
use crate::support::TestBed;
use crate::support::fault_proxy::{FaultProxy, Faults};

/// Production retry budgets (10 attempts per read, 3 per change) with backoff capped at 2 s
/// instead of 20 s, so that ten scans fit in a test run.
pub(crate) const FAULT_CONFIG: &str = "[aws]\nconnect_timeout_secs = 2\nmax_backoff_secs = 2\n";

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

    let proxy = FaultProxy::faulty(bed.moto_address(), Faults::breach_night(9), None).await;
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

/// Everything a playbook can change in the account, read straight from moto (not through the
/// proxy), as canonical text per resource: equal states compare equal.
async fn account_state(bed: &TestBed, regions: &[&str]) -> BTreeMap<String, String> {
    let seed = bed.seeder();
    let iam = seed.iam();
    let mut state = BTreeMap::new();
    let document = |text: &str| -> String {
        let mut value = parse_iam_document(text);
        sort_statements(&mut value);
        value.to_string()
    };
    let join = |set: BTreeSet<String>| set.into_iter().collect::<Vec<_>>().join(", ");
    let users = iam.list_users().send().await.expect("users");
    for user in users.users() {
        let name = user.user_name();
        let keys = key_statuses(bed, name).await;
        state.insert(format!("user/{name} keys"), format!("{keys:?}"));
        let attached = join(attached_user_policies(bed, name).await);
        state.insert(format!("user/{name} attached"), attached);
        for policy in user_policies(bed, name).await {
            let got = iam
                .get_user_policy()
                .user_name(name)
                .policy_name(&policy)
                .send()
                .await
                .expect("inline policy");
            let text = document(got.policy_document());
            state.insert(format!("user/{name} inline {policy}"), text);
        }
    }
    let roles = iam.list_roles().send().await.expect("roles");
    for role in roles.roles() {
        let name = role.role_name();
        let trust = document(role.assume_role_policy_document().unwrap_or("{}"));
        state.insert(format!("role/{name} trust"), trust);
        let attached = join(attached_role_policies(bed, name).await);
        state.insert(format!("role/{name} attached"), attached);
        for policy in role_policies(bed, name).await {
            let got = iam
                .get_role_policy()
                .role_name(name)
                .policy_name(&policy)
                .send()
                .await
                .expect("inline policy");
            let text = document(got.policy_document());
            state.insert(format!("role/{name} inline {policy}"), text);
        }
    }
    for region in regions {
        let lambda = seed.lambda(region);
        let functions = lambda.list_functions().send().await.expect("functions");
        for function in functions.functions() {
            let name = function.function_name().unwrap_or_default();
            let reserved = lambda
                .get_function_concurrency()
                .function_name(name)
                .send()
                .await
                .expect("concurrency")
                .reserved_concurrent_executions();
            state.insert(
                format!("{region}/{name} concurrency"),
                format!("{reserved:?}"),
            );
            let policy = match lambda.get_policy().function_name(name).send().await {
                Ok(out) => document(out.policy().unwrap_or("{}")).to_string(),
                Err(_) => "none".to_string(),
            };
            state.insert(format!("{region}/{name} policy"), policy);
        }
        let ec2 = seed.ec2(region);
        let snapshots = ec2
            .describe_snapshots()
            .owner_ids("self")
            .send()
            .await
            .expect("snapshots");
        for snapshot in snapshots.snapshots() {
            let id = snapshot.snapshot_id().unwrap_or_default();
            let (public, accounts) = crate::playbooks::snapshot_permissions(bed, region, id).await;
            state.insert(
                format!("{region}/{id} sharing"),
                format!("{public} {accounts:?}"),
            );
        }
        let images = ec2
            .describe_images()
            .owners("self")
            .send()
            .await
            .expect("images");
        for image in images.images() {
            let id = image.image_id().unwrap_or_default();
            let out = ec2
                .describe_image_attribute()
                .image_id(id)
                .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
                .send()
                .await
                .expect("launch permission");
            let mut grants: Vec<String> = out
                .launch_permissions()
                .iter()
                .map(|p| format!("{:?} {:?}", p.group(), p.user_id()))
                .collect();
            grants.sort();
            state.insert(format!("{region}/{id} sharing"), grants.join(", "));
        }
    }
    state
}

/// Statement order is not meaning: sort them so that a statement put back at the end compares
/// equal.
fn sort_statements(document: &mut Value) {
    if let Some(statements) = document.get_mut("Statement").and_then(Value::as_array_mut) {
        statements.sort_by_key(|s| s.to_string());
    }
}

/// Runs `args` through the faulty proxy until nothing is left failed (at most four runs: a run
/// after faults completes the remainder and skips what is done); returns every run's document.
fn run_until_complete(
    bed: &TestBed,
    endpoint: &str,
    responder: &(String, String),
    args: &[&str],
) -> Vec<Value> {
    let mut documents = Vec::new();
    for _ in 0..4 {
        let mut all = vec!["--regions", "us-east-1,eu-west-1"];
        all.extend_from_slice(args);
        all.extend(["--format", "json"]);
        let output = crate::playbooks::run(bed, endpoint, responder, &all);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let document: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {stderr}"));
        let code = output.status.code();
        documents.push(document);
        match code {
            Some(0) => return documents,
            // A step failed and was reported as such: run again.
            Some(5) => continue,
            other => panic!("{args:?}: exit {other:?}: {stderr}"),
        }
    }
    panic!("{args:?}: still failing after four runs: {documents:#?}");
}

/// Every step of every run ended with a known outcome, and none of the last run failed.
fn assert_reported(args: &[&str], documents: &[Value]) {
    for document in documents {
        let steps = document["plan"]["steps"].as_array().expect("steps").len();
        let results = document["results"].as_array().expect("results");
        assert_eq!(results.len(), steps, "{args:?}: every step reports");
    }
    let last = documents.last().expect("a run");
    let failed: Vec<&Value> = last["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["outcome"]["status"] == "failed")
        .collect();
    assert!(failed.is_empty(), "{args:?}: {failed:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_playbook_under_faults_completes_and_undo_restores_the_exact_prior_state() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    seed.user("mallory", 2).await;
    seed.iam()
        .attach_user_policy()
        .user_name("mallory")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .expect("admin");
    seed.role(
        "ops-support",
        &crate::findings::trust(crate::playbooks::STRANGER),
    )
    .await;
    let lambda_role = seed.lambda_role("lambda-exec").await;
    for region in ["us-east-1", "eu-west-1"] {
        seed.function(region, "miner", &lambda_role).await;
        seed.lambda(region)
            .add_permission()
            .function_name("miner")
            .statement_id("open")
            .action("lambda:InvokeFunction")
            .principal("*")
            .send()
            .await
            .expect("public invoke");
    }
    let snapshot = seed.snapshot("us-east-1", true).await;
    seed.share_snapshot("us-east-1", &snapshot, true, &[crate::playbooks::PARTNER])
        .await;
    let image = seed.image("eu-west-1", "golden").await;
    seed.share_image("eu-west-1", &image, true, &[crate::playbooks::STRANGER])
        .await;
    std::fs::write(bed.config_path(), FAULT_CONFIG).expect("config");
    let regions = ["us-east-1", "eu-west-1"];
    let before = account_state(&bed, &regions).await;

    // Every mutating request is checked on arrival: its intent must already be journaled.
    let proxy = FaultProxy::faulty(
        bed.moto_address(),
        Faults::breach_night(17),
        Some(crate::support::witness::open_intent(
            bed.dir.path().join("data"),
        )),
    )
    .await;
    let endpoint = proxy.endpoint();
    let snapshot_target = format!("us-east-1/{snapshot}");
    let image_target = format!("eu-west-1/{image}");
    let freeze_confirm = crate::support::ACCOUNT;
    let playbooks: Vec<Vec<&str>> = vec![
        vec!["act", "disable-user", "mallory", "--execute"],
        vec!["act", "disable-role", "ops-support", "--execute"],
        vec![
            "act",
            "contain-functions",
            "us-east-1/miner",
            "eu-west-1/miner",
            "--execute",
        ],
        vec![
            "act",
            "revert-sharing",
            &snapshot_target,
            &image_target,
            "--execute",
        ],
        vec![
            "act",
            "revert-sharing",
            "us-east-1/miner",
            "eu-west-1/miner",
            "--execute",
        ],
        vec!["act", "freeze", "--confirm", freeze_confirm, "--execute"],
    ];
    for args in &playbooks {
        let started = std::time::Instant::now();
        let runs = run_until_complete(&bed, &endpoint, &responder, args);
        assert_reported(args, &runs);
        let contained = account_state(&bed, &regions).await;
        assert_ne!(contained, before, "{args:?} changed nothing");
        // A step that failed was made by running the playbook again: a new action, which may
        // have made the change the first one could not confirm. Undo is of every action that
        // changed something (or may have), newest first — as an operator would.
        let mut undone = Vec::new();
        for run in runs.iter().rev() {
            let changed = run["results"].as_array().expect("results").iter().any(|r| {
                r["outcome"]["status"] == "ok"
                    || (r["outcome"]["status"] == "failed" && r["outcome"]["maybe_applied"] == true)
            });
            if !changed {
                continue;
            }
            let action = run["plan"]["action_id"]
                .as_str()
                .expect("action id")
                .to_string();
            let undo = ["undo", action.as_str(), "--execute"];
            let runs_of_undo = run_until_complete(&bed, &endpoint, &responder, &undo);
            assert_reported(&undo, &runs_of_undo);
            undone.extend(runs_of_undo);
        }
        let after = account_state(&bed, &regions).await;
        let changed: Vec<_> = before
            .iter()
            .filter(|(key, value)| after.get(*key) != Some(value))
            .map(|(key, value)| (key, value, after.get(key)))
            .chain(
                after
                    .iter()
                    .filter(|(key, _)| !before.contains_key(*key))
                    .map(|(key, value)| (key, value, None)),
            )
            .collect();
        assert!(changed.is_empty(), "{args:?} then undo left: {changed:#?}");
        eprintln!(
            "{args:?}: {} run(s), undo {} run(s), {:?}",
            runs.len(),
            undone.len(),
            started.elapsed()
        );
    }
    let injected = proxy.injected();
    assert!(
        injected.iter().any(|(_, kind)| *kind == "drop after"),
        "no response was lost after moto carried a request out: {injected:?}"
    );
    let mutating: Vec<_> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.is_mutating())
        .collect();
    let unwitnessed: Vec<_> = mutating
        .iter()
        .filter(|s| s.witnessed != Some(true))
        .collect();
    assert!(
        unwitnessed.is_empty(),
        "mutating requests arrived before their intent was journaled: {unwitnessed:#?}"
    );
    let services: std::collections::BTreeSet<&str> =
        mutating.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        services,
        std::collections::BTreeSet::from(["ec2", "iam", "lambda"]),
        "every service's writes were witnessed"
    );
}
