//! A thin layer over fantoccini for the journeys: CSS-selector helpers that
//! wait (the SPA renders asynchronously), sign-in/out, and screenshots saved
//! under `e2e/screenshots/` at desktop and phone widths.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

pub const DEMO_PASSWORD: &str = "CareLedger-demo-1";
const TIMEOUT: Duration = Duration::from_secs(15);

pub struct Browser {
    pub client: Client,
    base: String,
    /// chromedriver's port, for its log endpoint.
    driver_port: u16,
}

/// Where the main screens are checked: axe-core, screenshots and fit.
pub const CHECK_WIDTHS: [u32; 2] = [1280, 390];
/// Widths at which no page may scroll sideways.
pub const FIT_WIDTHS: [u32; 5] = [320, 390, 768, 1024, 1440];

impl Browser {
    pub fn new(client: Client, base: String, driver_port: u16) -> Self {
        Self {
            client,
            base,
            driver_port,
        }
    }

    pub async fn goto(&self, path: &str) -> Result<()> {
        self.client
            .goto(&format!("{}{}", self.base, path))
            .await
            .with_context(|| format!("open {path}"))
    }

    /// Waits for the first element matching `css`.
    pub async fn wait(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for `{css}`"))
    }

    /// Waits until some element matching `css` contains `text`; returns it.
    pub async fn wait_text(&self, css: &str, text: &str) -> Result<Element> {
        let start = Instant::now();
        let mut seen = Vec::new();
        while start.elapsed() < TIMEOUT {
            seen.clear();
            for el in self.client.find_all(Locator::Css(css)).await? {
                let t = el.text().await.unwrap_or_default();
                if t.contains(text) {
                    return Ok(el);
                }
                seen.push(t);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no `{css}` containing {text:?} after {TIMEOUT:?}; saw {seen:?}")
    }

    /// Waits until some `css` element contains `text` and holds an element
    /// matching `inner` (e.g. a table row with its badge rendered).
    pub async fn wait_text_with(&self, css: &str, text: &str, inner: &str) -> Result<Element> {
        let start = Instant::now();
        let mut seen = Vec::new();
        while start.elapsed() < TIMEOUT {
            seen.clear();
            for el in self.client.find_all(Locator::Css(css)).await? {
                let t = el.text().await.unwrap_or_default();
                if t.contains(text) && !el.find_all(Locator::Css(inner)).await?.is_empty() {
                    return Ok(el);
                }
                seen.push(t);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no `{css}` containing {text:?} and `{inner}` after {TIMEOUT:?}; saw {seen:?}")
    }

    /// Fails unless the window is phone-sized (at most 390 px wide) and the
    /// page fits it without sideways scrolling.
    pub async fn assert_phone_fit(&self, what: &str) -> Result<()> {
        let v = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await?;
        let (scroll, inner) = (v[0].as_i64().unwrap_or(-1), v[1].as_i64().unwrap_or(-1));
        if !(1..=390).contains(&inner) {
            bail!("{what}: the window is {inner} px wide, not a 390-px phone");
        }
        if !(0..=inner).contains(&scroll) {
            bail!(
                "{what}: the page is {scroll} px wide in a {inner} px window (sideways scrolling)"
            );
        }
        Ok(())
    }

    /// Clicks `button` (a refresh) until some `css` element contains `text`:
    /// for data that appears asynchronously on the server (ledger events are
    /// sequenced shortly after the action).
    pub async fn refresh_until(&self, button: &str, css: &str, text: &str) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < TIMEOUT * 2 {
            for el in self.client.find_all(Locator::Css(css)).await? {
                if el.text().await.unwrap_or_default().contains(text) {
                    return Ok(());
                }
            }
            self.click(button).await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        bail!(
            "no `{css}` containing {text:?} after refreshing for {:?}",
            TIMEOUT * 2
        )
    }

    /// Waits until nothing matching `css` contains `text`.
    pub async fn wait_gone(&self, css: &str, text: &str) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < TIMEOUT {
            let mut found = false;
            for el in self.client.find_all(Locator::Css(css)).await? {
                if el.text().await.unwrap_or_default().contains(text) {
                    found = true;
                }
            }
            if !found {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("`{css}` still contains {text:?} after {TIMEOUT:?}")
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.wait(css)
            .await?
            .click()
            .await
            .with_context(|| format!("click `{css}`"))
    }

    /// Clicks the first `css` element whose text contains `text`.
    pub async fn click_text(&self, css: &str, text: &str) -> Result<()> {
        self.wait_text(css, text).await?.click().await?;
        Ok(())
    }

    /// Replaces the value of an input or textarea.
    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let el = self.wait(css).await?;
        el.clear().await?;
        el.send_keys(value)
            .await
            .with_context(|| format!("type into `{css}`"))
    }

    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        self.wait(css)
            .await?
            .select_by_value(value)
            .await
            .with_context(|| format!("select {value:?} in `{css}`"))
    }

    /// Chooses the option of the `css` select whose label contains `text`
    /// (waiting for the options to load).
    pub async fn select_text(&self, css: &str, text: &str) -> Result<()> {
        let option = self.wait_text(&format!("{css} option"), text).await?;
        option
            .click()
            .await
            .with_context(|| format!("choose {text:?} in `{css}`"))
    }

    /// The path part of the current URL.
    pub async fn path(&self) -> Result<String> {
        Ok(self.client.current_url().await?.path().to_owned())
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.wait(css).await?.text().await?)
    }

    /// Waits until exactly `n` elements match `css`.
    pub async fn wait_count(&self, css: &str, n: usize) -> Result<()> {
        let start = Instant::now();
        let mut seen = 0;
        while start.elapsed() < TIMEOUT {
            seen = self.count(css).await?;
            if seen == n {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("{seen} `{css}` after {TIMEOUT:?}, wanted {n}")
    }

    pub async fn count(&self, css: &str) -> Result<usize> {
        Ok(self.client.find_all(Locator::Css(css)).await?.len())
    }

    pub async fn sign_in(&self, username: &str) -> Result<()> {
        self.sign_in_with(username, DEMO_PASSWORD).await?;
        self.wait("#signed-in-as").await?;
        Ok(())
    }

    /// Fills and submits the sign-in form (without waiting for the result).
    pub async fn sign_in_with(&self, username: &str, password: &str) -> Result<()> {
        self.goto("/login").await?;
        self.fill("#username", username).await?;
        self.fill("#password", password).await?;
        self.click("#sign-in").await
    }

    pub async fn sign_out(&self) -> Result<()> {
        self.click("#sign-out").await?;
        self.wait("#sign-in").await?;
        Ok(())
    }

    /// Saves `e2e/screenshots/<name>.png` (1280×800) and `<name>-phone.png`
    /// (390 px wide).
    pub async fn screenshot(&self, name: &str) -> Result<()> {
        self.screenshots(name, false).await
    }

    /// [`Self::screenshot`], and also fails when the page scrolls sideways
    /// on the 390-px phone.
    pub async fn screenshot_phone_fit(&self, name: &str) -> Result<()> {
        self.screenshots(name, true).await
    }

    /// Checks the screen now shown as a person would meet it: at 1280 and
    /// 390 px, axe-core finds no violation and a screenshot
    /// `e2e/screenshots/<name>-<width>.png` is saved; at every width from 320
    /// to 1440 px the page does not scroll sideways; the browser console
    /// holds no error. The window is back at 1280×800 afterwards.
    pub async fn check_screen(&self, name: &str) -> Result<()> {
        let dir = crate::stack::root().join("e2e").join("screenshots");
        std::fs::create_dir_all(&dir)?;
        let result = self.check_screen_at_widths(name, &dir).await;
        self.client.set_window_size(1280, 800).await?;
        result?;
        let errors = self.console_errors().await?;
        if !errors.is_empty() {
            bail!("{name}: the browser console has errors: {errors:#?}");
        }
        Ok(())
    }

    async fn check_screen_at_widths(&self, name: &str, dir: &std::path::Path) -> Result<()> {
        for width in CHECK_WIDTHS {
            self.client.set_window_size(width, 900).await?;
            tokio::time::sleep(Duration::from_millis(250)).await;
            let violations = self.axe().await?;
            std::fs::write(
                dir.join(format!("{name}-{width}.png")),
                self.client.screenshot().await?,
            )?;
            if !violations.is_empty() {
                bail!("{name} at {width} px: axe-core violations: {violations:#?}");
            }
        }
        for width in FIT_WIDTHS {
            self.client.set_window_size(width, 900).await?;
            tokio::time::sleep(Duration::from_millis(150)).await;
            self.assert_fits(&format!("{name} at {width} px")).await?;
        }
        Ok(())
    }

    /// Fails when the page is wider than the window (sideways scrolling),
    /// naming the widest elements.
    pub async fn assert_fits(&self, what: &str) -> Result<()> {
        let v = self
            .client
            .execute(
                r#"const w = window.innerWidth;
                   const wide = [...document.querySelectorAll('body *')]
                     .filter(e => e.getBoundingClientRect().right > w + 1)
                     .slice(0, 5)
                     .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
                   return [document.documentElement.scrollWidth, w, wide];"#,
                vec![],
            )
            .await?;
        let (scroll, inner) = (v[0].as_i64().unwrap_or(-1), v[1].as_i64().unwrap_or(-1));
        if !(0..=inner).contains(&scroll) {
            bail!(
                "{what}: the page is {scroll} px wide in a {inner} px window; widest: {}",
                v[2]
            );
        }
        Ok(())
    }

    /// The Chromium's DevTools port (for tools that drive the same browser,
    /// signed in as it is: Lighthouse).
    pub fn devtools_port(&self) -> Result<u16> {
        let caps = self.client.capabilities().context("no session")?;
        let address = caps
            .get("goog:chromeOptions")
            .and_then(|o| o.get("debuggerAddress"))
            .and_then(|a| a.as_str())
            .context("chromedriver names no debuggerAddress")?;
        let (_, port) = address.rsplit_once(':').context("host:port")?;
        Ok(port.parse()?)
    }

    /// Runs axe-core (npm, from `.data/tools`, see scripts/ensure-tools.sh)
    /// on the page with its default rules; returns the violations found.
    pub async fn axe(&self) -> Result<Vec<String>> {
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await?;
        if loaded != serde_json::Value::Bool(true) {
            self.client.execute(&axe_source()?, vec![]).await?;
        }
        let out = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document).then(r => done(r.violations.map(v =>
                       v.id + ' (' + v.impact + '): ' + v.help + ' — ' +
                       v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').replace(/\s+/g, ' ')).join(' | '))))
                     .catch(e => done(['axe failed: ' + e]));"#,
                vec![],
            )
            .await?;
        Ok(out
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The SEVERE entries of the browser's console log since the last call
    /// (chromedriver's log endpoint; JS errors and failed requests).
    pub async fn console_errors(&self) -> Result<Vec<String>> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let sid = self
            .client
            .session_id()
            .await?
            .context("a browser session")?;
        let body = r#"{"type":"browser"}"#;
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.driver_port)).await?;
        stream
            .write_all(
                format!(
                    "POST /session/{sid}/se/log HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )
            .await?;
        // chromedriver keeps the connection open: read the head, then
        // exactly Content-Length bytes (or chunks up to the last one).
        let read = async {
            let mut raw = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                let n = stream.read(&mut buf).await?;
                raw.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&raw).into_owned();
                if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                    let lower = head.to_ascii_lowercase();
                    let length = lower
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok());
                    let complete = match length {
                        Some(len) => rest.len() >= len,
                        None => rest.ends_with("0\r\n\r\n"),
                    };
                    if complete || n == 0 {
                        return anyhow::Ok((lower.contains("chunked"), rest.to_owned()));
                    }
                }
                if n == 0 {
                    bail!("chromedriver closed the connection early");
                }
            }
        };
        let (chunked, rest) = tokio::time::timeout(TIMEOUT, read)
            .await
            .context("chromedriver's log answer timed out")??;
        let json_text = if chunked { dechunk(&rest) } else { rest };
        let v: serde_json::Value = serde_json::from_str(&json_text)
            .with_context(|| format!("chromedriver's log answer: {json_text}"))?;
        Ok(v["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn screenshots(&self, name: &str, check_fit: bool) -> Result<()> {
        let dir = crate::stack::root().join("e2e").join("screenshots");
        std::fs::create_dir_all(&dir)?;
        tokio::time::sleep(Duration::from_millis(150)).await;
        std::fs::write(
            dir.join(format!("{name}.png")),
            self.client.screenshot().await?,
        )?;
        self.client.set_window_size(390, 844).await?;
        tokio::time::sleep(Duration::from_millis(250)).await;
        std::fs::write(
            dir.join(format!("{name}-phone.png")),
            self.client.screenshot().await?,
        )?;
        if check_fit {
            let fit = self.assert_phone_fit(name).await;
            if fit.is_err() {
                self.client.set_window_size(1280, 800).await?;
            }
            fit?;
        }
        self.client.set_window_size(1280, 800).await?;
        tokio::time::sleep(Duration::from_millis(150)).await;
        Ok(())
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// axe-core's source: `CARELEDGER_AXE`, or the copy scripts/ensure-tools.sh
/// installs into `.data/tools`.
fn axe_source() -> Result<String> {
    let path = std::env::var("CARELEDGER_AXE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            crate::stack::root().join(".data/tools/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is missing: run ./scripts/ensure-tools.sh browser (npm axe-core), or set CARELEDGER_AXE",
            path.display()
        )
    })
}
