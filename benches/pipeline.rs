//! Throughput of each stage and of the whole `build`, on generated specs of about 10 KB, 1 MB
//! and 10 MB (`examples/gen-spec.rs`). Criterion reports MiB/s of input.
//!
//!     cargo bench --bench pipeline

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use runnerc::diag::Sources;
use runnerc::lower::{self, Emit};
use std::hint::black_box;

#[path = "../examples/gen-spec.rs"]
#[allow(dead_code)]
mod gen_spec;

const SIZES: &[(&str, usize)] = &[("10KB", 10_000), ("1MB", 1_000_000), ("10MB", 10_000_000)];

fn stages(c: &mut Criterion) {
    for &(label, bytes) in SIZES {
        let text = gen_spec::spec(None, Some(bytes), 42);
        let mut group = c.benchmark_group(format!("pipeline/{label}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        if bytes >= 1_000_000 {
            group.sample_size(10);
            group.measurement_time(std::time::Duration::from_secs(8));
        }

        group.bench_function(BenchmarkId::from_parameter("parse"), |b| {
            b.iter(|| runnerc::parse::parse(black_box(&text), 0).unwrap())
        });

        let spec = runnerc::parse::parse(&text, 0).unwrap();
        group.bench_function(BenchmarkId::from_parameter("check"), |b| {
            b.iter(|| runnerc::compile::check_parsed(black_box(&spec), 0))
        });

        let (runners, _) = runnerc::compile::check_parsed(&spec, 0);
        group.bench_function(BenchmarkId::from_parameter("lower"), |b| {
            b.iter(|| {
                runners
                    .iter()
                    .map(|runner| {
                        let documents = runnerc::lower::iam::documents(runner);
                        lower::output_files(runner, &documents, &[Emit::Json, Emit::AwsCli]).len()
                    })
                    .sum::<usize>()
            })
        });

        // What `runnerc check` does: parse, check, lower and measure, diagnostics included.
        let mut sources = Sources::new();
        sources.add("big.runner", text.clone());
        group.bench_function(BenchmarkId::from_parameter("compile"), |b| {
            b.iter(|| runnerc::compile::compile(black_box(&sources)))
        });

        // What `runnerc build` does, files written included.
        let out = tempfile::tempdir().unwrap();
        group.bench_function(BenchmarkId::from_parameter("build"), |b| {
            b.iter(|| {
                let compilation = runnerc::compile::compile(&sources);
                // The spec is in memory: recorded as standard input.
                runnerc::output::write_runners(
                    out.path(),
                    &compilation.runners,
                    &[runnerc::input::Origin::Stdin],
                    &[Emit::Json],
                    &Default::default(),
                )
                .unwrap()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
