//! `Config::parse` (src/config.rs): never panics; what it accepts routes
//! consistently and parses again from the same text.
#![no_main]

use isere::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(config) = Config::parse(data) else {
        return;
    };
    assert_eq!(
        Config::parse(data).ok().as_ref(),
        Some(&config),
        "parsing is deterministic"
    );
    for (i, route) in config.routes.iter().enumerate() {
        if let Some(f) = route.function() {
            assert!(f < config.functions.len(), "route {i} names function {f}");
        }
        // A route's own prefix is served by a route of that very prefix
        // (the longest match: a longer prefix cannot match it).
        let served = config.route(&route.prefix).map(|r| r.prefix.as_str());
        assert_eq!(served, Some(route.prefix.as_str()));
    }
    for (i, f) in config.functions.iter().enumerate() {
        assert!(
            config.functions[..i].iter().all(|g| g.name != f.name),
            "function {:?} twice",
            f.name
        );
    }
});
