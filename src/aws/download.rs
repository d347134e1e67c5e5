//! Downloading a presigned URL (a Lambda code package) over HTTPS with the platform's roots.
//! The URL is a credential: it is never logged or written anywhere.

use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The largest package kept (Lambda's own limit for an unzipped package is 250 MB).
const MAX_BYTES: usize = 256 * 1024 * 1024;

/// How long one download may take, headers and body together.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// GETs `url` within `DOWNLOAD_TIMEOUT` (a stalled body times out too); the error says why in
/// words that never include the URL.
pub async fn get(url: &str) -> Result<Vec<u8>, String> {
    tokio::time::timeout(DOWNLOAD_TIMEOUT, fetch(url))
        .await
        .map_err(|_| format!("timed out after {}s", DOWNLOAD_TIMEOUT.as_secs()))?
}

async fn fetch(url: &str) -> Result<Vec<u8>, String> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| format!("no TLS roots: {e}"))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let uri: hyper::Uri = url
        .parse()
        .map_err(|_| "the code location is not a URL".to_string())?;
    let response = client
        .get(uri)
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let body = Limited::new(response.into_body(), MAX_BYTES)
        .collect()
        .await
        .map_err(|e| format!("download failed: {e}"))?;
    Ok(body.to_bytes().to_vec())
}
