//! What only real AWS (or a new user's first run) shows, end to end against moto: the defects of
//! issue 21 that moto can show. Each test here was seen failing before its fix (the commit
//! names the broken build).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::playbooks::statuses;
use crate::support::{ACCOUNT, TestBed};

/// Runs firebreak to its end, or kills it after `limit` (a bound on a hang, not a timing
/// assertion): the output, or `None` when it had to be killed.
fn run_bounded(
    mut command: std::process::Command,
    limit: Duration,
) -> Option<std::process::Output> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start firebreak");
    let started = Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().expect("poll firebreak").is_some() {
            return Some(child.wait_with_output().expect("firebreak output"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// A new user's freeze: the default config (the SDK's full retry budget), every region. moto
/// lacks the block-public-access calls and answers them with an HTML 500 on every try; that
/// answer must be known for what it is at once, every step must end, none `failed`, and no step
/// may go to a region of another partition (moto lists China's and GovCloud's too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeze_with_the_default_config_over_all_regions_ends_with_no_failed_step() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    seed.user("mallory", 1).await;
    // The default config: no retry or timeout settings at all.
    std::fs::write(bed.config_path(), "").expect("config");
    let mut command = bed.firebreak(&bed.endpoint());
    command.args([
        "--regions",
        "all",
        "act",
        "freeze",
        "--confirm",
        ACCOUNT,
        "--execute",
        "--format",
        "json",
    ]);
    let output = run_bounded(command, Duration::from_secs(240))
        .expect("freeze ends (it retried moto's unimplemented calls to the operation timeout)");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    let results = statuses(&document);
    assert!(
        !results.iter().any(|(_, status)| status == "failed"),
        "{results:?}"
    );
    assert!(
        results.iter().any(
            |(step, status)| step.starts_with("EnableSnapshotBlockPublicAccess")
                && status == "unsupported"
        ),
        "moto's gap is reported unsupported: {results:?}"
    );
    let regions: Vec<&str> = document["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["region"].as_str())
        .collect();
    assert!(
        regions.contains(&"eu-west-1"),
        "every enabled region: {regions:?}"
    );
    assert!(
        !regions
            .iter()
            .any(|r| r.starts_with("cn-") || r.starts_with("us-gov-")),
        "only the caller's partition: {regions:?}"
    );
}

/// A trust policy letting `principal` (`{"Service": …}` or `{"AWS": …}`) assume the role.
fn trusting(principal: Value) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": principal, "Action": "sts:AssumeRole"}]})
    .to_string()
}

/// Freeze promises logging stays on: the roles that carry logs and findings are exempt, each
/// with its reason — a role only CloudTrail may assume, a flow log's delivery role (whatever
/// its trust), and one the config names — while an application role is frozen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeze_keeps_the_roles_that_deliver_logs_and_says_why() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    seed.role(
        "trail-to-logs",
        &trusting(serde_json::json!({"Service": "cloudtrail.amazonaws.com"})),
    )
    .await;
    let flow_role = seed
        .role(
            "flow-shipper",
            &trusting(serde_json::json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")})),
        )
        .await;
    seed.role(
        "siem-shipper",
        &trusting(serde_json::json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")})),
    )
    .await;
    seed.role(
        "app",
        &trusting(serde_json::json!({"Service": "ec2.amazonaws.com"})),
    )
    .await;
    let ec2 = seed.ec2("us-east-1");
    let vpc = ec2
        .describe_vpcs()
        .send()
        .await
        .expect("vpcs")
        .vpcs()
        .first()
        .and_then(|v| v.vpc_id())
        .expect("the default VPC")
        .to_string();
    ec2.create_flow_logs()
        .resource_ids(&vpc)
        .resource_type(aws_sdk_ec2::types::FlowLogsResourceType::Vpc)
        .traffic_type(aws_sdk_ec2::types::TrafficType::All)
        .log_group_name("vpc-flows")
        .deliver_logs_permission_arn(&flow_role)
        .send()
        .await
        .expect("flow log");
    std::fs::write(
        bed.config_path(),
        "log_delivery_roles = [\"siem-shipper\"]\n",
    )
    .expect("config");
    let mut command = bed.firebreak(&bed.endpoint());
    command.args([
        "--regions",
        "us-east-1",
        "act",
        "freeze",
        "--confirm",
        ACCOUNT,
        "--format",
        "json",
    ]);
    let output = run_bounded(command, Duration::from_secs(120)).expect("the plan is made");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    let exempt: Vec<(String, String)> = document["plan"]["exempt"]
        .as_array()
        .expect("exempt")
        .iter()
        .map(|e| {
            (
                e["principal"].as_str().unwrap_or_default().to_string(),
                e["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for (role, why) in [
        ("role/trail-to-logs", "cloudtrail.amazonaws.com"),
        ("role/flow-shipper", "flow log"),
        ("role/siem-shipper", "log_delivery_roles"),
    ] {
        assert!(
            exempt
                .iter()
                .any(|(p, reason)| p == role && reason.contains(why)),
            "{role} exempt because of {why}: {exempt:#?}"
        );
    }
    let frozen = document["plan"]["steps"].to_string();
    assert!(frozen.contains("role/app "), "{frozen}");
    for kept in ["trail-to-logs", "flow-shipper", "siem-shipper"] {
        assert!(
            !frozen.contains(&format!("role/{kept} ")),
            "{kept}: {frozen}"
        );
    }
}
