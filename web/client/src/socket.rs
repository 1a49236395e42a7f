//! Opening and closing a protocol WebSocket, and readable errors for both.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::http::error_chain;

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Small buffers: a load generator holds as many sockets as the server and shares its cores.
/// Protocol frames are well under 4 KiB; larger ones still arrive, the buffer grows.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
}

/// Opens the WebSocket (no frame read yet).
pub async fn open(url: &str) -> Result<Ws, WsError> {
    let (ws, _) =
        tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), true).await?;
    Ok(ws)
}

/// A refused upgrade as `HTTP 403 forbidden` (status and API error code), anything else as
/// its cause chain.
pub fn ws_error(e: &WsError) -> String {
    match e {
        WsError::Http(res) => {
            let code = res
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .and_then(|v| v.get("error")?.as_str().map(str::to_string))
                .unwrap_or_else(|| "no error code".into());
            format!("HTTP {} {code}", res.status().as_u16())
        }
        other => error_chain(other),
    }
}

/// Sends a close frame and waits for the server's answering one (RFC 6455 §5.5.1).
pub async fn close(ws: &mut Ws) -> Result<(), String> {
    ws.close(None).await.map_err(|e| error_chain(&e))?;
    let drained = timeout(Duration::from_secs(5), async {
        let mut answered = false;
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) => answered = true,
                Some(Ok(_)) => {}
                None if answered => return Ok(()),
                None => return Err("connection ended without a close frame".to_string()),
                Some(Err(e)) => return Err(error_chain(&e)),
            }
        }
    });
    drained
        .await
        .unwrap_or_else(|_| Err("no close frame within 5 s".into()))
}
