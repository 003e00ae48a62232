//! Replays `testdata/hostile/`: every file that once found a bug, run as `MANIFEST.tsv` says,
//! with the answer it must give now.

use std::path::Path;
use std::time::Duration;

use crate::support::{output_text, tilicheck};

#[test]
fn the_hostile_corpus_is_answered_as_it_must_be() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/hostile");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut replayed = 0;
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, args, codes, needle] = fields[..] else {
            panic!("MANIFEST.tsv: a line needs four tab-separated fields: {line}");
        };
        let path = dir.join(file);
        assert!(path.is_file(), "{file} is in the corpus");
        let args: Vec<String> = args
            .split(' ')
            .map(|a| {
                if a == "FILE" {
                    path.display().to_string()
                } else {
                    a.to_owned()
                }
            })
            .collect();
        let out = tilicheck()
            .args(&args)
            .args(["--at", crate::support::AT])
            .env("TILICHECK_HOSTILE_PASSWORD", "correct horse")
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let all = output_text(&out);
        let code = out.status.code().map(|c| c.to_string()).unwrap_or_default();
        assert!(
            codes.split(',').any(|c| c == code),
            "{file}: exit {code}: {all}"
        );
        assert!(all.contains(needle), "{file}: expected {needle:?} in {all}");
        assert!(
            all.contains(file) || code != "3",
            "{file}: the error names the file: {all}"
        );
        assert!(
            !all.contains("correct horse"),
            "{file}: no password in the output"
        );
        replayed += 1;
    }
    assert!(replayed >= 8, "only {replayed} files replayed");
}
