//! An HTTP proxy in front of moto that answers chosen (service, region) pairs with an AWS-shaped
//! AccessDenied, and forwards everything else. Routes by the SigV4 credential scope, as AWS does.

use std::convert::Infallible;
use std::net::SocketAddr;

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

/// A running proxy; stops when the test's runtime ends.
pub struct FaultProxy {
    pub address: SocketAddr,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`127.0.0.1:PORT`) that denies `service` in `region`.
    pub async fn deny(upstream: SocketAddr, service: &'static str, region: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("proxy address");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let handler =
                        service_fn(move |request| handle(request, upstream, service, region));
                    // A connection the client drops midway is not the test's concern.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), handler)
                        .await;
                });
            }
        });
        FaultProxy { address }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
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
    denied_service: &'static str,
    denied_region: &'static str,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if scope(&request).is_some_and(|(r, s)| r == denied_region && s == denied_service) {
        return Ok(denied());
    }
    Ok(forward(request, upstream).await.unwrap_or_else(|err| {
        Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Full::new(Bytes::from(err)))
            .unwrap_or_default()
    }))
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

async fn forward(
    request: Request<Incoming>,
    upstream: SocketAddr,
) -> Result<Response<Full<Bytes>>, String> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
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
