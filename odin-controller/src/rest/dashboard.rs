//! The web dashboard's files, served beside the API.
//!
//! [`with_dashboard`] adds to the API's router the files of a directory
//! (the build of `web/`, `web/dist`): `GET /` is its `index.html`, any
//! other path names a file in it, and a path that names none is answered
//! with `index.html` too (the dashboard is a single page that routes in
//! the browser). The files need no token: the page asks for one and sends
//! it with each API call. Paths under `/api` are the API's and stay so: an
//! unknown one is still the JSON 404, never the page; `/metrics` too.

use std::path::Path;

use axum::http::StatusCode;
use axum::routing::any;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

use super::error;

/// `api` (from [`super::router`]) with the dashboard of `dir` at `/`.
///
/// The directory is read at each request, so a rebuilt dashboard is
/// served without a restart; a directory without `index.html` answers 404
/// outside `/api`.
pub fn with_dashboard(api: Router, dir: impl AsRef<Path>) -> Router {
    let dir = dir.as_ref();
    let index = ServeFile::new(dir.join("index.html"));
    let files = ServeDir::new(dir)
        .append_index_html_on_directories(true)
        .fallback(index);
    let unknown_api = || async { error::status_error(StatusCode::NOT_FOUND, "no such endpoint") };
    api.merge(
        Router::new()
            .route("/api", any(unknown_api))
            .route("/api/", any(unknown_api))
            .route("/api/{*rest}", any(unknown_api)),
    )
    .fallback_service(files)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code

    use super::*;
    use crate::core::{Controller, ControllerConfig};
    use crate::rest::{router, ApiTokens};
    use crate::server::{self, ServerConfig};
    use axum::body::Body;
    use axum::http::{header, Request};
    use tokio::net::TcpListener;
    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;
    use tower::ServiceExt;

    /// The API of a controller without agents, with the dashboard of a
    /// fresh directory holding `index.html` and `assets/app.js`.
    async fn dashboard() -> (Router, std::path::PathBuf, CancellationToken) {
        let dir = std::env::temp_dir().join(format!(
            "odin-dashboard-test-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>odin</title>").unwrap();
        std::fs::write(dir.join("assets/app.js"), "console.log('odin')").unwrap();
        let stop = CancellationToken::new();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let handle = server::spawn(
            listener,
            Controller::new(ControllerConfig::default()),
            ServerConfig::new(b"secret"),
            stop.clone(),
            &TaskTracker::new(),
        )
        .unwrap();
        let api = router(handle, ApiTokens::from_tokens(["odin_test"]));
        (with_dashboard(api, &dir), dir, stop)
    }

    async fn get(router: &Router, path: &str, token: Option<&str>) -> (StatusCode, String, String) {
        let mut request = Request::get(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response = router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let kind = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, kind, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_page_and_its_files_without_a_token_the_api_unchanged() {
        let (router, dir, stop) = dashboard().await;
        let (status, kind, body) = get(&router, "/", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with("text/html"), "{kind}");
        assert!(body.contains("<title>odin</title>"), "{body}");
        let (status, kind, body) = get(&router, "/assets/app.js", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.contains("javascript"), "{kind}");
        assert_eq!(body, "console.log('odin')");
        // A path of the page's own (the single page routes in the browser).
        let (status, _, body) = get(&router, "/clients/02:00:00:00:01:00", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("<title>odin</title>"), "{body}");

        // The API: its token, its JSON, its 404s.
        let (status, _, body) = get(&router, "/api/v1/health", None).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"status":"ok"}"#)
        );
        let (status, _, _) = get(&router, "/api/v1/agents", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, body) = get(&router, "/api/v1/agents", Some("odin_test")).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"agents":[]}"#)
        );
        let (status, _, _) = get(&router, "/metrics", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        for path in ["/api", "/api/", "/api/v1/nothing", "/api/v2/agents"] {
            let (status, kind, body) = get(&router, path, Some("odin_test")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(kind.starts_with("application/json"), "{path}: {kind}");
            assert_eq!(body, r#"{"error":"no such endpoint"}"#, "{path}");
        }
        stop.cancel();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
