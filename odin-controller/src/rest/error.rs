//! The API's errors: `{"error": "<message>"}` (and, for some, more
//! fields) with the status that says what kind of failure it is.

use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::core::{CommandError, HandoffStep, Rollback};
use crate::server::ServerGone;

/// The body of every error answer, as the OpenAPI document describes it:
/// the message and, for a handoff that is in the way or that failed, more
/// fields. (The body itself is written by [`ApiError`]'s
/// `into_response`; a test below checks the two agree.)
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"error": "unknown client 02:00:00:00:09:09"}))]
pub struct ErrorBody {
    /// What went wrong, in words.
    pub error: String,
    /// The handoff in progress (409) or the one that failed (502).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff: Option<u64>,
    /// The step of a failed handoff: `export`, `add`, `remove` or
    /// `authorize` (502).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Why that step failed (502).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the rollback did: `nothing`, `removed_at_target`,
    /// `restored_at_source` or `replaced` (502).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
}

/// A failed request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// What went wrong, in words.
    pub message: String,
    /// More fields of the body (a failed handoff's step and rollback, the
    /// id of the handoff in progress, ...).
    pub details: Map<String, Value>,
    /// The `WWW-Authenticate` challenge of a 401.
    pub challenge: Option<&'static str>,
}

impl ApiError {
    /// An error with a status and a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            details: Map::new(),
            challenge: None,
        }
    }

    /// Adds a field to the body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 401 without a token.
    pub fn missing_token() -> ApiError {
        ApiError {
            challenge: Some("Bearer realm=\"odin\""),
            ..ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing API token: send `Authorization: Bearer <token>`",
            )
        }
    }

    /// 401 with a token that is not valid.
    pub fn invalid_token() -> ApiError {
        ApiError {
            challenge: Some("Bearer realm=\"odin\", error=\"invalid_token\""),
            ..ApiError::new(StatusCode::UNAUTHORIZED, "invalid API token")
        }
    }

    /// 503: the controller is shutting down (or gone).
    pub fn stopping() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the controller is stopping",
        )
    }
}

impl From<ServerGone> for ApiError {
    fn from(_: ServerGone) -> ApiError {
        ApiError::stopping()
    }
}

impl From<JsonRejection> for ApiError {
    /// A body that is not the JSON asked for: 400 (415 without a JSON
    /// content type, 413 when too large).
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                ApiError::bad_request(format!("invalid request body: {}", e.body_text()))
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::bad_request(format!("malformed JSON body: {}", e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be JSON, sent with `Content-Type: application/json`",
            ),
            JsonRejection::BytesRejection(e) => ApiError::new(e.status(), e.body_text()),
            other => ApiError::new(other.status(), other.body_text()),
        }
    }
}

/// The name of a handoff step, as in `durations_us`.
pub(crate) fn step_name(step: HandoffStep) -> &'static str {
    match step {
        HandoffStep::Export => "export",
        HandoffStep::AddAtTarget => "add",
        HandoffStep::RemoveAtSource => "remove",
        HandoffStep::AuthorizeAtTarget => "authorize",
    }
}

fn rollback_name(rollback: &Rollback) -> &'static str {
    match rollback {
        Rollback::Nothing => "nothing",
        Rollback::RemovedAtTarget => "removed_at_target",
        Rollback::RestoredAtSource => "restored_at_source",
        Rollback::Replaced => "replaced",
    }
}

impl From<CommandError> for ApiError {
    /// Every variant, explicitly: 404 for what does not exist, 409 for
    /// what the current state forbids, 422 for values no radio takes, 502
    /// when an agent failed, 504 when it did not answer.
    fn from(error: CommandError) -> ApiError {
        let message = error.to_string();
        let status = match &error {
            CommandError::UnknownClient(_)
            | CommandError::UnknownAgent(_)
            | CommandError::UnknownRadio(_)
            | CommandError::UnknownSubscription(_)
            | CommandError::UnknownApp(_) => StatusCode::NOT_FOUND,
            CommandError::NoLvap(_)
            | CommandError::HandoffInProgress(_)
            | CommandError::PlacementInProgress(_)
            | CommandError::AgentDown(_)
            | CommandError::NoCapacity(_)
            | CommandError::SameAgent => StatusCode::CONFLICT,
            CommandError::InvalidChannel(_)
            | CommandError::InvalidSubscription
            | CommandError::AppConfig(_) => StatusCode::UNPROCESSABLE_ENTITY,
            CommandError::AgentFailed(_) | CommandError::HandoffFailed { .. } => {
                StatusCode::BAD_GATEWAY
            }
            CommandError::Timeout => StatusCode::GATEWAY_TIMEOUT,
        };
        let error_out = ApiError::new(status, message);
        match error {
            CommandError::HandoffInProgress(h) => error_out.with("handoff", h.0),
            CommandError::HandoffFailed {
                handoff,
                step,
                reason,
                rollback,
            } => error_out
                .with("handoff", handoff.0)
                .with("step", step_name(step))
                .with("reason", reason)
                .with("rollback", rollback_name(&rollback)),
            CommandError::UnknownClient(_)
            | CommandError::NoLvap(_)
            | CommandError::PlacementInProgress(_)
            | CommandError::UnknownAgent(_)
            | CommandError::AgentDown(_)
            | CommandError::UnknownRadio(_)
            | CommandError::NoCapacity(_)
            | CommandError::SameAgent
            | CommandError::InvalidChannel(_)
            | CommandError::InvalidSubscription
            | CommandError::UnknownSubscription(_)
            | CommandError::UnknownApp(_)
            | CommandError::AppConfig(_)
            | CommandError::AgentFailed(_)
            | CommandError::Timeout => error_out,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("error".into(), Value::String(self.message));
        body.extend(self.details);
        let mut response = (self.status, Json(Value::Object(body))).into_response();
        if let Some(challenge) = self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

/// `{"error": ...}` for a status of its own (fallbacks).
pub(crate) fn status_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{HandoffId, RadioRef};
    use odin_proto::MacAddr;

    #[test]
    fn every_command_error_has_its_status() {
        let mac = MacAddr([2, 0, 0, 0, 0, 1]);
        let radio = RadioRef {
            agent: "ap".into(),
            radio: 3,
        };
        let cases = [
            (CommandError::UnknownClient(mac), 404),
            (CommandError::NoLvap(mac), 409),
            (CommandError::HandoffInProgress(HandoffId(4)), 409),
            (CommandError::PlacementInProgress(mac), 409),
            (CommandError::UnknownAgent("x".into()), 404),
            (CommandError::AgentDown("x".into()), 409),
            (CommandError::UnknownRadio(radio), 404),
            (CommandError::NoCapacity("ap/0".into()), 409),
            (CommandError::SameAgent, 409),
            (CommandError::InvalidChannel(200), 422),
            (CommandError::InvalidSubscription, 422),
            (CommandError::UnknownSubscription(9), 404),
            (CommandError::AgentFailed("no".into()), 502),
            (CommandError::Timeout, 504),
            (
                CommandError::HandoffFailed {
                    handoff: HandoffId(5),
                    step: HandoffStep::AddAtTarget,
                    reason: "busy".into(),
                    rollback: Rollback::RemovedAtTarget,
                },
                502,
            ),
        ];
        for (error, status) in cases {
            let message = error.to_string();
            let api = ApiError::from(error);
            assert_eq!(api.status.as_u16(), status, "{message}");
            assert_eq!(api.message, message);
        }
        let failed = ApiError::from(CommandError::HandoffFailed {
            handoff: HandoffId(5),
            step: HandoffStep::AddAtTarget,
            reason: "busy".into(),
            rollback: Rollback::RemovedAtTarget,
        });
        assert_eq!(failed.details["step"], "add");
        assert_eq!(failed.details["rollback"], "removed_at_target");
        assert_eq!(failed.details["handoff"], 5);
    }

    #[test]
    fn the_documented_error_body_has_every_field_an_error_carries() {
        let schema = serde_json::to_value(<ErrorBody as utoipa::PartialSchema>::schema())
            .unwrap_or_default();
        let properties = &schema["properties"];
        assert_eq!(properties["error"]["type"], "string");
        assert_eq!(schema["required"], json!(["error"]));
        let errors = [
            ApiError::from(CommandError::HandoffInProgress(HandoffId(4))),
            ApiError::from(CommandError::HandoffFailed {
                handoff: HandoffId(5),
                step: HandoffStep::RemoveAtSource,
                reason: "gone".into(),
                rollback: Rollback::RestoredAtSource,
            }),
        ];
        for error in errors {
            for (key, value) in &error.details {
                let documented = properties[key.as_str()]["type"][0].as_str();
                let actual = match value {
                    Value::Number(_) => "integer",
                    Value::String(_) => "string",
                    other => panic!("{key}: {other} is neither"),
                };
                assert_eq!(documented, Some(actual), "{key}");
            }
        }
    }
}
