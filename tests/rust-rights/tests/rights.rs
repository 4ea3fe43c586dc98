//! Each disposition called with the right it takes, async client against the generated
//! server over the local transport: the calls that `tests/compile-fail` gets wrong, right.
//! The space has no leaked right afterwards.

use migz::Space;
use migz::rights::{ReceiveRight, allocate_pair};
use migz_rust_rights::rights::{
    self, RightsClient, RightsServer, SendOnceRight, SendRight, ServeResult,
};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

/// Counts the rights it is given, and drops them.
#[derive(Default)]
struct Sink {
    rights: AtomicUsize,
}

impl Sink {
    fn took(&self, _right: impl Sized) -> ServeResult<()> {
        self.rights.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl RightsServer for Sink {
    async fn move_send(&self, port: SendRight) -> ServeResult<()> {
        self.took(port)
    }
    async fn copy_send(&self, port: SendRight) -> ServeResult<()> {
        self.took(port)
    }
    async fn make_send(&self, port: SendRight) -> ServeResult<()> {
        self.took(port)
    }
    async fn move_send_once(&self, port: SendOnceRight) -> ServeResult<()> {
        self.took(port)
    }
    async fn make_send_once(&self, port: SendOnceRight) -> ServeResult<()> {
        self.took(port)
    }
    async fn move_receive(&self, port: ReceiveRight<Space>) -> ServeResult<()> {
        self.took(port)
    }
}

#[test]
fn every_disposition_with_its_right() {
    let space = Space::new();
    {
        let (service, server_right) = allocate_pair(&space).unwrap();
        let client = RightsClient::new(server_right);
        let sink = Sink::default();
        let (mine, send) = allocate_pair(&space).unwrap();
        let calls = async {
            client
                .move_send_async(mine.make_send().unwrap(), None)
                .await
                .unwrap();
            client.copy_send_async(&send, None).await.unwrap();
            client.make_send_async(&mine, None).await.unwrap();
            let once = mine.make_send_once().unwrap();
            client.move_send_once_async(once, None).await.unwrap();
            client.make_send_once_async(&mine, None).await.unwrap();
            let given = ReceiveRight::allocate(&space).unwrap();
            client.move_receive_async(given, None).await.unwrap();
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // Serve until the calls are done, then drop the server's future.
        let mut server = pin!(rights::serve(&sink, &service, 1));
        let mut calls = pin!(calls);
        runtime.block_on(std::future::poll_fn(|cx| {
            if let Poll::Ready(served) = server.as_mut().poll(cx) {
                panic!("the server stopped first: {served:?}");
            }
            calls.as_mut().poll(cx)
        }));
        assert_eq!(sink.rights.load(Ordering::SeqCst), 6);
        // The caller still holds what it only lent.
        assert!(!send.is_dead());
        // Everything here, futures first, drops before the leak check.
    }
    space.assert_no_leaks();
}
