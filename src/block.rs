//! Where the dense n × l blocks of the SVD and the propagation live: in
//! memory (the default), or — when the plan finds that they do not fit
//! under the memory limit — in memory-mapped scratch files, so that the
//! system's page cache holds what fits and writes the rest to disk.
//!
//! Mapped blocks are unlinked temporary files in the scratch folder: they
//! vanish when the run ends, fails or is killed, and never count against
//! the process's anonymous memory. The products read their input block at
//! random rows; a mapped block is as fast as a heap one while the page
//! cache holds it, and bounded by the disk beyond.

use crate::error::{Error, Result};
use crate::precision::{Elem, zeroed_block};
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;

/// Where [`Block`]s are allocated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Scratch {
    /// On the heap (huge pages where granted).
    #[default]
    Memory,
    /// The SVD's sketch block (Z, or Y on the symmetric path) in an
    /// unlinked temporary file of this folder, memory-mapped; the basis Q
    /// — U when the SVD ends, the vectors the propagation filters — on the
    /// heap. One mapped block is what the page cache can hold beside the
    /// rest, so its random reads stay in memory.
    Sketch(PathBuf),
    /// Both blocks mapped, and with them U and the vectors entering the
    /// propagation: for a run where one is not enough. Every product then
    /// writes its output through the page cache to disk.
    All(PathBuf),
}

impl Scratch {
    /// Where the SVD's basis block goes: mapped only under [`Scratch::All`].
    pub(crate) fn basis(&self) -> Scratch {
        match self {
            Scratch::All(dir) => Scratch::All(dir.clone()),
            _ => Scratch::Memory,
        }
    }

    /// A zeroed block of `len` values.
    ///
    /// # Errors
    /// [`Error::Io`] naming the folder when a scratch file cannot be made
    /// or mapped (full disk, no permission).
    pub(crate) fn zeroed<T: Elem>(&self, len: usize) -> Result<Block<T>> {
        match self {
            Scratch::Sketch(dir) | Scratch::All(dir) if len > 0 => map(dir, len),
            _ => Ok(Block(Inner::Heap(zeroed_block(len)))),
        }
    }

    /// Whether blocks go to scratch files.
    pub fn is_mapped(&self) -> bool {
        !matches!(self, Scratch::Memory)
    }
}

fn map<T: Elem>(dir: &std::path::Path, len: usize) -> Result<Block<T>> {
    let fail = |e: std::io::Error| {
        Error::io(dir.to_path_buf(), std::io::Error::new(e.kind(), format!("scratch file for a dense block: {e}")))
    };
    let file = tempfile::tempfile_in(dir).map_err(fail)?;
    file.set_len((len * T::BYTES) as u64).map_err(fail)?;
    // SAFETY: the file is unlinked and private to this process, so nothing
    // else can change or truncate it while it is mapped.
    let map = unsafe { memmap2::MmapMut::map_mut(&file) }.map_err(fail)?;
    Ok(Block(Inner::Mapped { map, len }))
}

/// A dense block of `T` values, on the heap or memory-mapped ([`Scratch`]).
pub struct Block<T>(Inner<T>);

enum Inner<T> {
    Heap(Vec<T>),
    Mapped { map: memmap2::MmapMut, len: usize },
}

impl<T: Elem> Block<T> {
    /// A heap block holding `v`.
    pub(crate) fn heap(v: Vec<T>) -> Self {
        Block(Inner::Heap(v))
    }

    /// Whether the block is memory-mapped.
    pub fn is_mapped(&self) -> bool {
        matches!(self.0, Inner::Mapped { .. })
    }

    /// Keep the first `len` values (a heap block gives the rest back; a
    /// mapped one keeps its file, which vanishes with it).
    pub(crate) fn truncate(&mut self, len: usize) {
        match &mut self.0 {
            Inner::Heap(v) => {
                v.truncate(len);
                v.shrink_to_fit();
            }
            Inner::Mapped { len: l, .. } => *l = (*l).min(len),
        }
    }

    /// The values in `f32` on the heap (no copy for a heap `f32` block).
    pub(crate) fn into_f32(self) -> Vec<f32> {
        match self.0 {
            Inner::Heap(v) => T::into_f32(v),
            Inner::Mapped { .. } => crate::precision::to_f32(&self),
        }
    }

    /// A copy in the same kind of storage.
    pub(crate) fn duplicate(&self, scratch: &Scratch) -> Result<Self> {
        if !self.is_mapped() {
            return Ok(Block::heap(self.to_vec()));
        }
        let mut out = scratch.zeroed(self.len())?;
        out.copy_from_slice(self);
        Ok(out)
    }
}

impl<T: Elem> Deref for Block<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.0 {
            Inner::Heap(v) => v,
            // SAFETY: the map is page-aligned (more than any `Elem` needs),
            // holds at least `len` values, and every bit pattern is a valid
            // `f32` or `f16`.
            Inner::Mapped { map, len } => unsafe { std::slice::from_raw_parts(map.as_ptr().cast::<T>(), *len) },
        }
    }
}

impl<T: Elem> DerefMut for Block<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.0 {
            Inner::Heap(v) => v,
            // SAFETY: as in `deref`, borrowed mutably through the map.
            Inner::Mapped { map, len } => unsafe { std::slice::from_raw_parts_mut(map.as_mut_ptr().cast::<T>(), *len) },
        }
    }
}

impl<T: Elem> Default for Block<T> {
    fn default() -> Self {
        Block::heap(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::f16;

    #[test]
    fn a_mapped_block_is_zeroed_writable_truncatable_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = Scratch::Sketch(dir.path().to_path_buf());
        assert!(!scratch.basis().is_mapped() && Scratch::All(dir.path().into()).basis().is_mapped());
        let mut b = scratch.zeroed::<f16>(10_000).unwrap();
        assert!(b.is_mapped() && b.iter().all(|x| x.get() == 0.0));
        b.iter_mut().enumerate().for_each(|(i, x)| *x = f16::put((i % 1000) as f32));
        let copy = b.duplicate(&scratch).unwrap();
        assert!(copy.is_mapped());
        b.truncate(100);
        assert_eq!(b.len(), 100);
        assert_eq!(b.into_f32(), (0..100).map(|i| i as f32).collect::<Vec<_>>());
        assert_eq!(copy[9_999].get(), 999.0);
        // Unlinked: the folder stays empty while and after the blocks live.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_folder_that_cannot_hold_scratch_files_is_named() {
        let scratch = Scratch::All("/nonexistent/scratch".into());
        let e = scratch.zeroed::<f32>(16).err().unwrap().to_string();
        assert!(e.contains("/nonexistent/scratch") && e.contains("scratch file"), "{e}");
        assert!(!Scratch::Memory.zeroed::<f32>(16).unwrap().is_mapped());
    }
}
