//! Medians and percentiles.

/// The median (the mean of the two middle values for an even count); 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The smallest and largest of `values` (infinite and negative infinite for none).
pub fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(min, max), v| {
            (min.min(*v), max.max(*v))
        })
}

/// The `p`-th percentile (0–100) by the nearest-rank method; 0 for none.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return 0.0;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// CPU time (ns) used so far by every thread of process `pid` (`/proc/PID/task/*/schedstat`, whose
/// first field is the thread's time on a CPU). Precise to the nanosecond, unlike `/proc/PID/stat`.
pub fn cpu_ns(pid: u32) -> u64 {
    threads_cpu_ns(pid).map(|(_, ns)| ns).sum()
}

/// `cpu_ns(pid)`, and the part of it used by the threads a runtime names as its just-in-time
/// compilers: HotSpot's `C1 CompilerThread0`, `C2 CompilerThread1`… (`comm` keeps 15 bytes of a
/// name). V8 compiles on threads it shares with its garbage collector, so a Node process counts
/// none.
pub fn cpu_and_compiler_ns(pid: u32) -> (u64, u64) {
    threads_cpu_ns(pid).fold((0, 0), |(all, compilers), (task, ns)| {
        let compiler = std::fs::read_to_string(task.join("comm"))
            .is_ok_and(|comm| is_compiler_thread(comm.trim_end()));
        (all + ns, compilers + if compiler { ns } else { 0 })
    })
}

fn is_compiler_thread(comm: &str) -> bool {
    comm.starts_with("C1 CompilerThre") || comm.starts_with("C2 CompilerThre")
}

/// Each thread of process `pid`: its `/proc/PID/task/TID` directory and its CPU time (ns).
fn threads_cpu_ns(pid: u32) -> impl Iterator<Item = (std::path::PathBuf, u64)> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| {
            let text = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            Some((task.path(), text.split_whitespace().next()?.parse().ok()?))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiler_threads_by_name() {
        assert!(is_compiler_thread("C2 CompilerThre"));
        assert!(is_compiler_thread("C1 CompilerThre"));
        assert!(!is_compiler_thread("main"));
        assert!(!is_compiler_thread("V8 DefaultWorke"));
        assert!(!is_compiler_thread("Sweeper thread"));
        // This test process has no such thread.
        let (all, compilers) = cpu_and_compiler_ns(std::process::id());
        assert!(all > 0);
        assert_eq!(compilers, 0);
    }

    #[test]
    fn minimum_and_maximum() {
        assert_eq!(min_max(&[2.0, -1.0, 5.0]), (-1.0, 5.0));
        assert_eq!(min_max(&[]), (f64::INFINITY, f64::NEG_INFINITY));
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&values, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
    }
}
