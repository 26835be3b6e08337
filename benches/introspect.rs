//! Benchmark: introspection of 1,000 tables (7 columns, 4 indexes and 4 constraints each, an enum, comments) on a
//! throwaway PostgreSQL started by the test harness, connected as the role that owns the tables. Prints the median,
//! fastest and slowest of several runs: in-process on an open connection, with the connection made each time, and
//! `bellows introspect` as a process. Run with `cargo bench --bench introspect`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use executor::{introspect, introspect_url, DatabaseUrl, Introspection};
use sqlx::{Connection, PgConnection};
use support::blocking::block_on;

const TABLES: usize = 1000;
const RUNS: usize = 11;

/// The DDL of tables `range`: each references the one before it.
fn tables(range: std::ops::Range<usize>) -> String {
    let mut sql = String::new();
    for i in range {
        let t = format!("table_{i:04}");
        let parent = if i == 0 {
            String::new()
        } else {
            format!("CONSTRAINT {t}_parent_fk REFERENCES table_{:04} (id) ON DELETE CASCADE", i - 1)
        };
        let _ = write!(
            sql,
            "CREATE TABLE {t} (
               id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
               parent_id bigint {parent},
               name text NOT NULL,
               email varchar(320),
               amount numeric(12,2) NOT NULL DEFAULT 0,
               status status NOT NULL DEFAULT 'new',
               created_at timestamptz NOT NULL DEFAULT now(),
               CONSTRAINT {t}_amount_positive CHECK (amount >= 0),
               CONSTRAINT {t}_email_key UNIQUE (email));
             CREATE INDEX {t}_name_idx ON {t} (name);
             CREATE INDEX {t}_lower_email_idx ON {t} (lower(email)) WHERE email IS NOT NULL;
             COMMENT ON TABLE {t} IS 'generated table {i}';\n"
        );
    }
    sql
}

fn stats(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:7.1} ms   fastest {:7.1} ms   slowest {:7.1} ms",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1])
    )
}

fn main() {
    let owner = support::owner::owned_database();
    let setup = Instant::now();
    block_on(|| async {
        let mut connection = PgConnection::connect(&owner.url).await.expect("connects");
        sqlx::raw_sql("CREATE TYPE status AS ENUM ('new', 'active', 'closed')")
            .execute(&mut connection)
            .await
            .expect("creates the enum");
        for start in (0..TABLES).step_by(100) {
            let ddl = format!("BEGIN;\n{}COMMIT;", tables(start..start + 100));
            sqlx::raw_sql(&ddl).execute(&mut connection).await.expect("creates the tables");
        }
        sqlx::raw_sql("ANALYZE").execute(&mut connection).await.expect("analyses");
    });
    let setup = setup.elapsed();

    let url = DatabaseUrl::new(owner.url.clone());
    let (open, connected, last) = block_on(|| async {
        let mut connection = PgConnection::connect(&owner.url).await.expect("connects");
        let mut open = Vec::new();
        let mut last: Option<Introspection> = None;
        for _ in 0..RUNS {
            let start = Instant::now();
            let read = introspect(&mut connection).await.expect("introspects");
            open.push(start.elapsed());
            last = Some(read);
        }
        let mut connected = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            introspect_url(&url).await.expect("introspects");
            connected.push(start.elapsed());
        }
        (open, connected, last.expect("at least one run"))
    });
    let mut command = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_bellows"))
            .args(["introspect", "--database-url", &owner.url])
            .output()
            .expect("bellows runs");
        command.push(start.elapsed());
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    let schema = &last.schema;
    let count = |f: fn(&planner::model::Table) -> usize| schema.tables.values().map(f).sum::<usize>();
    println!(
        "introspect: {} tables, {} columns, {} indexes, {} constraints, {} enum; PostgreSQL {}; setup {:.1} s",
        schema.tables.len(),
        count(|t| t.columns.len()),
        count(|t| t.indexes.len() + t.uniques.len() + usize::from(t.primary_key.is_some())),
        count(|t| t.checks.len() + t.foreign_keys.len() + t.uniques.len() + usize::from(t.primary_key.is_some())),
        schema.enums.len(),
        last.server_version,
        setup.as_secs_f64()
    );
    println!("  introspect (open connection)     {}   ({RUNS} runs)", stats(open));
    println!("  connect + introspect             {}   ({RUNS} runs)", stats(connected));
    println!("  `bellows introspect` as process  {}   ({RUNS} runs)", stats(command));
}
