//! The path in an `--endpoint` URL. A request's path follows from the report's kind and
//! category (§4.4), so a path the user writes is honoured only when it is one of the
//! interface's endpoints: it then says which kind and category the report is, and must agree
//! with `--kind`/`--category`. Any other path is refused rather than silently dropped.

use crate::message::kind::{Category, Kind};
use crate::profile::Interface;

/// An endpoint of the interface, named by its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub path: &'static str,
    pub kind: Kind,
    /// For an update endpoint that is one category's (v3); `None` where one path takes both.
    pub category: Option<Category>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error(
        "the path {path} is not an endpoint of interface {interface} ({known}); give https://HOST[:PORT] and the path follows from the report (--kind, --category)"
    )]
    Unknown {
        path: String,
        interface: &'static str,
        known: String,
    },
    #[error(
        "the path {path} is an endpoint of interface {other}, not of {interface}: add --interface {other}, or leave the path out"
    )]
    OtherInterface {
        path: String,
        interface: &'static str,
        other: &'static str,
    },
    #[error("a query or fragment ({0}) has no place in the register's address")]
    Query(String),
    #[error("the path {path} is the {route} endpoint, but {given}")]
    Conflict {
        path: &'static str,
        route: String,
        given: String,
    },
}

/// `https://host[:port][/path]` (or without the scheme) → the authority and the path ("" for none).
pub fn split_url(url: &str) -> (&str, &str) {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    }
}

/// The endpoint `path` names in `interface`; `None` for no path at all.
pub fn route_of(path: &str, interface: Interface) -> Result<Option<Route>, PathError> {
    if let Some(i) = path.find(['?', '#']) {
        return Err(PathError::Query(path[i..].to_owned()));
    }
    if path.is_empty() || path == "/" {
        return Ok(None);
    }
    if let Some(route) = routes(interface).into_iter().find(|r| same(r.path, path)) {
        return Ok(Some(route));
    }
    for other in [Interface::V3, Interface::V1_0_4] {
        if other != interface && routes(other).iter().any(|r| same(r.path, path)) {
            return Err(PathError::OtherInterface {
                path: path.to_owned(),
                interface: interface.as_str(),
                other: other.as_str(),
            });
        }
    }
    let mut known: Vec<&str> = routes(interface).iter().map(|r| r.path).collect();
    known.dedup();
    Err(PathError::Unknown {
        path: path.to_owned(),
        interface: interface.as_str(),
        known: known.join(", "),
    })
}

/// The kind and category to judge the report as: the route's, checked against the user's.
pub fn merge(
    route: Route,
    kind: Option<Kind>,
    category: Option<Category>,
) -> Result<(Option<Kind>, Option<Category>), PathError> {
    let name = match route.category {
        Some(c) => format!("{} (category {})", route.kind.as_str(), c.number()),
        None => route.kind.as_str().to_owned(),
    };
    let conflict = |given: String| PathError::Conflict {
        path: route.path,
        route: name.clone(),
        given,
    };
    if let Some(k) = kind.filter(|k| *k != route.kind) {
        return Err(conflict(format!("--kind is {}", k.as_str())));
    }
    if let (Some(c), Some(r)) = (category, route.category)
        && c != r
    {
        return Err(conflict(format!("--category is {}", c.number())));
    }
    Ok((Some(route.kind), route.category.or(category)))
}

fn routes(interface: Interface) -> [Route; 4] {
    let e = interface.profile().message.endpoints.value;
    let one_update_path = e.update_cat1 == e.update_cat2;
    let update = |path, category| Route {
        path,
        kind: Kind::Update,
        category: (!one_update_path).then_some(category),
    };
    [
        update(e.update_cat1, Category::One),
        update(e.update_cat2, Category::Two),
        Route {
            path: e.disputable,
            kind: Kind::Disputable,
            category: None,
        },
        Route {
            path: e.incorrect,
            kind: Kind::Incorrect,
            category: None,
        },
    ]
}

/// Equal, or equal but for a trailing slash.
fn same(endpoint: &str, path: &str) -> bool {
    endpoint.trim_end_matches('/') == path.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_paths_are_honoured_and_others_refused() {
        assert_eq!(split_url("https://h:8443/v3/x"), ("h:8443", "/v3/x"));
        assert_eq!(split_url("h"), ("h", ""));
        assert_eq!(route_of("", Interface::V3), Ok(None));
        assert_eq!(route_of("/", Interface::V3), Ok(None));
        let cat1 = route_of("/v3/report-update/cat-1/", Interface::V3)
            .unwrap()
            .unwrap();
        assert_eq!(
            (cat1.kind, cat1.category),
            (Kind::Update, Some(Category::One))
        );
        assert_eq!(
            route_of("/v3/report-update/cat-1", Interface::V3),
            Ok(Some(cat1))
        );
        let v1 = route_of("/report-update", Interface::V1_0_4)
            .unwrap()
            .unwrap();
        assert_eq!(v1.category, None);
        assert!(matches!(
            route_of("/report/update/cat-1/", Interface::V3),
            Err(PathError::Unknown { .. })
        ));
        assert!(matches!(
            route_of("/report-update", Interface::V3),
            Err(PathError::OtherInterface {
                other: "v1.0.4",
                ..
            })
        ));
        assert!(matches!(
            route_of("/v3/report-update/cat-2/?x=1", Interface::V3),
            Err(PathError::Query(_))
        ));

        assert_eq!(
            merge(cat1, None, None),
            Ok((Some(Kind::Update), Some(Category::One)))
        );
        assert!(matches!(
            merge(cat1, None, Some(Category::Two)),
            Err(PathError::Conflict { .. })
        ));
        assert!(matches!(
            merge(cat1, Some(Kind::Incorrect), None),
            Err(PathError::Conflict { .. })
        ));
        assert_eq!(
            merge(v1, None, Some(Category::Two)),
            Ok((Some(Kind::Update), Some(Category::Two)))
        );
    }
}
