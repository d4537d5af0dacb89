//! Every HTML file of the example site's output is valid HTML5 by the Nu HTML Checker.
//! Needs Java and vnu.jar, which `.ci/run` installs and names in `POLYDOC_VNU_JAR`; without
//! the variable the test is skipped, with it a missing tool is a failure.

use std::process::Command;

use crate::support::TestSite;

#[test]
fn html_validity_example_site_has_no_errors() {
    let Ok(jar) = std::env::var("POLYDOC_VNU_JAR") else {
        assert!(std::env::var_os("POLYDOC_E2E").is_none(), "POLYDOC_E2E is set, so POLYDOC_VNU_JAR must name vnu.jar");
        eprintln!("skipped: set POLYDOC_VNU_JAR to the Nu HTML Checker's vnu.jar (.ci/run does)");
        return;
    };
    let site = TestSite::example();
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut files: Vec<String> = walkdir::WalkDir::new(site.path("public"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "html"))
        .map(|entry| entry.path().display().to_string())
        .collect();
    files.sort();
    assert!(files.len() > 20, "expected the whole site, found {} files", files.len());
    let output = Command::new("java")
        .args(["-jar", &jar, "--errors-only", "--format", "text"])
        .args(&files)
        .output()
        .expect("POLYDOC_VNU_JAR is set, so java must be installed");
    let report = String::from_utf8_lossy(&output.stderr);
    // vnu exits non-zero when it reports any error.
    assert!(output.status.success(), "the Nu HTML Checker found errors in {} files:\n{report}", files.len());
}
