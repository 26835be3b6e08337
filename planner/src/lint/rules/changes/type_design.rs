//! The type-design rules (BW901-BW905, off by default): column types that work today
//! and are costly to change once the table is big. They look at the types a statement
//! declares (`CREATE TABLE`, `ADD COLUMN`, `ALTER COLUMN TYPE`), on new tables too.

use pg_query::protobuf::{node::Node as N, AlterTableType as At, ColumnDef, ConstrType, TypeName};
use pg_query::NodeEnum;

use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::migration::ast;

/// A type-design rule: which declared columns it flags, what is wrong with them, and
/// what to use instead.
pub struct TypeDesign {
    meta: &'static RuleMeta,
    flags: fn(&Declared<'_>) -> bool,
    /// Follows the column's name: `payload is json: ...`.
    problem: &'static str,
    help: &'static str,
}

impl Rule for TypeDesign {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for column in declared(cx.node).into_iter().filter(|c| (self.flags)(c)) {
            out.push(Finding::new(
                cx.span_of_column(column.column),
                format!("{} {}", column.column, self.problem),
                self.help,
            ));
        }
    }
}

pub static PREFER_JSONB: TypeDesign = TypeDesign {
    meta: &RuleMeta {
    code: "BW901",
    name: "prefer-jsonb",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "a json column, where jsonb is almost always better",
    why: "json stores the text as written and re-parses it on every access; it cannot be indexed with GIN and has no equality operator, so DISTINCT, GROUP BY and UNION on it fail. jsonb (PostgreSQL 9.4+) is parsed once, indexable and comparable. Changing the type later rewrites the table under ACCESS EXCLUSIVE.",
    alternative: "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL);",
    },
    flags: |c| c.base == "json",
    problem: "is json: re-parsed on every access, not indexable, not comparable",
    help: "use jsonb, unless the exact text (key order, duplicate keys, whitespace) must be kept",
};

pub static PREFER_TIMESTAMPTZ: TypeDesign = TypeDesign {
    meta: &RuleMeta {
    code: "BW902",
    name: "prefer-timestamptz",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "a timestamp without time zone column",
    why: "timestamp without time zone stores a wall-clock reading with no zone: the same instant written by sessions with different TimeZone settings compares unequal, and arithmetic across daylight-saving changes is wrong. timestamptz stores an instant and converts on input and output. Changing the type later rewrites the table unless the session TimeZone is UTC (PostgreSQL 12+).",
    alternative: "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());",
    },
    flags: |c| c.base == "timestamp",
    problem: "is timestamp without time zone: the same instant written from different time zones compares unequal",
    help: "use timestamptz (timestamp with time zone)",
};

pub static PREFER_BIGINT_KEYS: TypeDesign = TypeDesign {
    meta: &RuleMeta {
    code: "BW903",
    name: "prefer-bigint-keys",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "an integer or smallint primary key or identity column",
    why: "integer keys run out at 2,147,483,647 (smallint at 32,767): inserts then fail until the key column is changed to bigint, which rewrites the table and every index on it, and every referencing column, under ACCESS EXCLUSIVE. bigint costs four more bytes per row.",
    alternative: "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    },
    flags: |c| c.key && matches!(c.base.as_str(), "int4" | "int2" | "serial" | "serial4" | "smallserial" | "serial2"),
    problem: "is a 32-bit or smaller key: inserts fail once it reaches its maximum, and widening it rewrites the table",
    help: "use bigint (bigint GENERATED ALWAYS AS IDENTITY, or bigserial)",
};

pub static PREFER_TEXT: TypeDesign = TypeDesign {
    meta: &RuleMeta {
    code: "BW904",
    name: "prefer-text",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "a varchar(n) column",
    why: "varchar(n) stores the same way as text and is no faster; its length limit is a business rule hidden in the type. Raising it is catalog-only, but lowering it or moving to a CHECK later rewrites or scans the table under ACCESS EXCLUSIVE. text with a CHECK (char_length(col) <= n) can be changed with NOT VALID and VALIDATE.",
    alternative: "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL CHECK (char_length(email) <= 320));",
    },
    flags: |c| c.base == "varchar" && c.typmods > 0,
    problem: "is varchar(n): the length limit is fixed in the type, and changing it later may rewrite the table",
    help: "use text, with a CHECK (char_length(col) <= n) if the limit matters",
};

pub static PREFER_IDENTITY: TypeDesign = TypeDesign {
    meta: &RuleMeta {
    code: "BW905",
    name: "prefer-identity",
    severity: Severity::Warning,
    default_enabled: false,
    summary: "a serial or bigserial column",
    why: "serial creates a sequence owned by the column but not part of it: permissions on the sequence must be granted separately, copying the table (CREATE TABLE ... LIKE) shares the sequence, and explicit inserts can collide with it silently. Identity columns (PostgreSQL 10+) are standard SQL and keep the sequence part of the column.",
    alternative: "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    },
    flags: |c| matches!(c.base.as_str(), "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"),
    problem: "is serial: its sequence is a separate object with its own permissions and ownership",
    help: "use bigint GENERATED ALWAYS AS IDENTITY (or BY DEFAULT, if the application inserts its own ids)",
};

/// One declared column type.
pub struct Declared<'a> {
    pub column: &'a str,
    /// The type's last name part as written or resolved by the grammar: `int4`,
    /// `serial`, `varchar`, `json`, `timestamp`.
    pub base: String,
    pub typmods: usize,
    /// A primary key column or an identity.
    pub key: bool,
}

/// The column types `node` declares.
pub fn declared(node: &NodeEnum) -> Vec<Declared<'_>> {
    match node {
        NodeEnum::CreateStmt(create) => {
            let table_keys: Vec<String> = create
                .table_elts
                .iter()
                .filter_map(|e| match &e.node {
                    Some(N::Constraint(c)) if ast::constr_type(c) == ConstrType::ConstrPrimary => Some(ast::names(&c.keys)),
                    _ => None,
                })
                .flatten()
                .collect();
            create
                .table_elts
                .iter()
                .filter_map(|e| match &e.node {
                    Some(N::ColumnDef(def)) => column(def, &def.colname, table_keys.contains(&def.colname)),
                    _ => None,
                })
                .collect()
        }
        NodeEnum::AlterTableStmt(alter) => ast::commands(alter)
            .filter_map(|cmd| match (At::try_from(cmd.subtype).unwrap_or(At::Undefined), ast::definition(cmd)) {
                (At::AtAddColumn, Some(N::ColumnDef(def))) => column(def, &def.colname, false),
                (At::AtAlterColumnType, Some(N::ColumnDef(def))) => column(def, &cmd.name, false),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn column<'a>(def: &'a ColumnDef, name: &'a str, table_key: bool) -> Option<Declared<'a>> {
    let ty: &TypeName = def.type_name.as_ref()?;
    let base = ast::names(&ty.names).pop()?.to_ascii_lowercase();
    let kinds: Vec<ConstrType> = ast::constraints(&def.constraints).map(ast::constr_type).collect();
    let identity = !def.identity.is_empty() || kinds.contains(&ConstrType::ConstrIdentity);
    Some(Declared {
        column: name,
        base,
        typmods: ty.typmods.len(),
        key: table_key || identity || kinds.contains(&ConstrType::ConstrPrimary),
    })
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{lint, render_diagnostics};
    use crate::lint::{lint_file, Diagnostic, LintOptions, RuleSelection};

    /// Lints `sql` with the off-by-default rule `code` enabled; only its findings.
    fn lint_enabled(code: &'static str, sql: &str) -> Vec<Diagnostic> {
        let options = LintOptions {
            rules: RuleSelection {
                enabled: [code].into(),
                ..RuleSelection::default()
            },
            ..LintOptions::default()
        };
        lint_file("migration.sql", sql, None, &options)
            .diagnostics
            .into_iter()
            .filter(|d| d.rule == code)
            .collect()
    }

    fn render_enabled(code: &'static str, sql: &str) -> String {
        render_diagnostics(sql, &lint_enabled(code, sql))
    }

    #[test]
    fn prefer_jsonb_fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW901", "CREATE TABLE events (id bigint, payload json);"));
        assert_eq!(lint_enabled("BW901", "ALTER TABLE events ADD COLUMN meta json[];").len(), 1);
    }

    #[test]
    fn prefer_jsonb_is_quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW901", "CREATE TABLE events (payload jsonb);").is_empty());
        assert!(lint_enabled("BW901", "ALTER TABLE events ALTER COLUMN payload TYPE jsonb;").is_empty());
        assert!(lint("CREATE TABLE events (id bigint, payload json);").iter().all(|d| d.rule != "BW901"));
    }

    #[test]
    fn prefer_timestamptz_fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW902", "CREATE TABLE events (id bigint, created_at timestamp NOT NULL);"));
        assert_eq!(
            lint_enabled("BW902", "ALTER TABLE events ADD COLUMN seen_at timestamp(3) without time zone;").len(),
            1
        );
    }

    #[test]
    fn prefer_timestamptz_is_quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW902", "CREATE TABLE events (created_at timestamptz, d date, t time);").is_empty());
        assert!(lint_enabled("BW902", "ALTER TABLE events ALTER COLUMN created_at TYPE timestamp with time zone;").is_empty());
        assert!(lint("CREATE TABLE events (id bigint, created_at timestamp NOT NULL);")
            .iter()
            .all(|d| d.rule != "BW902"));
    }

    #[test]
    fn prefer_bigint_keys_fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW903", "CREATE TABLE orders (id integer PRIMARY KEY, n int);"));
        assert_eq!(lint_enabled("BW903", "CREATE TABLE orders (id serial, PRIMARY KEY (id));").len(), 1);
    }

    #[test]
    fn prefer_bigint_keys_is_quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW903", "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n integer);").is_empty());
        assert!(lint_enabled("BW903", "ALTER TABLE orders ADD COLUMN n smallint;").is_empty());
        assert!(lint("CREATE TABLE orders (id integer PRIMARY KEY, n int);").iter().all(|d| d.rule != "BW903"));
    }

    #[test]
    fn prefer_text_fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW904", "CREATE TABLE users (email varchar(255));"));
        assert_eq!(lint_enabled("BW904", "ALTER TABLE users ADD COLUMN name character varying(100);").len(), 1);
    }

    #[test]
    fn prefer_text_is_quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW904", "CREATE TABLE users (email text, name varchar);").is_empty());
        assert!(lint_enabled("BW904", "ALTER TABLE users ALTER COLUMN email TYPE text;").is_empty());
        assert!(lint("CREATE TABLE users (email varchar(255));").iter().all(|d| d.rule != "BW904"));
    }

    #[test]
    fn prefer_identity_fires_when_enabled() {
        insta::assert_snapshot!(render_enabled("BW905", "CREATE TABLE orders (id bigserial PRIMARY KEY);"));
        assert_eq!(lint_enabled("BW905", "ALTER TABLE orders ADD COLUMN n serial;").len(), 1);
    }

    #[test]
    fn prefer_identity_is_quiet_on_the_preferred_type_and_off_by_default() {
        assert!(lint_enabled("BW905", "CREATE TABLE orders (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);").is_empty());
        assert!(lint_enabled("BW905", "ALTER TABLE orders ADD COLUMN n bigint;").is_empty());
        assert!(lint("CREATE TABLE orders (id bigserial PRIMARY KEY);").iter().all(|d| d.rule != "BW905"));
    }
}
