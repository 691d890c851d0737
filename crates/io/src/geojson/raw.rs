//! The serde types of the GeoJSON reader: the document's top level, its `crs` member, a
//! feature with its id, properties (borrowing their strings) and geometry, and nested
//! coordinate arrays read straight into `geo` coordinates.

use std::borrow::Cow;
use std::fmt;

use careblock_core::Crs;
use geo::{Coord, Geometry};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::IoError;

#[derive(Deserialize)]
pub(super) struct Top<'a> {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) crs: Option<CrsMember>,
    #[serde(borrow)]
    pub(super) features: Option<Vec<RawFeature<'a>>>,
}

#[derive(Deserialize)]
pub(super) struct CrsMember {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) properties: Option<CrsProperties>,
}

#[derive(Deserialize)]
pub(super) struct CrsProperties {
    pub(super) name: Option<String>,
}

impl CrsMember {
    pub(super) fn to_crs(&self, path: &str) -> Result<Crs, IoError> {
        match (&self.kind, self.properties.as_ref().and_then(|p| p.name.as_ref())) {
            (Some(k), Some(name)) if k == "name" => Crs::parse(name).map_err(|e| IoError::crs(path, e)),
            _ => Err(IoError::format(
                path,
                "the \"crs\" member must be {\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:EPSG::<code>\"}} (linked CRSs are not supported)",
            )),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct RawFeature<'a> {
    #[serde(rename = "type", borrow)]
    pub(crate) kind: Option<Text<'a>>,
    pub(crate) id: Option<IdValue>,
    #[serde(borrow)]
    pub(crate) properties: Option<Props<'a>>,
    pub(crate) geometry: Option<RawGeometry>,
    /// The geometry already converted (by the fast reader, [`super::fast`]); `None` on the
    /// serde path, where `geometry` is converted later.
    #[serde(skip)]
    pub(crate) ready: Option<Option<Geometry<f64>>>,
}

/// A feature id: a string or a number, as text.
pub(crate) struct IdValue(pub(crate) String);

impl<'de> Deserialize<'de> for IdValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IdValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a feature id (a string or a number)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IdValue, E> {
                Ok(IdValue(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<IdValue, E> {
                Ok(IdValue(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IdValue, E> {
                Ok(IdValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IdValue, E> {
                Ok(IdValue(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<IdValue, E> {
                Ok(IdValue(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// One property value.
pub(crate) enum PropValue<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    /// An object or array, as JSON text.
    Json(String),
}

impl PropValue<'_> {
    pub(super) fn as_text(&self) -> String {
        match self {
            PropValue::Null => "null".into(),
            PropValue::Bool(b) => b.to_string(),
            PropValue::Int(x) => x.to_string(),
            PropValue::Float(x) => x.to_string(),
            PropValue::Str(s) => s.to_string(),
            PropValue::Json(s) => s.clone(),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for PropValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = PropValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PropValue<'a>, E> {
                Ok(match i64::try_from(v) {
                    Ok(i) => PropValue::Int(i),
                    Err(_) => PropValue::Float(v as f64),
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Float(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<PropValue<'a>, E> {
                Ok(PropValue::Str(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PropValue<'a>, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = seq.next_element::<serde_json::Value>()? {
                    v.push(e);
                }
                Ok(PropValue::Json(serde_json::Value::Array(v).to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PropValue<'a>, A::Error> {
                let mut m = serde_json::Map::new();
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    m.insert(k, v);
                }
                Ok(PropValue::Json(serde_json::Value::Object(m).to_string()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A key or string that borrows from the input when it has no escapes.
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A feature's properties, in file order.
pub(crate) struct Props<'a>(pub(crate) Vec<(Cow<'a, str>, PropValue<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Props<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Props<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a properties object or null")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Props<'a>, A::Error> {
                let mut v = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((Text(k), value)) = map.next_entry::<Text<'a>, PropValue<'a>>()? {
                    v.push((k, value));
                }
                Ok(Props(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A geometry as parsed: its type and its nested coordinates, converted later.
pub(crate) struct RawGeometry {
    pub(super) kind: String,
    pub(super) coordinates: Option<Nested>,
    pub(super) geometries: Option<Vec<RawGeometry>>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
pub(super) enum GeometryField {
    Type,
    Coordinates,
    Geometries,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for RawGeometry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawGeometry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a GeoJSON geometry object or null")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawGeometry, A::Error> {
                let mut kind = None;
                let mut coordinates = None;
                let mut geometries = None;
                while let Some(key) = map.next_key::<GeometryField>()? {
                    match key {
                        GeometryField::Type => kind = Some(map.next_value::<String>()?),
                        GeometryField::Coordinates => coordinates = Some(map.next_value::<Nested>()?),
                        GeometryField::Geometries => geometries = Some(map.next_value::<Vec<RawGeometry>>()?),
                        GeometryField::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let kind = kind.ok_or_else(|| de::Error::missing_field("type"))?;
                Ok(RawGeometry {
                    kind,
                    coordinates,
                    geometries,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// Nested coordinate arrays of any depth, decided by the data (so that `coordinates` may come
/// before `type`): positions are parsed straight into `Coord`s.
pub(super) enum Nested {
    Empty,
    Position(Coord),
    Positions(Vec<Coord>),
    Lists(Vec<Nested>),
}

pub(super) const POSITION: &str = "a position: an array of 2 or 3 numbers";

/// Reads the rest of a position after its first number.
pub(super) fn finish_position<'de, A: SeqAccess<'de>>(x: f64, seq: &mut A) -> Result<Coord, A::Error> {
    let y: f64 = seq
        .next_element()?
        .ok_or_else(|| de::Error::invalid_length(1, &POSITION))?;
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(Coord { x, y })
}

/// A position parsed directly (the fast path once a list is known to hold positions).
pub(super) struct Pos(Coord);

impl<'de> Deserialize<'de> for Pos {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pos;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(POSITION)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pos, A::Error> {
                let x: f64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &POSITION))?;
                finish_position(x, &mut seq).map(Pos)
            }
        }
        d.deserialize_seq(V)
    }
}

pub(super) struct NestedVisitor;

impl<'de> Visitor<'de> for NestedVisitor {
    type Value = Nested;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of coordinates")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nested, A::Error> {
        match seq.next_element_seed(ElemSeed)? {
            None => Ok(Nested::Empty),
            Some(Elem::Num(x)) => finish_position(x, &mut seq).map(Nested::Position),
            Some(Elem::Arr(Nested::Position(c))) => {
                let mut v = Vec::with_capacity(16);
                v.push(c);
                while let Some(Pos(c)) = seq.next_element::<Pos>()? {
                    v.push(c);
                }
                Ok(Nested::Positions(v))
            }
            Some(Elem::Arr(first)) => {
                let mut v = vec![first];
                while let Some(n) = seq.next_element::<Nested>()? {
                    v.push(n);
                }
                Ok(Nested::Lists(v))
            }
        }
    }
}

impl<'de> Deserialize<'de> for Nested {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(NestedVisitor)
    }
}

pub(super) enum Elem {
    Num(f64),
    Arr(Nested),
}

pub(super) struct ElemSeed;

impl<'de> DeserializeSeed<'de> for ElemSeed {
    type Value = Elem;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Elem, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Elem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or an array of coordinates")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Elem, E> {
                Ok(Elem::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Elem, E> {
                Ok(Elem::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Elem, E> {
                Ok(Elem::Num(v as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Elem, A::Error> {
                NestedVisitor.visit_seq(seq).map(Elem::Arr)
            }
        }
        d.deserialize_any(V)
    }
}
