//! What a shape error is about, told from the facts rather than from serde's wording: the key or
//! table the error's span points at (from TOML's spanned parse tree) and what the model takes
//! there (its fields, walked from the model's own `Deserialize`; its required keys, from the
//! model: for the spec, the schema generated from the same types). Webex Connect specs and
//! Flow Designer specs are both read so.

use super::model::Spec;
use serde::de::{
    self, Deserialize, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde_spanned::de::{is_spanned, SpannedDeserializer};
use std::fmt;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// A shape error, as the facts at its span tell it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// A key the table's struct does not take, with the keys it does, in the model's order.
    UnknownKey {
        key: String,
        expected: &'static [&'static str],
    },
    /// The first key, in the model's order, that the table's struct requires and the table lacks.
    MissingKey { key: String },
}

/// A model TOML files are read into: its structs and their fields come from its `Deserialize`.
pub(crate) trait Shaped: for<'de> Deserialize<'de> {
    /// The keys the struct `name` requires, in their declared order.
    fn required(name: &str) -> Vec<String>;
}

impl Shaped for Spec {
    fn required(name: &str) -> Vec<String> {
        let mut generator = schemars::generate::SchemaSettings::draft07().into_generator();
        // Asked for as a subschema, the spec itself is a definition too, beside its parts.
        generator.subschema_for::<Spec>();
        generator
            .definitions()
            .get(name)
            .and_then(|schema| schema.get("required"))
            .and_then(|required| required.as_array())
            .map(|keys| {
                keys.iter()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What the error at `span` of `text` (read into `M`) is about; `None` when the facts there
/// are no unknown or missing key (a wrong type, which only serde's message describes).
pub(super) fn shape_at<M: Shaped>(text: &str, span: Range<usize>) -> Option<Shape> {
    let root = DeTable::parse(text).ok()?;
    let mut places = Vec::new();
    if root.span() == span {
        places.push(Place::Table(Vec::new(), root.get_ref()));
    }
    find(root.get_ref(), &mut Vec::new(), &span, &mut places);
    // A key and an implicit table (`[a.b]` makes `a`) can share a span: an unknown key is the
    // error there, since serde reads a key before its value.
    for place in &places {
        if let Place::Key(path, key) = place {
            let Some(model) = model_at::<M>(path) else {
                continue;
            };
            if !model.fields.contains(key) {
                return Some(Shape::UnknownKey {
                    key: key.to_string(),
                    expected: model.fields,
                });
            }
        }
    }
    for place in &places {
        if let Place::Table(path, table) = place {
            let Some(model) = model_at::<M>(path) else {
                continue;
            };
            let present = |field: &str| table.iter().any(|(k, _)| k.get_ref() == field);
            let required = M::required(model.name);
            // serde checks the fields in their declared order and reports the first missing.
            if let Some(missing) = model
                .fields
                .iter()
                .find(|f| required.iter().any(|r| r == *f) && !present(f))
            {
                return Some(Shape::MissingKey {
                    key: missing.to_string(),
                });
            }
        }
    }
    None
}

/// One step from a table to what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment<'t> {
    Key(&'t str),
    Index(usize),
}

/// Something at the error's span: a key (with the path of the table holding it), or a table.
enum Place<'t, 'i> {
    Key(Vec<Segment<'t>>, &'t str),
    Table(Vec<Segment<'t>>, &'t DeTable<'i>),
}

/// Every key and table of `table` (at `path`) whose span is `span`, outer ones first.
fn find<'t, 'i>(
    table: &'t DeTable<'i>,
    path: &mut Vec<Segment<'t>>,
    span: &Range<usize>,
    places: &mut Vec<Place<'t, 'i>>,
) {
    for (key, value) in table.iter() {
        if &key.span() == span {
            places.push(Place::Key(path.clone(), key.get_ref()));
        }
        path.push(Segment::Key(key.get_ref()));
        find_in_value(value.get_ref(), &value.span(), path, span, places);
        path.pop();
    }
}

fn find_in_value<'t, 'i>(
    value: &'t DeValue<'i>,
    value_span: &Range<usize>,
    path: &mut Vec<Segment<'t>>,
    span: &Range<usize>,
    places: &mut Vec<Place<'t, 'i>>,
) {
    match value {
        DeValue::Table(table) => {
            if value_span == span {
                places.push(Place::Table(path.clone(), table));
            }
            find(table, path, span, places);
        }
        DeValue::Array(array) => {
            for (i, item) in array.iter().enumerate() {
                path.push(Segment::Index(i));
                find_in_value(item.get_ref(), &item.span(), path, span, places);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A struct of the spec model: its name and the fields it takes, as serde knows them.
#[derive(Debug)]
struct Model {
    name: &'static str,
    fields: &'static [&'static str],
}

/// The struct of the spec model that reads the table at `path`; `None` when no struct does
/// (a map, a list, a value).
fn model_at<M: Shaped>(path: &[Segment]) -> Option<Model> {
    match M::deserialize(Probe { path }) {
        Err(Probed::Found(model)) => Some(model),
        _ => None,
    }
}

/// A deserializer that holds no data: it follows `path` through whatever the model asks for
/// (a struct's field, a map's entry, a list's element) and stops at the struct there, which
/// tells its name and fields. Every other answer is an error, so nothing is ever built.
struct Probe<'p> {
    path: &'p [Segment<'p>],
}

/// How a probe ends: at a struct, or anywhere else.
#[derive(Debug)]
enum Probed {
    Found(Model),
    Elsewhere,
}

impl fmt::Display for Probed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probed::Found(model) => write!(f, "the table is a {}", model.name),
            Probed::Elsewhere => f.write_str("the path leads to no table"),
        }
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Probed::Elsewhere
    }
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed::Elsewhere)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Probed> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Probed> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Probed> {
        if is_spanned(name) {
            return visitor.visit_map(SpannedDeserializer::new(self, 0..0));
        }
        match self.path.split_first() {
            None => Err(Probed::Found(Model { name, fields })),
            Some((Segment::Key(key), rest)) => visitor.visit_map(Entry::new(key, rest)),
            Some((Segment::Index(_), _)) => Err(Probed::Elsewhere),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Probed> {
        match self.path.split_first() {
            Some((Segment::Key(key), rest)) => visitor.visit_map(Entry::new(key, rest)),
            _ => Err(Probed::Elsewhere),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Probed> {
        match self.path.split_first() {
            Some((Segment::Index(_), rest)) => {
                visitor.visit_seq(Element(Some(Probe { path: rest })))
            }
            _ => Err(Probed::Elsewhere),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct tuple tuple_struct enum identifier ignored_any
    }
}

impl<'de, 'p> IntoDeserializer<'de, Probed> for Probe<'p> {
    type Deserializer = Probe<'p>;
    fn into_deserializer(self) -> Probe<'p> {
        self
    }
}

/// A map of one entry: the next key of the path, and a probe for the rest.
struct Entry<'p> {
    key: Option<&'p str>,
    value: Option<Probe<'p>>,
}

impl<'p> Entry<'p> {
    fn new(key: &'p str, rest: &'p [Segment<'p>]) -> Self {
        Entry {
            key: Some(key),
            value: Some(Probe { path: rest }),
        }
    }
}

impl<'de> MapAccess<'de> for Entry<'_> {
    type Error = Probed;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Probed> {
        self.key
            .take()
            .map(|key| seed.deserialize(Key(key)))
            .transpose()
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Probed> {
        match self.value.take() {
            Some(probe) => seed.deserialize(probe),
            None => Err(Probed::Elsewhere),
        }
    }
}

/// A list of one element: a probe for the rest of the path.
struct Element<'p>(Option<Probe<'p>>);

impl<'de> SeqAccess<'de> for Element<'_> {
    type Error = Probed;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Probed> {
        self.0
            .take()
            .map(|probe| seed.deserialize(probe))
            .transpose()
    }
}

/// A key: a struct's field name or a map's (spanned) key.
struct Key<'p>(&'p str);

impl<'de> de::Deserializer<'de> for Key<'_> {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Probed> {
        visitor.visit_str(self.0)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Probed> {
        if is_spanned(name) {
            return visitor.visit_map(SpannedDeserializer::new(self.0, 0..0));
        }
        self.deserialize_any(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "[flow]\nname = \"F\"\n\n[trigger]\ntype = \"webhook\"\nevent = \"E\"\nsample = '{}'\nnext = \"end:Success\"\n";

    /// The shape error serde reports for `text`, as told from the facts at its span.
    fn shape(text: &str) -> Option<Shape> {
        let e = match Spec::deserialize(toml::de::Deserializer::parse(text).expect("TOML")) {
            Ok(_) => panic!("no shape error"),
            Err(e) => e,
        };
        shape_at::<Spec>(text, e.span().expect("located"))
    }

    fn model_name(path: &[Segment]) -> Option<&'static str> {
        model_at::<Spec>(path).map(|m| m.name)
    }

    #[test]
    fn the_model_is_walked_to_the_struct_of_every_table() {
        use Segment::{Index, Key};
        assert_eq!(model_name(&[]), Some("Spec"));
        assert_eq!(model_name(&[Key("flow")]), Some("FlowSection"));
        assert_eq!(model_name(&[Key("trigger")]), Some("TriggerSpec"));
        assert_eq!(model_name(&[Key("params"), Key("p")]), Some("ParamSpec"));
        assert_eq!(
            model_name(&[Key("variables"), Key("v")]),
            Some("VariableSpec")
        );
        assert_eq!(
            model_name(&[Key("outcomes"), Key("o")]),
            Some("OutcomeSpec")
        );
        assert_eq!(model_name(&[Key("nodes"), Key("n")]), Some("NodeSpec"));
        let branch = [Key("nodes"), Key("n"), Key("branches"), Index(0)];
        assert_eq!(model_name(&branch), Some("BranchSpec"));
        let condition = [&branch[..], &[Key("any"), Index(2)]].concat();
        assert_eq!(model_name(&condition), Some("ConditionSpec"));
        let action = [Key("nodes"), Key("n"), Key("on_leave"), Index(1)];
        assert_eq!(model_name(&action), Some("ActionSpec"));
        // Maps, lists, values and keys the model does not have are no struct's table.
        for path in [
            &[Key("nodes")][..],
            &[Key("nodes"), Key("n"), Key("next")],
            &[Key("nodes"), Key("n"), Key("headers")],
            &[Key("nodes"), Key("n"), Key("branches")],
            &[Key("flow"), Key("name")],
            &[Key("nodes"), Key("n"), Key("enabled")],
            &[Key("nodes"), Key("n"), Key("bogus")],
            &[Key("trigger"), Index(0)],
        ] {
            assert_eq!(model_name(path), None, "{path:?}");
        }
    }

    #[test]
    fn every_struct_has_its_required_keys_in_the_schema() {
        assert_eq!(Spec::required("Spec"), ["flow", "trigger"]);
        assert_eq!(
            Spec::required("TriggerSpec"),
            ["type", "event", "sample", "next"]
        );
        assert_eq!(Spec::required("ConditionSpec"), ["variable", "operator"]);
        assert_eq!(Spec::required("ActionSpec"), ["set"]);
        assert!(Spec::required("OutcomeSpec").is_empty());
    }

    #[test]
    fn an_unknown_key_is_named_with_the_keys_its_table_takes() {
        let text = format!("{HEAD}\n[nodes.a]\ntype = \"http\"\nmetod = \"GET\"\n");
        let Some(Shape::UnknownKey { key, expected }) = shape(&text) else {
            panic!("{:?}", shape(&text));
        };
        assert_eq!(key, "metod");
        assert_eq!(expected[..3], ["type", "id", "note"]);
        // In a table inside a list, and a key that makes an implicit table.
        let text = format!(
            "{HEAD}\n[nodes.a]\ntype = \"branch\"\nbranches = [{{ name = \"x\", al = [] }}]\n"
        );
        assert!(matches!(shape(&text), Some(Shape::UnknownKey { key, .. }) if key == "al"));
        let text = format!("{HEAD}\n[nodes.a.bogus.deeper]\nx = 1\n");
        assert!(matches!(shape(&text), Some(Shape::UnknownKey { key, .. }) if key == "bogus"));
    }

    #[test]
    fn a_key_is_named_whole_whatever_it_holds() {
        let text = format!("{HEAD}\n[variables.v]\n\"de`fault\" = \"x\"\n");
        assert!(matches!(shape(&text), Some(Shape::UnknownKey { key, .. }) if key == "de`fault"));
    }

    #[test]
    fn a_missing_key_is_the_first_required_one_the_table_lacks() {
        let text = "[trigger]\ntype = \"webhook\"\nnext = \"x\"\n[flow]\nname = \"F\"\n";
        assert_eq!(
            shape(text),
            Some(Shape::MissingKey {
                key: "event".into()
            })
        );
        assert_eq!(shape(""), Some(Shape::MissingKey { key: "flow".into() }));
        // A table only a deeper header makes: `[nodes.a.headers]` makes `nodes.a`.
        let text = format!("{HEAD}\n[nodes.a.headers]\n");
        assert_eq!(shape(&text), Some(Shape::MissingKey { key: "type".into() }));
        let text = format!("{HEAD}\n[nodes.a]\ntype = \"branch\"\nbranches = [{{ name = \"x\", all = [{{ variable = \"v\" }}] }}]\n");
        assert_eq!(
            shape(&text),
            Some(Shape::MissingKey {
                key: "operator".into()
            })
        );
    }

    #[test]
    fn a_wrong_type_is_left_to_serde() {
        let text = format!("{HEAD}\n[nodes.a]\ntype = \"http\"\nrequest_timeout_ms = \"5\"\n");
        assert_eq!(shape(&text), None);
        let text = format!("{HEAD}\n[nodes.a]\ntype = \"http\"\nnext = {{ onSuccess = {{}} }}\n");
        assert_eq!(shape(&text), None);
        let text = "trigger = \"x\"\n[flow]\nname = \"F\"\n";
        assert_eq!(shape(text), None);
    }
}
