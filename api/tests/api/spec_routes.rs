//! Every operation in the spec is served (no phantom endpoints), and
//! anything outside it is answered by the fallback (no hidden ones: routes
//! are registered through utoipa-actix-web, which adds them to the spec).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

#[actix_rt::test]
async fn every_spec_operation_is_routed() {
    let app = TestApp::spawn().await;
    let spec = api::startup::spec();
    let mut checked = 0;
    for (path, item) in &spec.paths.paths {
        let concrete: String = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    uuid::Uuid::new_v4().to_string()
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let methods = [
            (Method::GET, item.get.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::PATCH, item.patch.is_some()),
            (Method::DELETE, item.delete.is_some()),
        ];
        for (method, present) in methods {
            if !present {
                continue;
            }
            let resp = app
                .client
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = resp.status();
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if status == StatusCode::NOT_FOUND {
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                assert_ne!(
                    body["error"]["message"], "no such endpoint",
                    "{method} {path} is in the spec but not routed"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} operations checked");
}
