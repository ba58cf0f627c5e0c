//! The API's OpenAPI document, generated from the code: each handler's
//! `#[utoipa::path]` annotation (method, path, parameters, request body,
//! answers with their statuses) and the `ToSchema` types of [`super::views`],
//! the request bodies and [`super::ErrorBody`]. [`document`] builds it;
//! `GET /api/v1/openapi.json` serves it, behind the bearer token like every
//! endpoint but health.
//!
//! Two things are added to what the annotations say, for every operation
//! that wants a token, so that no handler can forget them: the `bearer`
//! security scheme, and the 401 answer (with its `WWW-Authenticate`
//! header). The tests check that the document lists exactly
//! [`super::endpoints`], the list the router is built from.

use axum::Json;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The document's description.
const DESCRIPTION: &str = "\
The REST API of the Odin controller: the agents (access points) it knows, \
their radios, the clients it has heard of and where their LVAPs are, and \
the orders an operator, a script or the dashboard gives it: move a \
client to another agent (handoff), disconnect it, change a radio's \
channel, enable, disable and configure apps. Also the event history, the \
live events (server-sent events) and Prometheus metrics.

Every endpoint but `/api/v1/health` wants a bearer token \
(`Authorization: Bearer <token>`, made with `odin-controller token create`). \
Every error is JSON, `{\"error\": \"<what went wrong>\"}`, sometimes with \
more fields, and its status says what kind it is. Times are ages in \
milliseconds at the moment of the request, durations in microseconds. MAC \
addresses are written `aa:bb:cc:dd:ee:ff`.";

/// The API's OpenAPI document (see [`document`]).
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Odin controller REST API",
        description = DESCRIPTION,
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        super::health,
        openapi_json,
        super::list_agents,
        super::get_agent,
        super::set_channel,
        super::list_clients,
        super::get_client,
        super::handoff,
        super::disconnect,
        super::list_apps,
        super::enable_app,
        super::disable_app,
        super::configure_app,
        super::list_events,
        super::stream,
        super::store_status,
        super::prometheus,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "agents", description = "Access points, their radios and channels"),
        (name = "clients", description = "Clients, their LVAPs, handoffs and disconnections"),
        (name = "apps", description = "The controller's apps"),
        (name = "events", description = "The event history, the live events, the store"),
        (name = "system", description = "Health, this document, metrics"),
    ),
)]
pub struct ApiDoc;

/// The name of the security scheme in the document.
pub const BEARER: &str = "bearer";

/// Adds the bearer security scheme, the version of this build, and the
/// 401 answer of every operation that wants a token.
#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        openapi.info.version = env!("CARGO_PKG_VERSION").to_owned();
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token made with `odin-controller token create`; the controller \
                         keeps only its SHA-256 hash",
                    ))
                    .build(),
            ),
        );
        let unauthorized = ResponseBuilder::new()
            .description("No token, or a wrong one")
            .header(
                "WWW-Authenticate",
                HeaderBuilder::new()
                    .description(Some(
                        "`Bearer realm=\"odin\"`, with `error=\"invalid_token\"` for a wrong token",
                    ))
                    .build(),
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    operation
                        .responses
                        .responses
                        .insert("401".to_owned(), unauthorized.clone().into());
                }
            }
        }
    }
}

/// The document, as served.
pub fn document() -> Document {
    ApiDoc::openapi()
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "system",
    responses((status = 200, description = "The OpenAPI document of this API", body = Object)),
    security(("bearer" = [])),
)]
pub(super) async fn openapi_json() -> Json<Document> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn operations(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
                found.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
        found
    }

    #[test]
    fn the_document_lists_exactly_the_routers_endpoints() {
        let doc = serde_json::to_value(document()).unwrap_or_default();
        let served: BTreeSet<(String, String)> = super::super::endpoints()
            .into_iter()
            .map(|e| (e.method.to_string(), e.path.to_owned()))
            .collect();
        assert_eq!(operations(&doc), served);
    }

    #[test]
    fn every_operation_but_health_wants_the_token_and_documents_its_401() {
        let doc = serde_json::to_value(document()).unwrap_or_default();
        assert_eq!(
            doc["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        for endpoint in super::super::endpoints() {
            let method = endpoint.method.as_str().to_ascii_lowercase();
            let operation = &doc["paths"][endpoint.path][&method];
            let secured = operation["security"] == serde_json::json!([{ BEARER: [] }]);
            assert_eq!(secured, endpoint.needs_token, "{method} {}", endpoint.path);
            let documents_401 = operation["responses"]["401"].is_object();
            assert_eq!(
                documents_401, endpoint.needs_token,
                "{method} {}",
                endpoint.path
            );
        }
    }
}
