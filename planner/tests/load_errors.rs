//! schema.toml errors are reported like a compiler's: every problem of the file in one
//! run, each at its line and column, in file order (issue 8). Before, a misspelt key
//! or a value of the wrong type stopped the loading at the first one, and the problems
//! found later (an index on a column that does not exist) showed only once it was fixed.

use planner::load_schema;

/// `line:column: message` of every error of `source`, in order.
fn errors(source: &str) -> Vec<String> {
    let error = load_schema("s.toml", source).expect_err("the file has problems");
    error.errors.iter().map(|e| format!("{}:{}: {}", e.line, e.column, e.message)).collect()
}

#[test]
fn every_problem_of_a_file_is_reported_in_one_run() {
    let source = r#"[tables.users]
primary_key = ["id"]
colums = []
columns = [
  { name = "id", type = "bigint", nulable = false },
  { name = "email", type = "txt" },
]
indexes = [ { name = "x", columns = ["nope"] } ]

[tables.orgs]
primary_key = ["id"]
columns = [ { name = "id", type = "bigint", nullable = "no" } ]
commnet = "x"

[enums.mood]
valuez = ["a"]
"#;
    assert_eq!(
        errors(source),
        [
            "3:1: unknown key `colums`",
            "5:35: unknown key `nulable`",
            "6:28: unknown type `txt`",
            "8:38: the index names column `nope`, which table public.users does not have",
            "12:56: invalid type: string \"no\", expected a boolean",
            "13:1: unknown key `commnet`",
            "16:1: unknown key `valuez`",
        ]
    );
}

#[test]
fn a_misspelt_key_is_read_as_the_key_it_was_meant_to_be() {
    // `nmae` is taken for `name`: no "missing field `name`" follows, and the column's
    // other problem (its type) is still found.
    let source = r#"[tables.users]
columns = [ { nmae = "id", type = "bigint", nullable = "yes" } ]
"#;
    assert_eq!(
        errors(source),
        ["2:15: unknown key `nmae`", "2:56: invalid type: string \"yes\", expected a boolean"]
    );
}

#[test]
fn syntax_errors_are_reported_once_per_line() {
    let source = "[tables.users]\ncolumns = [ { name = \"id\", type = \"bigint\" ]\nprimary_key = [\"id\"\n[tables.orgs\n";
    let found = errors(source);
    assert_eq!(found.len(), 3, "{found:?}");
    let lines: Vec<&str> = found.iter().map(|e| e.split(':').next().unwrap_or_default()).collect();
    assert_eq!(lines, ["2", "3", "4"]);
}
