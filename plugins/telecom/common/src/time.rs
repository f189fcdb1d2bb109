//! Days and dates for replies and bookings, without a date library so the
//! plugins stay small. Everything is UTC, the business clock's zone.
//!
//! A "day" is a count of days since 1970-01-01 (a Thursday).

pub use deskhand_plugin_sdk::civil_from_days;

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Seconds in an hour.
pub const HOUR: i64 = 3_600;
/// How far ahead a technician visit can be booked, in days.
pub const MAX_DAYS_AHEAD: i64 = 60;

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The day of an instant (unix seconds).
pub fn day_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(DAY)
}

/// Howard Hinnant's days-from-civil (proleptic Gregorian calendar).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// The day of a "YYYY-MM-DD" date, if it is one.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year) && digits(month) && digits(day)) {
        return None;
    }
    let year: i64 = year.parse().ok()?;
    let month: u32 = month.parse().ok()?;
    let day: u32 = day.parse().ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// "2026-06-16".
pub fn iso_date(day: i64) -> String {
    let (year, month, day) = civil_from_days(day);
    format!("{year:04}-{month:02}-{day:02}")
}

/// "Tuesday".
pub fn weekday(day: i64) -> &'static str {
    WEEKDAYS[(day + 4).rem_euclid(7) as usize]
}

/// Whether `day` is a Sunday.
pub fn is_sunday(day: i64) -> bool {
    (day + 4).rem_euclid(7) == 0
}

/// "16 June 2026".
pub fn short_date(day: i64) -> String {
    let (year, month, day) = civil_from_days(day);
    format!("{day} {} {year}", MONTHS[(month - 1) as usize])
}

/// "Tuesday 16 June 2026".
pub fn long_date(day: i64) -> String {
    format!("{} {}", weekday(day), short_date(day))
}

/// "08:30" (UTC).
pub fn clock_time(unix_seconds: i64) -> String {
    let seconds = unix_seconds.rem_euclid(DAY);
    format!("{:02}:{:02}", seconds / HOUR, seconds % HOUR / 60)
}

/// "Sunday 14 June 2026 at 12:00".
pub fn moment(unix_seconds: i64) -> String {
    format!(
        "{} at {}",
        long_date(day_of(unix_seconds)),
        clock_time(unix_seconds)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_781_524_800; // 2026-06-15T12:00:00Z, a Monday

    #[test]
    fn dates_round_trip_and_name_their_weekday() {
        let today = day_of(NOW);
        assert_eq!(iso_date(today), "2026-06-15");
        assert_eq!(weekday(today), "Monday");
        assert_eq!(parse_date("2026-06-16"), Some(today + 1));
        assert_eq!(long_date(today + 1), "Tuesday 16 June 2026");
        assert!(is_sunday(parse_date("2026-06-21").unwrap()));
        assert_eq!(
            parse_date("2024-02-29").map(iso_date).as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(parse_date("2026-02-29"), None);
        assert_eq!(parse_date("16/06/2026"), None);
        assert_eq!(parse_date("2026-6-16"), None);
        assert_eq!(moment(NOW - DAY), "Sunday 14 June 2026 at 12:00");
    }
}
