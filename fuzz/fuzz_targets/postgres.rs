//! The PostgreSQL decoders (src/db/postgres/wire.rs, types.rs, and the
//! SCRAM exchange of auth.rs, which reads the server's messages): never
//! panic; framing uses at most its input; a checked row description or
//! data row can be walked without errors; column values decode or fail
//! cleanly for every type.
#![no_main]

use isere::db::postgres::auth::Scram;
use isere::db::postgres::types::{self, oid};
use isere::db::postgres::wire::{self, Backend, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

const OIDS: [u32; 19] = [
    oid::BOOL,
    oid::BYTEA,
    oid::CHAR,
    oid::NAME,
    oid::INT8,
    oid::INT2,
    oid::INT4,
    oid::TEXT,
    oid::OID,
    oid::JSON,
    oid::FLOAT4,
    oid::FLOAT8,
    oid::BPCHAR,
    oid::VARCHAR,
    oid::DATE,
    oid::TIMESTAMP,
    oid::TIMESTAMPTZ,
    oid::NUMERIC,
    oid::JSONB,
];

fuzz_target!(|data: &[u8]| {
    // A stream of backend messages, as the client's receive loop takes them.
    let mut rest = data;
    while let Ok(Some((tag, body, used))) = wire::frame(rest) {
        assert!(HEADER_LEN <= used && used <= rest.len());
        assert_eq!(body.len(), used - HEADER_LEN);
        assert_eq!(wire::needed(rest), Ok(Some(used)));
        match Backend::parse(tag, body) {
            Ok(Backend::RowDescription(d)) => {
                assert_eq!(d.columns().count(), d.len());
                assert!(d.columns().all(|c| c.is_ok()), "checked when parsed");
            }
            Ok(Backend::DataRow(row)) => {
                assert_eq!(row.values().count(), row.len());
                for (i, value) in row.values().enumerate() {
                    let value = value.expect("checked when parsed");
                    let Ok(v) = types::decode(OIDS[i % OIDS.len()], value) else {
                        continue;
                    };
                    assert_eq!(value.is_none(), v == types::Value::Null);
                }
            }
            Ok(Backend::ErrorResponse(fields) | Backend::NoticeResponse(fields)) => {
                for code in [b'S', b'C', b'M', b'D', b'H'] {
                    let _ = fields.get(code);
                }
            }
            Ok(Backend::Authentication(wire::Auth::Sasl { mechanisms })) => {
                assert!(wire::mechanisms(mechanisms).all(|m| !m.is_empty()));
            }
            _ => {}
        }
        rest = &rest[used..];
    }
    // The whole input as one column value of every type.
    for oid in OIDS {
        let _ = types::decode(oid, Some(data));
    }
    // The input as SCRAM's server-first, then server-final message.
    let mut scram = Scram::new("", "secret", &[7; 18]);
    let _ = scram.client_first();
    if scram.client_final(data).is_ok() {
        assert!(
            scram.verify_server_final(data).is_err(),
            "the same message cannot be both"
        );
    }
});
