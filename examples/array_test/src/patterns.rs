//! Timeouts, select, retry and rate limiting around *bridged calls*: a generated Rust
//! client ([`ArrayTestClient`](crate::array_test::ArrayTestClient)) calling the Zig server
//! of `zig/service.zig`. None of this needs anything from migz beyond the `_async`
//! methods: their futures are ordinary tokio futures that can be timed out, raced,
//! retried and paced, and dropping one cancels the call (its reply port goes with it, so
//! a late reply is destroyed rather than leaked). Each example checks at the end that
//! its space holds no right.
//!
//! (Streams and channels have their own such examples in `migz::stream` and
//! `migz::channel`.)
//!
//! # Timeout
//!
//! Either the generated per-call timeout (for sending and for the reply), or
//! `tokio::time::timeout` around the whole call, which also bounds the time spent
//! waiting for queue room:
//!
//! ```
//! use std::time::Duration;
//! use migz::{Space, bridge, rights::allocate_pair};
//! use migz_example_array_test::{array_test::ArrayTestClient, zig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let space = Space::new();
//! {
//!     let (port, send) = allocate_pair(&space).unwrap();
//!     let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
//!     let client = ArrayTestClient::new(send);
//!     let call = client.sum_array_async(&[1, 2, 3], Some(Duration::from_secs(5)));
//!     let total = tokio::time::timeout(Duration::from_secs(5), call).await;
//!     assert_eq!(total, Ok(Ok(6)));
//!
//!     // A port nobody serves: the call gives up, and dropping it cancels it.
//!     let (silent, silent_send) = allocate_pair(&space).unwrap();
//!     let stalled = ArrayTestClient::new(silent_send);
//!     let call = stalled.sum_array_async(&[1], None);
//!     assert!(tokio::time::timeout(Duration::from_millis(20), call).await.is_err());
//!     // The generated timeout gives the code instead: `MACH_RCV_TIMED_OUT`.
//!     let short = Some(Duration::from_millis(20));
//!     let err = stalled.sum_array_async(&[1], short).await.unwrap_err();
//!     assert_eq!(err.code(), migz::abi::MACH_RCV_TIMED_OUT);
//!     drop((silent, stalled)); // the two queued requests are destroyed with the port
//!
//!     drop(client);
//!     assert_eq!(server.join().unwrap(), Ok(()));
//! }
//! space.assert_no_leaks();
//! # }
//! ```
//!
//! # Select
//!
//! `tokio::select!` races a call against anything else: a shutdown signal, another
//! server, a deadline. The losing branch's call is dropped, which cancels it:
//!
//! ```
//! use std::time::Duration;
//! use migz::{Space, bridge, rights::allocate_pair};
//! use migz_example_array_test::{array_test::ArrayTestClient, zig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let space = Space::new();
//! {
//!     let (port, send) = allocate_pair(&space).unwrap();
//!     let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
//!     let zig_server = ArrayTestClient::new(send);
//!     // A replica that never answers: the Zig server wins the race.
//!     let (silent, silent_send) = allocate_pair(&space).unwrap();
//!     let replica = ArrayTestClient::new(silent_send);
//!     let (shutdown_tx, mut shutdown) = tokio::sync::oneshot::channel::<()>();
//!
//!     let answer = tokio::select! {
//!         total = zig_server.sum_array_async(&[10, 20], None) => total.map(|t| ("zig", t)),
//!         total = replica.sum_array_async(&[10, 20], None) => total.map(|t| ("replica", t)),
//!         _ = &mut shutdown => panic!("no shutdown was asked for"),
//!     };
//!     assert_eq!(answer, Ok(("zig", 30)));
//!
//!     // A shutdown signal wins over a call that cannot finish.
//!     shutdown_tx.send(()).unwrap();
//!     let stopped = tokio::select! {
//!         _ = replica.sum_array_async(&[1], None) => false,
//!         _ = &mut shutdown => true,
//!     };
//!     assert!(stopped);
//!
//!     drop((silent, replica, zig_server));
//!     assert_eq!(server.join().unwrap(), Ok(()));
//! }
//! space.assert_no_leaks();
//! # }
//! ```
//!
//! # Retry with backoff
//!
//! Retry what may pass (a timed-out send or reply, a server that is not there yet) with
//! a growing delay, and give up at once on what will not (the server's own error, a
//! request that cannot be packed); [`CallError::code`](migz::ffi::CallError::code) tells
//! them apart:
//!
//! ```
//! use std::time::Duration;
//! use migz::abi::{KERN_INVALID_VALUE, MACH_RCV_TIMED_OUT, MACH_SEND_TIMED_OUT};
//! use migz::ffi::CallError;
//! use migz::{Space, bridge, rights::allocate_pair};
//! use migz_example_array_test::{array_test::ArrayTestClient, zig};
//!
//! /// Calls `f` up to `attempts` times, sleeping `delay`, then twice that, ... between
//! /// tries, while it fails with a timeout. Returns the result and the tries it took.
//! async fn retry<T>(
//!     attempts: u32,
//!     mut delay: Duration,
//!     mut f: impl AsyncFnMut() -> Result<T, CallError>,
//! ) -> (Result<T, CallError>, u32) {
//!     let transient = [MACH_SEND_TIMED_OUT, MACH_RCV_TIMED_OUT];
//!     let mut tries = 0;
//!     loop {
//!         tries += 1;
//!         match f().await {
//!             Err(e) if tries < attempts && transient.contains(&e.code()) => {
//!                 tokio::time::sleep(delay).await;
//!                 delay = (delay * 2).min(Duration::from_secs(1));
//!             }
//!             done => return (done, tries),
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let space = Space::new();
//! {
//!     let (port, send) = allocate_pair(&space).unwrap();
//!     let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
//!     let client = ArrayTestClient::new(send);
//!     let timeout = Some(Duration::from_secs(2));
//!     let base = Duration::from_millis(5);
//!
//!     let sum = async |data: &[i32]| client.sum_array_async(data, timeout).await;
//!     let (total, _) = retry(5, base, async || sum(&[4, 5]).await).await;
//!     assert_eq!(total, Ok(9));
//!     // The Zig routine refuses an overflowing sum: not worth a second try.
//!     let (total, tries) = retry(5, base, async || sum(&[i32::MAX, 1]).await).await;
//!     assert_eq!((total.unwrap_err().code(), tries), (KERN_INVALID_VALUE, 1));
//!
//!     // A port nobody serves times out every time: all five tries are spent.
//!     let (silent, silent_send) = allocate_pair(&space).unwrap();
//!     let stalled = ArrayTestClient::new(silent_send);
//!     let short = Some(Duration::from_millis(1));
//!     let call = async || stalled.sum_array_async(&[1], short).await;
//!     let (total, tries) = retry(5, base, call).await;
//!     assert_eq!((total.unwrap_err().code(), tries), (MACH_RCV_TIMED_OUT, 5));
//!     drop((silent, stalled));
//!
//!     drop(client);
//!     assert_eq!(server.join().unwrap(), Ok(()));
//! }
//! space.assert_no_leaks();
//! # }
//! ```
//!
//! # Rate limiting
//!
//! `tokio::time::interval` paces calls (here at most 500 a second), and a
//! `tokio::sync::Semaphore` bounds how many are in flight at once (here 4), whatever
//! the number of tasks making them:
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use migz::{Space, bridge, rights::allocate_pair};
//! use migz_example_array_test::{array_test::ArrayTestClient, zig};
//! use tokio::sync::Semaphore;
//! use tokio::time::{MissedTickBehavior, interval};
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() {
//! let space = Space::new();
//! {
//!     let (port, send) = allocate_pair(&space).unwrap();
//!     let server = std::thread::spawn(move || bridge::serve_in_zig(port, 0, zig::server));
//!     let client = Arc::new(ArrayTestClient::new(send));
//!
//!     // Paced: one call per tick; a late tick delays the next rather than bursting.
//!     let mut ticks = interval(Duration::from_millis(2));
//!     ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
//!     for n in 1..=10 {
//!         ticks.tick().await;
//!         assert_eq!(client.sum_array_async(&[n, n], None).await, Ok(2 * n));
//!     }
//!
//!     // Bounded: 32 tasks, at most 4 calls in flight.
//!     let in_flight = Arc::new(Semaphore::new(4));
//!     let tasks: Vec<_> = (0..32)
//!         .map(|n| {
//!             let (client, in_flight) = (client.clone(), in_flight.clone());
//!             tokio::spawn(async move {
//!                 let _permit = in_flight.acquire().await.unwrap();
//!                 client.sum_array_async(&[n, 1], None).await
//!             })
//!         })
//!         .collect();
//!     for (n, task) in (0..32).zip(tasks) {
//!         assert_eq!(task.await.unwrap(), Ok(n + 1));
//!     }
//!
//!     drop(client);
//!     assert_eq!(server.join().unwrap(), Ok(()));
//! }
//! space.assert_no_leaks();
//! # }
//! ```
