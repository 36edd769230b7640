//! One test per finding of the fuzz targets (`fuzz/`, issue #18): the input that broke an
//! invariant, now checked on every `make test`. Add new findings here (or to the sandbox's
//! `sandbox/tests/fuzz_regressions.rs` for the sandbox's) together with the fix.

// Test helpers unwrap too: a panic there is a test failure with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use dollr_core::time::{format_timestamp, parse_timestamp};

/// `money_time`: a lenient read must write back to RFC 3339 that reads again as the same instant.
/// `-6026-06-1` was read (a bare date, negative year) and written as `-6026-06-01T00:00:00Z`,
/// which RFC 3339 (four-digit years) refuses; so were five-digit years and offsets that move an
/// instant past 9999 or before 0000.
#[test]
fn every_timestamp_read_writes_back_to_itself() {
    for text in [
        "-6026-06-1",
        "+10000-01-01",
        "9999-12-31T23:59:59-01:00",
        "0000-01-01T00:30:00+01:00",
    ] {
        assert_eq!(parse_timestamp(text), None, "{text:?} was read");
    }
    for text in [
        "0000-01-01",
        "9999-12-31T23:59:59Z",
        "2026-06-15 18:00:00.5",
        "2026-6-1",
    ] {
        let instant = parse_timestamp(text).unwrap_or_else(|| panic!("{text:?} is refused"));
        let written = format_timestamp(&instant);
        assert_eq!(
            parse_timestamp(&written),
            Some(instant),
            "{text:?} → {written:?}"
        );
    }
}
