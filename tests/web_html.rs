//! Web preview page tests (issue 5).
