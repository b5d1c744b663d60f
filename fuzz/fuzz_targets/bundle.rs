//! The bundle verifier (src/ota/bundle.rs) with a real trusted key: fed in
//! any split it decides as on the whole bundle; what it accepts is framed
//! consistently (ranges in the bundle, members' hashes right); and, for
//! manifests from the input, a bundle `build` signs is accepted with the
//! same manifest.
#![no_main]

use isere::ota::bundle::{BundleError, Manifest, MemberData, MemberKind, Verifier, verify};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let Some((&seed, rest)) = data.split_first() else {
        return;
    };
    let engine = isere::ota::engine_version();
    let keys = [isere_fuzz::bundle_key().verifying_key()];
    if seed & 1 == 0 {
        let whole = verify(rest, &keys, &engine);
        let fed = |max_len: u64| {
            let mut v = Verifier::new(&keys, &engine, max_len);
            isere_fuzz::chunks(rest, seed)
                .into_iter()
                .try_for_each(|chunk| v.feed(chunk))
                .and_then(|()| v.finish())
        };
        assert_eq!(fed(u64::MAX), whole, "split feeding disagrees");
        // A size limit the bundle fits may refuse early what the manifest
        // announces as larger; it changes nothing else.
        match fed(rest.len() as u64) {
            Err(BundleError::TooLarge(_)) => assert!(whole.is_err()),
            bounded => assert_eq!(
                bounded, whole,
                "a limit the bundle fits changed the outcome"
            ),
        }
        if let Ok(ok) = whole {
            assert_eq!(ok.len, rest.len() as u64);
            assert_eq!(ok.ranges.len(), ok.manifest.members.len());
            for (member, range) in ok.manifest.members.iter().zip(&ok.ranges) {
                let start = range.offset as usize;
                let bytes = &rest[start..start + range.len as usize];
                assert_eq!(<[u8; 32]>::from(Sha256::digest(bytes)), member.sha256);
            }
            let json = ok.manifest.to_json();
            assert_eq!(Manifest::parse(json.as_bytes()).as_ref(), Ok(&ok.manifest));
        }
        return;
    }
    // The input as a manifest: what `build` signs, the verifier accepts.
    let Ok(manifest) = Manifest::parse(rest) else {
        return;
    };
    let contents: Vec<Vec<u8>> = manifest
        .members
        .iter()
        .map(|m| m.name.repeat(3).into_bytes())
        .collect();
    let members: Vec<MemberData<'_>> = manifest
        .members
        .iter()
        .zip(&contents)
        .map(|(m, bytes)| MemberData {
            name: &m.name,
            kind: m.kind,
            bytes,
        })
        .collect();
    let Ok(bundle) =
        isere::ota::bundle::build(manifest.clone(), &members, &isere_fuzz::bundle_key())
    else {
        return;
    };
    match verify(&bundle, &keys, &engine) {
        Ok(ok) => {
            assert_eq!(ok.manifest.name, manifest.name);
            assert_eq!(ok.manifest.routes, manifest.routes);
            assert_eq!(ok.manifest.env, manifest.env);
            let kinds: Vec<MemberKind> = ok.manifest.members.iter().map(|m| m.kind).collect();
            assert_eq!(kinds, members.iter().map(|m| m.kind).collect::<Vec<_>>());
        }
        // A manifest for another engine is signed but refused for this one.
        Err(e) => assert_ne!(manifest.engine, engine, "a built bundle is refused: {e}"),
    }
});
