//! What every benchmark measures with: the business time it runs at, and
//! latency percentiles of a repeated operation.

use std::time::{Duration, Instant};

/// 2026-06-15T12:00:00Z: the benchmarks' business clock.
pub(super) const BENCH_NOW: i64 = 1_781_524_800;

/// Latency percentiles of one measured operation.
pub(super) struct Percentiles {
    pub(super) p50: Duration,
    pub(super) p99: Duration,
}

pub(super) fn measure(
    warmup: usize,
    iterations: usize,
    mut op: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Percentiles> {
    for _ in 0..warmup {
        op()?;
    }
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        op()?;
        samples.push(started.elapsed());
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Ok(Percentiles {
        p50: at(0.50),
        p99: at(0.99),
    })
}

pub(super) fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}
