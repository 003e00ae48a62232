//! Where a ledger lives when `--ledger` is not given: one file per supplier and interface in
//! the user's data directory, `$XDG_DATA_HOME/tilicheck/ledgers/<business ID>-<interface>.sqlite`
//! (`~/.local/share/…` on Linux, `~/Library/Application Support/…` on macOS, `%APPDATA%\…` on
//! Windows).

use std::path::{Path, PathBuf};

use crate::identity::BusinessId;
use crate::profile::Interface;
use crate::user_dirs::{DATA_DIR_ENV, data_dir};

/// The ledger file for `supplier` and `interface` under `data_dir`.
pub fn ledger_file(data_dir: &Path, supplier: &BusinessId, interface: Interface) -> PathBuf {
    data_dir.join("ledgers").join(format!(
        "{}-{}.sqlite",
        supplier.business_id_form(),
        interface.as_str()
    ))
}

/// The ledger to use: the one given, else the default for `supplier` (which must be known).
pub fn resolve(
    given: Option<&Path>,
    supplier: Option<&BusinessId>,
    interface: Interface,
) -> Result<PathBuf, String> {
    if let Some(p) = given {
        return Ok(p.to_owned());
    }
    let Some(supplier) = supplier else {
        return Err(
            "no --ledger FILE, and no supplier to find the default ledger by: give --ledger or --business-id"
                .into(),
        );
    };
    let Some(dir) = data_dir() else {
        return Err(format!(
            "no --ledger FILE, and this system has no user data directory for the default: give --ledger or set {DATA_DIR_ENV}"
        ));
    };
    Ok(ledger_file(&dir, supplier, interface))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_supplier_and_interface() {
        let id = BusinessId::parse_vat("FI12345671").unwrap();
        let d = Path::new("/d");
        assert_eq!(
            ledger_file(d, &id, Interface::V3),
            Path::new("/d/ledgers/1234567-1-v3.sqlite")
        );
        assert_eq!(
            ledger_file(d, &id, Interface::V1_0_4),
            Path::new("/d/ledgers/1234567-1-v1.0.4.sqlite")
        );
        assert!(resolve(None, None, Interface::V3).is_err());
        assert_eq!(
            resolve(Some(Path::new("x.sqlite")), None, Interface::V3).unwrap(),
            Path::new("x.sqlite")
        );
    }
}
