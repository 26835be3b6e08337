//! Values for test rows, by column type and name: ordinary ones, and edge values (NULL
//! where the column allows it, empty and non-ASCII text, zero and negative numbers) that
//! still satisfy the constraints of both the schema before and after a change.

use planner::model::{Column, Schema, Table, TypeBase};

/// A literal for row `i` of `column`, or `None` for NULL. `to` is the column in the
/// schema after the change, when there is one: its type decides what text must look
/// like (text becoming integer holds numbers), and a NULL is written only where both
/// schemas allow it or a backfill fills it.
pub fn literal(column: &Column, to: Option<&Column>, i: i64, schema: &Schema) -> Option<String> {
    literal_unless(column, to, i, schema, false)
}

/// [`literal`], never NULL when `never_null` (a column a NOT NULL backfill reads).
pub fn literal_unless(column: &Column, to: Option<&Column>, i: i64, schema: &Schema, never_null: bool) -> Option<String> {
    let nullable_after = to.is_none_or(|c| c.nullable || c.backfill.is_some());
    if column.nullable && nullable_after && !never_null && i % 5 == 4 {
        return None;
    }
    let target = to.map_or(&column.ty, |c| &c.ty);
    Some(match &column.ty.base {
        TypeBase::Builtin(name) => match name.as_str() {
            "int2" => format!("{}", (i % 300) * 7 - 3),
            "int4" | "int8" => format!("{}", i * 7 - 3),
            "numeric" => format!("{}.{:02}", i * 3 - 5, i % 100),
            "float4" | "float8" => format!("{}.5", i - 3),
            "text" | "varchar" | "bpchar" => quote(&text(&column.name, target, i, column.ty.typmods.first().copied())),
            "bool" => (i % 2 == 0).to_string(),
            "timestamptz" | "timestamp" => format!("'2024-01-01 00:00:00+00'::timestamptz + interval '{i} hours'"),
            "date" => format!("date '2024-01-01' + {i}"),
            "uuid" => format!("'00000000-0000-4000-8000-{i:012}'"),
            "jsonb" | "json" => format!("'{{\"i\": {i}}}'"),
            other => panic!("no test values for type {other} (column {})", column.name),
        },
        TypeBase::User(name) => {
            let values = &schema.enums.get(name).unwrap_or_else(|| panic!("no enum {name}")).values;
            quote(&values[usize::try_from(i).unwrap_or(0) % values.len()])
        }
    })
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Text for row `i`: addresses for `email` columns, numbers where the column becomes a
/// number, and otherwise a mix with apostrophes, non-ASCII letters and empty strings.
fn text(name: &str, target: &planner::model::SqlType, i: i64, limit: Option<i64>) -> String {
    let numeric = matches!(target.builtin_name(), Some("int2" | "int4" | "int8" | "numeric"));
    let value = if name.contains("email") {
        match i % 3 {
            0 => format!("user{i}@example.org"),
            1 => format!("Ünï{i}@exämple.org"),
            _ => format!("o'brien{i}@example.org"),
        }
    } else if numeric {
        // An empty string converts to NULL through the examples' nullif.
        if i % 7 == 6 {
            String::new()
        } else {
            format!("{}", i * 3)
        }
    } else {
        match i % 4 {
            0 => format!("value {i}"),
            1 => format!("it's {i}"),
            2 => format!("Ünïcødé ✓ {i}"),
            _ => format!("{i}"),
        }
    };
    match limit {
        Some(n) => value.chars().take(usize::try_from(n).unwrap_or(0)).collect(),
        None => value,
    }
}

/// The tables of `schema` with parents (tables other tables reference) first.
pub fn parents_first(schema: &Schema) -> Vec<&Table> {
    let mut ordered: Vec<&Table> = Vec::new();
    let mut left: Vec<&Table> = schema.tables.values().collect();
    while !left.is_empty() {
        let ready = left
            .iter()
            .position(|t| {
                t.foreign_keys
                    .iter()
                    .all(|fk| fk.references == t.name || ordered.iter().any(|o| o.name == fk.references))
            })
            .unwrap_or(0);
        ordered.push(left.remove(ready));
    }
    ordered
}

/// The table of `schema` that `table` (of the other schema) is, by name or rename.
pub fn counterpart_table<'a>(schema: &'a Schema, table: &Table) -> Option<&'a Table> {
    schema
        .tables
        .values()
        .find(|t| t.name == table.name || t.renamed_from.as_ref() == Some(&table.name) || table.renamed_from.as_ref() == Some(&t.name))
}

/// True when a NOT NULL column of `after` is filled from `column`: a NULL there would
/// leave the new column NULL, which the plan's preconditions (rightly) refuse.
pub fn feeds_a_fill(after: &Schema, table: &Table, column: &str) -> bool {
    counterpart_table(after, table).is_some_and(|t| {
        t.columns
            .iter()
            .any(|c| !c.nullable && c.backfill.as_ref().is_some_and(|b| b.columns.contains(column)))
    })
}

/// The foreign key `column` is part of, in either schema's version of the table.
pub fn foreign_key<'a>(table: &'a Table, other: Option<&'a Table>, column: &str) -> Option<&'a planner::model::ForeignKey> {
    table
        .foreign_keys
        .iter()
        .chain(other.iter().flat_map(|o| o.foreign_keys.iter()))
        .find(|fk| fk.columns.iter().any(|c| c == column))
}
