//! The workers' TCP mesh: one connection per pair of ranks, and the three
//! collectives the stages need — the halo exchange of ghost rows, the
//! rank-ordered running sum, and (for a rank-deficient fallback) every
//! rank's rows to everyone.
//!
//! Frames are a header (sequence number, payload length) and raw
//! little-endian values: every rank runs the same sequence of collectives,
//! so a frame out of sequence means the ranks disagree, and is an error, as
//! is a closed connection (a worker died) or a peer silent past the timeout.

use super::{Comm, Partition, RowLayout, Side};
use crate::error::{Error, Result};
use crate::sparse::SparseMatrix;
use std::io::{BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Ghost rows of a product are read this many bytes at a time: the memory
/// a shard's ghosts take, whatever their number.
pub(super) const CHUNK_BYTES: usize = 32 << 20;

/// First word of a handshake: catches a stray connection and a peer whose
/// byte order differs.
const MAGIC: u64 = 0x706d_6976_6563_0001;

/// A bound port a rank's peers connect to, opened before the addresses are
/// shared so that no connection finds it closed.
pub struct Listener {
    inner: TcpListener,
    address: String,
}

impl Listener {
    /// Listen on `host` (an address of this machine that the other workers
    /// reach, e.g. the worker's own address; `127.0.0.1` on one machine),
    /// on a port the system picks.
    ///
    /// # Errors
    /// [`Error::Io`] if the port cannot be opened.
    pub fn bind(host: &str) -> Result<Self> {
        let inner = TcpListener::bind((host, 0)).map_err(|e| Error::io(None, e))?;
        let address = inner.local_addr().map_err(|e| Error::io(None, e))?.to_string();
        Ok(Listener { inner, address })
    }
    /// `host:port` to hand to the peers.
    pub fn address(&self) -> &str {
        &self.address
    }
}

/// Bytes and exchanges a rank took part in, for reports and the traffic model.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MeshStats {
    /// Ghost rows this rank receives in every halo exchange.
    pub ghost_rows: u64,
    /// Rows of its own this rank sends in every halo exchange (to all peers).
    pub sent_rows: u64,
    /// Halo exchanges run.
    pub halo_exchanges: u64,
    /// Σ over halo exchanges of the bytes of one row.
    pub halo_row_bytes: u64,
    /// Halo payload bytes sent and received.
    pub halo_bytes_sent: u64,
    /// See `halo_bytes_sent`.
    pub halo_bytes_received: u64,
    /// Bytes of the running sums and of the fallback gathers, sent.
    pub reduce_bytes_sent: u64,
}

/// A rank's connections and its halo plan.
pub struct Mesh {
    rank: usize,
    peers: Vec<Option<TcpStream>>,
    addresses: Vec<String>,
    timeout: Duration,
    partition: Partition,
    layout: RowLayout,
    /// Per peer: own rows (indices from 0) it asked for.
    send: Vec<Vec<u32>>,
    /// Per peer: how many ghost rows come from it (peers in rank order).
    recv: Vec<usize>,
    seq: AtomicU64,
    stats: Mutex<MeshStats>,
    stage: Mutex<String>,
}

fn bytes<T: Copy>(x: &[T]) -> &[u8] {
    // SAFETY: plain numbers (f32, f64, u32) have no padding; the view
    // covers the slice exactly.
    unsafe { std::slice::from_raw_parts(x.as_ptr() as *const u8, std::mem::size_of_val(x)) }
}

fn bytes_mut<T: Copy>(x: &mut [T]) -> &mut [u8] {
    // SAFETY: as `bytes`; every bit pattern is a valid f32, f64 or u32.
    unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr() as *mut u8, std::mem::size_of_val(x)) }
}

impl Mesh {
    /// Connect rank `rank` to every other rank of `addresses` (each rank's
    /// [`Listener::address`], in rank order): it dials the lower ranks and
    /// accepts the higher ones. `token` identifies the run, so a connection
    /// from another run is refused.
    ///
    /// # Errors
    /// [`Error::Cluster`] if a peer cannot be reached or does not connect
    /// within `timeout`.
    pub fn connect(
        listener: Listener,
        rank: usize,
        addresses: &[String],
        token: u64,
        timeout: Duration,
        partition: Partition,
    ) -> Result<Mesh> {
        let size = addresses.len();
        let fail = |message: String| Error::Cluster { stage: "connect".into(), message };
        if rank >= size || partition.parts() != size {
            return Err(fail(format!("rank {rank} of {size} addresses, {} shards", partition.parts())));
        }
        let deadline = Instant::now() + timeout;
        let mut peers: Vec<Option<TcpStream>> = (0..size).map(|_| None).collect();
        for (q, address) in addresses.iter().enumerate().take(rank) {
            let stream = loop {
                match TcpStream::connect(address) {
                    Ok(s) => break s,
                    Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                    Err(e) => return Err(fail(format!("worker {q} at {address} unreachable: {e}"))),
                }
            };
            let hello = [MAGIC, token, rank as u64];
            (&stream).write_all(bytes(&hello)).map_err(|e| fail(format!("worker {q} at {address}: {e}")))?;
            peers[q] = Some(stream);
        }
        listener.inner.set_nonblocking(true).map_err(|e| fail(e.to_string()))?;
        let mut waiting = size - rank - 1;
        while waiting > 0 {
            match listener.inner.accept() {
                Ok((stream, from)) => {
                    stream.set_nonblocking(false).map_err(|e| fail(e.to_string()))?;
                    stream.set_read_timeout(Some(timeout)).map_err(|e| fail(e.to_string()))?;
                    let mut hello = [0u64; 3];
                    if (&stream).read_exact(bytes_mut(&mut hello)).is_err() || hello[0] != MAGIC || hello[1] != token {
                        continue; // not a peer of this run
                    }
                    let q = hello[2] as usize;
                    if q <= rank || q >= size || peers[q].is_some() {
                        return Err(fail(format!("a connection from {from} claims rank {q}")));
                    }
                    peers[q] = Some(stream);
                    waiting -= 1;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        let missing: Vec<usize> = (rank + 1..size).filter(|&q| peers[q].is_none()).collect();
                        return Err(fail(format!(
                            "workers {missing:?} did not connect within {} s",
                            timeout.as_secs()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(fail(e.to_string())),
            }
        }
        for s in peers.iter().flatten() {
            s.set_nodelay(true).map_err(|e| fail(e.to_string()))?;
            s.set_read_timeout(Some(timeout)).map_err(|e| fail(e.to_string()))?;
            s.set_write_timeout(Some(timeout)).map_err(|e| fail(e.to_string()))?;
        }
        let own = partition.range(rank);
        Ok(Mesh {
            rank,
            peers,
            addresses: addresses.to_vec(),
            timeout,
            layout: RowLayout { first: own.start, below: 0, own: own.len(), above: 0 },
            partition,
            send: vec![Vec::new(); size],
            recv: vec![0; size],
            seq: AtomicU64::new(0),
            stats: Mutex::new(MeshStats::default()),
            stage: Mutex::new("connect".into()),
        })
    }

    /// This rank.
    pub fn rank(&self) -> usize {
        self.rank
    }
    /// Ranks in the mesh.
    pub fn size(&self) -> usize {
        self.peers.len()
    }
    /// The shards' row ranges.
    pub fn partition(&self) -> &Partition {
        &self.partition
    }
    /// Traffic so far.
    pub fn stats(&self) -> MeshStats {
        self.stats.lock().unwrap().clone()
    }

    /// Tell every owner which of its rows this rank reads (`ghosts`: global
    /// ids outside this rank's range, sorted), and learn what each peer
    /// reads from this rank. Sets the layout of every dense block.
    ///
    /// # Errors
    /// [`Error::Cluster`] on a failed connection or a request out of range.
    pub fn plan_halo(&mut self, ghosts: &[u32]) -> Result<()> {
        let size = self.size();
        let mut asks: Vec<Vec<u32>> = vec![Vec::new(); size];
        for &g in ghosts {
            let q = self.partition.owner(g as usize);
            asks[q].push(g);
        }
        if !asks[self.rank].is_empty() {
            return Err(self.fail(self.rank, "a ghost row is an own row".into()));
        }
        let got = self.all_to_all(&asks.iter().map(|a| bytes(a).to_vec()).collect::<Vec<_>>())?;
        let own = self.partition.range(self.rank);
        for (q, b) in got.into_iter().enumerate() {
            if q == self.rank {
                continue;
            }
            let ids: Vec<u32> = b.chunks_exact(4).map(|c| u32::from_ne_bytes(c.try_into().unwrap())).collect();
            if ids.iter().any(|&g| !own.contains(&(g as usize))) {
                return Err(self.fail(q, "asked for rows this rank does not own".into()));
            }
            self.send[q] = ids.iter().map(|&g| (g as usize - own.start) as u32).collect();
        }
        self.recv = asks.iter().map(Vec::len).collect();
        let below = self.recv[..self.rank].iter().sum();
        let above = self.recv[self.rank + 1..].iter().sum();
        self.layout = RowLayout { first: own.start, below, own: own.len(), above };
        let mut s = self.stats.lock().unwrap();
        s.ghost_rows = (below + above) as u64;
        s.sent_rows = self.send.iter().map(|s| s.len() as u64).sum();
        Ok(())
    }

    fn fail(&self, peer: usize, message: String) -> Error {
        Error::Cluster {
            stage: self.stage.lock().unwrap().clone(),
            message: format!("worker {peer} ({}): {message}", self.addresses[peer]),
        }
    }

    fn io_fail(&self, peer: usize, e: std::io::Error) -> Error {
        use std::io::ErrorKind::*;
        let message = match e.kind() {
            UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => {
                "closed the connection (the worker died or its run failed)".to_string()
            }
            WouldBlock | TimedOut => format!("no answer within {} s", self.timeout.as_secs()),
            _ => e.to_string(),
        };
        self.fail(peer, message)
    }

    fn stream(&self, q: usize) -> &TcpStream {
        self.peers[q].as_ref().expect("a peer other than this rank")
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Read a header and check it is frame `seq`; its payload length.
    fn read_header(&self, q: usize, seq: u64) -> Result<usize> {
        let mut h = [0u64; 2];
        self.stream(q).read_exact(bytes_mut(&mut h)).map_err(|e| self.io_fail(q, e))?;
        if h[0] != seq {
            return Err(self.fail(q, format!("sent frame {} where {seq} was due: the workers disagree", h[0])));
        }
        Ok(h[1] as usize)
    }

    fn send_frame(&self, q: usize, seq: u64, payload: &[u8]) -> Result<()> {
        let mut w = BufWriter::with_capacity(1 << 20, self.stream(q));
        w.write_all(bytes(&[seq, payload.len() as u64])).map_err(|e| self.io_fail(q, e))?;
        w.write_all(payload).map_err(|e| self.io_fail(q, e))?;
        w.flush().map_err(|e| self.io_fail(q, e))
    }

    fn recv_into(&self, q: usize, seq: u64, out: &mut [u8]) -> Result<()> {
        let len = self.read_header(q, seq)?;
        if len != out.len() {
            return Err(self.fail(q, format!("sent {len} bytes where {} were due", out.len())));
        }
        self.stream(q).read_exact(out).map_err(|e| self.io_fail(q, e))
    }

    /// Send `out[q]` to every peer q and return what each sent (any length).
    fn all_to_all(&self, out: &[Vec<u8>]) -> Result<Vec<Vec<u8>>> {
        let seq = self.next_seq();
        let me = self.rank;
        std::thread::scope(|s| {
            let senders: Vec<_> = (0..self.size())
                .filter(|&q| q != me)
                .map(|q| s.spawn(move || self.send_frame(q, seq, &out[q])))
                .collect();
            let mut got = vec![Vec::new(); self.size()];
            for (q, g) in got.iter_mut().enumerate().filter(|(q, _)| *q != me) {
                let len = self.read_header(q, seq)?;
                g.resize(len, 0);
                self.stream(q).read_exact(g).map_err(|e| self.io_fail(q, e))?;
            }
            for h in senders {
                h.join().expect("a sender thread panicked")?;
            }
            Ok(got)
        })
    }

    /// Frame `seq` to peer q: the own rows it reads, from `own` (rows of
    /// `row_bytes` bytes).
    fn send_rows(&self, q: usize, seq: u64, own: &[u8], row_bytes: usize) -> Result<()> {
        let rows = &self.send[q];
        let mut w = BufWriter::with_capacity(1 << 20, self.stream(q));
        w.write_all(bytes(&[seq, (rows.len() * row_bytes) as u64])).map_err(|e| self.io_fail(q, e))?;
        for &r in rows {
            let r = r as usize * row_bytes;
            w.write_all(&own[r..r + row_bytes]).map_err(|e| self.io_fail(q, e))?;
        }
        w.flush().map_err(|e| self.io_fail(q, e))
    }

    fn count_halo(&self, row_bytes: usize) {
        let mut st = self.stats.lock().unwrap();
        st.halo_exchanges += 1;
        st.halo_row_bytes += row_bytes as u64;
        st.halo_bytes_sent += st.sent_rows * row_bytes as u64;
        st.halo_bytes_received += st.ghost_rows * row_bytes as u64;
    }

    /// The halo exchange on a buffer of `row_bytes`-byte rows laid out as
    /// [`Mesh::layout`]: own rows out to the peers that read them, ghost
    /// rows in, every peer at once.
    fn exchange(&self, buf: &mut [u8], row_bytes: usize) -> Result<()> {
        if self.size() == 1 {
            return Ok(());
        }
        let seq = self.next_seq();
        let lay = self.layout;
        assert_eq!(buf.len(), lay.total() * row_bytes, "a halo buffer has the layout's rows");
        let (below, rest) = buf.split_at_mut(lay.below * row_bytes);
        let (own, above) = rest.split_at_mut(lay.own * row_bytes);
        let own: &[u8] = own;
        // Each peer's ghost rows, in rank order: ranks below first.
        let mut slots: Vec<(usize, &mut [u8])> = Vec::new();
        let (mut lo, mut hi) = (below, above);
        for q in 0..self.size() {
            if q == self.rank {
                continue;
            }
            let n = self.recv[q] * row_bytes;
            let part = if q < self.rank { &mut lo } else { &mut hi };
            let (mine, rest) = std::mem::take(part).split_at_mut(n);
            *part = rest;
            slots.push((q, mine));
        }
        std::thread::scope(|s| {
            let senders: Vec<_> = (0..self.size())
                .filter(|&q| q != self.rank)
                .map(|q| s.spawn(move || self.send_rows(q, seq, own, row_bytes)))
                .collect();
            let receivers: Vec<_> =
                slots.into_iter().map(|(q, slot)| s.spawn(move || self.recv_into(q, seq, slot))).collect();
            let mut first_err = None;
            for h in receivers.into_iter().chain(senders) {
                if let Err(e) = h.join().expect("a halo thread panicked") {
                    first_err.get_or_insert(e);
                }
            }
            first_err.map_or(Ok(()), Err)
        })?;
        self.count_halo(row_bytes);
        Ok(())
    }
}

impl Mesh {
    /// out = A·X over the own rows, X's ghost rows streamed in from their
    /// owners a range at a time (in increasing column order, so partial
    /// sums add the entries as one machine does), while this rank's rows
    /// stream out to the peers that read them.
    fn streamed_product(&self, a: &SparseMatrix, x: &[f32], l: usize, out: &mut [f32]) -> Result<()> {
        let lay = self.layout;
        assert_eq!(a.shape(), (lay.own, lay.total()), "a shard's rows over its layout's columns");
        assert_eq!((x.len(), out.len()), (lay.own * l, lay.own * l), "own rows in and out");
        out.fill(0.0);
        let mut next = a.row_starts();
        let me = self.rank;
        let seq = self.next_seq();
        let row_bytes = l * 4;
        let chunk_rows = (CHUNK_BYTES / row_bytes.max(1)).max(1);
        let mut chunk: Vec<f32> = Vec::new();
        std::thread::scope(|s| {
            let senders: Vec<_> = (0..self.size())
                .filter(|&q| q != me)
                .map(|q| s.spawn(move || self.send_rows(q, seq, bytes(x), row_bytes)))
                .collect();
            let mut received = || -> Result<()> {
                let mut col = 0;
                for q in 0..self.size() {
                    if q == me {
                        a.mul_dense_range(x, l, col..col + lay.own, &mut next, out);
                        col += lay.own;
                        continue;
                    }
                    let rows = self.recv[q];
                    let len = self.read_header(q, seq)?;
                    if len != rows * row_bytes {
                        return Err(self.fail(q, format!("sent {len} bytes where {} were due", rows * row_bytes)));
                    }
                    let mut done = 0;
                    while done < rows {
                        let r = chunk_rows.min(rows - done);
                        chunk.resize(r * l, 0.0);
                        self.stream(q).read_exact(bytes_mut(&mut chunk)).map_err(|e| self.io_fail(q, e))?;
                        a.mul_dense_range(&chunk, l, col..col + r, &mut next, out);
                        col += r;
                        done += r;
                    }
                }
                Ok(())
            };
            let mut result = received();
            for h in senders {
                let sent = h.join().expect("a halo thread panicked");
                if result.is_ok() {
                    result = sent;
                }
            }
            result
        })?;
        self.count_halo(row_bytes);
        Ok(())
    }
}

impl Comm for Mesh {
    fn layout(&self, _: Side) -> RowLayout {
        self.layout
    }
    fn product(&self, _: Side, a: &SparseMatrix, x: &[f32], l: usize, out: &mut [f32]) -> Result<()> {
        self.streamed_product(a, x, l, out)
    }
    fn halo_f64(&self, _: Side, buf: &mut [f64]) -> Result<()> {
        self.exchange(bytes_mut(buf), 8)
    }
    fn chain(&self, acc: &mut [f64], add: &mut dyn FnMut(&mut [f64])) -> Result<()> {
        let (me, last) = (self.rank, self.size() - 1);
        let seq = self.next_seq();
        if me > 0 {
            self.recv_into(me - 1, seq, bytes_mut(acc))?;
        }
        add(acc);
        if me < last {
            self.send_frame(me + 1, seq, bytes(acc))?;
            self.recv_into(last, seq + 1, bytes_mut(acc))?;
        } else {
            for q in 0..last {
                self.send_frame(q, seq + 1, bytes(acc))?;
            }
        }
        self.next_seq();
        let sent = if me == last { last } else { 1 };
        self.stats.lock().unwrap().reduce_bytes_sent += (sent * acc.len() * 8) as u64;
        Ok(())
    }
    fn all_rows(&self, _: Side, own: &[f32], width: usize) -> Result<Vec<f32>> {
        let out: Vec<Vec<u8>> = (0..self.size()).map(|_| bytes(own).to_vec()).collect();
        let got = self.all_to_all(&out)?;
        let mut all = vec![0f32; self.partition.rows() * width];
        for (q, b) in got.iter().enumerate() {
            let r = self.partition.range(q);
            let dst = bytes_mut(&mut all[r.start * width..r.end * width]);
            let src = if q == self.rank { bytes(own) } else { &b[..] };
            if src.len() != dst.len() {
                return Err(self.fail(q, "sent a block of the wrong size".into()));
            }
            dst.copy_from_slice(src);
        }
        self.stats.lock().unwrap().reduce_bytes_sent += (own.len() * 4 * (self.size() - 1)) as u64;
        Ok(all)
    }
    fn stage(&self, name: &str) {
        *self.stage.lock().unwrap() = name.to_owned();
    }
}
