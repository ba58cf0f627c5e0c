//! The OpenWrt package (`openwrt/odin-agent/`): its version against the
//! crate's, its init script (shellcheck; run against stubs of procd's and
//! UCI's shell API, with the real agent binary for its own check), what
//! procd is given, and how a bad configuration is refused.
//!
//! The stubs stand in for OpenWrt's `/etc/rc.common`, `procd.sh` and
//! `functions.sh`: each procd call is recorded, the configuration is read
//! with this crate's UCI parser, and `uci_load_validate` checks the
//! datatypes the script uses as OpenWrt's `validate_data` does (and says
//! so when a script uses one it does not know). The script runs under
//! `sh` and, when present, BusyBox's `sh` (OpenWrt's shell).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

const AGENT: &str = env!("CARGO_BIN_EXE_odin-agent");

fn package_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../openwrt/odin-agent")
}

fn init_script() -> PathBuf {
    package_dir().join("files/odin-agent.init")
}

fn sample() -> String {
    std::fs::read_to_string(package_dir().join("files/odin-agent.config")).unwrap()
}

#[test]
fn the_makefile_the_crate_and_the_binary_have_one_version() {
    let makefile = std::fs::read_to_string(package_dir().join("Makefile")).unwrap();
    let versions: Vec<&str> = makefile
        .lines()
        .filter_map(|l| l.strip_prefix("PKG_VERSION:="))
        .collect();
    assert_eq!(
        versions,
        [env!("CARGO_PKG_VERSION")],
        "PKG_VERSION in the Makefile"
    );
    let out = Command::new(AGENT).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("odin-agent {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_makefile_is_what_the_feed_expects() {
    let makefile = std::fs::read_to_string(package_dir().join("Makefile")).unwrap();
    for needle in [
        "# SPDX-License-Identifier: Apache-2.0",
        "PKG_LICENSE:=Apache-2.0",
        "PKG_MAINTAINER:=",
        "PKG_BUILD_DEPENDS:=rust/host",
        "include $(TOPDIR)/feeds/packages/lang/rust/rust-package.mk",
        "DEPENDS:=$(RUST_ARCH_DEPENDS)",
        "Build/Compile=$(call Build/Compile/Cargo,odin-agent,--bin odin-agent)",
        "define Package/odin-agent/conffiles\n/etc/config/odin-agent\n",
        "$(INSTALL_BIN) $(PKG_INSTALL_DIR)/bin/odin-agent $(1)/usr/sbin/",
        "$(INSTALL_BIN) ./files/odin-agent.init $(1)/etc/init.d/odin-agent",
        "$(INSTALL_CONF) ./files/odin-agent.config $(1)/etc/config/odin-agent",
        "$(eval $(call BuildPackage,odin-agent))",
    ] {
        assert!(makefile.contains(needle), "the Makefile lacks {needle:?}");
    }
    // Cargo.lock is used as it is: nothing turns --locked off.
    assert!(!makefile.contains("RUST_PKG_LOCKED:=0"));
    // Make recipes are indented with tabs.
    for (i, line) in makefile.lines().enumerate() {
        assert!(
            !line.starts_with("    $("),
            "line {}: spaces before a recipe",
            i + 1
        );
    }
}

/// Whether `program` runs here (`args` is a harmless invocation).
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn shellcheck_passes_on_the_init_script_and_the_stubs() {
    if !runs("shellcheck", &["--version"]) {
        eprintln!("shellcheck is not installed here: not checked (scripts/test.sh installs it)");
        return;
    }
    let dir = TempDir::new("shellcheck");
    let stubs = dir.path().join("stubs.sh");
    std::fs::write(&stubs, STUBS).unwrap();
    for script in [init_script(), stubs] {
        let out = Command::new("shellcheck")
            .args(["-s", "sh"])
            .arg(&script)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "shellcheck {}:\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// A directory of its own under the system's temporary directory,
/// removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("odin-openwrt-{what}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Stubs of the OpenWrt shell API the init script uses. Each procd call
/// and each log line goes to $CALLS, one line per call, the words in
/// brackets. $UCI_DATA is the configuration, a line per section and per
/// value (tab-separated): `section TYPE NAME`, `value SECTION OPTION
/// VALUE` (a list: a line per element).
const STUBS: &str = r#"# shellcheck shell=sh disable=SC3043
record() {
	{
		printf '%s' "$1"
		shift
		for _word in "$@"; do
			printf ' [%s]' "$_word"
		done
		printf '\n'
	} >> "$CALLS"
}

procd_open_instance() { record procd_open_instance "$@"; }
procd_set_param() { record procd_set_param "$@"; }
procd_append_param() { record procd_append_param "$@"; }
procd_close_instance() { record procd_close_instance "$@"; }
procd_open_trigger() { record procd_open_trigger "$@"; }
procd_close_trigger() { record procd_close_trigger "$@"; }
procd_add_reload_trigger() { record procd_add_reload_trigger "$@"; }
extra_command() { record extra_command "$@"; }
logger() { record logger "$@"; }

# As procd.sh's: the validation functions, called with no section, give
# their schema.
procd_add_validation() {
	record procd_add_validation "$@"
	"$@"
}

config_load() { record config_load "$@"; }

config_foreach() {
	local _fn="$1" _type="$2" _section
	shift 2
	# shellcheck disable=SC2013 # section names are single words
	for _section in $(awk -F '\t' -v t="$_type" '$1 == "section" && $2 == t { print $3 }' "$UCI_DATA"); do
		"$_fn" "$_section" "$@"
	done
}

# validate_data's datatypes that the init script uses; any other is an
# error of the stub (exit 2), so that the test shows it.
check_datatype() {
	[ -f "$2" ] && _is_file=1 || _is_file=0
	DT_EXPR="$1" DT_VALUE="$2" DT_FILE="$_is_file" awk '
	function uint(v) { return v ~ /^[0-9]+$/ }
	function unsupported(e) { print "stub: unsupported datatype " e > "/dev/stderr"; exit 2 }
	function check(e, v,    name, args, parts, n, i, c, depth, start) {
		if (e ~ /^".*"$/) return v == substr(e, 2, length(e) - 2)
		if (e == "string") return 1
		if (e == "bool") return tolower(v) ~ /^(0|1|on|off|true|false|yes|no)$/
		if (e == "uinteger") return uint(v)
		if (e == "file") return ENVIRON["DT_FILE"] == "1"
		if (e !~ /^[a-z]+\(.*\)$/) unsupported(e)
		name = substr(e, 1, index(e, "(") - 1)
		args = substr(e, length(name) + 2, length(e) - length(name) - 2)
		n = 0; depth = 0; start = 1
		for (i = 1; i <= length(args); i++) {
			c = substr(args, i, 1)
			if (c == "(") depth++
			else if (c == ")") depth--
			else if (c == "," && depth == 0) { parts[++n] = substr(args, start, i - start); start = i + 1 }
		}
		parts[++n] = substr(args, start)
		if (name == "or") { for (i = 1; i <= n; i++) if (check(parts[i], v)) return 1; return 0 }
		if (name == "range") return uint(v) && v + 0 >= parts[1] + 0 && v + 0 <= parts[2] + 0
		if (name == "maxlength") return length(v) <= parts[1] + 0
		unsupported(e)
	}
	BEGIN { exit (check(ENVIRON["DT_EXPR"], ENVIRON["DT_VALUE"]) ? 0 : 1) }'
}

# As procd.sh's: each option becomes a variable of the callback (unset if
# invalid), validate_data's line for each bad value goes to stderr, and
# the callback gets the section and 0 (valid) or 1.
uci_load_validate() {
	local _package="$1" _type="$2" _name="$3" _callback="$4"
	local _spec _option _rest _datatype _default _values _value _joined _ok _result=0
	shift 4
	if [ -z "$_name" ]; then
		record validation_schema "$_package" "$_type" "$@"
		return 0
	fi
	for _spec in "$@"; do
		_option=${_spec%%:*}
		_rest=${_spec#*:}
		_datatype=${_rest%%:*}
		_default=
		[ "$_rest" = "$_datatype" ] || _default=${_rest#*:}
		eval "local $_option"
		_values=$(awk -F '\t' -v s="$_name" -v o="$_option" \
			'$1 == "value" && $2 == s && $3 == o { print $4 }' "$UCI_DATA")
		if [ -z "$_values" ]; then
			eval "$_option=\$_default"
			continue
		fi
		_joined=
		_ok=1
		while IFS= read -r _value; do
			if ! check_datatype "$_datatype" "$_value"; then
				echo "$_package.$_name.$_option=$_value validates as $_datatype with false" >&2
				_ok=0
				_result=1
			fi
			_joined="${_joined:+$_joined }$_value"
		done <<EOF
$_values
EOF
		# validate_data gives a boolean as 0 or 1.
		if [ "$_ok" = 1 ] && [ "$_datatype" = bool ]; then
			case $(echo "$_joined" | tr '[:upper:]' '[:lower:]') in
				1|on|true|yes) _joined=1 ;;
				*) _joined=0 ;;
			esac
		fi
		[ "$_ok" = 0 ] || eval "$_option=\$_joined"
	done
	"$_callback" "$_name" "$_result"
}
"#;

/// Sources the stubs and the init script, points it at the test's agent
/// and configuration (unless told not to), and runs the function named
/// by the arguments.
const HARNESS: &str = r#". "$STUBS"
. "$INIT"
if [ -z "$KEEP_PATHS" ]; then
	PROG="$TEST_PROG"
	CONFIG="$TEST_CONFIG"
fi
"$@"
"#;

/// The shells to run the init script with: `sh`, and BusyBox's when it
/// is here (OpenWrt's /bin/sh is BusyBox ash).
fn shells() -> Vec<Vec<&'static str>> {
    let mut shells = vec![vec!["sh"]];
    if runs("busybox", &["sh", "-c", "true"]) {
        shells.push(vec!["busybox", "sh"]);
    } else {
        eprintln!("busybox is not installed here: the init script ran under sh only");
    }
    shells
}

/// What one run of the init script did.
#[derive(Debug)]
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
    /// The recorded calls, `$CONFIG`, `$SECRET` and `$PROG` put back for
    /// the test's paths.
    calls: Vec<String>,
}

impl Run {
    fn procd(&self) -> Vec<&str> {
        self.calls
            .iter()
            .map(String::as_str)
            .filter(|c| c.starts_with("procd_"))
            .collect()
    }
}

/// One configuration, written out with its secret file (unless
/// `secret` is false) and its UCI data for the stubs.
struct Setup {
    dir: TempDir,
}

impl Setup {
    /// `config` may say `$SECRET` for the secret file's path.
    fn new(config: &str, secret: bool) -> Setup {
        let dir = TempDir::new("init");
        let secret_path = dir.path().join("secret");
        if secret {
            std::fs::write(&secret_path, "s3cret\n").unwrap();
        }
        let config = config.replace("$SECRET", secret_path.to_str().unwrap());
        std::fs::write(dir.path().join("odin-agent"), &config).unwrap();
        std::fs::write(dir.path().join("uci.tsv"), uci_data(&config)).unwrap();
        std::fs::write(dir.path().join("stubs.sh"), STUBS).unwrap();
        std::fs::write(dir.path().join("harness.sh"), HARNESS).unwrap();
        Setup { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, shell: &[&str], keep_paths: bool, entry: &[&str]) -> Run {
        let calls = self.path("calls");
        let _ = std::fs::remove_file(&calls);
        let (program, shell_args) = shell.split_first().unwrap();
        let mut cmd = Command::new(program);
        cmd.args(shell_args)
            .arg(self.path("harness.sh"))
            .args(entry)
            .env("STUBS", self.path("stubs.sh"))
            .env("INIT", init_script())
            .env("CALLS", &calls)
            .env("UCI_DATA", self.path("uci.tsv"))
            .env("TEST_PROG", AGENT)
            .env("TEST_CONFIG", self.path("odin-agent"))
            .env_remove("ODIN_SECRET")
            .env_remove("RUST_LOG");
        if keep_paths {
            cmd.env("KEEP_PATHS", "1");
        } else {
            cmd.env_remove("KEEP_PATHS");
        }
        let out = cmd.output().unwrap();
        let put_back = |s: &str| {
            s.replace(self.path("odin-agent").to_str().unwrap(), "$CONFIG")
                .replace(self.path("secret").to_str().unwrap(), "$SECRET")
                .replace(AGENT, "$PROG")
        };
        Run {
            ok: out.status.success(),
            stdout: put_back(&String::from_utf8_lossy(&out.stdout)),
            stderr: put_back(&String::from_utf8_lossy(&out.stderr)),
            calls: std::fs::read_to_string(&calls)
                .unwrap_or_default()
                .lines()
                .map(put_back)
                .collect(),
        }
    }
}

/// The configuration as the stubs read it, parsed by the agent's own UCI
/// reader; anonymous sections get names as UCI gives them (`cfgNN...`).
fn uci_data(config: &str) -> String {
    let package = odin_agent::uci::parse(config).unwrap();
    let mut data = String::new();
    for (i, section) in package.sections.iter().enumerate() {
        let name = section
            .name
            .clone()
            .unwrap_or_else(|| format!("cfg{i:02x}0a1b"));
        data.push_str(&format!("section\t{}\t{name}\n", section.kind));
        for option in &section.options {
            for value in option.value.values() {
                assert!(
                    !value.contains(['\t', '\n']),
                    "the stubs read a line per value"
                );
                data.push_str(&format!("value\t{name}\t{}\t{value}\n", option.name));
            }
        }
    }
    data
}

/// The sample, enabled, with the test's secret file.
fn enabled_sample() -> String {
    let text = sample();
    assert!(text.contains("\toption enabled '0'\n"));
    assert!(text.contains("\toption secret_file '/etc/odin-agent/secret'\n"));
    text.replace("\toption enabled '0'\n", "\toption enabled '1'\n")
        .replace("'/etc/odin-agent/secret'", "'$SECRET'")
}

/// `from` replaced by `to` in `text`, which must hold `from`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the sample has no {from:?}");
    text.replacen(from, to, 1)
}

#[test]
fn procd_is_given_the_agent_with_its_configuration() {
    let setup = Setup::new(&enabled_sample(), true);
    for shell in shells() {
        let run = setup.run(&shell, false, &["start_service"]);
        assert!(run.ok, "{shell:?}: {run:#?}");
        assert_eq!(run.stderr, "", "{shell:?}");
        assert_eq!(
            run.procd(),
            [
                "procd_open_instance",
                "procd_set_param [command] [$PROG] [--config] [$CONFIG]",
                "procd_set_param [respawn]",
                "procd_set_param [stdout] [1]",
                "procd_set_param [stderr] [1]",
                "procd_set_param [file] [$CONFIG] [$SECRET]",
                "procd_set_param [netdev] [br-lan]",
                "procd_set_param [term_timeout] [10]",
                "procd_close_instance",
            ],
            "{shell:?}"
        );
        assert!(
            !run.calls.iter().any(|c| c.starts_with("logger")),
            "{shell:?}"
        );
    }
}

#[test]
fn on_openwrt_the_command_is_the_installed_agent_and_etc_config() {
    let setup = Setup::new(&enabled_sample(), true);
    for shell in shells() {
        let run = setup.run(&shell, true, &["eval", r#"echo "$PROG" "$CONFIG""#]);
        assert_eq!(
            run.stdout, "/usr/sbin/odin-agent /etc/config/odin-agent\n",
            "{shell:?}"
        );
    }
}

#[test]
fn triggers_reload_on_a_configuration_change_and_validate_both_sections() {
    let setup = Setup::new(&enabled_sample(), true);
    for shell in shells() {
        let run = setup.run(&shell, false, &["service_triggers"]);
        assert!(run.ok, "{shell:?}: {run:#?}");
        let calls: Vec<&str> = run
            .calls
            .iter()
            .map(String::as_str)
            .filter(|c| !c.starts_with("extra_command"))
            .collect();
        assert_eq!(calls.len(), 4, "{shell:?}: {calls:#?}");
        assert_eq!(calls[0], "procd_add_reload_trigger [odin-agent]");
        assert_eq!(calls[1], "procd_add_validation [validate_odin_agent]");
        assert!(calls[2].starts_with("validation_schema [odin-agent] [agent] [enabled:bool:0]"));
        assert!(calls[3].starts_with("validation_schema [odin-agent] [radio] [phy:string]"));
        assert!(run.calls.contains(
            &"extra_command [check] [Check the configuration without starting the agent]".into()
        ));
    }
}

#[test]
fn the_check_command_runs_the_agents_check() {
    let setup = Setup::new(&enabled_sample(), true);
    for shell in shells() {
        let run = setup.run(&shell, false, &["check"]);
        assert!(run.ok, "{shell:?}: {run:#?}");
        assert!(
            run.stdout
                .starts_with("odin-agent: configuration OK: controller 192.0.2.1:6777"),
            "{shell:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn a_disabled_agent_is_not_started_and_says_how_to_enable_it() {
    // The sample as installed: enabled '0'.
    let setup = Setup::new(&sample(), true);
    for shell in shells() {
        let run = setup.run(&shell, false, &["start_service"]);
        assert!(run.ok, "{shell:?}: {run:#?}");
        assert!(run.procd().is_empty(), "{shell:?}: {run:#?}");
        assert_eq!(
            run.stderr,
            "odin-agent: disabled (uci set odin-agent.agent.enabled=1; uci commit odin-agent)\n"
        );
    }
}

/// Runs `start_service` on `config` under every shell: it must fail,
/// start nothing, and say each of `messages` on stderr and in the log.
fn refused(config: &str, secret: bool, messages: &[&str]) {
    let setup = Setup::new(config, secret);
    for shell in shells() {
        let run = setup.run(&shell, false, &["start_service"]);
        assert!(!run.ok, "{shell:?}: {run:#?}");
        assert!(
            run.procd().is_empty(),
            "{shell:?}: nothing started: {run:#?}"
        );
        assert!(!run.stderr.contains("stub:"), "{shell:?}: {}", run.stderr);
        for message in messages {
            assert!(
                run.stderr.contains(message),
                "{shell:?}: stderr lacks {message:?}:\n{}",
                run.stderr
            );
        }
        let logged: Vec<&String> = run
            .calls
            .iter()
            .filter(|c| c.starts_with("logger"))
            .collect();
        assert!(
            logged.iter().any(
                |l| l.starts_with("logger [-t] [odin-agent] [-p] [daemon.err]")
                    && l.ends_with("; not started]")
            ),
            "{shell:?}: nothing logged: {:#?}",
            run.calls
        );
    }
}

#[test]
fn a_bad_value_is_refused_by_ucis_validation() {
    let config = edit(
        &enabled_sample(),
        "\t#option max_lvaps '8'\n",
        "\toption max_lvaps 'many'\n",
    );
    refused(
        &config,
        true,
        &[
            "odin-agent.cfg010a1b.max_lvaps=many validates as range(1,4096) with false",
            "odin-agent: radio section cfg010a1b (phy phy0) of $CONFIG is invalid (see above); not started",
        ],
    );
    let config = edit(
        &enabled_sample(),
        "option channel 'auto'",
        "option channel 'sometimes'",
    );
    refused(
        &config,
        true,
        &[
            "channel=sometimes validates as or(\"auto\",\"follow\",range(1,14),range(32,177)) with false",
            "radio section cfg010a1b (phy phy0) of $CONFIG is invalid",
        ],
    );
    let config = edit(
        &enabled_sample(),
        "\toption enabled '1'\n",
        "\toption enabled 'sure'\n",
    );
    refused(
        &config,
        true,
        &[
            "odin-agent.agent.enabled=sure validates as bool with false",
            "odin-agent: agent section 'agent' of $CONFIG is invalid (see above); not started",
        ],
    );
}

#[test]
fn a_missing_secret_file_is_refused() {
    refused(
        &enabled_sample(),
        false,
        &["odin-agent: cannot read the secret file $SECRET: No such file or directory (os error 2); not started"],
    );
}

#[test]
fn what_ucis_datatypes_cannot_say_the_agents_check_refuses() {
    // No controller.
    let config = edit(
        &enabled_sample(),
        "\toption controller '192.0.2.1:6777'\n",
        "",
    );
    refused(
        &config,
        true,
        &["odin-agent: no controller address: give --controller HOST:PORT or `option controller` in the agent section; not started"],
    );
    // A controller that is no HOST:PORT.
    let config = edit(
        &enabled_sample(),
        "option controller '192.0.2.1:6777'",
        "option controller 'controller.lan'",
    );
    refused(
        &config,
        true,
        &["controller \"controller.lan\": expected HOST:PORT"],
    );
    // A typo: the agent's check names the line.
    let text = enabled_sample();
    let config = edit(
        &text,
        "\toption phy 'phy0'\n",
        "\toption phy 'phy0'\n\toption max_lvap '3'\n",
    );
    let line = config
        .lines()
        .position(|l| l.contains("max_lvap '3'"))
        .unwrap()
        + 1;
    refused(
        &config,
        true,
        &[&format!(
            "odin-agent: $CONFIG: line {line}: unknown option \"max_lvap\" in the radio section @radio[0]"
        )],
    );
    // No radio at all.
    let cut = text.find("# One section per radio").unwrap();
    refused(
        &text[..cut],
        true,
        &["no radio: give --phy phyN or a `config radio` section"],
    );
}
