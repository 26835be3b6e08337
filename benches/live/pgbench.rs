//! The application load of the disturbance benchmark: `pgbench` running a custom script at a fixed rate with several
//! clients, its per-transaction log read back as completion times and latencies. pgbench is stopped with SIGALRM, the
//! signal its `-T` timer uses, so it ends as if its duration were over: logs flushed, summary printed.

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{fail, now};

const PGBENCH: &str = "pgbench";

/// Fails the benchmark unless `pgbench` runs.
pub fn check_installed() {
    let ran = Command::new(PGBENCH).arg("--version").output();
    match ran {
        Ok(output) if output.status.success() => {}
        Ok(output) => fail(format!("`pgbench --version` failed: {}", String::from_utf8_lossy(&output.stderr).trim())),
        Err(e) => fail(format!(
            "cannot run pgbench ({e}): install it with `apt-get install postgresql-client` (Debian/Ubuntu)"
        )),
    }
}

/// Where and how the load connects, and how hard it pushes.
pub struct Spec<'a> {
    pub port: u16,
    pub role: &'a str,
    pub password: &'a str,
    pub database: &'a str,
    pub clients: u32,
    /// Transactions per second, over all clients (pgbench `-R`).
    pub rate: u32,
    /// The pgbench script.
    pub script: &'a str,
    /// `-D name=value` variables of the script.
    pub variables: Vec<(&'static str, String)>,
}

/// A pgbench run in progress.
pub struct Load {
    child: Child,
    dir: PathBuf,
    pub started: f64,
}

/// What the load saw.
#[derive(Debug, Default)]
pub struct Transactions {
    /// (completion time in seconds since the epoch, latency in ms from the scheduled start) of each committed one.
    pub done: Vec<(f64, f64)>,
    /// Transactions that failed and were counted as such (serialization failures, deadlocks).
    pub failed: usize,
    /// Clients that stopped on an error (any other error ends a pgbench client).
    pub aborted_clients: usize,
    /// pgbench's error lines.
    pub errors: Vec<String>,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl Load {
    pub fn start(spec: &Spec<'_>) -> Load {
        let dir = std::env::temp_dir().join(format!("bellows-bench-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        fs::create_dir_all(&dir).unwrap_or_else(|e| fail(format!("cannot create {}: {e}", dir.display())));
        let script = dir.join("app.sql");
        fs::write(&script, spec.script).unwrap_or_else(|e| fail(format!("cannot write {}: {e}", script.display())));
        let threads = spec.clients.clamp(1, 2);
        let mut command = Command::new(PGBENCH);
        command
            .args(["--no-vacuum", "--log", "--log-prefix=app", "--time=36000"])
            .arg(format!("--client={}", spec.clients))
            .arg(format!("--jobs={threads}"))
            .arg(format!("--rate={}", spec.rate))
            .arg("--file=app.sql")
            .args(spec.variables.iter().map(|(name, value)| format!("--define={name}={value}")))
            .args(["-h", "127.0.0.1", "-p", &spec.port.to_string(), "-U", spec.role, spec.database])
            .env("PGPASSWORD", spec.password)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = command.spawn().unwrap_or_else(|e| fail(format!("cannot start pgbench: {e}")));
        Load { child, dir, started: now() }
    }

    /// Ends the run (pgbench's own end-of-duration signal) and reads its logs.
    pub fn stop(self) -> Transactions {
        let pid = self.child.id().to_string();
        let signalled = Command::new("kill").args(["-ALRM", &pid]).status();
        if !signalled.is_ok_and(|s| s.success()) {
            fail("cannot signal pgbench to stop (it may have died: see its errors)");
        }
        let output = self.child.wait_with_output().unwrap_or_else(|e| fail(format!("pgbench did not end: {e}")));
        let stderr = String::from_utf8_lossy(&output.stderr);
        // Exit code 2 means clients aborted, which is a figure; anything else non-zero is a broken run.
        if !output.status.success() && output.status.code() != Some(2) {
            fail(format!("pgbench failed ({}):\n{stderr}", output.status));
        }
        let mut transactions = Transactions {
            aborted_clients: stderr.lines().filter(|l| l.contains("aborted in command")).count(),
            errors: stderr.lines().filter(|l| l.contains("error")).map(str::to_string).collect(),
            ..Transactions::default()
        };
        let logs = fs::read_dir(&self.dir).unwrap_or_else(|e| fail(format!("cannot read {}: {e}", self.dir.display())));
        for entry in logs.flatten() {
            if !entry.file_name().to_string_lossy().starts_with("app.") || entry.file_name() == "app.sql" {
                continue;
            }
            let text = fs::read_to_string(entry.path()).unwrap_or_else(|e| fail(format!("cannot read a pgbench log: {e}")));
            for line in text.lines() {
                read_line(line, &mut transactions);
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
        transactions.done.sort_by(|a, b| a.0.total_cmp(&b.0));
        if transactions.done.is_empty() {
            fail(format!("pgbench completed no transaction:\n{stderr}"));
        }
        transactions
    }
}

/// One line of the per-transaction log: `client tx time script epoch microseconds [lag]`; `time` is the latency in µs
/// from the scheduled start, or a word for a transaction that failed.
fn read_line(line: &str, into: &mut Transactions) {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [_, _, time, _, epoch, micros, ..] = fields[..] else {
        fail(format!("unexpected pgbench log line: {line:?}"));
    };
    let Ok(latency) = time.parse::<f64>() else {
        into.failed += 1;
        return;
    };
    let (Ok(epoch), Ok(micros)) = (epoch.parse::<f64>(), micros.parse::<f64>()) else {
        fail(format!("unexpected pgbench log line: {line:?}"));
    };
    into.done.push((epoch + micros / 1e6, latency / 1000.0));
}

impl Transactions {
    /// Latencies (ms) of the transactions that completed in `[from, to)`.
    pub fn latencies(&self, from: f64, to: f64) -> Vec<f64> {
        self.done.iter().filter(|(at, _)| *at >= from && *at < to).map(|(_, ms)| *ms).collect()
    }

    /// The longest stretch within `[from, to]` with no completed transaction: (seconds, when it began).
    pub fn longest_stall(&self, from: f64, to: f64) -> (f64, f64) {
        let mut previous = from;
        let mut longest = (0.0, from);
        let inside = self.done.iter().map(|(at, _)| *at).filter(|at| *at > from && *at < to);
        for at in inside.chain(std::iter::once(to)) {
            if at - previous > longest.0 {
                longest = (at - previous, previous);
            }
            previous = at;
        }
        longest
    }
}
