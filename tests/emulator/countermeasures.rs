//! The countermeasure playbooks end to end against the emulator: each acts only on what its
//! findings name (read back through the SDK before and after), and undo puts back exactly that.

use serde_json::Value;

use crate::playbooks::{all_have_status, run, run_json, statuses};
use crate::support::seed::Seeder;
use crate::support::{ACCOUNT, TestBed};

/// Regions every test here scans: enough for the estate, fast to read.
const REGIONS: &str = "us-east-1,eu-west-1";

/// An emulator, a responder with keys, and the baseline file the tests capture.
struct Rehearsal {
    bed: TestBed,
    responder: (String, String),
    baseline: String,
}

impl Rehearsal {
    async fn start() -> Self {
        let bed = TestBed::start();
        let responder = bed.seeder().user_with_secret("responder").await;
        let baseline = bed
            .dir
            .path()
            .join("baseline.toml")
            .to_string_lossy()
            .into_owned();
        Rehearsal {
            bed,
            responder,
            baseline,
        }
    }

    fn seed(&self) -> Seeder {
        self.bed.seeder()
    }

    /// Captures the peacetime baseline.
    fn capture(&self) {
        let output = run(
            &self.bed,
            &self.bed.endpoint(),
            &self.responder,
            &[
                "--baseline",
                &self.baseline,
                "--regions",
                REGIONS,
                "baseline",
                "capture",
            ],
        );
        assert!(output.status.success(), "{output:?}");
    }

    /// `act PLAYBOOK ARGS --execute` (or `undo ID --execute` when `args` starts with "undo").
    fn run(&self, args: &[&str]) -> Value {
        let mut all = vec!["--baseline", &self.baseline, "--regions", REGIONS];
        if args[0] != "undo" {
            all.push("act");
        }
        all.extend_from_slice(args);
        all.push("--execute");
        run_json(&self.bed, &self.responder, &all)
    }

    /// Acts, checks every step ended ok, and returns the action id.
    fn act(&self, args: &[&str]) -> String {
        let done = self.run(args);
        assert!(all_have_status(&done, "ok"), "{:#?}", statuses(&done));
        done["plan"]["action_id"]
            .as_str()
            .expect("action id")
            .to_string()
    }

    fn undo(&self, action: &str) {
        let undone = self.run(&["undo", action]);
        assert!(all_have_status(&undone, "ok"), "{:#?}", statuses(&undone));
    }
}

async fn logging(seed: &Seeder, region: &str, trail: &str) -> bool {
    seed.cloudtrail(region)
        .get_trail_status()
        .name(trail)
        .send()
        .await
        .expect("trail status")
        .is_logging()
        .expect("is logging")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_logging_starts_only_stopped_trails_and_undo_stops_only_those() {
    let r = Rehearsal::start().await;
    let seed = r.seed();
    seed.trail("us-east-1", "org-trail", true).await;
    seed.trail("eu-west-1", "eu-audit", false).await;
    r.capture();
    seed.stop_logging("us-east-1", "org-trail").await;
    assert!(!logging(&seed, "us-east-1", "org-trail").await);

    let action = r.act(&["restore-logging", "--all"]);
    assert!(logging(&seed, "us-east-1", "org-trail").await);
    assert!(logging(&seed, "eu-west-1", "eu-audit").await);

    r.undo(&action);
    assert!(
        !logging(&seed, "us-east-1", "org-trail").await,
        "undo stops what it started"
    );
    assert!(
        logging(&seed, "eu-west-1", "eu-audit").await,
        "and nothing else"
    );
}

async fn detectors(seed: &Seeder, region: &str) -> Vec<(String, bool)> {
    let client = seed.guardduty(region);
    let ids = client
        .list_detectors()
        .send()
        .await
        .expect("list detectors")
        .detector_ids()
        .to_vec();
    let mut out = Vec::new();
    for id in ids {
        let detector = client
            .get_detector()
            .detector_id(&id)
            .send()
            .await
            .expect("get detector");
        let enabled = detector.status() == Some(&aws_sdk_guardduty::types::DetectorStatus::Enabled);
        out.push((id, enabled));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_detection_enables_a_disabled_detector_and_replaces_a_deleted_one() {
    let r = Rehearsal::start().await;
    let seed = r.seed();
    let us = seed.detector("us-east-1").await;
    let eu = seed.detector("eu-west-1").await;
    r.capture();
    seed.disable_detector("us-east-1", &us).await;
    seed.guardduty("eu-west-1")
        .delete_detector()
        .detector_id(&eu)
        .send()
        .await
        .expect("delete");
    assert_eq!(detectors(&seed, "us-east-1").await, [(us.clone(), false)]);
    assert!(detectors(&seed, "eu-west-1").await.is_empty());

    let done = r.run(&["restore-detection", "--all"]);
    assert!(all_have_status(&done, "ok"), "{:#?}", statuses(&done));
    assert!(
        done["plan"]["notes"]
            .to_string()
            .contains("cannot be restored"),
        "the plan says the deleted detector is replaced, not restored: {:#}",
        done["plan"]["notes"]
    );
    assert_eq!(detectors(&seed, "us-east-1").await, [(us.clone(), true)]);
    let replaced = detectors(&seed, "eu-west-1").await;
    assert_eq!(replaced.len(), 1, "{replaced:?}");
    assert!(replaced[0].1 && replaced[0].0 != eu, "{replaced:?}");

    r.undo(done["plan"]["action_id"].as_str().expect("action id"));
    assert_eq!(detectors(&seed, "us-east-1").await, [(us, false)]);
    assert_eq!(
        detectors(&seed, "eu-west-1").await,
        replaced,
        "undo leaves the new detector"
    );
}

/// The ingress of `group` from ranges and prefix lists as `tcp/22 0.0.0.0/0`, sorted.
async fn open_rules(seed: &Seeder, region: &str, group: &str) -> Vec<String> {
    let rules = seed
        .ec2(region)
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group)
                .build(),
        )
        .send()
        .await
        .expect("rules");
    let mut out: Vec<String> = rules
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() != Some(true))
        .filter_map(|r| {
            let cidr = r.cidr_ipv4().or(r.cidr_ipv6()).or(r.prefix_list_id())?;
            Some(format!(
                "{}/{} {cidr}{}",
                r.ip_protocol().unwrap_or_default(),
                r.from_port().unwrap_or_default(),
                r.description()
                    .map_or_else(String::new, |d| format!(" ({d})"))
            ))
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_ingress_revokes_exactly_the_new_world_open_rules_and_undo_puts_them_back() {
    let r = Rehearsal::start().await;
    let seed = r.seed();
    let web = seed.open_group("us-east-1", "web", 443).await;
    r.capture();
    seed.open_port("us-east-1", &web, 22).await;
    seed.open_port_from("us-east-1", &web, 3389, "0.0.0.0/0", Some("vendor support"))
        .await;
    seed.open_port_from("us-east-1", &web, 22, "::/0", None)
        .await;
    let breached = open_rules(&seed, "us-east-1", &web).await;
    assert_eq!(
        breached,
        [
            "tcp/22 0.0.0.0/0",
            "tcp/22 ::/0",
            "tcp/3389 0.0.0.0/0 (vendor support)",
            "tcp/443 0.0.0.0/0"
        ]
    );

    let action = r.act(&["close-ingress", &format!("us-east-1/{web}")]);
    assert_eq!(
        open_rules(&seed, "us-east-1", &web).await,
        ["tcp/443 0.0.0.0/0"],
        "the expected rule stays"
    );

    r.undo(&action);
    assert_eq!(
        open_rules(&seed, "us-east-1", &web).await,
        breached,
        "the same rules, descriptions included"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_ingress_all_leaves_a_controllers_rules_that_would_flap_back() {
    let r = Rehearsal::start().await;
    let seed = r.seed();
    r.capture();
    // A load balancer's group the AWS Load Balancer Controller made after the capture, and
    // the intruder's SSH.
    let ingress = seed.open_group("us-east-1", "k8s-shop-web", 443).await;
    seed.ec2("us-east-1")
        .create_tags()
        .resources(&ingress)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("elbv2.k8s.aws/cluster")
                .value("prod")
                .build(),
        )
        .send()
        .await
        .expect("tag");
    let shell = seed.open_group("us-east-1", "debug", 22).await;

    let done = r.run(&["close-ingress", "--all"]);
    assert!(all_have_status(&done, "ok"), "{:#?}", statuses(&done));
    let targets = done["plan"]["steps"].to_string();
    assert!(
        targets.contains(&shell) && !targets.contains(&ingress),
        "{targets}"
    );
    assert!(
        done["plan"]["notes"]
            .to_string()
            .contains(&format!("us-east-1/{ingress}")),
        "the plan names what --all left: {:#}",
        done["plan"]["notes"]
    );
    assert!(open_rules(&seed, "us-east-1", &shell).await.is_empty());
    assert_eq!(
        open_rules(&seed, "us-east-1", &ingress).await,
        ["tcp/443 0.0.0.0/0"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_internet_through_a_prefix_list_or_split_ranges_is_found_closed_and_undone() {
    let r = Rehearsal::start().await;
    let seed = r.seed();
    r.capture();
    let ec2 = seed.ec2("us-east-1");
    let everyone = ec2
        .create_managed_prefix_list()
        .prefix_list_name("partners")
        .address_family("IPv4")
        .max_entries(5)
        .entries(
            aws_sdk_ec2::types::AddPrefixListEntry::builder()
                .cidr("0.0.0.0/0")
                .build(),
        )
        .send()
        .await
        .expect("prefix list")
        .prefix_list()
        .and_then(|p| p.prefix_list_id())
        .expect("prefix list id")
        .to_string();
    let listed = seed.group("us-east-1", "via-list").await;
    ec2.authorize_security_group_ingress()
        .group_id(&listed)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .prefix_list_ids(
                    aws_sdk_ec2::types::PrefixListId::builder()
                        .prefix_list_id(&everyone)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("through the list");
    let split = seed.group("us-east-1", "split").await;
    for half in ["0.0.0.0/1", "128.0.0.0/1"] {
        seed.open_port_from("us-east-1", &split, 3389, half, None)
            .await;
    }
    let breached_list = open_rules(&seed, "us-east-1", &listed).await;
    let breached_split = open_rules(&seed, "us-east-1", &split).await;
    assert_eq!(breached_list, [format!("tcp/22 {everyone}")]);
    assert_eq!(
        breached_split,
        ["tcp/3389 0.0.0.0/1", "tcp/3389 128.0.0.0/1"]
    );

    let (report, output) = r.bed.scan_json(
        &r.bed.endpoint(),
        &["--regions", "us-east-1", "--baseline", &r.baseline],
    );
    assert!(output.status.code().is_some(), "{output:?}");
    let open: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind == firebreak_core::model::finding::FindingKind::OpenIngress)
        .map(|f| (f.resource_id.clone(), f.severity, f.details.join(" | ")))
        .collect();
    assert_eq!(open.len(), 2, "{open:#?}");
    for (group, why) in [
        (&listed, format!("prefix list {everyone} holds 0.0.0.0/0")),
        (&split, "it covers 0.0.0.0/0".to_string()),
    ] {
        let (_, severity, details) = open
            .iter()
            .find(|(id, _, _)| id == group)
            .unwrap_or_else(|| panic!("{group} not found: {open:#?}"));
        assert_eq!(
            *severity,
            firebreak_core::model::finding::Severity::Critical
        );
        assert!(details.contains(&why), "{details}");
    }

    let action = r.act(&["close-ingress", "--all"]);
    assert!(open_rules(&seed, "us-east-1", &listed).await.is_empty());
    assert!(open_rules(&seed, "us-east-1", &split).await.is_empty());
    r.undo(&action);
    assert_eq!(open_rules(&seed, "us-east-1", &listed).await, breached_list);
    assert_eq!(open_rules(&seed, "us-east-1", &split).await, breached_split);
}

async fn rule_state(seed: &Seeder, name: &str) -> String {
    seed.eventbridge("us-east-1")
        .describe_rule()
        .name(name)
        .send()
        .await
        .expect("describe rule")
        .state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_rule_disables_only_the_unknown_rule_and_undo_enables_it() {
    let r = Rehearsal::start().await;
    let seed = r.seed();
    let target = format!("arn:aws:sns:us-east-1:{ACCOUNT}:backups");
    seed.event_rule("us-east-1", "nightly-backup", "cron(0 3 * * ? *)", &target)
        .await;
    r.capture();
    let miner = format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:miner");
    seed.event_rule("us-east-1", "every-5", "rate(5 minutes)", &miner)
        .await;

    let action = r.act(&["disable-rule", "us-east-1/every-5"]);
    assert_eq!(rule_state(&seed, "every-5").await, "DISABLED");
    assert_eq!(rule_state(&seed, "nightly-backup").await, "ENABLED");

    r.undo(&action);
    assert_eq!(rule_state(&seed, "every-5").await, "ENABLED");
}

/// The profile ARNs associated with `instance`.
async fn associated(seed: &Seeder, instance: &str) -> Vec<String> {
    seed.ec2("us-east-1")
        .describe_iam_instance_profile_associations()
        .send()
        .await
        .expect("associations")
        .iam_instance_profile_associations()
        .iter()
        .filter(|a| a.instance_id() == Some(instance))
        .filter(|a| {
            a.state()
                .is_some_and(|s| matches!(s.as_str(), "associating" | "associated"))
        })
        .filter_map(|a| a.iam_instance_profile()?.arn().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_profile_removes_the_admin_role_from_the_instance_and_undo_reattaches_it() {
    let r = Rehearsal::start().await;
    let seed = r.seed();
    let instance = seed.instance("us-east-1").await;
    r.capture();
    let profile = seed
        .instance_profile("ec2-ops", "arn:aws:iam::aws:policy/AdministratorAccess")
        .await;
    seed.associate_profile("us-east-1", &instance, &profile)
        .await;
    let before = associated(&seed, &instance).await;
    assert_eq!(before.len(), 1, "{before:?}");

    let action = r.act(&["detach-profile", &format!("us-east-1/{instance}/{profile}")]);
    assert!(associated(&seed, &instance).await.is_empty());

    r.undo(&action);
    assert_eq!(associated(&seed, &instance).await, before);
}

async fn key_enabled(seed: &Seeder, key: &str) -> bool {
    seed.apigateway("us-east-1")
        .get_api_key()
        .api_key(key)
        .send()
        .await
        .expect("get api key")
        .enabled()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disable_api_key_disables_only_the_new_key_and_undo_enables_it() {
    let r = Rehearsal::start().await;
    let seed = r.seed();
    let partner = seed.api_key("us-east-1", "partner").await;
    r.capture();
    let planted = seed.api_key("us-east-1", "exfil").await;

    let action = r.act(&["disable-api-key", "--all"]);
    assert!(!key_enabled(&seed, &planted).await);
    assert!(key_enabled(&seed, &partner).await);

    r.undo(&action);
    assert!(key_enabled(&seed, &planted).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeze_turns_logging_and_detection_back_on_and_unfreeze_leaves_them_on() {
    let r = Rehearsal::start().await;
    let seed = r.seed();
    seed.trail("us-east-1", "org-trail", true).await;
    let detector = seed.detector("eu-west-1").await;
    r.capture();
    seed.stop_logging("us-east-1", "org-trail").await;
    seed.disable_detector("eu-west-1", &detector).await;

    let frozen = r.run(&["freeze", "--confirm", ACCOUNT]);
    let outcomes = statuses(&frozen);
    for step in [
        "StartLogging trail org-trail".to_string(),
        format!("UpdateDetector detector {detector}"),
    ] {
        assert!(
            outcomes.contains(&(step.clone(), "ok".to_string())),
            "{step}: {outcomes:#?}"
        );
    }
    assert!(logging(&seed, "us-east-1", "org-trail").await);
    assert_eq!(
        detectors(&seed, "eu-west-1").await,
        [(detector.clone(), true)]
    );

    let unfrozen = r.run(&["unfreeze"]);
    assert!(
        unfrozen["plan"]["notes"]
            .to_string()
            .contains("cannot be undone"),
        "{:#}",
        unfrozen["plan"]["notes"]
    );
    assert!(
        logging(&seed, "us-east-1", "org-trail").await,
        "unfreeze leaves logging on"
    );
    assert_eq!(detectors(&seed, "eu-west-1").await, [(detector, true)]);
}

/// The cockpit as the responder, writable, in a 120×40 pane, once the first scan is done.
fn cockpit(r: &Rehearsal) -> crate::support::tmux::Tmux {
    let tmux = r.bed.cockpit_as(
        &r.responder,
        &["--baseline", &r.baseline, "--regions", REGIONS],
    );
    tmux.wait_for("scan ✓", std::time::Duration::from_secs(90));
    tmux
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_in_the_cockpit_restarts_the_trail_and_closes_the_port_and_u_reopens_it() {
    use std::time::Duration;
    let r = Rehearsal::start().await;
    let seed = r.seed();
    seed.trail("us-east-1", "org-trail", true).await;
    let web = seed.open_group("us-east-1", "web", 443).await;
    r.capture();
    seed.stop_logging("us-east-1", "org-trail").await;
    seed.open_port("us-east-1", &web, 22).await;
    let tmux = cockpit(&r);

    // The stopped trail: its details say what C does and that no one can say who stopped it.
    tmux.send_keys(&["/"]);
    tmux.send_keys(&["-l", "org-trail"]);
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_until("the trail's details", Duration::from_secs(20), |s| {
        s.contains("id logging_stopped:us-east-1:org-trail")
            && s.contains("attribution: not available")
    });
    assert!(
        screen.contains("restore-logging: start logging"),
        "{screen}"
    );
    tmux.send_keys(&["C"]);
    let screen = tmux.wait_for("[ Execute ", Duration::from_secs(60));
    assert!(screen.contains("StartLogging"), "{screen}");
    tmux.send_keys(&["y"]);
    tmux.wait_for("✓ StartLogging", Duration::from_secs(60));
    assert!(logging(&seed, "us-east-1", "org-trail").await);

    // The port opened to the world: C revokes it, the expected 443 stays; u opens it again.
    tmux.send_keys(&["Escape"]);
    tmux.send_keys(&["/"]);
    tmux.send_keys(&["-l", &web]);
    tmux.send_keys(&["Enter"]);
    tmux.wait_for(
        &format!("id open_ingress:us-east-1:{web}"),
        Duration::from_secs(20),
    );
    tmux.send_keys(&["C"]);
    let screen = tmux.wait_for("[ Execute ", Duration::from_secs(60));
    assert!(screen.contains("RevokeSecurityGroupIngress"), "{screen}");
    tmux.send_keys(&["y"]);
    tmux.wait_for("✓ RevokeSecurityGroupIngress", Duration::from_secs(60));
    assert_eq!(
        open_rules(&seed, "us-east-1", &web).await,
        ["tcp/443 0.0.0.0/0"]
    );
    tmux.wait_gone("rescanning", Duration::from_secs(90));
    tmux.send_keys(&["u"]);
    let screen = tmux.wait_for("[ Execute ", Duration::from_secs(60));
    assert!(screen.contains("AuthorizeSecurityGroupIngress"), "{screen}");
    tmux.send_keys(&["y"]);
    tmux.wait_for("✓ AuthorizeSecurityGroupIngress", Duration::from_secs(60));
    assert_eq!(
        open_rules(&seed, "us-east-1", &web).await,
        ["tcp/22 0.0.0.0/0", "tcp/443 0.0.0.0/0"]
    );
}
