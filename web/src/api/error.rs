//! What can go wrong talking to the api, and the sentence a person reads.

use shared::ErrorCode;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The request never got an answer (offline, server down).
    Network(String),
    /// The server answered with an error status (and usually the envelope).
    Api {
        status: u16,
        code: Option<ErrorCode>,
        message: String,
        field: Option<String>,
    },
    /// The answer was not what the app expected (a version mismatch).
    Decode(String),
}

impl ApiError {
    /// A readable message: the server's own when it gave one, otherwise one
    /// chosen by status.
    pub fn message(&self) -> String {
        match self {
            ApiError::Network(_) => {
                "Cannot reach the CareLedger server. Check your connection and try again.".into()
            }
            ApiError::Decode(_) => {
                "The server sent an answer this page does not understand. Reload the page.".into()
            }
            ApiError::Api { message, .. } if !message.is_empty() => capitalise(message),
            ApiError::Api { status, code, .. } => fallback(*status, *code).into(),
        }
    }

    /// The input field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Api { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Api { code, .. } => *code,
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

fn fallback(status: u16, code: Option<ErrorCode>) -> &'static str {
    match (status, code) {
        (401, _) => "Your session has ended. Please sign in again.",
        (403, _) => "You are not allowed to do that.",
        (404, _) => "That was not found. It may have been removed.",
        (409, _) => "That conflicts with the current state. Reload and try again.",
        (413, _) => "That is too large to send.",
        (423, _) | (429, _) => "Too many attempts. Wait a few minutes and try again.",
        (400, _) | (422, _) => "Some of the input is not valid.",
        (503, _) => "The service is temporarily unavailable. Try again shortly.",
        _ => "Something went wrong on the server. Try again.",
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_message_is_shown_capitalised() {
        let e = ApiError::Api {
            status: 401,
            code: Some(ErrorCode::Unauthorized),
            message: "invalid username or password".into(),
            field: None,
        };
        assert_eq!(e.message(), "Invalid username or password");
    }

    #[test]
    fn missing_message_falls_back_by_status() {
        let e = ApiError::Api {
            status: 403,
            code: None,
            message: String::new(),
            field: None,
        };
        assert_eq!(e.message(), "You are not allowed to do that.");
    }
}
