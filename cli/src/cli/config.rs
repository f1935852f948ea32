//! `--config FILE`: a TOML file, or the JSON sidecar of an earlier run.
//!
//! The names are the config's own (`window`, `min_pair_count`, and the
//! sections `[factorize]` and `[propagation]` for graphs; `[words]` /
//! `[lsa]` and `[text]` for text), as the sidecar records them, so any
//! sidecar can be passed back as a config. A flag given on the command line
//! overrides the file; a flag left at its default does not.

use anyhow::{Context, bail};
use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Read a config: TOML, or JSON — a whole sidecar (its `config` member is
/// taken) or a bare config object.
pub fn load<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = pmivec::source::read_to_string(path)?;
    if text.trim_start().starts_with('{') {
        let mut v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))?;
        if v.get("tool").and_then(|t| t.as_str()) == Some("pmivec")
            && let Some(c) = v.get_mut("config")
        {
            v = c.take();
        }
        return serde_json::from_value(v).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    match toml::from_str(&text) {
        Ok(c) => Ok(c),
        Err(e) => bail!("{}: {}", path.display(), e.to_string().trim_end()),
    }
}

/// Whether the flag with clap id `id` was given on the command line.
pub fn given(matches: &ArgMatches, id: &str) -> bool {
    matches.try_get_raw(id).is_ok() && matches.value_source(id) == Some(ValueSource::CommandLine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pmivec::EmbedConfig;

    #[test]
    fn toml_and_sidecar_json_both_read_as_a_config() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("c.toml");
        std::fs::write(&toml_path, "window = 3\n[factorize]\ndim = 16\n[propagation]\npasses = 2\n").unwrap();
        let c: EmbedConfig = load(&toml_path).unwrap();
        assert_eq!((c.window, c.factorize.dim, c.propagation.passes), (3, 16, Some(2)));
        let json_path = dir.path().join("c.json");
        let sidecar = serde_json::json!({"tool": "pmivec", "config": serde_json::to_value(&c).unwrap()});
        std::fs::write(&json_path, sidecar.to_string()).unwrap();
        assert_eq!(load::<EmbedConfig>(&json_path).unwrap(), c);
        std::fs::write(&toml_path, "windw = 3\n").unwrap();
        let e = load::<EmbedConfig>(&toml_path).unwrap_err().to_string();
        assert!(e.contains("c.toml") && e.contains("windw"), "{e}");
    }
}
