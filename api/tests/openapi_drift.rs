//! The committed `openapi/openapi.json` must be exactly what the code
//! generates, so third parties read the contract the server really serves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn committed_spec_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = api::openapi::spec_json().unwrap();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; regenerate it with \
         `cargo run -q -p api -- openapi > openapi/openapi.json` (or `just openapi`)"
    );
}

#[test]
fn every_operation_is_documented() {
    let spec = api::openapi::spec();
    for (path, item) in &spec.paths.paths {
        let ops = [&item.get, &item.post, &item.put, &item.patch, &item.delete];
        for op in ops.into_iter().flatten() {
            assert!(op.summary.is_some(), "{path}: operation without a summary");
            assert!(
                op.tags.as_ref().is_some_and(|t| !t.is_empty()),
                "{path}: no tag"
            );
            assert!(!op.responses.responses.is_empty(), "{path}: no responses");
        }
    }
}
