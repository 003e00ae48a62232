//! The official schemas and examples, bundled byte for byte (see `spec-data/tilirekisteri/SOURCE.md`),
//! and their compiled validators.

use std::sync::OnceLock;

macro_rules! spec_file {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/spec-data/tilirekisteri/",
            $path
        ))
    };
}

// The schemas are named in the profile (which one validates what); their text and validators
// are here.
pub use crate::profile::message::SchemaId;

impl SchemaId {
    /// The schema text exactly as published.
    pub fn text(self) -> &'static str {
        match self {
            SchemaId::V104Update => spec_file!("v1.0.4/schemas/information_update.json"),
            SchemaId::V3Cat1 => {
                spec_file!("v3/schemas/information_update-v3-credit_institution.json")
            }
            SchemaId::V3Cat2 => spec_file!("v3/schemas/information_update-v3-other.json"),
            SchemaId::V3Disputable => spec_file!("v3/schemas/report_disputable.json"),
            SchemaId::V3Incorrect => spec_file!("v3/schemas/report_incorrect.json"),
        }
    }

    /// The compiled draft-7 validator, built once per process.
    pub fn validator(self) -> &'static jsonschema::Validator {
        static CELLS: [OnceLock<jsonschema::Validator>; 5] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let index = SchemaId::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or_default();
        CELLS[index].get_or_init(|| compile(self))
    }
}

fn compile(id: SchemaId) -> jsonschema::Validator {
    // The bundled schemas are fixed at build time and covered by tests, so a failure here is
    // a defect of this program, not of the user's input.
    let schema: serde_json::Value = match serde_json::from_str(id.text()) {
        Ok(v) => v,
        Err(e) => panic!("bundled schema {} is not JSON: {e}", id.file_name()),
    };
    match jsonschema::draft7::new(&schema) {
        Ok(v) => v,
        Err(e) => panic!("bundled schema {} does not compile: {e}", id.file_name()),
    }
}

/// An official example message.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// Path under the bundled data directory.
    pub name: &'static str,
    pub text: &'static str,
}

/// Every bundled official example.
pub const EXAMPLES: &[Example] = &[
    Example {
        name: "v1.0.4/examples/report-update.json",
        text: spec_file!("v1.0.4/examples/report-update.json"),
    },
    Example {
        name: "v1.0.4/examples/report-disputable.json",
        text: spec_file!("v1.0.4/examples/report-disputable.json"),
    },
    Example {
        name: "v1.0.4/examples/report-incorrect.json",
        text: spec_file!("v1.0.4/examples/report-incorrect.json"),
    },
    Example {
        name: "v1.0.4-as-published/examples/report-update.json",
        text: spec_file!("v1.0.4-as-published/examples/report-update.json"),
    },
    Example {
        name: "v3/examples/report-update-v3-credit_institution.json",
        text: spec_file!("v3/examples/report-update-v3-credit_institution.json"),
    },
    Example {
        name: "v3/examples/report-update-v3-other.json",
        text: spec_file!("v3/examples/report-update-v3-other.json"),
    },
    Example {
        name: "v3/examples/report-disputable.json",
        text: spec_file!("v3/examples/report-disputable.json"),
    },
    Example {
        name: "v3/examples/report-incorrect.json",
        text: spec_file!("v3/examples/report-incorrect.json"),
    },
];
