use axum::http::HeaderValue;

use super::*;

fn request(method: Method, pairs: &[(&str, &str)]) -> (Method, Uri, HeaderMap) {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(
            header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    (method, Uri::from_static("/ingest/statusline"), headers)
}

fn check(access: &Access, method: Method, pairs: &[(&str, &str)]) -> Result<(), Refusal> {
    let (method, uri, headers) = request(method, pairs);
    access.check(&method, &uri, &headers)
}

fn with_token(is_read_protected: bool) -> Access {
    Access {
        hosts: AllowedHosts::new(true, &[]),
        token: Some(Secret::new("s3cret".into())),
        is_read_protected,
    }
}

#[test]
fn loopback_needs_a_local_host_and_no_foreign_origin() {
    let access = Access::loopback_only();
    let host = ("host", "127.0.0.1:8765");
    assert_eq!(check(&access, Method::POST, &[host]), Ok(()));
    assert_eq!(check(&access, Method::POST, &[]), Err(Refusal::NoHost));
    assert_eq!(
        check(&access, Method::POST, &[("host", "evil.example:8765")]),
        Err(Refusal::UnknownHost)
    );
    assert_eq!(
        check(&access, Method::POST, &[host, ("host", "evil.example")]),
        Err(Refusal::UnknownHost),
        "every Host must name us"
    );
    for origin in [
        "http://evil.example",
        "null",
        "http://localhost:8765",
        "https://127.0.0.1:8765",
    ] {
        assert_eq!(
            check(&access, Method::POST, &[host, ("origin", origin)]),
            Err(Refusal::ForeignOrigin),
            "{origin}"
        );
    }
    assert_eq!(
        check(
            &access,
            Method::POST,
            &[host, ("origin", "http://127.0.0.1:8765")]
        ),
        Ok(()),
        "the daemon's own page"
    );
    assert_eq!(
        check(
            &access,
            Method::GET,
            &[host, ("authorization", "Bearer nope")]
        ),
        Ok(()),
        "no token asked for on loopback"
    );
}

#[test]
fn an_http2_authority_is_checked_like_a_host() {
    let access = Access::loopback_only();
    let mut headers = HeaderMap::new();
    let uri = Uri::from_static(
        "http://evil.example:4317/opentelemetry.proto.collector.logs.v1.LogsService/Export",
    );
    assert_eq!(
        access.check(&Method::POST, &uri, &headers),
        Err(Refusal::UnknownHost)
    );
    let uri = Uri::from_static("http://127.0.0.1:4317/x");
    assert_eq!(access.check(&Method::POST, &uri, &headers), Ok(()));
    headers.insert(header::HOST, HeaderValue::from_static("evil.example"));
    assert_eq!(
        access.check(&Method::POST, &uri, &headers),
        Err(Refusal::UnknownHost)
    );
}

#[test]
fn beyond_loopback_writes_need_the_token_and_reads_only_when_asked() {
    let access = with_token(false);
    let host = ("host", "127.0.0.1:8765");
    assert_eq!(check(&access, Method::POST, &[host]), Err(Refusal::NoToken));
    assert_eq!(
        check(
            &access,
            Method::POST,
            &[host, ("authorization", "Bearer s3cre")]
        ),
        Err(Refusal::WrongToken)
    );
    assert_eq!(
        check(
            &access,
            Method::POST,
            &[host, ("authorization", "Basic czNjcmV0")]
        ),
        Err(Refusal::NoToken)
    );
    assert_eq!(
        check(
            &access,
            Method::POST,
            &[host, ("authorization", "bearer  s3cret ")]
        ),
        Ok(())
    );
    assert_eq!(check(&access, Method::GET, &[host]), Ok(()));
    assert_eq!(check(&access, Method::HEAD, &[host]), Ok(()));
    let access = with_token(true);
    assert_eq!(check(&access, Method::GET, &[host]), Err(Refusal::NoToken));
    assert_eq!(
        check(
            &access,
            Method::GET,
            &[host, ("authorization", "Bearer s3cret")]
        ),
        Ok(())
    );
    // The Host and Origin checks come first: a right token does not open a rebinding page's way.
    assert_eq!(
        check(
            &access,
            Method::POST,
            &[("host", "evil.example"), ("authorization", "Bearer s3cret")]
        ),
        Err(Refusal::UnknownHost)
    );
}

#[test]
fn the_token_file_is_made_at_start_and_needed_only_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let settings = AccessSettings {
        token_file: dir.path().join(TOKEN_FILE),
        ..AccessSettings::default()
    };
    let local = Access::new(&settings).unwrap();
    assert!(!local.is_token_needed());
    assert!(settings.token_file.is_file(), "made on the first start");
    let exposed = Access::new(&AccessSettings {
        is_beyond_loopback: true,
        ..settings.clone()
    })
    .unwrap();
    assert!(exposed.is_token_needed() && !exposed.is_read_protected());
    let token = read_token(&settings.token_file).unwrap().unwrap();
    let bearer = format!("Bearer {}", token.expose());
    let host = ("host", "localhost");
    assert_eq!(
        check(&exposed, Method::POST, &[host, ("authorization", &bearer)]),
        Ok(())
    );
}
