//! `ATTACH PARTITION` and `DETACH PARTITION`: the partition, the parent, and the
//! parent's default partition, whose rows are checked against a new partition's bound.
//! An attach skips its scan of the partition when the partition's validated checks
//! prove the bound (`bound`).

use pg_query::protobuf::{node::Node as N, AlterTableType as At};

use crate::locks::Op;
use crate::migration::ast;
use crate::migration::bound::{self, Comparison};
use crate::migration::classify::Action;
use crate::migration::state::State;
use crate::model::QualifiedName;

pub(super) fn partition_command(subtype: At, def: Option<&N>, parent: &QualifiedName, state: &State) -> Vec<Action> {
    let Some(N::PartitionCmd(partition)) = def else { return Vec::new() };
    let Some(child) = partition.name.as_ref().map(ast::relation) else {
        return Vec::new();
    };
    let (op, default) = match subtype {
        At::AtAttachPartition => {
            let is_default = partition.bound.as_ref().is_some_and(|b| b.is_default);
            let proven = partition.bound.as_ref().is_some_and(|b| proves_bound(state, parent, &child, b));
            (Op::AttachPartition { proven }, (!is_default).then_some(Op::DefaultPartition { scan: true }))
        }
        At::AtDetachPartition => (
            Op::DetachPartition {
                concurrently: partition.concurrent,
            },
            Some(Op::DefaultPartition { scan: false }),
        ),
        _ => (Op::DetachPartition { concurrently: true }, None),
    };
    let mut out = vec![Action {
        op,
        table: child.clone(),
        referenced: Some(parent.clone()),
    }];
    if let (Some(op), Some(default)) = (default, state.default_partition(parent).filter(|d| **d != child)) {
        out.push(Action::new(op, default.clone()));
    }
    out
}

/// True when the validated checks and NOT NULL columns known on `child` prove the
/// partition bound on the parent's (single, plain-column) partition key.
fn proves_bound(state: &State, parent: &QualifiedName, child: &QualifiedName, spec: &pg_query::protobuf::PartitionBoundSpec) -> bool {
    let Some([key]) = state.partition_keys.get(parent).map(Vec::as_slice) else {
        return false;
    };
    let mut facts: Vec<Comparison> = state
        .constraints
        .iter()
        .filter(|((t, _), c)| t == child && c.validated)
        .flat_map(|(_, c)| c.bounds.iter().cloned())
        .collect();
    if state.not_null(child, key) == Some(true) {
        facts.push(Comparison::NotNull(key.clone()));
    }
    bound::proves(&facts, key, spec)
}
