//! The byte stream hyper reads and writes: a tokio TCP socket, with TLS (a rustls connection
//! whose handshake already ran, synchronously, in [`crate::tls::client::drive`]) or without.
//!
//! It also bounds every read: a read that waits longer than the read timeout fails with
//! `TimedOut`. And it keeps the first bytes of plaintext the server sent, so an answer that
//! is not HTTP can be quoted in the error.

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

/// How much of the server's first bytes is kept for error messages.
const KEPT: usize = 256;

pub(crate) struct Io {
    tcp: tokio::net::TcpStream,
    tls: Option<rustls::ClientConnection>,
    read_timeout: Duration,
    idle: Option<Pin<Box<tokio::time::Sleep>>>,
    /// The first plaintext bytes read (shared: hyper owns the stream until it ends).
    first: Arc<Mutex<Vec<u8>>>,
}

impl Io {
    /// Must run inside a tokio runtime (the socket registers with its reactor).
    pub(crate) fn new(
        tcp: std::net::TcpStream,
        tls: Option<rustls::ClientConnection>,
        read_timeout: Duration,
        first: Arc<Mutex<Vec<u8>>>,
    ) -> io::Result<Io> {
        tcp.set_nonblocking(true)?;
        Ok(Io {
            tcp: tokio::net::TcpStream::from_std(tcp)?,
            tls,
            read_timeout,
            idle: None,
            first,
        })
    }

    /// The socket back, blocking again (a CONNECT tunnel handed to synchronous code).
    pub(crate) fn into_std(self) -> io::Result<std::net::TcpStream> {
        let tcp = self.tcp.into_std()?;
        tcp.set_nonblocking(false)?;
        Ok(tcp)
    }

    /// Pending on the socket: fail once the read timeout has passed with nothing read.
    fn waiting(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let timeout = self.read_timeout;
        let idle = self
            .idle
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match idle.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no data within the read timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn read_plain(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut buf = tokio::io::ReadBuf::new(out);
        match Pin::new(&mut self.tcp).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.waiting(cx),
        }
    }

    fn read_tls(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            let Some(tls) = self.tls.as_mut() else {
                return self.read_plain(cx, out);
            };
            match tls.reader().read(out) {
                Ok(n) => return Poll::Ready(Ok(n)),
                // A peer that closes without close_notify after its answer is common; a body
                // cut short is still caught by its declared length or chunking.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Poll::Ready(Ok(0)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            // Alerts or key updates rustls owes the peer go first.
            if let Poll::Ready(Err(e)) = self.flush_tls(cx) {
                return Poll::Ready(Err(e));
            }
            let Some(tls) = self.tls.as_mut() else {
                continue;
            };
            let mut sync = SyncIo {
                tcp: &mut self.tcp,
                cx,
            };
            match tls.read_tls(&mut sync) {
                Ok(_) => {
                    if let Err(e) = tls.process_new_packets() {
                        // Send the alert rustls queued, then report the error (rustls's own,
                        // inside, so callers can tell an alert from a reset).
                        let _ = self.flush_tls(cx);
                        return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e)));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return self.waiting(cx),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Write out every TLS record rustls has queued.
    fn flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(tls) = self.tls.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while tls.wants_write() {
            let mut sync = SyncIo {
                tcp: &mut self.tcp,
                cx,
            };
            match tls.write_tls(&mut sync) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Read for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let mut chunk = [0u8; 16 * 1024];
        let room = buf.remaining().min(chunk.len());
        let n = ready!(this.read_tls(cx, &mut chunk[..room]))?;
        this.idle = None;
        if let Ok(mut first) = this.first.lock() {
            let keep = n.min(KEPT.saturating_sub(first.len()));
            first.extend_from_slice(&chunk[..keep]);
        }
        buf.put_slice(&chunk[..n]);
        Poll::Ready(Ok(()))
    }
}

impl hyper::rt::Write for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.tls.is_none() {
            return Pin::new(&mut this.tcp).poll_write(cx, buf);
        }
        loop {
            let Some(tls) = this.tls.as_mut() else {
                return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
            };
            let n = tls.writer().write(buf)?;
            if n > 0 || buf.is_empty() {
                // Sent as far as the socket takes it now; the rest goes on the next flush.
                if let Poll::Ready(Err(e)) = this.flush_tls(cx) {
                    return Poll::Ready(Err(e));
                }
                return Poll::Ready(Ok(n));
            }
            // rustls's plaintext buffer is full: empty it onto the socket first.
            ready!(this.flush_tls(cx))?;
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(tls) = this.tls.as_mut() {
            tls.writer().flush()?;
        }
        ready!(this.flush_tls(cx))?;
        Pin::new(&mut this.tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(tls) = this.tls.as_mut() {
            tls.send_close_notify();
        }
        ready!(this.flush_tls(cx))?;
        Pin::new(&mut this.tcp).poll_shutdown(cx)
    }
}

/// The socket as blocking-style `Read`/`Write` for rustls: not ready is `WouldBlock`, with
/// the task's waker registered.
struct SyncIo<'a, 'b> {
    tcp: &'a mut tokio::net::TcpStream,
    cx: &'a mut Context<'b>,
}

impl Read for SyncIo<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut buf = tokio::io::ReadBuf::new(out);
        match Pin::new(&mut *self.tcp).poll_read(self.cx, &mut buf) {
            Poll::Ready(Ok(())) => Ok(buf.filled().len()),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for SyncIo<'_, '_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.tcp).poll_write(self.cx, data) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
