//! Amounts of money in the customer's words: "20 €", "€12.50", "1,000
//! euros", "1.250,50 €".

use std::sync::LazyLock;

use regex::Regex;

use super::identifiers::qualifies;

static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9][0-9.,]*").expect("number pattern"));
static CURRENCY_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?:€|£|\$|eur|usd|gbp)\s*$").expect("currency pattern"));
static CURRENCY_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:€|£|\$|eur\b|euros?\b|usd\b|dollars?\b|gbp\b|pounds?\b)")
        .expect("currency pattern")
});
static THOUSANDS_COMMA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$").expect("thousands pattern")
});
static THOUSANDS_DOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$").expect("thousands pattern")
});

/// The amounts of money written in `text`, without repeats.
pub fn find(text: &str) -> Vec<f64> {
    let mut found: Vec<f64> = Vec::new();
    for number in NUMBER.find_iter(text) {
        let raw = number.as_str().trim_end_matches(['.', ',']);
        let before = &text[..number.start()];
        let after = &text[number.start() + raw.len()..];
        let is_money = CURRENCY_BEFORE.is_match(before) || qualifies(&CURRENCY_AFTER, after);
        if !is_money || before.ends_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        if let Some(value) = parse(raw)
            && !found.iter().any(|f| (f - value).abs() < 1e-9)
        {
            found.push(value);
        }
    }
    found
}

/// Every number written in `text` (money or not), for checking that a value
/// the model decoded was written by the customer.
pub fn numbers(text: &str) -> Vec<f64> {
    NUMBER
        .find_iter(text)
        .filter_map(|n| parse(n.as_str().trim_end_matches(['.', ','])))
        .collect()
}

/// "1,000.50", "1.000,50", "12,5" and "12.50" as numbers.
fn parse(raw: &str) -> Option<f64> {
    let normal = if THOUSANDS_COMMA.is_match(raw) {
        raw.replace(',', "")
    } else if THOUSANDS_DOT.is_match(raw) {
        raw.replace('.', "").replace(',', ".")
    } else {
        raw.replace(',', ".")
    };
    normal.parse().ok().filter(|v: &f64| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_with_currencies_and_separators() {
        assert_eq!(find("refund 20 € please"), [20.0]);
        assert_eq!(find("just €12,50 back"), [12.5]);
        assert_eq!(find("15 euros of order 1007"), [15.0]);
        assert_eq!(find("1,000 €"), [1000.0]);
        assert_eq!(find("1.250,50 €"), [1250.5]);
        assert_eq!(find("refund order 1007 €20"), [20.0]);
        assert_eq!(find("paid 64.85 €, want 20 € back"), [64.85, 20.0]);
        assert!(find("refund order 1007").is_empty());
        assert_eq!(numbers("two pieces, 3 of them"), [3.0]);
    }
}
