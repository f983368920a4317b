//! Telegram Desktop HTML export (`messages*.html`): the facts its reader
//! (`read::tdesktop_html`) and writer (`write::tdesktop_html`) share: page
//! names, the date title of a message, the date separators.

use super::{real_date_time, MONTHS};

/// `messages.html` is page 1, `messagesN.html` page N.
pub fn page_number(name: &str) -> Option<u64> {
    let middle = name.strip_prefix("messages")?.strip_suffix(".html")?;
    if middle.is_empty() {
        return Some(1);
    }
    middle.parse().ok()
}

/// `DD.MM.YYYY HH:MM:SS[ UTC±hh:mm]` → RFC 3339 (no offset in pages older
/// than 2022-06).
pub fn parse_date(title: &str) -> Option<String> {
    // Byte positions in `DD.MM.YYYY HH:MM:SS[ UTC±hh:mm]`; this runs once
    // per message, so no splitting and no formatting machinery.
    let t = title.trim().as_bytes();
    let digit = |i: usize| t.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| t.get(i) == Some(&c);
    let shape = [0, 1, 3, 4, 6, 7, 8, 9, 11, 12, 14, 15, 17, 18].iter().all(|&i| digit(i))
        && at(2, b'.')
        && at(5, b'.')
        && at(10, b' ')
        && at(13, b':')
        && at(16, b':');
    if !shape {
        return None;
    }
    let zone = t.get(19..).unwrap_or_default();
    let offset_ok = zone.is_empty()
        || (zone.len() == 10
            && zone.starts_with(b" UTC")
            && matches!(zone.get(4), Some(b'+' | b'-'))
            && [5, 6, 8, 9].iter().all(|&i| zone.get(i).is_some_and(u8::is_ascii_digit))
            && zone.get(7) == Some(&b':'));
    if !offset_ok {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        t.get(r)?.iter().try_fold(0u32, |n, d| Some(n * 10 + u32::from(d.checked_sub(b'0')?)))
    };
    let (day, month, year) = (num(0..2)?, num(3..5)?, num(6..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let zone_ok = zone.is_empty() || (num(24..26)? <= 23 && num(27..29)? <= 59);
    if !(real_date_time(year, month, day, hour, minute, second) && zone_ok) {
        return None;
    }
    let mut out = Vec::with_capacity(25);
    for r in [6..10, 2..3, 3..5, 2..3, 0..2] {
        out.extend_from_slice(t.get(r)?);
    }
    out.push(b'T');
    out.extend_from_slice(t.get(11..19)?);
    out.extend_from_slice(zone.get(4..).unwrap_or_default());
    // The date separators are `.`; RFC 3339 wants `-`.
    for i in [4, 7] {
        if let Some(b) = out.get_mut(i) {
            *b = b'-';
        }
    }
    String::from_utf8(out).ok()
}

/// `7 March 2022` → (2022, 3, 7).
pub fn separator_date(text: &str) -> Option<(u32, u32, u32)> {
    let mut it = text.split(' ');
    let day: u32 = it.next()?.parse().ok()?;
    let month_name = it.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as u32 + 1;
    let year: u32 = it.next()?.parse().ok()?;
    (it.next().is_none() && real_date_time(year, month, day, 0, 0, 0)).then_some((year, month, day))
}

/// The text of a date separator: (2022, 3, 7) → `7 March 2022`.
pub fn separator_text(year: u32, month: u32, day: u32) -> String {
    let name = MONTHS.get(month.saturating_sub(1) as usize).copied().unwrap_or("January");
    format!("{day} {name} {year}")
}
