//! Function evidence: the code package saved with its hash, the presigned URL written nowhere, a refused download recorded.

use super::*;

/// A one-route HTTP server on 127.0.0.1 standing in for Lambda's presigned code location:
/// `/code.zip` answers `status` with `body`. Returns its port and every request target seen.
async fn code_location(
    status: u16,
    body: Vec<u8>,
) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use http_body_util::Full;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (body, log) = (body.clone(), log.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    log.lock().expect("log").push(request.uri().to_string());
                    let (status, bytes) = if request.uri().path() == "/code.zip" {
                        (status, body.clone())
                    } else {
                        (404, Vec::new())
                    };
                    async move {
                        hyper::Response::builder()
                            .status(status)
                            .body(Full::new(bytes::Bytes::from(bytes)))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (port, seen)
}

const SIGNATURE: &str = "SECRETSIGNATURE0123";

const FUNCTION_POLICY: &str = r#"{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:123456789012:function:orders"}]}"#;

/// Captures evidence of function `orders`, whose code location is `location`, through the
/// engine (journal and evidence under `dir`); returns the evidence folder.
async fn capture_orders(dir: &std::path::Path, location: String) -> std::path::PathBuf {
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::operation::get_policy::GetPolicyOutput;
    use aws_sdk_lambda::operation::list_tags::ListTagsOutput;
    use aws_sdk_lambda::types::{FunctionCodeLocation, FunctionConfiguration};
    let function = mock!(aws_sdk_lambda::Client::get_function)
        .match_requests(|r| r.function_name() == Some("orders"))
        .sequence()
        .output(move || {
            GetFunctionOutput::builder()
                .configuration(
                    FunctionConfiguration::builder()
                        .function_name("orders")
                        .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:orders")
                        .build(),
                )
                .code(
                    FunctionCodeLocation::builder()
                        .repository_type("S3")
                        .location(location.clone())
                        .build(),
                )
                .build()
        })
        .repeatedly()
        .build();
    let policy = mock!(aws_sdk_lambda::Client::get_policy)
        .sequence()
        .output(|| GetPolicyOutput::builder().policy(FUNCTION_POLICY).build())
        .repeatedly()
        .build();
    let tags = mock!(aws_sdk_lambda::Client::list_tags)
        .match_requests(|r| {
            r.resource() == Some("arn:aws:lambda:eu-west-1:123456789012:function:orders")
        })
        .sequence()
        .output(|| ListTagsOutput::builder().tags("team", "orders").build())
        .repeatedly()
        .build();
    let ctx = context(&[&function, &policy, &tags]);
    let directory = dir.join("evidence/eu-west-1/orders");
    let journal = Journal::start(dir, &identity(), vec![]).expect("journal");
    let capture = plan(vec![Step::new(
        "eu-west-1",
        0,
        Operation::CaptureFunctionEvidence {
            function: "orders".into(),
            directory: directory.clone(),
        },
        None,
    )]);
    let results = Engine::new(ctx, false, 1)
        .execute(&capture, &journal, |_, _| {})
        .await
        .expect("executed");
    assert_eq!(results[0].outcome, Outcome::Ok, "{:?}", results[0].outcome);
    assert_eq!(function.num_calls(), 1);
    directory
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// No file under `dir` holds the presigned URL or any part of it that identifies it.
fn assert_url_written_nowhere(dir: &std::path::Path, port: u16) {
    let files = files_under(dir);
    assert!(files.len() >= 2, "{files:?}");
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read")).into_owned();
        for secret in [SIGNATURE, "X-Amz-Signature", &format!("127.0.0.1:{port}")] {
            assert!(
                !text.contains(secret),
                "{} holds {secret:?}",
                file.display()
            );
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_code_package_is_saved_with_its_hash_and_the_presigned_url_is_written_nowhere() {
    use sha2::{Digest, Sha256};
    use std::os::unix::fs::PermissionsExt;
    // A zip's magic number, then enough bytes to arrive in several reads.
    let mut served = b"PK\x03\x04".to_vec();
    served.extend((0..200_000u32).map(|i| (i.wrapping_mul(31) % 251) as u8));
    let (port, seen) = code_location(200, served.clone()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let location = format!("http://127.0.0.1:{port}/code.zip?X-Amz-Signature={SIGNATURE}");
    let evidence = capture_orders(dir.path(), location).await;

    assert_eq!(
        *seen.lock().expect("seen"),
        [format!("/code.zip?X-Amz-Signature={SIGNATURE}")],
        "the package came from the presigned location"
    );
    assert_eq!(
        std::fs::read(evidence.join("code.zip")).expect("code"),
        served
    );
    assert_eq!(
        std::fs::read_to_string(evidence.join("policy.json")).expect("policy"),
        FUNCTION_POLICY
    );
    let manifest: crate::evidence::Manifest =
        serde_json::from_slice(&std::fs::read(evidence.join("manifest.json")).expect("manifest"))
            .expect("a manifest");
    assert_eq!(manifest.code_download, crate::evidence::CodeDownload::Saved);
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(
        listed,
        ["configuration.json", "tags.json", "policy.json", "code.zip"]
    );
    for file in &manifest.files {
        let bytes = std::fs::read(evidence.join(&file.file)).expect("listed file");
        assert_eq!(file.bytes, bytes.len(), "{}", file.file);
        assert_eq!(
            file.sha256,
            hex::encode(Sha256::digest(&bytes)),
            "{}",
            file.file
        );
    }
    let code = manifest
        .files
        .iter()
        .find(|f| f.file == "code.zip")
        .expect("code listed");
    assert_eq!(code.sha256, hex::encode(Sha256::digest(&served)));
    for file in files_under(dir.path()) {
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    assert_url_written_nowhere(dir.path(), port);
}

#[tokio::test]
async fn a_refused_download_is_recorded_without_the_url() {
    let (port, seen) =
        code_location(403, b"<Error><Code>AccessDenied</Code></Error>".to_vec()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let location = format!("http://127.0.0.1:{port}/code.zip?X-Amz-Signature={SIGNATURE}");
    let evidence = capture_orders(dir.path(), location).await;
    assert_eq!(seen.lock().expect("seen").len(), 1);
    assert!(!evidence.join("code.zip").exists());
    let manifest: crate::evidence::Manifest =
        serde_json::from_slice(&std::fs::read(evidence.join("manifest.json")).expect("manifest"))
            .expect("a manifest");
    match &manifest.code_download {
        crate::evidence::CodeDownload::Failed { reason } => {
            assert!(reason.contains("403"), "{reason}");
        }
        other => panic!("a failed download, got {other:?}"),
    }
    assert!(
        crate::evidence::code_kept(&evidence).is_err(),
        "a delete waiting for this code refuses"
    );
    assert_url_written_nowhere(dir.path(), port);
}
