//! A complete walk over a pg_query syntax tree.
//!
//! pg_query's own `nodes()` iterator covers only the node types it needs for table
//! extraction; deciding volatility or finding column references must not miss a
//! function call nested in a `CASE` or a `COALESCE`. The protobuf types serialise
//! with serde, so the tree is walked generically through its JSON form. This costs
//! microseconds per fragment and is used only on small expressions.

use pg_query::protobuf::Node;
use serde_json::Value;

/// Calls `visit(kind, fields)` for every node in the tree, `kind` being the node's
/// protobuf type name (`FuncCall`, `ColumnRef`, ...).
pub fn walk(node: &Node, visit: &mut dyn FnMut(&str, &Value)) {
    if let Ok(json) = serde_json::to_value(node) {
        walk_value(&json, visit);
    }
}

fn walk_value(value: &Value, visit: &mut dyn FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                    visit(key, child);
                }
                walk_value(child, visit);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| walk_value(item, visit)),
        _ => {}
    }
}

/// The `sval` strings of a list of `String` nodes (a qualified name), in order.
pub fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.pointer("/node/String/sval").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
