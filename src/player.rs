//! `--player`: a player on this machine, started on the first video's URL once its first bytes
//! can be served, with its subtitle when it has one (mpv and VLC are told of it); and on the
//! dashboard's selected file with `o`.

use std::process::Stdio;
use std::str::FromStr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::http::HttpState;

/// The command line of a player: a program and its own arguments; the URL goes last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerCommand {
    program: String,
    args: Vec<String>,
}

impl FromStr for PlayerCommand {
    type Err = String;

    /// `mpv`, `vlc`, or any command line, split as a POSIX shell would (`mpv --fs`,
    /// `"/opt/my player/play" --x`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let words =
            shlex::split(s).ok_or_else(|| format!("cannot read the command line '{s}': check its quotes"))?;
        let (program, args) = words
            .split_first()
            .ok_or("an empty player command: give a program, e.g. --player mpv")?;
        Ok(PlayerCommand {
            program: program.clone(),
            args: args.to_vec(),
        })
    }
}

impl Default for PlayerCommand {
    /// mpv, the player of the README's examples.
    fn default() -> Self {
        PlayerCommand {
            program: "mpv".into(),
            args: Vec::new(),
        }
    }
}

impl PlayerCommand {
    /// The arguments for `url`, and for `subtitle` where the player takes one (mpv, VLC).
    pub fn args_for(&self, url: &str, subtitle: Option<&str>) -> Vec<String> {
        let name = std::path::Path::new(&self.program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut args = self.args.clone();
        if let Some(sub) = subtitle
            && matches!(name.as_str(), "mpv" | "vlc" | "cvlc")
        {
            args.push(format!("--sub-file={sub}"));
        }
        args.push(url.to_string());
        args
    }

    /// Waits until the first file to play has its first piece verified, then starts the
    /// player on it; logs when it starts and when it ends. Returns at once if there is nothing
    /// to play.
    pub async fn launch(self, state: Arc<HttpState>, cancel: CancellationToken) {
        let Some(idx) = state.engine.listing().first_to_play else {
            return;
        };
        let files = state.engine.files().clone();
        let file = &files[idx];
        if !state.engine.first_piece_verified(idx, &cancel).await {
            return;
        }
        let links = state.links();
        let url = links.file(&file.path);
        let subtitle = state
            .engine
            .subtitles()
            .for_player(idx)
            .first()
            .and_then(|s| files.get(s.key))
            .map(|s| links.file(&s.path));
        self.play(url, subtitle).await;
    }

    /// Starts the player on `url` (and `subtitle`), and logs when it ends.
    pub async fn play(&self, url: String, subtitle: Option<String>) {
        let args = self.args_for(&url, subtitle.as_deref());
        let child = tokio::process::Command::new(&self.program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match child {
            Ok(mut child) => {
                tracing::info!("started {} on {url}", self.program);
                match child.wait().await {
                    Ok(st) => tracing::info!("{} ended ({st})", self.program),
                    Err(e) => tracing::warn!("{}: {e}", self.program),
                }
            }
            Err(e) => tracing::error!(
                "cannot start the player '{}': {e} (install it, or give another with --player)",
                self.program
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        let mpv: PlayerCommand = "mpv --fs".parse().unwrap();
        assert_eq!(
            mpv.args_for("http://h/a.mkv", Some("http://h/a.en.srt")),
            ["--fs", "--sub-file=http://h/a.en.srt", "http://h/a.mkv"]
        );
        let vlc: PlayerCommand = "/usr/bin/vlc".parse().unwrap();
        assert_eq!(vlc.args_for("u", Some("s")), ["--sub-file=s", "u"]);
        // Other players get the URL alone.
        let other: PlayerCommand = "'/opt/my player/play' -x".parse().unwrap();
        assert_eq!(other.program, "/opt/my player/play");
        assert_eq!(other.args_for("u", Some("s")), ["-x", "u"]);
        assert!("".parse::<PlayerCommand>().is_err());
        assert!(
            "mpv 'unclosed"
                .parse::<PlayerCommand>()
                .unwrap_err()
                .contains("quotes")
        );
    }
}
