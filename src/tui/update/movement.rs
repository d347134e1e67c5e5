//! Moving: the cursor in a list, the region grid, the focus between panes.

use super::*;

pub(super) fn move_cursor(state: &mut State, by: isize) -> Vec<Effect> {
    match state.focus {
        Focus::Log => {
            // Newest first in `undoable`; up goes to older lines, so further down that list.
            let ids: Vec<String> = state
                .undoable()
                .iter()
                .map(|a| a.plan.action_id.clone())
                .collect();
            if !ids.is_empty() {
                let current = state
                    .picked
                    .as_ref()
                    .and_then(|p| ids.iter().position(|id| id == p))
                    .unwrap_or(0) as isize;
                let moved = (current - by.clamp(-1, 1)).clamp(0, ids.len() as isize - 1);
                state.picked = Some(ids[moved as usize].clone());
            }
        }
        Focus::Regions => {
            let cells = state.region_cells().len();
            if cells > 0 {
                let step = by.clamp(-1, 1) * REGION_COLUMNS as isize;
                let moved = if by.abs() > 1 {
                    if by < 0 { 0 } else { cells - 1 }
                } else {
                    (state.region_cursor as isize + step).clamp(0, cells as isize - 1) as usize
                };
                select_region(state, moved);
            }
        }
        Focus::List(list) => {
            if let Some(current) = state.selected_index(list) {
                let target = (current as isize)
                    .saturating_add(by)
                    .clamp(0, state.shown_count(list) as isize - 1)
                    as usize;
                let id = state.rows(list, target).next().map(|f| f.id.clone());
                if let Some(id) = id {
                    state.selected.insert(list, id);
                }
            }
        }
    }
    Vec::new()
}

pub(super) fn select_region(state: &mut State, cell: usize) {
    state.region_cursor = cell;
    state.region_filter = state.region_cells().get(cell).map(|r| r.to_string());
    state.refresh_lists();
}

pub(super) fn sideways(state: &mut State, by: isize) -> Vec<Effect> {
    match state.focus {
        Focus::Regions => {
            let cells = state.region_cells().len();
            if cells > 0 {
                let moved = (state.region_cursor as isize + by).clamp(0, cells as isize - 1);
                select_region(state, moved as usize);
            }
            Vec::new()
        }
        Focus::List(_) | Focus::Log => cycle_focus(state, by),
    }
}

/// Tab order: the lists, then the regions.
pub(super) fn cycle_focus(state: &mut State, by: isize) -> Vec<Effect> {
    let mut order: Vec<Focus> = state.lists().into_iter().map(Focus::List).collect();
    order.push(Focus::Regions);
    order.push(Focus::Log);
    let current = order.iter().position(|f| *f == state.focus).unwrap_or(0) as isize;
    let next = (current + by).rem_euclid(order.len() as isize) as usize;
    state.focus = order[next];
    match state.focus {
        Focus::List(list) => state.last_list = list,
        Focus::Log => {
            state.picked = state.undoable().first().map(|a| a.plan.action_id.clone());
        }
        Focus::Regions => {}
    }
    Vec::new()
}
