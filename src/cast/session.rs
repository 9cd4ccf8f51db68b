//! One cast at a time: the renderer told to play a file, then followed (its state and
//! position, once a second) and steered (pause, resume, seek, stop).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::discover::Renderer;
use super::soap::{self, SoapError, format_time, parse_time};

/// How often a renderer playing is asked where it is.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// Failed questions in a row after which a renderer is taken for gone.
const GIVE_UP_AFTER: u32 = 10;

/// What the dashboard, status.json and the log say of the cast.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct CastStatus {
    pub renderer: String,
    /// The file's path in the torrent.
    pub path: String,
    /// As the renderer says: `PLAYING`, `PAUSED_PLAYBACK`, `STOPPED`, `TRANSITIONING`, …
    pub state: String,
    pub position_secs: Option<f64>,
    pub duration_secs: Option<f64>,
    /// The last thing that went wrong, in one line; cleared by the next answer.
    pub error: Option<String>,
}

/// What a user can ask of the renderer playing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Steer {
    Pause,
    Resume,
    Stop,
    /// Seconds forward (or back, when negative) from where it plays.
    SeekBy(f64),
}

struct Active {
    renderer: Renderer,
    /// Ends the following of this cast.
    done: CancellationToken,
}

/// The cast, shared by the dashboard, the HTTP server and `--cast`.
pub struct Caster {
    http: reqwest::Client,
    active: Mutex<Option<Active>>,
    status: watch::Sender<Option<CastStatus>>,
    cancel: CancellationToken,
}

impl Caster {
    pub fn new(cancel: CancellationToken) -> Arc<Caster> {
        Arc::new(Caster {
            // A connection per action: renderers' UPnP stacks (libupnp among them) close a
            // connection after answering, and a reused one fails the next action.
            http: reqwest::Client::builder()
                .timeout(soap::ANSWER_WITHIN)
                .pool_max_idle_per_host(0)
                .build()
                .unwrap_or_default(),
            active: Mutex::new(None),
            status: watch::channel(None).0,
            cancel,
        })
    }

    /// The cast now, if any.
    pub fn status(&self) -> Option<CastStatus> {
        self.status.borrow().clone()
    }

    /// Tells `renderer` to play `url` (the file `path`, described by `didl`), then follows it.
    /// A cast already running is left to its renderer and no longer followed.
    pub async fn cast(
        self: &Arc<Self>,
        renderer: Renderer,
        path: &str,
        url: &str,
        didl: &str,
    ) -> Result<(), SoapError> {
        let control = renderer.control.clone();
        let set = [
            ("InstanceID", "0"),
            ("CurrentURI", url),
            ("CurrentURIMetaData", didl),
        ];
        let result = async {
            soap::call(&self.http, &control, "SetAVTransportURI", &set).await?;
            soap::call(
                &self.http,
                &control,
                "Play",
                &[("InstanceID", "0"), ("Speed", "1")],
            )
            .await
        }
        .await;
        if let Err(e) = &result {
            tracing::warn!("cannot cast {path} to {}: {e}", renderer.name);
            let failed = format!("cannot cast to {}: {e}", renderer.name);
            // A cast under way goes on, followed as before, with the failure said beside it.
            let active = self.active.lock().is_ok_and(|a| a.is_some());
            match active {
                true => self.note(|s| s.error = Some(failed)),
                false => {
                    self.status.send_replace(Some(CastStatus {
                        renderer: renderer.name.clone(),
                        path: path.to_string(),
                        state: "NOT_CAST".into(),
                        error: Some(e.to_string()),
                        ..Default::default()
                    }));
                }
            }
            return result.map(|_| ());
        }
        tracing::info!("casting {path} to {}", renderer.name);
        let done = self.cancel.child_token();
        let previous = self.active.lock().ok().and_then(|mut a| {
            a.replace(Active {
                renderer: renderer.clone(),
                done: done.clone(),
            })
        });
        if let Some(p) = previous {
            p.done.cancel();
        }
        self.status.send_replace(Some(CastStatus {
            renderer: renderer.name.clone(),
            path: path.to_string(),
            state: "TRANSITIONING".into(),
            ..Default::default()
        }));
        tokio::spawn(self.clone().follow(control, done));
        Ok(())
    }

    /// Pauses, resumes, seeks or stops the renderer playing; an error is also kept in the
    /// status, where the dashboard shows it.
    pub async fn steer(&self, steer: Steer) -> Result<(), SteerError> {
        let control = self
            .active
            .lock()
            .ok()
            .and_then(|a| a.as_ref().map(|a| a.renderer.control.clone()))
            .ok_or(SteerError::NothingCast)?;
        let id = ("InstanceID", "0");
        let r = match steer {
            Steer::Pause => soap::call(&self.http, &control, "Pause", &[id]).await,
            Steer::Resume => soap::call(&self.http, &control, "Play", &[id, ("Speed", "1")]).await,
            Steer::Stop => soap::call(&self.http, &control, "Stop", &[id]).await,
            Steer::SeekBy(by) => {
                let now = self.status().and_then(|s| s.position_secs).unwrap_or(0.0);
                // A renderer starting, or playing a stream, may say its duration is 0.
                let limit = self
                    .status()
                    .and_then(|s| s.duration_secs)
                    .filter(|d| *d > 0.0)
                    .unwrap_or(f64::MAX);
                let target = format_time((now + by).clamp(0.0, limit));
                let args = [id, ("Unit", "REL_TIME"), ("Target", target.as_str())];
                soap::call(&self.http, &control, "Seek", &args).await
            }
        };
        self.note(|s| s.error = r.as_ref().err().map(|e| e.to_string()));
        r.map(|_| ()).map_err(SteerError::Renderer)
    }

    fn note(&self, change: impl FnOnce(&mut CastStatus)) {
        self.status.send_if_modified(|s| match s {
            Some(s) => {
                let before = s.clone();
                change(s);
                *s != before
            }
            None => false,
        });
    }

    /// Asks the renderer its state and position once a second until `done`, or until it has
    /// failed to answer `GIVE_UP_AFTER` times in a row.
    async fn follow(self: Arc<Self>, control: String, done: CancellationToken) {
        let id = [("InstanceID", "0")];
        let mut failed = 0;
        loop {
            let info = soap::call(&self.http, &control, "GetTransportInfo", &id).await;
            let position = soap::call(&self.http, &control, "GetPositionInfo", &id).await;
            if done.is_cancelled() {
                return;
            }
            self.note(|s| match (&info, &position) {
                (Ok(i), Ok(p)) => {
                    if let Some(state) = i.get("CurrentTransportState") {
                        s.state = state.clone();
                    }
                    s.position_secs = p.get("RelTime").and_then(|t| parse_time(t));
                    s.duration_secs = p.get("TrackDuration").and_then(|t| parse_time(t));
                    s.error = None;
                }
                (Err(e), _) | (_, Err(e)) => s.error = Some(e.to_string()),
            });
            failed = if info.is_ok() && position.is_ok() {
                0
            } else {
                failed + 1
            };
            if failed >= GIVE_UP_AFTER {
                tracing::warn!("the TV stopped answering: no longer followed");
                self.note(|s| s.state = "GONE".into());
                return;
            }
            tokio::select! {
                _ = done.cancelled() => return,
                _ = tokio::time::sleep(FOLLOW_EVERY) => {}
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SteerError {
    #[error("nothing is being cast")]
    NothingCast,
    #[error(transparent)]
    Renderer(#[from] SoapError),
}
