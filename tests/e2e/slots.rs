//! Connection slots cannot be held for free. Sockets that send nothing, heads and bodies
//! trickled a byte at a time, idle keep-alive connections and cleartext HTTP/2 all lose
//! their slot; one address cannot take more than its share; a normal client is served.
//! (Timeouts are shortened through the configuration: the defaults are 10 s and 30 s.)

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use librekast_tests::*;
use librekast_web::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A TCP connection from a chosen loopback address (127.0.0.0/8 is all ours on Linux).
async fn tcp_from(from: [u8; 4], to: SocketAddr) -> anyhow::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    Ok(socket.connect(to).await?)
}

/// Reads until the server closes; `Err` when it is still open after the test's timeout.
async fn closed_by_server(stream: &mut TcpStream) -> anyhow::Result<Vec<u8>> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(TIMEOUT, stream.read(&mut buf)).await {
            Err(_) => bail!("the server kept the connection open"),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(seen),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Whether the server closes a new connection from `from` at once, without serving it.
async fn refused_at_once(from: [u8; 4], to: SocketAddr) -> anyhow::Result<bool> {
    let mut over = tcp_from(from, to).await?;
    over.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok();
    Ok(closed_by_server(&mut over).await?.is_empty())
}

async fn healthz(from: [u8; 4], to: SocketAddr) -> anyhow::Result<String> {
    let mut s = tcp_from(from, to).await?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    let reply = closed_by_server(&mut s).await?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_trickling_sockets_lose_their_slots() -> anyhow::Result<()> {
    let mut config = Config::for_tests(&temp_sqlite_url("slots"))
        .with_trusted_proxies(Some(""))?
        .with_max_connections_per_ip(Some(10));
    config.max_connections = 30;
    config.header_timeout = Duration::from_millis(800);
    config.keepalive_idle = Duration::from_millis(800);
    config.body_timeout = Duration::from_millis(800);
    let ts = TestServer::start_with(config).await?;
    let addr = ts.server.addr;

    // One address takes its 10 slots with sockets that send nothing; the 11th is closed at
    // once, while another address is served.
    let mut idle = Vec::new();
    for _ in 0..10 {
        idle.push(tcp_from([127, 0, 0, 1], addr).await?);
    }
    assert!(
        refused_at_once([127, 0, 0, 1], addr).await?,
        "over the per-address cap: closed, not served"
    );
    assert!(
        healthz([127, 0, 0, 2], addr)
            .await?
            .starts_with("HTTP/1.1 200")
    );

    // Twenty more idle sockets from other addresses fill every slot of the server...
    for i in 0..20u8 {
        idle.push(tcp_from([127, 0, 1, i], addr).await?);
    }
    // ... and a trickled head, a trickled body and an HTTP/2 preface try to hold more.
    let trickle = tokio::spawn(async move {
        let mut head = tcp_from([127, 0, 2, 1], addr).await?;
        let mut body = tcp_from([127, 0, 2, 2], addr).await?;
        body.write_all(
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{",
        )
        .await?;
        let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        for b in request.iter().take(20) {
            if head.write_all(&[*b]).await.is_err() || body.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let head_reply = closed_by_server(&mut head).await?;
        let body_reply = String::from_utf8_lossy(&closed_by_server(&mut body).await?).into_owned();
        anyhow::Ok((head_reply, body_reply))
    });
    // A normal client waits in the backlog and is served once the idle ones are dropped.
    let reply = healthz([127, 0, 3, 1], addr).await?;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let (head_reply, body_reply) = trickle.await??;
    assert!(head_reply.is_empty() || String::from_utf8_lossy(&head_reply).contains("408"));
    assert!(
        body_reply.contains("408") && body_reply.contains("\"timeout\""),
        "a trickled body gets 408 timeout: {body_reply}"
    );
    for mut s in idle {
        closed_by_server(&mut s).await.context("idle socket kept")?;
    }

    // Cleartext HTTP/2 is refused (HTTP/1.1 only), not kept open.
    let mut h2 = tcp_from([127, 0, 4, 1], addr).await?;
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await?;
    let reply = String::from_utf8_lossy(&closed_by_server(&mut h2).await?).into_owned();
    assert!(!reply.contains("HTTP/2"), "{reply}");

    // An idle keep-alive connection is closed after its request.
    let mut keep = tcp_from([127, 0, 4, 2], addr).await?;
    keep.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await?;
    let reply = String::from_utf8_lossy(&closed_by_server(&mut keep).await?).into_owned();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    // Open WebSockets count against their address's cap as long as they live.
    let meeting = ts.demo_meeting().await?;
    let mut sockets = Vec::new();
    for i in 0..10 {
        let (_, token) = ts.join(meeting, "Pour1nf0", &format!("tab{i}")).await?;
        let stream = tcp_from([127, 0, 6, 1], addr).await?;
        let url = format!("ws://{addr}/ws/meetings/{meeting}?token={token}");
        let (ws, _) = tokio_tungstenite::client_async(url, stream).await?;
        sockets.push(ws);
    }
    assert!(
        refused_at_once([127, 0, 6, 1], addr).await?,
        "10 open WebSockets fill the address's 10 places"
    );
    drop(sockets);

    // A POST without Content-Length gets the documented 400.
    let mut chunked = tcp_from([127, 0, 4, 3], addr).await?;
    chunked
        .write_all(
            b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        )
        .await?;
    let reply = String::from_utf8_lossy(&closed_by_server(&mut chunked).await?).into_owned();
    assert!(
        reply.starts_with("HTTP/1.1 400") && reply.contains("Content-Length required"),
        "{reply}"
    );
    ts.server.shutdown().await;
    Ok(())
}
