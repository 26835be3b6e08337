-- A new table and its indexes: nothing else can see it until the migration commits,
-- so nothing here is at risk.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id bigint NOT NULL,
    email text NOT NULL,
    name text
);
CREATE INDEX users_org_id_idx ON users (org_id);
