//! Open-loop load at a fixed rate, for the API benchmark (`tests/bench/api.sh`). CONNECTIONS keep-alive connections
//! each send on their own schedule (RATE / CONNECTIONS a second, staggered), so the server is offered RATE requests
//! a second whatever its latency. Latency counts from when a request was due, not from when it was sent: a request
//! that waited behind a slow one counts its wait (no coordinated omission; wrk2's model). wrk, which api.sh also
//! runs, measures the other thing: 64 clients that send again as soon as they are answered (the most requests/s).
//!
//! `cargo run --release --example load -- URL RATE SECONDS survey|comment|comment-nokey RUN_NAME [CONNECTIONS=64]`
//!
//! Each request carries an idempotency key the way the site's script makes one (a UUID version 7: the time first,
//! then random bits), except `comment-nokey`: a client without script, whose key the server derives from the
//! client and the text (a hash: random, so each one lands on a random page of the key index).
//!
//! Prints one line: `RESULT requests=… seconds=… rps=… p50_ms=… p90_ms=… p99_ms=… p999_ms=… max_ms=… non2xx=…
//! socket_errors=… late_ms=…` (`late_ms`: the median of how late the timer woke an idle connection, not counted in latencies).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// What one connection saw.
#[derive(Default)]
struct Seen {
    latencies: Vec<Duration>,
    late: Vec<Duration>,
    non2xx: usize,
    socket_errors: usize,
}

/// What is sent.
#[derive(Clone, Copy)]
enum Kind {
    Survey,
    Comment,
    CommentWithoutKey,
}

impl Kind {
    fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "survey" => Kind::Survey,
            "comment" => Kind::Comment,
            "comment-nokey" => Kind::CommentWithoutKey,
            other => bail!("unknown kind `{other}`: survey, comment or comment-nokey"),
        })
    }
}

/// Where and what to send.
struct Target {
    /// `host:port`, connected to and sent as the `Host` header.
    authority: String,
    path: String,
    kind: Kind,
    run: String,
}

/// A key as the site's script makes it: 48 bits of milliseconds, then random bits, in a UUID's shape.
fn browser_key() -> String {
    let hex = format!("{:032x}", u128::from(ulid::Ulid::new()));
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// A survey response along one path of sipas-dich-vu-cong, as post.lua sends it.
const SURVEY: &str =
    r#"{"version":"1","unit":"tinh-thanh-hoa","q1":"truc-tuyen","q3":"4","q4":"tre-hen","q5":"3","q6":"5"}"#;

impl Target {
    /// Request `n` of connection `connection`: each one different (its own idempotency key or comment text).
    fn request(&self, connection: usize, n: usize) -> Result<Request<Full<Bytes>>> {
        let builder =
            Request::post(&self.path).header("host", &self.authority).header("content-type", "application/json");
        let comment = || {
            let text = format!("Góp ý đo hiệu năng (tải đều) số {}-{connection}-{n}", self.run);
            serde_json::json!({ "email": "do-hieu-nang@vidu.vn", "text": text }).to_string()
        };
        let (builder, body) = match self.kind {
            Kind::Survey => (builder.header("idempotency-key", browser_key()), SURVEY.to_string()),
            Kind::Comment => (builder.header("idempotency-key", browser_key()), comment()),
            Kind::CommentWithoutKey => (builder, comment()),
        };
        Ok(builder.body(Full::new(Bytes::from(body)))?)
    }
}

/// One keep-alive connection sending a request every `interval` from `start` until `end`.
async fn connection(target: &Target, index: usize, interval: Duration, start: Instant, end: Instant) -> Result<Seen> {
    let stream =
        TcpStream::connect(&target.authority).await.with_context(|| format!("connect {}", target.authority))?;
    stream.set_nodelay(true)?;
    let (mut sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(driver);
    let mut seen = Seen::default();
    let mut due = start;
    let mut n = 0;
    while due < end {
        // From when the request was due, or, if the connection was idle, from when its timer woke it: a timer
        // fires up to a millisecond late, which is the client's delay, not the server's.
        let mut from = due;
        if due > Instant::now() {
            tokio::time::sleep_until(due).await;
            from = Instant::now();
            seen.late.push(from - due);
        }
        let answered = match sender.ready().await {
            Ok(()) => sender.send_request(target.request(index, n)?).await,
            Err(e) => Err(e),
        };
        match answered {
            Ok(response) => {
                if !response.status().is_success() {
                    seen.non2xx += 1;
                }
                if response.into_body().collect().await.is_err() {
                    seen.socket_errors += 1;
                }
            }
            Err(_) => seen.socket_errors += 1,
        }
        seen.latencies.push(Instant::now() - from);
        due += interval;
        n += 1;
    }
    Ok(seen)
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// The `q` quantile of sorted latencies.
fn at(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64) * q) as usize;
    sorted.get(i.min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, rate, seconds, kind, run, rest @ ..] = args.as_slice() else {
        bail!("usage: load URL RATE SECONDS survey|comment|comment-nokey RUN_NAME [CONNECTIONS]");
    };
    let rate: f64 = rate.parse().context("RATE")?;
    let seconds: f64 = seconds.parse().context("SECONDS")?;
    let connections: usize = rest.first().map(|c| c.parse()).transpose().context("CONNECTIONS")?.unwrap_or(64);
    if !(rate > 0.0 && seconds > 0.0 && connections > 0) {
        bail!("RATE, SECONDS and CONNECTIONS must be positive");
    }
    let uri: hyper::Uri = url.parse().context("URL")?;
    let authority = uri.authority().context("URL without a host")?.to_string();
    let target = std::sync::Arc::new(Target {
        authority,
        path: uri.path().to_string(),
        kind: Kind::parse(kind)?,
        run: run.clone(),
    });
    let interval = Duration::from_secs_f64(connections as f64 / rate);
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|i| {
            let target = target.clone();
            let first = start + interval.mul_f64(i as f64 / connections as f64);
            tokio::spawn(async move { connection(&target, i, interval, first, end).await })
        })
        .collect();
    let mut all = Seen::default();
    for task in tasks {
        let seen = task.await??;
        all.latencies.extend(seen.latencies);
        all.late.extend(seen.late);
        all.non2xx += seen.non2xx;
        all.socket_errors += seen.socket_errors;
    }
    let took = start.elapsed().as_secs_f64();
    all.latencies.sort();
    all.late.sort();
    let l = &all.latencies;
    println!(
        "RESULT requests={} seconds={took:.2} rps={:.0} p50_ms={} p90_ms={} p99_ms={} p999_ms={} max_ms={} non2xx={} socket_errors={} late_ms={}",
        l.len(),
        l.len() as f64 / took,
        ms(at(l, 0.5)),
        ms(at(l, 0.9)),
        ms(at(l, 0.99)),
        ms(at(l, 0.999)),
        ms(l.last().copied().unwrap_or_default()),
        all.non2xx,
        all.socket_errors,
        ms(at(&all.late, 0.5)),
    );
    Ok(())
}
