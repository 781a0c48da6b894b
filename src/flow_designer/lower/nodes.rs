//! HTTP and branch nodes, and how references resolve in Flow Designer.

use super::*;

impl Resolver for Lowering<'_> {
    fn resolve(&mut self, reference: &str) -> Result<Resolved, Unresolved> {
        let plain = |expression: String| {
            Ok(Resolved {
                expression,
                numeric: false,
            })
        };
        if let Some(name) = self.names.get(reference) {
            return plain(name.clone());
        }
        if crate::flow::SYSTEM_VARIABLES.contains(&reference) {
            let name = self.extra_variable(
                &fd_name(reference),
                Origin::Runtime(reference.to_string()),
                "SUBFLOW_INPUT",
                format!("Webex Connect's `$({reference})` (the flow transaction id) has no subflow equivalent: the parent maps a value, e.g. its interaction id."),
            ).map_err(Unresolved::Clash)?;
            return plain(name);
        }
        let Some((head, rest)) = crate::flow::refs::split_node_reference(reference) else {
            return Err(Unresolved::Nothing(reference.to_string()));
        };
        let id = NodeId::parse(head).ok_or_else(|| Unresolved::Nothing(reference.to_string()))?;
        if id == START_ID {
            let name = self.extra_variable(
                &fd_name(rest),
                Origin::Runtime(format!("start.{rest}")),
                "SUBFLOW_INPUT",
                format!("Webex Connect webhook field `{rest}`: in Flow Designer the parent maps it in the subflow handoff."),
            ).map_err(Unresolved::Clash)?;
            return plain(name);
        }
        let flow = self.flow;
        let node = flow
            .node(id)
            .ok_or_else(|| Unresolved::NoNode(reference.to_string()))?;
        match &node.kind {
            NodeKind::Http(h) => match rest {
                "https.statusCode" => Ok(Resolved {
                    expression: format!("{}.httpStatusCode", node.key),
                    numeric: true,
                }),
                "https.responseBody" => plain(format!("{}.httpResponseBody", node.key)),
                "https.statusText" | "https.responseHeaders" => {
                    Err(Unresolved::HttpOutput(node.key.clone(), rest.to_string()))
                }
                output if h.outputs.contains_key(output) => {
                    plain(output_variable(&node.key, output))
                }
                _ => Err(Unresolved::NoOutput(node.key.clone(), rest.to_string())),
            },
            _ => Err(Unresolved::NodeOutputs(
                node.key.clone(),
                rest.to_string(),
                node.kind.type_name(),
            )),
        }
    }
}

/// What a handoff's description says while the subflow's ids are not known; `push` rewrites it
/// when it resolves them ([`super::super::push::resolve_subflows`]).
pub(crate) fn unresolved_note(subflow: &str) -> String {
    format!(" Unresolved: the subflow's ids are not known here; build with `--subflow {subflow}=ID`, or let `wxcflow push` look it up by name.")
}

/// What a handoff's description says once `push` has resolved the subflow's ids.
pub(crate) fn resolved_note(subflow: &str, flow_id: &str) -> String {
    format!(" Resolved by `wxcflow push`: subflow `{subflow}` found by name in the tenant (flow id {flow_id}).")
}

/// The variable an HTTP node's output lands in.
fn output_variable(key: &str, output: &str) -> String {
    fd_name(&format!("{key}_{output}"))
}

impl Lowering<'_> {
    /// A header the flow lists in `[flow] credential_headers` whose name Flow Designer's
    /// readers do not know as a credential's: a value typed in clear is kept in a secure
    /// variable of its own (`isSecure`, holding the value; the header reads it whole), so that
    /// the file is private and every reader of it masks the value; references are written as
    /// they are (the variables they read are secure, see `declared_header_variables`). A value
    /// that mixes typed text with references cannot be split faithfully: refused.
    fn declared_credential(&mut self, node: &Node, name: &str, value: &str) -> String {
        use crate::secret::names::{literal_part, CONNECT_REFERENCES};
        if literal_part(value, CONNECT_REFERENCES).is_empty() {
            return self.text(node, "headers", value);
        }
        let reads = crate::flow::refs::references(value).unwrap_or_default();
        if !reads.is_empty() || value.contains("$(") {
            // At the node, not the header's line: a quoted line would show the typed value.
            let span = self.at_node(&node.key);
            self.refuse(
                format!(
                    "`{}.headers.{name}` types a credential and reads references in one value; a Flow Designer file has no list of credential headers to keep it secret",
                    node.key
                ),
                span,
                Some("type the credential whole into a secret variable's default and write `$(ThatVariable)` here, or give the header a value without typed text"),
            );
            return String::new();
        }
        let var = fd_name(&format!("{}_{name}", node.key));
        let made = self.extra_variable(
            &var,
            Origin::Credential(node.key.clone(), name.to_string()),
            "",
            format!(
                "Credential typed in header `{name}` of `{}` ([flow] credential_headers lists it), kept secure.",
                node.key
            ),
        );
        if let Err(clash) = made {
            let span = self.at_field(&node.key, "headers");
            self.refuse_clash(clash, span);
            return String::new();
        }
        if let Some(v) = self.extra.get_mut(&var) {
            v.is_secure = true;
            v.value = json!(value);
        }
        format!("{{{{{var}}}}}")
    }

    pub(super) fn lower_http(&mut self, node: &Node, h: &Http) {
        let mut notes: Vec<String> = node.note.iter().cloned().collect();
        if let Some(ms) = h.connect_timeout_ms {
            let span = self.at_field(&node.key, "connect_timeout_ms");
            let bound = h
                .request_timeout_ms
                .map_or("the editor's default".to_string(), |t| format!("{t} ms"));
            self.report(
                Code::Approximated,
                format!("`{}.connect_timeout_ms` ({ms} ms) has no Flow Designer field; the request is bounded by httpResponseTimeout alone ({bound})", node.key),
                span,
                Some("Flow Designer's HTTP Request has one response timeout"),
            );
            notes.push(format!(
                "Webex Connect connect timeout {ms} ms not carried: one response timeout here."
            ));
        }
        let url = self.text(node, "url", &h.url);
        let mut headers = serde_json::Map::new();
        for (name, value) in &h.headers {
            let v = if super::declared_only_credential_header(self.flow, name) {
                self.declared_credential(node, name, value)
            } else {
                self.text(node, "headers", value)
            };
            headers.insert(name.clone(), json!(v));
        }
        let body = h.body.as_ref().map(|b| self.text(node, "body", b));
        if !h.outputs.is_empty() && self.on_loops.contains(&node.id) {
            let span = self.at_field(&node.key, "outputs");
            self.report(
                Code::Approximated,
                format!(
                    "`{}` can run again in a loop, and its outputs land in variables: a later reply without a field leaves the variable holding an earlier reply's value [assumed: a JSONPath that finds nothing sets nothing], where Webex Connect reads the last reply's (empty)",
                    node.key
                ),
                span,
                Some("read each output only right after its reply, or give the loop a check that tells the replies apart"),
            );
        }
        let mut outputs = Vec::new();
        for (output, path) in &h.outputs {
            let var = output_variable(&node.key, output);
            let secret = self.feeds_secret(node, output);
            let made = self.extra_variable(
                &var,
                Origin::Output(node.key.clone(), output.clone()),
                "",
                format!("Output `{output}` of `{}` ({path}).", node.key),
            );
            if let Err(clash) = made {
                let span = self.at_field(&node.key, &format!("outputs.{output}"));
                self.refuse_clash(clash, span);
            }
            if let Some(v) = self.extra.get_mut(&var) {
                v.is_secure = secret;
            }
            outputs.push(json!({ "outputVariable": var, "jsonPathExp": path }));
        }
        let mut settings = vec![
            ("httpRequestMethod", json!(h.method.as_str())),
            ("httpRequestUrl", json!(url)),
            ("httpRequestHeaders", Value::Object(headers)),
            ("outputVariableArray", Value::Array(outputs)),
        ];
        if let Some(b) = body {
            settings.push(("httpRequestBody", json!(b)));
        }
        if let Some(ms) = h.request_timeout_ms {
            settings.push(("httpResponseTimeout", json!(ms)));
        }

        let exits: Vec<(String, Option<Target>, Vec<&Action>)> = outcome_names::HTTP
            .iter()
            .map(|o| {
                let target = node
                    .exits
                    .iter()
                    .find(|e| e.outcome == *o)
                    .map(|e| e.target.clone());
                let actions = node
                    .on_leave
                    .iter()
                    .filter(|a| a.outcome.as_deref().is_none_or(|x| x == *o))
                    .collect();
                (o.to_string(), target, actions)
            })
            .collect();
        let same = |a: usize, b: usize| exits[a].1 == exits[b].1 && exits[a].2 == exits[b].2;
        let needs_check = !(same(0, 1) && same(0, 2));
        if needs_check && !same(1, 2) {
            let span = self.at_field(&node.key, "onTimeout");
            if exits[1].1 != exits[2].1 {
                let left_out: Vec<String> = self
                    .timeout_only
                    .iter()
                    .copied()
                    .filter_map(|id| self.flow.node(id).map(|n| format!("`{}`", n.key)))
                    .collect();
                let left_out = if left_out.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; left out, as only a timeout reached them: {}",
                        left_out.join(", ")
                    )
                };
                self.report(
                    Code::Approximated,
                    format!("`{}`: a timeout takes onError's path in Flow Designer, which does not tell a timeout from a failed connection{left_out}", node.key),
                    span,
                    Some("in Flow Designer both failures take the onError path; check the subflow's failure handling after importing"),
                );
                notes.push("A timeout takes the onError path.".into());
            } else {
                self.report(
                    Code::Approximated,
                    format!("`{}`: onTimeout shares onError's path in Flow Designer, so its own transition actions are not carried", node.key),
                    span,
                    Some("Flow Designer does not tell a timeout from a failed connection; both take onError's path"),
                );
                notes.push(
                    "A timeout takes the onError path (its own actions are not carried).".into(),
                );
            }
        }
        if !notes.is_empty() {
            settings.push(("description", json!(notes.join(" "))));
        }
        let name = self.add(node.key.clone(), HTTP, settings, Some(&node.key));
        if needs_check {
            let check = format!("{}_failed", node.key);
            self.add(
                check.clone(),
                CONDITION,
                vec![
                    ("description", json!(format!("True when `{}` got no answer (no status code) [assumed]: Webex Connect's onError/onTimeout.", node.key))),
                    ("expression", json!(format!("{{{{ {}.httpStatusCode is empty }}}}", node.key))),
                ],
                Some(&node.key),
            );
            self.link(&name, "default", &check);
            let failed = self.exit(node, "onError");
            let answered = self.exit(node, "onSuccess");
            self.link(&check, "true", &failed);
            self.link(&check, "false", &answered);
            self.link(&check, "error", &failed);
        } else {
            let next = self.exit(node, "onSuccess");
            self.link(&name, "default", &next);
        }
    }

    /// Whether an assignment copies this output of `node` into a secret variable.
    fn feeds_secret(&mut self, node: &Node, output: &str) -> bool {
        let flow = self.flow;
        // The values assigned to secret variables, gathered once: a flow has few of them.
        let secret_values = self.secret_values.get_or_insert_with(|| {
            let secret: std::collections::HashSet<&str> = flow
                .variables
                .iter()
                .filter(|v| v.secret)
                .map(|v| v.name.as_str())
                .collect();
            flow.nodes
                .iter()
                .flat_map(|n| n.on_enter.iter().chain(&n.on_leave))
                .flat_map(|a| &a.set)
                .filter(|(var, _)| secret.contains(var.as_str()))
                .map(|(_, value)| value.clone())
                .collect()
        });
        let reference = format!("$({}.{output})", node.id);
        secret_values.iter().any(|value| value.contains(&reference))
    }

    pub(super) fn lower_branch(&mut self, node: &Node, b: &Branch) {
        let mut names: Vec<String> = Vec::new();
        for (i, arm) in b.branches.iter().enumerate() {
            let name = if i == 0 {
                node.key.clone()
            } else {
                // Not the name of this node's `on_enter` actions, already added.
                let taken: Vec<&str> = names.iter().map(String::as_str).collect();
                self.fresh_name(format!("{}_{}", node.key, fd_name(&arm.name)), &taken)
            };
            names.push(name);
        }
        for (i, arm) in b.branches.iter().enumerate() {
            let expression = match expr::condition(arm.join, &arm.conditions, self) {
                Ok(e) => e,
                Err(why) => {
                    let span = self.at_field(&node.key, &format!("branches.{i}"));
                    self.refuse(
                        format!(
                            "branch `{}` of `{}` cannot be written for Flow Designer: {why}",
                            arm.name, node.key
                        ),
                        span,
                        why.help(),
                    );
                    String::new()
                }
            };
            let mut description = format!(
                "Branch `{}` of `{}`; false: {}.",
                arm.name,
                node.key,
                if i + 1 < names.len() {
                    "the next branch"
                } else {
                    b.none_label.as_str()
                }
            );
            if let Some(note) = node.note.as_ref().filter(|_| i == 0) {
                description = format!("{note} {description}");
            }
            self.add(
                names[i].clone(),
                CONDITION,
                vec![
                    ("description", json!(description)),
                    ("expression", json!(expression)),
                ],
                Some(&node.key),
            );
        }
        for (i, arm) in b.branches.iter().enumerate() {
            let chosen = self.exit(node, &arm.name);
            self.link(&names[i], "true", &chosen);
            let otherwise = match names.get(i + 1) {
                Some(next) => next.clone(),
                None => self.exit(node, "none"),
            };
            self.link(&names[i], "false", &otherwise);
            let failed = self.exit(node, "onError");
            self.link(&names[i], "error", &failed);
        }
    }
}

impl Lowering<'_> {
    /// A variable made for `node`, or its clash refused at the node.
    fn made_or_refused(&mut self, made: Result<String, Clash>, node: &Node) -> Option<String> {
        match made {
            Ok(name) => Some(name),
            Err(clash) => {
                let span = self.at_field(&node.key, "flow");
                self.refuse_clash(clash, span);
                None
            }
        }
    }

    /// The parent's own variable of that Flow Designer name, if its spec declares one.
    fn declared(&self, name: &str) -> Option<String> {
        self.variables
            .iter()
            .any(|v| v.name == name)
            .then(|| name.to_string())
    }

    /// A `call_flow` node as a `subflow-handoff` shaped as in Cisco's parent export: the child
    /// by name and ids (empty until given: unresolved), inputs and outputs mapped as Webex
    /// Connect shares them (a variable both flows declare, and the webhook's fields and `flid`,
    /// which the child sees as the parent does). The child's `FlowOutcome` comes back into
    /// `<node>_status`, and a condition on it takes onSuccess for `Success` and onError for
    /// any other outcome, as a Call Flow does; the handoff's `error` port takes onError too.
    pub(super) fn lower_call_flow(&mut self, node: &Node, c: &CallFlow) {
        if let Some(entry) = &c.entry {
            let span = self.at_field(&node.key, "entry");
            self.report(
                Code::NotCarried,
                format!("node `{}` enters `{}` at node `{entry}`; a Subflow handoff always starts the subflow at its start, and so does this one", node.key, c.flow),
                span,
                Some("enter the child at `start`, or build the part it enters as a subflow of its own"),
            );
        }
        let ids = self.children.ids.get(&c.flow).cloned().unwrap_or_default();
        let children = self.children;
        let (mut inputs, mut outputs, mut outcome) = (Vec::new(), Vec::new(), None);
        match children.interfaces.get(&c.flow) {
            Some(interface) => {
                for v in &interface.variables {
                    let mapping =
                        |src: &str| json!({ "src": src, "target": v.name, "type": v.kind });
                    let own = self.declared(&v.name);
                    let derived = !interface.declared.contains(&v.name);
                    if v.source == "SUBFLOW_INPUT" {
                        let src = match own {
                            Some(own) => Some(own),
                            None if derived => {
                                let made = self.extra_variable(&v.name, Origin::PassedOn(c.flow.clone()), "SUBFLOW_INPUT", format!("Passed on to subflow `{}`, whose input it is (a webhook field or `flid`, which Webex Connect shares with a called flow): the parent maps it.", c.flow));
                                self.made_or_refused(made, node)
                            }
                            None => None,
                        };
                        inputs.extend(src.as_deref().map(mapping));
                    } else if v.name == OUTCOME_VARIABLE && derived {
                        let made = self.extra_variable(
                            // `_status`: a name the credential checks read as about the call.
                            &fd_name(&format!("{}_status", node.key)),
                            Origin::CalledOutcome(node.key.clone()),
                            "",
                            format!("The flow outcome subflow `{}` ended with.", c.flow),
                        );
                        if let Some(var) = self.made_or_refused(made, node) {
                            outputs.push(mapping(&var));
                            outcome = Some(var);
                        }
                    } else if let Some(own) = own {
                        outputs.push(mapping(&own));
                    }
                }
                // Webex Connect shares every variable both flows declare; a handoff passes only
                // the child's inputs and outputs.
                let passed: BTreeSet<&str> = interface
                    .variables
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect();
                let shared: Vec<String> = (self.flow.variables.iter())
                    .map(|v| fd_name(&v.name))
                    .filter(|n| interface.declared.contains(n) && !passed.contains(n.as_str()))
                    .map(|n| format!("`{n}`"))
                    .collect();
                if !shared.is_empty() {
                    let span = self.at_field(&node.key, "flow");
                    self.report(
                        Code::Approximated,
                        format!(
                            "node `{}` calls `{}`, which declares {} too: Webex Connect shares {} with the called flow; a Subflow handoff passes only the child's inputs and outputs, so {} not passed",
                            node.key,
                            c.flow,
                            shared.join(", "),
                            if shared.len() == 1 { "it" } else { "them" },
                            if shared.len() == 1 { "it is" } else { "they are" },
                        ),
                        span,
                        Some("make it an input of the child (`externalize = true`) or its result (`result = true`) to pass it, or name the two variables apart"),
                    );
                }
            }
            None => {
                let span = self.at_field(&node.key, "flow");
                self.report(
                    Code::NotCarried,
                    format!("node `{}` calls `{}`, whose spec was not found: the handoff maps no variables, and takes onError only on its `error` port", node.key, c.flow),
                    span,
                    Some("put the child's spec beside this one (as `wxcflow run` finds it), or map the variables in Flow Designer after importing"),
                );
            }
        }
        let mut description = format!("Calls subflow `{}` (a Webex Connect Call Flow).", c.flow);
        if ids.flow_id.is_empty() {
            description.push_str(&unresolved_note(&c.flow));
        }
        if let Some(note) = &node.note {
            description = format!("{note} {description}");
        }
        let name = self.add(
            node.key.clone(),
            HANDOFF,
            vec![
                ("description", json!(description)),
                ("subflowName", json!(c.flow)),
                ("subflowId", json!(ids.flow_id)),
                (
                    "subflowVersion",
                    json!({ "subflowId": ids.flow_id, "subflowTagId": "Latest", "subflowVersionId": ids.version_id }),
                ),
                ("subflowInputVariables", Value::Array(inputs)),
                ("subflowOutputVariables", Value::Array(outputs)),
            ],
            Some(&node.key),
        );
        let failed = self.exit(node, "onError");
        let succeeded = self.exit(node, "onSuccess");
        match outcome {
            Some(var) => {
                let check = format!("{}_succeeded", node.key);
                let success =
                    expr::string_literal("Success", expr::Literal::Compared).unwrap_or_default();
                self.add(
                    check.clone(),
                    CONDITION,
                    vec![
                        ("description", json!(format!("True when subflow `{}` ended with the flow outcome Success: the Call Flow's onSuccess; any other outcome is its onError.", c.flow))),
                        ("expression", json!(format!("{{{{ {var} == {success} }}}}"))),
                    ],
                    Some(&node.key),
                );
                self.link(&name, "default", &check);
                self.link(&check, "true", &succeeded);
                self.link(&check, "false", &failed);
                self.link(&check, "error", &failed);
            }
            None => self.link(&name, "default", &succeeded),
        }
        self.link(&name, "error", &failed);
    }
}
