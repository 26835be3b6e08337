//! How a lock from the lock-facts table reads in a message: what it blocks, on which
//! relation, for how long. One wording for every rule of the group.

use crate::locks::{relation_locks, Cost, LockMode, PgVersion, RelationLock};
use crate::migration::classify::Action;

/// The lock `action` takes on its own table, if the lock-facts table gives it that cost:
/// a rule about rewrites or scans reports the lock of its own action, not another
/// action's on the same table.
pub fn lock_at(action: &Action, pg: PgVersion, cost: Cost) -> Option<RelationLock> {
    relation_locks(action.op, pg, &action.table, None).into_iter().find(|l| l.cost == cost)
}

/// For how long a lock of this cost is held, once granted.
pub fn until(cost: Cost) -> &'static str {
    match cost {
        Cost::Instant => "while it waits for the transactions already using the table, then briefly",
        Cost::Scan => "until every row has been read",
        Cost::Rewrite => "until the table and all its indexes have been rewritten",
        Cost::Batched => "for one batch at a time",
    }
}

/// `blocks reads and writes to public.users until every row has been read (AccessExclusiveLock)`.
pub fn blocks(lock: &RelationLock) -> String {
    blocks_on(lock.mode, lock.cost, &lock.relation.to_string())
}

/// The same, naming the relation in words (`the table of public.users_email_idx`).
pub fn blocks_on(mode: LockMode, cost: Cost, relation: &str) -> String {
    format!("blocks {} to {relation} {} ({mode})", mode.blocks(), until(cost))
}

/// The same for several relations, joined when they are locked alike (a foreign key's
/// two tables): `blocks writes to public.orders and public.users until ...`.
pub fn blocks_all(locks: &[RelationLock]) -> String {
    match locks {
        [first, rest @ ..] if rest.iter().all(|l| l.mode == first.mode && l.cost == first.cost) => {
            let relations: Vec<String> = locks.iter().map(|l| l.relation.to_string()).collect();
            blocks_on(first.mode, first.cost, &relations.join(" and "))
        }
        _ => locks.iter().map(blocks).collect::<Vec<_>>().join(", and "),
    }
}
