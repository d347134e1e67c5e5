//! The three lists — Unknown principals, Recent resources, Public & shared (and Other when it
//! has anything) — with counts, the selection, marks, contained items, and scrolling that keeps
//! the selection in view. Small terminals show one list at a time under tabs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{fit, short_id, theme};
use crate::tui::state::{Focus, ListId, State};
use firebreak_core::model::GLOBAL;
use firebreak_core::model::finding::{Finding, FindingKind, ResourceType};

pub fn render_columns(frame: &mut Frame, area: Rect, state: &State) {
    let columns = Layout::horizontal([Constraint::Ratio(1, 3); 3]).split(area);
    render_list(frame, columns[0], state, ListId::Principals);
    render_list(frame, columns[1], state, ListId::Recent);
    if state.lists().contains(&ListId::Other) {
        let [shared, other] =
            Layout::vertical([Constraint::Min(4), Constraint::Length(4)]).areas(columns[2]);
        render_list(frame, shared, state, ListId::Shared);
        render_list(frame, other, state, ListId::Other);
    } else {
        render_list(frame, columns[2], state, ListId::Shared);
    }
}

/// Small terminals: the lists as tabs, the focused (or last focused) one shown.
pub fn render_tabs(frame: &mut Frame, area: Rect, state: &State) {
    let shown = match state.focus {
        Focus::List(list) => list,
        Focus::Regions | Focus::Log => state.last_list,
    };
    let mut titles = Vec::new();
    for list in state.lists() {
        let style = if list == shown {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            theme::dim()
        };
        titles.push(Span::styled(
            format!(" {} {} ", list.title(), state.count_label(list)),
            style,
        ));
    }
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(titles)), tabs);
    render_list(frame, body, state, shown);
}

fn render_list(frame: &mut Frame, area: Rect, state: &State, list: ListId) {
    let shown = state.shown_count(list);
    let focused = state.focus == Focus::List(list);
    let hidden = state.hidden_count(list);
    let mut title = format!(" {} {} ", list.title(), state.count_label(list));
    if hidden > 0 {
        title.push_str(&format!("({hidden} hidden) "));
    }
    if focused && state.sort != Default::default() {
        title.push_str(&format!("· by {} ", state.sort.word()));
    }
    let block = Block::bordered()
        .title(title)
        .border_style(theme::border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    if shown == 0 {
        let text = if state.scan.done && state.findings_error.is_none() {
            "nothing here"
        } else if let Some(error) = &state.findings_error {
            error.as_str()
        } else {
            "scanning…"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {text}"), theme::dim()))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    }
    let selected = state.selected_index(list).unwrap_or(0);
    let offset = if height == 0 {
        0
    } else {
        selected.saturating_sub(height - 1)
    };
    let width = inner.width as usize;
    let lines: Vec<Line> = state
        .rows(list, offset)
        .take(height)
        .enumerate()
        .map(|(index, finding)| row(state, finding, offset + index == selected, focused, width))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn row(
    state: &State,
    finding: &Finding,
    selected: bool,
    focused: bool,
    width: usize,
) -> Line<'static> {
    let cursor = if selected { "▶" } else { " " };
    let mark = if state.marks.contains(&finding.id) {
        "+"
    } else {
        " "
    };
    let contained = state.contained.contains_key(&finding.id);
    let severity = theme::severity_label(finding.severity);
    let region = if finding.region == GLOBAL {
        String::new()
    } else {
        finding.region.clone()
    };
    let suffix = if contained { " ✓" } else { "" };
    let fixed = 2 + 4 + 1 + suffix.chars().count();
    let room = width.saturating_sub(fixed);
    let region_room = if region.is_empty() {
        0
    } else {
        region.len() + 1
    };
    let label_room = room.saturating_sub(region_room);
    let label = fit(&label(state, finding, label_room), label_room);
    let pad = room.saturating_sub(label.chars().count() + region_room);
    let mut text_style = if contained {
        theme::dim().add_modifier(Modifier::CROSSED_OUT)
    } else {
        Style::new()
    };
    if selected && focused {
        text_style = text_style.add_modifier(Modifier::REVERSED);
    } else if selected {
        text_style = text_style.add_modifier(Modifier::BOLD);
    }
    let severity_style = if contained {
        theme::dim()
    } else {
        theme::severity_style(finding.severity)
    };
    Line::from(vec![
        Span::styled(cursor.to_string(), Style::new().fg(Color::Cyan)),
        Span::styled(
            mark.to_string(),
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        ),
        Span::styled(severity.to_string(), severity_style),
        Span::styled(
            format!(
                " {label}{}{}",
                " ".repeat(pad),
                if region.is_empty() {
                    String::new()
                } else {
                    format!(" {region}")
                }
            ),
            text_style,
        ),
        Span::styled(suffix.to_string(), theme::good()),
    ])
}

/// What a list row says: the kind of thing, its (shortened) id, and why it is listed.
fn label(state: &State, finding: &Finding, room: usize) -> String {
    let why = match finding.kind {
        FindingKind::UnknownUser | FindingKind::UnknownRole | FindingKind::UnknownAccessKey => {
            "unknown".to_string()
        }
        FindingKind::AdminPrincipal => "admin".to_string(),
        FindingKind::ConsoleWithoutMfa => "no MFA".to_string(),
        FindingKind::KeyExposed => "key exposed".to_string(),
        FindingKind::ExternalTrust => format!("trusts {}", finding.facts),
        FindingKind::RecentResource => "new".to_string(),
        FindingKind::PublicSnapshot | FindingKind::PublicImage | FindingKind::PublicFunction => {
            "public".to_string()
        }
        FindingKind::SharedSnapshot | FindingKind::SharedImage => {
            format!("→ {}", finding.facts)
        }
        FindingKind::NotJudged => "not fully read".to_string(),
        FindingKind::DeletedResource => "DELETED".to_string(),
        FindingKind::LoggingStopped => "NOT LOGGING".to_string(),
        FindingKind::LogDeliveryBroken => "NOT DELIVERING".to_string(),
        FindingKind::TrailWeakened => "weakened".to_string(),
        FindingKind::DetectionDisabled => "DISABLED".to_string(),
        FindingKind::OpenIngress => "open to the world".to_string(),
        FindingKind::UnknownEventRule
        | FindingKind::UnknownProfileAssociation
        | FindingKind::UnknownApiKey => "unknown".to_string(),
        FindingKind::PublicBucket => "public".to_string(),
        FindingKind::SharedBucket => format!("→ {}", finding.facts),
        FindingKind::PublicAccessBlockOff => "block public access OFF".to_string(),
        FindingKind::BucketProtectionWeakened => format!("lost {}", finding.facts),
        FindingKind::DataExpiry => "EXPIRING".to_string(),
        FindingKind::ReplicationOut => format!("replicates → {}", finding.facts),
        FindingKind::RansomSigns => format!("RANSOM? {}", finding.facts),
        FindingKind::PublicDatabase => "public".to_string(),
        FindingKind::DatabaseProtectionWeakened => format!("lost {}", finding.facts),
        FindingKind::NoBaseline => return "no baseline: judged by age".to_string(),
    };
    let what = match finding.resource_type {
        ResourceType::User => "user",
        ResourceType::AccessKey => "key",
        ResourceType::Role => "role",
        ResourceType::Function => "fn",
        ResourceType::Snapshot => "snap",
        ResourceType::Image => "ami",
        ResourceType::Instance => "ec2",
        ResourceType::Account => "account",
        ResourceType::Trail => "trail",
        ResourceType::Detector => "guardduty",
        ResourceType::SecurityGroup => "sg",
        ResourceType::EventRule => "rule",
        ResourceType::ProfileAssociation => "profile",
        ResourceType::ApiKey => "apikey",
        ResourceType::Bucket => "s3",
        ResourceType::Database => "rds",
        ResourceType::DbSnapshot => "rds-snap",
    };
    let owner = match finding.resource_type {
        ResourceType::AccessKey => state
            .inventory()
            .access_key(&finding.resource_id)
            .map(|k| format!(" ({})", k.user))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let id_room = room
        .saturating_sub(what.len() + why.len() + owner.len() + 2)
        .max(8);
    format!(
        "{what} {}{owner} {why}",
        short_id(&finding.resource_id, id_room)
    )
}
