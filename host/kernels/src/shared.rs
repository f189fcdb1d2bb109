//! A raw pointer that parallel tasks may share, for writes the caller
//! proves disjoint (columns of one output matrix, say).

/// See the module docs.
#[derive(Clone, Copy)]
pub(crate) struct SharedMut<T>(pub *mut T);

// SAFETY: the users of `SharedMut` only write disjoint elements from
// different tasks, and the pointee outlives the parallel region; the
// values themselves move between threads, hence `T: Send`.
unsafe impl<T: Send> Send for SharedMut<T> {}
unsafe impl<T: Send> Sync for SharedMut<T> {}

impl<T> SharedMut<T> {
    /// The pointer (a method, so that closures capture the whole wrapper).
    pub fn get(&self) -> *mut T {
        self.0
    }
}
