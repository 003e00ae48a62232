//! `vero serve-pki`: the DEMO certificate service on loopback until interrupted.

use crate::cli::vero::ServePkiArgs;
use crate::commands::CommandError;
use crate::secret::PasswordSource;
use crate::vero::simulator::{Simulator, SimulatorConfig, grant};

pub fn run(args: &ServePkiArgs) -> Result<u8, CommandError> {
    let mut grants = Vec::new();
    if let Some(id) = &args.transfer_id {
        let var = args.transfer_password_env.as_ref().ok_or_else(|| {
            CommandError::Usage("--transfer-id needs --transfer-password-env VAR".into())
        })?;
        let customer = args
            .customer_id
            .as_ref()
            .ok_or_else(|| CommandError::Usage("--transfer-id needs --customer-id".into()))?;
        let password = PasswordSource::Env(var.clone())
            .resolve("the transfer password")
            .map_err(|e| CommandError::Input(e.to_string()))?;
        grants.push(grant(id, password.expose(), customer));
    }
    let sim = Simulator::start(SimulatorConfig {
        listen: args.listen,
        environment: args.environment,
        grants,
        pending_polls: args.pending_polls,
    })
    .map_err(|e| CommandError::Input(e.to_string()))?;
    crate::atomic_file::replace(&args.ca_out, sim.tls_ca_pem.as_bytes()).map_err(|e| {
        CommandError::Input(format!(
            "{}: cannot write the CA: {e}",
            args.ca_out.display()
        ))
    })?;
    if let Some(path) = &args.service_ca_out {
        crate::atomic_file::replace(path, sim.service_ca_pem.as_bytes()).map_err(|e| {
            CommandError::Input(format!("{}: cannot write the CA: {e}", path.display()))
        })?;
    }
    eprintln!(
        "DEMO certificate service ({}) at {}; its TLS CA is in {}. Stop with Ctrl-C.",
        args.environment.as_str(),
        sim.url(),
        args.ca_out.display()
    );
    sim.wait();
    Ok(0)
}
