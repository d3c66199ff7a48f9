//! Which model lamp of the cluster stands for which model families: a physical cluster has three
//! model lamps, and today's families (fable, mythos, ...) are mapped onto them in its settings.

use crate::family::ModelFamily;
use crate::frame::Lamp;

/// How many model lamps a cluster has.
pub const MODEL_LAMP_COUNT: usize = 3;
/// How many families one model lamp can stand for.
pub const MODEL_LAMP_MAX_FAMILIES: usize = 4;

/// Which families light each of the three model lamps. `Copy + Default`.
///
/// The default puts the families of similar standing on one lamp: lamp 1 = `opus` and
/// `mythos`, lamp 2 = `sonnet` and `fable`, lamp 3 = `haiku`, so a panel printed OPUS /
/// SONNET / HAIKU still says roughly what runs. A family on no lamp (`other`) lights none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelLamps {
    families: [[Option<ModelFamily>; MODEL_LAMP_MAX_FAMILIES]; MODEL_LAMP_COUNT],
}

impl Default for ModelLamps {
    fn default() -> Self {
        ModelLamps::NONE
            .with_lamp(0, &[ModelFamily::OPUS, ModelFamily::MYTHOS])
            .with_lamp(1, &[ModelFamily::SONNET, ModelFamily::FABLE])
            .with_lamp(2, &[ModelFamily::HAIKU])
    }
}

impl ModelLamps {
    /// No family lights any lamp.
    pub const NONE: ModelLamps = ModelLamps {
        families: [[None; MODEL_LAMP_MAX_FAMILIES]; MODEL_LAMP_COUNT],
    };

    /// Lamp `lamp_index` (0..3) stands for `families` (the first
    /// [`MODEL_LAMP_MAX_FAMILIES`]; the rest are dropped), and those families for no other lamp.
    /// An index past the last lamp changes nothing.
    #[must_use]
    pub fn with_lamp(mut self, lamp_index: usize, families: &[ModelFamily]) -> Self {
        if lamp_index >= MODEL_LAMP_COUNT {
            return self;
        }
        for slot in self.families.iter_mut().flatten() {
            if slot.is_some_and(|family| families.contains(&family)) {
                *slot = None;
            }
        }
        let mut lamp = [None; MODEL_LAMP_MAX_FAMILIES];
        for (slot, family) in lamp.iter_mut().zip(families) {
            *slot = Some(*family);
        }
        self.families[lamp_index] = lamp;
        self
    }

    /// The lamp (0..3) `family` lights, if any.
    pub fn lamp_of(&self, family: ModelFamily) -> Option<usize> {
        self.families
            .iter()
            .position(|lamp| lamp.contains(&Some(family)))
    }

    /// The lamp a model caution (`WARN_OPUS`, `WARN_SONNET`) flashes: its family's lamp.
    pub fn lamp_of_caution(&self, lamp: Lamp) -> Option<usize> {
        lamp.model_family().and_then(|family| self.lamp_of(family))
    }

    /// The families lamp `lamp_index` stands for, in order.
    pub fn families(&self, lamp_index: usize) -> impl Iterator<Item = ModelFamily> + '_ {
        self.families
            .get(lamp_index)
            .into_iter()
            .flatten()
            .filter_map(|family| *family)
    }
}
