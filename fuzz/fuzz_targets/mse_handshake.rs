//! The encryption handshake (MSE/PE), our listener and our dialler, against a peer played as
//! the input says: sound, out of range, damaged or cut short. Nothing may panic, and a sound
//! handshake must succeed with the bytes that were sent (see the engine's `mse/fuzzing.rs`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = librqbit::mse_fuzzing::run(data);
});
