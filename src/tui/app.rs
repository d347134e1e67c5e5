//! The event loop: owns the terminal, the state and the channels; runs effects as tasks.

use std::time::Duration;

use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use super::action::{Action, Effect};
use super::state::State;
use super::update::update;
use super::{keymap, view};
use crate::findings::Windows;
use crate::scan::{self, ScanState};
use crate::service::session::Session;

/// Runs the cockpit until the user quits. The terminal is restored on return and on panic.
pub async fn run(session: Session) -> std::io::Result<()> {
    // try_init installs a panic hook that restores the terminal before the panic is reported.
    let mut terminal = ratatui::try_init()?;
    let result = event_loop(&mut terminal, &session).await;
    ratatui::restore();
    result
}

async fn event_loop(terminal: &mut DefaultTerminal, session: &Session) -> std::io::Result<()> {
    let mut terminal_events = crossterm::event::EventStream::new();
    let (results, mut worker_results) = mpsc::unbounded_channel();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut state = State::new(session.read_only);
    let mut pending = vec![Action::Rescan];
    loop {
        for action in pending.drain(..) {
            for effect in update(&mut state, action) {
                perform(effect, session, &results);
            }
        }
        if state.should_quit {
            return Ok(());
        }
        terminal.draw(|frame| view::render(frame, &state))?;
        let action = tokio::select! {
            event = terminal_events.next() => match event {
                Some(Ok(event)) => match keymap::action_for(&event) {
                    Some(action) => action,
                    None => continue,
                },
                Some(Err(err)) => return Err(err),
                None => Action::Quit,
            },
            Some(action) = worker_results.recv() => action,
            _ = tick.tick() => Action::Tick,
            _ = tokio::signal::ctrl_c() => Action::Quit,
        };
        pending.push(action);
    }
}

fn perform(effect: Effect, session: &Session, results: &mpsc::UnboundedSender<Action>) {
    match effect {
        Effect::StartScan { generation } => {
            let mut events = scan::spawn(session.ctx.clone(), session.scan.clone());
            let results = results.clone();
            let session = session.clone();
            tokio::spawn(async move {
                // The worker keeps its own fold of the scan to judge findings when it ends.
                let mut scanned = ScanState::default();
                while let Some(event) = events.recv().await {
                    scanned.apply(event.clone());
                    if results.send(Action::Scan { generation, event }).is_err() {
                        return;
                    }
                }
                if let Some(identity) = scanned.identity.clone().filter(|_| scanned.fatal.is_none())
                {
                    let findings = session
                        .findings(&scanned.inventory, &identity, Windows::default())
                        .map_err(|e| e.to_string());
                    // The loop may have quit meanwhile.
                    let _ = results.send(Action::Findings {
                        generation,
                        findings,
                    });
                }
            });
        }
    }
}
