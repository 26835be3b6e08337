//! From a SQL migration to the safe plan: the recognisable DDL of the file becomes
//! `Change`s (statement by statement, following the schema as it evolves), which the
//! planner expands into phased steps. Statements it cannot map pass through as raw
//! steps with their lock impact, in file order.

mod recognise;

use pg_query::protobuf::{node::Node as N, AlterTableType as At};
use pg_query::NodeEnum;

use crate::change::Change;
use crate::error::{line_column, PlanError};
use crate::locks::Cost;
use crate::migration::transaction::outside_transaction;
use crate::migration::{ast, classify, parse, source};
use crate::model::{Column, QualifiedName, Schema, Table};
use crate::plan::{plan_statements, Plan, PlanOptions, Statement};
use crate::step::{Draft, Obj, Phase, Step, StepKind};
use recognise::recognise;

/// The plan for a migration file run against `current`.
pub fn plan_sql(current: &Schema, path: &str, text: &str, options: PlanOptions) -> Result<Plan, PlanError> {
    let (_, units) = source::units(path, text, None, None);
    let range = units.first().map_or(0..text.len(), |u| u.range.clone());
    // Tables the migration alters without `--from` describing them are known only by
    // name: they exist, with the columns the statements mention.
    let mut current = current.clone();
    let mut schema = current.clone();
    let mut created: Vec<QualifiedName> = Vec::new();
    let mut statements = Vec::new();
    // Statements run as written are named by their line, and a count when a line has several.
    let mut on_line = (0, 0);
    for statement in parse::parse_statements(text, range) {
        let (line, _) = line_column(text, statement.span.start);
        on_line = if on_line.0 == line { (line, on_line.1 + 1) } else { (line, 1) };
        let node = statement.result.map_err(|problem| match problem {
            parse::Problem::Syntax { message, offset } => {
                let (line, column) = line_column(text, offset);
                PlanError::refused(
                    format!("{path}:{line}:{column}"),
                    format!("the statement does not parse: {message}"),
                    "fix the statement; nothing can be planned from it",
                )
            }
            parse::Problem::TooDeep => PlanError::refused(
                format!("{path}:{line}"),
                "the statement is nested too deeply to analyse",
                "split the expression",
            ),
        })?;
        if let NodeEnum::AlterTableStmt(alter) = &node {
            for known in [&mut current, &mut schema] {
                assume_exists(known, alter);
            }
        }
        match recognise(&node, &schema) {
            Some(found) => {
                for change in found {
                    schema.apply(&change);
                    match change {
                        Change::CreateTable { ref table } => {
                            created.push(table.name.clone());
                            statements.push(Pending::Create(table.name.clone()));
                        }
                        // Changes to a table this file creates are folded into its CREATE.
                        ref other if other.table().is_some_and(|t| created.contains(t)) => {}
                        other => statements.push(Pending::Ready(Statement::Change(Box::new(other)))),
                    }
                }
            }
            None if is_bookkeeping(&node) => {}
            None => {
                let id = match on_line.1 {
                    1 => format!("statement:line-{line}"),
                    n => format!("statement:line-{line}-{n}"),
                };
                let step = raw_step(&node, &text[statement.span.clone()], id, line, &schema, options);
                statements.push(Pending::Ready(Statement::AsWritten(Box::new(step))));
            }
        }
    }
    // A created table is created as it is at the end of the file, where its CREATE was.
    let statements = statements
        .into_iter()
        .filter_map(|pending| match pending {
            Pending::Ready(statement) => Some(statement),
            Pending::Create(name) => schema
                .tables
                .get(&name)
                .map(|table| Statement::Change(Box::new(Change::CreateTable { table: table.clone() }))),
        })
        .collect();
    plan_statements(&current, &schema, statements, options)
}

/// A statement read, or a table created whose final shape is known at the end.
enum Pending {
    Ready(Statement),
    Create(QualifiedName),
}

/// Adds a table the file alters but nobody described, with the columns its commands
/// name (their types unknown: text), so that recipes that need no type can run.
fn assume_exists(schema: &mut Schema, alter: &pg_query::protobuf::AlterTableStmt) {
    let Some(name) = alter.relation.as_ref().map(ast::relation) else { return };
    if schema.tables.contains_key(&name) && !schema.tables[&name].columns.is_empty() {
        return;
    }
    let table = schema.tables.entry(name.clone()).or_insert_with(|| Table::new(name));
    for cmd in &alter.cmds {
        let Some(N::AlterTableCmd(cmd)) = &cmd.node else { continue };
        let names_column = matches!(
            At::try_from(cmd.subtype),
            Ok(At::AtSetNotNull | At::AtDropNotNull | At::AtDropColumn | At::AtColumnDefault)
        );
        if names_column && table.column(&cmd.name).is_none() {
            table.columns.push(Column::new(cmd.name.clone(), crate::model::SqlType::builtin("text")));
        }
    }
}

/// Transaction control and settings: the plan manages transactions and timeouts itself.
fn is_bookkeeping(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::TransactionStmt(_) | NodeEnum::VariableSetStmt(_))
}

fn raw_step(node: &NodeEnum, sql: &str, id: String, line: usize, schema: &Schema, options: PlanOptions) -> Draft {
    let mut state = crate::migration::state::State::default();
    state.schema = schema.clone();
    let facts = classify::facts_of(&classify::actions(node, &state, options.pg_version), options.pg_version);
    let mut step = Step::new(
        id,
        StepKind::Sql,
        Phase::Expand,
        format!("statement at line {line}, run as written (bellows has no recipe for it)"),
    );
    step.sql = vec![sql.to_string()];
    step.transactional = outside_transaction(node, options.pg_version).is_none();
    step.cost = facts.locks.iter().map(|l| l.cost).max().unwrap_or(Cost::Instant);
    step.locks = facts.locks;
    let mut draft = Draft::from(step);
    // The statement runs after whatever creates the tables it names.
    for table in ast::named_relations(node) {
        draft.needs(Obj::Table(table));
    }
    draft
}
