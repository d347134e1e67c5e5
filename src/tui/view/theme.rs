//! Colours and glyphs shared by the views.

use ratatui::style::{Color, Modifier, Style};

use firebreak_core::model::finding::Severity;
use firebreak_core::scan::RegionStatus;

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// Style of a region status.
pub fn status_style(status: RegionStatus) -> Style {
    match status {
        RegionStatus::Pending => Style::new().fg(Color::DarkGray),
        RegionStatus::Scanning => Style::new().fg(Color::Yellow),
        RegionStatus::Done => Style::new().fg(Color::Green),
        RegionStatus::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        RegionStatus::NotEnabled => Style::new().fg(Color::DarkGray),
    }
}

/// One-character status mark; `ticks` animates the scanning spinner.
pub fn status_glyph(status: RegionStatus, ticks: u64) -> &'static str {
    match status {
        RegionStatus::Pending => "·",
        RegionStatus::Scanning => SPINNER[(ticks % SPINNER.len() as u64) as usize],
        RegionStatus::Done => "✓",
        RegionStatus::Error => "✗",
        RegionStatus::NotEnabled => "–",
    }
}

/// Style for something exposed outside the account.
pub fn danger() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// Style for notices the operator should read.
pub fn warning() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

/// Style for something that went well.
pub fn good() -> Style {
    Style::new().fg(Color::Green)
}

/// Style for labels and secondary text.
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Style of a finding's severity.
pub fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => Style::new()
            .fg(Color::White)
            .bg(Color::Red)
            .add_modifier(Modifier::BOLD),
        Severity::High => Style::new()
            .fg(Color::LightRed)
            .add_modifier(Modifier::BOLD),
        Severity::Medium => Style::new().fg(Color::Yellow),
        Severity::Low => Style::new().fg(Color::Cyan),
        Severity::Info => dim(),
    }
}

/// A severity as text colour only (region names, list rows).
pub fn severity_fg(severity: Severity) -> Style {
    match severity {
        Severity::Critical => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Severity::High => Style::new().fg(Color::LightRed),
        Severity::Medium => Style::new().fg(Color::Yellow),
        Severity::Low => Style::new().fg(Color::Cyan),
        Severity::Info => dim(),
    }
}

/// A pane's border: bright when it has the keyboard.
pub fn border(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    }
}

/// Four-letter severity label.
pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRIT",
        Severity::High => "HIGH",
        Severity::Medium => "MED ",
        Severity::Low => "LOW ",
        Severity::Info => "INFO",
    }
}
