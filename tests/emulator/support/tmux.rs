//! Driving the real binary in a tmux pane: a private tmux server per test, killed on drop.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A private tmux server with one session.
pub struct Tmux {
    socket: String,
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

impl Tmux {
    /// Starts `program args` in a `width`×`height` pane with environment changes applied. After
    /// the program exits, the pane prints `EXITED <code>` and stays open.
    pub fn start(
        width: u16,
        height: u16,
        removed_env: &[&str],
        env: &[(&str, String)],
        program: &str,
        args: &[String],
    ) -> Self {
        // Unique per server, so tests sharing a process (plain `cargo test`) never share one.
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "firebreak-test-{}-{}",
            std::process::id(),
            SERVERS.fetch_add(1, Ordering::Relaxed)
        );
        let mut line = String::from("env");
        for name in removed_env {
            line.push_str(&format!(" -u {name}"));
        }
        for (name, value) in env {
            line.push_str(&format!(" {name}={}", shell_quote(value)));
        }
        line.push_str(&format!(" {}", shell_quote(program)));
        for arg in args {
            line.push_str(&format!(" {}", shell_quote(arg)));
        }
        line.push_str("; echo EXITED $?; sleep 600");
        let tmux = Tmux { socket };
        let output = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            &line,
        ]);
        assert!(output.status.success(), "tmux new-session: {output:?}");
        tmux
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap_or_else(|err| {
                panic!("tmux is required for this test (apt-get install tmux): {err}")
            })
    }

    /// The visible pane text.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "main"]).stdout)
            .into_owned()
    }

    /// Waits until the screen contains `needle`; returns the screen, or panics with it.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{needle:?} to appear"), timeout, |screen| {
            screen.contains(needle)
        })
    }

    /// Waits until the screen no longer contains `needle`; returns the screen, or panics with it.
    pub fn wait_gone(&self, needle: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{needle:?} to go"), timeout, |screen| {
            !screen.contains(needle)
        })
    }

    /// Waits until `ready` holds for the screen; returns the screen, or panics with `what` and
    /// the screen.
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("waited {timeout:?} for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
