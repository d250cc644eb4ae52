//! Every golden identity policy passes parliament, a real IAM linter (tests/lint_policies.py).
//! Without parliament the test is skipped loudly, unless `RUNNERC_E2E=1`, where a missing tool
//! is a failure (CI sets it). Once parliament imports, anything but a clean exit fails: a
//! finding, a crash, a killed Python.

mod support;

use std::process::Command;

#[test]
fn parliament_finds_nothing_in_the_golden_policies() {
    if !support::has_command("python3") {
        return support::skip("parliament lint", "python3 not found");
    }
    if !support::python_has("parliament") {
        return support::skip("parliament lint", "python3 has no parliament module");
    }
    let output = Command::new("python3")
        .arg("tests/lint_policies.py")
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "parliament lint failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains(", 0 findings"), "{report}");
}
