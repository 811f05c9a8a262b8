//! The hub's HTTPS transport: enrollment, push, pull and a hello for reachability. Every
//! sync request carries the device's credential as a bearer token; handlers only parse,
//! authenticate and call [`Hub`]. Plain HTTP is served only on a loopback address (tests).

use crate::{Device, Hub, HubFailure};
use aliquot_sync::{EnrollRequest, HubError, PushRequest};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

impl IntoResponse for HubFailure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        (
            status,
            Json(HubError {
                code: self.code,
                message: self.message,
            }),
        )
            .into_response()
    }
}

pub fn router(hub: Hub) -> Router {
    Router::new()
        .route("/v1/hello", get(hello))
        .route("/v1/health", get(health))
        .route("/v1/enroll", post(enroll))
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", get(pull))
        .route("/v1/sync/snapshot", get(snapshot))
        .route("/v1/sync/table/{name}", get(table))
        .route("/v1/sync/lease", post(lease))
        // A push of 500 commands with their payloads stays far below this.
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        .with_state(hub)
}

async fn hello(State(hub): State<Hub>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "hub_id": hub.hub_id(),
        "protocol": aliquot_sync::PROTOCOL_VERSION,
    }))
}

/// For a load balancer or a monitor, without a credential: 200 with the schema and the
/// feed's head when the database answers and its migrations are this build's; 503 with the
/// reason otherwise.
async fn health(State(hub): State<Hub>) -> Response {
    match hub.health().await {
        Ok(health) if health.migrations_current => (StatusCode::OK, Json(health)).into_response(),
        Ok(health) => (StatusCode::SERVICE_UNAVAILABLE, Json(health)).into_response(),
        Err(e) => HubFailure { status: 503, ..e }.into_response(),
    }
}

async fn enroll(
    State(hub): State<Hub>,
    Json(request): Json<EnrollRequest>,
) -> Result<Json<aliquot_sync::EnrollResponse>, HubFailure> {
    Ok(Json(hub.redeem(request).await?))
}

async fn device_of(hub: &Hub, headers: &HeaderMap) -> Result<Device, HubFailure> {
    let credential = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            HubFailure::unauthorized(
                "unknown_device",
                "this request carries no workstation credential",
            )
        })?;
    hub.authenticate(credential.trim()).await
}

async fn push(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Json(request): Json<PushRequest>,
) -> Result<Json<aliquot_sync::PushResponse>, HubFailure> {
    let device = device_of(&hub, &headers).await?;
    Ok(Json(hub.push(&device, request).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotQuery {
    /// A resumed copy: a JSON [`aliquot_sync::SnapshotFrom`].
    from: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PullQuery {
    cursor: i64,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    digests: bool,
}

fn default_limit() -> i64 {
    1_000
}

async fn pull(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(query): Query<PullQuery>,
) -> Result<Json<aliquot_sync::PullResponse>, HubFailure> {
    let device = device_of(&hub, &headers).await?;
    Ok(Json(
        hub.pull(&device, query.cursor, query.limit, query.digests)
            .await?,
    ))
}

/// The snapshot, streamed as the hub reads it: one JSON object a line. A failure part
/// way cuts the body short, which the workstation refuses whole.
async fn snapshot(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(query): Query<SnapshotQuery>,
) -> Result<Response, HubFailure> {
    device_of(&hub, &headers).await?;
    let from = query
        .from
        .as_deref()
        .map(serde_json::from_str::<aliquot_sync::SnapshotFrom>)
        .transpose()
        .map_err(|e| HubFailure::bad_request("invalid", format!("where to resume from: {e}")))?;
    let lines = hub.snapshot(from);
    let body = futures_util::stream::unfold(lines, |mut lines| async move {
        let line = lines.recv().await?;
        let chunk = line
            .map(axum::body::Bytes::from)
            .map_err(|e| std::io::Error::other(e.message));
        Some((chunk, lines))
    });
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

async fn lease(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Json(request): Json<aliquot_sync::LeaseRequest>,
) -> Result<Json<aliquot_sync::LeaseResponse>, HubFailure> {
    let device = device_of(&hub, &headers).await?;
    Ok(Json(hub.lease(&device, request).await?))
}

async fn table(
    State(hub): State<Hub>,
    headers: HeaderMap,
    axum::extract::Path(name): axum::extract::Path<String>,
    Query(page): Query<aliquot_domain::paging::PageRequest>,
) -> Result<Json<aliquot_domain::paging::Page<serde_json::Value>>, HubFailure> {
    device_of(&hub, &headers).await?;
    Ok(Json(hub.table(&name, page).await?))
}

/// Serves the hub on `listen`: HTTPS with `tls`, or plain HTTP when `tls` is `None`,
/// which is refused unless the address is a loopback one. `ready` gets the bound address.
pub async fn serve(
    hub: Hub,
    listen: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
    ready: impl FnOnce(SocketAddr, bool),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let app = router(hub);
    match tls {
        Some(config) => {
            ready(addr, true);
            axum::serve(TlsListener::new(listener, config), app)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
        None => {
            anyhow::ensure!(
                addr.ip().is_loopback(),
                "plain HTTP is served only on a loopback address (tests); a hub on the \
                 network serves HTTPS"
            );
            ready(addr, false);
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
    }
    Ok(())
}

/// Accepts TCP connections and completes their TLS handshakes concurrently (each with a
/// time limit), so one slow or broken client never holds up the others.
struct TlsListener {
    local: SocketAddr,
    ready: tokio::sync::mpsc::Receiver<(
        tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
        SocketAddr,
    )>,
}

impl TlsListener {
    fn new(listener: TcpListener, config: Arc<rustls::ServerConfig>) -> TlsListener {
        let local = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let (sender, ready) = tokio::sync::mpsc::channel(64);
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                // The server went away (shut down, or its task ended): stop listening, so
                // the port is free again.
                let accepted = tokio::select! {
                    _ = sender.closed() => break,
                    accepted = listener.accept() => accepted,
                };
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, sender) = (acceptor.clone(), sender.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => {
                            let _ = sender.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        TlsListener { local, ready }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The accept loop ended: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
