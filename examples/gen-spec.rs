//! Writes a large, valid, realistic multi-runner spec to stdout, for benchmarks and scaling
//! tests: every statement kind, secrets by name and by ARN (with and without suffix), agent
//! secrets, KMS keys, several destinations, trust services, role blocks and tags.
//!
//!     cargo run --release --example gen-spec -- --runners 10000 > big.runner
//!     cargo run --release --example gen-spec -- --bytes 10000000 > big.runner
//!
//! The output is deterministic for a given `--seed`.

use std::fmt::Write as _;
use std::io::Write as _;

/// A small deterministic generator (xorshift64*), so the spec is the same on every machine.
pub struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const REGIONS: &[&str] = &[
    "eu-west-1",
    "us-east-1",
    "us-west-2",
    "ap-southeast-2",
    "eu-central-1",
    "cn-north-1",
    "us-gov-west-1",
];
const SOURCES: &[&str] = &["postgres", "mysql", "sqlserver", "oracle", "db2"];
const TEAMS: &[&str] = &[
    "data-platform",
    "analytics",
    "payments",
    "logistics",
    "finance",
];

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// One runner, about 1.5 KB.
pub fn runner(out: &mut String, index: usize, rng: &mut Rng) {
    let account = format!("{:012}", 100_000_000_000 + rng.below(900_000_000_000));
    let region = rng.pick(REGIONS);
    let p = partition(region);
    let source = rng.pick(SOURCES);
    let name = format!("{source}-cdc-{index:06}");
    let key = |rng: &mut Rng| {
        format!(
            "arn:{p}:kms:{region}:{account}:key/{:08x}-12ab-34cd-56ef-{:012x}",
            rng.next() as u32,
            rng.next() & 0xffff_ffff_ffff
        )
    };
    let _ = writeln!(out, "# {name}: {source} to S3, generated");
    let _ = writeln!(out, "runner \"{name}\" {{");
    let _ = writeln!(out, "    account \"{account}\"");
    let _ = writeln!(out, "    region  \"{region}\"");
    let _ = writeln!(out);
    let _ = writeln!(out, "    secret \"prod/{name}/{source}-password\"");
    let _ = writeln!(
        out,
        "    secret \"arn:{p}:secretsmanager:{region}:{account}:secret:prod/{name}/replica-AbC{:03}\"",
        rng.below(1000)
    );
    let _ = writeln!(
        out,
        "    secret \"arn:{p}:secretsmanager:{region}:{account}:secret:prod/{name}/snowflake-key\""
    );
    let _ = writeln!(
        out,
        "    secret \"prod/{name}/legacy\" kms \"{}\"",
        key(rng)
    );
    let _ = writeln!(
        out,
        "    agent secret \"streaming/{name}/agent\" kms \"{}\"",
        key(rng)
    );
    let _ = writeln!(out);
    let bucket = format!("acme-{}-landing-{}", rng.pick(TEAMS), rng.below(100));
    for folder in ["orders", "customers"] {
        let _ = writeln!(out, "    destination s3 {{");
        let _ = writeln!(out, "        bucket \"{bucket}\"");
        let _ = writeln!(out, "        prefix \"{name}/{folder}/\"");
        let _ = writeln!(out, "    }}");
    }
    let _ = writeln!(out, "    destination s3 {{");
    let _ = writeln!(out, "        bucket \"acme-archive-{}\"", rng.below(10));
    let _ = writeln!(out, "        prefix \"{name}/\"");
    let _ = writeln!(out, "        kms    \"{}\"", key(rng));
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out);
    if rng.below(4) == 0 {
        let _ = writeln!(out, "    trust service \"ec2.amazonaws.com\"");
    }
    let _ = writeln!(out, "    task role {{");
    let _ = writeln!(out, "        path \"/streaming/\"");
    let _ = writeln!(out, "        description \"{source} CDC agent {index}\"");
    let _ = writeln!(
        out,
        "        max-session-duration {}",
        3600 * (1 + rng.below(4))
    );
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "    execution role {{");
    let _ = writeln!(out, "        managed-policy default");
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out);
    let _ = writeln!(out, "    tag \"team\" \"{}\"", rng.pick(TEAMS));
    let _ = writeln!(out, "    tag \"pipeline\" \"{name}\"");
    let _ = writeln!(out, "}}");
    let _ = writeln!(out);
}

/// A spec of `runners` runners, or of at least `bytes` bytes.
pub fn spec(runners: Option<usize>, bytes: Option<usize>, seed: u64) -> String {
    let mut rng = Rng(seed.max(1));
    let mut out = String::new();
    let mut index = 0;
    loop {
        let done = match (runners, bytes) {
            (Some(n), _) => index >= n,
            (None, Some(b)) => out.len() >= b,
            (None, None) => index >= 1,
        };
        if done {
            break;
        }
        runner(&mut out, index, &mut rng);
        index += 1;
    }
    out
}

fn main() {
    let mut runners = None;
    let mut bytes = None;
    let mut seed = 42;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (arg.as_str(), value) {
            ("--runners", Some(n)) => runners = Some(n as usize),
            ("--bytes", Some(n)) => bytes = Some(n as usize),
            ("--seed", Some(n)) => seed = n,
            _ => {
                eprintln!("usage: gen-spec [--runners N | --bytes N] [--seed N]");
                std::process::exit(2);
            }
        }
    }
    let text = spec(runners, bytes, seed);
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
