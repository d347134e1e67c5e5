//! The cockpit acting on the account, end to end: the real binary (not read-only) in a 120×40
//! tmux pane, run as an IAM responder user, against a peacetime estate whose baseline was
//! captured before a breach was planted (the story of the full-breach game day, trimmed). Every change
//! is read back through the SDK after the keys; the screen is only ever what the keys wait on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_iam::types::StatusType;
use serde_json::Value;

use crate::playbooks::{
    PARTNER, STRANGER, all_keys, image_public, key_statuses, reserved, role_policies,
    snapshot_permissions, user_policies,
};
use crate::support::TestBed;
use crate::support::tmux::Tmux;

/// The regions firebreak scans (and the baseline was captured over).
const REGIONS: &str = "us-east-1,eu-west-1,us-west-2,ap-south-1,sa-east-1,eu-north-1";
/// Where the attacker runs the same function: regions the estate never used.
const ROGUE_REGIONS: [&str; 3] = ["ap-south-1", "eu-north-1", "sa-east-1"];
const ROGUE: &str = "img-resize-worker";
const BACKDOOR: &str = "support-backdoor";
/// A production function the baseline knows, made public by the attacker.
const KNOWN_REGION: &str = "us-east-1";
const KNOWN: &str = "billing-export";
const DENY_ALL: &str = "firebreak-deny-all";
const REVOKE: &str = "firebreak-revoke-older-sessions";
const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

const SCAN: Duration = Duration::from_secs(90);
const ACTION: Duration = Duration::from_secs(90);

/// What `plant` made: the ids the tests act on and check.
struct Estate {
    baseline: PathBuf,
    /// The responder firebreak runs as: (key id, secret).
    responder: (String, String),
    /// us-east-1, encrypted: shared with the trusted partner in peacetime, public since.
    partner_snapshot: String,
    /// eu-west-1, unencrypted: private in peacetime, shared with a stranger since.
    exports_snapshot: String,
    /// us-west-2: private in peacetime, public since.
    image: String,
    backdoor_key: String,
    alice_known_key: String,
    alice_planted_key: String,
}

/// Peacetime, its baseline, then the breach, then the responder's user.
///
/// The responder's user is created for the response, after the baseline: it is itself an
/// unknown principal, so marking every unknown principal puts the cockpit's own caller in `D`'s
/// way and the self-lockout guard has to spare it.
async fn plant(bed: &TestBed) -> Estate {
    let seed = bed.seeder();
    let iam = seed.iam();

    // Peacetime.
    iam.create_account_alias()
        .account_alias("acme-prod")
        .send()
        .await
        .expect("alias");
    let alice_known_key = seed.user("alice", 1).await.remove(0);
    seed.user("ci-deploy", 1).await;
    let role = seed.lambda_role("lambda-exec").await;
    seed.role(
        "partner-readonly",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PARTNER}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        ),
    )
    .await;
    seed.function(KNOWN_REGION, KNOWN, &role).await;
    seed.function("eu-west-1", "thumbnails", &role).await;
    let partner_snapshot = seed.snapshot("us-east-1", true).await;
    seed.share_snapshot("us-east-1", &partner_snapshot, false, &[PARTNER])
        .await;
    let exports_snapshot = seed.snapshot("eu-west-1", false).await;
    let image = seed.image("us-west-2", "golden-base-2026-11").await;

    let baseline = bed.dir.path().join("baseline.toml");
    let capture = bed
        .firebreak(&bed.endpoint())
        .args([
            "--baseline",
            baseline.to_str().expect("utf-8"),
            "--regions",
            REGIONS,
            "baseline",
            "capture",
        ])
        .output()
        .expect("run firebreak");
    assert!(capture.status.success(), "baseline capture: {capture:?}");

    // The breach.
    let backdoor_key = seed.user(BACKDOOR, 1).await.remove(0);
    iam.create_login_profile()
        .user_name(BACKDOOR)
        .password("Demo-Passw0rd-not-secret!")
        .send()
        .await
        .expect("login profile");
    iam.attach_user_policy()
        .user_name(BACKDOOR)
        .policy_arn(ADMINISTRATOR_ACCESS)
        .send()
        .await
        .expect("attach admin");
    let alice_planted_key = iam
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .expect("second key for alice")
        .access_key()
        .expect("key")
        .access_key_id()
        .to_string();
    seed.role(
        "ops-maintenance",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{STRANGER}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        ),
    )
    .await;
    for region in ROGUE_REGIONS {
        seed.function(region, ROGUE, &role).await;
        make_public(bed, region, ROGUE, "public").await;
    }
    make_public(bed, KNOWN_REGION, KNOWN, "public-invoke").await;
    seed.share_snapshot("us-east-1", &partner_snapshot, true, &[])
        .await;
    seed.share_snapshot("eu-west-1", &exports_snapshot, false, &[STRANGER])
        .await;
    seed.share_image("us-west-2", &image, true, &[]).await;

    let responder = seed.user_with_secret("responder").await;
    Estate {
        baseline,
        responder,
        partner_snapshot,
        exports_snapshot,
        image,
        backdoor_key,
        alice_known_key,
        alice_planted_key,
    }
}

async fn make_public(bed: &TestBed, region: &str, function: &str, sid: &str) {
    bed.seeder()
        .lambda(region)
        .add_permission()
        .function_name(function)
        .statement_id(sid)
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("add permission");
}

/// The cockpit as the responder, writable, in a 120×40 pane, once the first scan is judged.
fn open_cockpit(bed: &TestBed, estate: &Estate) -> Tmux {
    let tmux = bed.cockpit_as(
        &estate.responder,
        &[
            "--baseline",
            &estate.baseline.to_string_lossy(),
            "--regions",
            REGIONS,
        ],
    );
    let screen = tmux.wait_until("the first scan, judged", SCAN, |screen| {
        screen.contains("scan ✓") && screen.contains("Recent resources 3")
    });
    assert!(screen.contains("as user/responder"), "{screen}");
    assert!(!screen.contains("READ-ONLY"), "{screen}");
    tmux
}

/// Filters the lists to `text` (focus moves to the first match) and waits until the details
/// pane shows every one of `shown` (its title, the finding's kind, its id).
fn select(tmux: &Tmux, text: &str, shown: &[&str]) {
    tmux.send_keys(&["/"]);
    tmux.send_keys(&["-l", text]);
    tmux.send_keys(&["Enter"]);
    tmux.wait_until(
        &format!("the details of {shown:?}"),
        Duration::from_secs(10),
        |screen| shown.iter().all(|needle| screen.contains(needle)),
    );
}

/// The action id in `token` (`20261123T012923Z-4242-3`), with its number in the session.
fn action_number(token: &str) -> Option<u32> {
    let (session, number) = token.rsplit_once('-')?;
    let (stamp, pid) = session.split_once('-')?;
    let well_formed = stamp.len() == 16
        && stamp.ends_with('Z')
        && stamp.chars().nth(8) == Some('T')
        && !pid.is_empty()
        && pid.chars().all(|c| c.is_ascii_digit());
    if well_formed {
        number.parse().ok()
    } else {
        None
    }
}

/// The newest plan on the screen (the log's `plan <id> …` line, or the dialog's title).
fn newest_plan(screen: &str) -> String {
    screen
        .match_indices("plan ")
        .filter_map(|(at, word)| {
            let token: String = screen[at + word.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            action_number(&token).map(|n| (n, token))
        })
        .max()
        .map(|(_, token)| token)
        .unwrap_or_else(|| panic!("no plan id on the screen:\n{screen}"))
}

/// Waits for a plan's confirmation dialog; returns the screen and the plan's action id.
fn confirmation(tmux: &Tmux) -> (String, String) {
    let screen = tmux.wait_for("[ Execute ", ACTION);
    let id = newest_plan(&screen);
    (screen, id)
}

/// Waits until action `id` has finished and the rescan after it is done; returns the screen at
/// its finish line.
fn finished(tmux: &Tmux, id: &str) -> String {
    let screen = tmux.wait_for(&format!("{id} finished"), ACTION);
    tmux.wait_gone("rescanning", SCAN);
    screen
}

async fn function_exists(bed: &TestBed, region: &str, name: &str) -> bool {
    bed.seeder()
        .lambda(region)
        .get_function()
        .function_name(name)
        .send()
        .await
        .is_ok()
}

/// The principals of a function's resource-policy statements, by Sid (empty without a policy).
async fn policy_principals(bed: &TestBed, region: &str, name: &str) -> BTreeMap<String, String> {
    let out = match bed
        .seeder()
        .lambda(region)
        .get_policy()
        .function_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return BTreeMap::new();
        }
        Err(error) => panic!("GetPolicy {region}/{name}: {error:?}"),
    };
    let document: Value = serde_json::from_str(out.policy().expect("policy")).expect("json");
    let statements = match &document["Statement"] {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    statements
        .iter()
        .map(|s| {
            let principal = match &s["Principal"] {
                Value::String(p) => p.clone(),
                other => other["AWS"]
                    .as_str()
                    .or_else(|| other["Service"].as_str())
                    .unwrap_or_default()
                    .to_string(),
            };
            (s["Sid"].as_str().expect("sid").to_string(), principal)
        })
        .collect()
}

/// Every user's and role's inline policy names.
async fn inline_policies(bed: &TestBed) -> BTreeMap<String, BTreeSet<String>> {
    let iam = bed.seeder().iam();
    let mut out = BTreeMap::new();
    let users = iam.list_users().send().await.expect("list users");
    for user in users.users() {
        let name = user.user_name();
        out.insert(format!("user/{name}"), user_policies(bed, name).await);
    }
    let roles = iam.list_roles().send().await.expect("list roles");
    for role in roles.roles() {
        let name = role.role_name();
        out.insert(format!("role/{name}"), role_policies(bed, name).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d_on_the_backdoor_closes_on_enter_executes_on_y_and_u_reactivates_its_keys() {
    let bed = TestBed::start();
    let estate = plant(&bed).await;
    let tmux = open_cockpit(&bed, &estate);
    // The user's details are taller than the pane: its title and first line say what it is.
    select(
        &tmux,
        BACKDOOR,
        &[
            &format!("┌ user {BACKDOOR} ─"),
            "CRIT admin_principal · global",
        ],
    );

    // D, then Enter on the initial focus: Cancel.
    tmux.send_keys(&["D"]);
    let (screen, first) = confirmation(&tmux);
    assert!(
        screen.contains(&format!("Disable user {BACKDOOR}")),
        "{screen}"
    );
    assert!(
        screen.contains("DeleteLoginProfile") && screen.contains("IRREVERSIBLE"),
        "{screen}"
    );
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_gone("[ Execute ", Duration::from_secs(10));
    // Anything executed would be journaled and logged at once; give it a moment regardless.
    std::thread::sleep(Duration::from_secs(1));
    let screen_later = tmux.screen();
    for screen in [&screen, &screen_later] {
        assert!(!screen.contains("confirmed"), "{screen}");
        assert!(!screen.contains(&format!("{first} finished")), "{screen}");
    }
    let active = key_statuses(&bed, BACKDOOR).await;
    assert_eq!(
        active,
        [(estate.backdoor_key.clone(), StatusType::Active)],
        "Cancel changed nothing"
    );
    assert!(user_policies(&bed, BACKDOOR).await.is_empty());

    // D again, y: executed, each step's outcome in the log.
    tmux.send_keys(&["D"]);
    let (screen, disable) = confirmation(&tmux);
    assert_ne!(disable, first, "a new plan: {screen}");
    tmux.send_keys(&["y"]);
    let log = finished(&tmux, &disable);
    for step in [
        format!("✓ UpdateAccessKey user/{BACKDOOR}"),
        format!("✓ DeleteLoginProfile user/{BACKDOOR}"),
        format!("✓ PutUserPolicy user/{BACKDOOR}"),
        format!("confirmed {disable}"),
        format!("{disable} finished: 4 ok"),
    ] {
        assert!(log.contains(&step), "{step:?} is not in the log:\n{log}");
    }
    assert_eq!(
        key_statuses(&bed, BACKDOOR).await,
        [(estate.backdoor_key.clone(), StatusType::Inactive)]
    );
    assert_eq!(
        user_policies(&bed, BACKDOOR).await,
        BTreeSet::from([DENY_ALL.to_string(), REVOKE.to_string()])
    );
    assert!(
        bed.seeder()
            .iam()
            .get_login_profile()
            .user_name(BACKDOOR)
            .send()
            .await
            .is_err(),
        "the console password is gone"
    );
    // Only the backdoor: the responder, alice and the rogue role are as they were.
    assert!(all_keys(
        &key_statuses(&bed, "responder").await,
        StatusType::Active
    ));
    assert!(all_keys(
        &key_statuses(&bed, "alice").await,
        StatusType::Active
    ));
    assert!(role_policies(&bed, "ops-maintenance").await.is_empty());
    // The rescan still lists the user (it exists), shown contained.
    let screen = tmux.screen();
    assert!(
        screen
            .lines()
            .any(|l| l.contains(&format!("user {BACKDOOR} admin")) && l.contains('✓')),
        "{screen}"
    );

    // u: the undo of that action, confirmed with y, restores the keys and drops the policies.
    tmux.send_keys(&["u"]);
    let (screen, undo) = confirmation(&tmux);
    assert!(screen.contains(&format!("Undo {disable}")), "{screen}");
    tmux.send_keys(&["y"]);
    let log = finished(&tmux, &undo);
    assert!(log.contains(&format!("{undo} finished")), "{log}");
    assert_eq!(
        key_statuses(&bed, BACKDOOR).await,
        [(estate.backdoor_key.clone(), StatusType::Active)]
    );
    assert!(user_policies(&bed, BACKDOOR).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_makes_the_snapshot_private_for_the_partner_and_closes_a_known_public_function() {
    let bed = TestBed::start();
    let estate = plant(&bed).await;
    let snapshot = estate.partner_snapshot.clone();
    assert_eq!(
        snapshot_permissions(&bed, "us-east-1", &snapshot).await,
        (true, BTreeSet::from([PARTNER.to_string()]))
    );
    let tmux = open_cockpit(&bed, &estate);

    // The public snapshot the partner also restores from.
    select(
        &tmux,
        &snapshot,
        &[&format!("id public_snapshot:us-east-1:{snapshot}")],
    );
    tmux.send_keys(&["S"]);
    let (screen, unshare) = confirmation(&tmux);
    assert!(screen.contains("ModifySnapshotAttribute"), "{screen}");
    tmux.send_keys(&["y"]);
    let log = finished(&tmux, &unshare);
    assert!(log.contains("✓ ModifySnapshotAttribute"), "{log}");
    assert_eq!(
        snapshot_permissions(&bed, "us-east-1", &snapshot).await,
        (false, BTreeSet::from([PARTNER.to_string()])),
        "private again, the partner kept"
    );
    // Only the selection: the other shares are as they were.
    assert_eq!(
        snapshot_permissions(&bed, "eu-west-1", &estate.exports_snapshot).await,
        (false, BTreeSet::from([STRANGER.to_string()]))
    );
    assert!(image_public(&bed, "us-west-2", &estate.image).await);
    tmux.wait_for("Public & shared 0", SCAN);

    // The known function made public: its public statement goes, it keeps serving.
    tmux.send_keys(&["Escape"]);
    select(
        &tmux,
        KNOWN,
        &[&format!("id public_function:{KNOWN_REGION}:{KNOWN}")],
    );
    tmux.send_keys(&["S"]);
    let (screen, unshare) = confirmation(&tmux);
    assert!(screen.contains("RemovePermission"), "{screen}");
    assert!(!screen.contains("PutFunctionConcurrency"), "{screen}");
    tmux.send_keys(&["y"]);
    let log = finished(&tmux, &unshare);
    assert!(log.contains("✓ RemovePermission"), "{log}");
    assert_eq!(
        policy_principals(&bed, KNOWN_REGION, KNOWN).await,
        BTreeMap::new(),
        "the public statement was its only one"
    );
    assert_eq!(reserved(&bed, KNOWN_REGION, KNOWN).await, None);
    assert!(function_exists(&bed, KNOWN_REGION, KNOWN).await);
    for region in ROGUE_REGIONS {
        assert_eq!(
            policy_principals(&bed, region, ROGUE).await,
            BTreeMap::from([("public".to_string(), "*".to_string())]),
            "{region}: not selected, not touched"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_throttles_the_marked_rogue_functions_esc_keeps_them_and_u_unthrottles() {
    let bed = TestBed::start();
    let estate = plant(&bed).await;
    let tmux = open_cockpit(&bed, &estate);

    // Every rogue function, marked with `*` in the Recent resources list.
    select(
        &tmux,
        ROGUE,
        &[&format!("id recent_resource:{}:{ROGUE}", ROGUE_REGIONS[0])],
    );
    tmux.send_keys(&["*"]);
    tmux.wait_until("three marks", Duration::from_secs(10), |screen| {
        screen.matches("+HIGH fn img-res").count() == 3
    });
    tmux.send_keys(&["X"]);
    let (screen, contain) = confirmation(&tmux);
    assert!(screen.contains("Contain 3 function(s)"), "{screen}");
    // Led by the tally, then one row per throttle.
    assert!(
        screen.contains("3 × PutFunctionConcurrency · 3 × GetFunction (reads only)"),
        "{screen}"
    );
    assert_eq!(
        screen.matches("undo: DeleteFunctionConcurrency").count(),
        3,
        "{screen}"
    );
    tmux.send_keys(&["y"]);
    let log = finished(&tmux, &contain);
    assert!(log.contains(&format!("{contain} finished: 6 ok")), "{log}");
    for region in ROGUE_REGIONS {
        assert_eq!(reserved(&bed, region, ROGUE).await, Some(0), "{region}");
    }
    assert_eq!(reserved(&bed, KNOWN_REGION, KNOWN).await, None);

    // Then the cockpit offers deleting them, which needs `delete` typed: Esc declines.
    let screen = tmux.wait_for("type delete to confirm", ACTION);
    assert!(
        screen.contains("Delete 3 function(s) whose evidence is saved"),
        "{screen}"
    );
    let delete = newest_plan(&screen);
    assert_ne!(delete, contain);
    tmux.send_keys(&["Escape"]);
    tmux.wait_gone("type delete to confirm", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(1));
    let screen = tmux.wait_gone("rescanning", SCAN);
    assert!(!screen.contains(&format!("confirmed {delete}")), "{screen}");
    for region in ROGUE_REGIONS {
        assert!(function_exists(&bed, region, ROGUE).await, "{region}");
        assert_eq!(reserved(&bed, region, ROGUE).await, Some(0), "{region}");
    }

    // u undoes the containment (the declined delete ran nothing): unreserved again.
    tmux.send_keys(&["u"]);
    let (screen, undo) = confirmation(&tmux);
    assert!(screen.contains(&format!("Undo {contain}")), "{screen}");
    tmux.send_keys(&["y"]);
    finished(&tmux, &undo);
    for region in ROGUE_REGIONS {
        assert_eq!(reserved(&bed, region, ROGUE).await, None, "{region}");
        assert!(function_exists(&bed, region, ROGUE).await, "{region}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_changes_nothing_until_the_account_id_is_typed() {
    let bed = TestBed::start();
    let estate = plant(&bed).await;
    let before = inline_policies(&bed).await;
    assert!(before.contains_key(&format!("user/{BACKDOOR}")));
    assert!(before.values().all(BTreeSet::is_empty), "{before:?}");
    let tmux = open_cockpit(&bed, &estate);

    tmux.send_keys(&["F"]);
    let screen = tmux.wait_for("to confirm", ACTION);
    assert!(
        screen.contains("type 123456789012 or acme-prod to confirm"),
        "{screen}"
    );
    assert!(screen.contains("never touched: user/responder"), "{screen}");
    // `y` is a character in a typed confirmation; Enter on Execute without the account id
    // only says what to type.
    tmux.send_keys(&["y"]);
    tmux.wait_for("to confirm: y", Duration::from_secs(10));
    tmux.send_keys(&["Tab"]);
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("type 123456789012 to confirm", Duration::from_secs(10));
    // Longer than the countdown a confirmed freeze would start.
    let deadline = std::time::Instant::now() + Duration::from_secs(7);
    while std::time::Instant::now() < deadline {
        let screen = tmux.screen();
        assert!(!screen.contains("executing in"), "{screen}");
        assert!(!screen.contains("confirmed"), "{screen}");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(inline_policies(&bed).await, before);

    tmux.send_keys(&["Escape"]);
    let screen = tmux.wait_gone("to confirm", Duration::from_secs(10));
    assert!(!screen.contains("confirmed"), "{screen}");
    assert!(
        screen.contains(" D disable  X contain"),
        "the footer shows the keys again:\n{screen}"
    );
    std::thread::sleep(Duration::from_secs(1));
    let after = inline_policies(&bed).await;
    assert_eq!(after, before);
    assert!(
        after.values().all(|p| !p.contains("firebreak-freeze")),
        "{after:?}"
    );
}

/// `tmux send-keys`, one key at a time, counted.
struct Keys<'a> {
    tmux: &'a Tmux,
    sent: Vec<&'static str>,
}

impl Keys<'_> {
    fn press(&mut self, key: &'static str) {
        self.tmux.send_keys(&[key]);
        self.sent.push(key);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_breach_is_contained_from_start_in_at_most_15_keys() {
    let bed = TestBed::start();
    let estate = plant(&bed).await;
    let tmux = open_cockpit(&bed, &estate);
    // The cockpit opens on the most severe finding: the unencrypted snapshot shared with a
    // stranger, in Public & shared.
    tmux.wait_for(
        &format!("id shared_snapshot:eu-west-1:{}", estate.exports_snapshot),
        Duration::from_secs(10),
    );
    let mut keys = Keys {
        tmux: &tmux,
        sent: Vec::new(),
    };

    // Public & shared: everything, S, y.
    keys.press("*");
    keys.press("S");
    let (_, unshare) = confirmation(&tmux);
    keys.press("y");
    finished(&tmux, &unshare);

    // Recent resources: the rogue functions, X, y; then decline the delete offer.
    keys.press("Left");
    keys.press("*");
    keys.press("X");
    let (_, contain) = confirmation(&tmux);
    keys.press("y");
    finished(&tmux, &contain);
    tmux.wait_for("type delete to confirm", ACTION);
    keys.press("Escape");
    tmux.wait_gone("type delete to confirm", Duration::from_secs(10));

    // Unknown principals: everyone, D, y. The responder is among them and must be spared.
    keys.press("Left");
    keys.press("*");
    keys.press("D");
    let (screen, disable) = confirmation(&tmux);
    assert!(screen.contains("never touched: user/responder"), "{screen}");
    keys.press("y");
    let log = finished(&tmux, &disable);
    assert!(log.contains(&format!("{disable} finished")), "{log}");
    assert!(!log.contains('✗'), "no step failed:\n{log}");

    assert!(
        keys.sent.len() <= 15,
        "{} keys: {:?}",
        keys.sent.len(),
        keys.sent
    );
    assert_eq!(
        keys.sent,
        [
            "*", "S", "y", "Left", "*", "X", "y", "Escape", "Left", "*", "D", "y"
        ]
    );

    // The backdoor user: keys inactive, denied; alice's planted key inactive, her own not.
    assert_eq!(
        key_statuses(&bed, BACKDOOR).await,
        [(estate.backdoor_key.clone(), StatusType::Inactive)]
    );
    assert!(user_policies(&bed, BACKDOOR).await.contains(DENY_ALL));
    let mut alice = vec![
        (estate.alice_known_key.clone(), StatusType::Active),
        (estate.alice_planted_key.clone(), StatusType::Inactive),
    ];
    alice.sort();
    assert_eq!(key_statuses(&bed, "alice").await, alice);
    assert!(
        role_policies(&bed, "ops-maintenance")
            .await
            .contains(DENY_ALL)
    );
    // The self-lockout guard: the responder's own user and key are untouched.
    assert_eq!(
        key_statuses(&bed, "responder").await,
        [(estate.responder.0.clone(), StatusType::Active)]
    );
    assert!(user_policies(&bed, "responder").await.is_empty());

    // The rogue functions: throttled, still there for the investigation, no longer public.
    for region in ROGUE_REGIONS {
        assert_eq!(reserved(&bed, region, ROGUE).await, Some(0), "{region}");
        assert!(function_exists(&bed, region, ROGUE).await, "{region}");
        assert!(
            policy_principals(&bed, region, ROGUE)
                .await
                .values()
                .all(|p| p != "*"),
            "{region}"
        );
    }
    // Sharing reverted: the snapshot private with its partner kept, the stranger's share gone,
    // the AMI private, the known function closed and still serving.
    assert_eq!(
        snapshot_permissions(&bed, "us-east-1", &estate.partner_snapshot).await,
        (false, BTreeSet::from([PARTNER.to_string()]))
    );
    assert_eq!(
        snapshot_permissions(&bed, "eu-west-1", &estate.exports_snapshot).await,
        (false, BTreeSet::new())
    );
    assert!(!image_public(&bed, "us-west-2", &estate.image).await);
    assert!(
        policy_principals(&bed, KNOWN_REGION, KNOWN)
            .await
            .values()
            .all(|p| p != "*")
    );
    assert_eq!(reserved(&bed, KNOWN_REGION, KNOWN).await, None);
}

/// A session that died after sending the first step of `disable-user` (its intent is in the
/// journal, its outcome is not), written through the real journal: what `kill -9` leaves.
fn crashed_session(bed: &TestBed, estate: &Estate) -> String {
    use firebreak_core::journal::{Entry, Journal};
    use firebreak_core::model::operation::UserState;
    use firebreak_core::model::{Identity, KeyStatus};
    use firebreak_core::playbook::{disable_user, guard::Guard};

    let identity = Identity {
        id: crate::support::ACCOUNT.into(),
        alias: Some("acme-prod".into()),
        caller_arn: format!("arn:aws:iam::{}:user/responder", crate::support::ACCOUNT),
    };
    let journal = Journal::start(
        &bed.dir.path().join("data"),
        &identity,
        vec!["crashed".into()],
    )
    .expect("journal");
    let state = UserState {
        name: BACKDOOR.into(),
        keys: vec![(estate.backdoor_key.clone(), KeyStatus::Active)],
        login_profile: true,
        revoke_sessions_document: None,
        inline_chars: 0,
    };
    let plan = disable_user::plan(
        journal.next_action_id(),
        identity.clone(),
        chrono::Utc::now(),
        &[state],
        &Guard::new(&identity.caller_arn, &[]),
    );
    journal
        .record(Entry::PlanShown {
            plan: Box::new(plan.clone()),
        })
        .expect("plan");
    journal
        .record(Entry::Confirmed {
            action_id: plan.action_id.clone(),
            local_user: None,
            caller_arn: identity.caller_arn.clone(),
            typed: None,
        })
        .expect("confirmed");
    let step = &plan.steps[0];
    journal
        .record(Entry::StepIntent {
            action_id: plan.action_id.clone(),
            index: step.index,
            service: step.service.clone(),
            region: step.region.clone(),
            api: step.api.clone(),
            target: step.target.clone(),
            operation: step.operation.clone(),
        })
        .expect("intent");
    // The process dies here: no outcome, no `action_finished`, the file lock released.
    drop(journal);
    plan.action_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_a_crashed_session_left_is_offered_at_start_and_finished_on_confirm() {
    let bed = TestBed::start();
    let estate = plant(&bed).await;
    let left = crashed_session(&bed, &estate);
    assert_eq!(
        key_statuses(&bed, BACKDOOR).await,
        [(estate.backdoor_key.clone(), StatusType::Active)]
    );
    let tmux = open_cockpit(&bed, &estate);
    let screen = tmux.wait_for("Unfinished actions", Duration::from_secs(10));
    assert!(screen.contains(&left), "{screen}");
    assert!(screen.contains("disable-user support-backdoor"), "{screen}");
    // Finish: the plan is shown whole, Cancel focused; y executes it.
    tmux.send_keys(&["Tab", "Enter"]);
    let screen = tmux.wait_for("[ Execute ", ACTION);
    assert!(screen.contains("DeleteLoginProfile"), "{screen}");
    tmux.send_keys(&["y"]);
    tmux.wait_for(&format!("{left} finished"), ACTION);
    assert_eq!(
        key_statuses(&bed, BACKDOOR).await,
        [(estate.backdoor_key.clone(), StatusType::Inactive)]
    );
    assert!(user_policies(&bed, BACKDOOR).await.contains(DENY_ALL));
    // Finished now: a new start offers nothing.
    tmux.send_keys(&["q"]);
    tmux.wait_for("EXITED 0", Duration::from_secs(10));
    let again = open_cockpit(&bed, &estate);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        !again.screen().contains("Unfinished actions"),
        "{}",
        again.screen()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_finishes_from_the_command_line_what_a_killed_session_left() {
    let bed = TestBed::start();
    let estate = plant(&bed).await;
    let left = crashed_session(&bed, &estate);
    let run = |args: &[&str]| {
        bed.firebreak_as(&bed.endpoint(), &estate.responder.0, &estate.responder.1)
            .args(["--baseline", &estate.baseline.to_string_lossy()])
            .args(args)
            .output()
            .expect("run firebreak")
    };
    let shown = run(&["resume", &left]);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(String::from_utf8_lossy(&shown.stdout).contains("dry run"));
    assert_eq!(
        key_statuses(&bed, BACKDOOR).await,
        [(estate.backdoor_key.clone(), StatusType::Active)],
        "a dry run changes nothing"
    );
    let done = run(&["resume", &left, "--execute"]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(
        key_statuses(&bed, BACKDOOR).await,
        [(estate.backdoor_key.clone(), StatusType::Inactive)]
    );
    assert!(user_policies(&bed, BACKDOOR).await.contains(DENY_ALL));
    let again = run(&["resume", &left, "--execute"]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "finished: nothing left to resume"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("no unfinished action"));
}
