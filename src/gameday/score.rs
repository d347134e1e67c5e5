//! The scorecard: for each indicator of a run, when a scan first showed it, whether the account
//! still holds it, and which action contained it when — read from the journals and a scan of
//! the account now. Pure; written as JSON and Markdown beside the journals.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::indicator::Indicator;
use super::record::RunRecord;
use crate::journal::{Entry, SessionLog};
use crate::model::Inventory;
use crate::model::operation::Operation;
use crate::playbook::plan::{Outcome, Playbook};

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
mod tests {
    use super::*;
    use crate::gameday::blueprint::Blueprint;
    use crate::gameday::indicator::{Exposure, Threat};
    use crate::gameday::scenario::Containment;
    use crate::journal::Record;
    use crate::model::{Identity, Snapshot};
    use crate::playbook::plan::{Plan, Playbook, Step};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("time")
    }

    fn identity(account: &str) -> Identity {
        Identity {
            id: account.into(),
            alias: None,
            caller_arn: format!("arn:aws:iam::{account}:user/responder"),
        }
    }

    fn snapshot_threat(id: &str) -> Threat {
        Threat::Snapshot {
            region: "eu-west-1".into(),
            id: id.into(),
            exposure: Exposure::Public,
        }
    }

    fn record() -> RunRecord {
        RunRecord {
            run_id: "r".into(),
            scenario: "snapshot-made-public".into(),
            seed: 1,
            account: "123456789012".into(),
            endpoint: None,
            private_emulator: false,
            created: at(0),
            attack_started: Some(at(10)),
            detonated: Some(at(12)),
            baseline: "b".into(),
            regions: vec![],
            blueprint: Blueprint {
                scenario: "snapshot-made-public".into(),
                seed: 1,
                partner: "210987654321".into(),
                outsider: "666655554444".into(),
                estate_regions: vec!["eu-west-1".into()],
                unused_regions: vec![],
                steps: vec![],
                partition: "aws".into(),
            },
            steps: vec![],
            indicators: ["snap-a", "snap-b"]
                .iter()
                .map(|id| Indicator {
                    step: (*id).into(),
                    summary: format!("snapshot {id} public"),
                    contain: Containment::RevertSharing,
                    threats: vec![snapshot_threat(id)],
                })
                .collect(),
            damage: vec![],
            cleaned: None,
            server: None,
        }
    }

    fn record_at(secs: i64, entry: Entry) -> Record {
        Record {
            at: at(secs),
            session: "s".into(),
            entry,
        }
    }

    /// A session of `account` that scanned at 20 (and at 5, before the attack), and revert-
    /// sharing `snap-a` at 40.
    fn session(account: &str) -> SessionLog {
        let finding = |id: &str| format!("public_snapshot:eu-west-1:{id}");
        let mut records = vec![
            record_at(
                1,
                Entry::SessionStart {
                    version: "0".into(),
                    args: vec![],
                    local_user: None,
                    identity: identity(account),
                },
            ),
            record_at(
                5,
                Entry::Scanned {
                    findings: 1,
                    new: vec![finding("snap-b")],
                },
            ),
            record_at(
                20,
                Entry::Scanned {
                    findings: 2,
                    new: vec![finding("snap-a"), finding("snap-b")],
                },
            ),
        ];
        records.extend(acting_on_snap_a("s-1", Playbook::RevertSharing, 40));
        records.push(record_at(50, Entry::CockpitClosed { keystrokes: 7 }));
        SessionLog {
            path: "s.jsonl".into(),
            session: "s".into(),
            records,
            truncated_line: None,
            live: false,
        }
    }

    fn account_with(public: &[&str]) -> Inventory {
        Inventory {
            snapshots: ["snap-a", "snap-b"]
                .iter()
                .map(|id| Snapshot {
                    region: "eu-west-1".into(),
                    id: (*id).into(),
                    volume_id: None,
                    size_gib: None,
                    encrypted: false,
                    started: None,
                    sharing: crate::model::Sharing {
                        public: public.contains(id),
                        ..Default::default()
                    },
                })
                .collect(),
            ..Inventory::default()
        }
    }

    fn scored(
        logs: &[SessionLog],
        inventory: &Inventory,
        until: Option<DateTime<Utc>>,
    ) -> Scorecard {
        score(
            &record(),
            logs,
            &Now {
                inventory,
                unread: &BTreeSet::new(),
                partial: false,
                until,
                at: at(60),
            },
        )
    }

    #[test]
    fn a_threat_where_the_scan_could_not_read_is_not_contained() {
        let gone = Inventory::default();
        let unread = BTreeSet::from(["eu-west-1".to_string()]);
        let card = score(
            &record(),
            &[session("123456789012")],
            &Now {
                inventory: &gone,
                unread: &unread,
                partial: true,
                until: None,
                at: at(60),
            },
        );
        assert!(
            card.indicators
                .iter()
                .all(|i| i.status == Status::Detected
                    && i.open[0].ends_with("(could not be read now)")),
            "{card:#?}"
        );
        assert!(card.partial && card.table().contains("warning: some regions"));
    }

    #[test]
    fn each_indicator_is_contained_detected_or_missed_with_its_times() {
        let card = scored(&[session("123456789012")], &account_with(&["snap-b"]), None);
        let a = &card.indicators[0];
        assert_eq!(a.status, Status::Contained);
        assert_eq!(
            a.detected,
            Some(at(20)),
            "the scan before the attack does not count"
        );
        assert_eq!(a.contained, Some(at(41)));
        assert_eq!(a.by, vec!["s-1: revert-sharing".to_string()]);
        let b = &card.indicators[1];
        assert_eq!(b.status, Status::Detected);
        assert_eq!((b.detected, b.contained), (Some(at(20)), None));
        assert_eq!(
            b.open,
            vec!["snapshot eu-west-1/snap-b (public)".to_string()]
        );
        assert_eq!((card.contained, card.detected, card.missed), (1, 1, 0));
        assert_eq!(card.first_containment_secs, Some(31));
        assert_eq!(card.full_containment_secs, None, "one is still open");
        assert_eq!(card.keystrokes, 7);

        let all = scored(&[session("123456789012")], &account_with(&[]), None);
        // snap-b was closed outside firebreak: contained, but no action or time to credit.
        assert_eq!(all.indicators[1].status, Status::Contained);
        assert_eq!(all.indicators[1].contained, None);
        assert_eq!(
            all.full_containment_secs, None,
            "a containment without a time"
        );
    }

    #[test]
    fn another_accounts_sessions_and_an_undone_containment_do_not_count() {
        let card = scored(
            &[session("999988887777")],
            &account_with(&["snap-a", "snap-b"]),
            None,
        );
        assert!(card.indicators.iter().all(|i| i.status == Status::Missed));
        assert_eq!(card.keystrokes, 0);
        // The next run started at 30: its scans and actions are not this run's.
        let card = scored(&[session("123456789012")], &account_with(&[]), Some(at(30)));
        assert_eq!(card.indicators[0].detected, Some(at(20)));
        assert_eq!(
            card.indicators[0].contained, None,
            "contained by the next run"
        );
        assert_eq!(card.keystrokes, 0);
        // Contained, then undone: the account holds it again.
        let card = scored(
            &[session("123456789012")],
            &account_with(&["snap-a", "snap-b"]),
            None,
        );
        assert_eq!(card.indicators[0].status, Status::Detected);
        assert_eq!(card.indicators[0].contained, None);
        assert!(
            card.table()
                .contains("open: snapshot eu-west-1/snap-a (public)")
        );
    }

    /// The records of action `id` (`playbook`) changing snap-a's sharing at `secs`.
    fn acting_on_snap_a(id: &str, playbook: Playbook, secs: i64) -> Vec<Record> {
        let operation = Operation::ModifySnapshotSharing {
            snapshot_id: "snap-a".into(),
            change: Default::default(),
        };
        let plan = Plan::new(
            id.into(),
            playbook,
            identity("123456789012"),
            at(secs - 1),
            vec![Step::new("eu-west-1", 0, operation.clone(), None)],
        );
        vec![
            record_at(
                secs - 1,
                Entry::PlanShown {
                    plan: Box::new(plan),
                },
            ),
            record_at(
                secs,
                Entry::StepIntent {
                    action_id: id.into(),
                    index: 1,
                    service: "ec2".into(),
                    region: "eu-west-1".into(),
                    api: "ModifySnapshotAttribute".into(),
                    target: "snap-a".into(),
                    operation,
                },
            ),
            record_at(
                secs + 1,
                Entry::StepOutcome {
                    action_id: id.into(),
                    index: 1,
                    outcome: Outcome::Ok,
                    inverse: None,
                },
            ),
        ]
    }

    #[test]
    fn an_indicator_is_credited_when_it_became_contained_and_later_actions_show_as_later() {
        let mut log = session("123456789012");
        // Contained at 41 by s-1; a freeze-like second pass at 140 changes nothing of it.
        log.records
            .extend(acting_on_snap_a("s-2", Playbook::RevertSharing, 140));
        let card = scored(std::slice::from_ref(&log), &account_with(&["snap-b"]), None);
        assert_eq!(card.indicators[0].contained, Some(at(41)));
        assert_eq!(
            card.indicators[0].by,
            ["s-1: revert-sharing", "s-2: revert-sharing (later)"]
        );
        // Undone at 200, contained again at 301: from then on it stayed contained.
        log.records.extend(acting_on_snap_a(
            "s-3",
            Playbook::Undo { of: "s-1".into() },
            200,
        ));
        log.records
            .extend(acting_on_snap_a("s-4", Playbook::RevertSharing, 300));
        let card = scored(&[log], &account_with(&["snap-b"]), None);
        assert_eq!(card.indicators[0].contained, Some(at(301)));
        assert_eq!(card.indicators[0].by, ["s-4: revert-sharing"]);
    }
}
