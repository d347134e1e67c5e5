//! A local `moto_server` (the AWS emulator) on a free loopback port: started, waited for and
//! stopped by whoever owns it; each test gets its own. Tests use it; game days will too.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Environment variable naming the `moto_server` executable to use.
pub const MOTO_SERVER_ENV: &str = "FIREBREAK_MOTO";

/// How to get moto, for the message when it cannot be found.
pub const SETUP_HINT: &str = "install it into the project's virtualenv with \
     `python3 -m venv .venv && .venv/bin/pip install 'moto[server]>=5.1,<6'` \
     (or run `bash tests/install-moto.sh`), put moto_server on PATH, \
     or set FIREBREAK_MOTO to a moto_server executable";

/// Why the emulator could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("moto_server not found ({looked}): {hint}", hint = SETUP_HINT)]
    Missing { looked: String },
    #[error("cannot start {path}: {source}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("moto_server did not answer on port {port} within {waited:?}; its log:\n{log}")]
    NotReady {
        port: u16,
        waited: Duration,
        log: String,
    },
    #[error("moto_server request {what} failed: {detail}")]
    Request { what: String, detail: String },
}

/// A running `moto_server`, stopped (exactly this process) when dropped.
#[derive(Debug)]
pub struct Emulator {
    port: u16,
    log_path: PathBuf,
}

/// The servers this process started and still owns, by port: dropping an `Emulator` stops its
/// own; [`stop_all`] stops every one (a panic ends the process without dropping anything).
static RUNNING: Mutex<Vec<(u16, Child)>> = Mutex::new(Vec::new());

fn running() -> std::sync::MutexGuard<'static, Vec<(u16, Child)>> {
    RUNNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Stops every server this process started and still owns. For a panic hook: the process is
/// about to end without running destructors.
pub fn stop_all() {
    for (_, mut child) in running().drain(..) {
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn stop(port: u16) {
    let mut running = running();
    if let Some(position) = running.iter().position(|(p, _)| *p == port) {
        let (_, mut child) = running.remove(position);
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Emulator {
    /// The `moto_server` to run: `$FIREBREAK_MOTO`, else `.venv/bin/moto_server` under the
    /// first of `project_dirs` that has one, else `moto_server` on `PATH`. Fails saying how to
    /// install it.
    pub fn locate(project_dirs: &[&Path]) -> Result<PathBuf, EmulatorError> {
        Self::locate_with(
            std::env::var_os(MOTO_SERVER_ENV),
            project_dirs,
            std::env::var_os("PATH"),
        )
    }

    fn locate_with(
        from_env: Option<std::ffi::OsString>,
        project_dirs: &[&Path],
        path: Option<std::ffi::OsString>,
    ) -> Result<PathBuf, EmulatorError> {
        if let Some(named) = from_env {
            let named = PathBuf::from(named);
            return if named.is_file() {
                Ok(named)
            } else {
                Err(EmulatorError::Missing {
                    looked: format!("{MOTO_SERVER_ENV}={}", named.display()),
                })
            };
        }
        let mut candidates: Vec<PathBuf> = project_dirs
            .iter()
            .map(|dir| dir.join(".venv/bin/moto_server"))
            .collect();
        if let Some(path) = &path {
            candidates.extend(std::env::split_paths(path).map(|dir| dir.join("moto_server")));
        }
        match candidates.iter().find(|c| c.is_file()) {
            Some(found) => Ok(found.clone()),
            None => Err(EmulatorError::Missing {
                looked: format!(
                    "not in {}, nor on PATH",
                    project_dirs
                        .iter()
                        .map(|d| d.join(".venv/bin/moto_server").display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// Starts `moto_server` on a free loopback port and waits until it answers.
    pub fn start(moto_server: &Path) -> Result<Self, EmulatorError> {
        const ATTEMPTS: usize = 3;
        let mut last_error = None;
        // Another process may take the free port between our probe and moto's bind: try again.
        for _ in 0..ATTEMPTS {
            match Self::start_once(moto_server) {
                Ok(emulator) => return Ok(emulator),
                Err(err @ EmulatorError::NotReady { .. }) => last_error = Some(err),
                Err(err) => return Err(err),
            }
        }
        Err(last_error.unwrap_or(EmulatorError::Missing {
            looked: moto_server.display().to_string(),
        }))
    }

    fn start_once(moto_server: &Path) -> Result<Self, EmulatorError> {
        let port = free_port().map_err(|source| EmulatorError::Spawn {
            path: moto_server.to_path_buf(),
            source,
        })?;
        let log_path = std::env::temp_dir().join(format!("firebreak-moto-{port}.log"));
        let log = std::fs::File::create(&log_path).map_err(|source| EmulatorError::Spawn {
            path: log_path.clone(),
            source,
        })?;
        let stderr = log.try_clone().map_err(|source| EmulatorError::Spawn {
            path: log_path.clone(),
            source,
        })?;
        let child = Command::new(moto_server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(|source| EmulatorError::Spawn {
                path: moto_server.to_path_buf(),
                source,
            })?;
        running().push((port, child));
        let emulator = Emulator { port, log_path };
        let waited = Duration::from_secs(30);
        let deadline = Instant::now() + waited;
        // Another process's server may already answer on this port (it took the port between
        // our probe and our server's bind, and ours then fails to bind it): the port is ours
        // only once our own server's log says it runs there.
        let ours = format!("Running on http://127.0.0.1:{port}");
        loop {
            let bound =
                std::fs::read_to_string(&emulator.log_path).is_ok_and(|log| log.contains(&ours));
            if bound && emulator.request("GET", "/moto-api/").is_ok() {
                return Ok(emulator);
            }
            let exited = running()
                .iter_mut()
                .find(|(p, _)| *p == port)
                .is_none_or(|(_, child)| matches!(child.try_wait(), Ok(Some(_))));
            if exited || Instant::now() > deadline {
                let log = std::fs::read_to_string(&emulator.log_path).unwrap_or_default();
                return Err(EmulatorError::NotReady { port, waited, log });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Lets the server outlive this process (for other tools); returns its process id and
    /// the path of its log.
    pub fn leave_running(self) -> (u32, PathBuf) {
        let kept = std::mem::ManuallyDrop::new(self);
        let mut running = running();
        let pid = match running.iter().position(|(p, _)| *p == kept.port) {
            // No longer ours to stop: the handle goes, the process stays.
            Some(position) => running.remove(position).1.id(),
            None => 0,
        };
        (pid, kept.log_path.clone())
    }

    /// The URL to pass as `--endpoint-url`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One plain HTTP/1.0 request to moto's own API; returns the status code.
    fn request(&self, method: &str, path: &str) -> Result<u16, EmulatorError> {
        let what = format!("{method} {path}");
        let fail = |detail: String| EmulatorError::Request {
            what: what.clone(),
            detail,
        };
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))
            .map_err(|e| fail(e.to_string()))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| fail(e.to_string()))?;
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        )
        .map_err(|e| fail(e.to_string()))?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .map_err(|e| fail(e.to_string()))?;
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| fail(format!("unexpected answer: {response:.80}")))?;
        if (200..300).contains(&status) {
            Ok(status)
        } else {
            Err(fail(format!("HTTP {status}")))
        }
    }
}

/// Whether something accepts connections at `endpoint` (`http://IP:PORT`, as [`Emulator::endpoint`]
/// gives it) within `wait`: a private emulator left running may have been stopped since.
pub async fn listening(endpoint: &str, wait: Duration) -> bool {
    let Ok(address) = endpoint.trim_start_matches("http://").parse::<SocketAddr>() else {
        return false;
    };
    tokio::time::timeout(wait, tokio::net::TcpStream::connect(address))
        .await
        .is_ok_and(|connected| connected.is_ok())
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Stop exactly the process we started; it may already be gone.
        stop(self.port);
        let _ = std::fs::remove_file(&self.log_path);
    }
}

fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_moto_says_where_it_looked_and_how_to_install_it() {
        let err = Emulator::locate_with(None, &[Path::new("/nonexistent/firebreak")], None)
            .expect_err("no moto there");
        let shown = err.to_string();
        assert!(
            shown.contains("/nonexistent/firebreak/.venv/bin/moto_server")
                && shown.contains("pip install 'moto[server]")
                && shown.contains("FIREBREAK_MOTO"),
            "{shown}"
        );
        let err = Emulator::locate_with(Some("/nonexistent/moto".into()), &[], None)
            .expect_err("no moto there");
        assert!(err.to_string().contains("FIREBREAK_MOTO=/nonexistent/moto"));
    }

    #[test]
    fn moto_is_found_in_the_project_then_on_path() {
        let dir = tempfile::tempdir().expect("dir");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        std::fs::write(bin.join("moto_server"), "").expect("write");
        let path = std::env::join_paths([Path::new("/nonexistent"), &bin]).ok();
        let found = Emulator::locate_with(None, &[Path::new("/nonexistent")], path.clone())
            .expect("on PATH");
        assert_eq!(found, bin.join("moto_server"));
        let venv = dir.path().join("project/.venv/bin");
        std::fs::create_dir_all(&venv).expect("venv");
        std::fs::write(venv.join("moto_server"), "").expect("write");
        let found = Emulator::locate_with(None, &[&dir.path().join("project")], path)
            .expect("in the project");
        assert_eq!(found, venv.join("moto_server"));
    }
}
