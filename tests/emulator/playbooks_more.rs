//! The newer playbooks end to end: disable-key, disable-role, revert-sharing on a Lambda function
//! and contain-functions --unknown against a baseline. Each runs the real binary as an IAM
//! responder user and reads the account back through the SDK; firebreak's own report is never
//! the only evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use aws_sdk_iam::types::StatusType;
use aws_sdk_lambda::types::FunctionUrlAuthType;
use serde_json::{Value, json};

use crate::playbooks::{
    PARTNER, STRANGER, all_have_status, key_statuses, reserved, role_policies, run, run_json,
    statuses, user_policies,
};
use crate::support::{ACCOUNT, TestBed};

const DENY_ALL: &str = "firebreak-deny-all";
const REVOKE: &str = "firebreak-revoke-older-sessions";
const READ_ONLY_ACCESS: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// Writes a baseline by hand: `trusted_accounts` = PARTNER, the given roles, and functions by
/// region. Returns its path.
pub(crate) fn write_baseline(bed: &TestBed, roles: &[&str], functions: &[(&str, &str)]) -> PathBuf {
    let mut by_region: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (region, name) in functions {
        by_region.entry(region).or_default().push(name);
    }
    let quoted = |items: &[&str]| {
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "version = 1\naccount_id = \"{ACCOUNT}\"\ntrusted_accounts = [\"{PARTNER}\"]\n\n\
         [principals]\nusers = [\"responder\"]\nroles = [{}]\n\n[resources.functions]\n",
        quoted(roles)
    );
    for (region, names) in &by_region {
        text.push_str(&format!("{region} = [{}]\n", quoted(names)));
    }
    let path = bed.dir.path().join("baseline.toml");
    std::fs::write(&path, text).expect("write baseline");
    path
}

/// Each executed step with its outcome: (the step as planned, status).
fn step_outcomes(document: &Value) -> Vec<(Value, String)> {
    let steps = document["plan"]["steps"].as_array().expect("steps");
    document["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let index = r["index"].as_u64().expect("index") as usize;
            (
                steps[index - 1].clone(),
                r["outcome"]["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn exempt_principals(document: &Value) -> Vec<String> {
    document["plan"]["exempt"]
        .as_array()
        .expect("exempt")
        .iter()
        .map(|e| e["principal"].as_str().expect("principal").to_string())
        .collect()
}

pub(crate) async fn attached_user_policies(bed: &TestBed, user: &str) -> BTreeSet<String> {
    bed.seeder()
        .iam()
        .list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .expect("attached user policies")
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}

pub(crate) async fn attached_role_policies(bed: &TestBed, role: &str) -> BTreeSet<String> {
    bed.seeder()
        .iam()
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .expect("attached role policies")
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}

/// IAM returns policy documents URL-encoded.
pub(crate) fn parse_iam_document(document: &str) -> Value {
    let decoded = percent_encoding::percent_decode_str(document).decode_utf8_lossy();
    serde_json::from_str(&decoded).unwrap_or_else(|e| panic!("{e}: {decoded}"))
}

async fn trust(bed: &TestBed, role: &str) -> Value {
    let out = bed
        .seeder()
        .iam()
        .get_role()
        .role_name(role)
        .send()
        .await
        .expect("get role");
    parse_iam_document(
        out.role()
            .and_then(|r| r.assume_role_policy_document())
            .expect("trust policy"),
    )
}

async fn role_policy(bed: &TestBed, role: &str, name: &str) -> Value {
    let out = bed
        .seeder()
        .iam()
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
        .expect("get role policy");
    parse_iam_document(out.policy_document())
}

fn statements(document: &Value) -> Vec<Value> {
    match &document["Statement"] {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    }
}

/// Every `AWS` principal entry of the trust's Allow statements (`"*"` included).
fn allowed_aws_principals(document: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for statement in statements(document) {
        if statement["Effect"] != "Allow" {
            continue;
        }
        let principal = &statement["Principal"];
        let entries = match principal {
            Value::String(_) => vec![principal.clone()],
            Value::Object(map) => match map.get("AWS") {
                Some(Value::Array(items)) => items.clone(),
                Some(one) => vec![one.clone()],
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        out.extend(
            entries
                .iter()
                .filter_map(|e| e.as_str().map(str::to_string)),
        );
    }
    out
}

/// A function's resource-policy statements by Sid (empty when it has no policy).
pub(crate) async fn function_policy(
    bed: &TestBed,
    region: &str,
    name: &str,
) -> BTreeMap<String, Value> {
    let out = bed
        .seeder()
        .lambda(region)
        .get_policy()
        .function_name(name)
        .send()
        .await;
    let Ok(out) = out else {
        let error = out.expect_err("error");
        assert!(
            error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()),
            "GetPolicy: {error:?}"
        );
        return BTreeMap::new();
    };
    let document: Value = serde_json::from_str(out.policy().expect("policy")).expect("policy json");
    statements(&document)
        .into_iter()
        .map(|s| (s["Sid"].as_str().expect("sid").to_string(), s))
        .collect()
}

async fn url_auth(bed: &TestBed, region: &str, name: &str) -> FunctionUrlAuthType {
    bed.seeder()
        .lambda(region)
        .get_function_url_config()
        .function_name(name)
        .send()
        .await
        .expect("function url config")
        .auth_type()
        .clone()
}

pub(crate) fn sids(policy: &BTreeMap<String, Value>) -> BTreeSet<&str> {
    policy.keys().map(String::as_str).collect()
}

/// A trust policy letting `principal` (an ARN, an account id) assume the role.
pub(crate) fn trust_policy(principal: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})
    .to_string()
}

/// Temporary credentials (key id, secret, session token) of session `jo` of role `role_arn`.
pub(crate) async fn assume(bed: &TestBed, role_arn: &str) -> (String, String, String) {
    let assumed = bed
        .seeder()
        .sts()
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("jo")
        .send()
        .await
        .expect("assume role");
    let credentials = assumed.credentials().expect("credentials");
    (
        credentials.access_key_id().to_string(),
        credentials.secret_access_key().to_string(),
        credentials.session_token().to_string(),
    )
}

/// The firebreak binary running with the temporary `credentials` of an assumed role.
pub(crate) fn firebreak_as_role(
    bed: &TestBed,
    (key_id, secret, token): &(String, String, String),
) -> std::process::Command {
    let mut command = bed.firebreak_as(&bed.endpoint(), key_id, secret);
    command.env("AWS_SESSION_TOKEN", token);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_key_deactivates_only_that_key_reruns_skip_and_undo_reactivates_it() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let keys = seed.user("ci-deploy", 2).await;
    let (leaked, other) = (&keys[0], &keys[1]);
    let iam = seed.iam();
    iam.create_login_profile()
        .user_name("ci-deploy")
        .password("Ci-Deploy-Passw0rd!")
        .send()
        .await
        .expect("login profile");
    iam.put_user_policy()
        .user_name("ci-deploy")
        .policy_name("deploy")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:UpdateFunctionCode","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("inline policy");
    iam.attach_user_policy()
        .user_name("ci-deploy")
        .policy_arn(READ_ONLY_ACCESS)
        .send()
        .await
        .expect("attach managed policy");
    let both_active = {
        let mut keys = vec![
            (leaked.clone(), StatusType::Active),
            (other.clone(), StatusType::Active),
        ];
        keys.sort();
        keys
    };
    assert_eq!(key_statuses(&bed, "ci-deploy").await, both_active);
    let leaked_step = format!("UpdateAccessKey user/ci-deploy key {leaked}");

    // Dry run: one step, nothing sent.
    let dry = run_json(&bed, &responder, &["act", "disable-key", leaked]);
    assert_eq!(dry["executed"], false);
    let planned: Vec<(&str, &str)> = dry["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["api"].as_str().unwrap_or(""),
                s["target"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [(
            "UpdateAccessKey",
            format!("user/ci-deploy key {leaked}").as_str()
        )]
    );
    assert_eq!(key_statuses(&bed, "ci-deploy").await, both_active);

    let executed = run_json(
        &bed,
        &responder,
        &["act", "disable-key", leaked, "--execute"],
    );
    assert_eq!(executed["executed"], true);
    assert_eq!(
        statuses(&executed),
        [(leaked_step.clone(), "ok".to_string())]
    );
    let mut expected = vec![
        (leaked.clone(), StatusType::Inactive),
        (other.clone(), StatusType::Active),
    ];
    expected.sort();
    assert_eq!(key_statuses(&bed, "ci-deploy").await, expected);
    // The user keeps everything else: its other key, its password, its policies.
    assert!(
        iam.get_login_profile()
            .user_name("ci-deploy")
            .send()
            .await
            .is_ok(),
        "the login profile stays"
    );
    assert_eq!(
        user_policies(&bed, "ci-deploy").await,
        BTreeSet::from(["deploy".to_string()])
    );
    assert_eq!(
        attached_user_policies(&bed, "ci-deploy").await,
        BTreeSet::from([READ_ONLY_ACCESS.to_string()])
    );

    // Again: only skipped.
    let again = run_json(
        &bed,
        &responder,
        &["act", "disable-key", leaked, "--execute"],
    );
    assert_eq!(
        statuses(&again),
        [(leaked_step.clone(), "skipped".to_string())]
    );
    assert_eq!(key_statuses(&bed, "ci-deploy").await, expected);

    // Undo reactivates exactly that key; undoing twice changes nothing more.
    let action = executed["plan"]["action_id"].as_str().expect("action id");
    let undone = run_json(&bed, &responder, &["undo", action, "--execute"]);
    assert!(all_have_status(&undone, "ok"), "{undone:#}");
    assert_eq!(key_statuses(&bed, "ci-deploy").await, both_active);
    let twice = run_json(&bed, &responder, &["undo", action, "--execute"]);
    assert!(all_have_status(&twice, "skipped"), "{twice:#}");
    assert_eq!(key_statuses(&bed, "ci-deploy").await, both_active);

    // The responder's own key is exempt: no step, the key stays active.
    let own = run_json(
        &bed,
        &responder,
        &["act", "disable-key", &responder.0, "--execute"],
    );
    assert_eq!(
        exempt_principals(&own),
        [format!("user/responder key {}", responder.0)]
    );
    assert!(own["plan"]["steps"].as_array().expect("steps").is_empty());
    assert_eq!(
        key_statuses(&bed, "responder").await,
        [(responder.0.clone(), StatusType::Active)]
    );

    // A key id no user has is a clear error, and nothing changes.
    let missing = "AKIANOSUCHKEY0000000";
    let output = run(
        &bed,
        &bed.endpoint(),
        &responder,
        &["act", "disable-key", missing, "--execute"],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(missing), "{stderr}");
    assert_eq!(key_statuses(&bed, "ci-deploy").await, both_active);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_role_denies_the_unknown_reverts_the_known_partners_trust_spares_break_glass_and_undo_restores()
 {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    std::fs::write(
        bed.config_path(),
        "break_glass = [\"role/break-glass\"]\n[aws]\nmax_attempts = 1\nread_max_attempts = 1\nconnect_timeout_secs = 2\n",
    )
    .expect("config");
    let baseline = write_baseline(&bed, &["partner-read", "break-glass"], &[]);
    let baseline_arg = baseline.to_str().expect("utf-8");

    let partner_root = format!("arn:aws:iam::{PARTNER}:root");
    let stranger_root = format!("arn:aws:iam::{STRANGER}:root");
    seed.role(
        "partner-read",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": partner_root}, "Action": "sts:AssumeRole"}]})
        .to_string(),
    )
    .await;
    // The breach: the partner role's trust widened to a stranger; a backdoor role trusting only
    // the stranger, with administrator access; break-glass also trusts the stranger.
    let widened = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Partner", "Effect": "Allow",
         "Principal": {"AWS": [partner_root, stranger_root]},
         "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "partner-2024"}}},
        {"Sid": "Lambda", "Effect": "Allow",
         "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]});
    seed.iam()
        .update_assume_role_policy()
        .role_name("partner-read")
        .policy_document(widened.to_string())
        .send()
        .await
        .expect("widen trust");
    seed.role(
        "backdoor",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": STRANGER}, "Action": "sts:AssumeRole"}]})
        .to_string(),
    )
    .await;
    seed.iam()
        .attach_role_policy()
        .role_name("backdoor")
        .policy_arn(ADMINISTRATOR_ACCESS)
        .send()
        .await
        .expect("attach admin");
    seed.role(
        "break-glass",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": [partner_root, stranger_root]}, "Action": "sts:AssumeRole"}]})
        .to_string(),
    )
    .await;
    let before: BTreeMap<&str, Value> = BTreeMap::from([
        ("partner-read", trust(&bed, "partner-read").await),
        ("backdoor", trust(&bed, "backdoor").await),
        ("break-glass", trust(&bed, "break-glass").await),
    ]);
    assert_eq!(before["partner-read"], widened);

    let args = [
        "--baseline",
        baseline_arg,
        "act",
        "disable-role",
        "partner-read",
        "backdoor",
        "break-glass",
        "--execute",
    ];
    let disabled = run_json(&bed, &responder, &args);
    assert_eq!(exempt_principals(&disabled), ["role/break-glass"]);
    assert!(
        disabled["plan"]["exempt"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("break-glass")),
        "{disabled:#}"
    );
    let outcomes = statuses(&disabled);
    // The partner's role, known to the baseline, is not denied: its trust goes back and its
    // older sessions are revoked, which shuts the stranger out without cutting the partner off.
    assert_eq!(outcomes.len(), 5, "{outcomes:?}");
    assert!(
        disabled["plan"]["notes"]
            .to_string()
            .contains("--deny-known"),
        "{disabled:#}"
    );
    assert!(all_have_status(&disabled, "ok"), "{outcomes:?}");
    for role in ["partner-read", "backdoor"] {
        assert!(
            outcomes.contains(&(
                format!("UpdateAssumeRolePolicy role/{role} trust policy"),
                "ok".to_string()
            )),
            "{outcomes:?}"
        );
    }

    // The backdoor carries the deny-all and revoke-older-sessions policies, the partner's
    // role only the revoke.
    assert_eq!(
        role_policies(&bed, "partner-read").await,
        BTreeSet::from([REVOKE.to_string()])
    );
    assert_eq!(
        role_policies(&bed, "backdoor").await,
        BTreeSet::from([DENY_ALL.to_string(), REVOKE.to_string()])
    );
    let deny = role_policy(&bed, "backdoor", DENY_ALL).await;
    assert_eq!(deny["Statement"][0]["Effect"], "Deny");
    assert_eq!(deny["Statement"][0]["Action"], "*");
    assert_eq!(deny["Statement"][0]["Resource"], "*");
    for role in ["partner-read", "backdoor"] {
        let revoke = role_policy(&bed, role, REVOKE).await;
        assert!(
            revoke["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"].is_string(),
            "{revoke:#}"
        );
    }
    // The widened trust names the partner again, not the stranger; its condition and the
    // service statement stay.
    let partner_trust = trust(&bed, "partner-read").await;
    assert_eq!(
        allowed_aws_principals(&partner_trust),
        BTreeSet::from([partner_root.clone()]),
        "{partner_trust:#}"
    );
    assert!(!partner_trust.to_string().contains(STRANGER));
    let kept = statements(&partner_trust);
    assert_eq!(
        kept[0]["Condition"]["StringEquals"]["sts:ExternalId"],
        "partner-2024"
    );
    assert!(
        kept.iter()
            .any(|s| s["Principal"]["Service"] == "lambda.amazonaws.com"),
        "{partner_trust:#}"
    );
    // The backdoor lets no one in any more.
    let backdoor_trust = trust(&bed, "backdoor").await;
    assert!(
        allowed_aws_principals(&backdoor_trust).is_empty(),
        "{backdoor_trust:#}"
    );
    assert!(
        statements(&backdoor_trust)
            .iter()
            .all(|s| s["Effect"] == "Deny"),
        "{backdoor_trust:#}"
    );
    assert!(!backdoor_trust.to_string().contains(STRANGER));
    // firebreak adds a deny; it detaches nothing.
    assert_eq!(
        attached_role_policies(&bed, "backdoor").await,
        BTreeSet::from([ADMINISTRATOR_ACCESS.to_string()])
    );
    // Break-glass is untouched.
    assert!(role_policies(&bed, "break-glass").await.is_empty());
    assert_eq!(trust(&bed, "break-glass").await, before["break-glass"]);

    // Again: only skipped.
    let again = run_json(&bed, &responder, &args);
    assert!(all_have_status(&again, "skipped"), "{again:#}");

    // Undo: the exact prior trust documents, no firebreak policies.
    let action = disabled["plan"]["action_id"].as_str().expect("action id");
    let undone = run_json(&bed, &responder, &["undo", action, "--execute"]);
    assert!(all_have_status(&undone, "ok"), "{undone:#}");
    for (role, document) in &before {
        assert_eq!(&trust(&bed, role).await, document, "{role}");
        assert!(role_policies(&bed, role).await.is_empty(), "{role}");
    }
    assert_eq!(
        attached_role_policies(&bed, "backdoor").await,
        BTreeSet::from([ADMINISTRATOR_ACCESS.to_string()])
    );

    // Denying the partner's role too is an explicit choice.
    let denied = run_json(
        &bed,
        &responder,
        &[
            "--baseline",
            baseline_arg,
            "act",
            "disable-role",
            "partner-read",
            "--deny-known",
            "--execute",
        ],
    );
    assert!(all_have_status(&denied, "ok"), "{denied:#}");
    assert_eq!(
        role_policies(&bed, "partner-read").await,
        BTreeSet::from([DENY_ALL.to_string(), REVOKE.to_string()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_role_never_touches_the_role_the_responder_runs_as() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let trust_account = trust_policy(&format!("arn:aws:iam::{ACCOUNT}:root"));
    let role_arn = seed.role("incident-response", &trust_account).await;
    seed.role("rogue", &trust_account).await;
    let credentials = assume(&bed, &role_arn).await;
    let as_role = |args: &[&str]| {
        let output = firebreak_as_role(&bed, &credentials)
            .args(args)
            .args(["--format", "json"])
            .output()
            .expect("run firebreak");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<Value>(&output.stdout).expect("json")
    };

    let done = as_role(&[
        "act",
        "disable-role",
        "incident-response",
        "rogue",
        "--execute",
    ]);
    assert!(
        done["plan"]["account"]["caller_arn"]
            .as_str()
            .is_some_and(|arn| arn.contains("assumed-role/incident-response/jo")),
        "{done:#}"
    );
    assert_eq!(exempt_principals(&done), ["role/incident-response"]);
    assert!(
        done["plan"]["exempt"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("caller")),
        "{done:#}"
    );
    let outcomes = step_outcomes(&done);
    assert!(!outcomes.is_empty());
    assert!(
        outcomes.iter().all(|(step, status)| step["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("role/rogue"))
            && status == "ok"),
        "{outcomes:?}"
    );
    assert!(role_policies(&bed, "incident-response").await.is_empty());
    assert_eq!(
        role_policies(&bed, "rogue").await,
        BTreeSet::from([DENY_ALL.to_string(), REVOKE.to_string()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revert_sharing_closes_a_public_function_keeps_the_partner_and_undo_reopens_it() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let region = "eu-west-1";
    let role = seed.lambda_role("orders-exec").await;
    seed.function(region, "orders-api", &role).await;
    seed.function(region, "internal-api", &role).await;
    let lambda = seed.lambda(region);
    let add = |sid: &str, action: &str, principal: &str| {
        lambda
            .add_permission()
            .function_name("orders-api")
            .statement_id(sid)
            .action(action)
            .principal(principal)
    };
    add("partner-invoke", "lambda:InvokeFunction", PARTNER)
        .send()
        .await
        .expect("partner statement");
    add("s3-events", "lambda:InvokeFunction", "s3.amazonaws.com")
        .source_arn("arn:aws:s3:::orders-uploads")
        .source_account(ACCOUNT)
        .send()
        .await
        .expect("service statement");
    // The breach: public invoke, a stranger account, and a public URL with its statement.
    add("public-invoke", "lambda:InvokeFunction", "*")
        .send()
        .await
        .expect("public statement");
    add(
        "stranger-invoke",
        "lambda:InvokeFunction",
        &format!("arn:aws:iam::{STRANGER}:root"),
    )
    .send()
    .await
    .expect("stranger statement");
    add("url-public", "lambda:InvokeFunctionUrl", "*")
        .function_url_auth_type(FunctionUrlAuthType::None)
        .send()
        .await
        .expect("url statement");
    lambda
        .create_function_url_config()
        .function_name("orders-api")
        .auth_type(FunctionUrlAuthType::None)
        .send()
        .await
        .expect("function url");
    // A private function of the same estate: only the partner may call it.
    lambda
        .add_permission()
        .function_name("internal-api")
        .statement_id("partner-invoke")
        .action("lambda:InvokeFunction")
        .principal(PARTNER)
        .send()
        .await
        .expect("internal partner statement");

    let before = function_policy(&bed, region, "orders-api").await;
    assert_eq!(
        sids(&before),
        BTreeSet::from([
            "partner-invoke",
            "s3-events",
            "public-invoke",
            "stranger-invoke",
            "url-public"
        ])
    );
    assert_eq!(
        url_auth(&bed, region, "orders-api").await,
        FunctionUrlAuthType::None
    );
    let internal_before = function_policy(&bed, region, "internal-api").await;
    let baseline = write_baseline(
        &bed,
        &["orders-exec"],
        &[(region, "orders-api"), (region, "internal-api")],
    );
    let baseline_arg = baseline.to_str().expect("utf-8");

    let target = format!("{region}/orders-api");
    let args = [
        "--baseline",
        baseline_arg,
        "act",
        "revert-sharing",
        &target,
        "--execute",
    ];
    let reverted = run_json(&bed, &responder, &args);
    let outcomes = step_outcomes(&reverted);
    let removed: BTreeSet<&str> = outcomes
        .iter()
        .filter(|(step, _)| step["api"] == "RemovePermission")
        .map(|(step, status)| {
            assert_eq!(status, "ok", "{step:#}");
            step["operation"]["statement_id"].as_str().expect("sid")
        })
        .collect();
    assert_eq!(
        removed,
        BTreeSet::from(["public-invoke", "stranger-invoke", "url-public"])
    );
    assert!(
        outcomes
            .iter()
            .any(|(step, status)| step["api"] == "UpdateFunctionUrlConfig" && status == "ok"),
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|(step, _)| step["region"] == region
            && !step["api"].as_str().unwrap_or("").contains("Concurrency")),
        "{outcomes:?}"
    );
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");

    // Read back: the public and stranger statements are gone, the partner and the service stay
    // exactly as they were, the URL needs IAM auth, and concurrency is still unreserved.
    let after = function_policy(&bed, region, "orders-api").await;
    assert_eq!(
        sids(&after),
        BTreeSet::from(["partner-invoke", "s3-events"])
    );
    for sid in ["partner-invoke", "s3-events"] {
        assert_eq!(after[sid], before[sid], "{sid}");
    }
    assert_eq!(
        url_auth(&bed, region, "orders-api").await,
        FunctionUrlAuthType::AwsIam
    );
    assert_eq!(reserved(&bed, region, "orders-api").await, None);
    assert_eq!(
        function_policy(&bed, region, "internal-api").await,
        internal_before
    );

    // Again: the function is planned from its policy as it is now, so nothing is left to do
    // and nothing is sent.
    let again = run_json(&bed, &responder, &args);
    assert!(
        again["plan"]["steps"].as_array().expect("steps").is_empty(),
        "{again:#}"
    );
    assert!(
        again["plan"]["notes"]
            .to_string()
            .contains("orders-api in eu-west-1 lets in no one outside trusted accounts"),
        "{again:#}"
    );
    assert_eq!(function_policy(&bed, region, "orders-api").await, after);

    // Undo puts each removed statement back as it was (same Sid, principal `*`) and the URL
    // back to NONE.
    let action = reverted["plan"]["action_id"].as_str().expect("action id");
    let undone = run_json(&bed, &responder, &["undo", action, "--execute"]);
    assert!(all_have_status(&undone, "ok"), "{undone:#}");
    let restored = function_policy(&bed, region, "orders-api").await;
    assert_eq!(sids(&restored), sids(&before));
    assert_eq!(restored["public-invoke"]["Principal"], "*");
    assert_eq!(restored["url-public"]["Principal"], "*");
    assert_eq!(restored, before, "every statement restored exactly");
    assert_eq!(
        url_auth(&bed, region, "orders-api").await,
        FunctionUrlAuthType::None
    );
    assert_eq!(reserved(&bed, region, "orders-api").await, None);

    // `--public` finds the public function by scanning, and only it.
    let public = run_json(
        &bed,
        &responder,
        &[
            "--baseline",
            baseline_arg,
            "--regions",
            region,
            "act",
            "revert-sharing",
            "--public",
            "--execute",
        ],
    );
    let outcomes = step_outcomes(&public);
    assert!(
        outcomes
            .iter()
            .all(|(step, status)| step["target"] == "function orders-api" && status == "ok"),
        "{outcomes:?}"
    );
    let removed: BTreeSet<&str> = outcomes
        .iter()
        .filter(|(step, _)| step["api"] == "RemovePermission")
        .filter_map(|(step, _)| step["operation"]["statement_id"].as_str())
        .collect();
    assert_eq!(
        removed,
        BTreeSet::from(["public-invoke", "stranger-invoke", "url-public"])
    );
    assert_eq!(
        sids(&function_policy(&bed, region, "orders-api").await),
        BTreeSet::from(["partner-invoke", "s3-events"])
    );
    assert_eq!(
        url_auth(&bed, region, "orders-api").await,
        FunctionUrlAuthType::AwsIam
    );
    assert_eq!(
        function_policy(&bed, region, "internal-api").await,
        internal_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contain_unknown_functions_spares_a_known_public_function_and_throttles_the_unknown() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let role = seed.lambda_role("lambda-exec").await;
    // Production: a known function, made public by the attacker (an exposure, not an intruder).
    seed.function("us-east-1", "orders-api", &role).await;
    seed.lambda("us-east-1")
        .add_permission()
        .function_name("orders-api")
        .statement_id("public-invoke")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("make public");
    // The attacker's functions: a miner, and a lookalike of the known name in another region.
    seed.function("ap-south-1", "miner", &role).await;
    seed.function("eu-west-1", "orders-api", &role).await;
    let baseline = write_baseline(&bed, &["lambda-exec"], &[("us-east-1", "orders-api")]);
    let baseline_arg = baseline.to_str().expect("utf-8");
    let mut args = vec![
        "--baseline",
        baseline_arg,
        "--regions",
        "us-east-1,ap-south-1,eu-west-1",
        "act",
        "contain-functions",
        "--unknown",
    ];

    let throttled = |document: &Value| -> BTreeSet<(String, String)> {
        document["plan"]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter(|s| s["api"] == "PutFunctionConcurrency")
            .map(|s| {
                (
                    s["region"].as_str().expect("region").to_string(),
                    s["operation"]["function"]
                        .as_str()
                        .expect("function")
                        .to_string(),
                )
            })
            .collect()
    };
    let expected = BTreeSet::from([
        ("ap-south-1".to_string(), "miner".to_string()),
        ("eu-west-1".to_string(), "orders-api".to_string()),
    ]);
    let dry = run_json(&bed, &responder, &args);
    assert_eq!(throttled(&dry), expected, "{dry:#}");
    assert!(
        dry["plan"]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["region"] != "us-east-1"),
        "the known function is not in the plan at all: {dry:#}"
    );

    args.push("--execute");
    let contained = run_json(&bed, &responder, &args);
    assert_eq!(throttled(&contained), expected);
    assert!(all_have_status(&contained, "ok"), "{contained:#}");
    assert_eq!(reserved(&bed, "ap-south-1", "miner").await, Some(0));
    assert_eq!(reserved(&bed, "eu-west-1", "orders-api").await, Some(0));
    assert_eq!(
        reserved(&bed, "us-east-1", "orders-api").await,
        None,
        "production keeps serving"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_gathered_from_a_partial_scan_names_what_it_could_not_read_and_exits_partial() {
    use crate::support::fault_proxy::FaultProxy;
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let role = seed.lambda_role("fn-role").await;
    seed.function("ap-south-1", "miner", &role).await;
    // A miner the responder cannot see: Lambda is denied in eu-west-1.
    seed.function("eu-west-1", "miner", &role).await;
    let proxy = FaultProxy::deny(bed.moto_address(), "lambda", "eu-west-1").await;
    let output = run(
        &bed,
        &proxy.endpoint(),
        &responder,
        &[
            "--regions",
            "ap-south-1,eu-west-1",
            "act",
            "contain-functions",
            "--unknown",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(i32::from(firebreak::cli::EXIT_PARTIAL)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let unread = document["plan"]["unread"].to_string();
    assert!(
        unread.contains("ListFunctions") && unread.contains("eu-west-1"),
        "the plan says what it could not read: {unread}"
    );
    let targets = document["plan"]["steps"].to_string();
    assert!(
        targets.contains("ap-south-1") && !targets.contains("eu-west-1"),
        "{targets}"
    );
    // The table says it too.
    let table = run(
        &bed,
        &proxy.endpoint(),
        &responder,
        &[
            "--regions",
            "ap-south-1,eu-west-1",
            "act",
            "contain-functions",
            "--unknown",
        ],
    );
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("NOT READ") && text.contains("eu-west-1"),
        "{text}"
    );
    assert_eq!(
        table.status.code(),
        Some(i32::from(firebreak::cli::EXIT_PARTIAL))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeze_keeps_the_user_the_callers_role_is_assumed_from() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    seed.user("jo", 1).await;
    seed.user("mallory", 1).await;
    let role_arn = seed
        .role(
            "oncall",
            &trust_policy(&format!("arn:aws:iam::{ACCOUNT}:user/jo")),
        )
        .await;
    let output = firebreak_as_role(&bed, &assume(&bed, &role_arn).await)
        .args([
            "--regions",
            "us-east-1",
            "act",
            "freeze",
            "--confirm",
            ACCOUNT,
            "--execute",
            "--format",
            "json",
        ])
        .output()
        .expect("run firebreak");
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let exempt = document["plan"]["exempt"].to_string();
    assert!(
        exempt.contains("user/jo") && exempt.contains("assuming oncall again"),
        "the user the role is assumed from stays able to assume it: {exempt}"
    );
    assert!(user_policies(&bed, "jo").await.is_empty());
    assert!(!user_policies(&bed, "mallory").await.is_empty());
    assert!(role_policies(&bed, "oncall").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_user_revokes_the_sessions_of_roles_it_could_assume() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    seed.user("mallory", 1).await;
    seed.role(
        "ops",
        &trust_policy(&format!("arn:aws:iam::{ACCOUNT}:user/mallory")),
    )
    .await;
    seed.role(
        "shared",
        &trust_policy(&format!("arn:aws:iam::{ACCOUNT}:root")),
    )
    .await;
    seed.role(
        "unrelated",
        &trust_policy(&format!("arn:aws:iam::{ACCOUNT}:user/responder")),
    )
    .await;
    let done = run_json(
        &bed,
        &responder,
        &["act", "disable-user", "mallory", "--execute"],
    );
    assert_eq!(
        role_policies(&bed, "ops").await,
        BTreeSet::from(["firebreak-revoke-older-sessions".to_string()]),
        "a session mallory assumed in ops no longer works"
    );
    assert!(role_policies(&bed, "shared").await.is_empty());
    assert!(role_policies(&bed, "unrelated").await.is_empty());
    let notes = done["plan"]["notes"].to_string();
    assert!(
        notes.contains("shared") && notes.contains("stay valid"),
        "roles trusting the whole account are named: {notes}"
    );
    let action = done["plan"]["action_id"].as_str().expect("id").to_string();
    run_json(&bed, &responder, &["undo", &action, "--execute"]);
    assert!(role_policies(&bed, "ops").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_padded_past_the_inline_quota_gets_awsdenyall_and_undo_detaches_it() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    seed.user("padded", 1).await;
    // Real IAM would refuse a deny-all next to this (2,048 characters per user); moto would not.
    let filler: Vec<String> = (0..75)
        .map(|n| format!("s3:GetObjectVersion{n:04}"))
        .collect();
    let padding = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": filler, "Resource": "*"}]})
    .to_string();
    assert!(padding.len() > 1_900, "{}", padding.len());
    seed.iam()
        .put_user_policy()
        .user_name("padded")
        .policy_name("padding")
        .policy_document(&padding)
        .send()
        .await
        .expect("padding");
    let done = run_json(
        &bed,
        &responder,
        &["act", "disable-user", "padded", "--execute"],
    );
    assert_eq!(
        attached_user_policies(&bed, "padded").await,
        BTreeSet::from(["arn:aws:iam::aws:policy/AWSDenyAll".to_string()]),
        "{done:#}"
    );
    assert_eq!(
        user_policies(&bed, "padded").await,
        BTreeSet::from(["padding".to_string()]),
        "no inline deny that real IAM would refuse"
    );
    let action = done["plan"]["action_id"].as_str().expect("id").to_string();
    run_json(&bed, &responder, &["undo", &action, "--execute"]);
    assert!(attached_user_policies(&bed, "padded").await.is_empty());
}
