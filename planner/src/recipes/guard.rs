//! Conditions over the catalog under which a step still has work to do (`Step::guard`).
//! The SQL script has no state of its own: run again after a failure, or a second time,
//! it skips each guarded step whose guard is false, so what is done is not done twice.
//! Each condition reads the catalog only, and names objects through `to_regclass` and
//! `to_regtype`, which give NULL rather than an error for an object that is not there.

use crate::model::{quote_literal, QualifiedName, SqlType, TypeBase};

fn regclass(name: &QualifiedName) -> String {
    format!("to_regclass({})", quote_literal(&name.sql()))
}

fn constraint(t: &QualifiedName, name: &str) -> String {
    format!(
        "EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {} AND conname = {})",
        regclass(t),
        quote_literal(name)
    )
}

pub fn constraint_exists(t: &QualifiedName, name: &str) -> String {
    constraint(t, name)
}

pub fn constraint_absent(t: &QualifiedName, name: &str) -> String {
    format!("NOT {}", constraint(t, name))
}

pub fn trigger_absent(t: &QualifiedName, name: &str) -> String {
    format!(
        "NOT EXISTS (SELECT FROM pg_catalog.pg_trigger WHERE tgrelid = {} AND tgname = {})",
        regclass(t),
        quote_literal(name)
    )
}

/// The column `c` of `t` exists and `condition` (over `pg_attribute`) holds for it.
fn column_where(t: &QualifiedName, c: &str, condition: &str) -> String {
    format!(
        "EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = {} AND attname = {} AND attnum > 0 AND NOT attisdropped{condition})",
        regclass(t),
        quote_literal(c)
    )
}

pub fn column_exists(t: &QualifiedName, c: &str) -> String {
    column_where(t, c, "")
}

pub fn column_nullable(t: &QualifiedName, c: &str) -> String {
    column_where(t, c, " AND NOT attnotnull")
}

pub fn not_identity(t: &QualifiedName, c: &str) -> String {
    column_where(t, c, " AND attidentity = ''")
}

/// The column still has type `ty`. A built-in type is compared as `format_type` prints
/// it, typmods included (`SqlType::sql` spells built-ins the same way); a user type by
/// its oid.
pub fn column_of_type(t: &QualifiedName, c: &str, ty: &SqlType) -> String {
    let test = match &ty.base {
        TypeBase::Builtin(_) => format!(" AND format_type(atttypid, atttypmod) = {}", quote_literal(&ty.sql())),
        TypeBase::User(name) => {
            let arrays = "[]".repeat(ty.array_dims);
            format!(" AND atttypid = to_regtype({})", quote_literal(&format!("{}{arrays}", name.sql())))
        }
    };
    column_where(t, c, &test)
}

/// `t` exists as a table (not yet replaced by a view of the same name).
pub fn is_table(t: &QualifiedName) -> String {
    format!("EXISTS (SELECT FROM pg_catalog.pg_class WHERE oid = {} AND relkind IN ('r', 'p'))", regclass(t))
}

pub fn relation_exists(name: &QualifiedName) -> String {
    format!("{} IS NOT NULL", regclass(name))
}

pub fn type_absent(name: &QualifiedName) -> String {
    format!("to_regtype({}) IS NULL", quote_literal(&name.sql()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::parse_type;

    #[test]
    fn guards_are_sql_expressions() {
        let t = QualifiedName::new("Billing", "order");
        let numeric = parse_type("numeric(12,2)").expect("a type");
        let mood = parse_type("mood[]").expect("a type");
        for condition in [
            constraint_absent(&t, "it's"),
            trigger_absent(&t, "x"),
            column_nullable(&t, "user"),
            column_of_type(&t, "amount", &numeric),
            column_of_type(&t, "moods", &mood),
            is_table(&t),
            relation_exists(&t),
            type_absent(&t),
        ] {
            let sql = format!("SELECT {condition}");
            pg_query::parse(&sql, 0).unwrap_or_else(|e| panic!("{e}: {sql}"));
        }
        assert!(column_of_type(&t, "amount", &numeric).contains("format_type(atttypid, atttypmod) = 'numeric(12,2)'"));
        assert!(column_of_type(&t, "moods", &mood).contains("to_regtype('public.mood[]')"));
        assert!(constraint_absent(&t, "it's").contains("to_regclass('\"Billing\".\"order\"')"));
    }
}
