//! The scorecard: for each indicator of a run, when a scan first showed it, whether the account
//! still holds it, and which action contained it when — read from the journals and a scan of
//! the account now. Pure; written as JSON and Markdown beside the journals.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::indicator::Indicator;
use super::record::RunRecord;
use firebreak_core::journal::{Entry, SessionLog};
use firebreak_core::model::Inventory;
use firebreak_core::model::operation::Operation;
use firebreak_core::playbook::plan::{Outcome, Playbook};

/// Where an indicator stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The account no longer holds it.
    Contained,
    /// A scan showed it, but the account still holds it.
    Detected,
    /// No scan showed it and the account still holds it.
    Missed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Contained => "contained",
            Status::Detected => "detected",
            Status::Missed => "missed",
        }
    }
}

/// One indicator's score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorScore {
    pub step: String,
    pub summary: String,
    /// The playbook the scenario expects.
    pub expected: String,
    pub status: Status,
    /// The first journaled scan that showed it.
    pub detected: Option<DateTime<Utc>>,
    /// When the last of its parts was contained by a firebreak action (`None` when contained
    /// some other way, or not contained).
    pub contained: Option<DateTime<Utc>>,
    /// The actions that contained it (`action id: playbook`).
    pub by: Vec<String>,
    /// Its parts still open.
    pub open: Vec<String>,
}

/// Damage done, and when a scan first reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DamageScore {
    pub summary: String,
    pub detected: Option<DateTime<Utc>>,
}

/// A run's scorecard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scorecard {
    pub run_id: String,
    pub scenario: String,
    pub seed: u64,
    pub account: String,
    /// When the attack started: the clock's zero.
    pub attack_started: Option<DateTime<Utc>>,
    pub scored: DateTime<Utc>,
    pub indicators: Vec<IndicatorScore>,
    pub contained: usize,
    pub detected: usize,
    pub missed: usize,
    /// Seconds from the attack's start to the first indicator contained.
    pub first_containment_secs: Option<i64>,
    /// Seconds from the attack's start to the last indicator contained (all of them).
    pub full_containment_secs: Option<i64>,
    /// Keystrokes in the cockpit sessions since the attack started.
    pub keystrokes: u64,
    /// What the attacker destroyed, and when a scan first showed it gone.
    pub damage: Vec<DamageScore>,
    /// Some region or service could not be read now: an indicator there may be misjudged.
    pub partial: bool,
}

/// An executed step that ended `ok`: when, in which action, what it did where.
struct Applied<'a> {
    at: DateTime<Utc>,
    action: &'a str,
    region: &'a str,
    operation: &'a Operation,
    /// A step of an undo or an unfreeze: it takes a containment back.
    undoing: bool,
}

/// The account as a scan read it when scoring.
#[derive(Debug, Clone, Copy)]
pub struct Now<'a> {
    pub inventory: &'a Inventory,
    /// Regions (and `global`) the scan could not read whole.
    pub unread: &'a BTreeSet<String>,
    /// Some region or service could not be read.
    pub partial: bool,
    /// When the next run in the same data dir started: journals after it are that run's.
    pub until: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// Scores `record` from `logs` (every journal of the data dir: those of this account between
/// the attack's start and the next run's) and the account as `now` read it.
pub fn score(record: &RunRecord, logs: &[SessionLog], now: &Now) -> Scorecard {
    let start = record.attack_started.unwrap_or(record.created);
    let records = logs
        .iter()
        .filter(|log| {
            log.records.iter().any(|r| {
                matches!(&r.entry, Entry::SessionStart { identity, .. } if identity.id == record.account)
            })
        })
        .flat_map(|log| log.records.iter())
        .filter(|r| r.at >= start && now.until.is_none_or(|until| r.at < until));
    let mut scans: Vec<(DateTime<Utc>, &[String])> = Vec::new();
    let mut intents: BTreeMap<(&str, usize), (&str, &Operation)> = BTreeMap::new();
    let mut playbooks: BTreeMap<&str, String> = BTreeMap::new();
    let mut undoing: BTreeSet<&str> = BTreeSet::new();
    let mut applied: Vec<Applied> = Vec::new();
    let mut keystrokes = 0;
    for r in records {
        match &r.entry {
            Entry::Scanned { new, .. } => scans.push((r.at, new)),
            Entry::PlanShown { plan } => {
                playbooks.insert(&plan.action_id, plan.playbook.to_string());
                if matches!(
                    plan.playbook,
                    Playbook::Undo { .. } | Playbook::Unfreeze { .. }
                ) {
                    undoing.insert(&plan.action_id);
                }
            }
            Entry::StepIntent {
                action_id,
                index,
                region,
                operation,
                ..
            } => {
                intents.insert((action_id, *index), (region, operation));
            }
            Entry::StepOutcome {
                action_id,
                index,
                outcome: Outcome::Ok,
                ..
            } => {
                if let Some((region, operation)) = intents.get(&(action_id.as_str(), *index)) {
                    applied.push(Applied {
                        at: r.at,
                        action: action_id,
                        region,
                        operation,
                        undoing: false,
                    });
                }
            }
            Entry::CockpitClosed { keystrokes: n } => keystrokes += n,
            _ => {}
        }
    }
    scans.sort_by_key(|(at, _)| *at);
    applied.sort_by_key(|a| a.at);
    for step in &mut applied {
        step.undoing = undoing.contains(step.action);
    }
    let indicators: Vec<IndicatorScore> = record
        .indicators
        .iter()
        .map(|indicator| judge(indicator, &scans, &applied, &playbooks, now))
        .collect();
    let count = |status| indicators.iter().filter(|i| i.status == status).count();
    let since_start = |at: DateTime<Utc>| (at - start).num_seconds().max(0);
    let contained_times: Vec<DateTime<Utc>> =
        indicators.iter().filter_map(|i| i.contained).collect();
    let all_contained = indicators.iter().all(|i| i.status == Status::Contained);
    Scorecard {
        run_id: record.run_id.clone(),
        scenario: record.scenario.clone(),
        seed: record.seed,
        account: record.account.clone(),
        attack_started: record.attack_started,
        scored: now.at,
        contained: count(Status::Contained),
        detected: count(Status::Detected),
        missed: count(Status::Missed),
        first_containment_secs: contained_times.iter().min().map(|t| since_start(*t)),
        full_containment_secs: if all_contained && contained_times.len() == indicators.len() {
            contained_times.iter().max().map(|t| since_start(*t))
        } else {
            None
        },
        indicators,
        keystrokes,
        damage: record
            .damage
            .iter()
            .map(|d| DamageScore {
                summary: d.summary.clone(),
                detected: scans
                    .iter()
                    .find(|(_, ids)| ids.contains(&d.finding))
                    .map(|(at, _)| *at),
            })
            .collect(),
        partial: now.partial,
    }
}

fn judge(
    indicator: &Indicator,
    scans: &[(DateTime<Utc>, &[String])],
    applied: &[Applied],
    playbooks: &BTreeMap<&str, String>,
    now: &Now,
) -> IndicatorScore {
    let detected = scans
        .iter()
        .find(|(_, ids)| indicator.shown_by(ids.iter().map(String::as_str)))
        .map(|(at, _)| *at);
    let open: Vec<String> = indicator
        .threats
        .iter()
        .filter_map(|t| {
            if t.unread(now.inventory, now.unread) {
                Some(format!("{} (could not be read now)", t.label()))
            } else if t.contained(now.inventory) {
                None
            } else {
                Some(t.label())
            }
        })
        .collect();
    let mut by: Vec<String> = Vec::new();
    let mut contained = None;
    if open.is_empty() {
        // Each part is contained from the first firebreak action that decided it (a deny, a
        // trust closed, a throttle, a share closed) after the last undo that took it back:
        // from then on it stayed contained. Steps acting on it later (a freeze pressed at the
        // end) are credited as later, not as the containment. A part no one step decides (a
        // user's keys and password turned off by separate actions) counts from the last.
        let label = |step: &Applied| match playbooks.get(step.action) {
            Some(playbook) => format!("{}: {playbook}", step.action),
            None => step.action.to_string(),
        };
        let mut later: Vec<String> = Vec::new();
        let mut since: Vec<Option<DateTime<Utc>>> = Vec::new();
        for threat in &indicator.threats {
            // The steps that acted on it since the last undo that took it back.
            let mut touching: Vec<&Applied> = Vec::new();
            for step in applied {
                if step.undoing {
                    if threat.undone_by(step.operation, step.region) {
                        touching.clear();
                    }
                } else if threat.touched_by(step.operation, step.region) {
                    touching.push(step);
                }
            }
            // Up to the last step of the first action that decided it; after it, later.
            let end = touching
                .iter()
                .find(|step| threat.decided_by(step.operation))
                .and_then(|decided| touching.iter().rposition(|s| s.action == decided.action))
                .unwrap_or(touching.len().saturating_sub(1));
            let (credited, after) = touching.split_at((end + 1).min(touching.len()));
            for step in credited {
                let shown = label(step);
                if !by.contains(&shown) {
                    by.push(shown);
                }
            }
            for step in after {
                let shown = format!("{} (later)", label(step));
                if !later.contains(&shown) {
                    later.push(shown);
                }
            }
            let from = credited.last();
            since.push(from.map(|step| step.at));
        }
        later.retain(|shown| {
            !by.iter()
                .any(|credited| *shown == format!("{credited} (later)"))
        });
        by.extend(later);
        if since.iter().all(Option::is_some) {
            contained = since.into_iter().flatten().max();
        }
    }
    let status = if open.is_empty() {
        Status::Contained
    } else if detected.is_some() {
        Status::Detected
    } else {
        Status::Missed
    };
    IndicatorScore {
        step: indicator.step.clone(),
        summary: indicator.summary.clone(),
        expected: indicator.contain.as_str().to_string(),
        status,
        detected,
        contained,
        by,
        open,
    }
}

/// `mm:ss` (or `h:mm:ss`) after the attack's start.
pub fn clock(secs: i64) -> String {
    let secs = secs.max(0);
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{:02}:{:02}", secs / 60, secs % 60)
    }
}

impl Scorecard {
    fn offset(&self, at: Option<DateTime<Utc>>) -> String {
        match (at, self.attack_started) {
            (Some(at), Some(start)) => format!("+{}", clock((at - start).num_seconds())),
            (Some(at), None) => at.format("%H:%M:%S").to_string(),
            (None, _) => "–".to_string(),
        }
    }

    fn totals(&self) -> (String, String) {
        let first = self
            .first_containment_secs
            .map_or_else(|| "–".to_string(), clock);
        let full = self
            .full_containment_secs
            .map_or_else(|| "not yet".to_string(), clock);
        (first, full)
    }

    /// The scorecard as a table for the terminal.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let (first, full) = self.totals();
        let _ = writeln!(
            out,
            "game day {} — {} (seed {}), account {}",
            self.run_id, self.scenario, self.seed, self.account
        );
        let _ = writeln!(
            out,
            "{} contained, {} detected but open, {} missed of {} indicators · first containment {first} · full containment {full} · {} keystrokes",
            self.contained,
            self.detected,
            self.missed,
            self.indicators.len(),
            self.keystrokes
        );
        let _ = writeln!(
            out,
            "\n{:<10} {:<9} {:<9} {:<20} INDICATOR",
            "STATUS", "DETECTED", "CONTAINED", "PLAYBOOK"
        );
        for i in &self.indicators {
            // Who contained it, or (still open) what the scenario expects.
            let playbook = if i.by.is_empty() {
                format!("({})", i.expected)
            } else {
                i.by.iter()
                    .map(|b| b.split_once(": ").map_or(b.as_str(), |(_, p)| p))
                    .map(|p| p.split_whitespace().next().unwrap_or(p))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let _ = writeln!(
                out,
                "{:<10} {:<9} {:<9} {:<20} {}",
                i.status.as_str(),
                self.offset(i.detected),
                self.offset(i.contained),
                playbook,
                i.summary
            );
            for part in i.open.iter().take(3) {
                let _ = writeln!(out, "{:>51} open: {part}", "");
            }
            if i.open.len() > 3 {
                let _ = writeln!(out, "{:>51} open: … and {} more", "", i.open.len() - 3);
            }
        }
        for damage in &self.damage {
            let _ = writeln!(
                out,
                "damage: {} (seen {})",
                damage.summary,
                self.offset(damage.detected)
            );
        }
        if self.partial {
            let _ = writeln!(
                out,
                "warning: some regions or services could not be read now; an indicator there may be misjudged"
            );
        }
        out
    }

    /// The scorecard as Markdown, for the post-mortem.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let (first, full) = self.totals();
        let _ = writeln!(out, "# Game day scorecard: {}\n", self.scenario);
        let _ = writeln!(
            out,
            "Run `{}`, seed {}, account {}; attack started {}; scored {}.\n",
            self.run_id,
            self.seed,
            self.account,
            self.attack_started
                .map_or_else(|| "–".to_string(), |t| t.to_rfc3339()),
            self.scored.to_rfc3339()
        );
        let _ = writeln!(
            out,
            "- **{}** contained, **{}** detected but open, **{}** missed of {} indicators\n- time to first containment: **{first}**\n- time to full containment: **{full}**\n- keystrokes in the cockpit: {}\n",
            self.contained,
            self.detected,
            self.missed,
            self.indicators.len(),
            self.keystrokes
        );
        let _ = writeln!(
            out,
            "| status | indicator | expected | detected | contained | by |\n|---|---|---|---|---|---|"
        );
        for i in &self.indicators {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} | {} |",
                i.status.as_str(),
                i.summary,
                i.expected,
                self.offset(i.detected),
                self.offset(i.contained),
                if i.by.is_empty() {
                    "–".to_string()
                } else {
                    i.by.iter()
                        .map(|b| format!("`{b}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
        }
        if !self.damage.is_empty() {
            let _ = writeln!(out, "\n## Damage\n");
            for damage in &self.damage {
                let _ = writeln!(
                    out,
                    "- {} (seen {})",
                    damage.summary,
                    self.offset(damage.detected)
                );
            }
        }
        if self.partial {
            let _ = writeln!(
                out,
                "\n> Some regions or services could not be read when this was scored."
            );
        }
        out
    }
}

#[cfg(test)]
mod tests;
