//! SQL text for definitions the recipes share: column definitions, index and
//! constraint clauses, and the keyset batch of a backfill.

use crate::model::{quote_ident, Column, Deferrable, ForeignKey, Index, IndexKey, QualifiedName, ReferentialAction};

pub fn ident_list(names: &[String]) -> String {
    names.iter().map(|n| quote_ident(n)).collect::<Vec<_>>().join(", ")
}

/// `name type [GENERATED ...] [DEFAULT ...] [NOT NULL]`, as in CREATE TABLE.
pub fn column_definition(column: &Column, with_not_null: bool) -> String {
    let mut sql = format!("{} {}", quote_ident(&column.name), column.ty.sql());
    if let Some(identity) = column.identity {
        sql.push(' ');
        sql.push_str(identity.sql());
    }
    if let Some(generated) = &column.generated {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({generated}) STORED"));
    }
    if let Some(default) = &column.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if with_not_null && !column.nullable && column.identity.is_none() {
        sql.push_str(" NOT NULL");
    }
    sql
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] IF NOT EXISTS name ON table ...`, under `name`:
/// run again, it does nothing once the index is there.
pub fn create_index(table: &QualifiedName, index: &Index, name: &str, concurrently: bool) -> String {
    let keys: Vec<String> = index
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let key = match k {
                IndexKey::Column(c) => quote_ident(c),
                // Extra parentheses are harmless, and `(a) + (b)` needs the outer pair.
                IndexKey::Expression(e) => format!("({})", e.text.trim()),
            };
            let options = index.key_options(i).sql();
            if options.is_empty() {
                key
            } else {
                format!("{key} {options}")
            }
        })
        .collect();
    let mut sql = format!(
        "CREATE {}INDEX {}IF NOT EXISTS {} ON {}",
        if index.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
        quote_ident(name),
        table.sql()
    );
    if let Some(method) = &index.method {
        sql.push_str(&format!(" USING {method}"));
    }
    sql.push_str(&format!(" ({})", keys.join(", ")));
    if !index.include.is_empty() {
        sql.push_str(&format!(" INCLUDE ({})", ident_list(&index.include)));
    }
    if let Some(predicate) = &index.predicate {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    sql
}

/// `FOREIGN KEY (...) REFERENCES ... [ON DELETE ...] [ON UPDATE ...] [DEFERRABLE ...]`.
pub fn foreign_key_clause(fk: &ForeignKey) -> String {
    let mut sql = format!(
        "FOREIGN KEY ({}) REFERENCES {} ({})",
        ident_list(&fk.columns),
        fk.references.sql(),
        ident_list(&fk.referenced_columns)
    );
    if fk.on_delete != ReferentialAction::NoAction {
        sql.push_str(&format!(" ON DELETE {}", fk.on_delete.sql()));
    }
    if fk.on_update != ReferentialAction::NoAction {
        sql.push_str(&format!(" ON UPDATE {}", fk.on_update.sql()));
    }
    match fk.deferrable {
        Deferrable::NotDeferrable => {}
        Deferrable::InitiallyImmediate => sql.push_str(" DEFERRABLE"),
        Deferrable::InitiallyDeferred => sql.push_str(" DEFERRABLE INITIALLY DEFERRED"),
    }
    sql
}

/// The batch of a keyset-batched `UPDATE ... SET assignments` over `key` (the
/// columns with their types), limited to rows where `pending` holds, and the query
/// of the key's last row (the upper bound a backfill stops at: rows inserted after it
/// started are written by the triggers). The batch takes `$1` = rows per batch,
/// `$2..$(n+1)` = the key of the previous batch's last row (all NULL for the first
/// batch), `$(n+2)..$(2n+1)` = the upper bound, and returns the key of its last row
/// (as text), the number of rows it updated and the number it looked at, or no row
/// when it is done.
pub fn batch_update(table: &QualifiedName, key: &[(String, String)], assignments: &str, pending: &str) -> (String, String) {
    let t = table.sql();
    let n = key.len();
    let names: Vec<String> = key.iter().map(|(k, _)| quote_ident(k)).collect();
    let aliases: Vec<String> = (1..=n).map(|i| format!("bellows_k{i}")).collect();
    let select_keys: Vec<String> = names.iter().zip(&aliases).map(|(k, a)| format!("{k} AS {a}")).collect();
    let param = |i: usize, ty: &str| format!("${i}::{ty}");
    let after: Vec<String> = key.iter().enumerate().map(|(i, (_, ty))| param(i + 2, ty)).collect();
    let until: Vec<String> = key.iter().enumerate().map(|(i, (_, ty))| param(i + n + 2, ty)).collect();
    let row = |items: &[String]| if n == 1 { items[0].clone() } else { format!("({})", items.join(", ")) };
    let order = names.join(", ");
    let qualified: Vec<String> = names.iter().map(|k| format!("t.{k}")).collect();
    let edge: Vec<String> = aliases.iter().map(|a| format!("edge.{a}")).collect();
    // The key comes back as text (one form for every key type, read back by the next
    // batch's casts); the order is the key's own, not the text's.
    let returned: Vec<String> = aliases.iter().map(|a| format!("edge.{a}::text AS {a}")).collect();
    // The key range after the cursor up to `end` (inclusive).
    let range = |columns: &[String], end: &[String]| {
        format!(
            "({} IS NULL OR {} > {}) AND {} <= {}",
            after[0],
            row(columns),
            row(&after),
            row(columns),
            row(end)
        )
    };
    let rest = range(&names, &until);
    // The batch ends at its `$1`-th row, found by skipping along the key's index (no row
    // of the batch is read twice, nor sorted); the last batch, shorter, ends at the upper
    // bound (`LIMIT 1`: planned as the single row it is, not as a set the key range is
    // joined to). The update then covers the key range from the cursor to that row: one
    // index range scan, as fast per row as a single UPDATE of the table. Joining the
    // batch's keys one by one costs an index lookup per row, and a hash join reads the
    // whole table once per batch.
    let batch = format!(
        "WITH found AS (SELECT {} FROM {t} WHERE {rest} ORDER BY {order} OFFSET $1 - 1 LIMIT 1), \
         edge AS (SELECT * FROM (SELECT {} FROM found UNION ALL SELECT {} WHERE NOT EXISTS (SELECT FROM found) AND EXISTS (SELECT FROM {t} WHERE {rest})) AS last LIMIT 1), \
         updated AS (UPDATE {t} AS t SET {assignments} FROM edge WHERE {} AND ({pending}) RETURNING 1) \
         SELECT {}, (SELECT count(*) FROM updated) AS updated_rows, \
         CASE WHEN EXISTS (SELECT FROM found) THEN $1::bigint ELSE (SELECT count(*) FROM {t} WHERE {rest}) END AS batch_rows FROM edge",
        select_keys.join(", "),
        aliases.join(", "),
        until.join(", "),
        range(&qualified, &edge),
        returned.join(", "),
    );
    // Qualified and renamed: ORDER BY a bare name would sort by the text output column.
    let descending: Vec<String> = names.iter().map(|k| format!("t.{k} DESC")).collect();
    let as_text: Vec<String> = names.iter().zip(&aliases).map(|(k, a)| format!("t.{k}::text AS {a}")).collect();
    let bound = format!("SELECT {} FROM {t} AS t ORDER BY {} LIMIT 1", as_text.join(", "), descending.join(", "));
    (batch, bound)
}
