//! What is in force: the file's settings with the environment's and the flags' overrides laid
//! over them, as `config show` prints it, each overridden key marked with where it came from.

use super::inputs::{
    EnvOverrides, FlagOverrides, ENV_CLAUDE_CODE_OAUTH_TOKEN, ENV_CLAUDE_CONFIG_DIR, ENV_CONFIG,
    ENV_DATA_DIR, ENV_GAUGE_URL, ENV_LISTEN,
};
use super::{RawConfig, Settings};

/// A setting that did not come from the config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Override {
    /// The dotted config key (`server.listen`), or `daemon_url` / `config_file` / `oauth.token`
    /// for what has no key in the file.
    pub(crate) key: &'static str,
    /// The environment variable or flag it came from.
    pub(crate) from: &'static str,
}

/// Every override the environment and the flags make, in file order.
pub(super) fn overrides(
    raw: &RawConfig,
    env: &EnvOverrides,
    flags: &FlagOverrides,
) -> Vec<Override> {
    let mut found = Vec::new();
    let mut add = |key, from: Option<&'static str>| {
        if let Some(from) = from {
            found.push(Override { key, from });
        }
    };
    add(
        "config_file",
        match (&flags.config_file, &env.config_file) {
            (Some(_), _) => Some("--config"),
            (None, Some(_)) => Some(ENV_CONFIG),
            (None, None) => None,
        },
    );
    add(
        "server.listen",
        match (flags.listen, &env.listen) {
            (Some(_), _) => Some("--listen"),
            (None, Some(_)) => Some(ENV_LISTEN),
            (None, None) => None,
        },
    );
    add(
        "server.data_dir",
        match (&flags.data_dir, &env.data_dir) {
            (Some(_), _) => Some("--data-dir"),
            (None, Some(_)) => Some(ENV_DATA_DIR),
            (None, None) => None,
        },
    );
    let is_claude_dir_from_env =
        raw.transcripts.claude_config_dir.is_none() && env.claude_config_dir.is_some();
    add(
        "transcripts.claude_config_dir",
        is_claude_dir_from_env.then_some(ENV_CLAUDE_CONFIG_DIR),
    );
    add(
        "daemon_url",
        env.gauge_url.is_some().then_some(ENV_GAUGE_URL),
    );
    add(
        "oauth.token",
        env.oauth_token
            .is_some()
            .then_some(ENV_CLAUDE_CODE_OAUTH_TOKEN),
    );
    found
}

impl Settings {
    /// Where `key` came from, if not from the file or the defaults.
    pub(crate) fn override_of(&self, key: &str) -> Option<&'static str> {
        self.overrides.iter().find(|o| o.key == key).map(|o| o.from)
    }

    /// The configuration in force as commented TOML: a header naming the file and the daemon URL
    /// clients use, then every section, each value the environment or a flag set marked
    /// `# from <where>`. It parses back into the same settings.
    pub(crate) fn in_force_toml(&self) -> String {
        let mut raw = self.raw.clone();
        raw.server.listen = self.daemon.listen.to_string();
        raw.server.data_dir = Some(self.daemon.data_dir.clone());
        if self.override_of("transcripts.claude_config_dir").is_some() {
            let roots: Vec<String> = self
                .claude_roots
                .candidates
                .iter()
                .map(|root| root.display().to_string())
                .collect();
            raw.transcripts.claude_config_dir = Some(roots.join(","));
        }
        let origin = |key: &str, otherwise: &str| {
            self.override_of(key)
                .map_or_else(|| otherwise.to_string(), |from| format!("from {from}"))
        };
        let file_state = if self.config_file_exists {
            "found"
        } else {
            "not found: defaults"
        };
        let mut text = format!(
            "# config file: {} ({}; {file_state})\n# clients reach the daemon at {} ({})\n",
            self.config_file.display(),
            origin("config_file", "the default path"),
            self.daemon_url,
            origin("daemon_url", "from server.listen"),
        );
        if let Some(from) = self.override_of("oauth.token") {
            text.push_str(&format!(
                "# {from} is set: the OAuth poller uses it before the credentials file\n"
            ));
        }
        let defaulted_data_dir =
            self.override_of("server.data_dir").is_none() && self.raw.server.data_dir.is_none();
        text.push_str(&annotate(&raw.to_toml(), |key| {
            self.override_of(key)
                .map(|from| format!("from {from}"))
                .or_else(|| {
                    (key == "server.data_dir" && defaulted_data_dir)
                        .then(|| "the platform default".to_string())
                })
        }));
        text
    }
}

/// Appends `  # <note>` to every `key = value` line whose dotted key has a note.
fn annotate(toml: &str, note: impl Fn(&str) -> Option<String>) -> String {
    let mut section = String::new();
    let mut out = String::with_capacity(toml.len());
    for line in toml.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.to_string();
        }
        out.push_str(line);
        if let Some((key, _)) = trimmed.split_once(" = ") {
            if let Some(note) = note(&format!("{section}.{}", key.trim())) {
                out.push_str(&format!("  # {note}"));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{resolve, PlatformDirs};

    #[test]
    fn environment_overrides_are_shown_and_marked() {
        let dirs = PlatformDirs {
            config_file: PathBuf::from("/c/config.toml"),
            data_dir: PathBuf::from("/d"),
            home: PathBuf::from("/home/u"),
        };
        let env = EnvOverrides {
            listen: Some("127.0.0.1:9999".into()),
            gauge_url: Some("http://127.0.0.1:7777".into()),
            claude_config_dir: Some("/elsewhere".into()),
            ..EnvOverrides::default()
        };
        let raw = RawConfig::default();
        let settings = resolve(
            raw,
            false,
            dirs.config_file.clone(),
            &dirs,
            &env,
            &FlagOverrides::default(),
        )
        .unwrap();
        let text = settings.in_force_toml();
        assert!(
            text.contains("listen = \"127.0.0.1:9999\"  # from CLAUDE_GAUGE_LISTEN"),
            "{text}"
        );
        assert!(
            text.contains("data_dir = \"/d\"  # the platform default"),
            "{text}"
        );
        assert!(
            text.contains("claude_config_dir = \"/elsewhere\"  # from CLAUDE_CONFIG_DIR"),
            "{text}"
        );
        assert!(
            text.contains("http://127.0.0.1:7777 (from CLAUDE_GAUGE_URL)"),
            "{text}"
        );
        // Comments aside, it is the same configuration.
        let reparsed = RawConfig::parse(&text).unwrap();
        assert_eq!(reparsed.server.listen, "127.0.0.1:9999");
    }
}
