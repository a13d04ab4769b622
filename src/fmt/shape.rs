//! The canonical shape of a document: which keys come in which order, and which lists are
//! sorted.
//!
//! The key order is read from the serde structs themselves (the order of their fields), not
//! from a table of our own: a probe deserializer drives each type's derived `Deserialize` and
//! records the field list serde hands to `deserialize_struct`, which is the declaration order.
//! A field added to a kind is therefore formatted in the right place without touching this
//! file. (The committed JSON Schemas cannot give the order: serde_json sorts their keys.)

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use crate::manifest::Kind;
use crate::manifest::acg::{AccountSpec, ConsentSpec, NumberSetSpec};
use crate::manifest::common::{AccountMetadata, Metadata};
use crate::manifest::settings::Settings;
use crate::manifest::webex::{CustomerSpec, DeviceSpec, LocationSpec, TemplateSpec, UserSpec, WorkspaceSpec};

/// What fmt knows about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A scalar or an enum value: written as it is.
    Leaf,
    /// A struct: its keys in declaration order, each with the shape of its value.
    Struct(Vec<Field>),
    /// A free-form map (`labels`): its keys keep the order they are written in.
    Map(Box<Shape>),
    /// A list; `sort` says whether and by what its items are sorted.
    Seq { item: Box<Shape>, sort: Option<SortBy> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub shape: Shape,
}

/// How the items of a sorted list are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// The items are strings (E.164 numbers), sorted as text.
    Itself,
    /// The items are mappings, sorted by the text of this key.
    Key(&'static str),
}

impl Shape {
    /// The shape of a struct field, `None` for an unknown key or a non-struct.
    pub fn field(&self, name: &str) -> Option<&Shape> {
        match self {
            Shape::Struct(fields) => fields.iter().find(|f| f.name == name).map(|f| &f.shape),
            Shape::Map(value) => Some(value),
            _ => None,
        }
    }

    /// The rank of a key in canonical order: its field index in a struct; in a free map every
    /// key ranks the same, so that a stable sort keeps the written order.
    pub fn rank(&self, key: &str) -> usize {
        match self {
            Shape::Struct(fields) => fields.iter().position(|f| f.name == key).unwrap_or(usize::MAX),
            _ => 0,
        }
    }

    fn at_mut(&mut self, path: &[&str]) -> Option<&mut Shape> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        match self {
            Shape::Struct(fields) => fields.iter_mut().find(|f| f.name == *first)?.shape.at_mut(rest),
            _ => None,
        }
    }

    /// Marks the list at `path` as sorted. Panics only if the path names no list: that is a
    /// programming error caught by the unit tests, never input-dependent.
    fn sorted(mut self, path: &[&str], by: SortBy) -> Shape {
        match self.at_mut(path) {
            Some(Shape::Seq { sort, .. }) => *sort = Some(by),
            other => panic!("fmt shape: {path:?} is not a list: {other:?}"),
        }
        self
    }
}

/// The shape of a document of `kind`: the envelope (`apiVersion`, `kind`, `metadata`, `spec`,
/// in the order the schemas' `required` lists them), then the kind's own structs.
pub fn document(kind: Kind) -> Shape {
    let metadata = if kind == Kind::Account {
        of::<AccountMetadata>()
    } else {
        of::<Metadata>()
    };
    let spec = match kind {
        Kind::Account => of::<AccountSpec>(),
        // Numbers are sorted so that a number added in a pull request lands in one obvious
        // place, and two people adding numbers rarely touch the same lines.
        Kind::NumberSet => of::<NumberSetSpec>()
            .sorted(&["ranges"], SortBy::Key("from"))
            .sorted(&["numbers"], SortBy::Key("number")),
        Kind::Consent => of::<ConsentSpec>(),
        Kind::Template => of::<TemplateSpec>(),
        Kind::Customer => of::<CustomerSpec>(),
        Kind::Location => of::<LocationSpec>().sorted(&["numbers"], SortBy::Itself),
        Kind::User => of::<UserSpec>(),
        Kind::Workspace => of::<WorkspaceSpec>(),
        Kind::Device => of::<DeviceSpec>(),
    };
    Shape::Struct(vec![
        Field {
            name: "apiVersion",
            shape: Shape::Leaf,
        },
        Field {
            name: "kind",
            shape: Shape::Leaf,
        },
        Field {
            name: "metadata",
            shape: metadata,
        },
        Field {
            name: "spec",
            shape: spec,
        },
    ])
}

/// The shape of the settings file (`telform.yaml`).
pub fn settings() -> Shape {
    of::<Settings>()
}

/// The shape of any type with a derived `Deserialize`. Types the probe cannot walk (an
/// untagged enum, a `serde_json::Value`) come out as [`Shape::Leaf`]: fmt then leaves their
/// content as written, which is always safe.
pub fn of<T: DeserializeOwned>() -> Shape {
    let mut shape = Shape::Leaf;
    if T::deserialize(Probe { out: &mut shape }).is_err() {
        return Shape::Leaf;
    }
    shape
}

#[derive(Debug)]
struct ProbeError(String);

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProbeError {}

impl de::Error for ProbeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ProbeError(msg.to_string())
    }
}

/// A deserializer that answers every request with a placeholder value and records, in `out`,
/// the shape the type asked for.
struct Probe<'a> {
    out: &'a mut Shape,
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = ProbeError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ProbeError> {
        Err(de::Error::custom("the probe cannot describe a self-describing value"))
    }
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_bool(false)
    }
    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_i64(0)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_i64(0)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_i64(0)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_i64(0)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_u64(0)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_u64(0)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_u64(0)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_u64(0)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_f64(0.0)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_f64(0.0)
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_char('x')
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_str("")
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_str("")
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_bytes(&[])
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_bytes(&[])
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        // `Option<T>` is written like `T`.
        v.visit_some(self)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value, ProbeError> {
        v.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, v: V) -> Result<V::Value, ProbeError> {
        v.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        let mut item = Shape::Leaf;
        let value = v.visit_seq(OneItem { item: Some(&mut item) })?;
        *self.out = Shape::Seq {
            item: Box::new(item),
            sort: None,
        };
        Ok(value)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, ProbeError> {
        Err(de::Error::custom("tuples are not used in manifests"))
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value, ProbeError> {
        Err(de::Error::custom("tuple structs are not used in manifests"))
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        let mut value_shape = Shape::Leaf;
        let value = v.visit_map(Fields {
            names: &["key"],
            shapes: std::slice::from_mut(&mut value_shape),
            next: 0,
        })?;
        *self.out = Shape::Map(Box::new(value_shape));
        Ok(value)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ProbeError> {
        let mut shapes = vec![Shape::Leaf; fields.len()];
        let value = v.visit_map(Fields {
            names: fields,
            shapes: &mut shapes,
            next: 0,
        })?;
        *self.out = Shape::Struct(
            fields
                .iter()
                .zip(shapes)
                .map(|(&name, shape)| Field { name, shape })
                .collect(),
        );
        Ok(value)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ProbeError> {
        let first = variants
            .first()
            .ok_or_else(|| de::Error::custom("an enum without variants"))?;
        v.visit_enum(UnitVariant(first))
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_str("")
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ProbeError> {
        v.visit_unit()
    }
    serde::forward_to_deserialize_any! { i128 u128 }
}

/// A list of one item, probed.
struct OneItem<'a> {
    item: Option<&'a mut Shape>,
}

impl<'de> de::SeqAccess<'de> for OneItem<'_> {
    type Error = ProbeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, ProbeError> {
        match self.item.take() {
            Some(out) => seed.deserialize(Probe { out }).map(Some),
            None => Ok(None),
        }
    }
}

/// A mapping holding each of `names` once, each value probed into `shapes`.
struct Fields<'a> {
    names: &'static [&'static str],
    shapes: &'a mut [Shape],
    next: usize,
}

impl<'de> de::MapAccess<'de> for Fields<'_> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ProbeError> {
        let Some(name) = self.names.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(IntoDeserializer::<ProbeError>::into_deserializer(*name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ProbeError> {
        let out = self
            .next
            .checked_sub(1)
            .and_then(|i| self.shapes.get_mut(i))
            .ok_or_else(|| de::Error::custom("a value before its key"))?;
        seed.deserialize(Probe { out })
    }
}

/// The first variant of an enum, as a unit variant (manifest enums are plain strings).
struct UnitVariant(&'static str);

impl<'de> de::EnumAccess<'de> for UnitVariant {
    type Error = ProbeError;
    type Variant = UnitVariant;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, UnitVariant), ProbeError> {
        let value = seed.deserialize(IntoDeserializer::<ProbeError>::into_deserializer(self.0))?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant {
    type Error = ProbeError;

    fn unit_variant(self) -> Result<(), ProbeError> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _: T) -> Result<T::Value, ProbeError> {
        Err(de::Error::custom("only unit variants are used in manifests"))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, ProbeError> {
        Err(de::Error::custom("only unit variants are used in manifests"))
    }
    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], _: V) -> Result<V::Value, ProbeError> {
        Err(de::Error::custom("only unit variants are used in manifests"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::schema::kind_schema;

    fn names(shape: &Shape) -> Vec<&'static str> {
        match shape {
            Shape::Struct(fields) => fields.iter().map(|f| f.name).collect(),
            other => panic!("not a struct: {other:?}"),
        }
    }

    #[test]
    fn struct_order_is_declaration_order() {
        let spec = document(Kind::NumberSet);
        let spec = spec.field("spec").expect("spec");
        assert_eq!(
            names(spec),
            ["account", "service", "defaults", "ranges", "numbers", "ensure"]
        );
        let entry = match spec.field("numbers") {
            Some(Shape::Seq { item, sort }) => {
                assert_eq!(*sort, Some(SortBy::Key("number")));
                item
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(names(entry)[..2], ["number", "usage"]);
        assert_eq!(
            names(spec.field("defaults").expect("defaults"))[..3],
            ["usage", "capabilities", "civicAddressId"]
        );
        let metadata = document(Kind::User);
        assert_eq!(names(metadata.field("metadata").expect("metadata")), ["name", "labels"]);
        assert!(matches!(
            metadata.field("metadata").and_then(|m| m.field("labels")),
            Some(Shape::Map(_))
        ));
    }

    #[test]
    fn settings_order() {
        let shape = settings();
        assert_eq!(
            names(&shape),
            ["apiVersion", "acg", "webex", "apply", "sipPasswords", "store"]
        );
        assert_eq!(names(shape.field("acg").expect("acg"))[..2], ["url", "tokenUrl"]);
    }

    /// The probe and the schema agree on which keys each kind has, at every level the schema
    /// describes: a type the probe could not walk would show up here as a missing struct.
    #[test]
    fn every_schema_property_has_a_place() {
        fn walk(shape: &Shape, schema: &serde_json::Value, root: &serde_json::Value, path: &str) {
            let schema = resolve(schema, root);
            if let Some(props) = schema.get("properties").and_then(|p| p.as_object()) {
                let Shape::Struct(fields) = shape else {
                    panic!("{path}: the schema has properties, the probe found {shape:?}");
                };
                let mut expected: Vec<&str> = props.keys().map(String::as_str).collect();
                let mut found: Vec<&str> = fields.iter().map(|f| f.name).collect();
                expected.sort_unstable();
                found.sort_unstable();
                assert_eq!(found, expected, "{path}");
                for f in fields {
                    walk(&f.shape, &props[f.name], root, &format!("{path}.{}", f.name));
                }
            } else if let Some(items) = schema.get("items") {
                let Shape::Seq { item, .. } = shape else {
                    panic!("{path}: the schema has items, the probe found {shape:?}");
                };
                walk(item, items, root, &format!("{path}[]"));
            }
        }
        fn resolve<'a>(schema: &'a serde_json::Value, root: &'a serde_json::Value) -> &'a serde_json::Value {
            match schema.get("$ref").and_then(|r| r.as_str()) {
                Some(r) => root
                    .pointer(r.trim_start_matches('#'))
                    .map_or(schema, |target| resolve(target, root)),
                None => schema,
            }
        }
        for kind in Kind::ALL {
            let schema = kind_schema(kind);
            walk(&document(kind), schema, schema, kind.as_str());
        }
    }
}
