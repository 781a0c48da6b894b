//! A scenario run on both targets: the Webex Connect flow and the Flow Designer subflow lowered
//! from it must end alike (the flow outcome, which the subflow returns in `FlowOutcome`, and
//! every variable of the spec), but where the scenario says they differ by design.

use super::{Event, FdRun};
use crate::flow::Flow;
use crate::flow_designer::lower::{fd_name, OUTCOME_VARIABLE};
use crate::secret::Text;
use crate::tools::simulate::scenario::{
    check_parts, failure, Expect, Failure, FlowDesigner, Shown,
};
use crate::tools::simulate::{Request, Run};
use std::collections::BTreeMap;

/// A value beside another as a failure may show them: neither when either is secret.
fn pair(want: &Text, got: &Text) -> (String, String) {
    if want.is_secret() || got.is_secret() {
        (
            "(secret, not shown)".into(),
            "a different value (secret, not shown)".into(),
        )
    } else {
        (
            format!("{:?}", want.expose()),
            format!("{:?}", got.expose()),
        )
    }
}

/// What differs between the Webex Connect run of `flow` and the Flow Designer run of the
/// subflow lowered from it, and what the Flow Designer run shows against the scenario's
/// expectations (`expect`, with `[flow_designer.expect]` taking precedence and `visited` only
/// from there).
pub fn check_both(
    flow: &Flow,
    connect: &Run,
    fd: &FdRun,
    expect: &Expect,
    side: &FlowDesigner,
) -> Vec<Failure> {
    let mut out = Vec::new();
    // A name `differs` gives that the spec does not have (a typo) would excuse nothing, and
    // pass silently.
    for name in side.differs.keys() {
        if name != OUTCOME_VARIABLE && !flow.variables.iter().any(|v| &v.name == name) {
            out.push(failure(
                "[flow_designer] differs",
                format!("a variable of the spec, or {OUTCOME_VARIABLE}"),
                format!("`{name}`, which the spec does not have"),
            ));
        }
    }
    if let Some(stop) = &fd.stop {
        out.push(failure(
            "Flow Designer run",
            "an end",
            format!("(stopped: {stop})"),
        ));
        return out;
    }
    let fd_outcome = fd.variables.get(OUTCOME_VARIABLE);
    if !side.differs.contains_key(OUTCOME_VARIABLE) {
        let connect_outcome = Text::plain(connect.outcome.clone().unwrap_or_default());
        let got = fd_outcome.cloned().unwrap_or_default();
        if connect.outcome.is_none() || got.expose() != connect_outcome.expose() {
            let (want, got) = pair(&connect_outcome, &got);
            out.push(failure(
                "Flow Designer FlowOutcome against the Webex Connect outcome",
                want,
                got,
            ));
        }
    }
    for v in &flow.variables {
        if side.differs.contains_key(&v.name) {
            continue;
        }
        let want = connect.variables.get(&v.name).cloned().unwrap_or_default();
        match fd.variables.get(&fd_name(&v.name)) {
            None => out.push(failure(
                format!("Flow Designer variable for {}", v.name),
                fd_name(&v.name),
                "(not a variable of the subflow)",
            )),
            Some(got) if got.expose() != want.expose() => {
                let (want, got) = pair(&want, got);
                // The Webex Connect run is the reference: the Flow Designer one is what differs.
                out.push(failure(
                    format!(
                        "Flow Designer variable {} against the Webex Connect run",
                        v.name
                    ),
                    want,
                    got,
                ));
            }
            Some(_) => {}
        }
    }
    // The scenario's expectations, by the spec's names, on the Flow Designer run.
    let mut variables: BTreeMap<String, Text> = fd.variables.clone();
    for v in &flow.variables {
        if let Some(value) = fd.variables.get(&fd_name(&v.name)) {
            variables.insert(v.name.clone(), value.clone());
        }
    }
    let own = &side.expect;
    let mut merged = Expect {
        outcome: own.outcome.clone().or_else(|| expect.outcome.clone()),
        variables: expect.variables.clone(),
        visited: own.visited.clone(),
        requests: own.requests.clone().or_else(|| expect.requests.clone()),
        error: own.error.clone().or_else(|| expect.error.clone()),
    };
    merged.variables.extend(own.variables.clone());
    for name in side.differs.keys() {
        if !own.variables.contains_key(name) {
            merged.variables.remove(name);
        }
    }
    if side.differs.contains_key(OUTCOME_VARIABLE) && own.outcome.is_none() {
        merged.outcome = None;
    }
    let requests: Vec<&Request> = fd
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Http { exchange, .. } => Some(&exchange.request),
            _ => None,
        })
        .collect();
    let shown = Shown {
        outcome: fd_outcome.map(Text::expose),
        stop: None,
        variables: &variables,
        visited: fd.path.clone(),
        requests: &requests,
    };
    out.extend(check_parts(&shown, &merged).into_iter().map(|mut f| {
        f.what = format!("Flow Designer {}", f.what);
        f
    }));
    out
}

/// Subflows lowered from the Webex Connect flows a resolver finds, by flow name: the subflow
/// a lowered `call_flow` hands off to.
pub struct Lowered<'a>(pub &'a dyn crate::tools::simulate::FlowResolver);

impl super::SubflowLookup for Lowered<'_> {
    fn subflow(
        &self,
        name: &str,
    ) -> Result<crate::flow_designer::model::FdFlow, super::SubflowError> {
        let unusable = |why: String| super::SubflowError::Unusable(name.to_string(), why);
        let flow = self.0.resolve(name).map_err(|e| unusable(e.to_string()))?;
        match crate::flow_designer::lower::lower(&flow, None) {
            (Some(model), _) => Ok(model),
            (None, diagnostics) => Err(unusable(format!(
                "it does not lower to Flow Designer: {}",
                diagnostics
                    .iter()
                    .find(|d| d.is_error())
                    .map_or(String::new(), |d| d.message.clone())
            ))),
        }
    }
}

/// The inputs the lowered subflow takes from what the Webex Connect run was given: the
/// webhook body's fields and the simulator's flow transaction id, by the names the
/// lowering gives them, where the subflow has them.
pub fn inputs_for(
    model: &crate::flow_designer::model::FdFlow,
    trigger: &serde_json::Value,
) -> super::Inputs {
    let mut inputs = super::Inputs::default();
    let has = |name: &str| model.variables.iter().any(|v| v.name == name);
    for (path, value) in crate::flow::webhook_outputs(trigger) {
        let name = fd_name(&path);
        if has(&name) {
            // As the Connect run reads the field: text as it is, null as empty text, anything
            // else as its JSON.
            let value = match value {
                serde_json::Value::String(_) => value.clone(),
                serde_json::Value::Null => serde_json::Value::String(String::new()),
                other => serde_json::Value::String(other.to_string()),
            };
            inputs.variables.insert(name, value);
        }
    }
    if has("flid") {
        inputs.variables.insert(
            "flid".into(),
            serde_json::Value::String(crate::tools::simulate::SIMULATED_FLID.into()),
        );
    }
    inputs
}
