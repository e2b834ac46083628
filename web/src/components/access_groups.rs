//! A patient's access log as people read it: events that belong there
//! ([`crate::words::patient_topic`]), with one row per chart opening — the
//! records one person opened in one sitting — and the single entries on
//! expand. Each row's badge covers every ledger entry in it.

use shared::ledger::api::LedgerEventItem;
use shared::ledger::{Action, Outcome};

use crate::words::{patient_topic, Topic};

/// Views by the same person this close together are one opening (ms).
const SITTING_GAP_MS: i64 = 30 * 60 * 1000;

/// One row: a single event, or a run of record views by one person.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub topic: Topic,
    /// Newest first, as the api lists them.
    pub items: Vec<LedgerEventItem>,
}

impl Group {
    pub fn first(&self) -> &LedgerEventItem {
        &self.items[0]
    }

    pub fn is_opening(&self) -> bool {
        self.first().event.body.action == Action::RecordViewed
    }

    pub fn seqs(&self) -> Vec<u64> {
        self.items.iter().map(|i| i.event.seq).collect()
    }
}

/// Groups `items` (newest first), leaving out what is not for the patient
/// and what `topic` excludes.
pub fn group(items: &[LedgerEventItem], topic: Option<Topic>) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for item in items {
        let b = &item.event.body;
        let Some(t) = patient_topic(b.action) else {
            continue;
        };
        if topic.is_some_and(|want| want != t) {
            continue;
        }
        if let Some(last) = out.last_mut() {
            let prev = &last.items[last.items.len() - 1].event.body;
            let same_sitting = b.action == Action::RecordViewed
                && prev.action == Action::RecordViewed
                && b.outcome == Outcome::Allowed
                && prev.outcome == Outcome::Allowed
                && b.actor_id == prev.actor_id
                && b.basis.map(|x| x.kind) == prev.basis.map(|x| x.kind)
                && (prev.time - b.time).num_milliseconds().abs() <= SITTING_GAP_MS;
            if same_sitting {
                last.items.push(item.clone());
                continue;
            }
        }
        out.push(Group {
            topic: t,
            items: vec![item.clone()],
        });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use shared::ledger::{EventBody, SequencedEvent};

    fn item(seq: u64, minute: i64, actor: u128, action: Action) -> LedgerEventItem {
        let body = EventBody {
            time: Utc.timestamp_opt(1_700_000_000 + minute * 60, 0).unwrap(),
            actor_id: Some(uuid::Uuid::from_u128(actor)),
            actor_role: None,
            action,
            outcome: Outcome::Allowed,
            patient_id: None,
            record_id: None,
            subject_user_id: None,
            basis: None,
            request_id: None,
            source_addr: None,
            content_digest: None,
            prior_digest: None,
        };
        LedgerEventItem {
            event: SequencedEvent {
                seq,
                prev_hash: [0; 32],
                body,
            },
            leaf_hash: [0; 32],
            source_addr: None,
        }
    }

    #[test]
    fn one_persons_views_in_one_sitting_are_one_row() {
        let items = vec![
            item(9, 50, 1, Action::RecordViewed),
            item(8, 49, 1, Action::RecordViewed),
            item(7, 48, 1, Action::TokenRefreshed),
            item(6, 47, 1, Action::RecordViewed),
            item(5, 46, 2, Action::RecordViewed),
            item(4, 45, 1, Action::RecordCreated),
            item(3, 2, 1, Action::RecordViewed),
        ];
        let groups = group(&items, None);
        let sizes: Vec<usize> = groups.iter().map(|g| g.items.len()).collect();
        assert_eq!(sizes, vec![3, 1, 1, 1]);
        assert_eq!(groups[0].seqs(), vec![9, 8, 6]);
        assert!(groups[0].is_opening());
        assert!(!groups[2].is_opening());
        let changed = group(&items, Some(Topic::Changed));
        assert_eq!(changed.len(), 1);
    }
}
