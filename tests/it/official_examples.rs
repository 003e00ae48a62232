//! Customs' own v3 update examples, unchanged, through validate → sign → send → the simulator:
//! every step exits 0 and the simulator answers 200, recording the examples' content warnings.
//! The examples are in the name of 8428746-6, so they are signed with a certificate for that
//! business ID, issued here by the openssl CLI from the DEMO service CA (the DEMO supplier's
//! key, a certificate profile like the DEMO supplier's); the simulator is told it was delivered
//! (`serve --supplier`). The signed request `sign` writes also goes to the simulator with curl.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::simulator::ServeProcess;
use crate::support::{AT, fixture, openssl, output_text, python_json, tilicheck};

const EXAMPLE_SENDER: &str = "8428746-6";

const EXTENSIONS: &str = "[v3]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:sender.example
certificatePolicies = 1.2.246.517.1.10.305.2
";

/// `sender.pem` (and `sender-chain.pem`, with the DEMO service CA) for 8428746-6, in `dir`.
fn example_sender_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    std::fs::write(dir.join("ext.cnf"), EXTENSIONS).unwrap();
    let key = fixture("supplier.key").display().to_string();
    let ca = fixture("service-ca.pem").display().to_string();
    let ca_key = fixture("service-ca.key").display().to_string();
    let subject =
        format!("/C=FI/O=Example Sender Oy/serialNumber={EXAMPLE_SENDER}/CN=sender.example");
    openssl(
        &[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            &subject,
            "-out",
            "sender.csr",
        ],
        dir,
        &[],
    );
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "sender.csr",
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-set_serial",
            "0x2a01",
            "-days",
            "3650",
            "-sha256",
            "-extfile",
            "ext.cnf",
            "-extensions",
            "v3",
            "-out",
            "sender.pem",
        ],
        dir,
        &[],
    );
    let cert = dir.join("sender.pem");
    let chain = dir.join("sender-chain.pem");
    let mut both = std::fs::read(&cert).unwrap();
    both.extend(std::fs::read(fixture("service-ca.pem")).unwrap());
    std::fs::write(&chain, both).unwrap();
    (cert, chain)
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("spec-data/tilirekisteri/v3/examples")
        .join(name)
}

fn run(cmd: &mut assert_cmd::Command, what: &str) -> String {
    let out = cmd.output().expect("runs");
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{what}:\n{text}");
    text
}

#[test]
fn the_official_v3_examples_go_through_validate_sign_send_to_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, chain) = example_sender_certificate(dir.path());
    let serve = ServeProcess::start(&["--supplier", cert.to_str().unwrap()]);
    let key = fixture("supplier.key");
    let mut sent = Vec::new();
    for (name, endpoint) in [
        ("report-update-v3-other.json", "/v3/report-update/cat-2/"),
        (
            "report-update-v3-credit_institution.json",
            "/v3/report-update/cat-1/",
        ),
    ] {
        let file = example(name);
        let text = run(
            tilicheck()
                .args(["message", "validate", "--at", AT])
                .arg(&file),
            "validate",
        );
        assert!(text.contains("register would accept this"), "{text}");

        let request = dir.path().join(format!("{name}.http"));
        run(
            tilicheck()
                .args(["message", "sign", "--at", AT])
                .arg(&file)
                .arg("--key")
                .arg(&key)
                .arg("--cert")
                .arg(&cert)
                .arg("--chain")
                .arg(fixture("service-ca.pem"))
                .arg("--request")
                .arg(&request),
            "sign",
        );
        // sign's request, sent by curl as it stands: headers and body from the file.
        let signed = std::fs::read_to_string(&request).unwrap();
        let (head, body) = signed.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with(&format!("POST {endpoint} HTTP/1.1")),
            "{head}"
        );
        let header = |n: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(&format!("{n}: ")))
                .unwrap()
                .to_owned()
        };
        let body_file = dir.path().join("body.jwt");
        std::fs::write(&body_file, body).unwrap();
        let out = Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "20",
                "--http1.1",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
            ])
            .arg("--cacert")
            .arg(fixture("root-ca.pem"))
            .arg("--cert")
            .arg(&chain)
            .arg("--key")
            .arg(&key)
            .args(["-H", &format!("Authorization: {}", header("Authorization"))])
            .args([
                "-H",
                &format!("X-Correlation-ID: {}", header("X-Correlation-ID")),
            ])
            .args(["-H", "Content-Type: application/json"])
            .arg("--data-binary")
            .arg(format!("@{}", body_file.display()))
            .arg(format!("https://localhost:{}{endpoint}", serve.addr.port()))
            .output()
            .expect("curl is installed");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "200",
            "{name}: {out:?}"
        );
        sent.push(header("X-Correlation-ID"));

        let text = run(
            tilicheck()
                .arg("send")
                .arg(&file)
                .args(["--endpoint", &format!("https://{}", serve.addr)])
                .arg("--cert")
                .arg(&chain)
                .arg("--key")
                .arg(&key)
                .arg("--trust")
                .arg(fixture("root-ca.pem")),
            "send",
        );
        assert!(text.contains(&format!("POST {endpoint}")), "{text}");
        assert!(text.contains("accepted: 200 OK"), "{text}");
        let cid = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("X-Correlation-ID  "))
            .unwrap()
            .to_owned();
        sent.push(cid);
    }

    // The simulator's database (Python sqlite3): all four accepted, each with its warnings.
    let rows = python_json(
        "Python sqlite3",
        "import json, sqlite3, sys\n\
         c = sqlite3.connect(sys.argv[1])\n\
         print(json.dumps(c.execute('SELECT correlation_id, signer, accepted, content_warnings FROM messages ORDER BY seq').fetchall()))",
        [serve.dir().join("register.sqlite").display().to_string()],
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (row, cid) in rows.iter().zip(&sent) {
        assert_eq!(row[0], cid.as_str());
        assert_eq!(row[1], EXAMPLE_SENDER);
        assert_eq!(row[2], 1);
        let warnings: serde_json::Value = serde_json::from_str(row[3].as_str().unwrap()).unwrap();
        assert!(
            warnings.as_array().is_some_and(|w| !w.is_empty()),
            "content warnings recorded: {row}"
        );
    }
}
