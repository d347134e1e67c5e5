//! Everything the cockpit shows, in one value owned by the event loop, and the pure questions
//! the views and `update` ask of it (which findings each list holds now, what is selected).
//! What the lists and the region grid show is derived from the findings by `update` when its
//! inputs change ([`Shown`]), so a frame costs the rows on screen, not the findings.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::gameday::indicator::Indicator;
use firebreak_core::baseline::Baseline;
use firebreak_core::bindings::Bindings;
use firebreak_core::model::GLOBAL;
use firebreak_core::model::finding::{Finding, FindingKind, ResourceType, Severity};
use firebreak_core::playbook::countermeasure::Countermeasure;
use firebreak_core::playbook::executed::Executed;
use firebreak_core::playbook::plan::{Outcome, Plan, Playbook};
use firebreak_core::playbook::undo::Unfinished;
use firebreak_core::scan::ScanState;

use super::inventory_index::{InventoryIndex, Lookup};

/// The lists findings are sorted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ListId {
    Principals,
    Recent,
    Shared,
    Other,
}

impl ListId {
    pub const ALL: [ListId; 4] = [
        ListId::Principals,
        ListId::Recent,
        ListId::Shared,
        ListId::Other,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ListId::Principals => "Unknown principals",
            ListId::Recent => "Recent resources",
            ListId::Shared => "Public & shared",
            ListId::Other => "Other",
        }
    }

    /// The list a finding belongs in.
    pub fn of(finding: &Finding) -> ListId {
        match finding.kind {
            FindingKind::UnknownUser
            | FindingKind::UnknownRole
            | FindingKind::UnknownAccessKey
            | FindingKind::AdminPrincipal
            | FindingKind::ConsoleWithoutMfa
            | FindingKind::KeyExposed
            | FindingKind::ExternalTrust => ListId::Principals,
            FindingKind::RecentResource => ListId::Recent,
            FindingKind::PublicSnapshot
            | FindingKind::SharedSnapshot
            | FindingKind::PublicImage
            | FindingKind::SharedImage
            | FindingKind::PublicFunction
            | FindingKind::OpenIngress
            | FindingKind::PublicBucket
            | FindingKind::SharedBucket
            | FindingKind::ReplicationOut
            | FindingKind::PublicAccessBlockOff
            | FindingKind::PublicDatabase => ListId::Shared,
            FindingKind::NotJudged => match finding.resource_type {
                ResourceType::User | ResourceType::Role | ResourceType::AccessKey => {
                    ListId::Principals
                }
                _ => ListId::Other,
            },
            FindingKind::NoBaseline
            | FindingKind::DeletedResource
            | FindingKind::LoggingStopped
            | FindingKind::LogDeliveryBroken
            | FindingKind::TrailWeakened
            | FindingKind::DetectionDisabled
            | FindingKind::UnknownEventRule
            | FindingKind::UnknownProfileAssociation
            | FindingKind::UnknownApiKey
            | FindingKind::BucketProtectionWeakened
            | FindingKind::DataExpiry
            | FindingKind::RansomSigns
            | FindingKind::DatabaseProtectionWeakened => ListId::Other,
        }
    }
}

/// What has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List(ListId),
    Regions,
    /// The session log: ↑↓ pick an action, `u` undoes the picked one.
    Log,
}

/// How the lists are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Severity,
    /// Newest first.
    Time,
    Region,
}

impl SortBy {
    pub fn word(self) -> &'static str {
        match self {
            SortBy::Severity => "severity",
            SortBy::Time => "time",
            SortBy::Region => "region",
        }
    }
}

/// A dialog button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Cancel,
    Confirm,
}

impl Button {
    pub fn other(self) -> Button {
        match self {
            Button::Cancel => Button::Confirm,
            Button::Confirm => Button::Cancel,
        }
    }
}

/// Why a plan was asked for: what to do when it has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose {
    /// What the dialog is titled while the plan is made.
    pub title: String,
    /// The findings the action contains: shown as contained once it has run.
    pub findings: Vec<String>,
    /// Contain functions: offer to delete the ones whose evidence was saved, once it has run.
    pub offer_delete: bool,
}

/// The confirmation of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub plan: Box<Plan>,
    pub purpose: Purpose,
    pub focus: Button,
    /// The text field, for plans that need something typed (freeze, delete).
    pub typed: String,
    /// Freeze: executes at this time unless a key is pressed first.
    pub countdown_until: Option<DateTime<Utc>>,
    /// Finishing an action a crashed session left: what it was confirmed with.
    pub resume_typed: Option<String>,
}

impl Confirm {
    /// Whether the plan needs text typed before it can run (and it is not typed yet).
    pub fn needs_typing(&self) -> bool {
        self.resume_typed.is_none() && !self.plan.accepts(Some(&self.typed))
    }
}

/// An open dialog. At most one at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    /// Waiting for a plan.
    Preparing {
        ticket: u64,
        purpose: Purpose,
    },
    Confirm(Confirm),
    Accept {
        finding: Box<Finding>,
        focus: Button,
    },
    /// `q` while an action runs.
    Quit {
        focus: Button,
    },
    /// Actions a crashed session left, with the choice to finish the first.
    Resume {
        actions: Vec<Unfinished>,
        focus: Button,
    },
    /// A refusal or an error, closed by any key.
    Message {
        title: String,
        lines: Vec<String>,
    },
    Help,
}

/// How a log line is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Info,
    Ok,
    Skipped,
    Failed,
}

/// One line of the session log pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub at: DateTime<Utc>,
    pub kind: LogKind,
    pub text: String,
    /// The action the line is about, if any.
    pub action: Option<String>,
}

/// An action that has run (or runs) in this session.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRun {
    pub plan: Box<Plan>,
    pub purpose: Purpose,
    pub outcomes: BTreeMap<usize, Outcome>,
    pub finished: bool,
}

impl ActionRun {
    /// What the action did so far: the plan read with the outcomes of its ended steps.
    pub fn executed(&self) -> Executed<'_> {
        Executed {
            plan: &self.plan,
            outcomes: &self.outcomes,
        }
    }
}

/// The text filter (`/`): a substring, or with a leading `!` everything without it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    pub editing: bool,
}

impl Filter {
    /// Whether `finding` passes.
    pub fn admits(&self, finding: &Finding) -> bool {
        let (invert, needle) = match self.text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, self.text.as_str()),
        };
        if needle.is_empty() {
            return true;
        }
        let needle = needle.to_lowercase();
        let hit = [
            &finding.summary,
            &finding.id,
            &finding.region,
            &finding.resource_id,
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(&needle));
        hit != invert
    }
}

/// One list as shown: which findings, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ListView {
    /// Indices into `State::findings`, in the order shown.
    rows: Vec<usize>,
    /// The list's findings, shown or hidden by the filters.
    total: usize,
    /// Of the rows shown, those no action has contained.
    open: usize,
}

/// A region's findings, as its grid cell shows them (the filters do not apply).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegionTally {
    pub count: usize,
    /// Those no action has contained.
    pub open: usize,
    /// The worst of the open ones.
    pub worst: Option<Severity>,
}

/// What the views read of the findings, derived from them by `update` whenever the findings,
/// the filters, the sort or the scan on screen change (never while drawing).
#[derive(Debug, Clone, Default)]
struct Shown {
    /// Each list as shown, by `ListId as usize`.
    lists: [ListView; 4],
    /// Each finding's place in its list as shown (`None`: filtered out), by index into
    /// `State::findings`.
    places: Vec<Option<usize>>,
    /// Each finding's index by id. Ids are unique (marks, the selection and the journal key on
    /// them); were one repeated, the first finding with it would count.
    by_id: HashMap<String, usize>,
    /// Findings per region.
    regions: HashMap<String, RegionTally>,
    /// Names of the functions with a recent-resource finding, by region.
    new_functions: HashMap<String, HashSet<String>>,
}

/// The cockpit's state. Changed only by `update`.
#[derive(Debug, Clone)]
pub struct State {
    pub keys: Bindings,
    pub read_only: bool,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    /// Break-glass principals from the config: listed as never touched in every plan.
    pub break_glass: Vec<String>,
    /// The scan on screen: the first one as it streams in, later the last complete one. A
    /// snapshot of the scan worker's fold, swapped in as it comes.
    pub scan: Arc<ScanState>,
    /// A rescan in progress (shown in the header) of some or all regions (with IAM); the worker
    /// merges it into the scan on screen when done, so that what it cannot read keeps its last
    /// good results.
    pub rescan: Option<Arc<ScanState>>,
    /// A rescan asked for while one ran (`Some(None)`: every region), started when it ends.
    pub queued_rescan: Option<Option<Vec<String>>>,
    pub generation: u64,
    /// When the scan on screen finished.
    pub scanned_at: Option<DateTime<Utc>>,
    /// Findings of the last judged scan, most severe first.
    pub findings: Vec<Finding>,
    pub findings_error: Option<String>,
    pub baseline: Option<Baseline>,
    pub focus: Focus,
    /// The list focused last (Tab from the regions returns there).
    pub last_list: ListId,
    /// Index into `region_cells()` of the region cursor.
    pub region_cursor: usize,
    /// Lists show only this region's findings (and IAM's when it is `global`).
    pub region_filter: Option<String>,
    /// The selected finding of each list, by id: a rescan never moves the cursor.
    pub selected: BTreeMap<ListId, String>,
    pub marks: BTreeSet<String>,
    /// Marks made one by one with Space (not by `*`): only these let `X` throttle a function
    /// the baseline knows.
    pub hand_marked: BTreeSet<String>,
    pub filter: Filter,
    pub sort: SortBy,
    pub modal: Option<Modal>,
    /// Dialogs that came up in the background while another was open, shown in turn.
    pub queued: VecDeque<Modal>,
    pub log: Vec<LogLine>,
    /// Every action of this session, in order.
    pub actions: Vec<ActionRun>,
    /// Findings contained by an action (finding id → action id).
    pub contained: BTreeMap<String, String>,
    /// Who made each finding's change, as looked up (`None`: the lookup is under way).
    pub attributions: BTreeMap<String, Option<firebreak_core::model::finding::Attribution>>,
    /// Actions undone in this session (so `u` goes further back).
    pub undone: BTreeSet<String>,
    /// The action picked in the log pane (by id), for `u`.
    pub picked: Option<String>,
    /// The finding selected on start (the most severe), while the operator has not moved: a
    /// later judgement of the same scan may select a more severe one.
    pub start_pick: Option<(ListId, String)>,
    /// A whole scan has been judged: from then on the selection is the operator's alone.
    pub judged_whole: bool,
    /// Small terminals: the bottom pane shows the log instead of details.
    pub show_log: bool,
    /// A one-line notice in the footer.
    pub notice: Option<String>,
    pub next_ticket: u64,
    pub now: DateTime<Utc>,
    pub ticks: u64,
    pub should_quit: bool,
    /// The game day rehearsed on this screen, if any.
    pub gameday: Option<GameDay>,
    /// Keys pressed in this session (a game day's scorecard counts them).
    pub keystrokes: u64,
    /// What the lists and the grid show: refreshed by `update` through
    /// [`State::reindex_findings`] and [`State::refresh_lists`].
    shown: Shown,
    /// The scan's inventory by name: refreshed by `update` through [`State::reindex_scan`].
    inventory_index: InventoryIndex,
}

/// A game day on the screen: its clock and the indicators the account still holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameDay {
    pub run_id: String,
    pub scenario: String,
    /// The clock's zero: when the attack started.
    pub attack_started: DateTime<Utc>,
    pub indicators: Vec<Indicator>,
    /// Indicators the last judged scan still found in the account.
    pub open: usize,
    /// When a judged scan found all of them contained (cleared if one comes back).
    pub all_contained: Option<DateTime<Utc>>,
}

impl GameDay {
    pub fn new(
        run_id: String,
        scenario: String,
        attack_started: DateTime<Utc>,
        indicators: Vec<Indicator>,
    ) -> Self {
        GameDay {
            run_id,
            scenario,
            attack_started,
            open: indicators.len(),
            indicators,
            all_contained: None,
        }
    }
}

impl State {
    pub fn new(keys: Bindings, read_only: bool, now: DateTime<Utc>) -> Self {
        State {
            keys,
            read_only,
            profile: None,
            endpoint: None,
            break_glass: Vec::new(),
            scan: Arc::default(),
            rescan: None,
            queued_rescan: None,
            generation: 0,
            scanned_at: None,
            findings: Vec::new(),
            findings_error: None,
            baseline: None,
            focus: Focus::List(ListId::Principals),
            last_list: ListId::Principals,
            region_cursor: 0,
            region_filter: None,
            selected: BTreeMap::new(),
            marks: BTreeSet::new(),
            hand_marked: BTreeSet::new(),
            filter: Filter::default(),
            sort: SortBy::default(),
            modal: None,
            queued: VecDeque::new(),
            log: Vec::new(),
            actions: Vec::new(),
            contained: BTreeMap::new(),
            attributions: BTreeMap::new(),
            undone: BTreeSet::new(),
            picked: None,
            start_pick: None,
            judged_whole: false,
            show_log: false,
            notice: None,
            next_ticket: 1,
            now,
            ticks: 0,
            should_quit: false,
            gameday: None,
            keystrokes: 0,
            shown: Shown::default(),
            inventory_index: InventoryIndex::default(),
        }
    }

    /// Indexes the inventory of the scan on screen once it is complete, then refreshes the lists
    /// (the time sort reads the inventory): after the scan on screen changes. While a scan
    /// streams in, the index is the one made when findings last came ([`Self::index_inventory`]):
    /// what it finds is checked against the item, so it may miss newer items, never mislead.
    pub fn reindex_scan(&mut self) {
        if self.scan.done {
            self.index_inventory();
        }
        self.refresh_lists();
    }

    /// Indexes the scan's inventory as it is now: when findings about it arrive, the scan
    /// finished or not.
    pub fn index_inventory(&mut self) {
        self.inventory_index = InventoryIndex::of(&self.scan.inventory);
    }

    /// Derives what does not depend on the filters (findings by id, per region, new functions)
    /// and then the lists: after the findings change.
    pub fn reindex_findings(&mut self) {
        let shown = &mut self.shown;
        shown.by_id.clear();
        shown.regions.clear();
        shown.new_functions.clear();
        for (index, finding) in self.findings.iter().enumerate() {
            shown.by_id.entry(finding.id.clone()).or_insert(index);
            let tally = shown.regions.entry(finding.region.clone()).or_default();
            tally.count += 1;
            if !self.contained.contains_key(&finding.id) {
                tally.open += 1;
                tally.worst = tally.worst.max(Some(finding.severity));
            }
            if finding.kind == FindingKind::RecentResource
                && finding.resource_type == ResourceType::Function
            {
                shown
                    .new_functions
                    .entry(finding.region.clone())
                    .or_default()
                    .insert(finding.resource_id.clone());
            }
        }
        self.refresh_lists();
    }

    /// Derives each list's rows (its kind, the region filter and the text filter, sorted): after
    /// the findings, the filters, the sort or the scan on screen (the times the sort reads)
    /// change.
    pub fn refresh_lists(&mut self) {
        let mut lists: [ListView; 4] = Default::default();
        for (index, finding) in self.findings.iter().enumerate() {
            let list = &mut lists[ListId::of(finding) as usize];
            list.total += 1;
            if self
                .region_filter
                .as_ref()
                .is_none_or(|r| finding.region == *r)
                && self.filter.admits(finding)
            {
                list.rows.push(index);
                list.open += usize::from(!self.contained.contains_key(&finding.id));
            }
        }
        match self.sort {
            // `findings` is already most severe first.
            SortBy::Severity => {}
            SortBy::Time => {
                for list in &mut lists {
                    list.rows.sort_by_cached_key(|&i| {
                        std::cmp::Reverse(self.time_of(&self.findings[i]))
                    });
                }
            }
            SortBy::Region => {
                for list in &mut lists {
                    list.rows
                        .sort_by(|&a, &b| self.findings[a].region.cmp(&self.findings[b].region));
                }
            }
        }
        let mut places = vec![None; self.findings.len()];
        for list in &lists {
            for (place, &index) in list.rows.iter().enumerate() {
                places[index] = Some(place);
            }
        }
        self.shown.lists = lists;
        self.shown.places = places;
    }

    /// The cells of the region grid: `global` (IAM) first, then every region of the scan.
    pub fn region_cells(&self) -> Vec<&str> {
        std::iter::once(GLOBAL)
            .chain(self.scan.regions.iter().map(|r| r.name.as_str()))
            .collect()
    }

    /// How many findings `region` has and the worst of them.
    pub fn region_tally(&self, region: &str) -> RegionTally {
        self.shown.regions.get(region).copied().unwrap_or_default()
    }

    /// The finding with `id`.
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.shown.by_id.get(id).and_then(|&i| self.findings.get(i))
    }

    /// The findings `list` shows now, from place `from` on: its kind, the region filter and the
    /// text filter, sorted.
    pub fn rows(&self, list: ListId, from: usize) -> impl Iterator<Item = &Finding> {
        self.shown.lists[list as usize]
            .rows
            .iter()
            .skip(from)
            .filter_map(|&i| self.findings.get(i))
    }

    /// Every finding `list` shows now, in order.
    pub fn list(&self, list: ListId) -> Vec<&Finding> {
        self.rows(list, 0).collect()
    }

    /// How many findings `list` shows now.
    pub fn shown_count(&self, list: ListId) -> usize {
        self.shown.lists[list as usize].rows.len()
    }

    /// How many of the findings `list` shows now no action has contained.
    pub fn open_count(&self, list: ListId) -> usize {
        self.shown.lists[list as usize].open
    }

    /// A list's count as its title shows it: `17`, or `17 · 2 open` once some are contained.
    pub fn count_label(&self, list: ListId) -> String {
        let (shown, open) = (self.shown_count(list), self.open_count(list));
        if open < shown {
            format!("{shown} · {open} open")
        } else {
            shown.to_string()
        }
    }

    /// How many of `list`'s findings the region and text filters hide.
    pub fn hidden_count(&self, list: ListId) -> usize {
        let view = &self.shown.lists[list as usize];
        view.total - view.rows.len()
    }

    /// The lists shown: the three always, `Other` only when it has findings.
    pub fn lists(&self) -> Vec<ListId> {
        ListId::ALL
            .into_iter()
            .filter(|l| *l != ListId::Other || self.shown.lists[*l as usize].total > 0)
            .collect()
    }

    /// Index of the selected item in `list` (its id, or the first item when the id is gone).
    pub fn selected_index(&self, list: ListId) -> Option<usize> {
        let rows = &self.shown.lists[list as usize].rows;
        if rows.is_empty() {
            return None;
        }
        let place = self.selected.get(&list).and_then(|id| {
            let index = *self.shown.by_id.get(id)?;
            let place = (*self.shown.places.get(index)?)?;
            (rows.get(place) == Some(&index)).then_some(place)
        });
        Some(place.unwrap_or(0))
    }

    /// The finding under the cursor of the focused list (or the last focused one).
    pub fn selection(&self) -> Option<&Finding> {
        let list = match self.focus {
            Focus::List(list) => list,
            Focus::Regions | Focus::Log => self.last_list,
        };
        self.selected_index(list)
            .and_then(|place| self.rows(list, place).next())
    }

    /// What a playbook key acts on: the marked findings, else the selection. A deletion is a
    /// target only of a countermeasure (a deleted detector is replaced): otherwise there is
    /// nothing left to act on.
    pub fn targets(&self) -> (Vec<&Finding>, bool) {
        let actionable = |f: &&Finding| {
            f.kind != FindingKind::DeletedResource || Countermeasure::of_finding(f).is_some()
        };
        if self.marks.is_empty() {
            (
                self.selection().into_iter().filter(actionable).collect(),
                false,
            )
        } else {
            // In the order of `findings`: most severe first.
            let mut marked: Vec<usize> = self
                .marks
                .iter()
                .filter_map(|id| self.shown.by_id.get(id).copied())
                .collect();
            marked.sort_unstable();
            (
                marked
                    .into_iter()
                    .filter_map(|i| self.findings.get(i))
                    .filter(actionable)
                    .collect(),
                true,
            )
        }
    }

    /// The inventory of the scan on screen, looked up by the names findings give its items.
    pub fn inventory(&self) -> Lookup<'_> {
        Lookup::new(&self.scan.inventory, &self.inventory_index)
    }

    /// When the thing behind a finding was created (or last changed), from the inventory.
    pub fn time_of(&self, finding: &Finding) -> Option<DateTime<Utc>> {
        let inventory = self.inventory();
        let id = finding.resource_id.as_str();
        let region = finding.region.as_str();
        match finding.resource_type {
            ResourceType::User => inventory.user(id).map(|u| u.created),
            ResourceType::AccessKey => inventory.access_key(id).and_then(|k| k.created),
            ResourceType::Role => inventory.role(id).map(|r| r.created),
            ResourceType::Function => inventory.function(region, id).and_then(|f| f.last_modified),
            ResourceType::Snapshot => inventory.snapshot(region, id).and_then(|s| s.started),
            ResourceType::Image => inventory.image(region, id).and_then(|i| i.created),
            ResourceType::Instance => inventory.instance(region, id).and_then(|i| i.launched),
            ResourceType::ApiKey => inventory.api_key(region, id).and_then(|k| k.created),
            ResourceType::Bucket => inventory.bucket(region, id).and_then(|b| b.created),
            ResourceType::Database => inventory.database(region, id).and_then(|d| d.created),
            ResourceType::DbSnapshot => inventory.db_snapshot(region, id).and_then(|s| s.created),
            ResourceType::Account
            | ResourceType::Trail
            | ResourceType::Detector
            | ResourceType::SecurityGroup
            | ResourceType::EventRule
            | ResourceType::ProfileAssociation => None,
        }
    }

    /// Whether the baseline knows the function (without a baseline: it has no recent finding).
    pub fn knows_function(&self, region: &str, name: &str) -> bool {
        match &self.baseline {
            Some(baseline) => baseline.knows_resource(ResourceType::Function, region, name),
            None => !self
                .shown
                .new_functions
                .get(region)
                .is_some_and(|names| names.contains(name)),
        }
    }

    /// Actions running now.
    pub fn running(&self) -> usize {
        self.actions.iter().filter(|a| !a.finished).count()
    }

    /// Actions of this session `u` can undo, newest first: finished, changed something, not
    /// undone yet (undo actions themselves are passed over: `u` twice undoes the two last).
    pub fn undoable(&self) -> Vec<&ActionRun> {
        self.actions
            .iter()
            .rev()
            .filter(|a| a.finished && a.executed().may_have_changed())
            .filter(|a| !matches!(a.plan.playbook, Playbook::Undo { .. }))
            .filter(|a| !self.undone.contains(&a.plan.action_id))
            .filter(|a| !self.undo_running(&a.plan.action_id))
            .collect()
    }

    /// Whether an undo of `action_id` is running now.
    fn undo_running(&self, action_id: &str) -> bool {
        self.actions.iter().any(|a| {
            !a.finished && matches!(&a.plan.playbook, Playbook::Undo { of } if of == action_id)
        })
    }

    /// What `u` undoes now: the action picked in the log pane (when it has the focus), else the
    /// newest undoable one.
    pub fn last_undoable(&self) -> Option<&ActionRun> {
        let undoable = self.undoable();
        let picked = self
            .picked
            .as_ref()
            .filter(|_| self.focus == Focus::Log)
            .and_then(|id| undoable.iter().find(|a| a.plan.action_id == *id));
        picked.or(undoable.first()).copied()
    }
}
