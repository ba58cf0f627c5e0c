//! A process's CPU time and memory, from Linux's `/proc`.

use std::time::Duration;

/// What `/proc` says about a process at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcSample {
    /// User and system CPU time used so far.
    pub cpu: Duration,
    /// Resident memory now, bytes.
    pub rss: u64,
    /// The largest resident memory so far, bytes.
    pub rss_peak: u64,
}

/// Reads `/proc/PID/stat` and `/proc/PID/status`.
pub fn sample(pid: u32) -> Result<ProcSample, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    parse(&stat, &status, clock_ticks()).ok_or_else(|| format!("/proc/{pid}: unexpected format"))
}

/// Clock ticks per second of `/proc/PID/stat`'s times (USER_HZ: 100 on
/// every Linux architecture that matters; `getconf CLK_TCK` says so).
fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

fn parse(stat: &str, status: &str, ticks: u64) -> Option<ProcSample> {
    // The command name is in parentheses and may hold spaces: count the
    // fields after its closing one. utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let kib = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(ProcSample {
        cpu: Duration::from_millis((utime + stime) * 1000 / ticks.max(1)),
        rss: kib("VmRSS:")? * 1024,
        rss_peak: kib("VmHWM:")? * 1024,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_and_status() {
        let stat = "4242 (odin controller) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 100 900000000 20000 18446744073709551615";
        let status = "Name:\todin-controller\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
        let s = parse(stat, status, 100).unwrap();
        assert_eq!(s.cpu, Duration::from_secs(3));
        assert_eq!(s.rss, 100 * 1024 * 1024);
        assert_eq!(s.rss_peak, 200 * 1024 * 1024);
        assert!(parse("garbage", status, 100).is_none());
    }

    #[test]
    fn reads_this_process() {
        let s = sample(std::process::id()).unwrap();
        assert!(s.rss > 0 && s.rss_peak >= s.rss);
    }
}
