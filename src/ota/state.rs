//! What the device must never go back on, kept in the store's `state` file
//! (replaced whole, atomically):
//!
//! ```text
//! admin-floor F        no admin request with a counter at or below F (see super::auth)
//! seen NAME VERSION    the highest version of NAME ever deployed
//! ```
//!
//! A bundle older than the highest version seen for its function is
//! refused (a rollback to the kept previous version is not a deploy), also
//! after the function was deleted. Versions are ordered by
//! [`version_order`]. The highest configuration serial needs no line here:
//! it is the serial of the stored configuration, which keeps its signature.

use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// The state file's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceState {
    /// The persisted floor of admin request counters.
    pub admin_floor: u64,
    /// Per function, the highest version deployed.
    pub seen: Vec<(String, String)>,
}

impl DeviceState {
    /// Parses the file's text; unknown or malformed lines are ignored.
    pub fn parse(text: &str) -> DeviceState {
        let mut s = DeviceState::default();
        for line in text.lines() {
            let mut words = line.split(' ');
            match (words.next(), words.next(), words.next()) {
                (Some("admin-floor"), Some(f), None) => s.admin_floor = f.parse().unwrap_or(0),
                (Some("seen"), Some(name), Some(version)) => s.saw(name, version),
                _ => {}
            }
        }
        s
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut s = alloc::format!("admin-floor {}\n", self.admin_floor);
        for (name, version) in &self.seen {
            s.push_str("seen ");
            s.push_str(name);
            s.push(' ');
            s.push_str(version);
            s.push('\n');
        }
        s
    }

    /// The highest version of `name` deployed, if any.
    pub fn highest(&self, name: &str) -> Option<&str> {
        self.seen
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Records that `version` of `name` was deployed (keeps the highest).
    pub fn saw(&mut self, name: &str, version: &str) {
        match self.seen.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => {
                if version_order(version, v) == Ordering::Greater {
                    *v = String::from(version);
                }
            }
            None => self.seen.push((String::from(name), String::from(version))),
        }
    }
}

/// The order of bundle versions, as `sort -V` orders them: runs of digits
/// compare as numbers, anything else byte by byte, a version that is a
/// prefix of another comes first. So `1.9 < 1.10`, `t1700000000 <
/// t1700000005` (what `isere build` stamps when given no version) and
/// `2 < 10`. A pre-release suffix is not special: `1.0.0 < 1.0.0-rc1`; use
/// build numbers.
pub fn version_order(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (ra, rb) = (run(a), run(b));
                // Numbers without their leading zeros: the longer is the greater.
                let (na, nb) = (trim_zeros(&a[..ra]), trim_zeros(&b[..rb]));
                let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if o != Ordering::Equal {
                    return o;
                }
                a = &a[ra..];
                b = &b[rb..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let z = digits.iter().take_while(|c| **c == b'0').count();
    &digits[z..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_sort_v() {
        let ordered = [
            "0.9", "1", "1.0", "1.0.3", "1.0.10", "1.2", "2", "10", "t17", "t170",
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(version_order(a, b), i.cmp(&j), "{a} vs {b}");
            }
        }
        assert_eq!(version_order("007", "7"), Ordering::Equal);
    }

    #[test]
    fn state_round_trips_and_keeps_the_highest() {
        let mut s = DeviceState {
            admin_floor: 42,
            ..DeviceState::default()
        };
        s.saw("app", "1.9");
        s.saw("app", "1.10");
        s.saw("app", "1.2");
        s.saw("other", "t5");
        assert_eq!(s.highest("app"), Some("1.10"));
        assert_eq!(DeviceState::parse(&s.to_text()), s);
        assert_eq!(
            DeviceState::parse("garbage\nadmin-floor x\nseen a\n"),
            DeviceState::default()
        );
    }
}
