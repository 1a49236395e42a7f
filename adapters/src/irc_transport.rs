//! How twitch-irc reaches Twitch: our own [`MakeConnection`], TLS with tokio-rustls (ring)
//! or plain TCP for fakes and local proxies (`LIBREKAST_TWITCH_IRC_URL`).
//!
//! twitch-irc calls `MakeConnection::new_socket()` without any value of ours, so the target
//! is process-wide ([`set_irc_target`], set once by the binary; tests in one process share
//! one fake server and tell their meetings apart by channel). Connection failures are
//! broadcast ([`connect_failures`]) so every adapter can show `reconnecting` with the cause.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use twitch_irc::transport::tcp::{MakeConnection, TCPTransport, TCPTransportConnectError};

use crate::config::{IrcTarget, TWITCH_IRC_URL};

/// The transport every Twitch adapter uses.
pub type IrcTransport = TCPTransport<LibreKastIrc>;

static TARGET: RwLock<Option<IrcTarget>> = RwLock::new(None);
static FAILURES: OnceLock<broadcast::Sender<Arc<str>>> = OnceLock::new();
static TLS: OnceLock<Arc<ClientConfig>> = OnceLock::new();

/// rustls needs one crypto provider per process; the stack uses ring (STACK.md: with two
/// backends linked, the first handshake panics unless one is installed). Idempotent.
pub fn install_crypto_provider() {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
}

/// Where every Twitch IRC connection of this process goes from now on.
pub fn set_irc_target(target: IrcTarget) {
    if let Ok(mut t) = TARGET.write() {
        *t = Some(target);
    }
}

fn target() -> IrcTarget {
    TARGET
        .read()
        .ok()
        .and_then(|t| t.clone())
        .or_else(|| IrcTarget::parse(TWITCH_IRC_URL).ok())
        .unwrap_or(IrcTarget {
            tls: true,
            host: "irc.chat.twitch.tv".into(),
            port: 6697,
        })
}

/// Failures to open an IRC connection, as they happen (the error text).
pub fn connect_failures() -> broadcast::Receiver<Arc<str>> {
    FAILURES
        .get_or_init(|| broadcast::channel(16).0)
        .subscribe()
}

fn report_failure(e: &io::Error, target: &IrcTarget) {
    let text: Arc<str> = Arc::from(format!(
        "cannot reach Twitch chat at {}:{}: {e}",
        target.host, target.port
    ));
    let _ = FAILURES.get_or_init(|| broadcast::channel(16).0).send(text);
}

/// The TLS client settings (ring, webpki roots), shared with the EventSub WebSocket.
pub(crate) fn tls_config() -> Arc<ClientConfig> {
    TLS.get_or_init(|| {
        install_crypto_provider();
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Arc::new(
            ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    })
    .clone()
}

/// A plain or TLS socket.
pub enum IrcSocket {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

pub struct LibreKastIrc;

#[async_trait::async_trait]
impl MakeConnection for LibreKastIrc {
    type Socket = IrcSocket;

    async fn new_socket() -> Result<IrcSocket, TCPTransportConnectError> {
        let target = target();
        let result = async {
            let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
            let _ = tcp.set_nodelay(true);
            if !target.tls {
                return Ok(IrcSocket::Plain(tcp));
            }
            let name = ServerName::try_from(target.host.clone())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let tls = TlsConnector::from(tls_config()).connect(name, tcp).await?;
            Ok(IrcSocket::Tls(Box::new(tls)))
        }
        .await;
        if let Err(e) = &result {
            report_failure(e, &target);
        }
        result.map_err(TCPTransportConnectError::IOError)
    }
}

impl AsyncRead for IrcSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            IrcSocket::Plain(s) => Pin::new(s).poll_read(cx, buf),
            IrcSocket::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for IrcSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            IrcSocket::Plain(s) => Pin::new(s).poll_write(cx, buf),
            IrcSocket::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            IrcSocket::Plain(s) => Pin::new(s).poll_flush(cx),
            IrcSocket::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            IrcSocket::Plain(s) => Pin::new(s).poll_shutdown(cx),
            IrcSocket::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
