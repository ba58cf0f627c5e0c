//! A small client of the controller's REST API over one kept-alive
//! HTTP/1.1 connection (hyper): what the benchmark needs to ask for
//! handoffs and read the metrics.

use std::collections::HashMap;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One connection to the REST API.
#[derive(Debug)]
pub struct Api {
    addr: SocketAddr,
    token: Option<String>,
    sender: SendRequest<Full<Bytes>>,
}

impl Api {
    /// Connects to the API at `addr`, with a bearer token when given.
    pub async fn connect(addr: SocketAddr, token: Option<String>) -> Result<Api, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("REST API at {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("REST API at {addr}: {e}"))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "REST connection ended");
            }
        });
        Ok(Api {
            addr,
            token,
            sender,
        })
    }

    /// Sends one request; the status and the body.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(StatusCode, Bytes), String> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.addr.to_string());
        if let Some(token) = &self.token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| e.to_string())?;
        self.sender
            .ready()
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{path}: {e}"))?
            .to_bytes();
        Ok((status, body))
    }

    /// The controller's Prometheus metrics, as a map from the sample's name
    /// with its labels (`odin_lvaps{state="active"}`) to its value.
    pub async fn metrics(&mut self) -> Result<Metrics, String> {
        let (status, body) = self.request(Method::GET, "/metrics", None).await?;
        if status != StatusCode::OK {
            return Err(format!("/metrics: {status}"));
        }
        Ok(Metrics::parse(&String::from_utf8_lossy(&body)))
    }
}

/// Samples of the Prometheus text format.
#[derive(Debug, Clone, Default)]
pub struct Metrics(pub HashMap<String, f64>);

impl Metrics {
    /// Parses the text format (comments skipped, unparsable lines ignored).
    pub fn parse(text: &str) -> Metrics {
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                Some((name.to_string(), value.parse().ok()?))
            })
            .collect();
        Metrics(samples)
    }

    /// One sample's value (0 when absent).
    pub fn get(&self, sample: &str) -> f64 {
        self.0.get(sample).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_text() {
        let m = Metrics::parse(
            "# HELP odin_lvaps LVAPs by state\n# TYPE odin_lvaps gauge\n\
             odin_lvaps{state=\"active\"} 100000\nodin_agents_up 2000\nbad line\n# EOF\n",
        );
        assert_eq!(m.get("odin_lvaps{state=\"active\"}"), 100_000.0);
        assert_eq!(m.get("odin_agents_up"), 2000.0);
        assert_eq!(m.get("odin_missing"), 0.0);
        assert_eq!(m.0.len(), 2);
    }
}
