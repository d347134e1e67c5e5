//! The command line: table output, and clear errors for bad input.

use crate::support::{TestBed, isolate_aws_env};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_output_lists_regions_shares_and_identity() {
    let bed = TestBed::start();
    let seed = bed.seeder();
    let snapshot = seed.snapshot("eu-west-3", false).await;
    seed.share_snapshot("eu-west-3", &snapshot, true, &[]).await;
    seed.user("dave", 1).await;

    let output = bed
        .firebreak(&bed.endpoint())
        .args([
            "scan",
            "--format",
            "table",
            "--regions",
            "eu-west-3,us-east-1",
        ])
        .output()
        .expect("run firebreak");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("account  123456789012"), "{text}");
    assert!(text.contains("users 1  access keys 1"), "{text}");
    let eu = text
        .lines()
        .find(|l| l.starts_with("eu-west-3"))
        .unwrap_or_else(|| panic!("no eu-west-3 row:\n{text}"));
    assert!(eu.contains("done"), "{eu}");
    assert!(text.lines().any(|l| l.starts_with("us-east-1")), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains(&snapshot) && l.contains("PUBLIC") && l.contains("unencrypted")),
        "{text}"
    );
}

#[test]
fn a_bad_config_file_names_the_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("firebreak.toml");
    std::fs::write(&config, "read_only = true\n[scan]\nregion_concurency = 4\n").expect("write");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_firebreak"));
    isolate_aws_env(&mut command, dir.path());
    let output = command
        .args(["--config", &config.to_string_lossy(), "scan"])
        .output()
        .expect("run firebreak");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:3:1", config.display())),
        "{stderr}"
    );
    assert!(stderr.contains("region_concurency"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_flags_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (args, flag) in [
        (vec!["--regions", "us-east-1,mars", "scan"], "--regions"),
        (vec!["scan", "--format", "yaml"], "--format"),
        (
            vec!["--endpoint-url", "moto:5000", "scan"],
            "--endpoint-url",
        ),
    ] {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_firebreak"));
        isolate_aws_env(&mut command, dir.path());
        let output = command.args(&args).output().expect("run firebreak");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}

#[test]
fn an_unreachable_endpoint_is_a_clear_error_not_a_hang() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[aws]\nmax_attempts = 1\nread_max_attempts = 1\nconnect_timeout_secs = 2\n",
    )
    .expect("write");
    // A port nobody listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_firebreak"));
    isolate_aws_env(&mut command, dir.path());
    let output = command
        .args([
            "--config",
            &config.to_string_lossy(),
            "--endpoint-url",
            &format!("http://127.0.0.1:{port}"),
            "scan",
            "--format",
            "json",
        ])
        .output()
        .expect("run firebreak");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sts GetCallerIdentity in us-east-1: Connection"),
        "{stderr}"
    );
}
