-- no-transaction
-- The safe way: a concurrent build outside a transaction, with a lock timeout so that
-- the statement gives up instead of queueing the application's queries behind it.
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
