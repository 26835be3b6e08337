//! Literals in the canonical form of an expression (see `canonical`): a string that
//! spells a number is that number, an ISO date or timestamp loses a zero time and a UTC
//! offset, and JSON is written compactly with sorted keys, so that a literal as written
//! in schema.toml and as PostgreSQL's catalog prints it compare equal.

use pg_query::protobuf::{a_const, AConst};

pub(super) fn normalise_constant(constant: &mut AConst) {
    let Some(a_const::Val::Sval(string)) = &constant.val else { return };
    let text = string.sval.as_str();
    if let Some(number) = number(text) {
        constant.val = Some(number);
    } else if let Some(timestamp) = iso_timestamp(text) {
        constant.val = Some(sval(timestamp));
    } else if text.starts_with(['{', '[']) {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
            constant.val = Some(sval(sorted_json(&json)));
        }
    }
}

fn sval(text: String) -> a_const::Val {
    a_const::Val::Sval(pg_query::protobuf::String { sval: text })
}

/// A literal that spells a number the way PostgreSQL prints one (`-1`, `0.5`), as the
/// number the grammar would make of it: an integer when it fits, else a float.
fn number(text: &str) -> Option<a_const::Val> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').map_or((digits, None), |(w, f)| (w, Some(f)));
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !is_digits(whole) || (whole.len() > 1 && whole.starts_with('0')) || fraction.is_some_and(|f| !is_digits(f)) {
        return None;
    }
    match (fraction, text.parse::<i32>()) {
        (None, Ok(ival)) => Some(a_const::Val::Ival(pg_query::protobuf::Integer { ival })),
        _ => Some(a_const::Val::Fval(pg_query::protobuf::Float { fval: text.to_string() })),
    }
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|±HH[[:]MM]]` without a zero time, zero
/// fractions or a UTC offset: `2024-01-01 00:00:00+00` is `2024-01-01`.
fn iso_timestamp(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let digit_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let date_ok = text.len() >= 10 && (0..10).all(|i| if i == 4 || i == 7 { bytes[i] == b'-' } else { digit_at(i) });
    if !date_ok {
        return None;
    }
    let (date, rest) = text.split_at(10);
    if rest.is_empty() {
        return Some(date.to_string());
    }
    let rest = rest.strip_prefix([' ', 'T'])?;
    let offset_at = rest.find(['+', '-', 'Z']).unwrap_or(rest.len());
    let (time, offset) = rest.split_at(offset_at);
    let mut parts = time.trim_end().split(':');
    let (hours, minutes) = (parts.next()?, parts.next()?);
    let seconds = parts.next().unwrap_or("00");
    let (seconds, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || ![hours, minutes, seconds].into_iter().all(two_digits) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction = fraction.trim_end_matches('0');
    let offset = normalise_offset(offset)?;
    let midnight = hours == "00" && minutes == "00" && seconds == "00" && fraction.is_empty();
    Some(match (midnight && offset.is_empty(), fraction.is_empty()) {
        (true, _) => date.to_string(),
        (false, true) => format!("{date} {hours}:{minutes}:{seconds}{offset}"),
        (false, false) => format!("{date} {hours}:{minutes}:{seconds}.{fraction}{offset}"),
    })
}

/// `Z`, `+00`, `+00:00` are UTC (empty); `+0530` is `+05:30`, `-07:00` is `-07`.
fn normalise_offset(offset: &str) -> Option<String> {
    if offset.is_empty() || offset == "Z" {
        return Some(String::new());
    }
    let sign = &offset[..1];
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = digits.split_at(2);
    Some(match (hours, minutes) {
        ("00", "" | "00") => String::new(),
        (h, "" | "00") => format!("{sign}{h}"),
        (h, m) => format!("{sign}{h}:{m}"),
    })
}

/// JSON without whitespace, object keys sorted (jsonb keeps its own key order).
fn sorted_json(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let parts: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), sorted_json(v)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(sorted_json).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_timestamps_lose_zero_times_and_utc_offsets() {
        let cases = [
            ("2024-01-01", Some("2024-01-01")),
            ("2024-01-01 00:00:00+00", Some("2024-01-01")),
            ("2024-01-01T12:30", Some("2024-01-01 12:30:00")),
            ("2024-01-01 12:30:00.500+00:00", Some("2024-01-01 12:30:00.5")),
            ("2024-01-01 00:00:00+0530", Some("2024-01-01 00:00:00+05:30")),
            ("2024-01-01 10:00:00-07:00", Some("2024-01-01 10:00:00-07")),
            ("2024-1-1", None),
            ("2024-01-01 noon", None),
        ];
        for (text, expected) in cases {
            assert_eq!(super::iso_timestamp(text).as_deref(), expected, "{text}");
        }
    }
}
