//! The route table: configured routes and deployed functions' routes and
//! static files, in one place, matched by longest prefix.

use alloc::string::String;
use alloc::vec::Vec;

use super::FunctionId;
use crate::config::{self, RouteTarget, prefix_matches};

/// What serves a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A function.
    Function(FunctionId),
    /// Files of a directory of the device's file system (see
    /// [`config::RouteTarget::Static`]).
    Static(String),
}

/// A path prefix and what serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Starts with `/`; matches itself and anything below it.
    pub prefix: String,
    /// What serves it.
    pub target: Target,
    /// Allowed methods; `None` allows all.
    pub methods: Option<Vec<String>>,
}

/// Where a static file's bytes are in its bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetRange {
    /// Offset in the bundle.
    pub offset: u64,
    /// Length.
    pub len: u64,
}

/// A static file of a deployed function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    /// The function.
    pub function: String,
    /// The version whose bundle holds it.
    pub version: String,
    /// Its name in the bundle (a path relative to the function's routes).
    pub name: String,
    /// Where its bytes are.
    pub range: AssetRange,
}

/// What serves a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A deployed function's static file (answers `GET`/`HEAD` before the
    /// function does).
    Asset(Asset),
    /// A function.
    Function(FunctionId),
    /// Files of the file system's directory `dir`; the first `prefix_len`
    /// bytes of the path are the route's prefix.
    Static {
        /// The directory.
        dir: String,
        /// Bytes of the path the route's prefix covers.
        prefix_len: usize,
    },
    /// The route does not allow the method; `allow` lists those it does.
    MethodNotAllowed {
        /// The `Allow` header's value.
        allow: String,
    },
}

struct Deployed {
    name: String,
    version: String,
    routes: Vec<Route>,
    assets: Vec<(String, AssetRange)>,
}

/// Configured and deployed routes (see the module docs).
#[derive(Default)]
pub struct RouteTable {
    configured: Vec<Route>,
    deployed: Vec<Deployed>,
}

impl RouteTable {
    /// Replaces the configured routes with `routes`, whose function targets
    /// index `ids` (a configuration's functions, in order); a route to a
    /// function without an id is dropped.
    pub fn set_configured(&mut self, routes: &[config::Route], ids: &[FunctionId]) {
        self.configured = routes
            .iter()
            .filter_map(|r| {
                let target = match &r.target {
                    RouteTarget::Function(i) => Target::Function(*ids.get(*i)?),
                    RouteTarget::Static(dir) => Target::Static(dir.clone()),
                };
                Some(Route {
                    prefix: r.prefix.clone(),
                    target,
                    methods: r.methods.clone(),
                })
            })
            .collect();
    }

    /// Records deployed function `name`'s routes and static files (those of
    /// its bundle `version`), replacing what it had.
    pub fn set_deployed(
        &mut self,
        name: &str,
        id: FunctionId,
        version: &str,
        routes: Vec<Route>,
        assets: Vec<(String, AssetRange)>,
    ) {
        let routes = routes
            .into_iter()
            .map(|mut r| {
                r.target = Target::Function(id);
                r
            })
            .collect();
        self.remove_deployed(name);
        self.deployed.push(Deployed {
            name: String::from(name),
            version: String::from(version),
            routes,
            assets,
        });
    }

    /// Forgets deployed function `name`.
    pub fn remove_deployed(&mut self, name: &str) {
        self.deployed.retain(|d| d.name != name);
    }

    /// What serves `method` of `path`: for a `GET` or `HEAD`, a static
    /// file of a deployed function whose route covers it (by the rest of
    /// the path; `index.html` for the route itself or a path ending in
    /// `/`), else the route with the longest matching prefix (at a segment
    /// boundary), a deployed one winning a tie, if it allows the method.
    pub fn resolve(&self, path: &str, method: &str) -> Option<Resolved> {
        if (method == "GET" || method == "HEAD")
            && let Some(asset) = self.asset(path)
        {
            return Some(Resolved::Asset(asset));
        }
        // `max_by_key` keeps the last of equal keys: deployed routes come
        // last so that they win a tie.
        let route = self
            .configured
            .iter()
            .chain(self.deployed.iter().flat_map(|d| d.routes.iter()))
            .filter(|r| prefix_matches(&r.prefix, path))
            .max_by_key(|r| r.prefix.len())?;
        if let Some(methods) = &route.methods
            && !methods.iter().any(|m| m == method)
        {
            return Some(Resolved::MethodNotAllowed {
                allow: methods.join(", "),
            });
        }
        Some(match &route.target {
            Target::Function(f) => Resolved::Function(*f),
            Target::Static(dir) => Resolved::Static {
                dir: dir.clone(),
                prefix_len: route
                    .prefix
                    .strip_suffix('/')
                    .unwrap_or(&route.prefix)
                    .len(),
            },
        })
    }

    fn asset(&self, path: &str) -> Option<Asset> {
        for d in self.deployed.iter().filter(|d| !d.assets.is_empty()) {
            for r in d.routes.iter().filter(|r| prefix_matches(&r.prefix, path)) {
                let prefix = r.prefix.strip_suffix('/').unwrap_or(&r.prefix);
                let rest = path[prefix.len()..].trim_start_matches('/');
                // A directory (the route itself, or a path ending in `/`)
                // names its `index.html`.
                let names = |n: &str| match n.strip_prefix(rest) {
                    Some(tail) if rest.is_empty() || rest.ends_with('/') => tail == "index.html",
                    Some(tail) => tail.is_empty(),
                    None => false,
                };
                if let Some((name, range)) = d.assets.iter().find(|(n, _)| names(n)) {
                    return Some(Asset {
                        function: d.name.clone(),
                        version: d.version.clone(),
                        name: name.clone(),
                        range: *range,
                    });
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(prefix: &str, target: Target) -> Route {
        Route {
            prefix: String::from(prefix),
            target,
            methods: None,
        }
    }

    fn function_of(r: Option<Resolved>) -> Option<FunctionId> {
        match r {
            Some(Resolved::Function(f)) => Some(f),
            _ => None,
        }
    }

    #[test]
    fn longest_prefix_at_a_segment_boundary_and_deployed_wins_a_tie() {
        let config = crate::config::Config::parse(
            br#"{"functions":[{"name":"a","module":"hello"},{"name":"b","module":"echo"}],
                "routes":[{"prefix":"/","function":"a"},{"prefix":"/api","function":"b"},{"prefix":"/files","static":"/www"}]}"#,
        )
        .unwrap();
        let mut table = RouteTable::default();
        table.set_configured(&config.routes, &[FunctionId(0), FunctionId(1)]);
        assert_eq!(
            function_of(table.resolve("/api/x", "POST")),
            Some(FunctionId(1))
        );
        assert_eq!(
            function_of(table.resolve("/apix", "POST")),
            Some(FunctionId(0))
        );
        assert_eq!(
            table.resolve("/files/a.css", "GET"),
            Some(Resolved::Static {
                dir: String::from("/www"),
                prefix_len: 6
            })
        );
        table.set_deployed(
            "c",
            FunctionId(2),
            "1",
            alloc::vec![route("/api", Target::Function(FunctionId(9)))],
            alloc::vec![(
                String::from("index.html"),
                AssetRange { offset: 10, len: 5 }
            )],
        );
        assert_eq!(
            function_of(table.resolve("/api/x", "POST")),
            Some(FunctionId(2))
        );
        // Static files answer GET and HEAD only, before the function.
        match table.resolve("/api/", "GET") {
            Some(Resolved::Asset(a)) => {
                assert_eq!((a.function.as_str(), a.name.as_str()), ("c", "index.html"));
                assert_eq!(a.range, AssetRange { offset: 10, len: 5 });
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            function_of(table.resolve("/api/", "POST")),
            Some(FunctionId(2))
        );
        // A route that lists its methods refuses the others, naming them.
        let mut limited = route("/only", Target::Function(FunctionId(3)));
        limited.methods = Some(alloc::vec![String::from("GET"), String::from("HEAD")]);
        table.set_deployed("d", FunctionId(3), "1", alloc::vec![limited], alloc::vec![]);
        assert_eq!(
            function_of(table.resolve("/only", "GET")),
            Some(FunctionId(3))
        );
        assert_eq!(
            table.resolve("/only/x", "POST"),
            Some(Resolved::MethodNotAllowed {
                allow: String::from("GET, HEAD")
            })
        );
        table.remove_deployed("c");
        assert_eq!(
            function_of(table.resolve("/api/x", "GET")),
            Some(FunctionId(1))
        );
    }
}
