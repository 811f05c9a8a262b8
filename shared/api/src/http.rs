//! The browser mode's transport: the built UI, `POST /api/{name}` and SSE `/api/events`,
//! on 127.0.0.1 only. Host and Origin are checked on every request so that no other web
//! page (DNS rebinding, cross-site form posts) can reach the core.

use crate::{dispatch, Api, ApiError, ErrorCode};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
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
        ErrorCode::Conflict | ErrorCode::NotReceived => StatusCode::CONFLICT,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::LockedOut => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Busy => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::HubUnreachable => StatusCode::BAD_GATEWAY,
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
    let mut response = if !host_ok || !origin_ok {
        error_response(ApiError::new(
            ErrorCode::Forbidden,
            "Requests to the local Aliquot core must come from its own page.",
        ))
    } else {
        next.run(request).await
    };
    // Every answer carries the security headers, refusals included.
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

/// True only for `application/json`, with or without parameters (`; charset=utf-8`).
fn is_json_content_type(value: &str) -> bool {
    value
        .split(';')
        .next()
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
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
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // A JSON content type cannot be sent by a plain cross-site form.
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json_content_type);
    if !is_json {
        return error_response(ApiError::invalid("Send the arguments as application/json."));
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(ApiError::invalid(format!(
                    "The request is larger than {} KiB; nothing was done.",
                    MAX_BODY_BYTES / 1024
                ))),
            )
                .into_response()
        }
        Err(rejection) => {
            return error_response(ApiError::invalid(format!(
                "The request could not be read: {}.",
                rejection.body_text()
            )))
        }
    };
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

/// How often an open event stream checks that its session is still valid (idle and
/// absolute expiry); ends of sessions by a person are noticed at once.
const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Core events as unnamed SSE messages, for signed-in pages only. `EventSource` cannot
/// send headers, so the token comes as a query parameter (never logged). The stream ends
/// when its session does (sign-out, revocation, expiry), so a token that no longer signs
/// anyone in does not keep hearing the lab's events.
async fn events(
    State(state): State<HttpState>,
    Query(query): Query<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Response> {
    let session = state
        .api
        .session(query.token.as_deref())
        .await
        .map_err(error_response)?;
    let token = query.token.unwrap_or_default();
    let feed = EventFeed {
        user_id: session.user.id,
        events: state.api.subscribe(),
        ends: state.api.watch_session_ends(),
        recheck: tokio::time::interval(SESSION_RECHECK),
        api: state.api,
        token,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

struct EventFeed {
    /// Whose page this is: an export's progress goes to its starter only.
    user_id: uuid::Uuid,
    events: tokio::sync::broadcast::Receiver<crate::dto::CoreEvent>,
    ends: tokio::sync::watch::Receiver<u64>,
    recheck: tokio::time::Interval,
    api: Api,
    token: String,
}

impl EventFeed {
    /// The next event to send, or `None` when the stream is to end.
    async fn next(&mut self) -> Option<Event> {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            tokio::select! {
                received = self.events.recv() => match received {
                    Ok(event) => {
                        if !self.api.event_is_for(&event, self.user_id) {
                            continue;
                        }
                        if let Ok(data) = serde_json::to_string(&event) {
                            return Some(Event::default().data(data));
                        }
                    }
                    // A lagging reader skips what it missed; the UI refreshes on the next event.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                },
                changed = self.ends.changed() => {
                    if changed.is_err() || !self.session_open().await {
                        return None;
                    }
                }
                _ = self.recheck.tick() => {
                    if !self.session_open().await {
                        return None;
                    }
                }
            }
        }
    }

    /// Fails closed: a store that cannot answer ends the stream (the page reconnects).
    async fn session_open(&self) -> bool {
        self.api
            .store()
            .session_is_open(&self.token)
            .await
            .unwrap_or(false)
    }
}
