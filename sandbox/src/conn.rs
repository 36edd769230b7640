//! The connection the HTTP server sees: a TCP stream that turns hyper's own answers to requests
//! it cannot parse into JSON error bodies.
//!
//! Hyper answers a malformed request line or header (400), a URI too long (414) or a head too
//! large (431) itself, before any route runs, with an empty body and then closes the connection.
//! Every other error of the sandbox is `{"detail": "…"}`, so a client's error decoding must not
//! meet an exception here. Hyper offers no hook for those answers; they are recognised on the
//! way out instead. A response of ours always carries a `content-type` (every error passes
//! through `http::ensure_json_error`), and JSON bodies never contain a raw CR LF, so a write that
//! is exactly a response head with a 400/414/431 status, `content-length: 0` and no
//! `content-type` can only be hyper's parse-error answer.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The statuses hyper sends on its own for a request it could not parse.
const PARSE_ERROR_STATUSES: [StatusCode; 3] = [
    StatusCode::BAD_REQUEST,
    StatusCode::URI_TOO_LONG,
    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
];

/// The status of `head` when it is hyper's empty parse-error answer (see the module docs).
fn parse_error_status(head: &[u8]) -> Option<StatusCode> {
    // Every response passes here: most are told apart by their status line alone, before the
    // head is checked as text (issue #19: the read path's cost per request).
    let code = head.strip_prefix(b"HTTP/1.1 ")?.get(..3)?;
    let status = StatusCode::from_bytes(code).ok()?;
    if !PARSE_ERROR_STATUSES.contains(&status) {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    if !text.ends_with("\r\n\r\n") || text.matches("\r\n\r\n").count() != 1 {
        return None;
    }
    // The header lines, after the status line read above.
    let lines = text.split("\r\n").skip(1);
    let mut empty = false;
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let name = name.trim().to_ascii_lowercase();
        if name == "content-type" {
            return None;
        }
        if name == "content-length" {
            empty = value.trim() == "0";
        }
    }
    empty.then_some(status)
}

/// The JSON answer sent instead of hyper's empty one.
fn json_answer(status: StatusCode) -> Vec<u8> {
    let detail = match status {
        StatusCode::URI_TOO_LONG => {
            "URI Too Long: the request target is longer than the server accepts"
        }
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            "Request Header Fields Too Large: the request head is larger than the server accepts"
        }
        _ => "Bad Request: the request line or a header could not be parsed",
    };
    let body = serde_json::json!({ "detail": detail }).to_string();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        body.len()
    )
    .into_bytes()
}

/// A replacement being written in place of one of hyper's writes.
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    /// The length of hyper's buffer, reported as written once the replacement is out.
    replaces: usize,
}

/// A stream whose parse-error answers carry JSON bodies (see the module docs).
pub(crate) struct JsonErrorStream<S> {
    inner: S,
    replacement: Option<Replacement>,
}

impl<S> JsonErrorStream<S> {
    pub(crate) fn new(inner: S) -> JsonErrorStream<S> {
        JsonErrorStream {
            inner,
            replacement: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonErrorStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonErrorStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacement.is_none() {
            match parse_error_status(buf) {
                Some(status) => {
                    this.replacement = Some(Replacement {
                        bytes: json_answer(status),
                        written: 0,
                        replaces: buf.len(),
                    })
                }
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        // Hyper calls again with the same buffer while this returns Pending.
        while let Some(r) = this.replacement.as_mut() {
            let rest = r.bytes.get(r.written..).unwrap_or_default();
            if rest.is_empty() {
                let replaces = r.replaces;
                this.replacement = None;
                return Poll::Ready(Ok(replaces));
            }
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            r.written += n;
        }
        Poll::Ready(Ok(0))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then hands over each response head as one flat buffer.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_hypers_empty_parse_error_heads() {
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 02:00:00 GMT\r\n\r\n";
        assert_eq!(parse_error_status(hyper_400), Some(StatusCode::BAD_REQUEST));
        let hyper_414 = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            parse_error_status(hyper_414),
            Some(StatusCode::URI_TOO_LONG)
        );
        // Ours: JSON, with a body.
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(parse_error_status(ours), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_error_status(with_body), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(parse_error_status(ok), None);
        let answer = String::from_utf8(json_answer(StatusCode::URI_TOO_LONG)).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(v["detail"].as_str().unwrap().starts_with("URI Too Long"));
    }
}
