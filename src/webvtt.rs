//! SubRip (`.srt`) subtitles as WebVTT (`.vtt`), the one subtitle format browsers read in a
//! `<track>`: each SRT of the torrent is also served under its `.vtt` name, converted when
//! asked for.

/// The `.vtt` name a subtitle file is also served under, if it is an SRT.
pub fn vtt_path(srt: &str) -> Option<String> {
    let (stem, ext) = srt.rsplit_once('.')?;
    ext.eq_ignore_ascii_case("srt").then(|| format!("{stem}.vtt"))
}

/// The text of an SRT file as WebVTT. SRT files come as UTF-8 (with or without a byte order
/// mark) or, for older ones, in a single-byte code page; bytes that are not UTF-8 are read as
/// Windows-1252's printable range (Latin-1), which is what most of those are.
pub fn from_srt(bytes: &[u8]) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = String::from("WEBVTT\n");
    let mut cue: Vec<&str> = Vec::new();
    for line in text.lines().chain(std::iter::once("")) {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            push_cue(&mut out, &cue);
            cue.clear();
        } else {
            cue.push(line);
        }
    }
    out
}

/// One SRT block (number, timing, text lines) as a WebVTT cue; a block without a timing line
/// is dropped.
fn push_cue(out: &mut String, block: &[&str]) {
    let Some(at) = block.iter().position(|l| l.contains("-->")) else {
        return;
    };
    let Some(timing) = timing(block[at]) else {
        return;
    };
    out.push('\n');
    // The SRT number, kept as the cue's identifier.
    if at == 1 && !block[0].contains("-->") {
        out.push_str(block[0].trim());
        out.push('\n');
    }
    out.push_str(&timing);
    out.push('\n');
    for line in &block[at + 1..] {
        out.push_str(&cue_text(line));
        out.push('\n');
    }
}

/// `00:00:01,500 --> 00:00:03,000 X1:…` as `00:00:01.500 --> 00:00:03.000`: WebVTT writes
/// the milliseconds after a dot, and has no SRT coordinates.
fn timing(line: &str) -> Option<String> {
    let (from, to) = line.split_once("-->")?;
    let to = to.split_whitespace().next()?;
    Some(format!("{} --> {}", timestamp(from.trim())?, timestamp(to)?))
}

/// `h:mm:ss,mmm` (SRT allows one-digit hours and a dot) as `hh:mm:ss.mmm`.
fn timestamp(t: &str) -> Option<String> {
    let t = t.replace(',', ".");
    let (clock, ms) = t.split_once('.').unwrap_or((&t, "0"));
    let parts: Vec<u32> = clock
        .split(':')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let (h, m, s) = match parts[..] {
        [h, m, s] => (h, m, s),
        [m, s] => (0, m, s),
        _ => return None,
    };
    let ms: u32 = format!("{ms:0<3}").get(..3)?.parse().ok()?;
    (m < 60 && s < 60).then(|| format!("{h:02}:{m:02}:{s:02}.{ms:03}"))
}

/// A line of cue text: the tags WebVTT shares with SRT (`<i>`, `<b>`, `<u>`) kept, others
/// (`<font …>`) dropped, and `&`, `<` that are not part of them escaped, so no line can end
/// the cue or be read as markup.
fn cue_text(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
        {
            let tag = &rest[1..end];
            let name = tag.trim_start_matches('/').trim().to_ascii_lowercase();
            if matches!(name.as_str(), "i" | "b" | "u") {
                out.push('<');
                out.push_str(&tag.to_ascii_lowercase());
                out.push('>');
                rest = &rest[end + 1..];
                continue;
            }
            if name.starts_with("font") {
                rest = &rest[end + 1..];
                continue;
            }
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out.replace("-->", "--&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vtt_names() {
        assert_eq!(vtt_path("Show/Ep 1.en.srt").as_deref(), Some("Show/Ep 1.en.vtt"));
        assert_eq!(vtt_path("A.SRT").as_deref(), Some("A.vtt"));
        assert_eq!(vtt_path("a.ass"), None);
        assert_eq!(vtt_path("srt"), None);
    }

    #[test]
    fn a_subrip_file_becomes_webvtt() {
        let srt = "\u{feff}1\r\n00:00:01,500 --> 00:00:03,000\r\nHello <i>there</i>\r\n\r\n\
                   2\r\n0:01:02,05 --> 0:01:04,000 X1:10 X2:20 Y1:1 Y2:2\r\n<font color=\"red\">Tom & Jerry</font>\r\na < b --> c\r\n\r\n\r\n";
        assert_eq!(
            from_srt(srt.as_bytes()),
            "WEBVTT\n\n1\n00:00:01.500 --> 00:00:03.000\nHello <i>there</i>\n\n\
             2\n00:01:02.050 --> 00:01:04.000\nTom &amp; Jerry\na &lt; b --&gt; c\n"
        );
    }

    #[test]
    fn blocks_without_timing_are_dropped_and_latin1_is_read() {
        let mut srt = b"garbage\n\n00:00:05,000 --> 00:00:06,000\nCaf".to_vec();
        srt.push(0xe9);
        srt.extend_from_slice(b"\n");
        assert_eq!(
            from_srt(&srt),
            "WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nCaf\u{e9}\n"
        );
        // A timing that is not one is no cue.
        assert_eq!(from_srt(b"1\n00:99:00,000 --> 00:00:01,000\nx\n"), "WEBVTT\n");
    }
}
