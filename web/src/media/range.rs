//! The `Range` request header (RFC 9110, section 14), as video players and OBS send it to
//! seek: one byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`). A header we do not support
//! (several ranges, another unit) or cannot read is ignored, as the RFC allows: the whole
//! file is sent with `200`.

/// What to send for a file of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    /// `200` with every byte.
    Full,
    /// `206` with bytes `start..=end`.
    Part { start: u64, end: u64 },
    /// `416`: the range starts past the end.
    Unsatisfiable,
}

/// Reads a `Range` header against a file of `len` bytes.
pub fn parse(header: Option<&str>, len: u64) -> Ranged {
    let Some(spec) = header.map(str::trim).and_then(|h| {
        let (unit, spec) = h.split_once('=')?;
        unit.trim()
            .eq_ignore_ascii_case("bytes")
            .then_some(spec.trim())
    }) else {
        return Ranged::Full;
    };
    if spec.contains(',') {
        return Ranged::Full;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ranged::Full;
    };
    let number = |s: &str| -> Option<Option<u64>> {
        let s = s.trim();
        if s.is_empty() {
            Some(None)
        } else if s.bytes().all(|b| b.is_ascii_digit()) {
            // Digits too many for a u64 are still a number: past any end.
            Some(Some(s.parse().unwrap_or(u64::MAX)))
        } else {
            None
        }
    };
    let (Some(first), Some(last)) = (number(first), number(last)) else {
        return Ranged::Full;
    };
    match (first, last) {
        (None, None) => Ranged::Full,
        // The last n bytes (all of them when n is larger than the file).
        (None, Some(0)) => Ranged::Unsatisfiable,
        (None, Some(_)) if len == 0 => Ranged::Unsatisfiable,
        (None, Some(n)) => Ranged::Part {
            start: len.saturating_sub(n),
            end: len - 1,
        },
        (Some(start), _) if start >= len => Ranged::Unsatisfiable,
        (Some(start), None) => Ranged::Part {
            start,
            end: len - 1,
        },
        (Some(start), Some(end)) if end < start => Ranged::Full,
        (Some(start), Some(end)) => Ranged::Part {
            start,
            end: end.min(len - 1),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_ranges() {
        let part = |start, end| Ranged::Part { start, end };
        assert_eq!(parse(Some("bytes=0-99"), 1000), part(0, 99));
        assert_eq!(parse(Some("bytes=100-"), 1000), part(100, 999));
        assert_eq!(parse(Some("bytes=-100"), 1000), part(900, 999));
        assert_eq!(parse(Some("bytes=-5000"), 1000), part(0, 999));
        assert_eq!(parse(Some("bytes=990-5000"), 1000), part(990, 999));
        assert_eq!(parse(Some("bytes=999-999"), 1000), part(999, 999));
        assert_eq!(parse(Some("Bytes = 1-2 "), 1000), part(1, 2));
        assert_eq!(
            parse(Some("bytes=0-99999999999999999999999"), 1000),
            part(0, 999)
        );
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(parse(Some("bytes=1000-"), 1000), Ranged::Unsatisfiable);
        assert_eq!(parse(Some("bytes=5000-6000"), 1000), Ranged::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 1000), Ranged::Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-"), 0), Ranged::Unsatisfiable);
        assert_eq!(parse(Some("bytes=-1"), 0), Ranged::Unsatisfiable);
    }

    #[test]
    fn ignored_headers_send_everything() {
        for h in [
            None,
            Some(""),
            Some("bytes=0-1,5-6"),
            Some("items=0-1"),
            Some("bytes=abc"),
            Some("bytes=-"),
            Some("bytes=5-1"),
            Some("bytes=0x10-20"),
            Some("bytes=+1-2"),
            Some("bytes"),
        ] {
            assert_eq!(parse(h, 1000), Ranged::Full, "{h:?}");
        }
    }
}
