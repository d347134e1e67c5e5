//! The all-region scan, seen through `firebreak scan --format json`.

use std::collections::BTreeSet;

use firebreak::cli::report::{SCHEMA_VERSION, ScanReport};
use firebreak_core::model::{GLOBAL, KeyStatus};
use firebreak_core::scan::{ItemKind, RegionStatus};

use crate::support::fault_proxy::{DENIED_REQUEST_ID, FaultProxy};
use crate::support::{ACCOUNT, TestBed};

const PARTNER: &str = "210987654321";

fn region<'a>(report: &'a ScanReport, name: &str) -> &'a firebreak::cli::report::RegionReport {
    report
        .regions
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("region {name} missing from the report"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_in_three_regions_appear_only_there() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let role = seed.lambda_role("fn-role").await;
    let placed = [
        ("us-east-1", "billing-export"),
        ("eu-west-1", "miner-eu"),
        ("ap-southeast-2", "miner-ap"),
    ];
    for (region, name) in placed {
        seed.function(region, name, &role).await;
    }

    let (report, output) = bed.scan_json(&bed.endpoint(), &["--regions", "all"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        report.regions.len(),
        34,
        "every emulator region of the caller's partition is listed (moto lists 38: two cn- and two us-gov- regions are another partition's)"
    );
    assert!(
        report
            .regions
            .iter()
            .all(|r| !r.name.starts_with("cn-") && !r.name.starts_with("us-gov-"))
    );
    let found: BTreeSet<(String, String)> = report
        .inventory
        .functions
        .iter()
        .map(|f| (f.region.clone(), f.name.clone()))
        .collect();
    let expected: BTreeSet<(String, String)> = placed
        .iter()
        .map(|(r, n)| (r.to_string(), n.to_string()))
        .collect();
    assert_eq!(found, expected);
    for r in &report.regions {
        let expected = placed.iter().filter(|(name, _)| *name == r.name).count();
        match r.status {
            RegionStatus::Done => assert_eq!(
                r.counts.get(&ItemKind::Functions),
                Some(&expected),
                "{}",
                r.name
            ),
            RegionStatus::NotEnabled => {
                assert!(r.counts.is_empty(), "{} was not scanned", r.name);
                assert_eq!(expected, 0);
            }
            other => panic!("{} ended {other:?}: {:?}", r.name, r.errors),
        }
    }
    let billing = report
        .inventory
        .functions
        .iter()
        .find(|f| f.name == "billing-export")
        .expect("billing-export");
    assert_eq!(billing.runtime.as_deref(), Some("python3.12"));
    assert_eq!(billing.role.as_deref(), Some(role.as_str()));
    assert!(billing.arn.contains(":us-east-1:"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_and_cross_account_shares_are_confirmed_per_region() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let public_snapshot = seed.snapshot("eu-central-1", false).await;
    seed.share_snapshot("eu-central-1", &public_snapshot, true, &[])
        .await;
    let partner_snapshot = seed.snapshot("us-west-2", true).await;
    seed.share_snapshot("us-west-2", &partner_snapshot, false, &[PARTNER])
        .await;
    let private_snapshot = seed.snapshot("us-west-2", true).await;
    let public_image = seed.image("sa-east-1", "golden-2026").await;
    seed.share_image("sa-east-1", &public_image, true, &[])
        .await;
    let partner_image = seed.image("eu-west-2", "partner-build").await;
    seed.share_image("eu-west-2", &partner_image, false, &[PARTNER])
        .await;
    // A function anyone may invoke, and one with a URL that needs no auth.
    let role = seed.lambda_role("fn-role").await;
    seed.function("ap-northeast-1", "open-invoke", &role).await;
    seed.lambda("ap-northeast-1")
        .add_permission()
        .function_name("open-invoke")
        .statement_id("anyone")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("add permission");
    seed.function("ap-northeast-1", "open-url", &role).await;
    seed.lambda("ap-northeast-1")
        .create_function_url_config()
        .function_name("open-url")
        .auth_type(aws_sdk_lambda::types::FunctionUrlAuthType::None)
        .send()
        .await
        .expect("function url");
    seed.lambda("ap-northeast-1")
        .put_function_concurrency()
        .function_name("open-url")
        .reserved_concurrent_executions(5)
        .send()
        .await
        .expect("concurrency");

    let (report, output) = bed.scan_json(&bed.endpoint(), &[]);
    assert!(output.status.success(), "{output:?}");

    let snapshot = |id: &str| {
        report
            .inventory
            .snapshots
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("snapshot {id} missing"))
    };
    let public = snapshot(&public_snapshot);
    assert_eq!(public.region, "eu-central-1");
    assert!(public.sharing.public);
    assert!(public.sharing.accounts.is_empty());
    assert!(!public.encrypted);
    let partner = snapshot(&partner_snapshot);
    assert_eq!(partner.region, "us-west-2");
    assert!(!partner.sharing.public);
    assert_eq!(
        partner.sharing.accounts,
        BTreeSet::from([PARTNER.to_string()])
    );
    assert!(partner.encrypted);
    assert!(!snapshot(&private_snapshot).sharing.is_shared());
    // Registering an AMI makes moto create its backing snapshot: those are owned and unshared.
    let seeded = [&public_snapshot, &partner_snapshot, &private_snapshot];
    for other in report
        .inventory
        .snapshots
        .iter()
        .filter(|s| !seeded.contains(&&s.id))
    {
        assert!(!other.sharing.is_shared(), "{other:?}");
    }

    let image = |id: &str| {
        report
            .inventory
            .images
            .iter()
            .find(|i| i.id == id)
            .unwrap_or_else(|| panic!("image {id} missing"))
    };
    assert_eq!(image(&public_image).region, "sa-east-1");
    assert!(image(&public_image).sharing.public);
    assert_eq!(image(&partner_image).region, "eu-west-2");
    assert!(!image(&partner_image).sharing.public);
    assert_eq!(
        image(&partner_image).sharing.accounts,
        BTreeSet::from([PARTNER.to_string()])
    );

    let function = |name: &str| {
        report
            .inventory
            .functions
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("function {name} missing"))
    };
    let open_invoke = function("open-invoke");
    assert!(
        open_invoke
            .policy_principals
            .as_ref()
            .is_some_and(|p| p.public)
    );
    assert_eq!(open_invoke.url_auth, None);
    let open_url = function("open-url");
    assert_eq!(
        open_url.url_auth,
        Some(firebreak_core::model::UrlAuth::None)
    );
    assert_eq!(open_url.reserved_concurrency, Some(5));
    assert_eq!(open_url.policy_principals, None);

    assert_eq!(
        region(&report, "eu-central-1")
            .counts
            .get(&ItemKind::Shared),
        Some(&1)
    );
    assert_eq!(
        region(&report, "us-west-2").counts.get(&ItemKind::Shared),
        Some(&1)
    );
    assert_eq!(
        region(&report, "ap-northeast-1")
            .counts
            .get(&ItemKind::Shared),
        Some(&2)
    );
    assert_eq!(
        region(&report, "us-east-1").counts.get(&ItemKind::Shared),
        Some(&0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_users_keys_login_profiles_and_external_trust() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let iam = seed.iam();
    let alice_keys = seed.user("alice", 2).await;
    seed.user("backdoor", 1).await;
    iam.create_login_profile()
        .user_name("backdoor")
        .password("Sup3r-Secret-Passw0rd!")
        .send()
        .await
        .expect("login profile");
    iam.update_access_key()
        .user_name("alice")
        .access_key_id(&alice_keys[1])
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .expect("deactivate key");
    iam.create_virtual_mfa_device()
        .virtual_mfa_device_name("alice-mfa")
        .send()
        .await
        .expect("mfa device");
    iam.enable_mfa_device()
        .user_name("alice")
        .serial_number(format!("arn:aws:iam::{ACCOUNT}:mfa/alice-mfa"))
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .expect("enable mfa");
    iam.attach_user_policy()
        .user_name("backdoor")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .expect("attach admin");
    iam.put_user_policy()
        .user_name("alice")
        .policy_name("read-things")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#)
        .send()
        .await
        .expect("inline policy");
    iam.create_group()
        .group_name("ops")
        .send()
        .await
        .expect("group");
    iam.add_user_to_group()
        .group_name("ops")
        .user_name("alice")
        .send()
        .await
        .expect("add to group");
    seed.role(
        "partner-access",
        &format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{PARTNER}:root"}},"Action":"sts:AssumeRole"}}]}}"#),
    )
    .await;
    seed.role(
        "anyone",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#,
    )
    .await;
    seed.lambda_role("fn-role").await;
    iam.create_account_alias()
        .account_alias("firebreak-test")
        .send()
        .await
        .expect("alias");

    let (report, output) = bed.scan_json(&bed.endpoint(), &["--regions", "us-east-1"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(report.account.id, ACCOUNT);
    assert_eq!(report.account.alias.as_deref(), Some("firebreak-test"));
    assert!(report.account.caller_arn.starts_with("arn:aws:"));
    assert_eq!(report.global.status, RegionStatus::Done);

    let user = |name: &str| {
        report
            .inventory
            .users
            .iter()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("user {name} missing"))
    };
    let alice = user("alice");
    assert_eq!(alice.region, GLOBAL);
    assert!(!alice.console_access);
    assert_eq!(alice.mfa_devices.len(), 1);
    assert_eq!(alice.inline_policies, ["read-things"]);
    assert_eq!(alice.groups, ["ops"]);
    let backdoor = user("backdoor");
    assert!(backdoor.console_access);
    assert!(backdoor.mfa_devices.is_empty());
    assert_eq!(backdoor.attached_policies, ["AdministratorAccess"]);

    let keys: Vec<_> = report
        .inventory
        .access_keys
        .iter()
        .filter(|k| k.user == "alice")
        .collect();
    assert_eq!(keys.len(), 2);
    let status = |id: &str| keys.iter().find(|k| k.id == id).map(|k| k.status);
    assert_eq!(status(&alice_keys[0]), Some(KeyStatus::Active));
    assert_eq!(status(&alice_keys[1]), Some(KeyStatus::Inactive));
    assert!(keys.iter().all(|k| k.created.is_some()));
    assert_eq!(report.inventory.access_keys.len(), 3);

    let role = |name: &str| {
        report
            .inventory
            .roles
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("role {name} missing"))
    };
    assert_eq!(
        role("partner-access").trust.accounts,
        BTreeSet::from([PARTNER.to_string()])
    );
    assert!(role("anyone").trust.public);
    assert_eq!(
        role("fn-role").trust.services,
        BTreeSet::from(["lambda.amazonaws.com".to_string()])
    );

    // The report never holds the secret key firebreak ran with (security.rs searches every
    // file and output for every secret firebreak is given or could read).
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("firebreak-test-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_service_in_one_region_is_that_regions_error_and_the_rest_complete() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let role = seed.lambda_role("fn-role").await;
    seed.function("eu-west-1", "hidden", &role).await;
    seed.function("us-east-1", "visible", &role).await;
    let snapshot = seed.snapshot("eu-west-1", false).await;

    let proxy = FaultProxy::deny(bed.moto_address(), "lambda", "eu-west-1").await;
    let (report, output) = bed.scan_json(&proxy.endpoint(), &[]);

    assert_eq!(
        output.status.code(),
        Some(i32::from(firebreak::cli::EXIT_PARTIAL)),
        "a partial scan exits {}",
        firebreak::cli::EXIT_PARTIAL
    );
    let eu = region(&report, "eu-west-1");
    assert_eq!(eu.status, RegionStatus::Error);
    assert_eq!(eu.errors.len(), 1, "{:?}", eu.errors);
    let error = &eu.errors[0];
    assert_eq!(error.service, "lambda");
    assert_eq!(error.operation, "ListFunctions");
    assert_eq!(error.region, "eu-west-1");
    assert_eq!(error.code, "AccessDeniedException");
    assert_eq!(error.request_id.as_deref(), Some(DENIED_REQUEST_ID));
    assert_eq!(error.http_status, Some(403));
    // The rest of eu-west-1 still reports.
    assert_eq!(eu.counts.get(&ItemKind::Snapshots), Some(&1));
    assert_eq!(eu.counts.get(&ItemKind::Functions), None);
    assert!(report.inventory.snapshots.iter().any(|s| s.id == snapshot));
    // Every other region completes.
    for r in report.regions.iter().filter(|r| r.name != "eu-west-1") {
        assert_eq!(r.status, RegionStatus::Done, "{}: {:?}", r.name, r.errors);
    }
    let names: Vec<_> = report.inventory.functions.iter().map(|f| &f.name).collect();
    assert_eq!(names, ["visible"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.is_empty(),
        "progress goes to stderr only on a terminal: {stderr}"
    );
    // The table names the call, its request id and the IAM permission the caller lacks.
    let table = bed
        .firebreak(&proxy.endpoint())
        .arg("scan")
        .output()
        .expect("run firebreak");
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert!(
        stdout.contains("lambda ListFunctions in eu-west-1: AccessDeniedException")
            && stdout.contains("missing IAM permission lambda:ListFunctions")
            && stdout.contains(DENIED_REQUEST_ID),
        "{stdout}"
    );
}

/// The committed example of `scan --format json` (docs/usage.md links it): the schema test below
/// compares a real scan against it, so a field renamed, dropped or changed in meaning fails.
const EXAMPLE: &str = "assets/examples/scan-report.json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_report_matches_the_committed_example_document() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let carol = seed.user("carol", 1).await;
    let snapshot = seed.snapshot("us-east-2", false).await;
    seed.share_snapshot("us-east-2", &snapshot, true, &[PARTNER])
        .await;
    let baseline = bed.dir.path().join("baseline.toml");
    std::fs::write(
        &baseline,
        format!(
            "version = 1\naccount_id = \"{ACCOUNT}\"\ntrusted_accounts = [\"{PARTNER}\"]\n\n\
             [principals]\nusers = [\"carol\"]\n"
        ),
    )
    .expect("baseline");

    let (report, output) = bed.scan_json(
        &bed.endpoint(),
        &[
            "--regions",
            "us-east-2,eu-north-1",
            "--baseline",
            baseline.to_str().expect("utf-8"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let raw: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    // Parsing and serialising again loses nothing.
    assert_eq!(serde_json::to_value(&report).expect("serialise"), raw);

    // What differs between runs is replaced by stable placeholders; everything else is compared.
    let mut text = serde_json::to_string_pretty(&raw).expect("pretty");
    let inventory = &raw["inventory"];
    let volume = inventory["snapshots"][0]["volume_id"]
        .as_str()
        .expect("volume");
    let user_id = inventory["users"][0]["user_id"].as_str().expect("user id");
    for (value, placeholder) in [
        (snapshot.as_str(), "snap-0example"),
        (volume, "vol-0example"),
        (user_id, "AIDAEXAMPLECAROL0001"),
        (carol[0].as_str(), "AKIAEXAMPLECAROL0001"),
        (
            bed.dir.path().to_str().expect("utf-8"),
            "/home/oncall/.config/firebreak",
        ),
    ] {
        text = text.replace(value, placeholder);
    }
    let mut normalized: serde_json::Value = serde_json::from_str(&text).expect("json");
    blank_volatile(&mut normalized);
    let example_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    if std::env::var_os("FIREBREAK_BLESS").is_some() {
        // Re-blessing is a developer's decision, reviewed in the diff; CI only compares.
        assert!(
            std::env::var_os("CI").is_none(),
            "FIREBREAK_BLESS is never set in CI"
        );
        let pretty = serde_json::to_string_pretty(&normalized).expect("pretty");
        std::fs::write(&example_path, pretty + "\n").expect("write the example");
    }
    let example: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&example_path).expect("the committed example document"),
    )
    .expect("the example is JSON");
    assert_eq!(
        normalized, example,
        "scan --format json no longer matches {EXAMPLE}; if the change is meant, bump \
         SCHEMA_VERSION when a field changes meaning, and re-bless with FIREBREAK_BLESS=1"
    );
    assert_eq!(example["schema_version"], SCHEMA_VERSION);
}

/// Replaces times and durations (which differ on every run) with placeholders, wherever they
/// are in `value`.
fn blank_volatile(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let volatile = key == "generated_at"
                    || key == "duration_ms"
                    || key.ends_with("_date")
                    || key == "created"
                    || key == "started"
                    || key.starts_with("last_used");
                if volatile && !item.is_null() {
                    *item = serde_json::Value::String(format!("<{key}>"));
                } else {
                    blank_volatile(item);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(blank_volatile),
        _ => {}
    }
}
