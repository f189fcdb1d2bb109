//! Calendar dates in the customer's words, relative to the business's
//! today: "tomorrow", "the day after tomorrow", "on Friday", "next
//! Monday", "on the 3rd", "18 June", "June 18th", "in 3 days", "2026-06-18".

use std::sync::LazyLock;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use regex::Regex;

static ISO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([0-9]{4})-([0-9]{2})-([0-9]{2})\b").expect("iso date"));
static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:the\s+)?(day after tomorrow|tomorrow|today|tonight|this (?:morning|afternoon|evening))\b")
        .expect("relative date")
});
static IN_DAYS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bin\s+(a|one|two|three|four|five|six|seven|[0-9]{1,2})\s+(days?|weeks?)\b")
        .expect("in n days")
});
static WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    // Short forms only after a word that makes them a day ("on sat", not "I sat").
    Regex::new(r"(?i)\b(?:(?:next|this|coming|on)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\b(?:next|this|coming|on)\s+(mon|tue|tues|wed|thu|thurs|fri|sat|sun)\b")
        .expect("weekday")
});
const MONTHS: &str = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec";
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b([0-9]{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+({MONTHS})\b\.?"
    ))
    .expect("day month")
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b({MONTHS})\.?\s+(?:the\s+)?([0-9]{{1,2}})(?:st|nd|rd|th)?\b"
    ))
    .expect("month day")
});
static ORDINAL_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:on\s+)?(?:the\s+)?([0-9]{1,2})(st|nd|rd|th)\b").expect("ordinal day")
});

/// The dates `text` names, in the order written, without repeats.
pub fn find(text: &str, today: NaiveDate) -> Vec<NaiveDate> {
    let mut found: Vec<(usize, NaiveDate)> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut add =
        |at: (usize, usize), date: Option<NaiveDate>, found: &mut Vec<(usize, NaiveDate)>| {
            if taken.iter().any(|(s, e)| at.0 < *e && *s < at.1) {
                return;
            }
            if let Some(date) = date {
                taken.push(at);
                found.push((at.0, date));
            }
        };
    for c in ISO.captures_iter(text) {
        let m = c.get(0).expect("match");
        let date = NaiveDate::from_ymd_opt(
            c[1].parse().unwrap_or(0),
            c[2].parse().unwrap_or(0),
            c[3].parse().unwrap_or(0),
        );
        add((m.start(), m.end()), date, &mut found);
    }
    for c in DAY_MONTH.captures_iter(text) {
        let m = c.get(0).expect("match");
        add(
            (m.start(), m.end()),
            day_of_month(today, &c[2], &c[1]),
            &mut found,
        );
    }
    for c in MONTH_DAY.captures_iter(text) {
        let m = c.get(0).expect("match");
        add(
            (m.start(), m.end()),
            day_of_month(today, &c[1], &c[2]),
            &mut found,
        );
    }
    for c in RELATIVE.captures_iter(text) {
        let m = c.get(0).expect("match");
        let phrase = c[1].to_lowercase();
        let days = if phrase == "day after tomorrow" {
            2
        } else if phrase == "tomorrow" {
            1
        } else {
            0
        };
        add(
            (m.start(), m.end()),
            today.checked_add_days(Days::new(days)),
            &mut found,
        );
    }
    for c in IN_DAYS.captures_iter(text) {
        let m = c.get(0).expect("match");
        let count = match &c[1].to_lowercase()[..] {
            "a" | "one" => 1,
            "two" => 2,
            "three" => 3,
            "four" => 4,
            "five" => 5,
            "six" => 6,
            "seven" => 7,
            digits => digits.parse().unwrap_or(0),
        };
        let days = if c[2].to_lowercase().starts_with("week") {
            count * 7
        } else {
            count
        };
        add(
            (m.start(), m.end()),
            today.checked_add_days(Days::new(days)),
            &mut found,
        );
    }
    for c in WEEKDAY.captures_iter(text) {
        let m = c.get(0).expect("match");
        let name = c.get(1).or_else(|| c.get(2)).map_or("", |n| n.as_str());
        let weekday: Option<Weekday> = name.get(..3).and_then(|short| short.parse().ok());
        let date = weekday.map(|w| {
            let ahead = (7 + w.num_days_from_monday() as i64
                - today.weekday().num_days_from_monday() as i64)
                % 7;
            // "Friday" is the next Friday, never today.
            today + chrono::Duration::days(if ahead == 0 { 7 } else { ahead })
        });
        add((m.start(), m.end()), date, &mut found);
    }
    for c in ORDINAL_DAY.captures_iter(text) {
        let m = c.get(0).expect("match");
        let day: u32 = c[1].parse().unwrap_or(0);
        let date = NaiveDate::from_ymd_opt(today.year(), today.month(), day)
            .filter(|d| *d >= today)
            .or_else(|| {
                let next = today.checked_add_months(Months::new(1))?;
                NaiveDate::from_ymd_opt(next.year(), next.month(), day)
            });
        add((m.start(), m.end()), date, &mut found);
    }
    found.sort_by_key(|(at, _)| *at);
    let mut dates: Vec<NaiveDate> = Vec::new();
    for (_, date) in found {
        if !dates.contains(&date) {
            dates.push(date);
        }
    }
    dates
}

/// Day `day` of month `month` on or after `today` (this year, or next).
fn day_of_month(today: NaiveDate, month: &str, day: &str) -> Option<NaiveDate> {
    let month = month_number(month)?;
    let day: u32 = day.parse().ok()?;
    NaiveDate::from_ymd_opt(today.year(), month, day)
        .filter(|d| *d >= today)
        .or_else(|| NaiveDate::from_ymd_opt(today.year() + 1, month, day))
}

fn month_number(name: &str) -> Option<u32> {
    let name = name.to_lowercase();
    let months = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    months
        .iter()
        .position(|m| name.starts_with(m))
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(text: &str) -> Vec<String> {
        // A Monday.
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        find(text, today).iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn dates_in_words_are_relative_to_today() {
        assert_eq!(on("tomorrow morning please"), ["2026-06-16"]);
        assert_eq!(on("the day after tomorrow"), ["2026-06-17"]);
        assert_eq!(on("today if possible"), ["2026-06-15"]);
        assert_eq!(on("next Friday"), ["2026-06-19"]);
        assert_eq!(on("on monday"), ["2026-06-22"]);
        assert_eq!(on("on the 18th"), ["2026-06-18"]);
        assert_eq!(on("on the 3rd"), ["2026-07-03"]);
        assert_eq!(on("18 June"), ["2026-06-18"]);
        assert_eq!(on("June 18th, in the afternoon"), ["2026-06-18"]);
        assert_eq!(on("the 2nd of January"), ["2027-01-02"]);
        assert_eq!(on("in 3 days"), ["2026-06-18"]);
        assert_eq!(on("in a week"), ["2026-06-22"]);
        assert_eq!(on("2026-07-01"), ["2026-07-01"]);
        assert_eq!(on("tuesday or wednesday"), ["2026-06-16", "2026-06-17"]);
        assert!(on("sometime soon").is_empty());
        assert_eq!(on("next tues afternoon"), ["2026-06-16"]);
        assert_eq!(on("on thurs"), ["2026-06-18"]);
        assert_eq!(on("I sat at home all day, come tomorrow"), ["2026-06-16"]);
        assert!(on("I paid 30 euros").is_empty());
    }
}
