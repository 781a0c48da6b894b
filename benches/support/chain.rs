//! Generates large specs for benchmarks and scale tests: a chain of HTTP nodes, each followed by
//! a branch on its status code, `nodes` nodes in all (rounded down to an even number); and a
//! chain of requests whose status nobody checks.

use std::fmt::Write as _;

/// `nodes` HTTP requests in a chain, each reading its reply, none checking a status code: every
/// node draws `wxc::unchecked-status`, whose search once walked the rest of the chain.
// Not every bench that includes this file uses it.
#[allow(dead_code)]
pub fn unchecked_spec(nodes: usize) -> String {
    let mut spec = String::from(
        "[flow]\nname = \"Requests\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Requests\"\n\
         sample = '{\"id\": \"1\"}'\nnext = \"call_0\"\n\n",
    );
    for i in 0..nodes.max(1) {
        let next = if i + 1 == nodes.max(1) {
            "end:Success".to_string()
        } else {
            format!("call_{}", i + 1)
        };
        let _ = write!(
            spec,
            "[nodes.call_{i}]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"https://api.example.com/items/{i}\"\n\
             outputs = {{ value = \"$.value\" }}\n\
             next = {{ onSuccess = \"{next}\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n\n"
        );
    }
    spec
}

pub fn chain_spec(nodes: usize) -> String {
    let pairs = (nodes / 2).max(1);
    let mut spec = String::from(
        "[flow]\nname = \"Chain\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"Chain\"\n\
         sample = '{\"id\": \"1\"}'\nnext = \"call_0\"\n\n[variables.Base]\ndefault = \"https://api.example.com\"\n\n\
         [variables.Last]\ndefault = \"\"\nresult = true\n\n",
    );
    for i in 0..pairs {
        let next = if i + 1 == pairs {
            "end:Success".to_string()
        } else {
            format!("call_{}", i + 1)
        };
        let _ = write!(
            spec,
            "[nodes.call_{i}]\ntype = \"http\"\nmethod = \"GET\"\nurl = \"$(Base)/items/{i}?id=$(start.inboundWebhook.id)\"\n\
             headers = {{ Accept = \"application/json\" }}\nrequest_timeout_ms = 5000\n\
             outputs = {{ value = \"$.value\" }}\n\
             next = {{ onSuccess = \"check_{i}\", onError = \"end:Error\", onTimeout = \"end:Error\" }}\n\n\
             [nodes.check_{i}]\ntype = \"branch\"\n\
             branches = [{{ name = \"Ok\", all = [{{ variable = \"$(call_{i}.https.statusCode)\", operator = \"equals\", value = \"200\" }}] }}]\n\
             on_leave = [{{ set = {{ Last = \"$(call_{i}.value)\" }} }}]\n\
             next = {{ Ok = \"{next}\", none = \"end:Error\", onError = \"end:Error\" }}\n\n"
        );
    }
    spec
}
