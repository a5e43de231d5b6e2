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
//!   exactly one `content-length` of digits only and at most `max_body`, and
//!   no `transfer-encoding`, `expect` or `upgrade` header;
//! - the body is `{"tx":"…"}` (JSON whitespace allowed around the tokens, the
//!   key spelled literally, no other member) and the string is non-empty
//!   canonical padded standard base64 with no escape.
//!
//! Anything else switches the connection to TUNNEL mode for the rest of its
//! life: a PROXY protocol v1 line naming the client, then every byte read and
//! not yet answered (a partial head or body included), then both directions
//! are copied between the client and the Python server's unix socket. The
//! Python server thus answers malformed requests, other routes and modes,
//! event streams and oversized heads or bodies with its own JSON errors.
//!
//! Deadlines: the head must complete within `head_timeout` of its first byte
//! (of the accept for a connection's first request): 408 and close if some of
//! it arrived, silent close if nothing did; the body within `body_timeout`
//! plus one second per `body_min_rate` bytes received (408 and close); Python
//! must answer within `request_timeout` (504, the connection stays usable);
//! an idle kept-alive connection is closed after `keep_alive`. At most
//! `max_inflight` hot requests wait for Python at once; the next ones get
//! 429 with `retry-after: 1` at once.
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
use tokio::sync::oneshot;
use tokio::time::{timeout_at, Instant};

/// The request line and headers of a hot request must fit in this many bytes
/// (the Python server's own bound; a longer head is tunneled for it to refuse).
const MAX_HEAD: usize = 16 * 1024;
/// More header lines than this cannot be a hot request (httparse refuses them:
/// the request is tunneled).
const MAX_HEADERS: usize = 64;
/// Reads ask for at least this much free buffer.
const READ_CHUNK: usize = 8 * 1024;
/// A connection's read buffer is shrunk back after a request that grew it beyond this.
const MAX_KEPT_BUFFER: usize = 64 * 1024;
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
    /// Not a hot request: the connection is tunneled from this request on.
    Tunnel,
    /// A hot request's head: its length, the body's length, `connection: close`.
    Hot {
        head_len: usize,
        body_len: usize,
        close: bool,
    },
}

fn parse_head(buf: &[u8], max_body: usize) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let head_len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => len,
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => return Head::Partial,
        _ => return Head::Tunnel,
    };
    if request.version != Some(1) || request.method != Some("POST") {
        return Head::Tunnel;
    }
    let target = request.path.unwrap_or("").as_bytes();
    let hot_target = match target.iter().position(|&byte| byte == b'?') {
        None => target == HOT_PATH,
        Some(at) => &target[..at] == HOT_PATH && HOT_QUERIES.contains(&&target[at + 1..]),
    };
    if !hot_target {
        return Head::Tunnel;
    }
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
            if content_type > 0 || !media.trim_ascii().eq_ignore_ascii_case(b"application/json") {
                return Head::Tunnel;
            }
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
            close |= header
                .value
                .split(|&byte| byte == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
        }
    }
    match body_len {
        Some(body_len) if content_type == 1 => Head::Hot {
            head_len,
            body_len,
            close,
        },
        _ => Head::Tunnel,
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

async fn serve(shared: Arc<Shared>, mut stream: TcpStream, peer: SocketAddr) {
    let accepted = Instant::now();
    let config = &shared.config;
    let _ = stream.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut out: Vec<u8> = Vec::with_capacity(512);
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
        let (head_len, body_len, close) = loop {
            match parse_head(&buf, config.max_body) {
                Head::Partial => {}
                Head::Tunnel => return tunnel(&shared, stream, buf, peer).await,
                Head::Hot {
                    head_len,
                    body_len,
                    close,
                } => break (head_len, body_len, close),
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
        let end = head_len + body_len;
        if buf.len() < end {
            // The buffer grows as the body arrives: a declared length reserves nothing.
            let body_start = Instant::now();
            while buf.len() < end {
                let received = (buf.len() - head_len) as u64;
                let mut deadline = body_start + config.body_timeout;
                if config.body_min_rate > 0 {
                    deadline +=
                        Duration::from_secs_f64(received as f64 / config.body_min_rate as f64);
                }
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
        let Some(raw) = hot_tx(&buf[head_len..end]) else {
            return tunnel(&shared, stream, buf, peer).await;
        };
        buf.drain(..end);
        if buf.capacity() > MAX_KEPT_BUFFER && buf.len() <= READ_CHUNK {
            buf.shrink_to(READ_CHUNK);
        }

        if shared.inflight.fetch_add(1, Ordering::AcqRel) >= config.max_inflight {
            shared.inflight.fetch_sub(1, Ordering::AcqRel);
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
            shared.inflight.fetch_sub(1, Ordering::AcqRel);
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

/// Hands the connection to the Python server: PROXY line, the unanswered bytes, then both ways.
///
/// The tunnel ends when the server's side ends (its answers are all written,
/// then the client is closed); the client's end of input is passed on as a
/// half-close, so a client that shuts its writing side still gets its answer.
async fn tunnel(shared: &Shared, client: TcpStream, buf: Vec<u8>, peer: SocketAddr) {
    bump(&shared.stats.tunneled);
    let mut preface = proxy_line(peer, client.local_addr().ok());
    let mut backend = match UnixStream::connect(&shared.config.backend).await {
        Ok(backend) => backend,
        Err(_) => {
            bump(&shared.stats.backend_errors);
            return;
        }
    };
    preface.extend_from_slice(&buf);
    drop(buf);
    if backend.write_all(&preface).await.is_err() {
        bump(&shared.stats.backend_errors);
        return;
    }
    drop(preface);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut backend_read, mut backend_write) = backend.into_split();
    let upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut backend_write).await;
        let _ = backend_write.shutdown().await;
    });
    let _ = tokio::io::copy(&mut backend_read, &mut client_write).await;
    let _ = client_write.shutdown().await;
    upstream.abort();
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                bump(&shared.stats.accepted);
                tokio::spawn(serve(shared.clone(), stream, peer));
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
            return Ok(duration);
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
/// tunnels every other connection to the Python server (see the module doc).
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
        body_min_rate, request_timeout, keep_alive, errors, threads = 1
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
    ) -> PyResult<Self> {
        if listen_fd < 0 {
            return Err(PyValueError::new_err("listen_fd must be a file descriptor"));
        }
        if threads == 0 {
            return Err(PyValueError::new_err("threads must be at least 1"));
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
        runtime.spawn(accept_loop(shared.clone(), listener));
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
    /// body_timeouts, backend_errors; gauges: inflight, queued.
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
    fn heads() {
        let hot = |head: &[u8]| matches!(parse_head(head, 100), Head::Hot { .. });
        let base =
            b"POST /v1/txs HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 10\r\n";
        let with = |extra: &[u8]| [&base[..], extra, b"\r\n"].concat();
        assert!(hot(&with(b"")));
        assert!(matches!(
            parse_head(&with(b"Connection: keep-alive, close\r\n"), 100),
            Head::Hot {
                body_len: 10,
                close: true,
                ..
            }
        ));
        assert!(matches!(parse_head(base, 100), Head::Partial));
        assert!(!hot(&with(b"content-length: 10\r\n")));
        assert!(!hot(&with(b"transfer-encoding: chunked\r\n")));
        assert!(!hot(&with(b"expect: 100-continue\r\n")));
        assert!(!hot(&with(b"upgrade: websocket\r\n")));
        assert!(!hot(&with(b"").replace_first(b"10", b"+1")));
        assert!(!hot(&with(b"").replace_first(b"10", b"101")));
        assert!(!hot(
            &with(b"").replace_first(b"/v1/txs", b"/v1/txs?mode=commit")
        ));
        assert!(hot(
            &with(b"").replace_first(b"/v1/txs", b"/v1/txs?mode=sync")
        ));
        assert!(!hot(&with(b"").replace_first(b"HTTP/1.1", b"HTTP/1.0")));
        assert!(!hot(&with(b"").replace_first(b"json", b"jsonx")));
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
