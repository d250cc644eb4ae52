//! The entry point of `tests/no_panic.rs`, for longer runs with libFuzzer:
//!
//!     cargo +nightly fuzz run compile fuzz/corpus/compile examples
//!
//! (`examples` seeds the corpus with every shipped spec.) Any input must compile, render and
//! format without a panic, and every diagnostic must point inside the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use runnerc::compile::compile;
use runnerc::diag::{self, Sources};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut sources = Sources::new();
    sources.add("fuzz.runner", text.as_ref());
    let compilation = compile(&sources);
    for d in &compilation.diagnostics {
        assert!(d.loc.span.start <= d.loc.span.end && d.loc.span.end <= text.len());
    }
    let _ = diag::render_human(&compilation.diagnostics, &sources, false);
    let _ = diag::render_json(&compilation.diagnostics, &sources);
    for compiled in compilation.lowered() {
        let _ = runnerc::lower::output_files(
            &compiled.runner,
            &compiled.documents,
            runnerc::lower::Emit::ALL,
        );
    }
    if let Err(runnerc::format::FormatError::Unsound(why)) = runnerc::format::format(&text) {
        panic!("formatter unsound: {why}");
    }
});
