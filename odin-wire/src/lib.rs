//! 802.11 on the wire: radiotap, the MAC header, management frames and
//! information elements.
//!
//! Every format comes in two layers, in the manner of smoltcp's `wire`
//! module:
//!
//! * a zero-copy **view** (`Frame<T: AsRef<[u8]>>`, `Radiotap<T>`, ...) whose
//!   `new_checked` constructor validates lengths once, after which no getter
//!   can panic; setters are available when `T: AsMut<[u8]>`;
//! * a plain **representation** (`...Repr`) with `parse` (from a checked view),
//!   `buffer_len` and `emit` (into a view over a buffer of `buffer_len` bytes).
//!
//! Emitting the representation that `parse` produced gives back the same
//! bytes: unknown elements, vendor data and optional trailing fields are
//! carried through untouched.
//!
//! Nothing here does I/O, reads a clock or panics on any input: every
//! failure is an [`Error`], a small enum of reasons, so that each dropped
//! frame can be counted by cause.

#![cfg_attr(not(test), warn(clippy::indexing_slicing))]

#[macro_use]
mod macros;
mod error;
mod mac;

#[doc(hidden)]
pub mod fuzzing;
pub mod ie;
pub mod ieee80211;
pub mod llc;
pub mod radiotap;

pub use error::{Error, Result};
pub use mac::MacAddr;
