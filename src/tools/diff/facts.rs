//! The diff engine both targets share. Each model is flattened to facts (path -> value): flow
//! fields, variables, and items (a flow document's nodes, a Flow Designer flow's activities)
//! with their settings. Facts compare by path, and items renamed from one side to the other
//! are paired here, once, for both.

use super::merge::{merge_keyed, Pair};
use super::{Change, ChangeKind};
use crate::secret::Text;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// A thing's facts: path -> value, as text that knows whether it is secret.
pub type Fields = BTreeMap<String, Text>;

/// What an empty text value reads as in [`Fields`].
const EMPTY: &str = "\"\"";

/// Reports each path whose value differs, as a `kind` change at `prefix` + path. A value secret
/// on either side is secret on both: a value that became secret must not show as it was (an
/// empty one shows as empty: that it was empty is no secret).
pub(crate) fn compare(
    a: &Fields,
    b: &Fields,
    prefix: &str,
    kind: ChangeKind,
    out: &mut Vec<Change>,
) {
    for (k, pair) in merge_keyed(a, b) {
        let (x, y) = pair.sides();
        if x.map(Text::expose) != y.map(Text::expose) {
            let secret = x.is_some_and(Text::is_secret) || y.is_some_and(Text::is_secret);
            let shown = |v: &Text| Text::new(v.expose(), secret && v.expose() != EMPTY);
            out.push(Change::new(
                kind,
                format!("{prefix}{k}"),
                x.map(shown),
                y.map(shown),
            ));
        }
    }
}

/// Keyed things (variables, outcomes, parameters) on two sides: a removal or an addition for a
/// name on one side only (valued by `summary` of its fields, when given), and each differing
/// field of a name on both. Additions come after every removal and change.
pub(crate) fn compare_keyed<K: Ord + std::fmt::Display>(
    old: impl IntoIterator<Item = (K, Fields)>,
    new: impl IntoIterator<Item = (K, Fields)>,
    prefix: &str,
    kinds: [ChangeKind; 3],
    summary: Option<&str>,
    out: &mut Vec<Change>,
) {
    let [removed, changed, added] = kinds;
    let value = |f: &Fields| summary.and_then(|s| f.get(s).cloned());
    let mut additions = Vec::new();
    for (name, pair) in merge_keyed(old, new) {
        let path = format!("{prefix}{name}");
        match pair {
            Pair::Removed(f) => out.push(Change::new(removed, path, value(&f), None)),
            Pair::Added(f) => additions.push(Change::new(added, path, None, value(&f))),
            Pair::Both(x, y) => compare(&x, &y, &format!("{path}."), changed, out),
        }
    }
    out.extend(additions);
}

/// A node or an activity, flattened: what rename matching compares.
pub(crate) struct Item<'a> {
    /// Its name in the flow (a node key, an activity name).
    pub key: &'a str,
    /// Its type: only items of one type pair by likeness or id.
    pub type_name: &'a str,
    /// A platform id that stays with the item through a rename, where the model has one.
    pub id: Option<u64>,
    /// Its settings (and whatever else should count in likeness).
    pub facts: Fields,
}

/// Below this likeness two unmatched items are an addition and a removal, not a rename.
const RENAME_THRESHOLD: f64 = 0.6;
/// A fact (path and value) that more unmatched new items share than this tells too little
/// about which one an old item became: it suggests no candidate (it still counts in likeness).
const COMMON: usize = 8;
/// Candidates an old item is measured against: those sharing the most telling facts with it.
const CANDIDATES: usize = 4;

/// How alike two items are, from 0 to 1 (facts equal on both over all facts).
fn likeness(a: &Fields, b: &Fields) -> f64 {
    let (mut all, mut same) = (0, 0);
    for (_, pair) in merge_keyed(a, b) {
        all += 1;
        same += usize::from(matches!(pair, Pair::Both(x, y) if x.expose() == y.expose()));
    }
    if all == 0 {
        return 1.0;
    }
    same as f64 / all as f64
}

/// Pairs each old item with the new item it became, as (old index, new index), in old order:
/// the same key; else the same id and type; else the same type and the same facts (in order);
/// else the same type and a likeness of at least [`RENAME_THRESHOLD`], likest pairs first (ties
/// by key, so the result never depends on order). Never every pair against every other: an
/// index of facts names at most [`CANDIDATES`] candidates for each old item, so pairing is
/// linear in the facts (up to logarithms), even when every item is renamed.
pub(crate) fn pair_items(old: &[Item], new: &[Item]) -> Vec<(usize, usize)> {
    let mut to: Vec<Option<usize>> = vec![None; old.len()];
    let mut taken = vec![false; new.len()];
    fn take(to: &mut [Option<usize>], taken: &mut [bool], i: usize, j: usize) {
        if to[i].is_none() && !taken[j] {
            to[i] = Some(j);
            taken[j] = true;
        }
    }
    let by_key: HashMap<&str, usize> = new.iter().enumerate().map(|(j, b)| (b.key, j)).collect();
    for (i, a) in old.iter().enumerate() {
        if let Some(&j) = by_key.get(a.key) {
            take(&mut to, &mut taken, i, j);
        }
    }
    let mut by_id: HashMap<(u64, &str), usize> = HashMap::new();
    for (j, b) in new.iter().enumerate() {
        if let Some(id) = b.id {
            by_id.entry((id, b.type_name)).or_insert(j);
        }
    }
    for (i, a) in old.iter().enumerate() {
        if let Some(&j) = a.id.and_then(|id| by_id.get(&(id, a.type_name))) {
            take(&mut to, &mut taken, i, j);
        }
    }
    // Identical facts, in order.
    let flat = |x: &Item<'_>| -> Vec<String> {
        let mut v = vec![x.type_name.to_string()];
        v.extend(x.facts.iter().map(|(k, t)| format!("{k}={}", t.expose())));
        v
    };
    let free = |taken: &[bool]| -> Vec<usize> { (0..new.len()).filter(|&j| !taken[j]).collect() };
    let mut same: HashMap<Vec<String>, VecDeque<usize>> = HashMap::new();
    for j in free(&taken) {
        same.entry(flat(&new[j])).or_default().push_back(j);
    }
    for i in 0..old.len() {
        if to[i].is_none() {
            if let Some(j) = same.get_mut(&flat(&old[i])).and_then(VecDeque::pop_front) {
                take(&mut to, &mut taken, i, j);
            }
        }
    }
    // Likeness, measured against the candidates an index of facts suggests.
    let mut index: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for j in free(&taken) {
        for (k, v) in &new[j].facts {
            let at = index.entry((new[j].type_name, k, v.expose())).or_default();
            if at.len() <= COMMON {
                at.push(j);
            }
        }
    }
    let mut found = Vec::new();
    for (i, a) in old.iter().enumerate().filter(|(i, _)| to[*i].is_none()) {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for (k, v) in &a.facts {
            match index.get(&(a.type_name, k.as_str(), v.expose())) {
                Some(at) if at.len() <= COMMON => {
                    for &j in at {
                        *shared.entry(j).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
        let mut best: Vec<(usize, usize)> = shared.into_iter().collect();
        best.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for (j, _) in best.into_iter().take(CANDIDATES) {
            let score = likeness(&a.facts, &new[j].facts);
            if score >= RENAME_THRESHOLD {
                found.push((score, i, j));
            }
        }
    }
    found.sort_by(|x, y| {
        (y.0.total_cmp(&x.0))
            .then(old[x.1].key.cmp(old[y.1].key))
            .then(new[x.2].key.cmp(new[y.2].key))
    });
    for (_, i, j) in found {
        take(&mut to, &mut taken, i, j);
    }
    to.iter()
        .enumerate()
        .filter_map(|(i, j)| Some((i, (*j)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item<'a>(key: &'a str, id: Option<u64>, facts: &[(&str, &str)]) -> Item<'a> {
        let facts = facts.iter().map(|(k, v)| (k.to_string(), Text::plain(*v)));
        Item {
            key,
            type_name: "t",
            id,
            facts: facts.collect(),
        }
    }

    #[test]
    fn items_pair_by_key_then_id_then_sameness_then_likeness() {
        let old = [
            item("kept", None, &[("a", "1")]),
            item("by_id", Some(7), &[("a", "2")]),
            item("same", None, &[("a", "3"), ("b", "3")]),
            item(
                "alike",
                None,
                &[("a", "4"), ("b", "4"), ("c", "4"), ("d", "x")],
            ),
            item("gone", None, &[("a", "5")]),
        ];
        let new = [
            item(
                "alike2",
                None,
                &[("a", "4"), ("b", "4"), ("c", "4"), ("d", "y")],
            ),
            item("same2", None, &[("a", "3"), ("b", "3")]),
            item("by_id2", Some(7), &[("a", "other")]),
            item("kept", None, &[("a", "changed")]),
            item("new", None, &[("a", "6")]),
        ];
        assert_eq!(pair_items(&old, &new), [(0, 3), (1, 2), (2, 1), (3, 0)]);
    }

    #[test]
    fn a_fact_many_share_suggests_no_candidate() {
        // Every item shares `group`; only `x` tells them apart, and it changed: no rename.
        let old: Vec<Item> = ["a", "b"]
            .iter()
            .map(|k| item(k, None, &[("group", "g"), ("x", k)]))
            .collect();
        let new: Vec<Item> = ["c", "d"]
            .iter()
            .map(|k| item(k, None, &[("group", "g"), ("x", k)]))
            .collect();
        assert_eq!(pair_items(&old, &new), []);
        let crowd: Vec<String> = (0..=COMMON).map(|i| format!("n{i}")).collect();
        let common = [("group", "g"), ("v", "1"), ("w", "1"), ("y", "1")];
        let with = |z: &'static str| common.iter().copied().chain([("z", z)]).collect::<Vec<_>>();
        let new: Vec<Item> = (crowd.iter())
            .map(|k| item(k, None, &with("unique")))
            .collect();
        // 80% alike to each of them, but by facts too many share to tell which one it became.
        let old = [item("o", None, &with("other"))];
        assert_eq!(likeness(&old[0].facts, &new[0].facts), 0.8);
        assert_eq!(pair_items(&old, &new), []);
        // One fewer alike, and the shared facts tell again.
        assert_eq!(pair_items(&old, &new[..COMMON]), [(0, 0)]);
    }
}
