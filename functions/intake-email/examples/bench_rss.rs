//! The email intake memory benchmark (a command, not a test; `scripts/bench-email` runs it): the
//! real `intake-email` bootstrap, as cargo-lambda builds it, takes in one generated message of
//! about 40 MB from S3 on moto, through the Runtime API stand-in, and its peak RSS (`VmHWM`) is
//! compared with the issue's target of 1.5 x the message size + 16 MiB.
//!
//! Usage: `bench_rss BOOTSTRAP VARIANT [MB]` with `MOTO_URL` set; VARIANT is `text` (one plain
//! text body of the whole size), `held` (one base64 attachment over the 25 MB attachment limit,
//! recorded but not stored) or `stored` (two base64 attachments under it, each stored in S3).
//! The message is built here and put into moto by this process; the figure is the bootstrap's.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_ssm::types::ParameterType;
use lambda_harness::{Launch, Outcome, RuntimeApi};

const TIMEOUT: Duration = Duration::from_secs(300);
const MIB: f64 = 1_048_576.0;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench_rss BOOTSTRAP text|held|stored [MB] (with MOTO_URL set)";
    let bootstrap = PathBuf::from(args.first().ok_or(usage)?);
    let variant = args.get(1).ok_or(usage)?.clone();
    let mb: usize = args.get(2).map_or(Ok(40), |m| m.parse())?;
    let moto = std::env::var("MOTO_URL").map_err(|_| "MOTO_URL is not set (scripts/bench-email starts moto)")?;

    let message = generate(&variant, mb * 1_000_000)?;
    let size = message.len();

    let run = {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
        format!("{}-{}", std::process::id(), nanos % 1_000_000_000)
    };
    let aws = aws_config::defaults(BehaviorVersion::latest())
        .http_client(complaints_aws::https_client(complaints_aws::TrustRoots::Amazon)?)
        .load()
        .await;
    let table = format!("bench-email-{run}");
    complaints_store_dynamodb::create_table(&aws_sdk_dynamodb::Client::new(&aws), &table).await?;
    let ssm = aws_sdk_ssm::Client::new(&aws);
    let (contact_param, reply_param) = (format!("/bench-email/{run}/contact"), format!("/bench-email/{run}/reply"));
    for (name, value) in [(&contact_param, "c".repeat(64)), (&reply_param, "r".repeat(64))] {
        ssm.put_parameter().name(name).value(value).r#type(ParameterType::SecureString).send().await?;
    }
    let domain = format!("bench-{run}.example.org");
    aws_sdk_sesv2::Client::new(&aws).create_email_identity().email_identity(&domain).send().await?;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&aws).force_path_style(true).build());
    let bucket = format!("bench-email-{run}");
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await?;
    let ses_id = format!("bench0{run}");
    s3.put_object().bucket(&bucket).key(format!("inbound/{ses_id}")).body(ByteStream::from(message)).send().await?;

    let mut api = RuntimeApi::start()?;
    let mut launch = Launch::new(&bootstrap)
        .envs(complaints_testkit::moto_process_env(&moto))
        .env("TABLE_NAME", &table)
        .env("SENDER", &format!("complaints@{domain}"))
        .env("ORG_NAME", "Example Council")
        .env("REFERENCE_PREFIX", "EXC")
        .env("CONTACT_KEY_PARAM", &contact_param)
        .env("REPLY_TOKEN_KEY_PARAM", &reply_param)
        .env("MAIL_BUCKET", &bucket)
        .env("MAIL_PREFIX", "inbound/")
        .env("AWS_LAMBDA_LOG_LEVEL", "WARN");
    launch.log = Some(std::env::temp_dir().join(format!("bench-email-{run}.log")));
    let mut process = launch.spawn(&api.address())?;
    let mut alive = || process.is_running();
    api.wait_first_next(TIMEOUT, &mut alive)?;
    let after_init = process_peak(&mut process);

    let event = ses_event(&ses_id, &domain);
    let timed = api.invoke(&event, TIMEOUT, &mut || process.is_running())?;
    let peak = process_peak(&mut process);
    let answer = match timed.value {
        Outcome::Response(body) => String::from_utf8_lossy(&body).into_owned(),
        Outcome::Error(body) => return Err(format!("the function failed: {}", String::from_utf8_lossy(&body)).into()),
    };
    process.stop();

    let size_mib = size as f64 / MIB;
    let target = 1.5 * size_mib + 16.0;
    println!("variant: {variant}; message: {size} bytes ({size_mib:.1} MiB); answer: {answer}");
    println!(
        "bootstrap peak RSS: {:.1} MiB (after init: {:.1} MiB); invoke {:.0} ms; target 1.5 x size + 16 MiB = {target:.1} MiB: {}",
        peak / MIB,
        after_init / MIB,
        timed.elapsed.as_secs_f64() * 1000.0,
        if peak / MIB <= target { "met" } else { "MISSED" }
    );
    Ok(())
}

/// The bootstrap's peak RSS so far, in bytes.
fn process_peak(process: &mut lambda_harness::Bootstrap) -> f64 {
    process.peak_rss_kib().map_or(0.0, |kib| kib as f64 * 1024.0)
}

/// An SES receipt-rule Lambda-action event for the message `ses_id` (no bucket or key in it, as
/// SES sends it: the function finds the message under its configured prefix).
fn ses_event(ses_id: &str, domain: &str) -> Vec<u8> {
    let recipient = format!("complaints@{domain}");
    let verdict = serde_json::json!({"status": "PASS"});
    serde_json::to_vec(&serde_json::json!({"Records": [{
        "eventSource": "aws:ses",
        "eventVersion": "1.0",
        "ses": {
            "mail": {
                "timestamp": "2026-03-02T09:00:01.000Z",
                "source": "jo@example.net",
                "messageId": ses_id,
                "destination": [recipient],
                "headersTruncated": false,
                "headers": [],
                "commonHeaders": {
                    "from": ["Jo Bloggs <jo@example.net>"],
                    "to": [recipient],
                    "messageId": "<bench@mail.example.net>",
                    "subject": "The damp in the flat"
                }
            },
            "receipt": {
                "timestamp": "2026-03-02T09:00:01.000Z",
                "processingTimeMillis": 310,
                "recipients": [recipient],
                "spamVerdict": verdict, "virusVerdict": verdict, "spfVerdict": verdict,
                "dkimVerdict": verdict, "dmarcVerdict": verdict,
                "action": {"type": "Lambda", "functionArn": "arn:aws:lambda:eu-west-2:123456789012:function:intake-email", "invocationType": "Event"}
            }
        }
    }]}))
    .unwrap_or_default()
}

/// A message of about `target` bytes in the given variant.
fn generate(variant: &str, target: usize) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut out = Vec::with_capacity(target + 4096);
    write!(
        out,
        "From: Jo Bloggs <jo@example.net>\r\nTo: complaints@example.org\r\nSubject: The damp in the flat\r\n\
Message-ID: <bench.{variant}.{target}@mail.example.net>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    )?;
    match variant {
        "text" => {
            // One plain-text body, 8-bit UTF-8 with a non-ASCII letter on every line.
            write!(out, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")?;
            let line = "The damp in the bedroom is back and the mould has spread to the café wall again.\r\n";
            while out.len() + line.len() < target {
                out.extend_from_slice(line.as_bytes());
            }
        }
        "held" | "stored" => {
            write!(
                out,
                "Content-Type: multipart/mixed; boundary=BOUNDARY\r\n\r\n--BOUNDARY\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nThe flat is damp; the photos are attached.\r\n"
            )?;
            let parts = if variant == "stored" { 2 } else { 1 };
            let per_part = target.saturating_sub(out.len() + 600) / parts;
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let line: Vec<u8> = (0..76).map(|i| alphabet[(i * 7) % 64]).collect();
            for part in 0..parts {
                write!(
                    out,
                    "--BOUNDARY\r\nContent-Type: image/jpeg; name=\"photo{part}.jpg\"\r\n\
Content-Disposition: attachment; filename=\"photo{part}.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                )?;
                for _ in 0..per_part / 78 {
                    out.extend_from_slice(&line);
                    out.extend_from_slice(b"\r\n");
                }
            }
            out.extend_from_slice(b"--BOUNDARY--\r\n");
        }
        other => return Err(format!("unknown variant {other} (text, held or stored)").into()),
    }
    Ok(out)
}
