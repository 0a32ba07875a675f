//! Typing of text values, shared by CSV (every cell) and JSON (string values).
//!
//! The lattice, from narrow to wide:
//! - `boolean`: `true` / `false`, any letter case. Joins only with itself.
//! - `int64`: an optional sign and digits that fit an `i64`. A leading zero (`007`)
//!   makes the value text: such columns are identifiers or codes.
//! - `decimal(p,s)`: plain notation (`-12.50`) with 1 to [`MAX_DECIMAL_SCALE`]
//!   fraction digits, and the **same** number of fraction digits in every value of
//!   the column (money, rates). Integers join a decimal column. `p` covers the
//!   widest integer part seen plus `s`, at most 38.
//! - `float64`: exponents, `NaN`/`inf`, more fraction digits, scales that vary,
//!   integers too large for `int64`.
//! - `date`: ISO `YYYY-MM-DD`.
//! - `timestamp[us]` / `timestamp[ns]`: ISO date, `T` or a space, `HH:MM[:SS[.fraction]]`,
//!   then optionally `Z` or an offset (`+02:00`, `+0200`, `+02`), which makes the
//!   timezone `UTC` (the instant is known). More than 6 fraction digits give `ns`.
//!   A date joins a timestamp column; aware and naive values together stay naive.
//! - anything else, or values of kinds that do not join, is `string`.

use torro_model::{DataType, TimeUnit};

/// The largest scale still read as a decimal (beyond that a value is a measurement).
pub const MAX_DECIMAL_SCALE: u8 = 4;
const MAX_PRECISION: u8 = 38;

/// What one value (or a column of values, once joined) looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Boolean,
    /// `digits` counts the digits, so that an integer can join a decimal column.
    Int {
        digits: u8,
    },
    /// `digits` counts the integer part, `scale` the fraction.
    Decimal {
        digits: u8,
        scale: u8,
    },
    Float,
    Date,
    Timestamp {
        nanos: bool,
        utc: bool,
    },
    String,
}

impl Scalar {
    pub fn to_data_type(self) -> DataType {
        match self {
            Scalar::Boolean => DataType::Boolean,
            Scalar::Int { .. } => DataType::Int64,
            Scalar::Decimal { digits, scale } => {
                let precision = digits.saturating_add(scale).clamp(1, MAX_PRECISION);
                DataType::Decimal {
                    precision,
                    scale: scale as i8,
                }
            }
            Scalar::Float => DataType::Float64,
            Scalar::Date => DataType::Date,
            Scalar::Timestamp { nanos, utc } => DataType::Timestamp {
                unit: if nanos {
                    TimeUnit::Nanosecond
                } else {
                    TimeUnit::Microsecond
                },
                timezone: utc.then(|| "UTC".to_string()),
            },
            Scalar::String => DataType::String,
        }
    }

    /// The narrowest type that holds values of both `self` and `other`.
    pub fn join(self, other: Scalar) -> Scalar {
        use Scalar::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Int { digits: d1 }, Int { digits: d2 }) => Int { digits: d1.max(d2) },
            (Decimal { digits: d1, scale: s1 }, Decimal { digits: d2, scale: s2 }) => {
                if s1 == s2 && d1.max(d2).saturating_add(s1) <= MAX_PRECISION {
                    Decimal {
                        digits: d1.max(d2),
                        scale: s1,
                    }
                } else {
                    Float
                }
            }
            // Integers have no fraction digits: they keep the decimal's scale.
            (Int { digits: d1 }, Decimal { digits: d2, scale })
            | (Decimal { digits: d2, scale }, Int { digits: d1 }) => {
                if d1.max(d2).saturating_add(scale) <= MAX_PRECISION {
                    Decimal {
                        digits: d1.max(d2),
                        scale,
                    }
                } else {
                    Float
                }
            }
            (Int { .. } | Decimal { .. } | Float, Int { .. } | Decimal { .. } | Float) => Float,
            (Date, Timestamp { nanos, utc: _ }) | (Timestamp { nanos, utc: _ }, Date) => {
                Timestamp { nanos, utc: false }
            }
            (Timestamp { nanos: n1, utc: u1 }, Timestamp { nanos: n2, utc: u2 }) => Timestamp {
                nanos: n1 || n2,
                utc: u1 && u2,
            },
            _ => String,
        }
    }
}

/// Types one CSV cell. The caller handles empty cells (they are nulls).
pub fn infer_text(value: &str) -> Scalar {
    let v = value.trim();
    if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") {
        return Scalar::Boolean;
    }
    if let Some(number) = infer_number(v) {
        return number;
    }
    infer_temporal(v)
}

/// Types a JSON string value: only dates and timestamps are recognised in strings
/// (a quoted number stays text, as its writer meant).
pub fn infer_temporal(value: &str) -> Scalar {
    let b = value.as_bytes();
    if b.len() < 10 || !is_date(&b[..10]) {
        return Scalar::String;
    }
    if b.len() == 10 {
        return Scalar::Date;
    }
    match b.get(10) {
        Some(b'T' | b't' | b' ') => {}
        _ => return Scalar::String,
    }
    timestamp_tail(&b[11..]).unwrap_or(Scalar::String)
}

fn infer_number(v: &str) -> Option<Scalar> {
    let b = v.as_bytes();
    let unsigned = match b.first() {
        Some(b'-' | b'+') => &b[1..],
        _ => b,
    };
    if unsigned.is_empty() {
        return None;
    }
    let (int_part, frac_part) = match unsigned.iter().position(|&c| c == b'.') {
        Some(dot) => (&unsigned[..dot], Some(&unsigned[dot + 1..])),
        None => (unsigned, None),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if all_digits(int_part) {
        if int_part.len() > 1 && int_part[0] == b'0' {
            // `007`, `0123.5`: codes, not quantities.
            return None;
        }
        match frac_part {
            None => {
                let digits = u8::try_from(int_part.len()).unwrap_or(u8::MAX);
                return Some(if v.parse::<i64>().is_ok() {
                    Scalar::Int { digits }
                } else {
                    Scalar::Float
                });
            }
            Some(frac) if all_digits(frac) && frac.len() <= MAX_DECIMAL_SCALE as usize => {
                let digits = u8::try_from(int_part.len()).unwrap_or(u8::MAX);
                if digits.saturating_add(frac.len() as u8) <= MAX_PRECISION {
                    return Some(Scalar::Decimal {
                        digits,
                        scale: frac.len() as u8,
                    });
                }
                return Some(Scalar::Float);
            }
            _ => {}
        }
    }
    // Exponents, `.5`, `5.`, long fractions, NaN and infinities. A float needs a
    // digit or one of the spelled-out specials, so words like "info" stay text.
    let special = ["nan", "inf", "infinity"]
        .iter()
        .any(|s| unsigned.eq_ignore_ascii_case(s.as_bytes()));
    let looks_numeric = unsigned
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        && unsigned.iter().any(u8::is_ascii_digit);
    if (special || looks_numeric) && v.parse::<f64>().is_ok() {
        return Some(Scalar::Float);
    }
    None
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => Some(u32::from(a - b'0') * 10 + u32::from(c - b'0')),
        _ => None,
    }
}

/// `YYYY-MM-DD` with a real calendar day.
fn is_date(b: &[u8]) -> bool {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !b[..4].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let year = b[..4].iter().fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
    let (Some(month), Some(day)) = (two_digits(&b[5..7]), two_digits(&b[8..10])) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `HH:MM[:SS[.f]][Z|±HH[:MM]]` after the date and separator.
fn timestamp_tail(b: &[u8]) -> Option<Scalar> {
    let hour = two_digits(b.get(0..2)?)?;
    if b.get(2) != Some(&b':') {
        return None;
    }
    let minute = two_digits(b.get(3..5)?)?;
    if hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = &b[5..];
    let mut nanos = false;
    if let Some(after) = rest.strip_prefix(b":") {
        let second = two_digits(after.get(0..2)?)?;
        if second > 60 {
            return None;
        }
        rest = &after[2..];
        if let Some(frac) = rest.strip_prefix(b".").or_else(|| rest.strip_prefix(b",")) {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return None;
            }
            nanos = n > 6;
            rest = &frac[n..];
        }
    }
    let utc = match rest {
        [] => false,
        [b'Z' | b'z'] => true,
        [b'+' | b'-', offset @ ..] => {
            let ok = match offset {
                [h1, h2] => two_digits(&[*h1, *h2]).is_some_and(|h| h <= 23),
                [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => {
                    two_digits(&[*h1, *h2]).is_some_and(|h| h <= 23) && two_digits(&[*m1, *m2]).is_some_and(|m| m <= 59)
                }
                _ => false,
            };
            if !ok {
                return None;
            }
            true
        }
        _ => return None,
    };
    Some(Scalar::Timestamp { nanos, utc })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_get_the_narrowest_type() {
        use Scalar::*;
        let cases = [
            ("true", Boolean),
            ("FALSE", Boolean),
            ("42", Int { digits: 2 }),
            ("-7", Int { digits: 1 }),
            ("007", String),
            ("12.50", Decimal { digits: 2, scale: 2 }),
            ("-0.5", Decimal { digits: 1, scale: 1 }),
            ("1.23456", Float),
            ("1e10", Float),
            ("NaN", Float),
            ("99999999999999999999", Float),
            ("info", String),
            ("1-2", String),
            ("2024-02-29", Date),
            ("2023-02-29", String),
            ("2024-13-01", String),
            (
                "2024-01-05T10:20",
                Timestamp {
                    nanos: false,
                    utc: false,
                },
            ),
            (
                "2024-01-05 10:20:30.123456",
                Timestamp {
                    nanos: false,
                    utc: false,
                },
            ),
            ("2024-01-05T10:20:30.123456789Z", Timestamp { nanos: true, utc: true }),
            (
                "2024-01-05T10:20:30+02:00",
                Timestamp {
                    nanos: false,
                    utc: true,
                },
            ),
            (
                "2024-01-05T10:20:30+0200",
                Timestamp {
                    nanos: false,
                    utc: true,
                },
            ),
            ("2024-01-05T25:20:30", String),
            ("2024-01-05T10:20:30+2", String),
            ("2024-01-05X", String),
            ("", String),
            ("-", String),
            ("é", String),
        ];
        for (text, want) in cases {
            assert_eq!(infer_text(text), want, "{text:?}");
        }
    }

    #[test]
    fn joins_follow_the_documented_lattice() {
        use Scalar::*;
        let d2 = Decimal { digits: 3, scale: 2 };
        let int = Int { digits: 4 };
        assert_eq!(int.join(Int { digits: 2 }), int);
        assert_eq!(int.join(Float), Float);
        assert_eq!(
            d2.join(Decimal { digits: 5, scale: 2 }),
            Decimal { digits: 5, scale: 2 }
        );
        assert_eq!(d2.join(Decimal { digits: 1, scale: 1 }), Float, "varying scale");
        assert_eq!(int.join(d2).to_data_type().to_string(), "decimal(6,2)");
        assert_eq!(
            Date.join(Timestamp {
                nanos: false,
                utc: true
            }),
            Timestamp {
                nanos: false,
                utc: false
            }
        );
        assert_eq!(Boolean.join(int), String);
        assert_eq!(Date.join(int), String);
        assert_eq!(
            Timestamp { nanos: true, utc: true }.to_data_type().to_string(),
            "timestamp[ns, UTC]"
        );
    }

    #[test]
    fn json_strings_only_become_temporal() {
        assert_eq!(infer_temporal("42"), Scalar::String);
        assert_eq!(infer_temporal("true"), Scalar::String);
        assert_eq!(infer_temporal("2024-01-05"), Scalar::Date);
    }
}
