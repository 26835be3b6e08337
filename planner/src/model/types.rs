//! Column types, normalised so that aliases compare equal (`int` = `int4` = `integer`,
//! `varchar(20)` = `character varying(20)`, `timestamptz` = `timestamp with time zone`).
//!
//! A type is parsed by pg_query (see `sql::fragment::parse_type`) into the internal
//! name PostgreSQL's grammar resolves it to (`pg_catalog.int4`), its type modifiers and
//! its array dimensions; the display form is what `format_type()` prints, so a declared
//! and an introspected type render the same.

use std::fmt;

use serde::Serialize;

use super::name::{quote_ident, QualifiedName};

/// A normalised column type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SqlType {
    /// The base type: a built-in's internal name (`int4`, `varchar`, `timestamptz`),
    /// or a user-defined type's qualified name.
    pub base: TypeBase,
    /// Type modifiers: `varchar(20)` has `[20]`, `numeric(10,2)` has `[10, 2]`.
    pub typmods: Vec<i64>,
    /// Array dimensions: `int[]` has 1. PostgreSQL ignores declared bounds.
    pub array_dims: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TypeBase {
    Builtin(String),
    User(QualifiedName),
}

/// Internal names of the built-in types in `pg_catalog` that a bare name resolves to,
/// with the name `format_type()` prints. Names not listed here are taken as
/// user-defined types (enums, domains, extension types) in `public`.
const BUILTINS: &[(&str, &str)] = &[
    ("bit", "bit"),
    ("bool", "boolean"),
    ("box", "box"),
    ("bpchar", "character"),
    ("daterange", "daterange"),
    ("int4range", "int4range"),
    ("int8range", "int8range"),
    ("numrange", "numrange"),
    ("tsrange", "tsrange"),
    ("tstzrange", "tstzrange"),
    ("datemultirange", "datemultirange"),
    ("int4multirange", "int4multirange"),
    ("int8multirange", "int8multirange"),
    ("nummultirange", "nummultirange"),
    ("tsmultirange", "tsmultirange"),
    ("tstzmultirange", "tstzmultirange"),
    ("regproc", "regproc"),
    ("regtype", "regtype"),
    ("regnamespace", "regnamespace"),
    ("regrole", "regrole"),
    ("xid", "xid"),
    ("xid8", "xid8"),
    ("cid", "cid"),
    ("tid", "tid"),
    ("txid_snapshot", "txid_snapshot"),
    ("pg_snapshot", "pg_snapshot"),
    ("bytea", "bytea"),
    ("char", "\"char\""),
    ("cidr", "cidr"),
    ("circle", "circle"),
    ("date", "date"),
    ("float4", "real"),
    ("float8", "double precision"),
    ("inet", "inet"),
    ("int2", "smallint"),
    ("int4", "integer"),
    ("int8", "bigint"),
    ("interval", "interval"),
    ("json", "json"),
    ("jsonb", "jsonb"),
    ("jsonpath", "jsonpath"),
    ("line", "line"),
    ("lseg", "lseg"),
    ("macaddr", "macaddr"),
    ("macaddr8", "macaddr8"),
    ("money", "money"),
    ("name", "name"),
    ("numeric", "numeric"),
    ("oid", "oid"),
    ("path", "path"),
    ("pg_lsn", "pg_lsn"),
    ("point", "point"),
    ("polygon", "polygon"),
    ("regclass", "regclass"),
    ("text", "text"),
    ("time", "time without time zone"),
    ("timestamp", "timestamp without time zone"),
    ("timestamptz", "timestamp with time zone"),
    ("timetz", "time with time zone"),
    ("tsquery", "tsquery"),
    ("tsvector", "tsvector"),
    ("uuid", "uuid"),
    ("varbit", "bit varying"),
    ("varchar", "character varying"),
    ("xml", "xml"),
];

/// Aliases that the grammar does not resolve but PostgreSQL's catalog knows.
const ALIASES: &[(&str, &str)] = &[("decimal", "numeric"), ("float", "float8"), ("character varying", "varchar")];

/// The serial pseudo-types: shorthand for a sequence and a default, not types.
pub const SERIAL_NAMES: &[&str] = &["smallserial", "serial", "bigserial", "serial2", "serial4", "serial8"];

impl SqlType {
    pub fn builtin(name: &str) -> SqlType {
        SqlType {
            base: TypeBase::Builtin(name.to_string()),
            typmods: Vec::new(),
            array_dims: 0,
        }
    }

    pub fn with_typmods(mut self, typmods: &[i64]) -> SqlType {
        self.typmods = typmods.to_vec();
        self
    }

    /// Resolves a bare or qualified type name, as the grammar produced it, to its base.
    pub fn resolve_base(names: &[String]) -> TypeBase {
        match names {
            [schema, name] if schema == "pg_catalog" => TypeBase::Builtin(canonical_builtin(name)),
            [name] if is_builtin(name) => TypeBase::Builtin(canonical_builtin(name)),
            [name] => TypeBase::User(QualifiedName::new("public", name.clone())),
            [schema, name] => TypeBase::User(QualifiedName::new(schema.clone(), name.clone())),
            _ => TypeBase::User(QualifiedName::new(names[names.len() - 2].clone(), names[names.len() - 1].clone())),
        }
    }

    /// The built-in internal name (`int4`), if the base is built in.
    pub fn builtin_name(&self) -> Option<&str> {
        match &self.base {
            TypeBase::Builtin(name) => Some(name),
            TypeBase::User(_) => None,
        }
    }

    /// The user-defined type this column depends on (for ordering: create the enum first).
    pub fn user_type(&self) -> Option<&QualifiedName> {
        match &self.base {
            TypeBase::User(name) => Some(name),
            TypeBase::Builtin(_) => None,
        }
    }

    pub fn is_array(&self) -> bool {
        self.array_dims > 0
    }

    /// The same type without its array dimensions.
    pub fn element(&self) -> SqlType {
        SqlType { array_dims: 0, ..self.clone() }
    }

    /// The SQL that declares this type, as `format_type()` prints it.
    pub fn sql(&self) -> String {
        let mut out = match &self.base {
            TypeBase::Builtin(name) => builtin_sql(name, &self.typmods),
            TypeBase::User(name) => {
                let base = if name.schema == "public" { quote_ident(&name.name) } else { name.sql() };
                with_typmods(base, &self.typmods)
            }
        };
        for _ in 0..self.array_dims {
            out.push_str("[]");
        }
        out
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
    }
}

impl Serialize for SqlType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.sql())
    }
}

/// Every built-in type name a user might write, for "did you mean" suggestions.
pub fn builtin_type_names() -> impl Iterator<Item = &'static str> {
    BUILTINS
        .iter()
        .flat_map(|(internal, display)| [*internal, *display])
        .chain(ALIASES.iter().map(|(alias, _)| *alias))
}

fn is_builtin(name: &str) -> bool {
    let name = canonical_builtin(name);
    BUILTINS.iter().any(|(internal, _)| *internal == name)
}

fn canonical_builtin(name: &str) -> String {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, internal)| internal.to_string())
        .unwrap_or_else(|| name.to_string())
}

fn builtin_sql(name: &str, typmods: &[i64]) -> String {
    // A bare `bpchar` has no length limit, unlike `character`, which means character(1).
    if name == "bpchar" && typmods.is_empty() {
        return "bpchar".to_string();
    }
    let display = BUILTINS.iter().find(|(internal, _)| *internal == name).map(|(_, d)| *d).unwrap_or(name);
    // format_type() puts the precision of the time types before "with/without time zone".
    if let Some(rest) = display.strip_prefix("timestamp ").or_else(|| display.strip_prefix("time ")) {
        let head = if display.starts_with("timestamp") { "timestamp" } else { "time" };
        return format!("{} {rest}", with_typmods(head.to_string(), typmods));
    }
    with_typmods(display.to_string(), typmods)
}

fn with_typmods(base: String, typmods: &[i64]) -> String {
    if typmods.is_empty() {
        return base;
    }
    let mods: Vec<String> = typmods.iter().map(|m| m.to_string()).collect();
    format!("{base}({})", mods.join(","))
}
