//! `update`: the cockpit's only state transition. Pure: no I/O, no clock, no AWS.

use super::action::{Action, Effect};
use super::state::{GRID_COLUMNS, State};

/// Applies `action` to `state` and returns the work to start.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => {
            state.should_quit = true;
            Vec::new()
        }
        Action::Rescan => {
            if state.generation > 0 && !state.scan.done {
                return Vec::new();
            }
            state.generation += 1;
            state.scan = Default::default();
            state.findings.clear();
            state.findings_error = None;
            vec![Effect::StartScan {
                generation: state.generation,
            }]
        }
        Action::Move { rows, columns } => {
            move_selection(state, rows, columns);
            Vec::new()
        }
        Action::Scan { generation, event } => {
            if generation == state.generation {
                state.scan.apply(event);
                let count = state.scan.regions.len();
                state.selected = state.selected.min(count.saturating_sub(1));
            }
            Vec::new()
        }
        Action::Findings {
            generation,
            findings,
        } => {
            if generation == state.generation {
                match findings {
                    Ok(findings) => state.findings = findings,
                    Err(error) => state.findings_error = Some(error),
                }
            }
            Vec::new()
        }
        Action::Tick => {
            state.ticks = state.ticks.wrapping_add(1);
            Vec::new()
        }
    }
}

fn move_selection(state: &mut State, rows: isize, columns: isize) {
    let count = state.scan.regions.len();
    if count == 0 {
        return;
    }
    let height = state.grid_rows();
    let row = (state.selected % height) as isize + rows;
    let column = (state.selected / height) as isize + columns;
    let row = row.clamp(0, height as isize - 1) as usize;
    let column = column.clamp(0, GRID_COLUMNS as isize - 1) as usize;
    let index = column * height + row;
    state.selected = index.min(count - 1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::RegionInfo;
    use crate::model::Identity;
    use crate::scan::ScanEvent;

    fn planned(n: usize) -> ScanEvent {
        ScanEvent::Planned(
            (0..n)
                .map(|i| RegionInfo {
                    name: format!("xx-test-{i:02}"),
                    enabled: true,
                })
                .collect(),
        )
    }

    #[test]
    fn first_rescan_starts_a_scan_and_a_running_scan_is_not_restarted() {
        let mut state = State::new(false);
        assert_eq!(
            update(&mut state, Action::Rescan),
            vec![Effect::StartScan { generation: 1 }]
        );
        assert!(update(&mut state, Action::Rescan).is_empty());
        update(
            &mut state,
            Action::Scan {
                generation: 1,
                event: ScanEvent::Done,
            },
        );
        assert_eq!(
            update(&mut state, Action::Rescan),
            vec![Effect::StartScan { generation: 2 }]
        );
        assert!(!state.scan.done, "a new scan starts from a clean slate");
    }

    #[test]
    fn events_of_an_old_scan_are_dropped() {
        let mut state = State::new(false);
        update(&mut state, Action::Rescan);
        let identity = Identity {
            id: "123456789012".into(),
            alias: None,
            caller_arn: "arn:aws:iam::123456789012:user/x".into(),
        };
        update(
            &mut state,
            Action::Scan {
                generation: 0,
                event: ScanEvent::Identity(identity.clone()),
            },
        );
        assert_eq!(state.scan.identity, None);
        update(
            &mut state,
            Action::Scan {
                generation: 1,
                event: ScanEvent::Identity(identity.clone()),
            },
        );
        assert_eq!(state.scan.identity, Some(identity));
    }

    #[test]
    fn selection_moves_through_the_grid_and_stays_inside() {
        let mut state = State::new(false);
        update(&mut state, Action::Rescan);
        update(
            &mut state,
            Action::Scan {
                generation: 1,
                event: planned(5),
            },
        );
        // 5 regions in 2 columns: rows 0..3, column 0 holds 0,1,2 and column 1 holds 3,4.
        let mut moves = vec![
            ((1, 0), 1),
            ((1, 0), 2),
            ((1, 0), 2),
            ((0, 1), 4),
            ((-1, 0), 3),
            ((-1, 0), 3),
            ((0, -1), 0),
            ((0, -1), 0),
            ((2, 1), 4),
        ];
        for ((rows, columns), expected) in moves.drain(..) {
            update(&mut state, Action::Move { rows, columns });
            assert_eq!(state.selected, expected, "after move ({rows}, {columns})");
        }
    }

    #[test]
    fn findings_of_the_current_scan_replace_the_old_ones() {
        let mut state = State::new(false);
        update(&mut state, Action::Rescan);
        update(
            &mut state,
            Action::Findings {
                generation: 1,
                findings: Err("baseline is for another account".into()),
            },
        );
        assert_eq!(
            state.findings_error.as_deref(),
            Some("baseline is for another account")
        );
        update(
            &mut state,
            Action::Scan {
                generation: 1,
                event: ScanEvent::Done,
            },
        );
        update(&mut state, Action::Rescan);
        assert_eq!(state.findings_error, None, "a rescan starts clean");
        update(
            &mut state,
            Action::Findings {
                generation: 1,
                findings: Err("stale".into()),
            },
        );
        assert_eq!(state.findings_error, None, "stale results are dropped");
        update(
            &mut state,
            Action::Findings {
                generation: 2,
                findings: Ok(Vec::new()),
            },
        );
        assert!(state.findings.is_empty() && state.findings_error.is_none());
    }

    #[test]
    fn quit_and_tick() {
        let mut state = State::new(true);
        update(&mut state, Action::Tick);
        assert_eq!(state.ticks, 1);
        assert!(!state.should_quit);
        update(&mut state, Action::Quit);
        assert!(state.should_quit);
    }
}
