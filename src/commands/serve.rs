//! `tilicheck serve`: start the Account Register simulator and run until Ctrl-C or SIGTERM.

use std::time::Duration;

use time::OffsetDateTime;

use super::CommandError;
use crate::cli::ServeArgs;
use crate::profile::Interface;
use crate::simulator::faults::Faults;
use crate::simulator::setup::{self, Choices, SetupError};
use crate::simulator::{Config, ContentPolicy, Limits, SimError, Simulator};

pub fn run(
    args: &ServeArgs,
    interface: Interface,
    now: OffsetDateTime,
) -> Result<u8, CommandError> {
    let faults = Faults::from_list(&args.faults);
    let preparing = super::progress::step("preparing the simulator's certificates");
    let material = setup::material(&Choices {
        data_dir: &args.data_dir,
        cert: args.cert.as_deref(),
        key: args.key.as_deref(),
        trust: args.trust.as_deref(),
        suppliers: &args.suppliers,
        service_centres: args.service_centres.clone(),
        password: args.password.source(),
        now,
    })
    .map_err(|e| match e {
        SetupError::Usage(m) => CommandError::Usage(m),
        other => CommandError::Input(other.to_string()),
    })?;
    drop(preparing);
    let mut server_chain = material.server_chain;
    if faults.expired_server_certificate {
        let Some(dir) = &material.demo_dir else {
            return Err(CommandError::Usage(
                "--fault expired-cert needs the DEMO PKI (it re-issues the DEMO register certificate); leave out --cert/--trust/--supplier".into(),
            ));
        };
        server_chain = crate::pki::demo::reissue::expired_register_chain(dir, now)
            .map_err(|e| CommandError::Input(e.to_string()))?;
    }
    let io = Duration::from_secs(args.io_timeout.max(1));
    let config = Config {
        listen: args.listen,
        allow_remote: args.allow_remote,
        inspect: (!args.no_inspect).then_some(args.inspect),
        data_dir: args.data_dir.clone(),
        interface,
        server_chain,
        server_key: material.server_key,
        trust: material.trust,
        key_exchange: args.key_exchange,
        registry: material.registry,
        judge: setup::default_judge(),
        faults,
        sequential: args.sequential,
        content: if args.strict_content {
            ContentPolicy::Reject
        } else {
            ContentPolicy::Record
        },
        limits: Limits {
            max_connections: args.max_connections.max(1),
            handshake_timeout: io,
            header_timeout: io,
            body_timeout: io * 3,
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
            ..Limits::default()
        },
        verbose: !args.quiet,
        retain_days: args.retain,
    };
    let data_dir = config.data_dir.clone();
    let suppliers: Vec<String> = config
        .registry
        .suppliers
        .iter()
        .map(|s| s.written_id.clone())
        .collect();
    let running = Simulator::start(config).map_err(|e| match e {
        SimError::InspectNotLoopback(_) | SimError::ListenNotLoopback(_) => {
            CommandError::Usage(e.to_string())
        }
        other => CommandError::Input(other.to_string()),
    })?;
    let endpoints = interface.profile().message.endpoints.value;
    eprintln!(
        "tilicheck serve: Account Register simulator (interface {}, key exchange {}) on https://{}",
        interface.as_str(),
        args.key_exchange.as_str(),
        running.addr
    );
    eprintln!(
        "  endpoints: {} {} {} {}",
        endpoints.update_cat1, endpoints.update_cat2, endpoints.disputable, endpoints.incorrect
    );
    if let Some(dir) = &material.demo_dir {
        eprintln!(
            "  DEMO PKI {} {}: trust root-ca.pem; connect with supplier-chain.pem + supplier.key (the leaf with its CA: supplier.pem alone is refused, unknown CA); sign with supplier.key (sub {})",
            if material.generated {
                "written to"
            } else {
                "reused from"
            },
            dir.display(),
            crate::pki::demo::DEMO_SUPPLIER_ID
        );
    }
    if let Some(why) = &material.demo_replaced {
        eprintln!(
            "  the DEMO PKI there was replaced because {why}: hand the new supplier-chain.pem and root-ca.pem to your client"
        );
    }
    eprintln!("  registered signers: {}", suppliers.join(", "));
    eprintln!(
        "  content warnings (data the register is not known to check): {}",
        if args.strict_content {
            "refused with 400 (--strict-content)"
        } else {
            "recorded; the message is accepted as the register would (--strict-content refuses it)"
        }
    );
    eprintln!(
        "  database: {}",
        data_dir.join(crate::simulator::store::DB_FILE).display()
    );
    if let Some(addr) = running.inspect_addr {
        eprintln!("  inspection page: http://{addr}/");
    }
    if !running.addr.ip().is_loopback() {
        eprintln!(
            "  WARNING: listening on {}, which other machines can reach (--allow-remote); anyone with a certificate of the trusted CA can send reports, and what is sent is kept in the database",
            running.addr
        );
    }
    eprintln!("  stop with Ctrl-C");
    running
        .wait_for_signal()
        .map_err(|e| CommandError::Input(e.to_string()))?;
    eprintln!("tilicheck serve: stopped");
    Ok(0)
}
