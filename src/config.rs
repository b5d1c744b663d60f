//! The device configuration: server limits, functions and routes, as JSON.
//!
//! ```json
//! {
//!   "log_level": "info",
//!   "server": { "max_connections": 8, "max_body_bytes": 1048576 },
//!   "functions": [ {
//!     "name": "hello", "module": "hello", "env": { "GREETING": "hi" },
//!     "bindings": {
//!       "USERS": { "type": "kv", "namespace": "users" },
//!       "DB": { "type": "postgres", "url": "postgres://app:secret@10.0.2.2:5432/app" },
//!       "CACHE": { "type": "redis", "url": "redis://:secret@10.0.2.2:6379/0", "timeout_ms": 2000 }
//!     }
//!   } ],
//!   "routes": [
//!     { "prefix": "/hello", "function": "hello", "methods": ["GET", "HEAD"] },
//!     { "prefix": "/", "static": "/www" }
//!   ]
//! }
//! ```
//!
//! A route is served by a `function` or by the files of a `static`
//! directory of the device's file system (see [`crate::http::static_files`]).
//!
//! Parsed with `serde-json-core` (no_std); unknown fields are errors so that a
//! typo does not silently fall back to a default. [`Config::route`] picks the
//! longest prefix that matches at a path-segment boundary.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use log::LevelFilter;
use serde::Deserialize;

/// Limits of the HTTP server.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// Connection tasks in the pool; one more connection gets 503.
    pub max_connections: usize,
    /// Longest request line (method, target, version), else 414.
    pub max_request_line: usize,
    /// Largest header section, else 431.
    pub max_header_bytes: usize,
    /// Most header fields, else 431.
    pub max_headers: usize,
    /// Largest request body, else 413.
    pub max_body_bytes: usize,
    /// Time a client has to send a complete request head from its first
    /// byte (and a new connection to start one), else 408.
    pub header_timeout_ms: u32,
    /// Time an idle kept-alive connection stays open.
    pub keep_alive_timeout_ms: u32,
    /// Slowest a body may arrive or an answer be taken, in bytes per
    /// second, after a grace of `header_timeout_ms`: a slower client gets
    /// 408 (or is dropped while it reads).
    pub min_bytes_per_second: u32,
    /// Most connections one client address may hold at once (0: no cap);
    /// unset, the port's default.
    pub max_connections_per_client: Option<usize>,
    /// Time a handler has to produce a response, else 504.
    pub handler_timeout_ms: u32,
    /// Most bytes the JS engine may allocate.
    pub js_memory_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: 8,
            max_request_line: 8192,
            max_header_bytes: 16384,
            max_headers: 64,
            max_body_bytes: 1 << 20,
            header_timeout_ms: 10_000,
            keep_alive_timeout_ms: 30_000,
            min_bytes_per_second: 1024,
            max_connections_per_client: None,
            handler_timeout_ms: 30_000,
            js_memory_bytes: 32 << 20,
        }
    }
}

/// Who may administer the device over the air (see [`crate::ota`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminConfig {
    /// Ed25519 public keys whose signatures the device accepts on admin
    /// requests (see [`crate::ota::auth`]); none disables the admin API.
    pub admin_keys: Vec<[u8; 32]>,
    /// Ed25519 public keys whose signatures the device accepts on bundles
    /// and configurations.
    pub trusted_keys: Vec<[u8; 32]>,
    /// Largest bundle accepted (it is streamed to storage, never held whole).
    pub max_bundle_bytes: u64,
    /// The fleet the device belongs to: a configuration signed for this
    /// audience applies to it, as one signed for its device id does.
    pub fleet: Option<String>,
    /// Whether `GET /_isere/stats` answers without an admin signature.
    pub public_stats: bool,
}

/// Parses 64 hex digits (a SHA-256 or an Ed25519 key).
pub fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.as_bytes();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

/// Largest bundle accepted when the configuration does not say.
pub const DEFAULT_MAX_BUNDLE_BYTES: u64 = 1 << 20;

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            admin_keys: Vec::new(),
            trusted_keys: Vec::new(),
            max_bundle_bytes: DEFAULT_MAX_BUNDLE_BYTES,
            fleet: None,
            public_stats: false,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    #[serde(default)]
    admin_keys: Vec<String>,
    #[serde(default)]
    trusted_keys: Vec<String>,
    max_bundle_bytes: Option<u64>,
    fleet: Option<String>,
    #[serde(default)]
    public_stats: bool,
}

impl RawAdmin {
    fn check(self) -> Result<AdminConfig, ConfigError> {
        let hex = |what: &str, s: &str| {
            parse_hex32(s)
                .ok_or_else(|| ConfigError(format!("admin.{what}: '{s}' is not 64 hex digits")))
        };
        let admin_keys = self
            .admin_keys
            .iter()
            .map(|k| hex("admin_keys", k))
            .collect::<Result<Vec<_>, _>>()?;
        let trusted_keys = self
            .trusted_keys
            .iter()
            .map(|k| hex("trusted_keys", k))
            .collect::<Result<Vec<_>, _>>()?;
        let max_bundle_bytes = self.max_bundle_bytes.unwrap_or(DEFAULT_MAX_BUNDLE_BYTES);
        if max_bundle_bytes == 0 {
            return Err(ConfigError(String::from(
                "admin.max_bundle_bytes must be greater than 0",
            )));
        }
        if self.fleet.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError(String::from("admin.fleet must not be empty")));
        }
        Ok(AdminConfig {
            admin_keys,
            trusted_keys,
            max_bundle_bytes,
            fleet: self.fleet,
            public_stats: self.public_stats,
        })
    }
}

/// Where a function's code comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionSource {
    /// A function compiled into the firmware at build time (`handlers/NAME.js`).
    Builtin(String),
    /// A JavaScript file the port compiles when it starts (simulator only).
    Path(String),
}

/// One deployed function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionConfig {
    /// The name routes refer to.
    pub name: String,
    /// Its code.
    pub source: FunctionSource,
    /// `env` variables, passed to the handler as strings.
    pub env: BTreeMap<String, String>,
    /// `env` bindings (KV namespaces, database clients), by name.
    pub bindings: BTreeMap<String, Binding>,
}

/// A resource a function reaches through `env.NAME`, Workers-style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// A KV namespace on the device's file system.
    Kv {
        /// Its name (a directory of the store; functions may share one).
        namespace: String,
    },
    /// A PostgreSQL client (`postgres://user:password@host:port/database`).
    Postgres {
        /// Where and as whom to connect.
        url: String,
        /// Longest a connect or a query may take.
        timeout_ms: u32,
    },
    /// A Redis client (`redis://[user:password@]host:port[/db]`).
    Redis {
        /// Where and as whom to connect.
        url: String,
        /// Longest a connect or a command may take.
        timeout_ms: u32,
    },
}

/// The namespace of the `KV` binding a function run on its own gets.
pub const DEV_KV_NAMESPACE: &str = "dev";

/// Timeout of a database binding that does not set `timeout_ms`.
pub const DEFAULT_BINDING_TIMEOUT_MS: u32 = 5_000;

impl Binding {
    /// The binding's `type` as written in the configuration.
    pub fn type_name(&self) -> &'static str {
        match self {
            Binding::Kv { .. } => "kv",
            Binding::Postgres { .. } => "postgres",
            Binding::Redis { .. } => "redis",
        }
    }
}

/// A path prefix served by a function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Starts with `/`; matches itself and anything below it.
    pub prefix: String,
    /// What serves it.
    pub target: RouteTarget,
    /// Allowed methods; `None` allows all (static routes: GET and HEAD).
    pub methods: Option<Vec<String>>,
}

/// What serves a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteTarget {
    /// A function: index into [`Config::functions`].
    Function(usize),
    /// Files of a directory of the device's file system (absolute,
    /// normalised, without a trailing `/` except for the root itself):
    /// `GET PREFIX/a/b.css` serves `DIR/a/b.css`.
    Static(String),
}

impl Route {
    /// The function serving this route, if a function does.
    pub fn function(&self) -> Option<usize> {
        match self.target {
            RouteTarget::Function(f) => Some(f),
            RouteTarget::Static(_) => None,
        }
    }
}

/// The whole configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Log level.
    pub log_level: LevelFilter,
    /// Server limits.
    pub server: ServerLimits,
    /// Functions, in the order given.
    pub functions: Vec<FunctionConfig>,
    /// Routes, in the order given.
    pub routes: Vec<Route>,
    /// Admin credentials for over-the-air deploys.
    pub admin: AdminConfig,
    /// The configuration's serial: one pushed over the air must have a
    /// greater one than the configuration running (0 when not given).
    pub serial: u64,
    /// The device id or fleet name a configuration pushed over the air was
    /// signed for (none in a provisioned one).
    pub audience: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    name: String,
    module: Option<String>,
    path: Option<String>,
    #[serde(default)]
    env: ObjectMap<String>,
    #[serde(default)]
    bindings: ObjectMap<RawBinding>,
}

/// A binding as written in JSON (also in OTA bundle manifests).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBinding {
    #[serde(rename = "type")]
    kind: String,
    namespace: Option<String>,
    url: Option<String>,
    timeout_ms: Option<u32>,
}

/// A JSON object of `T` values by name. serde-json-core reads map keys only
/// as borrowed `&str` (no escapes), which is all names need.
pub(crate) struct ObjectMap<T>(pub(crate) BTreeMap<String, T>);

impl<T> Default for ObjectMap<T> {
    fn default() -> Self {
        ObjectMap(BTreeMap::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectMap<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor<T>(core::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visitor<T> {
            type Value = ObjectMap<T>;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ObjectMap<T>, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(Key(key)) = map.next_key::<Key>()? {
                    let value: T = map.next_value()?;
                    out.insert(key, value);
                }
                Ok(ObjectMap(out))
            }
        }
        d.deserialize_map(Visitor(core::marker::PhantomData))
    }
}

/// Checks one binding of function `function` and turns it into a [`Binding`].
/// An object key, unescaped: serde-json-core hands a key holding an
/// escape only to a visitor that copies it (a borrowed `&str` cannot be
/// unescaped in place; a `String` key reaches an `unreachable!` of its map
/// deserializer).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Key;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(String::from(v)))
            }
        }
        d.deserialize_str(Visitor)
    }
}

pub(crate) fn binding(function: &str, name: &str, raw: RawBinding) -> Result<Binding, ConfigError> {
    let err =
        |what: &str| ConfigError(format!("functions: '{function}': binding '{name}': {what}"));
    let url = |scheme: &str| match raw.url.as_deref() {
        Some(u) if u.starts_with(scheme) => Ok(String::from(u)),
        Some(u) => Err(err(&format!("url '{u}' must start with {scheme}"))),
        None => Err(err("needs a \"url\"")),
    };
    let timeout_ms = match raw.timeout_ms {
        Some(0) => return Err(err("timeout_ms must be greater than 0")),
        Some(t) => t,
        None => DEFAULT_BINDING_TIMEOUT_MS,
    };
    let only = |allowed: &[&str]| {
        let given = [
            ("namespace", raw.namespace.is_some()),
            ("url", raw.url.is_some()),
            ("timeout_ms", raw.timeout_ms.is_some()),
        ];
        match given.iter().find(|(k, set)| *set && !allowed.contains(k)) {
            Some((k, _)) => Err(err(&format!(
                "\"{k}\" does not apply to a {} binding",
                raw.kind
            ))),
            None => Ok(()),
        }
    };
    match raw.kind.as_str() {
        "kv" => {
            only(&["namespace"])?;
            let namespace = raw.namespace.clone().unwrap_or_else(|| String::from(name));
            let valid = !namespace.is_empty()
                && namespace.len() <= 64
                && namespace
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid {
                return Err(err(&format!(
                    "namespace '{namespace}' must be 1 to 64 letters, digits, '_' or '-'"
                )));
            }
            Ok(Binding::Kv { namespace })
        }
        "postgres" => {
            only(&["url", "timeout_ms"])?;
            Ok(Binding::Postgres {
                url: url("postgres://").or_else(|_| url("postgresql://"))?,
                timeout_ms,
            })
        }
        "redis" => {
            only(&["url", "timeout_ms"])?;
            Ok(Binding::Redis {
                url: url("redis://")?,
                timeout_ms,
            })
        }
        other => Err(err(&format!(
            "unknown type '{other}' (kv, postgres or redis)"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    prefix: String,
    function: Option<String>,
    #[serde(rename = "static")]
    static_dir: Option<String>,
    methods: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    log_level: Option<String>,
    #[serde(default)]
    server: ServerLimits,
    #[serde(default)]
    functions: Vec<RawFunction>,
    #[serde(default)]
    routes: Vec<RawRoute>,
    admin: Option<RawAdmin>,
    #[serde(default)]
    serial: u64,
    audience: Option<String>,
}

/// Why a configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Config {
    /// Parses and validates a configuration.
    pub fn parse(json: &[u8]) -> Result<Config, ConfigError> {
        let mut scratch = alloc::vec![0u8; json.len()];
        let (raw, _): (RawConfig, usize) = serde_json_core::from_slice_escaped(json, &mut scratch)
            .map_err(|e| ConfigError(format!("invalid configuration JSON: {e}")))?;
        let log_level = match raw.log_level.as_deref() {
            None => LevelFilter::Info,
            Some(s) => crate::logger::parse_level(s)
                .ok_or_else(|| ConfigError(format!("log_level: unknown level '{s}'")))?,
        };
        let mut functions = Vec::with_capacity(raw.functions.len());
        for f in raw.functions {
            if functions.iter().any(|g: &FunctionConfig| g.name == f.name) {
                return Err(ConfigError(format!(
                    "functions: '{}' is defined twice",
                    f.name
                )));
            }
            let source = match (f.module, f.path) {
                (Some(m), None) => FunctionSource::Builtin(m),
                (None, Some(p)) => FunctionSource::Path(p),
                _ => {
                    return Err(ConfigError(format!(
                        "functions: '{}' needs exactly one of \"module\" or \"path\"",
                        f.name
                    )));
                }
            };
            let mut bindings = BTreeMap::new();
            for (name, raw) in f.bindings.0 {
                if f.env.0.contains_key(&name) {
                    return Err(ConfigError(format!(
                        "functions: '{}': '{name}' is both an env variable and a binding",
                        f.name
                    )));
                }
                bindings.insert(name.clone(), binding(&f.name, &name, raw)?);
            }
            functions.push(FunctionConfig {
                name: f.name,
                source,
                env: f.env.0,
                bindings,
            });
        }
        let mut routes = Vec::with_capacity(raw.routes.len());
        for r in raw.routes {
            if !r.prefix.starts_with('/') {
                return Err(ConfigError(format!(
                    "routes: prefix '{}' must start with '/'",
                    r.prefix
                )));
            }
            let target = match (r.function, r.static_dir) {
                (Some(name), None) => RouteTarget::Function(
                    functions
                        .iter()
                        .position(|f| f.name == name)
                        .ok_or_else(|| {
                            ConfigError(format!(
                                "routes: '{}' names unknown function '{name}'",
                                r.prefix
                            ))
                        })?,
                ),
                (None, Some(dir)) => {
                    if r.methods.is_some() {
                        return Err(ConfigError(format!(
                            "routes: '{}': \"methods\" does not apply to a static route (it answers GET and HEAD)",
                            r.prefix
                        )));
                    }
                    RouteTarget::Static(static_dir(&r.prefix, &dir)?)
                }
                _ => {
                    return Err(ConfigError(format!(
                        "routes: '{}' needs exactly one of \"function\" or \"static\"",
                        r.prefix
                    )));
                }
            };
            routes.push(Route {
                prefix: r.prefix,
                target,
                methods: r.methods,
            });
        }
        let admin = match raw.admin {
            Some(a) => a.check()?,
            None => AdminConfig::default(),
        };
        let config = Config {
            log_level,
            server: raw.server,
            functions,
            routes,
            admin,
            serial: raw.serial,
            audience: raw.audience,
        };
        config.validate()?;
        Ok(config)
    }

    /// A configuration serving one function at every path.
    pub fn single(function: FunctionConfig) -> Config {
        Config {
            log_level: LevelFilter::Info,
            server: ServerLimits::default(),
            functions: alloc::vec![function],
            routes: alloc::vec![Route {
                prefix: String::from("/"),
                target: RouteTarget::Function(0),
                methods: None,
            }],
            admin: AdminConfig::default(),
            serial: 0,
            audience: None,
        }
    }

    /// The development configuration: the function in the JavaScript file
    /// `path` (compiled by the port when it starts) at every path, named after
    /// the file, with a KV namespace as `env.KV` ([`DEV_KV_NAMESPACE`]).
    pub fn function_file(path: &str) -> Config {
        let file = path.rsplit('/').next().unwrap_or(path);
        let name = file.strip_suffix(".js").unwrap_or(file);
        Config::single(FunctionConfig {
            name: String::from(if name.is_empty() { "function" } else { name }),
            source: FunctionSource::Path(String::from(path)),
            env: BTreeMap::new(),
            bindings: BTreeMap::from([(
                String::from("KV"),
                Binding::Kv {
                    namespace: String::from(DEV_KV_NAMESPACE),
                },
            )]),
        })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.server;
        let positive = [
            ("max_connections", s.max_connections),
            ("max_request_line", s.max_request_line),
            ("max_header_bytes", s.max_header_bytes),
            ("max_headers", s.max_headers),
            ("header_timeout_ms", s.header_timeout_ms as usize),
            ("keep_alive_timeout_ms", s.keep_alive_timeout_ms as usize),
            ("handler_timeout_ms", s.handler_timeout_ms as usize),
            ("min_bytes_per_second", s.min_bytes_per_second as usize),
        ];
        for (name, v) in positive {
            if v == 0 {
                return Err(ConfigError(format!("server.{name} must be greater than 0")));
            }
        }
        if s.max_request_line > s.max_header_bytes {
            return Err(ConfigError(String::from(
                "server.max_request_line must not exceed server.max_header_bytes",
            )));
        }
        Ok(())
    }

    /// The route serving `path` (no query): the longest matching prefix.
    pub fn route(&self, path: &str) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| prefix_matches(&r.prefix, path))
            .max_by_key(|r| r.prefix.len())
    }
}

/// Checks and normalises the directory of a static route: absolute, no
/// `.` or `..` components, no NUL or backslash.
fn static_dir(prefix: &str, dir: &str) -> Result<String, ConfigError> {
    let err = |why: &str| {
        ConfigError(format!(
            "routes: '{prefix}': static directory '{dir}' {why}"
        ))
    };
    if !dir.starts_with('/') {
        return Err(err("must be absolute (start with '/')"));
    }
    if dir.contains(['\0', '\\']) {
        return Err(err("must not contain NUL or '\\'"));
    }
    let mut out = String::new();
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." {
            return Err(err("must not contain '.' or '..' components"));
        }
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    // A directory holding the device's own data, or inside it, would serve
    // its secrets (the configuration's env, the KV store, the bundles).
    let within = |inner: &str, outer: &str| {
        outer == "/"
            || inner == outer
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if let Some(private) = crate::fs::PRIVATE_DIRS
        .iter()
        .find(|p| within(p, &out) || within(&out, p))
    {
        return Err(err(&format!(
            "would serve the device's own data ({private}): serve a directory of its own, such as /www"
        )));
    }
    Ok(out)
}

/// Whether `prefix` covers `path` at a segment boundary (`/a` covers `/a`,
/// `/a/b`, not `/ab`).
pub(crate) fn prefix_matches(prefix: &str, path: &str) -> bool {
    let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
        "log_level": "debug",
        "server": { "max_connections": 4, "max_body_bytes": 1024 },
        "functions": [
            { "name": "hello", "module": "hello" },
            { "name": "echo", "path": "tests/functions/echo.js", "env": { "GREETING": "hi \"there\"" } }
        ],
        "routes": [
            { "prefix": "/hello", "function": "hello", "methods": ["GET", "HEAD"] },
            { "prefix": "/", "function": "echo" },
            { "prefix": "/hello/deep/", "function": "echo" }
        ]
    }"#;

    fn with_bindings(bindings: &str) -> Result<Config, ConfigError> {
        let json = alloc::format!(
            r#"{{"functions":[{{"name":"f","module":"hello","env":{{"X":"1"}},"bindings":{bindings}}}]}}"#
        );
        Config::parse(json.as_bytes())
    }

    #[test]
    fn parses_bindings_of_every_type() {
        let c = with_bindings(
            r#"{"KV":{"type":"kv"},"U":{"type":"kv","namespace":"users"},
                "DB":{"type":"postgres","url":"postgres://a:b@127.0.0.1:5432/d"},
                "R":{"type":"redis","url":"redis://127.0.0.1:6379","timeout_ms":250}}"#,
        )
        .unwrap();
        let b = &c.functions[0].bindings;
        assert_eq!(
            b["KV"],
            Binding::Kv {
                namespace: "KV".into()
            },
            "namespace defaults to the name"
        );
        assert_eq!(
            b["U"],
            Binding::Kv {
                namespace: "users".into()
            }
        );
        assert_eq!(
            b["DB"],
            Binding::Postgres {
                url: "postgres://a:b@127.0.0.1:5432/d".into(),
                timeout_ms: DEFAULT_BINDING_TIMEOUT_MS
            }
        );
        assert_eq!(
            b["R"],
            Binding::Redis {
                url: "redis://127.0.0.1:6379".into(),
                timeout_ms: 250
            }
        );
    }

    #[test]
    fn refuses_bad_bindings_with_a_message_naming_them() {
        for (bindings, needle) in [
            (r#"{"A":{"type":"mysql"}}"#, "unknown type 'mysql'"),
            (r#"{"A":{"type":"postgres"}}"#, "needs a \"url\""),
            (
                r#"{"A":{"type":"redis","url":"http://x"}}"#,
                "must start with redis://",
            ),
            (
                r#"{"A":{"type":"kv","url":"redis://x"}}"#,
                "\"url\" does not apply",
            ),
            (
                r#"{"A":{"type":"kv","namespace":"../x"}}"#,
                "namespace '../x'",
            ),
            (
                r#"{"A":{"type":"redis","url":"redis://x","timeout_ms":0}}"#,
                "timeout_ms",
            ),
            (
                r#"{"X":{"type":"kv"}}"#,
                "both an env variable and a binding",
            ),
            (
                r#"{"A":{"type":"kv","colour":"red"}}"#,
                "invalid configuration JSON",
            ),
        ] {
            let e = with_bindings(bindings).unwrap_err();
            assert!(e.0.contains(needle), "{bindings}: {e}");
        }
    }

    #[test]
    fn parses_a_full_configuration() {
        let c = Config::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(c.log_level, LevelFilter::Debug);
        assert_eq!(c.server.max_connections, 4);
        assert_eq!(c.server.max_body_bytes, 1024);
        assert_eq!(c.server.max_headers, 64, "unset limits keep their defaults");
        assert_eq!(
            c.functions[0].source,
            FunctionSource::Builtin("hello".into())
        );
        assert_eq!(
            c.functions[1].source,
            FunctionSource::Path("tests/functions/echo.js".into())
        );
        assert_eq!(
            c.functions[1].env.get("GREETING").map(String::as_str),
            Some("hi \"there\"")
        );
        assert_eq!(
            c.routes[0].methods.as_deref(),
            Some(&["GET".into(), "HEAD".into()][..])
        );
    }

    #[test]
    fn routes_by_longest_prefix_at_segment_boundaries() {
        let c = Config::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(c.route("/hello").unwrap().prefix, "/hello");
        assert_eq!(c.route("/hello/x").unwrap().prefix, "/hello");
        assert_eq!(c.route("/helloworld").unwrap().prefix, "/");
        assert_eq!(c.route("/hello/deep/x").unwrap().prefix, "/hello/deep/");
        assert_eq!(c.route("/hello/deep").unwrap().prefix, "/hello/deep/");
        let c = Config::parse(br#"{"functions":[{"name":"a","module":"a"}],"routes":[{"prefix":"/a","function":"a"}]}"#)
            .unwrap();
        assert!(c.route("/b").is_none());
        assert!(c.route("/").is_none());
    }

    #[test]
    fn static_routes_name_a_normalised_directory() {
        let c = Config::parse(
            br#"{"routes":[{"prefix":"/s","static":"/www//site/"},{"prefix":"/r","static":"/kvdata"}]}"#,
        )
        .unwrap();
        assert_eq!(c.routes[0].target, RouteTarget::Static("/www/site".into()));
        assert_eq!(c.routes[1].target, RouteTarget::Static("/kvdata".into()));
        assert_eq!(c.route("/s/a.css").unwrap().function(), None);
    }

    #[test]
    fn static_routes_cannot_reach_the_devices_own_data() {
        for dir in ["/", "//", "/.isere", "/.isere/bundles", "/kv", "/kv/users/"] {
            let json = format!(r#"{{"routes":[{{"prefix":"/f","static":"{dir}"}}]}}"#);
            let e = Config::parse(json.as_bytes()).unwrap_err();
            assert!(
                e.0.contains("would serve the device's own data"),
                "{dir}: {e}"
            );
        }
    }

    #[test]
    fn a_function_file_is_served_at_every_path() {
        let c = Config::function_file("dir/my-fn.js");
        assert_eq!(c.functions[0].name, "my-fn");
        assert_eq!(
            c.functions[0].source,
            FunctionSource::Path("dir/my-fn.js".into())
        );
        assert_eq!(c.route("/any/path").unwrap().function(), Some(0));
    }

    #[test]
    fn rejects_bad_configurations_with_a_reason() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"routes":[{"prefix":"/","function":"x"}]}"#,
                "unknown function 'x'",
            ),
            (r#"{"functions":[{"name":"a"}]}"#, "exactly one of"),
            (
                r#"{"functions":[{"name":"a","module":"a","path":"b"}]}"#,
                "exactly one of",
            ),
            (
                r#"{"functions":[{"name":"a","module":"a"},{"name":"a","module":"b"}]}"#,
                "defined twice",
            ),
            (
                r#"{"functions":[{"name":"a","module":"a"}],"routes":[{"prefix":"a","function":"a"}]}"#,
                "must start with '/'",
            ),
            (r#"{"server":{"max_connections":0}}"#, "max_connections"),
            (r#"{"log_level":"loud"}"#, "unknown level"),
            (r#"{"srever":{}}"#, "invalid configuration JSON"),
            (r#"{"#, "invalid configuration JSON"),
            (
                r#"{"routes":[{"prefix":"/s","static":"www"}]}"#,
                "must be absolute",
            ),
            (
                r#"{"routes":[{"prefix":"/s","static":"/www/../etc"}]}"#,
                "'..' components",
            ),
            (
                r#"{"routes":[{"prefix":"/s","static":"/www","methods":["GET"]}]}"#,
                "does not apply to a static route",
            ),
            (
                r#"{"functions":[{"name":"a","module":"a"}],"routes":[{"prefix":"/s","static":"/w","function":"a"}]}"#,
                "exactly one of",
            ),
            (r#"{"routes":[{"prefix":"/s"}]}"#, "exactly one of"),
        ];
        for (json, expected) in cases {
            let err = Config::parse(json.as_bytes()).unwrap_err();
            assert!(err.0.contains(expected), "{json}: {err}");
        }
    }

    /// An object key with an escape (`\"`, `\u0001`) parses: bundle
    /// manifests share this map, and `to_json` escapes what a name holds.
    #[test]
    fn object_keys_may_hold_escapes() {
        let json =
            r#"{"functions":[{"name":"f","module":"hello","env":{"a\"b\u0001":"v"}}],"routes":[]}"#;
        let config = Config::parse(json.as_bytes()).unwrap();
        let env = &config.functions[0].env;
        assert_eq!(
            env.get("a\"b\u{1}").map(String::as_str),
            Some("v"),
            "{env:?}"
        );
    }
}
