//! The metrics listener: `GET /metrics` in Prometheus's text exposition (OpenMetrics), on
//! its own address (`LIBREKAST_METRICS_BIND`), never on the public one: operators reach it
//! from their monitoring host, participants never. And the `route` label of
//! `librekast_http_requests_total`, with ids taken out so it stays a short list.

use hyper_util::rt::{TokioExecutor, TokioIo};
use librekast_engine::Engine;
use tokio::net::TcpListener;
use tokio::sync::watch;
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::Reply;

/// What Prometheus asks for and gets: OpenMetrics 1.0 text.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serves `GET /metrics` until shutdown.
pub async fn serve(listener: TcpListener, engine: Engine, mut shutdown: watch::Receiver<bool>) {
    let metrics =
        warp::path!("metrics")
            .and(warp::get())
            .map(move || match engine.metrics_text() {
                Ok(text) => {
                    warp::reply::with_header(text, "content-type", CONTENT_TYPE).into_response()
                }
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            });
    let service = warp::service(metrics);
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let builder =
                hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).http1_only();
            if let Err(e) = builder
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(error = %e, "metrics connection ended with an error");
            }
        });
    }
}

/// The `route` label of a request path: ids and names replaced by `{id}` and `{name}`, and
/// every page or file of the web app as `static`, so a scanner trying random paths cannot
/// grow the list of series.
pub fn route_label(path: &str) -> String {
    let api = ["/api/", "/ws/", "/media/", "/oauth/"]
        .iter()
        .any(|p| path.starts_with(p));
    if !api {
        return match path {
            "/healthz" => "/healthz".into(),
            _ => "static".into(),
        };
    }
    let mut out = String::new();
    let mut after_name_list = false;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        let plain = segment.len() <= 24
            && segment
                .bytes()
                .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'-' | b'.'));
        if after_name_list {
            out.push_str("{name}");
        } else if plain {
            out.push_str(segment);
        } else {
            out.push_str("{id}");
        }
        // What follows these is a person's or a word's name, not a route.
        after_name_list = matches!(segment, "users" | "staff" | "hidden_words");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::route_label;

    #[test]
    fn routes_keep_their_shape_without_ids() {
        for (path, label) in [
            ("/api/meetings/12/join", "/api/meetings/{id}/join"),
            (
                "/api/meetings/12/results.csv",
                "/api/meetings/{id}/results.csv",
            ),
            ("/ws/meetings/3", "/ws/meetings/{id}"),
            ("/media/0123456789abcdef0123456789abcdef", "/media/{id}"),
            ("/api/users/olga/password", "/api/users/{name}/password"),
            (
                "/api/meetings/1/activities/2/hidden_words/rust",
                "/api/meetings/{id}/activities/{id}/hidden_words/{name}",
            ),
            ("/present.html", "static"),
            ("/wp-login.php", "static"),
            ("/healthz", "/healthz"),
        ] {
            assert_eq!(route_label(path), label, "{path}");
        }
    }
}
