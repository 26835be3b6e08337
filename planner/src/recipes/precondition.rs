//! Preconditions (`Step::preconditions`): for a constraint the plan adds to a table
//! that may hold rows, a query that counts the rows that would make its step fail
//! (NULLs for NOT NULL, duplicate keys for a unique index, dangling references for a
//! foreign key, rows failing a check), evaluated before the plan changes anything.
//!
//! The queries read the database as the plan finds it. Where a constraint names a
//! column the plan adds, renames, converts or fills, the rows are read through a
//! projection that gives each column the value it will have once filled
//! (`(SELECT <value> AS col ... FROM table) AS t`), so the count is the one the step
//! will meet.

use super::Context;
use crate::model::{quote_ident, Column, Expr, ForeignKey, Index, IndexKey, QualifiedName, Table};

/// A precondition's description and query.
pub type Counted = (String, String);

/// Whether an expression is a constant that is not NULL (`'none'`, `0`, `true`): a fill
/// that can never leave the column NULL.
pub fn non_null_constant(expr: &Expr) -> bool {
    expr.constant && !expr.canonical.trim_start_matches('(').to_ascii_uppercase().starts_with("NULL")
}

/// The value a column of the desired table will have for an existing row, over the
/// table as it is now; `same` when it is the column as it is.
struct Value {
    sql: String,
    same: bool,
}

fn value(current: &Table, column: &Column) -> Value {
    let source = column
        .renamed_from
        .as_deref()
        .and_then(|old| current.column(old))
        .or_else(|| current.column(&column.name));
    let Some(source) = source else {
        let sql = match (&column.backfill, &column.default) {
            (Some(fill), _) | (None, Some(fill)) => format!("({fill})"),
            (None, None) => format!("NULL::{}", column.ty.sql()),
        };
        return Value { sql, same: false };
    };
    let mut sql = quote_ident(&source.name);
    let mut same = source.name == column.name;
    if source.ty != column.ty {
        sql = column
            .using
            .as_ref()
            .map_or_else(|| format!("{sql}::{}", column.ty.sql()), |u| format!("({u})"));
        same = false;
    }
    if let (Some(fill), true, false) = (&column.backfill, source.nullable, column.nullable) {
        sql = format!("coalesce({sql}, ({fill}))");
        same = false;
    }
    Value { sql, same }
}

/// What to read `columns` of `t` from: the table itself when each column is there as
/// it will be, else a projection aliased `t`. `None` when the table is new (it has no
/// rows) or a column is unknown.
fn rows<'c>(cx: &Context<'_>, t: &QualifiedName, columns: impl IntoIterator<Item = &'c String>) -> Option<(String, &'static str)> {
    let current = cx.current_table(t)?;
    let desired = cx.table(t)?;
    let mut projection = Vec::new();
    let mut same = true;
    for name in columns {
        let value = match desired.column(name) {
            Some(column) => value(current, column),
            None => Value {
                sql: quote_ident(&current.column(name)?.name),
                same: true,
            },
        };
        same &= value.same;
        projection.push(format!("{} AS {}", value.sql, quote_ident(name)));
    }
    if same {
        return Some((current.name.sql(), ""));
    }
    projection.sort();
    projection.dedup();
    Some((format!("(SELECT {} FROM {}) AS t", projection.join(", "), current.name.sql()), "t"))
}

/// `FROM` text that the query can refer to as `t`.
fn aliased((from, alias): (String, &str)) -> String {
    if alias.is_empty() {
        format!("{from} AS t")
    } else {
        from
    }
}

/// NOT NULL on an existing column: rows that are NULL, or that are NULL and that `fill`
/// leaves NULL.
pub fn not_null(cx: &Context<'_>, t: &QualifiedName, column: &str, fill: Option<&Expr>) -> Option<Counted> {
    let current = cx.current_table(t)?;
    current.column(column)?;
    // A fill that reads no column is a constant or a function of nothing (`now()`).
    if fill.is_some_and(|f| f.columns.is_empty() || !f.columns.iter().all(|c| current.column(c).is_some())) {
        return None;
    }
    let c = quote_ident(column);
    Some(match fill {
        None => (
            format!("rows of {t} where {c} is NULL"),
            format!("SELECT count(*) FROM {} WHERE {c} IS NULL", current.name.sql()),
        ),
        Some(fill) => (
            format!("rows of {t} where {c} is NULL and {fill} is NULL"),
            format!("SELECT count(*) FROM {} WHERE {c} IS NULL AND ({fill}) IS NULL", current.name.sql()),
        ),
    })
}

/// A new NOT NULL column filled from `fill`: rows for which `fill` is NULL, among the
/// rows where the column is NULL. The column does not exist before the plan runs, so it
/// is read through `to_jsonb(t)`, which gives NULL for a missing key: the same query
/// counts right before the column is added and after (a script run again).
pub fn new_column_fill(cx: &Context<'_>, t: &QualifiedName, column: &str, fill: &Expr) -> Option<Counted> {
    let current = cx.current_table(t)?;
    // A fill that reads no column (`now()`, `gen_random_uuid()`) gives every row the
    // same kind of value: there is no row to count.
    if fill.columns.is_empty() || !fill.columns.iter().all(|c| current.column(c).is_some()) {
        return None;
    }
    let table = current.name.sql();
    let description = format!("rows of {t} for which {fill} is NULL");
    let unset = format!("to_jsonb(t) ->> {} IS NULL", crate::model::quote_literal(column));
    Some((description, format!("SELECT count(*) FROM {table} AS t WHERE {unset} AND ({fill}) IS NULL")))
}

/// A column copied from `source` (converted, or renamed) that must be NOT NULL: rows
/// whose new value is NULL.
pub fn converted_not_null(cx: &Context<'_>, t: &QualifiedName, source: &str, column: &Column) -> Option<Counted> {
    let current = cx.current_table(t)?;
    current.column(source)?;
    let renamed = Column {
        renamed_from: Some(source.to_string()),
        ..column.clone()
    };
    let value = value(current, &renamed);
    let c = quote_ident(&column.name);
    Some((
        format!("rows of {t} whose new {c} ({}) is NULL", value.sql),
        format!("SELECT count(*) FROM {} WHERE {} IS NULL", current.name.sql(), value.sql),
    ))
}

/// A unique index (or the index of a unique constraint or primary key): rows whose key
/// another row has too. NULL keys never collide (PostgreSQL's default), so rows with a
/// NULL key part are left out; a partial index counts only the rows it covers.
pub fn duplicates(cx: &Context<'_>, t: &QualifiedName, index: &Index) -> Option<Counted> {
    let mut needed: Vec<&String> = Vec::new();
    let (mut keys, mut shown) = (Vec::new(), Vec::new());
    for key in &index.keys {
        match key {
            IndexKey::Column(c) => {
                needed.push(c);
                keys.push(quote_ident(c));
                shown.push(quote_ident(c));
            }
            IndexKey::Expression(e) => {
                needed.extend(&e.columns);
                keys.push(format!("({})", e.text.trim()));
                shown.push(e.text.trim().to_string());
            }
        }
    }
    needed.extend(index.predicate.iter().flat_map(|p| &p.columns));
    let from = rows(cx, t, needed)?.0;
    let mut filter: Vec<String> = keys.iter().map(|k| format!("{k} IS NOT NULL")).collect();
    let mut covering = String::new();
    if let Some(predicate) = &index.predicate {
        filter.push(format!("({predicate})"));
        covering = format!(" (among rows where {predicate})");
    }
    let key_list = keys.join(", ");
    let key = match shown.as_slice() {
        [one] if one.starts_with('(') => one.clone(),
        _ => format!("({})", shown.join(", ")),
    };
    Some((
        format!("rows of {t} whose {key} another row has too{covering}"),
        format!(
            "SELECT coalesce(sum(n), 0)::bigint FROM (SELECT count(*) AS n FROM {from} WHERE {} GROUP BY {key_list} HAVING count(*) > 1) AS d",
            filter.join(" AND ")
        ),
    ))
}

/// A foreign key: rows whose key has no NULL part and no referenced row (MATCH SIMPLE,
/// PostgreSQL's default, does not check a key with a NULL part).
pub fn dangling(cx: &Context<'_>, t: &QualifiedName, fk: &ForeignKey) -> Option<Counted> {
    let from = aliased(rows(cx, t, &fk.columns)?);
    let referenced = cx.current_table(&fk.references)?;
    if !fk.referenced_columns.iter().all(|c| referenced.column(c).is_some()) {
        return None;
    }
    let set: Vec<String> = fk.columns.iter().map(|c| format!("t.{} IS NOT NULL", quote_ident(c))).collect();
    let matching: Vec<String> = fk
        .columns
        .iter()
        .zip(&fk.referenced_columns)
        .map(|(c, r)| format!("r.{} = t.{}", quote_ident(r), quote_ident(c)))
        .collect();
    let columns = |names: &[String]| names.iter().map(|n| quote_ident(n)).collect::<Vec<_>>().join(", ");
    Some((
        format!(
            "rows of {t} whose ({}) has no row in {} ({})",
            columns(&fk.columns),
            fk.references,
            columns(&fk.referenced_columns)
        ),
        format!(
            "SELECT count(*) FROM {from} WHERE {} AND NOT EXISTS (SELECT FROM {} AS r WHERE {})",
            set.join(" AND "),
            referenced.name.sql(),
            matching.join(" AND ")
        ),
    ))
}

/// A check: rows for which its expression is false (NULL passes, as in PostgreSQL).
pub fn failing_check(cx: &Context<'_>, t: &QualifiedName, expression: &Expr) -> Option<Counted> {
    let from = rows(cx, t, &expression.columns)?.0;
    Some((
        format!("rows of {t} for which {expression} is false"),
        format!("SELECT count(*) FROM {from} WHERE NOT ({expression})"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locks::PgVersion;
    use crate::model::Schema;

    fn schemas(before: &str, after: &str) -> (Schema, Schema) {
        (
            crate::load::load_schema("before.toml", before).expect("loads"),
            crate::load::load_schema("after.toml", after).expect("loads"),
        )
    }

    fn context<'a>(current: &'a Schema, desired: &'a Schema) -> Context<'a> {
        Context {
            current,
            desired,
            pg: PgVersion::DEFAULT,
            batch_size: 1000,
        }
    }

    const USERS: &str = r#"
[tables.users]
primary_key = ["id"]
columns = [ { name = "id", type = "bigint" }, { name = "email", type = "text" }, { name = "name", type = "text" } ]
"#;

    #[test]
    fn constants_that_are_not_null() {
        let expr = |t: &str| crate::sql::parse_expression(t).expect("an expression");
        assert!(non_null_constant(&expr("'unknown'")));
        assert!(non_null_constant(&expr("-1")));
        assert!(non_null_constant(&expr("'x'::text")));
        assert!(!non_null_constant(&expr("NULL")));
        assert!(!non_null_constant(&expr("NULL::text")));
        assert!(!non_null_constant(&expr("split_part(email, '@', 2)")));
        assert!(!non_null_constant(&expr("now()")));
    }

    #[test]
    fn a_renamed_and_filled_column_is_read_through_a_projection() {
        let after = USERS.replace(
            r#"{ name = "name", type = "text" }"#,
            r#"{ name = "full_name", type = "text", renamed_from = "name", nullable = false, backfill = "'anon'" }"#,
        ) + "uniques = [ { name = \"users_full_name_key\", columns = [\"full_name\"] } ]\n";
        let (before, after) = schemas(USERS, &after);
        let cx = context(&before, &after);
        let t = QualifiedName::new("public", "users");
        let index = Index {
            name: "k".into(),
            keys: vec![IndexKey::Column("full_name".into())],
            unique: true,
            predicate: None,
            method: None,
            include: Vec::new(),
            options: Vec::new(),
        };
        let (description, sql) = duplicates(&cx, &t, &index).expect("a precondition");
        assert_eq!(description, "rows of public.users whose (full_name) another row has too");
        assert_eq!(
            sql,
            "SELECT coalesce(sum(n), 0)::bigint FROM (SELECT count(*) AS n FROM (SELECT coalesce(name, ('anon')) AS full_name FROM public.users) AS t \
             WHERE full_name IS NOT NULL GROUP BY full_name HAVING count(*) > 1) AS d"
        );
    }

    #[test]
    fn unchanged_columns_are_read_from_the_table() {
        let (before, after) = schemas(USERS, USERS);
        let cx = context(&before, &after);
        let t = QualifiedName::new("public", "users");
        let check = crate::sql::parse_expression("email <> ''").expect("an expression");
        assert_eq!(
            failing_check(&cx, &t, &check).expect("a precondition").1,
            "SELECT count(*) FROM public.users WHERE NOT (email <> '')"
        );
        let fill = crate::sql::parse_expression("split_part(email, '@', 2)").expect("an expression");
        let (description, sql) = new_column_fill(&cx, &t, "email_domain", &fill).expect("a precondition");
        assert_eq!(description, "rows of public.users for which split_part(email, '@', 2) is NULL");
        assert_eq!(
            sql,
            "SELECT count(*) FROM public.users AS t WHERE to_jsonb(t) ->> 'email_domain' IS NULL AND (split_part(email, '@', 2)) IS NULL"
        );
        let constant = crate::sql::parse_expression("'x'").expect("an expression");
        assert_eq!(new_column_fill(&cx, &t, "email_domain", &constant), None);
    }

    #[test]
    fn every_query_parses() {
        let (before, after) = schemas(USERS, USERS);
        let cx = context(&before, &after);
        let t = QualifiedName::new("public", "users");
        let volatile = crate::sql::parse_expression("md5(email || random()::text)").expect("an expression");
        let fk = ForeignKey {
            name: "fk".into(),
            columns: vec!["name".into()],
            references: t.clone(),
            referenced_columns: vec!["email".into()],
            on_delete: Default::default(),
            on_update: Default::default(),
            deferrable: crate::model::Deferrable::NotDeferrable,
        };
        let all = [
            not_null(&cx, &t, "email", None),
            not_null(&cx, &t, "email", Some(&volatile)),
            new_column_fill(&cx, &t, "token", &volatile),
            dangling(&cx, &t, &fk),
        ];
        for (_, sql) in all.into_iter().map(|p| p.expect("a precondition")) {
            pg_query::parse(&sql, 0).unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
    }
}
