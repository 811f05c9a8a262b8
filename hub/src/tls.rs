//! The hub's certificate: made self-signed at `init` unless the lab gives its own, kept in
//! the data directory, and known to workstations by its SHA-256 fingerprint, which they
//! pin at enrollment (the administrator compares it with the one `enroll` prints).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const CERT_FILE: &str = "hub-cert.pem";
pub const KEY_FILE: &str = "hub-key.pem";

pub fn cert_path(data_dir: &Path) -> PathBuf {
    data_dir.join(CERT_FILE)
}

pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

pub use aliquot_sync::certificate_fingerprint as fingerprint;

/// Writes a new self-signed certificate for `names` (host names or IP addresses) unless
/// one is there; returns its fingerprint.
pub fn ensure_certificate(data_dir: &Path, names: &[String]) -> anyhow::Result<String> {
    let (cert, key) = (cert_path(data_dir), key_path(data_dir));
    if !cert.exists() {
        let mut names = names.to_vec();
        for default in ["localhost", "127.0.0.1"] {
            if !names.iter().any(|n| n == default) {
                names.push(default.to_owned());
            }
        }
        let made = rcgen::generate_simple_self_signed(names)?;
        write_private(&key, made.signing_key.serialize_pem().as_bytes())?;
        std::fs::write(&cert, made.cert.pem())?;
    }
    certificate_fingerprint(data_dir)
}

/// Installs a certificate and key the lab provides (PEM files), replacing the hub's own.
pub fn install_certificate(data_dir: &Path, cert: &Path, key: &Path) -> anyhow::Result<String> {
    let chain = read_chain(cert)?;
    PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("{}: not a PEM private key: {e}", key.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no certificate", cert.display());
    std::fs::copy(cert, cert_path(data_dir))?;
    write_private(&key_path(data_dir), &std::fs::read(key)?)?;
    certificate_fingerprint(data_dir)
}

pub fn certificate_fingerprint(data_dir: &Path) -> anyhow::Result<String> {
    let chain = read_chain(&cert_path(data_dir))?;
    let leaf = chain
        .first()
        .ok_or_else(|| anyhow::anyhow!("the hub's certificate file is empty"))?;
    Ok(fingerprint(leaf))
}

fn read_chain(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    CertificateDer::pem_file_iter(path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("{}: not a PEM certificate: {e}", path.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

/// The TLS configuration the hub serves with (ring provider, TLS 1.2 and 1.3).
pub fn server_config(data_dir: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let chain = read_chain(&cert_path(data_dir))?;
    let key = PrivateKeyDer::from_pem_file(key_path(data_dir))
        .map_err(|e| anyhow::anyhow!("the hub's private key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}
