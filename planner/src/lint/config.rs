//! `bellows.toml`, section `[lint]`: the PostgreSQL version, the transaction
//! assumption for plain files, the session time zone, rules turned on or off, and
//! severity overrides.
//!
//! ```toml
//! [lint]
//! pg-version = 16
//! assume-in-transaction = true
//! time-zone = "UTC"                    # the TimeZone the migrations' sessions run with
//! disable = ["drop-column"]            # codes or names
//! enable = ["BW901"]                   # off-by-default rules
//! severity = { missing-lock-timeout = "error" }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::rules::find_rule;
use super::{LintOptions, Severity};
use crate::error::{LoadError, SourceError};
use crate::suggest::did_you_mean;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    lint: Lint,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Lint {
    pg_version: Option<Spanned<toml::Value>>,
    assume_in_transaction: Option<bool>,
    time_zone: Option<String>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    enable: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, Spanned<String>>,
}

/// Reads a bellows.toml into lint options; `path` is used in error messages.
pub fn load_config(path: &str, source: &str) -> Result<LintOptions, LoadError> {
    let file: File = toml::from_str(source).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        LoadError {
            errors: vec![SourceError::new(path, source, span, e.message().trim().to_string())],
        }
    })?;
    let mut errors = Vec::new();
    let mut options = LintOptions {
        assume_in_transaction: file.lint.assume_in_transaction,
        time_zone_utc: file.lint.time_zone.as_deref().is_some_and(crate::migration::track::zone_without_offset),
        ..LintOptions::default()
    };
    if let Some(version) = &file.lint.pg_version {
        let text = match version.get_ref() {
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match super::parse_pg_version(&text) {
            Ok(v) => options.pg = v,
            Err(message) => errors.push(SourceError::new(path, source, version.span(), message)),
        }
    }
    let rule = |key: &Spanned<String>, errors: &mut Vec<SourceError>| match find_rule(key.get_ref()) {
        Some(rule) => Some(rule.meta().code),
        None => {
            let names: Vec<&str> = super::RULES.iter().map(|r| r.meta().name).collect();
            errors.push(SourceError::new(path, source, key.span(), format!("unknown rule `{}`", key.get_ref())).with_help(did_you_mean(key.get_ref(), names)));
            None
        }
    };
    for key in &file.lint.disable {
        if let Some(code) = rule(key, &mut errors) {
            options.rules.disabled.insert(code);
        }
    }
    for key in &file.lint.enable {
        if let Some(code) = rule(key, &mut errors) {
            options.rules.enabled.insert(code);
        }
    }
    for (name, level) in &file.lint.severity {
        let key = Spanned::new(level.span(), name.clone());
        let code = rule(&key, &mut errors);
        match (code, Severity::parse(level.get_ref())) {
            (Some(code), Some(severity)) => {
                options.rules.severity.insert(code, severity);
            }
            (_, None) => errors.push(SourceError::new(
                path,
                source,
                level.span(),
                format!("`{}` is not a severity; use \"error\" or \"warning\"", level.get_ref()),
            )),
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(options)
    } else {
        Err(LoadError { errors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locks::PgVersion;

    #[test]
    fn reads_every_setting() {
        let text = "[lint]\npg-version = 16\nassume-in-transaction = true\ndisable = [\"BW101\"]\nseverity = { unused-suppression = \"error\" }\n";
        let options = load_config("bellows.toml", text).expect("valid");
        assert_eq!(options.pg, PgVersion(16));
        assert_eq!(options.assume_in_transaction, Some(true));
        assert!(options.rules.disabled.contains("BW101"));
        assert_eq!(options.rules.severity.get("BW004"), Some(&Severity::Error));
        assert!(!options.time_zone_utc);
        assert!(load_config("bellows.toml", "[lint]\ntime-zone = \"Etc/UTC\"\n").expect("valid").time_zone_utc);
        assert!(
            !load_config("bellows.toml", "[lint]\ntime-zone = \"Europe/Paris\"\n")
                .expect("valid")
                .time_zone_utc
        );
    }

    #[test]
    fn unknown_rules_and_keys_are_located_errors() {
        let error = load_config("bellows.toml", "[lint]\ndisable = [\"create-index-non-concurently\"]\n").expect_err("unknown rule");
        assert_eq!(error.errors[0].line, 2);
        assert_eq!(error.errors[0].help.as_deref(), Some("did you mean `create-index-non-concurrently`?"));
        assert!(load_config("bellows.toml", "[lint]\npg-versoin = 15\n").is_err());
    }
}
