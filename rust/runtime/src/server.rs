//! Running a server for as long as it has clients.
//!
//! A generated `serve(&server, &port, concurrency)` serves until its port dies, which the
//! server itself decides. Most servers should rather stop once nobody can reach them any
//! more: [`serve_until_no_senders`] runs a serve loop until the port's last send right is
//! gone (Mach's no-senders notification), then returns and destroys the port. Generated
//! modules wrap it as `<subsystem>::serve_until_no_senders(&server, port, concurrency)`.

use std::pin::pin;

use futures::StreamExt;
use futures::future::{Either, select};

use crate::error::Error;
use crate::rights::ReceiveRight;
use crate::transport::Transport;

/// Runs `serve` (such as a generated `serve(&server, port, concurrency)`) on `port` until
/// the port's last send right is gone, then destroys the port with whatever is still
/// queued. A port without send rights ends at once, so make the clients' rights first.
/// A request being served when the last right goes was sent before it went; its
/// dispatch is dropped with the serve loop, which releases what the request carried.
///
/// ```
/// use migz::{Space, rights::allocate_pair};
///
/// let space = Space::new();
/// let (port, client) = allocate_pair(&space).unwrap();
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// rt.block_on(async {
///     let serving = migz::server::serve_until_no_senders(port, async |port| {
///         // A serve loop that never ends by itself, as a generated `serve` is.
///         let _requests = port.messages()?;
///         futures::future::pending::<()>().await;
///         Ok(())
///     });
///     drop(client); // the last client goes: serving ends
///     serving.await
/// })
/// .unwrap();
/// space.assert_no_leaks();
/// ```
pub async fn serve_until_no_senders<T, F>(port: ReceiveRight<T>, serve: F) -> Result<(), Error>
where
    T: Transport,
    F: AsyncFnOnce(&ReceiveRight<T>) -> Result<(), Error>,
{
    let notify = ReceiveRight::allocate(port.task())?;
    // The earlier request's send-once right, if any, is released when dropped.
    drop(port.request_no_senders(&notify, 0)?);
    let mut notifications = pin!(crate::private::requests(&notify)?);
    let serving = pin!(serve(&port));
    let gone = pin!(notifications.next());
    match select(serving, gone).await {
        Either::Left((result, _)) => result,
        // The notification carries no right; dropping it releases nothing.
        Either::Right(_) => Ok(()),
    }
}
