//! Where secrets may come from: environment variables, or files named by `<VARIABLE>_FILE`
//! (the Docker and Kubernetes secrets convention), never the command line, where other
//! users see them in `ps` and they stay in shell history.

use std::ffi::OsString;
use std::path::Path;

use anyhow::{bail, Context};
use clap::parser::ValueSource;
use clap::ArgMatches;
use fxmon_adapters::source::API_KEY_ENV;
use fxmon_app::redact;

/// Variables that may be given as a file instead, through `<VARIABLE>_FILE`.
pub const FILE_VARIABLES: [&str; 4] = [
    "FXMON_DATABASE_URL",
    "FXMON_REDIS_URL",
    "FXMON_KAFKA_PROPERTIES",
    API_KEY_ENV,
];

/// Sets each of [`FILE_VARIABLES`] whose `_FILE` variable is set to that file's content,
/// so clap and the rest of fxmon see one variable. Call it before any thread starts:
/// it changes the environment.
pub fn load_files() -> anyhow::Result<()> {
    for (name, value) in from_files(|name| std::env::var_os(name))? {
        std::env::set_var(name, value);
    }
    Ok(())
}

/// The values `load_files` sets, read through `var`.
fn from_files(var: impl Fn(&str) -> Option<OsString>) -> anyhow::Result<Vec<(String, String)>> {
    let mut values = Vec::new();
    for name in FILE_VARIABLES {
        let file_variable = format!("{name}_FILE");
        let Some(path) = var(&file_variable) else {
            continue;
        };
        if var(name).is_some() {
            bail!("Both {name} and {file_variable} are set: set only one of them.");
        }
        values.push((
            name.to_owned(),
            read_secret(&file_variable, Path::new(&path))?,
        ));
    }
    Ok(values)
}

/// The content of a secret file, without the trailing newline editors add.
fn read_secret(file_variable: &str, path: &Path) -> anyhow::Result<String> {
    let content = std::fs::read_to_string(path)
        .with_context(|| format!("Failed to read {file_variable} ({}).", path.display()))?;
    Ok(content.trim_end_matches(['\n', '\r']).to_owned())
}

/// Refuses a password given on the command line: in `--database-url` or `--redis-url`, or a
/// secret-looking `--kafka-property` (see [`redact::is_secret_key`]). Returns what to say.
pub fn refuse_command_line_secrets(matches: &ArgMatches) -> Result<(), String> {
    for (id, flag, variable) in [
        ("database_url", "--database-url", "FXMON_DATABASE_URL"),
        ("redis_url", "--redis-url", "FXMON_REDIS_URL"),
    ] {
        let url = from_command_line(matches, id).and_then(|m| m.get_one::<String>(id));
        if url.is_some_and(|url| redact::has_password(url)) {
            return Err(advice(flag, "a password", variable));
        }
    }
    if let Some(properties) = from_command_line(matches, "kafka_property")
        .and_then(|m| m.get_many::<(String, String)>("kafka_property"))
    {
        for (key, _) in properties {
            if redact::is_secret_key(key) {
                let what = format!("the secret {key}");
                return Err(advice("--kafka-property", &what, "FXMON_KAFKA_PROPERTIES"));
            }
        }
    }
    match matches.subcommand() {
        Some((_, sub)) => refuse_command_line_secrets(sub),
        None => Ok(()),
    }
}

/// `matches` if `id` was given on the command line there.
fn from_command_line<'a>(matches: &'a ArgMatches, id: &str) -> Option<&'a ArgMatches> {
    // `value_source` panics on an id the (sub)command does not define: check first.
    let defined = matches.ids().any(|known| known.as_str() == id);
    (defined && matches.value_source(id) == Some(ValueSource::CommandLine)).then_some(matches)
}

/// `error` with its cause chain in one message, every URL password masked.
pub fn masked(error: anyhow::Error) -> anyhow::Error {
    let mut text = error.to_string();
    let causes: Vec<String> = error.chain().skip(1).map(|c| c.to_string()).collect();
    if !causes.is_empty() {
        text.push_str("\n\nCaused by:");
        for (i, cause) in causes.iter().enumerate() {
            text.push_str(&format!("\n    {i}: {cause}"));
        }
    }
    anyhow::Error::msg(redact::text(&text))
}

fn advice(flag: &str, what: &str, variable: &str) -> String {
    format!(
        "{flag} carries {what} on the command line, where other users can read it; \
         set {variable} or {variable}_FILE instead (docs/CONNECTIONS.md)"
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::cli::Cli;

    fn env(pairs: &[(&str, &Path)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_os_str().to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn a_masked_error_keeps_its_causes_but_not_url_passwords() {
        let error = anyhow::anyhow!("refused by redis://u:pw@h").context("Failed.");
        let shown = format!("{:?}", masked(error));
        assert!(shown.starts_with("Failed.\n\nCaused by:\n    0: refused by redis://u:***@h"));
    }

    #[test]
    fn a_file_variable_supplies_the_file_content_without_its_trailing_newline() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("url");
        std::fs::write(&file, "postgres://fxmon:pw@db/fxmon\n").unwrap();
        let values = from_files(env(&[("FXMON_DATABASE_URL_FILE", &file)])).unwrap();
        assert_eq!(
            values,
            [(
                "FXMON_DATABASE_URL".to_owned(),
                "postgres://fxmon:pw@db/fxmon".to_owned()
            )]
        );
    }

    #[test]
    fn every_secret_variable_has_a_file_variant() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("secret");
        std::fs::write(&file, "value\r\n").unwrap();
        let names: Vec<String> = FILE_VARIABLES.iter().map(|n| format!("{n}_FILE")).collect();
        let pairs: Vec<(&str, &Path)> = names.iter().map(|n| (n.as_str(), &*file)).collect();
        let values = from_files(env(&pairs)).unwrap();
        assert_eq!(values.len(), 4);
        assert!(values.iter().all(|(_, v)| v == "value"));
        assert!(values
            .iter()
            .any(|(n, _)| n == "FXMON_EXCHANGERATE_API_KEY"));
    }

    #[test]
    fn a_variable_and_its_file_variant_together_are_refused_naming_both() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("url");
        std::fs::write(&file, "redis://h").unwrap();
        let error = from_files(env(&[
            ("FXMON_REDIS_URL", Path::new("redis://other")),
            ("FXMON_REDIS_URL_FILE", &file),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("FXMON_REDIS_URL and FXMON_REDIS_URL_FILE"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_secret_file_is_an_error_naming_its_variable() {
        let missing = Path::new("/nonexistent/fxmon-secret");
        let error = from_files(env(&[("FXMON_KAFKA_PROPERTIES_FILE", missing)])).unwrap_err();
        assert!(
            format!("{error:#}")
                .contains("FXMON_KAFKA_PROPERTIES_FILE (/nonexistent/fxmon-secret)"),
            "{error:#}"
        );
    }

    fn refusal(args: &[&str]) -> Result<(), String> {
        let matches = Cli::command().try_get_matches_from(args).unwrap();
        Cli::try_parse_from(args).unwrap();
        refuse_command_line_secrets(&matches)
    }

    #[test]
    fn a_password_in_a_url_on_the_command_line_is_refused() {
        let error = refusal(&["fxmon", "run", "--database-url", "postgres://u:pw@h/d"]);
        assert!(error.unwrap_err().contains("FXMON_DATABASE_URL_FILE"));
        let error = refusal(&["fxmon", "processor", "--redis-url", "rediss://:pw@h:6380"]);
        assert!(error.unwrap_err().contains("--redis-url"));
        let error = refusal(&[
            "fxmon",
            "apikey",
            "list",
            "--database-url",
            "postgres://h/d?password=pw",
        ]);
        assert!(error.is_err());
    }

    #[test]
    fn a_secret_kafka_property_on_the_command_line_is_refused() {
        let error = refusal(&[
            "fxmon",
            "producer",
            "--kafka-property",
            "security.protocol=SASL_SSL,sasl.password=pw",
        ]);
        assert!(error.unwrap_err().contains("sasl.password"));
    }

    #[test]
    fn urls_without_passwords_and_plain_properties_are_accepted() {
        let args = [
            "fxmon",
            "run",
            "--database-url",
            "postgres://fxmon@db/fxmon?sslmode=require",
            "--redis-url",
            "rediss://cache:6380",
            "--kafka-property",
            "security.protocol=SSL,ssl.ca.location=/ca.pem",
        ];
        assert_eq!(refusal(&args), Ok(()));
    }
}
