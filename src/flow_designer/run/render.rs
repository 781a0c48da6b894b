//! A Flow Designer run as people read it, and as JSON.

use super::{Event, FdRun};
use crate::diagnostic::printable_name;
use crate::tools::simulate::exchange_lines;
use std::fmt::Write as _;

/// The run as text: the path, each event, the end, the variables and the warnings. Every value
/// shows as its provenance allows; every name and value on its line (a line break in an
/// activity's name cannot forge a line of the trace).
pub(crate) fn render_text(run: &FdRun) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "run {}", printable_name(&run.flow));
    let _ = writeln!(out, "path:");
    for step in &run.path {
        let _ = writeln!(out, "  {}", printable_name(step));
    }
    let _ = writeln!(out, "events:");
    for event in &run.events {
        event_line(&mut out, event);
    }
    match (&run.end, &run.stop) {
        (Some(end), _) => {
            let _ = writeln!(out, "end: {}", printable_name(end));
        }
        (None, Some(stop)) => {
            let _ = writeln!(out, "stopped: {}", printable_name(&stop.to_string()));
        }
        _ => {}
    }
    let _ = writeln!(out, "variables:");
    for (k, v) in &run.variables {
        let _ = writeln!(out, "  {} = {:?}", printable_name(k), v);
    }
    if !run.warnings.is_empty() {
        let _ = writeln!(out, "warnings:");
        for w in &run.warnings {
            let _ = writeln!(out, "  {}", printable_name(w));
        }
    }
    out
}

fn event_line(out: &mut String, event: &Event) {
    let quoted = |list: &[crate::secret::Text]| {
        let list: Vec<String> = list.iter().map(|t| format!("{t:?}")).collect();
        printable_name(&list.join(", ")).into_owned()
    };
    let (activity, what) = match event {
        Event::PlayMessage { activity, prompts } => (activity, format!("play {}", quoted(prompts))),
        Event::PlayMusic { activity, prompt } => {
            (activity, format!("music {}", printable_name(prompt)))
        }
        Event::Queue {
            activity,
            destination,
        } => (
            activity,
            format!("queue to {}", printable_name(destination)),
        ),
        Event::Menu {
            activity,
            prompts,
            digit,
            port,
        } => {
            let digit = digit.as_deref().map_or("no digit".into(), printable_name);
            let menu = format!(
                "menu {} <- {digit} -> {}",
                quoted(prompts),
                printable_name(port)
            );
            (activity, menu)
        }
        Event::CollectDigits {
            activity,
            digits,
            port,
        } => {
            let digits = digits.as_deref().map_or("no digits".into(), printable_name);
            (
                activity,
                format!("collect digits <- {digits} -> {}", printable_name(port)),
            )
        }
        Event::Subflow { activity, subflow } => {
            (activity, format!("subflow {}", printable_name(subflow)))
        }
        Event::Waiting { activity } => (activity, "in queue, waiting for an agent".into()),
        Event::Disconnect { activity } => (activity, "disconnect".into()),
        Event::Http { activity, exchange } => {
            let request = &exchange.request;
            let url = printable_name(request.url.shown());
            (activity, format!("{} {url}", request.method))
        }
    };
    let _ = writeln!(out, "  {}: {what}", printable_name(activity));
    if let Event::Http { exchange, .. } = event {
        exchange_lines(out, "      ", "    ", exchange);
    }
}

/// The run as JSON: `path`, `end`, `variables`, `events`, `warnings`; every value as shown.
// `expect` below: a run is plain data with string keys: it always serialises.
#[allow(clippy::expect_used)]
pub(crate) fn render_json(run: &FdRun) -> String {
    serde_json::to_string_pretty(run).expect("runs serialise") + "\n"
}
