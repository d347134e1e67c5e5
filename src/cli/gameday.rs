//! `firebreak gameday …`: the game-day front end. Starts a private emulator when no endpoint is
//! given, detonates through the gate, opens the cockpit on the run (or prints it), scores from
//! the journals and a scan, and cleans up by tag.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;

use crate::aws::sandbox;
use crate::cli::error::CliError;
use crate::cli::report::print;
use crate::cli::{EXIT_PARTIAL, Format, GamedayCommand, GlobalArgs, ScoreFormat};
use crate::emulator::Emulator;
use crate::gameday::blueprint;
use crate::gameday::detonate::Detonator;
use crate::gameday::gate;
use crate::gameday::record::{self, RunRecord, Server};
use crate::gameday::scenario;
use crate::gameday::score::{self, Scorecard};
use crate::service::error::ServiceError;
use crate::service::session::{Session, scan_to_end};
use firebreak_core::baseline;
use firebreak_core::config;
use firebreak_core::journal;

/// Runs a `gameday` subcommand.
pub async fn gameday(global: &GlobalArgs, command: GamedayCommand) -> Result<ExitCode, CliError> {
    match command {
        GamedayCommand::Run {
            scenario,
            seed,
            no_tui,
            sandbox,
            confirm,
            format,
        } => {
            let options = RunOptions {
                scenario,
                seed,
                no_tui,
                sandbox,
                confirm,
                format,
            };
            run(global, options).await
        }
        GamedayCommand::Score { run_id, format } => score_command(global, run_id, format).await,
        GamedayCommand::Cleanup { run_id, confirm } => {
            cleanup(global, run_id.as_deref(), confirm.as_deref()).await
        }
        GamedayCommand::List => list(global),
    }
}

struct RunOptions {
    scenario: String,
    seed: Option<u64>,
    no_tui: bool,
    sandbox: bool,
    confirm: Option<String>,
    format: Format,
}

/// Where the project's virtualenv may be: the working directory, and the source checkout the
/// binary was built from.
fn project_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    dirs
}

fn start_emulator() -> Result<Emulator, CliError> {
    let dirs = project_dirs();
    let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    Ok(Emulator::start(&Emulator::locate(&dirs)?)?)
}

fn data_dir(global: &GlobalArgs) -> Result<PathBuf, CliError> {
    global
        .data_dir
        .clone()
        .or_else(config::default_data_dir)
        .ok_or(
            ServiceError::NoPath {
                what: "data dir",
                hint: "pass --data-dir PATH",
            }
            .into(),
        )
}

fn say(line: &str) {
    eprintln!("  {line}");
}

async fn run(global: &GlobalArgs, options: RunOptions) -> Result<ExitCode, CliError> {
    let scenario = scenario::load(&options.scenario)?;
    let seed = options.seed.unwrap_or_else(|| fastrand::u64(1..1_000_000));
    let settings = config::load(global.config.as_deref())?;
    let read_only = global.read_only || settings.read_only;
    let given_endpoint = global
        .endpoint_url
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
    if options.sandbox && given_endpoint.is_some() {
        return Err(CliError::Gameday(
            "--sandbox detonates into the account your credentials reach: it cannot go with --endpoint-url or AWS_ENDPOINT_URL".to_string(),
        ));
    }
    let private = given_endpoint.is_none() && !options.sandbox;
    // Everything that needs no AWS call is checked before a server is started.
    let planned_endpoint = if private {
        Some("http://127.0.0.1")
    } else {
        given_endpoint.as_deref()
    };
    let loopback = gate::precheck(
        "detonate a game day",
        read_only,
        planned_endpoint,
        &settings.sandbox_accounts,
    )?;
    let parties = &settings.gameday;
    if !loopback && (parties.partner_account.is_none() || parties.outside_account.is_none()) {
        return Err(CliError::Gameday(
            "off the emulator a game day trusts and shares with a partner account and opens things to an outside one: name two accounts you own as [gameday] partner_account and outside_account in the config file (a made-up id could be a stranger's real account)".to_string(),
        ));
    }
    let emulator = if private {
        eprintln!("starting a private moto_server…");
        Some(start_emulator()?)
    } else {
        None
    };
    let mut session_options = global.session_options();
    // The endpoint the gate judged is set in code, where it beats any per-service endpoint
    // (AWS_ENDPOINT_URL_IAM, a profile's services section) that could send calls elsewhere.
    session_options.endpoint_url = match &emulator {
        Some(emulator) => Some(emulator.endpoint()),
        None => given_endpoint,
    };
    session_options.emulator = private;
    let mut session = Session::open(&session_options).await?;
    let (identity, _) = session.ctx.identity().await?;
    let pass = gate::open(
        "detonate a game day",
        session.read_only,
        session.endpoint.as_deref(),
        &session.sandbox_accounts,
        &identity.id,
        options.confirm.as_deref(),
    )?;
    let data_dir = session.data_dir()?.to_path_buf();
    // The regions of this partition (an emulator lists every partition's).
    let enabled: Vec<String> = session
        .ctx
        .regions()
        .await?
        .into_iter()
        .filter(|r| r.enabled)
        .map(|r| r.name)
        .collect();
    let blueprint = blueprint::expand(
        &scenario,
        seed,
        &enabled,
        &identity.id,
        blueprint::Parties {
            partner: parties.partner_account.as_deref(),
            outsider: parties.outside_account.as_deref(),
            partition: Some(session.ctx.partition()),
        },
    )
    .map_err(CliError::Gameday)?;
    gate::refuse_public_trust("detonate a game day", loopback, &blueprint)?;
    // Cleanup looks wherever the run may have put something.
    let mut regions: BTreeSet<String> = enabled.into_iter().collect();
    regions.extend(blueprint.regions());
    let now = Utc::now();
    let run_id = record::run_id(&scenario.name, seed, now);
    let run_dir = record::runs_dir(&data_dir).join(&run_id);
    let fresh = RunRecord {
        run_id: run_id.clone(),
        scenario: scenario.name.clone(),
        seed,
        account: identity.id.clone(),
        endpoint: session.endpoint.clone(),
        private_emulator: private,
        created: now,
        attack_started: None,
        detonated: None,
        baseline: run_dir.join("baseline.toml"),
        regions: regions.into_iter().collect(),
        blueprint,
        steps: Vec::new(),
        indicators: Vec::new(),
        damage: Vec::new(),
        cleaned: None,
        server: None,
    };
    eprintln!(
        "game day {run_id}: {} (seed {seed}) into account {}",
        scenario.name, identity.id
    );
    let mut detonator = Detonator::start(&session.ctx, &pass, &data_dir, fresh, &say)?;
    eprintln!("peacetime estate:");
    if let Err(error) = detonator.estate().await {
        return Err(left_behind(error, detonator.record(), &data_dir));
    }
    let baseline_path = detonator.record().baseline.clone();
    session.baseline_path = Some(baseline_path.clone());
    session.baseline_explicit = true;
    let scanned = scan_to_end(&session).await?;
    let captured = baseline::capture(&scanned.state.inventory, &scanned.identity, Utc::now());
    baseline::save(&captured, &baseline_path)?;
    say(&format!(
        "captured the baseline: {} users, {} roles, {} regions in use",
        captured.principals.users.len(),
        captured.principals.roles.len(),
        captured.regions_in_use.len()
    ));
    eprintln!("attack:");
    if let Err(error) = detonator.attack().await {
        return Err(left_behind(error, detonator.record(), &data_dir));
    }
    let mut record = detonator.into_record();

    if options.no_tui {
        if let Some(emulator) = emulator {
            let endpoint = emulator.endpoint();
            let (pid, _) = emulator.leave_running();
            record.server = Some(Server { pid, endpoint });
            record.save(&data_dir)?;
        }
        let text = match options.format {
            Format::Json => serde_json::to_string_pretty(&record)? + "\n",
            Format::Table => run_table(&record, &data_dir),
        };
        print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::tui::run_gameday(session.clone(), record.clone())
        .await
        .map_err(CliError::Terminal)?;
    let card = score_now(&session, &record, &data_dir).await?;
    print(&card.table())?;
    let written = scorecard_path(&data_dir, &record.run_id, "{md,json}");
    let data = format!("--data-dir {}", data_dir.display());
    if emulator.is_some() {
        // The private emulator stops here, with everything in it.
        eprintln!(
            "scorecard written to {}\nthe private emulator stops now, with everything the run made: `firebreak {data} gameday score {}` shows this scorecard again",
            written.display(),
            record.run_id
        );
    } else {
        eprintln!(
            "scorecard written to {}\nscore again (a fresh scan): `firebreak {data} gameday score {}`; remove what the run made: `firebreak {data} gameday cleanup {}`",
            written.display(),
            record.run_id,
            record.run_id
        );
    }
    drop(emulator);
    Ok(ExitCode::SUCCESS)
}

/// Where a run's scorecard is written, as `extension` (`md`, `json`).
fn scorecard_path(data_dir: &Path, run_id: &str, extension: &str) -> PathBuf {
    data_dir
        .join("journal")
        .join(format!("{run_id}.scorecard.{extension}"))
}

/// Why a run's private emulator cannot be reached any more, when it cannot and no other endpoint
/// is given: said at once, instead of after the SDK's connect retries. A run with the cockpit
/// stopped its emulator at `q`; one left running (`--no-tui`) is gone when nothing listens on its
/// port.
async fn emulator_gone(global: &GlobalArgs, record: &RunRecord) -> Option<String> {
    if !record.private_emulator || global.endpoint_url.is_some() {
        return None;
    }
    match &record.server {
        None => Some(format!(
            "run {} ran on its private emulator, which stopped when the run ended, with everything the run made",
            record.run_id
        )),
        Some(server) => (!crate::emulator::listening(
            &server.endpoint,
            std::time::Duration::from_secs(2),
        )
        .await)
            .then(|| {
                format!(
                    "run {} ran on its private emulator (moto_server pid {}, {}), which no longer answers: everything the run made went with it",
                    record.run_id, server.pid, server.endpoint
                )
            }),
    }
}

/// A detonation that failed part-way: the error, what the run had made by then (its record
/// keeps every step done), and how to remove it.
fn left_behind(
    error: crate::gameday::detonate::DetonateError,
    record: &RunRecord,
    data_dir: &Path,
) -> CliError {
    let done: Vec<&str> = record.steps.iter().map(|s| s.what.as_str()).collect();
    let made = if done.is_empty() {
        "no step had finished".to_string()
    } else {
        format!("it made: {}", done.join("; "))
    };
    let remedy = if record.private_emulator {
        "it ran on its private emulator, which stops now with everything in it: nothing to clean up"
            .to_string()
    } else {
        let (flags, confirm) = match &record.endpoint {
            Some(endpoint) => (format!("--endpoint-url {endpoint} "), String::new()),
            None => (String::new(), format!(" --confirm {}", record.account)),
        };
        format!(
            "everything it made is tagged {}={}; remove it with: firebreak {flags}--data-dir {} gameday cleanup {}{confirm}",
            sandbox::GAMEDAY_TAG,
            record.run_id,
            data_dir.display(),
            record.run_id
        )
    };
    CliError::Gameday(format!(
        "game day {} failed: {error}\n{made}\n{remedy}",
        record.run_id
    ))
}

/// What `gameday run --no-tui` prints.
fn run_table(record: &RunRecord, data_dir: &Path) -> String {
    let mut out = format!(
        "game day {}: {} (seed {}), account {}\n",
        record.run_id, record.scenario, record.seed, record.account
    );
    let endpoint = record.endpoint.as_deref().unwrap_or("real AWS");
    match &record.server {
        Some(server) => out.push_str(&format!(
            "endpoint {endpoint} (moto_server pid {}, left running: stop it with `kill {}`)\n",
            server.pid, server.pid
        )),
        None => out.push_str(&format!("endpoint {endpoint}\n")),
    }
    out.push_str(&format!("baseline {}\n", record.baseline.display()));
    out.push_str(&format!(
        "estate regions {}; attack started {}\n\nINDICATORS — contain each:\n",
        record.blueprint.estate_regions.join(", "),
        record
            .attack_started
            .map_or_else(|| "–".to_string(), |t| t.format("%H:%M:%SZ").to_string())
    ));
    for indicator in &record.indicators {
        out.push_str(&format!(
            "  {:<18} {}\n",
            indicator.contain.as_str(),
            indicator.summary
        ));
    }
    for damage in &record.damage {
        out.push_str(&format!("DAMAGE  {}\n", damage.summary));
    }
    let flags = match &record.endpoint {
        Some(endpoint) => format!("--endpoint-url {endpoint} "),
        None => String::new(),
    };
    let data = format!("--data-dir {} ", data_dir.display());
    out.push_str(&format!(
        "\nrespond:  firebreak {flags}{data}--baseline {}\nscore:    firebreak {flags}{data}gameday score {}\ncleanup:  firebreak {flags}{data}gameday cleanup {}\n",
        record.baseline.display(),
        record.run_id,
        record.run_id
    ));
    if record.private_emulator {
        out.push_str("(the private emulator accepts any credentials: AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x)\n");
    }
    out
}

/// A session on the run's endpoint (unless one is given) with the run's baseline. The
/// endpoint is set in code, so no per-service setting can send the calls elsewhere.
async fn run_session(global: &GlobalArgs, record: &RunRecord) -> Result<Session, CliError> {
    let mut options = global.session_options();
    if options.endpoint_url.is_none() {
        if record.endpoint.is_none() && std::env::var_os("AWS_ENDPOINT_URL").is_some() {
            return Err(CliError::Gameday(format!(
                "run {} was detonated into real AWS, but AWS_ENDPOINT_URL points elsewhere: unset it, or pass --endpoint-url",
                record.run_id
            )));
        }
        options.endpoint_url.clone_from(&record.endpoint);
        options.emulator = record.private_emulator;
    }
    if options.baseline.is_none() && record.baseline.exists() {
        options.baseline = Some(record.baseline.clone());
    }
    Ok(Session::open(&options).await?)
}

/// Scans the account now and scores `record` from every journal; writes the scorecard as JSON
/// and Markdown beside the journals.
async fn score_now(
    session: &Session,
    record: &RunRecord,
    data_dir: &Path,
) -> Result<Scorecard, CliError> {
    let scanned = scan_to_end(session).await?;
    let logs = journal::read_all(data_dir)?;
    let state = &scanned.state;
    // Where the scan could not read, an indicator's absence proves nothing.
    let unread: BTreeSet<String> = std::iter::once(&state.global)
        .chain(&state.regions)
        .filter(|r| !r.errors.is_empty() || !r.failed_listings.is_empty())
        .map(|r| r.name.clone())
        .collect();
    let until = record::next_run_started(data_dir, record)?;
    let card = score::score(
        record,
        &logs,
        &score::Now {
            inventory: &state.inventory,
            unread: &unread,
            partial: state.is_partial(),
            until,
            at: Utc::now(),
        },
    );
    let folder = data_dir.join("journal");
    firebreak_core::files::create_private_dir(&folder)
        .map_err(|e| CliError::Gameday(e.to_string()))?;
    let json = serde_json::to_vec_pretty(&card)?;
    for (extension, body) in [("json", json), ("md", card.markdown().into_bytes())] {
        let path = folder.join(format!("{}.scorecard.{extension}", record.run_id));
        firebreak_core::files::write_private(&path, &body)
            .map_err(|e| CliError::Gameday(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(card)
}

async fn score_command(
    global: &GlobalArgs,
    run_id: Option<String>,
    format: ScoreFormat,
) -> Result<ExitCode, CliError> {
    let data_dir = data_dir(global)?;
    let record = RunRecord::load(&data_dir, run_id.as_deref())?;
    if let Some(cleaned) = record.cleaned {
        return Err(CliError::Gameday(format!(
            "run {} was cleaned up at {}: there is nothing left to score (an empty account would look contained); its last scorecard is {}",
            record.run_id,
            cleaned.format("%Y-%m-%d %H:%M:%SZ"),
            scorecard_path(&data_dir, &record.run_id, "md").display()
        )));
    }
    let card = match emulator_gone(global, &record).await {
        // What still works: the scorecard written when the run ended.
        Some(gone) => {
            let path = scorecard_path(&data_dir, &record.run_id, "json");
            let card: Scorecard = match std::fs::read(&path) {
                Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                    CliError::Gameday(format!(
                        "{gone}; its scorecard {} is unreadable: {e}",
                        path.display()
                    ))
                })?,
                Err(_) => {
                    return Err(CliError::Gameday(format!(
                        "{gone}; there is nothing left to score, and no scorecard was written ({} is absent: the run did not end normally)",
                        path.display()
                    )));
                }
            };
            eprintln!(
                "{gone}: this is its scorecard as written when it ended ({})",
                path.display()
            );
            card
        }
        None => {
            let session = run_session(global, &record).await?;
            score_now(&session, &record, &data_dir).await?
        }
    };
    let text = match format {
        ScoreFormat::Table => card.table(),
        ScoreFormat::Json => serde_json::to_string_pretty(&card)? + "\n",
        ScoreFormat::Md => card.markdown(),
    };
    print(&text)?;
    Ok(if card.partial {
        ExitCode::from(EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

async fn cleanup(
    global: &GlobalArgs,
    run_id: Option<&str>,
    confirm: Option<&str>,
) -> Result<ExitCode, CliError> {
    let data_dir = data_dir(global)?;
    let mut record = RunRecord::load(&data_dir, run_id)?;
    if let Some(gone) = emulator_gone(global, &record).await {
        print(&format!("nothing to clean up: {gone}\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let session = run_session(global, &record).await?;
    let (identity, _) = session.ctx.identity().await?;
    if identity.id != record.account {
        return Err(CliError::Gameday(format!(
            "run {} was detonated into account {}, these credentials reach {}",
            record.run_id, record.account, identity.id
        )));
    }
    let pass = gate::open(
        "clean up a game day",
        session.read_only,
        session.endpoint.as_deref(),
        &session.sandbox_accounts,
        &identity.id,
        confirm,
    )?;
    let ctx = &session.ctx;
    let found = sandbox::tagged(ctx, &record.regions, &record.run_id).await?;
    eprintln!(
        "removing {} resources tagged {}={}",
        found.count(),
        sandbox::GAMEDAY_TAG,
        record.run_id
    );
    for (region, id) in &found.instances {
        sandbox::terminate_instance(ctx, &pass, region, id).await?;
        say(&format!("terminated instance {region}/{id}"));
    }
    for (region, id) in &found.images {
        sandbox::deregister_image(ctx, &pass, region, id).await?;
        say(&format!("deregistered AMI {region}/{id}"));
    }
    for (region, id) in &found.snapshots {
        sandbox::delete_snapshot(ctx, &pass, region, id).await?;
        say(&format!("deleted snapshot {region}/{id}"));
    }
    for (region, id) in &found.volumes {
        sandbox::delete_volume(ctx, &pass, region, id).await?;
        say(&format!("deleted volume {region}/{id}"));
    }
    for (region, id) in &found.db_snapshots {
        sandbox::delete_db_snapshot(ctx, &pass, region, id).await?;
        say(&format!("deleted DB snapshot {region}/{id}"));
    }
    for (region, name) in &found.databases {
        sandbox::delete_database(ctx, &pass, region, name).await?;
        say(&format!("deleted DB instance {region}/{name}"));
    }
    for (region, name) in &found.buckets {
        sandbox::delete_bucket(ctx, &pass, region, name).await?;
        say(&format!("deleted bucket {region}/{name}"));
    }
    for (region, name) in &found.functions {
        sandbox::delete_function(ctx, &pass, region, name).await?;
        say(&format!("deleted function {region}/{name}"));
    }
    for name in &found.roles {
        sandbox::delete_role(ctx, &pass, name).await?;
        say(&format!("deleted role {name}"));
    }
    for name in &found.users {
        sandbox::delete_user(ctx, &pass, name).await?;
        say(&format!("deleted user {name}"));
    }
    let left = sandbox::tagged(ctx, &record.regions, &record.run_id).await?;
    record.cleaned = Some(Utc::now());
    record.save(&data_dir)?;
    let mut text = format!(
        "cleaned up game day {}: {} resources removed, {} left\n",
        record.run_id,
        found.count(),
        left.count()
    );
    if let Some(server) = &record.server {
        text.push_str(&format!(
            "the moto_server it started (pid {}, {}) is still running: stop it with `kill {}`\n",
            server.pid, server.endpoint, server.pid
        ));
    }
    print(&text)?;
    if left.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(CliError::Gameday(format!(
            "{} resources tagged with the run id are still there: {left:?}",
            left.count()
        )))
    }
}

fn list(global: &GlobalArgs) -> Result<ExitCode, CliError> {
    let mut text = String::from("scenarios:\n");
    for name in scenario::built_in_names() {
        let summary = scenario::load(name).map(|s| s.summary)?;
        text.push_str(&format!("  {name:<22} {summary}\n"));
    }
    let data_dir = data_dir(global)?;
    let runs = record::runs_dir(&data_dir);
    let mut ids: Vec<String> = std::fs::read_dir(&runs)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    text.push_str(&format!("runs in {}:\n", runs.display()));
    if ids.is_empty() {
        text.push_str("  none\n");
    }
    for id in ids {
        let state = match RunRecord::load(&data_dir, Some(&id)) {
            Ok(r) if r.cleaned.is_some() => "cleaned up".to_string(),
            Ok(r) if r.detonated.is_some() => format!("{} indicators", r.indicators.len()),
            Ok(_) => "detonation did not finish: clean it up".to_string(),
            Err(e) => e.to_string(),
        };
        text.push_str(&format!("  {id:<44} {state}\n"));
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gameday::detonate::DetonateError;
    use crate::gameday::record::StepDone;

    #[test]
    fn a_run_that_failed_says_what_it_left_and_how_to_remove_it() {
        let scenario = scenario::load("console-takeover").expect("scenario");
        let blueprint = blueprint::expand(
            &scenario,
            1,
            &["us-east-1".into(), "eu-west-1".into()],
            "123456789012",
            blueprint::Parties::default(),
        )
        .expect("blueprint");
        let mut record = RunRecord {
            run_id: "leaked-1".into(),
            scenario: scenario.name.clone(),
            seed: 1,
            account: "123456789012".into(),
            endpoint: None,
            private_emulator: false,
            created: Utc::now(),
            attack_started: None,
            detonated: None,
            baseline: PathBuf::from("b.toml"),
            regions: Vec::new(),
            blueprint,
            steps: vec![StepDone {
                id: "estate-role".into(),
                at: Utc::now(),
                what: "created role app-runner".into(),
            }],
            indicators: Vec::new(),
            damage: Vec::new(),
            cleaned: None,
            server: None,
        };
        let failed = || DetonateError::Step {
            step: "rogue-functions".into(),
            message: "Uploaded file must be a non-empty zip".into(),
        };
        let said = left_behind(failed(), &record, Path::new("/data")).to_string();
        for expected in [
            "game day leaked-1 failed",
            "non-empty zip",
            "created role app-runner",
            "firebreak:gameday=leaked-1",
            "firebreak --data-dir /data gameday cleanup leaked-1 --confirm 123456789012",
        ] {
            assert!(said.contains(expected), "{expected} not in: {said}");
        }
        record.private_emulator = true;
        record.endpoint = Some("http://127.0.0.1:5000".into());
        let said = left_behind(failed(), &record, Path::new("/data")).to_string();
        assert!(said.contains("nothing to clean up"), "{said}");
    }
}
