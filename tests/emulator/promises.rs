//! Promises of the README and docs/ that no other test holds firebreak to, each end to end: the real binary
//! against moto, the result read back from moto through the SDK (never only firebreak's own
//! report). Exit 5 when one step fails and the rest still run; freeze confirmed by the account
//! alias; revert-sharing without a baseline keeps every account; undo puts an AMI's exact
//! account list back; administrators found through groups, inline and customer-managed
//! policies; `log show` after an action, and a journal whose last line was cut short.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::types::StatusType;
use serde_json::Value;

use firebreak::cli::{EXIT_PARTIAL, EXIT_STEP_FAILED};
use firebreak_core::model::finding::FindingKind;

use crate::playbooks::{
    PARTNER, STRANGER, image_permissions, key_statuses, reserved, role_policies, run, run_json,
    snapshot_permissions, statuses, statuses_of, user_policies,
};
use crate::playbooks_more::{function_policy, sids, write_baseline};
use crate::support::TestBed;
use crate::support::fault_proxy::{DENIED_REQUEST_ID, FaultProxy};

/// A third account, neither ours nor trusted.
const STRANGER_TOO: &str = "777766665555";
const ALIAS: &str = "acme-prod";
const FREEZE: &str = "firebreak-freeze";

/// The session id of an action id (`SESSION-N`).
fn session_of(action: &str) -> String {
    action
        .rsplit_once('-')
        .map(|(session, _)| session.to_string())
        .expect("session of action")
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The result of the one step of `document` in `region` calling `api`.
fn result_of<'d>(document: &'d Value, region: &str, api: &str) -> &'d Value {
    let steps = document["plan"]["steps"].as_array().expect("steps");
    let matching: Vec<u64> = steps
        .iter()
        .filter(|s| s["region"] == region && s["api"] == api)
        .map(|s| s["index"].as_u64().expect("index"))
        .collect();
    assert_eq!(
        matching.len(),
        1,
        "one {api} step in {region}: {document:#}"
    );
    document["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["index"].as_u64() == Some(matching[0]))
        .unwrap_or_else(|| panic!("no result for {api} in {region}: {document:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_denied_step_exits_5_and_every_other_step_still_runs_and_reports() {
    const DENIED: &str = "eu-west-1";
    const OPEN: &str = "us-east-1";
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let role = seed.lambda_role("fn-role").await;
    for region in [DENIED, OPEN] {
        seed.function(region, "miner", &role).await;
    }
    // One step at a time, in plan order: the targets are sorted, so the denied region's steps
    // come first, and an engine that stopped at the first failure would never reach us-east-1.
    let mut config = std::fs::read_to_string(bed.config_path()).expect("config");
    config.push_str("[scan]\nregion_concurrency = 1\n");
    std::fs::write(bed.config_path(), config).expect("config");
    // The responder may read Lambda in eu-west-1 but not change it (an SCP, say): the plan is
    // read whole, and the throttle there is denied.
    let proxy = FaultProxy::deny_writes(bed.moto_address(), "lambda", DENIED).await;

    let output = run(
        &bed,
        &proxy.endpoint(),
        &responder,
        &[
            "--regions",
            "eu-west-1,us-east-1",
            "act",
            "contain-functions",
            "us-east-1/miner",
            "eu-west-1/miner",
            "--execute",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(i32::from(EXIT_STEP_FAILED)),
        "{}",
        stderr(&output)
    );
    let document: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(document["executed"], true);
    // Every planned step has exactly one result.
    let steps = document["plan"]["steps"].as_array().expect("steps").len();
    assert_eq!(
        steps, 4,
        "evidence and throttle in each region: {document:#}"
    );
    let mut reported: Vec<u64> = document["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["index"].as_u64().expect("index"))
        .collect();
    reported.sort_unstable();
    assert_eq!(
        reported,
        (1..=steps as u64).collect::<Vec<_>>(),
        "{document:#}"
    );
    // The denied call failed with AWS's code and request id ...
    let denied = &result_of(&document, DENIED, "PutFunctionConcurrency")["outcome"];
    assert_eq!(denied["status"], "failed", "{document:#}");
    assert_eq!(denied["error"]["code"], "AccessDeniedException");
    assert_eq!(denied["error"]["request_id"], DENIED_REQUEST_ID);
    assert_eq!(denied["error"]["http_status"], 403);
    // ... its evidence, which only reads, was saved; the other region ran whole.
    for (region, api) in [
        (DENIED, "GetFunction"),
        (OPEN, "GetFunction"),
        (OPEN, "PutFunctionConcurrency"),
    ] {
        assert_eq!(
            result_of(&document, region, api)["outcome"]["status"],
            "ok",
            "{api} in {region}: {document:#}"
        );
    }
    // moto itself, not through the proxy: only us-east-1 is throttled.
    assert_eq!(reserved(&bed, OPEN, "miner").await, Some(0));
    assert_eq!(reserved(&bed, DENIED, "miner").await, None);
    let seen = proxy.seen();
    assert!(
        seen.iter()
            .any(|s| s.region == OPEN && s.service == "lambda" && s.is_mutating()),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|s| s.region == DENIED && s.is_mutating()),
        "a denied write reached moto: {seen:?}"
    );

    // The journal tells the same: three steps ok, one failed.
    let action = document["plan"]["action_id"]
        .as_str()
        .expect("action")
        .to_string();
    let exported = run(
        &bed,
        &bed.endpoint(),
        &responder,
        &["log", "export", &session_of(&action), "--format", "json"],
    );
    let exported: Value = serde_json::from_slice(&exported.stdout).expect("json export");
    let finished: Vec<&Value> = exported["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["event"] == "action_finished")
        .collect();
    assert_eq!(finished.len(), 1, "{exported:#}");
    assert_eq!(
        (finished[0]["ok"].as_u64(), finished[0]["failed"].as_u64()),
        (Some(3), Some(1))
    );

    // Undo (straight to moto) puts us-east-1 back; the failed step's inverse finds nothing to do.
    let undone = run_json(&bed, &responder, &["undo", &action, "--execute"]);
    assert!(
        statuses(&undone)
            .iter()
            .all(|(_, status)| status == "ok" || status == "skipped"),
        "{undone:#}"
    );
    assert_eq!(reserved(&bed, OPEN, "miner").await, None);
    assert_eq!(reserved(&bed, DENIED, "miner").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeze_confirmed_by_the_account_alias_applies_and_a_wrong_word_changes_nothing() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    seed.user("mallory", 1).await;
    seed.lambda_role("app-role").await;
    seed.iam()
        .create_account_alias()
        .account_alias(ALIAS)
        .send()
        .await
        .expect("account alias");
    let untouched = async || {
        for user in ["mallory", "responder"] {
            assert!(user_policies(&bed, user).await.is_empty(), "{user}");
        }
        assert!(role_policies(&bed, "app-role").await.is_empty());
    };

    // Words that are neither the account id nor its alias: refused, nothing sent.
    for wrong in ["acme-pro", "acme-prod-eu", "123456789013"] {
        let refused = run(
            &bed,
            &bed.endpoint(),
            &responder,
            &[
                "--regions",
                "us-east-1",
                "act",
                "freeze",
                "--confirm",
                wrong,
                "--execute",
            ],
        );
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{wrong}: {}",
            stderr(&refused)
        );
        assert!(
            stderr(&refused).contains("nothing was changed"),
            "{wrong}: {}",
            stderr(&refused)
        );
        untouched().await;
    }

    // The alias, as a responder who knows the account by its name would type it.
    let frozen = run_json(
        &bed,
        &responder,
        &[
            "--regions",
            "us-east-1",
            "act",
            "freeze",
            "--confirm",
            ALIAS,
            "--execute",
        ],
    );
    assert_eq!(frozen["plan"]["account"]["alias"], ALIAS, "{frozen:#}");
    assert_eq!(
        user_policies(&bed, "mallory").await,
        BTreeSet::from([FREEZE.to_string()])
    );
    assert_eq!(
        role_policies(&bed, "app-role").await,
        BTreeSet::from([FREEZE.to_string()])
    );
    assert!(
        user_policies(&bed, "responder").await.is_empty(),
        "never the caller"
    );
    let puts = statuses_of(&frozen, "PutUserPolicy user/mallory");
    assert_eq!(puts, ["ok"], "{frozen:#}");
    // The journal keeps what was typed.
    let action = frozen["plan"]["action_id"].as_str().expect("action");
    let timeline = run(
        &bed,
        &bed.endpoint(),
        &responder,
        &["log", "export", &session_of(action), "--format", "md"],
    );
    let timeline = String::from_utf8_lossy(&timeline.stdout);
    assert!(
        timeline.contains(&format!("(typed `{ALIAS}`)")),
        "{timeline}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revert_sharing_without_a_baseline_keeps_every_account_and_removes_only_public_access() {
    const REGION: &str = "us-east-1";
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let snapshot = seed.snapshot(REGION, false).await;
    seed.share_snapshot(REGION, &snapshot, true, &[PARTNER, STRANGER])
        .await;
    let image = seed.image(REGION, "golden").await;
    seed.share_image(REGION, &image, true, &[STRANGER_TOO])
        .await;
    let role = seed.lambda_role("api-exec").await;
    seed.function(REGION, "api", &role).await;
    let lambda = seed.lambda(REGION);
    for (sid, principal) in [("public-invoke", "*"), ("stranger-invoke", STRANGER)] {
        lambda
            .add_permission()
            .function_name("api")
            .statement_id(sid)
            .action("lambda:InvokeFunction")
            .principal(principal)
            .send()
            .await
            .expect("add permission");
    }
    let snapshot_target = format!("{REGION}/{snapshot}");
    let image_target = format!("{REGION}/{image}");
    let function_target = format!("{REGION}/api");
    let args = [
        "act",
        "revert-sharing",
        snapshot_target.as_str(),
        image_target.as_str(),
        function_target.as_str(),
    ];
    const NO_BASELINE: &str =
        "no baseline: shares with other accounts are kept, only public access is removed";

    // The plan says so, and a dry run changes nothing.
    let dry = run(&bed, &bed.endpoint(), &responder, &args);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let text = String::from_utf8_lossy(&dry.stdout);
    let notes = text.split_once("\nNOTES\n").map(|(_, n)| n).unwrap_or("");
    assert!(notes.contains(NO_BASELINE), "{text}");
    assert!(snapshot_permissions(&bed, REGION, &snapshot).await.0);

    let mut execute = args.to_vec();
    execute.push("--execute");
    let reverted = run_json(&bed, &responder, &execute);
    let notes: Vec<&str> = reverted["plan"]["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(notes.contains(&NO_BASELINE), "{notes:?}");
    let outcomes = statuses(&reverted);
    for step in [
        format!("ModifySnapshotAttribute {snapshot}"),
        format!("ModifyImageAttribute {image}"),
    ] {
        assert!(
            outcomes.contains(&(step.clone(), "ok".into())),
            "{outcomes:?}"
        );
    }

    // Read back from moto: public access is gone, every account share stays.
    assert_eq!(
        snapshot_permissions(&bed, REGION, &snapshot).await,
        (
            false,
            BTreeSet::from([PARTNER.to_string(), STRANGER.to_string()])
        )
    );
    assert_eq!(
        image_permissions(&bed, REGION, &image).await,
        (false, BTreeSet::from([STRANGER_TOO.to_string()]))
    );
    let policy = function_policy(&bed, REGION, "api").await;
    assert_eq!(
        sids(&policy),
        BTreeSet::from(["stranger-invoke"]),
        "{policy:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_restores_an_amis_exact_launch_permission_accounts() {
    const REGION: &str = "us-west-2";
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    // The baseline trusts PARTNER.
    let baseline = write_baseline(&bed, &[], &[]);
    let baseline = baseline.to_str().expect("utf-8 path");
    let image = seed.image(REGION, "golden").await;
    seed.share_image(REGION, &image, true, &[PARTNER, STRANGER, STRANGER_TOO])
        .await;
    let before = image_permissions(&bed, REGION, &image).await;
    let everyone = BTreeSet::from([
        PARTNER.to_string(),
        STRANGER.to_string(),
        STRANGER_TOO.to_string(),
    ]);
    assert_eq!(before, (true, everyone.clone()), "as seeded");

    let target = format!("{REGION}/{image}");
    let reverted = run_json(
        &bed,
        &responder,
        &[
            "--baseline",
            baseline,
            "act",
            "revert-sharing",
            &target,
            "--execute",
        ],
    );
    assert_eq!(
        statuses(&reverted),
        [(format!("ModifyImageAttribute {image}"), "ok".to_string())]
    );
    assert_eq!(
        image_permissions(&bed, REGION, &image).await,
        (false, BTreeSet::from([PARTNER.to_string()])),
        "exactly the trusted partner is left"
    );

    let action = reverted["plan"]["action_id"].as_str().expect("action");
    let undone = run_json(
        &bed,
        &responder,
        &["--baseline", baseline, "undo", action, "--execute"],
    );
    assert_eq!(
        statuses(&undone),
        [(format!("ModifyImageAttribute {image}"), "ok".to_string())]
    );
    assert_eq!(
        image_permissions(&bed, REGION, &image).await,
        (true, everyone),
        "public and every account, no more"
    );
}

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const ALLOW_IAM: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#;
const HARMLESS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_are_found_through_group_inline_and_customer_managed_policies() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let iam = seed.iam();
    for user in ["group-admin", "inline-admin", "managed-admin", "reader"] {
        seed.user(user, 0).await;
    }
    // Admin through a group's inline policy.
    iam.create_group()
        .group_name("ops")
        .send()
        .await
        .expect("group");
    iam.put_group_policy()
        .group_name("ops")
        .policy_name("ops-everything")
        .policy_document(ALLOW_ALL)
        .send()
        .await
        .expect("group policy");
    iam.add_user_to_group()
        .group_name("ops")
        .user_name("group-admin")
        .send()
        .await
        .expect("join ops");
    // Admin through the user's own inline policy.
    iam.put_user_policy()
        .user_name("inline-admin")
        .policy_name("break-everything")
        .policy_document(ALLOW_ALL)
        .send()
        .await
        .expect("inline policy");
    // Admin through a customer-managed policy allowing iam:*.
    let managed = iam
        .create_policy()
        .policy_name("iam-everything")
        .policy_document(ALLOW_IAM)
        .send()
        .await
        .expect("managed policy");
    let managed_arn = managed.policy().and_then(|p| p.arn()).expect("arn");
    iam.attach_user_policy()
        .user_name("managed-admin")
        .policy_arn(managed_arn)
        .send()
        .await
        .expect("attach");
    // Harmless the same three ways.
    iam.create_group()
        .group_name("readers")
        .send()
        .await
        .expect("group");
    iam.put_group_policy()
        .group_name("readers")
        .policy_name("read-buckets")
        .policy_document(HARMLESS)
        .send()
        .await
        .expect("group policy");
    iam.add_user_to_group()
        .group_name("readers")
        .user_name("reader")
        .send()
        .await
        .expect("join readers");
    iam.put_user_policy()
        .user_name("reader")
        .policy_name("read-more")
        .policy_document(HARMLESS)
        .send()
        .await
        .expect("inline policy");
    let harmless = iam
        .create_policy()
        .policy_name("read-only-buckets")
        .policy_document(HARMLESS)
        .send()
        .await
        .expect("managed policy");
    iam.attach_user_policy()
        .user_name("reader")
        .policy_arn(harmless.policy().and_then(|p| p.arn()).expect("arn"))
        .send()
        .await
        .expect("attach");

    let (report, output) = bed.scan_json(&bed.endpoint(), &["--regions", "us-east-1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let via: BTreeMap<&str, Vec<&str>> = report
        .inventory
        .users
        .iter()
        .map(|u| {
            (
                u.name.as_str(),
                u.admin_via.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        via,
        BTreeMap::from([
            ("group-admin", vec!["group:ops"]),
            ("inline-admin", vec!["inline:break-everything"]),
            ("managed-admin", vec!["iam-everything"]),
            ("reader", vec![]),
        ])
    );
    // The finding is there for exactly those users, naming the source.
    let admins: BTreeMap<&str, &str> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::AdminPrincipal)
        .map(|f| (f.resource_id.as_str(), f.summary.as_str()))
        .collect();
    assert_eq!(
        admins.keys().copied().collect::<Vec<_>>(),
        ["group-admin", "inline-admin", "managed-admin"],
        "{admins:#?}"
    );
    for (user, source) in [
        ("group-admin", "group:ops"),
        ("inline-admin", "inline:break-everything"),
        ("managed-admin", "iam-everything"),
    ] {
        assert!(
            admins[user].contains(&format!("administrator access via {source}")),
            "{user}: {}",
            admins[user]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_show_tells_the_action_and_a_cut_off_last_line_is_reported_not_hidden() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    seed.user("mallory", 1).await;
    let done = run_json(
        &bed,
        &responder,
        &["act", "disable-user", "mallory", "--execute"],
    );
    let action = done["plan"]["action_id"]
        .as_str()
        .expect("action")
        .to_string();
    let session = session_of(&action);
    let log = |args: &[&str]| {
        let mut all = vec!["log"];
        all.extend_from_slice(args);
        let output = run(&bed, &bed.endpoint(), &responder, &all);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        output
    };

    // `log show`: a readable line per record.
    let readable = log(&["show", &session]);
    let lines = String::from_utf8_lossy(&readable.stdout).into_owned();
    for needle in [
        "session start   123456789012 as ",
        &format!("plan shown      {action} disable-user"),
        &format!("confirmed       {action} by "),
        &format!("sending         {action} #1 UpdateAccessKey "),
        &format!("step ok         {action} #1"),
        &format!("finished        {action}: 3 ok, 0 skipped, 0 unsupported, 0 failed"),
    ] {
        assert!(lines.contains(needle), "{needle:?} in:\n{lines}");
    }
    assert!(
        !lines.contains("{\""),
        "no JSON in the readable form:\n{lines}"
    );
    // `log show --format json`: one JSON record a line — the plan with its steps, the
    // confirmation, every step's intent and outcome, the end of the action.
    let shown = log(&["show", &session, "--format", "json"]);
    assert!(stderr(&shown).is_empty(), "{}", stderr(&shown));
    let text = String::from_utf8_lossy(&shown.stdout).into_owned();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let of_action = |event: &str| -> Vec<&Value> {
        records
            .iter()
            .filter(|r| {
                r["event"] == event
                    && (r["action_id"] == action.as_str()
                        || r["plan"]["action_id"] == action.as_str())
            })
            .collect()
    };
    assert_eq!(records[0]["event"], "session_start", "{text}");
    let plans = of_action("plan_shown");
    assert_eq!(plans.len(), 1, "{text}");
    let steps = plans[0]["plan"]["steps"].as_array().expect("steps");
    let apis: Vec<&str> = steps.iter().filter_map(|s| s["api"].as_str()).collect();
    assert_eq!(
        apis,
        ["UpdateAccessKey", "PutUserPolicy", "PutUserPolicy"],
        "{text}"
    );
    assert_eq!(of_action("confirmed").len(), 1, "{text}");
    let intents = of_action("step_intent");
    let outcomes = of_action("step_outcome");
    for step in steps {
        let index = &step["index"];
        let intent: Vec<_> = intents.iter().filter(|r| r["index"] == *index).collect();
        assert_eq!(intent.len(), 1, "step {index}: {text}");
        assert_eq!(intent[0]["api"], step["api"]);
        assert_eq!(intent[0]["target"], step["target"]);
        let outcome: Vec<_> = outcomes.iter().filter(|r| r["index"] == *index).collect();
        assert_eq!(outcome.len(), 1, "step {index}: {text}");
        assert_eq!(
            outcome[0]["outcome"]["status"], "ok",
            "step {index}: {text}"
        );
    }
    let finished = of_action("action_finished");
    assert_eq!(finished.len(), 1, "{text}");
    assert_eq!(
        (finished[0]["ok"].as_u64(), finished[0]["failed"].as_u64()),
        (Some(3), Some(0))
    );

    // A crash while writing: the last line cut off, no newline after it.
    let journal = bed
        .dir
        .path()
        .join("data/journal")
        .join(format!("{session}.jsonl"));
    let complete = std::fs::read_to_string(&journal).expect("journal");
    let cut = complete.lines().count() + 1;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .expect("open journal");
    std::io::Write::write_all(
        &mut file,
        format!(r#"{{"at":"2026-11-22T15:01:15Z","session":"{session}","event":"step_int"#)
            .as_bytes(),
    )
    .expect("append");
    drop(file);

    let listed = log(&["list"]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let line = listed
        .lines()
        .find(|l| l.starts_with(&session))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(
        line.contains(&format!("(line {cut} cut short by a crash)")) && line.contains("1 executed"),
        "{listed}"
    );

    let shown = log(&["show", &session, "--format", "json"]);
    assert_eq!(
        String::from_utf8_lossy(&shown.stdout),
        text,
        "every complete record is still shown"
    );
    let warning = stderr(&shown);
    assert!(
        warning.contains(&format!("warning: line {cut} of"))
            && warning.contains(&format!("{session}.jsonl was cut short")),
        "{warning}"
    );

    let markdown = log(&["export", &session, "--format", "md"]);
    let markdown = String::from_utf8_lossy(&markdown.stdout).into_owned();
    assert!(
        markdown.contains(&format!("> The journal's line {cut} was cut short")),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `UpdateAccessKey` |") && markdown.contains("**Finished**"),
        "{markdown}"
    );
    let json = log(&["export", &session, "--format", "json"]);
    let json: Value = serde_json::from_slice(&json.stdout).expect("json export");
    assert_eq!(json["truncated_line"].as_u64(), Some(cut as u64));
    assert_eq!(
        json["records"].as_array().map(Vec::len),
        Some(records.len())
    );

    // The journal still serves undo.
    run_json(&bed, &responder, &["undo", &action, "--execute"]);
    assert_eq!(key_statuses(&bed, "mallory").await[0].1, StatusType::Active);
    assert!(user_policies(&bed, "mallory").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_function_that_cannot_be_read_is_left_out_and_named_and_the_rest_contained() {
    const DENIED: &str = "eu-west-1";
    const OPEN: &str = "us-east-1";
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let role = seed.lambda_role("fn-role").await;
    for region in [DENIED, OPEN] {
        seed.function(region, "miner", &role).await;
    }
    // Lambda is denied altogether in eu-west-1: its function cannot even be read.
    let proxy = FaultProxy::deny(bed.moto_address(), "lambda", DENIED).await;
    let output = run(
        &bed,
        &proxy.endpoint(),
        &responder,
        &[
            "--regions",
            "eu-west-1,us-east-1",
            "act",
            "contain-functions",
            "us-east-1/miner",
            "eu-west-1/miner",
            "--execute",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(i32::from(EXIT_PARTIAL)),
        "{}",
        stderr(&output)
    );
    let document: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    let regions: BTreeSet<&str> = document["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["region"].as_str())
        .collect();
    assert_eq!(regions, BTreeSet::from([OPEN]), "{document:#}");
    let unread = document["plan"]["unread"].to_string();
    assert!(
        unread.contains("function miner in eu-west-1 is NOT in the plan")
            && unread.contains("AccessDeniedException")
            && unread.contains(DENIED_REQUEST_ID),
        "{document:#}"
    );
    assert_eq!(reserved(&bed, OPEN, "miner").await, Some(0));
    assert_eq!(reserved(&bed, DENIED, "miner").await, None);

    // A name that does not exist is still an error: nothing is contained.
    let typo = run(
        &bed,
        &bed.endpoint(),
        &responder,
        &[
            "--regions",
            "us-east-1",
            "act",
            "contain-functions",
            "us-east-1/minr",
            "--execute",
        ],
    );
    assert_eq!(typo.status.code(), Some(1), "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains("no function minr in us-east-1"),
        "{}",
        stderr(&typo)
    );
}
