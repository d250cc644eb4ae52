//! Every golden identity policy passes parliament, a real IAM linter (tests/lint_policies.py).
//! Without parliament the test is skipped with a loud note, unless `RUNNERC_E2E=1`, where a
//! missing tool is a failure (CI sets it).

use std::process::Command;

#[test]
fn parliament_finds_nothing_in_the_golden_policies() {
    let output = Command::new("python3")
        .arg("tests/lint_policies.py")
        .output();
    let required = std::env::var("RUNNERC_E2E").is_ok_and(|v| v == "1");
    match output {
        Ok(output) if output.status.code() == Some(2) || output.status.code().is_none() => {
            let why = String::from_utf8_lossy(&output.stderr);
            assert!(!required, "parliament is required (RUNNERC_E2E=1): {why}");
            eprintln!("SKIPPED: parliament lint not run: {why}");
        }
        Ok(output) => {
            assert!(
                output.status.success(),
                "parliament findings:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Err(error) => {
            assert!(!required, "python3 is required (RUNNERC_E2E=1): {error}");
            eprintln!("SKIPPED: parliament lint not run: no python3 ({error})");
        }
    }
}
