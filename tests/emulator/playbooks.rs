//! Playbooks end to end: the real binary changes the emulator's account; the result is read back
//! through the SDK; undo restores it; re-runs skip; read-only sends nothing; the journal holds
//! the timeline and no secret.

use std::collections::BTreeSet;
use std::process::Output;

use aws_sdk_iam::types::StatusType;
use serde_json::Value;

use crate::support::fault_proxy::FaultProxy;
use crate::support::{ACCOUNT, TestBed};

pub(crate) const PARTNER: &str = "210987654321";
pub(crate) const STRANGER: &str = "666655554444";
const SSO_ROLE: &str = "AWSReservedSSO_AdministratorAccess_0123456789abcdef";
const MALLORY_PASSWORD: &str = "Mallory-Passw0rd-Planted!";

/// Runs firebreak as `responder` with `args`; returns the output.
pub(crate) fn run(
    bed: &TestBed,
    endpoint: &str,
    responder: &(String, String),
    args: &[&str],
) -> Output {
    bed.firebreak_as(endpoint, &responder.0, &responder.1)
        .args(args)
        .output()
        .expect("run firebreak")
}

/// Runs an `--format json` act/undo and returns its document, asserting success.
pub(crate) fn run_json(bed: &TestBed, responder: &(String, String), args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let output = run(bed, &bed.endpoint(), responder, &all);
    assert!(
        output.status.success(),
        "{args:?}: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

pub(crate) fn statuses(document: &Value) -> Vec<(String, String)> {
    let steps = document["plan"]["steps"].as_array().expect("steps");
    document["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let index = r["index"].as_u64().expect("index") as usize;
            let step = &steps[index - 1];
            (
                format!(
                    "{} {}",
                    step["api"].as_str().unwrap_or(""),
                    step["target"].as_str().unwrap_or("")
                ),
                r["outcome"]["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Whether the document reports at least one step and every step ended `wanted` (an empty
/// result never passes).
pub(crate) fn all_have_status(document: &Value, wanted: &str) -> bool {
    let outcomes = statuses(document);
    !outcomes.is_empty() && outcomes.iter().all(|(_, status)| status == wanted)
}

/// The statuses of the steps whose "API target" starts with `prefix`.
pub(crate) fn statuses_of(document: &Value, prefix: &str) -> Vec<String> {
    statuses(document)
        .into_iter()
        .filter(|(step, _)| step.starts_with(prefix))
        .map(|(_, status)| status)
        .collect()
}

/// Whether `keys` is not empty and every key has `status`.
pub(crate) fn all_keys(keys: &[(String, StatusType)], status: StatusType) -> bool {
    !keys.is_empty() && keys.iter().all(|(_, s)| *s == status)
}

pub(crate) async fn key_statuses(bed: &TestBed, user: &str) -> Vec<(String, StatusType)> {
    let mut keys: Vec<(String, StatusType)> = bed
        .seeder()
        .iam()
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .expect("list keys")
        .access_key_metadata()
        .iter()
        .map(|k| {
            (
                k.access_key_id().unwrap_or_default().to_string(),
                k.status().cloned().expect("status"),
            )
        })
        .collect();
    keys.sort();
    keys
}

pub(crate) async fn user_policies(bed: &TestBed, user: &str) -> BTreeSet<String> {
    bed.seeder()
        .iam()
        .list_user_policies()
        .user_name(user)
        .send()
        .await
        .expect("list user policies")
        .policy_names()
        .iter()
        .cloned()
        .collect()
}

pub(crate) async fn role_policies(bed: &TestBed, role: &str) -> BTreeSet<String> {
    bed.seeder()
        .iam()
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("list role policies")
        .policy_names()
        .iter()
        .cloned()
        .collect()
}

pub(crate) async fn has_login_profile(bed: &TestBed, user: &str) -> bool {
    bed.seeder()
        .iam()
        .get_login_profile()
        .user_name(user)
        .send()
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_user_contains_reruns_skip_undo_restores_and_the_journal_tells_it() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let mallory_keys = seed.user("mallory", 2).await;
    let iam = seed.iam();
    iam.update_access_key()
        .user_name("mallory")
        .access_key_id(&mallory_keys[1])
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("deactivate");
    iam.create_login_profile()
        .user_name("mallory")
        .password(MALLORY_PASSWORD)
        .send()
        .await
        .expect("login profile");
    let before = key_statuses(&bed, "mallory").await;

    // Dry run by default: nothing changes.
    let dry = run_json(
        &bed,
        &responder,
        &["act", "disable-user", "mallory", "responder"],
    );
    assert_eq!(dry["executed"], false);
    assert_eq!(key_statuses(&bed, "mallory").await, before);
    let exempt = dry["plan"]["exempt"].as_array().expect("exempt");
    assert_eq!(exempt.len(), 1);
    assert_eq!(exempt[0]["principal"], "user/responder");

    let first = run_json(
        &bed,
        &responder,
        &["act", "disable-user", "mallory", "responder", "--execute"],
    );
    let action = first["plan"]["action_id"]
        .as_str()
        .expect("action id")
        .to_string();
    let outcomes = statuses(&first);
    assert!(
        outcomes.contains(&(
            format!("UpdateAccessKey user/mallory key {}", mallory_keys[0]),
            "ok".into()
        )),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&(
            format!("UpdateAccessKey user/mallory key {}", mallory_keys[1]),
            "skipped".into()
        )),
        "the already inactive key is skipped: {outcomes:?}"
    );
    assert!(outcomes.contains(&("DeleteLoginProfile user/mallory".into(), "ok".into())));
    assert!(all_keys(
        &key_statuses(&bed, "mallory").await,
        StatusType::Inactive
    ));
    assert!(!has_login_profile(&bed, "mallory").await);
    assert_eq!(
        user_policies(&bed, "mallory").await,
        BTreeSet::from([
            "firebreak-deny-all".to_string(),
            "firebreak-revoke-older-sessions".to_string()
        ])
    );
    // The caller was never touched.
    assert!(user_policies(&bed, "responder").await.is_empty());
    assert!(all_keys(
        &key_statuses(&bed, "responder").await,
        StatusType::Active
    ));

    // A second execute only reports what is already done.
    let second = run_json(
        &bed,
        &responder,
        &["act", "disable-user", "mallory", "--execute"],
    );
    assert!(all_have_status(&second, "skipped"), "{second:#}");

    // Undo restores exactly the prior state, except the password, which cannot come back.
    let undone = run_json(&bed, &responder, &["undo", &action, "--execute"]);
    assert!(all_have_status(&undone, "ok"), "{undone:#}");
    assert_eq!(key_statuses(&bed, "mallory").await, before);
    assert!(user_policies(&bed, "mallory").await.is_empty());
    assert!(!has_login_profile(&bed, "mallory").await);
    let notes = undone["plan"]["notes"].to_string();
    assert!(
        notes.contains("DeleteLoginProfile") && notes.contains("cannot be undone"),
        "{notes}"
    );
    // Undoing again changes nothing more.
    let again = run_json(&bed, &responder, &["undo", &action, "--execute"]);
    assert!(all_have_status(&again, "skipped"), "{again:#}");

    // The journal: listed, exported as a timeline, and free of secrets.
    let listed = run(&bed, &bed.endpoint(), &responder, &["log", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let session = action
        .rsplit_once('-')
        .map(|(s, _)| s.to_string())
        .expect("session of action");
    assert!(listed.contains(&session), "{listed}");
    let exported = run(
        &bed,
        &bed.endpoint(),
        &responder,
        &["log", "export", &session, "--format", "md"],
    );
    assert!(exported.status.success());
    let markdown = String::from_utf8_lossy(&exported.stdout).into_owned();
    assert!(markdown.contains("# Incident timeline"), "{markdown}");
    assert!(markdown.contains(&format!("plan `{action}`")), "{markdown}");
    assert!(
        markdown.contains("**Confirmed**") && markdown.contains("user/responder"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `DeleteLoginProfile` | user/mallory | global | ok |"),
        "{markdown}"
    );
    let json = run(
        &bed,
        &bed.endpoint(),
        &responder,
        &["log", "export", &session, "--format", "json"],
    );
    let json: Value = serde_json::from_slice(&json.stdout).expect("json export");
    let records = json["records"].as_array().expect("records");
    assert_intents_precede_outcomes(records);

    // The responder's secret key, which firebreak ran with, is in no file (security.rs checks
    // every secret firebreak is given or could read, in every file and output).
    for entry in walk(bed.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).expect("read")).into_owned();
        assert!(
            !text.contains(responder.1.as_str()),
            "{} holds a secret",
            entry.display()
        );
    }
}

/// Every step outcome in `records` follows its own step's intent, every intent has an outcome,
/// and there is at least one of each: the journal names each call before it is sent.
pub(crate) fn assert_intents_precede_outcomes(records: &[Value]) {
    let step = |r: &Value| (r["action_id"].to_string(), r["index"].as_u64());
    let mut open: BTreeSet<(String, Option<u64>)> = BTreeSet::new();
    let (mut intents, mut outcomes) = (0, 0);
    for record in records {
        match record["event"].as_str() {
            Some("step_intent") => {
                intents += 1;
                assert!(open.insert(step(record)), "a second intent: {record}");
            }
            Some("step_outcome") => {
                outcomes += 1;
                assert!(
                    open.remove(&step(record)),
                    "an outcome with no intent before it: {record}"
                );
            }
            _ => {}
        }
    }
    assert!(intents > 0 && outcomes > 0, "no steps journaled");
    assert!(open.is_empty(), "intents with no outcome: {open:?}");
}

/// Every file under `dir` (firebreak's data dir, config and baseline live there).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revert_sharing_keeps_the_trusted_partner_and_undo_restores_the_exact_list() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let snapshot = seed.snapshot("us-east-1", true).await;
    seed.share_snapshot("us-east-1", &snapshot, false, &[PARTNER])
        .await;
    let baseline = bed.dir.path().join("baseline.toml");
    let baseline_arg = baseline.to_str().expect("utf-8");
    let capture = run(
        &bed,
        &bed.endpoint(),
        &responder,
        &[
            "--baseline",
            baseline_arg,
            "--regions",
            "us-east-1,us-west-2",
            "baseline",
            "capture",
        ],
    );
    assert!(capture.status.success(), "{capture:?}");

    // The breach: the partner snapshot goes public and to a stranger; an AMI goes public.
    seed.share_snapshot("us-east-1", &snapshot, true, &[STRANGER])
        .await;
    let image = seed.image("us-west-2", "golden").await;
    seed.share_image("us-west-2", &image, true, &[]).await;

    let args = [
        "--baseline",
        baseline_arg,
        "--regions",
        "us-east-1,us-west-2",
        "act",
        "revert-sharing",
        "--public",
        "--block-public-access",
        "--execute",
    ];
    let reverted = run_json(&bed, &responder, &args);
    let outcomes = statuses(&reverted);
    assert!(
        outcomes.contains(&(format!("ModifySnapshotAttribute {snapshot}"), "ok".into())),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&(format!("ModifyImageAttribute {image}"), "ok".into())),
        "{outcomes:?}"
    );
    // moto lacks block public access: reported, not fatal.
    assert!(
        outcomes.iter().any(
            |(step, status)| step.starts_with("EnableSnapshotBlockPublicAccess")
                && status == "unsupported"
        ),
        "{outcomes:?}"
    );
    let (public, accounts) = snapshot_permissions(&bed, "us-east-1", &snapshot).await;
    assert!(!public);
    assert_eq!(
        accounts,
        BTreeSet::from([PARTNER.to_string()]),
        "the trusted partner survives"
    );
    assert!(!image_public(&bed, "us-west-2", &image).await);

    // Re-running finds nothing left to do.
    let targets = [
        "--baseline",
        baseline_arg,
        "act",
        "revert-sharing",
        &format!("us-east-1/{snapshot}"),
        &format!("us-west-2/{image}"),
        "--execute",
    ];
    let targets: Vec<&str> = targets.iter().map(|s| s.as_ref()).collect();
    let rerun = run_json(&bed, &responder, &targets);
    assert!(all_have_status(&rerun, "skipped"), "{rerun:#}");

    let action = reverted["plan"]["action_id"].as_str().expect("action id");
    run_json(&bed, &responder, &["undo", action, "--execute"]);
    let (public, accounts) = snapshot_permissions(&bed, "us-east-1", &snapshot).await;
    assert!(public, "undo restores public");
    assert_eq!(
        accounts,
        BTreeSet::from([PARTNER.to_string(), STRANGER.to_string()])
    );
    assert!(image_public(&bed, "us-west-2", &image).await);
}

pub(crate) async fn snapshot_permissions(
    bed: &TestBed,
    region: &str,
    id: &str,
) -> (bool, BTreeSet<String>) {
    let out = bed
        .seeder()
        .ec2(region)
        .describe_snapshot_attribute()
        .snapshot_id(id)
        .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
        .send()
        .await
        .expect("snapshot attribute");
    let public = out
        .create_volume_permissions()
        .iter()
        .any(|p| p.group() == Some(&aws_sdk_ec2::types::PermissionGroup::All));
    let accounts = out
        .create_volume_permissions()
        .iter()
        .filter_map(|p| p.user_id().map(str::to_string))
        .collect();
    (public, accounts)
}

pub(crate) async fn image_public(bed: &TestBed, region: &str, id: &str) -> bool {
    image_permissions(bed, region, id).await.0
}

/// An AMI's launchPermission as moto holds it: (public, the account ids).
pub(crate) async fn image_permissions(
    bed: &TestBed,
    region: &str,
    id: &str,
) -> (bool, BTreeSet<String>) {
    let out = bed
        .seeder()
        .ec2(region)
        .describe_image_attribute()
        .image_id(id)
        .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
        .send()
        .await
        .expect("image attribute");
    let public = out
        .launch_permissions()
        .iter()
        .any(|p| p.group() == Some(&aws_sdk_ec2::types::PermissionGroup::All));
    let accounts = out
        .launch_permissions()
        .iter()
        .filter_map(|p| p.user_id().map(str::to_string))
        .collect();
    (public, accounts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeze_spares_the_caller_and_break_glass_needs_the_account_typed_and_unfreeze_reverts() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    seed.user("mallory", 1).await;
    seed.user("break-glass", 1).await;
    seed.lambda_role("app-role").await;
    // An IAM Identity Center role: real IAM refuses to change it (moto does not), so freeze
    // must plan nothing for it and say what stops it instead.
    seed.iam()
        .create_role()
        .role_name(SSO_ROLE)
        .path("/aws-reserved/sso.amazonaws.com/")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/AWSSSO_0123_DO_NOT_DELETE"},"Action":"sts:AssumeRoleWithSAML"}]}"#,
        )
        .send()
        .await
        .expect("sso role");
    std::fs::write(
        bed.config_path(),
        "break_glass = [\"user/break-glass\"]\n[aws]\nmax_attempts = 1\nread_max_attempts = 1\nconnect_timeout_secs = 2\n",
    )
    .expect("config");
    let regions = ["--regions", "us-east-1,eu-west-1"];

    // Without the account typed, nothing happens.
    let mut args = regions.to_vec();
    args.extend(["act", "freeze", "--execute"]);
    let refused = run(&bed, &bed.endpoint(), &responder, &args);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--confirm"));
    assert!(user_policies(&bed, "mallory").await.is_empty());
    let mut wrong = args.clone();
    wrong.extend(["--confirm", "999999999999"]);
    assert_eq!(
        run(&bed, &bed.endpoint(), &responder, &wrong).status.code(),
        Some(1)
    );
    assert!(user_policies(&bed, "mallory").await.is_empty());

    args.extend(["--confirm", ACCOUNT]);
    let frozen = run_json(&bed, &responder, &args);
    assert_eq!(
        user_policies(&bed, "mallory").await,
        BTreeSet::from(["firebreak-freeze".to_string()])
    );
    assert_eq!(
        role_policies(&bed, "app-role").await,
        BTreeSet::from(["firebreak-freeze".to_string()])
    );
    assert!(
        user_policies(&bed, "responder").await.is_empty(),
        "never the caller"
    );
    assert!(
        user_policies(&bed, "break-glass").await.is_empty(),
        "never break-glass"
    );
    assert!(
        role_policies(&bed, SSO_ROLE).await.is_empty(),
        "no step IAM would refuse"
    );
    let notes = frozen["plan"]["notes"].to_string();
    assert!(
        notes.contains("NOT frozen") && notes.contains(SSO_ROLE),
        "{notes}"
    );
    let exempt = frozen["plan"]["exempt"].to_string();
    assert!(
        exempt.contains("user/responder") && exempt.contains("user/break-glass"),
        "{exempt}"
    );
    let outcomes = statuses(&frozen);
    assert!(
        outcomes
            .iter()
            .any(|(s, status)| s.starts_with("EnableImageBlockPublicAccess")
                && status == "unsupported"),
        "{outcomes:?}"
    );

    // Again: only skips.
    let again = run_json(&bed, &responder, &args);
    let puts = statuses_of(&again, "Put");
    assert!(
        !puts.is_empty() && puts.iter().all(|status| status == "skipped"),
        "{again:#}"
    );

    // A policy of the operator's own stays; unfreeze removes exactly freeze's.
    seed.iam()
        .put_user_policy()
        .user_name("mallory")
        .policy_name("operator-extra")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#)
        .send()
        .await
        .expect("operator policy");
    let mut unfreeze = regions.to_vec();
    unfreeze.extend(["act", "unfreeze", "--execute"]);
    run_json(&bed, &responder, &unfreeze);
    assert_eq!(
        user_policies(&bed, "mallory").await,
        BTreeSet::from(["operator-extra".to_string()])
    );
    assert!(role_policies(&bed, "app-role").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_sends_no_mutating_request_for_any_playbook() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let mallory = seed.user("mallory", 1).await;
    seed.user("eve", 1).await;
    let snapshot = seed.snapshot("us-east-1", false).await;
    seed.share_snapshot("us-east-1", &snapshot, true, &[]).await;
    let role = seed.lambda_role("lambda-exec").await;
    seed.function("us-east-1", "miner", &role).await;
    // What the countermeasures act on without a baseline: a stopped trail, a disabled
    // detector, SSH open to the world, a new API key.
    seed.trail("us-east-1", "org-trail", true).await;
    seed.stop_logging("us-east-1", "org-trail").await;
    let detector = seed.detector("us-east-1").await;
    seed.disable_detector("us-east-1", &detector).await;
    seed.open_group("us-east-1", "web", 22).await;
    seed.api_key("us-east-1", "exfil").await;
    // An executed action (straight to moto, not through the proxy) for undo to reverse, and a
    // freeze for unfreeze.
    let executed = run_json(
        &bed,
        &responder,
        &["act", "disable-user", "eve", "--execute"],
    );
    let action = executed["plan"]["action_id"]
        .as_str()
        .expect("action")
        .to_string();
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

    let proxy = FaultProxy::recording(bed.moto_address()).await;
    let endpoint = proxy.endpoint();
    let snapshot_target = format!("us-east-1/{snapshot}");
    let commands: Vec<Vec<&str>> = vec![
        vec!["act", "disable-user", "mallory", "--execute"],
        vec!["act", "contain-functions", "us-east-1/miner", "--execute"],
        vec![
            "act",
            "contain-functions",
            "--unknown",
            "--delete",
            "--confirm",
            "delete",
            "--execute",
        ],
        vec![
            "act",
            "revert-sharing",
            &snapshot_target,
            "--block-public-access",
            "--execute",
        ],
        vec!["act", "revert-sharing", "--public", "--execute"],
        vec!["act", "freeze", "--confirm", ACCOUNT, "--execute"],
        vec!["act", "unfreeze", "--execute"],
        vec!["undo", &action, "--execute"],
        vec!["act", "restore-logging", "--all", "--execute"],
        vec!["act", "restore-detection", "--all", "--execute"],
        vec!["act", "close-ingress", "--all", "--execute"],
        vec!["act", "disable-api-key", "--all", "--execute"],
    ];
    for command in &commands {
        let mut args = vec!["--read-only", "--regions", "us-east-1"];
        args.extend(command.iter().copied());
        let output = run(&bed, &endpoint, &responder, &args);
        assert_eq!(output.status.code(), Some(1), "{command:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("read-only"), "{command:?}: {stderr}");
    }
    let seen = proxy.seen();
    assert!(
        seen.len() > 10,
        "the commands did read the account: {seen:?}"
    );
    let mutating: Vec<_> = seen.iter().filter(|s| s.is_mutating()).collect();
    assert!(
        mutating.is_empty(),
        "mutating requests reached the emulator: {mutating:?}"
    );
    // And the account is as it was.
    assert_eq!(
        key_statuses(&bed, "mallory").await[0],
        (mallory[0].clone(), StatusType::Active)
    );
    assert!(snapshot_permissions(&bed, "us-east-1", &snapshot).await.0);
    assert_eq!(reserved(&bed, "us-east-1", "miner").await, None);
    assert!(
        seed.lambda("us-east-1")
            .get_function()
            .function_name("miner")
            .send()
            .await
            .is_ok()
    );
    assert_eq!(
        key_statuses(&bed, "eve").await[0].1,
        StatusType::Inactive,
        "undo was refused"
    );
}

pub(crate) async fn reserved(bed: &TestBed, region: &str, function: &str) -> Option<i32> {
    bed.seeder()
        .lambda(region)
        .get_function_concurrency()
        .function_name(function)
        .send()
        .await
        .expect("concurrency")
        .reserved_concurrent_executions()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contain_functions_saves_evidence_throttles_undoes_and_deletes_only_when_confirmed() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let role = seed.lambda_role("lambda-exec").await;
    const TOKEN: &str = "env-secret-token-never-written";
    seed.function_with_env("ap-south-1", "miner", &role, &[("POOL_TOKEN", TOKEN)])
        .await;
    seed.function("us-east-1", "billing", &role).await;
    seed.lambda("us-east-1")
        .put_function_concurrency()
        .function_name("billing")
        .reserved_concurrent_executions(5)
        .send()
        .await
        .expect("reserve");

    let args = [
        "act",
        "contain-functions",
        "ap-south-1/miner",
        "us-east-1/billing",
        "--execute",
    ];
    let contained = run_json(&bed, &responder, &args);
    assert!(all_have_status(&contained, "ok"), "{contained:#}");
    assert_eq!(reserved(&bed, "ap-south-1", "miner").await, Some(0));
    assert_eq!(reserved(&bed, "us-east-1", "billing").await, Some(0));

    // Evidence: configuration, tags, manifest with sha256; moto's code location cannot be
    // downloaded, which is recorded, not fatal; no environment value is written.
    let session = contained["plan"]["action_id"]
        .as_str()
        .and_then(|a| a.rsplit_once('-'))
        .map(|(s, _)| s.to_string())
        .expect("session");
    let evidence = bed
        .dir
        .path()
        .join("data/evidence")
        .join(&session)
        .join("ap-south-1/miner");
    let manifest = verified_evidence(&evidence);
    assert_eq!(
        manifest["code_download"]["status"], "failed",
        "{manifest:#}"
    );
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["file"].as_str())
        .collect();
    assert!(
        files.contains(&"configuration.json") && files.contains(&"tags.json"),
        "{files:?}"
    );
    let configuration =
        std::fs::read_to_string(evidence.join("configuration.json")).expect("config");
    assert!(configuration.contains("POOL_TOKEN"), "{configuration}");
    for path in walk(bed.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
        assert!(
            !text.contains(TOKEN),
            "{} holds an environment value",
            path.display()
        );
    }

    // Re-running throttles nothing more.
    let again = run_json(&bed, &responder, &args);
    assert_eq!(
        statuses_of(&again, "PutFunctionConcurrency"),
        ["skipped", "skipped"],
        "{again:#}"
    );

    // Undo restores the previous concurrency exactly: none for miner, 5 for billing.
    let action = contained["plan"]["action_id"].as_str().expect("action");
    run_json(&bed, &responder, &["undo", action, "--execute"]);
    assert_eq!(reserved(&bed, "ap-south-1", "miner").await, None);
    assert_eq!(reserved(&bed, "us-east-1", "billing").await, Some(5));

    // Deleting needs the word typed; evidence stays.
    let delete = [
        "act",
        "contain-functions",
        "ap-south-1/miner",
        "--delete",
        "--execute",
    ];
    let refused = run(&bed, &bed.endpoint(), &responder, &delete);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        seed.lambda("ap-south-1")
            .get_function()
            .function_name("miner")
            .send()
            .await
            .is_ok()
    );
    // moto's code location cannot be downloaded: the code was not saved, so delete is
    // refused — the function stays, the step says why.
    let mut confirmed = delete.to_vec();
    confirmed.extend(["--confirm", "delete", "--format", "json"]);
    let kept = run(&bed, &bed.endpoint(), &responder, &confirmed);
    assert_eq!(
        kept.status.code(),
        Some(i32::from(firebreak::cli::EXIT_STEP_FAILED)),
        "{}",
        String::from_utf8_lossy(&kept.stderr)
    );
    let kept: Value = serde_json::from_slice(&kept.stdout).expect("json");
    assert!(
        statuses(&kept).contains(&(
            "DeleteFunction function miner".to_string(),
            "failed".to_string()
        )),
        "{kept:#}"
    );
    assert!(
        kept["results"].to_string().contains("CodeNotSaved"),
        "{kept:#}"
    );
    assert!(
        seed.lambda("ap-south-1")
            .get_function()
            .function_name("miner")
            .send()
            .await
            .is_ok(),
        "a function whose code was not saved is not deleted"
    );
    // Deleting anyway needs its own flag and its own word typed.
    let anyway = [
        "act",
        "contain-functions",
        "ap-south-1/miner",
        "--delete-without-code",
        "--execute",
    ];
    let mut wrong_word = anyway.to_vec();
    wrong_word.extend(["--confirm", "delete"]);
    assert_eq!(
        run(&bed, &bed.endpoint(), &responder, &wrong_word)
            .status
            .code(),
        Some(1)
    );
    let mut confirmed = anyway.to_vec();
    confirmed.extend(["--confirm", "delete-without-code"]);
    let deleted = run_json(&bed, &responder, &confirmed);
    assert!(
        statuses(&deleted).contains(&(
            "DeleteFunction function miner".to_string(),
            "ok".to_string()
        )),
        "{deleted:#}"
    );
    assert!(
        seed.lambda("ap-south-1")
            .get_function()
            .function_name("miner")
            .send()
            .await
            .is_err()
    );
    // The deleting session saved its own evidence first, and it is intact.
    let deleting_session = deleted["plan"]["action_id"]
        .as_str()
        .and_then(|a| a.rsplit_once('-'))
        .map(|(s, _)| s.to_string())
        .expect("session");
    assert_ne!(deleting_session, session);
    verified_evidence(
        &bed.dir
            .path()
            .join("data/evidence")
            .join(&deleting_session)
            .join("ap-south-1/miner"),
    );
    verified_evidence(&evidence);
}

/// Reads the evidence manifest in `directory` and checks it against the files on disk: each
/// listed file exists with the listed size and sha256 (recomputed here), mode 0600, and no
/// file is there that the manifest does not list. Returns the manifest.
pub(crate) fn verified_evidence(directory: &std::path::Path) -> Value {
    use sha2::Digest;
    use std::os::unix::fs::PermissionsExt;
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(directory.join("manifest.json")).expect("evidence manifest"),
    )
    .expect("manifest json");
    let mut listed = BTreeSet::from(["manifest.json".to_string()]);
    for file in manifest["files"].as_array().expect("files") {
        let name = file["file"].as_str().expect("file name");
        let bytes = std::fs::read(directory.join(name)).expect("a listed file");
        assert_eq!(file["bytes"].as_u64(), Some(bytes.len() as u64), "{name}");
        assert_eq!(
            file["sha256"].as_str(),
            Some(hex::encode(sha2::Sha256::digest(&bytes)).as_str()),
            "{name}: the manifest's hash is the file's"
        );
        listed.insert(name.to_string());
    }
    assert!(listed.len() > 1, "nothing was kept: {manifest:#}");
    let mut present = BTreeSet::new();
    for entry in std::fs::read_dir(directory)
        .expect("evidence dir")
        .flatten()
    {
        let mode = entry.metadata().expect("metadata").permissions().mode() & 0o777;
        let name = entry.file_name().to_string_lossy().into_owned();
        assert_eq!(mode, 0o600, "{name} is private");
        present.insert(name);
    }
    assert_eq!(
        present, listed,
        "the evidence folder holds what its manifest lists"
    );
    manifest
}
