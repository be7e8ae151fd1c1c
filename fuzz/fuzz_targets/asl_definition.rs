//! ASL definitions: parsing and validation (ValidateStateMachineDefinition's checks) never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = baton_asl::StateMachine::from_json(text);
});
