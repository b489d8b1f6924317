//! A child process of this test binary, run for one test with `--exact`,
//! its stdout read line by line on a thread: the crash suites' writer and
//! consumer, killed with SIGKILL by the parent.

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Child {
    process: std::process::Child,
    lines: mpsc::Receiver<String>,
    reader: JoinHandle<()>,
}

/// Runs test `test` (`module::name`) of this binary with `env` set.
pub fn spawn(test: &str, env: &[(&str, String)]) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut process = command.spawn().unwrap();
    let stdout = process.stdout.take().unwrap();
    let (send, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    Child {
        process,
        lines,
        reader,
    }
}

impl Child {
    /// Waits until the child prints `ready` (after the test harness's own
    /// lines).
    pub fn wait_ready(&self) {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .expect("the child starts");
            if line.ends_with("ready") {
                return;
            }
        }
    }

    /// Waits for the child to end on its own: how it ended, and every
    /// line it printed after `ready`.
    pub fn wait(mut self) -> (ExitStatus, Vec<String>) {
        let status = self.process.wait().unwrap();
        self.reader.join().unwrap();
        (status, self.lines.try_iter().collect())
    }

    /// Kills the child with SIGKILL: how it ended, and every line it
    /// printed after `ready`.
    pub fn kill(mut self) -> (ExitStatus, Vec<String>) {
        self.process.kill().unwrap();
        let status = self.process.wait().unwrap();
        self.reader.join().unwrap();
        (status, self.lines.try_iter().collect())
    }
}

/// Spawns test `test` with `env`, lets it run for `pause` once it is
/// ready, and kills it with SIGKILL: every line it printed after `ready`.
pub fn killed_after(test: &str, env: &[(&str, String)], pause: Duration) -> Vec<String> {
    let child = spawn(test, env);
    child.wait_ready();
    std::thread::sleep(pause);
    let (status, lines) = child.kill();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "the child was killed");
    lines
}
