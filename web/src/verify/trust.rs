//! The keys this app trusts: the operator's trust policy
//! (`shared::ledger::policy` text: the log's key(s), the witnesses' keys,
//! and how many witnesses must cosign), shipped with the SPA as the static
//! file `/trust-policy.txt` — written at build time (`scripts/build-web.sh`
//! with `CARELEDGER_TRUST_POLICY`) or placed next to the SPA at deploy.
//!
//! It is part of the app the operator deploys, like the wasm itself; no api
//! route produces it, and nothing the api says can widen it. Loaded once per
//! page load. An app deployed without one verifies nothing ("not checked"):
//! a badge needs keys that did not come from the server being checked.

use std::cell::RefCell;
use std::rc::Rc;

use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_net::http::Request;
use shared::ledger::policy::TrustPolicy;

pub const POLICY_PATH: &str = "/trust-policy.txt";

/// Why the pinned policy is not available.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrustError {
    #[error(
        "this app was deployed without pinned keys ({POLICY_PATH}), so it cannot check the log"
    )]
    Missing,
    #[error("the pinned keys shipped with this app are malformed: {0}")]
    Malformed(String),
    #[error("could not load the pinned keys: {0}")]
    Network(String),
}

type Loading = Shared<LocalBoxFuture<'static, Result<Rc<TrustPolicy>, TrustError>>>;

thread_local! {
    static POLICY: RefCell<Option<Loading>> = const { RefCell::new(None) };
}

/// The pinned policy (fetched once per page load, shared by every caller).
pub async fn pinned() -> Result<Rc<TrustPolicy>, TrustError> {
    let loading = POLICY.with(|p| {
        p.borrow_mut()
            .get_or_insert_with(|| load().boxed_local().shared())
            .clone()
    });
    loading.await
}

async fn load() -> Result<Rc<TrustPolicy>, TrustError> {
    let resp = Request::get(POLICY_PATH)
        .send()
        .await
        .map_err(|e| TrustError::Network(e.to_string()))?;
    // A missing file is answered with the SPA's index.html (deep links).
    let is_text = resp
        .headers()
        .get("content-type")
        .is_some_and(|t| t.starts_with("text/plain"));
    if !resp.ok() || !is_text {
        return Err(TrustError::Missing);
    }
    let text = resp
        .text()
        .await
        .map_err(|e| TrustError::Network(e.to_string()))?;
    TrustPolicy::parse(&text)
        .map(Rc::new)
        .map_err(|e| TrustError::Malformed(e.to_string()))
}
