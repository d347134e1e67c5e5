//! The command line: table output. Bad input is in `bad_input.rs`.

use crate::support::TestBed;

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
fn completions_are_printed_for_bash_zsh_and_fish_without_any_aws_set_up() {
    for (shell, marker) in [
        ("bash", "complete -F _firebreak"),
        ("zsh", "#compdef firebreak"),
        ("fish", "complete -c firebreak"),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_firebreak"));
        crate::support::isolate_aws_env(&mut command, dir.path());
        let output = command
            .args(["completions", shell])
            .output()
            .expect("run firebreak");
        assert!(output.status.success(), "{shell}: {output:?}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(
            script.contains(marker)
                && script.contains("gameday")
                && script.contains("revert-sharing"),
            "{shell}: {script:.400}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baseline_that_cannot_be_used_is_refused_before_the_first_request() {
    let bed = TestBed::start();
    let proxy = crate::support::fault_proxy::FaultProxy::recording(bed.moto_address()).await;
    let endpoint = proxy.endpoint();
    let missing = bed.dir.path().join("baselnie.toml");
    let broken = bed.dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "version = 1\naccount_id = \"123456789012\"\n[principals]\nroles = ['ci-[']\n",
    )
    .expect("write");
    let missing_text = missing.to_string_lossy().into_owned();
    let broken_text = broken.to_string_lossy().into_owned();
    let rows: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--baseline", &missing_text, "scan"],
            format!("no baseline at {missing_text}"),
        ),
        (
            vec!["--baseline", &broken_text, "scan"],
            format!("{broken_text}:4:10: "),
        ),
        (
            vec!["--baseline", &missing_text, "baseline", "diff"],
            format!("no baseline at {missing_text}"),
        ),
        (
            vec!["--baseline", &broken_text, "baseline", "accept", "x"],
            format!("{broken_text}:4:10: "),
        ),
        (
            vec!["--baseline", &broken_text, "act", "close-ingress", "--all"],
            format!("{broken_text}:4:10: "),
        ),
    ];
    for (args, expected) in rows {
        let output = bed
            .firebreak(&endpoint)
            .args(["--regions", "us-east-1"])
            .args(&args)
            .output()
            .expect("run firebreak");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(&expected), "{args:?}: {stderr}");
        assert!(
            proxy.seen().is_empty(),
            "{args:?} sent requests before refusing its baseline: {:?}",
            proxy
                .seen()
                .iter()
                .map(|s| s.action.as_str())
                .collect::<Vec<_>>()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_quietly_and_missing_credentials_say_where_firebreak_looked() {
    let bed = TestBed::start();
    // The reader is gone before anything is written (`| head` that has had enough).
    let mut child = bed
        .firebreak(&bed.endpoint())
        .args(["--regions", "us-east-1", "scan", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run firebreak");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("firebreak ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    // No credentials anywhere: said so, with where it looked, not "refused".
    let output = bed
        .firebreak(&bed.endpoint())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["--regions", "us-east-1", "scan"])
        .output()
        .expect("run firebreak");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no AWS credentials were found: looked in the environment (AWS_ACCESS_KEY_ID), profile default in ")
            && stderr.contains("aws-credentials-absent")
            && stderr.contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile"),
        "{stderr}"
    );
    assert!(!stderr.contains("refused"), "{stderr}");
}
