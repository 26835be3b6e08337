//! A database URL that keeps its password out of every message: `Display` and `Debug`
//! show it redacted, and error text from the driver is scrubbed of it before it is
//! shown (a password must never reach a terminal, a CI log or a bug report).

use std::fmt;

/// What a password is replaced with wherever a URL is shown.
pub const REDACTED: &str = "***";

/// A PostgreSQL connection URL (`postgres://user:password@host:port/database?...`).
#[derive(Clone)]
pub struct DatabaseUrl {
    url: String,
    /// The password as written in the URL and percent-decoded, to scrub both forms.
    secrets: Vec<String>,
}

impl DatabaseUrl {
    /// Keeps the URL as given; whether it is valid is found out when connecting.
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        let url = url.into();
        let secrets = secrets_of(&url);
        DatabaseUrl { url, secrets }
    }

    /// The URL with its password, for the driver only.
    pub(crate) fn expose(&self) -> &str {
        &self.url
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(parsed) => redact_parsed(parsed),
            // Not a URL the parser accepts: scrub what looks like a password anyway.
            Err(_) => self.scrub(&redact_userinfo(&self.url)),
        }
    }

    /// `text` (an error message, say) with every occurrence of the password replaced.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), REDACTED);
        }
        out
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

fn redact_parsed(mut parsed: url::Url) -> String {
    if parsed.password().is_some() {
        // Only fails for URLs that cannot have a password, which this one has.
        let _ = parsed.set_password(Some(REDACTED));
    }
    let has_secret_param = parsed.query_pairs().any(|(key, _)| is_secret_key(&key));
    if has_secret_param {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if is_secret_key(&key) { REDACTED.to_string() } else { value.into_owned() };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// `scheme://user:secret@host` to `scheme://user:***@host`, without a URL parser.
fn redact_userinfo(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    match authority[..at].find(':') {
        Some(colon) => format!("{}{}:{REDACTED}{}", &url[..start], &authority[..colon], &rest[at..]),
        None => url.to_string(),
    }
}

fn is_secret_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("sslpassword")
}

/// The password in the userinfo and in `password=` parameters, raw and decoded.
fn secrets_of(url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Ok(parsed) = url::Url::parse(url) {
        if let Some(password) = parsed.password() {
            secrets.push(password.to_string());
        }
        for (key, value) in parsed.query_pairs() {
            if is_secret_key(&key) {
                secrets.push(value.into_owned());
            }
        }
    } else if let Some(start) = url.find("://").map(|i| i + 3) {
        let rest = &url[start..];
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if let Some(at) = authority.rfind('@') {
            if let Some(colon) = authority[..at].find(':') {
                secrets.push(authority[colon + 1..at].to_string());
            }
        }
    }
    let decoded: Vec<String> = secrets.iter().map(|s| percent_decode(s)).collect();
    secrets.extend(decoded);
    secrets.retain(|s| !s.is_empty());
    // Longest first, so that a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_password_wherever_it_is() {
        let cases = [
            ("postgres://app:s3cret@db:5432/prod", "postgres://app:***@db:5432/prod"),
            ("postgres://app@db/prod", "postgres://app@db/prod"),
            ("postgres://db/prod?user=app&password=s3cret", "postgres://db/prod?user=app&password=***"),
            ("postgres://app:p%40ss@db/prod", "postgres://app:***@db/prod"),
            ("postgres://app:s3cret@db:notaport/prod", "postgres://app:***@db:notaport/prod"),
        ];
        for (url, expected) in cases {
            assert_eq!(DatabaseUrl::new(url).redacted(), expected, "{url}");
            assert_eq!(DatabaseUrl::new(url).to_string(), expected);
            assert!(!format!("{:?}", DatabaseUrl::new(url)).contains("s3cret"));
        }
    }

    #[test]
    fn scrubs_raw_and_decoded_passwords_from_text() {
        let url = DatabaseUrl::new("postgres://app:p%40ss@db/prod");
        assert_eq!(url.scrub("auth failed for p@ss and p%40ss"), "auth failed for *** and ***");
    }
}
