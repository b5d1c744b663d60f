//! `URL` and `URLSearchParams` (WHATWG URL Standard), native, over the
//! `url` crate (the standard's parser, setters and UTS 46 host processing).
//!
//! Both are defined in a context on the first use of one of their names
//! (see `task::lazy_names`), with `internal.parseForm(string)` (the
//! application/x-www-form-urlencoded parser, as `[name, value]` pairs) and
//! `internal.percentDecode(string)` for the glue.
//!
//! A URL's `searchParams` is made on first access and linked both ways, as
//! the standard links a URL and its query object: a change to the params
//! rewrites the URL's query; setting `search` or `href` refills the params.
//!
//! Departures: iterators walk a snapshot taken when they are made; the
//! standard's validation errors (non-fatal) are not reported.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use url::{Url, form_urlencoded, quirks};

use crate::js::class::{Entry, Held, Native, NativeClass, accessor, getter, method, to_string_tag};
use crate::js::engine::{Ctx, Thrown, Value};
use crate::js::natives::headers::quote;
use crate::js::natives::pairs::{self, Part};
use crate::natives_table;

/// The data of a `URL` object. The URL itself is shared with its
/// `searchParams` (in Rust, so that the two objects make no cycle for the
/// collector to find).
pub struct UrlRecord {
    url: Rc<RefCell<Url>>,
    /// Its `searchParams`, once asked for.
    params: Option<Held>,
}

impl Native for UrlRecord {
    const NAME: &'static core::ffi::CStr = c"URL";

    fn trace(&self, mark: &mut dyn FnMut(&Held)) {
        if let Some(p) = &self.params {
            mark(p);
        }
    }

    fn heap_bytes(&self) -> usize {
        self.url.borrow().as_str().len()
    }
}

/// The data of a `URLSearchParams` object.
#[derive(Default)]
pub struct SearchParams {
    list: Vec<(String, String)>,
    /// The URL whose query this is, if any.
    url: Option<Rc<RefCell<Url>>>,
}

impl Native for SearchParams {
    const NAME: &'static core::ffi::CStr = c"URLSearchParams";

    /// The list, and the query it wrote into its URL (which the URL counts
    /// only as of its own last change).
    fn heap_bytes(&self) -> usize {
        let query = self
            .url
            .as_ref()
            .map_or(0, |u| u.borrow().query().map_or(0, str::len));
        pairs::heap_bytes(&self.list) + query
    }
}

/// `input` parsed against `base` (itself parsed first, when given).
pub fn parse(input: &str, base: Option<&str>) -> Option<Url> {
    let base = match base {
        Some(b) => Some(Url::parse(b).ok()?),
        None => None,
    };
    Url::options().base_url(base.as_ref()).parse(input).ok()
}

/// The application/x-www-form-urlencoded pairs of `query` (URL §5.1).
pub fn parse_form(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The application/x-www-form-urlencoded serialization of `list` (URL §5.2).
pub fn serialize_form(list: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(list)
        .finish()
}

/// Percent-decodes `s` (URL §1.3), bytes that do not form UTF-8 becoming
/// U+FFFD.
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn record(url: Url) -> UrlRecord {
    UrlRecord {
        url: Rc::new(RefCell::new(url)),
        params: None,
    }
}

fn url_class(ctx: &Ctx) -> Result<NativeClass<UrlRecord>, Thrown> {
    NativeClass::of(ctx)
}

fn params_class(ctx: &Ctx) -> Result<NativeClass<SearchParams>, Thrown> {
    NativeClass::of(ctx)
}

/// Defines `URL`, `URLSearchParams`, `parseForm` and `percentDecode` on
/// `internal`, and the two classes on `global`.
pub fn define(ctx: &Ctx, global: &Value<'_>, internal: &Value<'_>) -> Result<(), Thrown> {
    let classes = [
        (
            "URL",
            url_class(ctx)?.define::<Fns>(ctx, Fns::construct_url, 1, &URL_PROTO, &URL_STATICS)?,
        ),
        (
            "URLSearchParams",
            params_class(ctx)?.define::<Fns>(ctx, Fns::construct_params, 0, &PARAMS_PROTO, &[])?,
        ),
    ];
    super::expose(global, internal, classes)?;
    crate::js::class::define_list(ctx, internal, &INTERNAL)
}

natives_table! {
    /// The natives of `URL` and `URLSearchParams`. A setter follows its
    /// getter (see [`accessor`]).
    struct Fns {
        construct_url, can_parse, parse_static, to_string,
        href, set_href, origin, protocol, set_protocol, username, set_username,
        password, set_password, host, set_host, hostname, set_hostname,
        port, set_port, pathname, set_pathname, search, set_search, hash, set_hash,
        search_params,
        construct_params, size, append, delete, get, get_all, has, set, sort,
        params_to_string, for_each, entries, keys, values,
        parse_form_native, percent_decode_native,
    }
}

static URL_PROTO: [Entry; 15] = [
    accessor::<Fns>(c"href", Fns::href),
    getter::<Fns>(c"origin", Fns::origin),
    accessor::<Fns>(c"protocol", Fns::protocol),
    accessor::<Fns>(c"username", Fns::username),
    accessor::<Fns>(c"password", Fns::password),
    accessor::<Fns>(c"host", Fns::host),
    accessor::<Fns>(c"hostname", Fns::hostname),
    accessor::<Fns>(c"port", Fns::port),
    accessor::<Fns>(c"pathname", Fns::pathname),
    accessor::<Fns>(c"search", Fns::search),
    getter::<Fns>(c"searchParams", Fns::search_params),
    accessor::<Fns>(c"hash", Fns::hash),
    method::<Fns>(c"toString", 0, Fns::to_string),
    method::<Fns>(c"toJSON", 0, Fns::to_string),
    to_string_tag(c"URL"),
];

static URL_STATICS: [Entry; 2] = [
    method::<Fns>(c"canParse", 1, Fns::can_parse),
    method::<Fns>(c"parse", 1, Fns::parse_static),
];

static PARAMS_PROTO: [Entry; 15] = [
    getter::<Fns>(c"size", Fns::size),
    method::<Fns>(c"append", 2, Fns::append),
    method::<Fns>(c"delete", 1, Fns::delete),
    method::<Fns>(c"get", 1, Fns::get),
    method::<Fns>(c"getAll", 1, Fns::get_all),
    method::<Fns>(c"has", 1, Fns::has),
    method::<Fns>(c"set", 2, Fns::set),
    method::<Fns>(c"sort", 0, Fns::sort),
    method::<Fns>(c"toString", 0, Fns::params_to_string),
    method::<Fns>(c"forEach", 1, Fns::for_each),
    method::<Fns>(c"entries", 0, Fns::entries),
    method::<Fns>(c"keys", 0, Fns::keys),
    method::<Fns>(c"values", 0, Fns::values),
    method::<Fns>(c"[Symbol.iterator]", 0, Fns::entries),
    to_string_tag(c"URLSearchParams"),
];

static INTERNAL: [Entry; 2] = [
    method::<Fns>(c"parseForm", 1, Fns::parse_form_native),
    method::<Fns>(c"percentDecode", 1, Fns::percent_decode_native),
];

/// Argument `i` as a USVString (`undefined` when missing, as Web IDL
/// converts it: "undefined").
fn usv_arg(ctx: &Ctx, args: &[Value<'_>], i: usize) -> Result<String, Thrown> {
    match args.get(i) {
        Some(v) => v.to_usv(),
        None => ctx.undefined().to_usv(),
    }
}

/// Argument `i` as an optional USVString (`undefined` or missing: `None`).
fn optional_usv(args: &[Value<'_>], i: usize) -> Result<Option<String>, Thrown> {
    match args.get(i) {
        Some(v) if !v.is_undefined() => v.to_usv().map(Some),
        _ => Ok(None),
    }
}

/// What parsing or setting a URL from `input_bytes` of input may take in
/// Rust while it runs: the input's copy, the parser's output (percent-
/// encoding can triple it) and the URL it replaces.
fn parse_room(input_bytes: usize) -> usize {
    input_bytes.saturating_mul(4)
}

fn parse_args(
    args: &[Value<'_>],
    ctx: &Ctx,
) -> Result<(String, Option<String>, Option<Url>), Thrown> {
    let input = usv_arg(ctx, args, 0)?;
    let base = optional_usv(args, 1)?;
    let _room = ctx.reserve(parse_room(
        input.len() + base.as_ref().map_or(0, String::len),
    ))?;
    let url = parse(&input, base.as_deref());
    Ok((input, base, url))
}

fn construct_url<'c>(
    ctx: &'c Ctx,
    new_target: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let (input, base, url) = parse_args(args, ctx)?;
    let Some(url) = url else {
        let base = base
            .map(|b| alloc::format!(" (base {})", quote(&b)))
            .unwrap_or_default();
        return Err(ctx.throw_type_error(&alloc::format!("Invalid URL: {}{base}", quote(&input))));
    };
    url_class(ctx)?.construct(ctx, &new_target, record(url))
}

fn can_parse<'c>(ctx: &'c Ctx, _this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let (_, _, url) = parse_args(args, ctx)?;
    Ok(ctx.bool(url.is_some()))
}

fn parse_static<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    match parse_args(args, ctx)?.2 {
        Some(url) => url_class(ctx)?.instance(ctx, record(url)),
        None => Ok(ctx.null()),
    }
}

/// A string read from the URL of `this`.
fn read_url<'c>(
    ctx: &'c Ctx,
    this: &Value<'c>,
    what: &str,
    f: fn(&Url) -> &str,
) -> Result<Value<'c>, Thrown> {
    let s = url_class(ctx)?.read(ctx, this, what, |r| String::from(f(&r.url.borrow())))?;
    ctx.string(&s)
}

/// Applies `change` to the URL of `this`, then refills its params (if
/// made) from the query. A setter's failure leaves the URL as it was, as
/// the standard's setters do (only `href` throws).
fn write_url<'c>(
    ctx: &'c Ctx,
    this: &Value<'c>,
    what: &str,
    change: impl FnOnce(&mut Url),
    input_bytes: usize,
) -> Result<Value<'c>, Thrown> {
    let _room = ctx.reserve(parse_room(input_bytes))?;
    let params = url_class(ctx)?.update(ctx, this, what, |r| {
        let mut url = r.url.borrow_mut();
        change(&mut url);
        r.params
            .as_ref()
            .map(|p| (p.get(ctx), String::from(url.query().unwrap_or(""))))
    })?;
    if let Some((params, query)) = params {
        let list = parse_form(&query);
        params_class(ctx)?.update(ctx, &params, what, |p| p.list = list)?;
    }
    Ok(ctx.undefined())
}

macro_rules! url_accessors {
    ($($get:ident, $set:ident, $name:literal, $getter:path, $setter:path;)*) => {
        $(
            fn $get<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
                read_url(ctx, &this, concat!("URL.", $name), $getter)
            }
            fn $set<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
                let value = usv_arg(ctx, args, 0)?;
                write_url(ctx, &this, concat!("URL.", $name), |u| {
                    let _ = $setter(u, &value);
                }, value.len())
            }
        )*
    };
}

url_accessors! {
    protocol, set_protocol, "protocol", quirks::protocol, quirks::set_protocol;
    username, set_username, "username", quirks::username, quirks::set_username;
    password, set_password, "password", quirks::password, quirks::set_password;
    host, set_host, "host", quirks::host, quirks::set_host;
    hostname, set_hostname, "hostname", quirks::hostname, quirks::set_hostname;
    port, set_port, "port", quirks::port, quirks::set_port;
    pathname, set_pathname, "pathname", quirks::pathname, quirks::set_pathname;
    search, set_search, "search", quirks::search, quirks::set_search;
    hash, set_hash, "hash", quirks::hash, quirks::set_hash;
}

fn href<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    read_url(ctx, &this, "URL.href", quirks::href)
}

fn to_string<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    read_url(ctx, &this, "URL.toString", quirks::href)
}

/// `href`'s setter is the one that throws: an unparsable value is a
/// TypeError and the URL stays as it was.
fn set_href<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let value = usv_arg(ctx, args, 0)?;
    let room = ctx.reserve(parse_room(value.len()))?;
    let Ok(parsed) = Url::parse(&value) else {
        return Err(ctx.throw_type_error(&alloc::format!("Invalid URL: {}", quote(&value))));
    };
    drop(room);
    write_url(ctx, &this, "URL.href", |u| *u = parsed, value.len())
}

fn origin<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let s = url_class(ctx)?.read(ctx, &this, "URL.origin", |r| {
        quirks::origin(&r.url.borrow())
    })?;
    ctx.string(&s)
}

fn search_params<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let class = url_class(ctx)?;
    let (made, query, url) = class.read(ctx, &this, "URL.searchParams", |r| {
        (
            r.params.as_ref().map(|p| p.get(ctx)),
            String::from(r.url.borrow().query().unwrap_or("")),
            Rc::clone(&r.url),
        )
    })?;
    if let Some(params) = made {
        return Ok(params);
    }
    let params = params_class(ctx)?.instance(
        ctx,
        SearchParams {
            list: parse_form(&query),
            url: Some(url),
        },
    )?;
    let held = Held::new(params.clone());
    class.update(ctx, &this, "URL.searchParams", |r| r.params = Some(held))?;
    Ok(params)
}

/// The list a `URLSearchParams` constructor's argument describes (URL §6.2).
fn list_from_init(ctx: &Ctx, init: Option<&Value<'_>>) -> Result<Vec<(String, String)>, Thrown> {
    let Some(init) = init.filter(|v| !v.is_undefined()) else {
        return Ok(Vec::new());
    };
    if !init.is_object() {
        let s = init.to_usv()?;
        return Ok(parse_form(s.strip_prefix('?').unwrap_or(&s)));
    }
    if let Some(copy) = params_class(ctx)?.with(init, |p| p.list.clone()) {
        return Ok(copy);
    }
    let mut list = Vec::new();
    pairs::each_of_init(
        ctx,
        init,
        "URLSearchParams: each pair must be a [name, value] sequence of length 2",
        |name, value| {
            list.push((name.to_usv()?, value.to_usv()?));
            Ok(())
        },
    )?;
    Ok(list)
}

fn construct_params<'c>(
    ctx: &'c Ctx,
    new_target: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let list = list_from_init(ctx, args.first())?;
    params_class(ctx)?.construct(ctx, &new_target, SearchParams { list, url: None })
}

/// Changes the list of `this`, then (URL §6.2 "update") writes it into the
/// query of its URL, if it has one.
fn change<'c>(
    ctx: &'c Ctx,
    this: &Value<'c>,
    what: &str,
    f: impl FnOnce(&mut Vec<(String, String)>),
) -> Result<Value<'c>, Thrown> {
    params_class(ctx)?.update(ctx, this, what, |p| {
        f(&mut p.list);
        if let Some(url) = &p.url {
            let query = serialize_form(&p.list);
            url.borrow_mut()
                .set_query((!query.is_empty()).then_some(query.as_str()));
        }
    })?;
    Ok(ctx.undefined())
}

fn read_list<R>(
    ctx: &Ctx,
    this: &Value<'_>,
    what: &str,
    f: impl FnOnce(&[(String, String)]) -> R,
) -> Result<R, Thrown> {
    params_class(ctx)?.read(ctx, this, what, |p| f(&p.list))
}

fn size<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let n = read_list(ctx, &this, "URLSearchParams.size", <[_]>::len)?;
    Ok(ctx.number(n as f64))
}

fn append<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let (name, value) = (usv_arg(ctx, args, 0)?, usv_arg(ctx, args, 1)?);
    change(ctx, &this, "URLSearchParams.append", |l| {
        l.push((name, value))
    })
}

fn delete<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let (name, value) = (usv_arg(ctx, args, 0)?, optional_usv(args, 1)?);
    change(ctx, &this, "URLSearchParams.delete", |l| {
        l.retain(|(n, v)| *n != name || value.as_ref().is_some_and(|want| v != want));
    })
}

fn get<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let name = usv_arg(ctx, args, 0)?;
    let found = read_list(ctx, &this, "URLSearchParams.get", |l| {
        l.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
    })?;
    match found {
        Some(v) => ctx.string(&v),
        None => Ok(ctx.null()),
    }
}

fn get_all<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let name = usv_arg(ctx, args, 0)?;
    let found: Vec<String> = read_list(ctx, &this, "URLSearchParams.getAll", |l| {
        l.iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .collect()
    })?;
    let values = found
        .iter()
        .map(|v| ctx.string(v))
        .collect::<Result<_, _>>()?;
    ctx.array_of(values)
}

fn has<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let (name, value) = (usv_arg(ctx, args, 0)?, optional_usv(args, 1)?);
    let found = read_list(ctx, &this, "URLSearchParams.has", |l| {
        l.iter()
            .any(|(n, v)| *n == name && value.as_ref().is_none_or(|want| v == want))
    })?;
    Ok(ctx.bool(found))
}

fn set<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let (name, value) = (usv_arg(ctx, args, 0)?, usv_arg(ctx, args, 1)?);
    change(ctx, &this, "URLSearchParams.set", |l| {
        match l.iter().position(|(n, _)| *n == name) {
            Some(first) => {
                l[first].1 = value;
                let mut i = 0;
                l.retain(|(n, _)| {
                    i += 1;
                    i - 1 <= first || *n != name
                });
            }
            None => l.push((name, value)),
        }
    })
}

fn sort<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    // Stable, by UTF-16 code units (URL §6.2), not by UTF-8 bytes.
    change(ctx, &this, "URLSearchParams.sort", |l| {
        l.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    })
}

fn params_to_string<'c>(
    ctx: &'c Ctx,
    this: Value<'c>,
    _args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let s = read_list(ctx, &this, "URLSearchParams.toString", serialize_form)?;
    ctx.string(&s)
}

fn snapshot(ctx: &Ctx, this: &Value<'_>, what: &str) -> Result<Vec<(String, String)>, Thrown> {
    read_list(ctx, this, what, <[_]>::to_vec)
}

fn for_each<'c>(ctx: &'c Ctx, this: Value<'c>, args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    let pairs = snapshot(ctx, &this, "URLSearchParams.forEach")?;
    pairs::for_each(ctx, &this, args, pairs, "URLSearchParams.forEach")
}

fn entries<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    pairs::iterator(
        ctx,
        &snapshot(ctx, &this, "URLSearchParams.entries")?,
        Part::Entries,
    )
}

fn keys<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    pairs::iterator(
        ctx,
        &snapshot(ctx, &this, "URLSearchParams.keys")?,
        Part::Keys,
    )
}

fn values<'c>(ctx: &'c Ctx, this: Value<'c>, _args: &[Value<'c>]) -> Result<Value<'c>, Thrown> {
    pairs::iterator(
        ctx,
        &snapshot(ctx, &this, "URLSearchParams.values")?,
        Part::Values,
    )
}

fn parse_form_native<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    let query = usv_arg(ctx, args, 0)?;
    let mut pairs = Vec::new();
    for (name, value) in parse_form(&query) {
        pairs.push(ctx.array_of(alloc::vec![ctx.string(&name)?, ctx.string(&value)?])?);
    }
    ctx.array_of(pairs)
}

fn percent_decode_native<'c>(
    ctx: &'c Ctx,
    _this: Value<'c>,
    args: &[Value<'c>],
) -> Result<Value<'c>, Thrown> {
    ctx.string(&percent_decode(&usv_arg(ctx, args, 0)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_references_resolve_against_the_base() {
        let u = parse("../c?x=1#f", Some("http://a/b/d/e")).unwrap();
        assert_eq!(u.as_str(), "http://a/b/c?x=1#f");
        assert!(parse("/x", None).is_none());
        assert!(parse("/x", Some("not a url")).is_none());
    }

    #[test]
    fn hosts_are_processed_as_the_standard_says() {
        assert_eq!(
            parse("http://EXAMPLE.com:80/", None).unwrap().as_str(),
            "http://example.com/"
        );
        assert_eq!(
            parse("http://0x7f.1/", None).unwrap().host_str(),
            Some("127.0.0.1")
        );
        assert_eq!(
            parse("http://bücher.de/", None).unwrap().host_str(),
            Some("xn--bcher-kva.de")
        );
        assert_eq!(
            parse("http://[0:0::1]/", None).unwrap().host_str(),
            Some("[::1]")
        );
        assert!(parse("http://a b/", None).is_none());
    }

    #[test]
    fn forms_round_trip() {
        let list = parse_form("a=1&b=x+y&c=%C3%A9&&d");
        assert_eq!(
            list,
            [("a", "1"), ("b", "x y"), ("c", "é"), ("d", "")]
                .map(|(a, b)| (String::from(a), String::from(b)))
        );
        assert_eq!(serialize_form(&list), "a=1&b=x+y&c=%C3%A9&d=");
        assert_eq!(percent_decode("%41%zz%"), "A%zz%");
    }
}
