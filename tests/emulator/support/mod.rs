//! Test bed: a real moto_server per test, SDK clients to seed it, and the firebreak binary run
//! against it. Tests FAIL (never skip) when moto is not installed.

pub mod fault_proxy;
pub mod seed;
pub mod tmux;
pub mod witness;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use firebreak::cli::report::ScanReport;
use firebreak::emulator::Emulator;

/// The emulator's default account.
pub const ACCOUNT: &str = "123456789012";

/// A running emulator plus a scratch directory for config and data.
pub struct TestBed {
    pub moto: Emulator,
    pub dir: tempfile::TempDir,
}

impl TestBed {
    /// Starts a fresh moto_server for one test.
    pub fn start() -> Self {
        let project = Path::new(env!("CARGO_MANIFEST_DIR"));
        let moto_server = Emulator::locate(&[project]).unwrap_or_else(|err| panic!("{err}"));
        let moto = Emulator::start(&moto_server).unwrap_or_else(|err| panic!("{err}"));
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("config.toml"),
            // One attempt: calls moto does not implement fail at once instead of retrying.
            "[aws]\nmax_attempts = 1\nread_max_attempts = 1\nconnect_timeout_secs = 2\noperation_timeout_secs = 30\n",
        )
        .expect("write config");
        TestBed { moto, dir }
    }

    pub fn endpoint(&self) -> String {
        self.moto.endpoint()
    }

    /// moto's `127.0.0.1:PORT`, for a fault proxy in front of it.
    pub fn moto_address(&self) -> std::net::SocketAddr {
        self.endpoint()
            .trim_start_matches("http://")
            .parse()
            .expect("moto address")
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// SDK clients for seeding, with dummy credentials, pointed at the emulator.
    pub fn seeder(&self) -> seed::Seeder {
        seed::Seeder::new(&self.endpoint())
    }

    /// The firebreak binary with a clean AWS environment: dummy keys, no profiles, no IMDS.
    pub fn firebreak(&self, endpoint: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_firebreak"));
        isolate_aws_env(&mut command, self.dir.path());
        command.args([
            "--endpoint-url",
            endpoint,
            "--config",
            &self.config_path().to_string_lossy(),
            "--data-dir",
            &self.dir.path().join("data").to_string_lossy(),
        ]);
        command
    }

    /// The firebreak binary running as an IAM user created in the emulator.
    pub fn firebreak_as(&self, endpoint: &str, key_id: &str, secret: &str) -> Command {
        let mut command = self.firebreak(endpoint);
        command
            .env("AWS_ACCESS_KEY_ID", key_id)
            .env("AWS_SECRET_ACCESS_KEY", secret);
        command
    }

    /// The cockpit (writable) in a 120×40 tmux pane, run as the IAM user whose keys are
    /// `responder`, against this emulator, with `args` after the bed's own flags.
    pub fn cockpit_as(&self, responder: &(String, String), args: &[&str]) -> tmux::Tmux {
        let (removed, mut set) = aws_env(self.dir.path());
        for (name, value) in &mut set {
            match *name {
                "AWS_ACCESS_KEY_ID" => *value = responder.0.clone(),
                "AWS_SECRET_ACCESS_KEY" => *value = responder.1.clone(),
                _ => {}
            }
        }
        let mut all: Vec<String> = vec![
            "--endpoint-url".into(),
            self.endpoint(),
            "--config".into(),
            self.config_path().to_string_lossy().into_owned(),
            "--data-dir".into(),
            self.dir.path().join("data").to_string_lossy().into_owned(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        tmux::Tmux::start(
            120,
            40,
            &removed,
            &set,
            env!("CARGO_BIN_EXE_firebreak"),
            &all,
        )
    }

    /// Runs `firebreak scan --format json` (plus `args`) and parses the report.
    pub fn scan_json(&self, endpoint: &str, args: &[&str]) -> (ScanReport, Output) {
        let output = self
            .firebreak(endpoint)
            .args(["scan", "--format", "json"])
            .args(args)
            .output()
            .expect("run firebreak");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report: ScanReport = serde_json::from_str(&stdout).unwrap_or_else(|err| {
            panic!(
                "scan output is not a report ({err}); status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (report, output)
    }
}

/// Variables removed from, and set in, firebreak's environment: dummy keys, a home with no AWS
/// files, no instance metadata — so nothing from the machine leaks in.
pub fn aws_env(home: &Path) -> (Vec<&'static str>, Vec<(&'static str, String)>) {
    let removed = vec![
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ];
    let path = |name: &str| home.join(name).to_string_lossy().into_owned();
    let set = vec![
        ("HOME", home.to_string_lossy().into_owned()),
        ("XDG_CONFIG_HOME", path("xdg-config")),
        ("XDG_DATA_HOME", path("xdg-data")),
        ("AWS_CONFIG_FILE", path("aws-config-absent")),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            path("aws-credentials-absent"),
        ),
        ("AWS_ACCESS_KEY_ID", "AKIAFIREBREAKTEST".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "firebreak-test-secret".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ];
    (removed, set)
}

/// Applies `aws_env` to a command.
pub fn isolate_aws_env(command: &mut Command, home: &Path) {
    let (removed, set) = aws_env(home);
    for name in removed {
        command.env_remove(name);
    }
    command.envs(set);
}
