//! `searchset` Bundles and references as a REST server gives them: every
//! `urn:uuid:{id}` reference the builders make (they were written for the
//! export's self-contained `collection`) becomes the relative `Type/{id}`,
//! each entry's `fullUrl` is `{base}/Type/{id}`, and paging links carry the
//! query that made the page.

use std::collections::HashMap;

use chrono::Utc;
use serde_json::{json, Value};

/// Rewrites `urn:uuid:` references to `Type/id` for every id in `types`
/// (references to anything else are left as they are).
pub fn localize(node: &mut Value, types: &HashMap<String, String>) {
    match node {
        Value::Array(items) => items.iter_mut().for_each(|v| localize(v, types)),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "reference" {
                    if let Some(id) = v.as_str().and_then(|s| s.strip_prefix("urn:uuid:")) {
                        if let Some(t) = types.get(id) {
                            *v = json!(format!("{t}/{id}"));
                        }
                    }
                } else {
                    localize(v, types);
                }
            }
        }
        _ => {}
    }
}

/// One page of a search.
pub struct Page<'a> {
    /// The server base, e.g. `https://ehr.example/fhir/R4`.
    pub base: &'a str,
    /// `Condition?patient=…` without paging parameters.
    pub query: String,
    pub total: usize,
    pub offset: usize,
    pub count: usize,
}

impl Page<'_> {
    fn link(&self, relation: &str, offset: usize) -> Value {
        let sep = if self.query.contains('?') { '&' } else { '?' };
        json!({ "relation": relation, "url": format!(
            "{}/{}{sep}_count={}&_offset={offset}", self.base, self.query, self.count) })
    }
}

fn entry(base: &str, resource: Value, mode: &str) -> Value {
    let url = format!(
        "{base}/{}/{}",
        resource["resourceType"].as_str().unwrap_or(""),
        resource["id"].as_str().unwrap_or("")
    );
    json!({ "fullUrl": url, "resource": resource, "search": { "mode": mode } })
}

/// A `searchset` Bundle with `matches` (this page) and `included`
/// resources, and self/next/previous links.
pub fn searchset(page: &Page, matches: Vec<Value>, included: Vec<Value>) -> Value {
    let mut links = vec![page.link("self", page.offset)];
    if page.offset + page.count < page.total {
        links.push(page.link("next", page.offset + page.count));
    }
    if page.offset > 0 {
        links.push(page.link("previous", page.offset.saturating_sub(page.count)));
    }
    let entries: Vec<Value> = matches
        .into_iter()
        .map(|r| entry(page.base, r, "match"))
        .chain(included.into_iter().map(|r| entry(page.base, r, "include")))
        .collect();
    json!({
        "resourceType": "Bundle",
        "id": uuid::Uuid::new_v4().to_string(),
        "meta": { "lastUpdated": Utc::now().to_rfc3339() },
        "type": "searchset",
        "timestamp": Utc::now().to_rfc3339(),
        "total": page.total,
        "link": links,
        "entry": entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urn_references_to_known_ids_become_relative() {
        let types = HashMap::from([("a".to_owned(), "Patient".to_owned())]);
        let mut r =
            json!({"subject": {"reference": "urn:uuid:a"}, "x": [{"reference": "urn:uuid:b"}]});
        localize(&mut r, &types);
        assert_eq!(r["subject"]["reference"], "Patient/a");
        assert_eq!(r["x"][0]["reference"], "urn:uuid:b");
    }

    #[test]
    fn paging_links_follow_the_offset() {
        let page = Page {
            base: "http://h/fhir/R4",
            query: "Condition?patient=p".into(),
            total: 5,
            offset: 2,
            count: 2,
        };
        let b = searchset(&page, vec![], vec![]);
        let links = b["link"].as_array().unwrap();
        assert_eq!(
            links[1]["url"],
            "http://h/fhir/R4/Condition?patient=p&_count=2&_offset=4"
        );
        assert_eq!(links[2]["relation"], "previous");
        assert_eq!(b["total"], 5);
    }
}
