//! `Headers` (WHATWG Fetch §5.2), native.
//!
//! The header list is kept as the spec keeps it: one `(name, value)` entry
//! per `append`, in order, names lowercased. `get` combines the values of a
//! name with ", "; iteration is "sort and combine" (names sorted, values of
//! one name combined, `set-cookie` never combined); the wire form of a
//! response ([`HeaderList::combined`]) has one line per name in the order
//! names first appeared, with `set-cookie` lines last and separate.
//!
//! Departures: the original case of names is not kept (nothing observable
//! from JS shows it); no guards (request/response/immutable); iterators walk
//! a snapshot taken when they are made.

use alloc::string::String;
use alloc::vec::Vec;

use crate::js::class::{Entry, Native, NativeClass, method, to_string_tag};
use crate::js::engine::{Ctx, Thrown, Value};
use crate::js::natives::pairs::{self, Part};
use crate::natives_table;

/// The header list of a `Headers` object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderList {
    entries: Vec<(String, String)>,
}

impl Native for HeaderList {
    const NAME: &'static core::ffi::CStr = c"Headers";

    fn heap_bytes(&self) -> usize {
        pairs::heap_bytes(&self.entries)
    }
}

/// Why a name or value was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    /// Not an HTTP token (RFC 9110 §5.6.2).
    Name,
    /// CR, LF, NUL, or a character above U+00FF (not a ByteString).
    Value,
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A header name checked to be a token, lowercased.
pub fn normalize_name(name: &str) -> Result<String, Invalid> {
    if name.is_empty() || !name.chars().all(is_token_char) {
        return Err(Invalid::Name);
    }
    Ok(name.to_ascii_lowercase())
}

/// A header value without leading and trailing HTTP whitespace, checked to
/// hold no CR, LF or NUL and only characters up to U+00FF.
pub fn normalize_value(value: &str) -> Result<&str, Invalid> {
    let v = value.trim_matches(['\t', '\n', '\r', ' ']);
    if v.chars()
        .any(|c| matches!(c, '\0' | '\r' | '\n') || c as u32 > 0xFF)
    {
        return Err(Invalid::Value);
    }
    Ok(v)
}

const SET_COOKIE: &str = "set-cookie";

impl HeaderList {
    /// An empty list.
    pub fn new() -> HeaderList {
        HeaderList::default()
    }

    /// A list of trusted, already valid entries (names lowercased here).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> HeaderList {
        let entries = pairs
            .into_iter()
            .map(|(mut n, v)| {
                n.make_ascii_lowercase();
                (n, v)
            })
            .collect();
        HeaderList { entries }
    }

    /// Adds an entry (`name` lowercased, both normalized).
    pub fn append(&mut self, name: String, value: String) {
        self.entries.push((name, value));
    }

    /// Removes every entry of `name`.
    pub fn delete(&mut self, name: &str) {
        self.entries.retain(|(n, _)| n != name);
    }

    /// The values of `name` combined with ", ", or `None`.
    pub fn get(&self, name: &str) -> Option<String> {
        let mut values = self.entries.iter().filter(|(n, _)| n == name);
        let mut out = values.next()?.1.clone();
        for (_, v) in values {
            out.push_str(", ");
            out.push_str(v);
        }
        Some(out)
    }

    /// The `set-cookie` values, separately.
    pub fn set_cookies(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(n, _)| n == SET_COOKIE)
            .map(|(_, v)| v.as_str())
    }

    /// Whether an entry of `name` exists.
    pub fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| n == name)
    }

    /// Replaces the first entry of `name` (dropping the others), or appends.
    pub fn set(&mut self, name: String, value: String) {
        match self.entries.iter().position(|(n, _)| *n == name) {
            Some(i) => {
                self.entries[i].1 = value;
                let mut seen = 0;
                self.entries.retain(|(n, _)| {
                    if *n == name {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
            }
            None => self.entries.push((name, value)),
        }
    }

    /// "Sort and combine" (§5.2): by name, each name's values combined,
    /// except `set-cookie`, whose values stay separate.
    pub fn sorted(&self) -> Vec<(String, String)> {
        // Sorted and without repeats (a binary search per entry: headers are
        // few, and this costs less flash than a general sort).
        let mut names: Vec<&str> = Vec::new();
        for (n, _) in &self.entries {
            if let Err(i) = names.binary_search(&n.as_str()) {
                names.insert(i, n);
            }
        }
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            if name == SET_COOKIE {
                out.extend(
                    self.set_cookies()
                        .map(|v| (String::from(name), String::from(v))),
                );
            } else if let Some(v) = self.get(name) {
                out.push((String::from(name), v));
            }
        }
        out
    }

    /// The wire form: one entry per name with its combined value, in the
    /// order names first appeared, then the `set-cookie` entries.
    pub fn combined(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::with_capacity(self.entries.len());
        for (n, v) in &self.entries {
            if n == SET_COOKIE {
                continue;
            }
            match out.iter_mut().find(|(m, _)| m == n) {
                Some((_, combined)) => {
                    combined.push_str(", ");
                    combined.push_str(v);
                }
                None => out.push((n.clone(), v.clone())),
            }
        }
        out.extend(
            self.set_cookies()
                .map(|v| (String::from(SET_COOKIE), String::from(v))),
        );
        out
    }

    /// The entries as appended.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }
}

/// `s` as a JSON string literal (for error messages).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&alloc::format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `Headers` class of `ctx`'s runtime.
pub fn class(ctx: &Ctx) -> Result<NativeClass<HeaderList>, Thrown> {
    NativeClass::of(ctx)
}

/// A new `Headers` owning `list`.
pub fn instance<'c>(ctx: &'c Ctx, list: HeaderList) -> Result<Value<'c>, Thrown> {
    class(ctx)?.instance(ctx, list)
}

/// `String(name)`, checked and lowercased; TypeError if not a token.
pub fn name_arg(ctx: &Ctx, name: Option<&Value<'_>>) -> Result<String, Thrown> {
    let raw = match name {
        Some(v) => v.to_string()?,
        None => String::from("undefined"),
    };
    normalize_name(&raw)
        .map_err(|_| ctx.throw_type_error(&alloc::format!("Invalid header name: {}", quote(&raw))))
}

/// `String(value)`, normalized; TypeError naming header `name` if invalid.
pub fn value_arg(ctx: &Ctx, value: Option<&Value<'_>>, name: &Value<'_>) -> Result<String, Thrown> {
    let raw = match value {
        Some(v) => v.to_string()?,
        None => String::from("undefined"),
    };
    match normalize_value(&raw) {
        Ok(v) => Ok(String::from(v)),
        Err(_) => {
            let name = name.to_string_lossy();
            let value = raw.trim_matches(['\t', '\n', '\r', ' ']);
            Err(ctx.throw_type_error(&alloc::format!(
                "Invalid value for header {}: {} (CR, LF, NUL and characters above U+00FF are not allowed)",
                quote(&name),
                quote(value)
            )))
        }
    }
}

/// The elements of an iterable (arrays directly, others through `Array.from`).
pub fn collect_iterable<'c>(ctx: &'c Ctx, v: &Value<'c>) -> Result<Vec<Value<'c>>, Thrown> {
    let array = if v.is_array() {
        v.clone()
    } else {
        ctx.global()
            .get(c"Array")?
            .call_method(c"from", core::slice::from_ref(v))?
    };
    let n = array.length()?;
    (0..n).map(|i| array.get_index(i)).collect()
}

/// Whether `v` is an object with a `[Symbol.iterator]` method.
pub fn is_iterable(ctx: &Ctx, v: &Value<'_>) -> Result<bool, Thrown> {
    if !v.is_object() {
        return Ok(false);
    }
    if v.is_array() {
        return Ok(true);
    }
    let key = ctx.global().get(c"Symbol")?.get(c"iterator")?;
    Ok(v.get_value(&key)?.is_function())
}

/// The header list a `HeadersInit` describes: a `Headers`, an iterable of
/// `[name, value]` pairs or a record of names to values (§5.2 "fill").
pub fn list_from_init(ctx: &Ctx, init: &Value<'_>) -> Result<HeaderList, Thrown> {
    if init.is_nullish() {
        return Ok(HeaderList::new());
    }
    if !init.is_object() {
        return Err(ctx.throw_type_error(
            "Headers: init must be a Headers, an array of [name, value] pairs, or a record of names to values",
        ));
    }
    let class = class(ctx)?;
    if let Some(copy) = class.with(init, HeaderList::clone) {
        return Ok(copy);
    }
    let mut list = HeaderList::new();
    pairs::each_of_init(
        ctx,
        init,
        "Headers: each header must be a [name, value] pair",
        |name, value| {
            let n = name_arg(ctx, Some(name))?;
            let v = value_arg(ctx, Some(value), name)?;
            list.append(n, v);
            Ok(())
        },
    )?;
    Ok(list)
}

natives_table! {
    /// The natives of `Headers`.
    struct Fns { construct, append, delete, get, get_set_cookie, has, set, for_each, entries, keys, values }
}

static PROTO: [Entry; 12] = [
    method::<Fns>(c"append", 2, Fns::append),
    method::<Fns>(c"delete", 1, Fns::delete),
    method::<Fns>(c"get", 1, Fns::get),
    method::<Fns>(c"getSetCookie", 0, Fns::get_set_cookie),
    method::<Fns>(c"has", 1, Fns::has),
    method::<Fns>(c"set", 2, Fns::set),
    method::<Fns>(c"forEach", 1, Fns::for_each),
    method::<Fns>(c"entries", 0, Fns::entries),
    method::<Fns>(c"keys", 0, Fns::keys),
    method::<Fns>(c"values", 0, Fns::values),
    method::<Fns>(c"[Symbol.iterator]", 0, Fns::entries),
    to_string_tag(c"Headers"),
];

/// Sets up `Headers` in `ctx`; returns the constructor.
pub fn define(ctx: &Ctx) -> Result<Value<'_>, Thrown> {
    class(ctx)?.define::<Fns>(ctx, Fns::construct, 0, &PROTO, &[])
}

fn construct<'c>(
    ctx: &'c Ctx,
    new_target: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let list = match args.first() {
        Some(init) => list_from_init(ctx, init)?,
        None => HeaderList::new(),
    };
    class(ctx)?.construct(ctx, &new_target, list)
}

fn append<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let undefined = ctx.undefined();
    let name_value = args.first().unwrap_or(&undefined);
    let name = name_arg(ctx, Some(name_value))?;
    let value = value_arg(ctx, args.get(1), name_value)?;
    class(ctx)?.update(ctx, &this, "Headers.append", |l| l.append(name, value))?;
    Ok(ctx.undefined())
}

fn delete<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let name = name_arg(ctx, args.first())?;
    class(ctx)?.update(ctx, &this, "Headers.delete", |l| l.delete(&name))?;
    Ok(ctx.undefined())
}

fn get<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let name = name_arg(ctx, args.first())?;
    match class(ctx)?.read(ctx, &this, "Headers.get", |l| l.get(&name))? {
        Some(v) => ctx.string(&v),
        None => Ok(ctx.null()),
    }
}

fn get_set_cookie<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let cookies: Vec<String> = class(ctx)?.read(ctx, &this, "Headers.getSetCookie", |l| {
        l.set_cookies().map(String::from).collect()
    })?;
    let values = cookies
        .iter()
        .map(|c| ctx.string(c))
        .collect::<Result<_, _>>()?;
    ctx.array_of(values)
}

fn has<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let name = name_arg(ctx, args.first())?;
    let has = class(ctx)?.read(ctx, &this, "Headers.has", |l| l.has(&name))?;
    Ok(ctx.bool(has))
}

fn set<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let undefined = ctx.undefined();
    let name_value = args.first().unwrap_or(&undefined);
    let name = name_arg(ctx, Some(name_value))?;
    let value = value_arg(ctx, args.get(1), name_value)?;
    class(ctx)?.update(ctx, &this, "Headers.set", |l| l.set(name, value))?;
    Ok(ctx.undefined())
}

/// The sorted entries of `this` (a snapshot).
fn sorted(ctx: &Ctx, this: &Value<'_>, what: &str) -> Result<Vec<(String, String)>, Thrown> {
    class(ctx)?.read(ctx, this, what, HeaderList::sorted)
}

fn for_each<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let pairs = sorted(ctx, &this, "Headers.forEach")?;
    pairs::for_each(ctx, &this, args, pairs, "Headers.forEach")
}

fn entries<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    pairs::iterator(ctx, &sorted(ctx, &this, "Headers.entries")?, Part::Entries)
}

fn keys<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    pairs::iterator(ctx, &sorted(ctx, &this, "Headers.keys")?, Part::Keys)
}

fn values<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    pairs::iterator(ctx, &sorted(ctx, &this, "Headers.values")?, Part::Values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(pairs: &[(&str, &str)]) -> HeaderList {
        HeaderList::from_pairs(
            pairs
                .iter()
                .map(|(n, v)| (String::from(*n), String::from(*v))),
        )
    }

    #[test]
    fn names_must_be_tokens_and_are_lowercased() {
        assert_eq!(
            normalize_name("Content-Type"),
            Ok(String::from("content-type"))
        );
        assert_eq!(
            normalize_name("x!#$%&'*+-.^_`|~9"),
            Ok(String::from("x!#$%&'*+-.^_`|~9"))
        );
        for bad in ["", "a b", "a:b", "é", "a\n", "(x)", "a/b"] {
            assert_eq!(normalize_name(bad), Err(Invalid::Name), "{bad:?}");
        }
    }

    #[test]
    fn values_are_trimmed_and_must_be_byte_strings() {
        assert_eq!(normalize_value("  \t padded \t "), Ok("padded"));
        assert_eq!(normalize_value(" in side "), Ok("in side"));
        assert_eq!(normalize_value("\u{ff} latin-1"), Ok("\u{ff} latin-1"));
        assert_eq!(normalize_value("\r\n"), Ok(""));
        for bad in ["a\r\nb", "a\nb", "a\rb", "a\0b", "\u{100}", "😀"] {
            assert_eq!(normalize_value(bad), Err(Invalid::Value), "{bad:?}");
        }
    }

    #[test]
    fn get_combines_and_set_replaces_in_place() {
        let mut h = list(&[("a", "1"), ("B", "2"), ("a", "3")]);
        assert_eq!(h.get("a").as_deref(), Some("1, 3"));
        assert_eq!(h.get("b").as_deref(), Some("2"));
        assert_eq!(h.get("c"), None);
        h.set(String::from("a"), String::from("x"));
        assert_eq!(h.entries(), list(&[("a", "x"), ("b", "2")]).entries());
        h.delete("a");
        assert!(!h.has("a"));
        h.set(String::from("c"), String::from("3"));
        assert_eq!(h.get("c").as_deref(), Some("3"));
    }

    #[test]
    fn sorted_combines_except_set_cookie_and_wire_form_keeps_order() {
        let h = list(&[
            ("x", "y"),
            ("set-cookie", "a=1"),
            ("b", "2"),
            ("set-cookie", "b=2"),
            ("b", "4"),
        ]);
        let pairs =
            |v: Vec<(String, String)>| v.into_iter().map(|(n, v)| n + "=" + &v).collect::<Vec<_>>();
        assert_eq!(
            pairs(h.sorted()),
            ["b=2, 4", "set-cookie=a=1", "set-cookie=b=2", "x=y"]
        );
        assert_eq!(
            pairs(h.combined()),
            ["x=y", "b=2, 4", "set-cookie=a=1", "set-cookie=b=2"]
        );
        assert_eq!(h.get("set-cookie").as_deref(), Some("a=1, b=2"));
        assert_eq!(h.set_cookies().collect::<Vec<_>>(), ["a=1", "b=2"]);
    }

    #[test]
    fn quote_escapes_like_json() {
        assert_eq!(quote("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
    }
}
