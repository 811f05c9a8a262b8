//! The browser mode's transport: the built UI, `POST /api/{name}` and SSE `/api/events`,
//! on 127.0.0.1 only. Host and Origin are checked on every request so that no other web
//! page (DNS rebinding, cross-site form posts) can reach the core.

use crate::{dispatch, Api, ApiError, ErrorCode};
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream::Stream;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

/// Largest request body accepted (arguments are small; files go through other paths).
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
struct HttpState {
    api: Api,
    /// `127.0.0.1:PORT` and `localhost:PORT`.
    hosts: Arc<[String; 2]>,
}

/// The router for a server listening on `port`, serving the built UI from `ui_dir`.
pub fn router(api: Api, port: u16, ui_dir: Option<PathBuf>) -> Router {
    let state = HttpState {
        api,
        hosts: Arc::new([format!("127.0.0.1:{port}"), format!("localhost:{port}")]),
    };
    let mut app = Router::new()
        .route("/api/events", get(events))
        .route("/api/{name}", post(call));
    if let Some(dir) = ui_dir {
        app = app.fallback_service(tower_http::services::ServeDir::new(dir));
    }
    app.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// Binds 127.0.0.1:`port` (0 = any free port) and serves until `shutdown` resolves.
pub async fn serve(
    api: Api,
    port: u16,
    ui_dir: Option<PathBuf>,
    on_ready: impl FnOnce(std::net::SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    on_ready(addr);
    axum::serve(listener, router(api, addr.port(), ui_dir))
        .with_graceful_shutdown(shutdown)
        .await
}

fn error_response(error: ApiError) -> Response {
    let status = match error.code {
        ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::LockedOut => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, Json(error)).into_response()
}

/// Refuses any request whose Host is not ours, or whose Origin (when sent) is not ours.
async fn guard(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host_ok = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| state.hosts.iter().any(|ours| ours == h));
    let origin_ok = match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => origin
            .to_str()
            .ok()
            .is_some_and(|o| state.hosts.iter().any(|ours| o == format!("http://{ours}"))),
    };
    if !host_ok || !origin_ok {
        return error_response(ApiError::new(
            ErrorCode::Forbidden,
            "Requests to the local Aliquot core must come from its own page.",
        ));
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

async fn call(
    State(state): State<HttpState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // A JSON content type cannot be sent by a plain cross-site form.
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return error_response(ApiError::invalid("Send the arguments as application/json."));
    }
    let args = if body.is_empty() {
        serde_json::Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error_response(ApiError::invalid(format!(
                    "The request is not valid JSON: {e}."
                )))
            }
        }
    };
    match dispatch(&state.api, &name, bearer(&headers), args).await {
        Ok(value) => Json(value).into_response(),
        Err(e) => error_response(e),
    }
}

#[derive(serde::Deserialize)]
struct EventsQuery {
    token: Option<String>,
}

/// Core events as unnamed SSE messages, for signed-in pages only. `EventSource` cannot
/// send headers, so the token comes as a query parameter (never logged).
async fn events(
    State(state): State<HttpState>,
    Query(query): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Response> {
    state
        .api
        .session(query.token.as_deref())
        .await
        .map_err(error_response)?;
    let stream = BroadcastStream::new(state.api.subscribe()).filter_map(|event| {
        // A lagging reader skips what it missed; the UI refreshes on the next event.
        let event = event.ok()?;
        Some(Ok(
            Event::default().data(serde_json::to_string(&event).ok()?)
        ))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
