//! The one file streamer: files of a static directory of the device's file
//! system and deployed functions' static files (read from the bundle
//! store), both sent in pieces, never whole in RAM, with the file system's
//! lock (or the store's) held for each read only, never while sending.

use alloc::string::String;
use alloc::vec::Vec;

use super::TAG;
use super::connection::Worker;
use crate::fs::{FileKind, FsError};
use crate::http::request::RequestHead;
use crate::http::response::ResponseFraming;
use crate::http::static_files::{self, Conditions};
use crate::port::Socket;
use crate::running::Asset;

/// A read of a file piece failed: what to log.
struct ReadError(String);

impl Worker {
    /// Sends a response head with `status` and `headers` announcing `len`
    /// bytes (none for 304), then, unless the request is `HEAD`, `len`
    /// bytes from `read(offset, buf)` starting at `first` (each call fills
    /// some of `buf` and returns how much; 0 means the file is shorter than
    /// announced). Returns whether the connection may stay open.
    fn stream_file(
        &self,
        socket: Socket,
        head: &RequestHead,
        status: u16,
        headers: &[(String, String)],
        (first, len): (u64, u64),
        mut read: impl FnMut(u64, &mut [u8]) -> Result<usize, ReadError>,
    ) -> bool {
        let framing = if status == 304 {
            ResponseFraming::None
        } else {
            ResponseFraming::Length(len as usize)
        };
        let mut out = Vec::with_capacity(256);
        self.answer_head(&mut out, head, status, "", headers, framing);
        let mut pace = self.transfer_pace();
        if !self.send_paced(socket, &out, &mut pace) {
            return false;
        }
        if head.method == "HEAD" || len == 0 {
            return head.keep_alive;
        }
        let mut buf = alloc::vec![0u8; static_files::CHUNK.min(len as usize)];
        let end = first + len;
        let mut offset = first;
        while offset < end {
            let want = ((end - offset) as usize).min(buf.len());
            match read(offset, &mut buf[..want]) {
                Ok(0) => {
                    // The head promised bytes that cannot come: close.
                    log::warn!(target: TAG, "{}: shorter than announced; closing", head.target);
                    return false;
                }
                Ok(n) => {
                    if !self.send_paced(socket, &buf[..n], &mut pace) {
                        return false;
                    }
                    offset += n as u64;
                }
                Err(ReadError(e)) => {
                    log::error!(target: TAG, "{}: read failed mid-response: {e}", head.target);
                    return false;
                }
            }
        }
        head.keep_alive
    }

    /// Serves a file of the static directory `dir` (see [`static_files`]);
    /// `path` is the request path, `rest` its part below the route's
    /// prefix. Returns whether the connection may stay open.
    pub(super) fn serve_static(
        &self,
        socket: Socket,
        head: &RequestHead,
        dir: &str,
        path: &str,
        rest: &str,
    ) -> bool {
        let close = !head.keep_alive;
        if head.method != "GET" && head.method != "HEAD" {
            return self.send_error(socket, 405, close, &[("allow", "GET, HEAD")]);
        }
        let Some(storage) = self.shared.services.storage else {
            log::warn!(target: TAG, "{path}: static route, but this device has no file system");
            return self.send_error(socket, 503, close, &[]);
        };
        let resolved = match static_files::resolve(dir, rest) {
            Ok(r) => r,
            Err(status) => {
                log::debug!(target: TAG, "{path}: refused static path");
                return self.send_error(socket, status, close, &[]);
            }
        };
        let mut file_path = resolved.path;
        match storage.with(|fs| fs.stat(&file_path)) {
            Ok(m) if m.kind == FileKind::Dir => {
                if !resolved.trailing_slash {
                    let query = head.target.find('?').map_or("", |i| &head.target[i..]);
                    let location = alloc::format!("{path}/{query}");
                    return self.send_error(socket, 301, close, &[("location", &location)]);
                }
                if !file_path.ends_with('/') {
                    file_path.push('/');
                }
                file_path.push_str("index.html");
            }
            Ok(_) if resolved.trailing_slash => return self.send_error(socket, 404, close, &[]),
            Ok(_) => {}
            Err(FsError::NotFound | FsError::NotADirectory) => {
                return self.send_error(socket, 404, close, &[]);
            }
            Err(e) => {
                log::error!(target: TAG, "{path}: {file_path}: {e}");
                return self.send_error(socket, 500, close, &[]);
            }
        }
        let file = match storage.open_shared(&file_path) {
            Ok(f) => f,
            Err(FsError::NotFound | FsError::IsADirectory | FsError::NotADirectory) => {
                return self.send_error(socket, 404, close, &[]);
            }
            Err(e) => {
                log::error!(target: TAG, "{path}: {file_path}: {e}");
                return self.send_error(socket, 500, close, &[]);
            }
        };
        let (size, stamp) = match file.size().and_then(|n| Ok((n, file.stamp()?))) {
            Ok(v) => v,
            Err(e) => {
                log::error!(target: TAG, "{path}: {file_path}: {e}");
                return self.send_error(socket, 500, close, &[]);
            }
        };
        let text = |name| head.header(name).and_then(|v| core::str::from_utf8(v).ok());
        let plan = static_files::plan(
            &file_path,
            size,
            &stamp,
            &Conditions {
                if_none_match: text("if-none-match"),
                if_modified_since: text("if-modified-since"),
                range: text("range"),
                if_range: text("if-range"),
            },
        );
        log::debug!(target: TAG, "{} {path} -> {} ({file_path}, {} bytes)", head.method, plan.status, plan.len);
        let range = (u64::from(plan.first), u64::from(plan.len));
        self.stream_file(
            socket,
            head,
            plan.status,
            &plan.headers,
            range,
            |at, buf| {
                let at = u32::try_from(at).map_err(|_| ReadError(String::from("offset")))?;
                file.read_at(at, buf)
                    .map_err(|e| ReadError(alloc::format!("{file_path}: {e}")))
            },
        )
    }

    /// Sends a deployed function's static file, read from the store in
    /// pieces; returns whether the connection may stay open.
    pub(super) fn send_asset(&self, socket: Socket, head: &RequestHead, asset: &Asset) -> bool {
        let Some(source) = self.shared.extras.assets else {
            return self.send_error(socket, 503, !head.keep_alive, &[]);
        };
        let headers = [
            (
                String::from("content-type"),
                String::from(static_files::content_type(&asset.name)),
            ),
            (String::from("cache-control"), String::from("no-cache")),
        ];
        let len = asset.range.len;
        self.stream_file(socket, head, 200, &headers, (0, len), |at, buf| {
            source
                .read(asset, at, buf)
                .map(|()| buf.len())
                .map_err(|e| {
                    ReadError(alloc::format!(
                        "{}: static file unreadable: {}",
                        asset.function,
                        e.0
                    ))
                })
        })
    }
}
