#!/usr/bin/env python3
"""Lints every golden task-role and execution-role policy with parliament, a real IAM linter.

parliament knows which condition keys apply to which action and which resources each action
takes, so it catches mistakes a text comparison cannot (for example `s3:GetBucketLocation`
sharing a statement with an `s3:prefix` condition). Trust policies are outside its scope.
Exits 1 on any finding, 2 when parliament is missing, 0 otherwise.
"""
import pathlib
import sys

try:
    import parliament
except ImportError:
    print("lint_policies: parliament is not installed (pip install parliament)", file=sys.stderr)
    sys.exit(2)

root = pathlib.Path(__file__).resolve().parent / "golden"
files = sorted(
    p for p in root.rglob("*.json") if p.name in ("task-role-policy.json", "execution-role-policy.json")
)
if not files:
    print(f"lint_policies: no policies under {root}", file=sys.stderr)
    sys.exit(1)

findings = 0
for path in files:
    policy = parliament.analyze_policy_string(path.read_text())
    for finding in policy.findings:
        findings += 1
        print(f"{path.relative_to(root)}: {finding.issue}: {finding.detail} {finding.location}")

print(f"lint_policies: {len(files)} policies, {findings} findings")
sys.exit(1 if findings else 0)
