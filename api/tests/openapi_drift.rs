//! The committed `openapi/openapi.json` must be exactly what the code
//! generates, so third parties read the contract the server really serves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn committed_spec_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = api::startup::spec_json().unwrap();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; regenerate it with \
         `cargo run -q -p api -- openapi > openapi/openapi.json` (or `just openapi`)"
    );
}

#[test]
fn every_operation_is_documented() {
    let spec = api::startup::spec();
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

/// Every `$ref` in the document names a schema it defines: a dangling one
/// leaves clients (and schemathesis) unable to build that part of a request.
#[test]
fn every_reference_resolves() {
    let spec: serde_json::Value =
        serde_json::from_str(&api::startup::spec_json().unwrap()).unwrap();
    let mut refs = Vec::new();
    collect_refs(&spec, &mut refs);
    assert!(!refs.is_empty(), "the document has no references at all");
    for reference in refs {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference}: not a local reference"));
        assert!(
            spec.pointer(pointer).is_some(),
            "{reference} does not resolve to anything in the document"
        );
    }
}

fn collect_refs(value: &serde_json::Value, refs: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", serde_json::Value::String(target)) => refs.push(target.clone()),
                    _ => collect_refs(inner, refs),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}
