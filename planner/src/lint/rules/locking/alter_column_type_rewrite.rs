//! BW122 `alter-column-type-rewrite`: `ALTER COLUMN ... TYPE` that rewrites an existing
//! table and its indexes.

use crate::lint::rule::commands;
use crate::lint::rule::wording;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext};
use crate::locks::{may_skip_rewrite_to, Cost, Op};
use crate::migration::ast;
use crate::model::SqlType;

pub struct AlterColumnTypeRewrite;

static META: RuleMeta = RuleMeta {
    code: "BW122",
    name: "alter-column-type-rewrite",
    severity: Severity::Error,
    default_enabled: true,
    summary: "a column type change that rewrites an existing table",
    why: "ALTER COLUMN ... TYPE takes ACCESS EXCLUSIVE and normally rewrites the whole table and rebuilds all its indexes while holding it: every SELECT, INSERT, UPDATE and DELETE waits until the rewrite ends, minutes to hours on a big table, on every PostgreSQL version. A binary-coercible change (varchar(n) to a longer varchar or to text, numeric(p,s) to a larger p with the same s, more fractional-second precision, cidr to inet) is catalog-only and not reported (ALTER TABLE docs, Notes). bellows treats a USING expression as a rewrite: PostgreSQL skips the rewrite only when USING leaves the values unchanged. When the file does not show the column's current type (the table predates the file), bellows cannot tell a binary-coercible change from a rewrite: if the new type is one a binary-coercible change can reach, it still reports the change, at this rule's severity, and says \"unless the change is binary-coercible\": an unexpected rewrite is an outage, a false alarm costs one suppression comment with the reason (`bellows plan` writes that comment itself for the changes it knows are binary-coercible).",
    alternative: "-- expand: a new column, kept in sync by a trigger\nALTER TABLE events ADD COLUMN counter_new bigint;\nCREATE FUNCTION events_sync_counter() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.counter_new := NEW.counter; RETURN NEW; END $$;\nCREATE TRIGGER events_sync_counter BEFORE INSERT OR UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_sync_counter();\n-- backfill: copy existing rows in batches\nUPDATE events SET counter_new = counter WHERE id BETWEEN 1 AND 10000;\n-- contract, after the deploy, in one short transaction:\nDROP TRIGGER events_sync_counter ON events;\nALTER TABLE events DROP COLUMN counter;\nALTER TABLE events RENAME COLUMN counter_new TO counter;\n-- `bellows plan --sql FILE` prints the whole recipe, indexes and constraints included",
};

impl Rule for AlterColumnTypeRewrite {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        for (cmd, action) in commands::type_changes(cx) {
            if !cx.existing(&action.table) || action.op != (Op::AlterColumnType { rewrite: true }) {
                continue;
            }
            let Some(lock) = wording::lock_at(action, cx.pg, Cost::Rewrite) else {
                continue;
            };
            let Some(pg_query::protobuf::node::Node::ColumnDef(def)) = ast::definition(cmd) else {
                continue;
            };
            let new = def.type_name.as_ref().and_then(|t| crate::sql::type_from_ast(t).ok());
            let old = cx.state.column(&action.table, &cmd.name).map(|c| c.ty.clone());
            let column = format!("{}.{}", action.table, cmd.name);
            let change = describe(&column, old.as_ref(), new.as_ref(), def.raw_default.is_some());
            let recipe = "add a column of the new type kept in sync by a trigger, copy existing rows in batches, and swap the columns in one short transaction after the deploy; `bellows plan --sql FILE` prints these steps";
            let help = if change.uncertain {
                format!("if the change is binary-coercible, suppress this finding with the reason (`-- bellows: allow BW122 ...`); otherwise {recipe}")
            } else {
                recipe.to_string()
            };
            out.push(Finding::new(
                cx.span_of_column(&cmd.name),
                format!("{}, {}", wording::blocks(&lock), change.text),
                help,
            ));
        }
    }
}

struct Change {
    text: String,
    /// The current type is unknown and the new one can be reached without a rewrite.
    uncertain: bool,
}

fn describe(column: &str, old: Option<&SqlType>, new: Option<&SqlType>, using: bool) -> Change {
    let to = new.map_or_else(String::new, |t| format!(" to {t}"));
    let certain = |text: String| Change { text, uncertain: false };
    match old {
        _ if using => certain(format!("to convert {column}{to} with a USING expression")),
        Some(old) => certain(format!("to change {column} from {old}{to}")),
        None if new.is_some_and(may_skip_rewrite_to) => Change {
            text: format!(
                "to change {column}{to}, unless the change from its current type is binary-coercible (e.g. varchar(n) to a longer varchar or to text, numeric(p,s) to a larger p); the file does not show the current type"
            ),
            uncertain: true,
        },
        None => certain(format!("to change {column}{to}")),
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, fired, lint, render};

    #[test]
    fn fires_on_a_rewriting_change() {
        insta::assert_snapshot!(render("ALTER TABLE events ALTER COLUMN counter TYPE bigint;"));
        assert_fires(
            "BW122",
            "ALTER TABLE billing.\"Invoices\" ALTER \"Total\" TYPE numeric(12,2) USING \"Total\"::numeric;",
        );
        let two = "ALTER TABLE events ALTER COLUMN counter TYPE bigint, ALTER COLUMN payload TYPE jsonb;";
        assert_eq!(fired(&lint(two), "BW122"), 2);
    }

    #[test]
    fn says_when_the_current_type_is_unknown() {
        insta::assert_snapshot!(render("ALTER TABLE users ALTER COLUMN handle TYPE varchar(50);"));
    }

    #[test]
    fn fires_when_the_known_type_change_rewrites_or_uses_using() {
        let known = "ALTER TABLE users ADD COLUMN handle varchar(50);\nALTER TABLE users ALTER COLUMN handle TYPE varchar(20);";
        insta::assert_snapshot!(render(known));
        assert_fires(
            "BW122",
            "ALTER TABLE users ADD COLUMN handle varchar(20);\nALTER TABLE users ALTER COLUMN handle TYPE text USING lower(handle);",
        );
    }

    #[test]
    fn quiet_on_binary_coercible_changes_and_new_tables() {
        assert_clean(
            "BW122",
            "ALTER TABLE users ADD COLUMN handle varchar(20);\nALTER TABLE users ALTER COLUMN handle TYPE varchar(50);",
        );
        assert_clean(
            "BW122",
            "ALTER TABLE users ADD COLUMN bio varchar(200);\nALTER TABLE users ALTER COLUMN bio TYPE text;",
        );
        assert_clean(
            "BW122",
            "ALTER TABLE users ADD COLUMN balance numeric(10,2);\nALTER TABLE users ALTER COLUMN balance TYPE numeric(12,2);",
        );
        assert_clean("BW122", "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;");
        assert_clean("BW122", "ALTER TABLE users ALTER COLUMN email SET DEFAULT '';");
    }
}
