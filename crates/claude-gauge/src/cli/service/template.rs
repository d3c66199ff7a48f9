//! The one template of the service files: the systemd user unit and the launchd agent that
//! `service install` writes, and that `deploy/systemd/` and `deploy/launchd/` hold rendered for
//! `~/.cargo/bin` (a test keeps them equal).

/// The systemd unit; `{exec}` is the binary in systemd's syntax, `{env}` extra `Environment=`
/// lines.
const SYSTEMD_UNIT: &str = r#"# claude-gauge as a systemd user service (no root; it reads your own Claude Code data).
#
# `claude-gauge service install` writes this unit to ~/.config/systemd/user/ with the path of the
# installed binary and enables it; `claude-gauge service status` and `claude-gauge service
# uninstall` manage it. deploy/systemd/claude-gauge.service is the same template rendered for
# ~/.cargo/bin, to install by hand:
#
#   install -Dm644 deploy/systemd/claude-gauge.service ~/.config/systemd/user/claude-gauge.service
#   systemctl --user daemon-reload && systemctl --user enable --now claude-gauge
#   journalctl --user -u claude-gauge -f
#
# Settings come from ~/.config/claude-gauge/config.toml (`claude-gauge config init` writes one);
# add a [prometheus] section there for team mode (docs/prometheus.md). The daemon listens on
# 127.0.0.1:8765 unless the config says otherwise.
[Unit]
Description=claude-gauge: Claude Code usage for the needle-gauge cluster
Documentation=man:claude-gauge(1)
After=network-online.target
Wants=network-online.target

[Service]
Type=exec
ExecStart={exec} serve
# SIGTERM is a clean stop: the daemon drains its tasks within 5 s.
KillSignal=SIGTERM
TimeoutStopSec=10
Restart=on-failure
RestartSec=5
Environment=CLAUDE_GAUGE_LOG=info
{env}# Light hardening: it must still read ~/.claude and write its data dir under ~/.local/share.
NoNewPrivileges=yes
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
LockPersonality=yes

[Install]
WantedBy=default.target
"#;

/// The launchd agent; `{exe}` and `{home}` are XML-escaped, `{env}` extra key/string pairs.
const LAUNCHD_PLIST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!--
  claude-gauge as a launchd user agent on macOS.

  `claude-gauge service install` writes this file to ~/Library/LaunchAgents/ with the path of the
  installed binary and loads it; `claude-gauge service status` and `claude-gauge service
  uninstall` manage it. deploy/launchd/com.claude-gauge.daemon.plist is the same template
  rendered for ~/.cargo/bin, to install by hand:

    sed "s|/Users/USERNAME|$HOME|g" deploy/launchd/com.claude-gauge.daemon.plist \
      > ~/Library/LaunchAgents/com.claude-gauge.daemon.plist
    launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/com.claude-gauge.daemon.plist
    launchctl kickstart -k gui/$(id -u)/com.claude-gauge.daemon   # restart after a config change
    launchctl bootout gui/$(id -u)/com.claude-gauge.daemon        # stop and unload

  Settings come from ~/Library/Application Support/claude-gauge/config.toml; add a [prometheus]
  section there for team mode (docs/prometheus.md). Logs go to ~/Library/Logs/claude-gauge.log.
-->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>com.claude-gauge.daemon</string>
  <key>ProgramArguments</key>
  <array>
    <string>{exe}</string>
    <string>serve</string>
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>CLAUDE_GAUGE_LOG</key>
    <string>info</string>
{env}  </dict>
  <key>RunAtLoad</key>
  <true/>
  <!-- Restart after a crash, not after a clean stop. -->
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>ProcessType</key>
  <string>Background</string>
  <key>StandardOutPath</key>
  <string>{home}/Library/Logs/claude-gauge.log</string>
  <key>StandardErrorPath</key>
  <string>{home}/Library/Logs/claude-gauge.log</string>
</dict>
</plist>
"#;

/// The systemd unit running `exec` (already in systemd's syntax: see [`systemd_quote`]) with
/// `env` set.
pub(super) fn systemd_unit(exec: &str, env: &[(&str, String)]) -> String {
    let env_lines: String = env
        .iter()
        .map(|(name, value)| {
            format!(
                "Environment={}\n",
                systemd_quote(&format!("{name}={value}"))
            )
        })
        .collect();
    SYSTEMD_UNIT
        .replace("{exec}", exec)
        .replace("{env}", &env_lines)
}

/// The launchd agent running `exe`, logging under `home`, with `env` set.
pub(super) fn launchd_plist(exe: &str, home: &str, env: &[(&str, String)]) -> String {
    let env_lines: String = env
        .iter()
        .map(|(name, value)| {
            format!(
                "    <key>{}</key>\n    <string>{}</string>\n",
                xml_escape(name),
                xml_escape(value)
            )
        })
        .collect();
    LAUNCHD_PLIST
        .replace("{exe}", &xml_escape(exe))
        .replace("{home}", &xml_escape(home))
        .replace("{env}", &env_lines)
}

/// One word in systemd's syntax: `%` doubled (it starts a specifier), and quoted when it holds
/// whitespace, quotes or backslashes.
pub(super) fn systemd_quote(word: &str) -> String {
    let word = word.replace('%', "%%");
    if word
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'))
    {
        format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        word
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deploy_files_are_this_template_for_cargo_bin() {
        assert_eq!(
            systemd_unit("%h/.cargo/bin/claude-gauge", &[]),
            include_str!("../../../../../deploy/systemd/claude-gauge.service")
        );
        assert_eq!(
            launchd_plist(
                "/Users/USERNAME/.cargo/bin/claude-gauge",
                "/Users/USERNAME",
                &[]
            ),
            include_str!("../../../../../deploy/launchd/com.claude-gauge.daemon.plist")
        );
    }

    #[test]
    fn paths_and_values_are_quoted_for_each_format() {
        assert_eq!(
            systemd_quote("/opt/bin/claude-gauge"),
            "/opt/bin/claude-gauge"
        );
        assert_eq!(systemd_quote("/my apps/50%/cg"), "\"/my apps/50%%/cg\"");
        let unit = systemd_unit(
            &systemd_quote("/my apps/cg"),
            &[("CLAUDE_CONFIG_DIR", "/a b".to_string())],
        );
        assert!(unit.contains("ExecStart=\"/my apps/cg\" serve\n"), "{unit}");
        assert!(
            unit.contains("Environment=\"CLAUDE_CONFIG_DIR=/a b\"\n"),
            "{unit}"
        );
        let plist = launchd_plist("/x/<cg>", "/Users/a&b", &[("K", "v".to_string())]);
        assert!(plist.contains("<string>/x/&lt;cg&gt;</string>"), "{plist}");
        assert!(plist.contains("<string>/Users/a&amp;b/Library/Logs/claude-gauge.log</string>"));
        assert!(
            plist.contains("    <key>K</key>\n    <string>v</string>\n  </dict>"),
            "{plist}"
        );
    }
}
