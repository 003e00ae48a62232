//! `tilicheck readiness --config FILE` against the simulator, and its configuration errors.

use std::path::Path;

use tilicheck::profile::Interface;

use crate::simulator::start;
use crate::support::{fixture, tilicheck};

fn config(dir: &Path, port: u16, extra: &str) -> std::path::PathBuf {
    let f = |n: &str| fixture(n).display().to_string();
    let text = format!(
        "endpoint = \"https://127.0.0.1:{port}\"\nbusiness_id = \"1234567-1\"\ngo_live = \"2027-03-01\"\n{extra}\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n[trust]\ntrust_only = [\"{}\"]\noffline = true\n",
        f("supplier-chain.pem"),
        f("supplier.key"),
        f("root-ca.pem"),
    );
    let path = dir.join("tilicheck.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn readiness_runs_cert_tls_and_send_in_one_report() {
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), sim.addr().port(), "");
    let out = tilicheck()
        .args(["readiness", "--color", "never", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("checked at 2027-03-01"), "{text}");
    assert!(text.contains("PASS   CERT-VALIDITY"), "{text}");
    assert!(text.contains("PASS   REG-CERT"), "{text}");
    assert!(text.contains("accepted: 200 OK"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
}

#[test]
fn configuration_errors_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let run = |cfg: &Path| {
        let out = tilicheck()
            .args(["readiness", "--config"])
            .arg(cfg)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cfg = config(dir.path(), 9, "certificat = \"x\"");
    let (code, err) = run(&cfg);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("certificat"), "{err}");
    let cfg = config(dir.path(), 9, "go_live = \"soon\"");
    assert!(run(&cfg).1.contains("go_live") || run(&cfg).1.contains("duplicate"));
    let cfg = config(dir.path(), 9, "business_id = \"1234567-2\"");
    assert!(run(&cfg).1.contains("business_id"));

    // The template parses; its placeholder files are named by setting.
    let tpl = dir.path().join("t.toml");
    let out = tilicheck()
        .args(["readiness", "init"])
        .arg(&tpl)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let (code, err) = run(&tpl);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("setting `tls.cert`"), "{err}");
    // init refuses to overwrite.
    let again = tilicheck()
        .args(["readiness", "init"])
        .arg(&tpl)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}

/// Headless Chromium's DOM of `page` (a file), and a screenshot of it into `shot`.
fn chromium(page: &Path, shot: &Path) -> String {
    const CHROMIUM: &str = "/usr/bin/chromium";
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)"
    );
    let run = |extra: &[String]| {
        let profile = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(CHROMIUM)
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
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromium runs");
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > std::time::Duration::from_secs(90) {
                let _ = child.kill();
                panic!("chromium did not finish in 90 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
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
    };
    let _ = std::fs::remove_file(shot);
    run(&[
        format!("--screenshot={}", shot.display()),
        "--window-size=1200,1600".into(),
    ]);
    run(&["--dump-dom".into()])
}

#[test]
fn readiness_as_junit_and_as_html_in_headless_chromium() {
    let sim = start(Interface::V3);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), sim.addr().port(), "");

    let xml_path = dir.path().join("report.xml");
    let out = tilicheck()
        .args(["readiness", "--format", "junit", "-o"])
        .arg(&xml_path)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let cases = xml.matches("<testcase ").count();
    assert!(cases > 20, "{xml}");
    assert!(
        xml.contains(&format!("tests=\"{cases}\" failures=\"0\"")),
        "{xml}"
    );
    assert!(xml.contains("name=\"SEND-ANSWER "), "{xml}");

    let html_path = dir.path().join("report.html");
    let out = tilicheck()
        .args(["readiness", "--format", "html", "-o"])
        .arg(&html_path)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "self-contained"
    );
    let artifacts =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("readiness.png");
    let dom = chromium(&html_path, &shot);
    assert!(
        dom.contains("<div id=\"verdict\" class=\"pass\">READY: every check passed"),
        "{dom}"
    );
    assert!(dom.contains("<table id=\"rules\">"), "{dom}");
    assert!(
        dom.contains("REG-CERT") && dom.contains("SEND-ANSWER"),
        "{dom}"
    );
    assert!(dom.contains("<svg id=\"timeline\""), "{dom}");
    assert!(dom.contains("check date 2027-03-01"), "{dom}");
    assert!(shot.metadata().map(|m| m.len() > 1000).unwrap_or(false));
}
