-- Breaks the application version that is still running while the new one deploys.
ALTER TABLE users RENAME COLUMN name TO full_name;
