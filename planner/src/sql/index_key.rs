//! An index key as `CREATE INDEX` writes it: a column or an expression, with its
//! collation, operator class, direction and NULLS order.

use pg_query::protobuf::{node::Node as N, IndexElem, Node, SortByDir, SortByNulls};

use super::{expr_from_node, string_value, FragmentError};
use crate::libpg_query::{parse_tree, TreeError};
use crate::model::{quote_ident, IndexKey, KeyOptions};

/// The key and its options; `None` for what the model cannot hold (operator class
/// parameters, `USING` an operator).
pub fn index_key(elem: &IndexElem) -> Option<(IndexKey, KeyOptions)> {
    if !elem.opclassopts.is_empty() || elem.ordering == SortByDir::SortbyUsing as i32 {
        return None;
    }
    let key = match &elem.expr {
        Some(expr) => IndexKey::Expression(expr_from_node(expr)?),
        None => IndexKey::Column(elem.name.clone()),
    };
    let dotted = |list: &[Node]| {
        let parts: Vec<String> = list.iter().filter_map(string_value).map(|p| quote_ident(&p)).collect();
        (!parts.is_empty()).then(|| parts.join("."))
    };
    let descending = elem.ordering == SortByDir::SortbyDesc as i32;
    let nulls_first = match SortByNulls::try_from(elem.nulls_ordering) {
        Ok(SortByNulls::SortbyNullsFirst) => true,
        Ok(SortByNulls::SortbyNullsLast) => false,
        _ => descending,
    };
    let options = KeyOptions {
        collation: dotted(&elem.collation),
        opclass: dotted(&elem.opclass),
        descending,
        nulls_first,
    };
    Some((key, options))
}

/// One key of an index as written in `CREATE INDEX`: `name gin_trgm_ops`,
/// `created_at DESC NULLS LAST`, `(lower(email)) text_pattern_ops`.
pub fn parse_index_key(text: &str) -> Result<(IndexKey, KeyOptions), FragmentError> {
    let wrapped = format!("CREATE INDEX bellows_index ON bellows_table ({text})");
    let expected = || FragmentError {
        message: "expected one index key: a column or an expression in parentheses, then its options".into(),
        offset: None,
        help: Some("write it as in CREATE INDEX, for example `name gin_trgm_ops` or `created_at DESC NULLS LAST`".into()),
    };
    let tree = match parse_tree(&wrapped) {
        Ok(tree) => tree,
        Err(TreeError::Syntax(failure)) => {
            return Err(FragmentError {
                message: failure.message,
                offset: None,
                help: None,
            })
        }
        Err(TreeError::TooDeep) => return Err(expected()),
    };
    let [statement] = tree.stmts.as_slice() else { return Err(expected()) };
    let Some(N::IndexStmt(index)) = statement.stmt.as_ref().and_then(|s| s.node.as_ref()) else {
        return Err(expected());
    };
    match index.index_params.as_slice() {
        [Node {
            node: Some(N::IndexElem(elem)),
        }] => index_key(elem).ok_or_else(|| FragmentError {
            message: "operator class parameters and USING an operator are not supported in an index key".into(),
            offset: None,
            help: None,
        }),
        _ => Err(expected()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_and_written_back() {
        for (text, sql) in [
            ("name gin_trgm_ops", "gin_trgm_ops"),
            ("created_at DESC", "DESC"),
            ("created_at DESC NULLS LAST", "DESC NULLS LAST"),
            ("created_at ASC NULLS LAST", ""),
            ("a NULLS FIRST", "NULLS FIRST"),
            ("code COLLATE \"C\" text_pattern_ops", "COLLATE \"C\" text_pattern_ops"),
            ("(lower(email)) text_pattern_ops", "text_pattern_ops"),
        ] {
            let (_, options) = parse_index_key(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(options.sql(), sql, "{text}");
        }
        assert!(parse_index_key("a, b").is_err());
        assert!(parse_index_key("a DESC NULLS").is_err());
    }
}
