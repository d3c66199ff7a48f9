//! The frame's `warn_scoped`: the display names of Claude's model-scoped weekly limits (a
//! weekly Fable window, say) at warning or critical, held inline.

use core::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// How many scoped warnings a frame carries; more are dropped.
pub const SCOPED_WARNINGS_MAX: usize = 4;
/// The longest scoped limit name, bytes; a longer one is cut at a character boundary.
pub const SCOPED_NAME_MAX_LEN: usize = 23;

/// One scoped limit's display name, e.g. `Fable`: at most [`SCOPED_NAME_MAX_LEN`] bytes of
/// UTF-8 without control characters, `"` or `\` (so a frame never needs a string escape).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScopedName {
    bytes: [u8; SCOPED_NAME_MAX_LEN],
    len: u8,
}

impl ScopedName {
    /// `name` with control characters, `"` and `\` left out, spaces trimmed and cut to
    /// [`SCOPED_NAME_MAX_LEN`] bytes; `None` when nothing is left.
    pub fn new(name: &str) -> Option<ScopedName> {
        let mut out = ScopedName::default();
        let mut len = 0;
        for c in name.chars() {
            if c.is_control() || c == '"' || c == '\\' {
                continue;
            }
            let end = len + c.len_utf8();
            let Some(slot) = out.bytes.get_mut(len..end) else {
                break;
            };
            c.encode_utf8(slot);
            len = end;
        }
        // At most SCOPED_NAME_MAX_LEN (23) bytes.
        out.len = len as u8;
        // Trimmed after cleaning, so a space next to a dropped character goes too.
        let text = out.as_str();
        let start = text.len() - text.trim_start().len();
        let end = text.trim_end().len().max(start);
        out.bytes.copy_within(start..end, 0);
        // Equal names are equal bytes: nothing stays behind the length.
        out.bytes[end - start..].fill(0);
        out.len = (end - start) as u8;
        (end > start).then_some(out)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        let len = usize::from(self.len).min(SCOPED_NAME_MAX_LEN);
        // Only ever filled with whole UTF-8 characters.
        core::str::from_utf8(&self.bytes[..len]).unwrap_or("")
    }
}

impl fmt::Debug for ScopedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// The model-scoped weekly limits at warning or critical, by display name (the frame's
/// `warn_scoped`); at most [`SCOPED_WARNINGS_MAX`], each named once. `Copy`, no alloc.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScopedWarnings {
    names: [ScopedName; SCOPED_WARNINGS_MAX],
    len: u8,
}

impl ScopedWarnings {
    /// No scoped limit at warning.
    pub const EMPTY: ScopedWarnings = ScopedWarnings {
        names: [ScopedName {
            bytes: [0; SCOPED_NAME_MAX_LEN],
            len: 0,
        }; SCOPED_WARNINGS_MAX],
        len: 0,
    };

    /// Adds `name` ([`ScopedName::new`]); false when it was dropped: empty after cleaning, a
    /// name already held, or the list full.
    pub fn push(&mut self, name: &str) -> bool {
        let Some(name) = ScopedName::new(name) else {
            return false;
        };
        let len = usize::from(self.len);
        if len >= SCOPED_WARNINGS_MAX || self.names[..len].contains(&name) {
            return false;
        }
        self.names[len] = name;
        self.len += 1;
        true
    }

    /// This list with `name` added ([`ScopedWarnings::push`]).
    #[must_use]
    pub fn with(mut self, name: &str) -> ScopedWarnings {
        self.push(name);
        self
    }

    /// The names, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.names[..self.len()].iter().map(ScopedName::as_str)
    }

    /// Name `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.names[..self.len()].get(index).map(ScopedName::as_str)
    }

    /// How many names there are.
    pub fn len(&self) -> usize {
        usize::from(self.len).min(SCOPED_WARNINGS_MAX)
    }

    /// Whether no scoped limit is at warning.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for ScopedWarnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for ScopedWarnings {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for name in self.iter() {
            seq.serialize_element(name)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ScopedWarnings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamesVisitor;
        impl<'de> Visitor<'de> for NamesVisitor {
            type Value = ScopedWarnings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of scoped limit names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ScopedWarnings, A::Error> {
                let mut names = ScopedWarnings::EMPTY;
                // Names past the fourth are read and dropped, like empty ones.
                while let Some(name) = seq.next_element::<&str>()? {
                    names.push(name);
                }
                Ok(names)
            }
        }
        deserializer.deserialize_seq(NamesVisitor)
    }
}
