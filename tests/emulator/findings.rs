//! Findings against a baseline, end to end: capture a peacetime estate, plant a breach, and read
//! what `firebreak scan` reports; accept findings into the baseline.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use firebreak::cli::report::ScanReport;
use firebreak_core::model::finding::{FindingKind, Severity};

use crate::support::seed::Seeder;
use crate::support::{ACCOUNT, TestBed};

const PARTNER: &str = "210987654321";
const STRANGER: &str = "666655554444";
const STRANGER_TOO: &str = "777766665555";

pub(crate) fn trust(account: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// What peacetime holds; ids the breach needs later.
pub(crate) struct Peacetime {
    partner_snapshot: String,
    private_snapshot: String,
    alice_key: String,
    bob_key: String,
}

pub(crate) async fn seed_peacetime(seed: &Seeder) -> Peacetime {
    let alice_key = seed.user("alice", 1).await.remove(0);
    let bob_key = seed.user("bob", 1).await.remove(0);
    let lambda_role = seed.lambda_role("lambda-exec").await;
    seed.role("partner-read", &trust(PARTNER)).await;
    seed.function("us-east-1", "billing-export", &lambda_role)
        .await;
    seed.function("eu-west-1", "thumbnails", &lambda_role).await;
    let partner_snapshot = seed.snapshot("us-east-1", true).await;
    seed.share_snapshot("us-east-1", &partner_snapshot, false, &[PARTNER])
        .await;
    let private_snapshot = seed.snapshot("eu-west-1", true).await;
    Peacetime {
        partner_snapshot,
        private_snapshot,
        alice_key,
        bob_key,
    }
}

/// What the breach planted, as (kind, region, resource id).
pub(crate) struct Breach {
    pub(crate) expected: Vec<(FindingKind, String, String)>,
}

pub(crate) async fn plant_breach(seed: &Seeder, peace: &Peacetime) -> Breach {
    let iam = seed.iam();
    let mut expected = Vec::new();
    let mut expect = |kind, region: &str, id: &str| {
        expected.push((kind, region.to_string(), id.to_string()));
    };

    // A new admin user with a key and a console password.
    let backdoor_key = seed.user("support-backdoor", 1).await.remove(0);
    iam.attach_user_policy()
        .user_name("support-backdoor")
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .expect("attach admin");
    iam.create_login_profile()
        .user_name("support-backdoor")
        .password("Breach-Passw0rd-Planted!")
        .send()
        .await
        .expect("login profile");
    expect(FindingKind::UnknownUser, "global", "support-backdoor");
    expect(FindingKind::AdminPrincipal, "global", "support-backdoor");
    expect(FindingKind::ConsoleWithoutMfa, "global", "support-backdoor");
    expect(FindingKind::UnknownAccessKey, "global", &backdoor_key);

    // A second key on a known user.
    let second = iam
        .create_access_key()
        .user_name("alice")
        .send()
        .await
        .expect("second key");
    let second_key = second
        .access_key()
        .expect("key")
        .access_key_id()
        .to_string();
    expect(FindingKind::UnknownAccessKey, "global", &second_key);

    // A new role trusting an unknown account, and the partner role's trust widened.
    seed.role("ops-support", &trust(STRANGER)).await;
    expect(FindingKind::UnknownRole, "global", "ops-support");
    expect(FindingKind::ExternalTrust, "global", "ops-support");
    iam.update_assume_role_policy()
        .role_name("partner-read")
        .policy_document(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::{PARTNER}:root","{STRANGER_TOO}"]}},"Action":"sts:AssumeRole"}}]}}"#
        ))
        .send()
        .await
        .expect("widen trust");
    expect(FindingKind::ExternalTrust, "global", "partner-read");

    // Functions in regions the account never used.
    let lambda_role = format!("arn:aws:iam::{ACCOUNT}:role/lambda-exec");
    for region in ["ap-south-1", "sa-east-1", "ca-central-1"] {
        seed.function(region, "img-resize-worker", &lambda_role)
            .await;
        expect(FindingKind::RecentResource, region, "img-resize-worker");
    }

    // Anyone may invoke a known function.
    seed.lambda("us-east-1")
        .add_permission()
        .function_name("billing-export")
        .statement_id("open")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("public invoke");
    expect(FindingKind::PublicFunction, "us-east-1", "billing-export");

    // The partner snapshot made public; another snapshot made public.
    seed.share_snapshot("us-east-1", &peace.partner_snapshot, true, &[])
        .await;
    expect(
        FindingKind::PublicSnapshot,
        "us-east-1",
        &peace.partner_snapshot,
    );
    seed.share_snapshot("eu-west-1", &peace.private_snapshot, true, &[])
        .await;
    expect(
        FindingKind::PublicSnapshot,
        "eu-west-1",
        &peace.private_snapshot,
    );

    // A new snapshot shared with an unknown account.
    let exfil = seed.snapshot("us-west-2", false).await;
    seed.share_snapshot("us-west-2", &exfil, false, &[STRANGER])
        .await;
    expect(FindingKind::SharedSnapshot, "us-west-2", &exfil);
    expect(FindingKind::RecentResource, "us-west-2", &exfil);

    // A public AMI.
    let image = seed.image("us-west-2", "golden-exfil").await;
    seed.share_image("us-west-2", &image, true, &[]).await;
    expect(FindingKind::PublicImage, "us-west-2", &image);
    expect(FindingKind::RecentResource, "us-west-2", &image);

    // An AMI shared with an unknown account.
    let shared_image = seed.image("eu-west-2", "build-cache").await;
    seed.share_image("eu-west-2", &shared_image, false, &[STRANGER])
        .await;
    expect(FindingKind::SharedImage, "eu-west-2", &shared_image);
    expect(FindingKind::RecentResource, "eu-west-2", &shared_image);

    Breach { expected }
}

pub(crate) fn scan_with_baseline(bed: &TestBed, baseline: &Path, extra: &[&str]) -> ScanReport {
    let mut args = vec!["--baseline", baseline.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let (report, output) = bed.scan_json(&bed.endpoint(), &args);
    assert!(
        output.status.success(),
        "{output:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    report
}

pub(crate) fn firebreak_ok(bed: &TestBed, args: &[&str]) -> String {
    let output = bed
        .firebreak(&bed.endpoint())
        .args(args)
        .output()
        .expect("run firebreak");
    assert!(
        output.status.success(),
        "{args:?}: {output:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Captures a baseline of the estate as it is into the test's folder, checks that it records
/// each of `recorded`, and scans against it: an unchanged estate has no findings. Returns the
/// baseline's path and that quiet scan.
pub(crate) fn capture_quiet(bed: &TestBed, recorded: &[&str]) -> (std::path::PathBuf, ScanReport) {
    let baseline = bed.dir.path().join("baseline.toml");
    let baseline_arg = baseline.to_str().expect("utf-8 path");
    firebreak_ok(bed, &["--baseline", baseline_arg, "baseline", "capture"]);
    let text = std::fs::read_to_string(&baseline).expect("baseline written");
    for recorded in recorded {
        assert!(text.contains(recorded), "{recorded} missing from:\n{text}");
    }
    let quiet = scan_with_baseline(bed, &baseline, &[]);
    assert!(
        quiet.findings.is_empty(),
        "an unchanged estate has no findings: {:#?}",
        quiet.findings
    );
    (baseline, quiet)
}

/// Each finding of `report` by id, with its kind and severity.
pub(crate) fn by_id(report: &ScanReport) -> BTreeMap<String, (FindingKind, Severity)> {
    report
        .findings
        .iter()
        .map(|f| (f.id.clone(), (f.kind, f.severity)))
        .collect()
}

/// Expected findings, as `by_id` gives them.
pub(crate) fn expected<'a>(
    findings: impl IntoIterator<Item = (&'a str, (FindingKind, Severity))>,
) -> BTreeMap<String, (FindingKind, Severity)> {
    findings
        .into_iter()
        .map(|(id, found)| (id.to_string(), found))
        .collect()
}

/// The facts of `report`'s finding `id` (empty when there is none).
pub(crate) fn facts_of(report: &ScanReport, id: &str) -> String {
    report
        .findings
        .iter()
        .find(|f| f.id == id)
        .map(|f| f.facts.clone())
        .unwrap_or_default()
}

/// Accepts each of `report`'s findings in turn (last id first), rescanning after each: the
/// accepted one goes, nothing new comes, and `also_gone(id)` names what else may go with it
/// (an account trusted covers its other findings). At the end nothing is left.
pub(crate) fn accept_each(
    bed: &TestBed,
    baseline: &Path,
    report: &ScanReport,
    also_gone: impl Fn(&str) -> Vec<String>,
) {
    let baseline_arg = baseline.to_str().expect("utf-8 path");
    let mut left: Vec<String> = report.findings.iter().map(|f| f.id.clone()).collect();
    left.sort();
    while let Some(id) = left.pop() {
        firebreak_ok(
            bed,
            &["--baseline", baseline_arg, "baseline", "accept", &id],
        );
        let gone = also_gone(&id);
        left.retain(|f| !gone.contains(f));
        let mut after: Vec<String> = scan_with_baseline(bed, baseline, &[])
            .findings
            .iter()
            .map(|f| f.id.clone())
            .collect();
        after.sort();
        assert_eq!(after, left, "after accepting {id}");
    }
}

fn ids(report: &ScanReport) -> BTreeSet<String> {
    report.findings.iter().map(|f| f.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_breach_is_found_with_no_false_positives_and_accepting_removes_exactly_one() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let peace = seed_peacetime(&seed).await;
    let baseline = bed.dir.path().join("baseline.toml");
    let baseline_arg = baseline.to_str().expect("utf-8 path");

    let captured = firebreak_ok(&bed, &["--baseline", baseline_arg, "baseline", "capture"]);
    assert!(captured.contains("captured 2 users"), "{captured}");
    let text = std::fs::read_to_string(&baseline).expect("baseline written");
    for expected in [
        PARTNER,
        "alice",
        "bob",
        &peace.alice_key,
        &peace.bob_key,
        "partner-read",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // Capture refuses to overwrite.
    let again = bed
        .firebreak(&bed.endpoint())
        .args(["--baseline", baseline_arg, "baseline", "capture"])
        .output()
        .expect("run firebreak");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));

    let quiet = scan_with_baseline(&bed, &baseline, &[]);
    assert_eq!(quiet.baseline.as_deref(), Some(baseline.as_path()));
    assert!(
        quiet.findings.iter().all(|f| f.severity == Severity::Info),
        "peacetime must be quiet: {:#?}",
        quiet.findings
    );

    let breach = plant_breach(&seed, &peace).await;
    let report = scan_with_baseline(&bed, &baseline, &[]);
    let found: BTreeSet<(FindingKind, String, String)> = report
        .findings
        .iter()
        .map(|f| (f.kind, f.region.clone(), f.resource_id.clone()))
        .collect();
    for item in &breach.expected {
        assert!(found.contains(item), "{item:?} not found in {found:#?}");
    }
    // Nothing unchanged from peacetime is reported above info.
    let untouched = [
        "alice",
        "bob",
        peace.alice_key.as_str(),
        peace.bob_key.as_str(),
        "lambda-exec",
        "thumbnails",
    ];
    for finding in report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
    {
        assert!(
            !untouched.contains(&finding.resource_id.as_str()),
            "false positive: {finding:#?}"
        );
        let planted = breach
            .expected
            .iter()
            .any(|(_, region, id)| *region == finding.region && *id == finding.resource_id);
        // moto makes a backing snapshot for a registered AMI: a new snapshot, reported as such.
        let backing_snapshot = finding.kind == FindingKind::RecentResource
            && finding.resource_id.starts_with("snap-")
            && ["us-west-2", "eu-west-2"].contains(&finding.region.as_str());
        assert!(
            planted || backing_snapshot,
            "unexpected finding: {finding:#?}"
        );
    }
    let severity = |id: &str| {
        report
            .findings
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.severity)
    };
    assert_eq!(
        severity(&format!(
            "public_snapshot:us-east-1:{}",
            peace.partner_snapshot
        )),
        Some(Severity::Critical)
    );
    assert_eq!(
        severity("recent_resource:ap-south-1:img-resize-worker"),
        Some(Severity::High),
        "unused region raises severity"
    );
    let exfil = breach
        .expected
        .iter()
        .find(|(kind, _, _)| *kind == FindingKind::SharedSnapshot)
        .map(|(_, _, id)| id.clone())
        .expect("exfil snapshot");
    assert_eq!(
        severity(&format!("shared_snapshot:us-west-2:{exfil}")),
        Some(Severity::Critical),
        "an unencrypted shared snapshot is critical"
    );

    // Accept two findings, one at a time: each removes exactly itself.
    let mut before = ids(&report);
    for accepted in [
        format!("public_snapshot:eu-west-1:{}", peace.private_snapshot),
        "unknown_user:global:support-backdoor".to_string(),
    ] {
        let said = firebreak_ok(
            &bed,
            &["--baseline", baseline_arg, "baseline", "accept", &accepted],
        );
        assert!(said.contains(&format!("accepted {accepted}")), "{said}");
        let after = ids(&scan_with_baseline(&bed, &baseline, &[]));
        let mut expected = before.clone();
        expected.remove(&accepted);
        assert_eq!(after, expected, "accepting {accepted}");
        before = after;
    }
    let text = std::fs::read_to_string(&baseline).expect("baseline");
    assert!(
        text.contains("finding = \"unknown_user:global:support-backdoor\""),
        "{text}"
    );
    assert!(text.contains("by = \"arn:aws:"), "{text}");

    // Each accept was journaled, and no file firebreak wrote holds a secret.
    let journals: Vec<_> = std::fs::read_dir(bed.dir.path().join("data/journal"))
        .expect("journal dir")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("journal"))
        .collect();
    let journal = journals.join("\n");
    assert_eq!(
        journal.matches("\"event\":\"baseline_accepted\"").count(),
        2,
        "{journal}"
    );
    // The secret key firebreak ran with (security.rs searches every file and output for
    // every secret firebreak is given or could read).
    for written in [journal.as_str(), text.as_str()] {
        assert!(!written.contains("firebreak-test-secret"));
    }

    // An unknown id is a clear error.
    let missing = bed
        .firebreak(&bed.endpoint())
        .args([
            "--baseline",
            baseline_arg,
            "baseline",
            "accept",
            "public_snapshot:nowhere:x",
        ])
        .output()
        .expect("run firebreak");
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no finding public_snapshot:nowhere:x")
    );

    // diff names what came since the capture.
    let diff = firebreak_ok(&bed, &["--baseline", baseline_arg, "baseline", "diff"]);
    // support-backdoor was accepted above, so it is a known user now (still not a known admin).
    assert!(!diff.lines().any(|l| l.starts_with("+ user")), "{diff}");
    assert!(
        diff.lines()
            .any(|l| l.starts_with("+ admin") && l.ends_with("support-backdoor")),
        "{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with("+ role") && l.ends_with("ops-support")),
        "{diff}"
    );
    assert!(
        diff.contains("+ function") && diff.contains("ap-south-1"),
        "{diff}"
    );
    assert!(diff.contains(STRANGER), "{diff}");
    let shown = firebreak_ok(&bed, &["--baseline", baseline_arg, "baseline", "show"]);
    assert!(shown.contains("account          123456789012"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_baseline_new_principals_are_unknown_and_fail_on_sets_the_exit_code() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    seed.user("fresh", 1).await;
    let absent = bed.dir.path().join("xdg-config/firebreak/baseline.toml");
    assert!(!absent.exists());

    let (report, output) = bed.scan_json(&bed.endpoint(), &["--regions", "us-east-1"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(report.baseline, None);
    let kinds: BTreeSet<(FindingKind, String)> = report
        .findings
        .iter()
        .map(|f| (f.kind, f.resource_id.clone()))
        .collect();
    assert!(kinds.contains(&(FindingKind::NoBaseline, ACCOUNT.to_string())));
    assert!(kinds.contains(&(FindingKind::UnknownUser, "fresh".to_string())));

    // Outside a one-second window the same user is no longer "new".
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (report, _) = bed.scan_json(
        &bed.endpoint(),
        &["--regions", "us-east-1", "--unknown-window", "1s"],
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::UnknownUser)
    );

    let (_, output) = bed.scan_json(
        &bed.endpoint(),
        &["--regions", "us-east-1", "--fail-on", "high"],
    );
    assert_eq!(output.status.code(), Some(3));
    let (_, output) = bed.scan_json(
        &bed.endpoint(),
        &["--regions", "us-east-1", "--fail-on", "critical"],
    );
    assert_eq!(output.status.code(), Some(0));
}
