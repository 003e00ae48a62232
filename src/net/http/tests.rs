use super::*;

#[test]
fn parses_http_urls() {
    let u = HttpUrl::parse("http://ocsp.example:8080/a/b?x=1").expect("url");
    assert_eq!(
        (u.host.as_str(), u.port, u.target.as_str()),
        ("ocsp.example", 8080, "/a/b?x=1")
    );
    let u = HttpUrl::parse("HTTP://[::1]/crl").expect("v6");
    assert_eq!(
        (u.host.as_str(), u.port, u.target.as_str()),
        ("::1", 80, "/crl")
    );
    assert_eq!(u.host_header(), "[::1]");
    let u = HttpUrl::parse("http://h").expect("bare");
    assert_eq!(u.target, "/");
}

#[test]
fn refuses_other_schemes_and_odd_urls() {
    for bad in [
        "https://x/",
        "ldap://ldap.fineid.fi/cn=x",
        "http://user:pw@x/",
        "http://x:notaport/",
        "http:///path",
        "http://x/a b",
    ] {
        assert!(
            matches!(HttpUrl::parse(bad), Err(HttpError::BadUrl { .. })),
            "{bad}"
        );
    }
}

#[test]
fn relative_redirects_resolve_against_the_current_url() {
    let cur = HttpUrl::parse("http://h:81/dir/file").expect("url");
    assert_eq!(resolve_location(&cur, "/x"), "http://h:81/x");
    assert_eq!(resolve_location(&cur, "y"), "http://h:81/dir/y");
    assert_eq!(resolve_location(&cur, "https://o/"), "https://o/");
}
