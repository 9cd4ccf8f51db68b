//! UPnP control: one SOAP action on a renderer's AVTransport service, and its answer.

use std::collections::HashMap;
use std::time::Duration;

use quick_xml::events::Event;

pub const AV_TRANSPORT: &str = "urn:schemas-upnp-org:service:AVTransport:1";

/// The most of an answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// How long a renderer may take to answer one action.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SoapError {
    #[error("the renderer did not answer {action} within {} s", ANSWER_WITHIN.as_secs())]
    Timeout { action: String },
    #[error("cannot reach the renderer for {action}: {reason}")]
    Unreachable { action: String, reason: String },
    #[error("the renderer refused {action}: UPnP error {code}{}", if description.is_empty() { String::new() } else { format!(" ({description})") })]
    Fault {
        action: String,
        code: String,
        description: String,
    },
    #[error("the renderer answered {action} with HTTP {status} and no UPnP error")]
    Status { action: String, status: u16 },
    #[error("the renderer's answer to {action} is not the XML UPnP asks for: {reason}")]
    Malformed { action: String, reason: String },
}

/// The SOAP envelope of `action` with `args` (escaped here).
pub fn envelope(action: &str, args: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in args {
        body.push_str(&format!("<{name}>{}</{name}>", quick_xml::escape::escape(*value)));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:{action} xmlns:u="{AV_TRANSPORT}">{body}</u:{action}></s:Body></s:Envelope>"#
    )
}

/// Calls `action` on the AVTransport service at `control`; the answer's arguments by name.
pub async fn call(
    http: &reqwest::Client,
    control: &str,
    action: &str,
    args: &[(&str, &str)],
) -> Result<HashMap<String, String>, SoapError> {
    let request = http
        .post(control)
        .header("Content-Type", r#"text/xml; charset="utf-8""#)
        .header("SOAPACTION", format!("\"{AV_TRANSPORT}#{action}\""))
        .body(envelope(action, args))
        .send();
    let answered = async {
        let mut response = request.await?;
        let status = response.status().as_u16();
        // An answer is a few hundred bytes: more than `MAX_ANSWER` is cut, and then not XML.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ANSWER {
                break;
            }
        }
        Ok::<_, reqwest::Error>((status, String::from_utf8_lossy(&body).into_owned()))
    };
    let (status, text) = match tokio::time::timeout(ANSWER_WITHIN, answered).await {
        Err(_) => {
            return Err(SoapError::Timeout {
                action: action.into(),
            });
        }
        Ok(Err(e)) if e.is_timeout() => {
            return Err(SoapError::Timeout {
                action: action.into(),
            });
        }
        Ok(Err(e)) => {
            return Err(SoapError::Unreachable {
                action: action.into(),
                reason: e.to_string(),
            });
        }
        Ok(Ok(answer)) => answer,
    };
    answer(action, status, &text)
}

/// Reads a renderer's answer to `action`: its arguments, or the UPnP error it reports.
pub fn answer(action: &str, status: u16, text: &str) -> Result<HashMap<String, String>, SoapError> {
    let malformed = |reason: String| SoapError::Malformed {
        action: action.into(),
        reason,
    };
    let elements = leaf_elements(text).map_err(malformed)?;
    if let Some(code) = elements.get("errorCode") {
        return Err(SoapError::Fault {
            action: action.into(),
            code: code.clone(),
            description: elements.get("errorDescription").cloned().unwrap_or_default(),
        });
    }
    if !(200..300).contains(&status) {
        return Err(SoapError::Status {
            action: action.into(),
            status,
        });
    }
    if !elements.contains_key(&format!("{action}Response")) {
        return Err(malformed(format!("no {action}Response in it")));
    }
    Ok(elements)
}

/// Every element of `xml` by local name, with its text (the last one wins); an element with
/// children is kept with empty text, so that its presence shows.
fn leaf_elements(xml: &str) -> Result<HashMap<String, String>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = HashMap::new();
    let mut open: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                out.entry(name.clone()).or_insert_with(String::new);
                open.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                out.insert(name, String::new());
            }
            Event::Text(t) => {
                let t = t.decode().map_err(|e| e.to_string())?;
                text.push_str(&quick_xml::escape::unescape(&t).map_err(|e| e.to_string())?);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                let entity = format!("&{name};");
                text.push_str(&quick_xml::escape::unescape(&entity).map_err(|e| e.to_string())?);
            }
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
            Event::End(_) => {
                let Some(name) = open.pop() else {
                    return Err("an element closed that was never opened".into());
                };
                if !text.trim().is_empty() {
                    out.insert(name, std::mem::take(&mut text).trim().to_string());
                }
                text.clear();
            }
            Event::Eof if open.is_empty() && !out.is_empty() => return Ok(out),
            Event::Eof => return Err("it ends before its elements do".into()),
            _ => {}
        }
    }
}

/// `H:MM:SS` (with optional fraction) as seconds; None for `NOT_IMPLEMENTED` and the like.
pub fn parse_time(t: &str) -> Option<f64> {
    let mut parts = t.trim().split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let h: f64 = h.parse().ok()?;
    let m: f64 = m.parse().ok()?;
    let s: f64 = s.parse().ok()?;
    (h >= 0.0 && m >= 0.0 && s >= 0.0).then_some(h * 3600.0 + m * 60.0 + s)
}

/// Seconds as UPnP's `H:MM:SS`.
pub fn format_time(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_escapes_what_it_carries() {
        let e = envelope("SetAVTransportURI", &[("CurrentURI", "http://h/a&b<c>.mkv")]);
        assert!(
            e.contains("<CurrentURI>http://h/a&amp;b&lt;c&gt;.mkv</CurrentURI>"),
            "{e}"
        );
        assert!(e.contains(r#"<u:SetAVTransportURI xmlns:u="urn:schemas-upnp-org:service:AVTransport:1">"#));
        let parsed = leaf_elements(&e).unwrap();
        assert_eq!(parsed["CurrentURI"], "http://h/a&b<c>.mkv");
    }

    #[test]
    fn answers_faults_and_garbage() {
        let ok = r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetPositionInfoResponse xmlns:u="urn:schemas-upnp-org:service:AVTransport:1"><Track>1</Track><TrackDuration>0:05:20</TrackDuration><RelTime>0:01:02.500</RelTime></u:GetPositionInfoResponse></s:Body></s:Envelope>"#;
        let a = answer("GetPositionInfo", 200, ok).unwrap();
        assert_eq!(parse_time(&a["RelTime"]), Some(62.5));
        assert_eq!(parse_time(&a["TrackDuration"]), Some(320.0));

        let fault = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>714</errorCode><errorDescription>Illegal MIME-type</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>"#;
        let e = answer("SetAVTransportURI", 500, fault).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the renderer refused SetAVTransportURI: UPnP error 714 (Illegal MIME-type)"
        );
        for garbage in ["", "not xml", "<a><b></a>", "<a>", "<x:Envelope><Body>"] {
            let e = answer("Play", 200, garbage).unwrap_err();
            assert!(matches!(e, SoapError::Malformed { .. }), "{garbage}: {e}");
        }
        let e = answer("Play", 500, "<html><body>oops</body></html>").unwrap_err();
        assert!(matches!(e, SoapError::Status { status: 500, .. }), "{e}");
        let e = answer("Play", 200, "<Envelope><Body><StopResponse/></Body></Envelope>").unwrap_err();
        assert!(e.to_string().contains("no PlayResponse"), "{e}");
    }

    /// A renderer on a socket that answers every request with `answer` (raw HTTP), or
    /// never answers when it is None; its control URL.
    async fn renderer(answer: Option<String>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let _ = sock.read(&mut buf).await;
                    match &answer {
                        Some(a) => {
                            let _ = sock.write_all(a.as_bytes()).await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                });
            }
        });
        format!("http://{addr}/control")
    }

    /// What a misbehaving renderer gets: one line naming the action and what went wrong, and
    /// no wait beyond `ANSWER_WITHIN`.
    #[tokio::test]
    async fn a_renderer_that_faults_garbles_or_says_nothing() {
        let http = reqwest::Client::new();
        let http_answer = |status: &str, body: &str| {
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        };
        let fault = http_answer(
            "500 Internal Server Error",
            r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>701</errorCode><errorDescription>Transition not available</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>"#,
        );
        let url = renderer(Some(fault)).await;
        let e = call(&http, &url, "Pause", &[("InstanceID", "0")])
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the renderer refused Pause: UPnP error 701 (Transition not available)"
        );

        let garbage = http_answer("200 OK", "<u:Play><");
        let url = renderer(Some(garbage)).await;
        let e = call(&http, &url, "Play", &[]).await.unwrap_err();
        assert!(
            e.to_string()
                .starts_with("the renderer's answer to Play is not the XML UPnP asks for"),
            "{e}"
        );
        assert!(!e.to_string().contains('\n'), "one line: {e}");

        let url = renderer(None).await;
        let started = std::time::Instant::now();
        let e = call(&http, &url, "GetPositionInfo", &[]).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "the renderer did not answer GetPositionInfo within 5 s"
        );
        assert!(started.elapsed() < ANSWER_WITHIN + Duration::from_secs(2));

        let e = call(&http, "http://127.0.0.1:9/control", "Stop", &[])
            .await
            .unwrap_err();
        assert!(
            e.to_string().starts_with("cannot reach the renderer for Stop"),
            "{e}"
        );
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("1:02:03"), Some(3723.0));
        assert_eq!(parse_time("00:00:07.250"), Some(7.25));
        assert_eq!(parse_time("NOT_IMPLEMENTED"), None);
        assert_eq!(parse_time("1:2"), None);
        assert_eq!(format_time(3723.4), "1:02:03");
        assert_eq!(format_time(-5.0), "0:00:00");
    }
}
