//! Durations on the command line: `200ms`, `1s`, `1.5s`, `2m`, or a number of
//! milliseconds.

/// Parses a duration into milliseconds.
pub fn parse_millis(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => text.split_at(at),
        None => (text, "ms"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write e.g. 200ms, 1s or 2m"))?;
    let scale = match unit.trim() {
        "ms" => 1.0,
        "s" => 1000.0,
        "m" | "min" => 60_000.0,
        other => return Err(format!("unknown unit `{other}` in `{text}`; use ms, s or m")),
    };
    let millis = value * scale;
    if !(1.0..=f64::from(u32::MAX)).contains(&millis) {
        return Err(format!("`{text}` is out of range (at least 1ms)"));
    }
    Ok(millis.round() as u32)
}

#[cfg(test)]
mod tests {
    use super::parse_millis;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_millis("200ms"), Ok(200));
        assert_eq!(parse_millis("1s"), Ok(1000));
        assert_eq!(parse_millis("1.5s"), Ok(1500));
        assert_eq!(parse_millis("2m"), Ok(120_000));
        assert_eq!(parse_millis("250"), Ok(250));
        assert!(parse_millis("0s").is_err());
        assert!(parse_millis("5h").is_err());
        assert!(parse_millis("fast").is_err());
    }
}
