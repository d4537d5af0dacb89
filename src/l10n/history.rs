//! The single I/O edge to git: the source locale's history, for "what changed in the source
//! since this translation was made". Nothing else in polydoc reads git.
//!
//! Built on gitoxide (`gix`) with its default features off: the object database, refs and
//! the commit walk this module needs. It costs about what `git2` does to compile (measured
//! here from scratch: 174 s against 160 s of CPU), but it is pure Rust, so building polydoc
//! needs no C compiler or libgit2 (docs teams build on Windows), and its API fits: a walk
//! sorted by commit time, tree lookups by path, raw blob bytes.
//!
//! Blobs are read raw, without checkout filters, which is why versions are matched by the
//! line-ending-normalized hashes of `LineEndingDigests`, as the stamp itself is.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context as _, Result};
use gix::ObjectId;
use gix::revision::walk::Sorting;
use gix::traverse::commit::simple::CommitTimeOrder;

use crate::content::page::LineEndingDigests;

/// The git repository holding the source locale's folder.
pub struct SourceHistory {
    repo: gix::Repository,
    /// The source locale folder relative to the repository's work tree, `/`-separated,
    /// empty when the folder is the work tree itself.
    prefix: String,
}

/// A `SourceHistory` that can be sent between threads and kept.
pub struct SharedHistory {
    repo: gix::ThreadSafeRepository,
    prefix: String,
}

/// One source file whose translated-from version is wanted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BaseQuery {
    /// The path under the source locale folder, as on disk (`about/Containers-vs-VM.md`).
    pub rel_path: String,
    /// `ms.openlocfilehash` of the translation.
    pub hash: String,
    /// `ms.sourcegitcommit` of the translation.
    pub commit: Option<String>,
    /// When the page was handed off (seconds since the epoch, minus a day for time zones):
    /// the version was in the tip of that day, so the walk stops looking for this file once
    /// it has checked the first commit older than this.
    pub not_before: Option<i64>,
}

/// The source version a translation was made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseVersion {
    /// A commit that holds this version of the file (hex).
    pub commit: String,
    pub found_by: FoundBy,
    pub bytes: Vec<u8>,
}

/// What one walk has already looked at.
#[derive(Default)]
struct Seen {
    /// Trees by id and path under the source folder.
    trees: HashSet<(ObjectId, String)>,
    /// Each distinct blob is hashed once.
    blobs: HashMap<ObjectId, LineEndingDigests>,
}

/// How the base version was identified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoundBy {
    /// A version in the file's history hashes to `ms.openlocfilehash`.
    Openlocfilehash,
    /// No version does, but the `ms.sourcegitcommit` commit exists and holds the file.
    Sourcegitcommit,
}

/// `repo`, set not to look at the disk again for an object it cannot find. Most lookups
/// that miss are `ms.sourcegitcommit`s of the repository the docs came from, and by
/// default each miss lists and stats every pack file again: 0.45 s of every build at
/// 8,000 stale pages in a repository with a few dozen packs.
fn read_only(mut repo: gix::Repository) -> gix::Repository {
    repo.objects.refresh_never();
    repo
}

impl SourceHistory {
    /// The repository that holds `source_dir` (searched upwards), or `None` when the folder
    /// is not inside a git work tree; the error says why.
    pub fn discover(source_dir: &Path) -> std::result::Result<SourceHistory, String> {
        let repo = read_only(gix::discover(source_dir).map_err(|error| error.to_string())?);
        let workdir = repo.workdir().ok_or("the repository is bare")?;
        let canonical = |path: &Path| path.canonicalize().map_err(|error| format!("{}: {error}", path.display()));
        let (source_dir, workdir) = (canonical(source_dir)?, canonical(workdir)?);
        let rel = source_dir.strip_prefix(&workdir).map_err(|_| "the folder is outside the work tree".to_string())?;
        let prefix = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        Ok(SourceHistory { repo, prefix })
    }

    /// The repository in a form any thread can keep, to open it again cheaply.
    pub fn shared(&self) -> SharedHistory {
        SharedHistory { repo: self.repo.clone().into_sync(), prefix: self.prefix.clone() }
    }

    pub fn from_shared(shared: &SharedHistory) -> SourceHistory {
        SourceHistory { repo: read_only(shared.repo.to_thread_local()), prefix: shared.prefix.clone() }
    }

    /// The commit `HEAD` points to (hex), or `None` before the first commit.
    pub fn head(&self) -> Result<Option<String>> {
        let head = self.repo.head().context("cannot read HEAD")?;
        Ok(head.id().map(|id| id.to_string()))
    }

    /// Finds, for each query, the version of the file the translation was made from: the
    /// newest version in the history from `HEAD` whose line-ending-normalized SHA-1 is the
    /// stamp, else the file at `ms.sourcegitcommit` if that commit exists. One walk serves
    /// every query, and only the trees and blobs that differ from those already seen are
    /// read.
    pub fn find_bases(&self, queries: &[BaseQuery]) -> Result<Vec<Option<BaseVersion>>> {
        let mut found: Vec<Option<BaseVersion>> = vec![None; queries.len()];
        let mut pending: Vec<usize> = (0..queries.len()).collect();
        if let Some(head) = self.repo.head().context("cannot read HEAD")?.id() {
            // A source folder that `HEAD` does not track (a site in a folder the repository
            // ignores, or not yet added) has no history to find versions in: the walk would
            // read every commit of the repository for nothing, on every build.
            let root = self.repo.head_tree_id().context("cannot read HEAD")?.detach();
            if self.folder_tree(root)?.is_some() {
                self.walk(head.detach(), queries, &mut found, &mut pending)?;
            }
        }
        for index in pending {
            found[index] = self.at_stamped_commit(&queries[index])?;
        }
        Ok(found)
    }

    fn walk(
        &self,
        head: ObjectId,
        queries: &[BaseQuery],
        found: &mut [Option<BaseVersion>],
        pending: &mut Vec<usize>,
    ) -> Result<()> {
        let walk = self
            .repo
            .rev_walk([head])
            .sorting(Sorting::ByCommitTime(CommitTimeOrder::NewestFirst))
            .all()
            .context("cannot walk the git history")?;
        let paths: Vec<Vec<&str>> = queries.iter().map(|q| q.rel_path.split('/').collect()).collect();
        let mut seen = Seen::default();
        let mut previous_time = i64::MAX;
        for info in walk {
            // A query is given up only after the first commit older than its limit was
            // checked: that commit was the tip when the page was handed off.
            pending.retain(|&index| queries[index].not_before.is_none_or(|limit| previous_time >= limit));
            if pending.is_empty() {
                break;
            }
            let info = info.context("cannot walk the git history")?;
            previous_time = info.commit_time.unwrap_or(i64::MAX);
            let commit = self.repo.find_commit(info.id).context("cannot read a commit")?;
            let root = commit.tree_id().context("cannot read a commit")?.detach();
            let Some(folder) = self.folder_tree(root)? else { continue };
            let wanted: Vec<(usize, &[&str])> = pending.iter().map(|&index| (index, paths[index].as_slice())).collect();
            let mut matched = Vec::new();
            self.check_tree(folder, String::new(), wanted, queries, &mut seen, &mut matched)?;
            for (index, blob_id) in matched {
                let bytes = self.blob(blob_id)?;
                let commit = info.id.to_string();
                found[index] = Some(BaseVersion { commit, found_by: FoundBy::Openlocfilehash, bytes });
                pending.retain(|&other| other != index);
            }
        }
        Ok(())
    }

    /// The source folder's tree in a commit's root tree, if the commit has the folder.
    fn folder_tree(&self, root: ObjectId) -> Result<Option<ObjectId>> {
        if self.prefix.is_empty() {
            return Ok(Some(root));
        }
        let tree = self.repo.find_tree(root).context("cannot read a tree")?;
        let entry = tree.lookup_entry_by_path(&self.prefix).context("cannot read a tree")?;
        Ok(entry.filter(|entry| entry.mode().is_tree()).map(|entry| entry.object_id()))
    }

    /// Checks the files `wanted` (query index, path components under `tree`) against their
    /// stamps, pushing matches to `matched`. A tree seen before at the same `path` is
    /// skipped whole: its files were checked then, for every query still pending (queries
    /// only ever leave), so the walk costs what changed between commits, not the size of
    /// the folder.
    fn check_tree(
        &self,
        tree_id: ObjectId,
        path: String,
        wanted: Vec<(usize, &[&str])>,
        queries: &[BaseQuery],
        seen: &mut Seen,
        matched: &mut Vec<(usize, ObjectId)>,
    ) -> Result<()> {
        if !seen.trees.insert((tree_id, path.clone())) {
            return Ok(());
        }
        let mut by_name: HashMap<&str, Vec<(usize, &[&str])>> = HashMap::new();
        for (index, components) in wanted {
            if let Some((first, rest)) = components.split_first() {
                by_name.entry(first).or_default().push((index, rest));
            }
        }
        let tree = self.repo.find_tree(tree_id).context("cannot read a tree")?;
        let mut subtrees = Vec::new();
        for entry in tree.iter() {
            let entry = entry.context("cannot read a tree")?;
            let Some(here) = std::str::from_utf8(entry.filename()).ok().and_then(|name| by_name.remove(name)) else {
                continue;
            };
            let (files, deeper): (Vec<_>, Vec<_>) = here.into_iter().partition(|(_, rest)| rest.is_empty());
            if entry.mode().is_blob() && !files.is_empty() {
                let blob_id = entry.object_id();
                let digests = match seen.blobs.entry(blob_id) {
                    Entry::Occupied(digests) => digests.into_mut(),
                    Entry::Vacant(slot) => slot.insert(LineEndingDigests::of(&self.blob(blob_id)?)),
                };
                matched.extend(
                    files.iter().filter(|(i, _)| digests.matches(&queries[*i].hash)).map(|(i, _)| (*i, blob_id)),
                );
            } else if entry.mode().is_tree() && !deeper.is_empty() {
                let name = String::from_utf8_lossy(entry.filename());
                subtrees.push((entry.object_id(), format!("{path}{name}/"), deeper));
            }
        }
        for (subtree, subtree_path, deeper) in subtrees {
            self.check_tree(subtree, subtree_path, deeper, queries, seen, matched)?;
        }
        Ok(())
    }

    /// The file as it was at the query's `ms.sourcegitcommit`, when that commit exists.
    fn at_stamped_commit(&self, query: &BaseQuery) -> Result<Option<BaseVersion>> {
        let Some(commit_hex) = &query.commit else { return Ok(None) };
        let Ok(id) = ObjectId::from_hex(commit_hex.trim().as_bytes()) else { return Ok(None) };
        let Ok(commit) = self.repo.find_commit(id) else { return Ok(None) };
        let tree = commit.tree().context("cannot read a commit's tree")?;
        let path = self.path_of(&query.rel_path);
        let Some(entry) = tree.lookup_entry_by_path(&path).context("cannot read a tree")? else { return Ok(None) };
        if !entry.mode().is_blob() {
            return Ok(None);
        }
        let bytes = self.blob(entry.object_id())?;
        Ok(Some(BaseVersion { commit: id.to_string(), found_by: FoundBy::Sourcegitcommit, bytes }))
    }

    fn path_of(&self, rel_path: &str) -> String {
        if self.prefix.is_empty() { rel_path.to_string() } else { format!("{}/{rel_path}", self.prefix) }
    }

    fn blob(&self, id: ObjectId) -> Result<Vec<u8>> {
        let mut blob = self.repo.find_blob(id).with_context(|| format!("cannot read the git blob {id}"))?;
        Ok(blob.take_data())
    }
}
