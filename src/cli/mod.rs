//! The command line: global flags and subcommands (clap) here; `dispatch` runs the chosen
//! command (no subcommand opens the cockpit), `act` the act, undo, resume and log commands,
//! `gameday` the game-day commands, `report` prints, `error` is what they fail with.

pub mod act;
pub mod dispatch;
pub mod error;
pub mod gameday;
pub mod report;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::service::session::SessionOptions;

use firebreak_core::findings::Windows;
use firebreak_core::model::finding::Severity;
use firebreak_core::region::{parse_region, parse_region_selection};
use firebreak_core::scan::RegionSelection;

/// Exit code of `scan --fail-on` when a finding is at or above the threshold.
pub const EXIT_FINDINGS: u8 = 3;
/// Exit code when some region or service could not be read (a scan, or the scan behind a
/// plan's targets).
pub const EXIT_PARTIAL: u8 = 4;
/// Exit code when a step of an executed plan failed.
pub const EXIT_STEP_FAILED: u8 = 5;

/// firebreak: a terminal cockpit for the first hour of an AWS breach.
#[derive(Debug, Parser)]
#[command(name = "firebreak", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags that apply to every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// AWS profile from the shared config/credentials files.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// Home region for global services [default: from the AWS config, else us-east-1].
    #[arg(long, global = true, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// Regions to scan: `enabled`, `all` (opt-in regions not enabled are listed as not_enabled),
    /// or a comma-separated list.
    #[arg(
        long,
        global = true,
        value_name = "all|enabled|r1,r2,...",
        default_value = "enabled",
        value_parser = parse_region_selection
    )]
    pub regions: RegionSelection,

    /// Send every AWS call to this endpoint (e.g. an emulator). AWS_ENDPOINT_URL is honoured too.
    #[arg(long, global = true, value_name = "URL", value_parser = parse_endpoint_url)]
    pub endpoint_url: Option<String>,

    /// Never send a mutating AWS call.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Config file [default: config.toml in the platform config dir].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Where journals and evidence are kept [default: the platform data dir].
    #[arg(long, global = true, value_name = "PATH")]
    pub data_dir: Option<PathBuf>,

    /// Baseline file [default: baseline.toml in the platform config dir].
    #[arg(long, global = true, value_name = "PATH")]
    pub baseline: Option<PathBuf>,
}

impl GlobalArgs {
    /// The flags as the session takes them.
    pub fn session_options(&self) -> SessionOptions {
        SessionOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            regions: self.regions.clone(),
            endpoint_url: self.endpoint_url.clone(),
            read_only: self.read_only,
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            baseline: self.baseline.clone(),
            emulator: false,
        }
    }
}

/// What to do instead of opening the TUI.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan every selected region once and print inventory and findings.
    Scan(ScanArgs),
    /// Capture, inspect and extend the peacetime baseline.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Contain a threat. Prints the plan and changes nothing unless --execute is given.
    #[command(subcommand)]
    Act(ActCommand),
    /// Plan the inverse of an executed action (from the journal); --execute runs it.
    Undo {
        /// The action id printed when it was executed.
        action_id: String,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Finish an action a stopped session left unfinished (steps sent, no outcome): shows its
    /// plan; --execute runs it again, steps already done end skipped.
    Resume {
        /// The action id (the cockpit and `log show` name it).
        action_id: String,
        #[command(flatten)]
        run: RunArgs,
    },
    /// The incident timeline, from the session journals.
    #[command(subcommand)]
    Log(LogCommand),
    /// Rehearse a breach: detonate a scenario into a sandbox, respond, score, clean up.
    #[command(subcommand)]
    Gameday(GamedayCommand),
    /// Print shell completions for firebreak.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `firebreak gameday ...`
#[derive(Debug, Subcommand)]
pub enum GamedayCommand {
    /// Detonate SCENARIO (a built-in name or a .toml file): a peacetime estate, captured as the
    /// run's baseline, then the attacker's steps. Opens the cockpit on it and prints the
    /// scorecard at quit. Without --endpoint-url (or --sandbox) a private moto_server is started.
    Run {
        /// snapshot-made-public, leaked-keys-lambdas, console-takeover, full-breach, or a path.
        scenario: String,
        /// Picks names, regions and counts [default: a random seed, printed].
        #[arg(long)]
        seed: Option<u64>,
        /// Detonate, print the run id and the indicators, and leave the endpoint running.
        #[arg(long)]
        no_tui: bool,
        /// Detonate into the account your AWS credentials reach (it must be listed in the
        /// config's sandbox_accounts and typed with --confirm) instead of a private emulator.
        #[arg(long)]
        sandbox: bool,
        /// The account id, typed to confirm a detonation away from a loopback emulator.
        #[arg(long, value_name = "ACCOUNT")]
        confirm: Option<String>,
        /// How --no-tui prints the run.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Score a run (the newest without RUN_ID): each indicator detected, contained (by which
    /// action, when) or missed, read from the journals and the account now.
    Score {
        run_id: Option<String>,
        #[arg(long, value_enum, default_value_t = ScoreFormat::Table)]
        format: ScoreFormat,
    },
    /// Remove everything a run created (the newest without RUN_ID): only resources tagged
    /// firebreak:gameday=RUN_ID.
    Cleanup {
        run_id: Option<String>,
        /// The account id, typed to confirm a cleanup away from a loopback emulator.
        #[arg(long, value_name = "ACCOUNT")]
        confirm: Option<String>,
    },
    /// The built-in scenarios and the runs in the data dir.
    List,
}

/// How `gameday score` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreFormat {
    Table,
    Json,
    Md,
}

/// Whether and how to run a plan.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Carry out the plan (the default is a dry run that changes nothing).
    #[arg(long)]
    pub execute: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `firebreak act ...`
#[derive(Debug, Subcommand)]
pub enum ActCommand {
    /// Deactivate a user's access keys, delete its console password, deny everything it does.
    DisableUser {
        /// IAM user names.
        #[arg(required = true, value_name = "USER")]
        users: Vec<String>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Deactivate single access keys (the user keeps its other keys and its password).
    DisableKey {
        /// Access key ids.
        #[arg(required = true, value_name = "KEY_ID")]
        keys: Vec<String>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Deny everything a role does, revoke its sessions, and revert its trust policy to the
    /// accounts the baseline trusts. A role the baseline knows whose trust was widened gets its
    /// trust reverted and its sessions revoked, not the deny (it would cut off its partner).
    DisableRole {
        /// IAM role names.
        #[arg(required = true, value_name = "ROLE")]
        roles: Vec<String>,
        /// Deny roles the baseline knows too, not only put their trust back.
        #[arg(long)]
        deny_known: bool,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Save evidence of Lambda functions and throttle them (reserved concurrency 0);
    /// --delete also deletes them (irreversible, needs --confirm delete).
    ContainFunctions {
        /// Functions as REGION/NAME (e.g. ap-south-1/img-resize-worker).
        #[arg(value_name = "REGION/NAME", value_parser = parse_region_function)]
        targets: Vec<(String, String)>,
        /// Every function the baseline does not know (without a baseline: every recent one),
        /// all regions. Functions it knows are contained only when named.
        #[arg(long)]
        unknown: bool,
        /// Also delete them, after their evidence is saved — each only if its code package (or
        /// container image) was kept.
        #[arg(long)]
        delete: bool,
        /// Delete them even if their code could not be saved (needs --confirm
        /// delete-without-code).
        #[arg(long)]
        delete_without_code: bool,
        /// Type `delete` (or `delete-without-code`) to confirm a plan that deletes.
        #[arg(long, value_name = "WORD")]
        confirm: Option<String>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Make snapshots, AMIs, functions, buckets, DB snapshots and databases private again,
    /// keeping accounts the baseline trusts.
    RevertSharing {
        /// Targets as REGION/ID (e.g. eu-west-1/snap-0abc, eu-west-1/orders-api,
        /// eu-west-1/s3://ledger, eu-west-1/db:orders, eu-west-1/db-snapshot:orders-final):
        /// `snap-…` and `ami-…` ids, `s3://` a bucket, `db:` a DB instance or cluster,
        /// `db-snapshot:` a DB or cluster snapshot, anything else a function name.
        #[arg(value_name = "REGION/ID", value_parser = parse_region_resource)]
        targets: Vec<(String, String)>,
        /// Everything shared publicly or with an untrusted account (snapshots, AMIs, function
        /// policies and URLs, buckets, DB snapshots, public databases, the account's S3 block),
        /// all regions.
        #[arg(long)]
        public: bool,
        /// Also turn on snapshot and image block public access in those regions, and the
        /// account's S3 Block Public Access when buckets are reverted.
        #[arg(long)]
        block_public_access: bool,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Shield buckets and databases from a wipe in progress: a bucket-policy deny on deleting
    /// and reconfiguring for everyone but you, break-glass and AWS services, versioning on,
    /// deletion protection on.
    ProtectData {
        /// Buckets as REGION/s3://NAME, databases as REGION/db:ID (an instance of a cluster:
        /// its cluster).
        #[arg(value_name = "REGION/ID", value_parser = parse_data_target)]
        targets: Vec<(String, String)>,
        /// Every bucket and database, all regions.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Emergency stop: deny-all on every user and role that is not exempt, block public sharing
    /// in every region. Needs --confirm with the account id or alias.
    Freeze {
        /// The account id or alias, typed to confirm.
        #[arg(long, value_name = "ACCOUNT")]
        confirm: Option<String>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Remove exactly what the newest executed freeze added.
    Unfreeze {
        #[command(flatten)]
        run: RunArgs,
    },
    /// Start logging on stopped CloudTrail trails (targets: REGION/TRAIL, the trail's home
    /// region). Undo stops again only what it started.
    RestoreLogging(CounterArgs),
    /// Enable disabled GuardDuty detectors (REGION/DETECTOR_ID), and create one where the
    /// baseline's was deleted (REGION/DELETED_ID). Undo disables what it enabled.
    RestoreDetection(CounterArgs),
    /// Revoke exactly the world-open ingress rules the baseline does not list
    /// (REGION/SECURITY_GROUP_ID). Undo authorises those rules again.
    CloseIngress(CounterArgs),
    /// Disable EventBridge rules the baseline does not list (REGION/RULE, REGION/BUS/RULE off
    /// the default bus). Undo enables them.
    DisableRule(CounterArgs),
    /// Disassociate instance profiles the baseline does not associate
    /// (REGION/INSTANCE_ID/PROFILE). Undo associates them again.
    DetachProfile(CounterArgs),
    /// Disable API Gateway API keys the baseline does not list (REGION/KEY_ID). Undo enables
    /// them.
    DisableApiKey(CounterArgs),
}

/// Targets and run flags of a countermeasure: what its findings name, or all of them.
#[derive(Debug, Clone, Args)]
pub struct CounterArgs {
    /// Targets as REGION/ID, as the findings name them (`firebreak scan` shows the ids).
    #[arg(value_name = "REGION/ID", value_parser = parse_region_target)]
    pub targets: Vec<(String, String)>,
    /// Every finding this countermeasure acts on, all regions.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

/// `firebreak log ...`
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Every session journal, oldest first.
    List,
    /// One session's journal, a line per record: readable, or the records as JSON Lines.
    Show {
        session: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// One session as an incident timeline.
    Export {
        session: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Md)]
        format: ExportFormat,
    },
}

/// How `log export` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Markdown, for a post-mortem.
    Md,
    /// The journal records as one JSON document.
    Json,
}

/// Flags of `firebreak scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    #[command(flatten)]
    pub windows: WindowArgs,

    /// Exit 3 when any finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = Severity::parse)]
    pub fail_on: Option<Severity>,

    /// Say who made each finding's change, from CloudTrail's 90-day event history
    /// (LookupEvents, 2 a second per region).
    #[arg(long)]
    pub attribution: bool,
}

/// The time windows findings are judged by.
#[derive(Debug, Clone, Copy, Args)]
pub struct WindowArgs {
    /// A resource created within this is recent (e.g. 24h, 90m, 3d).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_window)]
    pub since: chrono::Duration,

    /// Without a baseline, principals and keys created within this are unknown.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_window)]
    pub unknown_window: chrono::Duration,
}

impl WindowArgs {
    pub fn windows(&self) -> Windows {
        Windows {
            since: self.since,
            unknown: self.unknown_window,
        }
    }
}

/// `firebreak baseline ...`
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan and write the current principals, keys, trusted accounts, regions and resources:
    /// a starting point to review.
    Capture {
        /// Where to write it [default: the --baseline path].
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Add the thing behind a finding to the baseline (recorded with who and when, journaled).
    Accept {
        /// The finding's id, as `scan` prints it (e.g. public_snapshot:eu-west-1:snap-0abc).
        finding_id: String,
        #[command(flatten)]
        windows: WindowArgs,
    },
    /// Print the baseline.
    Show,
    /// Scan and print what differs between the baseline and the account now.
    Diff,
}

/// How `scan` prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON document (see docs/usage.md for the schema).
    Json,
    /// A readable summary per region.
    Table,
}

/// Parses a positive duration such as `24h`, `90m` or `7d`.
pub fn parse_window(text: &str) -> Result<chrono::Duration, String> {
    let parsed = humantime::parse_duration(text)
        .map_err(|e| format!("'{text}' is not a duration like 24h, 90m or 7d: {e}"))?;
    if parsed.is_zero() {
        return Err("the duration must be more than zero".to_string());
    }
    chrono::Duration::from_std(parsed).map_err(|_| format!("'{text}' is too long"))
}

/// Parses `REGION/NAME` for a Lambda function.
pub fn parse_region_function(text: &str) -> Result<(String, String), String> {
    let (region, name) = text
        .split_once('/')
        .ok_or_else(|| format!("'{text}' must be REGION/NAME, e.g. ap-south-1/worker"))?;
    let region = parse_region(region)?;
    if name.is_empty() || name.len() > 140 {
        return Err(format!("'{name}' is not a function name"));
    }
    Ok((region, name.to_string()))
}

/// Parses `REGION/ID`.
pub fn parse_region_resource(text: &str) -> Result<(String, String), String> {
    let (region, id) = text
        .split_once('/')
        .ok_or_else(|| format!("'{text}' must be REGION/ID, e.g. eu-west-1/snap-0abc"))?;
    let region = parse_region(region)?;
    if !crate::service::request::SharedTarget::valid_id(id) {
        return Err(format!(
            "'{id}' is not a snapshot (snap-…) or AMI (ami-…) id, a bucket (s3://NAME), a database (db:ID), a DB snapshot (db-snapshot:ID), nor a function name"
        ));
    }
    Ok((region, id.to_string()))
}

/// `REGION/s3://NAME` or `REGION/db:ID`: what protect-data shields.
pub fn parse_data_target(text: &str) -> Result<(String, String), String> {
    let (region, id) = parse_region_resource(text)?;
    let target = crate::service::request::SharedTarget::from_id(&region, &id);
    match target.kind {
        crate::service::request::Shared::Bucket | crate::service::request::Shared::Database => {
            Ok((region, id))
        }
        _ => Err(format!(
            "'{id}' is not a bucket (s3://NAME) or a database (db:ID): protect-data shields those"
        )),
    }
}

/// `REGION/ID`, where the id may itself contain `/` (`i-0abc/profile`, `bus/rule`).
pub fn parse_region_target(text: &str) -> Result<(String, String), String> {
    let (region, id) = text
        .split_once('/')
        .ok_or_else(|| format!("'{text}' must be REGION/ID, e.g. us-east-1/org-trail"))?;
    let region = parse_region(region)?;
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        return Err(format!(
            "'{text}' must be REGION/ID with an id after the '/'"
        ));
    }
    Ok((region, id.to_string()))
}

fn parse_endpoint_url(text: &str) -> Result<String, String> {
    if (text.starts_with("http://") || text.starts_with("https://"))
        && text.len() > "https://".len()
    {
        Ok(text.trim_end_matches('/').to_string())
    } else {
        Err(format!("'{text}' is not an http:// or https:// URL"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("firebreak").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_open_the_tui_on_enabled_regions() {
        let cli = parse(&[]).expect("no arguments is valid");
        assert!(cli.command.is_none());
        assert_eq!(cli.global.regions, RegionSelection::Enabled);
        assert!(!cli.global.read_only);
    }

    #[test]
    fn global_flags_work_after_the_subcommand() {
        let cli = parse(&[
            "scan",
            "--format",
            "json",
            "--regions",
            "us-east-1, eu-west-1,us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:5000/",
            "--read-only",
        ])
        .expect("valid");
        assert_eq!(
            cli.global.regions,
            RegionSelection::Named(vec!["us-east-1".into(), "eu-west-1".into()])
        );
        assert_eq!(
            cli.global.endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert!(cli.global.read_only);
        match cli.command {
            Some(Command::Scan(args)) => assert_eq!(args.format, Format::Json),
            other => panic!("expected scan, got {other:?}"),
        }
    }

    #[test]
    fn windows_and_severity() {
        let cli = parse(&[
            "scan",
            "--since",
            "90m",
            "--unknown-window",
            "3d",
            "--fail-on",
            "high",
        ])
        .expect("valid");
        match cli.command {
            Some(Command::Scan(args)) => {
                assert_eq!(args.windows.since, chrono::Duration::minutes(90));
                assert_eq!(args.windows.unknown_window, chrono::Duration::days(3));
                assert_eq!(args.fail_on, Some(Severity::High));
            }
            other => panic!("expected scan, got {other:?}"),
        }
    }

    #[test]
    fn the_readme_is_a_front_door_and_every_link_in_it_and_the_docs_resolves() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
        assert!(
            readme.lines().count() <= 250,
            "README is a front door, not the reference"
        );
        for must in [
            "bash assets/gameday.sh",
            "bash tests/run.sh",
            "## Your first game day",
        ] {
            assert!(readme.contains(must), "README lacks {must:?}");
        }
        let mut pages = vec![(root.to_path_buf(), readme)];
        for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
            let path = entry.expect("entry").path();
            pages.push((
                root.join("docs"),
                std::fs::read_to_string(&path).expect("a docs page"),
            ));
        }
        let mut links = 0;
        for (base, text) in &pages {
            for (_, rest) in text.match_indices("](").map(|(i, _)| text.split_at(i + 2)) {
                let target = rest.split([')', '#']).next().unwrap_or_default();
                if target.is_empty() || target.starts_with("http") || target.contains(' ') {
                    continue;
                }
                links += 1;
                assert!(
                    base.join(target).exists(),
                    "a link to {target} from {} leads nowhere",
                    base.display()
                );
            }
        }
        assert!(links > 20, "the README links the reference: {links} links");
    }

    /// The defaults the usage reference documents for the windows (`--since`, `--unknown-window`).
    const USAGE: &str = include_str!("../../docs/usage.md");

    fn documented_windows() -> Windows {
        for documented in [
            "[--since 24h] [--unknown-window 7d]",
            "(default `24h`;",
            "(default `7d`)",
        ] {
            assert!(
                USAGE.contains(documented),
                "docs/usage.md no longer documents {documented:?}: update this test with it"
            );
        }
        Windows {
            since: chrono::Duration::hours(24),
            unknown: chrono::Duration::days(7),
        }
    }

    #[test]
    fn scan_without_flags_takes_the_documented_defaults() {
        let Some(Command::Scan(args)) = parse(&["scan"]).expect("valid").command else {
            panic!("expected scan");
        };
        assert_eq!(args.windows.windows(), documented_windows());
        assert_eq!(
            args.windows.windows(),
            Windows::default(),
            "the findings' own default is the documented one too"
        );
        assert_eq!(args.format, Format::Table);
        assert_eq!(
            args.fail_on, None,
            "no threshold: never exit 3 unless asked"
        );
        let Some(Command::Baseline(BaselineCommand::Accept { windows, .. })) =
            parse(&["baseline", "accept", "public_snapshot:eu-west-1:snap-1"])
                .expect("valid")
                .command
        else {
            panic!("expected baseline accept");
        };
        assert_eq!(windows.windows(), documented_windows());
    }

    /// The run flags of a plan command.
    fn run_args(command: Command) -> RunArgs {
        match command {
            Command::Act(
                ActCommand::DisableUser { run, .. }
                | ActCommand::DisableKey { run, .. }
                | ActCommand::DisableRole { run, .. }
                | ActCommand::ContainFunctions { run, .. }
                | ActCommand::RevertSharing { run, .. }
                | ActCommand::ProtectData { run, .. }
                | ActCommand::Freeze { run, .. }
                | ActCommand::Unfreeze { run }
                | ActCommand::RestoreLogging(CounterArgs { run, .. })
                | ActCommand::RestoreDetection(CounterArgs { run, .. })
                | ActCommand::CloseIngress(CounterArgs { run, .. })
                | ActCommand::DisableRule(CounterArgs { run, .. })
                | ActCommand::DetachProfile(CounterArgs { run, .. })
                | ActCommand::DisableApiKey(CounterArgs { run, .. }),
            )
            | Command::Undo { run, .. }
            | Command::Resume { run, .. } => run,
            other => panic!("not a plan command: {other:?}"),
        }
    }

    #[test]
    fn a_plan_without_execute_is_a_dry_run() {
        for args in [
            vec!["act", "disable-user", "mallory"],
            vec!["act", "disable-key", "AKIAEXAMPLE"],
            vec!["act", "disable-role", "app"],
            vec!["act", "contain-functions", "ap-south-1/worker", "--delete"],
            vec!["act", "revert-sharing", "eu-west-1/snap-1"],
            vec!["act", "freeze", "--confirm", "123456789012"],
            vec!["act", "unfreeze"],
            vec!["act", "restore-logging", "us-east-1/org-trail"],
            vec!["act", "restore-detection", "--all"],
            vec!["act", "close-ingress", "us-east-1/sg-0abc"],
            vec!["act", "disable-rule", "us-east-1/audit-bus/every-5"],
            vec!["act", "detach-profile", "us-east-1/i-0abc/ec2-ops"],
            vec!["act", "disable-api-key", "us-east-1/k1"],
            vec!["undo", "20261122T030405Z-1-1"],
            vec!["resume", "20261122T030405Z-1-1"],
        ] {
            let command = parse(&args).expect("valid").command.expect("a command");
            let run = run_args(command);
            assert!(!run.execute, "{args:?} must change nothing");
            assert_eq!(run.format, Format::Table, "{args:?}");
            let mut executed = args.clone();
            executed.push("--execute");
            let command = parse(&executed).expect("valid").command.expect("a command");
            assert!(run_args(command).execute, "{executed:?}");
        }
    }

    #[test]
    fn log_export_defaults_to_markdown() {
        match parse(&["log", "export", "20261122T030405Z-1"])
            .expect("valid")
            .command
        {
            Some(Command::Log(LogCommand::Export { session, format })) => {
                assert_eq!(session, "20261122T030405Z-1");
                assert_eq!(format, ExportFormat::Md);
            }
            other => panic!("expected log export, got {other:?}"),
        }
    }

    #[test]
    fn bad_flags_name_the_flag() {
        for (args, flag) in [
            (vec!["--regions", "us-east-1,mars"], "--regions"),
            (vec!["--regions", ""], "--regions"),
            (vec!["--region", "nowhere"], "--region"),
            (vec!["--endpoint-url", "localhost:5000"], "--endpoint-url"),
            (vec!["scan", "--format", "xml"], "--format"),
            (vec!["scan", "--fail-on", "severe"], "--fail-on"),
            (vec!["scan", "--since", "yesterday"], "--since"),
            (vec!["scan", "--unknown-window", "0s"], "--unknown-window"),
            (vec!["baseline", "accept"], "FINDING_ID"),
            (vec!["act", "disable-user"], "USER"),
            (vec!["act", "disable-role"], "ROLE"),
            (vec!["act", "disable-key"], "KEY_ID"),
            (vec!["act", "revert-sharing", "snap-1"], "REGION/ID"),
            (
                vec!["act", "revert-sharing", "eu-west-1/vol:1"],
                "REGION/ID",
            ),
        ] {
            let err = parse(&args).expect_err("must be rejected");
            let shown = err.to_string();
            assert!(shown.contains(flag), "{args:?}: {shown}");
        }
    }
}
