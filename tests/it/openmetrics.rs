//! `audit --format openmetrics`, read back by Python's `prometheus_client`: its strict
//! OpenMetrics parser and the Prometheus text parser node_exporter's textfile collector uses.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::hostile_output::write_hostile_cert;
use crate::support::{AT, fixtures, python_json, tilicheck};

/// Both parsers over the file; each sample as {name, labels, value}, per parser.
const PARSE: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
from prometheus_client.parser import text_string_to_metric_families as prometheus
text = open(sys.argv[1], encoding="utf-8").read()
def samples(families):
    return [{"family": f.name, "type": f.type, "unit": getattr(f, "unit", ""),
             "name": s.name, "labels": s.labels, "value": s.value}
            for f in families for s in f.samples]
print(json.dumps({"openmetrics": samples(openmetrics(text)),
                  "prometheus": samples(prometheus(text))}))
"#;

fn parse(path: &std::path::Path) -> (Vec<Value>, Vec<Value>) {
    let doc = python_json("prometheus_client parses the metrics", PARSE, [path]);
    let list = |k: &str| doc[k].as_array().cloned().unwrap_or_default();
    (list("openmetrics"), list("prometheus"))
}

fn audit_json(dir: &std::path::Path) -> Value {
    let out = tilicheck()
        .args(["audit", "--at", AT, "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).expect("audit JSON")
}

#[test]
fn metrics_parse_and_agree_with_the_json_audit() {
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("tilicheck.prom");
    let run = tilicheck()
        .args(["audit", "--at", AT, "--format", "openmetrics", "-o"])
        .arg(&file)
        .arg(fixtures())
        .output()
        .unwrap();
    // The exit code is the audit's (fixtures include failing certificates), the file is whole.
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let leftovers: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "only the metrics file is left");

    let (om, prom) = parse(&file);
    assert_eq!(om.len(), prom.len(), "both parsers read every sample");
    for s in &om {
        assert_eq!(s["type"], "gauge", "{s}");
    }
    let json = audit_json(&fixtures());
    let rows: Vec<&Value> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["sha256"].is_string())
        .collect();
    assert!(rows.len() >= 30, "{} rows", rows.len());

    let by_sha = |name: &str| -> BTreeMap<String, f64> {
        om.iter()
            .filter(|s| s["name"] == name)
            .map(|s| {
                (
                    s["labels"]["sha256"].as_str().unwrap().to_owned(),
                    s["value"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let expiry = by_sha("tilicheck_certificate_expiry_timestamp_seconds");
    let days = by_sha("tilicheck_certificate_days_to_expiry");
    assert_eq!(expiry.len(), rows.len(), "one series per certificate");
    for row in &rows {
        let sha = row["sha256"].as_str().unwrap();
        let not_after = time::OffsetDateTime::parse(
            row["not_after"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(expiry[sha], not_after.unix_timestamp() as f64, "{sha}");
        assert_eq!(days[sha], row["days_left"].as_f64().unwrap(), "{sha}");
        let status: Vec<(&str, f64)> = om
            .iter()
            .filter(|s| s["name"] == "tilicheck_certificate_status" && s["labels"]["sha256"] == sha)
            .map(|s| {
                (
                    s["labels"]["status"].as_str().unwrap(),
                    s["value"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(status.len(), 3, "{status:?}");
        for (name, value) in status {
            assert_eq!(value == 1.0, row["status"] == name, "{sha}: {name}");
        }
    }
    let checked = om
        .iter()
        .find(|s| s["name"] == "tilicheck_audit_check_timestamp_seconds")
        .unwrap();
    assert_eq!(
        checked["value"].as_f64().unwrap(),
        time::macros::datetime!(2030-01-01 00:00 UTC).unix_timestamp() as f64
    );
}

#[test]
fn hostile_names_stay_inside_their_labels() {
    let dir = tempfile::tempdir().unwrap();
    let cn = "ACME \"Oy\"\\\r\n} 1\ntilicheck_certificate_status{status=\"ok\"} 1";
    write_hostile_cert(dir.path(), cn);
    let file = dir.path().join("out.prom");
    tilicheck()
        .args(["audit", "--at", AT, "--format", "openmetrics", "-o"])
        .arg(&file)
        .arg(dir.path().join("hostile.pem"))
        .output()
        .unwrap();
    let (om, prom) = parse(&file);
    for samples in [&om, &prom] {
        let status: Vec<&Value> = samples
            .iter()
            .filter(|s| s["name"] == "tilicheck_certificate_status")
            .collect();
        assert_eq!(status.len(), 3, "no forged series: {status:?}");
        let subject = status[0]["labels"]["subject"].as_str().unwrap();
        // The controls are shown as escapes; quotes and backslashes are the name's own.
        assert_eq!(
            subject,
            "ACME \"Oy\"\\\\\\r\\n} 1\\ntilicheck_certificate_status{status=\"ok\"} 1"
        );
    }
}

#[test]
fn openmetrics_and_csv_are_offered_by_audit_only() {
    let out = tilicheck()
        .args(["cert", "--format", "openmetrics", "supplier.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("invalid value 'openmetrics' for '--format <FORMAT>'")
            && err.contains("[possible values: text, json, html, junit]"),
        "{err}"
    );
    // Each command's help lists only its own formats.
    let help = |args: &[&str]| {
        let out = tilicheck().args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(help(&["audit", "--help"]).contains("- openmetrics:"));
    assert!(help(&["audit", "--help"]).contains("- csv:"));
    assert!(!help(&["cert", "--help"]).contains("openmetrics"));
    assert!(!help(&["cert", "--help"]).contains("- csv"));
    let serve = help(&["serve", "--help"]);
    for absent in ["--format", "--output", "--strict ", "--color"] {
        assert!(!serve.contains(absent), "serve offers {absent}: {serve}");
    }
}
