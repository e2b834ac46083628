//! Lighthouse 12.2.3 (npm, `.data/tools`, see scripts/ensure-tools.sh) on
//! the real stack, mobile form factor with its default simulated slow
//! network and CPU: the sign-in page, and a patient's chart signed in —
//! Lighthouse drives the test's own Chromium (through its DevTools port)
//! without resetting storage, so it loads the chart as the signed-in user
//! would. Asserted here: accessibility 100 and best practices ≥ 96.
//! Performance (issue 17 asks ≥ 90) is a timing figure, so it is measured,
//! printed and saved to `e2e/screenshots/lighthouse-<page>.json` for
//! BENCHMARKS.md, not asserted in a test: the first CI-like run scored the
//! chart 52 (LCP 2.7 s under Lighthouse's simulated slow 4G, with a 502 KiB
//! gzip wasm bundle), so the bar is not met yet.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::stack::root;
use crate::stack_or_skip;

fn lighthouse() -> Option<PathBuf> {
    let bin = std::env::var("CARELEDGER_LIGHTHOUSE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join(".data/tools/node_modules/lighthouse/cli/index.js"));
    if bin.is_file() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: run ./scripts/ensure-tools.sh browser (npm lighthouse@12.2.3)",
        bin.display()
    );
    eprintln!(
        "\n*** SKIPPED: Lighthouse is not installed (./scripts/ensure-tools.sh browser) ***\n"
    );
    None
}

#[derive(Debug)]
struct Scores {
    performance: f64,
    accessibility: f64,
    best_practices: f64,
    /// Bytes transferred for the page (compressed).
    bytes: u64,
}

/// Runs Lighthouse on `url` in the Chromium listening on `port`.
fn run(bin: &PathBuf, url: &str, port: u16, name: &str) -> Result<Scores> {
    let out = Command::new("node")
        .arg(bin)
        .arg(url)
        .arg(format!("--port={port}"))
        .args([
            "--only-categories=performance,accessibility,best-practices",
            "--form-factor=mobile",
            "--disable-storage-reset",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
        ])
        .output()
        .context("run node lighthouse")?;
    if !out.status.success() {
        bail!(
            "lighthouse failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let report: Value = serde_json::from_slice(&out.stdout).context("lighthouse JSON")?;
    let dir = root().join("e2e/screenshots");
    std::fs::create_dir_all(&dir)?;
    let score = |c: &str| {
        report["categories"][c]["score"]
            .as_f64()
            .map(|s| (s * 100.0).round())
            .with_context(|| format!("no {c} score: {}", report["runtimeError"]))
    };
    let scores = Scores {
        performance: score("performance")?,
        accessibility: score("accessibility")?,
        best_practices: score("best-practices")?,
        bytes: report["audits"]["total-byte-weight"]["numericValue"]
            .as_f64()
            .unwrap_or_default() as u64,
    };
    let failed: Vec<String> = ["accessibility", "best-practices"]
        .iter()
        .flat_map(|c| {
            report["categories"][c]["auditRefs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|a| {
                    let id = a["id"].as_str()?.to_owned();
                    let s = report["audits"][&id]["score"].as_f64()?;
                    (s < 1.0 && a["weight"].as_f64().unwrap_or(0.0) > 0.0).then_some(id)
                })
        })
        .collect();
    let summary = serde_json::json!({
        "url": url,
        "performance": scores.performance,
        "accessibility": scores.accessibility,
        "best_practices": scores.best_practices,
        "total_bytes": scores.bytes,
        "largest_contentful_paint_ms": report["audits"]["largest-contentful-paint"]["numericValue"],
        "failed_audits": failed,
    });
    std::fs::write(
        dir.join(format!("lighthouse-{name}.json")),
        serde_json::to_string_pretty(&summary)?,
    )?;
    eprintln!("lighthouse {name}: {summary}");
    Ok(scores)
}

fn check(name: &str, s: &Scores) {
    assert!(
        s.accessibility >= 100.0 && s.best_practices >= 96.0,
        "{name}: {s:?} (want accessibility 100, best practices ≥ 96; \
         see e2e/screenshots/lighthouse-{name}.json)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lighthouse_scores_the_sign_in_page_and_a_chart_on_a_phone() {
    let Some(bin) = lighthouse() else { return };
    let stack = stack_or_skip!();
    let b = &stack.browser;
    let port = b.devtools_port().unwrap();

    b.goto("/login").await.unwrap();
    let login = run(&bin, &format!("{}/login", stack.base), port, "sign-in").unwrap();

    b.sign_in("patient1").await.unwrap();
    b.goto("/chart").await.unwrap();
    b.wait("#patient-name").await.unwrap();
    let chart = run(&bin, &format!("{}/chart", stack.base), port, "chart").unwrap();

    check("sign-in", &login);
    check("chart", &chart);
    stack.finish().await;
}
