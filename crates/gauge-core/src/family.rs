//! Model families: which Claude model served the most recent request, by name, and which of
//! the cluster's three model lamps each family lights.
//!
//! A family is the name inside a model id (`claude-fable-5-2` is `fable`), so a family Anthropic
//! ships tomorrow arrives by name without a new decoder. The frame carries it in `model`; the
//! cluster maps it onto a lamp with [`ModelLamps`](crate::ModelLamps) (part of [`crate::ClusterConfig`]).

use core::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// The longest family name, bytes (lowercase ASCII letters and digits).
pub const FAMILY_NAME_MAX_LEN: usize = 15;

/// A model family by name, such as `opus` or `fable`: at most [`FAMILY_NAME_MAX_LEN`]
/// lowercase ASCII letters and digits, starting with a letter. Anything else is
/// [`ModelFamily::OTHER`]. `Copy`, held inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelFamily {
    name: [u8; FAMILY_NAME_MAX_LEN],
    len: u8,
}

/// Families a model id is searched for when it does not have the `claude-<family>` shape
/// (Claude Code's aliases such as `opus` or `opusplan`).
const KNOWN: [ModelFamily; 5] = [
    ModelFamily::OPUS,
    ModelFamily::SONNET,
    ModelFamily::HAIKU,
    ModelFamily::FABLE,
    ModelFamily::MYTHOS,
];

/// A family name in a model id is at least this long (`claude-v2` names no family).
const FAMILY_NAME_MIN_LEN: usize = 3;

impl ModelFamily {
    /// Claude Opus.
    pub const OPUS: ModelFamily = ModelFamily::known("opus");
    /// Claude Sonnet.
    pub const SONNET: ModelFamily = ModelFamily::known("sonnet");
    /// Claude Haiku.
    pub const HAIKU: ModelFamily = ModelFamily::known("haiku");
    /// Claude Fable.
    pub const FABLE: ModelFamily = ModelFamily::known("fable");
    /// Claude Mythos.
    pub const MYTHOS: ModelFamily = ModelFamily::known("mythos");
    /// Any other model, or a name that is not a family name.
    pub const OTHER: ModelFamily = ModelFamily::known("other");

    /// A constant's name, already valid (checked by the tests).
    const fn known(name: &str) -> ModelFamily {
        let bytes = name.as_bytes();
        let mut out = [0; FAMILY_NAME_MAX_LEN];
        let mut i = 0;
        while i < bytes.len() {
            out[i] = bytes[i];
            i += 1;
        }
        ModelFamily {
            name: out,
            len: bytes.len() as u8,
        }
    }

    /// The family called `name` (ASCII letters are lowercased); [`ModelFamily::OTHER`] when it
    /// is empty, longer than [`FAMILY_NAME_MAX_LEN`], does not start with a letter or holds
    /// anything but letters and digits.
    pub fn from_name(name: &str) -> ModelFamily {
        let bytes = name.as_bytes();
        let is_valid = (1..=FAMILY_NAME_MAX_LEN).contains(&bytes.len())
            && bytes[0].is_ascii_alphabetic()
            && bytes.iter().all(u8::is_ascii_alphanumeric);
        if !is_valid {
            return ModelFamily::OTHER;
        }
        let mut family = ModelFamily {
            name: [0; FAMILY_NAME_MAX_LEN],
            // At most FAMILY_NAME_MAX_LEN (15), checked above.
            len: bytes.len() as u8,
        };
        for (out, byte) in family.name.iter_mut().zip(bytes) {
            *out = byte.to_ascii_lowercase();
        }
        family
    }

    /// The family of a model id, by its shape: the first word of letters after `claude-`,
    /// skipping version numbers (`claude-fable-5-2` and `anthropic.claude-haiku-4-5-v1:0` name
    /// `fable` and `haiku`, `claude-3-5-sonnet-20241022` names `sonnet`); else a known family
    /// anywhere in it (`opusplan`); else [`ModelFamily::OTHER`].
    pub fn from_model_id(model_id: &str) -> ModelFamily {
        let bytes = model_id.as_bytes();
        let prefix = b"claude-";
        let start = bytes
            .windows(prefix.len())
            .position(|w| w.eq_ignore_ascii_case(prefix));
        if let Some(start) = start {
            for word in bytes[start + prefix.len()..].split(|b| *b == b'-') {
                match word.first() {
                    Some(b) if b.is_ascii_digit() => continue,
                    Some(b) if b.is_ascii_alphabetic() => {
                        let len = word.iter().take_while(|b| b.is_ascii_alphabetic()).count();
                        if len >= FAMILY_NAME_MIN_LEN {
                            // Letters only, so this is UTF-8 and a valid name up to its length.
                            let name = core::str::from_utf8(&word[..len]).unwrap_or("");
                            return ModelFamily::from_name(name);
                        }
                        break;
                    }
                    _ => break,
                }
            }
        }
        let has = |needle: &[u8]| {
            bytes
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
        };
        KNOWN
            .into_iter()
            .find(|family| has(family.as_str().as_bytes()))
            .unwrap_or(ModelFamily::OTHER)
    }

    /// The name, e.g. `opus`: what the frame's `model` carries.
    pub fn as_str(&self) -> &str {
        let len = usize::from(self.len).min(FAMILY_NAME_MAX_LEN);
        // Only ever filled with ASCII letters and digits.
        core::str::from_utf8(&self.name[..len]).unwrap_or("other")
    }

    /// Whether this is [`ModelFamily::OTHER`].
    pub fn is_other(&self) -> bool {
        *self == ModelFamily::OTHER
    }
}

impl fmt::Debug for ModelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModelFamily({:?})", self.as_str())
    }
}

impl fmt::Display for ModelFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ModelFamily {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ModelFamily {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FamilyVisitor;
        impl Visitor<'_> for FamilyVisitor {
            type Value = ModelFamily;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a model family name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ModelFamily, E> {
                Ok(ModelFamily::from_name(v))
            }
        }
        deserializer.deserialize_str(FamilyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Lamp;
    use crate::model_lamps::ModelLamps;

    #[test]
    fn families_from_model_ids() {
        let cases = [
            ("claude-fable-5-2", "fable"),
            ("claude-mythos-5-2", "mythos"),
            ("claude-opus-5-5", "opus"),
            ("claude-opus-4-5-20251101", "opus"),
            ("claude-3-5-sonnet-20241022", "sonnet"),
            ("claude-3-5-sonnet-latest", "sonnet"),
            ("anthropic.claude-haiku-4-5-v1:0", "haiku"),
            ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "sonnet"),
            ("claude-opus-4-5@20251101", "opus"),
            ("claude-sonnet-4-5[1m]", "sonnet"),
            ("Claude-Opus-4", "opus"),
            ("claude-newname-7", "newname"),
            ("opusplan", "opus"),
            ("sonnet", "sonnet"),
            ("claude-2.1", "other"),
            ("anthropic.claude-v2", "other"),
            ("claude-abcdefghijklmnopq-1", "other"),
            ("<synthetic>", "other"),
            ("", "other"),
            ("gpt-5", "other"),
        ];
        for (id, family) in cases {
            assert_eq!(ModelFamily::from_model_id(id).as_str(), family, "{id}");
        }
    }

    #[test]
    fn names_are_short_lowercase_words_or_other() {
        assert_eq!(ModelFamily::from_name("Fable"), ModelFamily::FABLE);
        assert_eq!(
            ModelFamily::from_name("fifteen15chars1").as_str(),
            "fifteen15chars1"
        );
        for bad in [
            "",
            "sixteen16chars16",
            "9lives",
            "op us",
            "opus\"",
            "ópus",
            "a\\n",
        ] {
            assert!(ModelFamily::from_name(bad).is_other(), "{bad}");
        }
        for family in KNOWN.into_iter().chain([ModelFamily::OTHER]) {
            assert_eq!(ModelFamily::from_name(family.as_str()), family);
        }
    }

    #[test]
    fn the_default_lamps_and_a_remap() {
        let lamps = ModelLamps::default();
        let lamp = |name| lamps.lamp_of(ModelFamily::from_name(name));
        assert_eq!(
            ["opus", "mythos", "sonnet", "fable", "haiku", "other", "newname"].map(lamp),
            [Some(0), Some(0), Some(1), Some(1), Some(2), None, None]
        );
        assert_eq!(lamps.lamp_of_caution(Lamp::WarnSonnet), Some(1));
        assert_eq!(lamps.lamp_of_caution(Lamp::Hot), None);
        // Fable gets its own lamp: it leaves lamp 2.
        let lamps = lamps.with_lamp(2, &[ModelFamily::FABLE, ModelFamily::HAIKU]);
        assert_eq!(lamps.lamp_of(ModelFamily::FABLE), Some(2));
        assert_eq!(lamps.families(1).collect::<Vec<_>>(), [ModelFamily::SONNET]);
        assert_eq!(lamps.with_lamp(3, &[ModelFamily::OTHER]), lamps);
    }
}
