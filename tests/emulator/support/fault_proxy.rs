//! An HTTP proxy in front of moto that injects AWS-shaped faults: AccessDenied for chosen
//! (service, region) pairs (every request, or only the mutating ones), and at chosen rates throttling (EC2 `RequestLimitExceeded` 503, IAM
//! and STS `Throttling` 400, Lambda 429), HTTP 500s and dropped connections (before or after the
//! request reached moto), plus a fixed latency. It records every request's service, region and
//! action, and can check a condition (e.g. "the journal holds this call's intent") the moment a
//! mutating request arrives. Routes by the SigV4 credential scope, as AWS does.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// The query API's `Action`, the JSON API's target action, or `METHOD /path` for REST APIs
    /// (Lambda, GuardDuty, API Gateway).
    pub action: String,
    /// For a mutating request reaching moto with a witness set: what the witness said on arrival.
    pub witnessed: Option<bool>,
    /// The request's and the answer's bodies, for the actions the proxy was told to keep.
    pub bodies: Option<(String, String)>,
    /// When the request arrived, from the proxy's start.
    pub arrived: Duration,
    /// From arrival to the answer, the injected latency included.
    pub took: Duration,
    /// The answer's HTTP status.
    pub status: u16,
    /// What the request names: its path and query, then (for query and JSON APIs) the start of
    /// its body, so two reads of the same item can be told apart.
    pub target: String,
}

impl Seen {
    /// Whether the request can change something: a query action that is not a read, or a
    /// REST call that is not a GET.
    pub fn is_mutating(&self) -> bool {
        is_mutating(&self.action)
    }
}

/// Whether `action` (a query API's `Action`, or `METHOD /path`) can change something.
fn is_mutating(action: &str) -> bool {
    if action.starts_with("GET ") {
        return false;
    }
    if action.contains(' ') {
        return true;
    }
    !["Describe", "Get", "List", "Lookup"]
        .iter()
        .any(|read| action.starts_with(read))
}

/// Faults injected into every request, each drawn independently from a seeded generator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Share of requests answered with the service's throttling error.
    pub throttle: f64,
    /// Share answered with HTTP 500.
    pub server_error: f64,
    /// Share whose connection is dropped without an answer; half of them after moto has
    /// carried the request out (the response is lost, as when a call times out after AWS
    /// applied it).
    pub reset: f64,
    /// Added before every request is handled.
    pub latency: Duration,
    pub seed: u64,
    /// Actions never faulted: those moto answers with a 500 whatever happens (block public
    /// access), where a fault on top would only change which error the last attempt shows.
    pub spared: &'static [&'static str],
}

/// The calls moto does not implement (EMULATOR.md).
pub const MOTO_LACKS: &[&str] = &[
    "GetSnapshotBlockPublicAccessState",
    "GetImageBlockPublicAccessState",
    "EnableSnapshotBlockPublicAccess",
    "DisableSnapshotBlockPublicAccess",
    "EnableImageBlockPublicAccess",
    "DisableImageBlockPublicAccess",
];

impl Faults {
    /// The breach-night mix the reliability tests use: 30 % throttling, 5 % 500s, 2 % resets.
    pub fn breach_night(seed: u64) -> Self {
        Faults {
            throttle: 0.30,
            server_error: 0.05,
            reset: 0.02,
            latency: Duration::ZERO,
            seed,
            spared: MOTO_LACKS,
        }
    }

    /// Only latency, no errors.
    pub fn slow(latency: Duration) -> Self {
        Faults {
            throttle: 0.0,
            server_error: 0.0,
            reset: 0.0,
            latency,
            seed: 0,
            spared: &[],
        }
    }
}

/// A condition checked when a mutating request arrives, before it is forwarded.
pub type Witness = Arc<dyn Fn(&Seen) -> bool + Send + Sync>;

/// What the proxy does besides forwarding.
#[derive(Clone, Default)]
struct Behaviour {
    deny: Option<(&'static str, &'static str)>,
    /// Like `deny`, for the mutating requests only.
    deny_writes: Option<(&'static str, &'static str)>,
    faults: Option<Faults>,
    witness: Option<Witness>,
    /// Actions whose request and answer bodies are kept in `Seen::bodies`.
    keep_bodies: &'static [&'static str],
}

/// What one request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Forward,
    Throttle,
    ServerError,
    DropBefore,
    DropAfter,
}

/// A running proxy; stops when the test's runtime ends.
pub struct FaultProxy {
    pub address: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    injected: Arc<Mutex<Vec<(String, &'static str)>>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`127.0.0.1:PORT`) that denies `service` in `region`. The
    /// denial is shaped as Lambda's (REST JSON `AccessDeniedException`): deny Lambda only.
    pub async fn deny(upstream: SocketAddr, service: &'static str, region: &'static str) -> Self {
        Self::start(
            upstream,
            Behaviour {
                deny: Some((service, region)),
                ..Behaviour::default()
            },
        )
        .await
    }

    /// Starts a proxy to `upstream` that denies the mutating requests of `service` in
    /// `region` (reads are forwarded); Lambda only, as `deny`.
    pub async fn deny_writes(
        upstream: SocketAddr,
        service: &'static str,
        region: &'static str,
    ) -> Self {
        Self::start(
            upstream,
            Behaviour {
                deny_writes: Some((service, region)),
                ..Behaviour::default()
            },
        )
        .await
    }

    /// Starts a proxy to `upstream` that only forwards and records.
    pub async fn recording(upstream: SocketAddr) -> Self {
        Self::start(upstream, Behaviour::default()).await
    }

    /// Starts a proxy to `upstream` that forwards, records, and keeps the request and answer
    /// bodies of `actions` (e.g. the secrets CreateAccessKey returns).
    pub async fn keeping_bodies(upstream: SocketAddr, actions: &'static [&'static str]) -> Self {
        Self::start(
            upstream,
            Behaviour {
                keep_bodies: actions,
                ..Behaviour::default()
            },
        )
        .await
    }

    /// Starts a proxy to `upstream` that injects `faults`, and asks `witness` (if any) about each
    /// mutating request that is about to reach moto.
    pub async fn faulty(upstream: SocketAddr, faults: Faults, witness: Option<Witness>) -> Self {
        Self::start(
            upstream,
            Behaviour {
                faults: Some(faults),
                witness,
                ..Behaviour::default()
            },
        )
        .await
    }

    async fn start(upstream: SocketAddr, behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("proxy address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let injected = Arc::new(Mutex::new(Vec::new()));
        let rng = Arc::new(Mutex::new(fastrand::Rng::with_seed(
            behaviour.faults.map_or(0, |f| f.seed),
        )));
        let state = Shared {
            upstream,
            behaviour,
            started: Instant::now(),
            seen: seen.clone(),
            injected: injected.clone(),
            rng,
        };
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = state.clone();
                tokio::spawn(async move {
                    let handler = service_fn(move |request| handle(request, state.clone()));
                    // A connection dropped midway (by the client, or by a fault) is expected.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), handler)
                        .await;
                });
            }
        });
        FaultProxy {
            address,
            seen,
            injected,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every request that reached moto so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// How many faults of each kind were injected: (service, kind).
    pub fn injected(&self) -> Vec<(String, &'static str)> {
        self.injected.lock().expect("lock").clone()
    }
}

/// Everything a connection handler needs.
#[derive(Clone)]
struct Shared {
    upstream: SocketAddr,
    behaviour: Behaviour,
    started: Instant,
    seen: Arc<Mutex<Vec<Seen>>>,
    injected: Arc<Mutex<Vec<(String, &'static str)>>>,
    rng: Arc<Mutex<fastrand::Rng>>,
}

impl Shared {
    fn fate(&self, action: &str) -> Fate {
        let Some(faults) = self.behaviour.faults else {
            return Fate::Forward;
        };
        if faults.spared.contains(&action) {
            return Fate::Forward;
        }
        let mut rng = self.rng.lock().expect("lock");
        let draw = rng.f64();
        let drop_after = rng.bool();
        if draw < faults.throttle {
            Fate::Throttle
        } else if draw < faults.throttle + faults.server_error {
            Fate::ServerError
        } else if draw < faults.throttle + faults.server_error + faults.reset {
            if drop_after {
                Fate::DropAfter
            } else {
                Fate::DropBefore
            }
        } else {
            Fate::Forward
        }
    }

    fn note(&self, service: &str, kind: &'static str) {
        self.injected
            .lock()
            .expect("lock")
            .push((service.to_string(), kind));
    }
}

/// The error a connection handler returns to make hyper drop the connection unanswered.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the fault proxy")
    }
}

impl std::error::Error for Dropped {}

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
    state: Shared,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let arrived = Instant::now();
    let (region, service) = scope(&request).unwrap_or_default();
    if let Some(latency) = state.behaviour.faults.map(|f| f.latency) {
        tokio::time::sleep(latency).await;
    }
    if state
        .behaviour
        .deny
        .is_some_and(|(s, r)| r == region && s == service)
    {
        return Ok(denied(
            "User is not authorized to perform: lambda:ListFunctions with an explicit deny",
        ));
    }
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return Ok(bad_gateway(err.to_string())),
    };
    // JSON-protocol APIs (CloudTrail, EventBridge) name the action in X-Amz-Target:
    // `CloudTrail_20131101.StartLogging`.
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .map(str::to_string);
    let action = target
        .or_else(|| form_action(&body))
        .or_else(|| parts.uri.query().and_then(|q| form_action(q.as_bytes())))
        .unwrap_or_else(|| format!("{} {}", parts.method, parts.uri.path()));
    if is_mutating(&action)
        && state
            .behaviour
            .deny_writes
            .is_some_and(|(s, r)| r == region && s == service)
    {
        return Ok(denied(&format!(
            "User is not authorized to perform: {action} with an explicit deny"
        )));
    }
    let fate = state.fate(&action);
    match fate {
        Fate::Throttle => {
            state.note(&service, "throttle");
            return Ok(throttled(&service));
        }
        Fate::ServerError => {
            state.note(&service, "500");
            return Ok(server_error(&service));
        }
        Fate::DropBefore => {
            state.note(&service, "drop");
            return Err(Dropped);
        }
        Fate::Forward | Fate::DropAfter => {}
    }
    let keep = state.behaviour.keep_bodies.contains(&action.as_str());
    let request_body = keep.then(|| String::from_utf8_lossy(&body).into_owned());
    let mut seen = Seen {
        service,
        region,
        action,
        witnessed: None,
        bodies: None,
        arrived: arrived.duration_since(state.started),
        took: Duration::ZERO,
        status: 0,
        target: target_of(&parts.uri, &body),
    };
    if let Some(witness) = &state.behaviour.witness
        && seen.is_mutating()
    {
        seen.witnessed = Some(witness(&seen));
    }
    let service = seen.service.clone();
    let response = forward(Request::from_parts(parts, body), state.upstream)
        .await
        .unwrap_or_else(bad_gateway);
    if let Some(request_body) = request_body {
        let answer = response
            .body()
            .clone()
            .collect()
            .await
            .map(|c| String::from_utf8_lossy(&c.to_bytes()).into_owned())
            .unwrap_or_default();
        seen.bodies = Some((request_body, answer));
    }
    seen.took = arrived.elapsed();
    seen.status = response.status().as_u16();
    state.seen.lock().expect("lock").push(seen);
    if fate == Fate::DropAfter {
        state.note(&service, "drop after");
        return Err(Dropped);
    }
    Ok(response)
}

/// The service's own throttling answer.
fn throttled(service: &str) -> Response<Full<Bytes>> {
    match service {
        "ec2" => query_error(
            StatusCode::SERVICE_UNAVAILABLE,
            ec2_error("RequestLimitExceeded", "Request limit exceeded."),
        ),
        "lambda" | "guardduty" | "apigateway" => json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            "Rate exceeded",
        ),
        "cloudtrail" | "events" => json_error(
            StatusCode::BAD_REQUEST,
            "ThrottlingException",
            "Rate exceeded",
        ),
        // S3 and S3 Control (both sign as `s3`) slow a caller down with a 503.
        "s3" => query_error(
            StatusCode::SERVICE_UNAVAILABLE,
            s3_error("SlowDown", "Please reduce your request rate."),
        ),
        _ => query_error(
            StatusCode::BAD_REQUEST,
            iam_error("Throttling", "Rate exceeded"),
        ),
    }
}

/// The service's own internal-error answer.
fn server_error(service: &str) -> Response<Full<Bytes>> {
    match service {
        "ec2" => query_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            ec2_error("InternalError", "An internal error has occurred"),
        ),
        "lambda" => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "internal error",
        ),
        "guardduty" | "apigateway" | "cloudtrail" | "events" => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerErrorException",
            "internal error",
        ),
        "s3" => query_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            s3_error(
                "InternalError",
                "We encountered an internal error. Please try again.",
            ),
        ),
        _ => query_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            iam_error("ServiceFailure", "internal error"),
        ),
    }
}

const INJECTED_REQUEST_ID: &str = "firebreak-test-fault-0001";

fn ec2_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>\
         <Message>{message}</Message></Error></Errors><RequestID>{INJECTED_REQUEST_ID}</RequestID></Response>"
    )
}

fn iam_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>\
         </Error><RequestId>{INJECTED_REQUEST_ID}</RequestId></ErrorResponse>"
    )
}

fn s3_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
         <Message>{message}</Message><RequestId>{INJECTED_REQUEST_ID}</RequestId></Error>"
    )
}

fn query_error(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .header("x-amzn-requestid", INJECTED_REQUEST_ID)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", code)
        .header("x-amzn-requestid", INJECTED_REQUEST_ID)
        .body(Full::new(Bytes::from(format!(
            r#"{{"Type":"Service","message":"{message}"}}"#
        ))))
        .unwrap_or_default()
}

fn denied(message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"Type": "User", "Message": message}).to_string();
    Response::builder()
        .status(StatusCode::FORBIDDEN)
        .header("content-type", "application/json")
        .header("x-amzn-errortype", "AccessDeniedException")
        .header("x-amzn-requestid", DENIED_REQUEST_ID)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

fn bad_gateway(err: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::BAD_GATEWAY)
        .body(Full::new(Bytes::from(err)))
        .unwrap_or_default()
}

/// The request's path and query, and up to 300 bytes of its body.
fn target_of(uri: &hyper::Uri, body: &[u8]) -> String {
    let head = uri.path_and_query().map_or("/", |p| p.as_str());
    let body = String::from_utf8_lossy(&body[..body.len().min(300)]);
    format!("{head} {body}")
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
