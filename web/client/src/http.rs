//! Login and join over plain HTTP/1.1. One pooled client is shared by every participant so
//! thousands of joins reuse a few hundred keep-alive connections instead of leaving as many
//! sockets in TIME_WAIT next to the WebSockets.

use std::pin::Pin;
use std::time::Duration;

use anyhow::{Context, bail};
use http::header::CONTENT_TYPE;
use http::{Request, StatusCode};
use hyper::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;

/// Answers are a few hundred bytes; anything far larger is not the server we expect.
const MAX_BODY: usize = 64 * 1024;

#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, String>,
    base: String,
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

impl Http {
    /// `base` is `http://host:port` without a trailing slash.
    pub fn new(base: &str, pool: usize) -> Http {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool)
            // Idle join connections would otherwise hold server slots for the whole run.
            .pool_idle_timeout(Duration::from_secs(5))
            .build(connector);
        Http {
            client,
            base: base.to_string(),
        }
    }

    async fn post_json(&self, path: &str, body: String) -> anyhow::Result<(StatusCode, Vec<u8>)> {
        let req = Request::post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, "application/json")
            .body(body)?;
        let res = self
            .client
            .request(req)
            .await
            .map_err(|e| anyhow::anyhow!(error_chain(&e)))?;
        let status = res.status();
        let mut body = res.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            if let Ok(data) = frame?.into_data() {
                if bytes.len() + data.len() > MAX_BODY {
                    bail!("answer over {MAX_BODY} bytes");
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok((status, bytes))
    }

    /// A session token, or an error naming the HTTP status and the API error code so that
    /// failures of many participants aggregate into a few lines.
    async fn token(&self, path: &str, body: String) -> anyhow::Result<String> {
        let (status, bytes) = self.post_json(path, body).await?;
        if status.is_success() {
            let t: TokenBody = serde_json::from_slice(&bytes).context("answer without a token")?;
            return Ok(t.token);
        }
        let code = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|e| e.error)
            .unwrap_or_else(|_| "no error code".into());
        bail!("HTTP {} {code}", status.as_u16())
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        self.token("/api/login", body).await
    }

    pub async fn join(&self, meeting: i64, code: &str, name: &str) -> anyhow::Result<String> {
        let body = serde_json::json!({"code": code, "name": name}).to_string();
        self.token(&format!("/api/meetings/{meeting}/join"), body)
            .await
    }
}

/// hyper's top-level errors say only "client error (Connect)"; the cause is in the sources.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        // Some errors already print their source (tungstenite's do): do not repeat it.
        let cause = s.to_string();
        if !text.ends_with(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = s.source();
    }
    text
}
