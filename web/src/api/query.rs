//! Builds `path?key=value&…` with encoded values, skipping absent ones.

use super::enc;

pub struct Query {
    path: String,
    sep: char,
}

impl Query {
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            sep: '?',
        }
    }

    pub fn add(mut self, key: &str, value: impl std::fmt::Display) -> Self {
        self.path.push(self.sep);
        self.path.push_str(key);
        self.path.push('=');
        self.path.push_str(&enc(&value.to_string()));
        self.sep = '&';
        self
    }

    pub fn opt<V: std::fmt::Display>(self, key: &str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.add(key, v),
            None => self,
        }
    }

    /// Adds `key` only when the text is not blank.
    pub fn text(self, key: &str, value: &str) -> Self {
        let v = value.trim();
        if v.is_empty() {
            self
        } else {
            self.add(key, v)
        }
    }

    pub fn page(self, limit: i64, offset: i64) -> Self {
        self.add("limit", limit.clamp(1, 100))
            .add("offset", offset.max(0))
    }

    pub fn build(self) -> String {
        self.path
    }
}
