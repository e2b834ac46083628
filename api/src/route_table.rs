//! The registered operations, read from the OpenAPI document that
//! `utoipa-actix-web` collects while the routes are registered — so the spec
//! and the router cannot disagree. Used to answer 405 (with `Allow`) for a
//! known path with another method, and 404 for unknown API paths.

use utoipa::openapi::OpenApi;

#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    pub fn from_spec(spec: &OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<String> = Vec::new();
                let ops = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                for (m, present) in ops {
                    if present {
                        methods.push(m.to_owned());
                    }
                }
                (parse(path), methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods allowed on `path`, or `None` when no route has this path.
    pub fn allowed_methods(&self, path: &str) -> Option<Vec<String>> {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let mut allowed: Vec<String> = Vec::new();
        let mut matched = false;
        for (pattern, methods) in &self.routes {
            if pattern.len() == parts.len()
                && pattern.iter().zip(&parts).all(|(seg, part)| match seg {
                    Segment::Literal(l) => l == part,
                    Segment::Param => !part.is_empty(),
                })
            {
                matched = true;
                for m in methods {
                    if !allowed.contains(m) {
                        allowed.push(m.clone());
                    }
                }
            }
        }
        matched.then_some(allowed)
    }
}

fn parse(path: &str) -> Vec<Segment> {
    path.trim_end_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Param
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable {
            routes: vec![
                (parse("/api/v1/users"), vec!["GET".into(), "POST".into()]),
                (
                    parse("/api/v1/users/{id}"),
                    vec!["GET".into(), "PATCH".into()],
                ),
            ],
        }
    }

    #[test]
    fn known_paths_report_their_methods() {
        assert_eq!(
            table().allowed_methods("/api/v1/users/abc"),
            Some(vec!["GET".to_string(), "PATCH".to_string()])
        );
        assert_eq!(
            table().allowed_methods("/api/v1/users/"),
            table().allowed_methods("/api/v1/users")
        );
    }

    #[test]
    fn unknown_paths_are_none() {
        assert_eq!(table().allowed_methods("/api/v1/nope"), None);
        assert_eq!(table().allowed_methods("/api/v1/users/a/b"), None);
    }
}
