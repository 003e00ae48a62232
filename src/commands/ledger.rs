//! `tilicheck ledger show|export|import`: look into the ledger of acknowledged records, write
//! it out, or start one from a full export the register already holds.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::cli::{
    LedgerArgs, LedgerCommand, LedgerExportArgs, LedgerImportArgs, LedgerShowArgs, RunOptions,
};
use crate::commands::{CommandError, write_output};
use crate::identity::BusinessId;
use crate::ledger::hashing::{HashedRecord, hash_report};
use crate::ledger::{Acknowledged, Ledger, LedgerError, LedgerRecord, MessageKind, Owner, path};
use crate::message::finnish_ids::is_uuid_v4;
use crate::profile::Interface;
use crate::render::Format;

pub fn run(cmd: &LedgerCommand, g: &RunOptions) -> Result<u8, CommandError> {
    match cmd {
        LedgerCommand::Show(a) => show(a, g),
        LedgerCommand::Export(a) => export(a, g),
        LedgerCommand::Import(a) => import(a, g),
    }
}

pub fn ledger_error(e: LedgerError) -> CommandError {
    CommandError::Input(e.to_string())
}

/// The ledger file the arguments name.
pub fn ledger_path(
    args: &LedgerArgs,
    supplier: Option<&BusinessId>,
    interface: Interface,
) -> Result<PathBuf, CommandError> {
    path::resolve(args.ledger.as_deref(), supplier, interface).map_err(CommandError::Usage)
}

/// Open an existing ledger.
pub fn open_existing(
    path: &Path,
    supplier: Option<&BusinessId>,
    interface: Interface,
) -> Result<Ledger, CommandError> {
    let supplier = supplier.map(BusinessId::business_id_form);
    Ledger::open(
        path,
        Owner {
            supplier: supplier.as_deref(),
            interface: interface.as_str(),
        },
        false,
    )
    .map_err(ledger_error)
}

/// Open a ledger, making it when missing.
pub fn open_or_create(
    path: &Path,
    supplier: Option<&BusinessId>,
    interface: Interface,
) -> Result<Ledger, CommandError> {
    let supplier = supplier.map(BusinessId::business_id_form);
    Ledger::open(
        path,
        Owner {
            supplier: supplier.as_deref(),
            interface: interface.as_str(),
        },
        true,
    )
    .map_err(ledger_error)
}

/// Now, as the ledger writes times.
pub fn now_text() -> String {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "?".into())
}

#[derive(Serialize)]
struct ShowDoc<'a> {
    ledger: String,
    supplier: Option<String>,
    interface: Option<String>,
    #[serde(flatten)]
    summary: &'a crate::ledger::Summary,
}

fn show(a: &LedgerShowArgs, g: &RunOptions) -> Result<u8, CommandError> {
    let path = ledger_path(&a.ledger, a.business_id.as_ref(), g.interface)?;
    let ledger = open_existing(&path, a.business_id.as_ref(), g.interface)?;
    if !a.keys.is_empty() {
        let mut found: Vec<LedgerRecord> = Vec::new();
        for key in &a.keys {
            let before = found.len();
            for section in crate::message::section::Section::ALL {
                if let Some(r) = ledger.record(section, *key).map_err(ledger_error)? {
                    found.push(r);
                }
            }
            if found.len() == before {
                return Err(CommandError::Input(format!(
                    "{key}: {} holds no record with this key (the register has not acknowledged one through it)",
                    path.display()
                )));
            }
        }
        let text = match g.format {
            Format::Json => serde_json::to_string_pretty(&found).unwrap_or_default() + "\n",
            _ => found.iter().map(record_text).collect(),
        };
        write_output(g.output.as_deref(), &text)?;
        return Ok(0);
    }
    let summary = ledger.summary().map_err(ledger_error)?;
    let doc = ShowDoc {
        ledger: path.display().to_string(),
        supplier: ledger.supplier().map_err(ledger_error)?,
        interface: ledger.interface().map_err(ledger_error)?,
        summary: &summary,
    };
    let text = match g.format {
        Format::Json => serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n",
        _ => summary_text(&doc),
    };
    write_output(g.output.as_deref(), &text)?;
    Ok(0)
}

fn summary_text(doc: &ShowDoc<'_>) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "Ledger {} (supplier {}, interface {})",
        doc.ledger,
        doc.supplier.as_deref().unwrap_or("not yet known"),
        doc.interface.as_deref().unwrap_or("?")
    );
    for c in &doc.summary.records {
        let _ = writeln!(
            t,
            "  {:<20} {:>9} acknowledged ({} disputed, {} incorrect)",
            c.section.name(),
            c.normal + c.disputed + c.incorrect,
            c.disputed,
            c.incorrect
        );
    }
    let _ = writeln!(
        t,
        "  messages acknowledged: {}{}",
        doc.summary.messages,
        doc.summary
            .last_acknowledged_at
            .as_deref()
            .map(|at| format!(", the last at {at}"))
            .unwrap_or_default()
    );
    if doc.summary.in_flight.is_empty() {
        t.push_str("  in flight: none\n");
    } else {
        for m in &doc.summary.in_flight {
            let _ = writeln!(
                t,
                "  in flight: {} sent {} from {}: not answered 200 yet, so its records are not in the ledger; send the same file again with `send --ledger` (it reuses this X-Correlation-ID)",
                m.correlation_id, m.sent_at, m.file
            );
        }
    }
    t
}

fn record_text(r: &LedgerRecord) -> String {
    let ack = |a: &Acknowledged| {
        format!(
            "{} ({}{}, acknowledged {}, {})",
            a.correlation_id,
            a.kind.as_str(),
            a.category
                .map(|c| format!(", category {c}"))
                .unwrap_or_default(),
            a.acknowledged_at,
            a.source
        )
    };
    format!(
        "{} {} ({}): {}, sha256 {}\n  last carried by {}\n  first carried by {}\n",
        r.section.record_noun(),
        r.key.hyphenated(),
        r.section.name(),
        r.state.as_str(),
        r.hash.hex(),
        ack(&r.last),
        ack(&r.first)
    )
}

/// One line of `ledger export`.
#[derive(Serialize)]
struct ExportLine<'a> {
    section: &'static str,
    key: String,
    sha256: String,
    state: &'static str,
    category: Option<u8>,
    correlation_id: &'a str,
    acknowledged_at: &'a str,
    first_correlation_id: &'a str,
    first_acknowledged_at: &'a str,
}

fn export(a: &LedgerExportArgs, g: &RunOptions) -> Result<u8, CommandError> {
    let path = ledger_path(&a.ledger, a.business_id.as_ref(), g.interface)?;
    let ledger = open_existing(&path, a.business_id.as_ref(), g.interface)?;
    let write_lines = |out: &mut dyn std::io::Write| -> Result<(), CommandError> {
        let mut io_error = None;
        ledger
            .each_record(None, |r| {
                let line = ExportLine {
                    section: r.section.name(),
                    key: r.key.hyphenated().to_string(),
                    sha256: r.hash.hex(),
                    state: r.state.as_str(),
                    category: r.last.category,
                    correlation_id: &r.last.correlation_id,
                    acknowledged_at: &r.last.acknowledged_at,
                    first_correlation_id: &r.first.correlation_id,
                    first_acknowledged_at: &r.first.acknowledged_at,
                };
                let text = serde_json::to_string(&line).unwrap_or_default();
                if io_error.is_none()
                    && let Err(e) = writeln!(out, "{text}")
                {
                    io_error = Some(e);
                }
                Ok(())
            })
            .map_err(ledger_error)?;
        match io_error {
            None => Ok(()),
            Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Some(e) => Err(CommandError::Input(format!("cannot write the export: {e}"))),
        }
    };
    match g.output.as_deref() {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write_lines(&mut out)?;
            let _ = out.flush();
        }
        Some(file) => {
            // Whole or not at all: a temporary file beside the output, renamed at the end.
            let dir = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let io = |e: std::io::Error| {
                CommandError::Input(format!("{}: cannot write the export: {e}", file.display()))
            };
            let tmp = tempfile::Builder::new()
                .prefix(".tilicheck-")
                .tempfile_in(dir)
                .map_err(io)?;
            let mut out = std::io::BufWriter::new(tmp);
            write_lines(&mut out)?;
            let tmp = out.into_inner().map_err(|e| io(e.into_error()))?;
            tmp.as_file().sync_all().map_err(io)?;
            tmp.persist(file).map_err(|e| io(e.error))?;
        }
    }
    Ok(0)
}

/// Read `KEY,CORRELATION-ID[,ACKNOWLEDGED-AT]` lines.
fn read_mapping(path: &Path) -> Result<HashMap<Uuid, (String, Option<String>)>, CommandError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CommandError::Input(format!("{}: {e}", path.display())))?;
    let mut map = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || (n == 0 && line.starts_with("key")) {
            continue;
        }
        let bad =
            |why: &str| CommandError::Input(format!("{}: line {}: {why}", path.display(), n + 1));
        let mut fields = line.split(',').map(str::trim);
        let key = fields.next().unwrap_or_default();
        let key = Uuid::try_parse(key).map_err(|_| bad(&format!("{key:?} is not a UUID")))?;
        let cid = fields
            .next()
            .ok_or_else(|| bad("no X-Correlation-ID after the key"))?;
        if !is_uuid_v4(cid) {
            return Err(bad(&format!("X-Correlation-ID {cid:?} is not a UUIDv4")));
        }
        let at = fields
            .next()
            .map(|t| parse_time(t).map_err(|e| bad(&e)))
            .transpose()?;
        if fields.next().is_some() {
            return Err(bad("more than three fields"));
        }
        if map.insert(key, (cid.to_owned(), at)).is_some() {
            return Err(bad(&format!("key {key} is named twice")));
        }
    }
    Ok(map)
}

fn parse_time(t: &str) -> Result<String, String> {
    OffsetDateTime::parse(t, &Rfc3339)
        .map_err(|_| format!("{t:?} is not an RFC 3339 time (2026-01-31T06:00:00Z)"))
        .and_then(|t| {
            t.to_offset(time::UtcOffset::UTC)
                .format(&Rfc3339)
                .map_err(|e| e.to_string())
        })
}

fn import(a: &LedgerImportArgs, g: &RunOptions) -> Result<u8, CommandError> {
    let profile = g.interface.profile();
    if let Some(cid) = &a.correlation_id
        && !is_uuid_v4(cid)
    {
        return Err(CommandError::Usage(format!(
            "--correlation-id {cid:?} is not a UUIDv4"
        )));
    }
    let default_at = match &a.acknowledged_at {
        Some(t) => {
            parse_time(t).map_err(|e| CommandError::Usage(format!("--acknowledged-at: {e}")))?
        }
        None => now_text(),
    };
    let mapping = match &a.correlation_ids {
        Some(p) => read_mapping(p)?,
        None => HashMap::new(),
    };
    let file = std::fs::File::open(&a.export)
        .map_err(|e| CommandError::Input(format!("{}: {e}", a.export.display())))?;
    let name = a.export.display().to_string();
    let report = hash_report(file, &name, profile).map_err(CommandError::Input)?;
    let supplier = report
        .sender
        .as_deref()
        .and_then(|s| crate::identity::parse_written(s).ok())
        .map(|w| w.id)
        .ok_or_else(|| {
            CommandError::Input(format!(
                "{name}: senderBusinessId is not a business ID or VAT number: the ledger is kept per supplier"
            ))
        })?;
    let category = a.category.or(if profile.message.has_categories {
        None
    } else {
        Some(1)
    });
    if profile.message.has_categories && category.is_none() {
        return Err(CommandError::Usage(
            "--category 1 or 2: the update endpoint the export was sent to".into(),
        ));
    }
    // One message per X-Correlation-ID, in order of first appearance.
    let mut acks: Vec<Acknowledged> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut records: Vec<(HashedRecord, usize)> = Vec::with_capacity(report.records.len());
    let mut unnamed = Vec::new();
    for r in &report.records {
        let (cid, at) = match mapping.get(&r.key) {
            Some((cid, at)) => (
                cid.clone(),
                at.clone().unwrap_or_else(|| default_at.clone()),
            ),
            None => match &a.correlation_id {
                Some(cid) => (cid.clone(), default_at.clone()),
                None => {
                    if unnamed.len() < 5 {
                        unnamed.push(format!("{} {}", r.section.name(), r.key));
                    }
                    continue;
                }
            },
        };
        let i = *index.entry(cid.clone()).or_insert_with(|| {
            acks.push(Acknowledged {
                correlation_id: cid,
                kind: MessageKind::Import,
                category,
                acknowledged_at: at,
                source: name.clone(),
            });
            acks.len() - 1
        });
        records.push((*r, i));
    }
    if !unnamed.is_empty() {
        return Err(CommandError::Input(format!(
            "{}: names no X-Correlation-ID for {}{}; add them, or give --correlation-id for the rest; nothing was imported",
            a.correlation_ids
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            unnamed.join(", "),
            if unnamed.len() == 5 { ", …" } else { "" }
        )));
    }
    let path = ledger_path(&a.ledger, Some(&supplier), g.interface)?;
    let mut ledger = open_or_create(&path, Some(&supplier), g.interface)?;
    let n = ledger.import(&acks, &records).map_err(ledger_error)?;
    eprintln!(
        "tilicheck: imported {n} records of {} under {} X-Correlation-ID{} into {}",
        supplier.business_id_form(),
        acks.len(),
        if acks.len() == 1 { "" } else { "s" },
        path.display()
    );
    Ok(0)
}
