//! Browser tests for CareLedger live in `tests/browser/`: each journey starts
//! its own database, its own `careledger` process serving the built SPA, and
//! its own headless Chromium, then drives the UI like a person would. This
//! library is empty on purpose.
