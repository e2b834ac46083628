//! What a list of a chart's records may show a reader, as the policy
//! (`policy::readable`) computes it. Owned here, next to the rules it comes
//! from; the clinical layer only turns it into a query filter and never
//! builds one on its own.

use shared::records::RecordKind;
use uuid::Uuid;

/// Which records of a chart a reader may see: all of them, those of the
/// listed kinds, or the listed record ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readable {
    pub all: bool,
    pub kinds: Vec<RecordKind>,
    pub ids: Vec<Uuid>,
}
