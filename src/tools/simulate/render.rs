//! A run as people read it, and as JSON.

use super::{Exchange, Reply, Run};
use crate::diagnostic::printable_name;
use std::fmt::Write as _;

impl Run {
    /// The run for people: each step with its outcome, assignments and request; then the end. Every
    /// value shows as its provenance allows.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "run {}", self.flow);
        for step in &self.steps {
            let _ = match step.outcome.as_str() {
                "" => writeln!(out, "  {} (the run stopped here)", step.node),
                outcome => writeln!(out, "  {} -> {outcome}", step.node),
            };
            // On-enter assignments ran before the request, on-leave ones after it.
            let entered = step.assigned_on_enter.min(step.assigned.len());
            let (on_enter, on_leave) = step.assigned.split_at(entered);
            for (k, v) in on_enter {
                let _ = writeln!(out, "      set {k} = {v:?}");
            }
            if let Some(x) = &step.request {
                let _ = writeln!(
                    out,
                    "      {} {}",
                    x.request.method,
                    printable_name(x.request.url.shown())
                );
                exchange_lines(&mut out, "        ", "      ", x);
            }
            for (k, v) in on_leave {
                let _ = writeln!(out, "      set {k} = {v:?}");
            }
        }
        if let (true, Some(step)) = (self.path_hidden, self.steps.last()) {
            let _ = writeln!(
                out,
                "  ••• (the path after `{}` is not shown: its branch was chosen on a secret value, and where the run went would tell something of it; --reveal-path shows it)",
                printable_name(&step.node.key_path())
            );
        }
        match (&self.outcome, &self.error) {
            (Some(o), _) => {
                let _ = writeln!(out, "outcome: {o}");
            }
            (None, Some(e)) => {
                let _ = writeln!(out, "stopped: {e}");
            }
            _ => {}
        }
        let _ = writeln!(out, "variables:");
        for (k, v) in &self.variables {
            let _ = writeln!(out, "  {k} = {v:?}");
        }
        out
    }

    /// The run as JSON; every value serialises as it is shown.
    // `expect` below: A run is plain data with string keys: it always serialises.
    #[allow(clippy::expect_used)]
    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("runs serialise") + "\n"
    }
}

/// An exchange's lines after the request line: headers and body at `detail`'s indent, the
/// redirects and the reply (`<- ...`) at `reply`'s. Every value as its provenance allows.
pub(crate) fn exchange_lines(out: &mut String, detail: &str, reply: &str, x: &Exchange) {
    for (k, v) in &x.request.headers {
        let _ = writeln!(
            out,
            "{detail}{}: {}",
            printable_name(k),
            printable_name(v.shown())
        );
    }
    if let Some(b) = &x.request.body {
        let _ = writeln!(out, "{detail}body: {}", printable_name(b.shown()));
    }
    for hop in &x.redirects {
        let _ = writeln!(
            out,
            "{reply}<- {} redirect to {}: {}",
            hop.status,
            printable_name(hop.location.shown()),
            hop.action
        );
    }
    let answer = match &x.reply {
        Reply::Response { status, body, .. } => {
            format!("{status} {}", printable_name(body.shown()))
        }
        Reply::ConnectionFailed { reason } => {
            format!("connection failed: {}", printable_name(reason.shown()))
        }
        Reply::Timeout => "timed out".into(),
        Reply::Refused { reason } => format!("not sent: {}", printable_name(reason)),
    };
    let _ = writeln!(out, "{reply}<- {answer}");
}
