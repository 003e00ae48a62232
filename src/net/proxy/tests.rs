use super::*;

fn vars(pairs: &[(&str, &str)]) -> Proxies {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Proxies::from_vars(|n| map.get(n).cloned())
}

#[test]
fn each_scheme_reads_its_own_variable_then_all_proxy() {
    let p = vars(&[
        ("HTTPS_PROXY", "http://tls.proxy:3128"),
        ("all_proxy", "other:8080"),
    ]);
    let tls = p.for_host(Scheme::Tls, "register.test").unwrap().unwrap();
    assert_eq!(
        (tls.host.as_str(), tls.port, tls.variable),
        ("tls.proxy", 3128, "HTTPS_PROXY")
    );
    let http = p.for_host(Scheme::Http, "crl.test").unwrap().unwrap();
    assert_eq!(
        (http.host.as_str(), http.port, http.variable),
        ("other", 8080, "all_proxy")
    );
    // Lower case first, as curl.
    let p = vars(&[("https_proxy", "a:1"), ("HTTPS_PROXY", "b:2")]);
    assert_eq!(p.for_host(Scheme::Tls, "h").unwrap().unwrap().host, "a");
}

#[test]
fn upper_case_http_proxy_is_ignored_as_curl_does() {
    let p = vars(&[("HTTP_PROXY", "http://evil:1")]);
    assert_eq!(p.for_host(Scheme::Http, "crl.test"), Ok(None));
}

#[test]
fn loopback_goes_through_the_proxy_unless_no_proxy_names_it() {
    let p = vars(&[("https_proxy", "http://127.0.0.1:3128")]);
    assert!(p.for_host(Scheme::Tls, "127.0.0.1").unwrap().is_some());
    assert!(p.for_host(Scheme::Tls, "localhost").unwrap().is_some());
    let p = vars(&[("https_proxy", "127.0.0.1:3128"), ("NO_PROXY", "localhost")]);
    assert!(p.for_host(Scheme::Tls, "localhost").unwrap().is_none());
    // A name does not cover an address.
    assert!(p.for_host(Scheme::Tls, "127.0.0.1").unwrap().is_some());
}

#[test]
fn no_proxy_follows_curl() {
    let list = "example.com, .internal.test 10.0.0.0/8,::1 ,192.168.1.7";
    for (host, direct) in [
        ("example.com", true),
        ("www.example.com", true),
        ("EXAMPLE.COM.", true),
        ("notexample.com", false),
        ("a.internal.test", true),
        ("internal.test", true),
        ("10.20.30.40", true),
        ("11.0.0.1", false),
        ("[::1]", true),
        ("::2", false),
        ("192.168.1.7", true),
        ("192.168.1.8", false),
    ] {
        assert_eq!(bypassed(list, host), direct, "{host}");
    }
    assert!(bypassed(" * ", "anything.test"));
    assert!(!bypassed("", "anything.test"));
    assert!(!bypassed("10.0.0.0/33", "10.0.0.1"));
    assert!(bypassed("10.1.2.3/31", "10.1.2.2"));
}

#[test]
fn credentials_are_decoded_for_the_header_and_never_shown() {
    let p = vars(&[("https_proxy", "http://us%40er:p%3Ass@proxy.test:8080/")]);
    let proxy = p.for_host(Scheme::Tls, "h").unwrap().unwrap();
    // base64("us@er:p:ss")
    assert_eq!(
        proxy.authorization().as_deref(),
        Some("Basic dXNAZXI6cDpzcw==")
    );
    for shown in [proxy.to_string(), format!("{proxy:?}")] {
        assert!(
            !shown.contains("p%3Ass") && !shown.contains("p:ss") && !shown.contains("us"),
            "{shown}"
        );
        assert!(shown.contains("proxy.test:8080"), "{shown}");
    }
}

#[test]
fn unusable_proxies_are_errors_that_do_not_repeat_the_value() {
    for value in [
        "socks5://u:secret@h:1",
        "http://u:secret@h:notaport",
        "http://u:secret@/",
        "http://u:secret@h:1/path",
    ] {
        let p = vars(&[("https_proxy", value)]);
        let e = p.for_host(Scheme::Tls, "register.test").expect_err(value);
        let text = e.to_string();
        assert!(
            text.contains("https_proxy") && !text.contains("secret"),
            "{text}"
        );
    }
    let p = vars(&[("https_proxy", "proxy.test")]);
    assert_eq!(p.for_host(Scheme::Tls, "h").unwrap().unwrap().port, 1080);
}
