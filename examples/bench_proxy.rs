//! The benchmarks' latency proxy: the integration tests' fault proxy run on its own, between a
//! client and moto. It adds a fixed latency to every request (a real AWS round trip from one
//! place to every region), optionally throttles a share of them, and on Ctrl-C or SIGTERM writes
//! every request it forwarded as one JSON line (service, region, action, arrival, duration,
//! status) so request counts and critical paths can be computed from the log.
//!
//! Usage: `bench_proxy UPSTREAM_PORT LOG_FILE [LATENCY_MS=100] [THROTTLE_SHARE=0]`; prints
//! `http://127.0.0.1:PORT` on its first line of output once it is listening.

// Harness code shared with the tests: a broken lock or a bad argument ends the run loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/emulator/support/fault_proxy.rs"]
#[allow(dead_code)]
mod fault_proxy;

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use fault_proxy::{FaultProxy, Faults};
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench_proxy UPSTREAM_PORT LOG_FILE [LATENCY_MS=100] [THROTTLE_SHARE=0]";
    let (Some(port), Some(log)) = (args.first(), args.get(1)) else {
        panic!("{usage}");
    };
    let port: u16 = port.parse().expect(usage);
    let latency: u64 = args.get(2).map_or(Ok(100), |v| v.parse()).expect(usage);
    let throttle: f64 = args.get(3).map_or(Ok(0.0), |v| v.parse()).expect(usage);
    let faults = Faults {
        throttle,
        seed: 13,
        // moto answers these with a 500 whatever happens; a throttle on top changes nothing.
        spared: fault_proxy::MOTO_LACKS,
        ..Faults::slow(Duration::from_millis(latency))
    };
    let upstream = SocketAddr::from(([127, 0, 0, 1], port));
    let proxy = FaultProxy::faulty(upstream, faults, None).await;
    println!("{}", proxy.endpoint());
    std::io::stdout().flush().expect("stdout");

    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(log).expect("log file"));
    for seen in proxy.seen() {
        let line = serde_json::json!({
            "service": seen.service,
            "region": seen.region,
            "action": seen.action,
            "arrived_ms": seen.arrived.as_secs_f64() * 1000.0,
            "took_ms": seen.took.as_secs_f64() * 1000.0,
            "status": seen.status,
            "target": seen.target,
        });
        writeln!(out, "{line}").expect("log write");
    }
    for (service, kind) in proxy.injected() {
        let line = serde_json::json!({"service": service, "injected": kind});
        writeln!(out, "{line}").expect("log write");
    }
    out.flush().expect("log write");
}
