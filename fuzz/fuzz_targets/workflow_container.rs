//! Any bytes as a `.workflow` export (or zip): inspect, and compare with itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxcflow::container::{compare, inspect, render_comparison, render_inspection, Inspection};

fuzz_target!(|data: &[u8]| {
    let inspection = inspect(data);
    let _ = render_inspection("fuzz.workflow", &inspection);
    if let Inspection::Export(export) = &inspection {
        let c = compare(export, export);
        assert!(c.identical);
        let _ = render_comparison("a", "b", &c);
    }
});
