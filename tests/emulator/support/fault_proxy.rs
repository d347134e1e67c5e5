//! An HTTP proxy in front of moto that answers chosen (service, region) pairs with an AWS-shaped
//! AccessDenied, forwards everything else, and records every request's service and action.
//! Routes by the SigV4 credential scope, as AWS does.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// The request id the proxy puts on the errors it makes up.
pub const DENIED_REQUEST_ID: &str = "firebreak-test-denied-0001";

/// One request seen by the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub service: String,
    pub region: String,
    /// The query API's `Action`, or `METHOD /path` for REST APIs (Lambda).
    pub action: String,
}

impl Seen {
    /// Whether the request can change something: a query action that is not a read, or a
    /// REST call that is not a GET.
    pub fn is_mutating(&self) -> bool {
        if self.action.starts_with("GET ") {
            return false;
        }
        if self.action.contains(' ') {
            return true;
        }
        !["Describe", "Get", "List"]
            .iter()
            .any(|read| self.action.starts_with(read))
    }
}

/// A running proxy; stops when the test's runtime ends.
pub struct FaultProxy {
    pub address: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

type Deny = Option<(&'static str, &'static str)>;

impl FaultProxy {
    /// Starts a proxy to `upstream` (`127.0.0.1:PORT`) that denies `service` in `region`.
    pub async fn deny(upstream: SocketAddr, service: &'static str, region: &'static str) -> Self {
        Self::start(upstream, Some((service, region))).await
    }

    /// Starts a proxy to `upstream` that only forwards and records.
    pub async fn recording(upstream: SocketAddr) -> Self {
        Self::start(upstream, None).await
    }

    async fn start(upstream: SocketAddr, deny: Deny) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("proxy address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let handler =
                        service_fn(move |request| handle(request, upstream, deny, log.clone()));
                    // A connection the client drops midway is not the test's concern.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), handler)
                        .await;
                });
            }
        });
        FaultProxy { address, seen }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

/// The (region, service) of a SigV4-signed request:
/// `Credential=AKID/20240101/eu-west-1/lambda/aws4_request`.
fn scope(request: &Request<Incoming>) -> Option<(String, String)> {
    let authorization = request.headers().get("authorization")?.to_str().ok()?;
    let credential = authorization.split("Credential=").nth(1)?;
    let mut parts = credential.split('/');
    let region = parts.nth(2)?.to_string();
    let service = parts.next()?.to_string();
    Some((region, service))
}

async fn handle(
    request: Request<Incoming>,
    upstream: SocketAddr,
    deny: Deny,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (region, service) = scope(&request).unwrap_or_default();
    if deny.is_some_and(|(s, r)| r == region && s == service) {
        return Ok(denied());
    }
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return Ok(bad_gateway(err.to_string())),
    };
    let action = form_action(&body)
        .or_else(|| parts.uri.query().and_then(|q| form_action(q.as_bytes())))
        .unwrap_or_else(|| format!("{} {}", parts.method, parts.uri.path()));
    seen.lock().expect("lock").push(Seen {
        service,
        region,
        action,
    });
    Ok(forward(Request::from_parts(parts, body), upstream)
        .await
        .unwrap_or_else(bad_gateway))
}

fn denied() -> Response<Full<Bytes>> {
    let body = r#"{"Type":"User","Message":"User is not authorized to perform: lambda:ListFunctions with an explicit deny"}"#;
    Response::builder()
        .status(StatusCode::FORBIDDEN)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", "AccessDeniedException")
        .header("x-amzn-requestid", DENIED_REQUEST_ID)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap_or_default()
}

fn bad_gateway(err: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::BAD_GATEWAY)
        .body(Full::new(Bytes::from(err)))
        .unwrap_or_default()
}

/// `Action=...` from a form-encoded query API body.
fn form_action(body: &[u8]) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_string)
}

async fn forward(
    request: Request<Bytes>,
    upstream: SocketAddr,
) -> Result<Response<Full<Bytes>>, String> {
    let (parts, body) = request.into_parts();
    let stream = TcpStream::connect(upstream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender
        .send_request(Request::from_parts(parts, Full::new(body)))
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Response::from_parts(parts, Full::new(body)))
}
