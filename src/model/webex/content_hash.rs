//! The content hash of a live object, as a saved plan records it: FNV-1a over the object's
//! JSON text with every map's keys sorted, i.e. what `model::fingerprint_of` computes over
//! `json!(object)`.
//!
//! A plan reads a hundred thousand users and devices and hashes each as it is read; going
//! through a `serde_json::Value` (an allocation per field) would cost more than parsing them.
//! `Canonical` writes the same text directly: leaves are written by `serde_json` itself,
//! and the fields of each struct or map are buffered and written back in key order. What it
//! does not handle in exactly the same way (`f32`, `i128`, byte strings, non-string map keys,
//! enum variants with data) makes it give up, and the hash is then taken through a `Value`.

use std::cell::RefCell;
use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ContentHash(pub u64);

impl ContentHash {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x100_0000_01b3;

    pub fn of<T: Serialize>(object: &T) -> ContentHash {
        thread_local! {
            static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        TEXT.with(|text| {
            let mut text = text.borrow_mut();
            text.clear();
            if object.serialize(Canonical { out: &mut text }).is_err() {
                text.clear();
                if let Ok(value) = serde_json::to_value(object) {
                    // Writing into a vector cannot fail.
                    let _ = serde_json::to_writer(&mut *text, &value);
                }
            }
            ContentHash::of_text(&text)
        })
    }

    fn of_text(text: &[u8]) -> ContentHash {
        ContentHash(
            text.iter()
                .fold(Self::OFFSET, |h, b| (h ^ u64::from(*b)).wrapping_mul(Self::PRIME)),
        )
    }

    /// As a plan records it: `fnv:<16 hex digits>`.
    pub fn text(self) -> String {
        format!("fnv:{:016x}", self.0)
    }
}

/// Something `Canonical` does not write as `json!` would: the caller goes through a `Value`.
#[derive(Debug)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not written canonically")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

/// Writes a value's JSON text as `serde_json::to_value` followed by `to_writer` would: compact,
/// map keys sorted.
struct Canonical<'a> {
    out: &'a mut Vec<u8>,
}

impl Canonical<'_> {
    fn leaf<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        serde_json::to_writer(&mut *self.out, value).map_err(|_| Unsupported)
    }
}

impl<'a> ser::Serializer for Canonical<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    /// A `Value` keeps an `f32` as the `f64` it converts to, which prints differently.
    fn serialize_f32(self, _: f32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    /// Non-finite numbers are `null` both ways.
    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.leaf(&v)
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.leaf(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Unsupported> {
        self.leaf(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, Unsupported> {
        self.out.push(b'[');
        Ok(Seq {
            out: self.out,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'a>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a>, Unsupported> {
        Ok(Object::new(self.out))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'a>, Unsupported> {
        Ok(Object::new(self.out))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

struct Seq<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl Seq<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(Canonical { out: self.out })
    }

    fn close(self) -> Result<(), Unsupported> {
        self.out.push(b']');
        Ok(())
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

/// A struct or map: each value is written after what is already in `out` (from `base`), its
/// key and place noted; at the end they are put back in key order.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    base: usize,
    /// Key, and where its value's text starts and ends in `out`.
    entries: Vec<(Key, usize, usize)>,
    /// The key of a map entry whose value comes next.
    pending: Option<String>,
}

enum Key {
    Field(&'static str),
    Owned(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Key::Field(k) => k,
            Key::Owned(k) => k,
        }
    }
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Vec<u8>) -> Object<'a> {
        let base = out.len();
        Object {
            out,
            base,
            entries: Vec::new(),
            pending: None,
        }
    }

    fn entry<T: Serialize + ?Sized>(&mut self, key: Key, value: &T) -> Result<(), Unsupported> {
        let start = self.out.len();
        value.serialize(Canonical { out: self.out })?;
        self.entries.push((key, start, self.out.len()));
        Ok(())
    }

    fn close(mut self) -> Result<(), Unsupported> {
        // A map that names a key twice keeps the last value in a `Value`: not handled here.
        self.entries.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        if self.entries.windows(2).any(|w| w[0].0.as_str() == w[1].0.as_str()) {
            return Err(Unsupported);
        }
        let values = self.out.split_off(self.base);
        self.out.push(b'{');
        for (i, (key, start, end)) in self.entries.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            serde_json::to_writer(&mut *self.out, key.as_str()).map_err(|_| Unsupported)?;
            self.out.push(b':');
            self.out.extend_from_slice(&values[start - self.base..end - self.base]);
        }
        self.out.push(b'}');
        Ok(())
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Unsupported> {
        self.entry(Key::Field(key), value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        self.pending = Some(key.serialize(KeyText)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        let key = self.pending.take().ok_or(Unsupported)?;
        self.entry(Key::Owned(key), value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.close()
    }
}

/// A map key: only strings (a `Value` turns other keys into strings its own way).
struct KeyText;

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Unsupported;
    type SerializeSeq = Impossible<String, Unsupported>;
    type SerializeTuple = Impossible<String, Unsupported>;
    type SerializeTupleStruct = Impossible<String, Unsupported>;
    type SerializeTupleVariant = Impossible<String, Unsupported>;
    type SerializeMap = Impossible<String, Unsupported>;
    type SerializeStruct = Impossible<String, Unsupported>;
    type SerializeStructVariant = Impossible<String, Unsupported>;

    fn serialize_str(self, v: &str) -> Result<String, Unsupported> {
        Ok(v.to_string())
    }
    fn serialize_bool(self, _: bool) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i8(self, _: i8) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i16(self, _: i16) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i32(self, _: i32) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i64(self, _: i64) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u8(self, _: u8) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u16(self, _: u16) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u32(self, _: u32) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u64(self, _: u64) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f32(self, _: f32) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _: f64) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_char(self, _: char) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde_json::json;

    use super::*;
    use crate::model::fingerprint_of;
    use crate::wire::webex as wire;

    fn same<T: Serialize>(object: &T) {
        assert_eq!(
            ContentHash::of(object).text(),
            fingerprint_of(&json!(object)),
            "{}",
            json!(object)
        );
    }

    fn canonical<T: Serialize>(object: &T) -> Option<String> {
        let mut out = Vec::new();
        object.serialize(Canonical { out: &mut out }).ok()?;
        String::from_utf8(out).ok()
    }

    #[test]
    fn the_text_is_the_one_of_a_json_value() {
        let device = wire::Device {
            id: "Y2lzY29zcGFyazovL3VzL0RFVklDRS8x".into(),
            display_name: Some("Phone \"A\" \u{e9}\u{1F600}\n\t\\".into()),
            workspace_id: None,
            person_id: Some("person-1".into()),
            org_id: Some("org".into()),
            capabilities: vec!["xapi".into()],
            permissions: vec![],
            connection_status: Some("connected".into()),
            product: Some("Yealink T54W".into()),
            device_type: Some("phone".into()),
            tags: vec!["telform-sip-rotation=2".into(), "b".into()],
            mac: Some("001A2B3C4D5E".into()),
            primary_sip_url: None,
            sip_urls: vec!["sip:a@b".into()],
            serial: Some("S".into()),
            software: None,
            created: "2024-01-01T00:00:00Z".into(),
            location_id: Some("loc".into()),
            error_codes: vec![],
            managed_by: Some("PARTNER".into()),
            device_platform: Some("cisco".into()),
        };
        assert_eq!(canonical(&device).as_deref(), Some(json!(device).to_string().as_str()));
        same(&device);
        same(&wire::Device::default());
        same(&wire::Subscriber {
            id: "sub".into(),
            person_id: Some("p".into()),
            email: "a@b.example".into(),
            customer_id: "c".into(),
            external_customer_id: Some("C1".into()),
            package: Some("webex_calling".into()),
            packages: vec!["webex_calling".into(), "webex_meetings".into()],
            status: "provisioned".into(),
            errors: vec![wire::WholesaleError {
                error_code: -7,
                description: "x".into(),
            }],
            created: Some("t".into()),
            last_status_change: None,
        });
        same(&wire::PhoneNumber {
            phone_number: Some("+33140000100".into()),
            extension: Some("100".into()),
            main_number: true,
            location: Some(wire::IdName {
                id: "loc".into(),
                name: "HQ".into(),
            }),
            owner: Some(wire::NumberOwner {
                id: "p".into(),
                owner_type: "PEOPLE".into(),
                first_name: Some("A".into()),
                last_name: None,
            }),
            ..Default::default()
        });
        same(&wire::Workspace {
            id: "ws".into(),
            display_name: "Salle".into(),
            capacity: Some(-8),
            workspace_type: Some("meetingRoom".into()),
            calling: Some(wire::WorkspaceCalling {
                calling_type: "webexCalling".into(),
                webex_calling: Some(wire::WebexCalling {
                    licenses: Some(vec!["l1".into(), "l2".into()]),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        });
        // Maps (keys sorted whatever their order), floats, nested structs.
        let limits: HashMap<String, f64> = [("z".into(), 1.5), ("a".into(), 2.0), ("m".into(), f64::NAN)].into();
        same(&limits);
        same(&wire::PackageParameters {
            limits: Some(BTreeMap::from([("webex_calling".into(), 10.0), ("a".into(), 0.1)])),
        });
        same(&(1u8, "x", [true, false], ()));
    }

    #[test]
    fn what_is_not_written_the_same_way_goes_through_a_value() {
        assert_eq!(canonical(&1.1f32), None);
        same(&1.1f32);
        assert_eq!(canonical(&BTreeMap::from([(1, "a"), (2, "b")])), None);
        same(&BTreeMap::from([(1, "a"), (2, "b")]));
        same(&json!({"b": [1, {"d": 1, "c": null}], "a": "x"}));
        same(&Some(vec![Some(1i128)]));
    }
}
