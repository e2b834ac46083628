//! Arbitrary input to the ledger verifier: signed checkpoints, proofs and
//! events from an untrusted server must be rejected, never crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::ledger::{
    verify_consistency, verify_inclusion, ChainVerifier, SequencedEvent, SignedCheckpoint,
};

fn hashes(data: &[u8]) -> Vec<[u8; 32]> {
    data.chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cp) = SignedCheckpoint::parse(text) {
            let _ = cp.verify("careledger.local/ledger", &[7u8; 32]);
        }
        if let Ok(event) = serde_json::from_str::<SequencedEvent>(text) {
            let mut verifier = ChainVerifier::new();
            let hash = event.leaf_hash();
            let _ = verifier.push(&event, &hash);
        }
    }
    if data.len() >= 80 {
        let (head, rest) = data.split_at(16);
        let index = u64::from_le_bytes(head[..8].try_into().unwrap_or_default());
        let size = u64::from_le_bytes(head[8..16].try_into().unwrap_or_default());
        let all = hashes(rest);
        if all.len() >= 2 {
            let _ = verify_inclusion(&all[0], index, size, &all[2..], &all[1]);
            let _ = verify_consistency(index, size, &all[0], &all[1], &all[2..]);
        }
    }
});
