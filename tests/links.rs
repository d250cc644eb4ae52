//! Every relative link of README.md and docs/*.md leads somewhere: to a file or folder that
//! exists, and, with a `#anchor`, to a heading of that page. Anchors follow GitHub's rule: the
//! heading's text in lower case, spaces turned into `-`, punctuation other than `-` and `_`
//! dropped, and `-1`, `-2`, ... after a repeated heading.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The lines of a markdown text outside fenced code blocks, with their 1-based numbers.
fn prose_lines(markdown: &str) -> Vec<(usize, &str)> {
    let mut in_fence = false;
    let mut lines = Vec::new();
    for (index, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            lines.push((index + 1, line));
        }
    }
    lines
}

/// GitHub's anchor for a heading's text.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a page's headings.
fn anchors(markdown: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    for (_, line) in prose_lines(markdown) {
        let hashes = line.len() - line.trim_start_matches('#').len();
        let Some(text) = line[hashes..].strip_prefix(' ') else {
            continue;
        };
        if !(1..=6).contains(&hashes) {
            continue;
        }
        let base = slug(text);
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

/// The link targets of a line, code spans left out: what stands between `](` and `)`.
fn link_targets(line: &str) -> Vec<String> {
    let prose: String = line
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, part)| part)
        .collect::<Vec<_>>()
        .join(" ");
    let mut targets = Vec::new();
    let mut rest = prose.as_str();
    while let Some(start) = rest.find("](") {
        let after = &rest[start + 2..];
        let Some(end) = after.find(')') else { break };
        targets.push(after[..end].to_owned());
        rest = &after[end..];
    }
    targets
}

/// Every broken relative link of `page`, as `page:line: target (why)`.
fn broken_links(page: &Path) -> Vec<String> {
    let text = fs::read_to_string(page).unwrap();
    let dir = page.parent().unwrap();
    let mut broken = Vec::new();
    for (number, line) in prose_lines(&text) {
        for target in link_targets(line) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let file: PathBuf = if path.is_empty() {
                page.to_path_buf()
            } else {
                dir.join(path)
            };
            let mut why = None;
            if path.is_empty() && anchor.is_none() {
                why = Some("empty link".to_owned());
            } else if !file.exists() {
                why = Some(format!("{} does not exist", file.display()));
            } else if let Some(anchor) = anchor {
                if file.extension().is_none_or(|e| e != "md") {
                    why = Some("an anchor into a page that is not markdown".to_owned());
                } else if !anchors(&fs::read_to_string(&file).unwrap()).contains(anchor) {
                    why = Some(format!("{} has no heading `#{anchor}`", file.display()));
                }
            }
            if let Some(why) = why {
                broken.push(format!("{}:{number}: {target} ({why})", page.display()));
            }
        }
    }
    broken
}

/// README.md and every page of docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![PathBuf::from("README.md")];
    for entry in fs::read_dir("docs").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    pages
}

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let pages = pages();
    assert!(pages.len() >= 9, "README.md and the docs/ pages: {pages:?}");
    let mut links = 0;
    let mut broken = Vec::new();
    for page in &pages {
        let text = fs::read_to_string(page).unwrap();
        links += prose_lines(&text)
            .iter()
            .map(|(_, line)| link_targets(line).len())
            .sum::<usize>();
        broken.extend(broken_links(page));
    }
    assert!(links >= 40, "only {links} links found: the scan is broken");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn anchors_follow_github() {
    let page = "# Auditing: `can` and `drift`\n\
        ## `can`: who may do what\n\
        ### `--expect` in CI\n\
        ## Tests\n\
        ## Tests\n\
        ```\n# orders.runner\n```\n";
    let anchors = anchors(page);
    for anchor in [
        "auditing-can-and-drift",
        "can-who-may-do-what",
        "--expect-in-ci",
        "tests",
        "tests-1",
    ] {
        assert!(anchors.contains(anchor), "{anchor} in {anchors:?}");
    }
    assert!(
        !anchors.contains("ordersrunner"),
        "a comment in code is no heading"
    );
    assert_eq!(anchors.len(), 5);
}

#[test]
fn broken_links_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.md");
    fs::write(dir.path().join("other.md"), "# Other\n\n## A section\n").unwrap();
    fs::write(
        &page,
        "# Page\n\
         [ok](other.md) [ok](other.md#a-section) [ok](#page) [web](https://example.com/x#y)\n\
         [no file](missing.md) [no heading](other.md#nowhere) [no anchor](#elsewhere)\n\
         `[in code](missing.md)`\n\
         ```\n[in a block](missing.md)\n```\n",
    )
    .unwrap();
    let broken: Vec<String> = broken_links(&page)
        .into_iter()
        .map(|b| b.split(": ").nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(
        broken,
        [
            format!(
                "missing.md ({} does not exist)",
                dir.path().join("missing.md").display()
            ),
            format!(
                "other.md#nowhere ({} has no heading `#nowhere`)",
                dir.path().join("other.md").display()
            ),
            format!(
                "#elsewhere ({} has no heading `#elsewhere`)",
                page.display()
            ),
        ]
    );
}
