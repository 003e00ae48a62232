//! Who gets a connection slot when every slot is taken.
//!
//! Refusing newcomers when the server is full lets anyone who keeps opening connections and
//! never finishing a handshake (a reconnecting slowloris, no certificate needed) lock out
//! every real client. So a newcomer is always let in if some connection can make room, in
//! this order:
//!
//! 1. a connection that has not even sent its ClientHello (it has proved nothing yet): of the
//!    address holding the most of those, the oldest;
//! 2. a connection in the middle of its TLS handshake: the oldest;
//! 3. a keep-alive connection with no request in flight: the one idle the longest.
//!    (Idle means no bytes for [`MIN_IDLE`] at least.)
//!
//! Only when every slot is busy with a request is the newcomer refused. A real client sends
//! its ClientHello as soon as it has connected, so churn from others would have to fill every
//! slot within a millisecond or so to push it out; fairness by address makes a single hostile
//! address push out its own connections first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// A keep-alive connection idle for less than this is probably between reading a request and
/// writing its answer: it is not closed to make room.
const MIN_IDLE: Duration = Duration::from_millis(250);

/// The slot table of one listener.
pub struct Admission {
    capacity: usize,
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    next: u64,
    open: HashMap<u64, Arc<SlotState>>,
}

/// What the table knows of one connection.
pub struct SlotState {
    peer: IpAddr,
    opened: Instant,
    /// A [`Stage`] as its number.
    stage: AtomicU8,
    /// Requests being answered.
    in_flight: AtomicUsize,
    /// When the connection last received bytes (or finished answering), in ms after `opened`.
    last_read_ms: AtomicU64,
    /// When the first byte of a request head arrived that has no answer under way yet, in ms
    /// after `opened`, plus one; 0 when none is pending.
    head_started_ms: AtomicU64,
    evicted: Notify,
}

/// How far a connection has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Stage {
    /// Connected; the ClientHello has not arrived.
    Silent = 0,
    /// The ClientHello arrived; the handshake is not finished.
    Handshaking = 1,
    /// Handshake done: serving requests.
    Established = 2,
}

impl SlotState {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn stage(&self) -> Stage {
        match self.stage.load(Ordering::Relaxed) {
            0 => Stage::Silent,
            1 => Stage::Handshaking,
            _ => Stage::Established,
        }
    }

    fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_read_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }
}

/// Why a connection was closed to make room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shed {
    /// It had not sent its ClientHello.
    Silent,
    /// It had not finished its handshake.
    Handshaking,
    /// It was a keep-alive connection with nothing to do.
    Idle,
}

/// A taken slot; dropping it frees the slot.
pub struct Slot {
    id: u64,
    state: Arc<SlotState>,
    admission: Arc<Admission>,
}

impl Admission {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Admission {
            capacity: capacity.max(1),
            table: Mutex::new(Table::default()),
        })
    }

    /// A slot for a connection from `peer`, made by closing another if need be (see the
    /// module documentation); `None` when every slot is busy with a request. The second
    /// value says which kind of connection made room.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<(Slot, Option<Shed>)> {
        let mut table = self.table.lock().ok()?;
        let mut shed = None;
        if table.open.len() >= self.capacity {
            let (victim, why) = choose_victim(&table.open)?;
            if let Some(state) = table.open.remove(&victim) {
                // notify_one keeps the wake-up even if the task is not waiting yet.
                state.evicted.notify_one();
            }
            shed = Some(why);
        }
        table.next += 1;
        let id = table.next;
        let state = Arc::new(SlotState {
            peer,
            opened: Instant::now(),
            stage: AtomicU8::new(Stage::Silent as u8),
            in_flight: AtomicUsize::new(0),
            last_read_ms: AtomicU64::new(0),
            head_started_ms: AtomicU64::new(0),
            evicted: Notify::new(),
        });
        table.open.insert(id, state.clone());
        Some((
            Slot {
                id,
                state,
                admission: self.clone(),
            },
            shed,
        ))
    }

    /// Connections holding a slot now.
    pub fn open(&self) -> usize {
        self.table.lock().map_or(0, |t| t.open.len())
    }
}

fn choose_victim(open: &HashMap<u64, Arc<SlotState>>) -> Option<(u64, Shed)> {
    let in_stage = |stage: Stage| {
        open.iter()
            .filter(move |(_, s)| s.stage() == stage)
            .map(|(id, s)| (*id, s))
    };
    let mut per_peer: HashMap<IpAddr, usize> = HashMap::new();
    for (_, s) in in_stage(Stage::Silent) {
        *per_peer.entry(s.peer).or_default() += 1;
    }
    let busiest = per_peer
        .iter()
        .max_by_key(|(ip, n)| (**n, std::cmp::Reverse(**ip)))
        .map(|(ip, _)| *ip);
    if let Some(ip) = busiest {
        return in_stage(Stage::Silent)
            .filter(|(_, s)| s.peer == ip)
            .min_by_key(|(id, s)| (s.opened, *id))
            .map(|(id, _)| (id, Shed::Silent));
    }
    if let Some((id, _)) = in_stage(Stage::Handshaking).min_by_key(|(id, s)| (s.opened, *id)) {
        return Some((id, Shed::Handshaking));
    }
    in_stage(Stage::Established)
        .filter(|(_, s)| s.in_flight.load(Ordering::SeqCst) == 0 && s.idle_for() >= MIN_IDLE)
        .max_by_key(|(id, s)| (s.idle_for(), std::cmp::Reverse(*id)))
        .map(|(id, _)| (id, Shed::Idle))
}

impl Slot {
    /// The connection came this far: it gives way to newcomers after those behind it.
    pub fn reached(&self, stage: Stage) {
        self.state.stage.fetch_max(stage as u8, Ordering::Relaxed);
    }

    /// How long since bytes last arrived (since it opened, if none have).
    pub fn idle_for(&self) -> Duration {
        self.state.idle_for()
    }

    pub fn in_flight(&self) -> usize {
        self.state.in_flight.load(Ordering::SeqCst)
    }

    /// How long a request head has been arriving without being complete, if one is.
    pub fn head_pending_for(&self) -> Option<Duration> {
        match self.state.head_started_ms.load(Ordering::SeqCst) {
            0 => None,
            started => Some(Duration::from_millis(
                self.state.now_ms().saturating_sub(started - 1),
            )),
        }
    }

    /// Why an established connection should be closed now: a request head slower than
    /// `header_timeout`, or no request for `idle_timeout` (counted from the end of the last
    /// answer). hyper's own header timeout also runs while a keep-alive connection waits for
    /// its next request, which would make every idle connection close after it.
    pub fn overdue(&self, header_timeout: Duration, idle_timeout: Duration) -> Option<Overdue> {
        if let Some(pending) = self.head_pending_for() {
            return (pending > header_timeout).then_some(Overdue::Head);
        }
        (self.in_flight() == 0 && self.idle_for() > idle_timeout).then_some(Overdue::Idle)
    }

    /// Resolves when the slot was given to a newcomer: close the connection.
    pub async fn evicted(&self) {
        self.state.evicted.notified().await;
    }

    /// A handle that can mark activity and requests from elsewhere (the I/O wrapper and the
    /// request handler).
    pub fn handle(&self) -> SlotHandle {
        SlotHandle(self.state.clone())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut table) = self.admission.table.lock() {
            table.open.remove(&self.id);
        }
    }
}

/// Why a connection is closed by its own timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overdue {
    Head,
    Idle,
}

/// Marks a request in flight while alive.
pub struct Busy(Arc<SlotState>);

impl Drop for Busy {
    fn drop(&mut self) {
        // Idle time counts from the end of the answer.
        self.0
            .last_read_ms
            .store(self.0.now_ms(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Marks activity and requests of a slot from the I/O wrapper and the request handler.
#[derive(Clone)]
pub struct SlotHandle(Arc<SlotState>);

impl SlotHandle {
    /// Bytes arrived. With no answer under way they begin a request head.
    pub fn touch(&self) {
        let now = self.0.now_ms();
        self.0.last_read_ms.store(now, Ordering::Relaxed);
        if self.0.in_flight.load(Ordering::SeqCst) == 0 {
            let _ = self.0.head_started_ms.compare_exchange(
                0,
                now.saturating_add(1),
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
        }
    }

    /// A request is being answered until the guard is dropped (its head is complete).
    pub fn busy(&self) -> Busy {
        self.0.in_flight.fetch_add(1, Ordering::SeqCst);
        self.0.head_started_ms.store(0, Ordering::SeqCst);
        Busy(self.0.clone())
    }
}

/// A stream that tells its slot when bytes arrive.
pub struct Tracked<S> {
    pub inner: S,
    pub slot: SlotHandle,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.slot.touch();
        }
        result
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Resolves when the connection's own timers say to close it; checked four times a second.
pub async fn until_overdue(
    slot: &Slot,
    header_timeout: Duration,
    idle_timeout: Duration,
) -> Overdue {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        if let Some(why) = slot.overdue(header_timeout, idle_timeout) {
            return why;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn a_newcomer_pushes_out_the_oldest_handshake_of_the_busiest_address() {
        let admission = Admission::new(3);
        let (a1, _) = admission.admit(ip(2)).unwrap();
        let (a2, _) = admission.admit(ip(2)).unwrap();
        let (b1, _) = admission.admit(ip(1)).unwrap();
        let (c, shed) = admission.admit(ip(1)).unwrap();
        assert_eq!(shed, Some(Shed::Silent));
        assert_eq!(admission.open(), 3);
        // a1 was the oldest of 127.0.0.2, which held the most handshakes.
        let open: Vec<u64> = admission
            .table
            .lock()
            .unwrap()
            .open
            .keys()
            .copied()
            .collect();
        assert!(!open.contains(&a1.id));
        for s in [&a2, &b1, &c] {
            assert!(open.contains(&s.id));
        }
    }

    #[test]
    fn a_connection_that_sent_its_hello_outlasts_silent_ones() {
        let admission = Admission::new(2);
        let (hello, _) = admission.admit(ip(1)).unwrap();
        hello.reached(Stage::Handshaking);
        let (silent, _) = admission.admit(ip(1)).unwrap();
        let (_first, shed) = admission.admit(ip(1)).unwrap();
        assert_eq!(shed, Some(Shed::Silent));
        let open: Vec<u64> = admission
            .table
            .lock()
            .unwrap()
            .open
            .keys()
            .copied()
            .collect();
        assert!(open.contains(&hello.id) && !open.contains(&silent.id));
        // The newcomer, still silent, is the next to go; once it has sent its hello too,
        // the oldest handshake gives way.
        let (second, shed) = admission.admit(ip(1)).unwrap();
        assert_eq!(shed, Some(Shed::Silent), "the silent newcomer went first");
        second.reached(Stage::Handshaking);
        let (_third, shed) = admission.admit(ip(1)).unwrap();
        assert_eq!(shed, Some(Shed::Handshaking));
        let open: Vec<u64> = admission
            .table
            .lock()
            .unwrap()
            .open
            .keys()
            .copied()
            .collect();
        assert!(!open.contains(&hello.id) && open.contains(&second.id));
    }

    #[test]
    fn idle_keep_alive_gives_way_and_busy_connections_never_do() {
        let admission = Admission::new(2);
        let (busy, _) = admission.admit(ip(1)).unwrap();
        busy.reached(Stage::Established);
        let request = busy.handle().busy();
        let (idle, _) = admission.admit(ip(1)).unwrap();
        idle.reached(Stage::Established);
        std::thread::sleep(MIN_IDLE + Duration::from_millis(50));
        let (newcomer, shed) = admission.admit(ip(3)).unwrap();
        assert_eq!(shed, Some(Shed::Idle));
        let open: Vec<u64> = admission
            .table
            .lock()
            .unwrap()
            .open
            .keys()
            .copied()
            .collect();
        assert!(open.contains(&busy.id) && open.contains(&newcomer.id));
        assert!(!open.contains(&idle.id));
        // Now both are busy: the next one is refused.
        newcomer.reached(Stage::Established);
        let _second = newcomer.handle().busy();
        assert!(admission.admit(ip(4)).is_none());
        drop(request);
        drop(busy);
        assert!(admission.admit(ip(4)).is_some());
    }

    #[test]
    fn a_slow_head_and_idleness_are_told_apart() {
        let admission = Admission::new(1);
        let (slot, _) = admission.admit(ip(1)).unwrap();
        slot.reached(Stage::Established);
        let handle = slot.handle();
        let long = Duration::from_secs(60);
        assert_eq!(slot.overdue(long, long), None);
        handle.touch();
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(
            slot.overdue(Duration::from_millis(10), long),
            Some(Overdue::Head)
        );
        let busy = handle.busy();
        assert_eq!(slot.head_pending_for(), None);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(
            slot.overdue(long, Duration::from_millis(10)),
            None,
            "busy is not idle"
        );
        drop(busy);
        assert_eq!(
            slot.overdue(long, Duration::from_millis(10)),
            None,
            "idle from the answer on"
        );
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(
            slot.overdue(long, Duration::from_millis(10)),
            Some(Overdue::Idle)
        );
    }

    #[tokio::test]
    async fn the_pushed_out_connection_is_told() {
        let admission = Admission::new(1);
        let (first, _) = admission.admit(ip(1)).unwrap();
        let (_second, _) = admission.admit(ip(1)).unwrap();
        tokio::time::timeout(Duration::from_secs(1), first.evicted())
            .await
            .expect("evicted");
    }
}
