//! The stand-in speaks the Runtime API the way the runtime client uses it: long-poll for the
//! next event on a keep-alive connection, then post the response or the error for its id.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use lambda_harness::{HarnessError, Outcome, RuntimeApi};

const TIMEOUT: Duration = Duration::from_secs(10);

/// One request on `stream`; returns (status, request id header, body).
fn exchange(stream: &mut BufReader<TcpStream>, head: &str, body: &[u8]) -> (u16, Option<String>, Vec<u8>) {
    let request = format!("{head}\r\nhost: x\r\ncontent-length: {}\r\n\r\n", body.len());
    stream.get_mut().write_all(request.as_bytes()).unwrap();
    stream.get_mut().write_all(body).unwrap();
    let mut status_line = String::new();
    stream.read_line(&mut status_line).unwrap();
    let status = status_line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let (mut length, mut id) = (0, None);
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap(),
            "lambda-runtime-aws-request-id" => id = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    (status, id, body)
}

/// A fake function: takes `n` events on one connection and answers each with `f(event)`.
fn fake_runtime(address: String, n: usize, answer: fn(&[u8]) -> (&'static str, Vec<u8>)) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut stream = BufReader::new(TcpStream::connect(address).unwrap());
        for _ in 0..n {
            let (status, id, event) = exchange(&mut stream, "GET /2018-06-01/runtime/invocation/next HTTP/1.1", b"");
            assert_eq!(status, 200);
            let (kind, body) = answer(&event);
            let head = format!("POST /2018-06-01/runtime/invocation/{}/{kind} HTTP/1.1", id.unwrap());
            assert_eq!(exchange(&mut stream, &head, &body).0, 202);
        }
    })
}

#[test]
fn queued_events_are_handed_out_in_order_and_their_answers_returned() {
    let mut api = RuntimeApi::start().unwrap();
    let runtime = fake_runtime(api.address(), 3, |event| {
        if event == b"\"fail\"" { ("error", b"{\"errorType\":\"x\"}".to_vec()) } else { ("response", event.to_vec()) }
    });

    api.wait_first_next(TIMEOUT, &mut || true).unwrap();
    let first = api.invoke(b"{\"n\":1}", TIMEOUT, &mut || true).unwrap();
    let second = api.invoke(b"{\"n\":2}", TIMEOUT, &mut || true).unwrap();
    let failed = api.invoke(b"\"fail\"", TIMEOUT, &mut || true).unwrap();

    assert_eq!(first.value, Outcome::Response(b"{\"n\":1}".to_vec()));
    assert_eq!(second.value, Outcome::Response(b"{\"n\":2}".to_vec()));
    assert_eq!(failed.value, Outcome::Error(b"{\"errorType\":\"x\"}".to_vec()));
    assert!(first.elapsed < TIMEOUT);
    runtime.join().unwrap();
}

#[test]
fn waiting_stops_when_the_process_is_gone_or_time_is_up() {
    let mut api = RuntimeApi::start().unwrap();

    let exited = api.wait_first_next(TIMEOUT, &mut || false);
    let timed_out = api.invoke(b"{}", Duration::from_millis(50), &mut || true);

    assert!(matches!(exited, Err(HarnessError::Exited)), "{exited:?}");
    assert!(matches!(timed_out, Err(HarnessError::TimedOut(_))), "{timed_out:?}");
}
