//! The inspection page in headless Chromium: what a supplier sees, escaped, with no scripts.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tilicheck::profile::Interface;

use super::*;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(args: &[String]) -> String {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)"
    );
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium runs");
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn inspection_page_in_headless_chromium() {
    let sim = start(Interface::V3);
    let mut client = Client::connect(sim.addr());
    let good = new_cid();
    let (auth, body) = tokens(Interface::V3, "reportUpdate", update_report(RECORD));
    assert_eq!(
        client
            .post("/v3/report-update/cat-2/", &auth, Some(&good), &body)
            .unwrap()
            .status,
        200
    );
    let (auth, body) = tokens(
        Interface::V3,
        "reportDisputable",
        json!({"referredEntityId": RECORD, "correlationId": good, "disputed": true}),
    );
    assert_eq!(
        client
            .post("/v3/report-disputable/", &auth, None, &body)
            .unwrap()
            .status,
        200
    );
    // A hostile correlation ID must show as text, never as markup.
    let hostile = "<script>document.title='pwned'</script>";
    let r = client
        .post("/v3/report-update/cat-2/", "x.y.z", Some(hostile), &body)
        .unwrap();
    assert_eq!(r.status, 400, "not a UUIDv4: {r:?}");

    let url = format!("http://{}/", sim.inspect());
    let dom = chromium(&["--dump-dom".into(), url.clone()]);
    assert!(dom.contains("Account Register simulator"), "{dom}");
    assert!(
        dom.contains(&format!("data-correlation-id=\"{good}\"")),
        "{dom}"
    );
    assert!(
        dom.contains(&format!("data-uuid=\"{RECORD}\" data-state=\"disputed\"")),
        "{dom}"
    );
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "escaped: {dom}"
    );
    assert!(
        !dom.contains("<script>document.title"),
        "markup injected: {dom}"
    );
    assert!(!dom.contains("pwned</title>"));
    assert!(
        dom.contains("id=\"client-hellos\"") && dom.contains("TLS-MUTUAL"),
        "{dom}"
    );
    assert!(dom.contains("JWS-ALG"), "verdicts shown: {dom}");

    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("inspect.png");
    let _ = std::fs::remove_file(&shot);
    chromium(&[
        format!("--screenshot={}", shot.display()),
        "--window-size=1400,1000".into(),
        url,
    ]);
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
}
