//! What the end-to-end tests share: a tokio runtime to serve on, and a way to run a
//! server until its client is done.

use futures::future::{Either, select};
use std::pin::pin;

/// A current-thread tokio runtime with timers.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// Runs `server` until `client` finishes, then drops the server's future.
pub async fn until<T>(
    server: impl Future<Output = Result<(), migz::Error>>,
    client: impl Future<Output = T>,
) -> T {
    match select(pin!(server), pin!(client)).await {
        Either::Left((served, _)) => panic!("the server stopped first: {served:?}"),
        Either::Right((value, _)) => value,
    }
}
