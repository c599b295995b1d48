//! `complaints scan`: the breach scan on the local store, as at now or `--at`, printing the digests
//! it writes and delivering them to the mail folder; and the schedule `complaints serve` runs it
//! on (08:00 and 13:00 Europe/London, Monday to Friday; the scan itself skips holidays).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Datelike, Days, NaiveTime, TimeZone, Utc, Weekday};
use clap::Args;
use complaints_app::alert_store::AlertStore;
use complaints_app::breach_scan::{BreachScan, ScanError, ScanReport};
use complaints_app::outbound::{Delivery, SweepReport};
use complaints_app::ports::{CaseStore, FixedClock, Mailer};
use complaints_app::staff_directory::{DirectoryMap, StaffDirectory};
use complaints_app::users::UsersFile;
use complaints_core::config::OrgConfig;
use complaints_core::workdays::ORGANISATION_TIME_ZONE;
use complaints_mail_folder::MailFolder;
use complaints_store_sqlite::SqliteCaseStore;

use crate::serve::{DATABASE_FILE, MAIL_DIR, init_tracing, load_config};

/// The local times of day the scan runs (Europe/London), as the AWS schedule does.
pub const SCAN_TIMES: [(u32, u32); 2] = [(8, 0), (13, 0)];

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Run as at this instant (RFC 3339, e.g. 2026-04-07T07:00:00Z); default now.
    #[arg(long)]
    pub at: Option<DateTime<Utc>>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// The data directory `complaints serve` uses.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Organisation configuration (TOML); the built-in one is used when absent.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

pub fn run(args: ScanArgs) -> ExitCode {
    init_tracing();
    match scan(&args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("complaints: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn scan(args: &ScanArgs) -> anyhow::Result<String> {
    let config = load_config(args.config.as_deref())?;
    let database = args.data_dir.join(DATABASE_FILE);
    anyhow::ensure!(
        database.exists(),
        "there is no case store at {} (run `complaints serve` first)",
        database.display()
    );
    let at = args.at.unwrap_or_else(Utc::now);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("no async runtime")?;
    runtime.block_on(async {
        let store = Arc::new(
            SqliteCaseStore::open(&database).with_context(|| format!("could not open {}", database.display()))?,
        );
        let mailer: Arc<dyn Mailer> = Arc::new(MailFolder::new(args.data_dir.join(MAIL_DIR)));
        let report = run_once(store.clone(), store, mailer, Arc::new(config), &args.data_dir, at).await?;
        if args.json { Ok(format!("{}\n", serde_json::to_string_pretty(&report)?)) } else { Ok(as_text(&report)) }
    })
}

/// One scan as at `at`, then delivery of what it wrote. A partly failed scan still delivers
/// what it wrote and reports the failure.
async fn run_once(
    cases: Arc<dyn CaseStore>,
    alerts: Arc<dyn AlertStore>,
    mailer: Arc<dyn Mailer>,
    config: Arc<OrgConfig>,
    data_dir: &Path,
    at: DateTime<Utc>,
) -> anyhow::Result<ScanReport> {
    let mut scan = BreachScan::new(Arc::clone(&cases), alerts, config);
    // Handlers' addresses from the users file (`complaints users add NAME --email …`), read at
    // each run so a user added meanwhile counts; `[alerts] handlers` answers for the rest.
    let users = UsersFile::load(data_dir).context("could not read the users file")?;
    let directory: Arc<dyn StaffDirectory> = Arc::new(DirectoryMap::from_users(&users));
    scan = scan.with_directory(directory);
    let outcome = scan.run(at).await;
    // The digests are dated `at`: deliver as at the later of `at` and now.
    let delivery = Delivery::new(cases, mailer, Arc::new(FixedClock(at.max(Utc::now()))));
    let swept = delivery.sweep().await.context("could not deliver the digests")?;
    if let Some(notice) = held_notice(&swept) {
        eprintln!("complaints: {notice}");
    }
    match outcome {
        Ok(report) => Ok(report),
        Err(ScanError::Incomplete { report, .. }) => {
            eprintln!("complaints: some alert batches or digests could not be written; the next run sends them");
            Ok(*report)
        }
        Err(error) => Err(error).context("the breach scan failed"),
    }
}

/// What to say when the sweep found messages claimed by a delivery that never finished (a run
/// stopped between claiming a digest and writing it): they stay pending under the claim's lease
/// and the first sweep after it delivers them, once.
fn held_notice(swept: &SweepReport) -> Option<String> {
    (swept.skipped > 0).then(|| {
        format!(
            "{} message(s) are held by a delivery that did not finish (a stopped run); the next scan or `complaints serve` delivers them once its one-minute claim has passed",
            swept.skipped
        )
    })
}

fn as_text(report: &ScanReport) -> String {
    let date = report.date.map_or_else(|| "?".to_owned(), |d| d.to_string());
    if !report.working_day {
        return format!("Breach scan {date}: not a working day of the organisation's calendar; nothing sent.\n");
    }
    let mut out = format!(
        "Breach scan {date}: {} open case(s) read, {} alert(s) sent, {} already sent, {} digest(s), {} case(s) recomputed.\n",
        report.cases_read,
        report.alerts.len(),
        report.already_sent,
        report.digests.len(),
        report.recomputed
    );
    if report.full_pass {
        out.push_str("Every open case was read: the calendar or the alert levels changed since the last run.\n");
    }
    for digest in &report.digests {
        let recovered = if digest.recovered { " (left by an earlier run that stopped)" } else { "" };
        out.push_str(&format!("\nTo: {}{recovered}\nSubject: {}\n", digest.to, digest.subject));
        for line in &digest.lines {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

/// The next scheduled run strictly after `now`: 08:00 or 13:00 Europe/London, Monday to Friday.
#[must_use]
pub fn next_run_after(now: DateTime<Utc>) -> DateTime<Utc> {
    let local_today = now.with_timezone(&ORGANISATION_TIME_ZONE).date_naive();
    for offset in 0..8 {
        let Some(day) = local_today.checked_add_days(Days::new(offset)) else { break };
        if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            continue;
        }
        for (hour, minute) in SCAN_TIMES {
            let Some(time) = NaiveTime::from_hms_opt(hour, minute, 0) else { continue };
            let Some(local) = ORGANISATION_TIME_ZONE.from_local_datetime(&day.and_time(time)).earliest() else {
                continue;
            };
            let at = local.with_timezone(&Utc);
            if at > now {
                return at;
            }
        }
    }
    now + chrono::Duration::hours(12)
}

/// Runs the scan at every scheduled time while `serve` runs (a failure is logged; the next run
/// picks up what was left).
pub async fn scheduled(
    store: Arc<SqliteCaseStore>,
    mailer: Arc<dyn Mailer>,
    config: Arc<OrgConfig>,
    data_dir: PathBuf,
) {
    loop {
        let now = Utc::now();
        let next = next_run_after(now);
        let wait = (next - now).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        let result =
            run_once(store.clone(), store.clone(), Arc::clone(&mailer), Arc::clone(&config), &data_dir, next).await;
        if let Err(error) = result {
            tracing::error!(error = %format!("{error:#}"), "breach scan failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("instant")
    }

    /// Found by killing `complaints scan` with SIGKILL at random moments (docs/breach-scan.md):
    /// a run killed after claiming a digest for delivery and before writing it leaves the digest
    /// pending under the claim; the next scan within the claim's minute says so and leaves it,
    /// and the first scan after it delivers it, once.
    #[tokio::test]
    async fn a_digest_claimed_by_a_killed_run_is_reported_held_and_delivered_once_after_the_claim() {
        use complaints_app::ports::NewCase;
        use complaints_core::case::{Case, Rules};
        use complaints_core::complaint::Channel;
        use complaints_core::reference::CaseRef;
        use complaints_core::timeline::Actor;

        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(SqliteCaseStore::open(dir.path().join(DATABASE_FILE)).expect("store"));
        let config =
            Arc::new(OrgConfig::from_toml_str("[alerts]\nteam_mailbox = \"team@example.org\"\n").expect("config"));
        let calendar = config.calendar();
        let rules = Rules { calendar: &calendar, policy: &config.procedure };
        // Received Mon 16 Mar 2026: overdue by Tue 7 Apr.
        let complaint = complaints_app::testing::sample_complaint(Channel::WebForm, None);
        let reference = CaseRef::new("CMP", 2026, 0).expect("prefix");
        let (case, events) = Case::open(
            reference,
            complaint,
            utc("2026-03-16T10:00:00Z"),
            "Team".to_owned(),
            None,
            rules,
            Actor::System,
        );
        store.create(NewCase { case, events, source_key: None, mail: None }).await.expect("create");

        // The killed run: its digest is written, then claimed for delivery, and the process dies.
        let killed = BreachScan::new(store.clone(), store.clone(), Arc::clone(&config));
        let report = killed.run(utc("2026-04-07T07:00:00Z")).await.expect("scan");
        let [digest] = report.digests.as_slice() else { panic!("one digest: {:?}", report.digests) };
        let now = Utc::now();
        let claimed = store.claim_message(&digest.message_id, now, now + chrono::Duration::minutes(1)).await;
        assert!(claimed.expect("claim").is_some(), "the killed run held the digest");

        let folder = MailFolder::new(dir.path().join(MAIL_DIR));
        let mailer: Arc<dyn Mailer> = Arc::new(folder.clone());
        let files = || std::fs::read_dir(folder.dir()).map(|d| d.count()).unwrap_or(0);
        let at = utc("2026-04-07T12:00:00Z");
        let swept = Delivery::new(store.clone(), Arc::clone(&mailer), Arc::new(FixedClock(now))).sweep().await;
        let swept = swept.expect("sweep");
        assert_eq!(swept.skipped, 1, "within the claim the digest is left alone");
        assert!(held_notice(&swept).is_some_and(|n| n.starts_with("1 message(s) are held")));
        assert_eq!(files(), 0);

        // After the claim (a scan scheduled two minutes from now sweeps as at then).
        let later = now + chrono::Duration::minutes(2);
        let report =
            run_once(store.clone(), store.clone(), Arc::clone(&mailer), config, dir.path(), later.max(at)).await;
        assert!(report.expect("scan").alerts.is_empty(), "no alert is sent again");
        assert_eq!(files(), 1, "the held digest is delivered, once");
        assert!(held_notice(&SweepReport::default()).is_none());
    }

    #[test]
    fn the_schedule_runs_at_eight_and_one_london_time_on_weekdays() {
        // Tue 7 Apr 2026 is BST: 08:00 local is 07:00 UTC.
        assert_eq!(next_run_after(utc("2026-04-07T06:59:00Z")), utc("2026-04-07T07:00:00Z"));
        assert_eq!(next_run_after(utc("2026-04-07T07:00:00Z")), utc("2026-04-07T12:00:00Z"));
        // Friday afternoon → Monday morning; in winter (GMT) 08:00 is 08:00 UTC.
        assert_eq!(next_run_after(utc("2026-12-04T14:00:00Z")), utc("2026-12-07T08:00:00Z"));
    }
}
