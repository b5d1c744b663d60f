//! HTTP/1.1: the wire format ([`request`], [`chunked`], [`response`]), the
//! outgoing client under `fetch()` ([`client`]) and the
//! server ([`server`]): an acceptor task and a bounded pool of connection tasks,
//! which serve static files themselves ([`static_files`]).

pub mod admin;
pub mod chunked;
pub mod client;
pub mod request;
pub mod response;
pub mod server;
pub mod static_files;
