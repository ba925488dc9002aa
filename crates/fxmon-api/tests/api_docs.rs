//! docs/API.md is rendered from the OpenAPI document, so the docs cannot drift from the
//! code: this test fails when they differ. Regenerate with
//! `UPDATE_API_DOCS=1 cargo test -p fxmon-api --test api_docs`.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "patch", "put", "delete"];

#[test]
fn docs_api_md_matches_the_openapi_document() {
    let document = serde_json::to_value(fxmon_api::openapi()).unwrap();
    let rendered = render(&document);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/API.md");
    if std::env::var_os("UPDATE_API_DOCS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "docs/API.md is out of date with the OpenAPI document; run \
         `UPDATE_API_DOCS=1 cargo test -p fxmon-api --test api_docs` and commit the result"
    );
}

#[test]
fn the_document_is_openapi_3_1_and_every_operation_documents_its_responses() {
    let document = serde_json::to_value(fxmon_api::openapi()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 10, "{} paths", paths.len());
    for (path, item) in paths {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                let responses = operation["responses"].as_object().unwrap();
                assert!(!responses.is_empty(), "{method} {path} has no responses");
                assert!(
                    operation
                        .get("description")
                        .or(operation.get("summary"))
                        .is_some(),
                    "{method} {path} is undocumented"
                );
            }
        }
    }
}

fn render(document: &Value) -> String {
    let mut out = String::new();
    let info = &document["info"];
    writeln!(out, "# fxmon HTTP API\n").unwrap();
    writeln!(
        out,
        "<!-- Generated from the OpenAPI document by crates/fxmon-api/tests/api_docs.rs; do not edit by hand. -->\n"
    )
    .unwrap();
    writeln!(
        out,
        "Version {}. {}\n",
        text(&info["version"]),
        text(&info["description"])
    )
    .unwrap();
    writeln!(
        out,
        "The live document is served at `/openapi.json` and browsable at `/docs`.\n"
    )
    .unwrap();
    writeln!(out, "| method | path | summary |\n|---|---|---|").unwrap();
    let paths = document["paths"].as_object().unwrap();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                writeln!(
                    out,
                    "| {} | `{}` | {} |",
                    method.to_uppercase(),
                    path,
                    text(&operation["summary"])
                )
                .unwrap();
            }
        }
    }
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            writeln!(out, "\n## {} `{}`\n", method.to_uppercase(), path).unwrap();
            let description = text(&operation["description"]);
            let summary = text(&operation["summary"]);
            writeln!(
                out,
                "{}\n",
                if description.is_empty() {
                    summary
                } else {
                    format!("{summary} {description}")
                }
                .trim()
            )
            .unwrap();
            render_parameters(&mut out, operation);
            if let Some(body) = operation.get("requestBody") {
                let schema = body["content"]["application/json"]["schema"].clone();
                writeln!(
                    out,
                    "Request body (`application/json`): {}\n",
                    schema_name(&schema)
                )
                .unwrap();
            }
            writeln!(out, "| status | meaning | body |\n|---|---|---|").unwrap();
            for (status, response) in operation["responses"].as_object().unwrap() {
                let body = response["content"]
                    .as_object()
                    .map(|content| {
                        content
                            .iter()
                            .map(|(kind, media)| {
                                format!("`{kind}` {}", schema_name(&media["schema"]))
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "| {status} | {} | {body} |",
                    text(&response["description"])
                )
                .unwrap();
            }
        }
    }
    writeln!(out, "\n## Schemas\n").unwrap();
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            writeln!(out, "### {name}\n").unwrap();
            let description = text(&schema["description"]);
            if !description.is_empty() {
                writeln!(out, "{description}\n").unwrap();
            }
            if let Some(properties) = schema["properties"].as_object() {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                writeln!(
                    out,
                    "| field | type | required | description |\n|---|---|---|---|"
                )
                .unwrap();
                for (field, property) in properties {
                    let required = if required.contains(&field.as_str()) {
                        "yes"
                    } else {
                        "no"
                    };
                    writeln!(
                        out,
                        "| `{field}` | {} | {required} | {} |",
                        schema_name(property),
                        text(&property["description"])
                    )
                    .unwrap();
                }
                writeln!(out).unwrap();
            }
        }
    }
    out
}

fn render_parameters(out: &mut String, operation: &Value) {
    let Some(parameters) = operation["parameters"].as_array() else {
        return;
    };
    if parameters.is_empty() {
        return;
    }
    writeln!(
        out,
        "| parameter | in | type | required | description |\n|---|---|---|---|---|"
    )
    .unwrap();
    for p in parameters {
        let required = if p["required"].as_bool() == Some(true) {
            "yes"
        } else {
            "no"
        };
        writeln!(
            out,
            "| `{}` | {} | {} | {required} | {} |",
            text(&p["name"]),
            text(&p["in"]),
            schema_name(&p["schema"]),
            text(&p["description"])
        )
        .unwrap();
    }
    writeln!(out).unwrap();
}

/// A short name for a schema: its `$ref` target, `[T]` for arrays, or its type.
fn schema_name(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return format!("`{}`", reference.rsplit('/').next().unwrap_or(reference));
    }
    if let Some(one_of) = schema["oneOf"].as_array() {
        return one_of
            .iter()
            .map(schema_name)
            .collect::<Vec<_>>()
            .join(" or ");
    }
    match &schema["type"] {
        Value::String(kind) if kind == "array" => format!("[{}]", schema_name(&schema["items"])),
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

/// A string value on one line, with `|` escaped for tables.
fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}
