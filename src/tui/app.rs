//! The event loop: owns the terminal, the state and the channels; runs effects as tasks. Every
//! AWS call and journal write happens here, in workers, through the services the CLI uses.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use super::msg::{Effect, Msg};
use super::state::{GameDay, State};
use super::update::update;
use super::{keymap, view};
use crate::gameday::record::RunRecord;
use crate::scanner;
use crate::service::attribution::attribute;
use crate::service::error::ServiceError;
use crate::service::responder::Responder;
use crate::service::session::{Session, evaluate};
use firebreak_core::baseline::Baseline;
use firebreak_core::findings::Windows;
use firebreak_core::journal::Entry;
use firebreak_core::model::Identity;
use firebreak_core::model::finding::Finding;
use firebreak_core::scan::{RegionSelection, ScanEvent, ScanState};

/// Runs the cockpit until the user quits. The terminal is restored on return and on panic.
pub async fn run(session: Session) -> std::io::Result<()> {
    run_with(session, None).await
}

/// The cockpit on a game day: its clock and indicators in the header; every judged scan and
/// the keystrokes at quit are journaled, so the scorecard can tell when each was first seen.
pub async fn run_gameday(session: Session, run: RunRecord) -> std::io::Result<()> {
    let day = GameDay::new(
        run.run_id.clone(),
        run.scenario.clone(),
        run.attack_started.unwrap_or(run.created),
        run.indicators.clone(),
    );
    run_with(session, Some(day)).await
}

async fn run_with(session: Session, gameday: Option<GameDay>) -> std::io::Result<()> {
    // try_init installs a panic hook that restores the terminal before the panic is reported.
    let mut terminal = ratatui::try_init()?;
    // A panic in any task ends the cockpit: a worker's panic would otherwise leave the loop
    // drawing on a restored terminal. Nothing is lost: every journal record is on disk, and
    // the next start offers to finish an action that was running.
    let restore_and_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // No frame may be drawn over the restored terminal: a worker panics while the loop
        // draws. Held until the process ends.
        let _screen = hold_screen();
        // ratatui's restore leaves raw mode and the alternate screen, but the cursor the
        // terminal hid while drawing is shown only when the terminal is dropped, which a panic
        // never reaches. Nothing more can be done if it fails: the panic is being reported.
        let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
        restore_and_report(info);
        // A game day's private emulator would outlive the process: no destructor runs now.
        crate::emulator::stop_all();
        std::process::exit(101);
    }));
    let result = event_loop(&mut terminal, session, gameday).await;
    ratatui::restore();
    result
}

/// Held while a frame is drawn, and by the panic hook from the moment it starts.
static SCREEN: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    /// Whether this thread is drawing a frame (holds `SCREEN`).
    static DRAWING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Draws one frame while holding `SCREEN`.
fn draw(terminal: &mut DefaultTerminal, state: &State) -> std::io::Result<()> {
    let _frame = SCREEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    DRAWING.set(true);
    let drawn = terminal.draw(|frame| view::render(frame, state));
    DRAWING.set(false);
    drawn.map(|_| ())
}

/// For the panic hook: `SCREEN`, once a frame another thread is drawing is done, so no frame
/// follows the restore. None when this thread panicked while drawing (it holds it already),
/// or after a second: a terminal that stopped reading must not keep the process from ending.
fn hold_screen() -> Option<std::sync::MutexGuard<'static, ()>> {
    if DRAWING.get() {
        return None;
    }
    for _ in 0..100 {
        match SCREEN.try_lock() {
            Ok(screen) => return Some(screen),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    None
}

/// What the workers share: the responder (the session, the caller read once, this session's
/// journal opened at first use) and the way back to the loop.
#[derive(Clone)]
struct Workers {
    responder: Responder,
    results: mpsc::UnboundedSender<Msg>,
    /// A game day: every judged scan is journaled.
    gameday: bool,
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    session: Session,
    gameday: Option<GameDay>,
) -> std::io::Result<()> {
    let mut terminal_events = crossterm::event::EventStream::new();
    let (results, mut worker_results) = mpsc::unbounded_channel();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut state = State::new(session.keys.clone(), session.read_only, Utc::now());
    state.profile = session.profile.clone();
    state.endpoint = session.endpoint.clone();
    state.break_glass = session.break_glass.clone();
    let workers = Workers {
        responder: Responder::new(session),
        results,
        gameday: gameday.is_some(),
    };
    state.gameday = gameday;
    perform(Effect::FindUnfinished, &workers);
    let mut pending = vec![Msg::Command(firebreak_core::bindings::Command::Rescan)];
    loop {
        for action in pending.drain(..) {
            for effect in update(&mut state, action) {
                perform(effect, &workers);
            }
        }
        if state.should_quit {
            if workers.gameday {
                journal_keystrokes(&workers, state.keystrokes).await;
            }
            return Ok(());
        }
        draw(terminal, &state)?;
        // Keys first: a key pressed as freeze's countdown ends must still cancel it.
        let action = tokio::select! {
            biased;
            event = terminal_events.next() => match event {
                Some(Ok(event)) => {
                    #[cfg(debug_assertions)]
                    deliberate_panic::on_event(&event);
                    if matches!(&event, crossterm::event::Event::Key(key) if key.kind == crossterm::event::KeyEventKind::Press) {
                        pending.push(Msg::Keystroke);
                    }
                    match keymap::action_for(&state, &event) {
                        Some(action) => action,
                        None => continue,
                    }
                }
                Some(Err(err)) => return Err(err),
                None => Msg::Interrupt,
            },
            Some(action) = worker_results.recv() => action,
            _ = tick.tick() => Msg::Tick(Utc::now()),
        };
        pending.push(action);
    }
}

/// Journals a game day's keystrokes as the cockpit closes. The scorecard only counts them:
/// a journal that cannot be written here loses nothing else.
async fn journal_keystrokes(workers: &Workers, keystrokes: u64) {
    let journaled = async {
        let journal = workers.responder.journal().await?;
        journal.record(Entry::CockpitClosed { keystrokes })?;
        Ok::<(), ServiceError>(())
    };
    if let Err(error) = journaled.await {
        eprintln!("firebreak: warning: the keystrokes were not journaled: {error}");
    }
}

impl Workers {
    fn session(&self) -> &Session {
        self.responder.session()
    }

    fn send(&self, action: Msg) {
        // The loop may have quit meanwhile.
        let _ = self.results.send(action);
    }
}

fn perform(effect: Effect, workers: &Workers) {
    let workers = workers.clone();
    match effect {
        Effect::StartScan {
            generation,
            only,
            base,
        } => {
            let mut options = workers.session().scan.clone();
            if let Some(regions) = only {
                options.regions = RegionSelection::Named(regions);
            }
            let events = scanner::spawn(workers.session().ctx.clone(), options);
            tokio::spawn(scan_worker(workers, generation, events, base));
        }
        Effect::Prepare { ticket, requests } => {
            tokio::spawn(async move {
                let plan = workers
                    .responder
                    .plan(&requests)
                    .await
                    .map_err(|e| e.to_string());
                workers.send(Msg::Planned {
                    ticket,
                    plan: plan.map(Box::new),
                });
            });
        }
        Effect::Execute { plan, typed } => {
            tokio::spawn(async move {
                let action_id = plan.action_id.clone();
                let error = run_plan(&workers, &plan, typed)
                    .await
                    .err()
                    .map(|e| e.to_string());
                workers.send(Msg::ActionDone { action_id, error });
            });
        }
        Effect::Accept { finding } => {
            tokio::spawn(async move {
                let result = workers
                    .responder
                    .accept(&finding)
                    .await
                    .map_err(|e| e.to_string());
                workers.send(Msg::Accepted {
                    finding: finding.id.clone(),
                    result,
                });
            });
        }
        Effect::RefuseReadOnly { action_id } => {
            tokio::spawn(async move {
                let journaled = workers.responder.refuse_read_only(&action_id).await;
                if let Err(error) = journaled {
                    workers.send(Msg::NotJournaled(format!(
                        "the read-only refusal was not journaled: {error}"
                    )));
                }
            });
        }
        Effect::Attribute { finding } => {
            tokio::spawn(async move {
                let attribution = attribute(&workers.session().ctx, &finding).await;
                workers.send(Msg::Attributed {
                    finding: finding.id.clone(),
                    attribution,
                });
            });
        }
        Effect::FindUnfinished => {
            tokio::spawn(async move {
                // Without a readable journal there is nothing to resume; the first action will
                // report the journal's problem.
                if let Ok(unfinished) = workers.responder.unfinished().await {
                    workers.send(Msg::Unfinished(unfinished));
                }
            });
        }
    }
}

/// Snapshots sent while a scan runs are at least this far apart (each may copy what was read so
/// far), except when a region finishes or the scan ends.
const SNAPSHOT_INTERVAL: Duration = Duration::from_millis(100);

/// The one fold of a scan's events: the loop gets snapshots of it (`Msg::Scan`) and, for a first
/// scan as each region finishes and for every scan at its end, the findings judged from it. A
/// rescan is merged into `base`, the scan it was started over, before its end is judged.
async fn scan_worker(
    workers: Workers,
    generation: u64,
    mut events: mpsc::UnboundedReceiver<ScanEvent>,
    base: Option<Arc<ScanState>>,
) {
    let mut scanned = Arc::new(ScanState::default());
    let mut last_snapshot: Option<Instant> = None;
    while let Some(event) = events.recv().await {
        // What else has arrived is folded in before anything is sent or judged.
        let mut batch = vec![event];
        while let Ok(more) = events.try_recv() {
            batch.push(more);
        }
        let region_finished = batch
            .iter()
            .any(|event| matches!(event, ScanEvent::Finished { .. }));
        let fold = Arc::make_mut(&mut scanned);
        for event in batch {
            fold.apply(event);
        }
        if scanned.done {
            break;
        }
        let due = last_snapshot.is_none_or(|at| at.elapsed() >= SNAPSHOT_INTERVAL);
        if region_finished || due {
            last_snapshot = Some(Instant::now());
            if workers
                .results
                .send(Msg::Scan {
                    generation,
                    scan: scanned.clone(),
                })
                .is_err()
            {
                return;
            }
        }
        // A first scan is judged each time a region finishes, so what a region shows never
        // waits for the slowest one (a listing not yet finished is judged nowhere:
        // `ScanState::listed`); a rescan is judged merged, at its end.
        if region_finished
            && base.is_none()
            && scanned.fatal.is_none()
            && let Some(identity) = scanned.identity.clone()
        {
            let (findings, baseline) = judge(workers.session(), &scanned, &identity);
            workers.send(Msg::Judged {
                generation,
                findings,
                baseline,
                complete: false,
            });
        }
    }
    if let Some(base) = base {
        let mut whole = Arc::unwrap_or_clone(base);
        whole.merge(Arc::unwrap_or_clone(scanned));
        scanned = Arc::new(whole);
    }
    workers.send(Msg::Scan {
        generation,
        scan: scanned.clone(),
    });
    let Some(identity) = scanned.identity.clone().filter(|_| scanned.fatal.is_none()) else {
        return;
    };
    let (findings, baseline) = judge(workers.session(), &scanned, &identity);
    if workers.gameday
        && let Ok(findings) = &findings
    {
        let journaled = async {
            let journal = workers.responder.journal().await?;
            journal.record_scan(findings.iter().map(|f| f.id.as_str()))?;
            Ok::<(), ServiceError>(())
        };
        if let Err(error) = journaled.await {
            workers.send(Msg::NotJournaled(format!(
                "the scan was not journaled (the scorecard cannot tell when it was seen): {error}"
            )));
        }
    }
    workers.send(Msg::Judged {
        generation,
        findings,
        baseline,
        complete: true,
    });
}

async fn run_plan(
    workers: &Workers,
    plan: &firebreak_core::playbook::plan::Plan,
    typed: Option<String>,
) -> Result<(), ServiceError> {
    let action_id = plan.action_id.clone();
    workers
        .responder
        .execute(
            plan,
            typed,
            |step: &firebreak_core::playbook::plan::Step,
             outcome: &firebreak_core::playbook::plan::Outcome| {
                workers.send(Msg::StepDone {
                    action_id: action_id.clone(),
                    index: step.index,
                    outcome: outcome.clone(),
                })
            },
        )
        .await?;
    Ok(())
}

/// Test builds only: how the end-to-end tests make the cockpit panic, to check that a panic
/// restores the terminal and ends the process with 101. With `FIREBREAK_TEST_PANIC=loop` the
/// key F12 panics in the event loop; with `FIREBREAK_TEST_PANIC=worker` it panics in a worker
/// task. Compiled only with debug assertions: a release build (`cargo build --release`, where
/// `debug-assertions` is off) has no trigger at all, whatever its environment.
#[cfg(debug_assertions)]
mod deliberate_panic {
    use crossterm::event::{Event, KeyCode, KeyEventKind};

    const VARIABLE: &str = "FIREBREAK_TEST_PANIC";

    #[allow(
        clippy::panic,
        reason = "a deliberate panic for the tests, compiled out of release builds"
    )]
    pub(super) fn on_event(event: &Event) {
        let Event::Key(key) = event else {
            return;
        };
        if key.code != KeyCode::F(12) || key.kind == KeyEventKind::Release {
            return;
        }
        match std::env::var(VARIABLE).as_deref() {
            Ok("loop") => panic!("{VARIABLE}=loop: a deliberate panic in the event loop"),
            Ok("worker") => {
                tokio::spawn(async {
                    panic!("{VARIABLE}=worker: a deliberate panic in a worker task")
                });
            }
            _ => {}
        }
    }
}

/// The findings of `scanned` against the session's baseline (both as the cockpit shows them).
fn judge(
    session: &Session,
    scanned: &ScanState,
    identity: &Identity,
) -> (Result<Vec<Finding>, String>, Option<Box<Baseline>>) {
    // The baseline file is read once per judgement (a first scan is judged as each region
    // finishes), not once for the findings and again for the cockpit.
    match session.baseline(identity) {
        Ok(baseline) => (
            Ok(evaluate(
                scanned,
                identity,
                baseline.as_ref(),
                Windows::default(),
            )),
            baseline.map(Box::new),
        ),
        Err(error) => (Err(error.to_string()), None),
    }
}
