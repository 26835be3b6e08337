//! BW159 `drop-function`: `DROP FUNCTION` or `DROP PROCEDURE` of a function the file did
//! not create, unless the same transaction creates it again.

use pg_query::protobuf::{node::Node as N, ObjectType};
use pg_query::NodeEnum;

use crate::lint::rule::recreated::Pending;
use crate::lint::rule::{Finding, Rule, RuleMeta, Severity, StatementContext, UnitCheck};
use crate::migration::ast;
use crate::model::QualifiedName;

pub struct DropFunction;

static META: RuleMeta = RuleMeta {
    code: "BW159",
    name: "drop-function",
    severity: Severity::Warning,
    default_enabled: true,
    summary: "an existing function or procedure dropped",
    why: "The application version still running may call the function, directly or through a trigger, a default or a view: every such call fails from the moment the migration commits. With CASCADE the triggers, defaults and views that use it are dropped too, silently changing what the running version's writes do. Dropping and creating the function again in one transaction (to change its signature or return type) is not reported: no other session sees it missing.",
    alternative: "-- release 1: stop calling the function, and deploy it\n-- release 2 (bellows' contract phase), or to change its body in place:\nCREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;",
};

impl Rule for DropFunction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn unit(&self) -> Option<Box<dyn UnitCheck>> {
        Some(Box::<Drops>::default())
    }
}

#[derive(Default)]
struct Drops(Pending);

impl UnitCheck for Drops {
    fn statement(&mut self, cx: &StatementContext<'_>, out: &mut Vec<Finding>) {
        let created: Vec<QualifiedName> = match cx.node {
            NodeEnum::CreateFunctionStmt(f) => ast::dotted(&f.funcname).into_iter().collect(),
            _ => Vec::new(),
        };
        let dropped = match cx.node {
            // What CASCADE drops besides is the cascade rule's to say.
            NodeEnum::DropStmt(drop) if is_function(drop.remove_type) => drop
                .objects
                    .iter()
                    .filter_map(|o| match &o.node {
                        Some(N::ObjectWithArgs(f)) => ast::dotted(&f.objname),
                        _ => None,
                    })
                    .filter(|name| !cx.state.created_functions.contains(name))
                    .map(|name| {
                        let finding = Finding::new(
                            cx.span_of(&name.name),
                            format!("breaks the application version still running if it calls {name}, directly or through a trigger or a default: the function is gone from the moment the migration commits"),
                            "stop calling it, deploy, then drop it in a later migration (bellows' contract phase); to change its body, CREATE OR REPLACE FUNCTION keeps it in place",
                        );
                        (name, finding)
                    })
                    .collect(),
            _ => Vec::new(),
        };
        self.0.statement(cx, &created, dropped, out);
    }

    fn finish(self: Box<Self>, out: &mut Vec<Finding>) {
        self.0.finish(out);
    }
}

fn is_function(kind: i32) -> bool {
    [ObjectType::ObjectFunction, ObjectType::ObjectProcedure, ObjectType::ObjectRoutine]
        .iter()
        .any(|k| *k as i32 == kind)
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::testing::{assert_clean, assert_fires, fired, lint_in_transaction, render};

    #[test]
    fn fires_on_an_existing_function() {
        insta::assert_snapshot!(render("DROP FUNCTION touch() CASCADE;"));
        assert_fires("BW159", "DROP PROCEDURE IF EXISTS billing.close_month(int);");
        assert_fires(
            "BW159",
            "DROP FUNCTION f(int);\nCREATE FUNCTION f(bigint) RETURNS int LANGUAGE sql AS 'SELECT 1';",
        );
    }

    #[test]
    fn quiet_on_functions_of_this_file_or_created_again_in_the_same_transaction() {
        assert_clean("BW159", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\nDROP FUNCTION f();");
        let recreated = "DROP FUNCTION f(int);\nCREATE FUNCTION f(bigint) RETURNS int LANGUAGE sql AS 'SELECT 1';";
        assert_eq!(fired(&lint_in_transaction(recreated), "BW159"), 0);
        assert_clean("BW159", "DROP TRIGGER t_touch ON t;");
    }
}
