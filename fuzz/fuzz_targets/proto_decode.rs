#![no_main]
//! The agent-controller protocol decoder, fed arbitrary byte streams.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| odin_proto::fuzzing::proto_decode(data));
