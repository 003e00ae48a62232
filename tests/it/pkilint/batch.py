"""Lint many certificates with pkilint in one process (each CLI start costs about a second).

Usage: batch.py KIND:FILE...   KIND is pkix, etsi (type detected) or an ETSI type option
(e.g. NCP-LEGAL-PERSON-CERTIFICATE). Prints one JSON object: "KIND:FILE" -> {"type": detected ETSI
type or null, "findings": ["SEVERITY code", ...]} with findings of severity WARNING and above.
"""

import contextlib
import io
import json
import sys

from pkilint.bin import lint_etsi_cert, lint_pkix_cert


def lint(kind, path):
    out, err = io.StringIO(), io.StringIO()
    if kind == "pkix":
        args, linter = ["lint", "-s", "WARNING", "-f", "JSON", path], lint_pkix_cert
    elif kind == "etsi":
        args, linter = ["lint", "-d", "-o", "-s", "WARNING", "-f", "JSON", path], lint_etsi_cert
    else:
        args, linter = ["lint", "-t", kind, "-o", "-s", "WARNING", "-f", "JSON", path], lint_etsi_cert
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        linter.main(args)
    findings = []
    for result in json.loads(out.getvalue() or '{"results": []}')["results"]:
        for f in result["finding_descriptions"]:
            findings.append(f"{f['severity']} {f['code']}")
    detected = err.getvalue().strip() or None
    return {"type": detected, "findings": sorted(set(findings))}


def main():
    report = {}
    for arg in sys.argv[1:]:
        kind, path = arg.split(":", 1)
        report[arg] = lint(kind, path)
    json.dump(report, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
