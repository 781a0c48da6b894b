//! The one breadth-first walk every graph in the crate is followed with: flows, their layout,
//! id assignment and Flow Designer processes. One walk means one order: nodes come out in the
//! order they are first reached, successors in the order the successor function gives them, so
//! every caller is as deterministic as its successor function.

use std::collections::{HashSet, VecDeque};
use std::hash::Hash;

/// A node the walk reached, with its distance from the nearest start (starts are at depth 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reached<N> {
    pub node: N,
    pub depth: usize,
}

/// Walks breadth first from `starts`, each node once: a start given twice, or reached again
/// later, is not visited again, so cycles end. Nodes no start reaches are never visited.
/// `successors` is asked once per visited node, when the walk yields it.
pub fn breadth_first<N, F, I>(
    starts: impl IntoIterator<Item = N>,
    successors: F,
) -> BreadthFirst<N, F>
where
    N: Clone + Eq + Hash,
    F: FnMut(&N) -> I,
    I: IntoIterator<Item = N>,
{
    let mut seen = HashSet::new();
    let queue = starts
        .into_iter()
        .filter(|start| seen.insert(start.clone()))
        .map(|node| Reached { node, depth: 0 })
        .collect();
    BreadthFirst {
        queue,
        seen,
        successors,
    }
}

/// The iterator [`breadth_first`] returns.
pub struct BreadthFirst<N, F> {
    queue: VecDeque<Reached<N>>,
    /// Every node ever queued: a node is marked when first reached, so it is queued once.
    seen: HashSet<N>,
    successors: F,
}

impl<N, F, I> Iterator for BreadthFirst<N, F>
where
    N: Clone + Eq + Hash,
    F: FnMut(&N) -> I,
    I: IntoIterator<Item = N>,
{
    type Item = Reached<N>;

    fn next(&mut self) -> Option<Reached<N>> {
        let reached = self.queue.pop_front()?;
        for node in (self.successors)(&reached.node) {
            if self.seen.insert(node.clone()) {
                self.queue.push_back(Reached {
                    node,
                    depth: reached.depth + 1,
                });
            }
        }
        Some(reached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph as adjacency lists: node `i` leads to `edges[i]`.
    fn walk(edges: &[&[usize]], starts: &[usize]) -> Vec<(usize, usize)> {
        breadth_first(starts.iter().copied(), |&i: &usize| {
            edges.get(i).copied().unwrap_or_default().iter().copied()
        })
        .map(|r| (r.node, r.depth))
        .collect()
    }

    #[test]
    fn nodes_come_in_breadth_first_order_with_their_depth() {
        // 0 -> 1, 2; 1 -> 3; 2 -> 4; 3 -> 5
        let edges: &[&[usize]] = &[&[1, 2], &[3], &[4], &[5], &[], &[]];
        assert_eq!(
            walk(edges, &[0]),
            [(0, 0), (1, 1), (2, 1), (3, 2), (4, 2), (5, 3)]
        );
    }

    #[test]
    fn successors_are_followed_in_the_order_given() {
        let edges: &[&[usize]] = &[&[2, 1], &[], &[]];
        assert_eq!(walk(edges, &[0]), [(0, 0), (2, 1), (1, 1)]);
    }

    #[test]
    fn each_node_is_visited_once_at_its_shortest_depth() {
        // Diamond with a long way round: 0 -> 1 -> 3, 0 -> 2 -> 3, 0 -> 3.
        let edges: &[&[usize]] = &[&[1, 2, 3], &[3], &[3], &[]];
        assert_eq!(walk(edges, &[0]), [(0, 0), (1, 1), (2, 1), (3, 1)]);
    }

    #[test]
    fn cycles_end() {
        let edges: &[&[usize]] = &[&[1], &[2], &[0, 1]];
        assert_eq!(walk(edges, &[0]), [(0, 0), (1, 1), (2, 2)]);
        let itself: &[&[usize]] = &[&[0]];
        assert_eq!(walk(itself, &[0]), [(0, 0)]);
    }

    #[test]
    fn unreachable_nodes_are_not_visited() {
        // 3 leads into the reachable part, but nothing leads to 3.
        let edges: &[&[usize]] = &[&[1], &[], &[], &[0]];
        assert_eq!(walk(edges, &[0]), [(0, 0), (1, 1)]);
        assert_eq!(walk(edges, &[]), []);
    }

    #[test]
    fn several_starts_share_depth_zero_and_each_is_visited_once() {
        let edges: &[&[usize]] = &[&[2], &[2], &[3], &[]];
        assert_eq!(walk(edges, &[1, 0, 1]), [(1, 0), (0, 0), (2, 1), (3, 2)]);
        // A start another start reaches keeps depth 0.
        assert_eq!(walk(edges, &[0, 2]), [(0, 0), (2, 0), (3, 1)]);
    }

    #[test]
    fn successors_are_asked_once_per_visited_node() {
        let edges: &[&[usize]] = &[&[1, 1, 0], &[0]];
        let mut asked = Vec::new();
        let visited: Vec<usize> = breadth_first([0usize], |&i| {
            asked.push(i);
            edges[i].iter().copied()
        })
        .map(|r| r.node)
        .collect();
        assert_eq!(visited, [0, 1]);
        assert_eq!(asked, [0, 1]);
    }
}
