//! `Front`: the native HTTP/1.1 front end of the node's API.
//!
//! It owns the public listening socket. A client that sends one transaction
//! per request (`POST /v1/txs`, body `{"tx":"<base64>"}`) costs the Python
//! server ~200 µs of GIL time per request; here the request is read, parsed
//! and answered natively, and Python only sees `(request_id, raw tx bytes)`
//! in batches (`next_batch`) and hands back `(request_id, status, body)`
//! (`respond`). Every other request goes to the full Python server unchanged.
//!
//! Per connection, requests are read one at a time (the next only after the
//! previous was answered, so pipelined answers stay in order). A request is
//! HOT only if all of this holds, checked on the bytes as received:
//!
//! - `POST /v1/txs` in HTTP/1.1, with no query, an empty one or `mode=sync`;
//!   the head fits in `MAX_HEAD` bytes and `httparse` accepts it;
//! - exactly one `content-type` whose media type is `application/json`,
//!   exactly one `content-length` of digits only and at most `max_body` and
//!   `HOT_MAX_BODY` (64 KiB: a longer body is forwarded, streamed), and
//!   no `transfer-encoding`, `expect` or `upgrade` header;
//! - the body is `{"tx":"…"}` (JSON whitespace allowed around the tokens, the
//!   key spelled literally, no other member) and the string is non-empty
//!   canonical padded standard base64 with no escape.
//!
//! Any other request the front can DELIMIT (HTTP/1.1, a head `httparse`
//! accepts within `MAX_HEAD`, no body or one `content-length` of at most
//! `max_body`, no `transfer-encoding`, `expect`, `upgrade` header or
//! `connection: upgrade`) is FORWARDED on its own: its bytes go to a backend
//! connection that this client connection owns (opened at its first forwarded
//! request with a PROXY protocol v1 line naming the client, reused for the
//! next ones, opened again if the backend closed it while idle or if it may
//! be near the backend's own idle close: see below), the body
//! streamed as it arrives within the body deadline; the backend's response is
//! relayed byte for byte to its end (`content-length`, or the chunked framing
//! parsed through its trailers; none after HEAD, 1xx, 204, 304), and the
//! connection reads its next request, which may be hot again. The backend
//! (uvicorn) closes a connection idle for its `timeout_keep_alive`, taken to be
//! `keep_alive`: a backend connection whose last exchange began more than
//! `reuse_within(keep_alive)` ago (the smaller of half of it and it less one
//! second, if positive) is closed and a new one opened (a new PROXY line)
//! rather than reused, so that the idle close does not race a request. Should
//! it race all the same, an idempotent request (GET, HEAD, OPTIONS) received
//! whole is kept until its answer begins: if a reused backend connection closes
//! before answering, it is sent once more on a new one. Any other request is
//! never sent twice (the backend may have applied it): the client connection
//! is closed instead, for the client to decide. A backend that fails in the
//! middle of an answer closes the client connection.
//!
//! A request the front cannot delimit (chunked body, upgrade, `expect`,
//! HTTP/1.0, a malformed or oversized head, a body over `max_body`), and a
//! response it cannot delimit (no length: event streams; `connection: close`;
//! 101; over `MAX_RESPONSE_HEAD`), switch the connection to TUNNEL mode for
//! the rest of its life: every byte read and not yet relayed (a partial head
//! or body included) goes on, then both directions are copied between the
//! client and the Python server's unix socket (from a request: on a new backend
//! connection behind a PROXY line; from a response: on the one it came on).
//! The Python server thus answers malformed requests, other routes and modes,
//! event streams and oversized heads or bodies with its own JSON errors.
//!
//! A head with a bare LF line end (llhttp refuses it, httparse takes it) and a
//! CONNECT (an upgrade to llhttp) are tunneled too: neither is framed nor
//! answered here, so the front never delimits a request differently from the
//! Python server's parser.
//!
//! Deadlines: the head must complete within `head_timeout` of its first byte
//! (of the accept for a connection's first request): 408 and close if some of
//! it arrived, silent close if nothing did; the body within `body_timeout`
//! plus one second per `body_min_rate` bytes received (408 and close); Python
//! must answer within `request_timeout` (504, the connection stays usable);
//! an idle kept-alive connection is closed after `keep_alive`, and so is one
//! (tunneled too) whose client takes no answer bytes for `keep_alive`. At most
//! `max_inflight` hot requests wait for Python at once; the next ones get
//! 429 with `retry-after: 1` at once; a request that expires unanswered leaves
//! the queue if Python has not taken it, so the queue holds at most
//! `max_inflight`. At most `max_connections` client connections are served at
//! once (each with at most one backend connection); the next wait in the
//! listening socket's backlog.
//!
//! Python is woken through a Mutex+Condvar queue (one wake-up when the queue
//! turns non-empty; `next_batch` drains it with the GIL released); answers go
//! back to the connection task through a oneshot per request kept in a map
//! keyed by request id, so an answer for an expired id is simply dropped.

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::BorrowedFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixStream};
use tokio::runtime::Runtime;
use tokio::sync::{oneshot, Semaphore};
use tokio::time::{timeout_at, Instant};

/// The request line and headers of a hot request must fit in this many bytes
/// (the Python server's own bound; a longer head is tunneled for it to refuse).
const MAX_HEAD: usize = 16 * 1024;
/// A backend response head longer than this turns the connection into a tunnel.
const MAX_RESPONSE_HEAD: usize = 64 * 1024;
/// More header lines than this cannot be a hot request (httparse refuses them:
/// the request is tunneled).
const MAX_HEADERS: usize = 64;
/// Reads ask for at least this much free buffer.
const READ_CHUNK: usize = 8 * 1024;
/// A connection's read buffer is shrunk back after a request that grew it beyond this.
const MAX_KEPT_BUFFER: usize = 64 * 1024;
/// A hot request's body is held whole in memory until Python answers: a longer
/// one (a large transaction) is forwarded, its body streamed, so that the
/// Python server's own bound on bodies received at once (`max_uploads`) holds
/// for it; otherwise each connection could hold `max_body` (16 MiB by default).
const HOT_MAX_BODY: usize = 64 * 1024;
/// The longest any deadline is set ahead (a longer configured one is cut to it).
const LONGEST_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);
/// Client connections served at once unless `max_connections` says otherwise;
/// the next ones wait in the listening socket's backlog.
const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// The hot path's only target, and the only query values it accepts.
const HOT_PATH: &[u8] = b"/v1/txs";
const HOT_QUERIES: [&[u8]; 2] = [b"", b"mode=sync"];

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A pre-encoded JSON error answer from Python's `errors` argument.
struct Canned {
    status: u16,
    body: Vec<u8>,
}

struct Config {
    backend: PathBuf,
    max_body: usize,
    max_inflight: usize,
    head_timeout: Duration,
    body_timeout: Duration,
    body_min_rate: u64,
    request_timeout: Duration,
    keep_alive: Duration,
    /// A backend connection is reused only within this of its last exchange's start.
    reuse_within: Duration,
    busy: Canned,
    timeout: Canned,
    head_timeout_error: Canned,
    body_timeout_error: Canned,
}

/// Python's answer to one hot request.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

#[derive(Default)]
struct Stats {
    accepted: AtomicU64,
    hot: AtomicU64,
    tunneled: AtomicU64,
    timeouts: AtomicU64,
    busy: AtomicU64,
    head_timeouts: AtomicU64,
    body_timeouts: AtomicU64,
    backend_errors: AtomicU64,
    forwarded: AtomicU64,
    backend_connections: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

struct Shared {
    config: Config,
    /// Hot requests not yet taken by `next_batch`.
    queue: Mutex<VecDeque<(u64, Vec<u8>)>>,
    ready: Condvar,
    closed: AtomicBool,
    /// The connection task waiting for each request id not yet answered.
    waiting: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    /// Hot requests waiting for Python's answer (queued or taken).
    inflight: AtomicUsize,
    next_id: AtomicU64,
    stats: Stats,
}

impl Shared {
    /// Registers a hot request and queues it for Python; the receiver gets the answer.
    fn submit(&self, raw: Vec<u8>) -> (u64, oneshot::Receiver<Answer>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = oneshot::channel();
        // Registered before it is queued, so `respond` always finds it.
        lock(&self.waiting).insert(id, sender);
        let was_empty = {
            let mut queue = lock(&self.queue);
            let was_empty = queue.is_empty();
            queue.push_back((id, raw));
            was_empty
        };
        // A consumer waits only on an empty queue, and one that drains part
        // of it wakes the next: one wake-up per non-empty transition is enough.
        if was_empty {
            self.ready.notify_one();
        }
        bump(&self.stats.hot);
        (id, receiver)
    }

    /// Up to `max_items` queued requests; waits up to `timeout` for the first.
    fn take(&self, max_items: usize, timeout: Duration) -> Result<Vec<(u64, Vec<u8>)>, ()> {
        let deadline = std::time::Instant::now().checked_add(timeout);
        let mut queue = lock(&self.queue);
        loop {
            if self.closed.load(Ordering::Acquire) {
                return Err(());
            }
            if !queue.is_empty() {
                let count = max_items.min(queue.len());
                let items: Vec<_> = queue.drain(..count).collect();
                if !queue.is_empty() {
                    self.ready.notify_one();
                }
                return Ok(items);
            }
            let now = std::time::Instant::now();
            let left = match deadline {
                Some(deadline) if deadline <= now => return Ok(Vec::new()),
                Some(deadline) => deadline - now,
                None => Duration::from_secs(3600),
            };
            queue = self
                .ready
                .wait_timeout(queue, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }
}

// ---------------------------------------------------------------- parsing

/// What the bytes received so far say about the request at the buffer's start.
enum Head {
    /// The head is not complete yet (and still fits in `MAX_HEAD`).
    Partial,
    /// A request whose end the front cannot find (chunked body, upgrade,
    /// `expect`, HTTP/1.0, a malformed or oversized head, a body over
    /// `max_body`): the connection is tunneled from this request on.
    Tunnel,
    /// A request the front can delimit: hot, or forwarded on its own.
    Framed(Framing),
}

#[derive(Clone, Copy, Debug)]
struct Framing {
    head_len: usize,
    /// From `content-length`; 0 without one.
    body_len: usize,
    /// `connection: close`: the connection ends after this request's answer.
    close: bool,
    /// `POST /v1/txs` with one JSON `content-type` and a `content-length`: the
    /// request is hot if its body is `{"tx": …}` (checked once received).
    hot: bool,
    /// A `HEAD` request: its response has no body whatever its headers say.
    head_method: bool,
    /// GET, HEAD or OPTIONS: sent again if a reused backend connection closes
    /// before answering it.
    idempotent: bool,
}

fn parse_head(buf: &[u8], max_body: usize) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let head_len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => len,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => return Head::Partial,
        _ => return Head::Tunnel,
    };
    if request.version != Some(1) {
        return Head::Tunnel;
    }
    let method = request.method.unwrap_or("");
    // httparse takes a bare LF as a line end, llhttp refuses it; llhttp treats
    // CONNECT as an upgrade (the bytes after its head are no request): both are
    // for the Python server to judge, never framed (nor answered) here.
    if method == "CONNECT" || bare_lf(&buf[..head_len]) {
        return Head::Tunnel;
    }
    let mut hot = method == "POST" && {
        let target = request.path.unwrap_or("").as_bytes();
        match target.iter().position(|&byte| byte == b'?') {
            None => target == HOT_PATH,
            Some(at) => &target[..at] == HOT_PATH && HOT_QUERIES.contains(&&target[at + 1..]),
        }
    };
    let mut content_type = 0;
    let mut body_len = None;
    let mut close = false;
    for header in request.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-type") {
            let media = header
                .value
                .split(|&byte| byte == b';')
                .next()
                .unwrap_or(b"");
            hot &=
                content_type == 0 && media.trim_ascii().eq_ignore_ascii_case(b"application/json");
            content_type += 1;
        } else if name.eq_ignore_ascii_case("content-length") {
            match (body_len, content_length(header.value, max_body)) {
                (None, Some(len)) => body_len = Some(len),
                _ => return Head::Tunnel,
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            || name.eq_ignore_ascii_case("expect")
            || name.eq_ignore_ascii_case("upgrade")
        {
            return Head::Tunnel;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|&byte| byte == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"upgrade") {
                    return Head::Tunnel;
                }
            }
        }
    }
    Head::Framed(Framing {
        head_len,
        body_len: body_len.unwrap_or(0),
        close,
        hot: hot && content_type == 1 && body_len.is_some_and(|len| len <= HOT_MAX_BODY),
        head_method: method == "HEAD",
        idempotent: matches!(method, "GET" | "HEAD" | "OPTIONS"),
    })
}

/// A line feed not preceded by a carriage return.
fn bare_lf(head: &[u8]) -> bool {
    head.iter()
        .enumerate()
        .any(|(at, &byte)| byte == b'\n' && (at == 0 || head[at - 1] != b'\r'))
}

/// How the end of a backend response is found.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Body {
    /// No body (HEAD request, 1xx, 204, 304).
    Empty,
    Length(u64),
    Chunked,
}

/// What the bytes received so far say about the backend response at the buffer's start.
#[derive(Debug, PartialEq)]
enum ResponseHead {
    Partial,
    /// An interim (1xx but 101) response of this many bytes: relayed, the final one follows.
    Interim(usize),
    Final {
        head_len: usize,
        body: Body,
    },
    /// The front cannot delimit it (no length, `connection: close`, 101, not HTTP/1.1,
    /// malformed or over `MAX_RESPONSE_HEAD`): the connection turns into a tunnel.
    Tunnel,
}

fn parse_response(buf: &[u8], head_method: bool) -> ResponseHead {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_RESPONSE_HEAD => {
            return ResponseHead::Partial
        }
        _ => return ResponseHead::Tunnel,
    };
    let status = response.code.unwrap_or(0);
    if response.version != Some(1) || status == 101 {
        return ResponseHead::Tunnel;
    }
    if (100..200).contains(&status) {
        return ResponseHead::Interim(head_len);
    }
    let mut length = None;
    let mut chunked = None;
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            match (length, content_length(header.value, usize::MAX)) {
                (None, Some(len)) => length = Some(len),
                (Some(seen), Some(len)) if seen == len => {}
                _ => return ResponseHead::Tunnel,
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only a final `chunked` coding delimits the body.
            let last = header
                .value
                .rsplit(|&byte| byte == b',')
                .next()
                .unwrap_or(b"");
            chunked = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection")
            && header
                .value
                .split(|&byte| byte == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"))
        {
            return ResponseHead::Tunnel;
        }
    }
    let body = if head_method || status == 204 || status == 304 {
        Body::Empty
    } else {
        match (chunked, length) {
            (Some(true), _) => Body::Chunked,
            (None, Some(len)) => Body::Length(len as u64),
            _ => return ResponseHead::Tunnel,
        }
    };
    ResponseHead::Final { head_len, body }
}

/// Where a chunked body's framing is, between the bytes relayed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Chunked {
    /// A chunk-size line (with extensions) is next.
    Size,
    /// This many bytes of chunk data are next.
    Data(u64),
    /// The CRLF after a chunk's data is next.
    DataEnd,
    /// Trailer fields, up to an empty line, are next (after the last chunk).
    Trailers,
    Done,
}

/// Advances `state` over `buf`: the number of bytes that belong to the body
/// (all but an incomplete line at the end), or Err for a framing error.
fn chunked_advance(state: &mut Chunked, buf: &[u8]) -> Result<usize, ()> {
    let mut at = 0;
    loop {
        let rest = &buf[at..];
        match *state {
            Chunked::Done => return Ok(at),
            Chunked::Size => match httparse::parse_chunk_size(rest) {
                Ok(httparse::Status::Complete((len, size))) => {
                    at += len;
                    *state = if size == 0 {
                        Chunked::Trailers
                    } else {
                        Chunked::Data(size)
                    };
                }
                Ok(httparse::Status::Partial) if rest.len() <= MAX_HEAD => return Ok(at),
                _ => return Err(()),
            },
            Chunked::Data(left) => {
                let take = left.min(rest.len() as u64);
                at += take as usize;
                if take < left {
                    *state = Chunked::Data(left - take);
                    return Ok(at);
                }
                *state = Chunked::DataEnd;
            }
            Chunked::DataEnd => {
                if rest.len() < 2 {
                    return Ok(at);
                }
                if &rest[..2] != b"\r\n" {
                    return Err(());
                }
                at += 2;
                *state = Chunked::Size;
            }
            Chunked::Trailers => match rest.windows(2).position(|pair| pair == b"\r\n") {
                Some(0) => {
                    at += 2;
                    *state = Chunked::Done;
                }
                Some(line) => at += line + 2,
                None if rest.len() <= MAX_HEAD => return Ok(at),
                None => return Err(()),
            },
        }
    }
}

/// The value of a `content-length` made of digits only and at most `max_body`.
fn content_length(value: &[u8], max_body: usize) -> Option<usize> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut len: usize = 0;
    for &digit in value {
        len = len
            .checked_mul(10)?
            .checked_add(usize::from(digit - b'0'))?;
        if len > max_body {
            return None;
        }
    }
    Some(len)
}

fn skip_ws(body: &[u8], mut at: usize) -> usize {
    while at < body.len() && matches!(body[at], b' ' | b'\t' | b'\n' | b'\r') {
        at += 1;
    }
    at
}

/// The decoded transaction of a hot body `{"tx":"<canonical base64>"}`, or None.
///
/// The string is everything up to the next `"`: an escape leaves a `\` in it,
/// which base64 refuses, so an escaped string is never hot. The engine refuses
/// missing or extra padding and non-zero unused bits, so the accepted string is
/// exactly the encoding of the bytes returned.
fn hot_tx(body: &[u8]) -> Option<Vec<u8>> {
    let mut at = skip_ws(body, 0);
    let expect = |at: &mut usize, token: &[u8]| -> bool {
        let start = skip_ws(body, *at);
        if body[start..].starts_with(token) {
            *at = start + token.len();
            true
        } else {
            false
        }
    };
    if !(expect(&mut at, b"{") && expect(&mut at, b"\"tx\"") && expect(&mut at, b":")) {
        return None;
    }
    if !expect(&mut at, b"\"") {
        return None;
    }
    let end = at + body[at..].iter().position(|&byte| byte == b'"')?;
    let value = &body[at..end];
    at = end + 1;
    if value.is_empty() || !expect(&mut at, b"}") || skip_ws(body, at) != body.len() {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(value).ok()
}

// ---------------------------------------------------------------- answers

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// Writes a whole JSON response into `out` (cleared first).
fn encode_response(out: &mut Vec<u8>, status: u16, body: &[u8], extra: &[u8], close: bool) {
    out.clear();
    let _ = write!(
        out,
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        reason(status),
        body.len()
    );
    out.extend_from_slice(extra);
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

// ---------------------------------------------------------------- connections

enum Read {
    Data,
    Closed,
    Timeout,
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>, deadline: Instant) -> Read {
    if buf.capacity() - buf.len() < READ_CHUNK / 4 {
        buf.reserve(READ_CHUNK);
    }
    match timeout_at(deadline, stream.read_buf(buf)).await {
        Err(_) => Read::Timeout,
        Ok(Ok(0)) | Ok(Err(_)) => Read::Closed,
        Ok(Ok(_)) => Read::Data,
    }
}

/// Answers `canned` with `connection: close`, then closes.
async fn fail(stream: &mut TcpStream, out: &mut Vec<u8>, canned: &Canned, wait: Duration) {
    encode_response(out, canned.status, &canned.body, b"", true);
    let _ = tokio::time::timeout(wait, async {
        stream.write_all(out).await?;
        stream.shutdown().await
    })
    .await;
}

/// The body's deadline: `body_timeout` after its start plus one second per
/// `body_min_rate` bytes received.
fn body_deadline(config: &Config, start: Instant, received: usize) -> Instant {
    let mut deadline = start + config.body_timeout;
    if config.body_min_rate > 0 {
        let extra = received as f64 / config.body_min_rate as f64;
        deadline += Duration::try_from_secs_f64(extra)
            .map_or(LONGEST_WAIT, |extra| extra.min(LONGEST_WAIT));
    }
    deadline
}

/// Gives back the memory of a buffer that one large message grew.
fn shrink(buf: &mut Vec<u8>) {
    if buf.capacity() > MAX_KEPT_BUFFER && buf.len() <= READ_CHUNK {
        buf.shrink_to(READ_CHUNK);
    }
}

async fn serve(shared: Arc<Shared>, mut stream: TcpStream, peer: SocketAddr) {
    let accepted = Instant::now();
    let config = &shared.config;
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut out: Vec<u8> = Vec::with_capacity(512);
    // This connection's own backend connection for forwarded requests, opened at the first.
    let mut upstream: Option<Upstream> = None;
    let mut first = true;
    loop {
        // The head's deadline runs from its first byte (from the accept for the first request).
        if buf.is_empty() {
            let wait_until = if first {
                accepted + config.head_timeout
            } else {
                Instant::now() + config.keep_alive
            };
            match read_more(&mut stream, &mut buf, wait_until).await {
                Read::Data => {}
                Read::Closed | Read::Timeout => return,
            }
        }
        let head_deadline = if first {
            accepted + config.head_timeout
        } else {
            Instant::now() + config.head_timeout
        };
        first = false;
        let framing = loop {
            match parse_head(&buf, config.max_body) {
                Head::Partial => {}
                Head::Tunnel => {
                    // On a new backend connection: the idle one may be closing on the backend's side.
                    drop(upstream);
                    return tunnel(&shared, stream, buf, peer, None).await;
                }
                Head::Framed(framing) => break framing,
            }
            match read_more(&mut stream, &mut buf, head_deadline).await {
                Read::Data => {}
                Read::Closed => return,
                Read::Timeout => {
                    bump(&shared.stats.head_timeouts);
                    return fail(
                        &mut stream,
                        &mut out,
                        &config.head_timeout_error,
                        config.keep_alive,
                    )
                    .await;
                }
            }
        };
        let close = framing.close;
        let end = framing.head_len + framing.body_len;
        let raw = if framing.hot {
            if buf.len() < end {
                // The buffer grows as the body arrives: a declared length reserves nothing.
                let body_start = Instant::now();
                while buf.len() < end {
                    let received = buf.len() - framing.head_len;
                    let deadline = body_deadline(config, body_start, received);
                    match read_more(&mut stream, &mut buf, deadline).await {
                        Read::Data => {}
                        Read::Closed => return,
                        Read::Timeout => {
                            bump(&shared.stats.body_timeouts);
                            return fail(
                                &mut stream,
                                &mut out,
                                &config.body_timeout_error,
                                config.keep_alive,
                            )
                            .await;
                        }
                    }
                }
            }
            hot_tx(&buf[framing.head_len..end])
        } else {
            None
        };
        let Some(raw) = raw else {
            let forwarded = forward(&shared, &mut stream, &mut buf, framing, &mut upstream, peer);
            match forwarded.await {
                Forwarded::Next => {}
                Forwarded::Tunnel(up) => return tunnel(&shared, stream, buf, peer, Some(up)).await,
                Forwarded::Closed => return,
            }
            shrink(&mut buf);
            if close {
                let _ = stream.shutdown().await;
                return;
            }
            continue;
        };
        buf.drain(..end);
        shrink(&mut buf);

        let mut slot = Slot::take(&shared);
        if slot.previous >= config.max_inflight {
            drop(slot);
            bump(&shared.stats.busy);
            let busy = &config.busy;
            encode_response(
                &mut out,
                busy.status,
                &busy.body,
                b"retry-after: 1\r\n",
                close,
            );
        } else {
            let (id, mut receiver) = shared.submit(raw);
            slot.id = Some(id);
            let answer = timeout_at(Instant::now() + config.request_timeout, &mut receiver).await;
            let answer = match answer {
                Ok(Ok(answer)) => Some(answer),
                // The sender is gone only when the front closes.
                Ok(Err(_)) => None,
                Err(_) => {
                    // An answer that raced the deadline is still taken.
                    let expired = lock(&shared.waiting).remove(&id).is_some();
                    if expired {
                        None
                    } else {
                        receiver.try_recv().ok()
                    }
                }
            };
            if answer.is_some() {
                slot.id = None; // answered: taken from the queue, no longer waiting
            }
            // An expired request still queued leaves the queue with its slot.
            drop(slot);
            match answer {
                Some(answer) => encode_response(&mut out, answer.status, &answer.body, b"", close),
                None if shared.closed.load(Ordering::Acquire) => return,
                None => {
                    bump(&shared.stats.timeouts);
                    let timeout = &config.timeout;
                    encode_response(&mut out, timeout.status, &timeout.body, b"", close);
                }
            }
        }
        // A client that takes none of its answer for `keep_alive` is idle too.
        let written = timeout_at(Instant::now() + config.keep_alive, stream.write_all(&out)).await;
        if !matches!(written, Ok(Ok(()))) {
            return;
        }
        if close {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

/// A hot request's place among the `max_inflight`, given back however the
/// connection task ends (answer, deadline, panic, cancellation). A request not
/// answered is forgotten with it: no longer waiting, and out of the queue if
/// Python has not taken it, so the queue stays within `max_inflight` while
/// Python is stalled (and an expired request is not admitted after its 504).
struct Slot<'a> {
    shared: &'a Shared,
    /// Hot requests in flight before this one.
    previous: usize,
    id: Option<u64>,
}

impl<'a> Slot<'a> {
    fn take(shared: &'a Shared) -> Self {
        let previous = shared.inflight.fetch_add(1, Ordering::AcqRel);
        Slot {
            shared,
            previous,
            id: None,
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            lock(&self.shared.waiting).remove(&id);
            lock(&self.shared.queue).retain(|(queued, _)| *queued != id);
        }
        self.shared.inflight.fetch_sub(1, Ordering::AcqRel);
    }
}

// ---------------------------------------------------------------- forwarding

/// A client connection's own connection to the backend, for its forwarded requests.
struct Upstream {
    stream: UnixStream,
    /// Response bytes read and not relayed yet.
    buf: Vec<u8>,
    /// It has carried a whole exchange: when it fails before any answer, that
    /// may be the backend closing it as idle just as the request went out.
    reused: bool,
    /// When its last exchange began: the backend's idle time cannot have begun before.
    last_exchange: Instant,
}

impl Upstream {
    /// Not closed by the backend while idle, and nothing unasked-for to read.
    fn idle_and_open(&self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            self.stream.try_read(&mut byte),
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock
        )
    }

    /// Reads more of the response; false when the backend closed or failed.
    async fn read(&mut self) -> bool {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 4 {
            self.buf.reserve(READ_CHUNK);
        }
        matches!(self.stream.read_buf(&mut self.buf).await, Ok(read) if read > 0)
    }
}

/// How long after its last exchange began a backend connection may be reused:
/// the smaller of half of `keep_alive` and `keep_alive` less one second, if
/// positive, well within the backend's idle close after `keep_alive`.
fn reuse_within(keep_alive: Duration) -> Duration {
    let half = keep_alive / 2;
    match keep_alive.checked_sub(Duration::from_secs(1)) {
        Some(less_one) if !less_one.is_zero() => half.min(less_one),
        _ => half,
    }
}

async fn connect_backend(shared: &Shared) -> Option<UnixStream> {
    match UnixStream::connect(&shared.config.backend).await {
        Ok(backend) => {
            bump(&shared.stats.backend_connections);
            Some(backend)
        }
        Err(_) => {
            bump(&shared.stats.backend_errors);
            None
        }
    }
}

/// Writes all of `bytes` to the client within `wait`; false if it could not.
async fn send(client: &mut TcpStream, bytes: &[u8], wait: Duration) -> bool {
    bytes.is_empty()
        || matches!(
            timeout_at(Instant::now() + wait, client.write_all(bytes)).await,
            Ok(Ok(()))
        )
}

enum Forwarded {
    /// Answered: the connection reads its next request.
    Next,
    /// The answer cannot be delimited: the connection is a tunnel on this backend connection.
    Tunnel(Upstream),
    /// The connection is over (client gone, backend failed, body timeout answered).
    Closed,
}

enum Sent {
    Whole,
    ClientGone,
    BodyTimeout,
    BackendFailed,
}

/// Forwards the request at the start of `buf` (its head complete) to the
/// backend and relays the answer; the request's bytes are gone from `buf` after.
///
/// A backend connection whose last exchange began more than `reuse_within`
/// ago is replaced by a new one rather than reused (the backend may be about
/// to close it as idle). An idempotent request (GET, HEAD, OPTIONS) received
/// whole is kept until its answer begins: if the backend closes a reused
/// connection before answering (its idle close racing the request all the
/// same), the request is sent once more on a new connection. Any other request
/// is never sent twice: the client connection is closed.
async fn forward(
    shared: &Shared,
    client: &mut TcpStream,
    buf: &mut Vec<u8>,
    framing: Framing,
    upstream: &mut Option<Upstream>,
    peer: SocketAddr,
) -> Forwarded {
    bump(&shared.stats.forwarded);
    let config = &shared.config;
    let end = framing.head_len + framing.body_len;
    let whole = buf.len() >= end;
    let stale =
        |up: &Upstream| up.last_exchange.elapsed() > config.reuse_within || !up.idle_and_open();
    if upstream.as_ref().is_some_and(stale) {
        *upstream = None;
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let preface = match upstream {
            Some(_) => Vec::new(),
            None => {
                let Some(stream) = connect_backend(shared).await else {
                    return Forwarded::Closed;
                };
                *upstream = Some(Upstream {
                    stream,
                    buf: Vec::with_capacity(READ_CHUNK),
                    reused: false,
                    last_exchange: Instant::now(),
                });
                proxy_line(peer, client.local_addr().ok())
            }
        };
        let Some(up) = upstream.as_mut() else {
            return Forwarded::Closed;
        };
        let retry = whole && framing.idempotent && up.reused && attempt == 1;
        up.last_exchange = Instant::now();
        let sent = if whole {
            send_whole(&mut up.stream, preface, &buf[..end]).await
        } else {
            stream_request(config, client, &mut up.stream, preface, buf, framing).await
        };
        // A write the backend refused: its answer may be waiting all the same.
        // Not to be used again; if part of the body was not read from the
        // client, the client connection cannot go on either.
        let (broken, unread) = match sent {
            Sent::Whole => (false, false),
            Sent::BackendFailed => (true, !whole),
            Sent::ClientGone => return Forwarded::Closed,
            Sent::BodyTimeout => {
                bump(&shared.stats.body_timeouts);
                let mut out = Vec::new();
                fail(
                    client,
                    &mut out,
                    &config.body_timeout_error,
                    config.keep_alive,
                )
                .await;
                return Forwarded::Closed;
            }
        };
        let relayed = relay(client, up, framing.head_method, config.keep_alive).await;
        if whole && matches!(relayed, Relay::Done | Relay::Tunnel) {
            buf.drain(..end);
        }
        match relayed {
            Relay::Done => {
                if broken || !up.buf.is_empty() {
                    // Bytes after the answer were not asked for: not this connection again.
                    *upstream = None;
                } else {
                    up.reused = true;
                    shrink(&mut up.buf);
                }
                if unread {
                    let _ = client.shutdown().await;
                    return Forwarded::Closed;
                }
                return Forwarded::Next;
            }
            Relay::Tunnel => return upstream.take().map_or(Forwarded::Closed, Forwarded::Tunnel),
            Relay::ClientGone => return Forwarded::Closed,
            Relay::BackendFailed { nothing_received } => {
                *upstream = None;
                if !(nothing_received && retry) {
                    bump(&shared.stats.backend_errors);
                    return Forwarded::Closed;
                }
            }
        }
    }
}

/// Writes the PROXY line if any and a request received whole, in one write.
async fn send_whole(backend: &mut UnixStream, mut preface: Vec<u8>, request: &[u8]) -> Sent {
    let written = if preface.is_empty() {
        backend.write_all(request).await
    } else {
        preface.extend_from_slice(request);
        backend.write_all(&preface).await
    };
    match written {
        Ok(()) => Sent::Whole,
        Err(_) => Sent::BackendFailed,
    }
}

/// Writes the PROXY line if any and the request's bytes at hand, then copies
/// the rest of its body as it arrives, within the body deadline; `buf` holds
/// only what follows the request after.
async fn stream_request(
    config: &Config,
    client: &mut TcpStream,
    backend: &mut UnixStream,
    mut preface: Vec<u8>,
    buf: &mut Vec<u8>,
    framing: Framing,
) -> Sent {
    let body_start = Instant::now();
    let mut received = buf.len() - framing.head_len;
    let mut left = framing.head_len + framing.body_len - buf.len();
    preface.extend_from_slice(buf);
    buf.clear();
    if backend.write_all(&preface).await.is_err() {
        return Sent::BackendFailed;
    }
    drop(preface);
    while left > 0 {
        match read_more(client, buf, body_deadline(config, body_start, received)).await {
            Read::Data => {}
            Read::Closed => return Sent::ClientGone,
            Read::Timeout => return Sent::BodyTimeout,
        }
        let take = left.min(buf.len());
        if backend.write_all(&buf[..take]).await.is_err() {
            return Sent::BackendFailed;
        }
        buf.drain(..take);
        left -= take;
        received += take;
    }
    Sent::Whole
}

enum Relay {
    /// The whole response was relayed.
    Done,
    /// The response cannot be delimited; its bytes read so far are in the upstream's buffer.
    Tunnel,
    ClientGone,
    BackendFailed {
        nothing_received: bool,
    },
}

/// Relays one response (after any interim ones) from the backend to the client.
async fn relay(
    client: &mut TcpStream,
    up: &mut Upstream,
    head_method: bool,
    wait: Duration,
) -> Relay {
    let mut relayed = false;
    let (head_len, body) = loop {
        match parse_response(&up.buf, head_method) {
            ResponseHead::Partial => {
                if !up.read().await {
                    let nothing_received = !relayed && up.buf.is_empty();
                    return Relay::BackendFailed { nothing_received };
                }
            }
            ResponseHead::Interim(len) => {
                if !send(client, &up.buf[..len], wait).await {
                    return Relay::ClientGone;
                }
                up.buf.drain(..len);
                relayed = true;
            }
            ResponseHead::Final { head_len, body } => break (head_len, body),
            ResponseHead::Tunnel => return Relay::Tunnel,
        }
    };
    let failed = Relay::BackendFailed {
        nothing_received: false,
    };
    match body {
        Body::Empty | Body::Length(_) => {
            let mut left = match body {
                Body::Length(len) => (head_len as u64).saturating_add(len),
                _ => head_len as u64,
            };
            loop {
                let take = left.min(up.buf.len() as u64) as usize;
                if !send(client, &up.buf[..take], wait).await {
                    return Relay::ClientGone;
                }
                up.buf.drain(..take);
                left -= take as u64;
                if left == 0 {
                    return Relay::Done;
                }
                if !up.read().await {
                    return failed;
                }
            }
        }
        Body::Chunked => {
            let mut state = Chunked::Size;
            let mut framed = head_len;
            loop {
                match chunked_advance(&mut state, &up.buf[framed..]) {
                    Ok(len) => framed += len,
                    Err(()) => return failed,
                }
                if !send(client, &up.buf[..framed], wait).await {
                    return Relay::ClientGone;
                }
                up.buf.drain(..framed);
                framed = 0;
                if state == Chunked::Done {
                    return Relay::Done;
                }
                if !up.read().await {
                    return failed;
                }
            }
        }
    }
}

/// `PROXY TCP4|TCP6 <client ip> <local ip> <client port> <local port>\r\n`.
fn proxy_line(peer: SocketAddr, local: Option<SocketAddr>) -> Vec<u8> {
    let Some(local) = local else {
        return b"PROXY UNKNOWN\r\n".to_vec();
    };
    let (client_ip, local_ip) = (peer.ip().to_canonical(), local.ip().to_canonical());
    let (client_port, local_port) = (peer.port(), local.port());
    match (client_ip, local_ip) {
        (IpAddr::V4(client), IpAddr::V4(local)) => {
            format!("PROXY TCP4 {client} {local} {client_port} {local_port}\r\n")
        }
        (client, local) => {
            let v6 = |ip: IpAddr| match ip {
                IpAddr::V4(ip) => ip.to_ipv6_mapped(),
                IpAddr::V6(ip) => ip,
            };
            let (client, local) = (v6(client), v6(local));
            format!("PROXY TCP6 {client} {local} {client_port} {local_port}\r\n")
        }
    }
    .into_bytes()
}

/// Hands the connection to the Python server for the rest of its life.
///
/// Without `upstream` (a request the front cannot delimit): a new backend
/// connection, the PROXY line, the unanswered bytes, then both ways. With it
/// (a response the front cannot delimit): the response's bytes read so far go
/// to the client, the client's unanswered bytes to that backend connection,
/// then both ways.
///
/// The tunnel ends when the server's side ends (its answers are all written,
/// then the client is closed), or when the client takes none of the server's
/// bytes for `keep_alive`; the client's end of input is passed on as a
/// half-close, so a client that shuts its writing side still gets its answer.
async fn tunnel(
    shared: &Shared,
    mut client: TcpStream,
    buf: Vec<u8>,
    peer: SocketAddr,
    upstream: Option<Upstream>,
) {
    bump(&shared.stats.tunneled);
    // A client that takes none of the server's bytes for this long is gone.
    let wait = shared.config.keep_alive;
    let (backend, pending) = match upstream {
        Some(up) => {
            if !send(&mut client, &up.buf, wait).await {
                return;
            }
            (up.stream, buf)
        }
        None => {
            let mut preface = proxy_line(peer, client.local_addr().ok());
            let Some(mut backend) = connect_backend(shared).await else {
                return;
            };
            preface.extend_from_slice(&buf);
            drop(buf);
            if backend.write_all(&preface).await.is_err() {
                bump(&shared.stats.backend_errors);
                return;
            }
            (backend, Vec::new())
        }
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut backend_read, mut backend_write) = backend.into_split();
    let upstream = tokio::spawn(async move {
        // After a response said `connection: close`, the backend may refuse these: its answer is
        // still relayed.
        if backend_write.write_all(&pending).await.is_ok() {
            drop(pending);
            let _ = tokio::io::copy(&mut client_read, &mut backend_write).await;
        }
        let _ = backend_write.shutdown().await;
    });
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let read = match backend_read.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let written = timeout_at(
            Instant::now() + wait,
            client_write.write_all(&chunk[..read]),
        );
        if !matches!(written.await, Ok(Ok(()))) {
            break;
        }
    }
    let _ = client_write.shutdown().await;
    upstream.abort();
}

/// Accepts while fewer than `max_connections` client connections are open (each
/// may hold a request's bytes, a hot request's body and a backend connection).
async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, max_connections: usize) {
    let open = Arc::new(Semaphore::new(max_connections));
    loop {
        let Ok(permit) = open.clone().acquire_owned().await else {
            return;
        };
        match listener.accept().await {
            Ok((stream, peer)) => {
                bump(&shared.stats.accepted);
                let shared = shared.clone();
                tokio::spawn(async move {
                    serve(shared, stream, peer).await;
                    drop(permit);
                });
            }
            Err(error) => {
                use std::io::ErrorKind::*;
                // Out of descriptors or memory: wait for some to be released.
                if !matches!(
                    error.kind(),
                    ConnectionAborted | ConnectionReset | Interrupted
                ) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}

// ---------------------------------------------------------------- Python

fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    if value > 0.0 {
        if let Ok(duration) = Duration::try_from_secs_f64(value) {
            // Deadlines are `Instant + duration`, which panics past the clock's range.
            return Ok(duration.min(LONGEST_WAIT));
        }
    }
    Err(PyValueError::new_err(format!(
        "{name} must be a positive number of seconds"
    )))
}

fn canned(errors: &Bound<'_, PyDict>, key: &str) -> PyResult<Canned> {
    let value = errors
        .get_item(key)?
        .ok_or_else(|| PyValueError::new_err(format!("errors lacks {key:?}")))?;
    let (status, body): (u16, Vec<u8>) = value.extract()?;
    check_status(status)?;
    Ok(Canned { status, body })
}

fn check_status(status: u16) -> PyResult<()> {
    if (100..=599).contains(&status) {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "HTTP status {status} is not in 100..599"
        )))
    }
}

/// The native HTTP/1.1 front end: answers single-transaction submissions,
/// forwards or tunnels every other request to the Python server (see the module doc).
#[pyclass(frozen, module = "finchain_native")]
pub struct Front {
    shared: Arc<Shared>,
    runtime: Mutex<Option<Runtime>>,
}

#[pymethods]
impl Front {
    #[new]
    #[pyo3(signature = (
        listen_fd, backend_path, *, max_body, max_inflight, head_timeout, body_timeout,
        body_min_rate, request_timeout, keep_alive, errors, threads = 1,
        max_connections = DEFAULT_MAX_CONNECTIONS
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        listen_fd: i32,
        backend_path: PathBuf,
        max_body: usize,
        max_inflight: usize,
        head_timeout: f64,
        body_timeout: f64,
        body_min_rate: u64,
        request_timeout: f64,
        keep_alive: f64,
        errors: &Bound<'_, PyDict>,
        threads: usize,
        max_connections: usize,
    ) -> PyResult<Self> {
        if listen_fd < 0 {
            return Err(PyValueError::new_err("listen_fd must be a file descriptor"));
        }
        if threads == 0 {
            return Err(PyValueError::new_err("threads must be at least 1"));
        }
        if max_connections == 0 || max_connections > Semaphore::MAX_PERMITS {
            return Err(PyValueError::new_err("max_connections must be at least 1"));
        }
        let config = Config {
            backend: backend_path,
            max_body,
            max_inflight,
            head_timeout: seconds("head_timeout", head_timeout)?,
            body_timeout: seconds("body_timeout", body_timeout)?,
            body_min_rate,
            request_timeout: seconds("request_timeout", request_timeout)?,
            keep_alive: seconds("keep_alive", keep_alive)?,
            reuse_within: reuse_within(seconds("keep_alive", keep_alive)?),
            busy: canned(errors, "busy")?,
            timeout: canned(errors, "timeout")?,
            head_timeout_error: canned(errors, "head_timeout")?,
            body_timeout_error: canned(errors, "body_timeout")?,
        };
        // SAFETY: the descriptor is only borrowed for the duplication; an
        // invalid one makes the duplication fail with EBADF.
        let owned = unsafe { BorrowedFd::borrow_raw(listen_fd) }.try_clone_to_owned()?;
        let listener = std::net::TcpListener::from(owned);
        listener.local_addr()?; // not a socket: raise here rather than in accept
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("finchain-front")
            .enable_io()
            .enable_time()
            .build()?;
        let listener = {
            let _context = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let shared = Arc::new(Shared {
            config,
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            closed: AtomicBool::new(false),
            waiting: Mutex::new(HashMap::new()),
            inflight: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            stats: Stats::default(),
        });
        runtime.spawn(accept_loop(shared.clone(), listener, max_connections));
        Ok(Front {
            shared,
            runtime: Mutex::new(Some(runtime)),
        })
    }

    /// Queued hot requests `(request_id, raw tx)`, at most `max_items`; waits
    /// up to `timeout` seconds for one without the GIL; `[]` on timeout.
    fn next_batch<'py>(
        &self,
        py: Python<'py>,
        max_items: usize,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyList>> {
        let timeout = Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(Duration::MAX);
        let shared = &self.shared;
        let items = py
            .detach(|| shared.take(max_items.max(1), timeout))
            .map_err(|()| PyRuntimeError::new_err("the front is closed"))?;
        let list = PyList::empty(py);
        for (id, raw) in items {
            list.append((id, PyBytes::new(py, &raw)))?;
        }
        Ok(list)
    }

    /// Answers `(request_id, status, JSON body)`; ids no longer waiting are ignored.
    fn respond(&self, py: Python<'_>, answers: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut parsed = Vec::with_capacity(answers.len().unwrap_or(0));
        for item in answers.try_iter()? {
            let item = item?;
            let tuple = item.cast::<PyTuple>()?;
            if tuple.len() != 3 {
                return Err(PyTypeError::new_err(
                    "an answer is (request_id, status, body)",
                ));
            }
            let id: u64 = tuple.get_item(0)?.extract()?;
            let status: u16 = tuple.get_item(1)?.extract()?;
            check_status(status)?;
            let body = tuple.get_item(2)?.cast::<PyBytes>()?.as_bytes().to_vec();
            parsed.push((id, Answer { status, body }));
        }
        let shared = &self.shared;
        py.detach(move || {
            let senders: Vec<_> = {
                let mut waiting = lock(&shared.waiting);
                parsed
                    .into_iter()
                    .filter_map(|(id, answer)| waiting.remove(&id).map(|sender| (sender, answer)))
                    .collect()
            };
            for (sender, answer) in senders {
                let _ = sender.send(answer);
            }
        });
        Ok(())
    }

    /// Stops accepting, closes every connection, makes `next_batch` raise. Idempotent.
    fn close(&self, py: Python<'_>) {
        let shared = &self.shared;
        shared.closed.store(true, Ordering::Release);
        {
            let _queue = lock(&shared.queue);
            shared.ready.notify_all();
        }
        let runtime = lock(&self.runtime).take();
        if let Some(runtime) = runtime {
            py.detach(move || runtime.shutdown_timeout(Duration::from_secs(2)));
        }
        lock(&shared.waiting).clear();
        lock(&shared.queue).clear();
    }

    /// Counters: accepted, hot, tunneled, timeouts, busy, head_timeouts,
    /// body_timeouts, backend_errors, forwarded, backend_connections; gauges:
    /// inflight, queued.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let shared = &self.shared;
        let stats = &shared.stats;
        let dict = PyDict::new(py);
        for (key, counter) in [
            ("accepted", &stats.accepted),
            ("hot", &stats.hot),
            ("tunneled", &stats.tunneled),
            ("timeouts", &stats.timeouts),
            ("busy", &stats.busy),
            ("head_timeouts", &stats.head_timeouts),
            ("body_timeouts", &stats.body_timeouts),
            ("backend_errors", &stats.backend_errors),
            ("forwarded", &stats.forwarded),
            ("backend_connections", &stats.backend_connections),
        ] {
            dict.set_item(key, counter.load(Ordering::Relaxed))?;
        }
        dict.set_item("inflight", shared.inflight.load(Ordering::Relaxed))?;
        dict.set_item("queued", lock(&shared.queue).len())?;
        Ok(dict)
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.ready.notify_all();
        if let Some(runtime) = lock(&self.runtime).take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_bodies() {
        assert_eq!(hot_tx(br#"{"tx":"AAEC"}"#), Some(vec![0, 1, 2]));
        assert_eq!(hot_tx(b" {\r\n\t\"tx\" : \"AA==\" }\n"), Some(vec![0]));
        for body in [
            &br#"{"tx":""}"#[..],
            br#"{"tx":"AA"}"#,
            br#"{"tx":"AB=="}"#,
            br#"{"tx":"AA=A"}"#,
            br#"{"tx":"-_-_"}"#,
            br#"{"tx":"AA\u0041A"}"#,
            br#"{"tx":"AAAA","tx":"AAAA"}"#,
            br#"{"tx":"AAAA","x":1}"#,
            br#"{"tx":"AAAA"}}"#,
            br#"{"tx":"AAAA""#,
            br#"{"t\u0078":"AAAA"}"#,
            br#"["tx","AAAA"]"#,
            b"",
        ] {
            assert_eq!(hot_tx(body), None, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn backend_reuse_window() {
        let ms = Duration::from_millis;
        assert_eq!(reuse_within(ms(5000)), ms(2500));
        assert_eq!(reuse_within(ms(1500)), ms(500));
        assert_eq!(reuse_within(ms(2000)), ms(1000));
        assert_eq!(reuse_within(ms(1000)), ms(500));
        assert_eq!(reuse_within(ms(400)), ms(200));
    }

    #[test]
    fn idempotent_methods() {
        let idempotent = |method: &str| match parse_head(
            format!("{method} /v1/status HTTP/1.1\r\nhost: node\r\n\r\n").as_bytes(),
            100,
        ) {
            Head::Framed(framing) => framing.idempotent,
            _ => panic!("{method} not framed"),
        };
        for method in ["GET", "HEAD", "OPTIONS"] {
            assert!(idempotent(method), "{method}");
        }
        for method in ["POST", "PUT", "DELETE", "PATCH", "get"] {
            assert!(!idempotent(method), "{method}");
        }
    }

    #[test]
    fn heads() {
        let framed = |head: &[u8]| match parse_head(head, 100) {
            Head::Framed(framing) => Some(framing),
            _ => None,
        };
        let hot = |head: &[u8]| framed(head).is_some_and(|framing| framing.hot);
        let base =
            b"POST /v1/txs HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 10\r\n";
        let with = |extra: &[u8]| [&base[..], extra, b"\r\n"].concat();
        assert!(hot(&with(b"")));
        let close = framed(&with(b"Connection: keep-alive, close\r\n")).unwrap();
        assert!(close.hot && close.close && close.body_len == 10 && !close.head_method);
        assert!(matches!(parse_head(base, 100), Head::Partial));
        // Not hot, but delimited: forwarded.
        for head in [
            with(b"").replace_first(b"/v1/txs", b"/v1/txs?mode=commit"),
            with(b"").replace_first(b"json", b"jsonx"),
            with(b"content-type: application/json\r\n"),
            b"GET /v1/status HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
        ] {
            let framing = framed(&head).unwrap();
            assert!(!framing.hot, "{}", String::from_utf8_lossy(&head));
        }
        let get = framed(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        assert!(get.body_len == 0 && !get.close && !get.head_method);
        assert!(framed(b"HEAD / HTTP/1.1\r\n\r\n").unwrap().head_method);
        assert!(!hot(
            &with(b"").replace_first(b"content-length: 10\r\n", b"")
        ));
        let large = format!("content-length: {}\r\n", HOT_MAX_BODY + 1);
        let large = with(b"").replace_first(b"content-length: 10\r\n", large.as_bytes());
        match parse_head(&large, usize::MAX) {
            Head::Framed(framing) => assert!(!framing.hot && framing.body_len == HOT_MAX_BODY + 1),
            _ => panic!("a large body is forwarded"),
        }
        // Not delimited: tunneled.
        for head in [
            with(b"content-length: 10\r\n"),
            with(b"transfer-encoding: chunked\r\n"),
            with(b"expect: 100-continue\r\n"),
            with(b"upgrade: websocket\r\n"),
            with(b"connection: Upgrade\r\n"),
            with(b"").replace_first(b"10", b"+1"),
            with(b"").replace_first(b"10", b"101"),
            with(b"").replace_first(b"HTTP/1.1", b"HTTP/1.0"),
            b"GET / HTTP/1.1\r\nbad line\r\n\r\n".to_vec(),
            // llhttp refuses a bare LF; it treats CONNECT as an upgrade.
            with(b"").replace_first(b"HTTP/1.1\r\n", b"HTTP/1.1\n"),
            with(b"x: y\n"),
            with(b"\n")
                .replace_first(b"\r\n\n", b"\r\n\r\n")
                .replace_first(b"json\r\n", b"json\n"),
            b"CONNECT node:443 HTTP/1.1\r\nhost: node:443\r\n\r\n".to_vec(),
        ] {
            assert!(
                matches!(parse_head(&head, 100), Head::Tunnel),
                "{}",
                String::from_utf8_lossy(&head)
            );
        }
        assert!(hot(
            &with(b"").replace_first(b"/v1/txs", b"/v1/txs?mode=sync")
        ));
    }

    #[test]
    fn responses() {
        let parse = |head: &str| parse_response(head.as_bytes(), false);
        let ok = "HTTP/1.1 200 OK\r\n";
        assert_eq!(
            parse(&format!("{ok}content-length: 5\r\n\r\nhello")),
            ResponseHead::Final {
                head_len: 38,
                body: Body::Length(5)
            }
        );
        assert_eq!(
            parse(&format!(
                "{ok}content-length: 5\r\nContent-Length: 5\r\n\r\n"
            )),
            ResponseHead::Final {
                head_len: 57,
                body: Body::Length(5)
            }
        );
        let chunked = format!("{ok}Transfer-Encoding: gzip, Chunked\r\ncontent-length: 9\r\n\r\n");
        assert_eq!(
            parse(&chunked),
            ResponseHead::Final {
                head_len: chunked.len(),
                body: Body::Chunked
            }
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", true),
            ResponseHead::Final {
                head_len: 38,
                body: Body::Empty
            }
        );
        assert_eq!(
            parse("HTTP/1.1 204 No Content\r\n\r\n"),
            ResponseHead::Final {
                head_len: 27,
                body: Body::Empty
            }
        );
        assert_eq!(
            parse("HTTP/1.1 103 Early Hints\r\nlink: x\r\n\r\n"),
            ResponseHead::Interim(37)
        );
        assert_eq!(
            parse(&format!("{ok}content-length: 5\r\n")),
            ResponseHead::Partial
        );
        for tunnel in [
            format!("{ok}content-type: text/event-stream\r\n\r\n"),
            format!("{ok}content-length: 5\r\nconnection: close\r\n\r\n"),
            format!("{ok}content-length: 5\r\ncontent-length: 6\r\n\r\n"),
            format!("{ok}content-length: -5\r\n\r\n"),
            format!("{ok}transfer-encoding: chunked, gzip\r\n\r\n"),
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n".to_string(),
            "HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\n".to_string(),
            "HTTP/1.1 200 OK\r\nbad line\r\n\r\n".to_string(),
        ] {
            assert_eq!(parse(&tunnel), ResponseHead::Tunnel, "{tunnel}");
        }
    }

    #[test]
    fn chunked_bodies() {
        let body = b"5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
        let whole = body.len() - 4;
        // Byte by byte and at once, the end is found at the same place.
        let mut state = Chunked::Size;
        assert_eq!(chunked_advance(&mut state, body), Ok(whole));
        assert_eq!(state, Chunked::Done);
        let mut state = Chunked::Size;
        let (mut fed, mut framed) = (0, 0);
        while state != Chunked::Done {
            fed += 1;
            framed += chunked_advance(&mut state, &body[framed..fed]).unwrap();
        }
        assert_eq!((framed, fed), (whole, whole));
        for bad in [&b"x\r\n"[..], b"5\r\nhelloXX", b"5\nhello\r\n"] {
            let mut state = Chunked::Size;
            assert_eq!(chunked_advance(&mut state, bad), Err(()), "{bad:?}");
        }
    }

    trait ReplaceFirst {
        fn replace_first(&self, from: &[u8], to: &[u8]) -> Vec<u8>;
    }

    impl ReplaceFirst for [u8] {
        fn replace_first(&self, from: &[u8], to: &[u8]) -> Vec<u8> {
            let at = self.windows(from.len()).position(|w| w == from).unwrap();
            [&self[..at], to, &self[at + from.len()..]].concat()
        }
    }
}
