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
}

impl Browser {
    pub fn new(client: Client, base: String) -> Self {
        Self { client, base }
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
