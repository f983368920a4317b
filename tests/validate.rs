//! Validation tests (issue 6).
