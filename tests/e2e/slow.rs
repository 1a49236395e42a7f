//! A client that stops reading never slows the meeting or anyone else: the broadcast ring is
//! its bounded outbox; when it reads again it skips to a fresh snapshot.

use librekast_tests::*;
use tokio::net::TcpSocket;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_does_not_slow_the_meeting() -> anyhow::Result<()> {
    let ts = TestServer::start("slow").await?;
    let meeting = ts.demo_meeting().await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    // Fill the staff scoreboard so every staff `state` frame is several KiB.
    for i in 0..100 {
        ts.join(
            meeting,
            "Pour1nf0",
            &format!("audience member with a long name {i:03}"),
        )
        .await?;
    }
    let (_, token) = ts.join(meeting, "Pour1nf0", "watcher").await?;
    let mut watcher = ts.connect(meeting, &token).await?;

    // A staff client with a tiny receive buffer that never reads.
    let socket = TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    let stream = socket.connect(ts.server.addr).await?;
    let url = format!(
        "ws://{}/ws/meetings/{meeting}?token={admin}",
        ts.server.addr
    );
    let (mut stalled, _) = tokio_tungstenite::client_async(url, stream).await?;

    ok(&org.control("start").await?)?;
    // 1,200 state changes of ~10 KiB each for staff (far more than the kernel buffers hold),
    // broadcast to everyone including the stalled client.
    for _ in 0..600 {
        paced(&mut org, "next").await?;
        paced(&mut org, "back").await?;
    }
    paced(&mut org, "next").await?;
    // The last control leaves the meeting waiting on the second activity; the watcher, who
    // kept reading, gets there too.
    watcher
        .wait_for(|v| v["type"] == "state" && v["status"] == "waiting" && v["position"] == 1)
        .await?;

    // The stalled client reads again: it skipped to the present instead of replaying.
    use futures_util::StreamExt;
    let mut frames = 0;
    loop {
        let msg = tokio::time::timeout(TIMEOUT, stalled.next()).await?;
        let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) = msg else {
            // Dropped for stalling more than 10 s is also within the contract.
            break;
        };
        frames += 1;
        let v: serde_json::Value = serde_json::from_str(t.as_str())?;
        if v["type"] == "state" && v["position"] == 1 && v["status"] == "waiting" {
            break;
        }
    }
    eprintln!("stalled client read {frames} frames before the present");
    assert!(
        frames < 800,
        "{frames} frames replayed: the lagging client was not resynced"
    );
    ts.server.shutdown().await;
    Ok(())
}

/// A control sent as a well-behaved client would: waiting when told `rate_limited`.
async fn paced(org: &mut Client, action: &str) -> anyhow::Result<()> {
    loop {
        let ack = org.control(action).await?;
        if error_code(&ack) != "rate_limited" {
            return ok(&ack);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
