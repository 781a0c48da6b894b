//! Walking two keyed collections side by side, as every diff compares them: variables by
//! name, settings by path, links by source and port.

use std::collections::BTreeMap;
use std::iter::Peekable;

/// Where a key was found: only on the old side, only on the new side, or on both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pair<V> {
    Removed(V),
    Added(V),
    Both(V, V),
}

impl<V> Pair<V> {
    /// The old and the new value, each absent where the key is.
    pub(crate) fn sides(self) -> (Option<V>, Option<V>) {
        match self {
            Pair::Removed(old) => (Some(old), None),
            Pair::Added(new) => (None, Some(new)),
            Pair::Both(old, new) => (Some(old), Some(new)),
        }
    }
}

/// Every key of `old` and `new` once, in ascending order, with its value on each side. Inputs
/// need not be sorted; a key given twice on one side keeps its last value, as a map built from
/// that side would.
pub(crate) fn merge_keyed<K: Ord, V>(
    old: impl IntoIterator<Item = (K, V)>,
    new: impl IntoIterator<Item = (K, V)>,
) -> impl Iterator<Item = (K, Pair<V>)> {
    let old: BTreeMap<K, V> = old.into_iter().collect();
    let new: BTreeMap<K, V> = new.into_iter().collect();
    Merge {
        old: old.into_iter().peekable(),
        new: new.into_iter().peekable(),
    }
}

struct Merge<K, V> {
    old: Peekable<std::collections::btree_map::IntoIter<K, V>>,
    new: Peekable<std::collections::btree_map::IntoIter<K, V>>,
}

impl<K: Ord, V> Iterator for Merge<K, V> {
    type Item = (K, Pair<V>);

    fn next(&mut self) -> Option<Self::Item> {
        use std::cmp::Ordering;
        let order = match (self.old.peek(), self.new.peek()) {
            (None, None) => return None,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        match order {
            Ordering::Less => {
                let (k, v) = self.old.next()?;
                Some((k, Pair::Removed(v)))
            }
            Ordering::Greater => {
                let (k, v) = self.new.next()?;
                Some((k, Pair::Added(v)))
            }
            Ordering::Equal => {
                let (k, old) = self.old.next()?;
                let (_, new) = self.new.next()?;
                Some((k, Pair::Both(old, new)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_once_in_order_with_the_sides_they_are_on() {
        let old = [("c", 3), ("a", 1), ("b", 2)];
        let new = [("d", 40), ("b", 20), ("a", 10), ("b", 21)];
        let merged: Vec<_> = merge_keyed(old, new).collect();
        assert_eq!(
            merged,
            [
                ("a", Pair::Both(1, 10)),
                ("b", Pair::Both(2, 21)),
                ("c", Pair::Removed(3)),
                ("d", Pair::Added(40)),
            ]
        );
    }

    #[test]
    fn one_empty_side_makes_every_key_added_or_removed() {
        let none: Vec<(u8, char)> = Vec::new();
        let added: Vec<_> = merge_keyed(none.clone(), [(2, 'y'), (1, 'x')]).collect();
        assert_eq!(added, [(1, Pair::Added('x')), (2, Pair::Added('y'))]);
        let removed: Vec<_> = merge_keyed([(1, 'x')], none).collect();
        assert_eq!(removed, [(1, Pair::Removed('x'))]);
        assert_eq!(Pair::Both(1, 2).sides(), (Some(1), Some(2)));
    }
}
