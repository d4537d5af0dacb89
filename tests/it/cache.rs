//! The persistent build cache (`.polydoc-cache/build/`): a build that reuses it must write
//! exactly what a build without it writes, whatever changed in between.

use crate::support::{TestSite, assert_same_tree, copy_tree, tree_contents};

const INPUTS: &[&str] = &["site.toml", "content", "i18n", "templates", "static"];

/// Builds `site` with its cache, then a copy of its inputs without any cache, and asserts
/// that both outputs are byte for byte the same. Returns the cached build's stderr.
#[track_caller]
fn assert_cached_build_equals_cold(site: &TestSite) -> String {
    let warm = site.build(&["--timings"]);
    warm.assert_code(0);
    let cold = TestSite::empty();
    for part in INPUTS {
        if site.path(part).exists() {
            copy_tree(&site.path(part), &cold.path(part));
        }
    }
    cold.build_ok();
    assert!(!site.path("public/.polydoc-cache").exists());
    assert_same_tree(&tree_contents(&site.public()), &tree_contents(&cold.public()));
    warm.stderr
}

/// The `search index: …` line of `--timings`.
fn search_index_line(stderr: &str) -> &str {
    stderr.lines().find(|l| l.starts_with("search index: ")).expect("a search index line")
}

/// The `rendered: B page bodies, T page templates` line of `--timings`.
fn rendered_counts(stderr: &str) -> (usize, usize) {
    let line = stderr.lines().find(|l| l.starts_with("rendered: ")).expect("a rendered line");
    let numbers: Vec<usize> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
    (numbers[0], numbers[1])
}

#[test]
fn cached_builds_equal_cold_builds_after_every_kind_of_change() {
    let site = TestSite::example();
    site.build_ok();
    assert!(site.path(".polydoc-cache/build/state.bin").is_file());

    // Nothing changed: nothing is rendered again.
    let stderr = assert_cached_build_equals_cold(&site);
    assert_eq!(rendered_counts(&stderr), (0, 0), "{stderr}");

    // One paragraph: that page, and the fallback copies that show it, only; its words are
    // patched into the search index, whose other files stay.
    site.edit("content/en-us/about/containers-vs-vm.md", "The two are not rivals", "The two are no rivals");
    let stderr = assert_cached_build_equals_cold(&site);
    assert_eq!(rendered_counts(&stderr).0, 1, "{stderr}");
    let index = search_index_line(&stderr);
    assert!(index.starts_with("search index: en-us patched (") && index.ends_with("zh-cn kept"), "{index}");
    // A word new to the site, then gone again.
    site.edit("content/en-us/about/containers-vs-vm.md", "The two are no rivals", "The two are no zyzzyvas");
    let stderr = assert_cached_build_equals_cold(&site);
    assert!(search_index_line(&stderr).starts_with("search index: en-us patched ("), "{stderr}");
    site.edit("content/en-us/about/containers-vs-vm.md", "The two are no zyzzyvas", "The two are no rivals");
    let stderr = assert_cached_build_equals_cold(&site);
    assert!(search_index_line(&stderr).starts_with("search index: en-us patched ("), "{stderr}");

    // A title shown in every sidebar.
    let page = site.read("content/en-us/deploy-containers/system-requirements.md");
    let title = page.lines().find(|l| l.starts_with("title:")).expect("a title line").to_string();
    site.edit("content/en-us/deploy-containers/system-requirements.md", &title, "title: Requirements, renamed");
    assert_cached_build_equals_cold(&site);

    // Pages and files that come and go: nothing of what the previous build wrote for them
    // may stay behind in the output.
    let moved = site.read("content/en-us/container-networking/architecture.md");
    site.remove("content/en-us/container-networking/architecture.md");
    site.write("content/en-us/new-folder/architecture.md", &moved);
    site.remove("content/zh-cn/container-networking/architecture.md");
    assert_cached_build_equals_cold(&site);
    assert!(!site.output_exists("en-us/container-networking/architecture/index.html"));
    let media = crate::support::tree_contents(&site.path("content/en-us"))
        .into_keys()
        .find(|path| path.contains("media/"))
        .expect("an asset of the example site");
    site.remove(&format!("content/en-us/{media}"));
    assert_cached_build_equals_cold(&site);

    // A template.
    site.write("templates/footer.html", "<footer class=\"pd-footer\"><p>Changed footer</p></footer>\n");
    let stderr = assert_cached_build_equals_cold(&site);
    assert!(site.output("en-us/index.html").contains("Changed footer"));
    assert!(rendered_counts(&stderr).1 > 10, "{stderr}");

    // site.toml.
    let config = site.read("site.toml");
    let title_line = config.lines().find(|l| l.starts_with("title")).expect("a site title").to_string();
    site.edit("site.toml", &title_line, "title = \"Renamed docs\"");
    let stderr = assert_cached_build_equals_cold(&site);
    assert!(rendered_counts(&stderr).0 > 10, "a config change must re-render the bodies: {stderr}");

    // Another version of polydoc wrote the cache: it is not used.
    let state = site.path(".polydoc-cache/build/state.bin");
    let bytes = std::fs::read(&state).unwrap();
    let version = format!("\n{}\n", env!("CARGO_PKG_VERSION"));
    let at = bytes.windows(version.len()).position(|w| w == version.as_bytes()).expect("the version line");
    let mut other = bytes[..at].to_vec();
    other.extend_from_slice(b"\n0.0.0-other\n");
    other.extend_from_slice(&bytes[at + version.len()..]);
    std::fs::write(&state, other).unwrap();
    let stderr = assert_cached_build_equals_cold(&site);
    assert!(rendered_counts(&stderr).0 > 10, "a cache of another version must not be used: {stderr}");

    // A damaged cache is ignored too: a state file, or a body store cut short.
    let header: Vec<u8> =
        std::fs::read(&state).unwrap().split_inclusive(|b| *b == b'\n').take(2).flatten().copied().collect();
    std::fs::write(&state, [header.as_slice(), b"garbage"].concat()).unwrap();
    assert_cached_build_equals_cold(&site);
    site.edit("content/en-us/about/containers-vs-vm.md", "The two are no rivals", "The two are not rivals");
    assert_cached_build_equals_cold(&site);
    let store = site.path(".polydoc-cache/build/bodies.bin");
    let bytes = std::fs::read(&store).unwrap();
    std::fs::write(&store, &bytes[..bytes.len() / 2]).unwrap();
    let stderr = assert_cached_build_equals_cold(&site);
    assert!(rendered_counts(&stderr).0 > 10, "a body store cut short must not be used: {stderr}");
}

#[test]
fn bodies_cached_with_plain_code_are_not_reused_with_highlighting() {
    // `POLYDOC_NO_HIGHLIGHT` (the benchmark's switch) leaves code plain: the next build,
    // which highlights, must not take those bodies.
    let site = TestSite::example();
    let root = site.root().to_str().expect("a UTF-8 path").to_string();
    let plain = std::process::Command::new(env!("CARGO_BIN_EXE_polydoc"))
        .args(["build", "--root", &root])
        .env("POLYDOC_NO_HIGHLIGHT", "1")
        .output()
        .expect("run polydoc");
    assert!(plain.status.success(), "{}", String::from_utf8_lossy(&plain.stderr));
    let highlighted = |site: &TestSite| {
        let files = crate::support::tree_contents(&site.public());
        files.values().filter(|bytes| String::from_utf8_lossy(bytes).contains("class=\"hl-")).count()
    };
    assert_eq!(highlighted(&site), 0, "code was left plain");
    assert_cached_build_equals_cold(&site);
    assert!(highlighted(&site) > 0, "code is highlighted again");
}

#[test]
fn a_deleted_output_folder_is_rebuilt_from_the_cached_bodies() {
    let site = TestSite::example();
    site.build_ok();
    std::fs::remove_dir_all(site.public()).unwrap();
    let stderr = assert_cached_build_equals_cold(&site);
    let (bodies, templates) = rendered_counts(&stderr);
    assert_eq!(bodies, 0, "{stderr}");
    assert!(templates > 10, "{stderr}");
}

#[test]
fn a_page_edited_in_the_output_is_not_reused_when_its_size_changed() {
    let site = TestSite::example();
    site.build_ok();
    let page = site.public().join("en-us/index.html");
    std::fs::write(&page, "tampered").unwrap();
    assert_cached_build_equals_cold(&site);
}

#[test]
fn the_corpus_cached_build_equals_its_cold_build_after_a_translation_changes() {
    let site = TestSite::corpus("windows-containers");
    site.build_ok();
    let stderr = assert_cached_build_equals_cold(&site);
    assert_eq!(rendered_counts(&stderr), (0, 0), "{stderr}");
    let translation = "content/zh-cn/about/containers-vs-vm.md";
    let text = site.read(translation);
    let line = text.lines().find(|l| l.starts_with("title:")).expect("a title").to_string();
    site.edit(translation, &line, "title: 容器与虚拟机（改）");
    let stderr = assert_cached_build_equals_cold(&site);
    assert_eq!(rendered_counts(&stderr).0, 1, "{stderr}");
}

/// The `code blocks: H highlighted, C from the cache` line of `--timings`.
fn code_block_counts(stderr: &str) -> (usize, usize) {
    let line = stderr.lines().find(|l| l.starts_with("code blocks: ")).expect("a code blocks line");
    let numbers: Vec<usize> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
    (numbers[0], numbers[1])
}

#[test]
fn highlighted_blocks_are_read_back_by_a_build_that_renders_many_bodies_again() {
    let site = TestSite::corpus("windows-containers");
    let first = site.build(&["--timings"]);
    first.assert_code(0);
    let (highlighted, _) = code_block_counts(&first.stderr);
    assert!(highlighted > 50, "{}", first.stderr);
    let stored = site.path(".polydoc-cache/build/highlights.bin");
    let before = std::fs::read(&stored).expect("the highlighted blocks are stored");
    // One page edited: its blocks are highlighted again, the stored ones stay as they are.
    let source = "content/en-us/about/containers-vs-vm.md";
    let text = site.read(source);
    let body = text.splitn(3, "---").nth(2).expect("a body after the front matter");
    let paragraph = body.lines().find(|l| l.len() > 60 && l.starts_with(char::is_alphabetic)).expect("a paragraph");
    site.edit(source, paragraph, &format!("{paragraph} Edited."));
    let stderr = assert_cached_build_equals_cold(&site);
    assert_eq!(code_block_counts(&stderr).1, 0, "{stderr}");
    assert!(std::fs::read(&stored).unwrap() == before, "a build that read no stored block rewrote them");
    // The site's title changed: every body is rendered again, its code from the stored blocks.
    let config = site.read("site.toml");
    let title_line = config.lines().find(|l| l.starts_with("title")).expect("a site title").to_string();
    site.edit("site.toml", &title_line, "title = \"Renamed docs\"");
    let stderr = assert_cached_build_equals_cold(&site);
    let (highlighted, reused) = code_block_counts(&stderr);
    assert!(reused > 50 && highlighted * 10 < reused, "{stderr}");
}

#[test]
fn the_dashboard_follows_a_source_edit_that_changes_no_title() {
    // A paragraph edited in a source makes its translation stale: the translation
    // dashboard must say so, though no page's navigation changed.
    let site = TestSite::corpus("windows-containers");
    site.build_ok();
    let source = "content/en-us/about/containers-vs-vm.md";
    let text = site.read(source);
    let body = text.splitn(3, "---").nth(2).expect("a body after the front matter");
    let paragraph = body.lines().find(|l| l.len() > 60 && l.starts_with(char::is_alphabetic)).expect("a paragraph");
    site.edit(source, paragraph, &format!("{paragraph} Edited."));
    assert_cached_build_equals_cold(&site);
}

#[test]
fn the_body_store_is_compacted_when_most_of_it_is_dead() {
    let site = TestSite::example();
    site.build_ok();
    let store = site.path(".polydoc-cache/build/bodies.bin");
    let first = std::fs::metadata(&store).unwrap().len();
    // Each config change re-renders every body and appends it: the old ones are dead.
    let mut sizes = Vec::new();
    for round in 0..4 {
        let config = site.read("site.toml");
        let title = config.lines().find(|l| l.starts_with("title")).expect("a site title").to_string();
        site.edit("site.toml", &title, &format!("title = \"Docs, take {round}\""));
        assert_cached_build_equals_cold(&site);
        sizes.push(std::fs::metadata(&store).unwrap().len());
    }
    assert!(sizes.iter().all(|size| *size < first * 4), "the store grows without bound: {first} then {sizes:?}");
    assert!(sizes.windows(2).any(|w| w[1] < w[0]), "the store was never compacted: {first} then {sizes:?}");
}

#[test]
fn a_search_index_is_made_from_cached_bodies_after_a_build_without_one() {
    let site = TestSite::example();
    site.build(&["--no-search"]).assert_code(0);
    assert!(!site.public().join("zh-cn/_search/index.json").exists());
    // The bodies come from the cache; their search records are made now.
    let stderr = assert_cached_build_equals_cold(&site);
    assert_eq!(rendered_counts(&stderr).0, 0, "{stderr}");
    assert!(site.public().join("zh-cn/_search/index.json").is_file());
    // And an edit changes only its own locale's index, like a cold build's.
    site.edit("content/en-us/about/containers-vs-vm.md", "The two are not rivals", "The two are no rivals");
    assert_cached_build_equals_cold(&site);
}

#[test]
fn search_records_stored_as_they_are_made_give_the_same_index() {
    // A large site's records go to the body store as they are made instead of staying in
    // memory; with no room for any, the corpus's output must be what it is with all held.
    let site = TestSite::corpus("windows-containers");
    let root = site.root().to_str().expect("a UTF-8 temporary path").to_string();
    let stored = std::process::Command::new(env!("CARGO_BIN_EXE_polydoc"))
        .args(["build", "--root", &root])
        .env("POLYDOC_RECORDS_HELD_BYTES", "0")
        .output()
        .expect("run polydoc");
    assert!(stored.status.success(), "{}", String::from_utf8_lossy(&stored.stderr));
    assert!(site.public().join("zh-cn/_search/index.json").is_file());
    assert_cached_build_equals_cold(&site);
    // An edit makes its locale's index again from records read back from the store.
    let source = "content/en-us/about/containers-vs-vm.md";
    let text = site.read(source);
    let line = text.lines().find(|l| l.starts_with("title:")).expect("a title").to_string();
    site.edit(source, &line, "title: Containers vs. virtual machines, compared");
    assert_cached_build_equals_cold(&site);
}
