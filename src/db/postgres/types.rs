//! Text-format values: what a column's bytes mean, by the column's type OID.
//!
//! The session asks for `DateStyle=ISO`, `TimeZone=UTC`,
//! `bytea_output=hex` and UTF-8 at startup, so each type has one text form
//! to decode. Types without a decoder here (arrays, uuid, interval, ...)
//! come back as their text.

use alloc::string::String;
use alloc::vec::Vec;

/// Type OIDs (`pg_type.oid`) this module decodes.
pub mod oid {
    /// `bool`
    pub const BOOL: u32 = 16;
    /// `bytea`
    pub const BYTEA: u32 = 17;
    /// `"char"`
    pub const CHAR: u32 = 18;
    /// `name`
    pub const NAME: u32 = 19;
    /// `int8`
    pub const INT8: u32 = 20;
    /// `int2`
    pub const INT2: u32 = 21;
    /// `int4`
    pub const INT4: u32 = 23;
    /// `text`
    pub const TEXT: u32 = 25;
    /// `oid`
    pub const OID: u32 = 26;
    /// `json`
    pub const JSON: u32 = 114;
    /// `float4`
    pub const FLOAT4: u32 = 700;
    /// `float8`
    pub const FLOAT8: u32 = 701;
    /// `bpchar` (`char(n)`)
    pub const BPCHAR: u32 = 1042;
    /// `varchar`
    pub const VARCHAR: u32 = 1043;
    /// `date`
    pub const DATE: u32 = 1082;
    /// `timestamp` (without time zone)
    pub const TIMESTAMP: u32 = 1114;
    /// `timestamptz`
    pub const TIMESTAMPTZ: u32 = 1184;
    /// `numeric`
    pub const NUMERIC: u32 = 1700;
    /// `jsonb`
    pub const JSONB: u32 = 3802;
}

/// A decoded column value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int2`, `int4`, `int8`, `oid`.
    Int(i64),
    /// `float4`, `float8` (NaN and the infinities included).
    Float(f64),
    /// `numeric`, kept as its exact decimal text.
    Numeric(String),
    /// `text`, `varchar`, `name`, `char`, and every type decoded as text.
    Text(String),
    /// `bytea`.
    Bytes(Vec<u8>),
    /// `json`, `jsonb`: the JSON source text, for the caller to parse.
    Json(String),
    /// `date`, `timestamp`, `timestamptz`: microseconds since the Unix epoch,
    /// UTC (a `date` is its midnight UTC; a `timestamp` without time zone is
    /// read as UTC). `infinity` and `-infinity` come back as [`Value::Text`].
    Timestamp(i64),
}

/// A column's text the type's decoder refuses (a server bug or a type
/// mismatch): names the type so the message says which column failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The type OID of the column.
    pub type_oid: u32,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "cannot decode a value of type OID {}", self.type_oid)
    }
}

/// Decodes a column of type `type_oid` from its text form (`None` = NULL).
pub fn decode(type_oid: u32, raw: Option<&[u8]>) -> Result<Value, DecodeError> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    let err = DecodeError { type_oid };
    let text = || String::from_utf8_lossy(raw).into_owned();
    let ascii = || core::str::from_utf8(raw).map_err(|_| err);
    Ok(match type_oid {
        oid::BOOL => match raw {
            b"t" => Value::Bool(true),
            b"f" => Value::Bool(false),
            _ => return Err(err),
        },
        oid::INT2 | oid::INT4 | oid::INT8 | oid::OID => {
            Value::Int(ascii()?.parse().map_err(|_| err)?)
        }
        // Rust's parser takes "NaN", "Infinity" and "-Infinity" as sent.
        oid::FLOAT4 | oid::FLOAT8 => Value::Float(ascii()?.parse().map_err(|_| err)?),
        oid::NUMERIC => Value::Numeric(text()),
        oid::BYTEA => Value::Bytes(decode_hex_bytea(raw).ok_or(err)?),
        oid::JSON | oid::JSONB => Value::Json(text()),
        oid::DATE | oid::TIMESTAMP | oid::TIMESTAMPTZ => {
            let s = ascii()?;
            if s == "infinity" || s == "-infinity" {
                Value::Text(text())
            } else {
                Value::Timestamp(parse_timestamp(s).ok_or(err)?)
            }
        }
        _ => Value::Text(text()),
    })
}

/// `\x` followed by hex digits (`bytea_output = hex`).
fn decode_hex_bytea(raw: &[u8]) -> Option<Vec<u8>> {
    let digits = raw.strip_prefix(b"\\x")?;
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn number(s: &str, min: u32, max: u32) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = s.parse().ok()?;
    (min..=max).contains(&n).then_some(n)
}

/// `YYYY-MM-DD[ HH:MM:SS[.ffffff]][+HH[:MM[:SS]]][ BC]` → µs since the epoch.
fn parse_timestamp(s: &str) -> Option<i64> {
    let (s, bc) = match s.strip_suffix(" BC") {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    let (date, time) = match s.split_once(' ') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.splitn(3, '-');
    let year_text = parts.next()?;
    if year_text.is_empty() || !year_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut year: i64 = year_text.parse().ok()?;
    if bc {
        // 1 BC is year 0 in the proleptic calendar.
        year = 1 - year;
    }
    let month = number(parts.next()?, 1, 12)?;
    let day = number(parts.next()?, 1, 31)?;
    let mut micros = days_from_civil(year, month, day).checked_mul(86_400_000_000)?;
    let Some(time) = time else {
        return Some(micros);
    };
    // The offset starts at the first sign after the clock time.
    let (clock, offset) = match time.find(['+', '-']) {
        Some(i) => (&time[..i], Some(&time[i..])),
        None => (time, None),
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (clock, None),
    };
    let mut hms = hms.splitn(3, ':');
    let hours = number(hms.next()?, 0, 24)?;
    let minutes = number(hms.next()?, 0, 59)?;
    let seconds = number(hms.next()?, 0, 60)?;
    micros += (i64::from(hours) * 3600 + i64::from(minutes) * 60 + i64::from(seconds)) * 1_000_000;
    if let Some(fraction) = fraction {
        if fraction.is_empty()
            || fraction.len() > 6
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let scale = 10i64.pow(6 - fraction.len() as u32);
        micros += fraction.parse::<i64>().ok()? * scale;
    }
    if let Some(offset) = offset {
        let negative = offset.starts_with('-');
        let mut fields = offset[1..].splitn(3, ':');
        let oh = number(fields.next()?, 0, 15)?;
        let om = fields.next().map_or(Some(0), |m| number(m, 0, 59))?;
        let os = fields.next().map_or(Some(0), |s| number(s, 0, 59))?;
        let shift = (i64::from(oh) * 3600 + i64::from(om) * 60 + i64::from(os)) * 1_000_000;
        // Local time = UTC + offset, so UTC = local - offset.
        micros += if negative { shift } else { -shift };
    }
    Some(micros)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn d(oid: u32, s: &str) -> Value {
        decode(oid, Some(s.as_bytes())).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(decode(oid::INT4, None), Ok(Value::Null));
        assert_eq!(d(oid::BOOL, "t"), Value::Bool(true));
        assert_eq!(d(oid::INT8, "-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(d(oid::INT2, "42"), Value::Int(42));
        assert_eq!(d(oid::FLOAT8, "1.5e-3"), Value::Float(0.0015));
        assert_eq!(d(oid::FLOAT4, "-Infinity"), Value::Float(f64::NEG_INFINITY));
        assert!(matches!(d(oid::FLOAT8, "NaN"), Value::Float(f) if f.is_nan()));
        assert_eq!(
            d(oid::NUMERIC, "12345678901234567890.000001"),
            Value::Numeric("12345678901234567890.000001".to_string())
        );
        assert_eq!(d(oid::VARCHAR, "héllo"), Value::Text("héllo".to_string()));
        assert_eq!(
            d(oid::JSONB, "{\"a\": 1}"),
            Value::Json("{\"a\": 1}".to_string())
        );
        assert_eq!(
            d(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            Value::Text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".to_string())
        );
        assert_eq!(
            d(oid::BYTEA, "\\x00ff10"),
            Value::Bytes([0, 255, 16].to_vec())
        );
        assert_eq!(d(oid::BYTEA, "\\x"), Value::Bytes(Vec::new()));
    }

    #[test]
    fn refusals_name_the_type() {
        for (oid, raw) in [
            (oid::BOOL, "yes"),
            (oid::INT4, "4x"),
            (oid::BYTEA, "\\x0"),
            (oid::BYTEA, "abc"),
            (oid::DATE, "2024-13-01"),
            (oid::TIMESTAMP, "2024-01-01 25:00:00"),
        ] {
            assert_eq!(
                decode(oid, Some(raw.as_bytes())),
                Err(DecodeError { type_oid: oid }),
                "{raw}"
            );
        }
    }

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(d(oid::DATE, "1970-01-01"), Value::Timestamp(0));
        assert_eq!(
            d(oid::DATE, "2000-03-01"),
            Value::Timestamp(951_868_800_000_000)
        );
        assert_eq!(
            d(oid::TIMESTAMP, "2024-02-29 12:34:56.5"),
            Value::Timestamp(1_709_210_096_500_000)
        );
        assert_eq!(
            d(oid::TIMESTAMPTZ, "2024-02-29 12:34:56.5+00"),
            Value::Timestamp(1_709_210_096_500_000)
        );
        assert_eq!(
            d(oid::TIMESTAMPTZ, "2024-02-29 14:04:56.5+01:30"),
            Value::Timestamp(1_709_210_096_500_000)
        );
        assert_eq!(
            d(oid::TIMESTAMPTZ, "2024-02-29 07:34:56.500000-05"),
            Value::Timestamp(1_709_210_096_500_000)
        );
        assert_eq!(
            d(oid::TIMESTAMP, "1969-12-31 23:59:59.999999"),
            Value::Timestamp(-1)
        );
        // 1 BC is year 0: 0000-12-31 is 719,529 days before 1970-01-01 + ...
        assert_eq!(
            d(oid::DATE, "0001-12-31 BC"),
            Value::Timestamp(days_from_civil(0, 12, 31) * 86_400_000_000)
        );
        assert_eq!(
            d(oid::TIMESTAMPTZ, "infinity"),
            Value::Text("infinity".to_string())
        );
    }
}
