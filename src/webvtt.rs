//! SubRip (`.srt`) and SubStation Alpha (`.ass`, `.ssa`) subtitles as WebVTT (`.vtt`), the one
//! subtitle format browsers read in a `<track>`: each of them is also served under its `.vtt`
//! name, converted when asked for. From SubStation only the dialogue's timing and text are
//! kept (its styles and positions have no WebVTT counterpart a browser applies).

/// The subtitle formats converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    SubRip,
    SubStation,
}

/// The format of a subtitle file that can be converted, by its extension.
pub fn format_of(path: &str) -> Option<Format> {
    let (_, ext) = path.rsplit_once('.')?;
    match ext.to_ascii_lowercase().as_str() {
        "srt" => Some(Format::SubRip),
        "ass" | "ssa" => Some(Format::SubStation),
        _ => None,
    }
}

/// The `.vtt` names a subtitle file may also be served under, if it can be converted: its
/// stem's (`movie.en.vtt`), else, when that is taken, its whole name's (`movie.en.ass.vtt`).
pub fn twin_names(path: &str) -> Option<[String; 2]> {
    format_of(path)?;
    let (stem, _) = path.rsplit_once('.')?;
    Some([format!("{stem}.vtt"), format!("{path}.vtt")])
}

/// A subtitle file's bytes as WebVTT.
pub fn convert(format: Format, bytes: &[u8]) -> String {
    match format {
        Format::SubRip => from_srt(bytes),
        Format::SubStation => from_ass(bytes),
    }
}

/// Subtitle files as text: UTF-8 (with or without a byte order mark), else a single-byte
/// code page read as Latin-1.
fn decode(bytes: &[u8]) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    }
}

/// The `Dialogue:` lines of a SubStation file's `[Events]` as WebVTT cues, in the file's
/// order: the `Format:` line says where Start, End and Text are (Text is last and may hold
/// commas); override blocks (`{\i1}`) are dropped, `\N` and `\n` break the line, `\h` is a
/// space.
pub fn from_ass(bytes: &[u8]) -> String {
    let text = decode(bytes);
    let mut out = String::from("WEBVTT\n");
    let mut in_events = false;
    // The default field order of `[Events]`.
    let mut fields: Vec<String> = [
        "layer", "start", "end", "style", "name", "marginl", "marginr", "marginv", "effect", "text",
    ]
    .map(String::from)
    .to_vec();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_events = line.eq_ignore_ascii_case("[events]");
            continue;
        }
        if !in_events {
            continue;
        }
        if let Some(f) = line.strip_prefix("Format:") {
            fields = f.split(',').map(|s| s.trim().to_ascii_lowercase()).collect();
            continue;
        }
        let Some(d) = line.strip_prefix("Dialogue:") else {
            continue;
        };
        let values: Vec<&str> = d.splitn(fields.len(), ',').map(str::trim_start).collect();
        let field = |name: &str| fields.iter().position(|f| f == name).and_then(|i| values.get(i));
        let (Some(start), Some(end), Some(said)) = (field("start"), field("end"), field("text")) else {
            continue;
        };
        let (Some(start), Some(end)) = (timestamp(start), timestamp(end)) else {
            continue;
        };
        let said = ass_text(said);
        if said.trim().is_empty() {
            continue;
        }
        out.push_str(&format!("\n{start} --> {end}\n"));
        for l in said.split('\n').filter(|l| !l.trim().is_empty()) {
            out.push_str(&cue_text(l));
            out.push('\n');
        }
    }
    out
}

/// SubStation dialogue text as plain lines: override blocks dropped, its line breaks made.
fn ass_text(said: &str) -> String {
    let mut out = String::with_capacity(said.len());
    let mut in_block = false;
    for c in said.chars() {
        match c {
            '{' => in_block = true,
            '}' if in_block => in_block = false,
            c if !in_block => out.push(c),
            _ => {}
        }
    }
    out.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
}

/// The text of an SRT file as WebVTT. SRT files come as UTF-8 (with or without a byte order
/// mark) or, for older ones, in a single-byte code page; bytes that are not UTF-8 are read as
/// Windows-1252's printable range (Latin-1), which is what most of those are.
pub fn from_srt(bytes: &[u8]) -> String {
    let text = decode(bytes);
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

/// `h:mm:ss,mmm` (SRT allows one-digit hours and a dot; SubStation writes `h:mm:ss.cc`) as
/// `hh:mm:ss.mmm`.
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
        let first = |p: &str| twin_names(p).map(|[a, _]| a);
        assert_eq!(first("Show/Ep 1.en.srt").as_deref(), Some("Show/Ep 1.en.vtt"));
        assert_eq!(first("A.SRT").as_deref(), Some("A.vtt"));
        assert_eq!(first("Subs/a.fr.ass").as_deref(), Some("Subs/a.fr.vtt"));
        assert_eq!(first("a.SSA").as_deref(), Some("a.vtt"));
        assert_eq!(twin_names("a.ass").map(|[_, b]| b).as_deref(), Some("a.ass.vtt"));
        assert_eq!(first("a.sub"), None);
        assert_eq!(first("srt"), None);
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

    #[test]
    fn a_substation_file_becomes_webvtt() {
        let ass = "[Script Info]\nTitle: x\n\n[V4+ Styles]\nFormat: Name, Fontname\nStyle: Default,Arial\n\n\
                   [Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n\
                   Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,not shown\n\
                   Dialogue: 0,0:00:01.50,0:00:03.00,Default,,0,0,0,,{\\i1}Hello{\\i0}, you\\Nsecond & line\n\
                   Dialogue: 0,0:01:02.05,0:01:04.00,Default,,0,0,0,,{\\pos(10,10)}\n\
                   Dialogue: 0,1:00:00.00,1:00:01.00,Default,,0,0,0,,a\\hb\n";
        assert_eq!(
            from_ass(ass.as_bytes()),
            "WEBVTT\n\n00:00:01.500 --> 00:00:03.000\nHello, you\nsecond &amp; line\n\n\
             01:00:00.000 --> 01:00:01.000\na b\n"
        );
        // Another field order, from its Format line (SSA's Marked field first).
        let ssa = "[Events]\nFormat: Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n\
                   Dialogue: Marked=0,0:00:02.00,0:00:02.50,*Default,,0,0,0,,ok\n";
        assert_eq!(
            from_ass(ssa.as_bytes()),
            "WEBVTT\n\n00:00:02.000 --> 00:00:02.500\nok\n"
        );
    }
}
