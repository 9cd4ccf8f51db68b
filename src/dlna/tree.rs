//! What a control point browses: the torrent's folders as containers, its video, audio and
//! subtitle files as items. Built once from the file list; object IDs are positions in it.

use crate::media::{self, Kind};

/// One object of the ContentDirectory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub title: String,
    /// None for the root only.
    pub parent: Option<usize>,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// Children in the order they are listed: folders, then items, each in natural order.
    Folder(Vec<usize>),
    Item {
        file: usize,
        path: String,
        kind: Kind,
        size: u64,
    },
}

/// The whole tree; node 0 is the root, titled with the torrent's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree(Vec<Node>);

impl Tree {
    /// `files`: (file index, path in the torrent, size) of the files that are not padding.
    pub fn new<'a>(name: &str, files: impl IntoIterator<Item = (usize, &'a str, u64)>) -> Tree {
        let mut nodes = vec![Node {
            title: name.to_string(),
            parent: None,
            what: What::Folder(Vec::new()),
        }];
        for (file, path, size) in files {
            let Some(kind) = media::lookup(path).map(|m| m.kind).filter(|k| *k != Kind::Other) else {
                continue;
            };
            let mut parent = 0;
            let mut segments: Vec<&str> = path.split('/').collect();
            let title = segments.pop().unwrap_or(path).to_string();
            for folder in segments {
                parent = child_folder(&mut nodes, parent, folder);
            }
            let id = nodes.len();
            nodes.push(Node {
                title,
                parent: Some(parent),
                what: What::Item {
                    file,
                    path: path.to_string(),
                    kind,
                    size,
                },
            });
            children_mut(&mut nodes, parent).push(id);
        }
        let order: Vec<(usize, Vec<usize>)> = (0..nodes.len())
            .filter_map(|id| match &nodes[id].what {
                What::Folder(c) => {
                    let mut c = c.clone();
                    c.sort_by(|a, b| {
                        let (x, y) = (&nodes[*a], &nodes[*b]);
                        y.is_folder()
                            .cmp(&x.is_folder())
                            .then(natord::compare(&x.title, &y.title))
                    });
                    Some((id, c))
                }
                What::Item { .. } => None,
            })
            .collect();
        for (id, c) in order {
            nodes[id].what = What::Folder(c);
        }
        Tree(nodes)
    }

    pub fn get(&self, id: usize) -> Option<&Node> {
        self.0.get(id)
    }

    /// The item of a file, by the file's index.
    pub fn item_of(&self, file: usize) -> Option<usize> {
        self.0
            .iter()
            .position(|n| matches!(n.what, What::Item { file: f, .. } if f == file))
    }
}

impl Node {
    pub fn is_folder(&self) -> bool {
        matches!(self.what, What::Folder(_))
    }
}

fn children_mut(nodes: &mut [Node], id: usize) -> &mut Vec<usize> {
    match &mut nodes[id].what {
        What::Folder(c) => c,
        What::Item { .. } => unreachable!("only folders are parents"),
    }
}

/// The folder `name` under `parent`, made when it is not there yet.
fn child_folder(nodes: &mut Vec<Node>, parent: usize, name: &str) -> usize {
    let existing = match &nodes[parent].what {
        What::Folder(c) => c
            .iter()
            .copied()
            .find(|&i| nodes[i].is_folder() && nodes[i].title == name),
        What::Item { .. } => None,
    };
    existing.unwrap_or_else(|| {
        let id = nodes.len();
        nodes.push(Node {
            title: name.to_string(),
            parent: Some(parent),
            what: What::Folder(Vec::new()),
        });
        children_mut(nodes, parent).push(id);
        id
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(t: &Tree, id: usize) -> Vec<&str> {
        match &t.get(id).unwrap().what {
            What::Folder(c) => c.iter().map(|&i| t.get(i).unwrap().title.as_str()).collect(),
            What::Item { .. } => panic!("not a folder"),
        }
    }

    #[test]
    fn folders_then_media_in_natural_order() {
        let files = [
            (0, "Show/S01E10.mkv", 10),
            (1, "Show/S01E2.mkv", 2),
            (2, "Show/S01E2.en.srt", 1),
            (3, "notes.txt", 1),
            (4, "Extras/Making of.mp4", 5),
            (5, "theme.flac", 3),
            (6, "Show/Sub/S01E2.fr.ass", 1),
        ];
        let t = Tree::new("My Show", files.iter().map(|(i, p, s)| (*i, *p, *s)));
        assert_eq!(t.get(0).unwrap().title, "My Show");
        assert_eq!(titles(&t, 0), ["Extras", "Show", "theme.flac"]);
        let show = t.get(t.item_of(1).unwrap()).unwrap().parent.unwrap();
        assert_eq!(
            titles(&t, show),
            ["Sub", "S01E2.en.srt", "S01E2.mkv", "S01E10.mkv"]
        );
        assert_eq!(t.item_of(3), None, "not media");
        let sub = t.get(t.item_of(6).unwrap()).unwrap();
        assert!(matches!(
            sub.what,
            What::Item {
                kind: Kind::Subtitle,
                size: 1,
                ..
            }
        ));
    }
}
