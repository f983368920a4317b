//! Telegram Desktop HTML tests (issue 4).
