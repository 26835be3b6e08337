//! From a SQL migration to the safe plan: the recognisable DDL of the file becomes
//! `Change`s (statement by statement, following the schema as it evolves), which the
//! planner expands into phased steps. Whole-table `UPDATE`s and `DELETE`s run in
//! batches where their shape allows; other statements run as written, in file order,
//! after any column they touch is complete. With a known schema the file is checked
//! against it first, and every problem is reported at once.

mod batch;
mod check;
mod intent;
mod recognise;
mod replay;
mod touch;
mod written;

use std::collections::BTreeSet;

use pg_query::protobuf::{node::Node as N, AlterTableType as At};
use pg_query::NodeEnum;

use crate::change::Change;
use crate::error::{line_column, PlanError, SourceError};
use crate::migration::{ast, parse, source};
use crate::model::{Column, QualifiedName, Schema, Table};
use crate::plan::{plan_statements, Plan, PlanOptions, Statement, Touches};
use crate::step::{Draft, StepKind};
use batch::{batching, Batching, Where};
use check::Checker;
use intent::Intent;
use recognise::recognise;
use written::{drop_index_concurrently, raw_step, Written};

pub use replay::replay_sql;

/// The plan for a migration file run against `known` (the schema of `--from` or a
/// live database), or, without one, against tables assumed to exist as the file uses
/// them.
pub fn plan_sql(known: Option<&Schema>, path: &str, text: &str, options: PlanOptions) -> Result<Plan, PlanError> {
    plan_from(known, known.is_some(), path, text, options)
}

/// The plan for a migration file run after the migrations before it in its folder,
/// `replayed` being the schema they built. The tables and columns they built are
/// known (so type changes and renames get their recipes), but the history may not be
/// all of the database (tables made outside these files), so the file is not checked
/// against it: tables it does not know are assumed to exist, as without a schema.
pub fn plan_sql_after(replayed: &Schema, path: &str, text: &str, options: PlanOptions) -> Result<Plan, PlanError> {
    plan_from(Some(replayed), false, path, text, options)
}

fn plan_from(start: Option<&Schema>, checked: bool, path: &str, text: &str, options: PlanOptions) -> Result<Plan, PlanError> {
    let (_, units) = source::units(path, text, None, None);
    let range = units.first().map_or(0..text.len(), |u| u.range.clone());
    let mut current = start.cloned().unwrap_or_default();
    let mut schema = current.clone();
    // Tables the migration alters without a known schema describing them: their
    // columns' types are unknown.
    let mut assumed: BTreeSet<QualifiedName> = BTreeSet::new();
    let mut checker = Checker {
        known: checked,
        ..Checker::default()
    };
    let mut intent = Intent::default();
    let mut created: Vec<QualifiedName> = Vec::new();
    let mut statements = Vec::new();
    // Drops run as written that wait for contract, by their place in `statements`, and
    // what they drop.
    let mut deferred: Vec<(usize, Vec<QualifiedName>)> = Vec::new();
    // Statements run as written are named by their line, and a count when a line has several.
    let mut on_line = (0, 0);
    let mut last_line = 0;
    for statement in parse::parse_statements(text, range) {
        let (line, _) = line_column(text, statement.span.start);
        last_line = line;
        on_line = if on_line.0 == line { (line, on_line.1 + 1) } else { (line, 1) };
        let node = match statement.result {
            Ok(node) => node,
            Err(problem) => {
                checker.errors.push(unparsed(path, text, statement.span.start, problem));
                continue;
            }
        };
        let sql = &text[statement.span.clone()];
        if intent.read(&node, sql, line) {
            continue;
        }
        let problems = checker.errors.len();
        checker.check(&node, &schema, path, text, statement.span.clone());
        let wrong = checker.errors.len() > problems;
        undefer(&mut statements, &mut deferred, &written::mentions(&node), line);
        if let NodeEnum::AlterTableStmt(alter) = &node {
            for known in [&mut current, &mut schema] {
                if let Some(table) = assume_exists(known, alter) {
                    assumed.insert(table);
                }
            }
        }
        let found = recognise(&node, &schema).filter(|changes| !changes.iter().any(|c| needs_a_type(c, &assumed)));
        if let Some(found) = found {
            if !found.is_empty() {
                intent.split(line, "becomes phased steps");
            }
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
            continue;
        }
        // A statement found wrong refuses the plan: what it would do does not matter.
        if !wrong {
            checker.ran_as_written(&node);
        }
        let w = Written {
            node: &node,
            sql,
            id: match on_line.1 {
                1 => format!("statement:line-{line}"),
                n => format!("statement:line-{line}-{n}"),
            },
            line,
        };
        let touches = touch::touches(&node);
        if let Some(drops) = drop_index_concurrently(&w, &schema, options.pg_version) {
            intent.split(line, "drops an index concurrently, which cannot run in a transaction block");
            for drop in drops {
                let name = drop.drops.iter().find_map(|o| match o {
                    crate::step::DbObject::Index { name } => Some(name.clone()),
                    _ => None,
                });
                deferred.push((statements.len(), name.into_iter().collect()));
                statements.push(Pending::Ready(Statement::AsWritten(Box::new(drop), touches.clone())));
            }
            continue;
        }
        let at = Where {
            schema: &schema,
            created: &created,
            pg: options.pg_version,
            batch_size: options.batch_size,
            id: w.id.clone(),
            line,
        };
        let step = match batching(&node, &at) {
            Batching::Batched(step) => {
                intent.split(line, "runs in batches over the primary key, each batch in a transaction of its own");
                statements.push(Pending::Ready(Statement::AsWritten(step, touches)));
                continue;
            }
            Batching::Kept(why) => {
                let mut step = raw_step(&w, &schema, &assumed, options.pg_version);
                step.description = format!("{} ({why})", step.description);
                step
            }
            Batching::NotWholeTable => raw_step(&w, &schema, &assumed, options.pg_version),
        };
        if step.phase > crate::step::Phase::Expand {
            deferred.push((statements.len(), written::dropped(&node)));
        }
        as_written(&mut statements, &mut intent, step, touches, line);
    }
    intent.finish(last_line);
    if !checker.errors.is_empty() {
        return Err(PlanError::Invalid { errors: checker.errors });
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
    let mut plan = plan_statements(&current, &schema, statements, options)?;
    if let Some((ms, line)) = intent.lock_timeout {
        if ms != options.lock_timeout_ms {
            plan = plan.with_lock_timeout(ms);
        }
        intent.notes.push(format!(
            "the file's lock_timeout ({ms} ms, line {line}) is the plan's: every locking statement of the SQL script runs with it"
        ));
    }
    Ok(plan.with_notes(intent.notes))
}

/// A statement run as written: joined to the step of the statement before it when
/// both run as written in one transaction block of the file, on its own otherwise.
fn as_written(statements: &mut Vec<Pending>, intent: &mut Intent, mut step: Draft, touches: Touches, line: usize) {
    if !step.transactional {
        intent.split(line, "cannot run in a transaction block");
        if intent.statement_timeout.is_some() {
            intent.notes.push(format!(
                "the file's statement_timeout is not applied to line {line}, which runs outside a transaction"
            ));
        }
        statements.push(Pending::Ready(Statement::AsWritten(Box::new(step), touches)));
        return;
    }
    let joinable = intent.joinable && step.phase == crate::step::Phase::Expand && step.kind == StepKind::Sql;
    if let (true, Some(Pending::Ready(Statement::AsWritten(group, together)))) = (joinable, statements.last_mut()) {
        join(group, together, step, touches);
        intent.lines.push(line);
        let lines: Vec<String> = intent.lines.iter().map(ToString::to_string).collect();
        group.description = format!(
            "statements at lines {}, run as written in one transaction, as the file's BEGIN ... COMMIT has them",
            lines.join(", ")
        );
        return;
    }
    if let Some(timeout) = &intent.statement_timeout {
        step.sql.insert(0, format!("SET LOCAL statement_timeout = {timeout}"));
    }
    intent.joinable = intent.in_block() && step.phase == crate::step::Phase::Expand && step.kind == StepKind::Sql;
    intent.lines = vec![line];
    statements.push(Pending::Ready(Statement::AsWritten(Box::new(step), touches)));
}

/// Puts `step` into `group`'s transaction: its statements, locks and needs.
fn join(group: &mut Draft, together: &mut Touches, step: Draft, touches: Touches) {
    group.step.sql.extend(step.step.sql);
    group.step.cost = group.step.cost.max(step.step.cost);
    for lock in step.step.locks {
        match group.step.locks.iter_mut().find(|l| l.relation == lock.relation) {
            Some(held) => {
                held.mode = held.mode.max(lock.mode);
                held.cost = held.cost.max(lock.cost);
            }
            None => group.step.locks.push(lock),
        }
    }
    group.objects.needs.extend(step.objects.needs);
    together.tables.extend(touches.tables);
    together.columns.extend(touches.columns);
    together.all_columns |= touches.all_columns;
    together.opaque |= touches.opaque;
}

/// A drop deferred to contract that a later statement (at `line`, naming `mentioned`)
/// needs done, to re-create or change what it dropped: it runs in its place in expand
/// instead, and says that it breaks the old version.
fn undefer(statements: &mut [Pending], deferred: &mut Vec<(usize, Vec<QualifiedName>)>, mentioned: &[QualifiedName], line: usize) {
    deferred.retain(|(at, dropped)| {
        if !dropped.iter().any(|d| mentioned.contains(d)) {
            return true;
        }
        if let Some(Pending::Ready(Statement::AsWritten(step, _))) = statements.get_mut(*at) {
            step.phase = crate::step::Phase::Expand;
            step.description = format!(
                "{}; it runs in expand all the same, because the statement at line {line} needs it done",
                step.description
                    .replace(", run as written in contract: it drops", ", run as written. BREAKS THE OLD VERSION: it drops")
            );
        }
        false
    });
}

/// A statement or table created, whose final shape is known at the end.
enum Pending {
    Ready(Statement),
    Create(QualifiedName),
}

fn unparsed(path: &str, text: &str, start: usize, problem: parse::Problem) -> SourceError {
    match problem {
        parse::Problem::Syntax { message, offset } => SourceError::new(path, text, offset..offset, format!("the statement does not parse: {message}"))
            .with_help(Some("fix the statement; nothing can be planned from it".into())),
        parse::Problem::TooDeep => {
            SourceError::new(path, text, start..start, "the statement is nested too deeply to analyse").with_help(Some("split the expression".into()))
        }
    }
}

/// A change whose recipe needs the column's current type, on a column of a table
/// only assumed to exist (its type unknown): it runs as written instead.
fn needs_a_type(change: &Change, assumed: &BTreeSet<QualifiedName>) -> bool {
    matches!(change, Change::AlterColumnType { table, .. } | Change::RenameColumn { table, .. } if assumed.contains(table))
}

/// Adds a table the file alters but nobody described, with the columns its commands
/// name (their types unknown: text), so that recipes that need no type can run; returns
/// its name when it is assumed.
fn assume_exists(schema: &mut Schema, alter: &pg_query::protobuf::AlterTableStmt) -> Option<QualifiedName> {
    let name = alter.relation.as_ref().map(ast::relation)?;
    if schema.tables.contains_key(&name) && !schema.tables[&name].columns.is_empty() {
        return None;
    }
    let table = schema.tables.entry(name.clone()).or_insert_with(|| Table::new(name.clone()));
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
    Some(name)
}
