//! The workstation's HTTPS client for the hub (reqwest over rustls with the ring
//! provider). The hub's certificate is pinned by its SHA-256 fingerprint, seen and
//! confirmed by an administrator at enrollment: no certificate authority is trusted, and
//! any other certificate is refused. Plain HTTP is allowed only to a loopback address.

use aliquot_sync::{
    EnrollRequest, EnrollResponse, HubError, PullResponse, PushRequest, PushResponse,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A snapshot of a large lab is one long answer: it may take this long in all.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// Why a call to the hub did not get an answer the sync engine can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubCallError {
    /// No connection (no network, hub down, timed out): try again later.
    #[error("the hub cannot be reached: {0}")]
    Unreachable(String),
    /// The hub presented another certificate than the one pinned at enrollment.
    #[error("the hub's certificate is not the one confirmed at enrollment")]
    WrongCertificate,
    /// The hub answered with a refusal.
    #[error("{message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The hub answered something this workstation cannot read.
    #[error("the hub's answer could not be read: {0}")]
    BadAnswer(String),
}

pub use aliquot_sync::certificate_fingerprint as fingerprint;

fn normalise_fingerprint(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Accepts exactly the pinned certificate (its signature on the handshake still checked),
/// or, when nothing is pinned yet, records what was presented so it can be shown.
#[derive(Debug)]
struct Pinned {
    expected: Option<String>,
    seen: Mutex<Option<String>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = fingerprint(end_entity);
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some(seen.clone());
        }
        match &self.expected {
            Some(expected) if normalise_fingerprint(expected) == normalise_fingerprint(&seen) => {
                Ok(ServerCertVerified::assertion())
            }
            Some(_) => Err(rustls::Error::General(
                "certificate does not match the pinned fingerprint".into(),
            )),
            // Only to read the fingerprint: the caller sends nothing over this connection.
            None => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A hub address checked: HTTPS anywhere, HTTP only to a loopback address.
pub fn hub_base_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|_| "the hub's address must be a URL such as https://hub.lab:4781".to_owned())?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(
                "the hub is reached over HTTPS; plain HTTP is only for a hub on this machine"
                    .into(),
            )
        }
        _ => return Err("the hub's address must start with https://".into()),
    }
    if url.host().is_none() || !url.username().is_empty() || url.password().is_some() {
        return Err("the hub's address must be a URL such as https://hub.lab:4781".into());
    }
    Ok(url)
}

/// A client for one hub.
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    base: url::Url,
    credential: Option<String>,
    pin: Arc<Pinned>,
}

impl HubClient {
    /// `fingerprint`: the certificate to accept (None only to read one, see
    /// [`HubClient::certificate_fingerprint`]).
    pub fn new(
        base: &str,
        fingerprint: Option<&str>,
        credential: Option<&str>,
        timeout: Duration,
    ) -> Result<HubClient, HubCallError> {
        let base = hub_base_url(base).map_err(HubCallError::BadAnswer)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let pin = Arc::new(Pinned {
            expected: fingerprint.map(str::to_owned),
            seen: Mutex::new(None),
            provider: provider.clone(),
        });
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| HubCallError::BadAnswer(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(pin.clone())
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(Duration::from_secs(5).min(timeout))
            // A hub that stops answering part way is given up on, however long the
            // whole answer (a snapshot) is allowed to take.
            .read_timeout(timeout)
            .timeout(timeout)
            .build()
            .map_err(|e| HubCallError::BadAnswer(e.to_string()))?;
        Ok(HubClient {
            http,
            base,
            credential: credential.map(str::to_owned),
            pin,
        })
    }

    /// Connects once and returns the fingerprint of the certificate the hub presents,
    /// for an administrator to compare with the one the hub printed.
    pub async fn certificate_fingerprint(base: &str) -> Result<String, HubCallError> {
        let client = HubClient::new(base, None, None, Duration::from_secs(10))?;
        if client.base.scheme() == "http" {
            return Ok(String::new());
        }
        let _ = client.get_json::<serde_json::Value>("v1/hello").await?;
        client
            .pin
            .seen
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| HubCallError::BadAnswer("no certificate was presented".into()))
    }

    pub async fn hello(&self) -> Result<serde_json::Value, HubCallError> {
        self.get_json("v1/hello").await
    }

    pub async fn enroll(&self, request: &EnrollRequest) -> Result<EnrollResponse, HubCallError> {
        self.post_json("v1/enroll", request).await
    }

    pub async fn push(&self, request: &PushRequest) -> Result<PushResponse, HubCallError> {
        self.post_json("v1/sync/push", request).await
    }

    pub async fn pull(
        &self,
        cursor: i64,
        limit: i64,
        digests: bool,
    ) -> Result<PullResponse, HubCallError> {
        self.get_json(&format!(
            "v1/sync/pull?cursor={cursor}&limit={limit}&digests={digests}"
        ))
        .await
    }

    pub async fn lease(
        &self,
        request: &aliquot_sync::LeaseRequest,
    ) -> Result<aliquot_sync::LeaseResponse, HubCallError> {
        self.post_json("v1/sync/lease", request).await
    }

    /// One page of a lab table's rows, for a resync after the convergence check.
    pub async fn table(
        &self,
        name: &str,
        page: u32,
    ) -> Result<aliquot_domain::paging::Page<serde_json::Value>, HubCallError> {
        let per_page = aliquot_domain::paging::MAX_PER_PAGE;
        self.get_json(&format!(
            "v1/sync/table/{name}?page={page}&per_page={per_page}"
        ))
        .await
    }

    fn url(&self, path: &str) -> Result<url::Url, HubCallError> {
        self.base
            .join(path)
            .map_err(|e| HubCallError::BadAnswer(e.to_string()))
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.credential {
            Some(c) => request.bearer_auth(c),
            None => request,
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, HubCallError> {
        let request = self.authorised(self.http.get(self.url(path)?));
        self.answer(request.send().await).await
    }

    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, HubCallError> {
        let request = self.authorised(self.http.post(self.url(path)?).json(body));
        self.answer(request.send().await).await
    }

    /// The lab as it stands, streamed: the chunks of the snapshot's lines as they arrive
    /// (a large lab takes a while: this one call may run far past the usual timeout).
    /// The lab's snapshot, or its rest `from` on (a copy cut short).
    pub async fn snapshot(
        &self,
        from: Option<&aliquot_sync::SnapshotFrom>,
    ) -> Result<crate::sync::SnapshotChunks, HubCallError> {
        let mut url = self.url("v1/sync/snapshot")?;
        if let Some(from) = from {
            let from = serde_json::to_string(from)
                .map_err(|e| HubCallError::BadAnswer(format!("where to resume: {e}")))?;
            url.query_pairs_mut().append_pair("from", &from);
        }
        let request = self
            .authorised(self.http.get(url))
            .timeout(SNAPSHOT_TIMEOUT);
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response
                .bytes()
                .await
                .map_err(|e| HubCallError::Unreachable(e.to_string()))?;
            return Err(refusal(status, &bytes));
        }
        Ok(Box::pin(futures_util::stream::unfold(
            response,
            |mut response| async move {
                match response.chunk().await {
                    Ok(Some(chunk)) => Some((Ok(chunk.to_vec()), response)),
                    Ok(None) => None,
                    Err(e) => Some((Err(HubCallError::Unreachable(e.to_string())), response)),
                }
            },
        )))
    }

    async fn answer<T: serde::de::DeserializeOwned>(
        &self,
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, HubCallError> {
        let response = sent.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| HubCallError::Unreachable(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| HubCallError::BadAnswer(e.to_string()));
        }
        Err(refusal(status, &bytes))
    }

    fn transport_error(&self, e: &reqwest::Error) -> HubCallError {
        let mut source: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = source {
            if s.to_string().contains("pinned fingerprint") {
                return HubCallError::WrongCertificate;
            }
            source = s.source();
        }
        HubCallError::Unreachable(e.to_string())
    }
}

/// What a hub's refusal means: its own code and message, or, without one, a server error
/// (try again later) or an answer this client cannot read.
fn refusal(status: reqwest::StatusCode, bytes: &[u8]) -> HubCallError {
    match serde_json::from_slice::<HubError>(bytes) {
        Ok(refusal) => HubCallError::Refused {
            status: status.as_u16(),
            code: refusal.code,
            message: refusal.message,
        },
        Err(_) if status.is_server_error() => {
            HubCallError::Unreachable(format!("the hub answered {status}"))
        }
        Err(_) => HubCallError::BadAnswer(format!("the hub answered {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(hub_base_url("https://hub.lab:4781").is_ok());
        assert!(hub_base_url("http://127.0.0.1:4781").is_ok());
        assert!(hub_base_url("http://localhost:4781").is_ok());
        assert!(hub_base_url("http://[::1]:4781").is_ok());
        assert!(hub_base_url("http://hub.lab:4781").is_err());
        assert!(hub_base_url("http://10.0.0.5:4781").is_err());
        assert!(hub_base_url("ftp://hub.lab").is_err());
        assert!(hub_base_url("https://user:pw@hub.lab").is_err());
        assert!(hub_base_url("hub.lab").is_err());
    }

    #[test]
    fn fingerprints_compare_whatever_their_spelling() {
        assert_eq!(
            normalise_fingerprint("ab:cd:01"),
            normalise_fingerprint("ABCD01")
        );
        assert_eq!(fingerprint(b"x").len(), 32 * 3 - 1);
    }
}
