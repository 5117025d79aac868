//! Positions of YAML nodes. `serde_yaml::Value` keeps no positions, but serde_norway stamps
//! the line and column of the node being deserialized onto any error a visitor raises. So to
//! find a node we walk the document again along its path with a visitor that fails exactly at
//! the target, and read the position off that error. Only used when reporting a problem.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One step from a node to a child.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    /// The value under this key of a mapping.
    Key(String),
    /// The n-th element of a sequence.
    Index(usize),
}

/// Where a node is in the document: a path of steps from the root. With `at_key`, the last
/// step (a `Key`) designates the key itself rather than its value (for "unknown field").
/// The steps are shared with the parent path: the checker makes a path for every node it
/// visits (10,000 devices: a few hundred thousand), and only a problem reads one back.
#[derive(Debug, Clone, Default)]
pub(crate) struct YamlPath {
    last: Option<Arc<Step>>,
    at_key: bool,
}

#[derive(Debug)]
struct Step {
    parent: Option<Arc<Step>>,
    seg: Seg,
}

impl PartialEq for YamlPath {
    fn eq(&self, other: &Self) -> bool {
        self.at_key == other.at_key && self.segs() == other.segs()
    }
}

impl Eq for YamlPath {}

impl std::hash::Hash for YamlPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.segs().hash(state);
        self.at_key.hash(state);
    }
}

impl YamlPath {
    /// The document root.
    pub(crate) fn root() -> Self {
        YamlPath::default()
    }

    /// The value under `key`.
    pub(crate) fn key(&self, key: &str) -> Self {
        self.child(Seg::Key(key.to_owned()))
    }

    /// The `index`-th element.
    pub(crate) fn index(&self, index: usize) -> Self {
        self.child(Seg::Index(index))
    }

    /// The key node of `key` (not its value).
    pub(crate) fn key_node(&self, key: &str) -> Self {
        let mut path = self.key(key);
        path.at_key = true;
        path
    }

    /// The same path, designating the key node of its last step rather than the value.
    pub(crate) fn as_key_node(&self) -> Self {
        YamlPath {
            last: self.last.clone(),
            at_key: true,
        }
    }

    /// Whether the last step is the key `key`.
    pub(crate) fn ends_with_key(&self, key: &str) -> bool {
        matches!(self.last.as_deref(), Some(Step { seg: Seg::Key(k), .. }) if k == key)
    }

    fn child(&self, seg: Seg) -> Self {
        YamlPath {
            last: Some(Arc::new(Step {
                parent: self.last.clone(),
                seg,
            })),
            at_key: false,
        }
    }

    /// The steps from the root.
    fn segs(&self) -> Vec<Seg> {
        let mut segs = Vec::new();
        let mut at = self.last.as_deref();
        while let Some(step) = at {
            segs.push(step.seg.clone());
            at = step.parent.as_deref();
        }
        segs.reverse();
        segs
    }
}

/// 1-based (line, column) of the node at `path` in `text`. When the path does not exist as
/// written (e.g. a key that came from a `<<` merge) this is the deepest node that does.
pub(crate) fn locate(text: &str, path: &YamlPath) -> (usize, usize) {
    let segs = path.segs();
    let seed = Locate {
        segs: &segs,
        at_key: path.at_key,
    };
    match seed.deserialize(serde_yaml::Deserializer::from_str(text)) {
        Err(err) => err
            .location()
            .map_or((1, 1), |loc| (loc.line(), loc.column())),
        // Unreachable: every branch of `Locate` fails. Fall back to the file start.
        Ok(()) => (1, 1),
    }
}

/// Raised at the target; its text never reaches the user, only its position does.
const HERE: &str = "located";

struct Locate<'p> {
    segs: &'p [Seg],
    at_key: bool,
}

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Any scalar stops the walk: either it is the target or the path cannot go deeper.
macro_rules! stop_here {
    ($($name:ident: $ty:ty),*) => {$(
        fn $name<E: de::Error>(self, _: $ty) -> Result<(), E> {
            Err(E::custom(HERE))
        }
    )*};
}

impl<'de> Visitor<'de> for Locate<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    stop_here!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(HERE))
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(HERE))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some((Seg::Index(index), rest)) = self.segs.split_first() {
            for _ in 0..*index {
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    return Err(de::Error::custom(HERE));
                }
            }
            let inner = Locate {
                segs: rest,
                at_key: self.at_key,
            };
            seq.next_element_seed(inner)?;
        }
        Err(de::Error::custom(HERE))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if let Some((Seg::Key(key), rest)) = self.segs.split_first() {
            let fail_on_key = rest.is_empty() && self.at_key;
            while let Some(found) = map.next_key_seed(KeyIs { key, fail_on_key })? {
                if found {
                    let inner = Locate {
                        segs: rest,
                        at_key: self.at_key,
                    };
                    map.next_value_seed(inner)?;
                    break;
                }
                map.next_value::<IgnoredAny>()?;
            }
        }
        Err(de::Error::custom(HERE))
    }
}

/// Reads one mapping key: `Ok(true)` when it is `key`, or fails right there if the key node
/// itself is the target.
struct KeyIs<'k> {
    key: &'k str,
    fail_on_key: bool,
}

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Non-string keys never match a path step.
macro_rules! not_it {
    ($($name:ident: $ty:ty),*) => {$(
        fn $name<E: de::Error>(self, _: $ty) -> Result<bool, E> {
            Ok(false)
        }
    )*};
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    not_it!(visit_bool: bool, visit_f64: f64);

    // Integer keys (a group called `2024`) match their decimal text.
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<bool, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<bool, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<bool, E> {
        match (value == self.key, self.fail_on_key) {
            (true, true) => Err(E::custom(HERE)),
            (found, _) => Ok(found),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<bool, A::Error> {
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<bool, A::Error> {
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
top: 1
devices:
  - name: a
    host: 127.0.0.1
  - name: b
    hots: x
    tags: {role: core}
";

    #[test]
    fn finds_values_keys_and_sequence_items() {
        let dev1 = YamlPath::root().key("devices").index(1);
        assert_eq!(locate(DOC, &YamlPath::root().key("top")), (1, 6));
        assert_eq!(locate(DOC, &YamlPath::root().key_node("devices")), (2, 1));
        assert_eq!(locate(DOC, &dev1.key("name")), (5, 11));
        assert_eq!(locate(DOC, &dev1.key_node("hots")), (6, 5));
        assert_eq!(locate(DOC, &dev1.key("tags").key("role")), (7, 18));
        // A block mapping starts at its first key.
        assert_eq!(locate(DOC, &dev1), (5, 5));
    }

    #[test]
    fn integer_keys_match_their_text() {
        let doc = "groups:\n  2024: {parents: [x]}\n";
        let at = YamlPath::root().key("groups");
        assert_eq!(locate(doc, &at.key_node("2024")), (2, 3));
        assert_eq!(
            locate(doc, &at.key("2024").key("parents").index(0)),
            (2, 20)
        );
    }

    #[test]
    fn missing_path_falls_back_to_deepest_existing_node() {
        let dev0 = YamlPath::root().key("devices").index(0);
        assert_eq!(locate(DOC, &dev0.key("port")), (3, 5));
        assert_eq!(
            locate(DOC, &YamlPath::root().key("devices").index(9)),
            (3, 3)
        );
    }
}
