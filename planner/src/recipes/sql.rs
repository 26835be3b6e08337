//! SQL text for definitions the recipes share: column definitions, index and
//! constraint clauses, and the keyset batch of a backfill.

use crate::model::{quote_ident, Column, Deferrable, ForeignKey, Index, IndexKey, QualifiedName, ReferentialAction, Table};

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

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON table ...`, under `name`.
pub fn create_index(table: &QualifiedName, index: &Index, name: &str, concurrently: bool) -> String {
    let keys: Vec<String> = index
        .keys
        .iter()
        .map(|k| match k {
            IndexKey::Column(c) => quote_ident(c),
            // Extra parentheses are harmless, and `(a) + (b)` needs the outer pair.
            IndexKey::Expression(e) => format!("({})", e.text.trim()),
        })
        .collect();
    let mut sql = format!(
        "CREATE {}INDEX {}{} ON {}",
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

/// The two statements of a keyset-batched `UPDATE ... SET assignments` over the
/// table's primary key, limited to rows where `pending` holds: the first batch
/// (no cursor) and later batches (`$1..$n` = the key of the previous batch's last
/// row). Each returns the key of its last row and the number of rows it updated.
pub fn batch_update(table: &Table, key: &[String], assignments: &str, pending: &str, batch_size: u32) -> (String, String) {
    let t = table.name.sql();
    let aliases: Vec<String> = (1..=key.len()).map(|i| format!("bellows_k{i}")).collect();
    let select_keys: Vec<String> = key.iter().zip(&aliases).map(|(k, a)| format!("{} AS {a}", quote_ident(k))).collect();
    let join: Vec<String> = key.iter().zip(&aliases).map(|(k, a)| format!("t.{} = batch.{a}", quote_ident(k))).collect();
    let order = ident_list(key);
    let newest_first: Vec<String> = aliases.iter().map(|a| format!("{a} DESC")).collect();
    let build = |bound: &str| {
        format!(
            "WITH batch AS (SELECT {} FROM {t}{bound} ORDER BY {order} LIMIT {batch_size}), \
             updated AS (UPDATE {t} AS t SET {assignments} FROM batch WHERE {} AND ({pending}) RETURNING 1) \
             SELECT {}, (SELECT count(*) FROM updated) AS updated_rows FROM batch ORDER BY {} LIMIT 1",
            select_keys.join(", "),
            join.join(" AND "),
            aliases.join(", "),
            newest_first.join(", ")
        )
    };
    let placeholders: Vec<String> = (1..=key.len()).map(|i| format!("${i}")).collect();
    let bound = if key.len() == 1 {
        format!(" WHERE {} > $1", quote_ident(&key[0]))
    } else {
        format!(" WHERE ({order}) > ({})", placeholders.join(", "))
    };
    (build(""), build(&bound))
}
