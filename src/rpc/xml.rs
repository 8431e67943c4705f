//! A small, safe XML reader for XML-RPC, sans I/O: text to a tree.
//!
//! It never expands entities beyond the five predefined ones and character
//! references, refuses DTDs (so no XXE, no billion laughs) and processing
//! instructions, fetches nothing, and bounds depth and element count.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An element: its name, child elements, and its own text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed, as the XML reader found it.
    #[error("malformed XML at byte {at}: {why}")]
    Malformed { at: u64, why: String },
    /// A construct this reader refuses (DTDs, processing instructions) or
    /// a document out of shape (no root, text outside it...).
    #[error("{0}")]
    Refused(&'static str),
    #[error("nesting deeper than {0} levels or too many elements")]
    TooDeep(usize),
    #[error("bad character reference: {0}")]
    CharRef(String),
    #[error("unknown entity &{0}; (only the predefined five are allowed)")]
    Entity(String),
}

impl From<&'static str> for XmlError {
    fn from(what: &'static str) -> Self {
        XmlError::Refused(what)
    }
}

/// Most elements in one document.
const MAX_ELEMENTS: usize = 1_000_000;

impl Element {
    /// Child elements named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn first(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Parses `text` into its root element; the error says what was wrong.
pub fn parse(text: &str, max_depth: usize) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| XmlError::Malformed {
            at: reader.buffer_position(),
            why: e.to_string(),
        })?;
        match event {
            // The caller decoded the bytes by their charset (`rpc::charset`),
            // so the declaration's encoding has done its work.
            Event::Decl(_) => {}
            Event::DocType(_) => return Err("DTDs are not allowed".into()),
            Event::PI(_) => return Err("processing instructions are not allowed".into()),
            Event::Comment(_) => {}
            Event::Start(start) => {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                count += 1;
                if stack.len() >= max_depth || count > MAX_ELEMENTS {
                    return Err(XmlError::TooDeep(max_depth));
                }
                let name = start.name().as_ref().to_string();
                stack.push(Element {
                    name,
                    ..Element::default()
                });
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                push_text(&mut stack, &t.xml10_content())?;
            }
            Event::CData(c) => {
                push_text(&mut stack, &c.xml10_content())?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r
                    .resolve_char_ref()
                    .map_err(|e| XmlError::CharRef(e.to_string()))?
                {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.xml10_content();
                        quick_xml::escape::resolve_xml_entity(&name)
                            .ok_or_else(|| XmlError::Entity(name.to_string()))?
                            .to_string()
                    }
                };
                push_text(&mut stack, &resolved)?;
            }
            // Not produced: empty elements are expanded into Start + End.
            Event::Empty(_) => return Err("unexpected empty element".into()),
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("document ends inside an element".into());
    }
    root.ok_or_else(|| "no root element".into())
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(element) => {
            element.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err("text outside the root element".into()),
    }
}

/// Escapes text for element content.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_tree_with_entities_and_cdata() {
        let doc = parse(
            "<?xml version=\"1.0\"?><a><b>x &amp; &#65;&#x42;<![CDATA[<c>]]></b><!-- c --><d/></a>",
            10,
        )
        .unwrap();
        assert_eq!(doc.name, "a");
        assert_eq!(doc.first("b").unwrap().text, "x & AB<c>");
        assert_eq!(doc.children.len(), 2);
    }

    #[test]
    fn refuses_what_could_hurt() {
        let bombs = [
            "<!DOCTYPE a [<!ENTITY x \"xx\">]><a>&x;</a>",
            "<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>",
            "<a>&x;</a>",
            "<?xml-stylesheet href=\"x\"?><a/>",
            "<a><b></a>",
            "<a></a><b></b>",
            "text",
            "",
        ];
        for bomb in bombs {
            assert!(parse(bomb, 10).is_err(), "{bomb}");
        }
        let deep = "<a>".repeat(11) + &"</a>".repeat(11);
        assert!(parse(&deep, 10).unwrap_err().to_string().contains("deeper"));
    }
}
