//! Writes the generated chain spec of the benchmarks (`benches/support/chain.rs`) to stdout, for
//! measuring the command on large flows: `cargo run --release --example chain_spec -- 10000 > chain.toml`;
//! with `unchecked` after the size, the chain of requests nobody checks.

#[path = "../benches/support/chain.rs"]
mod chain;

fn main() {
    let nodes = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    match std::env::args().nth(2).as_deref() {
        Some("unchecked") => print!("{}", chain::unchecked_spec(nodes)),
        _ => print!("{}", chain::chain_spec(nodes)),
    }
}
