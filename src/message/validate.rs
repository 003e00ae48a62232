//! JSON Schema (draft 7) validation against the bundled official schemas.

use serde_json::Value;

use crate::message::schemas::SchemaId;

/// One schema violation: where (JSON pointer, "" for the root) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    pub pointer: String,
    pub message: String,
}

/// Every violation of `schema` by `report`, in the validator's order.
pub fn schema_errors(schema: SchemaId, report: &Value) -> Vec<SchemaError> {
    let validator = schema.validator();
    // The yes/no walk first: it stops early and builds no error paths, and a valid report
    // (the usual case) needs nothing more.
    let mut out: Vec<SchemaError> = if validator.is_valid(report) {
        Vec::new()
    } else {
        validator
            .iter_errors(report)
            .map(|e| SchemaError {
                pointer: e.instance_path().to_string(),
                message: e.to_string(),
            })
            .collect()
    };
    // The official schemas have no "type": "object" at the root, so they accept `42` or
    // `[]`. The register cannot: say so.
    if !report.is_object() {
        out.insert(
            0,
            SchemaError {
                pointer: String::new(),
                message: format!(
                    "the report is {} and not a JSON object (the official schema lacks a root \"type\" and would let this through)",
                    json_type(report)
                ),
            },
        );
    }
    out
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
