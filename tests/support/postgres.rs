//! Starts one throwaway PostgreSQL server per test binary and hands every test a fresh, empty database on it; a test
//! that checks several PostgreSQL majors gets one more server per major ([`server_of_major`]).
//!
//! A server lives in a new temporary directory, listens only on 127.0.0.1 at a free port, and is tuned for
//! throwaway data (no fsync, no autovacuum). It is stopped and its directory removed when the test binary exits:
//! an `atexit` hook stops it synchronously, and a watchdog process stops it if the binary dies without running
//! exit hooks (SIGKILL, abort). If a server cannot be started the tests panic: they never skip.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Once, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::Connection;

use super::blocking::block_on;
use super::postgres_majors;

/// Settings appended to postgresql.conf. Durability is pointless for throwaway data; autovacuum is off so that it
/// neither takes locks nor bumps statistics behind the lock observer's back.
const TEST_SETTINGS: &str = "
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
max_connections = 200
shared_buffers = 32MB
log_min_messages = warning
";

const INSTALL_HINT: &str = "install the PostgreSQL server with `apt-get install postgresql` (Debian/Ubuntu), \
or put the directory holding `initdb`, `pg_ctl` and `postgres` on PATH";

/// A running server owned by this test process.
pub struct PgServer {
    /// TCP port on 127.0.0.1.
    pub port: u16,
    /// Major version of the server binaries, e.g. 15.
    pub major_version: u32,
    dir: PathBuf,
    bindir: PathBuf,
    run_as_postgres: bool,
    /// Holds the write end of the watchdog's stdin open for as long as this process lives; see `spawn_watchdog`.
    _watchdog: Option<Child>,
}

static SERVER: OnceLock<PgServer> = OnceLock::new();
/// The servers of the pinned majors, each started on first use.
static MAJOR_SERVERS: OnceLock<BTreeMap<u32, OnceLock<PgServer>>> = OnceLock::new();
static NEXT_DATABASE: AtomicU64 = AtomicU64::new(1);

/// The server shared by all tests of this binary, started on first use from the installed PostgreSQL (see
/// `find_bindir`). Panics with the cause if it cannot start.
pub fn server() -> &'static PgServer {
    SERVER.get_or_init(|| match find_bindir().and_then(PgServer::start) {
        Ok(server) => {
            register_exit_hook();
            server
        }
        Err(why) => panic!("bellows integration tests need a PostgreSQL server that they start themselves, and starting it failed: {why}\n{INSTALL_HINT}"),
    })
}

/// The server of PostgreSQL `major` (one of `scripts/postgres-majors.txt`), shared by all tests of this binary that ask
/// for that major and started on first use from the cached binaries; servers of different majors run side by side on
/// ports of their own. Panics with the cause if it cannot start: a major that does not run fails the test, never
/// skips it.
pub fn server_of_major(major: u32) -> &'static PgServer {
    let servers = MAJOR_SERVERS.get_or_init(|| postgres_majors::majors().into_iter().map(|major| (major, OnceLock::new())).collect());
    let Some(slot) = servers.get(&major) else {
        panic!(
            "PostgreSQL {major} is not pinned in scripts/postgres-majors.txt (pinned: {:?})",
            postgres_majors::majors()
        );
    };
    slot.get_or_init(|| {
        let started = postgres_majors::bindir(major).and_then(PgServer::start).and_then(|server| {
            if server.major_version == major {
                Ok(server)
            } else {
                let found = server.major_version;
                server.stop();
                Err(format!("the binaries for PostgreSQL {major} are PostgreSQL {found}"))
            }
        });
        match started {
            Ok(server) => {
                register_exit_hook();
                server
            }
            Err(why) => panic!("cannot start the PostgreSQL {major} test server: {why}"),
        }
    })
}

/// URL of a new, empty database with a unique name on [`server`]; every test should use its own.
pub fn fresh_database() -> String {
    block_on(fresh_database_async)
}

/// Async form of [`fresh_database`] for `#[tokio::test]` tests.
pub async fn fresh_database_async() -> String {
    fresh_database_on_async(server()).await
}

/// Like [`fresh_database`], on `server` (e.g. one of [`server_of_major`]).
pub fn fresh_database_on(server: &PgServer) -> String {
    block_on(|| fresh_database_on_async(server))
}

/// Async form of [`fresh_database_on`].
pub async fn fresh_database_on_async(server: &PgServer) -> String {
    let name = database_name();
    let mut admin = sqlx::PgConnection::connect(&server.url("postgres"))
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test server at port {}: {e}", server.port));
    sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    // Closing politely; a failure here cannot affect the new database.
    let _ = admin.close().await;
    server.url(&name)
}

/// `bellows_<n>_<test name>`: unique within the server, and the test name makes a leftover database traceable.
fn database_name() -> String {
    let n = NEXT_DATABASE.fetch_add(1, Ordering::Relaxed);
    let thread = std::thread::current();
    let test: String = thread
        .name()
        .unwrap_or("unnamed")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    let name = format!("bellows_{n}_{test}");
    // PostgreSQL truncates identifiers to 63 bytes; truncating here keeps the URL and the real name equal.
    name.chars().take(63).collect()
}

impl PgServer {
    /// Connection URL for database `database` as the superuser `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A new empty directory `name` in the server's private directory, owned by the server's OS user: a location for
    /// `CREATE TABLESPACE`. Removed with the server.
    pub fn private_dir(&self, name: &str) -> PathBuf {
        let dir = self.dir.join(name);
        fs::create_dir(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        if self.run_as_postgres {
            let owner = id(&["-u", "postgres"]).and_then(|uid| Ok((uid, id(&["-g", "postgres"])?)));
            let (uid, gid) = owner.unwrap_or_else(|e| panic!("cannot find the postgres OS user: {e}"));
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap_or_else(|e| panic!("cannot chown {}: {e}", dir.display()));
        }
        dir
    }

    /// Starts a server from the binaries in `bindir`.
    fn start(bindir: PathBuf) -> Result<PgServer, String> {
        let major_version = server_major_version(&bindir)?;
        let run_as_postgres = effective_uid()? == 0;
        let dir = make_server_dir(run_as_postgres)?;
        let mut server = PgServer {
            port: 0,
            major_version,
            dir,
            bindir,
            run_as_postgres,
            _watchdog: None,
        };
        // The watchdog first, so that a test binary killed while the server starts leaves nothing behind either.
        let started = server.spawn_watchdog().and_then(|watchdog| {
            server._watchdog = Some(watchdog);
            server.init_and_start()
        });
        if let Err(why) = started {
            server.stop();
            return Err(why);
        }
        Ok(server)
    }

    fn init_and_start(&mut self) -> Result<(), String> {
        let data = self.dir.join("data");
        let initdb = [
            "-D",
            path_str(&data)?,
            "--auth=trust",
            "-U",
            "postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ];
        self.run("initdb", &initdb)?;
        require_passwords_of(&data.join("pg_hba.conf"))?;
        let settings = format!("{TEST_SETTINGS}unix_socket_directories = '{}'\n", path_str(&self.dir)?);
        fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .and_then(|mut conf| conf.write_all(settings.as_bytes()))
            .map_err(|e| format!("cannot write test settings to postgresql.conf: {e}"))?;
        // Between choosing a free port and the server binding it another process may take it: try a few ports.
        let mut last_error = String::new();
        for _ in 0..3 {
            self.port = free_port()?;
            let port_option = format!("-p {}", self.port);
            let log = self.dir.join("server.log");
            let start = ["start", "-w", "-t", "30", "-D", path_str(&data)?, "-l", path_str(&log)?, "-o", &port_option];
            match self.run("pg_ctl", &start) {
                Ok(_) => return Ok(()),
                Err(why) => {
                    let log_text = fs::read_to_string(&log).unwrap_or_default();
                    last_error = format!("{why}\nserver log:\n{log_text}");
                    if !log_text.contains("could not bind") && !log_text.contains("Address already in use") {
                        break;
                    }
                }
            }
        }
        Err(last_error)
    }

    /// Stops the server immediately (the data is thrown away) and removes its directory. Idempotent.
    fn stop(&self) {
        if self.dir.join("data").join("postmaster.pid").exists() {
            if let Ok(data) = path_str(&self.dir.join("data")) {
                let _ = self.run("pg_ctl", &["stop", "-w", "-t", "30", "-m", "immediate", "-D", data]);
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }

    /// Runs a server binary, as the `postgres` OS user when we are root (PostgreSQL refuses to run as root).
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, String> {
        let binary = self.bindir.join(program);
        let mut command = if self.run_as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&binary);
            command
        } else {
            Command::new(&binary)
        };
        // A process group of its own keeps Ctrl-C on `cargo test` from reaching pg_ctl and the postmaster it forks;
        // cleanup is the exit hook's and the watchdog's job.
        command.args(args).current_dir(&self.dir).stdin(Stdio::null()).process_group(0);
        let output = command.output().map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(format!(
                "{} {} failed ({}):\n{}{}",
                binary.display(),
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// A shell that waits for EOF on its stdin, then stops the server and removes its directory.
    ///
    /// The write end of that stdin lives in this process only (Rust opens pipes close-on-exec), so the kernel closes
    /// it however the test binary ends, including SIGKILL, when no exit hook runs.
    fn spawn_watchdog(&self) -> Result<Child, String> {
        let data = shell_quote(path_str(&self.dir.join("data"))?);
        let pg_ctl = shell_quote(path_str(&self.bindir.join("pg_ctl"))?);
        let as_postgres = if self.run_as_postgres { "runuser -u postgres -- " } else { "" };
        let script = format!(
            "cat >/dev/null; [ -f {data}/postmaster.pid ] && {as_postgres}{pg_ctl} stop -w -t 30 -m immediate -D {data}; rm -rf {}",
            shell_quote(path_str(&self.dir)?)
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start the cleanup watchdog: {e}"))
    }
}

extern "C" {
    /// C library `atexit`: Rust never drops statics, so this is how the shared server is stopped on normal exit.
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn stop_servers_at_exit() {
    let majors = MAJOR_SERVERS.get().into_iter().flat_map(BTreeMap::values).filter_map(OnceLock::get);
    for server in SERVER.get().into_iter().chain(majors) {
        server.stop();
    }
}

/// Registers the hook that stops every started server, once per process.
fn register_exit_hook() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: `atexit` only stores the function pointer; the callback is a plain `extern "C" fn` that does not
        // unwind (`stop` ignores every error).
        let status = unsafe { atexit(stop_servers_at_exit) };
        // Failing to register leaves cleanup to the watchdogs, which still stop the servers once this process is gone.
        debug_assert_eq!(status, 0, "atexit registration failed");
    });
}

/// `$BELLOWS_PG_BINDIR` (to test against another installed version), else `pg_config --bindir` if it holds the
/// server binaries, else the highest `/usr/lib/postgresql/*/bin`, else PATH.
fn find_bindir() -> Result<PathBuf, String> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("BELLOWS_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return if has_server(&dir) {
            Ok(dir)
        } else {
            Err(format!("BELLOWS_PG_BINDIR={} does not hold initdb, pg_ctl and postgres", dir.display()))
        };
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if output.status.success() && has_server(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path().join("bin"))))
        .filter(|(_, dir)| has_server(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Ok(dir);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|dir| has_server(dir))
        .ok_or_else(|| "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found via pg_config, /usr/lib/postgresql/*/bin or PATH".to_string())
}

fn server_major_version(bindir: &Path) -> Result<u32, String> {
    let output = Command::new(bindir.join("postgres"))
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run {}/postgres --version: {e}", bindir.display()))?;
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .nth(2)
        .and_then(|version| version.split('.').next())
        .and_then(|major| major.parse().ok())
        .ok_or_else(|| format!("cannot read the server version from `postgres --version`: {text:?}"))
}

pub(super) fn effective_uid() -> Result<u32, String> {
    id(&["-u"])
}

fn id(args: &[&str]) -> Result<u32, String> {
    let output = Command::new("id").args(args).output().map_err(|e| format!("cannot run id: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("id {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()));
    }
    text.trim().parse().map_err(|_| format!("id {} printed {text:?}", args.join(" ")))
}

/// A new private directory for the data directory, the socket and the log; owned by `postgres` when we are root.
fn make_server_dir(run_as_postgres: bool) -> Result<PathBuf, String> {
    // As root, `/tmp` rather than `$TMPDIR`: the `postgres` user must be able to reach the directory, and a root
    // TMPDIR such as /root/tmp is not traversable by it.
    let base = if run_as_postgres { PathBuf::from("/tmp") } else { std::env::temp_dir() };
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir = base.join(format!("bellows-pg-{}-{nanos}", std::process::id()));
    fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(|e| format!("cannot chmod {}: {e}", dir.display()))?;
    if run_as_postgres {
        let uid = id(&["-u", "postgres"]).map_err(|e| format!("running as root needs the `postgres` OS user ({e})"))?;
        let gid = id(&["-g", "postgres"])?;
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(|e| format!("cannot chown {} to postgres: {e}", dir.display()))?;
    }
    Ok(dir)
}

/// Members of this role must log in with their password (SCRAM); everyone else is trusted. `support::owner`
/// makes its roles members, so that a test can tell a right password from a wrong one.
pub const PASSWORD_LOGIN_ROLE: &str = "bellows_password_login";

/// Puts the SCRAM rule for [`PASSWORD_LOGIN_ROLE`] before initdb's trust rules (the first matching line wins; a
/// group that does not exist yet matches no one).
fn require_passwords_of(hba: &Path) -> Result<(), String> {
    let rules = fs::read_to_string(hba).map_err(|e| format!("cannot read {}: {e}", hba.display()))?;
    let rule = format!("host all +{PASSWORD_LOGIN_ROLE} 127.0.0.1/32 scram-sha-256\n");
    fs::write(hba, format!("{rule}{rules}")).map_err(|e| format!("cannot write {}: {e}", hba.display()))
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| format!("cannot read the free port: {e}"))
}

fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str().ok_or_else(|| format!("path is not UTF-8: {}", path.display()))
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
