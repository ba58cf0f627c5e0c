//! Time as a value: the controller is given the time, it never reads a
//! clock. The type is shared with the agent (`odin_proto::time`).

pub use odin_proto::time::Instant;
