//! Crash safety: the real binary, containing many functions in many regions through a slow
//! proxy, killed with SIGKILL at random moments. After every kill: every journal parses, every
//! mutating request that reached the emulator had its intent journaled before it arrived, the
//! next start names the interrupted action, and `resume` finishes it. Trials and size come from
//! `FIREBREAK_CRASH_TRIALS` and `FIREBREAK_CRASH_FUNCTIONS` (`assets/crash/run.sh` runs 50).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use firebreak_core::journal::{self, Entry};
use firebreak_core::playbook::plan::Playbook;
use firebreak_core::playbook::undo::{find_action, unfinished};

use crate::playbooks::{reserved, run};
use crate::support::fault_proxy::{FaultProxy, Faults, Seen};
use crate::support::witness;
use crate::support::{ACCOUNT, TestBed};

const REGIONS: [&str; 6] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-south-1",
    "sa-east-1",
];

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every function's reserved concurrency, read straight from the emulator.
async fn throttled(bed: &TestBed, targets: &[(String, String)]) -> usize {
    let mut count = 0;
    for (region, name) in targets {
        if reserved(bed, region, name).await == Some(0) {
            count += 1;
        }
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_every_journal_parses_every_call_had_its_intent_and_resume_finishes()
 {
    let trials = setting("FIREBREAK_CRASH_TRIALS", 20);
    let functions = setting("FIREBREAK_CRASH_FUNCTIONS", 36);
    let bed = TestBed::start();
    let seed = bed.seeder();
    let responder = seed.user_with_secret("responder").await;
    let role = seed.lambda_role("lambda-exec").await;
    let targets: Vec<(String, String)> = (0..functions)
        .map(|i| {
            (
                REGIONS[i % REGIONS.len()].to_string(),
                format!("worker-{i:03}"),
            )
        })
        .collect();
    for (region, name) in &targets {
        seed.function(region, name, &role).await;
    }
    let data: PathBuf = bed.dir.path().join("data");
    let proxy = FaultProxy::faulty(
        bed.moto_address(),
        Faults::slow(Duration::from_millis(10)),
        Some(witness::open_intent(data.clone())),
    )
    .await;
    let endpoint = proxy.endpoint();
    let regions = REGIONS.join(",");
    let target_args: Vec<String> = targets.iter().map(|(r, n)| format!("{r}/{n}")).collect();
    let mut contain: Vec<&str> = vec!["--regions", &regions, "act", "contain-functions"];
    contain.extend(target_args.iter().map(String::as_str));
    contain.push("--execute");

    let undo_all = |action: &str| {
        let output = run(
            &bed,
            &endpoint,
            &responder,
            &["--regions", &regions, "undo", action, "--execute"],
        );
        assert!(
            output.status.success(),
            "undo {action}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let latest_action = || -> Option<String> {
        let logs = journal::read_all(&data).expect("journals parse");
        logs.iter()
            .flat_map(|l| &l.records)
            .filter_map(|r| match &r.entry {
                Entry::PlanShown { plan }
                    if matches!(plan.playbook, Playbook::ContainFunctions { .. }) =>
                {
                    Some(plan.action_id.clone())
                }
                _ => None,
            })
            .next_back()
    };

    // One whole run, timed: the kills are spread over that long. Then undone.
    let started = Instant::now();
    let whole = run(&bed, &endpoint, &responder, &contain);
    let duration = started.elapsed();
    assert!(whole.status.success(), "{whole:?}");
    assert_eq!(throttled(&bed, &targets).await, functions);
    undo_all(&latest_action().expect("the whole run's action"));
    assert_eq!(throttled(&bed, &targets).await, 0);

    let random_seed = std::env::var("FIREBREAK_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!(
        "crash trials: {trials}, functions: {functions}, whole run {duration:?}, seed {random_seed}"
    );
    let mut rng = fastrand::Rng::with_seed(random_seed);
    let (mut resumed, mut torn) = (0, 0);
    for trial in 1..=trials {
        let before = latest_action();
        let mut child = bed
            .firebreak_as(&endpoint, &responder.0, &responder.1)
            .args(&contain)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start firebreak");
        let at = duration.mul_f64(0.05 + 0.9 * rng.f64());
        tokio::time::sleep(at).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");

        let logs = journal::read_all(&data)
            .unwrap_or_else(|e| panic!("trial {trial} (killed at {at:?}): {e}"));
        torn += logs.iter().filter(|l| l.truncated_line.is_some()).count();
        let unwitnessed: Vec<Seen> = proxy
            .seen()
            .into_iter()
            .filter(|s| s.is_mutating() && s.witnessed != Some(true))
            .collect();
        assert!(
            unwitnessed.is_empty(),
            "trial {trial}: mutating requests arrived before their intent: {unwitnessed:#?}"
        );
        let action = latest_action().filter(|a| Some(a) != before.as_ref());
        if let Some(left) = unfinished(&logs, ACCOUNT).first() {
            // The next start says so, and resume finishes it.
            let id = left.plan.action_id.clone();
            let noticed = run(
                &bed,
                &endpoint,
                &responder,
                &["--regions", "us-east-1", "act", "disable-user", "nobody"],
            );
            let stderr = String::from_utf8_lossy(&noticed.stderr);
            assert!(
                stderr.contains(&format!("action {id}"))
                    && stderr.contains(&format!("firebreak resume {id} --execute")),
                "trial {trial}: the interrupted action is not named: {stderr}"
            );
            let finished = run(
                &bed,
                &endpoint,
                &responder,
                &["--regions", &regions, "resume", &id, "--execute"],
            );
            assert!(
                finished.status.success(),
                "trial {trial}: resume {id}: {}",
                String::from_utf8_lossy(&finished.stderr)
            );
            assert!(
                unfinished(&journal::read_all(&data).expect("journals"), ACCOUNT).is_empty(),
                "trial {trial}: still unfinished after resume"
            );
            resumed += 1;
        }
        // Whether anything of the action was sent, by the killed run or by resume.
        let sent = action.as_ref().is_some_and(|a| {
            find_action(&journal::read_all(&data).expect("journals"), a).is_some_and(|a| a.sent)
        });
        if sent {
            assert_eq!(
                throttled(&bed, &targets).await,
                functions,
                "trial {trial}: not every function is throttled once the action finished"
            );
            undo_all(action.as_deref().expect("action"));
        }
        assert_eq!(
            throttled(&bed, &targets).await,
            0,
            "trial {trial}: undo; action {action:?} (before {before:?}), sent {sent}; sessions {:#?}",
            logs.iter()
                .map(|l| (&l.session, l.live, l.records.len()))
                .collect::<Vec<_>>()
        );
    }
    let witnessed = proxy
        .seen()
        .iter()
        .filter(|s| s.witnessed == Some(true))
        .count();
    assert!(
        witnessed >= functions * 2,
        "the witness checked too few mutating requests ({witnessed}): the test did not test it"
    );
    eprintln!(
        "crash trials: {resumed} resumed, {torn} torn last lines skipped, {witnessed} mutating requests witnessed"
    );
    assert!(
        resumed * 2 >= trials,
        "most kills should land mid-action: only {resumed} of {trials} did"
    );
}
