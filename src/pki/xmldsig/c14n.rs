//! XML canonicalisation over a parsed tree, as XML-DSig uses it: Canonical XML 1.0 and 1.1
//! (inclusive) and Exclusive XML Canonicalization 1.0 (with an InclusiveNamespaces prefix
//! list), each with or without comments. One subtree can be left out: the enveloped signature.
//!
//! The input is a tree roxmltree parsed with DTDs refused, so there are no entity references
//! or default attributes to expand; line ends and attribute values arrive normalised by the
//! parser, as the specifications expect of their input.

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId};

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Which canonicalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// Canonical XML 1.0 (http://www.w3.org/TR/2001/REC-xml-c14n-20010315).
    Inclusive10,
    /// Canonical XML 1.1 (http://www.w3.org/2006/12/xml-c14n11).
    Inclusive11,
    /// Exclusive XML Canonicalization 1.0 (http://www.w3.org/2001/10/xml-exc-c14n#).
    Exclusive,
}

/// A canonicalisation method as a signature names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method {
    pub algorithm: Algorithm,
    pub comments: bool,
    /// Exclusive only: prefixes treated as in inclusive canonicalisation ("#default" is the
    /// default namespace).
    pub inclusive_prefixes: Vec<String>,
}

pub const C14N10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
pub const C14N10_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
pub const C14N11: &str = "http://www.w3.org/2006/12/xml-c14n11";
pub const C14N11_COMMENTS: &str = "http://www.w3.org/2006/12/xml-c14n11#WithComments";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";

impl Method {
    /// The method an algorithm URI names, without parameters.
    pub fn from_uri(uri: &str) -> Option<Method> {
        let (algorithm, comments) = match uri {
            C14N10 => (Algorithm::Inclusive10, false),
            C14N10_COMMENTS => (Algorithm::Inclusive10, true),
            C14N11 => (Algorithm::Inclusive11, false),
            C14N11_COMMENTS => (Algorithm::Inclusive11, true),
            EXC_C14N => (Algorithm::Exclusive, false),
            EXC_C14N_COMMENTS => (Algorithm::Exclusive, true),
            _ => return None,
        };
        Some(Method {
            algorithm,
            comments,
            inclusive_prefixes: Vec::new(),
        })
    }

    /// Exclusive canonicalisation without comments.
    pub fn exclusive() -> Method {
        Method {
            algorithm: Algorithm::Exclusive,
            comments: false,
            inclusive_prefixes: Vec::new(),
        }
    }

    /// Canonical XML 1.0 without comments: what XML-DSig applies to a node-set that no
    /// canonicalising transform turned into octets.
    pub fn inclusive() -> Method {
        Method {
            algorithm: Algorithm::Inclusive10,
            comments: false,
            inclusive_prefixes: Vec::new(),
        }
    }

    /// The same method without comments: a same-document reference ("" or "#id") leaves
    /// comments out whatever its transform says (XML-DSig §4.4.3.3).
    pub fn without_comments(&self) -> Method {
        Method {
            comments: false,
            ..self.clone()
        }
    }

    pub fn uri(&self) -> &'static str {
        match (self.algorithm, self.comments) {
            (Algorithm::Inclusive10, false) => C14N10,
            (Algorithm::Inclusive10, true) => C14N10_COMMENTS,
            (Algorithm::Inclusive11, false) => C14N11,
            (Algorithm::Inclusive11, true) => C14N11_COMMENTS,
            (Algorithm::Exclusive, false) => EXC_C14N,
            (Algorithm::Exclusive, true) => EXC_C14N_COMMENTS,
        }
    }

    /// A short name for reports.
    pub fn name(&self) -> String {
        let base = match self.algorithm {
            Algorithm::Inclusive10 => "inclusive c14n 1.0",
            Algorithm::Inclusive11 => "inclusive c14n 1.1",
            Algorithm::Exclusive => "exclusive c14n",
        };
        let mut s = base.to_owned();
        if self.comments {
            s.push_str(" with comments");
        }
        if !self.inclusive_prefixes.is_empty() {
            s.push_str(&format!(
                " (inclusive prefixes {})",
                self.inclusive_prefixes.join(" ")
            ));
        }
        s
    }
}

/// Why a node-set cannot be canonicalised here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum C14nError {
    /// Canonical XML 1.1 rewrites xml:base on a document subset; that fix-up is not done.
    #[error("canonical XML 1.1 of an element below one with xml:base is not supported")]
    XmlBase,
}

/// The prefix an element or attribute was written with, read from the source text
/// (roxmltree resolves names but does not keep prefixes).
fn written_prefix(source: &str, qname_start: usize) -> Option<&str> {
    let rest = source.get(qname_start..)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>' || c == '=')
        .unwrap_or(rest.len());
    rest[..end].split_once(':').map(|(p, _)| p)
}

fn element_prefix<'i>(node: Node<'_, 'i>) -> &'i str {
    let source = node.document().input_text();
    // range().start is the '<'.
    written_prefix(source, node.range().start + 1).unwrap_or("")
}

pub fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

pub fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Canonicalise the subtree at `apex` (the document's root node for a whole document),
/// leaving out the subtree `exclude`.
pub fn canonicalize(
    apex: Node<'_, '_>,
    exclude: Option<NodeId>,
    method: &Method,
) -> Result<String, C14nError> {
    let mut out = String::new();
    let c = Canonicaliser { method, exclude };
    if apex.is_root() {
        // Nodes around the document element are separated from it by a line feed.
        let mut seen_element = false;
        for child in apex.children() {
            if child.is_element() {
                c.element(child, &BTreeMap::new(), Vec::new(), &mut out);
                seen_element = true;
            } else if c.is_output(child) {
                if seen_element {
                    out.push('\n');
                }
                c.leaf(child, &mut out);
                if !seen_element {
                    out.push('\n');
                }
            }
        }
        return Ok(out);
    }
    if apex.is_element() {
        let inherited = c.inherited_xml_attributes(apex)?;
        c.element(apex, &BTreeMap::new(), inherited, &mut out);
    } else {
        c.leaf(apex, &mut out);
    }
    Ok(out)
}

struct Canonicaliser<'m> {
    method: &'m Method,
    exclude: Option<NodeId>,
}

/// An attribute as written in canonical form: sorted by namespace URI, then local name.
struct Attr {
    ns: String,
    local: String,
    qname: String,
    value: String,
}

impl Canonicaliser<'_> {
    fn is_output(&self, node: Node<'_, '_>) -> bool {
        if Some(node.id()) == self.exclude {
            return false;
        }
        match node.node_type() {
            roxmltree::NodeType::Comment => self.method.comments,
            _ => true,
        }
    }

    /// Text, comments and processing instructions.
    fn leaf(&self, node: Node<'_, '_>, out: &mut String) {
        match node.node_type() {
            roxmltree::NodeType::Text => escape_text(node.text().unwrap_or(""), out),
            roxmltree::NodeType::Comment if self.method.comments => {
                out.push_str("<!--");
                out.push_str(node.text().unwrap_or(""));
                out.push_str("-->");
            }
            roxmltree::NodeType::PI => {
                if let Some(pi) = node.pi() {
                    out.push_str("<?");
                    out.push_str(pi.target);
                    if let Some(v) = pi.value.filter(|v| !v.is_empty()) {
                        out.push(' ');
                        out.push_str(v);
                    }
                    out.push_str("?>");
                }
            }
            _ => {}
        }
    }

    /// Inclusive canonicalisation of a subtree carries the xml: attributes of the apex's
    /// ancestors onto the apex (1.0: all of them; 1.1: xml:lang and xml:space).
    fn inherited_xml_attributes(&self, apex: Node<'_, '_>) -> Result<Vec<Attr>, C14nError> {
        let algorithm = self.method.algorithm;
        if algorithm == Algorithm::Exclusive {
            return Ok(Vec::new());
        }
        let mut found: BTreeMap<String, String> = BTreeMap::new();
        for ancestor in apex.ancestors().skip(1).filter(|a| a.is_element()) {
            for a in ancestor.attributes() {
                if a.namespace() != Some(XML_NS) {
                    continue;
                }
                if algorithm == Algorithm::Inclusive11 {
                    match a.name() {
                        "lang" | "space" => {}
                        "base" => return Err(C14nError::XmlBase),
                        _ => continue,
                    }
                }
                found
                    .entry(a.name().to_owned())
                    .or_insert_with(|| a.value().to_owned());
            }
        }
        let own: Vec<&str> = apex
            .attributes()
            .filter(|a| a.namespace() == Some(XML_NS))
            .map(|a| a.name())
            .collect();
        Ok(found
            .into_iter()
            .filter(|(name, _)| !own.contains(&name.as_str()))
            .map(|(name, value)| Attr {
                ns: XML_NS.to_owned(),
                qname: format!("xml:{name}"),
                local: name,
                value,
            })
            .collect())
    }

    /// The namespace declarations to write on `node`, given those written on its output
    /// ancestors (`rendered`, prefix → URI; "" is the default namespace).
    fn declarations(
        &self,
        node: Node<'_, '_>,
        prefix: &str,
        attr_prefixes: &[(String, String)],
        rendered: &BTreeMap<String, String>,
    ) -> Vec<(String, String)> {
        // In-scope namespaces, xml excluded; an empty default means "no default".
        let mut in_scope: BTreeMap<String, String> = BTreeMap::new();
        for ns in node.namespaces() {
            let p = ns.name().unwrap_or("");
            if p == "xml" {
                continue;
            }
            in_scope.insert(p.to_owned(), ns.uri().to_owned());
        }
        let wanted: Vec<(String, String)> = match self.method.algorithm {
            Algorithm::Inclusive10 | Algorithm::Inclusive11 => in_scope
                .iter()
                .map(|(p, u)| (p.clone(), u.clone()))
                .chain((!in_scope.contains_key("")).then(|| (String::new(), String::new())))
                .collect(),
            Algorithm::Exclusive => {
                let mut used: BTreeMap<String, String> = BTreeMap::new();
                used.insert(
                    prefix.to_owned(),
                    node.tag_name().namespace().unwrap_or("").to_owned(),
                );
                for (p, u) in attr_prefixes {
                    used.insert(p.clone(), u.clone());
                }
                for p in &self.method.inclusive_prefixes {
                    let p = if p == "#default" { "" } else { p.as_str() };
                    match in_scope.get(p) {
                        Some(u) => {
                            used.insert(p.to_owned(), u.clone());
                        }
                        None if p.is_empty() => {
                            used.insert(String::new(), String::new());
                        }
                        None => {}
                    }
                }
                used.into_iter().collect()
            }
        };
        wanted
            .into_iter()
            .filter(|(p, uri)| match rendered.get(p) {
                Some(r) => r != uri,
                // An empty default namespace needs no declaration unless one was rendered.
                None => !(p.is_empty() && uri.is_empty()),
            })
            .collect()
    }

    fn element(
        &self,
        node: Node<'_, '_>,
        rendered: &BTreeMap<String, String>,
        extra_attrs: Vec<Attr>,
        out: &mut String,
    ) {
        if Some(node.id()) == self.exclude {
            return;
        }
        let source = node.document().input_text();
        let prefix = element_prefix(node);
        let qname = |p: &str, local: &str| {
            if p.is_empty() {
                local.to_owned()
            } else {
                format!("{p}:{local}")
            }
        };
        let mut attrs = extra_attrs;
        let mut attr_prefixes = Vec::new();
        for a in node.attributes() {
            let ns = a.namespace().unwrap_or("");
            let p = if ns.is_empty() {
                ""
            } else {
                written_prefix(source, a.range_qname().start).unwrap_or("")
            };
            if !p.is_empty() && ns != XML_NS {
                attr_prefixes.push((p.to_owned(), ns.to_owned()));
            }
            attrs.push(Attr {
                ns: ns.to_owned(),
                local: a.name().to_owned(),
                qname: qname(p, a.name()),
                value: a.value().to_owned(),
            });
        }
        let decls = self.declarations(node, prefix, &attr_prefixes, rendered);
        let mut scope = rendered.clone();
        for (p, uri) in &decls {
            scope.insert(p.clone(), uri.clone());
        }
        let name = qname(prefix, node.tag_name().name());
        out.push('<');
        out.push_str(&name);
        // Sorted by prefix, the default namespace ("") first.
        for (p, uri) in &decls {
            if p.is_empty() {
                out.push_str(" xmlns=\"");
            } else {
                out.push_str(" xmlns:");
                out.push_str(p);
                out.push_str("=\"");
            }
            escape_attr(uri, out);
            out.push('"');
        }
        attrs.sort_by(|a, b| (&a.ns, &a.local).cmp(&(&b.ns, &b.local)));
        for a in &attrs {
            out.push(' ');
            out.push_str(&a.qname);
            out.push_str("=\"");
            escape_attr(&a.value, out);
            out.push('"');
        }
        out.push('>');
        for child in node.children() {
            if child.is_element() {
                self.element(child, &scope, Vec::new(), out);
            } else if self.is_output(child) {
                self.leaf(child, out);
            }
        }
        out.push_str("</");
        out.push_str(&name);
        out.push('>');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(xml: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(xml).expect("xml")
    }

    fn whole(xml: &str, method: &Method) -> String {
        canonicalize(doc(xml).root(), None, method).expect("c14n")
    }

    #[test]
    fn exclusive_normalises_as_the_specification_says() {
        assert_eq!(
            whole(
                "<?xml version=\"1.0\"?>\n<a:r xmlns:a=\"urn:a\" xmlns:unused=\"urn:u\" z=\"1\" b='x\"y'><e/><!-- c --><a:f>1 &amp; 2 &gt; 0</a:f></a:r>",
                &Method::exclusive()
            ),
            "<a:r xmlns:a=\"urn:a\" b=\"x&quot;y\" z=\"1\"><e></e><a:f>1 &amp; 2 &gt; 0</a:f></a:r>"
        );
        // A namespace is declared where first used, and again under a subtree apex.
        let d = doc("<r xmlns:s=\"urn:s\"><x><s:y/></x></r>");
        let x = d.root_element().first_child().expect("x");
        assert_eq!(
            canonicalize(x, None, &Method::exclusive()).expect("c14n"),
            "<x><s:y xmlns:s=\"urn:s\"></s:y></x>"
        );
        // A default namespace undone below.
        assert_eq!(
            whole(
                "<r xmlns=\"urn:d\"><c xmlns=\"\"/></r>",
                &Method::exclusive()
            ),
            "<r xmlns=\"urn:d\"><c xmlns=\"\"></c></r>"
        );
    }

    #[test]
    fn inclusive_declares_every_namespace_in_scope_once() {
        let xml = "<r xmlns=\"urn:d\" xmlns:u=\"urn:u\"><x xmlns:u=\"urn:u\" xml:lang=\"fi\"><y/></x></r>";
        assert_eq!(
            whole(xml, &Method::inclusive()),
            "<r xmlns=\"urn:d\" xmlns:u=\"urn:u\"><x xml:lang=\"fi\"><y></y></x></r>"
        );
        // A subtree apex gets the namespaces and xml: attributes in scope there.
        let d = doc(xml);
        let y = d
            .descendants()
            .find(|n| n.tag_name().name() == "y")
            .expect("y");
        assert_eq!(
            canonicalize(y, None, &Method::inclusive()).expect("c14n"),
            "<y xmlns=\"urn:d\" xmlns:u=\"urn:u\" xml:lang=\"fi\"></y>"
        );
        // 1.1 refuses the xml:base fix-up it would need.
        let d = doc("<r xml:base=\"http://x/\"><y/></r>");
        let y = d.root_element().first_child().expect("y");
        let c11 = Method::from_uri(C14N11).expect("known");
        assert_eq!(canonicalize(y, None, &c11), Err(C14nError::XmlBase));
    }

    #[test]
    fn exclusive_inclusive_prefixes_are_declared_when_in_scope() {
        let d = doc("<r xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"><x/></r>");
        let x = d.root_element().first_child().expect("x");
        let mut m = Method::exclusive();
        m.inclusive_prefixes = vec!["p".into(), "absent".into()];
        assert_eq!(
            canonicalize(x, None, &m).expect("c14n"),
            "<x xmlns:p=\"urn:p\"></x>"
        );
    }

    #[test]
    fn comments_and_processing_instructions() {
        let xml = "<?pi before?><!--c1--><r><!--in--><?p  x?></r><!--after-->";
        assert_eq!(
            whole(xml, &Method::inclusive()),
            "<?pi before?>\n<r><?p x?></r>"
        );
        let mut with = Method::inclusive();
        with.comments = true;
        assert_eq!(
            whole(xml, &with),
            "<?pi before?>\n<!--c1-->\n<r><!--in--><?p x?></r>\n<!--after-->"
        );
    }

    #[test]
    fn leaves_out_the_excluded_subtree() {
        let d = doc("<r><keep/><sig><x/></sig></r>");
        let sig = d
            .descendants()
            .find(|n| n.tag_name().name() == "sig")
            .expect("sig");
        assert_eq!(
            canonicalize(d.root(), Some(sig.id()), &Method::exclusive()).expect("c14n"),
            "<r><keep></keep></r>"
        );
    }
}
