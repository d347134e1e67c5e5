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
