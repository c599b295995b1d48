//! Starting a `bootstrap` the way Lambda does (its reserved environment variables, a fixed
//! working directory) and reading its peak memory before stopping it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// A running function process.
#[derive(Debug)]
pub struct Bootstrap {
    child: Child,
    /// When `spawn` was called: the start of the init phase.
    pub started: Instant,
}

/// How to start a function: the binary and its environment on top of Lambda's own variables.
#[derive(Debug, Clone)]
pub struct Launch {
    pub binary: PathBuf,
    pub env: BTreeMap<String, String>,
    /// Where the function's stdout and stderr go; `None` discards them.
    pub log: Option<PathBuf>,
    /// A command to run the binary under (e.g. `valgrind --tool=callgrind …`); empty for none.
    pub wrapper: Vec<String>,
}

impl Launch {
    #[must_use]
    pub fn new(binary: &Path) -> Self {
        Self { binary: binary.to_path_buf(), env: BTreeMap::new(), log: None, wrapper: Vec::new() }
    }

    /// Sets one variable for the function.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Sets each of `vars` for the function.
    #[must_use]
    pub fn envs<K: AsRef<str>, V: AsRef<str>>(self, vars: impl IntoIterator<Item = (K, V)>) -> Self {
        vars.into_iter().fold(self, |launch, (key, value)| launch.env(key.as_ref(), value.as_ref()))
    }

    /// Starts the binary against the Runtime API at `runtime_api` (host:port). The process gets
    /// only Lambda's variables, `PATH` and the ones set here, so the caller's shell cannot leak in.
    ///
    /// # Errors
    /// When the binary cannot be started or the log file cannot be created.
    pub fn spawn(&self, runtime_api: &str) -> std::io::Result<Bootstrap> {
        let mut command = match self.wrapper.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&self.binary);
                command
            }
            None => Command::new(&self.binary),
        };
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "local")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/local")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(&self.env)
            .stdin(Stdio::null());
        match &self.log {
            Some(path) => {
                let out = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
                let err = out.try_clone()?;
                command.stdout(out).stderr(err);
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        let started = Instant::now();
        let child = command.spawn()?;
        Ok(Bootstrap { child, started })
    }
}

impl Bootstrap {
    /// The process id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The exit status, if the process has exited.
    pub fn exit_code(&mut self) -> Option<i32> {
        self.child.try_wait().ok().flatten().and_then(|status| status.code())
    }

    /// Peak resident set size in KiB (`VmHWM`), read from `/proc` while the process lives.
    /// Not `wait4`'s `ru_maxrss`, which would count the pages of the forking parent.
    #[must_use]
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Stops the process and reaps it (as dropping does).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Bootstrap {
    fn drop(&mut self) {
        // A failed test must not leave the function running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
