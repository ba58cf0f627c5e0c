#![no_main]
//! Radiotap: arbitrary bytes never panic; what parses survives emit + parse.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| odin_wire::fuzzing::radiotap(data));
