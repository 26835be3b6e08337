//! Schema-qualified names and identifier quoting, the way PostgreSQL's `quote_ident` does it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// PostgreSQL truncates identifiers to 63 bytes (`NAMEDATALEN - 1`).
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// A schema-qualified relation or type name, such as `public.users`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// Splits `"billing.invoices"` into schema and name; a bare name is in `public`.
    /// Names in schema.toml are exact catalog names, not SQL: `Users` means the
    /// table `"Users"`. A part that contains a dot is written in double quotes.
    pub fn parse(text: &str) -> Option<QualifiedName> {
        let parts = split_dotted(text)?;
        match parts.as_slice() {
            [name] => Some(QualifiedName::new("public", name.clone())),
            [schema, name] => Some(QualifiedName::new(schema.clone(), name.clone())),
            _ => None,
        }
    }

    /// The name as SQL: each part quoted only where PostgreSQL needs it.
    pub fn sql(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// A sibling object in the same schema (an index, a view, a function).
    pub fn sibling(&self, name: impl Into<String>) -> QualifiedName {
        QualifiedName::new(self.schema.clone(), name)
    }
}

impl fmt::Display for QualifiedName {
    /// The human form used in messages: `public.users`, quoted only where needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
    }
}

impl Serialize for QualifiedName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.sql())
    }
}

/// Reads back what `Serialize` wrote: `parse` takes quoted parts exactly, and `sql()`
/// quotes every part that is not a plain lower-case identifier.
impl<'de> Deserialize<'de> for QualifiedName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        QualifiedName::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a schema-qualified name")))
    }
}

/// Splits `a."B.c"` into `["a", "B.c"]`, keeping case. Returns `None` for an empty
/// part or an unterminated quote.
fn split_dotted(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.push(c);
                chars.next();
            }
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

/// Quotes an identifier where PostgreSQL requires it: anything but lower-case letters,
/// digits, `_` and `$` (not leading), and every keyword that is not unreserved
/// (the rule of PostgreSQL's `quote_ident`). Keyword status comes from the real
/// PostgreSQL scanner, so it follows the grammar pg_query is built from.
pub fn quote_ident(ident: &str) -> String {
    if is_plain_identifier(ident) && !is_restricted_keyword(ident) {
        return ident.to_string();
    }
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Quotes a string literal, doubling single quotes (standard_conforming_strings is on
/// by default since PostgreSQL 9.1).
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn is_plain_identifier(ident: &str) -> bool {
    let mut chars = ident.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
}

fn is_restricted_keyword(ident: &str) -> bool {
    thread_local! {
        // The scanner costs microseconds and a plan quotes the same names many times.
        static KNOWN: std::cell::RefCell<std::collections::HashMap<String, bool>> = Default::default();
    }
    if let Some(known) = KNOWN.with(|k| k.borrow().get(ident).copied()) {
        return known;
    }
    let restricted = scan_restricted_keyword(ident);
    KNOWN.with(|k| k.borrow_mut().insert(ident.to_string(), restricted));
    restricted
}

fn scan_restricted_keyword(ident: &str) -> bool {
    use pg_query::protobuf::KeywordKind;
    let Some(tokens) = crate::libpg_query::scan_tokens(ident) else {
        return true;
    };
    match tokens.as_slice() {
        [token] => {
            let kind = KeywordKind::try_from(token.keyword_kind).unwrap_or(KeywordKind::NoKeyword);
            !matches!(kind, KeywordKind::NoKeyword | KeywordKind::UnreservedKeyword)
        }
        _ => true,
    }
}

/// A name derived from others (`users_email_not_null`), kept within PostgreSQL's
/// 63-byte limit: a longer name is cut and given a short stable hash suffix so that
/// two long names do not collide after truncation.
pub fn derived_name(parts: &[&str]) -> String {
    let full = parts.join("_");
    if full.len() <= MAX_IDENTIFIER_BYTES {
        return full;
    }
    let hash = crate::digest::short_hash(full.as_bytes());
    let mut cut = MAX_IDENTIFIER_BYTES - hash.len() - 1;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{}", &full[..cut], hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_where_needed() {
        let cases = [
            ("users", "users"),
            ("Users", "\"Users\""),
            ("order", "\"order\""),
            ("user", "\"user\""),
            ("name", "name"),
            ("first name", "\"first name\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("1abc", "\"1abc\""),
            ("a$b", "a$b"),
            ("select", "\"select\""),
            ("int", "\"int\""),
            ("comment", "comment"),
        ];
        for (input, expected) in cases {
            assert_eq!(quote_ident(input), expected, "quote_ident({input:?})");
        }
    }

    #[test]
    fn parses_qualified_names() {
        assert_eq!(QualifiedName::parse("users"), Some(QualifiedName::new("public", "users")));
        assert_eq!(QualifiedName::parse("billing.Invoices"), Some(QualifiedName::new("billing", "Invoices")));
        assert_eq!(QualifiedName::parse("\"Billing\".\"a.b\""), Some(QualifiedName::new("Billing", "a.b")));
        assert_eq!(QualifiedName::parse("a..b"), None);
        assert_eq!(QualifiedName::parse("a.b.c"), None);
        assert_eq!(QualifiedName::parse("\"open"), None);
        assert_eq!(QualifiedName::new("public", "order").sql(), "public.\"order\"");
        for odd in [
            QualifiedName::new("public", "order"),
            QualifiedName::new("Billing", "a.b \"c\""),
            QualifiedName::new("x", "Users"),
        ] {
            let json = serde_json::to_string(&odd).expect("serialises");
            assert_eq!(serde_json::from_str::<QualifiedName>(&json).expect("reads back"), odd, "{json}");
        }
    }

    #[test]
    fn derived_names_fit_the_limit() {
        let short = derived_name(&["users", "email", "not_null"]);
        assert_eq!(short, "users_email_not_null");
        let long_table = "t".repeat(60);
        let a = derived_name(&[&long_table, "column_a", "not_null"]);
        let b = derived_name(&[&long_table, "column_b", "not_null"]);
        assert!(a.len() <= MAX_IDENTIFIER_BYTES && b.len() <= MAX_IDENTIFIER_BYTES);
        assert_ne!(a, b);
    }
}
