//! Spanned values: [`S`], a value with the byte range it came from, and [`SpannedMap`], the small
//! tables of a node (headers, outputs, `next`, an action's `set`), spanned text keyed by spanned
//! names, kept as a sorted vector.
//!
//! A node's tables hold one to a few entries. As `BTreeMap`s each one took a whole tree node
//! (about 900 bytes for a single entry), which made a 10,000-node spec's model several times
//! the size of its text, and cloning or dropping it a large part of a build. The vector keeps
//! what the map gave: entries in key order, a key at most once, lookups by name.

use schemars::JsonSchema;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use toml::Spanned;

/// Spanned text keyed by spanned names, in key order, each key once.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SpannedMap {
    entries: Vec<(S<String>, S<String>)>,
}

impl SpannedMap {
    /// An empty table.
    pub fn new() -> SpannedMap {
        SpannedMap::default()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(k, _)| k.get_ref().as_str().cmp(key))
    }

    /// Adds or replaces an entry; as `BTreeMap::insert`, a replaced entry keeps its key (and
    /// the key's span) and the old value is returned.
    pub fn insert(&mut self, key: S<String>, value: S<String>) -> Option<S<String>> {
        match self.find(key.get_ref()) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&S<String>> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// Whether the table has `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// The key and value of `key`.
    pub fn get_key_value(&self, key: &str) -> Option<(&S<String>, &S<String>)> {
        self.find(key)
            .ok()
            .map(|i| (&self.entries[i].0, &self.entries[i].1))
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&S<String>, &S<String>)> + Clone {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The entries in key order, values to change.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&S<String>, &mut S<String>)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &S<String>> + Clone {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &S<String>> + Clone {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The values in key order, to change.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut S<String>> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&S<String>, &mut S<String>) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl std::fmt::Debug for SpannedMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(S<String>, S<String>)> for SpannedMap {
    fn from_iter<I: IntoIterator<Item = (S<String>, S<String>)>>(items: I) -> Self {
        let mut map = SpannedMap::new();
        map.extend(items);
        map
    }
}

impl Extend<(S<String>, S<String>)> for SpannedMap {
    fn extend<I: IntoIterator<Item = (S<String>, S<String>)>>(&mut self, items: I) {
        for (k, v) in items {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for SpannedMap {
    type Item = (S<String>, S<String>);
    type IntoIter = std::vec::IntoIter<(S<String>, S<String>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a SpannedMap {
    type Item = (&'a S<String>, &'a S<String>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (S<String>, S<String>)>,
        fn(&'a (S<String>, S<String>)) -> (&'a S<String>, &'a S<String>),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<'a> IntoIterator for &'a mut SpannedMap {
    type Item = (&'a S<String>, &'a mut S<String>);
    type IntoIter = std::iter::Map<
        std::slice::IterMut<'a, (S<String>, S<String>)>,
        fn(&'a mut (S<String>, S<String>)) -> (&'a S<String>, &'a mut S<String>),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
}

impl<'de> Deserialize<'de> for SpannedMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = SpannedMap;
            // The words a `BTreeMap` gives, so that a shape error reads as before.
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<SpannedMap, A::Error> {
                let mut map = SpannedMap {
                    entries: Vec::with_capacity(access.size_hint().unwrap_or(0).min(64)),
                };
                while let Some((k, v)) = access.next_entry::<S<String>, S<String>>()? {
                    map.insert(k, v);
                }
                map.entries.shrink_to_fit();
                Ok(map)
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

impl JsonSchema for SpannedMap {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <BTreeMap<S<String>, S<String>>>::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        <BTreeMap<S<String>, S<String>>>::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<S<String>, S<String>>>::json_schema(generator)
    }
    fn inline_schema() -> bool {
        <BTreeMap<S<String>, S<String>>>::inline_schema()
    }
}

/// A TOML value and every value inside it (a table's, a list's, at any depth), the value
/// first: a table written with dotted keys (`default.value = "..."`) spans only its first key,
/// so what it holds is found only by looking into it.
pub(crate) fn values_within<'v, 'i>(
    value: &'v Spanned<toml::de::DeValue<'i>>,
) -> Vec<&'v Spanned<toml::de::DeValue<'i>>> {
    use toml::de::DeValue;
    let mut values = vec![value];
    match value.get_ref() {
        DeValue::Table(table) => values.extend(table.values().flat_map(values_within)),
        DeValue::Array(items) => values.extend(items.iter().flat_map(values_within)),
        _ => {}
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str, at: usize) -> S<String> {
        S::new(at..at + text.len(), text.to_string())
    }

    #[test]
    fn entries_stay_in_key_order_and_a_replaced_entry_keeps_its_key() {
        let mut map: SpannedMap = [(s("b", 0), s("2", 1)), (s("a", 2), s("1", 3))]
            .into_iter()
            .collect();
        assert_eq!(
            map.keys().map(|k| k.get_ref().as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let old = map.insert(s("b", 10), s("3", 11));
        assert_eq!(old.map(|v| v.get_ref().clone()).as_deref(), Some("2"));
        let (k, v) = map.get_key_value("b").unwrap();
        assert_eq!((k.span(), v.get_ref().as_str()), (0..1, "3"));
        assert!(map.contains_key("a") && !map.contains_key("c"));
        assert_eq!(map.get("a").map(|v| v.span()), Some(3..4));
        assert_eq!(map.len(), 2);
    }

    #[test]
    fn debug_reads_as_a_map() {
        let map: SpannedMap = [(s("k", 0), s("v", 1))].into_iter().collect();
        let tree: BTreeMap<S<String>, S<String>> = map.clone().into_iter().collect();
        assert_eq!(format!("{map:?}"), format!("{tree:?}"));
    }
}

/// A value with the byte range it came from (`0..0` when built in Rust rather than parsed).
///
/// A thin wrapper over TOML's `Spanned`, so that the spec types can also describe themselves as
/// a JSON Schema (the editor schema is generated from these types).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct S<T>(Spanned<T>);

impl<T> S<T> {
    /// A value from the bytes `range` of its file.
    pub fn new(range: std::ops::Range<usize>, value: T) -> Self {
        S(Spanned::new(range, value))
    }
}

impl<T: Default> Default for S<T> {
    fn default() -> Self {
        S::new(0..0, T::default())
    }
}

impl<T> Deref for S<T> {
    type Target = Spanned<T>;
    fn deref(&self) -> &Spanned<T> {
        &self.0
    }
}

impl<T> DerefMut for S<T> {
    fn deref_mut(&mut self) -> &mut Spanned<T> {
        &mut self.0
    }
}

impl std::borrow::Borrow<str> for S<String> {
    fn borrow(&self) -> &str {
        self.0.get_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for S<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<T>::deserialize(deserializer)?;
        let shift = SHIFT.with(std::cell::Cell::get);
        if shift == 0 {
            return Ok(S(spanned));
        }
        let at = spanned.span();
        Ok(S::new(
            at.start + shift..at.end + shift,
            spanned.into_inner(),
        ))
    }
}

thread_local! {
    /// Where the text being read starts in its file: a part of a spec read on its own
    /// (`spec::parse`, which reads a large spec's nodes a few at a time) gives its values the
    /// places they have in the whole file. Zero otherwise.
    static SHIFT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// While alive, values read into [`S`] on this thread are placed `by` bytes further on.
pub(crate) struct Shifted(usize);

impl Shifted {
    pub(crate) fn by(by: usize) -> Shifted {
        Shifted(SHIFT.with(|shift| shift.replace(by)))
    }
}

impl Drop for Shifted {
    fn drop(&mut self) {
        SHIFT.with(|shift| shift.set(self.0));
    }
}

impl<T: JsonSchema> JsonSchema for S<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}
