//! Exclusive XML canonicalisation (http://www.w3.org/2001/10/xml-exc-c14n#, without comments)
//! over a parsed tree: the subset XML-DSig needs here. Elements, attributes, text and
//! namespaces are handled per the specification; comments are dropped (the "without
//! comments" variant); processing instructions inside the signed element and an
//! InclusiveNamespaces prefix list are not supported and refused by the verifier's callers.

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId};

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// The prefix an element or attribute was written with, read from the source text
/// (roxmltree resolves names but does not keep prefixes).
fn written_prefix(source: &str, qname_start: usize) -> Option<&str> {
    let rest = source.get(qname_start..)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>' || c == '=')
        .unwrap_or(rest.len());
    let qname = &rest[..end];
    qname.split_once(':').map(|(p, _)| p)
}

fn element_prefix<'i>(node: Node<'_, 'i>) -> Option<&'i str> {
    let source = node.document().input_text();
    // range().start is the '<'.
    written_prefix(source, node.range().start + 1)
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

/// Canonicalise the subtree at `apex`, leaving out the subtree `exclude` (the enveloped
/// signature).
pub fn canonicalize(apex: Node<'_, '_>, exclude: Option<NodeId>) -> String {
    let mut out = String::new();
    let rendered: BTreeMap<String, String> = BTreeMap::new();
    write_node(apex, exclude, &rendered, &mut out);
    out
}

fn write_node(
    node: Node<'_, '_>,
    exclude: Option<NodeId>,
    rendered: &BTreeMap<String, String>,
    out: &mut String,
) {
    if Some(node.id()) == exclude {
        return;
    }
    if node.is_text() {
        escape_text(node.text().unwrap_or(""), out);
        return;
    }
    if node.is_root() {
        for c in node.children().filter(|c| c.is_element()) {
            write_node(c, exclude, rendered, out);
        }
        return;
    }
    if !node.is_element() {
        // Comments (and PIs, unsupported) are not part of the canonical form here.
        return;
    }
    let source = node.document().input_text();
    let prefix = element_prefix(node).unwrap_or("");
    let qname = |p: &str, local: &str| {
        if p.is_empty() {
            local.to_owned()
        } else {
            format!("{p}:{local}")
        }
    };
    // Visibly utilised namespaces: the element's own and its prefixed attributes'.
    let mut used: BTreeMap<String, String> = BTreeMap::new();
    used.insert(
        prefix.to_owned(),
        node.tag_name().namespace().unwrap_or("").to_owned(),
    );
    let mut attrs: Vec<(String, String, String, String)> = Vec::new(); // (ns, local, qname, value)
    for a in node.attributes() {
        let ns = a.namespace().unwrap_or("");
        let p = if ns.is_empty() {
            ""
        } else {
            written_prefix(source, a.range_qname().start).unwrap_or("")
        };
        if !p.is_empty() && ns != XML_NS {
            used.insert(p.to_owned(), ns.to_owned());
        }
        attrs.push((
            ns.to_owned(),
            a.name().to_owned(),
            qname(p, a.name()),
            a.value().to_owned(),
        ));
    }
    let mut scope = rendered.clone();
    let mut decls = Vec::new();
    for (p, uri) in &used {
        let already = rendered.get(p);
        let needed = match already {
            Some(u) => u != uri,
            // An empty default namespace needs no declaration unless one was rendered.
            None => !(p.is_empty() && uri.is_empty()),
        };
        if needed {
            decls.push((p.clone(), uri.clone()));
            scope.insert(p.clone(), uri.clone());
        }
    }
    out.push('<');
    out.push_str(&qname(prefix, node.tag_name().name()));
    // BTreeMap order: the default namespace ("") sorts first, then by prefix.
    for (p, uri) in decls {
        if p.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(&p);
            out.push_str("=\"");
        }
        escape_attr(&uri, out);
        out.push('"');
    }
    attrs.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (_, _, q, v) in attrs {
        out.push(' ');
        out.push_str(&q);
        out.push_str("=\"");
        escape_attr(&v, out);
        out.push('"');
    }
    out.push('>');
    for c in node.children() {
        write_node(c, exclude, &scope, out);
    }
    out.push_str("</");
    out.push_str(&qname(prefix, node.tag_name().name()));
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str) -> String {
        let doc = roxmltree::Document::parse(xml).expect("xml");
        canonicalize(doc.root(), None)
    }

    #[test]
    fn normalises_as_the_specification_says() {
        assert_eq!(
            c14n(
                "<?xml version=\"1.0\"?>\n<a:r xmlns:a=\"urn:a\" xmlns:unused=\"urn:u\" z=\"1\" b='x\"y'><e/><!-- c --><a:f>1 &amp; 2 &gt; 0</a:f></a:r>"
            ),
            "<a:r xmlns:a=\"urn:a\" b=\"x&quot;y\" z=\"1\"><e></e><a:f>1 &amp; 2 &gt; 0</a:f></a:r>"
        );
        // A namespace is declared where first used, and again under a subtree apex.
        let doc =
            roxmltree::Document::parse("<r xmlns:s=\"urn:s\"><x><s:y/></x></r>").expect("xml");
        let x = doc.root_element().first_child().expect("x");
        assert_eq!(
            canonicalize(x, None),
            "<x><s:y xmlns:s=\"urn:s\"></s:y></x>"
        );
        // A default namespace undone below.
        assert_eq!(
            c14n("<r xmlns=\"urn:d\"><c xmlns=\"\"/></r>"),
            "<r xmlns=\"urn:d\"><c xmlns=\"\"></c></r>"
        );
    }

    #[test]
    fn leaves_out_the_excluded_subtree() {
        let doc = roxmltree::Document::parse("<r><keep/><sig><x/></sig></r>").expect("xml");
        let sig = doc
            .descendants()
            .find(|n| n.tag_name().name() == "sig")
            .expect("sig");
        assert_eq!(
            canonicalize(doc.root(), Some(sig.id())),
            "<r><keep></keep></r>"
        );
    }
}
