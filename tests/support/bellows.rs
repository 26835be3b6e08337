//! The `bellows` command as a child process: run to the end, or started with its JSON
//! events streamed back so a test can act (kill it, say) at a chosen moment.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A finished run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

impl Run {
    /// The JSON events it printed on standard error.
    pub fn events(&self) -> Vec<Value> {
        self.stderr.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }
}

fn command(args: &[&str], url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bellows"));
    command.args(args);
    // The runner's commands report progress; JSON lines let a test follow them.
    if ["apply", "complete", "abort"].contains(&args[0]) && !args.contains(&"--dry-run") {
        command.args(["--progress", "json"]);
    }
    command.env("NO_COLOR", "1").env("DATABASE_URL", url);
    command
}

/// Runs `bellows ARGS` (with `--progress json` for the runner's commands) against `url` to the end.
pub fn run(args: &[&str], url: &str) -> Run {
    let out = command(args, url).output().expect("bellows runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A running `bellows` and its events as they come.
pub struct Running {
    child: Child,
    events: Receiver<Value>,
    pub seen: Vec<Value>,
}

/// Starts `bellows ARGS --progress json` against `url`.
pub fn start(args: &[&str], url: &str) -> Running {
    let mut child = command(args, url).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("bellows starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let (send, events) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(event) = serde_json::from_str::<Value>(&line) {
                if send.send(event).is_err() {
                    return;
                }
            }
        }
    });
    Running {
        child,
        events,
        seen: Vec::new(),
    }
}

impl Running {
    /// Waits (at most `within`) for an event that `wanted` accepts; panics if none comes.
    pub fn wait_for(&mut self, within: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => {
                    self.seen.push(event.clone());
                    if wanted(&event) {
                        return event;
                    }
                }
                Err(_) => panic!("no such event within {within:?}; seen: {:#?}", self.seen),
            }
        }
    }

    /// The process id (to send it a signal).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to clean up, as a crash or an OOM kill.
    pub fn kill(mut self) {
        self.child.kill().expect("bellows is killed");
        let _ = self.child.wait();
    }

    /// Waits for it to exit; its exit code (its events are in `seen`).
    pub fn wait(&mut self) -> i32 {
        let status = self.child.wait().expect("bellows exits");
        while let Ok(event) = self.events.recv_timeout(Duration::from_millis(200)) {
            self.seen.push(event);
        }
        status.code().unwrap_or(-1)
    }
}

/// True for an event of kind `event` about a step whose id starts with `step`.
pub fn is(event: &Value, kind: &str, step: &str) -> bool {
    event["event"] == kind && event["step"].as_str().is_some_and(|s| s.starts_with(step))
}

/// The schema files of a test, written to a directory of its own: (before, after) paths.
pub fn schema_files(test: &str, before: &str, after: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("bellows-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let (b, a) = (dir.join("before.toml"), dir.join("after.toml"));
    std::fs::write(&b, before).expect("write before.toml");
    std::fs::write(&a, after).expect("write after.toml");
    let text = |p: std::path::PathBuf| p.to_str().expect("a UTF-8 path").to_string();
    (text(b), text(a))
}

/// `bellows status --format json` against `url` (it must succeed).
pub fn status_json(url: &str) -> Value {
    let status = run(&["status", "--format", "json"], url);
    assert_eq!(status.code, 0, "{status:?}");
    serde_json::from_str(&status.stdout).expect("status prints JSON")
}

/// The step of a `status` JSON whose id starts with `prefix`.
pub fn status_step<'a>(status: &'a Value, prefix: &str) -> &'a Value {
    status["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"].as_str().is_some_and(|id| id.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no step {prefix}: {status:#}"))
}
