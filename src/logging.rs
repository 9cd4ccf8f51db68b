//! Logs through `tracing`: to stderr in headless mode, and to a file with --log.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::CommonArgs;
use crate::error::Error;

/// librqbit is chatty, and warp reports every player that hangs up as an error. The uTP
/// socket warns at every start that the kernel capped its receive buffer (net.core.rmem_max),
/// which nothing in bt2p-tui can change: kept for --log-conf.
pub const DEFAULT_FILTER: &str = "info,librqbit=warn,librqbit_utp=error,librqbit_core=warn,librqbit_dht=warn,librqbit_tracker_comms=warn,librqbit_upnp=off,warp::server=off,hyper=warn";

/// The filter: --log-conf's directives, else RUST_LOG, else the default.
pub fn filter(args: &CommonArgs) -> Result<EnvFilter, Error> {
    let directives = match &args.log_conf {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::log(format!("cannot read {}", path.display()), e))?;
            text.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        }
        None => std::env::var("RUST_LOG").unwrap_or_else(|_| DEFAULT_FILTER.to_string()),
    };
    EnvFilter::builder()
        .parse(&directives)
        .map_err(|e| Error::log(format!("bad filter directives '{directives}'"), e))
}

/// Keeps the log file open for as long as it lives.
pub struct LogGuard;

static ERRORS: AtomicU64 = AtomicU64::new(0);

/// ERROR events logged so far (after filtering); the dashboard opens its log panel on a new one.
pub fn errors_logged() -> u64 {
    ERRORS.load(Ordering::Relaxed)
}

struct ErrorCounter;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ErrorCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            ERRORS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Logs to the dashboard's log panel when `tui`, else to stderr; and to a file when asked.
pub fn init(args: &CommonArgs, tui: bool) -> Result<LogGuard, Error> {
    let stderr = (!tui).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            // Colour codes only for a person at a terminal: not in files, pipes or journald.
            .with_ansi(stderr_wants_colour())
    });
    let stderr = stderr.map(|l| l.with_filter_from(filter(args).unwrap_or_default()));
    let panel = if tui {
        tui_logger::init_logger(tui_logger::LevelFilter::Trace)
            .map_err(|e| Error::log("the log panel", e))?;
        tui_logger::set_default_level(tui_logger::LevelFilter::Trace);
        Some(tui_logger::TuiTracingSubscriberLayer.with_filter_from(filter(args)?))
    } else {
        None
    };
    let errors = ErrorCounter.with_filter_from(filter(args)?);
    let file = if args.log || args.log_conf.is_some() || args.log_file.is_some() {
        let path = args
            .log_file
            .clone()
            .unwrap_or_else(crate::paths::default_log_file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::log(format!("cannot create {}", dir.display()), e))?;
        }
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::log(format!("cannot open {}", path.display()), e))?;
        Some(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(f))
                .with_filter_from(filter(args)?),
        )
    } else {
        None
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(panel)
        .with(file)
        .with(errors)
        .try_init();
    Ok(LogGuard)
}

/// Colour on stderr when it is a terminal and NO_COLOR is not set (no-color.org).
fn stderr_wants_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

trait WithFilter<S>: Sized {
    fn with_filter_from(self, f: EnvFilter) -> tracing_subscriber::filter::Filtered<Self, EnvFilter, S>;
}

impl<S, L: tracing_subscriber::Layer<S>> WithFilter<S> for L
where
    S: tracing::Subscriber,
{
    fn with_filter_from(self, f: EnvFilter) -> tracing_subscriber::filter::Filtered<Self, EnvFilter, S> {
        tracing_subscriber::Layer::with_filter(self, f)
    }
}
