//! The kernels' worker threads: one rayon pool per model, created once.

use std::ops::Range;

use rayon::prelude::*;

/// A fixed set of worker threads that the kernels split their work over.
pub struct Pool {
    pool: rayon::ThreadPool,
    threads: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("threads", &self.threads)
            .finish()
    }
}

impl Pool {
    /// A pool of `threads` workers (at least one).
    pub fn new(threads: usize) -> Result<Self, rayon::ThreadPoolBuildError> {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("deskhand-kernel-{i}"))
            .build()?;
        Ok(Pool { pool, threads })
    }

    /// Number of workers.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `work` on a worker, so that the kernels it calls split their
    /// work without crossing threads to start.
    pub fn install<R: Send>(&self, work: impl FnOnce() -> R + Send) -> R {
        self.pool.install(work)
    }

    /// Calls `task` on contiguous ranges covering `0..n`, in parallel; each
    /// range holds at least `min_chunk` items (except the last).
    pub fn for_ranges(&self, n: usize, min_chunk: usize, task: impl Fn(Range<usize>) + Sync) {
        let chunk = self.chunk(n, min_chunk);
        if chunk >= n {
            task(0..n);
            return;
        }
        let chunks = n.div_ceil(chunk);
        self.pool.install(|| {
            (0..chunks)
                .into_par_iter()
                .for_each(|c| task(c * chunk..((c + 1) * chunk).min(n)))
        });
    }

    /// Calls `task` on each item of `0..n`, in parallel.
    pub fn for_each(&self, n: usize, task: impl Fn(usize) + Sync) {
        if n <= 1 || self.threads == 1 {
            (0..n).for_each(task);
            return;
        }
        self.pool.install(|| (0..n).into_par_iter().for_each(&task));
    }

    /// Splits `out` into chunks of whole `unit`-sized items and calls
    /// `task(first_item, chunk)` on them in parallel.
    pub fn for_chunks_mut<T: Send>(
        &self,
        out: &mut [T],
        unit: usize,
        min_items: usize,
        task: impl Fn(usize, &mut [T]) + Sync,
    ) {
        let items = out.len() / unit.max(1);
        let chunk = self.chunk(items, min_items);
        if chunk >= items {
            task(0, out);
            return;
        }
        self.pool.install(|| {
            out.par_chunks_mut(chunk * unit)
                .enumerate()
                .for_each(|(c, slice)| task(c * chunk, slice))
        });
    }

    /// Splits two equally long slices at the same places and calls
    /// `task(first_item, chunk_a, chunk_b)` on the pairs in parallel.
    pub fn for_chunk_pairs_mut<A: Send, B: Send>(
        &self,
        a: &mut [A],
        b: &mut [B],
        min_items: usize,
        task: impl Fn(usize, &mut [A], &mut [B]) + Sync,
    ) {
        assert_eq!(a.len(), b.len(), "pairs of chunks need equal slices");
        let chunk = self.chunk(a.len(), min_items);
        if chunk >= a.len() {
            task(0, a, b);
            return;
        }
        self.pool.install(|| {
            a.par_chunks_mut(chunk)
                .zip(b.par_chunks_mut(chunk))
                .enumerate()
                .for_each(|(c, (a, b))| task(c * chunk, a, b))
        });
    }

    /// Items per chunk: about four chunks per thread, for balance.
    fn chunk(&self, n: usize, min_chunk: usize) -> usize {
        if self.threads == 1 {
            return n.max(1);
        }
        n.div_ceil(self.threads * 4).max(min_chunk).max(1)
    }
}
