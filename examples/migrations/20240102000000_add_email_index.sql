-- Risky: sqlx runs this file in a transaction, and the index build blocks every
-- write to users until it has read the whole table.
CREATE UNIQUE INDEX users_email_key ON users (email);
ALTER TABLE users ADD CONSTRAINT users_org_fk FOREIGN KEY (org_id) REFERENCES orgs (id);
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
