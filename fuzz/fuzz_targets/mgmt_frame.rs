#![no_main]
//! Management frames: parse, re-emit byte for byte, elements one by one.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| odin_wire::fuzzing::mgmt_frame(data));
