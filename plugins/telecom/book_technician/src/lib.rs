//! `book_technician`: books a technician visit, or moves the one the
//! customer has.
//!
//! Visits are possible Monday to Saturday, in three windows (morning
//! 8:00-12:00, afternoon 12:00-17:00, evening 17:00-20:00), from now up to
//! 60 days ahead: a date outside that is refused here, before any policy is
//! asked. A customer with a scheduled or missed visit gets that visit moved
//! (the time of the move is appended to its `rebooked_at`) instead of a
//! second one. How often a visit may be moved is a policy
//! (`rebooking-limit`), which reads the [`BookingFacts`].

use deskhand_plugin_sdk::{
    Effect, JsonSchema, Record, Tool, ToolError, export_tool, log_info, now,
};
use deskhand_telecom::{
    APPOINTMENTS, Appointment, AppointmentKind, AppointmentStatus, DAY, MAX_DAYS_AHEAD, Window,
    appointment_not_found, day_of, is_sunday, iso_date, long_date, next_id, optional_line,
    parse_date, short_date,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The day of the visit.
    #[schemars(extend("format" = "date"))]
    date: String,
    /// The time window of the visit.
    #[schemars(extend("x-deskhand" = {
        "synonyms": {
            "morning": ["a.m.", "before noon", "first thing"],
            "afternoon": ["p.m.", "after lunch"],
            "evening": ["after work", "tonight"]
        }
    }))]
    window: Window,
    /// The line the visit is for, e.g. "L1001" (not needed with only one line).
    #[schemars(
        regex(pattern = r"^L[0-9]{4}$"),
        extend("x-deskhand" = {
            "kind": "identifier",
            "noun": "line",
            "nouns": ["line", "connection"],
            "collection": "lines"
        })
    )]
    line_id: Option<String>,
    /// The visit to move, e.g. "A5101" (by default the one already booked).
    #[schemars(
        regex(pattern = r"^A[0-9]{4}$"),
        extend("x-deskhand" = {
            "kind": "identifier",
            "noun": "appointment",
            "nouns": ["appointment", "visit"],
            "collection": "appointments",
            "latest": {
                "tool": "list_appointments",
                "args": {"limit": 1},
                "pointer": "/appointments/0/appointment_id"
            }
        })
    )]
    appointment_id: Option<String>,
    /// Anything the technician should know.
    #[schemars(length(max = 500), extend("x-deskhand" = {"kind": "text"}))]
    note: Option<String>,
}

/// What the policies read about a booking.
#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct BookingFacts {
    /// The requested day, YYYY-MM-DD.
    date: String,
    /// The requested window.
    window: Window,
    /// Whether the customer has a scheduled or missed visit, which this call moves.
    has_appointment: bool,
    /// The visit this call moves.
    #[serde(skip_serializing_if = "Option::is_none")]
    appointment_id: Option<String>,
    /// How often that visit was moved in the last 7 days.
    rebookings_last_7_days: u32,
    /// When it was moved in the last 7 days, unix seconds, oldest first.
    recent_rebookings: Vec<i64>,
}

#[derive(Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Booked {
    appointment_id: String,
    #[schemars(extend("format" = "date"))]
    date: String,
    window: Window,
    /// The window's hours, e.g. "8:00-12:00".
    hours: String,
    /// Whether an existing visit was moved (rather than a new one booked).
    rebooked: bool,
    message: String,
}

/// The day of a bookable slot, or the reason it cannot be booked.
fn bookable_day(date: &str, window: Window, now: i64) -> Result<i64, ToolError> {
    let day = parse_date(date).ok_or_else(|| {
        ToolError::new(
            "invalid-date",
            format!(
                "{date} is not a date I can read; please give it as YYYY-MM-DD, e.g. {}.",
                iso_date(day_of(now) + 1)
            ),
        )
    })?;
    let today = day_of(now);
    if day < today {
        return Err(ToolError::new(
            "date-in-past",
            format!(
                "{} is in the past; please choose a day from today on.",
                long_date(day)
            ),
        ));
    }
    if day > today + MAX_DAYS_AHEAD {
        return Err(ToolError::new(
            "date-too-far-ahead",
            format!(
                "Visits can be booked at most {MAX_DAYS_AHEAD} days ahead, so the latest possible \
                 day is {}; please choose a day until then.",
                long_date(today + MAX_DAYS_AHEAD)
            ),
        ));
    }
    if is_sunday(day) {
        // The Monday after, or the Saturday before at the end of the range.
        let other = if day < today + MAX_DAYS_AHEAD {
            day + 1
        } else {
            day - 1
        };
        return Err(ToolError::new(
            "no-sunday-visits",
            format!(
                "Technicians visit Monday to Saturday, not on Sundays, and {} is a Sunday. \
                 Would {} suit you instead?",
                short_date(day),
                long_date(other)
            ),
        ));
    }
    if window.opens_on(day) <= now {
        return Err(ToolError::new(
            "window-started",
            format!(
                "The {} window today has already started; please choose a later window or \
                 another day.",
                window.as_str()
            ),
        ));
    }
    Ok(day)
}

/// The visit a booking moves: the one named, or the customer's scheduled or
/// missed visit (for the line named, when one is), the latest first.
fn visit_to_move(
    appointment_id: Option<&str>,
    line_id: Option<&str>,
) -> Result<Option<Record<Appointment>>, ToolError> {
    if let Some(id) = appointment_id {
        let visit = APPOINTMENTS
            .get(id)?
            .ok_or_else(|| appointment_not_found(id))?;
        if !visit.data.is_active() {
            return Err(ToolError::new(
                "appointment-closed",
                format!(
                    "Visit {id} is {}, so it can no longer be moved; I can book a new visit \
                     instead.",
                    visit.data.status.as_str()
                ),
            ));
        }
        return Ok(Some(visit));
    }
    let mut active: Vec<Record<Appointment>> = APPOINTMENTS
        .all(500)?
        .into_iter()
        .filter(|visit| visit.data.is_active())
        .filter(|visit| match (line_id, visit.data.line_id.as_deref()) {
            (Some(wanted), Some(of_visit)) => wanted == of_visit,
            _ => true,
        })
        .collect();
    active.sort_by(|a, b| (b.data.starts_at, &b.id).cmp(&(a.data.starts_at, &a.id)));
    Ok(active.into_iter().next())
}

fn clean_note(note: Option<&str>) -> Option<String> {
    note.map(str::trim)
        .filter(|note| !note.is_empty())
        .map(str::to_string)
}

struct BookTechnician;

impl Tool for BookTechnician {
    type Args = Args;
    type Output = Booked;
    type Facts = BookingFacts;

    const NAME: &'static str = "book_technician";
    const DESCRIPTION: &'static str = "Book a technician visit (repair or installation) for a \
        day and a time window (morning 8:00-12:00, afternoon 12:00-17:00, evening 17:00-20:00, \
        Monday to Saturday, up to 60 days ahead), or move the visit the customer already has.";
    const EFFECT: Effect = Effect::Reversible;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn examples() -> Vec<&'static str> {
        vec![
            "can a technician come tomorrow morning?",
            "book a technician visit",
            "I need an engineer to fix my line on Friday",
            "please move my appointment to next week",
            "rebook my installation for tomorrow afternoon",
            "can someone come on the 18th in the evening",
            "reschedule the repair visit",
            "the technician didn't come, please book a new visit",
        ]
    }

    fn facts(args: Args) -> Result<Option<BookingFacts>, ToolError> {
        let now = now();
        let day = bookable_day(&args.date, args.window, now)?;
        let visit = visit_to_move(args.appointment_id.as_deref(), args.line_id.as_deref())?;
        let recent = visit
            .as_ref()
            .map(|v| v.data.rebookings_after(now - 7 * DAY))
            .unwrap_or_default();
        Ok(Some(BookingFacts {
            date: iso_date(day),
            window: args.window,
            has_appointment: visit.is_some(),
            appointment_id: visit.map(|v| v.id),
            rebookings_last_7_days: recent.len() as u32,
            recent_rebookings: recent,
        }))
    }

    fn call(args: Args) -> Result<Booked, ToolError> {
        let now = now();
        let window = args.window;
        let day = bookable_day(&args.date, window, now)?;
        let date = iso_date(day);
        let starts_at = window.opens_on(day);
        let when = format!("{}, {}", long_date(day), window.phrase());
        let note = clean_note(args.note.as_deref());

        if let Some(visit) = visit_to_move(args.appointment_id.as_deref(), args.line_id.as_deref())?
        {
            let id = visit.id.clone();
            let kind = visit.data.kind.as_str();
            let unchanged = visit.data.status == AppointmentStatus::Scheduled
                && visit.data.day() == day
                && visit.data.window == window;
            if unchanged {
                return Ok(Booked {
                    appointment_id: id.clone(),
                    date,
                    window,
                    hours: window.hours(),
                    rebooked: false,
                    message: format!(
                        "Your {kind} visit {id} is already booked for {when}; nothing has changed."
                    ),
                });
            }
            let mut rebooked_at = visit.data.rebooked_at.clone();
            rebooked_at.push(now);
            let mut patch = json!({
                "starts_at": starts_at,
                "date": date,
                "window": window,
                "status": "scheduled",
                "rebooked_at": rebooked_at,
            });
            if let Some(note) = &note {
                patch["note"] = json!(note);
            }
            APPOINTMENTS.merge(&id, patch)?;
            log_info(&format!(
                "appointment {id} moved to {date} {}",
                window.as_str()
            ));
            return Ok(Booked {
                appointment_id: id.clone(),
                date,
                window,
                hours: window.hours(),
                rebooked: true,
                message: format!(
                    "I've moved your {kind} visit. A technician is booked for {when}. Reference \
                     {id}. The technician calls about 30 minutes before arriving."
                ),
            });
        }

        let line_id = optional_line(args.line_id.as_deref())?;
        let visits = APPOINTMENTS.all(500)?;
        let id = next_id(&visits, "A", 5001);
        APPOINTMENTS.insert(
            Some(&id),
            &Appointment {
                kind: AppointmentKind::Repair,
                starts_at,
                date: Some(date.clone()),
                window,
                status: AppointmentStatus::Scheduled,
                booked_at: now,
                rebooked_at: Vec::new(),
                line_id,
                note,
            },
        )?;
        log_info(&format!(
            "appointment {id} booked for {date} {}",
            window.as_str()
        ));
        Ok(Booked {
            appointment_id: id.clone(),
            date,
            window,
            hours: window.hours(),
            rebooked: false,
            message: format!(
                "A technician is booked for {when}. Reference {id}. The technician calls about \
                 30 minutes before arriving."
            ),
        })
    }
}

export_tool!(BookTechnician);
