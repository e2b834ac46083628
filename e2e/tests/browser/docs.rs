//! The API documentation: Swagger UI at `/docs/` renders, offline, one
//! entry for every operation in the committed OpenAPI document.

use crate::stack_or_skip;

fn operations_in_committed_spec() -> usize {
    let path = crate::stack::root().join("openapi").join("openapi.json");
    let spec: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            ["get", "post", "put", "patch", "delete"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_lists_every_operation() {
    let stack = stack_or_skip!();
    let b = &stack.browser;
    let expected = operations_in_committed_spec();
    assert!(expected > 40, "the spec lists only {expected} operations");

    b.goto("/docs/").await.unwrap();
    b.wait(".opblock").await.unwrap();
    // Swagger UI renders tag sections progressively; wait for all of them.
    let mut shown = 0;
    for _ in 0..50 {
        shown = b.count(".opblock").await.unwrap();
        if shown >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(shown, expected, "operations rendered in Swagger UI");
    assert!(b
        .text(".info .title")
        .await
        .unwrap()
        .contains("CareLedger API"));
    b.screenshot("api-docs").await.unwrap();
    let png = crate::stack::root().join("e2e/screenshots/api-docs.png");
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "a real screenshot of the docs"
    );
    stack.finish().await;
}
