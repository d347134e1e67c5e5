//! Bad input, as a table run through the real binary: malformed config and baseline files, bad
//! flags, paths that are not UTF-8, endpoints that refuse or never answer. Each row must end with
//! a non-zero exit and an error naming the file and line (or the flag, or the endpoint) — never a
//! panic, never a hang, nothing on stdout.

use std::ffi::OsStr;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::{TestBed, isolate_aws_env};

/// Small timeouts, one attempt: an endpoint that never answers fails in about 2 seconds.
const FAST: &[u8] =
    b"[aws]\nmax_attempts = 1\nread_max_attempts = 1\nconnect_timeout_secs = 1\nattempt_timeout_secs = 2\noperation_timeout_secs = 4\n";

/// Far longer than any row takes, even on a loaded machine: a run still going then is a hang.
const LIMIT: Duration = Duration::from_secs(60);

/// One row. In `args` and `stderr`: `{dir}` is the row's scratch directory, `{refused}` an
/// endpoint nobody listens on, `{silent}` one that accepts connections and never answers,
/// `{moto}` a running emulator.
struct Case {
    name: &'static str,
    /// Written into the scratch directory first: file name (bytes: it may not be UTF-8), content.
    files: &'static [(&'static [u8], &'static [u8])],
    args: &'static [&'static [u8]],
    /// What stderr must contain, each.
    stderr: &'static [&'static str],
    code: i32,
}

fn cases() -> Vec<Case> {
    vec![
        // The config file.
        Case {
            name: "config: TOML syntax error",
            files: &[(b"config.toml", b"read_only = true\n[aws\nmax_attempts = 1\n")],
            args: &[b"--config", b"{dir}/config.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &["{dir}/config.toml:2:5: ", "unclosed table"],
            code: 1,
        },
        Case {
            name: "config: a string where a number is",
            files: &[(b"config.toml", b"[aws]\nmax_attempts = \"three\"\n")],
            args: &[b"--config", b"{dir}/config.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &[
                "{dir}/config.toml:2:16: ",
                "invalid type: string \"three\", expected u32",
            ],
            code: 1,
        },
        Case {
            name: "config: unknown key",
            files: &[(b"config.toml", b"read_only = true\n[scan]\nregion_concurency = 4\n")],
            args: &[b"--config", b"{dir}/config.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &["{dir}/config.toml:3:1: ", "unknown field `region_concurency`"],
            code: 1,
        },
        Case {
            name: "config: value out of range",
            files: &[(b"config.toml", b"[aws]\nmax_attempts = 1\nconnect_timeout_secs = 0\n")],
            args: &[b"--config", b"{dir}/config.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &["{dir}/config.toml:3:24: ", "a timeout must be at least 1 second"],
            code: 1,
        },
        Case {
            name: "config: bad break_glass entry",
            files: &[(b"config.toml", b"break_glass = [\n  \"user/ok\",\n  'admins',\n]\n")],
            args: &[b"--config", b"{dir}/config.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &[
                "{dir}/config.toml:3:3: ",
                "break_glass: 'admins' must be user/NAME or role/NAME",
            ],
            code: 1,
        },
        Case {
            name: "config: a key that cannot be bound",
            files: &[(b"config.toml", b"[keys]\nfreeze = \"enter\"\n")],
            args: &[b"--config", b"{dir}/config.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &[
                "{dir}/config.toml:2:10: ",
                "keys.freeze: 'enter' is reserved for navigation",
            ],
            code: 1,
        },
        Case {
            name: "config: a key bound twice",
            files: &[(b"config.toml", b"read_only = false\n[keys]\nfreeze = \"D\"\n")],
            args: &[b"--config", b"{dir}/config.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &[
                "{dir}/config.toml:2:1: ",
                "'D' is bound to both disable and freeze",
            ],
            code: 1,
        },
        Case {
            name: "config: bytes that are not UTF-8",
            files: &[(b"config.toml", b"read_only = true\n# caf\xe9\n")],
            args: &[b"--config", b"{dir}/config.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &["{dir}/config.toml:2:6: ", "byte 0xe9 is not UTF-8"],
            code: 1,
        },
        Case {
            name: "config: a path that is not UTF-8",
            files: &[(b"conf\xff.toml", b"read_only = 1\n")],
            args: &[b"--config", b"{dir}/conf\xff.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &[
                "{dir}/conf\u{fffd}.toml:1:13: ",
                "invalid type: integer `1`, expected a boolean",
            ],
            code: 1,
        },
        Case {
            name: "config: a missing file at a path that is not UTF-8",
            files: &[],
            args: &[b"--config", b"{dir}/gone\xff.toml", b"--endpoint-url", b"{refused}", b"scan"],
            stderr: &["cannot read config file {dir}/gone\u{fffd}.toml: No such file"],
            code: 1,
        },
        // The baseline file: `baseline show` reads it without a scan.
        Case {
            name: "baseline: TOML syntax error",
            files: &[(b"baseline.toml", b"version = 1\naccount_id = \"123456789012\n")],
            args: &[b"--baseline", b"{dir}/baseline.toml", b"baseline", b"show"],
            stderr: &["{dir}/baseline.toml:2:27: ", "invalid basic string"],
            code: 1,
        },
        Case {
            name: "baseline: a string where a number is",
            files: &[(b"baseline.toml", b"version = \"1\"\naccount_id = \"123456789012\"\n")],
            args: &[b"--baseline", b"{dir}/baseline.toml", b"baseline", b"show"],
            stderr: &[
                "{dir}/baseline.toml:1:11: ",
                "invalid type: string \"1\", expected u32",
            ],
            code: 1,
        },
        Case {
            name: "baseline: unknown key",
            files: &[(
                b"baseline.toml",
                b"version = 1\naccount_id = \"123456789012\"\n[principals]\nuserz = []\n",
            )],
            args: &[b"--baseline", b"{dir}/baseline.toml", b"baseline", b"show"],
            stderr: &["{dir}/baseline.toml:4:1: ", "unknown field `userz`"],
            code: 1,
        },
        Case {
            name: "baseline: unsupported version",
            files: &[(b"baseline.toml", b"version = 2\naccount_id = \"123456789012\"\n")],
            args: &[b"--baseline", b"{dir}/baseline.toml", b"baseline", b"show"],
            stderr: &[
                "{dir}/baseline.toml:1:11: ",
                "baseline version 2 is not supported",
            ],
            code: 1,
        },
        Case {
            name: "baseline: bad account id",
            files: &[(b"baseline.toml", b"# the account\nversion = 1\naccount_id = \"prod\"\n")],
            args: &[b"--baseline", b"{dir}/baseline.toml", b"baseline", b"show"],
            stderr: &[
                "{dir}/baseline.toml:3:14: ",
                "account_id 'prod' is not a 12-digit account id",
            ],
            code: 1,
        },
        Case {
            name: "baseline: bad trusted account id",
            files: &[(
                b"baseline.toml",
                b"version = 1\naccount_id = \"123456789012\"\ntrusted_accounts = [\n  \"210987654321\",\n  \"21098765432\",\n]\n",
            )],
            args: &[b"--baseline", b"{dir}/baseline.toml", b"baseline", b"show"],
            stderr: &[
                "{dir}/baseline.toml:5:3: ",
                "trusted_accounts: '21098765432' is neither a 12-digit account id nor an ARN",
            ],
            code: 1,
        },
        // A scan reads the baseline when the scan is done.
        Case {
            name: "baseline: bad glob pattern, read after a scan",
            files: &[(
                b"baseline.toml",
                b"version = 1\naccount_id = \"123456789012\"\n[principals]\nroles = ['ci-[']\n",
            )],
            args: &[
                b"--endpoint-url",
                b"{moto}",
                b"--regions",
                b"us-east-1",
                b"--baseline",
                b"{dir}/baseline.toml",
                b"scan",
            ],
            stderr: &["{dir}/baseline.toml:4:10: ", "'ci-[' is not a valid pattern"],
            code: 1,
        },
        Case {
            name: "baseline: another account's",
            files: &[(b"baseline.toml", b"version = 1\naccount_id = \"999999999999\"\n")],
            args: &[
                b"--endpoint-url",
                b"{moto}",
                b"--regions",
                b"us-east-1",
                b"--baseline",
                b"{dir}/baseline.toml",
                b"scan",
            ],
            stderr: &[
                "baseline {dir}/baseline.toml is for account 999999999999, but the credentials are for account 123456789012",
            ],
            code: 1,
        },
        Case {
            name: "baseline: bytes that are not UTF-8",
            files: &[(
                b"baseline.toml",
                b"version = 1\naccount_id = \"123456789012\"\ncaptured_by = \"\xff\"\n",
            )],
            args: &[b"--baseline", b"{dir}/baseline.toml", b"baseline", b"show"],
            stderr: &["{dir}/baseline.toml:3:16: ", "byte 0xff is not UTF-8"],
            code: 1,
        },
        Case {
            name: "baseline: a path that is not UTF-8",
            files: &[(b"base\xff.toml", b"version = 1\naccount_id = \"12345678901\"\n")],
            args: &[b"--baseline", b"{dir}/base\xff.toml", b"baseline", b"show"],
            stderr: &["{dir}/base\u{fffd}.toml:2:14: ", "'12345678901' is not a 12-digit"],
            code: 1,
        },
        // Flags.
        Case {
            name: "flag: malformed region name",
            files: &[],
            args: &[b"--regions", b"us-east-1,mars", b"scan"],
            stderr: &["--regions", "'mars' is not a region name"],
            code: 2,
        },
        Case {
            name: "flag: a region the partition does not have",
            // The default timeouts: moto's first EC2 call can take seconds on a busy machine.
            files: &[],
            args: &[
                b"--endpoint-url",
                b"{moto}",
                b"--regions",
                b"us-east-1,us-moon-1",
                b"scan",
            ],
            stderr: &[
                "UnknownRegion: --regions names us-moon-1, not a region of this partition",
                "us-east-2",
            ],
            code: 1,
        },
        Case {
            name: "flag: unknown format",
            files: &[],
            args: &[b"scan", b"--format", b"yaml"],
            stderr: &["--format", "'yaml'"],
            code: 2,
        },
        Case {
            name: "flag: endpoint that is not a URL",
            files: &[],
            args: &[b"--endpoint-url", b"moto:5000", b"scan"],
            stderr: &["--endpoint-url", "'moto:5000' is not an http:// or https:// URL"],
            code: 2,
        },
        // Endpoints.
        Case {
            name: "endpoint: connection refused",
            files: &[(b"fast.toml", FAST)],
            args: &[
                b"--config",
                b"{dir}/fast.toml",
                b"--endpoint-url",
                b"{refused}",
                b"scan",
                b"--format",
                b"json",
            ],
            stderr: &[
                "no answer from the endpoint {refused} (--endpoint-url or AWS_ENDPOINT_URL)",
                "sts GetCallerIdentity in us-east-1: Connection",
                "Connection refused",
            ],
            code: 1,
        },
        Case {
            name: "endpoint: accepts the connection, never answers",
            files: &[(b"fast.toml", FAST)],
            args: &[
                b"--config",
                b"{dir}/fast.toml",
                b"--endpoint-url",
                b"{silent}",
                b"scan",
            ],
            stderr: &[
                "no answer from the endpoint {silent} (--endpoint-url or AWS_ENDPOINT_URL)",
                "sts GetCallerIdentity in us-east-1: Timeout",
                "after 2s",
            ],
            code: 1,
        },
    ]
}

/// `text` with the placeholders filled in.
fn fill(text: &[u8], dir: &Path, endpoints: &[(&str, &str)]) -> Vec<u8> {
    let mut out = text.to_vec();
    let dir = dir.as_os_str().as_bytes();
    for (name, value) in [("{dir}", dir)]
        .into_iter()
        .chain(endpoints.iter().map(|(n, v)| (*n, v.as_bytes())))
    {
        let name = name.as_bytes();
        while let Some(at) = out.windows(name.len()).position(|w| w == name) {
            out.splice(at..at + name.len(), value.iter().copied());
        }
    }
    out
}

/// A finished (or killed) run of the binary.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Still running after the limit: killed.
    hung: bool,
}

/// Runs `command`, killing it if it is still running after `limit`.
fn run_bounded(command: &mut Command, limit: Duration) -> Run {
    fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run firebreak");
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let mut hung = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            hung = true;
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
        hung,
    }
}

/// Runs one row; what was wrong with it, if anything.
fn check(case: &Case, endpoints: &[(&str, &str)]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in case.files {
        std::fs::write(dir.path().join(OsStr::from_bytes(name)), content).expect("write");
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_firebreak"));
    isolate_aws_env(&mut command, dir.path());
    for arg in case.args {
        command.arg(OsStr::from_bytes(&fill(arg, dir.path(), endpoints)));
    }
    let output = run_bounded(&mut command, LIMIT);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut wrong = Vec::new();
    if output.hung {
        wrong.push(format!("still running after {LIMIT:?}: killed"));
    } else if output.code != Some(case.code) {
        wrong.push(format!("exit {:?}, expected {}", output.code, case.code));
    }
    for needle in case.stderr {
        let needle =
            String::from_utf8_lossy(&fill(needle.as_bytes(), dir.path(), endpoints)).into_owned();
        if !stderr.contains(&needle) {
            wrong.push(format!("stderr lacks {needle:?}"));
        }
    }
    if stderr.contains("panicked") {
        wrong.push("panicked".to_string());
    }
    if !output.stdout.is_empty() {
        wrong.push(format!(
            "stdout not empty: {}",
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    (!wrong.is_empty()).then(|| format!("{}: {}\n  stderr: {stderr}", case.name, wrong.join("; ")))
}

#[test]
fn bad_input_is_a_clear_error_never_a_panic_or_a_hang() {
    // Nobody listens here: bind a port, then let it go.
    let refused = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| format!("http://127.0.0.1:{}", a.port()))
        .expect("free port");
    // The kernel completes the handshake of a listening socket nobody accepts on: the request is
    // sent, and no answer ever comes.
    let silent_listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent = format!(
        "http://127.0.0.1:{}",
        silent_listener.local_addr().expect("address").port()
    );
    let moto = TestBed::start();
    let moto_endpoint = moto.endpoint();
    let endpoints = [
        ("{refused}", refused.as_str()),
        ("{silent}", silent.as_str()),
        ("{moto}", moto_endpoint.as_str()),
    ];
    // The rows are independent: all at once, so the slow ones (timeouts, the emulator) overlap.
    let cases = cases();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .map(|case| scope.spawn(|| check(case, &endpoints)))
            .collect();
        runs.into_iter()
            .filter_map(|run| run.join().expect("row thread"))
            .collect()
    });
    drop(silent_listener);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
