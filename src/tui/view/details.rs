//! Details of the selection: the whole summary, every fact the scan read about the thing,
//! related findings, its id and ARN, and what each playbook key would do to it. With the region
//! grid focused: that region's status and errors (AWS code and request id).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme;

use crate::service::request::SharedTarget;
use crate::tui::state::{Focus, State};
use firebreak_core::bindings::Command;
use firebreak_core::model::GLOBAL;
use firebreak_core::model::finding::{Finding, FindingKind, ResourceType};
use firebreak_core::playbook::countermeasure::Countermeasure;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    match state.focus {
        Focus::Regions => return render_region(frame, area, state),
        Focus::Log => return render_action(frame, area, state),
        Focus::List(_) => {}
    }
    let Some(finding) = state.selection() else {
        let block = Block::bordered().title(" Details ");
        let text = if state.scan.done {
            "nothing selected"
        } else {
            "scanning…"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(format!(" {text}"), theme::dim())).block(block),
            area,
        );
        return;
    };
    let title = format!(
        " {} {} ",
        finding.resource_type.as_str().replace('_', " "),
        finding.resource_id
    );
    let mut lines = vec![Line::from(vec![
        Span::styled(
            theme::severity_label(finding.severity),
            theme::severity_style(finding.severity),
        ),
        Span::raw(format!(" {} · {}", finding.kind.as_str(), finding.region)),
    ])];
    lines.push(Line::raw(finding.summary.clone()));
    if let Some(action) = state.contained.get(&finding.id) {
        lines.push(Line::styled(
            format!("contained by {action} (until a rescan shows it gone or u undoes it)"),
            theme::good(),
        ));
    }
    for (command, effect) in playbooks(state, finding) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<2} ", state.keys.key(command)),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(effect),
        ]));
    }
    for detail in &finding.details {
        lines.push(Line::styled(format!("· {detail}"), theme::dim()));
    }
    lines.extend(facts(state, finding).into_iter().map(Line::raw));
    for related in &finding.related {
        let text = state
            .finding(related)
            .map_or_else(|| related.clone(), |f| f.summary.clone());
        lines.push(Line::styled(format!("related: {text}"), theme::dim()));
    }
    lines.push(Line::styled(format!("id {}", finding.id), theme::dim()));
    if let Some(arn) = &finding.arn {
        lines.push(Line::styled(arn.clone(), theme::dim()));
    }
    // Last: the id stays in view in a short pane.
    match state.attributions.get(&finding.id) {
        Some(Some(attribution)) => {
            lines.push(Line::raw(format!("attribution: {attribution}")));
        }
        Some(None) => lines.push(Line::styled(
            "attribution: looking up CloudTrail's event history…",
            theme::dim(),
        )),
        None => {}
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(title))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// What the inventory says about the thing behind `finding`.
fn facts(state: &State, finding: &Finding) -> Vec<String> {
    let inventory = state.inventory();
    let id = finding.resource_id.as_str();
    let region = finding.region.as_str();
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("unknown".to_string(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    let mut out = Vec::new();
    match finding.resource_type {
        ResourceType::User => {
            if let Some(user) = inventory.user(id) {
                out.push(format!(
                    "created {} · console {} · MFA {}",
                    time(Some(user.created)),
                    if user.console_access { "yes" } else { "no" },
                    user.mfa_devices.len()
                ));
                if !user.admin_via.is_empty() {
                    out.push(format!("admin via {}", user.admin_via.join(", ")));
                }
                for key in inventory.keys_of(&user.name) {
                    out.push(format!(
                        "key {} {:?} · created {} · last used {}",
                        key.id,
                        key.status,
                        time(key.created),
                        key.last_used
                            .as_ref()
                            .map_or("never".to_string(), |u| time(u.date))
                    ));
                }
            }
        }
        ResourceType::AccessKey => {
            if let Some(key) = inventory.access_key(id) {
                out.push(format!(
                    "user {} · {:?} · created {}",
                    key.user,
                    key.status,
                    time(key.created)
                ));
            }
        }
        ResourceType::Role => {
            if let Some(role) = inventory.role(id) {
                out.push(format!(
                    "created {} · path {}",
                    time(Some(role.created)),
                    role.path
                ));
                let trust = &role.trust;
                let mut who: Vec<String> = trust.accounts.iter().cloned().collect();
                who.extend(trust.services.iter().cloned());
                who.extend(trust.federated.iter().cloned());
                if trust.public {
                    who.insert(0, "* (anyone)".into());
                }
                if who.is_empty() {
                    out.push("trusted by no one outside the account".to_string());
                } else {
                    out.push(format!("trusted by {}", who.join(", ")));
                }
                if !role.admin_via.is_empty() {
                    out.push(format!("admin via {}", role.admin_via.join(", ")));
                }
            }
        }
        ResourceType::Function => {
            if let Some(f) = inventory.function(region, id) {
                out.push(format!(
                    "{} · modified {} · reserved concurrency {}",
                    f.runtime.as_deref().unwrap_or("runtime ?"),
                    time(f.last_modified),
                    f.reserved_concurrency
                        .map_or("none".to_string(), |c| c.to_string())
                ));
                if let Some(p) = &f.policy_principals {
                    let mut who: Vec<String> = p.accounts.iter().cloned().collect();
                    if p.public {
                        who.insert(0, "*".into());
                    }
                    who.extend(p.services.iter().cloned());
                    out.push(format!("resource policy lets in {}", who.join(", ")));
                }
                if let Some(auth) = f.url_auth {
                    out.push(format!("function URL auth {auth:?}"));
                }
            }
        }
        ResourceType::Snapshot => {
            if let Some(s) = inventory.snapshot(region, id) {
                out.push(format!(
                    "{} GiB · {} · started {}",
                    s.size_gib.unwrap_or_default(),
                    if s.encrypted {
                        "encrypted"
                    } else {
                        "UNENCRYPTED"
                    },
                    time(s.started)
                ));
                out.push(sharing(&s.sharing));
            }
        }
        ResourceType::Image => {
            if let Some(i) = inventory.image(region, id) {
                out.push(format!(
                    "{} · created {}",
                    i.name.as_deref().unwrap_or("unnamed"),
                    time(i.created)
                ));
                out.push(sharing(&i.sharing));
            }
        }
        ResourceType::Database => {
            if let Some(d) = inventory.database(region, id) {
                out.push(format!(
                    "{} {} · created {}",
                    d.kind.as_str(),
                    d.engine.as_deref().unwrap_or("engine ?"),
                    time(d.created)
                ));
                out.push(format!(
                    "{} · deletion protection {} · backups kept {} day(s) · {}",
                    if d.public { "PUBLIC" } else { "private" },
                    if d.deletion_protection { "on" } else { "OFF" },
                    d.backup_retention,
                    if d.encrypted {
                        "encrypted"
                    } else {
                        "UNENCRYPTED"
                    }
                ));
            }
        }
        ResourceType::DbSnapshot => {
            if let Some(s) = inventory.db_snapshot(region, id) {
                out.push(format!(
                    "of {} · {} · created {}",
                    s.source.as_deref().unwrap_or("?"),
                    if s.encrypted {
                        "encrypted"
                    } else {
                        "UNENCRYPTED"
                    },
                    time(s.created)
                ));
                out.push(sharing(&s.sharing));
            }
        }
        ResourceType::Bucket => {
            if let Some(b) = inventory.bucket(region, id) {
                out.push(format!("created {}", time(b.created)));
                out.extend(bucket_lines(b));
            }
        }
        // What matters about the rest is in the finding's own details.
        ResourceType::Instance
        | ResourceType::Account
        | ResourceType::Trail
        | ResourceType::Detector
        | ResourceType::SecurityGroup
        | ResourceType::EventRule
        | ResourceType::ProfileAssociation
        | ResourceType::ApiKey => {}
    }
    out
}

/// A bucket's exposure, protections and census, one line each.
fn bucket_lines(b: &firebreak_core::model::storage::Bucket) -> Vec<String> {
    let policy = match &b.policy {
        None => "no policy".to_string(),
        Some(p) if b.policy_is_public() => format!(
            "policy PUBLIC{}",
            if p.accounts.is_empty() {
                String::new()
            } else {
                format!(
                    ", accounts {}",
                    p.accounts.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        ),
        Some(p) if p.accounts.is_empty() => "policy names no other account".to_string(),
        Some(p) => format!(
            "policy lets in {}",
            p.accounts.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
    };
    let acl = if b.acl.public.is_empty() && b.acl.accounts.is_empty() {
        "ACL: owner only".to_string()
    } else {
        format!(
            "ACL: {}",
            b.acl
                .public
                .iter()
                .chain(&b.acl.accounts)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let block = match b.block {
        Some(block) if block.all_on() => "block public access on".to_string(),
        Some(block) => format!("block public access off: {}", block.off().join(", ")),
        None => "no block public access of its own".to_string(),
    };
    let mut lines = vec![
        policy,
        format!("{acl} · {block}"),
        format!(
            "versioning {:?}{}{}",
            b.versioning,
            if b.mfa_delete { " · MFA delete" } else { "" },
            if b.object_lock { " · Object Lock" } else { "" }
        ),
    ];
    if let Some(census) = &b.census {
        lines.push(format!(
            "census: {} object(s){} listed, {} read in detail",
            census.listed,
            if census.more {
                " (more not listed)"
            } else {
                ""
            },
            census.sampled.len()
        ));
    }
    lines
}

fn sharing(sharing: &firebreak_core::model::Sharing) -> String {
    let mut who: Vec<String> = sharing.accounts.iter().cloned().collect();
    if sharing.public {
        who.insert(0, "PUBLIC".into());
    }
    who.extend(sharing.organizations.iter().cloned());
    if who.is_empty() {
        "not shared".into()
    } else {
        format!("shared with {}", who.join(", "))
    }
}

/// What each playbook key would do to `finding`.
fn playbooks(state: &State, finding: &Finding) -> Vec<(Command, String)> {
    let mut out = Vec::new();
    if finding.kind == FindingKind::DeletedResource && Countermeasure::of_finding(finding).is_none()
    {
        // Nothing left to act on: stop whoever is deleting (D on them, or F).
        out.push((
            Command::Accept,
            "accept the deletion: the baseline stops expecting it".to_string(),
        ));
        return out;
    }
    match finding.resource_type {
        ResourceType::User => out.push((
            Command::Disable,
            "keys inactive, console password deleted (irreversible), deny-all + revoke sessions"
                .to_string(),
        )),
        ResourceType::AccessKey => out.push((
            Command::Disable,
            "this key inactive (the user keeps its other keys)".to_string(),
        )),
        ResourceType::Role => out.push((
            Command::Disable,
            "deny-all + revoke sessions; trust back to what the baseline trusts".to_string(),
        )),
        ResourceType::Function => {
            if state.knows_function(&finding.region, &finding.resource_id) {
                out.push((
                    Command::Contain,
                    "refused unless marked: the baseline knows this function".to_string(),
                ));
            } else {
                out.push((
                    Command::Contain,
                    "throttle to 0 + save evidence; delete offered after".to_string(),
                ));
            }
        }
        _ => {}
    }
    if let Some(measure) = Countermeasure::of_finding(finding) {
        let effect = match measure {
            Countermeasure::RestoreLogging => "start logging again (undo stops only this)",
            Countermeasure::RestoreDetection if finding.kind == FindingKind::DeletedResource => {
                "create a new, enabled detector (the deleted one's history is gone)"
            }
            Countermeasure::RestoreDetection => "enable the detector again",
            Countermeasure::CloseIngress => "revoke exactly the new world-open rules",
            Countermeasure::DisableRule => "disable the rule (undo enables it)",
            Countermeasure::DetachProfile => {
                "disassociate the profile: the instance loses the role"
            }
            Countermeasure::DisableApiKey => "disable the key (undo enables it)",
        };
        out.push((Command::Counter, format!("{measure}: {effect}")));
    }
    if SharedTarget::of_finding(finding).is_some() {
        let effect = match finding.resource_type {
            ResourceType::Function => {
                "remove public/untrusted policy statements, URL auth → AWS_IAM; keeps it running"
            }
            ResourceType::Bucket => {
                "remove public/untrusted policy statements and ACL grants, block public access on"
            }
            ResourceType::Database => "PubliclyAccessible off (undo turns it back on)",
            ResourceType::Account => "the account's S3 Block Public Access on",
            _ => "remove public and untrusted shares, keep trusted partners",
        };
        out.push((Command::Unshare, effect.to_string()));
    }
    if matches!(
        finding.resource_type,
        ResourceType::Bucket | ResourceType::Database
    ) {
        out.push((
            Command::Protect,
            "deny deleting to all but you and break-glass, versioning on, deletion protection on"
                .to_string(),
        ));
    }
    if !matches!(
        finding.kind,
        FindingKind::NoBaseline | FindingKind::NotJudged
    ) {
        out.push((Command::Accept, "accept into the baseline".to_string()));
    }
    out
}

fn render_region(frame: &mut Frame, area: Rect, state: &State) {
    let cells = state.region_cells();
    let name = cells.get(state.region_cursor).copied().unwrap_or(GLOBAL);
    let region = if name == GLOBAL {
        Some(&state.scan.global)
    } else {
        state.scan.regions.iter().find(|r| r.name == name)
    };
    let mut lines = Vec::new();
    if let Some(region) = region {
        let time = region
            .duration
            .map_or_else(String::new, |d| format!(" in {:.1}s", d.as_secs_f64()));
        lines.push(Line::raw(format!(
            "{}{time}",
            region.status.word().replace('_', " ")
        )));
        for error in &region.errors {
            lines.push(Line::styled(
                format!(
                    "{} {} failed: {} {} (request id {})",
                    error.service,
                    error.operation,
                    error.code,
                    error.message,
                    error.request_id.as_deref().unwrap_or("none")
                ),
                theme::danger(),
            ));
            if let Some(action) = error.missing_permission() {
                lines.push(Line::styled(
                    format!("  the caller lacks the IAM permission {action}"),
                    theme::danger(),
                ));
            }
        }
        if !region.stale.is_empty() {
            lines.push(Line::styled(
                format!(
                    "stale: {} could not be read again; showing the last good results",
                    region.stale.join(", ")
                ),
                Style::new().fg(Color::Yellow),
            ));
        }
    }
    let count = state.region_tally(name).count;
    lines.push(Line::raw(format!(
        "{count} finding(s); Esc shows every region"
    )));
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" {name} ")))
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The action `u` would undo now (picked in the log): its plan and how each step ended.
fn render_action(frame: &mut Frame, area: Rect, state: &State) {
    let Some(run) = state.last_undoable() else {
        frame.render_widget(
            Paragraph::new(Line::styled(
                " no action of this session can be undone",
                theme::dim(),
            ))
            .block(Block::bordered().title(" Actions ")),
            area,
        );
        return;
    };
    let plan = &run.plan;
    let mut lines = vec![Line::raw(format!("{} — {}", plan.action_id, plan.playbook))];
    for step in &plan.steps {
        let outcome = run
            .outcomes
            .get(&step.index)
            .map_or("not sent", |o| o.word());
        lines.push(Line::raw(format!(
            "{:>3} {:<9} {} {} [{}]",
            step.index, outcome, step.api, step.target, step.region
        )));
    }
    lines.push(Line::from(vec![
        Span::styled(
            format!("{:<2} ", state.keys.key(Command::Undo)),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::raw("undo the steps that ended ok (a plan is shown first)"),
    ]));
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(format!(" action {} ", plan.action_id)))
            .wrap(Wrap { trim: false }),
        area,
    );
}
