//! Process limits of the load generator and resource figures of the server under test.

use anyhow::{Context, bail};

/// Raises the limit on open files to `wanted` (every participant holds a socket, and the
/// floor's server side as many again; shells usually start at 1024): the soft limit up to
/// the hard one, and the hard one too where allowed (root). Returns `(soft, hard)` as they
/// are afterwards.
pub fn raise_nofile_limit(wanted: u64) -> anyhow::Result<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct we pass, which outlives the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        bail!("getrlimit: {}", std::io::Error::last_os_error());
    }
    if lim.rlim_max < wanted {
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: wanted,
        };
        // SAFETY: setrlimit only reads the struct we pass. Refused without the privilege:
        // then the hard limit stays.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        }
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct we pass.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            bail!("setrlimit: {}", std::io::Error::last_os_error());
        }
        lim = raised;
    }
    Ok((lim.rlim_cur, lim.rlim_max))
}

/// One reading of a process: resident memory and CPU time (user + system) so far.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// `None` for threads of this process (see [`threads`]).
    pub rss_kib: Option<u64>,
    pub cpu_s: f64,
    /// Write calls (`send` included) and bytes written so far, from `/proc/…/io` (`None`
    /// where it cannot be read): what the kernel's network stack was given.
    pub writes: Option<(u64, u64)>,
}

/// `(syscw, wchar)` of a `/proc/…/io` file.
fn io_writes(path: &str) -> Option<(u64, u64)> {
    let io = std::fs::read_to_string(path).ok()?;
    let field = |name: &str| {
        io.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some((field("syscw:")?, field("wchar:")?))
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    // 100 is what Linux reports on every common architecture.
    if t > 0 { t as f64 } else { 100.0 }
}

pub fn sample(pid: u32) -> anyhow::Result<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status (is --server-pid right?)"))?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no VmRSS in /proc/{pid}/status"))?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    Ok(Sample {
        rss_kib: Some(rss_kib),
        cpu_s: cpu_ticks(&stat).with_context(|| format!("unexpected /proc/{pid}/stat"))? as f64
            / clock_ticks_per_second(),
        writes: io_writes(&format!("/proc/{pid}/io")),
    })
}

/// What to read the server's figures from.
#[derive(Debug, Clone, Copy)]
pub enum Probe {
    /// A server process on this machine.
    Process(u32),
    /// Threads of this process with this name (the in-process floor).
    Threads(&'static str),
}

impl Probe {
    pub fn sample(self) -> anyhow::Result<Sample> {
        match self {
            Probe::Process(pid) => sample(pid),
            Probe::Threads(name) => threads(name),
        }
    }

    /// The process id shown in reports.
    pub fn pid(self) -> u32 {
        match self {
            Probe::Process(pid) => pid,
            Probe::Threads(_) => std::process::id(),
        }
    }
}

/// CPU time so far of this process's threads whose name is `name` (the floor's runtime).
pub fn threads(name: &str) -> anyhow::Result<Sample> {
    let mut ticks = 0;
    for task in std::fs::read_dir("/proc/self/task").context("reading /proc/self/task")? {
        let dir = task?.path();
        // A thread may end between the listing and the reads.
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        if comm.trim_end() != name {
            continue;
        }
        if let Ok(stat) = std::fs::read_to_string(dir.join("stat")) {
            ticks += cpu_ticks(&stat).context("unexpected /proc/self/task/*/stat")?;
        }
    }
    Ok(Sample {
        rss_kib: None,
        cpu_s: ticks as f64 / clock_ticks_per_second(),
        writes: None,
    })
}

/// utime + stime from a `/proc/PID/stat` line. The command name (field 2) may hold spaces
/// and parentheses, so fields are counted from its last `)`: utime and stime are fields 14
/// and 15, the 12th and 13th after it.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_skip_a_tricky_command_name() {
        let stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 2817 0 0 0 150 27 0 0 20 0 9 0 \
                    123 456 789";
        assert_eq!(cpu_ticks(stat), Some(177));
        assert_eq!(cpu_ticks("garbage"), None);
    }
}
