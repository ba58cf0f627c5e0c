#![no_main]
//! The LVAP state machine fed scripts of arbitrary frames, statuses,
//! commands and ticks, checked against a model of the kernel.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| odin_agent::fuzzing::lvap(data));
