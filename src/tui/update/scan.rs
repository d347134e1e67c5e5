//! The scan's messages: its snapshots swapped in, judgements taken, rescans asked for, the game
//! day tracked. The scan's events are folded once, by its worker.

use super::*;

/// Starts a scan of every region unless one runs. The first scan streams onto the screen;
/// later ones build aside and replace it when complete, so nothing flickers.
pub(super) fn rescan(state: &mut State) -> Vec<Effect> {
    rescan_regions(state, None)
}

/// Starts a scan of `only` these regions (and IAM), or of all; merged into the scan on screen
/// when complete.
pub(super) fn rescan_regions(state: &mut State, only: Option<Vec<String>>) -> Vec<Effect> {
    let running = if state.generation == 0 {
        false
    } else {
        state.rescan.is_some() || !state.scan.done
    };
    if running {
        // Read once the running scan ends: all regions wins over some.
        state.queued_rescan = Some(match (state.queued_rescan.take(), only) {
            (Some(Some(mut queued)), Some(more)) => {
                queued.extend(more);
                queued.sort();
                queued.dedup();
                Some(queued)
            }
            (None, only) => only,
            _ => None,
        });
        return Vec::new();
    }
    state.generation += 1;
    let only = only.filter(|_| state.scanned_at.is_some());
    if state.scanned_at.is_some() {
        state.rescan = Some(Arc::default());
    } else {
        state.scan = Arc::default();
        state.reindex_scan();
    }
    // A rescan is judged merged into what is on screen: what it cannot read stays.
    let base = state.scanned_at.is_some().then(|| state.scan.clone());
    vec![Effect::StartScan {
        generation: state.generation,
        only,
        base,
    }]
}

/// A snapshot of the scan started as `generation`: a first scan's goes on screen as it comes;
/// a rescan's shows its progress, and once done (merged by the worker into the scan it was
/// started over) replaces the scan on screen.
pub(super) fn scanned(state: &mut State, generation: u64, scan: Arc<ScanState>) -> Vec<Effect> {
    if generation != state.generation {
        return Vec::new();
    }
    let on_screen = state.rescan.is_none();
    let done = scan.done;
    if done {
        state.rescan = None;
        state.scan = scan;
    } else if on_screen {
        state.scan = scan;
    } else {
        state.rescan = Some(scan);
    }
    // The scan on screen changed: its index and the time sort follow.
    if on_screen || done {
        state.reindex_scan();
    }
    if done {
        state.scanned_at = Some(state.now);
        let cells = state.region_cells().len();
        state.region_cursor = state.region_cursor.min(cells.saturating_sub(1));
        // A queued rescan waits for this scan's judgement (started now, it would make that
        // judgement out of date); a scan that is not judged (no identity, fatal) lets it go.
        let judged_next = state.scan.identity.is_some() && state.scan.fatal.is_none();
        if !judged_next && let Some(only) = state.queued_rescan.take() {
            return rescan_regions(state, only);
        }
    }
    Vec::new()
}

pub(super) fn judged(
    state: &mut State,
    generation: u64,
    findings: Result<Vec<Finding>, String>,
    baseline: Option<firebreak_core::baseline::Baseline>,
    complete: bool,
) {
    if generation != state.generation {
        return;
    }
    match findings {
        Ok(findings) => {
            // Nothing shown yet, or only what the first scan has judged so far and the operator
            // has not moved from: the most severe finding is selected.
            let untouched = state.marks.is_empty()
                && !state.judged_whole
                && match &state.start_pick {
                    None => state.selected.is_empty(),
                    Some((list, id)) => {
                        state.focus == Focus::List(*list)
                            && state.selected.len() == 1
                            && state.selected.get(list) == Some(id)
                    }
                };
            state.findings = findings;
            state.findings_error = None;
            state.baseline = baseline;
            // Marks and contained items of findings that are gone go with them.
            let ids: std::collections::BTreeSet<&String> =
                state.findings.iter().map(|f| &f.id).collect();
            state.marks.retain(|id| ids.contains(id));
            state.hand_marked.retain(|id| ids.contains(id));
            state.contained.retain(|id, _| ids.contains(id));
            // A rescan may follow a new change, or a refusal that has passed: only lookups under
            // way and an endpoint's lack of the call are kept (a judgement of the same scan as
            // it goes keeps every answer).
            state.attributions.retain(|id, answer| {
                ids.contains(id)
                    && (!complete
                        || matches!(
                            answer,
                            None | Some(Attribution::NotAvailable {
                                unsupported: true,
                                ..
                            })
                        ))
            });
            state.index_inventory();
            state.reindex_findings();
            // On start, the most severe finding is selected.
            if untouched
                && let Some(most) = state
                    .findings
                    .iter()
                    .find(|f| ListId::of(f) != ListId::Other)
            {
                let list = ListId::of(most);
                state.focus = Focus::List(list);
                state.last_list = list;
                state.selected.clear();
                state.selected.insert(list, most.id.clone());
                state.start_pick = Some((list, most.id.clone()));
            }
            // Once a scan is whole, what is selected is the operator's.
            if complete {
                state.judged_whole = true;
            }
        }
        Err(error) => state.findings_error = Some(error),
    }
}

// ---------------------------------------------------------------------------------------------
// Plans and actions

/// A game day's indicators against the account as the last scan read it.
pub(super) fn track_gameday(state: &mut State) {
    let Some(day) = state.gameday.as_mut() else {
        return;
    };
    let inventory = &state.scan.inventory;
    let open = day
        .indicators
        .iter()
        .filter(|i| !i.contained(inventory))
        .count();
    day.all_contained = match day.all_contained {
        Some(at) if open == 0 => Some(at),
        _ if open == 0 => Some(state.now),
        _ => None,
    };
    day.open = open;
}
