//! Telegram Desktop JSON tests (issue 3).
