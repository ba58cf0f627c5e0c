//! Time as a value: state machines are given the time, never read a clock.
//! The type is shared with the controller (`odin_proto::time`).

pub use odin_proto::time::Instant;
