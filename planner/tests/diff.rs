//! The diff, entered directly: two schema.toml texts in, the changes' one-line
//! descriptions out, through one `check` helper.

use planner::{diff, load_schema, PlanError};

fn changes(before: &str, after: &str) -> Result<Vec<String>, PlanError> {
    let before = load_schema("before.toml", before).expect("before loads");
    let after = load_schema("after.toml", after).expect("after loads");
    diff(&before, &after).map(|changes| changes.iter().map(|c| c.describe()).collect())
}

fn check(before: &str, after: &str, expected: &[&str]) {
    let got = changes(before, after).expect("diff succeeds");
    assert_eq!(got, expected, "\nbefore:\n{before}\nafter:\n{after}");
}

const T: &str = "[tables.t]\nprimary_key = [\"id\"]\ncolumns = [\n  { name = \"id\", type = \"bigint\" },\n";

fn t(columns: &str, rest: &str) -> String {
    format!("{T}{columns}]\n{rest}")
}

#[test]
fn identical_schemas_have_no_changes() {
    let s = t("  { name = \"a\", type = \"int\" },\n", "");
    check(&s, &s, &[]);
}

#[test]
fn aliases_are_not_changes() {
    check(
        &t("  { name = \"a\", type = \"int4\" },\n", ""),
        &t("  { name = \"a\", type = \"integer\" },\n", ""),
        &[],
    );
    check(
        &t("  { name = \"a\", type = \"timestamptz\", default = \"now()\" },\n", ""),
        &t("  { name = \"a\", type = \"timestamp with time zone\", default = \"NOW( )\" },\n", ""),
        &[],
    );
}

#[test]
fn tables_are_created_dropped_and_renamed() {
    check("", &t("", ""), &["create table public.t"]);
    check(
        &t("", ""),
        "[tables.other]\ncolumns = [ { name = \"x\", type = \"int\" } ]\n",
        &["create table public.other", "drop table public.t"],
    );
    let renamed = "[tables.u]\nrenamed_from = \"t\"\nprimary_key = [\"id\"]\ncolumns = [\n  { name = \"id\", type = \"bigint\" },\n]\n";
    check(
        &t("", ""),
        renamed,
        &["rename table public.t to public.u", "rename constraint t_pkey on public.u to u_pkey"],
    );
}

#[test]
fn columns_in_both_directions() {
    let base = t("", "");
    let with = t("  { name = \"a\", type = \"text\" },\n", "");
    check(&base, &with, &["add column public.t.a text"]);
    check(&with, &base, &["drop column public.t.a"]);
    let not_null = t("  { name = \"a\", type = \"text\", nullable = false },\n", "");
    check(&with, &not_null, &["set public.t.a NOT NULL"]);
    check(&not_null, &with, &["drop NOT NULL on public.t.a"]);
    let defaulted = t("  { name = \"a\", type = \"text\", default = \"'x'\" },\n", "");
    check(&with, &defaulted, &["set default of public.t.a to 'x'"]);
    check(&defaulted, &with, &["drop default of public.t.a"]);
    let renamed = t("  { name = \"b\", type = \"text\", renamed_from = \"a\" },\n", "");
    check(&with, &renamed, &["rename column public.t.a to b"]);
    let retyped = t("  { name = \"a\", type = \"varchar(10)\" },\n", "");
    check(&with, &retyped, &["change type of public.t.a from text to character varying(10)"]);
}

#[test]
fn indexes_and_constraints_in_both_directions() {
    let base = t("  { name = \"a\", type = \"text\" },\n", "");
    let indexed = t(
        "  { name = \"a\", type = \"text\" },\n",
        "indexes = [ { name = \"t_a_idx\", columns = [\"a\"] } ]\n",
    );
    check(&base, &indexed, &["add index t_a_idx on public.t"]);
    check(&indexed, &base, &["drop index t_a_idx on public.t"]);
    let changed = t(
        "  { name = \"a\", type = \"text\" },\n",
        "indexes = [ { name = \"t_a_idx\", columns = [\"a\"], unique = true } ]\n",
    );
    check(&indexed, &changed, &["change definition of index t_a_idx on public.t"]);
    let checked = t(
        "  { name = \"a\", type = \"text\" },\n",
        "checks = [ { name = \"t_a_check\", expression = \"a <> ''\" } ]\n",
    );
    check(&base, &checked, &["add check t_a_check on public.t"]);
    check(&checked, &base, &["drop constraint t_a_check on public.t"]);
    let unique = t("  { name = \"a\", type = \"text\" },\n", "uniques = [ { columns = [\"a\"] } ]\n");
    check(&base, &unique, &["add unique constraint t_a_key on public.t"]);
}

#[test]
fn foreign_keys_reference_other_schemas() {
    let parent = "[tables.\"billing.Parent\"]\nprimary_key = [\"id\"]\ncolumns = [ { name = \"id\", type = \"bigint\" } ]\n";
    let before = format!("{parent}{}", t("  { name = \"p\", type = \"bigint\" },\n", ""));
    let after = format!(
        "{parent}{}",
        t(
            "  { name = \"p\", type = \"bigint\" },\n",
            "foreign_keys = [ { columns = [\"p\"], references = \"billing.Parent\" } ]\n"
        )
    );
    check(&before, &after, &["add foreign key t_p_fkey on public.t referencing billing.\"Parent\""]);
}

#[test]
fn enums_gain_values_in_place_and_refuse_removal() {
    check(
        "[enums.e]\nvalues = [\"a\", \"c\"]\n",
        "[enums.e]\nvalues = [\"a\", \"b\", \"c\", \"d\"]\n",
        &["add value 'b' to enum public.e", "add value 'd' to enum public.e"],
    );
    let refused = changes("[enums.e]\nvalues = [\"a\", \"b\"]\n", "[enums.e]\nvalues = [\"a\"]\n").expect_err("removal refused");
    assert!(refused.to_string().contains("removing"), "{refused}");
    let reorder = changes("[enums.e]\nvalues = [\"a\", \"b\"]\n", "[enums.e]\nvalues = [\"b\", \"a\"]\n").expect_err("reorder refused");
    assert!(reorder.to_string().contains("reordering"), "{reorder}");
}

#[test]
fn schemas_the_file_does_not_mention_are_left_alone() {
    let other = "[tables.\"audit.log\"]\ncolumns = [ { name = \"x\", type = \"int\" } ]\n";
    let before = format!("{other}{}", t("", ""));
    // The desired file mentions only public: audit.log is not dropped.
    assert_eq!(changes(&before, &t("", "")).expect("diff"), Vec::<String>::new());
    check("", other, &["create schema audit", "create table audit.log"]);
}

#[test]
fn a_new_name_for_the_same_definition_is_a_rename() {
    let old = t(
        "  { name = \"a\", type = \"text\" },\n",
        "indexes = [ { name = \"old_idx\", columns = [\"a\"] } ]\nchecks = [ { name = \"old_check\", expression = \"a <> ''\" } ]\n",
    );
    let new = t(
        "  { name = \"a\", type = \"text\" },\n",
        "indexes = [ { name = \"new_idx\", columns = [\"a\"] } ]\nchecks = [ { name = \"new_check\", expression = \"a <> ''\" } ]\n",
    );
    check(
        &old,
        &new,
        &[
            "rename index old_idx on public.t to new_idx",
            "rename constraint old_check on public.t to new_check",
        ],
    );
}

#[test]
fn applying_the_diff_gives_the_desired_schema() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("examples") {
        let path = entry.expect("entry").path();
        if !path.join("after.toml").exists() {
            continue; // examples/migrations holds SQL for the linter
        }
        let load = |name: &str| load_schema(name, &std::fs::read_to_string(path.join(name)).expect("readable")).expect("loads");
        let (before, after) = (load("before.toml"), load("after.toml"));
        let Ok(changes) = diff(&before, &after) else { continue };
        let mut applied = before.clone();
        for change in &changes {
            applied.apply(change);
        }
        // Column order and the bookkeeping keys (renamed_from, backfill, using) are
        // not part of the database; compare what is.
        let normal = |s: &planner::Schema| {
            let mut s = s.clone();
            for t in s.tables.values_mut() {
                t.renamed_from = None;
                t.columns.sort_by(|a, b| a.name.cmp(&b.name));
                t.indexes.sort_by(|a, b| a.name.cmp(&b.name));
                t.checks.sort_by(|a, b| a.name.cmp(&b.name));
                t.uniques.sort_by(|a, b| a.name.cmp(&b.name));
                t.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
                for c in &mut t.columns {
                    c.renamed_from = None;
                    c.backfill = None;
                    c.using = None;
                }
            }
            s
        };
        assert_eq!(normal(&applied), normal(&after), "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 15);
}

/// A schema's checksum counts what the diff compares, and nothing else: two schemas
/// with no change between them have the same checksum.
#[test]
fn the_checksum_counts_what_the_diff_compares() {
    let schema = |toml: &str| load_schema("s.toml", toml).expect("loads");
    let a = schema("[tables.t]\ncolumns = [{ name = \"a\", type = \"int\" }, { name = \"b\", type = \"text\", default = \"NOW( )\" }]");
    let b = schema("[tables.t]\ncolumns = [{ name = \"b\", type = \"text\", default = \"now()\", backfill = \"'x'\" }, { name = \"a\", type = \"int4\" }]");
    assert!(diff(&a, &b).expect("diffs").is_empty());
    assert_eq!(a.checksum(), b.checksum());
    for other in [
        "[tables.t]\ncolumns = [{ name = \"a\", type = \"bigint\" }, { name = \"b\", type = \"text\", default = \"now()\" }]",
        "[tables.t]\ncolumns = [{ name = \"a\", type = \"int\", nullable = false }, { name = \"b\", type = \"text\", default = \"now()\" }]",
        "[tables.t]\ncolumns = [{ name = \"a\", type = \"int\" }, { name = \"b\", type = \"text\" }]",
        "[tables.u]\ncolumns = [{ name = \"a\", type = \"int\" }, { name = \"b\", type = \"text\", default = \"now()\" }]",
    ] {
        let c = schema(other);
        assert!(!diff(&a, &c).expect("diffs").is_empty());
        assert_ne!(a.checksum(), c.checksum(), "{other}");
    }
}
