//! One `[tables.NAME]` section: columns, keys, indexes and constraints, checked
//! within the table (names exist, no duplicates, SQL fragments parse).

use toml::Spanned;

use super::raw::{RawColumn, RawForeignKey, RawIndex, RawTable, Text};
use super::{did_you_mean, Context};
use crate::model::{
    builtin_type_names, derived_name, Check, Column, Deferrable, Expr, ForeignKey, Identity, Index, IndexKey, PrimaryKey, QualifiedName, ReferentialAction,
    Table, Unique,
};
use crate::sql::parse_predicate;

const INDEX_METHODS: &[&str] = &["btree", "hash", "gist", "spgist", "gin", "brin"];
const ACTIONS: &[&str] = &["no action", "restrict", "cascade", "set null", "set default"];

impl Context<'_> {
    pub(super) fn table(&mut self, name: QualifiedName, raw: &RawTable) -> Table {
        let mut table = Table::new(name);
        table.comment = raw.comment.clone();
        table.renamed_from = raw.renamed_from.as_ref().and_then(|r| self.qualified(r, "table"));
        for raw_column in &raw.columns {
            let raw_column = raw_column.get_ref();
            if table.column(raw_column.name.get_ref()).is_some() {
                let message = format!("column `{}` is declared twice in table {}", raw_column.name.get_ref(), table.name);
                self.error(raw_column.name.span(), message, None);
            } else if let Some(column) = self.column(raw_column) {
                table.columns.push(column);
            }
        }
        for raw_column in &raw.columns {
            let raw_column = raw_column.get_ref();
            let Some(column) = table.column(raw_column.name.get_ref()).cloned() else {
                continue;
            };
            let fragments = [(&column.generated, &raw_column.generated), (&column.backfill, &raw_column.backfill)];
            for (expr, text) in fragments {
                if let (Some(expr), Some(text)) = (expr, text) {
                    self.columns_exist(&table, expr, text);
                }
            }
        }
        if let Some(pk) = &raw.primary_key {
            let columns = self.column_list(&table, pk, "primary key");
            for column in table.columns.iter_mut().filter(|c| columns.contains(&c.name)) {
                // PostgreSQL makes primary key columns NOT NULL; the model says so too,
                // so that a declared and an introspected table compare equal.
                column.nullable = false;
            }
            let default_name = derived_name(&[&table.name.name, "pkey"]);
            let name = raw.primary_key_name.as_ref().map_or(default_name, |n| n.get_ref().clone());
            table.primary_key = Some(PrimaryKey { name, columns });
        }
        for raw_index in &raw.indexes {
            if let Some(index) = self.index(&table, raw_index.get_ref()) {
                table.indexes.push(index);
            }
        }
        for raw_unique in &raw.uniques {
            let raw_unique = raw_unique.get_ref();
            let columns = self.column_list(&table, &raw_unique.columns, "unique constraint");
            let name = self.name_or(&raw_unique.name, || derived_name(&[&table.name.name, &columns.join("_"), "key"]));
            table.uniques.push(Unique { name, columns });
        }
        for raw_check in &raw.checks {
            let raw_check = raw_check.get_ref();
            self.name_fits(&raw_check.name);
            if let Some(expression) = self.expression("check expression", &raw_check.expression) {
                self.columns_exist(&table, &expression, &raw_check.expression);
                table.checks.push(Check {
                    name: raw_check.name.get_ref().clone(),
                    expression,
                });
            }
        }
        for raw_fk in &raw.foreign_keys {
            let fk = self.foreign_key(&table, raw_fk.get_ref());
            table.foreign_keys.push(fk);
        }
        table
    }

    fn column(&mut self, raw: &RawColumn) -> Option<Column> {
        self.name_fits(&raw.name);
        let ty = match self.parsed.ty(raw.ty.get_ref()) {
            Ok(ty) => ty,
            Err(e) => {
                self.fragment_error("type", &raw.ty, e);
                return None;
            }
        };
        if let Some(user_type) = ty.user_type() {
            // A bare unknown name is most likely a typo of a built-in type; a type from an
            // extension is written schema-qualified (`public.citext`), which is accepted.
            let qualified = raw.ty.get_ref().contains('.');
            if !qualified && !self.enums.contains(user_type) {
                let candidates: Vec<String> = builtin_type_names()
                    .map(str::to_string)
                    .chain(self.enums.iter().map(|e| e.name.clone()))
                    .collect();
                let help = did_you_mean(&user_type.name, candidates.iter().map(String::as_str)).or_else(|| {
                    Some(format!(
                        "declare it under [enums.{}], or write an extension's type schema-qualified (`public.{}`)",
                        user_type.name, user_type.name
                    ))
                });
                self.error(raw.ty.span(), format!("unknown type `{}`", raw.ty.get_ref()), help);
                return None;
            }
        }
        let mut column = Column::new(raw.name.get_ref().clone(), ty);
        column.nullable = raw.nullable.unwrap_or(true);
        column.default = raw.default.as_ref().and_then(|d| self.expression("default", d));
        if let (Some(default), Some(raw_default)) = (&column.default, &raw.default) {
            // PostgreSQL: "cannot use column reference in DEFAULT expression".
            if let Some(reference) = default.columns.iter().next() {
                let help = Some("a default cannot read other columns; use `backfill` for existing rows, or a generated column".to_string());
                self.error(raw_default.span(), format!("the default `{default}` refers to column `{reference}`"), help);
            }
        }
        column.generated = raw.generated.as_ref().and_then(|g| self.expression("generated expression", g));
        column.backfill = raw.backfill.as_ref().and_then(|b| self.expression("backfill", b));
        column.using = raw.using.as_ref().and_then(|u| self.expression("conversion", u));
        column.comment = raw.comment.clone();
        column.renamed_from = raw.renamed_from.as_ref().map(|r| r.get_ref().clone());
        if let Some(identity) = &raw.identity {
            column.identity = match identity.get_ref().to_lowercase().replace(['_', '-'], " ").as_str() {
                "always" => Some(Identity::Always),
                "by default" => Some(Identity::ByDefault),
                other => {
                    let help = did_you_mean(other, ["always", "by default"]).or(Some("use \"always\" or \"by default\"".into()));
                    self.error(identity.span(), format!("unknown identity kind `{}`", identity.get_ref()), help);
                    None
                }
            };
            if raw.nullable == Some(true) {
                self.error(
                    identity.span(),
                    format!("identity column `{}` cannot be nullable", column.name),
                    Some("remove `nullable = true`".into()),
                );
            }
            column.nullable = false;
        }
        let exclusive = [
            ("default", raw.default.is_some()),
            ("identity", raw.identity.is_some()),
            ("generated", raw.generated.is_some()),
        ];
        let given: Vec<&str> = exclusive.iter().filter(|(_, set)| *set).map(|(key, _)| *key).collect();
        if given.len() > 1 {
            let message = format!(
                "column `{}` sets both `{}` and `{}`; a column has at most one of them",
                column.name, given[0], given[1]
            );
            self.error(raw.name.span(), message, None);
        }
        Some(column)
    }

    fn index(&mut self, table: &Table, raw: &RawIndex) -> Option<Index> {
        let mut keys = Vec::new();
        let mut options = Vec::new();
        for key in raw.columns.get_ref() {
            let text = key.get_ref().trim();
            // A key with options, as in CREATE INDEX: `name gin_trgm_ops`, `created_at DESC`.
            let decorated = match crate::sql::parse_index_key(text) {
                Ok((parsed, o)) if table.column(text).is_none() && o != crate::model::KeyOptions::default() => Some((parsed, o)),
                _ => None,
            };
            options.push(decorated.as_ref().map(|(_, o)| o.clone()).unwrap_or_default());
            if let Some((parsed, _)) = decorated {
                match &parsed {
                    IndexKey::Column(c) if table.column(c).is_none() => {
                        let help = did_you_mean(c, table.columns.iter().map(|c| c.name.as_str()));
                        self.error(
                            key.span(),
                            format!("the index names column `{c}`, which table {} does not have", table.name),
                            help,
                        );
                    }
                    IndexKey::Expression(e) => self.columns_exist(table, e, key),
                    IndexKey::Column(_) => {}
                }
                keys.push(parsed);
            } else if text.starts_with('(') {
                // An expression key, written as in CREATE INDEX: `(lower(email))`.
                let expression = self.expression("index expression", key)?;
                self.columns_exist(table, &expression, key);
                keys.push(IndexKey::Expression(expression));
            } else if self.column_exists(table, key, "index") {
                keys.push(IndexKey::Column(text.to_string()));
            }
        }
        if raw.columns.get_ref().is_empty() {
            self.error(raw.columns.span(), "an index needs at least one column or expression", None);
        }
        let include = raw
            .include
            .iter()
            .filter(|c| self.column_exists(table, c, "INCLUDE list"))
            .map(|c| c.get_ref().clone())
            .collect();
        let predicate = raw.predicate.as_ref().and_then(|p| match parse_predicate(p.get_ref()) {
            Ok(predicate) => Some(predicate),
            Err(e) => {
                self.fragment_error("index predicate", p, e);
                None
            }
        });
        let method = raw.method.as_ref().and_then(|m| {
            let lower = m.get_ref().to_lowercase();
            if INDEX_METHODS.contains(&lower.as_str()) {
                return (lower != "btree").then_some(lower);
            }
            self.error(
                m.span(),
                format!("unknown index method `{}`", m.get_ref()),
                did_you_mean(&lower, INDEX_METHODS.iter().copied()),
            );
            None
        });
        let name = self.name_or(&raw.name, || {
            let parts: Vec<&str> = keys.iter().map(|k| if let IndexKey::Column(c) = k { c.as_str() } else { "expr" }).collect();
            derived_name(&[&table.name.name, &parts.join("_"), "idx"])
        });
        Some(
            Index {
                name,
                keys,
                unique: raw.unique,
                predicate,
                method,
                include,
                options,
            }
            .with_normal_options(),
        )
    }

    fn foreign_key(&mut self, table: &Table, raw: &RawForeignKey) -> ForeignKey {
        let columns = self.column_list(table, &raw.columns, "foreign key");
        let name = self.name_or(&raw.name, || derived_name(&[&table.name.name, &columns.join("_"), "fkey"]));
        let references = self.qualified(&raw.references, "table").unwrap_or_else(|| table.name.clone());
        let referenced_columns = raw
            .referenced_columns
            .as_ref()
            .map(|c| c.get_ref().iter().map(|c| c.get_ref().clone()).collect())
            .unwrap_or_default();
        let deferrable = match (raw.deferrable, raw.initially_deferred) {
            (_, true) => Deferrable::InitiallyDeferred,
            (true, false) => Deferrable::InitiallyImmediate,
            (false, false) => Deferrable::NotDeferrable,
        };
        ForeignKey {
            name,
            columns,
            references,
            referenced_columns,
            on_delete: self.action(raw.on_delete.as_ref()),
            on_update: self.action(raw.on_update.as_ref()),
            deferrable,
        }
    }

    fn action(&mut self, raw: Option<&Text>) -> ReferentialAction {
        let Some(raw) = raw else { return ReferentialAction::NoAction };
        match raw.get_ref().to_lowercase().replace(['_', '-'], " ").as_str() {
            "no action" => ReferentialAction::NoAction,
            "restrict" => ReferentialAction::Restrict,
            "cascade" => ReferentialAction::Cascade,
            "set null" => ReferentialAction::SetNull,
            "set default" => ReferentialAction::SetDefault,
            other => {
                let help = did_you_mean(other, ACTIONS.iter().copied()).or(Some(format!("use one of: {}", ACTIONS.join(", "))));
                self.error(raw.span(), format!("unknown referential action `{}`", raw.get_ref()), help);
                ReferentialAction::NoAction
            }
        }
    }

    pub(super) fn expression(&mut self, what: &str, text: &Text) -> Option<Expr> {
        match self.parsed.expression(text.get_ref()) {
            // PostgreSQL refuses subqueries in defaults, checks, generated columns and
            // index expressions; a backfill or a conversion runs in an UPDATE and may use one.
            Ok(expr) if expr.subquery && !matches!(what, "backfill" | "conversion") => {
                self.error(
                    text.span(),
                    format!("a {what} cannot contain a subquery"),
                    Some("PostgreSQL evaluates it per row without running queries; use `backfill` or a trigger".into()),
                );
                None
            }
            Ok(expr) => Some(expr),
            Err(e) => {
                self.fragment_error(what, text, e);
                None
            }
        }
    }

    fn name_or(&mut self, name: &Option<Text>, default: impl FnOnce() -> String) -> String {
        if let Some(name) = name {
            self.name_fits(name);
        }
        name.as_ref().map_or_else(default, |n| n.get_ref().clone())
    }

    /// PostgreSQL silently cuts names to 63 bytes, and the catalog would then not match the file.
    pub(super) fn name_fits(&mut self, name: &Text) {
        let length = name.get_ref().len();
        if length > crate::model::MAX_IDENTIFIER_BYTES {
            let message = format!(
                "the name `{}` is {length} bytes long; PostgreSQL keeps only the first {}",
                name.get_ref(),
                crate::model::MAX_IDENTIFIER_BYTES
            );
            self.error(name.span(), message, Some("choose a shorter name".into()));
        }
    }

    pub(super) fn column_list(&mut self, table: &Table, list: &Spanned<Vec<Text>>, what: &str) -> Vec<String> {
        if list.get_ref().is_empty() {
            self.error(list.span(), format!("the {what} of table {} lists no columns", table.name), None);
        }
        list.get_ref()
            .iter()
            .filter(|c| self.column_exists(table, c, what))
            .map(|c| c.get_ref().clone())
            .collect()
    }

    pub(super) fn column_exists(&mut self, table: &Table, column: &Text, what: &str) -> bool {
        if table.column(column.get_ref()).is_some() {
            return true;
        }
        let help = did_you_mean(column.get_ref(), table.columns.iter().map(|c| c.name.as_str()));
        self.error(
            column.span(),
            format!("the {what} names column `{}`, which table {} does not have", column.get_ref(), table.name),
            help,
        );
        false
    }

    fn columns_exist(&mut self, table: &Table, expr: &Expr, text: &Text) {
        for column in &expr.columns {
            if table.column(column).is_none() {
                let help = did_you_mean(column, table.columns.iter().map(|c| c.name.as_str()));
                self.error(
                    text.span(),
                    format!("`{}` refers to column `{column}`, which table {} does not have", expr.text, table.name),
                    help,
                );
            }
        }
    }
}
