//! A tool's arguments from the customer's words.
//!
//! [`schema`] reads what kind each property is from the tool's JSON Schema;
//! [`identifiers`], [`amounts`], [`dates`] and [`choices`] find values of
//! each kind in text; [`fill`] puts them together for one request, and
//! reads the answer to a question for what was missing.

pub mod amounts;
pub mod choices;
pub mod dates;
mod fill;
pub mod identifiers;
mod question;
pub mod schema;
mod words;

pub use fill::{ArgumentContext, Filled, Source, answer, fill, fits};
pub use schema::{Identifier, Kind, Latest, Property, properties};
