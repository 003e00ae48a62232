//! The head of a connection's first request, read before hyper sees it. hyper answers a request
//! in the version it came in, so an HTTP/1.0 request would get an `HTTP/1.0` answer; the
//! register speaks HTTP/1.1 only (§3.3), so such a request is answered from here, in HTTP/1.1.
//! Everything else goes to hyper untouched: the bytes read are replayed to it first.
//!
//! Later requests on a keep-alive connection that began in HTTP/1.1 are judged by the request
//! handler instead (and answered by hyper, in the version hyper chooses).

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};

/// What the first bytes of a connection were.
#[derive(Debug)]
pub enum FirstRequest {
    /// For hyper: an HTTP/1.1 request head, or bytes hyper must judge (a malformed or oversize
    /// head, a version httparse does not know). The bytes read so far, to replay.
    Hyper(Vec<u8>),
    /// A complete request head in HTTP/1.0.
    Http10(Head),
    /// The client closed the connection, or sent no complete head in time, having sent this much.
    Gone { bytes: usize, timed_out: bool },
}

/// The parts of a request head the answer and the log need.
#[derive(Debug)]
pub struct Head {
    pub method: String,
    pub path: String,
    /// Every X-Correlation-ID header value, in order (`None`: not visible ASCII).
    pub correlation_ids: Vec<Option<String>>,
    pub content_length: Option<u64>,
    /// Body bytes that came with the head.
    pub body_bytes: usize,
}

/// Read until the first request head is complete (at most `limit` bytes, within `timeout`).
pub async fn read<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: usize,
    timeout: Duration,
) -> FirstRequest {
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        match judge(&buf) {
            Judged::Partial if buf.len() < limit => {}
            Judged::Partial | Judged::Hyper => return FirstRequest::Hyper(buf),
            Judged::Http10(head) => return FirstRequest::Http10(head),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let want = chunk.len().min(limit - buf.len());
        match tokio::time::timeout(left, stream.read(&mut chunk[..want])).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return FirstRequest::Gone {
                    bytes: buf.len(),
                    timed_out: false,
                };
            }
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => {
                return FirstRequest::Gone {
                    bytes: buf.len(),
                    timed_out: true,
                };
            }
        }
    }
}

/// Read and throw away up to `n` bytes (a body the answer does not need), within `timeout`,
/// so that a client still sending gets the answer rather than a connection reset.
pub async fn discard<S: AsyncRead + Unpin>(stream: &mut S, n: u64, timeout: Duration) {
    let drain = async {
        let mut left = n;
        let mut chunk = [0u8; 8192];
        while left > 0 {
            let want = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            match stream.read(&mut chunk[..want]).await {
                Ok(0) | Err(_) => break,
                Ok(got) => left = left.saturating_sub(got as u64),
            }
        }
    };
    let _ = tokio::time::timeout(timeout, drain).await;
}

enum Judged {
    Partial,
    Hyper,
    Http10(Head),
}

fn judge(buf: &[u8]) -> Judged {
    // Enough header slots for any head within the size limit; more is hyper's 431 to give.
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Judged::Partial,
        Err(_) => return Judged::Hyper,
    };
    if req.version != Some(0) {
        return Judged::Hyper;
    }
    let values = |name: &str| -> Vec<Option<String>> {
        req.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| {
                let visible = h.value.iter().all(|b| (0x20..0x7f).contains(b));
                visible.then(|| String::from_utf8_lossy(h.value).into_owned())
            })
            .collect()
    };
    let content_length = values("content-length")
        .first()
        .cloned()
        .flatten()
        .and_then(|v| v.trim().parse().ok());
    Judged::Http10(Head {
        method: req.method.unwrap_or("?").to_owned(),
        path: req.path.unwrap_or("?").to_owned(),
        correlation_ids: values("x-correlation-id"),
        content_length,
        body_bytes: buf.len() - head_len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> FirstRequest {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut input = bytes;
        rt.block_on(read(&mut input, 128, Duration::from_secs(1)))
    }

    #[test]
    fn http10_is_caught_and_the_rest_is_for_hyper() {
        let FirstRequest::Http10(head) =
            run(b"POST /v3/x HTTP/1.0\r\nX-Correlation-ID: a\r\nContent-Length: 5\r\n\r\nab")
        else {
            panic!("not caught")
        };
        assert_eq!(
            (head.method.as_str(), head.path.as_str()),
            ("POST", "/v3/x")
        );
        assert_eq!(head.correlation_ids, [Some("a".to_owned())]);
        assert_eq!((head.content_length, head.body_bytes), (Some(5), 2));

        let one_one = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert!(matches!(run(one_one), FirstRequest::Hyper(b) if b == one_one));
        // Not HTTP at all, or too long a head: hyper answers those.
        assert!(matches!(
            run(b"PRI * HTTP/2.0\r\n\r\n"),
            FirstRequest::Hyper(_)
        ));
        assert!(matches!(run(&[b'a'; 200]), FirstRequest::Hyper(b) if b.len() == 128));
        assert!(matches!(
            run(b"GET / HTTP/1.0\r\n"),
            FirstRequest::Gone {
                bytes: 16,
                timed_out: false
            }
        ));
    }
}
