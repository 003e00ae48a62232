//! The README's serve/send walkthrough, run as written: its commands are read from the README
//! itself, so the text and the tool cannot drift apart. Only the simulator's port differs (the
//! README's 8443 may be taken here), and the DEMO PKI is the committed fixtures' (the README's
//! `tilicheck serve` would generate one).

use std::process::Command;

use crate::simulator::ServeProcess;
use crate::support::{output_text, python_json};

/// The shell commands of the README's "Try the send path" and "Send a first full load" sections.
fn walkthrough() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("### Try the send path")
        .expect("the section exists");
    // The daily update's commands after it are an outline (`…` for the options above).
    let end = start
        + readme[start..]
            .find("### The daily update")
            .expect("and ends");
    let mut lines = Vec::new();
    for block in readme[start..end].split("```sh\n").skip(1) {
        let code = block.split("```").next().unwrap();
        lines.extend(
            code.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
    }
    lines
}

#[test]
fn the_readme_serve_and_send_walkthrough_works_as_written() {
    let lines = walkthrough();
    assert_eq!(lines[0], "tilicheck serve", "{lines:?}");
    assert!(lines.len() >= 7, "{lines:?}");
    let serve = ServeProcess::start_in("tilicheck-serve", &[]);
    let bin = env!("CARGO_BIN_EXE_tilicheck");
    let mut outputs = Vec::new();
    for line in &lines[1..] {
        assert!(line.starts_with("tilicheck "), "{line}");
        assert!(
            !line.contains("--offline"),
            "the walkthrough is for a fresh machine: {line}"
        );
        let command = format!("{bin} {}", &line["tilicheck ".len()..])
            .replace("https://127.0.0.1:8443", &format!("https://{}", serve.addr));
        let out = Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(serve.dir())
            // A fresh machine: none of the test environment's trust or offline settings.
            .env_remove("TILICHECK_TRUST")
            .env_remove("TILICHECK_OFFLINE")
            .env("NO_COLOR", "1")
            .output()
            .expect("sh runs");
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(0), "{line}\n{text}");
        outputs.push((line.clone(), text));
    }
    let sends: Vec<&String> = outputs
        .iter()
        .filter(|(l, _)| l.starts_with("tilicheck send "))
        .map(|(_, t)| t)
        .collect();
    assert_eq!(sends.len(), 2);
    assert!(sends[0].contains("accepted: 200 OK"), "{}", sends[0]);
    let parts = std::fs::read_dir(serve.dir().join("parts"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("part-"))
        .count();
    assert!(parts > 1, "the full load was split");
    assert_eq!(
        sends[1].matches("accepted: 200 OK").count(),
        parts,
        "{}",
        sends[1]
    );

    // The simulator's database, read with Python's sqlite3: every message stored once.
    let db = serve.dir().join("tilicheck-serve/register.sqlite");
    let counts = python_json(
        "Python sqlite3",
        "import json, sqlite3, sys\n\
         c = sqlite3.connect(sys.argv[1])\n\
         print(json.dumps(c.execute('SELECT count(*), count(DISTINCT correlation_id) FROM messages WHERE accepted = 1').fetchone()))",
        [db.display().to_string()],
    );
    assert_eq!(counts, serde_json::json!([parts + 1, parts + 1]));
}
