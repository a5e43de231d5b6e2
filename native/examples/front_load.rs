//! A tiny load generator for `finchain_native.Front`'s hot path (not part of the extension).
//!
//! Many kept-alive connections, each sending one `POST /v1/txs` with a
//! `{"tx":"<base64>"}` body and waiting for its answer before the next:
//!
//!     cargo run --release --example front_load -- 127.0.0.1:PORT [connections] [seconds] [tx bytes]
//!
//! Prints requests/s, the answers' status counts and latency percentiles. The
//! Python side (a Front with an instant responder) is the caller's.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn request(tx_len: usize, n: usize) -> Vec<u8> {
    use base64::Engine as _;
    let tx: Vec<u8> = (0..tx_len).map(|i| (i + n) as u8).collect();
    let body = format!(
        "{{\"tx\":\"{}\"}}",
        base64::engine::general_purpose::STANDARD.encode(tx)
    );
    format!(
        "POST /v1/txs HTTP/1.1\r\nhost: node\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
        body.len(),
        body
    )
    .into_bytes()
}

/// Reads one response; returns its status.
async fn response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<u16> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).ok()?;
            let status: u16 = head.get(9..12)?.parse().ok()?;
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            let total = end + 4 + length;
            while buf.len() < total {
                if stream.read_buf(buf).await.ok()? == 0 {
                    return None;
                }
            }
            buf.drain(..total);
            return Some(status);
        }
        if stream.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}

async fn client(
    addr: String,
    until: Instant,
    tx_len: usize,
    seed: usize,
) -> (Vec<u32>, BTreeMap<u16, u64>) {
    let mut latencies = Vec::new();
    let mut statuses = BTreeMap::new();
    let Ok(mut stream) = TcpStream::connect(&addr).await else {
        return (latencies, statuses);
    };
    let _ = stream.set_nodelay(true);
    let payload = request(tx_len, seed);
    let mut buf = Vec::with_capacity(4096);
    while Instant::now() < until {
        let sent = Instant::now();
        if stream.write_all(&payload).await.is_err() {
            break;
        }
        let Some(status) = response(&mut stream, &mut buf).await else {
            break;
        };
        latencies.push(sent.elapsed().as_micros() as u32);
        *statuses.entry(status).or_insert(0) += 1;
    }
    (latencies, statuses)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let addr = args
        .get(1)
        .cloned()
        .expect("usage: front_load HOST:PORT [connections] [seconds] [tx bytes]");
    let connections: usize = args.get(2).map_or(64, |v| v.parse().unwrap());
    let seconds: f64 = args.get(3).map_or(5.0, |v| v.parse().unwrap());
    let tx_len: usize = args.get(4).map_or(150, |v| v.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|n| tokio::spawn(client(addr.clone(), until, tx_len, n)))
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        results
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies: Vec<u32> = results
        .iter()
        .flat_map(|(l, _)| l.iter().copied())
        .collect();
    let mut statuses = BTreeMap::new();
    for (_, s) in &results {
        for (k, v) in s {
            *statuses.entry(*k).or_insert(0u64) += v;
        }
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "requests={} elapsed={:.2}s rps={:.0} statuses={:?} p50={}us p99={}us max={}us",
        latencies.len(),
        elapsed,
        latencies.len() as f64 / elapsed,
        statuses,
        pct(0.5),
        pct(0.99),
        latencies.last().copied().unwrap_or(0)
    );
}
